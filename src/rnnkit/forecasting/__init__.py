"""Forecasting: the :class:`Forecaster` and the steps it is made of, one module each.

``split`` (how a series is divided), ``state`` (what is kept per series), ``pipeline``
(transforms, scalers, window normalisation), ``fitting`` (fit's steps), ``ensemble`` (the
networks as one predictor), ``recursive`` (multi-step forecasts), ``intervals`` (conformal
intervals), ``forecasts`` (the frames forecasts are returned in), ``evaluation`` (scores next
to baselines), ``backtesting`` (rolling origins), ``schema`` (the data a model expects),
``parameters`` (the constructor's parameters as data, for the command line) and
``forecaster`` (the estimator that orchestrates them). ``hybrid`` is another estimator: a
statistical forecast (``base_forecasts``) corrected by a network. Names load on first use, so the
parameter table imports without pandas or torch.

>>> from rnnkit.forecasting import Forecaster, holdout_size
>>> holdout_size(144, 0.2)
29
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["DataSchema", "ForecastEvaluation", "Forecaster", "HybridForecaster",
           "SeriesState", "SplitPlan", "backtest", "cross_validation", "holdout_size"]

if TYPE_CHECKING:  # pragma: no cover
    from rnnkit.forecasting.backtesting import backtest, cross_validation
    from rnnkit.forecasting.evaluation import ForecastEvaluation
    from rnnkit.forecasting.forecaster import Forecaster
    from rnnkit.forecasting.hybrid import HybridForecaster
    from rnnkit.forecasting.schema import DataSchema
    from rnnkit.forecasting.split import SplitPlan, holdout_size
    from rnnkit.forecasting.state import SeriesState

_LAZY = {"backtest": "backtesting", "cross_validation": "backtesting",
         "ForecastEvaluation": "evaluation", "Forecaster": "forecaster",
         "HybridForecaster": "hybrid",
         "DataSchema": "schema", "SplitPlan": "split", "holdout_size": "split",
         "SeriesState": "state"}


def __getattr__(name: str) -> Any:
    import importlib

    if name in _LAZY:
        return getattr(importlib.import_module(f"rnnkit.forecasting.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'rnnkit.forecasting' has no attribute {name!r}")
