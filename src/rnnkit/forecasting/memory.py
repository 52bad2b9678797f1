"""What a fitted forecaster does with its series' memory, whatever runs its network: look a
series up, describe the data it expects, remember newer values (``update``, on a copy with
``detached``) and forecast beyond them.

:class:`~rnnkit.Forecaster` (PyTorch) and :class:`~rnnkit.onnx_forecast.OnnxForecaster`
(onnxruntime) share it, so a server answers the same requests the same way with either. A
class using it provides ``series_``, ``multi_``, ``feature_names_``, ``calendar_``, ``fill``,
``_windows``, ``_check_fitted()`` and ``_predictor()``.

>>> from rnnkit import Forecaster, datasets
>>> y = datasets.airline()
>>> fc = Forecaster(units=[4], dense=(), window=12, epochs=1, verbose=False).fit(y[:-12])
>>> isinstance(fc, SeriesMemory), fc.schema_.rows_needed
(True, 12)
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import replace
from typing import Any, Self

import pandas as pd

from rnnkit.data.series import SeriesData, as_collection, as_series, holds_many
from rnnkit.errors import RnnkitError
from rnnkit.forecasting.calendar import user_features, with_calendar
from rnnkit.forecasting.forecasts import panel_forecast, series_forecast
from rnnkit.forecasting.intervals import check_level
from rnnkit.forecasting.schema import DataSchema
from rnnkit.forecasting.state import SeriesState
from rnnkit.limits import check_horizon

__all__ = ["SeriesMemory", "remember_many"]


class SeriesMemory:
    """The series a fitted forecaster remembers, and forecasts beyond them (see the module)."""

    series_: list[SeriesState]
    multi_: bool
    feature_names_: Sequence[str]
    calendar_: Sequence[str]
    fill: str | None

    def _needed(self, state: SeriesState) -> int:
        """Values a forecast of ``state`` needs: the longest window (in a global model the
        shortest, the rest padded) plus the transform's lags."""
        windows = self._windows  # type: ignore[attr-defined]
        return (min(windows) if self.multi_ else max(windows)) + state.chain.lost

    def min_history(self, series: Any = None) -> int:
        """The fewest recent values :meth:`update` and ``forecast(y=...)`` accept for a series
        (its window plus the transform's lags); the least over all series if none is named.

        >>> from rnnkit import Forecaster, datasets
        >>> fc = Forecaster(units=[4], dense=(), window=12, transform="log,diff12", epochs=1,
        ...                 verbose=False).fit(datasets.airline())
        >>> fc.min_history()
        24
        """
        self._check_fitted()  # type: ignore[attr-defined]
        states = self.series_ if series is None else [self.series_state(series)]
        return min(self._needed(state) for state in states)

    def series_state(self, series: Any = None) -> SeriesState:
        """What the model learned about one series (its transforms, scaler, split and latest
        values): the only one, or the one of a global model whose key is ``series``."""
        self._check_fitted()  # type: ignore[attr-defined]
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
        self._check_fitted()  # type: ignore[attr-defined]
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

    def detached(self, series: Sequence[Any] | None = None) -> Self:
        """A copy whose memory of the named series (all if ``None``) is its own, sharing the
        trained network: :meth:`update` and ``forecast(y=...)`` on it leave this model as it
        was. Copying only those series keeps it cheap for one series of a large global model
        (a server answering each request from the saved state).

        >>> from rnnkit import Forecaster, datasets
        >>> y = datasets.airline()
        >>> fc = Forecaster(units=[4], dense=(), window=12, epochs=1, verbose=False).fit(y[:-12])
        >>> _ = fc.detached().update(y)
        >>> str(fc.series_state().fit_end.date()), str(fc.forecast(1).index[0].date())
        ('1959-12-01', '1960-01-01')
        """
        self._check_fitted()  # type: ignore[attr-defined]
        keys = None if series is None else {self.series_state(key).key for key in series}
        clone = copy.copy(self)
        # update reassigns a state's recent values and extends its transform chain in place
        clone.series_ = [replace(state, chain=copy.deepcopy(state.chain))
                         if keys is None or state.key in keys else state
                         for state in self.series_]
        return clone

    def update(self, y: Any, X: Any = None, series: Any = None) -> Self:
        """Remember the most recent data: :meth:`forecast` continues from its end. The one
        method that changes a fitted model.

        A model of several series takes one of them (named by ``series``) or several at once
        (a long ``unique_id``/``ds``/``y`` DataFrame or a dict of Series, as for ``fit``).
        """
        self._check_fitted()  # type: ignore[attr-defined]
        if holds_many(y):
            remember_many(self, y, X)
        else:
            state = self.series_state(series)
            _remember(self, state, state.locate(self._as_data(y, X)))
        return self

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
        self._check_fitted()  # type: ignore[attr-defined]
        if level is not None:
            level = check_level(level)
        predictor = self._predictor  # type: ignore[attr-defined]
        if self.multi_ and series is None and (y is None or holds_many(y)):
            if y is None:
                return panel_forecast(predictor(), self.series_, steps, level)
            parsed = _parsed_many(self, y, X)
            model = self.detached([key for key, _ in parsed])  # `update` is the one mutator
            return panel_forecast(predictor(), _remember_parsed(model, parsed), steps, level)
        if y is None:
            return series_forecast(predictor(), self.series_state(series), steps, X_future,
                                   level)
        model = self.detached(None if series is None else [series]).update(y, X, series)
        return series_forecast(predictor(), model.series_state(series), steps, X_future,
                               level)


def _remember(fc: SeriesMemory, state: SeriesState, data: SeriesData) -> None:
    """Continue ``state`` from located ``data``, which must hold what a forecast needs."""
    need = fc._needed(state)
    if len(data) < need:
        raise RnnkitError((f"series {state.key!r}: " if fc.multi_ else "")
                          + f"forecasting needs at least the last {need} values (`window`"
                          + (" + the transform's lags" if state.chain.lost else "")
                          + f"); got {len(data)}.")
    state.remember(data, max(fc._windows))  # type: ignore[attr-defined]


def _parsed_many(fc: SeriesMemory, y: Any, X: Any) -> list[tuple[Any, SeriesData]]:
    """The series of ``y`` (several), checked against the model."""
    if not fc.multi_:
        raise RnnkitError("this model holds one series; pass it as a Series or an array, "
                          "not as several series.")
    return as_collection(y, X, fc.fill)[0]


def _remember_parsed(fc: SeriesMemory, parsed: list[tuple[Any, SeriesData]]
                     ) -> list[SeriesState]:
    """Remember the recent data of every parsed series; their states, in that order."""
    states = []
    for key, data in parsed:
        states.append(fc.series_state(key))
        _remember(fc, states[-1], states[-1].locate(with_calendar(data, fc.calendar_)))
    return states


def remember_many(fc: SeriesMemory, y: Any, X: Any) -> list[SeriesState]:
    """Remember the recent data of every series in ``y`` (several series, as ``fit`` takes
    them) in ``fc``; their states, in ``y``'s order.

    >>> import numpy as np
    >>> from rnnkit import Forecaster
    >>> many = {k: pd.Series(np.arange(40.0) + i) for i, k in enumerate("ab")}
    >>> fc = Forecaster(units=[4], dense=(), window=6, epochs=1, verbose=False).fit(many)
    >>> [s.key for s in remember_many(fc.detached(), {"b": many["b"] + 1}, None)]
    ['b']
    """
    return _remember_parsed(fc, _parsed_many(fc, y, X))
