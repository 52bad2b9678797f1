"""A training run that starts beside a busy core: the thread policy's count chosen again every
epoch (today) against the count chosen once at the start (before; emulated with
``threads=1``, what the policy chose then). A busy-loop process holds one core for the first
``--busy`` seconds of each run; both sides alternate, ``--reps`` runs each.

    python benchmarks/threads_refresh.py --reviews 3000 --epochs 3 --busy 20 --reps 2
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import time

import numpy as np
from imdb import DEFAULT_PATH

from rnnkit import TextClassifier, datasets


def _spin(seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass


def one_run(texts: list[str], labels: list[str], epochs: int, busy: float,
            threads: int | None) -> tuple[float, list[int]]:
    """Seconds to fit a BiLSTM(128) over whole reviews (imdb-pretrained's network) while
    another process spins for ``busy`` seconds, and the threads of each epoch."""
    spinner = multiprocessing.Process(target=_spin, args=(busy,))
    spinner.start()
    time.sleep(0.5)  # the spinner is running when the fit measures the idle cores
    began = time.perf_counter()
    clf = TextClassifier(cell="lstm", num_words="auto", maxlen=None, embedding_dim=128,
                         units=[128], bidirectional=True, pooling="max,mean", epochs=epochs,
                         patience=None, batch_size=64, threads=threads, verbose=False, seed=0)
    clf.fit(texts, labels)
    seconds = time.perf_counter() - began
    spinner.join()
    return seconds, [r["threads"] for r in clf.history_.records]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reviews", type=int, default=3000)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--busy", type=float, default=20.0)
    parser.add_argument("--reps", type=int, default=2)
    args = parser.parse_args()
    os.environ.pop("RNNKIT_THREADS", None)
    train, _ = datasets.imdb(DEFAULT_PATH, download=False)
    keep = np.random.default_rng(0).permutation(len(train.texts))[:args.reviews]
    texts, labels = [train.texts[i] for i in keep], [train.labels[i] for i in keep]
    times: dict[str, list[float]] = {"chosen every epoch": [], "chosen once (1 thread)": []}
    print(f"load average at the start: {os.getloadavg()[0]:.2f}")
    for _ in range(args.reps):
        for side, threads in (("chosen every epoch", None), ("chosen once (1 thread)", 1)):
            seconds, per_epoch = one_run(texts, labels, args.epochs, args.busy, threads)
            times[side].append(seconds)
            print(f"{side}: {seconds:.1f} s, threads per epoch {per_epoch}", flush=True)
    a, b = (statistics.median(v) for v in times.values())
    print(f"median: {a:.1f} s against {b:.1f} s ({b / a:.2f}x)")


if __name__ == "__main__":
    main()
