"""Using a trained model: the predictions behind ``rnnkit predict`` and ``rnnkit serve``.

Both front ends parse their input (a CSV file, a JSON body) into validated series or texts and
hand them here, so a forecast from the command line and one from the server are the same
numbers in the same columns.

>>> from rnnkit import Forecaster, datasets
>>> fc = Forecaster(cell="gru", units=[4], dense=(), window=12, epochs=1, verbose=False)
>>> result = forecast(fc.fit(datasets.airline()[:-12]), horizon=2)
>>> result.frame.columns.tolist(), len(result.frame)
(['month', 'forecast'], 2)
"""

from __future__ import annotations

import math
import sys
import warnings
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from rnnkit.data.series import SeriesData
from rnnkit.errors import RnnkitError
from rnnkit.forecasting.intervals import check_level
from rnnkit.limits import check_horizon

__all__ = ["Forecasts", "classify", "forecast", "to_records"]

DEFAULT_HORIZON = 12


def classify(model: Any, texts: list[str]) -> list[dict[str, Any]]:
    """One row per text: the text, the most probable label, its probability and every class's
    (``p_<class>``).

    >>> from rnnkit import TextClassifier
    >>> clf = TextClassifier(num_words=20, maxlen=4, embedding_dim=2, units=[2], epochs=1,
    ...                      verbose=False).fit(["good", "bad", "good fun", "bad day"] * 4,
    ...                                         [1, 0, 1, 0] * 4)
    >>> sorted(classify(clf, ["good"])[0])
    ['label', 'p_0', 'p_1', 'probability', 'text']
    """
    proba = model.predict_proba(texts)
    rows = []
    for text, p in zip(texts, proba, strict=True):
        best = int(p.argmax())
        rows.append({"text": text, "label": model.classes_[best], "probability": float(p[best])}
                    | {f"p_{c}": float(v) for c, v in zip(model.classes_, p, strict=True)})
    return rows


@dataclass
class Forecasts:
    """Forecasts in long form (one row per series and step, in the data's column names), what
    they are of, and the warnings raised while making them."""

    frame: pd.DataFrame
    about: dict[str, Any]
    warnings: list[str] = field(default_factory=list)


def forecast(model: Any, recent: SeriesData | list[tuple[Any, SeriesData]] | None = None,
             future_x: pd.DataFrame | None = None, horizon: int | None = None,
             level: float | None = None, id_column: str | None = None,
             time: str | None = None, max_horizon: int | None = None) -> Forecasts:
    """Forecast ``horizon`` steps (default: as many as ``future_x`` has rows, else 12) beyond
    the model's data, or beyond ``recent`` (one series, or ``(key, series)`` pairs for a model
    of several); with ``level``, conformal interval columns ``lower`` and ``upper``.

    ``model`` itself is left as it was: ``recent`` updates a copy, so a served model answers
    every request from the data it was saved with. ``horizon`` may be at most ``max_horizon``
    (default :data:`rnnkit.limits.MAX_HORIZON`), checked before anything else.
    """
    # not imported here: the ONNX server answers without PyTorch, which the hybrid's module
    # pulls in; a model can only be a hybrid once that module is loaded
    hybrid = sys.modules.get("rnnkit.forecasting.hybrid")
    if hybrid is not None and isinstance(model, hybrid.HybridForecaster):
        return _forecast_hybrid(model, recent, future_x, horizon, level, time)
    horizon = check_horizon(DEFAULT_HORIZON if horizon is None and future_x is None else
                            len(future_x) if horizon is None else horizon, max_horizon, "horizon")
    if level is not None:
        level = check_level(level)
    if recent is not None:
        several = model.schema_.several and isinstance(recent, list)
        model = model.detached([key for key, _ in recent] if several else None)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if model.schema_.several:
            result = _forecast_many(model, recent, horizon, level, id_column, time, max_horizon)
        else:
            result = _forecast_one(model, recent, future_x, horizon, level, max_horizon)
    # once each: a global model without intervals says so for every one of its series
    result.warnings = list(dict.fromkeys(str(w.message) for w in caught))
    return result


def _forecast_one(model: Any, recent: Any, future_x: pd.DataFrame | None, horizon: int,
                  level: float | None, max_horizon: int | None) -> Forecasts:
    if isinstance(recent, list):
        raise RnnkitError("this model holds one series; give its recent values, not several "
                          "series.")
    if recent is not None:
        model.update(recent)
    if future_x is not None and len(future_x) < horizon:
        raise RnnkitError(f"horizon {horizon} needs {horizon} future feature rows (rows with "
                          f"the features and an empty target); got {len(future_x)}.")
    result = model.forecast(horizon, X_future=future_x, level=level, max_horizon=max_horizon)
    frame = result if level is not None else result.to_frame("forecast")
    frame.index.name = model.schema_.time_column or "step"
    return Forecasts(frame.reset_index(), {"target": model.schema_.target})


def _forecast_hybrid(model: Any, recent: Any, future_x: pd.DataFrame | None,
                     horizon: int | None, level: float | None, time: str | None) -> Forecasts:
    """A hybrid's forecast (at most its horizon, by default all of it) after ``recent``, or
    after its training series; it has no intervals and reads no feature columns."""
    if level is not None:
        raise RnnkitError("a hybrid model gives no prediction intervals: leave out level "
                          "(--level).")
    if isinstance(recent, list) or future_x is not None:
        raise RnnkitError("a hybrid model forecasts one series from its values alone: give "
                          "its recent values, without feature columns.")
    if recent is not None and not isinstance(recent, SeriesData):  # a bug, not a user's
        raise TypeError(recent)
    most = model.shape_["horizon"]
    if horizon is not None and not (isinstance(horizon, int) and 1 <= horizon <= most):
        raise RnnkitError(f"`horizon` (--horizon) must be an integer from 1 to the hybrid's "
                          f"horizon ({most}); got {horizon!r}.")
    y = None if recent is None else recent.to_pandas()[0]
    result = model.forecast(horizon, y=y).to_frame("forecast")
    result.index.name = time or ("time" if isinstance(result.index, pd.DatetimeIndex)
                                 else "step")
    return Forecasts(result.reset_index(), {"model": "hybrid", "base": model.base})


def _forecast_many(model: Any, recent: Any, horizon: int, level: float | None,
                   id_column: str | None, time: str | None,
                   max_horizon: int | None) -> Forecasts:
    if isinstance(recent, SeriesData):
        raise RnnkitError("this model holds several series; give their recent values in long "
                          "form, with a column naming the series.")
    if recent is not None and model.schema_.time_column and not isinstance(
            recent[0][1].index, pd.DatetimeIndex):
        raise RnnkitError("this model was trained on dated series: the recent values need "
                          "their dates.")
    by_key = None if recent is None else dict(recent)  # parsed: errors name their rows
    frame = model.forecast(horizon, y=by_key, level=level, max_horizon=max_horizon)
    names = {"unique_id": id_column or "unique_id",
             "ds": time or ("ds" if model.schema_.time_column else "step")}
    return Forecasts(frame.rename(columns=names), {"series": int(frame["unique_id"].nunique())})


def to_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows of ``frame`` as JSON-ready dicts: dates as ISO text, NumPy numbers as Python's,
    NaN as ``None`` (JSON has no NaN; ``json.dumps`` would write one no parser accepts).

    >>> to_records(pd.DataFrame({"ds": pd.to_datetime(["2020-01-01"]), "lower": [float("nan")]}))
    [{'ds': '2020-01-01T00:00:00', 'lower': None}]
    """
    def plain(value: Any) -> Any:
        if hasattr(value, "isoformat"):
            return value.isoformat()
        value = value.item() if hasattr(value, "item") else value
        return None if isinstance(value, float) and math.isnan(value) else value

    return [{k: plain(v) for k, v in row.items()} for row in frame.to_dict("records")]
