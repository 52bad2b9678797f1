"""Many series from Parquet (issue 19): synthetic data shaped like M4 monthly (series of 48 to
500 monthly values with level, trend, a yearly season and noise), one global GRU trained for
one epoch and forecasting 18 months of every series; time and peak memory for 1k, 10k and
100k series, each size in a fresh process (so peaks do not carry over).

    python benchmarks/scale.py --sizes 1000 10000 100000
    python benchmarks/scale.py --sizes 1000 --ranks 2     # the fit under torchrun, 2 processes
    python benchmarks/scale.py --sizes 100000 --n-jobs 2  # series prepared in 2 processes
    python benchmarks/scale.py --sizes 100000 --prepare --n-jobs 2 --repeats 2
        # only the series' preparation, in this process and in n_jobs, alternating
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).parent
SETTINGS = dict(cell="gru", units=[32], dense=(), window=24, horizon=18, validation=18,
                transform="auto", normalize="mean", scaler=None, loss="mae", epochs=1,
                batch_size=1024, windows_per_epoch=200_000, dropout=0.0, verbose=False)


def write_panel(n_series: int, folder: Path, seed: int = 0) -> Path:
    """``n_series`` synthetic monthly series in Parquet files of 10,000 series each."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for first in range(0, n_series, 10_000):
        frames = []
        for k in range(first, min(first + 10_000, n_series)):
            n = int(rng.integers(48, 501))
            t = np.arange(n)
            level = rng.uniform(100, 10_000)
            season = 1 + rng.uniform(0, 0.3) * np.sin(2 * np.pi * (t + rng.integers(12)) / 12)
            trend = 1 + rng.uniform(-0.3, 0.6) * t / n
            noise = 1 + rng.normal(0, rng.uniform(0.01, 0.08), n)
            frames.append(pd.DataFrame({"unique_id": f"m{k:06d}", "ds": t,
                                        "y": level * season * trend * noise}))
        pd.concat(frames, ignore_index=True).to_parquet(folder / f"part-{first // 10_000:03d}"
                                                                  ".parquet")
    return folder


def one_size(folder: Path, n_jobs: int | None = None) -> dict[str, float]:
    """Fit and forecast the series in ``folder``, in this process (``n_jobs`` processes
    preparing the series)."""
    import warnings

    from rnnkit import Forecaster, distributed

    warnings.simplefilter("ignore")
    began = time.perf_counter()
    fc = Forecaster(**SETTINGS, n_jobs=n_jobs).fit(str(folder))
    fitted = time.perf_counter() - began
    if not distributed.is_main():
        return {}
    began = time.perf_counter()
    forecast = fc.forecast(18)
    return {"series": forecast["unique_id"].nunique(), "fit_s": fitted,
            "forecast_s": time.perf_counter() - began,
            "peak_gib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20}


def prepare(folder: Path, n_jobs: int, repeats: int) -> list[str]:
    """Table rows: seconds to prepare every series in ``folder`` (transforms, scalers,
    splits) in this process and with ``n_jobs`` processes, alternating, for the scale
    settings' transform and with seasonal smoothing added."""
    import warnings

    from rnnkit import Forecaster
    from rnnkit.data.series import as_collection
    from rnnkit.forecasting import fitting

    warnings.simplefilter("ignore")
    collection, several = as_collection(str(folder), None, None)
    # every series to the other processes, so both sides are measured whatever they cost
    fitting.PARALLEL_SERIES_SECONDS = fitting.PARALLEL_TOTAL_SECONDS = 0.0
    rows = []
    for transform in ("auto", "auto,es"):
        settings = SETTINGS | {"transform": transform, "season_length": 12}
        seconds: dict[int | None, list[float]] = {None: [], n_jobs: []}
        for _ in range(repeats):
            for jobs in (None, n_jobs):
                p = Forecaster(**settings, n_jobs=jobs)._validated_params()
                began = time.perf_counter()
                fitting.series_states(collection, p, transform, several)
                seconds[jobs].append(time.perf_counter() - began)
                print(transform, jobs, round(seconds[jobs][-1], 1), flush=True)
        each = seconds[None][0] / len(collection) * 1000
        rows.append(f"| {transform} ({each:.2f} ms a series) | "
                    f"{' / '.join(f'{t:.1f}' for t in seconds[None])} s | "
                    f"{' / '.join(f'{t:.1f}' for t in seconds[n_jobs])} s |")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 100_000])
    parser.add_argument("--ranks", type=int, default=1)
    parser.add_argument("--n-jobs", type=int, help="processes preparing the series (the "
                                                    "Forecaster's n_jobs; default: none)")
    parser.add_argument("--prepare", action="store_true",
                        help="time only the series' preparation, alone and with --n-jobs")
    parser.add_argument("--repeats", type=int, default=2, help="rounds of --prepare")
    parser.add_argument("--data", type=Path, default=Path("runs/scale"))
    parser.add_argument("--one", type=Path, help=argparse.SUPPRESS)  # a child process
    args = parser.parse_args()
    if args.one:
        found = one_size(args.one, args.n_jobs)
        if found:
            print(json.dumps(found))
        return
    if args.prepare:
        print(f"| transform | this process | {args.n_jobs or 2} processes |\n|---|---:|---:|")
        for size in args.sizes:
            folder = args.data / f"{size}"
            if not folder.exists():
                write_panel(size, folder)
            print("\n".join(prepare(folder, args.n_jobs or 2, args.repeats)))
        return
    rows = []
    for size in args.sizes:
        folder = args.data / f"{size}"
        if not folder.exists():
            write_panel(size, folder)
        launcher = ([] if args.ranks == 1 else
                    ["-m", "torch.distributed.run", "--standalone",
                     f"--nproc-per-node={args.ranks}"])
        jobs = [] if args.n_jobs is None else ["--n-jobs", str(args.n_jobs)]
        done = subprocess.run([sys.executable, *launcher, str(HERE / "scale.py"), "--one",
                               str(folder), *jobs], capture_output=True, text=True, check=True,
                              env=os.environ | {"PYTHONPATH": str(HERE)})
        found = json.loads(done.stdout.strip().splitlines()[-1])
        rows.append(found)
        print(size, found, flush=True)
    for row in rows:
        print(f"| {row['series']:,} | {args.ranks} | {row['fit_s']:.0f} s | "
              f"{row['forecast_s']:.1f} s | {row['peak_gib']:.2f} GiB |")


if __name__ == "__main__":
    main()
