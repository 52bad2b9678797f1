"""``rnnkit classify``: train a text classifier, score it on held-out texts next to the
majority class and TF-IDF + logistic regression, and save model, curves and tables. Options
left out come from ``--preset``, else from the estimator's defaults
(:data:`rnnkit.classification.parameters.CLASSIFIER`)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rnnkit.classification.parameters import CLASSIFIER
from rnnkit.classification.presets import PRESETS, PRETRAINING, needs_pretrained
from rnnkit.cli.common import (
    add_text_source,
    add_training_options,
    done_unless_first,
    launched,
    load_texts_column,
    remove_state,
    say,
    state_dir,
)
from rnnkit.cli.options import add_parameters, given

__all__ = ["add_parser", "cmd_classify"]

TEXT = ["num_words", "maxlen", "padding", "truncating", "embedding_dim", "units", "dense",
        "token_pattern", "validation", "pretrained", "pretrained_lr_scale", "pooling",
        "embedding_dropout", "weight_decay", "ngrams", "ngram_buckets", "ngram_dropout",
        "schedule", "pseudo_label_threshold"]
TRAINING = ["cell", "bidirectional", "dropout", "epochs", "batch_size", "learning_rate",
            "patience", "reduce_lr_patience", "clip_norm", "seed", "device", "refit"]
# verbose, state_dir and threads come from --quiet, --out and --threads; a checkpoint file
# is the Python API's
OPTIONS = TEXT + TRAINING


def _preset_text(settings: dict[str, Any]) -> str:
    bi = "Bi" if settings.get("bidirectional") else ""
    units = "→".join(f"{bi}{settings['cell'].upper()}({u})" for u in settings["units"])
    dense = "".join(f"→Dense({d})" for d in settings.get("dense", ()))
    bag = " + a bag of word pairs" if settings.get("ngrams") else ""
    words = (f"{settings['num_words']} words" if "num_words" in settings
             else "the language model's words")
    maxlen = settings.get("maxlen", "auto")
    length = "whole texts" if maxlen is None else f"{maxlen} tokens"
    return f"{words}, {length}, Embedding({settings['embedding_dim']})→{units}{dense}{bag}"


def add_parser(sub: Any) -> None:
    """``rnnkit classify``'s options."""
    c = sub.add_parser(
        "classify", help="train a text classifier, evaluate it on held-out texts, save it",
        description="Train a recurrent text classifier (binary or multi-class) on IMDB reviews "
                    "(--data imdb), a CSV/TSV/JSONL file (--csv) or a folder with one sub-folder "
                    "of .txt files per class (--folder); report accuracy, precision, recall, F1 "
                    "(and ROC AUC for two classes) next to the majority-class baseline; save the "
                    "model, curves and confusion matrix to --out. Unset options come from "
                    "--preset, else from the defaults shown.")
    d = c.add_argument_group("data")
    source = add_text_source(d, data_help="a named dataset (official train/test)",
                             csv_help="a CSV, TSV or JSONL file of texts and labels")
    source.add_argument("--folder", type=Path, help="a folder with one sub-folder per class")
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
    d.add_argument("--unlabeled-data", metavar="PATH|imdb",
                   help="unlabelled texts for self-training (see --pseudo-label-threshold): "
                        "a CSV, TSV or JSONL file with --text-column, or imdb for the "
                        "archive's 50,000 unlabelled reviews (with --data imdb)")
    m = c.add_argument_group("text and network")
    m.add_argument("--preset", choices=list(PRESETS),
                   help="a classic tutorial set-up: " + "; ".join(
                       f"{k}: {_preset_text(v)}" for k, v in PRESETS.items()))
    m.add_argument("--one-hot", action="store_true",
                   help="one-hot inputs instead of embeddings (--embedding-dim none)")
    add_parameters(m, CLASSIFIER, TEXT)
    add_training_options(c, CLASSIFIER, TRAINING)
    c.add_argument("--out", type=Path, default=Path("runs/classify"),
                   help="output directory (default: runs/classify)")
    c.set_defaults(handler=cmd_classify)


def _classify_settings(args: argparse.Namespace) -> dict[str, Any]:
    """TextClassifier arguments: the preset's, then a pretrained model's shape, then the
    options given."""
    from rnnkit.errors import RnnkitError

    settings = dict(PRESETS[args.preset]) if args.preset else {}
    if args.preset in PRETRAINING and args.pretrained is None:
        raise RnnkitError(needs_pretrained(args.preset))
    if args.pretrained is not None:
        settings |= _language_model_shape(args.pretrained)
    settings |= given(args, OPTIONS)
    if args.one_hot:
        settings["embedding_dim"] = None
    return settings | {"verbose": not args.quiet, "state_dir": state_dir(args.out)}


def _classify_data(args: argparse.Namespace, seed: int) -> tuple[Any, Any, Any, str]:
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
        keep, held = stratified_split(labels, args.test, seed)
        if len(held) == 0:
            raise RnnkitError(f"--test {args.test} leaves no text for testing: every class "
                              "needs at least two texts.")
        train = TextDataset([data.texts[i] for i in keep], [data.labels[i] for i in keep])
        test = TextDataset([data.texts[i] for i in held], [data.labels[i] for i in held])
        source = str(args.csv or args.folder)
    return train, test, validation, source


def _unlabeled_texts(args: argparse.Namespace) -> list[str] | None:
    """The texts of ``--unlabeled-data``, or None."""
    from rnnkit.data.text_datasets import imdb_unlabeled
    from rnnkit.errors import RnnkitError

    if args.unlabeled_data is None:
        return None
    if args.unlabeled_data == "imdb":
        if args.data != "imdb":
            raise RnnkitError("--unlabeled-data imdb goes with --data imdb (the same "
                              "archive's unlabelled reviews); give a file of texts otherwise.")
        return imdb_unlabeled(args.data_path)
    return load_texts_column(Path(args.unlabeled_data), args.text_column)


def cmd_classify(args: argparse.Namespace) -> int:
    from rnnkit.classification import TextClassifier
    from rnnkit.plots import plot_confusion, plot_history

    if (status := launched(args)) is not None:
        return status
    clf = TextClassifier(**_classify_settings(args))
    clf.check_params()  # argument errors before any data work
    train, test, validation, source = _classify_data(args, clf.seed)
    unlabeled = _unlabeled_texts(args)

    say(f"Data: {source}: {len(train):,} training texts, {len(test):,} test texts")
    counts = train.class_counts()
    shown = counts if len(counts) <= 10 else f"{len(counts)} classes"
    say(f"  classes (training): {shown}")
    if validation is not None:
        say(f"  validation: {len(validation[0]):,} texts of {args.validation_data}")
    if unlabeled is not None:
        say(f"  unlabelled: {len(unlabeled):,} texts of {args.unlabeled_data}, for "
            "self-training")
    say()
    clf.fit(train.texts, train.labels, validation_data=validation, resume=args.resume,
            unlabeled=unlabeled)
    done_unless_first()
    _report_training(clf)
    h = clf.history_
    evaluation = clf.evaluate(test.texts, test.labels)
    say()
    say(f"On the {len(test):,} test texts:")
    say(str(evaluation))

    out = args.out
    clf.save(out)
    remove_state(out)
    evaluation.metrics.to_csv(out / "metrics.csv")
    evaluation.confusion.to_csv(out / "confusion.csv")
    h.to_frame().to_csv(out / "history.csv", index=False)
    plot_history(h.to_frame(), out / "loss.png", h.best_epoch,
                 title=f"{clf.model_name} training history")
    plot_confusion(evaluation.confusion, out / "confusion.png",
                   title=f"{clf.model_name} on the test texts")
    examples = test.texts[:3]
    proba = clf.predict_proba(examples)
    say()
    say("Examples:")
    for text, row in zip(examples, proba, strict=True):
        label = clf.classes_[int(row.argmax())]
        say(f"  {label} ({row.max():.2f})  {text[:70]!r}")
    say()
    say(f"Saved model: {out}/ (config.json, weights.safetensors, preprocessing.json)")
    say(f"Plots: {out / 'loss.png'}, {out / 'confusion.png'}; tables: {out / 'metrics.csv'}, "
        f"{out / 'confusion.csv'}, {out / 'history.csv'}")
    say(f"Try: rnnkit predict {out} \"A wonderful, moving film.\"; serve it over HTTP: "
        f"rnnkit serve {out}")
    return 0


def _report_training(clf: Any) -> None:
    """What fitting chose and did: self-training's pseudo-labels, the layers, the automatic
    sizes, the epochs."""
    if clf.self_training_:
        st = clf.self_training_
        then = ("this model learned from them too" if st["pseudo_labeled"] else
                "so this model learned from the labelled texts alone")
        say(f"Self-training: a first model (validation accuracy {st['teacher_accuracy']:.4f}) "
            f"labelled {st['pseudo_labeled']:,} of the {st['unlabeled']:,} unlabelled texts "
            f"at probability >= {st['threshold']:g}; {then}.")
    say(clf.summary())
    h = clf.history_
    stop = "early stopping" if h.stopped_early else "all epochs"
    chosen = [f"{name} {value} (auto)" for name, value, param in (
        ("num_words", clf.num_words_, clf.num_words), ("maxlen", clf.maxlen_, clf.maxlen))
        if param == "auto"]
    if chosen:
        say("Chosen from the training texts: " + ", ".join(chosen) + ".")
    say(f"Trained {len(h.records)} epochs ({stop}; best epoch {h.best_epoch} restored), "
        f"{h.seconds_per_epoch:.1f} s/epoch; vocabulary {clf.vocabulary_.size:,} ids.")


def _language_model_shape(path: Path) -> dict[str, Any]:
    """The cell, embedding size and units of a saved language model, which a classifier
    starting from it must share (options given explicitly still win, and are checked)."""
    from rnnkit.io import read_model_dir

    network = read_model_dir(path, estimator="TextLanguageModel").config["network"]
    return {"cell": network["cell"], "embedding_dim": network["embedding_dim"],
            "units": list(network["units"])}
