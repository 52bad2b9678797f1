"""``rnnkit predict``: forecast or classify with a saved model."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from rnnkit.cli.common import load_texts_column, write_output
from rnnkit.limits import MAX_HORIZON

__all__ = ["add_parser", "cmd_predict"]


def add_parser(sub: Any) -> None:
    """``rnnkit predict``'s options."""
    p = sub.add_parser(
        "predict", help="forecast or classify with a saved model",
        description="Load a saved model. A forecaster forecasts beyond its data, or beyond the "
                    "series in --csv (same columns as for training). A text classifier labels "
                    "the TEXTS given, or the --text-column of --csv, with probabilities.")
    p.add_argument("model", type=Path, help="the model directory (--out of forecast/classify)")
    p.add_argument("texts", nargs="*", help="texts to classify (text classifiers)")
    p.add_argument("--text-column", default="text", help="text column of --csv (classifiers)")
    p.add_argument("--label-column",
                   help="classifiers: a column of --csv with the true labels; the scores "
                        "(accuracy, F1, ... next to the majority class) go to stderr")
    p.add_argument("--csv", type=Path, help="forecaster: recent data to forecast from (default: "
                                            "the data the model saw last); classifier: texts")
    p.add_argument("--time", help="date column in --csv (default: the one used in training)")
    p.add_argument("--target", help="forecaster: the column of values in --csv (default: the "
                                    "one used in training; needed for several series)")
    p.add_argument("--id", help="forecaster of several series: the series column of --csv")
    p.add_argument("--fill", choices=["ffill", "interpolate"], help="fill missing values")
    p.add_argument("--horizon", type=int, help="steps to forecast (default: 12, or as many as "
                                                "the future feature rows in --csv)")
    p.add_argument("--max-horizon", type=int, default=MAX_HORIZON,
                   help="the most --horizon may be (default: %(default)s)")
    p.add_argument("--level", type=float, help="forecaster: add lower and upper columns, a "
                                               "prediction interval at this level (e.g. 0.9)")
    p.add_argument("--format", choices=["csv", "json"], default="csv", help="output format")
    p.add_argument("--output", type=Path, help="write here instead of standard output")
    p.set_defaults(handler=cmd_predict)


def _predict_texts(model: Any, args: argparse.Namespace) -> int:
    from rnnkit.errors import RnnkitError
    from rnnkit.inference import classify

    texts, labels = list(args.texts), None
    if args.label_column is not None:
        if args.csv is None or texts:
            raise RnnkitError("--label-column scores the texts of --csv; give --csv FILE and "
                              "no texts on the command line.")
        from rnnkit.data.text_datasets import load_texts

        data = load_texts(args.csv, args.text_column, args.label_column)
        texts, labels = list(data.texts), list(data.labels)
    elif args.csv is not None:
        texts += load_texts_column(args.csv, args.text_column)
    if not texts:
        raise RnnkitError("give texts to classify: rnnkit predict MODEL \"some text\" ... "
                          "or --csv FILE --text-column COLUMN.")
    rows = classify(model, texts)
    if labels is not None:
        evaluation = model.evaluate(texts, labels)
        print(f"On the {len(texts):,} labelled texts of {args.csv}:\n{evaluation}",
              file=sys.stderr)
    if args.format == "json":
        text_out = json.dumps(rows, indent=2) + "\n"
    else:
        import pandas as pd

        text_out = pd.DataFrame(rows).to_csv(index=False, float_format="%.6f")
    write_output(text_out, args.output, f"{len(rows)} predictions")
    return 0


def cmd_predict(args: argparse.Namespace) -> int:
    import rnnkit
    from rnnkit.classification import TextClassifier
    from rnnkit.errors import RnnkitError
    from rnnkit.forecasting.intervals import check_level
    from rnnkit.inference import forecast
    from rnnkit.validation import PositiveInt

    if args.level is not None:
        check_level(args.level, "--level")
    model = rnnkit.load(str(args.model))
    if isinstance(model, TextClassifier):
        return _predict_texts(model, args)
    if not hasattr(model, "forecast"):
        raise RnnkitError(f"{str(args.model)!r} is a language model: it predicts nothing on "
                          "its own; start a classifier from it (rnnkit classify --pretrained "
                          f"{args.model}).")
    if args.texts:
        raise RnnkitError(f"{str(args.model)!r} is a forecaster; it takes --csv, not texts.")
    recent, future_x = _recent(model, args)
    result = forecast(model, recent, future_x, args.horizon, args.level, args.id, args.time,
                      max_horizon=PositiveInt().check("--max-horizon", args.max_horizon))
    for message in result.warnings:
        print(f"warning: {message}", file=sys.stderr)
    if args.format == "json":
        from rnnkit.inference import to_records

        text = json.dumps(result.about | {"forecasts": to_records(result.frame)}, indent=2) + "\n"
    else:
        text = result.frame.to_csv(index=False)
    write_output(text, args.output, f"{len(result.frame)} forecasts")
    return 0


def _recent(model: Any, args: argparse.Namespace) -> tuple[Any, Any]:
    """The series of --csv a forecaster forecasts from, and its future feature rows."""
    from rnnkit.data.files import load_long
    from rnnkit.data.series import load_csv
    from rnnkit.errors import RnnkitError
    from rnnkit.forecasting import HybridForecaster

    hybrid = isinstance(model, HybridForecaster)
    if args.id and (hybrid or not model.schema_.several):
        raise RnnkitError(f"--id is for models of several series; {str(args.model)!r} holds one.")
    if hybrid:
        if args.csv is None:
            raise RnnkitError(f"{str(args.model)!r} is a hybrid: it forecasts from the series "
                              "up to the forecast origin; give it with --csv, --target (and "
                              "--time for dates).")
        if not args.target:
            raise RnnkitError("--target is required with --csv: name the column to forecast.")
        return load_csv(args.csv, args.target, args.time, [], args.fill)[0], None
    recent = future_x = None
    if args.csv is not None and model.schema_.several:
        if not (args.id and args.target):
            raise RnnkitError(f"{str(args.model)!r} forecasts several series: name the columns "
                              "of --csv with --id (the series) and --target (the values), and "
                              "--time (the dates) if it has them.")
        if model.schema_.time_column and not args.time:
            raise RnnkitError(f"{str(args.model)!r} was trained on dated series: name the date "
                              "column of --csv with --time.")
        recent = load_long(args.csv, args.id, args.target, args.time, args.fill)
    elif args.csv is not None:
        recent, future_x = load_csv(args.csv, args.target or model.schema_.target,
                                    args.time or model.schema_.time_column,
                                    list(model.schema_.features), args.fill)
    return recent, future_x
