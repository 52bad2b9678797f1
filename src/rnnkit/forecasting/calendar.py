"""Calendar inputs: where in the day, the week and the year each value lies, as sine and
cosine pairs (so 23:00 sits next to 00:00), added as features whose future is known. On by
default for dated data below a day (hourly, half-hourly), where the day and the week shape
most series; a forecast computes them for its own future dates.

>>> index = pd.date_range("2024-01-01", periods=3, freq="6h")
>>> names, columns = calendar_columns(index, ("hour",))
>>> names, columns.round(3).tolist()
(('calendar:hour_sin', 'calendar:hour_cos'), [[0.0, 1.0], [1.0, 0.0], [0.0, -1.0]])
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from rnnkit.data.series import SeriesData, fixed_step
from rnnkit.errors import RnnkitError

__all__ = ["PREFIX", "calendar_columns", "calendar_kinds", "user_features", "with_calendar"]

PREFIX = "calendar:"  # the feature names the calendar adds begin with this
KINDS = ("hour", "weekday", "yearday")


def calendar_kinds(freq: str | None, index: pd.Index, wanted: bool | None) -> tuple[str, ...]:
    """The cycles a model of data at ``freq`` reads: ``wanted`` None means "where the data is
    dated and below a day"; True asks for them on any dated data (day of week and of year for
    daily data, day of year for coarser); False for none."""
    if wanted is False or not isinstance(index, pd.DatetimeIndex):
        if wanted:
            raise RnnkitError("`calendar=True` needs dated data (a DatetimeIndex or --time).")
        return ()
    step = fixed_step(freq)
    if step is not None and step < pd.Timedelta(days=1):
        return ("hour", "weekday")
    if not wanted:
        return ()
    if step is not None and step == pd.Timedelta(days=1):
        return ("weekday", "yearday")
    return ("yearday",)


def calendar_columns(index: pd.DatetimeIndex, kinds: tuple[str, ...]
                     ) -> tuple[tuple[str, ...], np.ndarray]:
    """``(names, values (len(index), 2 * len(kinds)))``: a sine and a cosine of each cycle."""
    hours = np.asarray(index.hour + index.minute / 60 + index.second / 3600, dtype=float)
    phases = {"hour": hours / 24,
              "weekday": (np.asarray(index.dayofweek, dtype=float) + hours / 24) / 7,
              "yearday": (np.asarray(index.dayofyear, dtype=float) - 1 + hours / 24) / 365.25}
    names, columns = [], []
    for kind in kinds:
        angle = 2 * np.pi * phases[kind]
        names += [f"{PREFIX}{kind}_sin", f"{PREFIX}{kind}_cos"]
        columns += [np.sin(angle), np.cos(angle)]
    values = np.column_stack(columns) if columns else np.zeros((len(index), 0))
    return tuple(names), values


def user_features(names: tuple[str, ...], kinds: tuple[str, ...]) -> tuple[str, ...]:
    """The feature columns a user gives, of a model's ``names`` (the calendar's, two per
    cycle in ``kinds``, come last and are computed)."""
    return tuple(names[:len(names) - 2 * len(kinds)])


def with_calendar(data: SeriesData, kinds: tuple[str, ...]) -> SeriesData:
    """``data`` with the calendar's columns after its own features."""
    if not kinds:
        return data
    if not isinstance(data.index, pd.DatetimeIndex):
        raise RnnkitError("this model reads calendar inputs, so its data must be dated (a "
                          "DatetimeIndex, or --time).")
    names, values = calendar_columns(data.index, kinds)
    return replace(data, features=np.column_stack([data.features, values]),
                   feature_names=tuple(data.feature_names) + names)
