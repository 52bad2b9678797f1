"""Peak memory of fitting a global model whose windows reach back a week of hours: the
400-series hourly panel of highfreq.py, window 168, 2 epochs of 20,000 sampled windows.

    python benchmarks/window_memory.py
"""

from __future__ import annotations

import resource
import time
import warnings

from highfreq import PANEL_SHARED, panel

from rnnkit import Forecaster


def main() -> None:
    warnings.simplefilter("ignore")
    data = panel()
    began = time.perf_counter()
    Forecaster(**PANEL_SHARED | {"window": 168, "epochs": 2, "patience": None}).fit(data)
    seconds = time.perf_counter() - began
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB → GiB
    print(f"fit {seconds:.0f} s, peak resident memory {peak:.2f} GiB")


if __name__ == "__main__":
    main()
