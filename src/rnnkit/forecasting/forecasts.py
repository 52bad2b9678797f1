"""The frames a forecast is returned in: one series' Series (or DataFrame with interval
columns), a global model's long frame, and the statsforecast/NeuralForecast layout.

>>> frame = pd.DataFrame({"unique_id": ["a"], "ds": [1], "forecast": [2.0], "lower": [1.0],
...                       "upper": [3.0]})
>>> nixtla_layout([frame], "GRU", [80]).columns.tolist()
['unique_id', 'ds', 'GRU', 'GRU-lo-80', 'GRU-hi-80']
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from rnnkit.forecasting.calendar import calendar_columns
from rnnkit.forecasting.intervals import interval_widths, warn_if_missing
from rnnkit.forecasting.recursive import Predictor, future_features, future_index
from rnnkit.forecasting.state import SeriesState

__all__ = ["nixtla_layout", "panel_forecast", "series_forecast"]


def series_forecast(predictor: Predictor, state: SeriesState, steps: int, X_future: Any,
                    level: float | None) -> pd.Series | pd.DataFrame:
    """``steps`` values after one series' latest; with ``level`` a frame with ``forecast``,
    ``lower`` and ``upper``."""
    recent = state.recent
    index = future_index(state.freq, recent.index, steps)
    future = _future(predictor, steps, X_future, recent, index)
    values = predictor.path(state, recent, steps, future)
    forecast = pd.Series(values, index=index, name=recent.target_name)
    if level is None:
        return forecast
    widths = interval_widths([state], predictor.pooled, steps, level)[0]
    warn_if_missing(widths, stacklevel=3)
    return pd.DataFrame({"forecast": values, "lower": values - widths,
                         "upper": values + widths}, index=index)


def panel_forecast(predictor: Predictor, states: list[SeriesState], steps: int,
                   level: float | None) -> pd.DataFrame:
    """Forecasts of every series in ``states``, all in the same network calls: a long frame
    of ``unique_id``, ``ds``, ``forecast`` (and ``lower``, ``upper``)."""
    recents = [s.recent for s in states]
    indexes = [future_index(s.freq, r.index, steps) for s, r in zip(states, recents,
                                                                    strict=True)]
    values = predictor.paths(states, [r.target for r in recents],
                             [r.features for r in recents], steps,
                             [_future(predictor, steps, None, r, index)
                              for r, index in zip(recents, indexes, strict=True)],
                             [r.start for r in recents])
    frame = pd.DataFrame({
        "unique_id": pd.Series([s.key for s in states]).repeat(steps).to_numpy(),
        "ds": indexes[0].append(indexes[1:]) if len(indexes) > 1 else indexes[0],
        "forecast": values.ravel()})
    if level is not None:
        widths = interval_widths(states, predictor.pooled, steps, level)
        warn_if_missing(widths, stacklevel=3)
        frame["lower"] = values.ravel() - widths.ravel()
        frame["upper"] = values.ravel() + widths.ravel()
    return frame


def _future(predictor: Predictor, steps: int, X_future: Any, recent: Any,
            index: pd.Index) -> np.ndarray:
    """The feature columns over the forecast: the user's (``X_future``, or held), then the
    calendar's for the forecast's own dates."""
    space = predictor.space
    given = future_features(list(space.user_features), steps, X_future, recent)
    if not space.calendar:
        return given
    return np.column_stack([given, calendar_columns(index, space.calendar)[1]])


def nixtla_layout(frames: list[pd.DataFrame], model_name: str, levels: list[int]
                  ) -> pd.DataFrame:
    """Long frames of ``unique_id``, ``ds``, ``forecast`` (with ``lower``/``upper``), one per
    level in ``levels`` (percent), as statsforecast and NeuralForecast lay out forecasts:
    ``unique_id``, ``ds``, a column named after the model, then ``<model>-lo-<level>`` and
    ``<model>-hi-<level>`` for each level."""
    out = frames[0][["unique_id", "ds"]].reset_index(drop=True)
    out[model_name] = frames[0]["forecast"].to_numpy()
    for level, frame in zip(levels, frames if levels else [], strict=True):
        out[f"{model_name}-lo-{level:g}"] = frame["lower"].to_numpy(dtype=float)
        out[f"{model_name}-hi-{level:g}"] = frame["upper"].to_numpy(dtype=float)
    return out


