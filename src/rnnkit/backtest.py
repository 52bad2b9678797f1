"""Rolling-origin backtesting: choose settings on validation windows, never on the test period.

Every window scores the network next to the naive and seasonal-naive forecasts from the same
origin, so a setting is only worth choosing when it beats them.

>>> import numpy as np
>>> from rnnkit import Forecaster
>>> y = np.sin(np.arange(80) / 2) + 5
>>> result = backtest(Forecaster(cell="gru", units=4, dense=(), window=6, epochs=2,
...                              verbose=False), y, horizon=4, n_windows=2, test=10)
>>> result[result["model"] == "GRU"]["last"].tolist()  # windows end before the 10 test points
[65, 69]
>>> result.groupby("model", sort=False)["MASE"].mean().index.tolist()
['GRU', 'naive']
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from rnnkit.data.series import SeriesData, as_collection
from rnnkit.errors import RnnkitError
from rnnkit.evaluation import metrics_table, naive_paths
from rnnkit.validation import PositiveInt

__all__ = ["backtest"]


def backtest(estimator: Any, y: Any, X: Any = None, *, horizon: int, n_windows: int = 3,
             step: int | None = None, test: int = 0) -> pd.DataFrame:
    """Refit a copy of ``estimator`` at ``n_windows`` origins ``step`` apart and score its
    ``horizon``-step forecasts (RMSE, MAE, MAPE, sMAPE, MASE in the data's units) next to the
    naive and seasonal-naive forecasts from the same origins.

    The last ``test`` points are never used: the last window ends right before them. ``y`` may
    be several series (a long ``unique_id``/``ds``/``y`` DataFrame or a dict): each window then
    cuts every series the same number of points before its end, fits one global model, and
    averages each metric over the series.

    Returns one row per window and model (the network first, then the baselines): ``window``,
    ``model``, the metrics, and where the window lies: ``origin`` (the last fitted point),
    ``first``/``last`` (positions forecast) for one series; ``series`` (how many) and
    ``from_end`` (the first forecast point is this many points before each series' end) for
    several. ``result.groupby("model", sort=False).mean(numeric_only=True)`` averages the
    windows.
    """
    horizon = PositiveInt().check("horizon", horizon)
    n_windows = PositiveInt().check("n_windows", n_windows)
    step = PositiveInt().check("step", step if step is not None else horizon)
    test = PositiveInt(minimum=0).check("test", test)
    collection, several = as_collection(y, X, fill=getattr(estimator, "fill", None))
    # the test period (the last `test` points of every series) starts here, never touched
    offsets = [test + horizon + i * step for i in reversed(range(n_windows))]
    for key, data in collection:
        if len(data) - offsets[0] < 2:
            raise RnnkitError(("" if key is None else f"series {key!r}: ")
                              + f"the series ({len(data)} values) is too short for {n_windows} "
                              f"windows of {horizon} steps {step} apart"
                              + (f" before the last {test} points" if test else "")
                              + "; use fewer windows.")
    rows = []
    for k, offset in enumerate(offsets):
        # a fit of its own: it must neither write nor resume the estimator's training state
        model = type(estimator)(**estimator.get_params() | (
            {"state_dir": None} if "state_dir" in estimator.get_params() else {}))
        if several:
            model.fit({key: _pandas(data.slice(0, len(data) - offset))[0]
                       for key, data in collection})
            paths = {key: part["forecast"].to_numpy()
                     for key, part in model.forecast(horizon).groupby("unique_id", sort=False)}
            tables = [_scores(model, key, data, len(data) - offset, horizon, paths[key])
                      for key, data in collection]
            table = pd.concat(tables).groupby(level=0, sort=False).mean()
            where = {"series": len(collection), "from_end": offset}
        else:
            data = collection[0][1]
            origin = len(data) - offset
            past_y, past_x = _pandas(data.slice(0, origin))
            model.fit(past_y, past_x)
            future_x = _pandas(data.slice(origin, origin + horizon))[1]
            forecast = np.asarray(model.forecast(horizon, X_future=future_x))
            table = _scores(model, None, data, origin, horizon, forecast)
            where = {"origin": data.index[origin - 1], "first": origin,
                     "last": origin + horizon - 1}
        rows.extend({"window": k, "model": name} | where | metrics.to_dict()
                    for name, metrics in table.iterrows())
    return pd.DataFrame(rows)


def _pandas(data: SeriesData) -> tuple[pd.Series, pd.DataFrame | None]:
    """``data`` as the ``y`` (and ``X``) a Forecaster takes."""
    y = pd.Series(data.target, index=data.index, name=data.target_name)
    X = (pd.DataFrame(data.features, index=data.index, columns=list(data.feature_names))
         if data.feature_names else None)
    return y, X


def _scores(model: Any, key: Any, data: SeriesData, origin: int, horizon: int,
            forecast: np.ndarray) -> pd.DataFrame:
    """The network's and the baselines' metrics on ``horizon`` points from ``origin``."""
    state = model._state(key)
    predictions = {model.model_name: forecast} | naive_paths(data.target[:origin], horizon,
                                                              state.season_length)
    return metrics_table(data.target[origin:origin + horizon], predictions, state.mase_scale)
