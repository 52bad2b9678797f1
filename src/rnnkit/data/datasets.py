"""Bundled and downloadable datasets.

>>> y = airline()
>>> len(y), y.index[0].strftime("%Y-%m"), y.index[-1].strftime("%Y-%m"), int(y.sum())
(144, '1949-01', '1960-12', 40363)
"""

from __future__ import annotations

from importlib import resources

import pandas as pd

__all__ = ["airline"]


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
