"""``Forecaster``: a recurrent network that forecasts one or many time series, end to end.

It splits chronologically (validation is the last part of the data given to ``fit``), makes the
target stationary with an invertible transform (log, Box-Cox, differencing), scales on the
training part only, cuts sliding windows (optionally normalised by each window's last level),
trains with early stopping (one network, or a median ensemble of several seeds), and reports
every number in the data's own units next to naive and seasonal-naive forecasts of the same
points, with conformal prediction intervals.

>>> import numpy as np
>>> y = np.sin(np.arange(120) * 2 * np.pi / 12) * 10 + 50
>>> fc = Forecaster(cell="gru", units=8, dense=(), window=12, epochs=5, season_length=12,
...                 verbose=False)
>>> fc = fc.fit(y[:96])
>>> fc.evaluate(y).metrics.index.tolist()
['GRU', 'naive', 'seasonal naive']
>>> len(fc.forecast(6))
6
"""

from __future__ import annotations

import copy
import logging
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from rnnkit.base import Estimator
from rnnkit.data.scalers import make_scaler, scaler_from_dict
from rnnkit.data.series import (
    FILL_METHODS,
    SeriesData,
    as_collection,
    as_series,
    check_consecutive,
    holds_many,
    infer_frequency,
    season_length_for,
)
from rnnkit.data.transforms import TransformChain
from rnnkit.data.windows import make_windows
from rnnkit.errors import ModelFormatError, RnnkitError
from rnnkit.evaluation import mase_scale, metrics_table, naive_forecasts, verdict
from rnnkit.limits import (
    MAX_ENSEMBLE,
    MAX_HORIZON,
    MAX_LAYERS,
    MAX_UNITS,
    MAX_WINDOW,
    check_horizon,
)
from rnnkit.models.layers import CELLS
from rnnkit.validation import (
    Boolean,
    Choice,
    Constraint,
    FractionOrCount,
    IntList,
    Number,
    Optional,
    PathLike,
    PositiveInt,
)

__all__ = ["ForecastEvaluation", "Forecaster", "holdout_size"]

log = logging.getLogger(__name__)


@dataclass
class ForecastEvaluation:
    """What :meth:`Forecaster.evaluate` found on the points after the training data.

    ``metrics``: one row per model (the network first, then the baselines), columns RMSE, MAE,
    MAPE, sMAPE, MASE, in the data's units (averaged over series for several series).
    ``predictions``: ``actual`` and each model's one-step-ahead forecast per point (with
    ``unique_id`` for several series). ``coverage``: the share of test points inside the
    network's ``level`` prediction interval. ``verdict``: the network vs the best baseline, on
    RMSE for one series, on MASE (scale-free) for several.
    """

    metrics: pd.DataFrame
    predictions: pd.DataFrame
    verdict: str
    coverage: float = float("nan")
    level: float = 0.9

    def __str__(self) -> str:
        table = self.metrics.to_string(float_format=lambda v: f"{v:,.3f}")
        cover = ("" if np.isnan(self.coverage) else
                 f"\n{self.level:.0%} prediction intervals covered {self.coverage:.0%} of the "
                 "test points.")
        return f"{table}\n\n{self.verdict}{cover}"

    def __repr__(self) -> str:
        return str(self)


def _validation_size(n: int, validation: float | int) -> int:
    """Points of ``n`` held out for validation: a fraction (rounded) or a count."""
    if isinstance(validation, int) and validation >= 1:
        return min(validation, n)
    return round(n * validation) if validation > 0 else 0


def holdout_size(n: int, test: float | int) -> int:
    """Points held out for testing: a fraction of ``n`` (rounded) or a count.

    >>> holdout_size(144, 0.2), holdout_size(144, 24)
    (29, 24)
    """
    allowed = "a fraction in (0, 1) or a whole number of points >= 1"
    try:
        checked = FractionOrCount().check("test", test)
    except RnnkitError:
        checked = 0
    if checked == 0:  # unlike a validation part, a test part cannot be empty
        raise RnnkitError(f"`test` must be {allowed}; got {test!r}.")
    test = checked
    size = test if isinstance(test, int) else round(n * test)
    if size < 1 or size >= n:
        raise RnnkitError(f"`test` must leave at least one point on each side of the split; "
                          f"got test={test!r} for {n} points.")
    return size


# |value| the network's inputs may reach: far inside float32's 3.4e38, so that the
# products of a layer stay finite too
_FLOAT32_SAFE = 1e30


@dataclass
class _Series:
    """What the forecaster learned about one series (all in the series' own units)."""

    key: Any
    chain: TransformChain
    scaler: Any
    recent: SeriesData  # the last `window + chain.lost` observations: where forecasts start
    mase_scale: float
    season_length: int
    freq: str | None
    n_train: int
    n_fit: int
    fit_end: Any
    train_end: Any
    residuals: list[list[float]]  # validation |errors| of 1..K-step forecasts, for intervals
    # the unit a global model pools those errors in: the seasonal-naive error over the
    # training part alone, which is all the networks that made them had seen
    error_scale: float

    def to_dict(self) -> dict[str, Any]:
        r = self.recent
        return {"key": self.key, "transform": self.chain.to_dict(),
                "scaler": self.scaler.to_dict(), "mase_scale": self.mase_scale,
                "season_length": self.season_length, "frequency": self.freq,
                "n_train": self.n_train, "n_fit": self.n_fit,
                "fit_end": _label_to_json(self.fit_end),
                "train_end": _label_to_json(self.train_end), "residuals": self.residuals,
                "error_scale": self.error_scale,
                "time_column": r.index.name,
                "recent": {"index": [_label_to_json(v) for v in r.index],
                           "target": r.target.tolist(), "features": r.features.tolist(),
                           "start": r.start,
                           "target_name": r.target_name, "features_names": list(
                               r.feature_names)}}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> _Series:
        rec = d["recent"]
        labels = [_label_from_json(v) for v in rec["index"]]
        index = (pd.DatetimeIndex(labels, name=d.get("time_column"))
                 if labels and isinstance(labels[0], pd.Timestamp) else pd.Index(labels))
        names = tuple(rec["features_names"])
        recent = SeriesData(np.asarray(rec["target"], dtype=np.float64),
                            np.asarray(rec["features"], dtype=np.float64).reshape(
                                len(labels), len(names)), index, rec["target_name"], names,
                            int(rec.get("start", 0)))
        if not (np.isfinite(recent.target).all() and np.isfinite(recent.features).all()):
            raise ValueError(f"series {d['key']!r}: its recent values must be finite numbers")
        return cls(d["key"], TransformChain.from_dict(d["transform"]),
                   scaler_from_dict(d["scaler"]), recent, d["mase_scale"], d["season_length"],
                   d["frequency"], d["n_train"], d["n_fit"], _label_from_json(d["fit_end"]),
                   _label_from_json(d["train_end"]), d["residuals"],
                   # models saved before MASE's scale took in the validation part kept this one
                   d.get("error_scale", d["mase_scale"]))


class Forecaster(Estimator):
    """Forecast a series (or many, with one global network) with a SimpleRNN, LSTM or GRU.

    Args:
        cell: ``"rnn"`` (SimpleRNN, tanh), ``"lstm"`` or ``"gru"``.
        units: units per stacked recurrent layer, e.g. ``[64, 32]``.
        window: past time steps the network reads for each forecast; several (e.g.
            ``[12, 24, 36]``) train one network per window length (times ``ensemble`` seeds)
            and take the median of all their forecasts. In a global model a series shorter
            than the longest window is padded in front with its first value (it needs the
            shortest window's values), so long windows do not exclude short series.
        horizon: steps the network emits at once (direct); longer forecasts feed its own
            forecasts back (recursive). ``horizon=1`` is purely recursive.
        stride: step between the starts of consecutive training windows.
        bidirectional: read each window both ways.
        dropout: dropout rate after each recurrent and hidden dense layer.
        dense: hidden ReLU layers of the head, e.g. ``[32]``; ``()`` for none.
        linear_skip: add a linear map from the last values the network reads (the shortest
            window's) to its outputs, learned with it (LSTNet's autoregressive highway).
            Naive, seasonal naive and moving averages are linear in those values, so the
            recurrent layers only learn what such a forecast misses (measured in
            benchmarks/RESULTS.md, "choosing settings on validation windows"); ``False`` gives
            the plain recurrent network.
        transform: target transform chain fitted on the training part and inverted for every
            number reported, e.g. ``"log"``, ``"boxcox"``, ``"diff"``, ``"log,diff12"``,
            ``"log,stl"`` or ``"log,es"`` (deseasonalise; see :mod:`rnnkit.data.transforms`);
            ``"none"``; ``"auto"`` uses ``"log"`` for a positive series, ``"log1p"`` for a
            non-negative one with zeros, else none, and may start a chain (``"auto,es"``).
        normalize: subtract each window's ``"last"`` (or ``"mean"``) scaled level from its
            inputs and targets, so the network learns changes, not levels; ``None`` to keep
            levels. With ``transform="log"`` this is normalisation by ratio.
        scaler: ``"standard"``, ``"minmax"``, ``"change"`` (one unit = the mean absolute step
            between consecutive values) or ``None``, fitted on the training part only.
        ensemble: train this many networks (seeds ``seed``, ``seed + 1``, …) per window length
            and use the median of their forecasts (the mean of two).
        validation: fraction of the data given to ``fit`` held out (chronologically, at the end)
            for early stopping and for the prediction intervals, or a count of last points
            (e.g. ``18``); 0 trains on everything. In a global model a series too short for a
            validation window trains on all of its values.
        epochs, batch_size, learning_rate: Adam training settings.
        loss: ``"mse"``, ``"huber"`` or ``"mae"`` (the median: robust to outliers, and what
            MAE, MASE and sMAPE score), on scaled values.
        patience: early stopping patience in epochs (best weights are restored); None: off.
        reduce_lr_patience: halve the learning rate after this many epochs without improvement.
        clip_norm: clip the global gradient norm to this value; None: off.
        season_length: seasonal period for seasonal naive and MASE; None infers it from the
            time index (monthly 12, quarterly 4, weekly 52, daily 7, hourly 24).
        fill: fill missing values (``"ffill"`` or ``"interpolate"``) instead of refusing them.
        seed: seeds initialisation, dropout and shuffling; the same seed gives the same numbers
            on the same machine (CPU).
        device: ``"auto"`` (CUDA when available), ``"cpu"`` or ``"cuda"``.
        threads: CPU threads for training and prediction; None chooses by the network's size
            and the idle cores (one for small networks; see :mod:`rnnkit.threads`).
        verbose: show a progress bar while training.
        checkpoint: path of a ``.safetensors`` file that receives the best weights as training
            improves; in an ensemble, member ``k`` writes ``<name>.member<k>.safetensors``.
        refit: after early stopping has found each network's best epoch on the validation
            part, train it again from the same seed on all the data, validation part included,
            for that many epochs, so the latest values are learned from too. Prediction
            intervals still come from the first networks' validation errors, and a
            ``checkpoint`` holds the first networks' best weights. Without a validation part
            (``validation=0``) there is nothing to refit.
        windows_per_epoch: at most this many training windows per epoch, drawn anew at
            random each epoch (across series and positions), so an epoch of a long history
            or of many series costs the sample, not every window; None: every window.
        state_dir: a folder where training saves its state after every epoch (weights,
            optimizer, schedule, early stopping, random state, history);
            ``fit(..., resume=True)`` continues a killed run from its last saved epoch and
            ends with exactly the weights of an uninterrupted one. Not saved with the model.

    ``fit`` takes one series (Series, array) with optional feature columns ``X``, or many
    series — a long DataFrame with ``unique_id``, ``ds``, ``y`` columns, or a dict of Series —
    for one global network with per-series transforms and scaling. Feature columns are inputs
    only: to forecast beyond the data the network needs their future values; pass
    ``X_future``, or they are held at their last observed values, with a warning.
    """

    _parameter_constraints: ClassVar[dict[str, Constraint]] = {
        "cell": Choice(tuple(CELLS)),
        "units": IntList(maximum=MAX_UNITS, max_items=MAX_LAYERS),
        "window": IntList(example="12 or [12, 24, 36]", maximum=MAX_WINDOW, max_items=MAX_ENSEMBLE),
        "horizon": PositiveInt(maximum=MAX_HORIZON),
        "stride": PositiveInt(),
        "bidirectional": Boolean(),
        "dropout": Number(0.0, 1.0, high_open=True),
        "dense": IntList(allow_empty=True, maximum=MAX_UNITS, max_items=MAX_LAYERS),
        "linear_skip": Boolean(),
        "normalize": Optional(Choice(("last", "mean", "none"))),
        "scaler": Optional(Choice(("standard", "minmax", "change", "none"))),
        "ensemble": PositiveInt(maximum=MAX_ENSEMBLE),
        "validation": FractionOrCount(),
        "epochs": PositiveInt(),
        "batch_size": PositiveInt(),
        "learning_rate": Number(0.0, low_open=True),
        "loss": Choice(("mse", "huber", "mae")),
        "patience": Optional(PositiveInt()),
        "reduce_lr_patience": Optional(PositiveInt()),
        "clip_norm": Optional(Number(0.0, low_open=True)),
        "season_length": Optional(PositiveInt()),
        "fill": Optional(Choice(FILL_METHODS)),
        "seed": PositiveInt(minimum=0),
        "device": Choice(("auto", "cpu", "cuda", "mps")),
        "threads": Optional(PositiveInt()),
        "verbose": Boolean(),
        "state_dir": Optional(PathLike()),
        "windows_per_epoch": Optional(PositiveInt()),
        "refit": Boolean(),
    }

    def __init__(self, cell: str = "lstm", units: Any = (64, 32), window: Any = 12,
                 horizon: int = 1, stride: int = 1, bidirectional: bool = False,
                 dropout: float = 0.2, dense: Any = (32,), linear_skip: bool = True,
                 transform: str | None = "auto",
                 normalize: str | None = "last", scaler: str | None = "standard",
                 ensemble: int = 1, validation: float = 0.2, epochs: int = 200,
                 batch_size: int = 16, learning_rate: float = 1e-3, loss: str = "mse",
                 patience: int | None = 20, reduce_lr_patience: int | None = 10,
                 clip_norm: float | None = 1.0, season_length: int | None = None,
                 fill: str | None = None, seed: int = 0, device: str = "auto",
                 verbose: bool = True, checkpoint: str | None = None, refit: bool = False,
                 threads: int | None = None, state_dir: str | None = None,
                 windows_per_epoch: int | None = None):
        self.cell = cell
        self.units = units
        self.window = window
        self.horizon = horizon
        self.stride = stride
        self.bidirectional = bidirectional
        self.dropout = dropout
        self.dense = dense
        self.linear_skip = linear_skip
        self.transform = transform
        self.normalize = normalize
        self.scaler = scaler
        self.ensemble = ensemble
        self.validation = validation
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.loss = loss
        self.patience = patience
        self.reduce_lr_patience = reduce_lr_patience
        self.clip_norm = clip_norm
        self.season_length = season_length
        self.fill = fill
        self.seed = seed
        self.device = device
        self.verbose = verbose
        self.checkpoint = checkpoint
        self.refit = refit
        self.state_dir = state_dir
        self.windows_per_epoch = windows_per_epoch
        self.threads = threads

    # ------------------------------------------------------------------ building
    @property
    def _windows(self) -> tuple[int, ...]:
        return self._parameter_constraints["window"].check("window", self.window)

    @property
    def _window(self) -> int:
        """The longest window: what every forecast needs before it."""
        return max(self._windows)

    def _member_windows(self, ensemble: int | None = None) -> list[int]:
        """The window each network of the ensemble reads, in training order."""
        seeds = int(self.ensemble if ensemble is None else ensemble)
        return [w for w in self._windows for _ in range(seeds)]

    def _needed(self, state: _Series) -> int:
        """Values a forecast of ``state`` needs: the longest window (in a global model the
        shortest, the rest padded) plus the transform's lags."""
        return (min(self._windows) if self.multi_ else self._window) + state.chain.lost

    def min_history(self, series: Any = None) -> int:
        """The fewest recent values :meth:`update` and ``forecast(y=...)`` accept for a series
        (its window plus the transform's lags); the least over all series if none is named.

        >>> from rnnkit import datasets
        >>> fc = Forecaster(units=[4], dense=(), window=12, transform="log,diff12", epochs=1,
        ...                 verbose=False).fit(datasets.airline())
        >>> fc.min_history()
        24
        """
        self._check_fitted()
        states = self.series_ if series is None else [self._state(series)]
        return min(self._needed(state) for state in states)

    @classmethod
    def _n_members(cls, params: dict[str, Any]) -> int:
        windows = cls._parameter_constraints["window"].check("window", params.get("window", 1))
        return int(params.get("ensemble", 1)) * len(windows)

    @property
    def model_name(self) -> str:
        """Display name, e.g. ``"LSTM"`` or ``"BiGRU"``."""
        return ("Bi" if self.bidirectional else "") + CELLS.get(str(self.cell).lower(), "RNN")

    def _network_config(self, p: dict[str, Any], n_inputs: int):
        from rnnkit.models.network import NetworkConfig

        return NetworkConfig(cell=p["cell"], input_size=n_inputs, units=p["units"],
                             output_size=p["horizon"], bidirectional=p["bidirectional"],
                             dropout=p["dropout"], dense=p["dense"],
                             skip=min(p["window"]) if p["linear_skip"] else 0)

    def summary(self, n_features: int = 0) -> str:
        """Keras-like summary; before ``fit`` it describes the network for ``n_features`` extra
        input columns beside the target."""
        from rnnkit.models.network import RecurrentNetwork

        if hasattr(self, "network_"):
            net = self.network_
        else:
            p = self._validated_params()
            net = RecurrentNetwork(self._network_config(p, 1 + n_features))
        text = net.summary(timesteps=self._window, title=self.model_name.lower())
        if len(self._windows) > 1:
            lengths = ", ".join(map(str, self._windows))
            text += (f"\nEach network reads one window length of {lengths} ({int(self.ensemble)} "
                     "seed(s) per length); the forecast is their median.")
        return text

    def _chain(self, spec: Any, target: np.ndarray,
               season_length: int | None = None) -> TransformChain:
        spec = "auto" if spec is None else spec
        if not isinstance(spec, str):
            raise RnnkitError(f"`transform` must be a string like 'log' or 'log,diff12', "
                              f"'auto' or 'none'; got {spec!r}.")
        head, _, rest = spec.strip().lower().partition(",")
        if head == "auto":  # "auto,es": a log first where the series allows one
            finite = target[np.isfinite(target)]
            log = ("log" if (finite > 0).all() else "log1p" if (finite >= 0).all() else "")
            spec = ",".join(part for part in (log, rest) if part) or "none"
        return TransformChain.parse(spec, season_length)

    def _check_length(self, n: int, p: dict[str, Any], test: int = 0, lost: int = 0) -> int:
        """Training size after the validation split, or a clear error when the data is short."""
        n_val = _validation_size(n, p["validation"])
        n_train = n - n_val
        w, h = max(p["window"]), p["horizon"]
        if n_val and n_val < h and n_train >= lost + w + h:
            part = (f"{p['validation']:g} of {n} values = {n_val}"
                    if isinstance(p["validation"], float) else f"{n_val} values")
            raise RnnkitError(
                f"the validation part ({part}) is shorter than `horizon`={h}, so no validation "
                f"window fits. Raise `validation` to at least {h / n:.2f} (or {h} points), "
                "shorten `horizon`, or set validation=0.")
        if n_train < lost + w + h or (n_val and n_val < h):
            need = lost + w + h + (max(h, 1) if p["validation"] > 0 else 0)
            test_text = f" + test {test}" if test else ""
            lost_text = f" + {lost} lost to the transform" if lost else ""
            raise RnnkitError(
                f"the series is too short: {n + test} values, but window {w} + horizon {h}"
                f"{lost_text} + validation{test_text} needs more (the training part has "
                f"{n_train} values, at least {lost + w + h} are needed, about {need + test} in "
                "all). Use a shorter `window`, a smaller `validation` or `test`, or more data.")
        return n_train

    def _global_split(self, n: int, p: dict[str, Any], lost: int) -> int:
        """Training size of one series in a global model. Short series are welcome: one too
        short for a validation window trains on all of it, and one too short for a training
        window only needs enough values to be forecast (the network learned from the others).
        """
        w, h = min(p["window"]), p["horizon"]
        if n < lost + w:
            raise RnnkitError(f"needs at least window {w}" + (f" + {lost} lost to the "
                              f"transform" if lost else "") + f" = {lost + w} values to be "
                              f"forecast; it has {n}. Use a shorter `window` or drop it.")
        n_train = n - _validation_size(n, p["validation"])
        if n_train == n or n - n_train < h or n_train < lost + w + h:
            return n
        return n_train

    # ------------------------------------------------------------------ input
    # ------------------------------------------------------------------ fitting
    def fit(self, y: Any, X: Any = None, resume: bool = False) -> Forecaster:
        """Train on ``y`` (and feature columns ``X``); the last ``validation`` part validates.

        Returns ``self``. With ``resume`` (and ``state_dir``), a run killed earlier on the
        same data continues from its last saved epoch. ``y``: Series (a ``DatetimeIndex``
        gives dated forecasts), 1-D array or list; or many series (long
        ``unique_id``/``ds``/``y`` DataFrame, or dict of Series).
        ``X``: DataFrame or 2-D array with one row per value of ``y``.
        """
        p = self._validated_params()
        if resume and not p["state_dir"]:
            raise RnnkitError("`resume=True` needs `state_dir`, where the run was saved.")
        p["resume"] = resume
        if p["normalize"] == "none":
            p["normalize"] = None
        collection, multi = as_collection(y, X, p["fill"])
        first = collection[0][1]
        train_x, train_y, val_x, val_y, states, features_train = [], [], [], [], [], []
        full_x, full_y = [], []  # every window, validation part included (for `refit`)
        for key, data in collection:
            states.append(self._new_state(key, data, p, multi))
            features_train.append(data.features[:states[-1].n_train])
        self.feature_scaler_ = make_scaler(p["scaler"]).fit(np.vstack(features_train))
        self.feature_names_ = first.feature_names
        w, h = max(p["window"]), p["horizon"]
        # a global model's series may be shorter than its longest window; every series is
        # padded alike, so a window reads at least the shortest window's real values and the
        # network sees padded starts in long series too, not only in the short ones
        pad = w - min(p["window"]) if multi else 0
        for state in states:
            data = state.recent  # the whole series for now; trimmed below
            space = _padded(self._space(state, data), len(data) - state.chain.lost + pad)
            cut = state.n_train - state.chain.lost + pad
            if cut >= w + h:  # a short series of a global model may give no training window
                x, t = make_windows(space[:cut], w, h, p["stride"])
                train_x.append(x)
                train_y.append(t)
            if state.n_train < state.n_fit:
                x, t = make_windows(space, w, h, 1, first_target=cut)
                val_x.append(x)
                val_y.append(t)
                if p["refit"] and len(space) >= w + h:
                    x, t = make_windows(space, w, h, p["stride"])
                    full_x.append(x)
                    full_y.append(t)
            elif p["refit"] and cut >= w + h:
                full_x.append(train_x[-1])
                full_y.append(train_y[-1])
        if not train_x:
            raise RnnkitError(f"no series is long enough for one training window (window {w} "
                              f"+ horizon {h}); use a shorter `window` or `horizon`.")
        val = (np.concatenate(val_x), np.concatenate(val_y)) if val_x else None
        members, histories = self._train_members(
            p, (np.concatenate(train_x), np.concatenate(train_y)), val)
        self.network_ = _as_network(members)
        self.history_ = histories[0]
        self.member_histories_ = histories
        self.multi_ = multi
        self.series_ = states
        for state in states:  # interval widths from networks that never saw the validation part
            state.residuals = self._validation_residuals(state, state.recent)
        self.pooled_residuals_ = _pooled(states) if multi else []
        if p["refit"] and val is not None:
            epochs = [hist.best_epoch or len(hist.records) for hist in histories]
            members, self.refit_histories_ = self._train_members(
                p, (np.concatenate(full_x), np.concatenate(full_y)), None, epochs)
            self.network_ = _as_network(members)
        for state in states:
            full = state.recent
            state.recent = full.slice(max(0, len(full) - (w + state.chain.lost)))
        return self

    def _new_state(self, key: Any, data: SeriesData, p: dict[str, Any],
                   multi: bool) -> _Series:
        """One series' frequency, season, split, fitted transforms and scaler; errors name
        the series in a model of several."""
        freq = infer_frequency(data.index)
        if freq is None and isinstance(data.index, pd.DatetimeIndex) and len(data) >= 3:
            warnings.warn(
                (f"series {key!r}: " if multi else "") + "the dates are not evenly spaced "
                "(no frequency can be inferred from them), so rows are read as consecutive "
                "steps" + ("" if p["season_length"] else " and the seasonal period is 1 "
                           "(pass season_length to set one)") + ". Missing dates? Add "
                "their rows with empty values and fill='ffill' or 'interpolate'.",
                UserWarning, stacklevel=3)
        season = p["season_length"] or season_length_for(freq)
        try:
            chain = self._chain(self.transform, data.target, season)
            chain.check(data.target, data.describe)
            n_train = (self._global_split(len(data), p, chain.lost) if multi else
                       self._check_length(len(data), p, lost=chain.lost))
        except RnnkitError as exc:
            raise RnnkitError(f"series {key!r}: {exc}" if multi else str(exc)) from None
        # stateful steps (es) then filter through the validation part; nothing is fitted
        chain.fit(data.target[:n_train]).extend(data.target)
        z = chain.transform(data.target)
        with np.errstate(over="ignore", invalid="ignore"):
            scaler = make_scaler(p["scaler"]).fit(z[chain.lost:n_train, None])
        _check_scale(scaler, z[chain.lost:n_train], f"series {key!r}: " if multi else "")
        # MASE's scale: in-sample over all the data fitted (validation part included), as
        # in the M-competitions and statsforecast, so scores compare with theirs
        return _Series(key, chain, scaler, data, mase_scale(data.target, season), season, freq,
                       n_train, len(data), data.index[-1], data.index[n_train - 1], [],
                       mase_scale(data.target[:n_train], season))

    def _train_members(self, p: dict[str, Any], data: tuple[np.ndarray, np.ndarray],
                       val: tuple[np.ndarray, np.ndarray] | None,
                       epochs: list[int] | None = None) -> tuple[list[Any], list[Any]]:
        """Train every network of the ensemble on windows ``data`` (longest window), with
        early stopping on ``val``, or for a fixed number of ``epochs`` each (a refit)."""
        import torch

        from rnnkit.models.network import RecurrentNetwork
        from rnnkit.training import resolve_device, train

        x_all, y_all = data
        device = resolve_device(p["device"])
        loss_fn = {"mse": torch.nn.functional.mse_loss, "mae": torch.nn.functional.l1_loss,
                   "huber": torch.nn.functional.huber_loss}[p["loss"]]
        members, histories = [], []
        member_windows = self._member_windows(p["ensemble"])
        for k, member_window in enumerate(member_windows):
            # every member forecasts the same targets; a shorter window reads the latest steps
            tensors = tuple(torch.as_tensor(a, dtype=torch.float32) for a in self._normalized(
                x_all[:, -member_window:], y_all, p["normalize"]))
            val_tensors = None if val is None else tuple(
                torch.as_tensor(a, dtype=torch.float32) for a in self._normalized(
                    val[0][:, -member_window:], val[1], p["normalize"]))
            seed = p["seed"] + k
            torch.manual_seed(seed)
            network = RecurrentNetwork(self._network_config(p, x_all.shape[2])).to(device)
            checkpoint = None if epochs else p.get("checkpoint")
            if checkpoint and len(member_windows) > 1:  # one file per member, not overwritten
                path = Path(checkpoint)
                checkpoint = str(path.with_name(f"{path.stem}.member{k + 1}{path.suffix}"))
            what = "refit on all data" if epochs else "training"
            config = self._train_config(
                p | {"seed": seed, "checkpoint": checkpoint}
                | ({"epochs": epochs[k], "patience": None} if epochs else {}),
                f"{self.model_name} {what}"
                + (f" ({k + 1}/{len(member_windows)})" if len(member_windows) > 1 else ""),
                state=f"{'refit' if epochs else 'member'}-{k + 1}")
            with self._threads_for(network.config, p["batch_size"]):
                histories.append(train(network, loss_fn, tensors, val_tensors, config))
            members.append(network)
        return members, histories

    @staticmethod
    def _normalized(x: np.ndarray, y: np.ndarray, normalize: str | None
                    ) -> tuple[np.ndarray, np.ndarray]:
        """Subtract each window's level from its target channel and its targets."""
        if normalize is None:
            return x, y
        level = x[:, -1, 0] if normalize == "last" else x[:, :, 0].mean(axis=1)  # (S,)
        x = x.copy()
        x[:, :, 0] -= level[:, None]
        return x, y - level[:, None]

    # ------------------------------------------------------------------ model space
    def _space(self, state: _Series, data: SeriesData) -> np.ndarray:
        """Transformed, scaled target and scaled features, ``(T - lost, 1 + F)``; an error
        if they would overflow the network's 32-bit floats."""
        return self._space_of(state, data.target, data.features, data.start)

    def _space_of(self, state: _Series, target: np.ndarray, features: np.ndarray,
                  start: int) -> np.ndarray:
        """:meth:`_space` of bare arrays (the recursion's hot path builds no SeriesData)."""
        lost = state.chain.lost
        z = state.chain.transform(target, start)[lost:]
        space = np.column_stack([state.scaler.transform(z[:, None]),
                                 self.feature_scaler_.transform(features[lost:])])
        with np.errstate(invalid="ignore"):
            bad = ~(np.abs(space) <= _FLOAT32_SAFE)
        if bad.any():
            row, column = (int(i) for i in np.argwhere(bad)[0])
            what = "target" if column == 0 else f"feature {self.feature_names_[column - 1]!r}"
            raise RnnkitError(
                f"{self._series_name(state)}the {what} is {space[row, column]:g} at position "
                f"{row + lost} after the transforms and scaling, beyond what the network's "
                "32-bit floats hold: the values overflow or the scale is degenerate. Rescale "
                "the data, or use transform='log' (--transform log) or scaler='standard' "
                "(--scaler standard).")
        return space

    def _series_name(self, state: _Series) -> str:
        return f"series {state.key!r}: " if self.multi_ else ""

    def _finite(self, state: _Series, values: np.ndarray, what: str) -> np.ndarray:
        """``values`` if all are finite; else an error naming the likely cause."""
        if np.isfinite(values).all():
            return values
        step = int(np.flatnonzero(~np.isfinite(values.reshape(-1)))[0])
        raise RnnkitError(
            f"{self._series_name(state)}the {what} is not finite ({values.reshape(-1)[step]} "
            f"at step {step + 1}): undoing the transforms and scaling overflowed. The data's "
            f"scale (recent values up to {np.abs(state.recent.target).max():g}) is too large "
            "or too small for them; rescale it, or use transform='log' (--transform log) or "
            "scaler='standard' (--scaler standard).")

    def _predict_space(self, windows: np.ndarray) -> np.ndarray:
        """Network forecasts ``(S, horizon)`` in model space for windows ``(S, window, C)``
        (the longest window; each network of an ensemble reads its own latest steps)."""
        from rnnkit.models.network import combine_members

        networks = list(getattr(self.network_, "members", [self.network_]))
        outs = [self._predict_member(net, windows[:, -w:])
                for net, w in zip(networks, self._member_windows(), strict=True)]
        return outs[0] if len(outs) == 1 else combine_members(np.stack(outs))

    def _predict_member(self, network: Any, windows: np.ndarray) -> np.ndarray:
        import torch

        normalize = None if self.normalize in (None, "none") else self.normalize
        level = np.zeros(len(windows))
        if normalize is not None and len(windows):
            level = windows[:, -1, 0] if normalize == "last" else windows[:, :, 0].mean(axis=1)
            windows = windows.copy()
            windows[:, :, 0] -= level[:, None]
        device = next(network.parameters()).device
        network.eval()
        outs = []
        with torch.inference_mode(), self._threads_for(network.config, min(len(windows), 4096)):
            for start in range(0, len(windows), 4096):
                x = torch.as_tensor(windows[start:start + 4096], dtype=torch.float32,
                                    device=device)
                outs.append(network(x).cpu().numpy().astype(np.float64))
        out = np.concatenate(outs) if outs else np.zeros((0, network.config.output_size))
        return out + level[:, None]

    def _one_step(self, state: _Series, data: SeriesData, first_target: int) -> np.ndarray:
        """One-step-ahead forecasts, in data units, of ``data.target[first_target:]``."""
        lost, w = state.chain.lost, self._window
        space = self._space(state, data)
        pad = max(0, w - (first_target - lost))
        x, _ = make_windows(_padded(space, len(space) + pad), w, 1, 1,
                            first_target=first_target - lost + pad)
        z = state.scaler.inverse_transform(self._predict_space(x)[:, :1]).ravel()
        positions = np.arange(first_target, len(data))
        with np.errstate(over="ignore", invalid="ignore"):  # _finite names the cause
            values = state.chain.inverse_one_step(z, data.target, positions, data.start)
        return self._finite(state, values, "prediction")

    def _path(self, state: _Series, history: SeriesData, steps: int,
              future: np.ndarray) -> np.ndarray:
        """Forecast ``steps`` values after ``history`` (recursive over ``horizon`` chunks)."""
        return self._paths([state], [history.target], [history.features], steps, [future],
                           [history.start])[0]

    def _paths(self, states: list[_Series], targets: list[np.ndarray],
               features: list[np.ndarray], steps: int, futures: list[np.ndarray],
               starts: list[int]) -> np.ndarray:
        """Forecast ``steps`` values after each of several histories at once (one network
        call per chunk for all of them): history ``i`` of series ``states[i]`` (several
        origins of one series, or the series of a global model), its first value at position
        ``starts[i]``. Returns ``(histories, steps)``."""
        w = self._window
        target = [list(t[-(w + s.chain.lost):]) for t, s in zip(targets, states, strict=True)]
        feats = [list(f[-(w + s.chain.lost):]) for f, s in zip(features, states, strict=True)]
        starts = [s + len(t) - len(kept) for s, t, kept in zip(starts, targets, target,
                                                                 strict=True)]
        n_features = len(self.feature_names_)
        out = np.zeros((len(targets), steps))
        done = 0
        while done < steps:
            spaces = []
            for t, f, start, state in zip(target, feats, starts, states, strict=True):
                space = self._space_of(state, np.asarray(t),
                                       np.asarray(f).reshape(len(t), n_features), start)
                spaces.append(_padded(space, w)[-w:])
            z = self._predict_space(np.stack(spaces))  # (histories, horizon)
            k = min(z.shape[1], steps - done)
            for i, state in enumerate(states):
                z_i = state.scaler.inverse_transform(z[i, :k, None]).ravel()
                with np.errstate(over="ignore", invalid="ignore"):  # _finite names the cause
                    values = state.chain.inverse_next(z_i, np.asarray(target[i]), starts[i])
                values = self._finite(state, values, "forecast")
                target[i].extend(values.tolist())
                feats[i].extend(futures[i][done:done + k])
                out[i, done:done + k] = values
            done += k
        return out

    def _validation_residuals(self, state: _Series, data: SeriesData) -> list[list[float]]:
        """|error| of 1..K-step forecasts from validation origins (K ≤ 2 seasons, ≤ 24)."""
        start = state.n_train
        if start >= len(data):
            return []
        max_k = min(len(data) - start, 24, 2 * max(state.season_length, 6))
        # every origin (up to 60) for one series; for a global model the first 12 per series,
        # which see the longest steps ahead (their errors are pooled across series)
        origins = list(range(start, len(data)))
        origins = origins[:12] if self.multi_ else origins[-60:]
        residuals: list[list[float]] = [[] for _ in range(max_k)]
        paths = self._paths([state] * len(origins), [data.target[:o] for o in origins],
                            [data.features[:o] for o in origins], max_k,
                            [np.vstack([data.features[o:o + max_k],
                                        np.repeat(data.features[-1:], max_k, axis=0)])[:max_k]
                             for o in origins], [data.start] * len(origins))
        for path, origin in zip(paths, origins, strict=True):
            for j in range(min(max_k, len(data) - origin)):
                residuals[j].append(abs(float(data.target[origin + j] - path[j])))
        return residuals

    # ------------------------------------------------------------------ helpers
    def _state(self, key: Any = None) -> _Series:
        if key is None:
            if len(self.series_) > 1:
                raise RnnkitError("this model holds several series; name one with `series=`, "
                                  f"e.g. {self.series_[0].key!r}.")
            return self.series_[0]
        for state in self.series_:
            if state.key == key:
                return state
        known = ", ".join(repr(s.key) for s in self.series_[:10])
        raise RnnkitError(f"unknown series {key!r}; this model knows {known}"
                          + (" …" if len(self.series_) > 10 else "") + ".")

    def _locate(self, state: _Series, data: SeriesData) -> SeriesData:
        """``data`` with ``start`` set to its first value's position in the series ``fit`` saw:
        found from the dates, or (undated) the start of that series. All new data comes in
        here, so here dates off the model's frequency and values outside the transform's domain
        (a log's non-positive ones) are refused: either would give a silently wrong forecast."""
        check_consecutive(data.index, state.freq, data.describe)
        state.chain.check(data.target, data.describe)
        if not state.chain.positional or not isinstance(data.index, pd.DatetimeIndex) or not \
                isinstance(state.fit_end, pd.Timestamp):
            return data
        freq = state.freq or infer_frequency(data.index)
        first, end = data.index[0], state.fit_end
        if freq is None:
            raise RnnkitError("the seasonal transform needs to know where the data lies in the "
                              "seasonal cycle, but its frequency cannot be inferred; pass "
                              "regularly spaced dates.")
        periods = len(pd.date_range(min(first, end), max(first, end), freq=freq)) - 1
        return replace(data, start=state.n_fit - 1 + (periods if first >= end else -periods))

    def _as_data(self, y: Any, X: Any) -> SeriesData:
        data = as_series(y, X, fill=self.fill)
        if (data.feature_names and len(data.feature_names) != len(self.feature_names_)) or (
                not data.feature_names and self.feature_names_):
            raise RnnkitError(
                f"this model was trained with feature columns {list(self.feature_names_)}; "
                f"got {list(data.feature_names)}. Pass the same columns as X.")
        return data

    # public read-only views of the single-series state (kept for the CLI and users)
    target_scaler_ = property(lambda self: self._state().scaler)
    target_name_ = property(lambda self: self._state().recent.target_name)
    season_length_ = property(lambda self: self.series_[0].season_length)
    mase_scale_ = property(lambda self: self._state().mase_scale)
    freq_ = property(lambda self: self.series_[0].freq)
    n_train_ = property(lambda self: self._state().n_train)
    n_fit_ = property(lambda self: self._state().n_fit)
    fit_end_ = property(lambda self: self._state().fit_end)
    time_column_ = property(lambda self: self.series_[0].recent.index.name
                            if isinstance(self.series_[0].recent.index, pd.DatetimeIndex)
                            else None)

    def detached(self, series: Sequence[Any] | None = None) -> Forecaster:
        """A copy whose memory of the named series (all if ``None``) is its own, sharing the
        trained network: :meth:`update` and ``forecast(y=...)`` on it leave this model as it
        was. Copying only those series keeps it cheap for one series of a large global model
        (a server answering each request from the saved state).

        >>> from rnnkit import datasets
        >>> y = datasets.airline()
        >>> fc = Forecaster(units=[4], dense=(), window=12, epochs=1, verbose=False).fit(y[:-12])
        >>> _ = fc.detached().update(y)
        >>> str(fc.fit_end_.date()), str(fc.forecast(1).index[0].date())
        ('1959-12-01', '1960-01-01')
        """
        self._check_fitted()
        keys = None if series is None else {self._state(key).key for key in series}
        clone = copy.copy(self)
        # update reassigns a state's recent values and extends its transform chain in place
        clone.series_ = [replace(state, chain=copy.deepcopy(state.chain))
                         if keys is None or state.key in keys else state
                         for state in self.series_]
        return clone

    def update(self, y: Any, X: Any = None, series: Any = None) -> Forecaster:
        """Remember the most recent data: :meth:`forecast` continues from its end.

        A model of several series takes one of them (named by ``series``) or several at once
        (a long ``unique_id``/``ds``/``y`` DataFrame or a dict of Series, as for :meth:`fit`).
        """
        self._check_fitted()
        if not holds_many(y):
            state = self._state(series)
            self._remember(state, self._locate(state, self._as_data(y, X)))
            return self
        self._update_many(y, X)
        return self

    def _update_many(self, y: Any, X: Any) -> list[_Series]:
        """Remember the recent data of every series in ``y``; their states, in ``y``'s order."""
        if not self.multi_:
            raise RnnkitError("this model holds one series; pass it as a Series or an array, "
                              "not as several series.")
        states = []
        for key, data in as_collection(y, X, self.fill)[0]:
            states.append(self._state(key))
            self._remember(states[-1], self._locate(states[-1], data))
        return states

    def _remember(self, state: _Series, data: SeriesData) -> None:
        need = self._needed(state)
        if len(data) < need:
            raise RnnkitError((f"series {state.key!r}: " if self.multi_ else "")
                              + f"forecasting needs at least the last {need} values (`window`"
                              + (" + the transform's lags" if state.chain.lost else "")
                              + f"); got {len(data)}.")
        state.chain.extend(data.target, data.start)  # an `es` season learns from new values
        state.recent = data.slice(max(0, len(data) - self._window - state.chain.lost))

    # ------------------------------------------------------------------ predicting
    def predict(self, y: Any, X: Any = None, series: Any = None) -> pd.Series:
        """One-step-ahead forecasts for every point of ``y`` that has enough points before it
        (``window`` plus the transform's lags). Each uses only the actual values before it."""
        self._check_fitted()
        state = self._state(series)
        data = self._locate(state, self._as_data(y, X))
        first = self._needed(state)
        if len(data) <= first:
            raise RnnkitError(f"`y` needs more than {first} values to predict any point; "
                              f"got {len(data)}.")
        return pd.Series(self._one_step(state, data, first), index=data.index[first:],
                         name=data.target_name)

    def _test_start(self, state: _Series, data: SeriesData) -> int:
        """Position of the first point after the data ``fit`` saw."""
        if isinstance(data.index, pd.DatetimeIndex) and isinstance(state.fit_end, pd.Timestamp):
            start = int(data.index.searchsorted(state.fit_end, side="right"))
            end_text = state.fit_end.strftime("%Y-%m-%d")
        else:
            start, end_text = int(state.n_fit), f"position {state.n_fit - 1}"
        if start >= len(data):
            raise RnnkitError(
                f"evaluate needs points after the training data, which ended at {end_text}; "
                "`y` has none. Pass the whole series: fit(y[:-n]) then evaluate(y).")
        if start < self._needed(state):
            raise RnnkitError(
                f"evaluate needs the {self._needed(state)} values before the "
                "first test point; pass the whole series, training part included.")
        return start

    def interval_width(self, state: _Series, step: int, level: float) -> float:
        """Half-width of the conformal ``level`` interval ``step`` steps ahead (data units).

        One series: from its own validation errors. Several: from the errors of all series,
        each divided by its in-sample seasonal-naive error on the training part, times this
        series' — a few validation errors per series would give a noisy quantile.
        """
        return float(self._widths([state], step, level)[0, step - 1])

    def _widths(self, states: list[_Series], steps: int, level: float) -> np.ndarray:
        """Half-widths ``(series, steps)`` of the ``level`` intervals 1..``steps`` ahead of
        each of ``states`` (see :meth:`interval_width`); the pooled errors are sorted once."""
        pooled = getattr(self, "pooled_residuals_", [])
        if pooled:
            scales = np.array([s.error_scale for s in states], dtype=float)
            with np.errstate(invalid="ignore"):
                return np.outer(np.where(np.isfinite(scales), scales, np.nan),
                                _conformal_widths(pooled, steps, level))
        return np.stack([_conformal_widths(s.residuals, steps, level) for s in states])

    def evaluate(self, y: Any, X: Any = None, level: float = 0.9) -> ForecastEvaluation:
        """One-step-ahead forecasts of the points of ``y`` after the training data, scored in
        the data's units next to the naive and seasonal-naive forecasts of the same points,
        with the coverage of the ``level`` prediction intervals.

        The model is left as it was: to forecast beyond ``y``, :meth:`update` with it.
        """
        self._check_fitted()
        level = Number(0.0, 1.0, low_open=True, high_open=True).check("level", level)
        if self.multi_:
            collection, _ = as_collection(y, X, self.fill)
        else:
            collection = [(None, self._as_data(y, X))]
        tables, frames, covered = [], [], []
        for key, data in collection:
            state = self._state(key) if self.multi_ else self.series_[0]
            data = self._locate(state, data)
            start = self._test_start(state, data)
            positions = np.arange(start, len(data))
            actual = data.target[start:]
            model = self._one_step(state, data, start)
            predictions = {self.model_name: model}
            predictions |= naive_forecasts(data.target, positions, state.season_length)
            tables.append(metrics_table(actual, predictions, state.mase_scale))
            frame = pd.DataFrame({"actual": actual} | predictions, index=data.index[start:])
            width = self.interval_width(state, 1, level)
            frame["lower"], frame["upper"] = model - width, model + width
            covered.extend(((actual >= model - width) & (actual <= model + width)).tolist()
                           if np.isfinite(width) else [])
            if self.multi_:
                frame.insert(0, "unique_id", key)
            frames.append(frame)
        table = pd.concat(tables).groupby(level=0, sort=False).mean()
        table.index.name = "model"
        coverage = float(np.mean(covered)) if covered else float("nan")
        # a mean RMSE over series of different sizes is mostly the largest series' RMSE
        judged_on = "MASE" if self.multi_ else "RMSE"
        return ForecastEvaluation(table, pd.concat(frames), verdict(table, judged_on), coverage,
                                  level)

    def score(self, y: Any, X: Any = None) -> dict[str, float]:
        """The network's metrics (RMSE, MAE, MAPE, sMAPE, MASE) on the points after the
        training data; see :meth:`evaluate` for the baselines beside them."""
        return self.evaluate(y, X).metrics.iloc[0].to_dict()

    def forecast(self, steps: int, y: Any = None, X: Any = None, X_future: Any = None,
                 level: float | None = None, series: Any = None,
                 max_horizon: int | None = None) -> pd.Series | pd.DataFrame:
        """Forecast ``steps`` values beyond the end of the data (``y``, or the latest seen).

        The network emits ``horizon`` steps at a time; beyond that its own forecasts are fed
        back (recursive). With feature columns, ``X_future`` gives their values over the
        forecast period; without it they are held at their last observed values, with a
        warning. With ``level`` (e.g. 0.9), returns a DataFrame with ``forecast``, ``lower`` and
        ``upper`` (conformal intervals from validation errors). A model of several series
        returns a long DataFrame (``unique_id``, ``ds``, ``forecast``) for all of them, or for
        those in ``y`` (a long DataFrame or dict), unless ``series`` names one. ``steps`` may
        be at most ``max_horizon`` (default :data:`rnnkit.limits.MAX_HORIZON`), checked first.
        """
        steps = check_horizon(steps, max_horizon)
        self._check_fitted()
        if level is not None:
            level = Number(0.0, 1.0, low_open=True, high_open=True).check("level", level)
        if self.multi_ and series is None and (y is None or holds_many(y)):
            states = self.series_ if y is None else self._update_many(y, X)
            return self._forecast_many(states, steps, level)
        state = self._state(series)
        if y is not None:
            self.update(y, X, series=series)
        return self._forecast_one(state, steps, X_future, level)

    def _forecast_many(self, states: list[_Series], steps: int,
                       level: float | None) -> pd.DataFrame:
        """Forecasts of every series in ``states``, all in the same network calls: a long
        frame of ``unique_id``, ``ds``, ``forecast`` (and ``lower``, ``upper``)."""
        recents = [s.recent for s in states]
        values = self._paths(states, [r.target for r in recents], [r.features for r in recents],
                             steps, [self._future_features(steps, None, r) for r in recents],
                             [r.start for r in recents])
        indexes = [self._future_index(s, r.index, steps) for s, r in zip(states, recents,
                                                                          strict=True)]
        frame = pd.DataFrame({
            "unique_id": pd.Series([s.key for s in states]).repeat(steps).to_numpy(),
            "ds": indexes[0].append(indexes[1:]) if len(indexes) > 1 else indexes[0],
            "forecast": values.ravel()})
        if level is not None:
            widths = self._widths(states, steps, level)
            if np.isnan(widths).all():
                warnings.warn("no prediction intervals: they need at least 5 validation "
                              "errors per step, and this model kept fewer (give it a longer "
                              "`validation` part); `lower` and `upper` are NaN.", UserWarning,
                              stacklevel=3)
            frame["lower"] = values.ravel() - widths.ravel()
            frame["upper"] = values.ravel() + widths.ravel()
        return frame

    def _forecast_one(self, state: _Series, steps: int, X_future: Any,
                      level: float | None) -> pd.Series | pd.DataFrame:
        recent = state.recent
        future = self._future_features(steps, X_future, recent)
        values = self._path(state, recent, steps, future)
        index = self._future_index(state, recent.index, steps)
        forecast = pd.Series(values, index=index, name=recent.target_name)
        if level is None:
            return forecast
        widths = self._widths([state], steps, level)[0]
        if np.isnan(widths).all():
            warnings.warn("no prediction intervals: they need at least 5 validation errors per "
                          "step, and this model kept fewer (give it a longer `validation` "
                          "part); `lower` and `upper` are NaN.", UserWarning, stacklevel=3)
        return pd.DataFrame({"forecast": values, "lower": values - widths,
                             "upper": values + widths}, index=index)

    def _future_features(self, steps: int, X_future: Any, recent: SeriesData) -> np.ndarray:
        names = list(self.feature_names_)
        if not names:
            if X_future is not None:
                raise RnnkitError("`X_future` was given, but this model has no feature columns.")
            return np.zeros((steps, 0))
        if X_future is None:
            last = recent.features[-1]
            held = ", ".join(f"{n}={v:g}" for n, v in zip(names, last, strict=True))
            warnings.warn(
                f"the future of the feature columns is unknown, so they are held at their last "
                f"observed values ({held}) for all {steps} forecast steps; pass X_future "
                "(CLI: trailing CSV rows with features and an empty target) to supply them.",
                UserWarning, stacklevel=4)
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

    def _future_index(self, state: _Series, index: pd.Index, steps: int) -> pd.Index:
        if isinstance(index, pd.DatetimeIndex):
            freq = state.freq or infer_frequency(index)
            if freq:
                return pd.date_range(index[-1], periods=steps + 1, freq=freq)[1:]
            log.warning("could not infer the series' frequency; forecasts are numbered")
        last = int(index[-1]) if len(index) and not isinstance(index, pd.DatetimeIndex) else -1
        return pd.RangeIndex(last + 1, last + 1 + steps)

    def trace(self, y: Any, X: Any = None, series: Any = None):
        """Every gate and state, per layer, direction and time step, of the network reading
        the whole of ``y`` (transformed and scaled, not window-normalised) as one sequence from
        a zero state (see :class:`rnnkit.explain.Trace`); the first member of an ensemble.
        A model of several series reads ``y`` as the one named by ``series``."""
        from rnnkit.explain import trace_network

        self._check_fitted()
        state = self._state(series)
        data = self._locate(state, self._as_data(y, X))
        space = self._space(state, data)
        labels = [v.strftime("%Y-%m-%d") if isinstance(v, pd.Timestamp) else str(v)
                  for v in data.index[state.chain.lost:]]
        network = getattr(self.network_, "members", [self.network_])[0]
        return trace_network(network, [space], [labels])

    # ------------------------------------------------------------------ persistence
    def save(self, path: str | Path) -> Path:
        """Write the fitted model to directory ``path`` (JSON + safetensors; no pickle)."""
        self._check_fitted()
        return self._save_dir(path, {
            "features": list(self.feature_names_),
            "feature_scaler": self.feature_scaler_.to_dict(),
            "window": list(self._windows), "horizon": int(self.horizon),
            "multi": self.multi_, "series": [s.to_dict() for s in self.series_],
            "pooled_residuals": self.pooled_residuals_,
        })

    @classmethod
    def load(cls, path: str | Path, device: str = "auto") -> Forecaster:
        """Rebuild a saved model; its predictions equal the original's bit for bit."""
        est, pre = cls._load_dir(path, device)
        config = est.network_.config
        # models saved before the linear skip existed have none, whatever today's default
        est.linear_skip = bool(config.skip)
        try:
            if (config.input_size != 1 + len(pre["features"])
                    or cls._parameter_constraints["window"].check("window", pre["window"])
                    != est._windows
                    or config.output_size != est.horizon):
                raise ValueError("preprocessing.json disagrees with config.json about the inputs")
            est.feature_scaler_ = scaler_from_dict(pre["feature_scaler"])
            est.feature_names_ = tuple(pre["features"])
            est.multi_ = bool(pre["multi"])
            est.series_ = [_Series.from_dict(s) for s in pre["series"]]
            est.pooled_residuals_ = pre.get("pooled_residuals", [])
            est.member_histories_ = [est.history_]
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelFormatError(f"{str(path)!r} is inconsistent: {exc}") from None
        return est


def _conformal_widths(residuals: list[list[float]], steps: int, level: float) -> np.ndarray:
    """Split-conformal half-widths 1..``steps`` ahead from |errors| per step ahead (steps
    beyond the last with errors grow as a random walk); NaN without 5 errors a step."""
    kept = [np.sort(np.asarray(r, dtype=float)) for r in residuals if len(r) >= 5]
    if not kept:
        return np.full(steps, np.nan)
    widths = np.empty(steps)
    for step in range(1, steps + 1):
        k = min(step, len(kept))
        values = kept[k - 1]
        rank = min(len(values), int(np.ceil((len(values) + 1) * level)))  # finite-sample rank
        widths[step - 1] = values[rank - 1] * (np.sqrt(step / k) if step > k else 1.0)
    return widths


def _check_scale(scaler: Any, z: np.ndarray, name: str) -> None:
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


def _padded(space: np.ndarray, length: int) -> np.ndarray:
    """``space`` with its first row repeated in front up to ``length`` rows."""
    missing = length - len(space)
    return space if missing <= 0 else np.concatenate([np.repeat(space[:1], missing, axis=0),
                                                      space])


def _as_network(members: list[Any]) -> Any:
    """One network, or the median ensemble of several."""
    from rnnkit.models.network import MedianEnsemble

    return members[0] if len(members) == 1 else MedianEnsemble(members).eval()


def _pooled(states: list[_Series]) -> list[list[float]]:
    """Every series' validation |errors| per step, in units of its ``error_scale``."""
    steps = max((len(s.residuals) for s in states), default=0)
    return [[r / s.error_scale for s in states
             if np.isfinite(s.error_scale) and s.error_scale > 0 and len(s.residuals) > k
             for r in s.residuals[k]] for k in range(steps)]


def _label_to_json(label: Any) -> Any:
    return {"timestamp": label.isoformat()} if isinstance(label, pd.Timestamp) else int(label)


def _label_from_json(value: Any) -> Any:
    return pd.Timestamp(value["timestamp"]) if isinstance(value, dict) else int(value)
