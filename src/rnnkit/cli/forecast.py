"""``rnnkit forecast``: train a forecaster on a series (or many), score it on held-out
points next to baselines, forecast beyond the data, and save model, plots and tables. The
estimator's options come from :data:`rnnkit.forecasting.parameters.FORECASTER`."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rnnkit.cli.common import (
    SEASON_ALIASES,
    add_series_options,
    add_test_option,
    add_training_options,
    done_unless_first,
    launched,
    load_series,
    remove_state,
    say,
    span,
    state_dir,
)
from rnnkit.cli.options import add_parameters, csv_list, given
from rnnkit.forecasting.parameters import FORECASTER
from rnnkit.limits import MAX_HORIZON, check_horizon

__all__ = ["add_parser", "cmd_forecast"]

DATA = ["fill", "validation", "season_length", "n_jobs"]
WINDOWS = ["window", "stride", "windows_per_epoch", "units", "dilations", "dense", "linear_skip",
           "transform", "normalize", "scaler", "ensemble", "loss", "refit", "calendar"]
TRAINING = ["cell", "bidirectional", "dropout", "epochs", "batch_size", "learning_rate",
            "patience", "reduce_lr_patience", "clip_norm", "seed", "device"]
# a forecaster's `horizon` comes from --strategy; verbose, state_dir and threads from the
# command's own --quiet, --out and --threads; a checkpoint file is the Python API's
OPTIONS = DATA + WINDOWS + TRAINING


def add_parser(sub: Any) -> None:
    """``rnnkit forecast``'s options."""
    f = sub.add_parser(
        "forecast", help="train a forecaster on a series, evaluate it, forecast beyond the data",
        description="Train a recurrent forecaster on a time series (default: the bundled monthly "
                    "airline passengers, 1949-1960), score one-step-ahead forecasts of the last "
                    "`--test` part in the data's units next to naive and seasonal-naive "
                    "forecasts, forecast `--horizon` steps beyond the data, and save the model, "
                    "plots and tables to `--out`.")
    d = f.add_argument_group("data")
    add_series_options(d, csv_help="CSV file (default: the bundled airline data); with --id also "
                                "Parquet files, a folder of CSV/Parquet files or a glob such as "
                                "'data/*.parquet'",
                       time_help="column of dates/times (optional; gives dated forecasts)")
    d.add_argument("--id", help="column naming the series of a long CSV (one row per series and "
                                "time step): train one global network across all of them, "
                                "score and forecast each. Rows are put in --time order; "
                                "without --time, each series' rows are taken in file order")
    d.add_argument("--features", type=csv_list, default=[],
                   help="extra input columns, comma-separated (inputs only; the target stays "
                        "univariate). Trailing rows with features but an empty target are used "
                        "as the features' known future")
    add_test_option(d)
    add_parameters(d, FORECASTER, DATA, aliases=SEASON_ALIASES)
    d.add_argument("--statistical", action="store_true",
                   help="also score statsforecast's models on the test points, fitted once "
                        "before them as the network is: MSTL + ETS for data with several "
                        "seasons, else ETS, Theta and ARIMA (one series; slow: MSTL refits its "
                        "decomposition at every point, about 2 s each on half-hourly data)")
    d.add_argument("--backtest", type=int, default=0, metavar="N",
                   help="first refit at N rolling origins before the test part and score "
                        "--horizon-step forecasts from each next to the baselines (choose "
                        "settings on these, not on the test part); writes backtest.csv")
    d.add_argument("--backtest-step", type=int, metavar="STEPS",
                   help="steps between backtest origins (default: --horizon)")
    m = f.add_argument_group("windows and forecasts")
    m.add_argument("--horizon", type=int, default=12, help="steps to forecast beyond the data")
    m.add_argument("--max-horizon", type=int, default=MAX_HORIZON,
                   help="the most --horizon may be, checked before training (default: %(default)s)")
    m.add_argument("--strategy", choices=["recursive", "direct"], default="recursive",
                   help="recursive: predict one step and feed it back; direct: the network emits "
                        "all --horizon steps at once. Recursive measured better for the default "
                        "forecaster at 12 and 24 steps (benchmarks/strategy.py)")
    m.add_argument("--level", type=float, default=0.9,
                   help="prediction-interval level (conformal, from validation errors)")
    add_parameters(m, FORECASTER, WINDOWS)
    add_training_options(f, FORECASTER, TRAINING)
    f.add_argument("--out", type=Path, default=Path("runs/forecast"),
                   help="output directory: the saved model, plots and CSV tables")
    f.set_defaults(handler=cmd_forecast)


def _forecaster(args: argparse.Namespace) -> Any:
    """The Forecaster that `rnnkit forecast`'s options describe."""
    from rnnkit.forecasting import Forecaster

    settings = given(args, OPTIONS)
    if args.strategy == "direct":
        settings["horizon"] = args.horizon
    return Forecaster(**settings, verbose=not args.quiet, state_dir=state_dir(args.out))


def _preprocessing_text(fc: Any, transform: str) -> str:
    normalized = {"last": "each window relative to its last level",
                  "mean": "each window relative to its mean level"}.get(fc.normalize,
                                                                       "no window normalisation")
    scaled = ("no scaling" if fc.scaler in (None, "none")
              else f"{fc.scaler} scaling on the training part")
    return (f"  target transform: {transform}; {normalized}; {scaled}"
            + (f"; median of {fc.ensemble} networks" if fc.ensemble > 1 else ""))


def _fit_and_report(fc: Any, y: Any, X: Any, full_y: Any, full_x: Any, future_x: Any,
                    args: argparse.Namespace, heading: str) -> tuple[Any, Any]:
    """Train ``fc`` on ``y``, print and score its one-step forecasts of the rest of ``full_y``,
    forecast ``--horizon`` steps beyond, and save the model, the loss curve and tables to
    ``--out``."""
    from rnnkit.plots import plot_history

    say(fc.summary(n_features=0 if X is None else X.shape[1]))
    windows = _backtest(fc, y, X, args) if args.backtest else None
    fc.fit(y, X, resume=args.resume)
    done_unless_first()
    h = fc.history_
    stop = "early stopping" if h.stopped_early else "all epochs"
    say(f"Trained {len(h.records)} epochs ({stop}; best epoch {h.best_epoch} restored), "
        f"{h.seconds_per_epoch:.3f} s/epoch.")
    if args.statistical:
        say("Scoring statsforecast's models on the test points too (MSTL refits its "
            "decomposition at every point: minutes on long test parts)...")
    evaluation = fc.evaluate(full_y, full_x, level=args.level, statistical=args.statistical)
    fc.update(full_y, full_x)  # the forecast continues after the test part
    say()
    say(f"{heading}, in the data's units (MASE: seasonal period {fc.schema_.season_length}):")
    say(str(evaluation))
    if len(fc.schema_.seasons) > 1 and not args.statistical and not args.id:
        say("MSTL + ETS, statsforecast's model for data with several seasons, is not in "
            "this table; add --statistical to score it on these points (on Taylor's demand "
            "it beats every network alone, benchmarks/RESULTS.md).")
    forecast = fc.forecast(args.horizon, X_future=future_x, level=args.level,
                           max_horizon=args.max_horizon)
    out = args.out
    fc.save(out)
    remove_state(out)
    if windows is not None:
        windows.to_csv(out / "backtest.csv", index=False)
    evaluation.metrics.to_csv(out / "metrics.csv")
    h.to_frame().to_csv(out / "history.csv", index=False)
    plot_history(h.to_frame(), out / "loss.png", h.best_epoch,
                 title=f"{fc.model_name} training history")
    return evaluation, forecast


def _backtest(fc: Any, y: Any, X: Any, args: argparse.Namespace) -> Any:
    """Rolling-origin scores of ``fc`` on the data before the test part, printed by model."""
    from rnnkit.evaluation import FORECAST_METRICS, verdict
    from rnnkit.forecasting import backtest

    step = args.backtest_step or args.horizon
    origins = (f"{args.backtest} origins {step} steps apart" if args.backtest > 1
               else "1 origin")
    say(f"Backtest: {origins} before the test part, {args.horizon} steps forecast from each:")
    windows = backtest(fc, y, X, horizon=args.horizon, n_windows=args.backtest, step=step)
    mean = windows.groupby("model", sort=False)[list(FORECAST_METRICS)].mean()
    say(mean.to_string(float_format=lambda v: f"{v:,.3f}"))
    say()
    say(verdict(mean, "MASE" if args.id else "RMSE"))
    say()
    return windows


def _say_outputs(out: Path, backtest: bool) -> None:
    say(f"Saved model: {out}/ (config.json, weights.safetensors, preprocessing.json)")
    say(f"Plots: {out / 'test.png'}, {out / 'forecast.png'}, {out / 'loss.png'}")
    tables = ["metrics.csv", "test_predictions.csv", "history.csv"] + ["backtest.csv"] * backtest
    say("Tables: " + ", ".join(str(out / t) for t in tables))
    say(f"Forecast again later: rnnkit predict {out}; serve it over HTTP: rnnkit serve {out}")


def _check_options(args: argparse.Namespace) -> None:
    """The command's own numbers, checked before training, which would otherwise reach them
    only after minutes."""
    from rnnkit.errors import RnnkitError
    from rnnkit.forecasting.intervals import check_level
    from rnnkit.validation import PositiveInt

    check_horizon(args.horizon, PositiveInt().check("--max-horizon", args.max_horizon),
                  "--horizon")
    PositiveInt(minimum=0).check("--backtest", args.backtest)
    if args.backtest_step is not None:
        PositiveInt().check("--backtest-step", args.backtest_step)
    check_level(args.level, "--level")
    if args.statistical:
        if args.id:
            raise RnnkitError("--statistical scores statsforecast's models for one series; "
                              "leave it out with --id (the naive baselines are scored for "
                              "every series).")
        from rnnkit.baselines import require_statsforecast

        require_statsforecast()


def cmd_forecast(args: argparse.Namespace) -> int:

    from rnnkit.plots import plot_forecast, plot_test

    _check_options(args)
    if (status := launched(args)) is not None:
        return status
    if args.id:
        return _forecast_many(args)
    data, future_x, source = load_series(args)
    y, X = data.to_pandas()
    fc = _forecaster(args)
    plan = fc.split_plan(y, X, test=args.test)
    n_train, n_val, n_test = plan.train, plan.validation, plan.test

    say(f"Data: {source}: {len(data)} values, {span(data.index)}")
    say(f"  train {n_train} ({span(data.index[:n_train])}), validation {n_val}"
        + (f" ({span(data.index[n_train:n_train + n_val])})" if n_val else "")
        + f", test {n_test} ({span(data.index[-n_test:])})")
    if data.feature_names:
        say(f"  target {data.target_name!r}, features {', '.join(data.feature_names)}")
    say(_preprocessing_text(fc, plan.transform))
    say()
    fit_part = slice(0, len(data) - n_test)
    evaluation, forecast = _fit_and_report(
        fc, y.iloc[fit_part], None if X is None else X.iloc[fit_part], y, X, future_x, args,
        f"One-step-ahead forecasts of the {n_test} test points")
    out = args.out
    evaluation.predictions.to_csv(out / "test_predictions.csv")
    forecast.to_csv(out / "forecast.csv", index_label=y.index.name or "step")
    boundaries = {"test starts": data.index[len(data) - n_test]}
    if n_val:
        boundaries = {"validation starts": data.index[n_train]} | boundaries
    plot_test(y, evaluation.predictions, out / "test.png", boundaries,
              title=f"{fc.model_name} vs baselines on the test period ({source})")
    plot_forecast(y, forecast, out / "forecast.png",
                  title=f"{fc.model_name}: {args.horizon}-step forecast ({args.strategy})")
    say()
    say(f"Forecast of the next {args.horizon} steps: {out / 'forecast.csv'}")
    _say_outputs(out, bool(args.backtest))
    return 0


def _forecast_many(args: argparse.Namespace) -> int:
    """`rnnkit forecast --id`: one global network across the series of a long CSV."""
    import pandas as pd

    from rnnkit.data.files import load_long
    from rnnkit.errors import RnnkitError
    from rnnkit.forecasting import holdout_size
    from rnnkit.plots import plot_many

    if args.csv is None or not args.target:
        raise RnnkitError("--id needs --csv and --target: a long CSV with one row per series "
                          "and time step, --id naming the series, --target the values.")
    if args.features:
        raise RnnkitError("--features is not supported with --id (several series); drop one "
                          "of them.")
    series = {key: pd.Series(data.target, index=data.index, name=args.target)
              for key, data in load_long(args.csv, args.id, args.target, args.time,
                                             args.fill)}
    tests = {}
    for key, values in series.items():
        try:
            tests[key] = holdout_size(len(values), args.test)
        except RnnkitError as exc:
            raise RnnkitError(f"--test: series {key!r}: {exc}") from None

    def long(parts: dict[Any, pd.Series]) -> pd.DataFrame:
        return pd.concat([pd.DataFrame({"unique_id": key, "ds": values.index,
                                        "y": values.to_numpy()})
                          for key, values in parts.items()], ignore_index=True)

    lengths, counts = [len(v) for v in series.values()], sorted(set(tests.values()))
    say(f"Data: {args.csv}: {len(series)} series (column {args.id!r}), {sum(lengths)} values, "
        f"{min(lengths)}..{max(lengths)} per series")
    say(f"  test: the last {counts[0] if len(counts) == 1 else f'{counts[0]}..{counts[-1]}'} "
        f"values of each series; validation: the end of each series' training part")
    say("  one network across all series, each series transformed and scaled by itself")
    fc = _forecaster(args)
    say(_preprocessing_text(fc, fc.transform))
    say()
    train = long({key: values.iloc[:len(values) - tests[key]] for key, values in series.items()})
    evaluation, forecast = _fit_and_report(
        fc, train, None, long(series), None, None, args,
        f"One-step-ahead forecasts of the test points, mean over the {len(series)} series")
    out = args.out
    names = {"unique_id": args.id, "ds": args.time or "step"}
    evaluation.predictions.rename(columns=names).to_csv(out / "test_predictions.csv",
                                                        index_label=names["ds"])
    forecast.rename(columns=names).to_csv(out / "forecast.csv", index=False)
    plot_many(series, evaluation.predictions, out / "test.png", "test",
              title=f"{fc.model_name} vs baselines on the test period")
    plot_many(series, forecast, out / "forecast.png", "forecast",
              title=f"{fc.model_name}: {args.horizon}-step forecasts ({args.strategy})")
    say()
    say(f"Forecasts of the next {args.horizon} steps of each series: {out / 'forecast.csv'}")
    _say_outputs(out, bool(args.backtest))
    return 0
