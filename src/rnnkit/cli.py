"""The ``rnnkit`` command line: a thin layer over the Python API.

User mistakes print one ``rnnkit: error: ...`` line and exit with status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import sys
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

# rnnkit.limits imports nothing heavy: --help stays instant
from rnnkit.limits import MAX_HORIZON, SERVER_MAX_HORIZON, check_horizon

__all__ = ["main"]

EXIT_USAGE = 2


class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Appends ``(default: X)`` only where the help does not state its default already and
    X tells the reader something (not None, False or an empty list)."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        default = action.default
        # `is`, not `in (None, False, ...)`: 0 == False, and a default of 0 says something
        says_nothing = (default is None or default is False or default is argparse.SUPPRESS
                        or default == [])
        if "(default" in text or says_nothing:
            return text
        return super()._get_help_string(action)


def _csv_list(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


def _preset_text(settings: dict[str, Any]) -> str:
    bi = "Bi" if settings.get("bidirectional") else ""
    units = "→".join(f"{bi}{settings['cell'].upper()}({u})" for u in settings["units"])
    dense = "".join(f"→Dense({d})" for d in settings.get("dense", ()))
    return (f"{settings['num_words']} words, {settings['maxlen']} tokens, "
            f"Embedding({settings['embedding_dim']})→{units}{dense}")


def _add_resume_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--resume", action="store_true",
                   help="continue the run that OUT.state/ holds (saved after every epoch; "
                        "removed once the model is saved) from its last finished epoch")


def _add_training_options(p: argparse.ArgumentParser, *, epochs: int | None,
                          batch_size: int | None, patience: int | None,
                          reduce_lr: int | None) -> None:
    g = p.add_argument_group("network and training")
    g.add_argument("--cell", default=None if epochs is None else "lstm",
                   choices=["rnn", "lstm", "gru"],
                   help="recurrent cell: rnn (SimpleRNN, tanh), lstm or gru (default: lstm)")
    g.add_argument("--bidirectional", action="store_true",
                   default=None if epochs is None else False,
                   help="read sequences both ways")
    g.add_argument("--dropout", type=float, default=None if epochs is None else 0.2,
                   help="dropout after each recurrent and dense layer (default: 0.2)")
    g.add_argument("--epochs", type=int, default=epochs,
                   help=f"maximum epochs (default: {epochs or 20})")
    g.add_argument("--batch-size", type=int, default=batch_size,
                   help=f"batch size (default: {batch_size or 64})")
    g.add_argument("--lr", "--learning-rate", dest="learning_rate", type=float, default=1e-3,
                   help="Adam learning rate (default: %(default)s)")
    g.add_argument("--patience", type=int, default=patience,
                   help="early-stopping patience in epochs; best weights are restored "
                        f"(default: {patience or 3}; 0 disables)")
    g.add_argument("--reduce-lr", type=int, default=reduce_lr, metavar="EPOCHS",
                   help="halve the learning rate after this many epochs without improvement "
                        f"(default: {reduce_lr or 2}; 0 disables)")
    g.add_argument("--clip-norm", type=float, default=1.0,
                   help="clip the gradient norm to this (default: %(default)s; 0 disables)")
    g.add_argument("--seed", type=int, default=0, help="random seed (default: %(default)s)")
    g.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda", "mps"],
                   help="where to train; auto uses a GPU when present (default: %(default)s)")
    g.add_argument("--quiet", action="store_true", help="no progress bar")


def _add_serve_parser(sub: Any) -> None:
    """``rnnkit serve``'s options."""
    v = sub.add_parser(
        "serve", help="serve a saved model's predictions over HTTP (JSON)",
        description="Load a saved model and answer HTTP requests until Ctrl+C: GET / describes "
                    "the model with an example request, GET /health checks the server, POST "
                    "/predict takes a JSON body and answers as 'rnnkit predict' does. A "
                    "forecaster takes {\"horizon\": 12, \"level\": 0.9, \"rows\": [...]} "
                    "(rows: the latest observations, with the columns used in training; all "
                    "optional); a classifier takes {\"texts\": [...]}. Mistakes get status 400 "
                    "and {\"error\": ...}; requests never change the model. With the serve "
                    "extra (pip install 'rnnkit[serve]': FastAPI on uvicorn) it also has "
                    "/docs, /ready, /metrics, --workers, --token and timeouts; without it, a "
                    "minimal standard-library server answers the same requests. Listening "
                    "beyond this machine needs --token (or RNNKIT_TOKEN) or --insecure.")
    v.add_argument("model", type=Path, help="a model directory")
    v.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (0.0.0.0: every network interface)")
    v.add_argument("--port", type=int, default=8000, help="port to listen on (0: any free one)")
    v.add_argument("--quiet", action="store_true", help="no line per request")
    v.add_argument("--max-horizon", type=int, default=SERVER_MAX_HORIZON,
                   help="the largest horizon one request may ask for; larger ones get status 413 "
                        "before the model is used (default: %(default)s)")
    v.add_argument("--runtime", choices=["torch", "onnx"], default="torch",
                   help="onnx: answer with the model.onnx that 'rnnkit export' wrote (text "
                        "classifiers; no PyTorch in the answering path)")
    v.add_argument("--workers", type=int, default=1,
                   help="processes answering requests, each with the model and its share of "
                        "the cores (default: 1)")
    v.add_argument("--token", help="answer only requests with 'Authorization: Bearer TOKEN' "
                                   "(default: the RNNKIT_TOKEN environment variable, if set; "
                                   "prefer it, since other users can read command lines)")
    v.add_argument("--insecure", action="store_true",
                   help="allow a --host beyond this machine without a token")
    v.add_argument("--deadline", type=float, default=30.0,
                   help="seconds one prediction may take before the answer is 503 (default: 30)")
    v.add_argument("--idle-timeout", type=float, default=5.0,
                   help="seconds an idle connection is kept open (default: 5)")
    v.add_argument("--body-timeout", type=float, default=10.0,
                   help="seconds a request body may take to arrive before 408 (default: 10)")
    v.add_argument("--max-connections", type=int, default=256,
                   help="open connections per worker beyond which requests get 503 "
                        "(default: 256)")
    v.set_defaults(handler=cmd_serve)


def _add_export_parser(sub: Any) -> None:
    """``rnnkit export``'s options."""
    x = sub.add_parser(
        "export", help="write a saved model's network as ONNX, for runtimes without PyTorch",
        description="Write the network of a saved model as ONNX (dynamic batch and length "
                    "axes), check it with onnxruntime against PyTorch, and say where it is. "
                    "Its inputs are the model's own: a forecaster's transformed, scaled and "
                    "normalised windows, a classifier's token ids; preprocessing.json beside "
                    "it holds how to make them. Needs the export extra (pip install "
                    "'rnnkit[export]').")
    x.add_argument("model", type=Path, help="a model directory")
    x.add_argument("--format", choices=["onnx"], default="onnx", help="the format to write")
    x.add_argument("--out", type=Path, help="file to write (default: MODEL/model.onnx)")
    x.set_defaults(handler=cmd_export)


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
                    "plots and tables to `--out`.")
    d = f.add_argument_group("data")
    d.add_argument("--csv", type=Path, help="CSV file (default: the bundled airline data)")
    d.add_argument("--target", help="column to forecast (required with --csv)")
    d.add_argument("--time", help="column of dates/times (optional; gives dated forecasts)")
    d.add_argument("--id", help="column naming the series of a long CSV (one row per series and "
                                "time step): train one global network across all of them, "
                                "score and forecast each. Rows are put in --time order; "
                                "without --time, each series' rows are taken in file order")
    d.add_argument("--features", type=_csv_list, default=[],
                   help="extra input columns, comma-separated (inputs only; the target stays "
                        "univariate). Trailing rows with features but an empty target are used "
                        "as the features' known future")
    d.add_argument("--fill", choices=["ffill", "interpolate"],
                   help="fill missing values instead of refusing them")
    d.add_argument("--test", type=float, default=0.2,
                   help="held-out test part at the end: a fraction (<1) or a count of points")
    d.add_argument("--validation", type=float, default=0.2,
                   help="fraction of the remaining data (at its end) used for early "
                        "stopping, or a count of last points (e.g. 24)")
    d.add_argument("--season-length", type=int,
                   help="seasonal period for seasonal naive and MASE (default: from the dates)")
    d.add_argument("--backtest", type=int, default=0, metavar="N",
                   help="first refit at N rolling origins before the test part and score "
                        "--horizon-step forecasts from each next to the baselines (choose "
                        "settings on these, not on the test part); writes backtest.csv")
    d.add_argument("--backtest-step", type=int, metavar="STEPS",
                   help="steps between backtest origins (default: --horizon)")
    m = f.add_argument_group("windows and forecasts")
    m.add_argument("--window", default="12",
                   help="past steps the network reads; several, comma-separated (e.g. 12,24,36), "
                        "train one network per window length and use the median")
    m.add_argument("--horizon", type=int, default=12, help="steps to forecast beyond the data")
    m.add_argument("--max-horizon", type=int, default=MAX_HORIZON,
                   help="the most --horizon may be, checked before training (default: %(default)s)")
    m.add_argument("--strategy", choices=["recursive", "direct"], default="recursive",
                   help="recursive: predict one step and feed it back; direct: the network emits "
                        "all --horizon steps at once. Recursive measured better for the default "
                        "forecaster at 12 and 24 steps (benchmarks/strategy.py)")
    m.add_argument("--stride", type=int, default=1, help="step between training windows")
    m.add_argument("--windows-per-epoch", type=int,
                   help="at most this many training windows per epoch, drawn at random anew "
                        "each epoch (long histories, many series; default: all)")
    m.add_argument("--units", default="64,32",
                   help="units per stacked recurrent layer, comma-separated")
    m.add_argument("--dense", default="32",
                   help="hidden ReLU layers of the head, comma-separated ('' for none)")
    m.add_argument("--linear-skip", action=argparse.BooleanOptionalAction, default=True,
                   help="add a linear map from the last values read to the outputs, learned "
                        "with the network (naive and seasonal naive are such maps)")
    m.add_argument("--transform", default="auto",
                   help="target transform chain, inverted for every reported number: log, "
                        "log1p, boxcox, diff, diff<lag>, stl (deseasonalise with STL), es "
                        "(deseasonalise by exponential smoothing), stl<period>, es<period>, "
                        "joined by commas (e.g. log,diff12 or log,es), none, or auto (log for "
                        "a positive series, log1p with zeros; auto,es chains)")
    m.add_argument("--normalize", choices=["last", "mean", "none"], default="last",
                   help="subtract each window's last (or mean) level, so the network learns "
                        "changes rather than levels")
    m.add_argument("--scaler", choices=["standard", "minmax", "change", "none"],
                   default="standard",
                   help="scaling fitted on the training part only (change: one unit is the "
                        "mean absolute step between consecutive values)")
    m.add_argument("--ensemble", type=int, default=1,
                   help="train this many networks (seeds seed, seed+1, ...) and use the median")
    m.add_argument("--level", type=float, default=0.9,
                   help="prediction-interval level (conformal, from validation errors)")
    m.add_argument("--loss", choices=["mse", "huber", "mae"], default="mse",
                   help="training loss (mae: the median, robust to outliers)")
    m.add_argument("--refit", action="store_true",
                   help="after early stopping, train again on all the data (validation part "
                        "included) for the best number of epochs")
    _add_training_options(f, epochs=200, batch_size=16, patience=20, reduce_lr=10)
    _add_resume_option(f)
    f.add_argument("--out", type=Path, default=Path("runs/forecast"),
                   help="output directory: the saved model, plots and CSV tables")
    f.set_defaults(handler=cmd_forecast)

    c = sub.add_parser(
        "classify", help="train a text classifier, evaluate it on held-out texts, save it",
        description="Train a recurrent text classifier (binary or multi-class) on IMDB reviews "
                    "(--data imdb), a CSV/TSV/JSONL file (--csv) or a folder with one sub-folder "
                    "of .txt files per class (--folder); report accuracy, precision, recall, F1 "
                    "(and ROC AUC for two classes) next to the majority-class baseline; save the "
                    "model, curves and confusion matrix to --out. Unset options come from "
                    "--preset, else from the defaults shown.")
    d = c.add_argument_group("data")
    src = d.add_mutually_exclusive_group(required=True)
    src.add_argument("--data", choices=["imdb"], help="a named dataset (official train/test)")
    src.add_argument("--csv", type=Path, help="a CSV, TSV or JSONL file of texts and labels")
    src.add_argument("--folder", type=Path, help="a folder with one sub-folder per class")
    d.add_argument("--data-path", type=Path,
                   help="where the named dataset is (default: $RNNKIT_IMDB or the user cache; "
                        "downloaded when absent)")
    d.add_argument("--text-column", default="text", help="text column of --csv (default: text)")
    d.add_argument("--label-column", default="label",
                   help="label column of --csv (default: label)")
    d.add_argument("--test", type=float, default=0.2,
                   help="stratified held-out fraction for --csv/--folder (default: 0.2)")
    d.add_argument("--test-data", type=Path,
                   help="with --csv: a file of test texts and labels (same columns) instead of "
                        "holding out --test of --csv")
    d.add_argument("--validation-data", type=Path,
                   help="with --csv: a file of validation texts and labels (same columns) for "
                        "early stopping, instead of a --validation fraction of the training "
                        "texts")
    m = c.add_argument_group("text and network")
    from rnnkit.classification.presets import PRESETS

    m.add_argument("--preset", choices=list(PRESETS),
                   help="a classic tutorial set-up: " + "; ".join(
                       f"{k}: {_preset_text(v)}" for k, v in PRESETS.items()))
    m.add_argument("--num-words", type=_int_or_auto,
                   help="vocabulary size incl. 3 reserved ids, or auto: the words seen at "
                        "least twice that make up 95%% of the training tokens, at most "
                        "50,000 (default: auto)")
    m.add_argument("--maxlen", type=_int_or_auto,
                   help="ids kept per text (start id included), none for whole texts, or "
                        "auto: the 95th percentile of the training texts' lengths "
                        "(default: auto)")
    m.add_argument("--padding", choices=["pre", "post"], help="pad before/after (default: pre)")
    m.add_argument("--truncating", choices=["pre", "post"],
                   help="drop tokens from the start/end of long texts (default: pre)")
    m.add_argument("--embedding-dim", type=int, help="word-vector size (default: 32)")
    m.add_argument("--one-hot", action="store_true", help="one-hot inputs instead of embeddings")
    m.add_argument("--units", help="units per recurrent layer, comma-separated (default: 32)")
    m.add_argument("--dense", help="hidden ReLU layers of the head, comma-separated")
    m.add_argument("--token-pattern", help="regular expression for tokens (default: words "
                                           "split on whitespace after dropping punctuation)")
    m.add_argument("--validation", type=float, help="stratified validation fraction "
                                                    "(default: 0.2)")
    m.add_argument("--pretrained", type=Path,
                   help="start from a language model of 'rnnkit pretrain' (its vocabulary, "
                        "word vectors and recurrent weights); --cell, --embedding-dim and "
                        "--units default to its own")
    m.add_argument("--pretrained-lr-scale", type=float,
                   help="learning rate of the pretrained weights, as a fraction of --lr "
                        "(default: 0.5)")
    m.add_argument("--pooling", help="what the head reads over each text's real tokens: last, "
                                     "max, mean, attention, or several joined by commas, e.g. "
                                     "max,mean (default: last)")
    m.add_argument("--embedding-dropout", type=float,
                   help="fraction of words whose whole vector is dropped in training "
                        "(default: 0)")
    m.add_argument("--weight-decay", type=float,
                   help="AdamW's decoupled weight decay (default: 0, plain Adam)")
    m.add_argument("--ngrams", type=int,
                   help="add a linear bag of n-grams to the network's output: 1 words, 2 "
                        "words and adjacent pairs, 0 none (default: 0)")
    m.add_argument("--ngram-buckets", type=int,
                   help="rows the word pairs are hashed into (default: 1048576)")
    m.add_argument("--ngram-dropout", type=float,
                   help="fraction of n-grams dropped in training (default: 0)")
    m.add_argument("--schedule", choices=["plateau", "warmup-cosine", "constant"],
                   help="learning-rate schedule: plateau (halve after --reduce-lr epochs "
                        "without improvement), warmup-cosine (warm-up over the first 10%% of "
                        "the planned epochs' batches, then cosine decay) or constant "
                        "(default: plateau)")
    _add_training_options(c, epochs=None, batch_size=None, patience=None,
                          reduce_lr=None)
    c.add_argument("--refit", action="store_true",
                   help="after early stopping, train again on all the texts (validation ones "
                        "included) for the best number of epochs")
    _add_resume_option(c)
    c.add_argument("--out", type=Path, default=Path("runs/classify"),
                   help="output directory (default: runs/classify)")
    c.set_defaults(handler=cmd_classify)

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

    k = sub.add_parser(
        "compare", help="compare SimpleRNN, LSTM and GRU with honest baselines, with a report",
        description="Train each cell under the same data, budget and early stopping for several "
                    "seeds, score them and the baselines on exactly the same test points, and "
                    "write a table, results.csv/json, figures and a self-contained report.html. "
                    "Series (default: the airline data; or --csv with --target) are compared "
                    "with naive, seasonal-naive, ETS, Theta and ARIMA forecasts; texts (--data "
                    "imdb, or --csv with --text-column/--label-column) with the majority class "
                    "and TF-IDF + logistic regression.")
    d = k.add_argument_group("data")
    d.add_argument("--data", choices=["airline", "imdb"],
                   help="a named dataset (default: airline unless --csv is given)")
    d.add_argument("--data-path", type=Path, help="where the IMDB archive is")
    d.add_argument("--csv", type=Path, help="a CSV of a series (--target) or of texts "
                                            "(--text-column, --label-column)")
    d.add_argument("--target", help="series: the column to forecast")
    d.add_argument("--time", help="series: the date column")
    d.add_argument("--features", type=_csv_list, default=[], help="series: extra input columns")
    d.add_argument("--text-column", help="texts: the text column")
    d.add_argument("--label-column", help="texts: the label column")
    d.add_argument("--test", type=float, default=0.2,
                   help="held-out part (series: the last points; texts from --csv: stratified)")
    r = k.add_argument_group("what to compare")
    r.add_argument("--cells", default="rnn,lstm,gru", help="cells, comma-separated")
    r.add_argument("--seeds", type=int, default=3, help="seeds per cell (default: 3)")
    r.add_argument("--bidirectional", choices=["no", "yes", "both"], default="no",
                   help="unidirectional, bidirectional, or both (default: no)")
    r.add_argument("--no-baselines", action="store_true",
                   help="skip ETS/Theta/ARIMA or TF-IDF (naive/majority always run)")
    m = k.add_argument_group("shared settings (defaults as in forecast / classify)")
    m.add_argument("--preset", help="texts: a classify preset, e.g. imdb-lstm8")
    m.add_argument("--units", help="units per recurrent layer, comma-separated")
    m.add_argument("--dense", help="hidden dense layers, comma-separated ('' for none)")
    m.add_argument("--window", type=int, help="series: window")
    m.add_argument("--num-words", type=int, help="texts: vocabulary size")
    m.add_argument("--maxlen", type=int, help="texts: tokens per text")
    m.add_argument("--embedding-dim", type=int, help="texts: embedding size")
    m.add_argument("--epochs", type=int, help="maximum epochs")
    m.add_argument("--batch-size", type=int, help="batch size")
    m.add_argument("--patience", type=int, help="early-stopping patience")
    m.add_argument("--dropout", type=float, help="dropout")
    m.add_argument("--quiet", action="store_true", help="no progress bars")
    k.add_argument("--out", type=Path, default=Path("runs/compare"),
                   help="output directory (default: runs/compare)")
    k.set_defaults(handler=cmd_compare)

    e = sub.add_parser(
        "explain", help="show what a trained model's gates did, or measure gradient flow",
        description="Trace a saved model reading a text (classifier) or a series (--csv, "
                    "forecaster): the mean forget/input/output gates (GRU: reset/update) and the "
                    "state magnitude per token or time step, under the prediction as it evolves. "
                    "Writes explain.png, explain.html (self-contained, values on hover) and "
                    "trace.csv. With --gradient-flow, measures the norm of d(loss)/d(x_t) per "
                    "step for SimpleRNN, LSTM and GRU side by side (and the saved model, if "
                    "given).")
    e.add_argument("model", type=Path, nargs="?", help="a model directory")
    e.add_argument("text", nargs="?", help="the text to explain (classifiers)")
    e.add_argument("--csv", type=Path, help="series to explain (forecasters; same columns as "
                                            "in training; default: the last values the model "
                                            "remembers, which its next forecast reads)")
    e.add_argument("--time", help="date column in --csv (default: the one used in training)")
    e.add_argument("--id", help="forecaster of several series: the series column of --csv")
    e.add_argument("--target", help="forecaster of several series: the values column of --csv")
    e.add_argument("--series", help="forecaster of several series: which one to explain")
    e.add_argument("--gradient-flow", action="store_true",
                   help="measure gradient norms per step instead of tracing gates")
    e.add_argument("--steps", type=int, default=100,
                   help="sequence length for --gradient-flow (default: 100)")
    e.add_argument("--units", type=int, default=32,
                   help="units of the fresh networks for --gradient-flow without a model "
                        "(default: 32)")
    e.add_argument("--batch", type=int, default=64, help="inputs averaged in --gradient-flow")
    e.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    e.add_argument("--out", type=Path, help="output directory (default: MODEL/explain, or "
                                            "runs/gradient-flow)")
    e.set_defaults(handler=cmd_explain)

    _add_serve_parser(sub)
    _add_export_parser(sub)

    r = sub.add_parser(
        "pretrain", help="train a language model on unlabelled texts, for classify --pretrained",
        description="Train a recurrent language model (next word, adaptive softmax) on texts "
                    "without labels — with --data imdb, the 50,000 unlabelled and 25,000 "
                    "training reviews of the archive (never the test reviews) — report the "
                    "perplexity of a held-out part after every epoch, save the run after every "
                    "epoch (--resume continues a killed one) and the model to --out, for "
                    "'rnnkit classify --pretrained OUT'.")
    rd = r.add_argument_group("data")
    rsrc = rd.add_mutually_exclusive_group(required=True)
    rsrc.add_argument("--data", choices=["imdb"], help="a named dataset")
    rsrc.add_argument("--csv", type=Path, help="a CSV, TSV or JSONL file of texts")
    rd.add_argument("--data-path", type=Path, help="where the named dataset is")
    rd.add_argument("--text-column", default="text", help="text column of --csv")
    rm = r.add_argument_group("network and training")
    rm.add_argument("--cell", choices=["rnn", "lstm", "gru"], default="lstm",
                    help="recurrent cell")
    rm.add_argument("--num-words", type=_int_or_auto, default="auto",
                    help="vocabulary size incl. 3 reserved ids, or auto")
    rm.add_argument("--embedding-dim", type=int, default=128, help="word-vector size")
    rm.add_argument("--units", default="128", help="units per layer, comma-separated")
    rm.add_argument("--window", type=int, default=128, help="words per training sequence")
    rm.add_argument("--dropout", type=float, default=0.1, help="dropout after each layer")
    rm.add_argument("--embedding-dropout", type=float, default=0.1,
                    help="fraction of words whose whole vector is dropped")
    rm.add_argument("--epochs", type=int, default=3, help="passes over the texts")
    rm.add_argument("--batch-size", type=int, default=64, help="sequences per batch")
    rm.add_argument("--lr", "--learning-rate", dest="learning_rate", type=float, default=2e-3,
                    help="peak learning rate (warm-up, then cosine decay)")
    rm.add_argument("--weight-decay", type=float, default=0.0, help="AdamW weight decay")
    rm.add_argument("--seed", type=int, default=0, help="random seed")
    rm.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda", "mps"],
                    help="where to train")
    rm.add_argument("--quiet", action="store_true", help="no progress bar")
    r.add_argument("--resume", action="store_true",
                   help="continue the run saved in OUT.state/ (written after every epoch) "
                        "from its last finished epoch")
    r.add_argument("--out", type=Path, default=Path("runs/lm"), help="output directory")
    r.set_defaults(handler=cmd_pretrain)

    s = sub.add_parser("summary", help="print a saved model's layers and parameter counts")
    s.add_argument("model", type=Path, help="a model directory")
    s.set_defaults(handler=cmd_summary)
    for command in sub.choices.values():
        command.formatter_class = _HelpFormatter
        command.add_argument(
            "--threads", type=_positive_int, metavar="N",
            help="CPU threads for the networks (default: one for small networks, more for "
                 "large ones while cores are idle; see rnnkit.threads)")
    return parser


def _int_or_auto(text: str) -> int | str | None:
    """An integer, ``auto`` or ``none``; the estimator checks the range."""
    lowered = text.strip().lower()
    if lowered in ("auto", "none"):
        return "auto" if lowered == "auto" else "none"
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer, auto or none; got {text!r}"
                                         ) from None


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer; got {text!r}")
    return value


def _say(message: str = "") -> None:
    print(message, flush=True)


def _span(index: Any) -> str:
    import pandas as pd

    from rnnkit.data.series import infer_frequency

    if isinstance(index, pd.DatetimeIndex):
        fmt = "%Y-%m" if (infer_frequency(index) or "").startswith("M") else "%Y-%m-%d"
        return f"{index[0].strftime(fmt)} .. {index[-1].strftime(fmt)}"
    return f"{index[0]} .. {index[-1]}"


def _forecaster(args: argparse.Namespace) -> Any:
    """The Forecaster that `rnnkit forecast`'s options describe."""
    from rnnkit.forecasting import Forecaster

    return Forecaster(
        cell=args.cell, units=args.units, window=args.window,
        horizon=args.horizon if args.strategy == "direct" else 1, stride=args.stride,
        bidirectional=args.bidirectional, dropout=args.dropout, dense=args.dense,
        linear_skip=args.linear_skip,
        transform=args.transform, normalize=None if args.normalize == "none" else args.normalize,
        scaler=None if args.scaler == "none" else args.scaler, ensemble=args.ensemble,
        validation=args.validation,
        epochs=args.epochs, batch_size=args.batch_size, learning_rate=args.learning_rate,
        loss=args.loss, patience=args.patience or None, reduce_lr_patience=args.reduce_lr or None,
        clip_norm=args.clip_norm or None,
        season_length=args.season_length, fill=args.fill, seed=args.seed, device=args.device,
        verbose=not args.quiet, refit=args.refit, state_dir=_state_dir(args.out),
        windows_per_epoch=args.windows_per_epoch)


def _preprocessing_text(args: argparse.Namespace, transform: str) -> str:
    normalized = {"last": "each window relative to its last level",
                  "mean": "each window relative to its mean level"}.get(args.normalize,
                                                                         "no window normalisation")
    scaled = ("no scaling" if args.scaler == "none"
              else f"{args.scaler} scaling on the training part")
    return (f"  target transform: {transform}; {normalized}; {scaled}"
            + (f"; median of {args.ensemble} networks" if args.ensemble > 1 else ""))


def _fit_and_report(fc: Any, y: Any, X: Any, full_y: Any, full_x: Any, future_x: Any,
                    args: argparse.Namespace, heading: str) -> tuple[Any, Any]:
    """Train ``fc`` on ``y``, print and score its one-step forecasts of the rest of ``full_y``,
    forecast ``--horizon`` steps beyond, and save the model, the loss curve and tables to
    ``--out``."""
    from rnnkit.plots import plot_history

    _say(fc.summary(n_features=0 if X is None else X.shape[1]))
    windows = _backtest(fc, y, X, args) if args.backtest else None
    fc.fit(y, X, resume=args.resume)
    h = fc.history_
    stop = "early stopping" if h.stopped_early else "all epochs"
    _say(f"Trained {len(h.records)} epochs ({stop}; best epoch {h.best_epoch} restored), "
         f"{h.seconds_per_epoch:.3f} s/epoch.")
    evaluation = fc.evaluate(full_y, full_x, level=args.level)
    fc.update(full_y, full_x)  # the forecast continues after the test part
    _say()
    _say(f"{heading}, in the data's units (MASE: seasonal period {fc.schema_.season_length}):")
    _say(str(evaluation))
    forecast = fc.forecast(args.horizon, X_future=future_x, level=args.level,
                           max_horizon=args.max_horizon)
    out = args.out
    fc.save(out)
    _remove_state(out)
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
    _say(f"Backtest: {origins} before the test part, {args.horizon} steps forecast from each:")
    windows = backtest(fc, y, X, horizon=args.horizon, n_windows=args.backtest, step=step)
    mean = windows.groupby("model", sort=False)[list(FORECAST_METRICS)].mean()
    _say(mean.to_string(float_format=lambda v: f"{v:,.3f}"))
    _say()
    _say(verdict(mean, "MASE" if args.id else "RMSE"))
    _say()
    return windows


def _say_outputs(out: Path, backtest: bool) -> None:
    _say(f"Saved model: {out}/ (config.json, weights.safetensors, preprocessing.json)")
    _say(f"Plots: {out / 'test.png'}, {out / 'forecast.png'}, {out / 'loss.png'}")
    tables = ["metrics.csv", "test_predictions.csv", "history.csv"] + ["backtest.csv"] * backtest
    _say("Tables: " + ", ".join(str(out / t) for t in tables))
    _say(f"Forecast again later: rnnkit predict {out}; serve it over HTTP: rnnkit serve {out}")


def cmd_forecast(args: argparse.Namespace) -> int:
    import pandas as pd

    from rnnkit.data.series import as_series, load_csv
    from rnnkit.errors import RnnkitError
    from rnnkit.forecasting.intervals import check_level
    from rnnkit.plots import plot_forecast, plot_test
    from rnnkit.validation import PositiveInt

    # checked before training, which they would otherwise only reach after minutes
    check_horizon(args.horizon, PositiveInt().check("--max-horizon", args.max_horizon),
                  "--horizon")
    PositiveInt(minimum=0).check("--backtest", args.backtest)
    if args.backtest_step is not None:
        PositiveInt().check("--backtest-step", args.backtest_step)
    check_level(args.level, "--level")
    if args.id:
        return _forecast_many(args)
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
    fc = _forecaster(args)
    plan = fc.split_plan(y, X, test=args.test)
    n_train, n_val, n_test = plan.train, plan.validation, plan.test

    _say(f"Data: {source}: {len(data)} values, {_span(data.index)}")
    _say(f"  train {n_train} ({_span(data.index[:n_train])}), validation {n_val}"
         + (f" ({_span(data.index[n_train:n_train + n_val])})" if n_val else "")
         + f", test {n_test} ({_span(data.index[-n_test:])})")
    if data.feature_names:
        _say(f"  target {data.target_name!r}, features {', '.join(data.feature_names)}")
    _say(_preprocessing_text(args, plan.transform))
    _say()
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
    _say()
    _say(f"Forecast of the next {args.horizon} steps: {out / 'forecast.csv'}")
    _say_outputs(out, bool(args.backtest))
    return 0


def _forecast_many(args: argparse.Namespace) -> int:
    """`rnnkit forecast --id`: one global network across the series of a long CSV."""
    import pandas as pd

    from rnnkit.data.series import load_long_csv
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
              for key, data in load_long_csv(args.csv, args.id, args.target, args.time,
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
    _say(f"Data: {args.csv}: {len(series)} series (column {args.id!r}), {sum(lengths)} values, "
         f"{min(lengths)}..{max(lengths)} per series")
    _say(f"  test: the last {counts[0] if len(counts) == 1 else f'{counts[0]}..{counts[-1]}'} "
         f"values of each series; validation: the end of each series' training part")
    _say("  one network across all series, each series transformed and scaled by itself")
    _say(_preprocessing_text(args, args.transform))
    _say()
    fc = _forecaster(args)
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
    _say()
    _say(f"Forecasts of the next {args.horizon} steps of each series: {out / 'forecast.csv'}")
    _say_outputs(out, bool(args.backtest))
    return 0


def _classify_data(args: argparse.Namespace) -> tuple[Any, Any, Any, str]:
    """``(train, test, validation texts and labels or None, description)`` for classify."""
    from rnnkit.classification import stratified_split
    from rnnkit.data.text_datasets import TextDataset, imdb, load_texts
    from rnnkit.errors import RnnkitError

    if (args.test_data or args.validation_data) and args.csv is None:
        raise RnnkitError("--test-data and --validation-data go with --csv (files with the "
                          "same --text-column and --label-column).")
    validation = None
    if args.validation_data:
        dev = load_texts(args.validation_data, args.text_column, args.label_column)
        validation = (dev.texts, dev.labels)
    if args.data == "imdb":
        train, test = imdb(args.data_path)
        source = "IMDB movie reviews (official 25,000/25,000 split)"
    elif args.test_data:
        train = load_texts(args.csv, args.text_column, args.label_column)
        test = load_texts(args.test_data, args.text_column, args.label_column)
        source = f"{args.csv} (test: {args.test_data})"
    else:
        data = (load_texts(args.csv, args.text_column, args.label_column) if args.csv
                else load_texts(args.folder))
        if not 0 < args.test < 1:
            raise RnnkitError(f"--test must be a fraction in (0, 1); got {args.test}.")
        labels = ["" if v is None else str(v) for v in data.labels]
        keep, held = stratified_split(labels, args.test, args.seed)
        if len(held) == 0:
            raise RnnkitError(f"--test {args.test} leaves no text for testing: every class "
                              "needs at least two texts.")
        train = TextDataset([data.texts[i] for i in keep], [data.labels[i] for i in keep])
        test = TextDataset([data.texts[i] for i in held], [data.labels[i] for i in held])
        source = str(args.csv or args.folder)
    return train, test, validation, source


def _classify_settings(args: argparse.Namespace) -> dict[str, Any]:
    """TextClassifier arguments: the preset's, then the options given."""
    from rnnkit.classification import PRESETS

    settings = dict(PRESETS[args.preset]) if args.preset else {}
    given = {
        "cell": args.cell, "num_words": args.num_words, "maxlen": args.maxlen,
        "padding": args.padding, "truncating": args.truncating,
        "embedding_dim": args.embedding_dim, "units": args.units, "dense": args.dense,
        "bidirectional": args.bidirectional, "dropout": args.dropout,
        "token_pattern": args.token_pattern, "validation": args.validation,
        "epochs": args.epochs, "batch_size": args.batch_size, "learning_rate": args.learning_rate,
        "patience": None if args.patience is None else (args.patience or None),
        "reduce_lr_patience": None if args.reduce_lr is None else (args.reduce_lr or None),
        "clip_norm": args.clip_norm or None, "seed": args.seed, "device": args.device,
        "verbose": not args.quiet, "pooling": args.pooling,
        "embedding_dropout": args.embedding_dropout, "weight_decay": args.weight_decay,
        "schedule": args.schedule, "pretrained_lr_scale": args.pretrained_lr_scale,
        "ngrams": args.ngrams, "ngram_buckets": args.ngram_buckets,
        "ngram_dropout": args.ngram_dropout, "state_dir": _state_dir(args.out),
        "refit": args.refit or None,
    }
    if args.pretrained is not None:
        settings |= _language_model_shape(args.pretrained) | {"pretrained": str(args.pretrained)}
    settings |= {k: v for k, v in given.items() if v is not None}
    if settings.get("maxlen") == "none":
        settings["maxlen"] = None  # whole texts
    if args.patience == 0:
        settings["patience"] = None
    if args.reduce_lr == 0:
        settings["reduce_lr_patience"] = None
    if args.one_hot:
        settings["embedding_dim"] = None
    return settings


def cmd_classify(args: argparse.Namespace) -> int:
    from rnnkit.classification import TextClassifier
    from rnnkit.plots import plot_confusion, plot_history

    train, test, validation, source = _classify_data(args)
    settings = _classify_settings(args)
    clf = TextClassifier(**settings)
    clf._validated_params()  # argument errors before any data work

    _say(f"Data: {source}: {len(train):,} training texts, {len(test):,} test texts")
    counts = train.class_counts()
    shown = counts if len(counts) <= 10 else f"{len(counts)} classes"
    _say(f"  classes (training): {shown}")
    if validation is not None:
        _say(f"  validation: {len(validation[0]):,} texts of {args.validation_data}")
    _say()
    clf.fit(train.texts, train.labels, validation_data=validation, resume=args.resume)
    _say(clf.summary())
    h = clf.history_
    stop = "early stopping" if h.stopped_early else "all epochs"
    chosen = [f"{name} {value} (auto)" for name, value, param in (
        ("num_words", clf.num_words_, clf.num_words), ("maxlen", clf.maxlen_, clf.maxlen))
        if param == "auto"]
    if chosen:
        _say("Chosen from the training texts: " + ", ".join(chosen) + ".")
    _say(f"Trained {len(h.records)} epochs ({stop}; best epoch {h.best_epoch} restored), "
         f"{h.seconds_per_epoch:.1f} s/epoch; vocabulary {clf.vocabulary_.size:,} ids.")
    evaluation = clf.evaluate(test.texts, test.labels)
    _say()
    _say(f"On the {len(test):,} test texts:")
    _say(str(evaluation))

    out = args.out
    clf.save(out)
    _remove_state(out)
    evaluation.metrics.to_csv(out / "metrics.csv")
    evaluation.confusion.to_csv(out / "confusion.csv")
    h.to_frame().to_csv(out / "history.csv", index=False)
    plot_history(h.to_frame(), out / "loss.png", h.best_epoch,
                 title=f"{clf.model_name} training history")
    plot_confusion(evaluation.confusion, out / "confusion.png",
                   title=f"{clf.model_name} on the test texts")
    examples = test.texts[:3]
    proba = clf.predict_proba(examples)
    _say()
    _say("Examples:")
    for text, row in zip(examples, proba, strict=True):
        label = clf.classes_[int(row.argmax())]
        _say(f"  {label} ({row.max():.2f})  {text[:70]!r}")
    _say()
    _say(f"Saved model: {out}/ (config.json, weights.safetensors, preprocessing.json)")
    _say(f"Plots: {out / 'loss.png'}, {out / 'confusion.png'}; tables: {out / 'metrics.csv'}, "
         f"{out / 'confusion.csv'}, {out / 'history.csv'}")
    _say(f"Try: rnnkit predict {out} \"A wonderful, moving film.\"; serve it over HTTP: "
         f"rnnkit serve {out}")
    return 0


def _language_model_shape(path: Path) -> dict[str, Any]:
    """The cell, embedding size and units of a saved language model, which a classifier
    starting from it must share (options given explicitly still win, and are checked)."""
    from rnnkit.io import read_model_dir

    network = read_model_dir(path, estimator="TextLanguageModel").config["network"]
    return {"cell": network["cell"], "embedding_dim": network["embedding_dim"],
            "units": list(network["units"])}


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
    _write_output(text_out, args.output, f"{len(rows)} predictions")
    return 0


def load_texts_column(path: Path, column: str) -> list[str]:
    """The texts of one column of a CSV/TSV/JSONL file, for prediction (no labels needed)."""
    from rnnkit.data.text_datasets import load_texts

    data = load_texts(path, column, column)
    return data.texts


def _write_output(text: str, output: Path | None, what: str) -> None:
    if output:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text)
        print(f"wrote {what} to {output}", file=sys.stderr)
    else:
        sys.stdout.write(text)


def cmd_predict(args: argparse.Namespace) -> int:
    import rnnkit
    from rnnkit.classification import TextClassifier
    from rnnkit.data.series import load_csv, load_long_csv
    from rnnkit.errors import RnnkitError
    from rnnkit.inference import forecast
    from rnnkit.validation import Number, PositiveInt

    if args.level is not None:
        Number(0.0, 1.0, low_open=True, high_open=True).check("--level", args.level)
    model = rnnkit.load(str(args.model))
    if isinstance(model, TextClassifier):
        return _predict_texts(model, args)
    if not hasattr(model, "forecast"):
        raise RnnkitError(f"{str(args.model)!r} is a language model: it predicts nothing on "
                          "its own; start a classifier from it (rnnkit classify --pretrained "
                          f"{args.model}).")
    if args.texts:
        raise RnnkitError(f"{str(args.model)!r} is a forecaster; it takes --csv, not texts.")
    if args.id and not model.schema_.several:
        raise RnnkitError(f"--id is for models of several series; {str(args.model)!r} holds one.")
    recent = future_x = None
    if args.csv is not None and model.schema_.several:
        if not (args.id and args.target):
            raise RnnkitError(f"{str(args.model)!r} forecasts several series: name the columns "
                              "of --csv with --id (the series) and --target (the values), and "
                              "--time (the dates) if it has them.")
        if model.schema_.time_column and not args.time:
            raise RnnkitError(f"{str(args.model)!r} was trained on dated series: name the date "
                              "column of --csv with --time.")
        recent = load_long_csv(args.csv, args.id, args.target, args.time, args.fill)
    elif args.csv is not None:
        recent, future_x = load_csv(args.csv, args.target or model.schema_.target,
                                    args.time or model.schema_.time_column,
                                    list(model.feature_names_), args.fill)
    result = forecast(model, recent, future_x, args.horizon, args.level, args.id, args.time,
                      max_horizon=PositiveInt().check("--max-horizon", args.max_horizon))
    for message in result.warnings:
        print(f"warning: {message}", file=sys.stderr)
    if args.format == "json":
        from rnnkit.inference import to_records

        text = json.dumps(result.about | {"forecasts": to_records(result.frame)}, indent=2) + "\n"
    else:
        text = result.frame.to_csv(index=False)
    _write_output(text, args.output, f"{len(result.frame)} forecasts")
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    import shlex

    from rnnkit.compare import (
        compare_classifiers,
        compare_forecasters,
        format_summary,
        summarize,
        write_report,
    )
    from rnnkit.errors import RnnkitError

    text_task = args.data == "imdb" or bool(args.text_column or args.label_column)
    shared = {"units": args.units, "dense": args.dense, "epochs": args.epochs,
              "batch_size": args.batch_size, "dropout": args.dropout,
              "verbose": not args.quiet}
    if args.patience is not None:
        shared["patience"] = args.patience or None
    common = {"cells": args.cells, "seeds": args.seeds,
              "bidirectional": {"no": False, "yes": True}.get(args.bidirectional, "both")}
    if text_task:
        from rnnkit.classification import PRESETS, stratified_split
        from rnnkit.data.text_datasets import TextDataset, imdb, load_texts

        if args.data == "imdb":
            train, test = imdb(args.data_path)
        else:
            if args.csv is None:
                raise RnnkitError("texts need --data imdb or --csv with --text-column and "
                                  "--label-column.")
            data = load_texts(args.csv, args.text_column or "text", args.label_column or "label")
            keep, held = stratified_split(["" if v is None else str(v) for v in data.labels],
                                          args.test, 0)
            train = TextDataset([data.texts[i] for i in keep], [data.labels[i] for i in keep])
            test = TextDataset([data.texts[i] for i in held], [data.labels[i] for i in held])
        if args.preset and args.preset not in PRESETS:
            raise RnnkitError(f"--preset must be one of {', '.join(PRESETS)}; got "
                              f"{args.preset!r}.")
        given = {"num_words": args.num_words, "maxlen": args.maxlen,
                 "embedding_dim": args.embedding_dim} | shared
        # flags left out must not erase the preset's values
        settings = {k: v for k, v in PRESETS.get(args.preset, {}).items()
                    if k not in ("cell", "bidirectional")}
        settings |= {k: v for k, v in given.items() if v is not None}
        runs = compare_classifiers(train, test, baselines=not args.no_baselines,
                                   **common, **settings)
    else:
        if args.window is not None:
            shared["window"] = args.window
        settings = {k: v for k, v in shared.items() if v is not None}
        if args.csv is not None:
            if not args.target:
                raise RnnkitError("--target is required with --csv for a series (or give "
                                  "--text-column/--label-column for texts).")
            from rnnkit.data.series import load_csv

            data, _ = load_csv(args.csv, args.target, args.time, args.features)
            import pandas as pd

            y = pd.Series(data.target, index=data.index, name=data.target_name)
            X = (pd.DataFrame(data.features, index=data.index,
                              columns=list(data.feature_names)) if data.feature_names else None)
        else:
            from rnnkit.datasets import airline

            y, X = airline(), None
        runs = compare_forecasters(y, X, test=args.test, statistical=not args.no_baselines,
                                   **common, **settings)
    summary = summarize(runs)
    _say(format_summary(summary, runs.attrs["metrics"]))
    command = "rnnkit " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    files = write_report(runs, args.out, command)
    _say()
    _say(f"Report: {files['report']}")
    _say(f"Tables: {files['results']}, {files['json']}, {files['summary']}")
    _say("Figures: " + ", ".join(str(files[k]) for k in
                                 ("bars", "losses", "forecasts", "confusions") if k in files))
    return 0


def cmd_explain(args: argparse.Namespace) -> int:
    import rnnkit
    from rnnkit.classification import TextClassifier
    from rnnkit.errors import RnnkitError

    if args.gradient_flow:
        return _gradient_flow(args)
    if args.model is None:
        raise RnnkitError("explain needs a model directory (or --gradient-flow).")
    model = rnnkit.load(str(args.model))
    out = args.out or args.model / "explain"
    from rnnkit.explain import explain_series, explain_text

    if isinstance(model, TextClassifier):
        if not args.text:
            raise RnnkitError(f"give the text to explain: rnnkit explain {args.model} "
                              "\"some text\".")
        files = explain_text(model, args.text, out)
    else:
        if args.text:
            raise RnnkitError(f"{str(args.model)!r} is a forecaster; explain a series with "
                              "--csv, not a text.")
        from rnnkit.data.series import load_csv, load_long_csv

        key = None
        if args.csv is None:  # what the model remembers: the input of its next forecast
            if model.schema_.several and not args.series:
                raise RnnkitError(f"{str(args.model)!r} forecasts several series: name the one "
                                  "to explain with --series (and give more of it with --csv).")
            state = model.series_state(
                _named_series({str(k): k for k in model.schema_.series}, args.series,
                              repr(str(args.model))) if model.schema_.several else None)
            key, data = state.key, state.recent
            _say(f"Explaining the last {len(data)} values the model remembers, which its next "
                 f"forecast reads ({_span(data.index)}); --csv explains more of the series.")
        elif model.schema_.several:
            if not (args.id and args.target and args.series):
                raise RnnkitError(f"{str(args.model)!r} forecasts several series: name the "
                                  "columns of --csv with --id and --target (and --time), and "
                                  "the series to explain with --series.")
            found = {str(k): (k, d) for k, d in load_long_csv(args.csv, args.id, args.target,
                                                               args.time, model.fill)}
            key, data = _named_series(found, args.series, "--csv")
        else:
            schema = model.schema_
            data, _ = load_csv(args.csv, schema.target, args.time or schema.time_column,
                               list(schema.features), model.fill)
        # the parsed series itself: it keeps its position in the season and its row names
        files = explain_series(model, data, None, out, series=key)
    _say(f"Figure: {files['png']}\nPage: {files['html']}\nTrace: {files['csv']}")
    return 0


def _named_series(found: dict[str, Any], name: str, where: str) -> Any:
    """The series ``--series`` names among ``found`` (by their keys as text), or an error that
    lists some of those there are."""
    from rnnkit.errors import RnnkitError

    if name not in found:
        raise RnnkitError(f"--series: no series {name!r} in {where}; it has "
                          f"{', '.join(list(found)[:10])}" + (" …" if len(found) > 10 else "")
                          + ".")
    return found[name]


def _gradient_flow(args: argparse.Namespace) -> int:
    import torch

    import rnnkit
    from rnnkit.explain import gradient_flow, plot_gradient_flow
    from rnnkit.models.layers import CELLS
    from rnnkit.models.network import NetworkConfig, RecurrentNetwork
    from rnnkit.validation import PositiveInt

    steps = PositiveInt().check("--steps", args.steps)
    PositiveInt().check("--units", args.units)
    PositiveInt().check("--batch", args.batch)
    torch.manual_seed(args.seed)
    networks = {}
    if args.model is not None:
        model = rnnkit.load(str(args.model))
        base = model.network_.config
        # an ensemble's networks each have their own gradients (a median has none to speak of)
        members = list(getattr(model.network_, "members", [model.network_]))
        for k, member in enumerate(members[:3], 1):
            label = f" (network {k} of {len(members)})" if len(members) > 1 else ""
            networks[f"trained {model.model_name}{label}"] = member.cpu()
    else:
        base = NetworkConfig("lstm", 8, (args.units,), 1)
    for cell, name in CELLS.items():  # fresh networks of each cell, same shape
        networks[f"fresh {name}"] = RecurrentNetwork(
            NetworkConfig.from_dict(base.to_dict() | {"cell": cell}))
    gen = torch.Generator().manual_seed(args.seed)
    if base.tokens:
        x = torch.randint(3, base.input_size, (args.batch, steps), generator=gen)
    else:
        x = torch.randn(args.batch, steps, base.input_size, generator=gen)
    flow = gradient_flow(networks, x)
    out = args.out or (args.model / "explain" if args.model else Path("runs/gradient-flow"))
    out.mkdir(parents=True, exist_ok=True)
    flow.to_csv(out / "gradient_flow.csv", index=False)
    png = plot_gradient_flow(flow, out / "gradient_flow.png",
                             title=f"Gradient flow over {steps} steps: ‖∂L/∂x_t‖ vs distance "
                                   "from the output")
    far = flow[flow["distance"] == steps - 1].set_index("model")["norm"]
    near = flow[flow["distance"] == 0].set_index("model")["norm"]
    for name in networks:
        _say(f"{name:>22}: gradient norm {near[name]:.3g} at the last step, "
             f"{far[name]:.3g} {steps - 1} steps back (ratio {far[name] / near[name]:.2g})")
    _say(f"Figure: {png}\nTable: {out / 'gradient_flow.csv'}")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    import rnnkit
    from rnnkit.export import export_onnx

    model = rnnkit.load(str(args.model))
    path = export_onnx(model, args.out or args.model / "model.onnx")
    _say(f"Wrote {path} ({path.stat().st_size:,} bytes); onnxruntime matches PyTorch on "
         "sample inputs. Its inputs and preprocessing: rnnkit export --help.")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import os

    from rnnkit.errors import RnnkitError
    from rnnkit.serve import load_model
    from rnnkit.validation import Number, PositiveInt

    token = args.token or os.environ.get("RNNKIT_TOKEN") or None
    local = args.host in ("127.0.0.1", "localhost", "::1")
    if not local and token is None and not args.insecure:
        raise RnnkitError(f"--host {args.host} listens beyond this machine: give --token (or "
                          "RNNKIT_TOKEN) so that only clients with it are answered, or "
                          "--insecure to serve anyone who can reach it.")
    for name in ("workers", "max_horizon", "max_connections"):
        PositiveInt().check(f"--{name.replace('_', '-')}", getattr(args, name))
    for name in ("deadline", "idle_timeout", "body_timeout"):
        Number(0.0, low_open=True).check(f"--{name.replace('_', '-')}", getattr(args, name))
    try:
        import fastapi  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError:
        if args.workers > 1 or token is not None:
            raise RnnkitError("--workers and --token need the serve extra: pip install "
                              "'rnnkit[serve]' (FastAPI and uvicorn).") from None
        return _serve_stdlib(args, local)
    model = load_model(args.model, args.runtime)  # here first: a bad folder is one line
    if not local and token is None:
        print(f"warning: listening on {args.host}, beyond this machine, with no "
              "authentication (--insecure): anyone who can reach it can query the model.",
              file=sys.stderr)
    return _serve_uvicorn(args, model, token)


def _serve_stdlib(args: argparse.Namespace, local: bool) -> int:
    from rnnkit.serve import make_server

    server = make_server(args.model, args.host, args.port, quiet=args.quiet,
                         max_horizon=args.max_horizon, runtime=args.runtime)
    if not local:
        print(f"warning: listening on {args.host}, beyond this machine, with no "
              "authentication: anyone who can reach it can query the model.", file=sys.stderr)
    # flushed at once: a script that starts the server waits for this line to learn the port
    print(f"serving {server.model.model_name} from {args.model} at {server.url} "
          f"(GET / for an example request; Ctrl+C stops)", flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()
    return 0


def _serve_uvicorn(args: argparse.Namespace, model: Any, token: str | None) -> int:
    import os
    import socket

    import uvicorn

    from rnnkit.app import ENV_PREFIX, create_app
    from rnnkit.errors import RnnkitError
    from rnnkit.threads import available_cores

    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # inherited by every accepted connection: without it, the answer's headers and body wait
    # for the client's delayed acknowledgement (Nagle), about 40 ms per request
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((args.host, args.port))
    except OSError as exc:
        raise RnnkitError(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}; "
                          "choose another --port (0 picks a free one) or --host.") from None
    sock.set_inheritable(True)
    sock.listen(2048)  # clients queue from now on, while uvicorn (or its workers) starts
    port = sock.getsockname()[1]
    settings = dict(timeout_keep_alive=args.idle_timeout, limit_concurrency=args.max_connections,
                    log_level="warning" if args.quiet else "info", access_log=not args.quiet)
    if args.workers == 1:
        app = create_app(model, token=token, max_horizon=args.max_horizon,
                         deadline=args.deadline, body_timeout=args.body_timeout)
        config = uvicorn.Config(app, **settings)
    else:  # each worker loads the model itself, with its share of the cores
        os.environ.setdefault("RNNKIT_THREADS", str(max(1, available_cores() // args.workers)))
        os.environ.update({f"{ENV_PREFIX}MODEL": str(args.model),
                           f"{ENV_PREFIX}RUNTIME": args.runtime,
                           f"{ENV_PREFIX}MAX_HORIZON": str(args.max_horizon),
                           f"{ENV_PREFIX}DEADLINE": str(args.deadline),
                           f"{ENV_PREFIX}BODY_TIMEOUT": str(args.body_timeout)})
        if token is not None:
            os.environ["RNNKIT_TOKEN"] = token
        config = uvicorn.Config("rnnkit.app:app_from_env", factory=True, workers=args.workers,
                                **settings)
    host = f"[{args.host}]" if family == socket.AF_INET6 else args.host
    # flushed at once: a script that starts the server waits for this line to learn the port
    print(f"serving {model.model_name} from {args.model} at http://{host}:{port} with "
          f"{args.workers} worker{'s' * (args.workers > 1)} (GET /docs for the API; Ctrl+C "
          "stops)", flush=True)
    server = uvicorn.Server(config)
    if args.workers == 1:
        server.run(sockets=[sock])
    else:
        from uvicorn.supervisors import Multiprocess

        Multiprocess(config, sockets=[sock]).run()
    return 0


def _state_dir(out: Path) -> str:
    """Where a run's per-epoch state goes: beside the model folder, which only ever holds a
    finished model."""
    return str(out.with_name(out.name + ".state"))


def _remove_state(out: Path) -> None:
    """The run is finished and saved: its state has nothing left to resume."""
    import shutil

    shutil.rmtree(_state_dir(out), ignore_errors=True)


def cmd_pretrain(args: argparse.Namespace) -> int:
    from rnnkit.data.text_datasets import imdb, imdb_unlabeled
    from rnnkit.language_model import TextLanguageModel

    lm = TextLanguageModel(
        cell=args.cell, num_words=args.num_words, embedding_dim=args.embedding_dim,
        units=args.units, window=args.window, dropout=args.dropout,
        embedding_dropout=args.embedding_dropout, epochs=args.epochs,
        batch_size=args.batch_size, learning_rate=args.learning_rate,
        weight_decay=args.weight_decay, seed=args.seed, device=args.device,
        verbose=not args.quiet, state_dir=_state_dir(args.out))
    lm._validated_params()  # argument errors before any data work
    if args.data == "imdb":
        train, _ = imdb(args.data_path)
        texts = imdb_unlabeled(args.data_path) + list(train.texts)
        source = "IMDB: 50,000 unlabelled + 25,000 training reviews (no test reviews)"
    else:
        texts = load_texts_column(args.csv, args.text_column)
        source = str(args.csv)
    _say(f"Data: {source}: {len(texts):,} texts")
    lm.fit(texts, resume=args.resume)
    for record in lm.history_.records:
        _say(f"  epoch {record['epoch']}: held-out perplexity {record['val_perplexity']:.1f} "
             f"({record['seconds']:.0f} s, {record['tokens_per_s']:,.0f} words/s)"
             if "tokens_per_s" in record else
             f"  epoch {record['epoch']}: held-out perplexity {record['val_perplexity']:.1f}")
    lm.save(args.out)
    config = lm.network_.config
    _say(f"Vocabulary {lm.vocabulary_.size:,} ids (uniform guessing: perplexity "
         f"{lm.num_words_:,}).")
    _say(f"Saved language model: {args.out}/; use it: rnnkit classify ... --pretrained "
         f"{args.out} --cell {config.cell} --embedding-dim {config.embedding_dim} --units "
         f"{','.join(map(str, config.units))}")
    return 0


def cmd_summary(args: argparse.Namespace) -> int:
    import rnnkit

    model = rnnkit.load(str(args.model))
    _say(model.summary())
    return 0


def _show_warning(message: Warning | str, category: type[Warning], filename: str, lineno: int,
                  file: Any = None, line: str | None = None) -> None:
    """Warnings the commands do not print themselves, as one line like the errors (not
    Python's ``path:line: UserWarning: ...``)."""
    print(f"warning: {message}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``rnnkit`` command."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")
    from rnnkit.errors import RnnkitError

    try:
        with warnings.catch_warnings(), _threads_setting(args.threads):
            warnings.showwarning = _show_warning  # Python's own display returns with main
            return args.handler(args)
    except RnnkitError as exc:
        print(f"rnnkit: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("rnnkit: interrupted", file=sys.stderr)
        return 130


@contextlib.contextmanager
def _threads_setting(threads: int | None) -> Iterator[None]:
    """``--threads N`` for the estimators' thread policy, which reads it wherever ``threads``
    is left unset; the environment is restored after (``main`` may run inside a program)."""
    import os

    before = os.environ.get("RNNKIT_THREADS")
    if threads is not None:
        os.environ["RNNKIT_THREADS"] = str(threads)
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("RNNKIT_THREADS", None)
        else:
            os.environ["RNNKIT_THREADS"] = before


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
