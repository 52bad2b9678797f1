"""Named text-classifier set-ups (``TextClassifier.from_preset``, ``rnnkit classify
--preset``). Plain data, importable without torch or pandas, so the command line's help can
list them instantly.

>>> PRESETS["imdb-lstm8"]["num_words"]
500
"""

from __future__ import annotations

from typing import Any

__all__ = ["PRESETS"]

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
}
