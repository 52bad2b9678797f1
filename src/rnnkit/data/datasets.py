"""Bundled and downloadable datasets.

>>> y = airline()
>>> len(y), y.index[0].strftime("%Y-%m"), y.index[-1].strftime("%Y-%m"), int(y.sum())
(144, '1949-01', '1960-12', 40363)
"""

from __future__ import annotations

from importlib import resources

import pandas as pd

__all__ = ["airline", "taylor"]


def airline() -> pd.Series:
    """Monthly international airline passengers (thousands), 1949-01 to 1960-12 (Box & Jenkins).

    The classic series with trend and multiplicative yearly seasonality; 144 values with a monthly
    ``DatetimeIndex`` (month starts, ``freq="MS"``) and name ``"passengers"``.
    """
    with resources.files("rnnkit.data").joinpath("airline.csv").open("r") as f:
        frame = pd.read_csv(f)
    index = pd.DatetimeIndex(pd.to_datetime(frame["month"], format="%Y-%m"), freq="MS",
                             name="month")
    return pd.Series(frame["passengers"].to_numpy(dtype="float64"), index=index,
                     name="passengers")


def taylor() -> pd.Series:
    """Half-hourly electricity demand of England and Wales (megawatts), Monday 5 June to
    Sunday 27 August 2000: 4,032 values with seasons of a day (48) and a week (336), as
    pmdarima ships it (Taylor 2003, "Short-term electricity demand forecasting using double
    seasonal exponential smoothing"). Needs pmdarima (``pip install 'rnnkit[bench]'``).

    >>> y = taylor()  # doctest: +SKIP
    >>> len(y), y.index.freqstr  # doctest: +SKIP
    (4032, '30min')
    """
    from rnnkit.errors import RnnkitError

    try:
        from pmdarima.datasets import load_taylor
    except ImportError:
        raise RnnkitError("the Taylor demand data comes with pmdarima: pip install pmdarima "
                          "(or pip install 'rnnkit[bench]').") from None
    index = pd.date_range("2000-06-05", periods=4032, freq="30min", name="time")
    return pd.Series(load_taylor().astype("float64"), index=index, name="demand")
