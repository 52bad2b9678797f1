"""Choose a supervised IMDB set-up on validation reviews, then score the choice on the test
reviews once, next to TF-IDF + logistic regression trained on the same reviews.

Protocol: the 25,000 training reviews are split 20,000 / 5,000 (stratified, seed 0); every
candidate trains on the 20,000 and early-stops on the 5,000, and candidates are compared on
their accuracy there. ``--test NAME`` then scores candidate NAME on the 25,000 test reviews;
TF-IDF + logistic regression (unigrams and bigrams) is fitted on the same 20,000 reviews and
scored on the same test reviews in that run.

    python benchmarks/imdb_select.py --path ../shared/data/aclImdb_v1.tar.gz --candidates bilstm-max
    python benchmarks/imdb_select.py --path ... --candidates bilstm-max --test bilstm-max
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from _results import add_row, machine
from imdb import DEFAULT_PATH

from rnnkit import TextClassifier, datasets
from rnnkit.classification import stratified_split
from rnnkit.classification.presets import PRESETS

CANDIDATES = {
    # one BiLSTM over whole reviews, read by max and mean pooling, regularised
    "bilstm-max": dict(cell="lstm", num_words="auto", maxlen=None, embedding_dim=128,
                       units=[64], bidirectional=True, pooling="max,mean", dense=[],
                       dropout=0.3, embedding_dropout=0.2, weight_decay=0.01,
                       schedule="warmup-cosine", learning_rate=2e-3, epochs=6,
                       patience=None, batch_size=64),
    # bilstm-max mixed with a bag of words and hashed word pairs started from naive Bayes
    # (TextClassifier(ngrams=2)), each trained with its own early stopping, the bag's share
    # chosen on validation texts; ngram_dropout 0.3: bag alone 0.912 vs 0.910 without
    "bilstm-ngrams": PRESETS["imdb-best"] | {"refit": False},
    # the same, then trained again on all 25,000 training reviews for the epochs chosen on
    # the validation ones (the imdb-best preset); it has no validation accuracy of its own
    "bilstm-ngrams-refit": PRESETS["imdb-best"],
    # bilstm-max reading only the last state (what the presets do)
    "bilstm-last": dict(cell="lstm", num_words="auto", maxlen=None, embedding_dim=128,
                        units=[64], bidirectional=True, pooling="last", dense=[],
                        dropout=0.3, embedding_dropout=0.2, weight_decay=0.01,
                        schedule="warmup-cosine", learning_rate=2e-3, epochs=6,
                        patience=None, batch_size=64),
    # unidirectional LSTM(128) started from `rnnkit pretrain --data imdb --units 128
    # --embedding-dim 128` (--pretrained PATH), fine-tuned with max and mean pooling
    "lstm-pretrained": dict(cell="lstm", maxlen=None, embedding_dim=128, units=[128],
                            pooling="max,mean", dense=[], dropout=0.3, embedding_dropout=0.1,
                            weight_decay=0.01, schedule="warmup-cosine", learning_rate=1e-3,
                            epochs=4, patience=None, batch_size=64, pretrained_lr_scale=0.5),
    # lstm-pretrained mixed with imdb-best's bag of word pairs, from the 5-epoch language
    # model of `rnnkit pretrain --data imdb --preset imdb-pretrained`
    "lstm-pretrained-ngrams": PRESETS["imdb-pretrained"] | {"refit": False,
                                                           "bidirectional": False},
    # the same with a BiLSTM(128), its forward direction from the language model (the
    # imdb-pretrained preset before its refit)
    "bilstm-pretrained-ngrams": PRESETS["imdb-pretrained"] | {"refit": False},
    # lstm-pretrained-ngrams trained again on all 25,000 training reviews for the epochs
    # chosen on the validation ones; tested while the BiLSTM had no validation score yet
    "lstm-pretrained-ngrams-refit": PRESETS["imdb-pretrained"] | {"bidirectional": False},
    # the imdb-pretrained preset: bilstm-pretrained-ngrams, refitted the same way
    "bilstm-pretrained-ngrams-refit": PRESETS["imdb-pretrained"],
    # bilstm-pretrained-ngrams from scratch (its own vocabulary): what pretraining adds
    "bilstm-scratch-ngrams": PRESETS["imdb-pretrained"] | {"refit": False,
                                                          "num_words": "auto"},
    # bilstm-ngrams trained on its own pseudo-labels of the 50,000 unlabelled reviews as well
    # (self-training: fit(..., unlabeled=...), those it labels at probability >= 0.8)
    "bilstm-ngrams-self-trained": PRESETS["imdb-best"] | {"refit": False},
    # the same network from scratch: what pretraining adds
    "lstm-scratch": dict(cell="lstm", num_words="auto", maxlen=None, embedding_dim=128,
                         units=[128], pooling="max,mean", dense=[], dropout=0.3,
                         embedding_dropout=0.1, weight_decay=0.01, schedule="warmup-cosine",
                         learning_rate=1e-3, epochs=4, patience=None, batch_size=64),
}
HEADER = ["| candidate | validation accuracy | test accuracy | TF-IDF test accuracy | epochs "
          "(best) | s/epoch | tokens/s | vocabulary | settings |",
          "|---|---:|---:|---:|---:|---:|---:|---:|---|"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--path", type=Path, default=DEFAULT_PATH)
    parser.add_argument("--candidates", nargs="+", default=list(CANDIDATES),
                        choices=list(CANDIDATES))
    parser.add_argument("--test", choices=list(CANDIDATES))
    parser.add_argument("--seed", type=int, default=0,
                        help="the validation split's and the network's (rows of another "
                             "seed than 0 are named with it)")
    parser.add_argument("--pretrained", type=Path,
                        help="the language model of the *pretrained* candidates")
    parser.add_argument("--labelled", type=int,
                        help="train on this many of the 20,000 training reviews (stratified), "
                             "as a user with few labels would; validation stays the 5,000")
    args = parser.parse_args()
    train, test = datasets.imdb(args.path, download=False)
    keep, held = stratified_split(train.labels, 0.2, args.seed)
    if args.labelled is not None:
        if not 2 <= args.labelled < len(keep):
            parser.error(f"--labelled must be from 2 to {len(keep) - 1:,}; got {args.labelled}")
        part, _ = stratified_split([train.labels[i] for i in keep],
                                   1 - args.labelled / len(keep), args.seed)
        keep = keep[part]
    unlabeled = (datasets.imdb_unlabeled(args.path, download=False)
                 if any("self-trained" in name for name in args.candidates) else None)
    texts = [train.texts[i] for i in keep]
    labels = [train.labels[i] for i in keep]
    dev = ([train.texts[i] for i in held], [train.labels[i] for i in held])
    for name in args.candidates:
        settings = CANDIDATES[name]
        if "pretrained" in name:
            if args.pretrained is None:
                parser.error(f"{name} needs --pretrained PATH (from rnnkit pretrain)")
            settings = settings | {"pretrained": str(args.pretrained)}
        start = time.perf_counter()
        clf = TextClassifier(**settings, seed=args.seed, verbose=True)
        clf.fit(texts, labels, validation_data=dev,
                unlabeled=unlabeled if "self-trained" in name else None)
        if clf.self_training_:
            print(f"{name}: self-training {clf.self_training_}", flush=True)
        seconds = time.perf_counter() - start
        history = clf.history_
        # the model as fitted (for ngrams, the mix of both parts), not one epoch's record; a
        # refit model has trained on the validation reviews
        val = (None if settings.get("refit") else
               float(np.mean(np.array(clf.predict(dev[0])) == np.array(dev[1]))))
        tokens = np.median([r["tokens_per_s"] for r in history.records])
        test_acc = bag_acc = "—"
        if name == args.test:
            evaluation = clf.evaluate(test.texts, test.labels)
            print(evaluation, flush=True)
            test_acc = f"**{evaluation.metrics.iloc[0]['accuracy']:.4f}**"
            bag_acc = f"{evaluation.metrics.loc['TF-IDF + logistic regression', 'accuracy']:.4f}"
        shown_val = "—" if val is None else f"{val:.4f}"
        print(f"{name}: validation accuracy {shown_val}, {seconds:.0f} s", flush=True)
        shown = ", ".join(f"{k}={v}" for k, v in settings.items())
        if clf.self_training_:  # its first model is the same candidate without self-training
            st = clf.self_training_
            shown += (f"; self-training: {st['pseudo_labeled']:,} of {st['unlabeled']:,} "
                      f"unlabelled reviews pseudo-labelled at >= {st['threshold']}, by a "
                      f"first model of validation accuracy {st['teacher_accuracy']:.4f}")
        row_name = name if args.seed == 0 else f"{name}, seed {args.seed}"
        if args.labelled is not None:
            row_name += f", {len(texts):,} labelled"
        add_row("imdb-select", [
            "## IMDB: a supervised set-up chosen on validation reviews", "",
            f"Command: `python benchmarks/imdb_select.py --candidates ... [--test NAME]`. "
            f"Machine of the latest row's run: {machine()} (earlier rows: the notes below "
            "give their dates). Train on 20,000 of the 25,000 training reviews (fewer where "
            "a row says how many are labelled), "
            "early-stop / compare on the other 5,000 (stratified, seed 0); the test reviews "
            "score only the chosen candidate, next to TF-IDF + logistic regression fitted on "
            "the same 20,000 reviews in the same run.", "", *HEADER],
            row_name,
            f"| {row_name} | {shown_val} | {test_acc} | {bag_acc} | {len(history.records)} "
            f"({history.best_epoch}) | {history.seconds_per_epoch:.0f} | {tokens:,.0f} | "
            f"{clf.vocabulary_.size:,} | {shown} |")


if __name__ == "__main__":
    main()
