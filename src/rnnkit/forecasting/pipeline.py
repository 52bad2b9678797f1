"""From a series' values to what the network reads, and back: the transform chain (chosen
per series), the scalers fitted on the training part, and the one window normalisation used
by training and prediction alike.

>>> import numpy as np
>>> windows = np.array([[[1.0], [3.0]], [[2.0], [6.0]]])
>>> normalized, level = normalize_windows(windows, "last")
>>> normalized[:, :, 0].tolist(), level.tolist()
([[-2.0, 0.0], [-4.0, 0.0]], [3.0, 6.0])
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from rnnkit.data.transforms import TransformChain
from rnnkit.errors import RnnkitError
from rnnkit.forecasting.calendar import user_features
from rnnkit.forecasting.state import SeriesState

__all__ = ["ModelSpace", "check_scale", "choose_chain", "normalize_windows", "padded"]

# |value| the network's inputs may reach: far inside float32's 3.4e38, so that the
# products of a layer stay finite too
FLOAT32_SAFE = 1e30


def choose_chain(spec: Any, target: np.ndarray,
                 season_length: int | tuple[int, ...] | None = None) -> TransformChain:
    """The transform chain ``spec`` names for a series with values ``target``: ``"auto"``
    takes a log where the values allow one (``"log1p"`` with zeros), and may start a chain
    (``"auto,es"``)."""
    spec = "auto" if spec is None else spec
    if not isinstance(spec, str):
        raise RnnkitError(f"`transform` must be a string like 'log' or 'log,diff12', "
                          f"'auto' or 'none'; got {spec!r}.")
    head, _, rest = spec.strip().lower().partition(",")
    if head == "auto":
        finite = target[np.isfinite(target)]
        log = ("log" if (finite > 0).all() else "log1p" if (finite >= 0).all() else "")
        spec = ",".join(part for part in (log, rest) if part) or "none"
    return TransformChain.parse(spec, season_length)


def check_scale(scaler: Any, z: np.ndarray, name: str) -> None:
    """Refuse a scaler that overflowed; warn when values far from 1 reach the network
    unscaled, where it learns poorly (a series near 1e-8 was forecast at 0.06)."""
    if not (np.isfinite(scaler.offset_).all() and np.isfinite(scaler.scale_).all()):
        raise RnnkitError(f"{name}the values (up to {np.abs(z).max():g} after the transforms) "
                          "are too large to scale: their spread overflows. Rescale the data "
                          "or use transform='log' (--transform log).")
    spread = float(np.std(scaler.transform(z[:, None])))
    if scaler.kind == "none" and len(z) > 1 and spread > 0 and not 1e-3 <= spread <= 1e4:
        warnings.warn(f"{name}with scaler='none' the network reads values that vary by about "
                      f"{spread:.2g}, far from 1, where it learns poorly; use scaler='standard' "
                      "(--scaler standard) or rescale the data.", UserWarning, stacklevel=4)


def padded(space: np.ndarray, length: int) -> np.ndarray:
    """``space`` with its first row repeated in front up to ``length`` rows."""
    missing = length - len(space)
    return space if missing <= 0 else np.concatenate([np.repeat(space[:1], missing, axis=0),
                                                      space])


def normalize_windows(windows: np.ndarray, normalize: str | None
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Windows ``(S, T, C)`` with each one's level (its ``"last"`` or ``"mean"`` target value)
    subtracted from its target channel, and those levels ``(S,)``, which the network's
    outputs are relative to; ``None`` keeps the levels (zeros returned)."""
    if normalize is None or not len(windows):
        return windows, np.zeros(len(windows))
    level = windows[:, -1, 0] if normalize == "last" else windows[:, :, 0].mean(axis=1)
    windows = windows.copy()
    windows[:, :, 0] -= level[:, None]
    return windows, level


@dataclass(frozen=True)
class ModelSpace:
    """The forecaster-wide part of the pipeline: the features' scaler and names; with a
    series' :class:`SeriesState` it maps values to the network's inputs, and names the cause
    when numbers leave what 32-bit floats hold."""

    feature_scaler: Any
    feature_names: tuple[str, ...]  # the user's features, then the calendar's
    several: bool
    calendar: tuple[str, ...] = ()  # the cycles of the calendar inputs (none: no calendar)

    @property
    def user_features(self) -> tuple[str, ...]:
        """The feature columns a user gives (the calendar's are computed)."""
        return user_features(self.feature_names, self.calendar)

    def series_name(self, state: SeriesState) -> str:
        return f"series {state.key!r}: " if self.several else ""

    def inputs(self, state: SeriesState, target: np.ndarray, features: np.ndarray,
               start: int) -> np.ndarray:
        """Transformed, scaled target and scaled features, ``(T - lost, 1 + F)``, for values
        whose first is at position ``start`` of the series; an error if they would overflow
        the network's 32-bit floats."""
        lost = state.chain.lost
        z = state.chain.transform(target, start)[lost:]
        space = state.scaler.transform(z[:, None])
        if features.shape[1]:  # (called for every history of a validation: kept lean)
            space = np.concatenate([space, self.feature_scaler.transform(features[lost:])],
                                   axis=1)
        if not (np.abs(space) <= FLOAT32_SAFE).all():  # NaN compares False too
            bad = ~(np.abs(space) <= FLOAT32_SAFE)
            row, column = (int(i) for i in np.argwhere(bad)[0])
            what = "target" if column == 0 else f"feature {self.feature_names[column - 1]!r}"
            raise RnnkitError(
                f"{self.series_name(state)}the {what} is {space[row, column]:g} at position "
                f"{row + lost} after the transforms and scaling, beyond what the network's "
                "32-bit floats hold: the values overflow or the scale is degenerate. Rescale "
                "the data, or use transform='log' (--transform log) or scaler='standard' "
                "(--scaler standard).")
        return space

    def finite(self, state: SeriesState, values: np.ndarray, what: str) -> np.ndarray:
        """``values`` if all are finite; else an error naming the likely cause."""
        if np.isfinite(values).all():
            return values
        step = int(np.flatnonzero(~np.isfinite(values.reshape(-1)))[0])
        raise RnnkitError(
            f"{self.series_name(state)}the {what} is not finite ({values.reshape(-1)[step]} "
            f"at step {step + 1}): undoing the transforms and scaling overflowed. The data's "
            f"scale (recent values up to {np.abs(state.recent.target).max():g}) is too large "
            "or too small for them; rescale it, or use transform='log' (--transform log) or "
            "scaler='standard' (--scaler standard).")
