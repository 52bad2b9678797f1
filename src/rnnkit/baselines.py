"""Baselines from maintained libraries, scored on exactly the points the networks are scored on.

* Forecasting: ETS, Theta and ARIMA (automatic order selection) from statsforecast, one step
  ahead over the test points, fitted once on the data before them (``refit=False``: the same
  information the networks get).
* Text: TF-IDF (words and word pairs, rnnkit's tokenizer) + logistic regression (scikit-learn).

Both libraries are the optional ``[baselines]`` extra.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pandas as pd

from rnnkit.errors import RnnkitError

__all__ = ["STATISTICAL_MODELS", "statistical_one_step", "tfidf_logistic"]

STATISTICAL_MODELS = ("ETS", "Theta", "ARIMA")


def _require(module: str) -> Any:
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise RnnkitError(f"this baseline needs {module.split('.')[0]}: pip install "
                          "'rnnkit[baselines]' (or leave the statistical baselines out).") from None


def statistical_one_step(y: pd.Series, n_test: int, season_length: int, freq: str | None,
                         models: tuple[str, ...] = STATISTICAL_MODELS
                         ) -> dict[str, tuple[np.ndarray, float]]:
    """One-step-ahead forecasts of the last ``n_test`` points of ``y`` by each model, and the
    seconds each took: ``{name: (forecasts, seconds)}``."""
    _require("statsforecast")
    from statsforecast import StatsForecast
    from statsforecast.models import AutoARIMA, AutoETS, AutoTheta

    makers = {"ETS": lambda: AutoETS(season_length=season_length),
              "Theta": lambda: AutoTheta(season_length=season_length),
              "ARIMA": lambda: AutoARIMA(season_length=season_length)}
    dated = isinstance(y.index, pd.DatetimeIndex) and freq
    frame = pd.DataFrame({"unique_id": "series",
                          "ds": y.index if dated else np.arange(len(y)),
                          "y": y.to_numpy(dtype=np.float64)})
    expected = frame["ds"].iloc[len(y) - n_test:].to_numpy()
    out = {}
    for name in models:
        start = time.perf_counter()
        sf = StatsForecast(models=[makers[name]()], freq=freq if dated else 1, n_jobs=1)
        cv = sf.cross_validation(df=frame, h=1, n_windows=n_test, step_size=1, refit=False)
        seconds = time.perf_counter() - start
        column = next(c for c in cv.columns if c not in ("unique_id", "ds", "cutoff", "y"))
        if not np.array_equal(cv["ds"].to_numpy(), expected):
            raise RuntimeError(f"{name} forecast other points than the networks")  # a bug
        out[name] = (cv[column].to_numpy(dtype=np.float64), seconds)
    return out


def tfidf_logistic(train_texts: list[str], train_y: np.ndarray, test_texts: list[str],
                   seed: int = 0) -> tuple[np.ndarray, float, int]:
    """Class probabilities of TF-IDF + logistic regression, fit seconds and feature count."""
    _require("sklearn")
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    from rnnkit.data.text import tokenize

    start = time.perf_counter()
    vectorizer = TfidfVectorizer(tokenizer=tokenize, lowercase=False, token_pattern=None,
                                 ngram_range=(1, 2), min_df=2, sublinear_tf=True)
    features = vectorizer.fit_transform(train_texts)
    model = LogisticRegression(max_iter=2000, C=4.0, random_state=seed)
    model.fit(features, train_y)
    seconds = time.perf_counter() - start
    proba = model.predict_proba(vectorizer.transform(test_texts))
    full = np.zeros((len(test_texts), int(train_y.max()) + 1))
    full[:, model.classes_] = proba
    return full, seconds, int(model.coef_.size + model.intercept_.size)
