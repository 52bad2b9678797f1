"""Baselines from maintained libraries, scored on exactly the points the networks are scored on.

* Forecasting: ETS, Theta and ARIMA (automatic order selection) from statsforecast, one step
  ahead over the test points, fitted once on the data before them (``refit=False``: the same
  information the networks get); for data with several seasons (hourly: a day and a week)
  also MSTL with an ETS trend, statsforecast's model for such data.
* Text: TF-IDF (words and word pairs, rnnkit's tokenizer) + logistic regression (scikit-learn).

Both libraries are the optional ``[baselines]`` extra.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pandas as pd

from rnnkit.errors import RnnkitError

__all__ = ["STATISTICAL_MODELS", "TfidfLogistic", "require_statsforecast", "statistical_models",
           "statistical_one_step", "tfidf_logistic"]

STATISTICAL_MODELS = ("ETS", "Theta", "ARIMA")


def _require(module: str) -> Any:
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise RnnkitError(f"this baseline needs {module.split('.')[0]}: pip install "
                          "'rnnkit[baselines]' (or leave the statistical baselines out).") from None


def statistical_models(seasons: tuple[int, ...]) -> tuple[str, ...]:
    """The models ``Forecaster.evaluate(statistical=True)`` scores: MSTL with an ETS trend
    for data with several seasons (statsforecast's model for them; an ARIMA with a season of
    168 hours would take far longer than the network), else ETS, Theta and ARIMA.

    >>> statistical_models((24, 168)), statistical_models((12,))
    (('MSTL+ETS',), ('ETS', 'Theta', 'ARIMA'))
    """
    return ("MSTL+ETS",) if len([s for s in seasons if s > 1]) > 1 else STATISTICAL_MODELS


def require_statsforecast() -> None:
    """Refuse, naming the extra to install, when statsforecast is missing: front ends call
    this before training rather than after it."""
    _require("statsforecast")


def statistical_one_step(y: pd.Series, n_test: int, season_length: int, freq: str | None,
                         models: tuple[str, ...] = STATISTICAL_MODELS,
                         seasons: tuple[int, ...] = ()
                         ) -> dict[str, tuple[np.ndarray, float]]:
    """One-step-ahead forecasts of the last ``n_test`` points of ``y`` by each model, and the
    seconds each took: ``{name: (forecasts, seconds)}``. ``"MSTL+ETS"`` takes ``seasons``."""
    _require("statsforecast")
    from statsforecast import StatsForecast
    from statsforecast.models import MSTL, AutoARIMA, AutoETS, AutoTheta

    makers = {"ETS": lambda: AutoETS(season_length=season_length),
              "Theta": lambda: AutoTheta(season_length=season_length),
              "ARIMA": lambda: AutoARIMA(season_length=season_length),
              "MSTL+ETS": lambda: MSTL(season_length=list(seasons),
                                       trend_forecaster=AutoETS(model="ZZN"))}
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


class TfidfLogistic:
    """TF-IDF of words and word pairs (rnnkit's tokens, terms in at least two texts, sublinear
    term frequency) + logistic regression: the bag-of-words baseline every text report shows.

    >>> texts = ["good fun", "great film", "bad plot", "awful acting"] * 5
    >>> baseline = TfidfLogistic().fit(texts, np.array([1, 1, 0, 0] * 5))
    >>> baseline.predict_proba(["good film"]).argmax(axis=1).tolist()
    [1]
    """

    name = "TF-IDF + logistic regression"

    def __init__(self, seed: int = 0):
        self.seed = seed

    def fit(self, texts: list[str], y: np.ndarray) -> TfidfLogistic:
        _require("sklearn")
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        from rnnkit.data.text import tokenize

        start = time.perf_counter()
        self.vectorizer_ = TfidfVectorizer(tokenizer=tokenize, lowercase=False,
                                           token_pattern=None, ngram_range=(1, 2), min_df=2,
                                           sublinear_tf=True)
        features = self.vectorizer_.fit_transform(texts)
        self.model_ = LogisticRegression(max_iter=2000, C=4.0, random_state=self.seed)
        self.model_.fit(features, y)
        self.n_classes_ = int(np.max(y)) + 1
        self.seconds_ = time.perf_counter() - start
        self.n_parameters_ = int(self.model_.coef_.size + self.model_.intercept_.size)
        return self

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        """``(n_texts, n_classes)``, a zero column for a class absent from training."""
        proba = self.model_.predict_proba(self.vectorizer_.transform(texts))
        full = np.zeros((len(texts), self.n_classes_))
        full[:, self.model_.classes_] = proba
        return full


def tfidf_logistic(train_texts: list[str], train_y: np.ndarray, test_texts: list[str],
                   seed: int = 0) -> tuple[np.ndarray, float, int]:
    """Class probabilities of :class:`TfidfLogistic`, fit seconds and parameter count."""
    baseline = TfidfLogistic(seed).fit(train_texts, train_y)
    return baseline.predict_proba(test_texts), baseline.seconds_, baseline.n_parameters_
