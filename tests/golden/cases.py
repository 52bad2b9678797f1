"""The models and numbers the golden tests pin: built the same way by the tests and by
``python tests/golden/cases.py``, which (re)writes ``tests/golden/expected.json`` and the saved
model folders beside it. Regenerate only in a commit that explains why a number changed."""

from __future__ import annotations

import contextlib
import io
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

HERE = Path(__file__).parent
EXPECTED = HERE / "expected.json"

GLOBAL = dict(cell="gru", units=[8], dense=(), window=[6, 9], ensemble=1, epochs=4,
              batch_size=16, validation=0.25, transform="auto,es", season_length=12,
              verbose=False, threads=1)
CLASSIFIER = dict(cell="lstm", units=[8], embedding_dim=8, maxlen=12, epochs=3,
                  bidirectional=True, pooling="max,mean", ngrams=2, ngram_buckets=64,
                  batch_size=8, verbose=False, threads=1)
TEXTS = ["a wonderful moving film", "dull and far too long", "wonderful acting, great story",
         "a boring, dull mess", "great fun from start to end", "too long and boring",
         "moving and wonderful", "a mess of a film", "great great great", "dull dull plot",
         "the story is wonderful", "boring acting"] * 3
LABELS = ["pos", "neg", "pos", "neg", "pos", "neg", "pos", "neg", "pos", "neg", "pos",
          "neg"] * 3
PROBES = ["wonderful story", "boring mess", "a film", "great but too long"]


def panel() -> pd.DataFrame:
    """Three monthly series of different lengths with trend, season and noise (seeded)."""
    rng = np.random.default_rng(7)
    frames = []
    for k, n in enumerate((60, 72, 84)):
        t = np.arange(n)
        y = 50 + 10 * k + 0.3 * t + 6 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 1, n)
        frames.append(pd.DataFrame({"unique_id": f"s{k}", "y": y,
                                    "ds": pd.date_range("2010-01-01", periods=n, freq="MS")}))
    return pd.concat(frames, ignore_index=True)


def readme_forecast(out: Path) -> list[list[float]]:
    """The README's main command, ``rnnkit forecast --out OUT``: its 12-step forecast with
    the 90% interval, as rows of (forecast, lower, upper). One thread: the intervals come
    from batched network calls, whose last bits follow the thread count (the default picks it
    by the idle cores)."""
    from rnnkit.cli import main

    with contextlib.redirect_stdout(io.StringIO()):
        assert main(["forecast", "--out", str(out), "--quiet", "--threads", "1"]) == 0
    frame = pd.read_csv(out / "forecast.csv")
    return frame[["forecast", "lower", "upper"]].to_numpy().tolist()


def global_model():
    from rnnkit import Forecaster

    return Forecaster(**GLOBAL).fit(panel())


def global_forecast(model) -> list[list[float]]:
    frame = model.forecast(6, level=0.8)
    return frame[["forecast", "lower", "upper"]].to_numpy().tolist()


def classifier():
    from rnnkit import TextClassifier

    return TextClassifier(**CLASSIFIER).fit(TEXTS, LABELS)


def probabilities(model) -> list[list[float]]:
    return np.asarray(model.predict_proba(PROBES), dtype=float).tolist()


def numbers(work: Path) -> dict[str, Any]:
    """Every pinned number, computed afresh (models saved under ``work``)."""
    fc, clf = global_model(), classifier()
    fc.save(work / "global-forecaster")
    clf.save(work / "classifier")
    found = {"readme_forecast": readme_forecast(work / "airline"),
             "global_forecast": global_forecast(fc), "probabilities": probabilities(clf)}
    for extra in (work / "airline").iterdir():  # the model folder is what later versions load
        if extra.name not in ("config.json", "preprocessing.json", "weights.safetensors"):
            extra.unlink()
    return found


if __name__ == "__main__":
    import torch

    torch.set_num_threads(1)
    found = numbers(HERE)
    EXPECTED.write_text(json.dumps(found, indent=1) + "\n")
    json.dump(found, sys.stdout)
