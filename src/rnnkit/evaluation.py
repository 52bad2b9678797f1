"""Forecast metrics in the data's own units, and the baselines every score is shown beside.

>>> import numpy as np
>>> actual, predicted = np.array([100.0, 200.0]), np.array([110.0, 190.0])
>>> m = forecast_metrics(actual, predicted, scale=20.0)
>>> m["RMSE"], m["MAE"], round(m["MAPE"], 2), m["MASE"]
(10.0, 10.0, 7.5, 0.5)
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

__all__ = ["FORECAST_METRICS", "forecast_metrics", "mase_scale", "metrics_table",
           "naive_forecasts", "verdict"]

FORECAST_METRICS = ("RMSE", "MAE", "MAPE", "sMAPE", "MASE")


def mase_scale(train: np.ndarray, season_length: int = 1) -> float:
    """MAE of the in-sample seasonal-naive forecast on the training data (MASE's denominator).

    Falls back to lag 1 when the training data is shorter than two seasons.

    >>> mase_scale(np.array([1.0, 2.0, 4.0, 7.0]))
    2.0
    """
    train = np.asarray(train, dtype=np.float64)
    m = season_length if len(train) > 2 * season_length else 1
    if len(train) <= m:
        return float("nan")
    return float(np.mean(np.abs(train[m:] - train[:-m])))


def forecast_metrics(actual: np.ndarray, predicted: np.ndarray, scale: float) -> dict[str, float]:
    """RMSE, MAE, MAPE (%), sMAPE (%, 0–200) and MASE of ``predicted`` against ``actual``.

    MAPE skips points whose actual value is zero (it is undefined there); it is NaN if all are.
    """
    actual = np.asarray(actual, dtype=np.float64)
    predicted = np.asarray(predicted, dtype=np.float64)
    err = predicted - actual
    nonzero = actual != 0
    denom = np.abs(actual) + np.abs(predicted)
    smape_terms = np.where(denom > 0, 2 * np.abs(err) / np.where(denom > 0, denom, 1), 0.0)
    mae = float(np.mean(np.abs(err)))
    return {
        "RMSE": float(np.sqrt(np.mean(err**2))),
        "MAE": mae,
        "MAPE": float(np.mean(np.abs(err[nonzero] / actual[nonzero])) * 100)
        if nonzero.any() else float("nan"),
        "sMAPE": float(np.mean(smape_terms) * 100),
        "MASE": mae / scale if scale and np.isfinite(scale) and scale > 0 else float("nan"),
    }


def naive_forecasts(values: np.ndarray, positions: np.ndarray, season_length: int
                    ) -> dict[str, np.ndarray]:
    """One-step-ahead baselines for ``values[positions]``: the last value and last season's value.

    >>> v = np.arange(30.0)
    >>> {k: f[0] for k, f in naive_forecasts(v, np.array([24]), 12).items()}
    {'naive': np.float64(23.0), 'seasonal naive': np.float64(12.0)}
    """
    values = np.asarray(values, dtype=np.float64)
    out = {"naive": values[positions - 1]}
    m = max(season_length, 1)
    if m > 1 and positions.min() >= m:
        out["seasonal naive"] = values[positions - m]
    return out


def metrics_table(actual: np.ndarray, predictions: Mapping[str, np.ndarray], scale: float
                  ) -> pd.DataFrame:
    """One row per model (the first is the one being judged), one column per metric."""
    rows = {name: forecast_metrics(actual, pred, scale) for name, pred in predictions.items()}
    table = pd.DataFrame.from_dict(rows, orient="index", columns=list(FORECAST_METRICS))
    table.index.name = "model"
    return table


def verdict(table: pd.DataFrame, metric: str = "RMSE") -> str:
    """One honest sentence: does the first row beat the best baseline on ``metric``?

    >>> t = pd.DataFrame({"RMSE": [50.0, 40.0]}, index=["LSTM", "seasonal naive"])
    >>> verdict(t)
    'LSTM LOSES to seasonal naive on RMSE: 50 vs 40 (25.0% worse).'
    """
    model, baselines = table.index[0], table.iloc[1:][metric].dropna()
    if baselines.empty:
        return f"{model}: no baseline could be computed for these points."
    best_name, best = baselines.idxmin(), float(baselines.min())
    score = float(table.iloc[0][metric])
    if score < best:
        gain = (best - score) / best * 100 if best else 0.0
        return (f"{model} beats the best baseline ({best_name}) on {metric}: "
                f"{score:.4g} vs {best:.4g} ({gain:.1f}% better).")
    loss = (score - best) / best * 100 if best else float("inf")
    return (f"{model} LOSES to {best_name} on {metric}: {score:.4g} vs {best:.4g} "
            f"({loss:.1f}% worse).")
