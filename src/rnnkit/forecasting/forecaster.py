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

from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from rnnkit.base import Estimator, RegressorMixin
from rnnkit.data.scalers import make_scaler, scaler_from_dict
from rnnkit.data.series import (
    as_collection,
    as_series,
    infer_frequency,
    seasons_for,
)
from rnnkit.errors import ModelFormatError, RnnkitError
from rnnkit.forecasting.calendar import KINDS, calendar_kinds, with_calendar
from rnnkit.forecasting.ensemble import WindowEnsemble, as_module, member_windows
from rnnkit.forecasting.evaluation import ForecastEvaluation, evaluate_series, summarize
from rnnkit.forecasting.fitting import (
    network_config,
    series_states,
    train_networks,
    training_windows,
)
from rnnkit.forecasting.forecasts import nixtla_layout, panel_forecast, series_forecast
from rnnkit.forecasting.intervals import check_level, pooled_errors, validation_residuals
from rnnkit.forecasting.memory import SeriesMemory, remember_many
from rnnkit.forecasting.parameters import FORECASTER
from rnnkit.forecasting.pipeline import ModelSpace, choose_chain
from rnnkit.forecasting.recursive import Predictor
from rnnkit.forecasting.split import SplitPlan, holdout_size, plan_split
from rnnkit.forecasting.state import SeriesState
from rnnkit.limits import (
    check_horizon,
)
from rnnkit.parameters import constraints, model_name
from rnnkit.validation import (
    Boolean,
    Constraint,
    Number,
)

__all__ = ["ForecastEvaluation", "Forecaster"]


class Forecaster(SeriesMemory, RegressorMixin, Estimator):
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
        dilations: one per recurrent layer, e.g. ``[1, 24]``: a layer with ``d > 1`` links
            each step to the one ``d`` steps before it (a dilated recurrent layer, as in the
            M4 winner's dilated LSTMs and LSTNet's skip layer), so it reaches a season back in
            ``window / d`` recurrent steps; ``[1, 24]`` on hourly data reads each hour of the
            day as a chain across days. The weights are those of the undilated layer. None:
            1 for every layer.
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
        n_jobs: processes that prepare the series of a global model (each one's transforms,
            scaler and split) side by side, as scikit-learn's ``n_jobs``: -1 for one per core
            (shared among ``torchrun`` ranks); None: in this process. Used when the first
            series show that it pays (seasonal smoothing, ``"es"``, of many series: see
            :func:`~rnnkit.forecasting.fitting.series_states`); a script that sets it needs
            the ``if __name__ == "__main__":`` guard of Python's multiprocessing.
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
                 calendar: bool | None = None, windows_per_epoch: int | None = None,
                 dilations: Any = None, n_jobs: int | None = None):
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
        self.dilations = dilations
        self.threads = threads
        self.n_jobs = n_jobs

    # ------------------------------------------------------------------ shape
    @property
    def _windows(self) -> tuple[int, ...]:
        return self._parameter_constraints["window"].check("window", self.window)

    def _validated_params(self) -> dict[str, Any]:
        p = super()._validated_params()
        if p["dilations"] and len(p["dilations"]) != len(p["units"]):
            raise RnnkitError(f"`dilations` gives one per recurrent layer: "
                              f"{len(p['units'])} for units={list(p['units'])}; got "
                              f"{list(p['dilations'])}.")
        return p

    @classmethod
    def _n_members(cls, params: dict[str, Any]) -> int:
        windows = cls._parameter_constraints["window"].check("window", params.get("window", 1))
        return int(params.get("ensemble", 1)) * len(windows)

    @property
    def model_name(self) -> str:
        """Display name, e.g. ``"LSTM"`` or ``"BiGRU"``."""
        return model_name(self.cell, self.bidirectional)

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
        states = series_states(collection, p, self.transform, several)
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

    def evaluate(self, y: Any, X: Any = None, level: float = 0.9,
                 statistical: bool = False) -> ForecastEvaluation:
        """One-step-ahead forecasts of the points of ``y`` after the training data, scored in
        the data's units next to the naive and seasonal-naive forecasts of the same points,
        with the coverage of the ``level`` prediction intervals.

        ``statistical=True`` (one series; needs ``rnnkit[baselines]``) also scores
        statsforecast's models on the same points, each fitted once on the data before them
        as the network was: MSTL with an ETS trend for data with several seasons, else ETS,
        Theta and ARIMA. Slow on long test parts: MSTL refits its decomposition at every
        point, about 2 s each on Taylor's half-hours.

        The model is left as it was: to forecast beyond ``y``, :meth:`update` with it.
        """
        self._check_fitted()
        level = check_level(level)
        statistical = Boolean().check("statistical", statistical)
        if statistical and self.multi_:
            raise RnnkitError("`statistical` baselines are scored for one series; a model of "
                              "several series is scored against the naive ones (or use "
                              "cross_validation per series).")
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
                                          level, statistical=statistical))
        return summarize(scores, [key for key, _ in collection] if self.multi_ else None,
                         level)

    def score(self, y: Any, X: Any = None) -> float:
        """Minus the MASE of the one-step-ahead forecasts of the points of ``y`` after the
        training data: one number where higher is better, as scikit-learn's model selection
        maximises (scale-free, so it averages over series). :meth:`evaluate` gives every
        metric in the data's units next to the baselines."""
        return -float(self.evaluate(y, X).metrics.iloc[0]["MASE"])

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


def _forecast_frame(fc: Forecaster, h: int, y: Any, X: Any, level: Any) -> pd.DataFrame:
    """``fc.predict(h=..., level=[...])``: the statsforecast layout, ``fc`` unchanged."""
    h = check_horizon(h, None, "h")
    levels = [] if level is None else [level] if np.isscalar(level) else list(level)
    levels = [Number(0.0, 100.0, low_open=True, high_open=True).check("level", v)
              for v in levels]
    model = fc if y is None else fc.detached()
    predictor = model._predictor()
    if fc.multi_:
        states = model.series_ if y is None else remember_many(model, y, X)
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
