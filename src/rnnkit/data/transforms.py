"""Target transforms, fitted on training data and inverted for every reported number.

Scaling alone cannot help a network with a trending series: the test months of the airline data
lie above anything seen in training, where tanh units saturate. A transform chain makes the
target stationary first, e.g. ``"log,diff12"`` (log, then seasonal differencing):

* ``log`` — natural logarithm (positive series); ``boxcox`` — Box-Cox with λ estimated on the
  training part (scipy).
* ``diff`` / ``diff{k}`` — differences at lag 1 / lag k (``diff12``: seasonal, monthly data).
* ``stl`` / ``stl{k}`` — deseasonalisation: STL (statsmodels, robust) splits the training part
  into trend, season and remainder; the seasonal component is subtracted, and added back to
  every forecast. Beyond the training part the last estimated cycle repeats. ``stl`` takes the
  period from the data (12 for monthly); ``"log,stl"`` removes a multiplicative season.

Each transform maps the series to one of the same length (the first ``lag`` values become NaN)
and inverts a forecast of position ``t`` from the transform's input *before* ``t``: actual values
for one-step forecasts, earlier forecasts beyond the data. ``stl`` depends on where a value lies
in the seasonal cycle, so every method takes ``start``: the position of the first value given,
counted from the first value the chain was fitted on.

>>> import numpy as np
>>> chain = TransformChain.parse("log,diff")
>>> y = np.array([10.0, 20.0, 40.0, 80.0])
>>> z = chain.fit(y).transform(y)
>>> np.round(z, 4).tolist()
[nan, 0.6931, 0.6931, 0.6931]
>>> round(chain.inverse_next(np.log(2.0), y).item(), 6)  # the next value: twice the last
160.0
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from rnnkit.errors import RnnkitError

__all__ = ["TransformChain"]

_STEP = re.compile(r"^(log|boxcox|diff(\d*)|stl(\d*))$")


@dataclass
class _Step:
    kind: str  # "log", "boxcox", "diff" or "stl"
    lag: int = 0  # diff: the lag; stl: the seasonal period
    lmbda: float | None = None
    seasonal: list[float] | None = None  # stl: the component over the training part

    @property
    def name(self) -> str:
        if self.kind == "diff":
            return "diff" if self.lag == 1 else f"diff{self.lag}"
        return f"stl{self.lag}" if self.kind == "stl" else self.kind

    @property
    def lost(self) -> int:
        return self.lag if self.kind == "diff" else 0

    def season(self, positions: np.ndarray) -> np.ndarray:
        """The seasonal component at absolute ``positions``: STL's estimate inside the training
        part, its last cycle repeated outside it."""
        seasonal = np.asarray(self.seasonal, dtype=np.float64)
        n, period = len(seasonal), self.lag
        positions = np.asarray(positions, dtype=np.int64)
        outside = seasonal[n - period + (positions - n) % period]
        inside = (positions >= 0) & (positions < n)
        return np.where(inside, seasonal[np.clip(positions, 0, n - 1)], outside)

    def fit(self, x: np.ndarray) -> None:
        if self.kind in ("log", "boxcox"):
            finite = x[np.isfinite(x)]
            if (finite <= 0).any():
                raise RnnkitError(f"transform {self.name!r} needs a positive series; got a "
                                  f"minimum of {finite.min():g}. Use 'diff' or no transform.")
        if self.kind == "boxcox":
            from scipy import stats

            self.lmbda = float(stats.boxcox_normmax(x[np.isfinite(x)], method="mle"))
        if self.kind == "stl":
            self.seasonal = _stl_seasonal(x, self.lag).tolist()

    def forward(self, x: np.ndarray, start: int = 0) -> np.ndarray:
        if self.kind == "log":
            return np.log(x)
        if self.kind == "boxcox":
            return np.log(x) if abs(self.lmbda) < 1e-12 else (x**self.lmbda - 1) / self.lmbda
        if self.kind == "stl":
            return x - self.season(start + np.arange(len(x)))
        out = np.full_like(x, np.nan)
        out[self.lag:] = x[self.lag:] - x[:-self.lag]
        return out

    def inverse(self, z: np.ndarray, before: np.ndarray, start: int = 0) -> np.ndarray:
        """Invert values ``z`` at the positions right after ``before`` (this step's input,
        whose first value is at position ``start``)."""
        if self.kind == "log":
            return np.exp(z)
        if self.kind == "boxcox":
            return (np.exp(z) if abs(self.lmbda) < 1e-12
                    else np.power(np.maximum(z * self.lmbda + 1, 1e-12), 1 / self.lmbda))
        if self.kind == "stl":
            z = np.atleast_1d(z)
            return z + self.season(start + len(before) + np.arange(len(z)))
        # y_t = z_t + y_{t-lag}, where y_{t-lag} may itself be one of the values being inverted
        history = list(before)
        out = []
        for value in np.atleast_1d(z):
            history.append(value + history[-self.lag])
            out.append(history[-1])
        return np.asarray(out)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "lag": self.lag, "lmbda": self.lmbda,
                "seasonal": self.seasonal}


def _stl_seasonal(x: np.ndarray, period: int) -> np.ndarray:
    """STL's seasonal component of ``x`` (leading NaNs from earlier differences get the phase's
    first estimate). Fewer than two full cycles give no estimate: zeros, with a warning."""
    finite = np.flatnonzero(np.isfinite(x))
    first = int(finite[0]) if len(finite) else len(x)
    values = x[first:]
    if period < 2 or len(values) < 2 * period + 1 or not np.isfinite(values).all():
        # one message for all short series of a global model (Python shows it once)
        warnings.warn(f"transform 'stl{period}' needs at least {2 * period + 1} consecutive "
                      "finite values to estimate a season; a shorter series is left "
                      "seasonal (not deseasonalised).", UserWarning, stacklevel=5)
        return np.zeros(max(len(x), period))
    from statsmodels.tsa.seasonal import STL

    seasonal = np.asarray(STL(values, period=period, robust=True).fit().seasonal)
    lead = seasonal[(np.arange(first) - first) % period] if first else seasonal[:0]
    return np.concatenate([lead, seasonal])


@dataclass
class TransformChain:
    """Transforms applied left to right; inverted right to left."""

    steps: list[_Step] = field(default_factory=list)

    @classmethod
    def parse(cls, spec: str | None, season_length: int | None = None) -> TransformChain:
        """``"log,diff12"`` → a chain; ``None``/``""``/``"none"`` → no transform. A bare
        ``stl`` takes ``season_length`` as its period."""
        if spec is None or spec.strip().lower() in ("", "none"):
            return cls([])
        steps = []
        for part in spec.replace("+", ",").split(","):
            part = part.strip().lower()
            match = _STEP.match(part)
            if not match:
                raise RnnkitError(f"`transform` parts must be log, boxcox, diff, diff<lag>, stl "
                                  f"or stl<period> (e.g. 'log,diff12'); got {part!r} in "
                                  f"{spec!r}.")
            if part.startswith("diff"):
                lag = int(match[2] or 1)
                if lag < 1:
                    raise RnnkitError(f"`transform`: a difference lag must be >= 1; got {part!r}.")
                steps.append(_Step("diff", lag))
            elif part.startswith("stl"):
                period = int(match[3] or season_length or 0)
                if not match[3] and period < 2:
                    raise RnnkitError(f"`transform`: {part!r} takes its period from the data's "
                                      "frequency, which gives none; write it, e.g. 'stl12', or "
                                      "pass season_length.")
                if period < 2:
                    raise RnnkitError(f"`transform`: {part!r} needs a seasonal period of at "
                                      "least 2.")
                steps.append(_Step("stl", period))
            else:
                steps.append(_Step(part))
        return cls(steps)

    @property
    def lost(self) -> int:
        """Leading values with no transformed counterpart (the sum of the lags)."""
        return sum(s.lost for s in self.steps)

    @property
    def spec(self) -> str:
        return ",".join(s.name for s in self.steps) or "none"

    def fit(self, y: np.ndarray) -> TransformChain:
        x = np.asarray(y, dtype=np.float64)
        for step in self.steps:
            step.fit(x)
            x = step.forward(x)
        return self

    @property
    def positional(self) -> bool:
        """Whether values depend on their position in the seasonal cycle (``stl``)."""
        return any(s.kind == "stl" for s in self.steps)

    def transform(self, y: np.ndarray, start: int = 0) -> np.ndarray:
        x = np.asarray(y, dtype=np.float64)
        for step in self.steps:
            x = step.forward(x, start)
        return x

    def _inputs(self, y: np.ndarray, start: int) -> list[np.ndarray]:
        """Each step's input series for history ``y``."""
        inputs, x = [], np.asarray(y, dtype=np.float64)
        for step in self.steps:
            inputs.append(x)
            x = step.forward(x, start)
        return inputs

    def inverse_next(self, z: np.ndarray | float, history: np.ndarray,
                     start: int = 0) -> np.ndarray:
        """Original-scale values of the transformed values ``z`` at the positions right after
        ``history`` (the original series up to there, its first value at ``start``)."""
        values = np.atleast_1d(np.asarray(z, dtype=np.float64))
        for step, before in zip(reversed(self.steps), reversed(self._inputs(history, start)),
                                strict=True):
            values = step.inverse(values, before, start)
        return values

    def inverse_one_step(self, z: np.ndarray, y: np.ndarray, positions: np.ndarray,
                         start: int = 0) -> np.ndarray:
        """Invert one-step forecasts ``z`` of ``y[positions]``, each from the actual values
        before its position (``y``'s first value at ``start``)."""
        inputs = self._inputs(y, start)
        values = np.asarray(z, dtype=np.float64)
        for step, x in zip(reversed(self.steps), reversed(inputs), strict=True):
            if step.kind == "diff":
                values = values + x[positions - step.lag]
            elif step.kind == "stl":
                values = values + step.season(start + np.asarray(positions))
            else:
                values = step.inverse(values, x)
        return values

    def to_dict(self) -> dict[str, Any]:
        return {"spec": self.spec, "steps": [s.to_dict() for s in self.steps]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TransformChain:
        return cls([_Step(s["kind"], s["lag"], s["lmbda"], s.get("seasonal"))
                    for s in data["steps"]])
