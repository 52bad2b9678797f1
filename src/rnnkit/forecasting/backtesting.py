"""Rolling-origin backtesting: choose settings on validation windows, never on the test period.

Every window scores the network next to the naive and seasonal-naive forecasts from the same
origin, so a setting is only worth choosing when it beats them. :func:`backtest` gives the
metrics per window; :func:`cross_validation` the forecasts themselves, with their cutoffs, as
statsforecast lays them out.

>>> import numpy as np
>>> from rnnkit import Forecaster
>>> y = np.sin(np.arange(80) / 2) + 5
>>> result = backtest(Forecaster(cell="gru", units=4, dense=(), window=6, epochs=2,
...                              verbose=False), y, horizon=4, n_windows=2, test=10)
>>> result[result["model"] == "GRU"]["last"].tolist()  # windows end before the 10 test points
[65, 69]
>>> result.groupby("model", sort=False)["MASE"].mean().index.tolist()
['GRU', 'naive']
>>> cv = cross_validation(Forecaster(cell="gru", units=4, dense=(), window=6, epochs=2,
...                                  verbose=False), y, h=4, n_windows=2)
>>> cv.columns.tolist(), cv["cutoff"].unique().tolist()
(['unique_id', 'ds', 'cutoff', 'y', 'GRU', 'Naive', 'SeasonalNaive'], [71, 75])
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from rnnkit.data.series import SeriesData, as_collection
from rnnkit.errors import RnnkitError
from rnnkit.evaluation import metrics_table, naive_paths
from rnnkit.validation import Number, PositiveInt

__all__ = ["backtest", "cross_validation"]


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
    collection, several = as_collection(y, X, fill=getattr(estimator, "fill", None))
    offsets = _offsets(collection, horizon, n_windows, step, test)
    rows = []
    for k, offset in enumerate(offsets):
        model = _fresh(estimator)
        if several:
            model.fit({key: data.slice(0, len(data) - offset).to_pandas()[0]
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
            past_y, past_x = data.slice(0, origin).to_pandas()
            model.fit(past_y, past_x)
            future_x = data.slice(origin, origin + horizon).to_pandas()[1]
            forecast = np.asarray(model.forecast(horizon, X_future=future_x))
            table = _scores(model, None, data, origin, horizon, forecast)
            where = {"origin": data.index[origin - 1], "first": origin,
                     "last": origin + horizon - 1}
        rows.extend({"window": k, "model": name} | where | metrics.to_dict()
                    for name, metrics in table.iterrows())
    return pd.DataFrame(rows)


def cross_validation(estimator: Any, y: Any, X: Any = None, *, h: int, n_windows: int = 1,
                     step_size: int | None = None, level: Any = None,
                     test: int = 0) -> pd.DataFrame:
    """Refit a copy of ``estimator`` at ``n_windows`` cutoffs ``step_size`` apart (default
    ``h``) before the last ``test`` points, and return every ``h``-step forecast as
    statsforecast's ``cross_validation`` does: ``unique_id``, ``ds``, ``cutoff`` (the last
    fitted point), ``y`` (the actual value), the network's column (named after it, with
    ``-lo-80``/``-hi-80`` columns for each ``level`` in percent), and the ``Naive`` and
    ``SeasonalNaive`` forecasts from the same cutoffs (NaN without a whole season before).
    One series gets its target's name as ``unique_id``.
    """
    h = PositiveInt().check("h", h)
    levels = [] if level is None else [level] if np.isscalar(level) else list(level)
    levels = [Number(0.0, 100.0, low_open=True, high_open=True).check("level", v)
              for v in levels]
    collection, several = as_collection(y, X, fill=getattr(estimator, "fill", None))
    frames = []
    for offset in _offsets(collection, h, n_windows, step_size, test):
        model = _fresh(estimator)
        if several:
            model.fit({key: data.slice(0, len(data) - offset).to_pandas()[0]
                       for key, data in collection})
        else:
            model.fit(*collection[0][1].slice(0, len(collection[0][1]) - offset).to_pandas())
        paths = _paths(model, collection, offset, h, levels, several)
        for key, data in collection:
            origin = len(data) - offset
            name = key if several else (data.target_name or "y")
            baselines = naive_paths(data.target[:origin], h, model.series_state(key)
                                    .season_length)
            frames.append(pd.DataFrame(
                {"unique_id": name, "ds": data.index[origin:origin + h],
                 "cutoff": data.index[origin - 1], "y": data.target[origin:origin + h]}
                | paths[key]
                | {"Naive": baselines["naive"],
                   "SeasonalNaive": baselines.get("seasonal naive", np.full(h, np.nan))}))
    return pd.concat(frames, ignore_index=True)


def _paths(model: Any, collection: list[tuple[Any, SeriesData]], offset: int, h: int,
           levels: list[float], several: bool) -> dict[Any, dict[str, np.ndarray]]:
    """Each series' forecast columns (the model's, then its interval bounds per level)."""
    name = model.model_name
    out: dict[Any, dict[str, np.ndarray]] = {key: {} for key, _ in collection}
    for level in levels or [None]:
        fraction = None if level is None else level / 100
        if several:
            found = model.forecast(h, level=fraction)
            parts = dict(tuple(found.groupby("unique_id", sort=False)))
        else:
            data = collection[0][1]
            origin = len(data) - offset
            future_x = data.slice(origin, origin + h).to_pandas()[1]
            found = model.forecast(h, X_future=future_x, level=fraction)
            parts = {None: found.to_frame("forecast") if level is None else found}
        for key, part in parts.items():
            out[key][name] = part["forecast"].to_numpy()
            if level is not None:
                out[key][f"{name}-lo-{level:g}"] = part["lower"].to_numpy()
                out[key][f"{name}-hi-{level:g}"] = part["upper"].to_numpy()
    return out


def _offsets(collection: list[tuple[Any, SeriesData]], horizon: int, n_windows: int,
             step: int | None, test: int) -> list[int]:
    """How many points before each series' end every window starts, first window first;
    an error naming a series too short for them."""
    n_windows = PositiveInt().check("n_windows", n_windows)
    step = PositiveInt().check("step", step if step is not None else horizon)
    test = PositiveInt(minimum=0).check("test", test)
    # the test period (the last `test` points of every series) starts here, never touched
    offsets = [test + horizon + i * step for i in reversed(range(n_windows))]
    for key, data in collection:
        if len(data) - offsets[0] < 2:
            raise RnnkitError(("" if key is None else f"series {key!r}: ")
                              + f"the series ({len(data)} values) is too short for {n_windows} "
                              f"windows of {horizon} steps {step} apart"
                              + (f" before the last {test} points" if test else "")
                              + "; use fewer windows.")
    return offsets


def _fresh(estimator: Any) -> Any:
    """An unfitted copy of ``estimator``: a fit of its own, which must neither write nor
    resume the estimator's training state."""
    params = estimator.get_params()
    return type(estimator)(**params | ({"state_dir": None} if "state_dir" in params else {}))


def _scores(model: Any, key: Any, data: SeriesData, origin: int, horizon: int,
            forecast: np.ndarray) -> pd.DataFrame:
    """The network's and the baselines' metrics on ``horizon`` points from ``origin``."""
    state = model.series_state(key)
    predictions = {model.model_name: forecast} | naive_paths(data.target[:origin], horizon,
                                                              state.season_length)
    return metrics_table(data.target[origin:origin + horizon], predictions, state.mase_scale)
