"""Choose the airline forecaster's settings on validation windows inside the training data.

The protocols of `airline_vs_statistical.py`, moved back so that nothing after its training
data is seen, each choosing its own setting:

* A-val: fit on the first 67, 79 and 91 months; one-step-ahead forecasts of the next 24 each.
* B-val: rnnkit's rolling-origin backtest on B's 120 training months: fit on the first 84,
  87, 90, 93 and 96 months and forecast the next 24 from each, directly (horizon=24) or
  recursively (horizon=1), with the last 24 fitted months for early stopping. (84 is the
  earliest origin at which every candidate still has a training window: 24 for validation,
  12 lost to the seasonal difference, a 24-month window and 24 targets.)

Each candidate is also tried with ``refit=True`` (retrained on all fitted months for its best
number of epochs).

The setting with the lowest mean validation RMSE for a protocol is the one
`airline_vs_statistical.py` uses for it on the test months.

    python benchmarks/airline_select.py
"""

from __future__ import annotations

import time

import numpy as np
from _results import publish

from rnnkit import Forecaster, datasets
from rnnkit.forecasting import backtest

BASE = dict(dense=(), dropout=0.1, epochs=300, patience=40, batch_size=16,
            learning_rate=3e-3, ensemble=3, verbose=False, seed=0)
GRU = dict(cell="gru", units=[32])


def gru(window: int | list[int], transform: str, normalize: str | None) -> dict:
    """A GRU(32) candidate: the windows it reads, its transform and window normalisation."""
    return GRU | dict(window=window, transform=transform, normalize=normalize)


DEFAULT = dict(cell="lstm", units=[64, 32], dense=[32], window=12, transform="log",
               normalize="last", dropout=0.2)  # rnnkit's default forecaster
CANDIDATES = {
    "GRU(32), window 13, log+diff+diff12": gru(13, "log,diff,diff12", None),
    "GRU(32), window 12, log+diff12, last": gru(12, "log,diff12", "last"),
    "GRU(32), windows 12+24, log+diff12, last": gru([12, 24], "log,diff12", "last"),
    "GRU(32), window 24, log+diff12, mean": gru(24, "log,diff12", "mean"),
    "GRU(32), window 12, log+STL, last": gru(12, "log,stl", "last"),
    "GRU(32), window 24, log+STL, last": gru(24, "log,stl", "last"),
    "GRU(32), windows 12+24, log+STL, last": gru([12, 24], "log,stl", "last"),
    "GRU(32), window 12, log+STL+diff": gru(12, "log,stl,diff", None),
    "GRU(32), window 12, log+es, last": gru(12, "log,es", "last"),
    "GRU(32), window 24, log+es, mean": gru(24, "log,es", "mean"),
    "GRU(32), windows 12+24, log+es, mean": gru([12, 24], "log,es", "mean"),
    "GRU(32), window 13, log+es+diff": gru(13, "log,es,diff", None),
    "GRU(32), window 12, log, last": gru(12, "log", "last"),
    "rnnkit default: LSTM(64,32)+Dense(32), window 12, log, last": DEFAULT,
    "rnnkit default with log+es": DEFAULT | dict(transform="log,es"),
    # what the default linear skip adds (every candidate above has it)
    "rnnkit default without the linear skip": DEFAULT | dict(linear_skip=False),
}
A_ORIGINS = (67, 79, 91)
B_TRAIN = 120  # B's test months (1959-60) follow these
B_WINDOWS = dict(horizon=24, n_windows=5, step=3)


def select() -> tuple[dict[str, dict], list[str]]:
    """``({"A": settings, "B": settings}, table lines)``."""
    y = datasets.airline()
    rows, a_scores, b_scores = [], {}, {}
    for name, candidate in CANDIDATES.items():
        start = time.perf_counter()
        cells = []
        for refit in (False, True):
            params = BASE | candidate | {"refit": refit}
            a = [Forecaster(**params).fit(y[:end]).evaluate(y[:end + 24]).metrics.iloc[0][
                "RMSE"] for end in A_ORIGINS]
            a_scores[name, refit] = float(np.mean(a))
            cells.append(a_scores[name, refit])
        for strategy, horizon in (("direct", 24), ("recursive", 1)):
            for refit in (False, True):
                params = BASE | candidate | {"refit": refit, "horizon": horizon,
                                             "validation": 24}
                windows = backtest(Forecaster(**params), y[:B_TRAIN], **B_WINDOWS)
                # the network's mean RMSE (its rows come first; the baselines follow)
                b_scores[name, strategy, refit] = float(
                    windows.groupby("model", sort=False)["RMSE"].mean().iloc[0])
                cells.append(b_scores[name, strategy, refit])
        rows.append(f"| {name} | " + " | ".join(f"{v:.1f}" for v in cells)
                    + f" | {time.perf_counter() - start:.0f} |")
        print(rows[-1], flush=True)
    best_a = min(a_scores, key=a_scores.get)
    best_b = min(b_scores, key=b_scores.get)
    chosen = {"A": BASE | CANDIDATES[best_a[0]] | {"refit": best_a[1]},
              "B": BASE | CANDIDATES[best_b[0]] | {"refit": best_b[2],
                                                    "horizon": 24 if best_b[1] == "direct"
                                                    else 1}}
    lines = ["| candidate | A-val | A-val, refit | B-val direct | B-val direct, refit | "
             "B-val recursive | B-val recursive, refit | seconds |",
             "|---|---:|---:|---:|---:|---:|---:|---:|", *rows, "",
             f"Chosen for A: **{best_a[0]}{', refit' if best_a[1] else ''}** "
             f"({a_scores[best_a]:.1f}). Chosen for B: **{best_b[0]}, {best_b[1]}"
             f"{', refit' if best_b[2] else ''}** ({b_scores[best_b]:.1f})."]
    return chosen, lines


def main() -> None:
    chosen, table = select()
    lines = ["## Airline: choosing settings on validation windows", "",
             "Command: `python benchmarks/airline_select.py`. A-val: fit on months 1..67, "
             "1..79 and 1..91, one step ahead on the 24 months after each; B-val: rnnkit's "
             "backtest on months 1..120, fit on 1..84, 1..87, .., 1..96 (5 origins 3 months "
             "apart), the next 24 months at once (direct) or fed back (recursive). "
             "RMSE in passengers, mean over origins; refit: retrained on all fitted months "
             "for the best number of epochs. Each candidate is an ensemble of 3 "
             "(seed 0), dropout 0.1, learning rate 3e-3, patience 40, with rnnkit's default "
             "linear skip, unless it says otherwise. "
             "Only data before protocol A's and B's test months is used.", "", *table, "",
             "Settings: " + "; ".join(f"{k}: {v}" for k, v in chosen.items())]
    publish("airline-select", lines)


if __name__ == "__main__":
    main()
