"""One window through the exported network in onnxruntime next to the same network in
PyTorch, interleaved in one process: the airline forecaster (README settings, one 12-month
window) and a small text classifier (one 80-word review).

    python benchmarks/onnx_latency.py [--repeats 2000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np


def _median_us(run, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        began = time.perf_counter()
        run()
        times.append(time.perf_counter() - began)
    return statistics.median(times) * 1e6


def compare(network, session, name: str, x, repeats: int) -> tuple[float, float, float]:
    """Median microseconds of PyTorch and onnxruntime on ``x`` (rounds alternate), and the
    largest absolute difference of their outputs."""
    import torch

    network.eval()
    feed = {name: x.numpy()}
    with torch.inference_mode():
        expected = network(x).numpy()
        got = session.run(None, feed)[0]
        torch_us, onnx_us = [], []
        for _ in range(5):
            torch_us.append(_median_us(lambda: network(x), repeats // 5))
            onnx_us.append(_median_us(lambda: session.run(None, feed), repeats // 5))
    return statistics.median(torch_us), statistics.median(onnx_us), float(
        np.abs(got - expected).max())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=2000)
    args = parser.parse_args()
    import onnxruntime
    import torch

    from rnnkit import Forecaster, TextClassifier, datasets
    from rnnkit.export import export_onnx

    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    print(f"load average {os.getloadavg()[0]:.1f}; one thread each")
    with tempfile.TemporaryDirectory() as tmp:
        fc = Forecaster(epochs=3, verbose=False).fit(datasets.airline())
        words = ["great", "dull", "film", "plot", "the", "and", "actor", "fine", "bad"]
        texts = [" ".join(rng.choice(words, size=80)) for _ in range(200)]
        clf = TextClassifier(units=[8], epochs=1, verbose=False).fit(
            texts, ["pos", "neg"] * 100)
        for label, model, name, x in (
                ("airline LSTM(64)→LSTM(32), one 12-month window", fc, "windows",
                 torch.randn(1, 12, 1)),
                ("text LSTM(8), one 80-word review", clf, "ids",
                 torch.randint(3, clf.network_.config.input_size, (1, 80)))):
            path = export_onnx(model, Path(tmp) / label.split()[0])
            session = onnxruntime.InferenceSession(str(path),
                                                   providers=["CPUExecutionProvider"])
            options = session.get_session_options()
            options.intra_op_num_threads = 1
            session = onnxruntime.InferenceSession(str(path), options,
                                                   providers=["CPUExecutionProvider"])
            pt, ort, diff = compare(model.network_, session, name, x, args.repeats)
            print(f"| {label} | {pt:.0f} µs | {ort:.0f} µs | {pt / ort:.1f}× | {diff:.1e} |",
                  flush=True)


if __name__ == "__main__":
    main()
