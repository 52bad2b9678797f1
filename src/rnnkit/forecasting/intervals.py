"""Conformal prediction intervals: the ``level`` quantile of the |errors| the networks made
on the validation part, per step ahead (split conformal; Vovk et al. 2005). A global model
pools the errors of all series, each in units of its own seasonal-naive error.

>>> widths = conformal_widths([[1.0, 2.0, 3.0, 4.0, 5.0]], steps=2, level=0.8)
>>> widths.tolist()  # step 2 has no errors of its own: grows as a random walk
[5.0, 7.0710678118654755]
"""

from __future__ import annotations

import warnings

import numpy as np

from rnnkit.forecasting.recursive import Predictor
from rnnkit.forecasting.state import SeriesState
from rnnkit.validation import Number

__all__ = ["check_level", "conformal_widths", "interval_widths", "pooled_errors",
           "validation_residuals", "warn_if_missing"]

# fewer errors than this at a step ahead give no interval (NaN): the quantile would be noise
MIN_ERRORS = 5


def check_level(level: float, name: str = "level") -> float:
    """``level`` if it is a probability strictly between 0 and 1; else the one error."""
    return Number(0.0, 1.0, low_open=True, high_open=True).check(name, level)


def conformal_widths(residuals: list[list[float]], steps: int, level: float) -> np.ndarray:
    """Split-conformal half-widths 1..``steps`` ahead from |errors| per step ahead (steps
    beyond the last with errors grow as a random walk); NaN without 5 errors a step."""
    kept = [np.sort(np.asarray(r, dtype=float)) for r in residuals if len(r) >= MIN_ERRORS]
    if not kept:
        return np.full(steps, np.nan)
    widths = np.empty(steps)
    for step in range(1, steps + 1):
        k = min(step, len(kept))
        values = kept[k - 1]
        rank = min(len(values), int(np.ceil((len(values) + 1) * level)))  # finite-sample rank
        widths[step - 1] = values[rank - 1] * (np.sqrt(step / k) if step > k else 1.0)
    return widths


def pooled_errors(states: list[SeriesState]) -> list[np.ndarray]:
    """Every series' validation |errors| per step, in units of its ``error_scale`` (arrays:
    a model of 100,000 series pools millions of them)."""
    steps = max((len(s.residuals) for s in states), default=0)
    return [np.concatenate([np.zeros(0)] + [
        np.asarray(s.residuals[k], dtype=np.float64) / s.error_scale for s in states
        if np.isfinite(s.error_scale) and s.error_scale > 0 and len(s.residuals) > k])
        for k in range(steps)]


def interval_widths(states: list[SeriesState], pooled: list[list[float]], steps: int,
                    level: float) -> np.ndarray:
    """Half-widths ``(series, steps)`` of the ``level`` intervals 1..``steps`` ahead of each
    of ``states``: from its own validation errors, or with ``pooled`` errors (a global
    model's) from those times the series' ``error_scale`` — a few validation errors per series
    would give a noisy quantile. The pooled errors are sorted once."""
    if pooled:
        scales = np.array([s.error_scale for s in states], dtype=float)
        with np.errstate(invalid="ignore"):
            return np.outer(np.where(np.isfinite(scales), scales, np.nan),
                            conformal_widths(pooled, steps, level))
    return np.stack([conformal_widths(s.residuals, steps, level) for s in states])


def warn_if_missing(widths: np.ndarray, stacklevel: int) -> None:
    """Say why ``lower`` and ``upper`` are NaN when no interval could be made."""
    if np.isnan(widths).all():
        warnings.warn("no prediction intervals: they need at least 5 validation errors per "
                      "step, and this model kept fewer (give it a longer `validation` part); "
                      "`lower` and `upper` are NaN.", UserWarning, stacklevel=stacklevel + 1)


def validation_residuals(predictor: Predictor, states: list[SeriesState], several: bool,
                         group: int = 1000) -> list[list[np.ndarray]]:
    """Each series' |errors| of 1..K-step forecasts from its validation origins (K ≤ 2
    seasons, ≤ 24), from the data in its ``recent`` values. The series of a global model
    share network calls, ``group`` series at a time (a history's forecast does not depend on
    the others in its call)."""
    out: list[list[np.ndarray]] = []
    for first in range(0, len(states), group):
        out += _group_residuals(predictor, states[first:first + group], several)
    return out


def _origins(state: SeriesState, several: bool) -> tuple[list[int], int]:
    """The validation origins of a series and the steps ahead scored from them: every origin
    (up to 60) for one series; for a global model the first 12 per series, which see the
    longest steps ahead (their errors are pooled across series)."""
    data, start = state.recent, state.n_train
    if start >= len(data):
        return [], 0
    max_k = min(len(data) - start, 24, 2 * max(state.season_length, 6))
    origins = list(range(start, len(data)))
    return (origins[:12] if several else origins[-60:]), max_k


def _group_residuals(predictor: Predictor, states: list[SeriesState], several: bool
                     ) -> list[list[np.ndarray]]:
    plans = [_origins(state, several) for state in states]
    steps = max((k for _, k in plans), default=0)
    owners, targets, features, futures, starts = [], [], [], [], []
    for i, (state, (origins, _)) in enumerate(zip(states, plans, strict=True)):
        data = state.recent
        # features after each origin, the last row held beyond the data
        ahead = np.concatenate([data.features, np.repeat(data.features[-1:], steps, axis=0)])
        for o in origins:
            owners.append(i)
            targets.append(data.target[:o])
            features.append(data.features[:o])
            futures.append(ahead[o:o + steps])
            starts.append(data.start)
    paths = (predictor.paths([states[i] for i in owners], targets, features, steps, futures,
                             starts) if owners else np.zeros((0, 0)))
    out: list[list[np.ndarray]] = []
    row = 0
    for state, (origins, max_k) in zip(states, plans, strict=True):
        data, first = state.recent, np.asarray(origins, dtype=np.int64)
        at = first[:, None] + np.arange(max_k)  # (origins, steps ahead): positions scored
        seen = at < len(data)
        actual = data.target[np.minimum(at, len(data) - 1)]
        errors = np.abs(actual - paths[row:row + len(first), :max_k])
        row += len(first)
        out.append([errors[seen[:, j], j].astype(np.float64) for j in range(max_k)])
    return out
