"""Forecasting: the :class:`Forecaster` and the steps it is made of, one module each.

``split`` (how a series is divided), ``state`` (what is kept per series), ``pipeline``
(transforms, scalers, window normalisation), ``fitting`` (fit's steps), ``ensemble`` (the
networks as one predictor), ``recursive`` (multi-step forecasts), ``intervals`` (conformal
intervals), ``forecasts`` (the frames forecasts are returned in), ``evaluation`` (scores next
to baselines), ``backtest`` (rolling origins), ``schema`` (the data a model expects) and
``forecaster`` (the estimator that orchestrates them).

>>> from rnnkit.forecasting import Forecaster, holdout_size
>>> holdout_size(144, 0.2)
29
"""

from rnnkit.forecasting.backtest import backtest, cross_validation
from rnnkit.forecasting.evaluation import ForecastEvaluation
from rnnkit.forecasting.forecaster import Forecaster
from rnnkit.forecasting.schema import DataSchema
from rnnkit.forecasting.split import SplitPlan, holdout_size
from rnnkit.forecasting.state import SeriesState

__all__ = ["DataSchema", "ForecastEvaluation", "Forecaster", "SeriesState", "SplitPlan",
           "backtest", "cross_validation", "holdout_size"]
