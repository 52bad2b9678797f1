"""A forecaster exported to ONNX, run without PyTorch: the forecaster's own NumPy pipeline
(transforms, scalers, window normalisation, recursion, conformal intervals, calendar inputs)
around onnxruntime for the network.

A deployment needs ``rnnkit``, ``numpy``, ``pandas`` and ``onnxruntime`` — not ``torch``::

    rnnkit export runs/airline            # once, where PyTorch is installed

    from rnnkit.onnx_forecast import OnnxForecaster
    fc = OnnxForecaster("runs/airline")
    fc.forecast(12, level=0.9)

Its forecasts equal :meth:`rnnkit.Forecaster.forecast`'s to float precision (the network runs
in float32 in both). It remembers and forecasts its series as the PyTorch model does
(:class:`~rnnkit.forecasting.memory.SeriesMemory`: ``update``, ``forecast(y=...)``,
``schema_``), so ``rnnkit serve RUN --runtime onnx`` answers the same requests.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rnnkit.data.scalers import scaler_from_dict
from rnnkit.errors import ModelFormatError, RnnkitError
from rnnkit.forecasting.memory import SeriesMemory
from rnnkit.forecasting.pipeline import ModelSpace, normalize_windows
from rnnkit.forecasting.recursive import Predictor
from rnnkit.forecasting.state import SeriesState
from rnnkit.limits import MAX_JSON_BYTES, MAX_PREPROCESSING_BYTES
from rnnkit.onnx_session import open_session, saved_work
from rnnkit.parameters import model_name
from rnnkit.safe_json import load_json_file

__all__ = ["OnnxForecaster"]

CHUNK = 4096  # windows per onnxruntime call


@dataclass(frozen=True)
class _OnnxNetwork:
    """The exported networks with the window normalisation they see: what a
    :class:`~rnnkit.forecasting.recursive.Predictor` needs of its ``ensemble``. One window
    length: the graph takes the normalised ``windows`` and gives the (median) output without
    the level. Several: ``windows_<w>`` and ``level_<w>`` per length, output with levels."""

    session: Any
    windows: tuple[int, ...]  # the distinct lengths, ascending
    normalize: str | None

    def predict(self, windows: np.ndarray) -> np.ndarray:
        outs = [self._run(windows[s:s + CHUNK]) for s in range(0, len(windows), CHUNK)]
        return np.concatenate(outs) if outs else np.zeros((0, 1))

    def _run(self, windows: np.ndarray) -> np.ndarray:
        parts = [normalize_windows(windows[:, -w:], self.normalize) for w in self.windows]
        if len(self.windows) == 1:
            (normalized, level), = parts
            out = self.session.run(None, {"windows": normalized.astype(np.float32)})[0]
            return out.astype(np.float64) + level[:, None]
        feed = {f"windows_{w}": x.astype(np.float32) for w, (x, _) in zip(
            self.windows, parts, strict=True)} | {
            f"level_{w}": level.astype(np.float32) for w, (_, level) in zip(
                self.windows, parts, strict=True)}
        return self.session.run(None, feed)[0].astype(np.float64)


class OnnxForecaster(SeriesMemory):
    """A saved forecaster's ``model.onnx`` (from ``rnnkit export``) with its
    ``config.json`` and ``preprocessing.json``: ``forecast``, ``update``, ``detached`` and
    ``schema_`` as the PyTorch model's (see :class:`~rnnkit.forecasting.memory.SeriesMemory`).
    """

    def __init__(self, model_dir: str | Path, onnx_file: str | Path | None = None):
        model_dir = Path(model_dir)
        try:
            config = self._read(model_dir)
        except (OSError, KeyError, TypeError, ValueError) as exc:
            if isinstance(exc, RnnkitError):
                raise
            raise ModelFormatError(f"{str(model_dir)!r} is not a forecaster's folder: "
                                   f"{exc}") from None
        session = open_session(model_dir, onnx_file, "OnnxForecaster",
                               saved_work(config, len(self.series_)))
        network = _OnnxNetwork(session, self._windows, self.normalize)
        space = ModelSpace(self.feature_scaler_, tuple(self.feature_names_), self.multi_,
                           self.calendar_)
        self._pipeline = Predictor(network, space, max(self._windows), self.pooled_residuals_)

    def _read(self, model_dir: Path) -> dict[str, Any]:
        config = load_json_file(model_dir / "config.json", MAX_JSON_BYTES)
        if config.get("estimator") != "Forecaster":
            raise ValueError(f"it holds a {config.get('estimator')!r}")
        pre = load_json_file(model_dir / "preprocessing.json", MAX_PREPROCESSING_BYTES)
        params = config["params"]
        normalize = params.get("normalize")
        self.windows = tuple(sorted(set(int(w) for w in pre["window"])))
        self.normalize = None if normalize in (None, "none") else str(normalize)
        self.fill = params.get("fill")
        self.model_name = model_name(params.get("cell"), params.get("bidirectional")) + (
            " (ONNX)")
        self.feature_names_ = tuple(pre["features"])
        self.feature_scaler_ = scaler_from_dict(pre["feature_scaler"])
        self.multi_ = bool(pre["multi"])
        self.calendar_ = tuple(pre.get("calendar", []))
        self.series_ = [SeriesState.from_dict(s) for s in pre["series"]]
        self.pooled_residuals_ = [np.asarray(r, dtype=np.float64)
                                  for r in pre.get("pooled_residuals", [])]
        return config

    @property
    def _windows(self) -> tuple[int, ...]:
        return self.windows

    def _check_fitted(self) -> None:
        """Always fitted: it was read from a saved model."""

    def _predictor(self) -> Predictor:
        return self._pipeline

    def __repr__(self) -> str:
        return f"OnnxForecaster({self.model_name!r}, series={len(self.series_)})"
