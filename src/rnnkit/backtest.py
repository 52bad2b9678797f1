"""Rolling-origin backtesting: choose settings on validation windows, never on the test period.

>>> import numpy as np
>>> from rnnkit import Forecaster
>>> y = np.sin(np.arange(80) / 2) + 5
>>> result = backtest(Forecaster(cell="gru", units=4, dense=(), window=6, epochs=2,
...                              verbose=False), y, horizon=4, n_windows=2, test=10)
>>> result["last"].tolist()  # windows end before the 10 test points (positions 70..79)
[65, 69]
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from rnnkit.errors import RnnkitError
from rnnkit.evaluation import forecast_metrics
from rnnkit.validation import PositiveInt

__all__ = ["backtest"]


def backtest(estimator: Any, y: Any, X: Any = None, *, horizon: int, n_windows: int = 3,
             step: int | None = None, test: int = 0) -> pd.DataFrame:
    """Refit a copy of ``estimator`` at ``n_windows`` origins ``step`` apart and score its
    ``horizon``-step forecasts (RMSE, MAE, MAPE, sMAPE, MASE in the data's units).

    The last ``test`` points are never used: the last window ends right before them. Returns
    one row per window (``origin``, ``first``/``last`` positions forecast, the metrics);
    ``result.mean(numeric_only=True)`` averages them.
    """
    from rnnkit.data.series import as_series

    horizon = PositiveInt().check("horizon", horizon)
    n_windows = PositiveInt().check("n_windows", n_windows)
    step = PositiveInt().check("step", step if step is not None else horizon)
    test = PositiveInt(minimum=0).check("test", test)
    data = as_series(y, X, fill=getattr(estimator, "fill", None))
    series = pd.Series(data.target, index=data.index, name=data.target_name)
    features = (pd.DataFrame(data.features, index=data.index, columns=list(data.feature_names))
                if data.feature_names else None)
    end = len(series) - test  # the test period starts here and is never touched
    origins = [end - horizon - i * step for i in reversed(range(n_windows))]
    if origins[0] < 2:
        raise RnnkitError(f"the series is too short for {n_windows} windows of {horizon} steps "
                          f"{step} apart before the last {test} points; use fewer windows.")
    rows = []
    for k, origin in enumerate(origins):
        model = type(estimator)(**estimator.get_params())
        past_x = None if features is None else features.iloc[:origin]
        model.fit(series.iloc[:origin], past_x)
        future_x = None if features is None else features.iloc[origin:origin + horizon]
        forecast = model.forecast(horizon, X_future=future_x)
        actual = series.to_numpy()[origin:origin + horizon]
        rows.append({"window": k, "origin": series.index[origin - 1], "first": origin,
                     "last": origin + horizon - 1}
                    | forecast_metrics(actual, np.asarray(forecast), model.mase_scale_))
    return pd.DataFrame(rows)
