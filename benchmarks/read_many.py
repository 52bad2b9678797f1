"""Reading many series from Parquet: the target column checked at once (the default) against
each series checked alone (the path `fill` takes), interleaved in one process.

    python benchmarks/scale.py --sizes 10000 100000   # writes runs/scale/<n>/ first
    python benchmarks/read_many.py --sizes 10000 100000 --repeats 3
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

from rnnkit.data.series import as_collection

HERE = Path(__file__).parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f}")
    for size in args.sizes:
        folder = HERE.parent / "runs" / "scale" / str(size)
        if not folder.exists():
            raise SystemExit(f"no {folder}: write it with benchmarks/scale.py --sizes {size}")
        seconds: dict[str, list[float]] = {"at once": [], "each alone": []}
        for _ in range(args.repeats):
            for name, fill in (("at once", None), ("each alone", "ffill")):
                began = time.perf_counter()
                series, _ = as_collection(str(folder), None, fill)
                seconds[name].append(time.perf_counter() - began)
                assert len(series) == size
        fast, slow = (statistics.median(seconds[k]) for k in ("at once", "each alone"))
        print(f"| {size:,} | {fast:.2f} s | {slow:.2f} s | {slow / fast:.1f}× |", flush=True)


if __name__ == "__main__":
    main()
