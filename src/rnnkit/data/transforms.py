"""Target transforms, fitted on training data and inverted for every reported number.

Scaling alone cannot help a network with a trending series: the test months of the airline data
lie above anything seen in training, where tanh units saturate. A transform chain makes the
target stationary first, e.g. ``"log,diff12"`` (log, then seasonal differencing):

* ``log`` — natural logarithm (positive series); ``boxcox`` — Box-Cox with λ estimated on the
  training part (scipy).
* ``diff`` / ``diff{k}`` — differences at lag 1 / lag k (``diff12``: seasonal, monthly data).

Each transform maps the series to one of the same length (the first ``lag`` values become NaN)
and inverts a forecast of position ``t`` from the transform's input *before* ``t``: actual values
for one-step forecasts, earlier forecasts beyond the data.

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
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from rnnkit.errors import RnnkitError

__all__ = ["TransformChain"]

_STEP = re.compile(r"^(log|boxcox|diff(\d*))$")


@dataclass
class _Step:
    kind: str  # "log", "boxcox" or "diff"
    lag: int = 0
    lmbda: float | None = None

    @property
    def name(self) -> str:
        return f"diff{self.lag}" if self.kind == "diff" and self.lag != 1 else (
            "diff" if self.kind == "diff" else self.kind)

    def fit(self, x: np.ndarray) -> None:
        if self.kind in ("log", "boxcox"):
            finite = x[np.isfinite(x)]
            if (finite <= 0).any():
                raise RnnkitError(f"transform {self.name!r} needs a positive series; got a "
                                  f"minimum of {finite.min():g}. Use 'diff' or no transform.")
        if self.kind == "boxcox":
            from scipy import stats

            self.lmbda = float(stats.boxcox_normmax(x[np.isfinite(x)], method="mle"))

    def forward(self, x: np.ndarray) -> np.ndarray:
        if self.kind == "log":
            return np.log(x)
        if self.kind == "boxcox":
            return np.log(x) if abs(self.lmbda) < 1e-12 else (x**self.lmbda - 1) / self.lmbda
        out = np.full_like(x, np.nan)
        out[self.lag:] = x[self.lag:] - x[:-self.lag]
        return out

    def inverse(self, z: np.ndarray, before: np.ndarray) -> np.ndarray:
        """Invert values ``z`` at the positions right after ``before`` (this step's input)."""
        if self.kind == "log":
            return np.exp(z)
        if self.kind == "boxcox":
            return (np.exp(z) if abs(self.lmbda) < 1e-12
                    else np.power(np.maximum(z * self.lmbda + 1, 1e-12), 1 / self.lmbda))
        # y_t = z_t + y_{t-lag}, where y_{t-lag} may itself be one of the values being inverted
        history = list(before)
        out = []
        for value in np.atleast_1d(z):
            history.append(value + history[-self.lag])
            out.append(history[-1])
        return np.asarray(out)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "lag": self.lag, "lmbda": self.lmbda}


@dataclass
class TransformChain:
    """Transforms applied left to right; inverted right to left."""

    steps: list[_Step] = field(default_factory=list)

    @classmethod
    def parse(cls, spec: str | None) -> TransformChain:
        """``"log,diff12"`` → a chain; ``None``/``""``/``"none"`` → no transform."""
        if spec is None or spec.strip().lower() in ("", "none"):
            return cls([])
        steps = []
        for part in spec.replace("+", ",").split(","):
            part = part.strip().lower()
            match = _STEP.match(part)
            if not match:
                raise RnnkitError(f"`transform` parts must be log, boxcox, diff or diff<lag> "
                                  f"(e.g. 'log,diff12'); got {part!r} in {spec!r}.")
            if part.startswith("diff"):
                lag = int(match[2] or 1)
                if lag < 1:
                    raise RnnkitError(f"`transform`: a difference lag must be >= 1; got {part!r}.")
                steps.append(_Step("diff", lag))
            else:
                steps.append(_Step(part))
        return cls(steps)

    @property
    def lost(self) -> int:
        """Leading values with no transformed counterpart (the sum of the lags)."""
        return sum(s.lag for s in self.steps)

    @property
    def spec(self) -> str:
        return ",".join(s.name for s in self.steps) or "none"

    def fit(self, y: np.ndarray) -> TransformChain:
        x = np.asarray(y, dtype=np.float64)
        for step in self.steps:
            step.fit(x)
            x = step.forward(x)
        return self

    def transform(self, y: np.ndarray) -> np.ndarray:
        x = np.asarray(y, dtype=np.float64)
        for step in self.steps:
            x = step.forward(x)
        return x

    def _inputs(self, y: np.ndarray) -> list[np.ndarray]:
        """Each step's input series for history ``y``."""
        inputs, x = [], np.asarray(y, dtype=np.float64)
        for step in self.steps:
            inputs.append(x)
            x = step.forward(x)
        return inputs

    def inverse_next(self, z: np.ndarray | float, history: np.ndarray) -> np.ndarray:
        """Original-scale values of the transformed values ``z`` at the positions right after
        ``history`` (the original series up to there)."""
        values = np.atleast_1d(np.asarray(z, dtype=np.float64))
        for step, before in zip(reversed(self.steps), reversed(self._inputs(history)),
                                strict=True):
            values = step.inverse(values, before)
        return values

    def inverse_one_step(self, z: np.ndarray, y: np.ndarray, positions: np.ndarray
                         ) -> np.ndarray:
        """Invert one-step forecasts ``z`` of ``y[positions]``, each from the actual values
        before its position."""
        inputs = self._inputs(y)
        values = np.asarray(z, dtype=np.float64)
        for step, x in zip(reversed(self.steps), reversed(inputs), strict=True):
            if step.kind == "diff":
                values = values + x[positions - step.lag]
            else:
                values = step.inverse(values, x)
        return values

    def to_dict(self) -> dict[str, Any]:
        return {"spec": self.spec, "steps": [s.to_dict() for s in self.steps]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TransformChain:
        return cls([_Step(s["kind"], s["lag"], s["lmbda"]) for s in data["steps"]])
