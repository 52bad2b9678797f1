"""Forecasting beyond the data: the network emits ``horizon`` steps at a time, and its own
forecasts are fed back for more (recursive), for many histories in the same network calls;
and one-step-ahead forecasts of observed points.

>>> future_index(None, pd.RangeIndex(0, 10), 3).tolist()
[10, 11, 12]
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from rnnkit.data.series import SeriesData, as_series, infer_frequency
from rnnkit.data.windows import make_windows
from rnnkit.errors import RnnkitError
from rnnkit.forecasting.ensemble import WindowEnsemble
from rnnkit.forecasting.pipeline import ModelSpace, padded
from rnnkit.forecasting.state import SeriesState

__all__ = ["Predictor", "future_features", "future_index"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Predictor:
    """A fitted forecaster's networks (``ensemble``), its pipeline (``space``), the longest
    ``window`` they read and a global model's ``pooled`` validation errors (for intervals):
    all a forecast needs besides a series' state."""

    ensemble: WindowEnsemble
    space: ModelSpace
    window: int
    pooled: list[list[float]] = field(default_factory=list)

    def one_step(self, state: SeriesState, data: SeriesData, first_target: int) -> np.ndarray:
        """One-step-ahead forecasts, in data units, of ``data.target[first_target:]``."""
        lost, w = state.chain.lost, self.window
        space = self.space.inputs(state, data.target, data.features, data.start)
        pad = max(0, w - (first_target - lost))
        x, _ = make_windows(padded(space, len(space) + pad), w, 1, 1,
                            first_target=first_target - lost + pad)
        z = state.scaler.inverse_transform(self.ensemble.predict(x)[:, :1]).ravel()
        positions = np.arange(first_target, len(data))
        with np.errstate(over="ignore", invalid="ignore"):  # `finite` names the cause
            values = state.chain.inverse_one_step(z, data.target, positions, data.start)
        return self.space.finite(state, values, "prediction")

    def path(self, state: SeriesState, history: SeriesData, steps: int,
             future: np.ndarray) -> np.ndarray:
        """Forecast ``steps`` values after ``history`` (recursive over ``horizon`` chunks)."""
        return self.paths([state], [history.target], [history.features], steps, [future],
                          [history.start])[0]

    def paths(self, states: list[SeriesState], targets: list[np.ndarray],
              features: list[np.ndarray], steps: int, futures: list[np.ndarray],
              starts: list[int]) -> np.ndarray:
        """Forecast ``steps`` values after each of several histories at once (one network
        call per chunk for all of them): history ``i`` of series ``states[i]`` (several
        origins of one series, or the series of a global model), its first value at position
        ``starts[i]``. Returns ``(histories, steps)``."""
        w = self.window
        kept = [w + s.chain.lost for s in states]  # the values one network input needs
        target = [np.asarray(t[-n:], dtype=np.float64) for t, n in zip(targets, kept,
                                                                         strict=True)]
        feats = [np.asarray(f[-n:], dtype=np.float64).reshape(len(t), -1)
                 for f, t, n in zip(features, target, kept, strict=True)]
        starts = [s + len(t) - len(k) for s, t, k in zip(starts, targets, target, strict=True)]
        out = np.zeros((len(targets), steps))
        done = 0
        while done < steps:
            spaces = [padded(self.space.inputs(state, t, f, start), w)[-w:]
                      for t, f, start, state in zip(target, feats, starts, states, strict=True)]
            z = self.ensemble.predict(np.stack(spaces))  # (histories, horizon)
            k = min(z.shape[1], steps - done)
            more = done + k < steps  # another chunk reads these values back
            for i, state in enumerate(states):
                z_i = state.scaler.inverse_transform(z[i, :k, None]).ravel()
                with np.errstate(over="ignore", invalid="ignore"):  # `finite` names the cause
                    values = state.chain.inverse_next(z_i, target[i], starts[i])
                out[i, done:done + k] = self.space.finite(state, values, "forecast")
                if more:
                    target[i] = np.concatenate([target[i], values])
                    feats[i] = np.concatenate([feats[i], futures[i][done:done + k]])
            done += k
        return out


def future_features(names: list[str], steps: int, X_future: Any,
                    recent: SeriesData) -> np.ndarray:
    """The feature columns ``names`` over ``steps`` forecast steps: from ``X_future``, or
    held at their last values in ``recent`` (with a warning). ``recent`` may carry the
    calendar's columns after the user's ``names``; those are not held."""
    if not names:
        if X_future is not None:
            raise RnnkitError("`X_future` was given, but this model has no feature columns.")
        return np.zeros((steps, 0))
    if X_future is None:
        last = recent.features[-1, :len(names)]
        held = ", ".join(f"{n}={v:g}" for n, v in zip(names, last, strict=True))
        warnings.warn(
            f"the future of the feature columns is unknown, so they are held at their last "
            f"observed values ({held}) for all {steps} forecast steps; pass X_future "
            "(CLI: trailing CSV rows with features and an empty target) to supply them.",
            UserWarning, stacklevel=5)
        return np.repeat(last[None], steps, axis=0)
    frame = X_future if isinstance(X_future, pd.DataFrame) else pd.DataFrame(
        np.asarray(X_future, dtype=object).reshape(len(X_future), -1))
    if isinstance(X_future, pd.DataFrame):
        unknown = [n for n in names if n not in frame.columns]
        if unknown:
            raise RnnkitError(f"`X_future` lacks feature columns {unknown}; it needs "
                              f"{names}.")
        frame = frame[names]
    frame = frame.reset_index(drop=True)
    if len(frame) < steps or frame.shape[1] != len(names):
        raise RnnkitError(f"`X_future` must have {steps} rows (one per forecast step) and "
                          f"columns {names}; got shape {frame.shape}.")
    data = as_series(np.zeros(len(frame)), frame, fill=None)
    return data.features[:steps]


def future_index(freq: str | None, index: pd.Index, steps: int) -> pd.Index:
    """The labels of ``steps`` values after ``index``: dates at frequency ``freq`` (inferred
    when ``None``), else positions."""
    if isinstance(index, pd.DatetimeIndex):
        freq = freq or infer_frequency(index)
        if freq:
            return pd.date_range(index[-1], periods=steps + 1, freq=freq)[1:]
        log.warning("could not infer the series' frequency; forecasts are numbered")
    last = int(index[-1]) if len(index) and not isinstance(index, pd.DatetimeIndex) else -1
    return pd.RangeIndex(last + 1, last + 1 + steps)
