"""``rnnkit compare``: SimpleRNN, LSTM and GRU under the same budget, with honest baselines,
written as a report."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from rnnkit.cli.common import say
from rnnkit.cli.options import csv_list

__all__ = ["add_parser", "cmd_compare"]


def add_parser(sub: Any) -> None:
    """``rnnkit compare``'s options."""
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
    d.add_argument("--features", type=csv_list, default=[], help="series: extra input columns")
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


def cmd_compare(args: argparse.Namespace) -> int:
    import shlex

    from rnnkit.compare import format_summary, summarize, write_report

    shared = {"units": args.units, "dense": args.dense, "epochs": args.epochs,
              "batch_size": args.batch_size, "dropout": args.dropout,
              "verbose": not args.quiet}
    if args.patience is not None:
        shared["patience"] = args.patience or None
    common = {"cells": args.cells, "seeds": args.seeds,
              "bidirectional": {"no": False, "yes": True}.get(args.bidirectional, "both")}
    if args.data == "imdb" or bool(args.text_column or args.label_column):
        runs = _compare_texts(args, shared, common)
    else:
        runs = _compare_series(args, shared, common)
    summary = summarize(runs)
    say(format_summary(summary, runs.attrs["metrics"]))
    command = "rnnkit " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    files = write_report(runs, args.out, command)
    say()
    say(f"Report: {files['report']}")
    say(f"Tables: {files['results']}, {files['json']}, {files['summary']}")
    say("Figures: " + ", ".join(str(files[k]) for k in
                                ("bars", "losses", "forecasts", "confusions") if k in files))
    return 0


def _compare_texts(args: argparse.Namespace, shared: dict[str, Any],
                   common: dict[str, Any]) -> Any:
    """Every cell's runs and the baselines on texts: IMDB, or --csv split stratified."""
    from rnnkit.classification import PRESETS, stratified_split
    from rnnkit.classification.presets import PRETRAINING
    from rnnkit.compare import compare_classifiers
    from rnnkit.data.text_datasets import TextDataset, imdb, load_texts
    from rnnkit.errors import RnnkitError

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
    if args.preset in PRETRAINING:
        raise RnnkitError(f"compare trains every cell from scratch; the {args.preset!r} "
                          "preset starts from a pretrained LSTM language model, so use "
                          "`rnnkit classify` for it.")
    given = {"num_words": args.num_words, "maxlen": args.maxlen,
             "embedding_dim": args.embedding_dim} | shared
    # flags left out must not erase the preset's values
    settings = {k: v for k, v in PRESETS.get(args.preset, {}).items()
                if k not in ("cell", "bidirectional")}
    settings |= {k: v for k, v in given.items() if v is not None}
    return compare_classifiers(train, test, baselines=not args.no_baselines, **common,
                               **settings)


def _compare_series(args: argparse.Namespace, shared: dict[str, Any],
                    common: dict[str, Any]) -> Any:
    """Every cell's runs and the baselines on a series: --csv, or the airline data."""
    from rnnkit.compare import compare_forecasters
    from rnnkit.errors import RnnkitError

    if args.window is not None:
        shared = shared | {"window": args.window}
    settings = {k: v for k, v in shared.items() if v is not None}
    if args.csv is not None:
        if not args.target:
            raise RnnkitError("--target is required with --csv for a series (or give "
                              "--text-column/--label-column for texts).")
        from rnnkit.data.series import load_csv

        data, _ = load_csv(args.csv, args.target, args.time, args.features)
        y, X = data.to_pandas()
    else:
        from rnnkit.datasets import airline

        y, X = airline(), None
    return compare_forecasters(y, X, test=args.test, statistical=not args.no_baselines,
                               **common, **settings)
