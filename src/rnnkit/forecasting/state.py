"""What a forecaster keeps about each series: its transforms and scaler, its latest values
(where forecasts start), its split and its validation errors. Saved as one entry of
``preprocessing.json``'s ``series`` list (the layout is unchanged since model format 1).

>>> import numpy as np
>>> from rnnkit.data.series import as_series
>>> from rnnkit.data.scalers import make_scaler
>>> from rnnkit.data.transforms import TransformChain
>>> data = as_series(np.arange(1.0, 31.0))
>>> state = SeriesState(None, TransformChain.parse("none"), make_scaler("standard").fit(
...     data.target[:24, None]), data, 1.0, 1, None, 24, 30, 29, 23, [], 1.0)
>>> SeriesState.from_dict(state.to_dict()).recent.target[-1]
np.float64(30.0)
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from rnnkit.data.scalers import scaler_from_dict
from rnnkit.data.series import SeriesData, check_consecutive, infer_frequency
from rnnkit.data.transforms import TransformChain
from rnnkit.errors import RnnkitError

__all__ = ["SeriesState"]


@dataclass
class SeriesState:
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
    residuals: list[Any]  # validation |errors| of 1..K-step forecasts (per step), for intervals
    # the unit a global model pools those errors in: the seasonal-naive error over the
    # training part alone, which is all the networks that made them had seen
    error_scale: float
    seasons: tuple[int, ...] = ()  # every seasonal period, shortest (season_length) first

    def locate(self, data: SeriesData) -> SeriesData:
        """``data`` with ``start`` set to its first value's position in the series ``fit``
        saw: found from the dates, or (undated) the start of that series. All new data comes
        in here, so here dates off the model's frequency and values outside the transform's
        domain (a log's non-positive ones) are refused: either would give a silently wrong
        forecast."""
        check_consecutive(data.index, self.freq, data.describe)
        self.chain.check(data.target, data.describe)
        if not self.chain.positional or not isinstance(data.index, pd.DatetimeIndex) or not \
                isinstance(self.fit_end, pd.Timestamp):
            return data
        freq = self.freq or infer_frequency(data.index)
        first, end = data.index[0], self.fit_end
        if freq is None:
            raise RnnkitError("the seasonal transform needs to know where the data lies in "
                              "the seasonal cycle, but its frequency cannot be inferred; pass "
                              "regularly spaced dates.")
        periods = len(pd.date_range(min(first, end), max(first, end), freq=freq)) - 1
        return replace(data, start=self.n_fit - 1 + (periods if first >= end else -periods))

    def remember(self, data: SeriesData, keep: int) -> None:
        """Continue from the end of located ``data``: an ``es`` season learns from its new
        values, and its last ``keep`` values (plus the transform's lags) are kept."""
        self.chain.extend(data.target, data.start)
        self.recent = data.slice(max(0, len(data) - keep - self.chain.lost))

    def test_start(self, data: SeriesData, needed: int) -> int:
        """Position in ``data`` of the first point after the data ``fit`` saw; an error
        when there is none, or fewer than ``needed`` values before it."""
        if isinstance(data.index, pd.DatetimeIndex) and isinstance(self.fit_end, pd.Timestamp):
            start = int(data.index.searchsorted(self.fit_end, side="right"))
            end_text = self.fit_end.strftime("%Y-%m-%d")
        else:
            start, end_text = int(self.n_fit), f"position {self.n_fit - 1}"
        if start >= len(data):
            raise RnnkitError(
                f"evaluate needs points after the training data, which ended at {end_text}; "
                "`y` has none. Pass the whole series: fit(y[:-n]) then evaluate(y).")
        if start < needed:
            raise RnnkitError(f"evaluate needs the {needed} values before the first test "
                              "point; pass the whole series, training part included.")
        return start

    def to_dict(self) -> dict[str, Any]:
        r = self.recent
        return {"key": self.key, "transform": self.chain.to_dict(),
                "scaler": self.scaler.to_dict(), "mase_scale": self.mase_scale,
                "season_length": self.season_length, "frequency": self.freq,
                "n_train": self.n_train, "n_fit": self.n_fit,
                "fit_end": label_to_json(self.fit_end),
                "train_end": label_to_json(self.train_end),
                "residuals": [np.asarray(r, dtype=np.float64).tolist() for r in self.residuals],
                "error_scale": self.error_scale,
                "seasons": list(self.seasons or (self.season_length,)),
                "time_column": r.index.name,
                "recent": {"index": [label_to_json(v) for v in r.index],
                           "target": r.target.tolist(), "features": r.features.tolist(),
                           "start": r.start,
                           "target_name": r.target_name, "features_names": list(
                               r.feature_names)}}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> SeriesState:
        rec = d["recent"]
        labels = [label_from_json(v) for v in rec["index"]]
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
                   d["frequency"], d["n_train"], d["n_fit"], label_from_json(d["fit_end"]),
                   label_from_json(d["train_end"]), d["residuals"],
                   # models saved before MASE's scale took in the validation part kept this one
                   d.get("error_scale", d["mase_scale"]),
                   # models saved before several seasons had the one
                   tuple(int(m) for m in d.get("seasons") or [d["season_length"]]))


def label_to_json(label: Any) -> Any:
    """A time label as JSON: a timestamp as ``{"timestamp": iso}``, a position as an int."""
    return {"timestamp": label.isoformat()} if isinstance(label, pd.Timestamp) else int(label)


def label_from_json(value: Any) -> Any:
    return pd.Timestamp(value["timestamp"]) if isinstance(value, dict) else int(value)
