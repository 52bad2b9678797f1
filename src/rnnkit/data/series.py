"""Turning user input (pandas, NumPy, CSV) into one validated, regularly indexed series.

Every problem is reported against the data: the column, the rows, and what to do about it.

>>> s = as_series([1.0, 2.0, 3.0])
>>> s.target.tolist(), s.feature_names
([1.0, 2.0, 3.0], ())
>>> as_series([1.0, None, 3.0])  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
rnnkit.errors.RnnkitError: column 'y' has missing values at row 1. Fix the data, ...
"""

from __future__ import annotations

import os
import warnings
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from rnnkit.errors import RnnkitError

__all__ = ["FILL_METHODS", "SeriesData", "as_collection", "as_series", "holds_many",
           "infer_frequency", "load_csv", "load_long_csv", "long_series", "season_length_for",
           "seasons_for"]

FILL_METHODS = ("ffill", "interpolate")
_MAX_ROWS_SHOWN = 5


@dataclass
class SeriesData:
    """A target series with optional feature columns on one index.

    ``target`` ``(T,)`` float64, ``features`` ``(T, F)`` float64, ``index`` the time stamps (a
    ``DatetimeIndex``) or positions (a ``RangeIndex``). ``start``: the position of the first
    value in the series a model was fitted on (for position-dependent transforms).
    ``row_names``: how the source names row ``i`` (a CSV line, a request's ``rows[i]``), so
    that errors found later, by a model, name the row as the user knows it.
    """

    target: np.ndarray
    features: np.ndarray
    index: pd.Index
    target_name: str
    feature_names: tuple[str, ...]
    start: int = 0
    row_names: Callable[[int], str] | None = field(default=None, repr=False, compare=False)

    def __len__(self) -> int:
        return len(self.target)

    def describe(self, row: int) -> str:
        """Row ``row`` as errors name it, e.g. ``"CSV line 7 (1958-12)"`` or
        ``"row 5 (1958-12-01)"``."""
        return (self.row_names or describe_rows(self.index))(row)

    def to_pandas(self) -> tuple[pd.Series, pd.DataFrame | None]:
        """``(y, X)`` as the estimators take them: the target as a Series named after it,
        the features (if any) as a DataFrame, both on the series' index.

        >>> y, X = as_series([1.0, 2.0]).to_pandas()
        >>> y.tolist(), X
        ([1.0, 2.0], None)
        """
        y = pd.Series(self.target, index=self.index, name=self.target_name)
        X = (pd.DataFrame(self.features, index=self.index, columns=list(self.feature_names))
             if self.feature_names else None)
        return y, X

    @property
    def values(self) -> np.ndarray:
        """Target then features, ``(T, 1 + F)``: the columns the network reads."""
        return np.column_stack([self.target, self.features])

    def slice(self, start: int, stop: int | None = None) -> SeriesData:
        first = range(len(self.target))[start:stop].start
        names = self.row_names
        return SeriesData(self.target[start:stop], self.features[start:stop],
                          self.index[start:stop], self.target_name, self.feature_names,
                          self.start + first,
                          None if names is None else lambda row: names(first + row))


def _rows_text(rows: Sequence[int], describe: Callable[[int], str]) -> str:
    """``"row 3, row 7 and 12 more"``: the first few offending rows, described for the user."""
    shown = ", ".join(describe(r) for r in rows[:_MAX_ROWS_SHOWN])
    more = f" and {len(rows) - _MAX_ROWS_SHOWN} more" if len(rows) > _MAX_ROWS_SHOWN else ""
    return f"{shown}{more}"


def _numeric_column(column: pd.Series, name: str, fill: str | None,
                    describe: Callable[[int], str]) -> np.ndarray:
    """Column → float64, refusing non-numbers and (unless ``fill``) missing values by row."""
    numeric = pd.to_numeric(column, errors="coerce")
    if pd.api.types.is_numeric_dtype(column.dtype):
        numeric = numeric.astype("float64")
    infinite = np.flatnonzero(np.isinf(numeric.to_numpy(dtype=np.float64, na_value=np.nan)))
    numeric = numeric.replace([np.inf, -np.inf], np.nan)
    present = column.notna().to_numpy()
    bad = np.flatnonzero(present & numeric.isna().to_numpy())
    if len(bad):
        example = column.iloc[bad[0]]
        example = example.item() if isinstance(example, np.generic) else example
        what = "infinite" if np.isin(bad, infinite).all() else "non-numeric"
        raise RnnkitError(
            f"column {name!r} has {what} values at {_rows_text(bad.tolist(), describe)} "
            f"(e.g. {example!r}). Only finite numbers are allowed; fix or remove those rows.")
    missing = np.flatnonzero(~present)
    if len(missing) and fill is None:
        raise RnnkitError(
            f"column {name!r} has missing values at {_rows_text(missing.tolist(), describe)}. "
            "Fix the data, or pass fill='ffill' (carry the last value forward) or "
            "fill='interpolate' (straight line between neighbours); on the command line "
            "--fill ffill or --fill interpolate.")
    if len(missing):
        numeric = (numeric.ffill() if fill == "ffill"
                   else numeric.interpolate(method="linear", limit_direction="both"))
        numeric = numeric.bfill()  # leading gaps have nothing before them
        if numeric.isna().any():
            raise RnnkitError(f"column {name!r} has no values at all; nothing to fill from.")
    return numeric.to_numpy(dtype=np.float64)


def describe_rows(index: pd.Index) -> Callable[[int], str]:
    """How errors name row ``i`` of data with ``index``: its position, and its date or label.

    >>> describe_rows(pd.date_range("2020-01-01", periods=3, freq="MS"))(2)
    'row 2 (2020-03-01)'
    """
    if isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1:
        return lambda row: f"row {row}"

    def describe(row: int) -> str:
        return f"row {row} ({describe_date(index[row])})"

    return describe


def describe_date(label: Any) -> str:
    """A date as errors print it: the time of day only when there is one.

    >>> describe_date(pd.Timestamp("2020-03-01")), describe_date(pd.Timestamp("2020-03-01 02:30"))
    ('2020-03-01', '2020-03-01 02:30:00')
    """
    if isinstance(label, pd.Timestamp):
        return label.strftime("%Y-%m-%d %H:%M:%S").removesuffix(" 00:00:00")
    return str(label)


def as_series(y: Any, X: Any = None, *, fill: str | None = None,
              describe_row: Callable[[int], str] | None = None) -> SeriesData:
    """Validate a target ``y`` (Series, 1-column DataFrame, array, list) and features ``X``.

    ``X`` is a DataFrame, 2-D array or Series of the same length (and, for pandas, the same index)
    as ``y``. Missing values are refused by row unless ``fill`` is ``"ffill"`` or
    ``"interpolate"``. A ``DatetimeIndex`` must increase strictly. A :class:`SeriesData`
    (validated already, e.g. read from a CSV) is returned as it is.
    """
    if isinstance(y, SeriesData) and X is None:
        return y
    if fill is not None and fill not in FILL_METHODS:
        raise RnnkitError(f"`fill` must be None or one of {FILL_METHODS}; got {fill!r}.")
    if isinstance(y, pd.DataFrame):
        if y.shape[1] != 1:
            raise RnnkitError(
                f"`y` must be one target column; got a DataFrame with columns {list(y.columns)}. "
                "Pass the target as y and the other columns as X.")
        y = y.iloc[:, 0]
    if isinstance(y, pd.Series):
        series = y
    else:
        arr = np.asarray(y, dtype=object)
        if arr.ndim == 2 and arr.shape[1] == 1:
            arr = arr[:, 0]
        if arr.ndim != 1:
            raise RnnkitError(f"`y` must be one-dimensional (one value per time step); "
                              f"got shape {arr.shape}.")
        series = pd.Series(arr, name="y")
    if len(series) == 0:
        raise RnnkitError("`y` is empty; a forecaster needs a series of observations.")
    index = series.index
    describe = describe_row or describe_rows(index)
    target_name = str(series.name) if series.name is not None else "y"
    target = _numeric_column(series.reset_index(drop=True), target_name, fill, describe)

    if X is None:
        frame = pd.DataFrame(index=range(len(series)))
    elif isinstance(X, pd.DataFrame | pd.Series):
        frame = X.to_frame() if isinstance(X, pd.Series) else X
        if isinstance(series.index, pd.DatetimeIndex) and not frame.index.equals(series.index):
            raise RnnkitError("`X` and `y` must share the same index (time stamps); "
                              "align them first, e.g. X = X.loc[y.index].")
        frame = frame.reset_index(drop=True)
    else:
        arr = np.asarray(X, dtype=object)
        arr = arr[:, None] if arr.ndim == 1 else arr
        frame = pd.DataFrame(arr, columns=[f"x{i}" for i in range(arr.shape[1])])
    if len(frame) != len(series):
        raise RnnkitError(f"`X` must have one row per value of `y`; got {len(frame)} rows for "
                          f"{len(series)} values.")
    names = tuple(str(c) for c in frame.columns)
    cols = [_numeric_column(frame[c], str(c), fill, describe) for c in frame.columns]
    features = np.column_stack(cols) if cols else np.zeros((len(series), 0))

    if isinstance(index, pd.DatetimeIndex):
        _check_time_order(index, describe)
    else:
        index = pd.RangeIndex(len(series))
    return SeriesData(target, features, index, target_name, names, row_names=describe_row)


def long_series(frame: pd.DataFrame, fill: str | None = None,
                describe_row: Callable[[int], str] | None = None, *, id_column: str = "unique_id",
                time: str = "ds", target: str = "y") -> list[tuple[Any, SeriesData]]:
    """Split a long DataFrame of many series (columns ``unique_id``, ``ds``, ``y`` unless named
    otherwise) into validated series, one per id in sorted order, each sorted by time.

    The time column holds dates (or date strings), which give dated series, or numbers, which
    only order the values. Errors name the series, the column and the row (``describe_row``
    describes a row of ``frame`` by its position).

    >>> frame = pd.DataFrame({"unique_id": ["b", "a", "a"], "ds": [1, 2, 1], "y": [5., 4., 3.]})
    >>> [(key, data.target.tolist()) for key, data in long_series(frame)]
    [('a', [3.0, 4.0]), ('b', [5.0])]
    """
    missing = [c for c in (id_column, time, target) if c not in frame.columns]
    if missing:
        raise RnnkitError(f"a DataFrame of several series needs the columns {id_column}, {time} "
                          f"and {target}; missing: {', '.join(missing)}.")
    if len(frame) == 0:
        raise RnnkitError("`y` holds no rows.")
    describe = describe_row or (lambda row: f"row {row}")
    empty_id = np.flatnonzero(frame[id_column].isna().to_numpy())
    if len(empty_id):
        raise RnnkitError(f"column {id_column!r} is empty at "
                          f"{_rows_text(empty_id.tolist(), describe)}; every row must name its "
                          "series.")
    stamps = frame[time]
    dated = not pd.api.types.is_numeric_dtype(stamps.dtype)
    order_by = _dates(stamps) if dated else stamps
    bad = np.flatnonzero(order_by.isna().to_numpy())
    if len(bad):
        raise RnnkitError(f"column {time!r} has values that are not "
                          f"{'dates' if dated else 'numbers'} at "
                          f"{_rows_text(bad.tolist(), describe)} (e.g. {stamps.iloc[bad[0]]!r}).")
    order_by = order_by.to_numpy()
    clean = _finite_numbers(frame[target]) if fill is None else None
    values = frame[target].to_numpy() if clean is None else clean
    out = []
    for key, rows in frame.groupby(id_column, sort=True, observed=True).indices.items():
        rows = rows[np.argsort(order_by[rows], kind="stable")]
        key = _plain(key)

        def where(row: int, rows: np.ndarray = rows) -> str:
            return describe(int(rows[row]))

        repeats = [] if dated else np.flatnonzero(np.diff(order_by[rows]) == 0)
        if len(repeats):  # repeated dates are refused by `as_series`, naming the date
            raise RnnkitError(f"series {key!r}: column {time!r} repeats at "
                              f"{where(repeats[0] + 1)}; each series needs one row per step.")
        index = (pd.DatetimeIndex(order_by[rows], name=time) if dated
                 else pd.RangeIndex(len(rows)))
        try:
            out.append((key, _one_of_many(values[rows], index, str(target), clean is not None,
                                          fill, where)))
        except RnnkitError as exc:
            raise RnnkitError(f"series {key!r}: {exc}") from None
    return out


def _one_of_many(values: np.ndarray, index: pd.Index, target: str, checked: bool,
                 fill: str | None, where: Callable[[int], str]) -> SeriesData:
    """One series of a long frame: its values already ``checked`` (the column was finite
    numbers throughout), so only its dates are left to check; else checked (and filled)
    alone, errors naming its rows."""
    if not checked:
        return as_series(pd.Series(values, index=index, name=target), fill=fill,
                         describe_row=where)
    if isinstance(index, pd.DatetimeIndex):
        _check_time_order(index, where)
    return SeriesData(values, np.zeros((len(values), 0)), index, target, (), row_names=where)


def _finite_numbers(column: pd.Series) -> np.ndarray | None:
    """A numeric column with only finite values as float64, checked at once (a long frame of
    many series spends most of its reading time checking each series' values alone); None if
    any value needs the per-series check, which names its row."""
    if not pd.api.types.is_numeric_dtype(column.dtype):
        return None
    values = column.to_numpy(dtype=np.float64, na_value=np.nan)
    return values if np.isfinite(values).all() else None


def _plain(key: Any) -> Any:
    """A NumPy scalar key as the Python value it holds (JSON-friendly)."""
    return key.item() if isinstance(key, np.generic) else key


def holds_many(y: Any) -> bool:
    """Whether ``y`` is several series: a dict, or a long DataFrame with ``unique_id``.

    >>> holds_many({"a": [1.0]}), holds_many([1.0, 2.0]), holds_many("data/*.parquet")
    (True, False, True)
    """
    return (isinstance(y, dict | str | os.PathLike)
            or (isinstance(y, pd.DataFrame) and "unique_id" in y.columns))


def as_collection(y: Any, X: Any = None, fill: str | None = None
                  ) -> tuple[list[tuple[Any, SeriesData]], bool]:
    """``([(key, series)], several)``: one series (key ``None``) or several (a long
    ``unique_id``/``ds``/``y`` DataFrame, a dict of Series, or Parquet/CSV files in that long
    form: a path, a folder or a glob; see :mod:`rnnkit.data.files`), each validated.

    >>> series, several = as_collection({"a": [1.0, 2.0], "b": [3.0]})
    >>> [key for key, _ in series], several
    (['a', 'b'], True)
    """
    if not holds_many(y):
        return [(None, as_series(y, X, fill=fill))], False
    if X is not None:
        raise RnnkitError("feature columns (`X`) are not supported with several series.")
    if isinstance(y, str | os.PathLike):  # files in long form: unique_id, ds, y
        from rnnkit.data.files import read_long_files

        return read_long_files(y, fill=fill), True
    if isinstance(y, pd.DataFrame):
        return long_series(y, fill), True
    if not y:
        raise RnnkitError("`y` is an empty dict; give at least one series.")
    out = []
    for key, values in y.items():
        try:
            out.append((_plain(key), as_series(values, fill=fill)))
        except RnnkitError as exc:
            raise RnnkitError(f"series {key!r}: {exc}") from None
    return out, True


def load_long_csv(path: str | Path, id_column: str, target: str, time: str | None = None,
                  fill: str | None = None) -> list[tuple[Any, SeriesData]]:
    """Read a CSV of many series in long form (one row per series and time step) into
    validated series, one per value of ``id_column``; errors name the CSV line. Without
    ``time``, each series' rows are taken in file order.

    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "sales.csv"
    >>> _ = path.write_text("store,sales\\na,1\\nb,5\\na,2\\n")
    >>> [(key, data.target.tolist()) for key, data in load_long_csv(path, "store", "sales")]
    [('a', [1.0, 2.0]), ('b', [5.0])]
    """
    frame = _read_csv(path, {"--id": [id_column], "--target": [target],
                             "--time": [time] if time else []})
    return long_from_frame(frame, id_column, target, time, fill, line=_csv_line)


def long_from_frame(frame: pd.DataFrame, id_column: str, target: str, time: str | None = None,
                    fill: str | None = None, *,
                    line: Callable[[int], str] = lambda row: f"row {row}"
                    ) -> list[tuple[Any, SeriesData]]:
    """Many series from a long table whose columns are named by the user (see
    :func:`long_series`); without ``time`` each series' rows are taken in table order. Errors
    name the row by ``line`` (and its date).

    >>> frame = pd.DataFrame({"store": ["a", "b", "a"], "sales": [1.0, 5.0, 2.0]})
    >>> [(key, data.target.tolist()) for key, data in long_from_frame(frame, "store", "sales")]
    [('a', [1.0, 2.0]), ('b', [5.0])]
    """
    labels = frame[time] if time else None
    if not time:
        time = "_position"
        frame = frame.assign(_position=np.arange(len(frame)))

    def describe(row: int) -> str:
        return line(row) + (f" ({labels.iloc[row]})" if labels is not None else "")

    return long_series(frame, fill, describe, id_column=id_column, time=time, target=target)


def _dates(values: pd.Series) -> pd.Series:
    """``values`` as dates, NaT where one is not a date (the caller names those rows). Values
    in a format pandas cannot guess from the first are parsed one by one, as it warns; the
    result is the same, so the warning would only be noise in a report. Dates with several
    UTC offsets are read in UTC.

    >>> _dates(pd.Series(["2021-03-28 00:30+00:00", "2021-03-28 02:00+01:00"])).astype(str).tolist()
    ['2021-03-28 00:30:00+00:00', '2021-03-28 01:00:00+00:00']
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Could not infer format")
        warnings.filterwarnings("error", message=".*mixed time zones", category=FutureWarning)
        try:
            return pd.to_datetime(values, errors="coerce")
        except (ValueError, FutureWarning):
            # several UTC offsets (local clock times across a change to or from summer
            # time): each names one instant, and in UTC they are evenly spaced again
            return pd.to_datetime(values, errors="coerce", utc=True)


def _check_time_order(index: pd.DatetimeIndex, describe: Callable[[int], str]) -> None:
    steps = np.asarray(index[1:] - index[:-1])
    if len(steps) and (steps <= np.timedelta64(0)).any():
        row = int(np.flatnonzero(steps <= np.timedelta64(0))[0]) + 1
        what = "repeats" if steps[row - 1] == np.timedelta64(0) else "goes back in time"
        raise RnnkitError(f"the time index {what} at {describe(row)}; rows must be in "
                          "strictly increasing time order. Sort the data and remove duplicates.")


def infer_frequency(index: pd.Index) -> str | None:
    """The pandas frequency string of a regular ``DatetimeIndex`` (``"MS"`` for monthly)."""
    if not isinstance(index, pd.DatetimeIndex) or len(index) < 3:
        return None
    return index.freqstr if index.freq is not None else pd.infer_freq(index)


def fixed_step(freq: str | None) -> pd.Timedelta | None:
    """The length of one step at ``freq`` when it is fixed (hours, days), None for months,
    years or no frequency.

    >>> fixed_step("30min"), fixed_step("MS")
    (Timedelta('0 days 00:30:00'), None)
    """
    if not freq:
        return None
    try:
        return pd.Timedelta(pd.tseries.frequencies.to_offset(freq))
    except (ValueError, TypeError):
        return None


def grid_break(index: pd.Index) -> tuple[str, int] | None:
    """Where unevenly spaced dates leave the frequency that most short stretches of them
    follow: that frequency and the first row off it (a missing hour, a clock change, a skipped
    month); None when ``index`` is not dated or no stretch has a frequency.

    >>> dates = pd.DatetimeIndex(pd.date_range("2021-03-27", periods=30, freq="h").delete(26))
    >>> grid_break(dates)
    ('h', 26)
    """
    n = len(index)
    if not isinstance(index, pd.DatetimeIndex) or n < 6:
        return None
    # a bounded sample of stretches short enough to fall between gaps: this runs only on
    # data that has already failed to give one frequency, and a few dozen find the common one
    stretch = min(8, n // 2)
    starts = np.unique(np.linspace(0, n - stretch, num=32).astype(int))
    found = Counter(f for s in starts if (f := pd.infer_freq(index[s:s + stretch])))
    if not found:
        return None
    freq = found.most_common(1)[0][0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", pd.errors.PerformanceWarning)
        following = index[:-1] + pd.tseries.frequencies.to_offset(freq)
    off = np.flatnonzero(following != index[1:])
    return (freq, int(off[0]) + 1) if len(off) else None


def uneven_dates(data: SeriesData, season_given: bool) -> str | None:
    """What to tell a user whose dated ``data`` has no frequency: where the dates break
    (summer time named for clock times), what rnnkit does instead, and how to mend it; None
    for undated data. ``season_given``: the user set the seasonal periods.

    >>> dates = pd.date_range("2020-01-01", periods=12, freq="MS").delete(5)
    >>> print(uneven_dates(as_series(pd.Series(range(11), index=dates)), False))
    ... # doctest: +NORMALIZE_WHITESPACE
    the dates are not evenly spaced: row 5 (2020-07-01) comes after 2020-05-01, where most
    dates step by 'MS', so rows are read as consecutive steps and the seasonal period is 1
    (pass season_length, CLI --season, to set one). Missing dates? Add their rows with empty
    values and fill='ffill' or 'interpolate' (CLI --fill).
    """
    if not isinstance(data.index, pd.DatetimeIndex) or len(data) < 3:
        return None
    where = " (no frequency can be inferred from them)"
    if found := grid_break(data.index):
        freq, row = found
        step = fixed_step(freq)
        clock = step is not None and step < pd.Timedelta(days=1)
        before = data.index[row - 1]
        # rows named by position and date, not by the source's naming (a CSV line): series
        # prepared in other processes get no naming function, and must say the same
        where = (f": {describe_rows(data.index)(row)} comes after "
                 f"{str(before) if clock else describe_date(before)}, where most dates step "
                 f"by {freq!r}")
        if clock:  # below a day, summer time is the usual cause
            where += (" (local clock times skip an hour when the clocks go forward: give "
                      "the times in UTC or with their UTC offset)")
    return ("the dates are not evenly spaced" + where + ", so rows are read as consecutive "
            "steps" + ("" if season_given else " and the seasonal period is 1 (pass "
                       "season_length, CLI --season, to set one)")
            + ". Missing dates? Add their rows with empty values and fill='ffill' or "
            "'interpolate' (CLI --fill).")


_SEASONS = {"Y": 1, "A": 1, "Q": 4, "M": 12, "W": 52, "D": 7, "B": 5, "H": 24, "h": 24,
            "T": 60, "min": 60}


def check_consecutive(index: pd.Index, freq: str | None,
                      describe: Callable[[int], str] | None = None) -> None:
    """Refuse dates that do not follow each other at ``freq`` (a missing month, weekly data
    for a monthly model): a network reads rows as consecutive steps, so a gap would silently
    shift everything after it. Undated data, or no ``freq``, passes.

    >>> dates = pd.to_datetime(["2020-01-01", "2020-02-01", "2020-04-01"])
    >>> check_consecutive(dates, "MS")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    rnnkit.errors.RnnkitError: ... row 2 (2020-04-01) comes after 2020-02-01, whose next date \
is 2020-03-01. ...
    """
    if not freq or not isinstance(index, pd.DatetimeIndex) or len(index) < 2:
        return
    expected = pd.date_range(index[0], periods=len(index), freq=freq)
    if expected[0] != index[0]:  # a date off the frequency's grid (mid-month for "MS")
        row = 0
    else:
        off = np.flatnonzero(expected.to_numpy() != index.to_numpy())
        if not len(off):
            return
        row = int(off[0])
    describe = describe or describe_rows(index)
    day = "%Y-%m-%d %H:%M:%S"
    if row == 0:
        raise RnnkitError(f"the dates must fall on the model's frequency {freq!r}, as in "
                          f"training; {describe(0)} does not (the next date on it is "
                          f"{expected[0].strftime(day).removesuffix(' 00:00:00')}).")
    raise RnnkitError(
        f"the dates must follow each other at the model's frequency {freq!r}, as in training: "
        f"{describe(row)} comes after "
        f"{index[row - 1].strftime(day).removesuffix(' 00:00:00')}, whose next date is "
        f"{expected[row].strftime(day).removesuffix(' 00:00:00')}. Add the missing rows (empty "
        "values are filled with fill='ffill' or 'interpolate', CLI --fill) or resample the "
        "data to this frequency.")


def season_length_for(freq: str | None) -> int:
    """Length of the main (shortest) seasonal cycle for a pandas frequency; 1 when there is
    none.

    >>> season_length_for("MS"), season_length_for("QS-OCT"), season_length_for(None)
    (12, 4, 1)
    """
    return seasons_for(freq)[0]


# steps per day of a sub-daily unit, and the cycles of coarser data (a year of months, ...)
_PER_DAY = {"h": 24, "H": 24, "min": 24 * 60, "T": 24 * 60}


def seasons_for(freq: str | None) -> tuple[int, ...]:
    """The seasonal cycles of data at a pandas frequency, shortest first: a day and a week
    for data below a day (hourly 24 and 168, half-hourly 48 and 336), a week and a year for
    daily data (7 and 365), a year for weekly (52), monthly (12) and quarterly (4) data;
    ``(1,)`` when there is none.

    >>> seasons_for("h"), seasons_for("30min"), seasons_for("D"), seasons_for("MS")
    ((24, 168), (48, 336), (7, 365), (12,))
    """
    if not freq:
        return (1,)
    head = freq.split("-")[0]
    digits = head[:len(head) - len(head.lstrip("0123456789"))]
    base = head[len(digits):]
    step = int(digits) if digits else 1
    for unit, per_day in _PER_DAY.items():
        if base.startswith(unit):
            day = per_day // step if per_day % step == 0 else 0
            if day <= 1:
                return (1,)
            if unit in ("min", "T") and step == 1:  # minutes: an hour and a day
                return (60, day)
            return (day, 7 * day)
    for prefix in ("Y", "A", "Q", "M", "W", "D", "B"):
        if base.startswith(prefix):
            season = _SEASONS[prefix]
            if prefix == "D":
                return (7, 365) if step == 1 else (1,)
            return (season,) if step == 1 or season % step else (season // step,)
    return (1,)


def require_columns(frame: pd.DataFrame, wanted: dict[str, list[str]], where: str) -> None:
    """Refuse ``frame`` unless it has every column ``wanted`` by each option (named in the error).

    >>> require_columns(pd.DataFrame({"y": [1]}), {"--target": ["sales"]}, "'a.csv'")
    Traceback (most recent call last):
    rnnkit.errors.RnnkitError: --target: no column 'sales' in 'a.csv'; available columns: y.
    """
    columns = [str(c) for c in frame.columns]
    for option, names in wanted.items():
        unknown = [n for n in names if n not in columns]
        if unknown:
            raise RnnkitError(f"{option}: no column {unknown[0]!r} in {where}; available "
                              f"columns: {', '.join(columns)}.")
    if len(frame) == 0:
        raise RnnkitError(f"{where} has a header but no rows.")


def _read_csv(path: str | Path, wanted: dict[str, list[str]]) -> pd.DataFrame:
    """The CSV at ``path``, with the columns ``wanted`` by each option, and at least one row."""
    path = Path(path)
    if path.is_dir():
        raise RnnkitError(f"{str(path)!r} is a folder; give a CSV file.")
    if not path.is_file():
        raise RnnkitError(f"CSV file {str(path)!r} does not exist.")
    try:
        frame = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise RnnkitError(f"could not parse {str(path)!r} as CSV: {first}") from None
    require_columns(frame, wanted, repr(str(path)))
    return frame


def _csv_line(row: int) -> str:
    return f"CSV line {row + 2}"  # data row 0 is line 2 of the file, after the header


def load_csv(path: str | Path, target: str, time: str | None = None,
             features: Sequence[str] = (), fill: str | None = None
             ) -> tuple[SeriesData, pd.DataFrame | None]:
    """Read a CSV into a validated series, naming CSV lines in every error (see
    :func:`series_from_frame`, which this is for a file).
    """
    frame = _read_csv(path, {"--target": [target], "--time": [time] if time else [],
                             "--features": list(features)})
    return series_from_frame(frame, target, time, features, fill, line=_csv_line,
                             where=repr(str(path)))


def series_from_frame(frame: pd.DataFrame, target: str, time: str | None = None,
                      features: Sequence[str] = (), fill: str | None = None, *,
                      line: Callable[[int], str] = lambda row: f"row {row}",
                      where: str = "the data") -> tuple[SeriesData, pd.DataFrame | None]:
    """One series from the columns of a table (``time`` holds dates, or rows are in order),
    validated; errors name the row by ``line`` (and its date).

    Trailing rows whose target is empty but whose features are present are the *known future*
    of the features: they are returned separately (as a DataFrame) for forecasting.

    >>> frame = pd.DataFrame({"month": ["2020-01", "2020-02"], "sales": [3.0, 4.0]})
    >>> data, future = series_from_frame(frame, "sales", "month")
    >>> data.target.tolist(), str(data.index[-1].date()), future
    ([3.0, 4.0], '2020-02-01', None)
    """
    def describe(row: int) -> str:
        return line(row) + (f" ({frame[time].iloc[row]})" if time else "")

    future = None
    if features:
        empty_target = frame[target].isna().to_numpy()
        if empty_target.all():
            raise RnnkitError(f"column {target!r} in {where} has no values.")
        # argmin on the reversed mask finds the last present target: what follows is the future
        n_future = int(np.argmin(empty_target[::-1])) if empty_target[-1] else 0
        if n_future:
            future = frame.iloc[len(frame) - n_future:]
            frame = frame.iloc[:len(frame) - n_future]
    if time:
        stamps = _dates(frame[time])
        bad = np.flatnonzero(stamps.isna().to_numpy())
        if len(bad):
            raise RnnkitError(
                f"column {time!r} has values that are not dates at "
                f"{_rows_text(bad.tolist(), describe)} (e.g. {frame[time].iloc[bad[0]]!r}).")
        index = pd.DatetimeIndex(stamps, name=time)
    else:
        index = pd.RangeIndex(len(frame))
    y = pd.Series(frame[target].to_numpy(), index=index, name=target)
    X = pd.DataFrame(frame[list(features)].to_numpy(), index=index,
                     columns=list(features)) if features else None
    data = as_series(y, X, fill=fill, describe_row=describe)
    if future is not None:
        n_past = len(frame)
        future = future[list(features)].reset_index(drop=True)
        future_data = as_series(np.zeros(len(future)), future, fill=None,
                                describe_row=lambda r: line(n_past + r))
        future = pd.DataFrame(future_data.features, columns=list(features))
    return data, future
