"""The ``rnnkit`` command line: a thin layer over the Python API.

User mistakes print one ``rnnkit: error: ...`` line and exit with status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["main"]

EXIT_USAGE = 2


def _csv_list(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


def _add_training_options(p: argparse.ArgumentParser, *, epochs: int, batch_size: int,
                          patience: int) -> None:
    g = p.add_argument_group("network and training")
    g.add_argument("--cell", default="lstm", choices=["rnn", "lstm", "gru"],
                   help="recurrent cell: rnn (SimpleRNN, tanh), lstm or gru (default: %(default)s)")
    g.add_argument("--bidirectional", action="store_true", help="read sequences both ways")
    g.add_argument("--dropout", type=float, default=0.2,
                   help="dropout after each recurrent and dense layer (default: %(default)s)")
    g.add_argument("--epochs", type=int, default=epochs,
                   help="maximum epochs (default: %(default)s)")
    g.add_argument("--batch-size", type=int, default=batch_size,
                   help="batch size (default: %(default)s)")
    g.add_argument("--lr", "--learning-rate", dest="learning_rate", type=float, default=1e-3,
                   help="Adam learning rate (default: %(default)s)")
    g.add_argument("--patience", type=int, default=patience,
                   help="early-stopping patience in epochs; best weights are restored "
                        "(default: %(default)s; 0 disables)")
    g.add_argument("--clip-norm", type=float, default=1.0,
                   help="clip the gradient norm to this (default: %(default)s; 0 disables)")
    g.add_argument("--seed", type=int, default=0, help="random seed (default: %(default)s)")
    g.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda", "mps"],
                   help="where to train; auto uses a GPU when present (default: %(default)s)")
    g.add_argument("--quiet", action="store_true", help="no progress bar")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rnnkit",
        description="Recurrent neural networks (SimpleRNN, LSTM, GRU) for sequential data.",
        epilog="Run 'rnnkit COMMAND --help' for a command's options.")
    from rnnkit import __version__

    parser.add_argument("--version", action="version", version=f"rnnkit {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    f = sub.add_parser(
        "forecast", help="train a forecaster on a series, evaluate it, forecast beyond the data",
        description="Train a recurrent forecaster on a time series (default: the bundled monthly "
                    "airline passengers, 1949-1960), score one-step-ahead forecasts of the last "
                    "`--test` part in the data's units next to naive and seasonal-naive "
                    "forecasts, forecast `--horizon` steps beyond the data, and save the model, "
                    "plots and tables to `--out`.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    d = f.add_argument_group("data")
    d.add_argument("--csv", type=Path, help="CSV file (default: the bundled airline data)")
    d.add_argument("--target", help="column to forecast (required with --csv)")
    d.add_argument("--time", help="column of dates/times (optional; gives dated forecasts)")
    d.add_argument("--features", type=_csv_list, default=[],
                   help="extra input columns, comma-separated (inputs only; the target stays "
                        "univariate). Trailing rows with features but an empty target are used "
                        "as the features' known future")
    d.add_argument("--fill", choices=["ffill", "interpolate"],
                   help="fill missing values instead of refusing them")
    d.add_argument("--test", type=float, default=0.2,
                   help="held-out test part at the end: a fraction (<1) or a count of points")
    d.add_argument("--validation", type=float, default=0.2,
                   help="fraction of the remaining data (at its end) used for early stopping")
    d.add_argument("--season-length", type=int,
                   help="seasonal period for seasonal naive and MASE (default: from the dates)")
    m = f.add_argument_group("windows and forecasts")
    m.add_argument("--window", type=int, default=12, help="past steps the network reads")
    m.add_argument("--horizon", type=int, default=12, help="steps to forecast beyond the data")
    m.add_argument("--strategy", choices=["recursive", "direct"], default="recursive",
                   help="recursive: predict one step and feed it back; direct: the network emits "
                        "all --horizon steps at once")
    m.add_argument("--stride", type=int, default=1, help="step between training windows")
    m.add_argument("--units", default="64,32",
                   help="units per stacked recurrent layer, comma-separated")
    m.add_argument("--dense", default="32",
                   help="hidden ReLU layers of the head, comma-separated ('' for none)")
    m.add_argument("--scaler", choices=["standard", "minmax", "none"], default="standard",
                   help="scaling fitted on the training part only")
    m.add_argument("--loss", choices=["mse", "huber"], default="mse", help="training loss")
    _add_training_options(f, epochs=200, batch_size=16, patience=20)
    f.add_argument("--out", type=Path, default=Path("runs/forecast"),
                   help="output directory: the saved model, plots and CSV tables")
    f.set_defaults(handler=cmd_forecast)

    p = sub.add_parser(
        "predict", help="forecast with a saved model",
        description="Load a model saved by 'rnnkit forecast' and forecast beyond its data, or "
                    "beyond the series in --csv (same columns as for training).",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("model", type=Path, help="the model directory (--out of 'rnnkit forecast')")
    p.add_argument("--csv", type=Path, help="recent data to forecast from (default: the data the "
                                            "model saw last)")
    p.add_argument("--time", help="date column in --csv (default: the one used in training)")
    p.add_argument("--fill", choices=["ffill", "interpolate"], help="fill missing values")
    p.add_argument("--horizon", type=int, help="steps to forecast (default: as in training)")
    p.add_argument("--format", choices=["csv", "json"], default="csv", help="output format")
    p.add_argument("--output", type=Path, help="write here instead of standard output")
    p.set_defaults(handler=cmd_predict)

    s = sub.add_parser("summary", help="print a saved model's layers and parameter counts")
    s.add_argument("model", type=Path, help="a model directory")
    s.set_defaults(handler=cmd_summary)
    return parser


def _say(message: str = "") -> None:
    print(message, flush=True)


def _span(index: Any) -> str:
    import pandas as pd

    from rnnkit.data.series import infer_frequency

    if isinstance(index, pd.DatetimeIndex):
        fmt = "%Y-%m" if (infer_frequency(index) or "").startswith("M") else "%Y-%m-%d"
        return f"{index[0].strftime(fmt)} .. {index[-1].strftime(fmt)}"
    return f"{index[0]} .. {index[-1]}"


def cmd_forecast(args: argparse.Namespace) -> int:
    import pandas as pd

    from rnnkit.data.series import as_series, load_csv
    from rnnkit.errors import RnnkitError
    from rnnkit.forecaster import Forecaster, holdout_size
    from rnnkit.plots import plot_forecast, plot_history, plot_test

    future_x = None
    if args.csv is None:
        if args.target or args.time or args.features:
            raise RnnkitError("--target, --time and --features need --csv.")
        from rnnkit.datasets import airline

        data = as_series(airline())
        source = "airline passengers, bundled"
    else:
        if not args.target:
            raise RnnkitError("--target is required with --csv: name the column to forecast.")
        data, future_x = load_csv(args.csv, args.target, args.time, args.features, args.fill)
        source = str(args.csv)
    y = pd.Series(data.target, index=data.index, name=data.target_name)
    X = (pd.DataFrame(data.features, index=data.index, columns=list(data.feature_names))
         if data.feature_names else None)
    n_test = holdout_size(len(data), int(args.test) if args.test >= 1 else args.test)
    direct = args.strategy == "direct"
    fc = Forecaster(
        cell=args.cell, units=args.units, window=args.window,
        horizon=args.horizon if direct else 1, stride=args.stride,
        bidirectional=args.bidirectional, dropout=args.dropout, dense=args.dense,
        scaler=None if args.scaler == "none" else args.scaler, validation=args.validation,
        epochs=args.epochs, batch_size=args.batch_size, learning_rate=args.learning_rate,
        loss=args.loss, patience=args.patience or None, clip_norm=args.clip_norm or None,
        season_length=args.season_length, fill=args.fill, seed=args.seed, device=args.device,
        verbose=not args.quiet)
    fit_part = slice(0, len(data) - n_test)
    params = fc._validated_params()
    n_train = fc._check_length(len(data) - n_test, params, test=n_test)
    n_val = len(data) - n_test - n_train

    _say(f"Data: {source}: {len(data)} values, {_span(data.index)}")
    _say(f"  train {n_train} ({_span(data.index[:n_train])}), validation {n_val}"
         + (f" ({_span(data.index[n_train:n_train + n_val])})" if n_val else "")
         + f", test {n_test} ({_span(data.index[-n_test:])})")
    if data.feature_names:
        _say(f"  target {data.target_name!r}, features {', '.join(data.feature_names)}")
    _say()
    _say(fc.summary(n_features=len(data.feature_names)))
    fc.fit(y.iloc[fit_part], None if X is None else X.iloc[fit_part])
    h = fc.history_
    stop = "early stopping" if h.stopped_early else "all epochs"
    _say(f"Trained {len(h.records)} epochs ({stop}; best epoch {h.best_epoch} restored), "
         f"{h.seconds_per_epoch:.3f} s/epoch.")

    evaluation = fc.evaluate(y, X)
    _say()
    _say(f"One-step-ahead forecasts of the {n_test} test points, in the data's units "
         f"(MASE: seasonal period {fc.season_length_}):")
    _say(str(evaluation))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        forecast = fc.forecast(args.horizon, X_future=future_x)
    for w in caught:
        _say(f"warning: {w.message}")

    out = args.out
    fc.save(out)
    evaluation.metrics.to_csv(out / "metrics.csv")
    evaluation.predictions.to_csv(out / "test_predictions.csv")
    forecast.to_frame("forecast").to_csv(out / "forecast.csv", index_label=y.index.name or "step")
    h.to_frame().to_csv(out / "history.csv", index=False)
    boundaries = {"test starts": data.index[len(data) - n_test]}
    if n_val:
        boundaries = {"validation starts": data.index[n_train]} | boundaries
    plot_test(y, evaluation.predictions, out / "test.png", boundaries,
              title=f"{fc.model_name} vs baselines on the test period ({source})")
    plot_forecast(y, forecast, out / "forecast.png",
                  title=f"{fc.model_name}: {args.horizon}-step forecast ({args.strategy})")
    plot_history(h.to_frame(), out / "loss.png", h.best_epoch,
                 title=f"{fc.model_name} training history")
    _say()
    _say(f"Forecast of the next {args.horizon} steps: {out / 'forecast.csv'}")
    _say(f"Saved model: {out}/ (config.json, weights.safetensors, preprocessing.json)")
    _say(f"Plots: {out / 'test.png'}, {out / 'forecast.png'}, {out / 'loss.png'}")
    _say(f"Tables: {out / 'metrics.csv'}, {out / 'test_predictions.csv'}, {out / 'history.csv'}")
    return 0


def cmd_predict(args: argparse.Namespace) -> int:
    import rnnkit
    from rnnkit.data.series import load_csv
    from rnnkit.errors import RnnkitError

    model = rnnkit.load(str(args.model))
    future_x = None
    horizon = args.horizon or 12
    if args.csv is not None:
        time = args.time or model.time_column_
        data, future_x = load_csv(args.csv, model.target_name_, time,
                                  list(model.feature_names_), args.fill)
        model.update(data)
    if future_x is not None and args.horizon is None:
        horizon = len(future_x)
    if future_x is not None and len(future_x) < horizon:
        raise RnnkitError(f"--horizon {horizon} needs {horizon} future feature rows in --csv; "
                          f"it has {len(future_x)}.")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        forecast = model.forecast(horizon, X_future=future_x)
    for w in caught:
        print(f"warning: {w.message}", file=sys.stderr)
    label = model.time_column_ or "step"
    frame = forecast.to_frame("forecast")
    frame.index.name = label
    if args.format == "json":
        records = [{label: (k.isoformat() if hasattr(k, "isoformat") else int(k)),
                    "forecast": float(v)} for k, v in forecast.items()]
        text = json.dumps({"target": model.target_name_, "forecasts": records}, indent=2) + "\n"
    else:
        text = frame.to_csv()
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text)
        print(f"wrote {len(forecast)} forecasts to {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def cmd_summary(args: argparse.Namespace) -> int:
    import rnnkit

    model = rnnkit.load(str(args.model))
    _say(model.summary())
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``rnnkit`` command."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")
    from rnnkit.errors import RnnkitError

    try:
        return args.handler(args)
    except RnnkitError as exc:
        print(f"rnnkit: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("rnnkit: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
