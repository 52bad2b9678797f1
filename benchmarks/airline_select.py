"""Choose the airline forecaster's settings on validation windows inside the training data.

The protocols of `airline_vs_statistical.py`, moved back so that nothing after the training
data is seen: A-val fits on the first 91 months and forecasts months 92..115 one step ahead;
B-val fits on the first 96 months and forecasts months 97..120 at once. The setting with the
lowest mean validation RMSE is the one `airline_vs_statistical.py` uses on the test months.

    python benchmarks/airline_select.py
"""

from __future__ import annotations

import time

from _results import write_section

from rnnkit import Forecaster, datasets
from rnnkit.evaluation import forecast_metrics

BASE = dict(dense=(), dropout=0.1, epochs=300, patience=40, batch_size=16,
            learning_rate=3e-3, ensemble=3, verbose=False, seed=0)
CANDIDATES = {
    "GRU(32), window 12, log, last": dict(cell="gru", units=[32], window=12, transform="log",
                                          normalize="last"),
    "GRU(32), window 24, log, last": dict(cell="gru", units=[32], window=24, transform="log",
                                          normalize="last"),
    "LSTM(64,32)+Dense(32), window 12, log, last": dict(
        cell="lstm", units=[64, 32], window=12, transform="log", normalize="last",
        dense=[32]),
    "GRU(32), window 13, log+diff12": dict(cell="gru", units=[32], window=13,
                                           transform="log,diff12", normalize=None),
    "GRU(32), window 24, log, mean": dict(cell="gru", units=[32], window=24, transform="log",
                                          normalize="mean"),
    "GRU(32), window 24, log+diff12": dict(cell="gru", units=[32], window=24,
                                           transform="log,diff12", normalize=None),
    "LSTM(32), window 13, log+diff12": dict(cell="lstm", units=[32], window=13,
                                            transform="log,diff12", normalize=None),
    "GRU(32), window 13, log+diff+diff12": dict(cell="gru", units=[32], window=13,
                                                transform="log,diff,diff12", normalize=None),
}


def main() -> None:
    y = datasets.airline()
    actual = y.to_numpy()
    lines = ["## Airline: choosing settings on validation windows", "",
             "Command: `python benchmarks/airline_select.py`. A-val: fit on months 1..91, one "
             "step ahead on 92..115; B-val: fit on 1..96, 24 months at once (97..120). Each "
             "candidate is an ensemble of 3 (seed 0). Only training-period data is used.", "",
             "| candidate | A-val RMSE | B-val RMSE | mean | seconds |",
             "|---|---:|---:|---:|---:|"]
    scores = {}
    for name, settings in CANDIDATES.items():
        start = time.perf_counter()
        params = BASE | settings
        a = Forecaster(**params).fit(y[:91]).evaluate(y[:115]).metrics.iloc[0]["RMSE"]
        # 24 validation months, as protocol B's 0.2 of 120
        fb = Forecaster(**params | {"horizon": 24, "validation": 0.25}).fit(y[:96])
        b = forecast_metrics(actual[96:120], fb.forecast(24).to_numpy(), 1.0)["RMSE"]
        seconds = time.perf_counter() - start
        scores[name] = (a + b) / 2
        lines.append(f"| {name} | {a:.1f} | {b:.1f} | {(a + b) / 2:.1f} | {seconds:.0f} |")
        print(lines[-1], flush=True)
    best = min(scores, key=scores.get)
    lines += ["", f"Chosen: **{best}** (lowest mean validation RMSE)."]
    text = "\n".join(lines)
    print(text)
    write_section("airline-select", text)


if __name__ == "__main__":
    main()
