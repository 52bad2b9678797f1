"""Trains a small forecaster, text classifier (dropout off; 50 optimizer steps) or language
model and,
on rank 0, writes its training and validation losses as JSON: run by
tests/test_distributed.py once as one process and once under torchrun with 2 ranks.

    python tests/distributed/train_ranks.py forecaster OUT.json
    python -m torch.distributed.run --standalone --nproc-per-node 2 \\
        tests/distributed/train_ranks.py forecaster OUT.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np


def forecaster() -> object:
    from rnnkit import Forecaster

    t = np.arange(200)
    y = 50 + 10 * np.sin(2 * np.pi * t / 12) + 0.1 * t
    # 160 training values → 154 windows → 10 batches of 16 per epoch: 5 epochs, 50 steps
    return Forecaster(cell="gru", units=[8], dense=(), window=6, dropout=0.0, epochs=5,
                      batch_size=16, patience=None, verbose=False, threads=1).fit(y)


def classifier() -> object:
    from rnnkit import TextClassifier

    rng = np.random.default_rng(0)
    good, bad = ["great", "fine", "lovely", "superb"], ["awful", "dull", "poor", "bad"]
    texts, labels = [], []
    for i in range(200):
        words = rng.choice(good if i % 2 else bad, size=3 + i % 5).tolist()
        texts.append(" ".join([*words, "film"]))
        labels.append(i % 2)
    # 160 training texts → 10 batches of 16 per epoch: 5 epochs, 50 steps
    return TextClassifier(cell="lstm", units=[8], embedding_dim=8, maxlen=None,
                          dropout=0.0, epochs=5, batch_size=16, patience=None,
                          verbose=False, threads=1).fit(texts, labels)


def language_model() -> object:
    from rnnkit import TextLanguageModel

    rng = np.random.default_rng(0)
    words = ["the", "film", "was", "great", "dull", "and", "plot", "actor", "a", "scene"]
    texts = [" ".join(rng.choice(words, size=10 + i % 7).tolist()) for i in range(150)]
    return TextLanguageModel(cell="gru", num_words=20, embedding_dim=8, units=[8], window=8,
                             dropout=0.0, embedding_dropout=0.0, epochs=5, batch_size=16,
                             validation=0.1, verbose=False, threads=1).fit(texts)


def count_samples() -> list[int]:
    """Counts the samples each optimizer step of this process reads."""
    from rnnkit import training

    seen: list[int] = []
    step = training._step

    def counted(model, loss_fn, batch, *args, **kwargs):
        seen.append(len(batch[-1]))
        return step(model, loss_fn, batch, *args, **kwargs)

    training._step = counted
    return seen


def failing() -> object:
    """The forecaster, with rank 1 failing at its 20th step."""
    import os

    from rnnkit import training

    if os.environ.get("RANK") == "1":
        step, calls = training._step, []

        def broken(*args, **kwargs):
            calls.append(1)
            if len(calls) == 20:
                raise RuntimeError("rank 1 lost its data at step 20")
            return step(*args, **kwargs)

        training._step = broken
    return forecaster()


if __name__ == "__main__":
    from rnnkit import distributed

    seen = count_samples()
    model = {"forecaster": forecaster, "classifier": classifier,
             "language_model": language_model, "failing": failing}[sys.argv[1]]()
    rank, ranks = distributed.world()
    model.save(f"{sys.argv[2]}.saved{rank}")  # every rank asks; only rank 0 writes
    Path(f"{sys.argv[2]}.rank{rank}").write_text(json.dumps({"steps": len(seen),
                                                             "samples": sum(seen)}))
    if distributed.is_main():
        records = model.history_.records
        Path(sys.argv[2]).write_text(json.dumps(
            {"loss": [r["loss"] for r in records], "val_loss": [r["val_loss"] for r in records],
             "ranks": distributed.world()[1]}))
