"""The frames a forecast is returned in: one series' Series (or DataFrame with interval
columns), a global model's long frame, and the statsforecast/NeuralForecast layout.

>>> frame = pd.DataFrame({"unique_id": ["a"], "ds": [1], "forecast": [2.0], "lower": [1.0],
...                       "upper": [3.0]})
>>> nixtla_layout([frame], "GRU", [80]).columns.tolist()
['unique_id', 'ds', 'GRU', 'GRU-lo-80', 'GRU-hi-80']
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from rnnkit.forecasting.intervals import interval_widths, warn_if_missing
from rnnkit.forecasting.recursive import Predictor, future_features, future_index
from rnnkit.forecasting.state import SeriesState

__all__ = ["nixtla_layout", "panel_forecast", "series_forecast"]


def series_forecast(predictor: Predictor, state: SeriesState, steps: int, X_future: Any,
                    level: float | None) -> pd.Series | pd.DataFrame:
    """``steps`` values after one series' latest; with ``level`` a frame with ``forecast``,
    ``lower`` and ``upper``."""
    recent = state.recent
    future = future_features(list(predictor.space.feature_names), steps, X_future, recent)
    values = predictor.path(state, recent, steps, future)
    index = future_index(state.freq, recent.index, steps)
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
    names = list(predictor.space.feature_names)
    values = predictor.paths(states, [r.target for r in recents],
                             [r.features for r in recents], steps,
                             [future_features(names, steps, None, r) for r in recents],
                             [r.start for r in recents])
    indexes = [future_index(s.freq, r.index, steps) for s, r in zip(states, recents,
                                                                    strict=True)]
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


