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

__all__ = ["CLASSIFICATION_METRICS", "FORECAST_METRICS", "classification_metrics",
           "classification_table", "confusion_matrix", "forecast_metrics", "mase_scale",
           "metrics_table", "naive_forecasts", "roc_auc", "verdict"]

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


def naive_paths(history: np.ndarray, horizon: int, season_length: int
                ) -> dict[str, np.ndarray]:
    """Multi-step baselines from the end of ``history``: its last value held, and its last
    season repeated (when it holds a whole season).

    >>> {k: f.tolist() for k, f in naive_paths(np.arange(8.0), 3, 4).items()}
    {'naive': [7.0, 7.0, 7.0], 'seasonal naive': [4.0, 5.0, 6.0]}
    """
    history = np.asarray(history, dtype=np.float64)
    out = {"naive": np.full(horizon, history[-1])}
    m = max(season_length, 1)
    if 1 < m <= len(history):
        out["seasonal naive"] = history[len(history) - m + np.arange(horizon) % m]
    return out


def metrics_table(actual: np.ndarray, predictions: Mapping[str, np.ndarray], scale: float
                  ) -> pd.DataFrame:
    """One row per model (the first is the one being judged), one column per metric."""
    rows = {name: forecast_metrics(actual, pred, scale) for name, pred in predictions.items()}
    table = pd.DataFrame.from_dict(rows, orient="index", columns=list(FORECAST_METRICS))
    table.index.name = "model"
    return table


def verdict(table: pd.DataFrame, metric: str = "RMSE", higher_is_better: bool = False) -> str:
    """One honest sentence: does the first row beat the best baseline on ``metric``?

    >>> t = pd.DataFrame({"RMSE": [50.0, 40.0]}, index=["LSTM", "seasonal naive"])
    >>> verdict(t)
    'LSTM LOSES to seasonal naive on RMSE: 50.00 vs 40.00 (25.0% worse).'
    """
    model, baselines = table.index[0], table.iloc[1:][metric].dropna()
    if baselines.empty:
        return f"{model}: no baseline could be computed for these points."
    sign = -1.0 if higher_is_better else 1.0
    best_name = (baselines * sign).idxmin()
    best = float(baselines[best_name])
    score = float(table.iloc[0][metric])
    if sign * score < sign * best:
        gain = abs(best - score) / abs(best) * 100 if best else 0.0
        return (f"{model} beats the best baseline ({best_name}) on {metric}: "
                f"{score:#.4g} vs {best:#.4g} ({gain:.1f}% better).")
    # a baseline with no error (a constant series' naive), or none beyond float rounding
    # (a pure cycle's seasonal naive), leaves no ratio worth reporting
    how = (f"{abs(score - best) / abs(best) * 100:.1f}% worse"
           if abs(best) > 1e-9 * abs(score) else "the baseline is exact on these points")
    return f"{model} LOSES to {best_name} on {metric}: {score:#.4g} vs {best:#.4g} ({how})."


CLASSIFICATION_METRICS = ("accuracy", "precision", "recall", "F1", "ROC AUC")


def confusion_matrix(true: np.ndarray, predicted: np.ndarray, n_classes: int) -> np.ndarray:
    """Counts ``[i, j]`` of true class ``i`` predicted as ``j``.

    >>> confusion_matrix(np.array([0, 1, 1]), np.array([0, 0, 1]), 2).tolist()
    [[1, 0], [1, 1]]
    """
    matrix = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(matrix, (true, predicted), 1)
    return matrix


def roc_auc(true: np.ndarray, score: np.ndarray) -> float:
    """Area under the ROC curve for binary ``true`` (0/1), by ranks (ties get average ranks).

    >>> roc_auc(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8]))
    0.75
    """
    true = np.asarray(true).astype(bool)
    n_pos, n_neg = int(true.sum()), int((~true).sum())
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    order = np.argsort(score, kind="mergesort")
    ranks = np.empty(len(score), dtype=np.float64)
    sorted_scores = np.asarray(score)[order]
    # average ranks over ties
    _, first, counts = np.unique(sorted_scores, return_index=True, return_counts=True)
    avg = first + (counts + 1) / 2.0
    ranks[order] = np.repeat(avg, counts)
    return float((ranks[true].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def classification_metrics(true: np.ndarray, proba: np.ndarray) -> dict[str, float]:
    """Accuracy, precision, recall, F1 (binary: of class 1; multi-class: macro averages) and,
    for two classes, ROC AUC. ``true`` holds class indices, ``proba`` ``(N, classes)``.

    >>> m = classification_metrics(np.array([0, 1, 1, 0]),
    ...                            np.array([[.9, .1], [.2, .8], [.6, .4], [.7, .3]]))
    >>> m["accuracy"], m["precision"], m["recall"], round(m["F1"], 3), m["ROC AUC"]
    (0.75, 1.0, 0.5, 0.667, 1.0)
    """
    n_classes = proba.shape[1]
    predicted = proba.argmax(axis=1)
    matrix = confusion_matrix(true, predicted, n_classes)
    tp = np.diag(matrix).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(matrix.sum(0) > 0, tp / matrix.sum(0), 0.0)
        recall = np.where(matrix.sum(1) > 0, tp / matrix.sum(1), 0.0)
        f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0.0)
    pick = (lambda a: float(a[1])) if n_classes == 2 else (lambda a: float(a.mean()))
    return {
        "accuracy": float(tp.sum() / max(len(true), 1)),
        "precision": pick(precision),
        "recall": pick(recall),
        "F1": pick(f1),
        "ROC AUC": roc_auc(true, proba[:, 1]) if n_classes == 2 else float("nan"),
    }


def classification_table(true: np.ndarray, proba: np.ndarray, model: str,
                         majority_class: int) -> pd.DataFrame:
    """The model's metrics next to always predicting the training set's majority class."""
    baseline = np.zeros_like(proba)
    baseline[:, majority_class] = 1.0
    rows = {model: classification_metrics(true, proba),
            "majority class": classification_metrics(true, baseline)}
    table = pd.DataFrame.from_dict(rows, orient="index", columns=list(CLASSIFICATION_METRICS))
    table.index.name = "model"
    return table
