"""The :class:`~rnnkit.TextLanguageModel`'s parameters as data (see :mod:`rnnkit.parameters`);
``rnnkit pretrain``'s options are built from this table.

>>> LANGUAGE_MODEL["window"].default
128
"""

from __future__ import annotations

from rnnkit.limits import MAX_EMBEDDING_DIM, MAX_LAYERS, MAX_UNITS, MAX_VOCABULARY, MAX_WINDOW
from rnnkit.parameters import CELL_NAMES, DEVICES, Parameter
from rnnkit.validation import (
    Boolean,
    Choice,
    IntList,
    Number,
    Optional,
    OrAuto,
    PathLike,
    PositiveInt,
)

__all__ = ["LANGUAGE_MODEL"]

LANGUAGE_MODEL: dict[str, Parameter] = {
    "cell": Parameter("lstm", Choice(CELL_NAMES), "recurrent cell: rnn, lstm or gru"),
    "num_words": Parameter("auto", OrAuto(PositiveInt(minimum=4, maximum=MAX_VOCABULARY)),
                           "vocabulary size incl. 3 reserved ids, or auto (as classify's)"),
    "embedding_dim": Parameter(128, PositiveInt(maximum=MAX_EMBEDDING_DIM), "word-vector size"),
    "units": Parameter((128,), IntList(maximum=MAX_UNITS, max_items=MAX_LAYERS),
                       "units per layer, comma-separated"),
    "dropout": Parameter(0.1, Number(0.0, 1.0, high_open=True), "dropout after each layer"),
    "embedding_dropout": Parameter(0.1, Number(0.0, 1.0, high_open=True),
                                   "fraction of words whose whole vector is dropped"),
    "window": Parameter(128, PositiveInt(minimum=2, maximum=MAX_WINDOW),
                        "words per training sequence"),
    "validation": Parameter(0.02, Number(0.0, 1.0, low_open=True, high_open=True),
                            "fraction of the texts held out to report perplexity"),
    "epochs": Parameter(3, PositiveInt(), "passes over the texts"),
    "batch_size": Parameter(64, PositiveInt(), "sequences per batch"),
    "learning_rate": Parameter(2e-3, Number(0.0, low_open=True),
                               "peak learning rate (warm-up, then cosine decay)"),
    "weight_decay": Parameter(0.0, Number(0.0), "AdamW weight decay"),
    "schedule": Parameter("warmup-cosine", Choice(("plateau", "warmup-cosine", "constant")),
                          "learning-rate schedule"),
    "clip_norm": Parameter(1.0, Optional(Number(0.0, low_open=True)),
                           "clip the global gradient norm to this (none or 0: off)"),
    "seed": Parameter(0, PositiveInt(minimum=0), "random seed"),
    "device": Parameter("auto", Choice(DEVICES), "where to train"),
    "threads": Parameter(None, Optional(PositiveInt()), "CPU threads"),
    "verbose": Parameter(True, Boolean(), "show a progress bar while training"),
    "state_dir": Parameter(None, Optional(PathLike()),
                           "a folder where the run is saved after every epoch, for "
                           "fit(..., resume=True)"),
}
