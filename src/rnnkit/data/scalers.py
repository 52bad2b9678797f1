"""Scalers fitted on training data only, stored as JSON, inverted for every reported number.

>>> import numpy as np
>>> s = MinMaxScaler().fit(np.array([[10.0], [20.0], [30.0]]))
>>> s.transform(np.array([[20.0], [40.0]])).ravel().tolist()
[0.5, 1.5]
>>> s.inverse_transform(s.transform(np.array([[12.5]]))).item()
12.5
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["ChangeScaler", "IdentityScaler", "MinMaxScaler", "StandardScaler", "make_scaler",
           "scaler_from_dict"]


class _ColumnScaler:
    """``x_scaled = (x - offset) / scale`` per column; subclasses choose offset and scale."""

    kind = "base"

    def __init__(self) -> None:
        self.offset_: np.ndarray | None = None
        self.scale_: np.ndarray | None = None

    def _params(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover
        raise NotImplementedError

    def fit(self, x: np.ndarray) -> _ColumnScaler:
        x = np.asarray(x, dtype=np.float64).reshape(len(x), -1)
        offset, scale = self._params(x)
        # A constant column would divide by zero; leave it centred but unscaled.
        self.offset_, self.scale_ = offset, np.where(scale > 0, scale, 1.0)
        return self

    def transform(self, x: np.ndarray) -> np.ndarray:
        return (np.asarray(x, dtype=np.float64) - self.offset_) / self.scale_

    def inverse_transform(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(x, dtype=np.float64) * self.scale_ + self.offset_

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "offset": self.offset_.tolist(), "scale": self.scale_.tolist()}


class MinMaxScaler(_ColumnScaler):
    """Maps the training minimum to 0 and maximum to 1 (values outside stay outside)."""

    kind = "minmax"

    def _params(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        lo, hi = x.min(axis=0), x.max(axis=0)
        return lo, hi - lo


class StandardScaler(_ColumnScaler):
    """Zero mean and unit variance on the training data."""

    kind = "standard"

    def _params(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return x.mean(axis=0), x.std(axis=0)


class ChangeScaler(_ColumnScaler):
    """Zero mean; one unit is the mean absolute step between consecutive training values.

    In a global model each series' errors then count in units of its typical step, as MASE
    counts them, instead of its spread (which a trend inflates). Rows must be in time order.
    """

    kind = "change"

    def _params(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        steps = np.abs(np.diff(x, axis=0))
        return x.mean(axis=0), (steps.mean(axis=0) if len(steps) else np.ones(x.shape[1]))


class IdentityScaler(_ColumnScaler):
    """No scaling (``scaler=None``)."""

    kind = "none"

    def _params(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return np.zeros(x.shape[1]), np.ones(x.shape[1])


_KINDS = {c.kind: c for c in (MinMaxScaler, StandardScaler, ChangeScaler, IdentityScaler)}


def make_scaler(kind: str | None) -> _ColumnScaler:
    """A fresh scaler: ``"minmax"``, ``"standard"``, ``"change"`` or ``None``/``"none"``."""
    return _KINDS["none" if kind is None else kind]()


def scaler_from_dict(data: dict[str, Any]) -> _ColumnScaler:
    """Rebuild a fitted scaler from :meth:`to_dict` output (exactly: floats round-trip in JSON)."""
    if data.get("kind") not in _KINDS:
        raise ValueError(f"unknown scaler {data.get('kind')!r}; known: {', '.join(_KINDS)}")
    scaler = _KINDS[data["kind"]]()
    scaler.offset_ = np.asarray(data["offset"], dtype=np.float64).reshape(-1)
    scaler.scale_ = np.asarray(data["scale"], dtype=np.float64).reshape(-1)
    # a file may hold anything: a zero or missing scale would turn forecasts into NaN
    if (scaler.offset_.shape != scaler.scale_.shape or not np.isfinite(scaler.offset_).all()
            or not np.isfinite(scaler.scale_).all() or not (scaler.scale_ > 0).all()):
        raise ValueError("a scaler needs finite offsets and positive, finite scales")
    return scaler
