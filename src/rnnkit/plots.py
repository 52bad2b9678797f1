"""Headless PNG plots: loss curves, actual vs predicted over the test period, future forecasts.

matplotlib is imported inside each function with the Agg backend, so no display is needed and
``import rnnkit`` stays light.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["plot_confusion", "plot_forecast", "plot_history", "plot_many", "plot_test"]


def headless_pyplot() -> Any:
    """``matplotlib.pyplot`` on the Agg backend: PNGs without a display."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def _figure(width: float = 10, height: float = 4.5):
    fig, ax = headless_pyplot().subplots(figsize=(width, height), dpi=110)
    ax.grid(alpha=0.3)
    return fig, ax


def _save(fig: Any, path: str | Path) -> Path:
    import matplotlib.pyplot as plt

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def plot_history(history: pd.DataFrame, path: str | Path, best_epoch: int | None = None,
                 title: str = "Training history") -> Path:
    """Training and validation loss per epoch (log scale), with the restored best epoch marked;
    with a ``val_accuracy`` column, validation accuracy on a second axis."""
    fig, ax = _figure(8, 4)
    ax.plot(history["epoch"], history["loss"], label="training loss")
    if "val_loss" in history:
        ax.plot(history["epoch"], history["val_loss"], label="validation loss")
    if best_epoch is not None:
        ax.axvline(best_epoch, color="grey", linestyle="--", label=f"best epoch ({best_epoch})")
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.set_title(title)
    handles, labels = ax.get_legend_handles_labels()
    if "val_accuracy" in history:
        acc = ax.twinx()
        acc.plot(history["epoch"], history["val_accuracy"], color="tab:green", marker=".",
                 label="validation accuracy")
        acc.set_ylabel("accuracy")
        more = acc.get_legend_handles_labels()
        handles, labels = handles + more[0], labels + more[1]
    ax.legend(handles, labels, loc="center right")
    return _save(fig, path)


def plot_confusion(confusion: pd.DataFrame, path: str | Path, title: str = "") -> Path:
    """A confusion matrix (rows true, columns predicted) as a heat map with counts."""
    n = len(confusion)
    fig, ax = _figure(1.2 * n + 3, 1.0 * n + 2.5)
    ax.grid(False)
    values = confusion.to_numpy()
    image = ax.imshow(values, cmap="Blues")
    ax.set_xticks(range(n), confusion.columns, rotation=45 if n > 4 else 0)
    ax.set_yticks(range(n), confusion.index)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    for i in range(n):
        for j in range(n):
            ax.text(j, i, f"{values[i, j]:,}", ha="center", va="center",
                    color="white" if values[i, j] > values.max() / 2 else "black")
    fig.colorbar(image, ax=ax)
    ax.set_title(title or "Confusion matrix")
    return _save(fig, path)


def _draw_test(ax: Any, series: pd.Series, predictions: pd.DataFrame,
               boundaries: dict[str, Any] | None) -> None:
    ax.plot(series.index, series.to_numpy(), color="black", linewidth=1.2, label="actual")
    styles = {"naive": ":", "seasonal naive": "--"}
    if {"lower", "upper"} <= set(predictions.columns):
        ax.fill_between(predictions.index, predictions["lower"].to_numpy(),
                        predictions["upper"].to_numpy(), alpha=0.2, label="prediction interval")
    skip = {"actual", "lower", "upper", "unique_id"}
    for i, column in enumerate(c for c in predictions.columns if c not in skip):
        ax.plot(predictions.index, predictions[column].to_numpy(),
                linestyle=styles.get(column, "-"), linewidth=2.0 if i == 0 else 1.2, label=column)
    for j, (label, at) in enumerate((boundaries or {}).items()):
        ax.axvline(at, color="grey", linestyle=["-", "-."][j % 2], alpha=0.8, label=label)
    ax.set_ylabel(str(series.name or "value"))


def _draw_forecast(ax: Any, series: pd.Series, forecast: pd.Series | pd.DataFrame) -> None:
    ax.plot(series.index, series.to_numpy(), color="black", linewidth=1.2, label="observed")
    if isinstance(forecast, pd.DataFrame):
        ax.fill_between(forecast.index, forecast["lower"].to_numpy(),
                        forecast["upper"].to_numpy(), color="tab:red", alpha=0.15,
                        label="prediction interval")
        forecast = forecast["forecast"]
    ax.plot(forecast.index, forecast.to_numpy(), color="tab:red", linewidth=2.0, marker=".",
            label=f"forecast ({len(forecast)} steps)")
    ax.axvline(series.index[-1], color="grey", linestyle="--", alpha=0.8, label="end of data")
    ax.set_ylabel(str(series.name or "value"))


def plot_test(series: pd.Series, predictions: pd.DataFrame, path: str | Path,
              boundaries: dict[str, Any] | None = None, title: str = "") -> Path:
    """The whole series, each model's one-step forecasts of the test points, and the split.

    ``predictions`` is :attr:`ForecastEvaluation.predictions` (``actual`` plus one column per
    model); ``boundaries`` maps a label (e.g. ``"test starts"``) to an index value.
    """
    fig, ax = _figure()
    _draw_test(ax, series, predictions, boundaries)
    ax.set_title(title or "Actual vs one-step-ahead forecasts on the test period")
    ax.legend(loc="upper left")
    return _save(fig, path)


# a long history (weeks of hours) is drawn from this many values before the forecast at most,
# or six forecasts' lengths, so that the forecast is not a sliver at the right edge
SHOWN_HISTORY = 500


def plot_forecast(series: pd.Series, forecast: pd.Series | pd.DataFrame, path: str | Path,
                  title: str = "") -> Path:
    """The observed series (its last values, when it is long) and the forecast beyond its
    end (with its interval, if given as a DataFrame with ``forecast``, ``lower`` and
    ``upper``)."""
    fig, ax = _figure()
    shown = max(SHOWN_HISTORY, 6 * len(forecast))
    _draw_forecast(ax, series.iloc[-shown:], forecast)
    ax.set_title(title or "Forecast beyond the data")
    ax.legend(loc="upper left")
    return _save(fig, path)


def plot_many(series: dict[Any, pd.Series], per_series: pd.DataFrame, path: str | Path,
              kind: str, title: str = "", max_series: int = 6) -> Path:
    """One panel per series (the first ``max_series``) of a model of several series.

    ``per_series`` is long, with a ``unique_id`` column: the test predictions
    (``kind="test"``, indexed by time, as :meth:`Forecaster.evaluate` gives them) or the
    forecasts (``kind="forecast"``, with a ``ds`` column, as :meth:`Forecaster.forecast`
    gives them).
    """
    if kind not in ("test", "forecast"):
        raise ValueError(f"kind must be 'test' or 'forecast'; got {kind!r}")
    keys = list(series)[:max_series]
    columns = 2 if len(keys) > 1 else 1
    rows = -(-len(keys) // columns)
    fig, axes = headless_pyplot().subplots(rows, columns, figsize=(6 * columns, 3 * rows),
                                           dpi=110, squeeze=False)
    for ax, key in zip(axes.flat, keys, strict=False):
        part = per_series[per_series["unique_id"] == key].drop(columns="unique_id")
        ax.grid(alpha=0.3)
        if kind == "test":
            _draw_test(ax, series[key], part, {"test starts": part.index[0]})
        else:
            part = part.set_index("ds")
            _draw_forecast(ax, series[key], part if "lower" in part else part["forecast"])
        ax.set_title(str(key), fontsize=10)
    for ax in list(axes.flat)[len(keys):]:
        ax.set_visible(False)
    axes.flat[0].legend(loc="upper left", fontsize=7)
    shown = f"the first {len(keys)} of {len(series)} series" if len(series) > len(keys) else ""
    fig.suptitle(" — ".join(t for t in (title, shown) if t))
    return _save(fig, path)
