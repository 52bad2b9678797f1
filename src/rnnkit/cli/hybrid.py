"""``rnnkit hybrid``: fit a :class:`~rnnkit.HybridForecaster` (MSTL + ETS corrected by a
recurrent network) on a series, score it from rolling origins over the held-out end next to
its base model and the seasonal naive, forecast beyond the data, and save the model, a figure
and tables. The estimator's options come from :data:`rnnkit.forecasting.parameters.HYBRID`."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rnnkit.cli.common import (
    SEASON_ALIASES,
    TRAINING_ALIASES,
    add_series_options,
    add_test_option,
    load_series,
    say,
    span,
)
from rnnkit.cli.options import add_parameters, given
from rnnkit.forecasting.parameters import HYBRID

__all__ = ["add_parser", "cmd_hybrid"]

DATA = ["season_length", "fill", "validation", "n_jobs"]
MODEL = ["base", "horizon", "window", "origin_step", "max_origins", "cell", "units", "ensemble",
         "refit", "loss", "correction_weight"]
TRAINING = ["epochs", "batch_size", "learning_rate", "patience", "reduce_lr_patience",
            "clip_norm", "seed", "device"]
# verbose and threads come from the command's own --quiet and --threads
OPTIONS = DATA + MODEL + TRAINING


def add_parser(sub: Any) -> None:
    """``rnnkit hybrid``'s options."""
    f = sub.add_parser(
        "hybrid", help="a statistical forecast (MSTL + ETS) corrected by a recurrent network",
        description="Fit MSTL + ETS at rolling origins of a series and a recurrent network "
                    "that corrects its next --horizon steps; score both, and the seasonal "
                    "naive on the longest season, from every --horizon-th point of the last "
                    "--test part (each origin sees only the values before it); forecast the "
                    "next --horizon steps; save the model, a figure and tables to --out. "
                    "For data with several seasons (hourly, half-hourly). Needs "
                    "rnnkit[baselines] (statsforecast).")
    d = f.add_argument_group("data")
    add_series_options(d, csv_help="CSV file with a target column (and dates)",
                       time_help="column of dates/times (gives the seasons and calendar)")
    add_test_option(d)
    add_parameters(d, HYBRID, DATA, aliases=SEASON_ALIASES)
    add_parameters(f.add_argument_group("model"), HYBRID, MODEL)
    t = f.add_argument_group("training")
    add_parameters(t, HYBRID, TRAINING, aliases=TRAINING_ALIASES)
    t.add_argument("--quiet", action="store_true", help="no progress bar")
    f.add_argument("--out", type=Path, default=Path("runs/hybrid"),
                   help="output directory: the saved model, a figure and CSV tables")
    f.set_defaults(handler=cmd_hybrid, features=[])


def cmd_hybrid(args: argparse.Namespace) -> int:
    """Fit, score next to the base model and the seasonal naive, forecast, save."""
    from rnnkit.evaluation import verdict
    from rnnkit.forecasting import HybridForecaster, holdout_size
    from rnnkit.plots import plot_forecast

    hf = HybridForecaster(**given(args, OPTIONS), verbose=not args.quiet)
    hf.check_params()
    data, _, source = load_series(args)
    y, _ = data.to_pandas()
    n_test = holdout_size(len(y), args.test)
    say(f"Data: {source}: {len(y)} values, {span(y.index)}")
    say(f"  fit on {len(y) - n_test} ({span(y.index[:-n_test])}), test {n_test} "
        f"({span(y.index[-n_test:])})")
    hf.fit(y.iloc[:-n_test])
    s = hf.shape_
    say(f"  base {hf.base} refitted every {s['origin_step']} steps (seasons "
        f"{', '.join(map(str, s['seasons']))}); {hf.ensemble} {hf.cell.upper()}({hf.units}) "
        f"network(s) read the last {s['window']} values and correct its next {s['horizon']}")
    say()
    scores = hf.evaluate(y, test=n_test)
    origins = (n_test - s["horizon"]) // s["horizon"] + 1
    say(f"{origins} forecasts of {s['horizon']} steps over the test part, in the data's units "
        f"(MASE: seasonal period {min(s['seasons'])}):")
    say(scores.to_string(float_format=lambda v: f"{v:,.3f}"))
    say()
    say(verdict(scores, "RMSE"))
    forecast = hf.forecast(y=y)
    out = args.out
    hf.save(out)
    scores.to_csv(out / "metrics.csv")
    forecast.to_csv(out / "forecast.csv", index_label=y.index.name or "step")
    plot_forecast(y, forecast, out / "forecast.png",
                  title=f"Hybrid ({hf.base} + {hf.cell.upper()}): {s['horizon']}-step forecast")
    say()
    say(f"Saved model: {out}/ (config.json, weights.safetensors, preprocessing.json)")
    say(f"Forecast of the next {s['horizon']} steps: {out / 'forecast.csv'}; figure: "
        f"{out / 'forecast.png'}; scores: {out / 'metrics.csv'}")
    series = (f"--csv {args.csv} --target {args.target}" + (f" --time {args.time}" * bool(
        args.time)) if args.csv else "--csv FILE --target COLUMN --time COLUMN")
    say(f"Forecast again later, from the series up to then: rnnkit predict {out} {series}")
    return 0
