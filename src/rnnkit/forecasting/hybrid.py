"""``HybridForecaster``: a statistical forecast corrected by a recurrent network.

On data with several seasons (half-hourly electricity demand: a day and a week) a seasonal
decomposition with an exponential-smoothing level (MSTL + ETS) is hard to beat a day ahead:
it averages each half-hour's profile over many weeks, where a network reading the last days
carries their shape forward. The best published hybrids keep the statistical model and let a
network learn what it misses: Taylor (2003) fits an AR model to double-seasonal Holt-Winters'
errors; Smyl (2020) feeds exponential smoothing's levels and seasons to dilated LSTMs.

Here the base model (``base``) is refitted at every ``origin_step``-th value of the training
series, each time from the values before that origin only, and forecasts ``horizon`` steps.
At each origin a small network (:class:`~rnnkit.models.corrector.Corrector`) reads the last
``window`` values and the base model's errors on them (each value against the latest base
forecast made before it), the base forecast itself and the origin's place in the day and the
week, and is trained to emit the base forecast's error: on logs for a positive series, so the
correction is a ratio. Its outputs start at zero, so an untrained hybrid is its base model,
and early stopping on the last origins keeps any correction that does not pay off there
small.

>>> t = np.arange(24 * 21)
>>> y = pd.Series(100 + 10 * np.sin(2 * np.pi * t / 24) + np.random.default_rng(0).normal(
...     0, 1, len(t)), index=pd.date_range("2024-01-01", periods=len(t), freq="h"))
>>> hf = HybridForecaster(season_length=24, units=4, ensemble=1, epochs=3, verbose=False)
>>> hf.fit(y[:-48]).forecast().index[0]
Timestamp('2024-01-20 00:00:00')
>>> hf.evaluate(y).index.tolist()
['hybrid', 'base (mstl-ets)', 'seasonal naive 24']
>>> print(hf.summary().splitlines()[0])
MSTL + ETS (statsforecast, seasons 24) refitted every 6 steps, corrected by:
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from rnnkit.base import Estimator
from rnnkit.data.series import (
    SeriesData,
    as_series,
    infer_frequency,
    seasons_for,
    uneven_dates,
)
from rnnkit.errors import LimitError, RnnkitError
from rnnkit.evaluation import mase_scale, metrics_table, naive_paths
from rnnkit.forecasting.base_forecasts import base_forecasts, min_history
from rnnkit.forecasting.calendar import calendar_columns, calendar_kinds
from rnnkit.forecasting.parameters import HYBRID
from rnnkit.forecasting.recursive import future_index
from rnnkit.forecasting.split import validation_size
from rnnkit.parameters import constraints
from rnnkit.validation import Constraint

__all__ = ["HybridForecaster"]

# Base-model refits one call may ask for, per origin of max_origins: a fit or evaluation at the
# default origin_step (a quarter of the horizon) needs at most 4 per origin and a window's worth
REFITS_PER_ORIGIN = 5


class HybridForecaster(Estimator):
    """Forecast one series with a statistical model (MSTL + ETS) whose errors a recurrent
    network learns to correct.

    Args:
        base: the statistical model, ``"mstl-ets"`` (statsforecast's MSTL, one component per
            seasonal period, with an AutoETS trend); needs ``rnnkit[baselines]``.
        cell: ``"rnn"``, ``"lstm"`` or ``"gru"``: the recurrent layer reading the past.
        units: its units.
        horizon: steps forecast from each origin (and at most what :meth:`forecast` gives);
            None: the shortest seasonal period (a day of hourly or half-hourly data).
        window: past steps read at each origin; None: ``horizon``.
        origin_step: steps between training origins, and between the base forecasts whose
            errors the network reads; it must divide ``horizon``. None: ``horizon // 4``.
            Each origin refits the base model (about 2 s for MSTL + ETS on 4,000 values).
        max_origins: the most recent training origins used, so that a fit's refits stay
            bounded on a long series (1,000 by default: 1,000 refits, about 30 minutes of one
            core for 4,000 half-hours; ten weeks of half-hours give 217).
        season_length: the seasonal periods, e.g. ``[48, 336]``; None infers them from the
            dates (hourly 24 and 168, half-hourly 48 and 336, daily 7 and 365).
        fill: ``"ffill"`` or ``"interpolate"`` fills missing values (in ``fit`` and in the
            ``y`` given to :meth:`forecast` and :meth:`evaluate`); None refuses them by row.
        validation: the last origins held out for early stopping: a fraction, or a count.
        ensemble: networks trained (seeds ``seed``, ``seed + 1``, …); their median corrects.
        refit: after early stopping has found each network's best epoch, train it again
            from the same seed on every origin for that many epochs.
        loss: ``"mae"`` (what MASE scores), ``"mse"`` (what RMSE scores) or ``"huber"``.
        correction_weight: the share of the network's correction that is applied (on logs
            for a positive series). Below 1 it shrinks a correction learned from a few weeks
            toward the base model, trading a little bias for less variance, as boosting's
            learning rate does; 0 gives the base model alone.
        n_jobs: processes that refit the base model side by side (-1: one per core).
        epochs, batch_size, learning_rate, patience, reduce_lr_patience, clip_norm, seed,
        device, verbose, threads: as :class:`~rnnkit.Forecaster`'s.

    After ``fit``: ``network_`` (the networks), ``history_`` (training records of the first
    network), ``base_scores_`` (the base model's and the hybrid's mean absolute error on the
    early-stopping origins, in the data's units). :meth:`forecast` refits the base model on the
    history it forecasts from (the training series, or ``y``).

    >>> HybridForecaster(horizon=48, ensemble=3)
    HybridForecaster(horizon=48, ensemble=3)
    """

    _parameter_constraints: ClassVar[dict[str, Constraint]] = constraints(HYBRID)

    def __init__(self, base: str = "mstl-ets", cell: str = "gru", units: int = 32,
                 horizon: int | None = None, window: int | None = None,
                 origin_step: int | None = None, max_origins: int = 1000,
                 season_length: Any = None, fill: str | None = None,
                 validation: float = 0.2, ensemble: int = 5, refit: bool = True,
                 loss: str = "mae", correction_weight: float = 1.0, epochs: int = 300,
                 batch_size: int = 32, learning_rate: float = 2e-3, patience: int | None = 30,
                 reduce_lr_patience: int | None = None, clip_norm: float | None = 1.0,
                 seed: int = 0, device: str = "auto", verbose: bool = True,
                 threads: int | None = None, n_jobs: int | None = None):
        self.base = base
        self.cell = cell
        self.units = units
        self.horizon = horizon
        self.window = window
        self.origin_step = origin_step
        self.max_origins = max_origins
        self.season_length = season_length
        self.fill = fill
        self.validation = validation
        self.ensemble = ensemble
        self.refit = refit
        self.loss = loss
        self.correction_weight = correction_weight
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.patience = patience
        self.reduce_lr_patience = reduce_lr_patience
        self.clip_norm = clip_norm
        self.seed = seed
        self.device = device
        self.verbose = verbose
        self.threads = threads
        self.n_jobs = n_jobs

    # ------------------------------------------------------------------ shape
    def _shape(self, p: dict[str, Any], data: SeriesData) -> dict[str, Any]:
        """Seasons, horizon, window, origin step and calendar cycles for ``data``."""
        freq = infer_frequency(data.index)
        if freq is None and (uneven := uneven_dates(data, bool(p["season_length"]))):
            warnings.warn(uneven, UserWarning, stacklevel=3)
        seasons = tuple(p["season_length"] or seasons_for(freq))
        periods = tuple(s for s in seasons if s > 1)
        horizon = p["horizon"] or (min(periods) if periods else None)
        if horizon is None:
            raise RnnkitError("`horizon` is needed: the series has no seasonal period to take "
                              "it from (give season_length, or dated data).")
        step = p["origin_step"] or max(1, horizon // 4)
        if horizon % step:
            raise RnnkitError(f"`origin_step` must divide the horizon ({horizon}); got {step}.")
        return {"seasons": list(periods or (1,)), "horizon": int(horizon),
                "window": int(p["window"] or horizon), "origin_step": int(step),
                "freq": freq, "calendar": list(calendar_kinds(freq, data.index, None))}

    # ------------------------------------------------------------------ features
    def _log(self, values: np.ndarray) -> np.ndarray:
        return np.log(values) if self.log_ else values

    def _samples(self, level: np.ndarray, origins: np.ndarray, base: dict[int, np.ndarray],
                 index: pd.Index, first_future: pd.Index | None = None
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Inputs at each origin: ``past`` ``(N, window, 2)`` (values and base errors, both
        relative to the last value), ``base`` ``(N, horizon)`` and calendar ``(N, 2k)``."""
        s = self.shape_
        w, h, step = s["window"], s["horizon"], s["origin_step"]
        past = np.zeros((len(origins), w, 2))
        paths = np.zeros((len(origins), h))
        for i, o in enumerate(origins):
            anchor = level[o - 1]
            past[i, :, 0] = level[o - w:o] - anchor
            for j, t in enumerate(range(o - w, o)):
                made = o - step * -(-(o - t) // step)  # the latest base origin <= t
                if made in base:
                    past[i, j, 1] = level[t] - base[made][t - made]
            paths[i] = base[int(o)] - anchor
        if s["calendar"]:
            stamps = (index[origins] if first_future is None else first_future)
            extra = calendar_columns(pd.DatetimeIndex(stamps), tuple(s["calendar"]))[1]
        else:
            extra = np.zeros((len(origins), 0))
        return past, paths, extra

    def _base_levels(self, values: np.ndarray, origins: list[int]) -> dict[int, np.ndarray]:
        s = self.shape_
        limit = REFITS_PER_ORIGIN * self._validated_params()["max_origins"]
        if len(origins) > limit:  # a window read at a fine origin_step multiplies the refits
            raise LimitError(f"this call needs {len(origins):,} refits of the base model (one "
                             f"every origin_step = {s['origin_step']} over the window of "
                             f"{s['window']} and the origins); at most {REFITS_PER_ORIGIN} × "
                             f"max_origins = {limit:,}. Raise origin_step, shorten the window "
                             "or the test end, or raise max_origins.")
        paths = base_forecasts(values, origins, s["horizon"], s["seasons"], self.base,
                               self.n_jobs, progress=bool(self.verbose) and len(origins) > 1)
        if not np.isfinite(paths).all() or (self.log_ and (paths <= 0).any()):
            bad = origins[int(np.flatnonzero(~np.isfinite(paths).all(1)
                                             | (paths <= 0).any(1) * self.log_)[0])]
            raise RnnkitError(f"the base model {self.base!r} gave a forecast that is not "
                              f"finite{' and positive' * self.log_} from position {bad}; this "
                              "series does not suit it.")
        return {o: self._log(p) for o, p in zip(origins, paths, strict=True)}

    # ------------------------------------------------------------------ fit
    def fit(self, y: Any, X: Any = None) -> HybridForecaster:
        """Fit on one series ``y`` (a Series, ideally with a DatetimeIndex, or an array).

        ``X`` is only scikit-learn's signature and must be None: the calendar inputs come from
        the dates."""
        import torch

        from rnnkit.models.corrector import Correctors
        from rnnkit.training import resolve_device

        p = self._validated_params()
        if X is not None:
            raise RnnkitError("HybridForecaster reads no feature columns: `X` must be None "
                              "(the calendar inputs come from the dates of `y`).")
        data = as_series(y, fill=p["fill"])
        values = data.target
        self.shape_ = s = self._shape(p, data)
        self.log_ = bool((values > 0).all())
        w, h, step = s["window"], s["horizon"], s["origin_step"]
        first = min_history(s["seasons"]) + w  # room for the base's history and a window
        last = len(values) - h
        if last < first + 4 * step:
            raise RnnkitError(f"the series has {len(values)} values; a hybrid with horizon "
                              f"{h}, window {w} and seasons {s['seasons']} needs at least "
                              f"{first + 4 * step + h} (two cycles of the longest season, a "
                              "window and five origins).")
        # the grid ends at the last origin; the most recent are kept
        origins = np.arange(last, first - 1, -step)[:p["max_origins"]][::-1]
        level = self._log(values)
        base = self._base_levels(values, sorted({m for o in origins for m in self._made(o)}))
        past, paths, extra = self._samples(level, origins, base, data.index)
        target = np.array([level[o:o + h] - base[int(o)] for o in origins])
        self.scales_ = {"value": _std(past[..., 0]), "error": _std(past[..., 1]),
                        "base": _std(paths), "target": _std(target)}
        tensors = [*self._tensors(past, paths, extra),
                   torch.tensor(target / self.scales_["target"], dtype=torch.float32)]
        n_val = _held_out(p["validation"], len(origins))
        device = resolve_device(p["device"])
        members, self.history_ = [], None
        for k in range(p["ensemble"]):
            net, history = self._train_member(p, tensors, n_val, p["seed"] + k, extra.shape[1],
                                              device)
            members.append(net)
            self.history_ = self.history_ or history
        self.network_ = members[0] if len(members) == 1 else Correctors(members)
        self.network_.eval()
        self.n_extra_ = int(extra.shape[1])
        self.history_values_ = values.copy()
        self.history_index_ = data.index
        self.base_scores_ = self._held_out_scores(values, origins[len(origins) - n_val:], base,
                                                  tensors, n_val) if n_val else {}
        return self

    def _tensors(self, past: np.ndarray, paths: np.ndarray, extra: np.ndarray) -> list[Any]:
        import torch

        sc = self.scales_
        scaled = past / np.array([sc["value"], sc["error"]])
        return [torch.tensor(scaled, dtype=torch.float32),
                torch.tensor(paths / sc["base"], dtype=torch.float32),
                torch.tensor(extra, dtype=torch.float32)]

    def _train_member(self, p: dict[str, Any], tensors: list[Any], n_val: int, seed: int,
                      n_extra: int, device: Any) -> tuple[Any, Any]:
        import torch

        from rnnkit.models.corrector import Corrector
        from rnnkit.threads import policy_threads
        from rnnkit.training import TrainConfig, loss_function, train

        s = self.shape_
        loss_fn = loss_function(p["loss"])

        def build() -> Corrector:
            torch.manual_seed(seed)
            return Corrector(p["cell"], p["units"], s["window"], s["horizon"], n_extra).to(device)

        def config(epochs: int, patience: int | None) -> TrainConfig:
            return TrainConfig(epochs=epochs, batch_size=p["batch_size"],
                               learning_rate=p["learning_rate"], patience=patience,
                               reduce_lr_patience=p["reduce_lr_patience"],
                               clip_norm=p["clip_norm"], seed=seed, verbose=p["verbose"],
                               description=f"hybrid network {seed - p['seed'] + 1}")

        n = len(tensors[-1])
        fit_part = [t[:n - n_val] for t in tensors]
        held = [t[n - n_val:] for t in tensors] if n_val else None
        work = float(p["units"] * (p["units"] + 2) * s["window"] * p["batch_size"])
        with policy_threads(p["threads"], work):
            net = build()
            history = train(net, loss_fn, fit_part, held, config(p["epochs"], p["patience"]))
            if p["refit"] and n_val and history.best_epoch:
                net = build()
                train(net, loss_fn, tensors, None, config(history.best_epoch, None))
        return net, history

    def _held_out_scores(self, values: np.ndarray, origins: np.ndarray,
                         base: dict[int, np.ndarray], tensors: list[Any], n_val: int
                         ) -> dict[str, float]:
        """Mean absolute errors, in the data's units, of the base model and of the hybrid on
        the early-stopping origins (with ``refit``, the networks have trained on them)."""
        h = self.shape_["horizon"]
        corrections = self._corrections([t[len(t) - n_val:] for t in tensors[:3]])
        actual = np.array([values[o:o + h] for o in origins])
        base_paths = np.array([base[int(o)] for o in origins])
        return {"base MAE": float(np.mean(np.abs(actual - self._unlog(base_paths)))),
                "hybrid MAE": float(np.mean(np.abs(
                    actual - self._unlog(base_paths + corrections))))}

    def _unlog(self, level: np.ndarray) -> np.ndarray:
        return np.exp(level) if self.log_ else level

    def _corrections(self, inputs: list[Any]) -> np.ndarray:
        import torch

        from rnnkit.threads import policy_threads

        with torch.no_grad(), policy_threads(self.threads, 1.0):
            device = next(self.network_.parameters()).device
            out = self.network_(*[t.to(device) for t in inputs])
        weight = self.scales_["target"] * self._validated_params()["correction_weight"]
        return out.cpu().numpy().astype(np.float64) * weight

    # ------------------------------------------------------------------ forecast
    def forecast(self, steps: int | None = None, y: Any = None) -> pd.Series:
        """The next ``steps`` values (at most, and by default, ``horizon``) after the training
        series, or after ``y`` (a longer stretch of the same series, e.g. with the values
        observed since ``fit``): the base model is refitted on that history, then corrected.
        See the module's example.
        """
        self._check_fitted()
        h = self.shape_["horizon"]
        steps = h if steps is None else steps
        if not isinstance(steps, int | np.integer) or not 1 <= steps <= h:
            raise RnnkitError(f"`steps` must be an integer from 1 to the horizon ({h}); got "
                              f"{steps!r}. Fit with a longer `horizon` for more.")
        values, index = self._history(y)
        _, forecast = self._paths(values, index)
        return pd.Series(forecast[:steps], index=future_index(self.shape_["freq"], index,
                                                              steps), name="forecast")

    def evaluate(self, y: Any, test: int | None = None) -> pd.DataFrame:
        """Scores on the last ``test`` values of ``y`` (by default those after the training
        series), forecast ``horizon`` at a time from every ``horizon``-th of them, each origin
        seeing only the values before it: RMSE, MAE, MAPE, sMAPE and MASE (scale: the
        seasonal naive's in-sample error over the shortest season, before the first origin)
        of the hybrid, of its base model alone and of the seasonal naive on the longest
        season, on the same points. At most ``max_origins`` forecasts (each refits the base
        model). See the module's example.
        """
        self._check_fitted()
        values, index = self._history(y)
        h, seasons = self.shape_["horizon"], self.shape_["seasons"]
        if test is None:
            test = len(values) - len(getattr(self, "history_values_", values))
        least = min_history(seasons) + self.shape_["window"]  # the first origin's history
        if not isinstance(test, int | np.integer) or not h <= test <= len(values) - least:
            raise RnnkitError(f"`test` must be an integer from the horizon ({h}) to "
                              f"{len(values) - least} (the values of `y` after the "
                              f"{least} the first forecast needs); got {test!r}. Pass `y` "
                              "longer than the training series, or `test`.")
        first = len(values) - int(test)
        origins = range(first, len(values) - h + 1, h)
        limit = self._validated_params()["max_origins"]
        if len(origins) > limit:  # each refits the base model a few times: bounded work
            raise LimitError(f"`test` asks for {len(origins):,} forecasts of {h} steps; at "
                             f"most max_origins ({limit:,}). Score a shorter end of `y`, or "
                             "raise max_origins.")
        made = sorted({m for o in origins for m in self._made(o)})  # one pool for them all
        levels = self._base_levels(values, made)
        longest = max(seasons)
        naive = "seasonal naive" if longest > 1 else "naive"  # no season: the last value held
        label = f"seasonal naive {longest}" if longest > 1 else "naive"
        paths: dict[str, list[np.ndarray]] = {"hybrid": [], f"base ({self.base})": [],
                                              label: []}
        for o in origins:
            base, hybrid = self._paths(values[:o], index[:o], levels)
            baseline = naive_paths(values[:o], h, longest)[naive]
            for name, path in zip(paths, (hybrid, base, baseline), strict=True):
                paths[name].append(path)
        actual = values[first:first + len(origins) * h]
        return metrics_table(actual, {k: np.concatenate(v) for k, v in paths.items()},
                             mase_scale(values[:first], min(seasons)))

    def score(self, y: Any, X: Any = None) -> float:
        """Minus the hybrid's MASE on the points of ``y`` after the training series (see
        :meth:`evaluate`): one number where higher is better, as scikit-learn's model
        selection maximises, and as :meth:`rnnkit.Forecaster.score` gives. ``X`` must be
        None."""
        if X is not None:
            raise RnnkitError("HybridForecaster reads no feature columns: `X` must be None.")
        return -float(self.evaluate(y).loc["hybrid", "MASE"])

    def _history(self, y: Any) -> tuple[np.ndarray, pd.Index]:
        """The values and index a forecast starts after: ``y``, or the training series."""
        if y is None:
            if not hasattr(self, "history_values_"):
                raise RnnkitError("a loaded hybrid forecasts from a history: pass `y` (the "
                                  "series up to the forecast origin).")
            return self.history_values_, self.history_index_
        data = as_series(y, fill=self._validated_params()["fill"])
        needed = min_history(self.shape_["seasons"]) + self.shape_["window"]
        if len(data) < needed:
            raise RnnkitError(f"`y` has {len(data)} values; forecasting needs at least "
                              f"{needed} (two cycles of the longest season and a window).")
        if self.log_ and not (data.target > 0).all():
            raise RnnkitError("this hybrid was fitted on a positive series (it corrects "
                              "logs); `y` has values <= 0.")
        s = self.shape_
        if s["calendar"] and not isinstance(data.index, pd.DatetimeIndex):
            raise RnnkitError(f"this hybrid reads the calendar ({', '.join(s['calendar'])}): "
                              "`y` needs its dates (a DatetimeIndex; --time on the command "
                              "line).")
        if s["calendar"] and (freq := infer_frequency(data.index)) != s["freq"]:
            raise RnnkitError(f"this hybrid was fitted on data every {s['freq']}; `y` is "
                              f"every {freq}.")
        return data.target, data.index

    def _made(self, origin: int) -> list[int]:
        """The base forecasts a forecast from ``origin`` reads: its own, and those before it
        (every ``origin_step``) whose errors fall in its window."""
        s = self.shape_
        step = s["origin_step"]
        made = [origin - step * k for k in range(-(-s["window"] // step), -1, -1)]
        return [o for o in made if o >= min_history(s["seasons"])]

    def _paths(self, values: np.ndarray, index: pd.Index,
               base: dict[int, np.ndarray] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The base model's ``horizon`` forecasts after ``values``, and the hybrid's (``base``:
        base forecasts already made, by origin, in the network's units)."""
        s = self.shape_
        origin = len(values)
        level = self._log(values)
        if base is None:
            base = self._base_levels(values, self._made(origin))
        stamps = (future_index(s["freq"], index, 1) if s["calendar"] else None)
        past, paths, extra = self._samples(level, np.array([origin]), base, index, stamps)
        correction = self._corrections(self._tensors(past, paths, extra))[0]
        forecast = self._unlog(base[origin] + correction)
        if not np.isfinite(forecast).all():
            raise RnnkitError("the hybrid's forecast is not finite (the network's correction "
                              "overflowed); refit with another seed or a smaller learning "
                              "rate.")
        return self._unlog(base[origin]), forecast

    def summary(self) -> str:
        """The fitted network's layers and parameter counts (Keras's), after a line naming
        the base model it corrects. See the module's example."""
        self._check_fitted()
        s = self.shape_
        seasons = ", ".join(map(str, s["seasons"]))
        return (f"MSTL + ETS (statsforecast, seasons {seasons}) refitted every "
                f"{s['origin_step']} steps, corrected by:\n"
                + self.network_.summary(title="hybrid corrector"))

    # ------------------------------------------------------------------ save / load
    def save(self, path: str | Path) -> Path:
        """Write the model to a directory (JSON config, safetensors weights, JSON
        preprocessing); :meth:`load` reads it back. The training series is not saved, so a
        loaded hybrid forecasts from the ``y`` it is given."""
        from rnnkit.forecasting.hybrid_files import write_hybrid

        self._check_fitted()
        return write_hybrid(self, path)

    @classmethod
    def load(cls, path: str | Path, device: str = "auto") -> HybridForecaster:
        """Read a directory written by :meth:`save`; it is untrusted: parameters and shapes
        are checked before any tensor is read."""
        from rnnkit.forecasting.hybrid_files import read_hybrid

        return read_hybrid(cls, path, device)


def _std(x: np.ndarray) -> float:
    """A scale for inputs ``x``: their standard deviation, 1 where they do not vary."""
    value = float(np.std(x))
    return value if np.isfinite(value) and value > 1e-12 else 1.0


def _held_out(validation: float | int, n: int) -> int:
    """Origins kept for early stopping: a fraction of ``n`` or a count, leaving 4 to train."""
    return max(0, min(validation_size(n, validation), n - 4))
