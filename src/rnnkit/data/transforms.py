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
* ``mstl`` / ``mstl{k}x{m}`` — deseasonalisation of several seasons at once (a day and a week
  of hours): MSTL (statsmodels; Bandara, Hyndman & Bergmeir 2021) splits the training part
  into trend, one seasonal component per period and remainder; their sum is subtracted and
  added back, each component's last cycle repeating beyond the training part. ``mstl`` takes
  the periods from the data (24 and 168 for hourly data), ``mstl48x336`` names them.
* ``es`` / ``es{k}`` — deseasonalisation by exponential smoothing, the seasonal half of additive
  Holt-Winters (``"log,es"``: multiplicative). With several seasons (hourly data: a day and a
  week) a bare ``es`` chains one smoother per season, shortest first (``es24,es168``), the
  second smoothing what the first left::

      s_t = factor used at t       l_t = α (x_t − s_t) + (1 − α) l_{t−1}
      x_t − s_t is the output      s_{t+k} ← γ (x_t − l_t) + (1 − γ) s_t

  started from the first value with no season; α and γ are chosen per series from a small
  grid by the smoother's own one-step error on the training part. Unlike STL it is causal: the
  factor at ``t`` comes from values before ``t`` only, so training windows see seasons as a
  forecast does, and the factors keep learning from every later value (validation part, new
  data), not only from the training part. A forecast adds back the factors known at its origin
  (beyond one cycle, repeated).

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
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from rnnkit.errors import RnnkitError

__all__ = ["TransformChain"]

_STEP = re.compile(r"^(log|log1p|boxcox|diff(\d*)|stl(\d*)|es(\d*)|mstl((?:\d+x)*\d+)?)$")
# The smoothing constants of ``es`` for a series too short to choose its own (see _es_start)
ES_ALPHA, ES_GAMMA = 0.5, 0.2


@dataclass
class _Step:
    kind: str  # "log", "log1p", "boxcox", "diff", "stl" or "es"
    lag: int = 0  # diff: the lag; stl, es: the seasonal period
    lmbda: float | None = None
    # stl: the component over the training part; es: the factor used at every position seen,
    # then the `lag` factors after the last one
    seasonal: list[float] | None = None
    level: float | None = None  # es: the smoothed level after the last position seen
    alpha: float = ES_ALPHA  # es: level smoothing, fitted
    gamma: float = ES_GAMMA  # es: seasonal smoothing, fitted
    periods: list[int] | None = None  # mstl: every seasonal period (lag: the longest)
    components: list[list[float]] | None = None  # mstl: one seasonal component per period

    @property
    def name(self) -> str:
        if self.kind == "diff":
            return "diff" if self.lag == 1 else f"diff{self.lag}"
        if self.kind == "mstl":
            return "mstl" + "x".join(map(str, self.periods or ()))
        return f"{self.kind}{self.lag}" if self.kind in ("stl", "es") else self.kind

    @property
    def lost(self) -> int:
        return self.lag if self.kind == "diff" else 0

    def season(self, positions: np.ndarray) -> np.ndarray:
        """The seasonal component at absolute ``positions``: STL's estimate inside the training
        part, its last cycle repeated outside it (MSTL: the sum of its components, each
        repeating its own cycle)."""
        if self.kind == "mstl":
            return sum((_repeated(np.asarray(c, dtype=np.float64), p, positions)
                        for c, p in zip(self.components, self.periods, strict=True)),
                       np.zeros(len(np.atleast_1d(positions))))
        return _repeated(np.asarray(self.seasonal, dtype=np.float64), self.lag, positions)

    @property
    def floor(self) -> float | None:
        """The value this step's input must stay above (``None``: any value will do)."""
        return {"log": 0.0, "boxcox": 0.0, "log1p": -1.0}.get(self.kind)

    @property
    def domain_text(self) -> str:
        return (f"transform {self.name!r} needs "
                + ("a positive series" if self.floor == 0 else "values above -1"))

    def fit(self, x: np.ndarray) -> None:
        if self.floor is not None:
            finite = x[np.isfinite(x)]
            if (finite <= self.floor).any():
                instead = "'log1p' for counts with zeros, 'diff'" if self.floor == 0 else "'diff'"
                raise RnnkitError(f"{self.domain_text}; got a minimum of {finite.min():g}. Use "
                                  f"{instead} or no transform.")
        if self.kind == "boxcox":
            from scipy import stats

            self.lmbda = float(stats.boxcox_normmax(x[np.isfinite(x)], method="mle"))
        if self.kind == "stl":
            self.seasonal = _stl_seasonal(x, self.lag).tolist()
        if self.kind == "mstl":
            self.components = _mstl_components(x, list(self.periods))
        if self.kind == "es":
            self.seasonal, self.level, self.alpha, self.gamma = _es_start(x, self.lag)

    def smoothed(self, x: np.ndarray, start: int = 0) -> tuple[np.ndarray, np.ndarray, float]:
        """``es``: the factor used at each value of ``x`` (``x[0]`` at position ``start``),
        the ``lag`` factors after its end as known there, and the level there. Positions seen
        before give their stored factors; later ones are filtered through ``x``'s values."""
        seasonal, period = np.asarray(self.seasonal, dtype=np.float64), self.lag
        seen = len(seasonal) - period
        end = start + len(x)
        if self.level is None or not np.isfinite(self.level):  # fitted on no finite value
            return np.zeros(len(x)), np.zeros(period), float("nan")
        if start > seen:
            raise RnnkitError(
                f"transform {self.name!r} smooths its seasonal factors through every value, but "
                f"the values given start at position {start}, after a gap: it has seen "
                f"positions up to {seen - 1}. Pass the series from where the data it has seen "
                "ends (or from its start).")
        # before the first position the smoother started with no season: zero factors there
        used = seasonal[np.clip(start + np.arange(len(x)), 0, seen - 1)]
        if end <= seen:
            return used, seasonal[np.clip(end + np.arange(period), 0, None)], float("nan")
        buffer = np.empty(period)
        buffer[(seen + np.arange(period)) % period] = seasonal[seen:]
        new, _, level, buffer = _es_filter(x[seen - start:], seen, period, self.alpha,
                                           self.gamma, self.level, buffer)
        used[seen - start:] = new
        return used, buffer[(end + np.arange(period)) % period], float(level)

    def extend(self, x: np.ndarray, start: int = 0) -> None:
        """``es``: filter the factors through the values of ``x`` after the positions seen, so
        later calls may start anywhere up to ``x``'s end (see :meth:`TransformChain.extend`)."""
        if self.kind != "es" or self.level is None or not np.isfinite(self.level) \
                or start + len(x) <= len(self.seasonal) - self.lag:
            return
        seen = len(self.seasonal) - self.lag
        used, after, level = self.smoothed(x, start)
        self.seasonal = [*self.seasonal[:seen], *used[seen - start:].tolist(), *after.tolist()]
        self.level = level

    def forward(self, x: np.ndarray, start: int = 0) -> np.ndarray:
        if self.kind == "log":
            return np.log(x)
        if self.kind == "log1p":
            return np.log1p(x)
        if self.kind == "boxcox":
            return np.log(x) if abs(self.lmbda) < 1e-12 else (x**self.lmbda - 1) / self.lmbda
        if self.kind in ("stl", "mstl"):
            return x - self.season(start + np.arange(len(x)))
        if self.kind == "es":
            return x - self.smoothed(x, start)[0]
        out = np.full_like(x, np.nan)
        out[self.lag:] = x[self.lag:] - x[:-self.lag]
        return out

    def inverse(self, z: np.ndarray, before: np.ndarray, start: int = 0) -> np.ndarray:
        """Invert values ``z`` at the positions right after ``before`` (this step's input,
        whose first value is at position ``start``)."""
        if self.kind == "log":
            return np.exp(z)
        if self.kind == "log1p":
            return np.expm1(z)
        if self.kind == "boxcox":
            return (np.exp(z) if abs(self.lmbda) < 1e-12
                    else np.power(np.maximum(z * self.lmbda + 1, 1e-12), 1 / self.lmbda))
        if self.kind in ("stl", "mstl"):
            z = np.atleast_1d(z)
            return z + self.season(start + len(before) + np.arange(len(z)))
        if self.kind == "es":  # the factors known at the origin, repeated beyond one cycle
            z = np.atleast_1d(z)
            return z + self.smoothed(before, start)[1][np.arange(len(z)) % self.lag]
        # y_t = z_t + y_{t-lag}, where y_{t-lag} may itself be one of the values being inverted
        history = list(before)
        out = []
        for value in np.atleast_1d(z):
            history.append(value + history[-self.lag])
            out.append(history[-1])
        return np.asarray(out)

    def to_dict(self) -> dict[str, Any]:
        out = {"kind": self.kind, "lag": self.lag, "lmbda": self.lmbda,
               "seasonal": self.seasonal}
        if self.kind == "es":
            out |= {"level": self.level, "alpha": self.alpha, "gamma": self.gamma}
        if self.kind == "mstl":
            out |= {"periods": self.periods, "components": self.components}
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> _Step:
        return cls(data["kind"], data["lag"], data["lmbda"], data.get("seasonal"),
                   data.get("level"), data.get("alpha", ES_ALPHA), data.get("gamma", ES_GAMMA),
                   data.get("periods"), data.get("components"))


def _es_filter(x: np.ndarray, start: int, period: int, alpha: Any, gamma: Any, level: Any,
               buffer: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Run the seasonal smoother over ``x`` (``x[0]`` at position ``start``) from ``level`` and
    ``buffer`` (one factor per phase, position mod ``period``); a NaN leaves the state alone.
    ``alpha``, ``gamma`` and ``level`` may be arrays ``(K,)`` with ``buffer`` ``(K, period)``:
    K smoothers at once. Returns the factor used at each value ``(T, ...)``, the smoother's own
    one-step forecast of each value (the level before it plus its factor), the final level and
    the final buffer."""
    buffer = np.array(buffer, dtype=np.float64)
    level = np.asarray(level, dtype=np.float64)
    used = np.empty((len(x), *level.shape))
    ahead = np.empty_like(used)
    for i, value in enumerate(x):
        phase = (start + i) % period
        factor = buffer[..., phase].copy()
        used[i], ahead[i] = factor, level + factor
        if np.isfinite(value):
            level = alpha * (value - factor) + (1 - alpha) * level
            buffer[..., phase] = gamma * (value - level) + (1 - gamma) * factor
    return used, ahead, level, buffer


# (alpha, gamma) pairs `es` chooses from: on the M1 and Tourism validation parts a pair chosen
# per series beat one pair for all (benchmarks/RESULTS.md)
_ES_GRID = np.array([(a, g) for a in (0.1, 0.3, 0.5, 0.7, 0.9)
                     for g in (0.02, 0.1, 0.2, 0.35, 0.5)])


def _es_start(x: np.ndarray, period: int
              ) -> tuple[list[float], float | None, float, float]:
    """Fit ``es`` on ``x``: the factors used at every position and the ``period`` after them,
    the final level, and the (alpha, gamma) of :data:`_ES_GRID` whose smoother forecasts ``x``
    one step ahead with the smallest mean absolute error after its first cycle. The smoother
    starts at the first finite value with no season (zero factors), so a short series gets
    only the little season it shows; one too short to score keeps the default pair."""
    finite = np.flatnonzero(np.isfinite(x))
    if not len(finite):
        return [0.0] * (len(x) + period), None, ES_ALPHA, ES_GAMMA
    first = int(finite[0])
    values = x[first:]
    alpha, gamma = ES_ALPHA, ES_GAMMA
    scored = np.isfinite(values[period:])
    if scored.any():
        k = len(_ES_GRID)
        _, ahead, _, _ = _es_filter(values, first, period, _ES_GRID[:, 0], _ES_GRID[:, 1],
                                    np.full(k, values[0]), np.zeros((k, period)))
        errors = np.abs(values[period:, None] - ahead[period:])[scored].mean(axis=0)
        alpha, gamma = (float(v) for v in _ES_GRID[int(np.argmin(errors))])
    used, _, level, buffer = _es_filter(values, first, period, alpha, gamma, values[0],
                                        np.zeros(period))
    after = buffer[(len(x) + np.arange(period)) % period]
    return [0.0] * first + used.tolist() + after.tolist(), float(level), alpha, gamma


def _repeated(seasonal: np.ndarray, period: int, positions: np.ndarray) -> np.ndarray:
    """``seasonal`` (estimated over positions 0..n-1) at ``positions``: itself inside, its
    last cycle of ``period`` repeated outside."""
    n = len(seasonal)
    positions = np.asarray(positions, dtype=np.int64)
    outside = seasonal[n - period + (positions - n) % period]
    inside = (positions >= 0) & (positions < n)
    return np.where(inside, seasonal[np.clip(positions, 0, n - 1)], outside)


def _mstl_components(x: np.ndarray, periods: list[int]) -> list[list[float]]:
    """MSTL's seasonal component of ``x`` for each of ``periods`` (leading NaNs get each
    phase's first estimate). Too few values for two cycles of the longest: zeros, warned."""
    finite = np.flatnonzero(np.isfinite(x))
    first = int(finite[0]) if len(finite) else len(x)
    values = x[first:]
    longest = max(periods)
    if len(values) < 2 * longest + 1 or not np.isfinite(values).all():
        warnings.warn(f"transform 'mstl{'x'.join(map(str, periods))}' needs at least "
                      f"{2 * longest + 1} consecutive finite values to estimate its seasons; a "
                      "shorter series is left seasonal (not deseasonalised).", UserWarning,
                      stacklevel=5)
        return [[0.0] * max(len(x), p) for p in periods]
    from statsmodels.tsa.seasonal import MSTL

    seasonal = np.asarray(MSTL(values, periods=periods).fit().seasonal).reshape(len(values), -1)
    out = []
    for k, period in enumerate(periods):
        lead = seasonal[(np.arange(first) - first) % period, k] if first else seasonal[:0, k]
        out.append(np.concatenate([lead, seasonal[:, k]]).tolist())
    return out


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
    def parse(cls, spec: str | None, season_length: int | Sequence[int] | None = None
              ) -> TransformChain:
        """``"log,diff12"`` → a chain; ``None``/``""``/``"none"`` → no transform. A bare
        ``stl`` takes ``season_length`` as its period."""
        if spec is None or spec.strip().lower() in ("", "none"):
            return cls([])
        seasons = (sorted(season_length) if isinstance(season_length, list | tuple)
                   else [season_length] if season_length else [])
        season_length = seasons[0] if seasons else None
        steps = []
        for part in spec.replace("+", ",").split(","):
            part = part.strip().lower()
            match = _STEP.match(part)
            if not match:
                raise RnnkitError(f"`transform` parts must be log, boxcox, diff, diff<lag>, stl, "
                                  f"stl<period>, mstl, mstl<period>x<period>, es or "
                                  f"es<period> (e.g. 'log,diff12'); got {part!r} in {spec!r}.")
            if part.startswith("diff"):
                lag = int(match[2] or 1)
                if lag < 1:
                    raise RnnkitError(f"`transform`: a difference lag must be >= 1; got {part!r}.")
                steps.append(_Step("diff", lag))
            elif part.startswith("mstl"):
                periods = ([int(p) for p in match[5].split("x")] if match[5]
                           else [s for s in seasons if s >= 2])
                if not periods or min(periods) < 2:
                    raise RnnkitError(f"`transform`: {part!r} needs seasonal periods of at "
                                      "least 2 (from the data's frequency, or written, e.g. "
                                      "'mstl24x168').")
                steps.append(_Step("mstl", max(periods), periods=sorted(periods)))
            elif part.startswith(("stl", "es")):
                kind, digits = ("stl", match[3]) if part.startswith("stl") else ("es", match[4])
                period = int(digits or season_length or 0)
                if not digits and period < 2:
                    raise RnnkitError(f"`transform`: {part!r} takes its period from the data's "
                                      "frequency, which gives none; write it, e.g. 'stl12', or "
                                      "pass season_length.")
                if period < 2:
                    raise RnnkitError(f"`transform`: {part!r} needs a seasonal period of at "
                                      "least 2.")
                if kind == "es" and not digits:  # several seasons: a smoother for each
                    steps += [_Step("es", p) for p in seasons if p >= 2]
                else:
                    steps.append(_Step(kind, period))
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

    def check(self, y: np.ndarray, describe: Callable[[int], str] = lambda i: f"row {i}"
              ) -> None:
        """Refuse values of ``y`` outside the leading steps' domain (a log needs positive
        values), naming the first by ``describe``: a silent NaN forecast would follow.

        >>> TransformChain.parse("log,diff").check(np.array([3.0, 0.0]))
        Traceback (most recent call last):
        rnnkit.errors.RnnkitError: transform 'log' needs a positive series; got 0 at row 1.
        """
        x = np.asarray(y, dtype=np.float64)
        for step in self.steps:
            if step.floor is None:
                return  # later steps' inputs depend on what they are fitted on
            bad = np.flatnonzero(np.isfinite(x) & (x <= step.floor))
            if len(bad):
                raise RnnkitError(f"{step.domain_text}; got {x[bad[0]]:g} at "
                                  f"{describe(int(bad[0]))}.")
            if step.kind == "boxcox" and step.lmbda is None:
                return  # not fitted yet: its output is unknown
            x = step.forward(x)

    def extend(self, y: np.ndarray, start: int = 0) -> TransformChain:
        """Let stateful steps (``es``) take in the values of ``y`` after those they have seen
        (filtering, not fitting: nothing is estimated from them), so that later calls may
        start anywhere up to ``y``'s end."""
        x = np.asarray(y, dtype=np.float64)
        for step in self.steps:
            step.extend(x, start)
            x = step.forward(x, start)
        return self

    @property
    def positional(self) -> bool:
        """Whether values depend on their position in the seasonal cycle (``stl``, ``es``)."""
        return any(s.kind in ("stl", "mstl", "es") for s in self.steps)

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
            elif step.kind in ("stl", "mstl"):
                values = values + step.season(start + np.asarray(positions))
            elif step.kind == "es":
                values = values + step.smoothed(x, start)[0][np.asarray(positions)]
            else:
                values = step.inverse(values, x)
        return values

    def to_dict(self) -> dict[str, Any]:
        return {"spec": self.spec, "steps": [s.to_dict() for s in self.steps]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TransformChain:
        return cls([_Step.from_dict(s) for s in data["steps"]])
