"""Direct or recursive multi-step forecasts: which should be the default?

For rnnkit's default forecaster (the README's LSTM) on the airline series, fit at several
origins and forecast 24 months from each: recursively (a one-step network fed its own
forecasts) and directly (a network that emits all ``h`` steps at once, one per ``h``). Scored
as RMSE over the first ``h`` months after each origin, in passengers; ``h = 1`` is the same
network both ways. The origins end before the last 24 months that other benchmarks test on
only when ``--before-test`` is given; by default they cover the whole series.

    python benchmarks/strategy.py --seeds 0 1 2
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
from _results import machine, mean_sd, publish

from rnnkit import Forecaster, datasets
from rnnkit.evaluation import forecast_metrics

HORIZONS = (1, 6, 12, 24)


def rmse(actual: np.ndarray, pred: np.ndarray) -> float:
    return forecast_metrics(actual, pred, 1.0)["RMSE"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--origins", type=int, nargs="+", default=[96, 108, 120],
                        help="months fitted on before each forecast")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    y = datasets.airline()
    actual = y.to_numpy()
    scores: dict[tuple[str, int], list[float]] = {}
    start = time.perf_counter()
    for seed in args.seeds:
        for origin in args.origins:
            truth = actual[origin:origin + max(HORIZONS)]
            path = Forecaster(seed=seed, validation=24, verbose=False).fit(
                y[:origin]).forecast(24).to_numpy()
            for h in HORIZONS:
                scores.setdefault(("recursive", h), []).append(rmse(truth[:h], path[:h]))
                if h == 1:
                    direct = path[:1]
                else:
                    direct = Forecaster(seed=seed, horizon=h, validation=24, verbose=False).fit(
                        y[:origin]).forecast(h).to_numpy()
                scores.setdefault(("direct", h), []).append(rmse(truth[:h], direct))
            print(f"seed {seed}, origin {origin}: " + ", ".join(
                f"h={h} rec {scores['recursive', h][-1]:.1f} dir {scores['direct', h][-1]:.1f}"
                for h in HORIZONS), flush=True)
    seconds = time.perf_counter() - start

    lines = ["## Direct vs recursive forecasts (the default strategy)", "",
             "Command: `python benchmarks/strategy.py --seeds " + " ".join(map(str, args.seeds))
             + " --origins " + " ".join(map(str, args.origins)) + "`",
             f"Machine: {machine()}. {seconds:.0f} s.",
             "rnnkit's default Forecaster (LSTM(64, 32) + Dense(32) plus a linear skip from the "
             "last 12 values, window 12, log, windows relative to their last level; the "
             "last 24 fitted months for early stopping) on the airline series, fitted on the "
             "first "
             f"{', '.join(map(str, args.origins))} months; RMSE (passengers) over the first h "
             f"months after each origin, mean ± sd over {len(args.seeds)} seeds × "
             f"{len(args.origins)} origins. Direct: one network per h emitting all h months.", "",
             "| strategy | " + " | ".join(f"h = {h}" for h in HORIZONS) + " |",
             "|---|" + "---:|" * len(HORIZONS)]
    for strategy in ("recursive", "direct"):
        lines.append(f"| {strategy} | " + " | ".join(mean_sd(scores[strategy, h]) for h in HORIZONS)
                     + " |")
    wins = [h for h in HORIZONS[1:]
            if statistics.mean(scores["direct", h]) < statistics.mean(scores["recursive", h])]
    lines += ["", "Direct is better at h = " + ", ".join(map(str, wins)) + "." if wins
              else "Recursive is better or equal at every horizon."]
    publish("strategy", lines, write=not args.no_write)


if __name__ == "__main__":
    main()
