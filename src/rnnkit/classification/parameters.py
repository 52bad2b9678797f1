"""The :class:`~rnnkit.TextClassifier`'s parameters as data (see :mod:`rnnkit.parameters`);
``rnnkit classify``'s options are built from this table.

>>> CLASSIFIER["units"].default
(32,)
"""

from __future__ import annotations

from rnnkit.limits import MAX_EMBEDDING_DIM, MAX_LAYERS, MAX_UNITS, MAX_VOCABULARY
from rnnkit.parameters import CELL_NAMES, Parameter, training_parameters
from rnnkit.validation import (
    Boolean,
    Choice,
    Choices,
    IntList,
    Number,
    Optional,
    OrAuto,
    PathLike,
    PositiveInt,
    TokenPattern,
)

__all__ = ["CLASSIFIER", "MAX_NGRAM_BUCKETS"]

MAX_NGRAM_BUCKETS = 2**24  # rows of the word-pair table: 64 MiB of float32 per output

CLASSIFIER: dict[str, Parameter] = {
    "cell": Parameter("lstm", Choice(CELL_NAMES),
                      "recurrent cell: rnn (SimpleRNN, tanh), lstm or gru"),
    "num_words": Parameter("auto", OrAuto(PositiveInt(minimum=4, maximum=MAX_VOCABULARY)),
                           "vocabulary size incl. 3 reserved ids, or auto: the words seen at "
                           "least twice that make up 95% of the training tokens, at most "
                           "50,000"),
    "maxlen": Parameter("auto", OrAuto(Optional(PositiveInt(minimum=2))),
                        "ids kept per text (start id included), none for whole texts, or "
                        "auto: the 95th percentile of the training texts' lengths"),
    "padding": Parameter("pre", Choice(("pre", "post")), "pad before/after"),
    "truncating": Parameter("pre", Choice(("pre", "post")),
                            "drop tokens from the start/end of long texts"),
    "embedding_dim": Parameter(32, Optional(PositiveInt(maximum=MAX_EMBEDDING_DIM)),
                               "word-vector size (none: one-hot inputs)"),
    "units": Parameter((32,), IntList(maximum=MAX_UNITS, max_items=MAX_LAYERS),
                       "units per recurrent layer, comma-separated"),
    "bidirectional": Parameter(False, Boolean(), "read texts both ways"),
    "dropout": Parameter(0.2, Number(0.0, 1.0, high_open=True),
                         "dropout after each recurrent and dense layer"),
    "dense": Parameter((), IntList(allow_empty=True, maximum=MAX_UNITS, max_items=MAX_LAYERS),
                       "hidden ReLU layers of the head, comma-separated ('' for none)"),
    "token_pattern": Parameter(None, TokenPattern(allow_none=True),
                               "regular expression for tokens (default: words split on "
                               "whitespace after dropping punctuation)"),
    "validation": Parameter(0.2, Number(0.0, 1.0, low_open=True, high_open=True),
                            "stratified validation fraction of the training texts"),
    **training_parameters(epochs=20, batch_size=64, what="texts", patience=3,
                          reduce_lr_patience=2),
    "pooling": Parameter("last", Choices(("last", "max", "mean", "attention")),
                         "what the head reads over each text's real tokens: last, max, mean, "
                         "attention, or several joined by commas, e.g. max,mean"),
    "embedding_dropout": Parameter(0.0, Number(0.0, 1.0, high_open=True),
                                   "fraction of words whose whole vector is dropped in "
                                   "training"),
    "weight_decay": Parameter(0.0, Number(0.0), "AdamW's decoupled weight decay (0: Adam)"),
    "schedule": Parameter("plateau", Choice(("plateau", "warmup-cosine", "constant")),
                          "learning-rate schedule: plateau (halve after --reduce-lr epochs "
                          "without improvement), warmup-cosine (warm-up over the first 10% "
                          "of the planned epochs' batches, then cosine decay) or constant"),
    "pretrained": Parameter(None, Optional(PathLike()),
                            "start from a language model of 'rnnkit pretrain' (its "
                            "vocabulary, word vectors and recurrent weights); --cell, "
                            "--embedding-dim and --units default to its own"),
    "pretrained_lr_scale": Parameter(0.5, Number(0.0, 1.0, low_open=True),
                                     "learning rate of the pretrained weights, as a fraction "
                                     "of the learning rate"),
    "ngrams": Parameter(0, PositiveInt(minimum=0, maximum=2),
                        "add a linear bag of n-grams to the network's output: 1 words, 2 "
                        "words and adjacent pairs, 0 none"),
    "ngram_buckets": Parameter(2**20, PositiveInt(minimum=1, maximum=MAX_NGRAM_BUCKETS),
                               "rows the word pairs are hashed into"),
    "ngram_dropout": Parameter(0.0, Number(0.0, 1.0, high_open=True),
                               "fraction of n-grams dropped in training"),
    "refit": Parameter(False, Boolean(),
                       "after early stopping, train again on all the texts (validation ones "
                       "included) for the best number of epochs"),
    "pseudo_label_threshold": Parameter(
        0.8, Number(0.0, 1.0, low_open=True),
        "with unlabelled texts (fit(..., unlabeled=...), --unlabeled-data): the least "
        "probability at which a model trained on the labelled texts labels one for a second "
        "model to learn from"),
}
