"""Airline: rnnkit's forecaster against statistical models, two protocols, one run.

A. The tutorials' protocol: fit on the first 115 months, one-step-ahead forecasts of the last
   29 (1958-08 .. 1960-12), each from the actual months before it.
B. Fit up to 1958-12 (120 months), forecast all 24 months of 1959-1960 at once.

Baselines on the same points: SARIMA(0,1,1)(0,1,1)12 on logs (the airline model of Box &
Jenkins), AutoARIMA, AutoTheta and AutoETS from statsforecast, and seasonal naive.

    python benchmarks/airline_vs_statistical.py --seeds 0 1 2 3 4
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import pandas as pd
from _results import machine, mean_sd, publish

from rnnkit import Forecaster, datasets
from rnnkit.evaluation import forecast_metrics

# rnnkit's settings for each protocol, chosen by benchmarks/airline_select.py on validation
# windows inside the training data (see its section of RESULTS.md); the test months never
# informed them. The selection used ensembles of 3; here each seed is an ensemble of 5.
SETTINGS = {
    "A": dict(cell="gru", units=[32], dense=(), window=13, transform="log,es,diff",
              normalize=None, refit=True),
    "B": dict(cell="gru", units=[32], dense=(), window=24, transform="log,diff12",
              normalize="mean", horizon=1),
}
# Said with every result so a reader can weigh the selection, which changed after a test score
HISTORY = ("The selection was rerun when the linear skip became rnnkit's default: A-val's "
           "choice moved from windows 12+24, log+diff12, last (18.3 ± 0.1 here without the "
           "skip) to window 13, log+diff+diff12 (both 8.1 on A-val, 18.2 ± 0.4 here); B-val's "
           "stayed. It was rerun again when the es transform was added: A-val's choice moved "
           "to window 13, log+es+diff, refit (7.4 on A-val); B-val's stayed. "
           "How B's setting was chosen: B-val first used two origins (84, 96) and chose window "
           "12, log+diff12, last, direct, refit, which scored 75.1 ± 0.6 here. After that "
           "result, B-val became a rolling backtest of 5 origins (84..96, 3 apart); it chose "
           "the setting above (its direct variant, ranked lower on B-val, is the second "
           "rnnkit row, shown, not chosen). Both choices lose to SARIMA on logs on B's test "
           "months, whose growth differs from that of the validation years 1956-58. With the "
           "linear skip, the direct variant beats SARIMA here, but B-val ranked it below the "
           "recursive one (32.7 vs 17.2): taking it now would be choosing on the test months.")
COMMON = dict(dropout=0.1, epochs=300, patience=40, batch_size=16, learning_rate=3e-3,
              ensemble=5, verbose=False)


def rmse(actual: np.ndarray, pred: np.ndarray) -> float:
    return forecast_metrics(actual, pred, 1.0)["RMSE"]


def statistical(y: pd.Series) -> dict[str, dict[str, tuple[float, float]]]:
    """{model: {protocol: (RMSE, seconds)}}."""
    from statsforecast import StatsForecast
    from statsforecast.models import ARIMA, AutoARIMA, AutoETS, AutoTheta

    makers = {
        "SARIMA(0,1,1)(0,1,1)12 on logs": (lambda: ARIMA(order=(0, 1, 1),
                                                         seasonal_order=(0, 1, 1),
                                                         season_length=12), True),
        "AutoARIMA": (lambda: AutoARIMA(season_length=12), False),
        "Theta": (lambda: AutoTheta(season_length=12), False),
        "ETS": (lambda: AutoETS(season_length=12), False),
    }
    out: dict[str, dict[str, tuple[float, float]]] = {}
    actual = y.to_numpy()
    for name, (make, logged) in makers.items():
        values = np.log(actual) if logged else actual
        frame = pd.DataFrame({"unique_id": "air", "ds": y.index, "y": values})
        back = np.exp if logged else (lambda v: v)
        start = time.perf_counter()
        cv = StatsForecast(models=[make()], freq="MS", n_jobs=1).cross_validation(
            df=frame, h=1, n_windows=29, step_size=1, refit=False)
        seconds_a = time.perf_counter() - start
        column = next(c for c in cv.columns if c not in ("unique_id", "ds", "cutoff", "y"))
        a = rmse(actual[-29:], back(cv[column].to_numpy()))
        start = time.perf_counter()
        sf = StatsForecast(models=[make()], freq="MS", n_jobs=1)
        fc = sf.forecast(df=frame.iloc[:120], h=24)
        seconds_b = time.perf_counter() - start
        b = rmse(actual[120:], back(fc[column].to_numpy()))
        out[name] = {"A": (a, seconds_a), "B": (b, seconds_b)}
    out["seasonal naive"] = {"A": (rmse(actual[-29:], actual[-41:-12]), 0.0),
                             "B": (rmse(actual[120:], np.tile(actual[108:120], 2)), 0.0)}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    y = datasets.airline()
    actual = y.to_numpy()
    rows = []
    a_settings, b_settings = COMMON | SETTINGS["A"], COMMON | SETTINGS["B"] | {"validation": 24}
    b_strategy = "direct" if b_settings["horizon"] > 1 else "recursive"
    # the same 24 months the other way, for comparison: direct <-> recursive
    b_other = b_settings | {"horizon": 1 if b_settings["horizon"] > 1 else 24}
    for seed in args.seeds:
        start = time.perf_counter()
        fa = Forecaster(seed=seed * 10, **a_settings).fit(y[:115])
        a_seconds = time.perf_counter() - start
        a = fa.evaluate(y).metrics.iloc[0]["RMSE"]
        start = time.perf_counter()
        fb = Forecaster(seed=seed * 10, **b_settings).fit(y[:120])
        b_seconds = time.perf_counter() - start
        b = rmse(actual[120:], fb.forecast(24).to_numpy())
        fr = Forecaster(seed=seed * 10, **b_other).fit(y[:120])
        b_alt = rmse(actual[120:], fr.forecast(24).to_numpy())
        rows.append((seed, a, a_seconds, b, b_seconds, b_alt))
        print(f"seed {seed}: A {a:.1f} ({a_seconds:.0f} s), B {b:.1f} ({b_seconds:.0f} s), "
              f"B the other way {b_alt:.1f}", flush=True)
    stats = statistical(y)

    a_vals, b_vals = [r[1] for r in rows], [r[3] for r in rows]

    def described(settings: dict) -> str:
        return ", ".join(f"{k}={v!r}" for k, v in settings.items() if k != "verbose")

    other = "recursive" if b_strategy == "direct" else "direct"
    lines = [
        "## Airline: rnnkit vs statistical models (issue 6 protocols)",
        "",
        "Command: `python benchmarks/airline_vs_statistical.py --seeds "
        + " ".join(map(str, args.seeds)) + "`",
        f"Machine: {machine()}.",
        f"rnnkit settings, A: {described(a_settings)}.",
        f"rnnkit settings, B ({b_strategy}): {described(b_settings)}.",
        "Other settings are rnnkit's defaults (the linear skip included). Each seed is one "
        "ensemble of 5 networks; ± is the sd over seeds. RMSE in passengers (thousands), to "
        "two decimals: on A, rnnkit, SARIMA and the target lie within a tenth of each other.",
        "",
        "| model | A: one step, last 29 months (RMSE) | A fit s | B: 24 months from "
        "1958-12 (RMSE) | B fit s |",
        "|---|---:|---:|---:|---:|",
        # the row is rnnkit's, in bold; its numbers are not bold, as they are not the best
        f"| **rnnkit {a_settings['cell'].upper()} ensemble** (mean ± sd over {len(rows)} "
        f"seeds; B {b_strategy}) | {mean_sd(a_vals, 2)} | "
        f"{statistics.mean(r[2] for r in rows):.0f} | {mean_sd(b_vals, 2)} | "
        f"{statistics.mean(r[4] for r in rows):.0f} |",
        f"| rnnkit, B's settings {other} instead | | | {mean_sd([r[5] for r in rows], 2)} | |",
    ]
    for name, result in stats.items():
        lines.append(f"| {name} | {result['A'][0]:.2f} | {result['A'][1]:.2f} | "
                     f"{result['B'][0]:.2f} | {result['B'][1]:.2f} |")
    lines += ["", "Per seed: " + "; ".join(f"seed {s}: A {a:.2f}, B {b:.2f} ({other} {r:.2f})"
                                           for s, a, _, b, _, r in rows),
              "", "Targets (issue 6): A ≤ 16, B ≤ 42.", "", HISTORY]
    publish("airline-statistical", lines, write=not args.no_write)


if __name__ == "__main__":
    main()
