"""Scoring a fitted forecaster on the points after its training data: one-step-ahead
forecasts next to the naive and seasonal-naive forecasts of the same points, in the data's
units, with the coverage of the prediction intervals."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from rnnkit.data.series import SeriesData
from rnnkit.evaluation import metrics_table, naive_forecasts, verdict
from rnnkit.forecasting.intervals import interval_widths
from rnnkit.forecasting.recursive import Predictor
from rnnkit.forecasting.state import SeriesState

__all__ = ["ForecastEvaluation", "evaluate_series", "summarize"]


@dataclass
class ForecastEvaluation:
    """What :meth:`Forecaster.evaluate` found on the points after the training data.

    ``metrics``: one row per model (the network first, then the baselines), columns RMSE, MAE,
    MAPE, sMAPE, MASE, in the data's units (averaged over series for several series).
    ``predictions``: ``actual`` and each model's one-step-ahead forecast per point (with
    ``unique_id`` for several series). ``coverage``: the share of test points inside the
    network's ``level`` prediction interval. ``verdict``: the network vs the best baseline, on
    RMSE for one series, on MASE (scale-free) for several.
    """

    metrics: pd.DataFrame
    predictions: pd.DataFrame
    verdict: str
    coverage: float = float("nan")
    level: float = 0.9

    def __str__(self) -> str:
        table = self.metrics.to_string(float_format=lambda v: f"{v:,.3f}")
        cover = ("" if np.isnan(self.coverage) else
                 f"\n{self.level:.0%} prediction intervals covered {self.coverage:.0%} of the "
                 "test points.")
        return f"{table}\n\n{self.verdict}{cover}"

    def __repr__(self) -> str:
        return str(self)


@dataclass
class SeriesScores:
    """One series' part of an evaluation: its metrics table, its per-point frame and which
    of its points fell inside the interval."""

    table: pd.DataFrame
    frame: pd.DataFrame
    covered: list[bool]


def evaluate_series(predictor: Predictor, model_name: str, state: SeriesState,
                    data: SeriesData, start: int, level: float,
                    statistical: bool = False) -> SeriesScores:
    """Scores of the one-step forecasts of located ``data`` from position ``start`` on; with
    ``statistical``, also those of :func:`rnnkit.baselines.statistical_models`."""
    positions = np.arange(start, len(data))
    actual = data.target[start:]
    model = predictor.one_step(state, data, start)
    predictions = {model_name: model}
    predictions |= naive_forecasts(data.target, positions, state.season_length)
    longest = max(state.seasons or (state.season_length,))
    if longest > state.season_length:  # high-frequency data: a week of hours, too
        found = naive_forecasts(data.target, positions, longest)
        if "seasonal naive" in found:
            predictions[f"seasonal naive {longest}"] = found["seasonal naive"]
    if statistical:
        from rnnkit.baselines import statistical_models, statistical_one_step

        series = pd.Series(data.target, index=data.index)
        seasons = tuple(state.seasons or (state.season_length,))
        found = statistical_one_step(series, len(positions), state.season_length, state.freq,
                                     statistical_models(seasons), seasons)
        predictions |= {name: pred for name, (pred, _) in found.items()}
    table = metrics_table(actual, predictions, state.mase_scale)
    frame = pd.DataFrame({"actual": actual} | predictions, index=data.index[start:])
    width = float(interval_widths([state], predictor.pooled, 1, level)[0, 0])
    frame["lower"], frame["upper"] = model - width, model + width
    covered = (((actual >= model - width) & (actual <= model + width)).tolist()
               if np.isfinite(width) else [])
    return SeriesScores(table, frame, covered)


def summarize(scores: list[SeriesScores], keys: list[Any] | None, level: float
              ) -> ForecastEvaluation:
    """The evaluation of one series, or of several named by ``keys`` (metrics averaged over
    series, the verdict on scale-free MASE: a mean RMSE over series of different sizes is
    mostly the largest series' RMSE)."""
    frames = [s.frame for s in scores]
    if keys is not None:
        for frame, key in zip(frames, keys, strict=True):
            frame.insert(0, "unique_id", key)
    table = pd.concat([s.table for s in scores]).groupby(level=0, sort=False).mean()
    table.index.name = "model"
    covered = [c for s in scores for c in s.covered]
    coverage = float(np.mean(covered)) if covered else float("nan")
    return ForecastEvaluation(table, pd.concat(frames),
                              verdict(table, "RMSE" if keys is None else "MASE"), coverage,
                              level)
