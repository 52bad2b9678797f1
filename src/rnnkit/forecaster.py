"""``Forecaster``: a recurrent network that forecasts a time series, end to end.

It splits chronologically (validation is the last part of the data given to ``fit``), fits
scalers on the training part only, cuts sliding windows, trains with early stopping, and reports
every number in the data's own units next to naive and seasonal-naive forecasts of the same
points.

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

import logging
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from rnnkit.base import Estimator
from rnnkit.data.scalers import make_scaler, scaler_from_dict
from rnnkit.data.series import (
    FILL_METHODS,
    SeriesData,
    as_series,
    infer_frequency,
    season_length_for,
)
from rnnkit.data.windows import make_windows
from rnnkit.errors import ModelFormatError, RnnkitError
from rnnkit.evaluation import mase_scale, metrics_table, naive_forecasts, verdict
from rnnkit.models.layers import CELLS
from rnnkit.validation import (
    Boolean,
    Choice,
    Constraint,
    IntList,
    Number,
    Optional,
    PositiveInt,
)

__all__ = ["ForecastEvaluation", "Forecaster", "holdout_size"]

log = logging.getLogger(__name__)


@dataclass
class ForecastEvaluation:
    """What :meth:`Forecaster.evaluate` found on the points after the training data.

    ``metrics``: one row per model (the network first, then the baselines), columns RMSE, MAE,
    MAPE, sMAPE, MASE, in the data's units. ``predictions``: ``actual`` and each model's one-step-
    ahead forecast per point. ``verdict``: one sentence comparing the network with the best
    baseline.
    """

    metrics: pd.DataFrame
    predictions: pd.DataFrame
    verdict: str

    def __str__(self) -> str:
        table = self.metrics.to_string(float_format=lambda v: f"{v:,.3f}")
        return f"{table}\n\n{self.verdict}"

    def __repr__(self) -> str:
        return str(self)


def holdout_size(n: int, test: float | int) -> int:
    """Points held out for testing: a fraction of ``n`` (rounded) or a count.

    >>> holdout_size(144, 0.2), holdout_size(144, 24)
    (29, 24)
    """
    if isinstance(test, bool) or not isinstance(test, int | float) or test <= 0:
        raise RnnkitError(f"`test` must be a fraction in (0, 1) or a positive count; got {test!r}.")
    size = round(n * test) if test < 1 else int(test)
    if size < 1 or size >= n:
        raise RnnkitError(f"`test` must leave at least one point on each side of the split; "
                          f"got test={test!r} for {n} points.")
    return size


class Forecaster(Estimator):
    """Forecast a series with a SimpleRNN, LSTM or GRU network.

    Args:
        cell: ``"rnn"`` (SimpleRNN, tanh), ``"lstm"`` or ``"gru"``.
        units: units per stacked recurrent layer, e.g. ``[64, 32]``.
        window: past time steps the network reads for each forecast.
        horizon: steps the network emits at once (direct); longer forecasts feed its own
            predictions back (recursive).
        stride: step between the starts of consecutive training windows.
        bidirectional: read each window both ways.
        dropout: dropout rate after each recurrent and hidden dense layer.
        dense: hidden ReLU layers of the head, e.g. ``[32]``; ``()`` for none.
        scaler: ``"standard"``, ``"minmax"`` or ``None``, fitted on the training part only.
        validation: fraction of the data given to ``fit`` held out (chronologically, at the end)
            for early stopping; 0 trains on everything for ``epochs`` epochs.
        epochs, batch_size, learning_rate: Adam training settings.
        loss: ``"mse"`` or ``"huber"``, on scaled values.
        patience: early stopping patience in epochs (best weights are restored); None: off.
        reduce_lr_patience: halve the learning rate after this many epochs without improvement.
        clip_norm: clip the global gradient norm to this value; None: off.
        season_length: seasonal period for seasonal naive and MASE; None infers it from the
            time index (monthly 12, quarterly 4, weekly 52, daily 7, hourly 24).
        fill: fill missing values (``"ffill"`` or ``"interpolate"``) instead of refusing them.
        seed: seeds initialisation, dropout and shuffling; the same seed gives the same numbers
            on the same machine (CPU).
        device: ``"auto"`` (CUDA when available), ``"cpu"`` or ``"cuda"``.
        verbose: show a progress bar while training.
        checkpoint: path of a ``.safetensors`` file that receives the best weights as training
            improves.

    Feature columns (``X``) are inputs only: the target is univariate. To forecast beyond the
    data the network needs the features' future values; pass them as ``X_future``, or they are
    held at their last observed values and a warning says so.
    """

    _parameter_constraints: ClassVar[dict[str, Constraint]] = {
        "cell": Choice(tuple(CELLS)),
        "units": IntList(),
        "window": PositiveInt(),
        "horizon": PositiveInt(),
        "stride": PositiveInt(),
        "bidirectional": Boolean(),
        "dropout": Number(0.0, 1.0, high_open=True),
        "dense": IntList(allow_empty=True),
        "scaler": Optional(Choice(("standard", "minmax", "none"))),
        "validation": Number(0.0, 1.0, high_open=True),
        "epochs": PositiveInt(),
        "batch_size": PositiveInt(),
        "learning_rate": Number(0.0, low_open=True),
        "loss": Choice(("mse", "huber")),
        "patience": Optional(PositiveInt()),
        "reduce_lr_patience": Optional(PositiveInt()),
        "clip_norm": Optional(Number(0.0, low_open=True)),
        "season_length": Optional(PositiveInt()),
        "fill": Optional(Choice(FILL_METHODS)),
        "seed": PositiveInt(minimum=0),
        "device": Choice(("auto", "cpu", "cuda", "mps")),
        "verbose": Boolean(),
    }

    def __init__(self, cell: str = "lstm", units: Any = (64, 32), window: int = 12,
                 horizon: int = 1, stride: int = 1, bidirectional: bool = False,
                 dropout: float = 0.2, dense: Any = (32,), scaler: str | None = "standard",
                 validation: float = 0.2, epochs: int = 200, batch_size: int = 16,
                 learning_rate: float = 1e-3, loss: str = "mse", patience: int | None = 20,
                 reduce_lr_patience: int | None = 10, clip_norm: float | None = 1.0,
                 season_length: int | None = None, fill: str | None = None, seed: int = 0,
                 device: str = "auto", verbose: bool = True, checkpoint: str | None = None):
        self.cell = cell
        self.units = units
        self.window = window
        self.horizon = horizon
        self.stride = stride
        self.bidirectional = bidirectional
        self.dropout = dropout
        self.dense = dense
        self.scaler = scaler
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

    # ------------------------------------------------------------------ building
    @property
    def model_name(self) -> str:
        """Display name, e.g. ``"LSTM"`` or ``"BiGRU"``."""
        return ("Bi" if self.bidirectional else "") + CELLS.get(str(self.cell).lower(), "RNN")

    def _network_config(self, p: dict[str, Any], n_inputs: int):
        from rnnkit.models.network import NetworkConfig

        return NetworkConfig(cell=p["cell"], input_size=n_inputs, units=p["units"],
                             output_size=p["horizon"], bidirectional=p["bidirectional"],
                             dropout=p["dropout"], dense=p["dense"])

    def summary(self, n_features: int = 0) -> str:
        """Keras-like summary; before ``fit`` it describes the network for ``n_features`` extra
        input columns beside the target."""
        from rnnkit.models.network import RecurrentNetwork

        if hasattr(self, "network_"):
            net = self.network_
        else:
            p = self._validated_params()
            net = RecurrentNetwork(self._network_config(p, 1 + n_features))
        return net.summary(timesteps=int(self.window), title=self.model_name.lower())

    def _check_length(self, n: int, p: dict[str, Any], test: int = 0) -> int:
        """Training size after the validation split, or a clear error when the data is short."""
        n_val = round(n * p["validation"]) if p["validation"] > 0 else 0
        n_train = n - n_val
        w, h = p["window"], p["horizon"]
        if n_train < w + h or (n_val and n_val < h):
            need = w + h + (max(h, 1) if p["validation"] > 0 else 0)
            test_text = f" + test {test}" if test else ""
            raise RnnkitError(
                f"the series is too short: {n + test} values, but window {w} + horizon {h} "
                f"+ validation{test_text} needs more (the training part has {n_train} values, "
                f"at least {w + h} are needed, about {need + test} in all). Use a shorter "
                "`window`, a smaller `validation` or `test`, or more data.")
        return n_train

    # ------------------------------------------------------------------ fitting
    def fit(self, y: Any, X: Any = None) -> Forecaster:
        """Train on ``y`` (and feature columns ``X``); the last ``validation`` part validates.

        Returns ``self``. ``y``: Series (a ``DatetimeIndex`` gives dated forecasts), 1-D array
        or list; ``X``: DataFrame or 2-D array with one row per value of ``y``.
        """
        import torch

        from rnnkit.models.network import RecurrentNetwork
        from rnnkit.training import resolve_device, train

        p = self._validated_params()
        data = as_series(y, X, fill=p["fill"])
        n_train = self._check_length(len(data), p)
        freq = infer_frequency(data.index)
        season = p["season_length"] or season_length_for(freq)

        target_scaler = make_scaler(p["scaler"]).fit(data.target[:n_train, None])
        feature_scaler = make_scaler(p["scaler"]).fit(data.features[:n_train])
        scaled = self._scale(data, target_scaler, feature_scaler)  # (T, 1 + F)
        w, h = p["window"], p["horizon"]
        x_train, y_train = make_windows(scaled[:n_train], w, h, p["stride"])
        val = None
        if n_train < len(data):
            x_val, y_val = make_windows(scaled, w, h, 1, first_target=n_train)
            val = (torch.as_tensor(x_val, dtype=torch.float32),
                   torch.as_tensor(y_val, dtype=torch.float32))

        torch.manual_seed(p["seed"])
        device = resolve_device(p["device"])
        network = RecurrentNetwork(self._network_config(p, scaled.shape[1])).to(device)
        loss_fn = (torch.nn.functional.mse_loss if p["loss"] == "mse"
                   else torch.nn.functional.huber_loss)
        config = self._train_config(p, f"{self.model_name} training")
        train_tensors = (torch.as_tensor(x_train, dtype=torch.float32),
                         torch.as_tensor(y_train, dtype=torch.float32))
        self.history_ = train(network, loss_fn, train_tensors, val, config)

        self.network_ = network
        self.target_scaler_ = target_scaler
        self.feature_scaler_ = feature_scaler
        self.target_name_ = data.target_name
        self.feature_names_ = data.feature_names
        self.freq_ = freq
        self.season_length_ = season
        self.mase_scale_ = mase_scale(data.target[:n_train], season)
        self.n_train_ = n_train
        self.n_fit_ = len(data)
        self.fit_end_ = data.index[-1]
        self.train_end_ = data.index[n_train - 1]
        self.time_column_ = data.index.name if isinstance(data.index, pd.DatetimeIndex) else None
        self.update(data)
        return self

    # ------------------------------------------------------------------ helpers
    @staticmethod
    def _scale(data: SeriesData, target_scaler, feature_scaler) -> np.ndarray:
        return np.column_stack([target_scaler.transform(data.target[:, None]),
                                feature_scaler.transform(data.features)])

    def _as_data(self, y: Any, X: Any) -> SeriesData:
        data = as_series(y, X, fill=self.fill)
        if (data.feature_names and len(data.feature_names) != len(self.feature_names_)) or (
                not data.feature_names and self.feature_names_):
            raise RnnkitError(
                f"this model was trained with feature columns {list(self.feature_names_)}; "
                f"got {list(data.feature_names)}. Pass the same columns as X.")
        return data

    def _predict_scaled(self, windows: np.ndarray) -> np.ndarray:
        """Network outputs ``(S, horizon)`` in scaled units for windows ``(S, window, 1 + F)``."""
        import torch

        device = next(self.network_.parameters()).device
        self.network_.eval()
        outs = []
        with torch.no_grad():
            for chunk in np.array_split(windows, max(1, len(windows) // 4096 + 1)):
                if len(chunk):
                    x = torch.as_tensor(chunk, dtype=torch.float32, device=device)
                    outs.append(self.network_(x).cpu().numpy().astype(np.float64))
        return np.concatenate(outs) if outs else np.zeros((0, self.network_.config.output_size))

    def _one_step(self, data: SeriesData, first_target: int) -> np.ndarray:
        """One-step-ahead forecasts, in data units, of ``data.target[first_target:]``."""
        scaled = self._scale(data, self.target_scaler_, self.feature_scaler_)
        x, _ = make_windows(scaled, int(self.window), 1, 1, first_target=first_target)
        step1 = self._predict_scaled(x)[:, :1]
        return self.target_scaler_.inverse_transform(step1).ravel()

    def update(self, y: Any, X: Any = None) -> Forecaster:
        """Remember the most recent data: :meth:`forecast` continues from its end."""
        self._check_fitted()
        data = y if isinstance(y, SeriesData) else self._as_data(y, X)
        w = int(self.window)
        if len(data) < w:
            raise RnnkitError(f"forecasting needs at least the last {w} values (`window`); "
                              f"got {len(data)}.")
        self.recent_ = data.slice(len(data) - w)
        return self

    # ------------------------------------------------------------------ predicting
    def predict(self, y: Any, X: Any = None) -> pd.Series:
        """One-step-ahead forecasts for every point of ``y`` that has ``window`` points before it.

        Each forecast uses only the actual values before its point.
        """
        self._check_fitted()
        data = self._as_data(y, X)
        w = int(self.window)
        if len(data) <= w:
            raise RnnkitError(f"`y` needs more than `window`={w} values to predict any point; "
                              f"got {len(data)}.")
        return pd.Series(self._one_step(data, w), index=data.index[w:], name=self.target_name_)

    def _test_start(self, data: SeriesData) -> int:
        """Position of the first point after the data ``fit`` saw."""
        if isinstance(data.index, pd.DatetimeIndex) and isinstance(self.fit_end_, pd.Timestamp):
            start = int(data.index.searchsorted(self.fit_end_, side="right"))
            end_text = self.fit_end_.strftime("%Y-%m-%d")
        else:
            start, end_text = int(self.n_fit_), f"position {self.n_fit_ - 1}"
        if start >= len(data):
            raise RnnkitError(
                f"evaluate needs points after the training data, which ended at {end_text}; "
                "`y` has none. Pass the whole series: fit(y[:-n]) then evaluate(y).")
        if start < int(self.window):
            raise RnnkitError(
                f"evaluate needs the {self.window} values before the first test point "
                f"(`window`); pass the whole series, training part included.")
        return start

    def evaluate(self, y: Any, X: Any = None) -> ForecastEvaluation:
        """One-step-ahead forecasts of the points of ``y`` after the training data, scored in
        the data's units next to the naive and seasonal-naive forecasts of the same points.

        Also remembers ``y`` (see :meth:`update`), so :meth:`forecast` continues after it.
        """
        self._check_fitted()
        data = self._as_data(y, X)
        start = self._test_start(data)
        positions = np.arange(start, len(data))
        actual = data.target[start:]
        predictions = {self.model_name: self._one_step(data, start)}
        predictions |= naive_forecasts(data.target, positions, self.season_length_)
        table = metrics_table(actual, predictions, self.mase_scale_)
        frame = pd.DataFrame({"actual": actual} | predictions, index=data.index[start:])
        self.update(data)
        return ForecastEvaluation(table, frame, verdict(table))

    def score(self, y: Any, X: Any = None) -> dict[str, float]:
        """The network's metrics (RMSE, MAE, MAPE, sMAPE, MASE) on the points after the
        training data; see :meth:`evaluate` for the baselines beside them."""
        return self.evaluate(y, X).metrics.iloc[0].to_dict()

    def forecast(self, steps: int, y: Any = None, X: Any = None,
                 X_future: Any = None) -> pd.Series:
        """Forecast ``steps`` values beyond the end of the data (``y``, or the latest seen).

        The network emits ``horizon`` steps at a time; beyond that its own forecasts are fed
        back (recursive). With feature columns, ``X_future`` gives their values over the
        forecast period; without it they are held at their last observed values, with a warning.
        """
        self._check_fitted()
        steps = PositiveInt().check("steps", steps)
        if y is not None:
            self.update(y, X)
        recent = self.recent_
        n_features = len(self.feature_names_)
        future = self._future_features(steps, X_future, recent)
        history = self._scale(recent, self.target_scaler_, self.feature_scaler_)  # (w, 1 + F)
        future_scaled = self.feature_scaler_.transform(future) if n_features else np.zeros(
            (steps, 0))
        w = int(self.window)
        out: list[float] = []
        while len(out) < steps:
            step = self._predict_scaled(history[None])[0]  # (horizon,)
            k = min(len(step), steps - len(out))
            rows = np.column_stack([step[:k], future_scaled[len(out):len(out) + k]])
            history = np.vstack([history, rows])[-w:]
            out.extend(step[:k].tolist())
        values = self.target_scaler_.inverse_transform(np.asarray(out)[:, None]).ravel()
        return pd.Series(values, index=self._future_index(recent.index, steps),
                         name=self.target_name_)

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
                UserWarning, stacklevel=3)
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

    def _future_index(self, index: pd.Index, steps: int) -> pd.Index:
        if isinstance(index, pd.DatetimeIndex):
            freq = self.freq_ or infer_frequency(index)
            if freq:
                return pd.date_range(index[-1], periods=steps + 1, freq=freq)[1:]
            log.warning("could not infer the series' frequency; forecasts are numbered")
        last = int(index[-1]) if len(index) and not isinstance(index, pd.DatetimeIndex) else -1
        return pd.RangeIndex(last + 1, last + 1 + steps)

    def trace(self, y: Any, X: Any = None):
        """Every gate and state, per layer, direction and time step, of the network reading
        the whole of ``y`` as one sequence from a zero state (see :class:`rnnkit.explain.Trace`).
        """
        from rnnkit.explain import trace_network

        self._check_fitted()
        data = self._as_data(y, X)
        scaled = self._scale(data, self.target_scaler_, self.feature_scaler_)
        labels = [v.strftime("%Y-%m-%d") if isinstance(v, pd.Timestamp) else str(v)
                  for v in data.index]
        return trace_network(self.network_, [scaled], [labels])

    # ------------------------------------------------------------------ persistence
    def save(self, path: str | Path) -> Path:
        """Write the fitted model to directory ``path`` (JSON + safetensors; no pickle)."""
        self._check_fitted()
        recent = self.recent_
        return self._save_dir(path, {
            "target": self.target_name_, "features": list(self.feature_names_),
            "time_column": self.time_column_,
            "target_scaler": self.target_scaler_.to_dict(),
            "feature_scaler": self.feature_scaler_.to_dict(),
            "window": int(self.window), "horizon": int(self.horizon),
            "frequency": self.freq_, "season_length": self.season_length_,
            "mase_scale": self.mase_scale_, "n_train": self.n_train_, "n_fit": self.n_fit_,
            "fit_end": _label_to_json(self.fit_end_),
            "train_end": _label_to_json(self.train_end_),
            "recent": {"index": [_label_to_json(v) for v in recent.index],
                       "target": recent.target.tolist(), "features": recent.features.tolist()},
        })

    @classmethod
    def load(cls, path: str | Path, device: str = "auto") -> Forecaster:
        """Rebuild a saved model; its predictions equal the original's bit for bit."""
        est, pre = cls._load_dir(path, device)
        config = est.network_.config
        try:
            if (config.input_size != 1 + len(pre["features"]) or pre["window"] != est.window
                    or config.output_size != est.horizon):
                raise ValueError("preprocessing.json disagrees with config.json about the inputs")
            est.target_scaler_ = scaler_from_dict(pre["target_scaler"])
            est.feature_scaler_ = scaler_from_dict(pre["feature_scaler"])
            est.target_name_, est.feature_names_ = pre["target"], tuple(pre["features"])
            est.freq_, est.season_length_ = pre["frequency"], pre["season_length"]
            est.mase_scale_ = pre["mase_scale"]
            est.n_train_, est.n_fit_ = pre["n_train"], pre["n_fit"]
            est.fit_end_ = _label_from_json(pre["fit_end"])
            est.train_end_ = _label_from_json(pre["train_end"])
            est.time_column_ = pre.get("time_column")
            rec = pre["recent"]
            labels = [_label_from_json(v) for v in rec["index"]]
            index = (pd.DatetimeIndex(labels, name=est.time_column_)
                     if labels and isinstance(labels[0], pd.Timestamp) else pd.Index(labels))
            est.recent_ = SeriesData(np.asarray(rec["target"], dtype=np.float64),
                                     np.asarray(rec["features"], dtype=np.float64).reshape(
                                         len(labels), len(pre["features"])),
                                     index, pre["target"], tuple(pre["features"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelFormatError(f"{str(path)!r} is inconsistent: {exc}") from None
        return est


def _label_to_json(label: Any) -> Any:
    return {"timestamp": label.isoformat()} if isinstance(label, pd.Timestamp) else int(label)


def _label_from_json(value: Any) -> Any:
    return pd.Timestamp(value["timestamp"]) if isinstance(value, dict) else int(value)
