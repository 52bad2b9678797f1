"""``Forecaster``: a recurrent network that forecasts one or many time series, end to end.

It splits chronologically (validation is the last part of the data given to ``fit``), makes the
target stationary with an invertible transform (log, Box-Cox, differencing), scales on the
training part only, cuts sliding windows (optionally normalised by each window's last level),
trains with early stopping (one network, or a median ensemble of several seeds), and reports
every number in the data's own units next to naive and seasonal-naive forecasts of the same
points, with conformal prediction intervals.

This module only orchestrates; each step is a module of :mod:`rnnkit.forecasting`.

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
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from rnnkit.base import Estimator, RegressorMixin
from rnnkit.data.scalers import make_scaler, scaler_from_dict
from rnnkit.data.series import (
    SeriesData,
    as_collection,
    as_series,
    holds_many,
    infer_frequency,
    seasons_for,
)
from rnnkit.errors import ModelFormatError, RnnkitError
from rnnkit.forecasting.calendar import KINDS, calendar_kinds, user_features, with_calendar
from rnnkit.forecasting.ensemble import WindowEnsemble, as_module, member_windows
from rnnkit.forecasting.evaluation import ForecastEvaluation, evaluate_series, summarize
from rnnkit.forecasting.fitting import (
    network_config,
    series_state,
    train_networks,
    training_windows,
)
from rnnkit.forecasting.forecasts import nixtla_layout, panel_forecast, series_forecast
from rnnkit.forecasting.intervals import check_level, pooled_errors, validation_residuals
from rnnkit.forecasting.parameters import FORECASTER
from rnnkit.forecasting.pipeline import ModelSpace, choose_chain
from rnnkit.forecasting.recursive import Predictor
from rnnkit.forecasting.schema import DataSchema
from rnnkit.forecasting.split import SplitPlan, holdout_size, plan_split
from rnnkit.forecasting.state import SeriesState
from rnnkit.limits import (
    check_horizon,
)
from rnnkit.models.layers import CELLS
from rnnkit.parameters import constraints
from rnnkit.validation import (
    Constraint,
    Number,
)

__all__ = ["ForecastEvaluation", "Forecaster"]


class Forecaster(RegressorMixin, Estimator):
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
        calendar: add where each value lies in the day and the week (hour of day, day of
            week; for daily data day of week and of year) as inputs whose future is known,
            as sine/cosine pairs (:mod:`rnnkit.forecasting.calendar`); None: on for dated data
            below a day (hourly, half-hourly). Forecasts compute them for their own dates.
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

    # defaults and constraints: rnnkit.forecasting.parameters, which the CLI's options follow
    _parameter_constraints: ClassVar[dict[str, Constraint]] = constraints(FORECASTER)

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
                 calendar: bool | None = None, windows_per_epoch: int | None = None):
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
        self.calendar = calendar
        self.windows_per_epoch = windows_per_epoch
        self.threads = threads

    # ------------------------------------------------------------------ shape
    @property
    def _windows(self) -> tuple[int, ...]:
        return self._parameter_constraints["window"].check("window", self.window)

    def _needed(self, state: SeriesState) -> int:
        """Values a forecast of ``state`` needs: the longest window (in a global model the
        shortest, the rest padded) plus the transform's lags."""
        return (min(self._windows) if self.multi_ else max(self._windows)) + state.chain.lost

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
        states = self.series_ if series is None else [self.series_state(series)]
        return min(self._needed(state) for state in states)

    @classmethod
    def _n_members(cls, params: dict[str, Any]) -> int:
        windows = cls._parameter_constraints["window"].check("window", params.get("window", 1))
        return int(params.get("ensemble", 1)) * len(windows)

    @property
    def model_name(self) -> str:
        """Display name, e.g. ``"LSTM"`` or ``"BiGRU"``."""
        return ("Bi" if self.bidirectional else "") + CELLS.get(str(self.cell).lower(), "RNN")

    def summary(self, n_features: int = 0) -> str:
        """Keras-like summary; before ``fit`` it describes the network for ``n_features`` extra
        input columns beside the target."""
        from rnnkit.models.network import RecurrentNetwork

        if hasattr(self, "network_"):
            net = self.network_
        else:
            p = self._validated_params()
            net = RecurrentNetwork(network_config(p, 1 + n_features))
        text = net.summary(timesteps=max(self._windows), title=self.model_name.lower())
        if len(self._windows) > 1:
            lengths = ", ".join(map(str, self._windows))
            text += (f"\nEach network reads one window length of {lengths} ({int(self.ensemble)} "
                     "seed(s) per length); the forecast is their median.")
        return text

    def split_plan(self, y: Any, X: Any = None, test: float | int = 0) -> SplitPlan:
        """How :meth:`fit` would divide one series ``y`` after its last ``test`` values (a
        fraction or a count; none by default) are held out: a frozen
        :class:`~rnnkit.forecasting.split.SplitPlan` of training, validation and test
        values, with the transform chosen; an error naming the fix when ``y`` is too short.

        >>> from rnnkit import datasets
        >>> print(Forecaster().split_plan(datasets.airline(), test=0.2))
        train 92, validation 23, test 29
        """
        p = self._validated_params()
        data = as_series(y, X, fill=p["fill"])
        n_test = holdout_size(len(data), test) if test else 0
        seasons = p["season_length"] or seasons_for(infer_frequency(data.index))
        fitted = len(data) - n_test
        chain = choose_chain(self.transform, data.target[:fitted], tuple(seasons))
        return plan_split(fitted, max(p["window"]), p["horizon"], p["validation"], n_test,
                          chain.lost, chain.spec)

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
        collection, several = as_collection(y, X, p["fill"])
        first = collection[0][1]
        self.calendar_ = calendar_kinds(infer_frequency(first.index), first.index,
                                        p["calendar"])
        collection = [(key, with_calendar(data, self.calendar_)) for key, data in collection]
        states = [series_state(key, data, p, self.transform, several)
                  for key, data in collection]
        self.feature_scaler_ = make_scaler(p["scaler"]).fit(np.vstack(
            [data.features[:state.n_train] for (_, data), state in zip(collection, states,
                                                                        strict=True)]))
        self.feature_names_ = collection[0][1].feature_names
        train, val, full = training_windows(
            states, ModelSpace(self.feature_scaler_, tuple(self.feature_names_), several,
                               self.calendar_), p)
        members, histories = train_networks(self, p, train, val)
        self.network_ = as_module(members)
        self.history_ = histories[0]
        self.member_histories_ = histories
        self.multi_ = several
        self.series_ = states
        self.pooled_residuals_ = []
        predictor = self._predictor()
        # interval widths from networks that never saw the validation part
        for state, residuals in zip(states, validation_residuals(predictor, states, several),
                                    strict=True):
            state.residuals = residuals
        self.pooled_residuals_ = pooled_errors(states) if several else []
        if p["refit"] and val is not None:
            epochs = [hist.best_epoch or len(hist.records) for hist in histories]
            members, self.refit_histories_ = train_networks(self, p, full, None, epochs)
            self.network_ = as_module(members)
        for state in states:
            full_data = state.recent
            state.recent = full_data.slice(max(0, len(full_data) - (max(p["window"])
                                                                     + state.chain.lost)))
        return self

    def _predictor(self) -> Predictor:
        """What forecasts need of the fitted model, besides each series' state."""
        ensemble = WindowEnsemble.of(self.network_, member_windows(self._windows, self.ensemble),
                                     self.normalize, self._threads_for)
        space = ModelSpace(self.feature_scaler_, tuple(self.feature_names_), self.multi_,
                           getattr(self, "calendar_", ()))
        return Predictor(ensemble, space, max(self._windows), self.pooled_residuals_)

    # ------------------------------------------------------------------ state
    def series_state(self, series: Any = None) -> SeriesState:
        """What the model learned about one series (its transforms, scaler, split and latest
        values): the only one, or the one of a global model whose key is ``series``."""
        self._check_fitted()
        if series is None:
            if len(self.series_) > 1:
                raise RnnkitError("this model holds several series; name one with `series=`, "
                                  f"e.g. {self.series_[0].key!r}.")
            return self.series_[0]
        for state in self.series_:
            if state.key == series:
                return state
        known = ", ".join(repr(s.key) for s in self.series_[:10])
        raise RnnkitError(f"unknown series {series!r}; this model knows {known}"
                          + (" …" if len(self.series_) > 10 else "") + ".")

    @property
    def schema_(self) -> DataSchema:
        """The data this model expects (:class:`~rnnkit.forecasting.schema.DataSchema`):
        target, time column, features, frequency, season, series and rows needed."""
        self._check_fitted()
        first = self.series_[0]
        index = first.recent.index
        return DataSchema(first.recent.target_name,
                          index.name if isinstance(index, pd.DatetimeIndex) else None,
                          user_features(self.feature_names_, self.calendar_), first.freq,
                          first.season_length,
                          tuple(s.key for s in self.series_) if self.multi_ else None,
                          self.min_history(), tuple(first.seasons or (first.season_length,)))

    def _as_data(self, y: Any, X: Any) -> SeriesData:
        """One series as the network reads it: checked, with the calendar's columns."""
        data = as_series(y, X, fill=self.fill)
        own = user_features(self.feature_names_, self.calendar_)
        if (data.feature_names and len(data.feature_names) != len(own)) or (
                not data.feature_names and own):
            raise RnnkitError(
                f"this model was trained with feature columns {list(own)}; "
                f"got {list(data.feature_names)}. Pass the same columns as X.")
        return with_calendar(data, self.calendar_)

    def detached(self, series: Sequence[Any] | None = None) -> Forecaster:
        """A copy whose memory of the named series (all if ``None``) is its own, sharing the
        trained network: :meth:`update` and ``forecast(y=...)`` on it leave this model as it
        was. Copying only those series keeps it cheap for one series of a large global model
        (a server answering each request from the saved state).

        >>> from rnnkit import datasets
        >>> y = datasets.airline()
        >>> fc = Forecaster(units=[4], dense=(), window=12, epochs=1, verbose=False).fit(y[:-12])
        >>> _ = fc.detached().update(y)
        >>> str(fc.series_state().fit_end.date()), str(fc.forecast(1).index[0].date())
        ('1959-12-01', '1960-01-01')
        """
        self._check_fitted()
        keys = None if series is None else {self.series_state(key).key for key in series}
        clone = copy.copy(self)
        # update reassigns a state's recent values and extends its transform chain in place
        clone.series_ = [replace(state, chain=copy.deepcopy(state.chain))
                         if keys is None or state.key in keys else state
                         for state in self.series_]
        return clone

    def update(self, y: Any, X: Any = None, series: Any = None) -> Forecaster:
        """Remember the most recent data: :meth:`forecast` continues from its end. The one
        method that changes a fitted model.

        A model of several series takes one of them (named by ``series``) or several at once
        (a long ``unique_id``/``ds``/``y`` DataFrame or a dict of Series, as for :meth:`fit`).
        """
        self._check_fitted()
        if holds_many(y):
            _remember_many(self, y, X)
        else:
            state = self.series_state(series)
            _remember(self, state, state.locate(self._as_data(y, X)))
        return self

    # ------------------------------------------------------------------ predicting
    def predict(self, y: Any = None, X: Any = None, series: Any = None, *,
                h: int | None = None, level: Any = None) -> pd.Series | pd.DataFrame:
        """One-step-ahead forecasts for every point of ``y`` that has enough points before it
        (``window`` plus the transform's lags). Each uses only the actual values before it.

        With ``h``, as statsforecast and NeuralForecast predict: ``h`` steps beyond the data
        of every series (or beyond ``y``, which the model is not changed by), with ``level``
        a list of interval levels in percent (e.g. ``[80, 95]``), in their layout:
        ``unique_id``, ``ds``, a column named after the model, then ``<model>-lo-80``,
        ``<model>-hi-80``…

        >>> from rnnkit import datasets
        >>> fc = Forecaster(units=[4], dense=(), epochs=1, verbose=False)
        >>> fc.fit(datasets.airline()).predict(h=2, level=[80]).columns.tolist()
        ['unique_id', 'ds', 'LSTM', 'LSTM-lo-80', 'LSTM-hi-80']
        """
        self._check_fitted()
        if h is not None:
            return _forecast_frame(self, h, y, X, level)
        if y is None:
            raise RnnkitError("predict needs `y` (one-step-ahead forecasts of its points) or "
                              "`h` (forecasts of h steps beyond the data).")
        state = self.series_state(series)
        data = state.locate(self._as_data(y, X))
        first = self._needed(state)
        if len(data) <= first:
            raise RnnkitError(f"`y` needs more than {first} values to predict any point; "
                              f"got {len(data)}.")
        return pd.Series(self._predictor().one_step(state, data, first),
                         index=data.index[first:], name=data.target_name)

    def evaluate(self, y: Any, X: Any = None, level: float = 0.9) -> ForecastEvaluation:
        """One-step-ahead forecasts of the points of ``y`` after the training data, scored in
        the data's units next to the naive and seasonal-naive forecasts of the same points,
        with the coverage of the ``level`` prediction intervals.

        The model is left as it was: to forecast beyond ``y``, :meth:`update` with it.
        """
        self._check_fitted()
        level = check_level(level)
        if self.multi_:
            collection = [(key, with_calendar(data, self.calendar_))
                          for key, data in as_collection(y, X, self.fill)[0]]
        else:
            collection = [(None, self._as_data(y, X))]
        predictor, scores = self._predictor(), []
        for key, data in collection:
            state = self.series_state(key) if self.multi_ else self.series_[0]
            data = state.locate(data)
            start = state.test_start(data, self._needed(state))
            scores.append(evaluate_series(predictor, self.model_name, state, data, start,
                                          level))
        return summarize(scores, [key for key, _ in collection] if self.multi_ else None,
                         level)

    def score(self, y: Any, X: Any = None) -> float:
        """Minus the MASE of the one-step-ahead forecasts of the points of ``y`` after the
        training data: one number where higher is better, as scikit-learn's model selection
        maximises (scale-free, so it averages over series). :meth:`evaluate` gives every
        metric in the data's units next to the baselines."""
        return -float(self.evaluate(y, X).metrics.iloc[0]["MASE"])

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
        The model does not remember ``y``: :meth:`update` is the one method that changes it.
        """
        steps = check_horizon(steps, max_horizon)
        self._check_fitted()
        if level is not None:
            level = check_level(level)
        if self.multi_ and series is None and (y is None or holds_many(y)):
            if y is None:
                return panel_forecast(self._predictor(), self.series_, steps, level)
            parsed = _parsed_many(self, y, X)
            model = self.detached([key for key, _ in parsed])  # `update` is the one mutator
            return panel_forecast(model._predictor(), _remember_parsed(model, parsed), steps,
                                  level)
        if y is None:
            return series_forecast(self._predictor(), self.series_state(series), steps,
                                   X_future, level)
        model = self.detached(None if series is None else [series]).update(y, X, series)
        return series_forecast(model._predictor(), model.series_state(series), steps,
                               X_future, level)

    def cross_validation(self, y: Any, X: Any = None, *, h: int, n_windows: int = 1,
                         step_size: int | None = None, level: Any = None) -> pd.DataFrame:
        """Forecasts of ``h`` steps from ``n_windows`` cutoffs ``step_size`` apart at the end
        of ``y``, each by a copy of this model fitted on the data up to its cutoff, as
        statsforecast's ``cross_validation`` lays them out: ``unique_id``, ``ds``,
        ``cutoff``, ``y``, this model's column (with ``level`` intervals), and the
        ``Naive`` and ``SeasonalNaive`` baselines from the same cutoffs. This model is not
        changed. See :func:`rnnkit.forecasting.backtesting.backtest` for the metric summary.
        """
        from rnnkit.forecasting.backtesting import cross_validation

        return cross_validation(self, y, X, h=h, n_windows=n_windows, step_size=step_size,
                                level=level)

    def trace(self, y: Any, X: Any = None, series: Any = None):
        """Every gate and state, per layer, direction and time step, of the network reading
        the whole of ``y`` (transformed and scaled, not window-normalised) as one sequence from
        a zero state (see :class:`rnnkit.explain.Trace`); the first member of an ensemble.
        A model of several series reads ``y`` as the one named by ``series``."""
        from rnnkit.explain import trace_network

        self._check_fitted()
        state = self.series_state(series)
        data = state.locate(self._as_data(y, X))
        space = self._predictor().space.inputs(state, data.target, data.features, data.start)
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
            "pooled_residuals": [np.asarray(r, dtype=np.float64).tolist()
                                 for r in self.pooled_residuals_],
            "calendar": list(self.calendar_),
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
            est.series_ = [SeriesState.from_dict(s) for s in pre["series"]]
            est.pooled_residuals_ = pre.get("pooled_residuals", [])
            est.calendar_ = tuple(pre.get("calendar", []))  # none before calendar inputs
            if not set(est.calendar_) <= set(KINDS) or len(est.calendar_) * 2 > len(
                    est.feature_names_):
                raise ValueError(f"unknown calendar inputs {list(est.calendar_)}")
            est.member_histories_ = [est.history_]
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelFormatError(f"{str(path)!r} is inconsistent: {exc}") from None
        return est


def _remember(fc: Forecaster, state: SeriesState, data: SeriesData) -> None:
    """Continue ``state`` from located ``data``, which must hold what a forecast needs."""
    need = fc._needed(state)
    if len(data) < need:
        raise RnnkitError((f"series {state.key!r}: " if fc.multi_ else "")
                          + f"forecasting needs at least the last {need} values (`window`"
                          + (" + the transform's lags" if state.chain.lost else "")
                          + f"); got {len(data)}.")
    state.remember(data, max(fc._windows))


def _parsed_many(fc: Forecaster, y: Any, X: Any) -> list[tuple[Any, SeriesData]]:
    """The series of ``y`` (several), checked against the model."""
    if not fc.multi_:
        raise RnnkitError("this model holds one series; pass it as a Series or an array, "
                          "not as several series.")
    return as_collection(y, X, fc.fill)[0]


def _remember_parsed(fc: Forecaster, parsed: list[tuple[Any, SeriesData]]
                     ) -> list[SeriesState]:
    """Remember the recent data of every parsed series; their states, in that order."""
    states = []
    for key, data in parsed:
        states.append(fc.series_state(key))
        _remember(fc, states[-1], states[-1].locate(with_calendar(data, fc.calendar_)))
    return states


def _remember_many(fc: Forecaster, y: Any, X: Any) -> list[SeriesState]:
    """Remember the recent data of every series in ``y``; their states, in ``y``'s order."""
    return _remember_parsed(fc, _parsed_many(fc, y, X))


def _forecast_frame(fc: Forecaster, h: int, y: Any, X: Any, level: Any) -> pd.DataFrame:
    """``fc.predict(h=..., level=[...])``: the statsforecast layout, ``fc`` unchanged."""
    h = check_horizon(h, None, "h")
    levels = [] if level is None else [level] if np.isscalar(level) else list(level)
    levels = [Number(0.0, 100.0, low_open=True, high_open=True).check("level", v)
              for v in levels]
    model = fc if y is None else fc.detached()
    predictor = model._predictor()
    if fc.multi_:
        states = model.series_ if y is None else _remember_many(model, y, X)
        frames = [panel_forecast(predictor, states, h, None if v is None else v / 100)
                  for v in levels or [None]]
    else:
        if y is not None:
            model.update(y, X)
        frames = []
        for v in levels or [None]:
            found = series_forecast(predictor, model.series_[0], h, None,
                                    None if v is None else v / 100)
            found = found.to_frame("forecast") if isinstance(found, pd.Series) else found
            found = found.rename_axis("ds").reset_index()
            found.insert(0, "unique_id", fc.schema_.target or "y")
            frames.append(found)
    return nixtla_layout(frames, fc.model_name, levels)
