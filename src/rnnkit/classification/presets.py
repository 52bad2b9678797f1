"""Named text-classifier set-ups (``TextClassifier.from_preset``, ``rnnkit classify
--preset``). Plain data, importable without torch or pandas, so the command line's help can
list them instantly.

>>> PRESETS["imdb-lstm8"]["num_words"]
500
>>> sorted(PRETRAINING)  # presets that start from a language model pretrained like this
['imdb-pretrained']
"""

from __future__ import annotations

from typing import Any

__all__ = ["PRESETS", "PRETRAINING", "needs_pretrained"]

# The classic tutorial set-ups, one name each.
PRESETS: dict[str, dict[str, Any]] = {
    # Embedding(500, 16) → LSTM(8) → Dense(1): the small-vocabulary IMDB tutorial (≈0.80)
    "imdb-lstm8": dict(cell="lstm", num_words=500, maxlen=100, embedding_dim=16, units=[8],
                       dense=[], dropout=0.2, batch_size=64),
    # the same with a GRU(8)
    "imdb-gru8": dict(cell="gru", num_words=500, maxlen=100, embedding_dim=16, units=[8],
                      dense=[], dropout=0.2, batch_size=64),
    # Embedding(10000, 128) → BiLSTM(64) → BiLSTM(32) → Dense(32, relu) → Dense(1) (≈0.87)
    "imdb-bilstm": dict(cell="lstm", num_words=10_000, maxlen=200, embedding_dim=128,
                        units=[64, 32], bidirectional=True, dense=[32], dropout=0.2,
                        batch_size=64),
    # The best supervised IMDB set-up, chosen on validation reviews (benchmarks/imdb_select.py,
    # "bilstm-ngrams-refit"): whole reviews → BiLSTM(64) read by max and mean pooling, mixed
    # with a bag of words and word pairs started from naive Bayes, each trained with its own
    # early stopping, then both again on all the training texts (refit)
    "imdb-best": dict(cell="lstm", num_words="auto", maxlen=None, embedding_dim=128,
                      units=[64], bidirectional=True, pooling="max,mean", dense=[],
                      dropout=0.3, embedding_dropout=0.2, weight_decay=0.01,
                      schedule="warmup-cosine", learning_rate=2e-3, epochs=6, patience=None,
                      batch_size=64, ngrams=2, ngram_dropout=0.3, refit=True),
    # imdb-best's bag of word pairs beside a BiLSTM(128) whose forward direction starts from
    # the language model of PRETRAINING["imdb-pretrained"] (pretrained="runs/lm", whose
    # words it takes), the pretrained weights learning at half the rate of the new ones;
    # chosen on validation reviews (benchmarks/imdb_select.py,
    # "bilstm-pretrained-ngrams-refit"; a unidirectional LSTM(128) scored lower there):
    # 0.9112 on the test reviews, the same as imdb-best, against TF-IDF's 0.9075. From
    # scratch ("bilstm-scratch-ngrams") the mixture scores as well on validation (0.9128
    # against 0.9122): pretraining lifts the network alone (0.903 against 0.890), not the mix
    "imdb-pretrained": dict(cell="lstm", maxlen=None, embedding_dim=128, units=[128],
                            bidirectional=True, pooling="max,mean", dense=[], dropout=0.3,
                            embedding_dropout=0.1, weight_decay=0.01,
                            schedule="warmup-cosine", learning_rate=1e-3, epochs=6,
                            patience=None, batch_size=64, pretrained_lr_scale=0.5, ngrams=2,
                            ngram_dropout=0.3, refit=True),
}

# Presets that fine-tune a pretrained language model, and how to pretrain it
# (TextLanguageModel.from_preset, ``rnnkit pretrain --preset``): the 50,000 unlabelled and
# 25,000 training IMDB reviews, LSTM(128) over 128-wide word vectors, five passes
PRETRAINING: dict[str, dict[str, Any]] = {
    "imdb-pretrained": dict(cell="lstm", embedding_dim=128, units=[128], epochs=5),
}


def needs_pretrained(name: str) -> str:
    """The error for preset ``name`` asked for without its language model."""
    return (f"the {name!r} preset fine-tunes a pretrained language model: pretrain one first "
            f"(`rnnkit pretrain --data imdb --preset {name} --out runs/lm`, or "
            f"`TextLanguageModel.from_preset({name!r})`) and pass it as `pretrained` "
            "(--pretrained runs/lm).")
