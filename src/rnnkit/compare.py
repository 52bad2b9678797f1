"""Compare recurrent cells and honest baselines under one budget, on the same points.

``compare_forecasters`` trains each cell for several seeds (same data, window, epochs, early
stopping) and scores naive, seasonal-naive, ETS, Theta and ARIMA forecasts of the same test
points; ``compare_classifiers`` does the same for texts against the majority class and TF-IDF +
logistic regression. Both return a tidy table, one row per run (baselines are deterministic and
run once); :func:`summarize` turns it into mean ± std per model, best first, and
:func:`write_report` writes CSV/JSON, figures and a self-contained ``report.html``.
"""

from __future__ import annotations

import base64
import html
import json
import math
import os
import platform
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from rnnkit.errors import RnnkitError
from rnnkit.evaluation import CLASSIFICATION_METRICS, FORECAST_METRICS, classification_table

__all__ = ["compare", "compare_classifiers", "compare_forecasters", "summarize", "write_report"]

_CELL_CHOICES = ("rnn", "lstm", "gru")


def _check_cells(cells: Sequence[str] | str) -> list[str]:
    cells = [c.strip().lower() for c in (cells.split(",") if isinstance(cells, str) else cells)]
    bad = [c for c in cells if c not in _CELL_CHOICES]
    if bad or not cells:
        raise RnnkitError(f"`cells` must be a non-empty list of {', '.join(_CELL_CHOICES)}; "
                          f"got {cells!r}.")
    return list(dict.fromkeys(cells))


def _directions(bidirectional: bool | str) -> list[bool]:
    if bidirectional in (True, "yes", "true"):
        return [True]
    if bidirectional in (False, "no", "false"):
        return [False]
    if bidirectional == "both":
        return [False, True]
    raise RnnkitError(f"`bidirectional` must be True, False or 'both'; got {bidirectional!r}.")


def _seeds(seeds: int | Sequence[int]) -> list[int]:
    if isinstance(seeds, int) and not isinstance(seeds, bool):
        if seeds < 1:
            raise RnnkitError(f"`seeds` must be a positive integer or a list of seeds; "
                              f"got {seeds!r}.")
        return list(range(seeds))
    return [int(s) for s in seeds]


def _baseline_rows(fc: Any, reference: Any, series: pd.Series, n_test: int, statistical: bool,
                   details: dict[str, Any]) -> list[dict[str, Any]]:
    """The baselines' rows, on the points the networks were scored on: the naive ones of the
    evaluation, and the statistical models (with ``statistical``); their predictions go into
    ``details``."""
    from rnnkit.baselines import STATISTICAL_MODELS, statistical_one_step
    from rnnkit.evaluation import forecast_metrics

    rows, table = [], reference.metrics
    for name in table.index[1:]:  # naive baselines, on the same points by construction
        rows.append({"model": name, "kind": "baseline", "seed": None, "params": 0,
                     "seconds": 0.0, "epochs": None} | table.loc[name].to_dict())
        details["predictions"][name] = reference.predictions[name]
    if not statistical:
        return rows
    schema, scale = fc.schema_, fc.series_state().mase_scale
    several = ("MSTL+ETS",) if len(schema.seasons) > 1 else ()
    forecasts = statistical_one_step(series, n_test, schema.season_length, schema.frequency,
                                     STATISTICAL_MODELS + several, schema.seasons)
    for name, (pred, seconds) in forecasts.items():
        rows.append({"model": name, "kind": "baseline", "seed": None, "params": None,
                     "seconds": seconds, "epochs": None}
                    | forecast_metrics(details["actual"].to_numpy(), pred, scale))
        details["predictions"][name] = pd.Series(pred, index=details["actual"].index)
    return rows


def compare_forecasters(y: Any, X: Any = None, *, cells: Sequence[str] | str = _CELL_CHOICES,
                        seeds: int | Sequence[int] = 3, bidirectional: bool | str = False,
                        test: float | int = 0.2, statistical: bool = True,
                        **params: Any) -> pd.DataFrame:
    """Every cell × direction × seed as a :class:`~rnnkit.Forecaster` with ``params``, plus the
    baselines, scored one step ahead on the last ``test`` part of ``y``. One row per run."""
    from rnnkit.data.series import as_series
    from rnnkit.forecasting import Forecaster, holdout_size

    cells, seeds = _check_cells(cells), _seeds(seeds)
    directions = _directions(bidirectional)
    data = as_series(y, X, fill=params.get("fill"))
    series, features = data.to_pandas()
    n_test = holdout_size(len(series), test)
    fit_y = series.iloc[:-n_test]
    fit_x = None if features is None else features.iloc[:-n_test]
    rows, details = [], {"predictions": {}, "histories": {}, "actual": None}
    reference = None
    for cell in cells:
        for bi in directions:
            for seed in seeds:
                fc = Forecaster(cell=cell, bidirectional=bi, seed=seed, **params)
                start = time.perf_counter()
                fc.fit(fit_y, fit_x)
                seconds = time.perf_counter() - start
                ev = fc.evaluate(series, features)
                if reference is None:
                    reference = ev
                    details["actual"] = ev.predictions["actual"]
                elif not ev.predictions.index.equals(reference.predictions.index):
                    raise RuntimeError("runs were scored on different points")  # a bug
                rows.append({"model": fc.model_name, "kind": "network", "cell": cell,
                             "bidirectional": bi, "seed": seed,
                             "params": fc.network_.num_parameters(), "seconds": seconds,
                             "epochs": len(fc.history_.records)}
                            | ev.metrics.iloc[0].to_dict())
                details["predictions"][f"{fc.model_name} seed {seed}"] = \
                    ev.predictions[fc.model_name]
                details["histories"][f"{fc.model_name} seed {seed}"] = \
                    fc.history_.to_frame()[["epoch", "loss", "val_loss"]]
    rows += _baseline_rows(fc, reference, series, n_test, statistical, details)
    runs = _typed(pd.DataFrame(rows))
    runs.attrs = {"task": "forecast", "metric": "RMSE", "higher_is_better": False,
                  "metrics": list(FORECAST_METRICS), "details": details,
                  "config": {"cells": cells, "seeds": seeds, "bidirectional": bidirectional,
                             "test_points": n_test, "statistical": statistical,
                             "series": data.target_name, "length": len(series),
                             "season_length": fc.schema_.season_length} | _jsonable(params)}
    return runs


def compare_classifiers(train: Any, test: Any, *, cells: Sequence[str] | str = _CELL_CHOICES,
                        seeds: int | Sequence[int] = 3, bidirectional: bool | str = False,
                        baselines: bool = True, **params: Any) -> pd.DataFrame:
    """Every cell × direction × seed as a :class:`~rnnkit.TextClassifier` with ``params``, plus
    the majority class and TF-IDF + logistic regression, on the same test texts."""
    from rnnkit.baselines import tfidf_logistic
    from rnnkit.classification import TextClassifier

    cells, seeds = _check_cells(cells), _seeds(seeds)
    directions = _directions(bidirectional)
    rows, details = [], {"confusions": {}, "histories": {}}
    clf = None
    for cell in cells:
        for bi in directions:
            for seed in seeds:
                clf = TextClassifier(cell=cell, bidirectional=bi, seed=seed, **params)
                start = time.perf_counter()
                clf.fit(train.texts, train.labels)
                seconds = time.perf_counter() - start
                ev = clf.evaluate(test.texts, test.labels)
                rows.append({"model": clf.model_name, "kind": "network", "cell": cell,
                             "bidirectional": bi, "seed": seed,
                             "params": clf.network_.num_parameters(), "seconds": seconds,
                             "epochs": len(clf.history_.records)}
                            | ev.metrics.iloc[0].to_dict())
                details["confusions"][f"{clf.model_name} seed {seed}"] = ev.confusion
                details["histories"][f"{clf.model_name} seed {seed}"] = \
                    clf.history_.to_frame()[["epoch", "loss", "val_loss"]]
    from rnnkit.classification.labels import label_indices

    true = label_indices(clf.classes_, test.labels, len(test.texts))
    train_y = label_indices(clf.classes_, train.labels, len(train.texts))
    majority = ev.metrics.loc["majority class"].to_dict()
    rows.append({"model": "majority class", "kind": "baseline", "seed": None, "params": 0,
                 "seconds": 0.0, "epochs": None} | majority)
    names = [str(c) for c in clf.classes_]
    base = np.zeros((len(true), len(names)))
    base[:, clf.majority_class_] = 1
    details["confusions"]["majority class"] = _confusion(true, base, names)
    if baselines:
        proba, seconds, n_params = tfidf_logistic(list(train.texts), train_y, list(test.texts))
        table = classification_table(true, proba, "TF-IDF + logistic regression", 0)
        rows.append({"model": "TF-IDF + logistic regression", "kind": "baseline", "seed": None,
                     "params": n_params, "seconds": seconds, "epochs": None}
                    | table.iloc[0].to_dict())
        details["confusions"]["TF-IDF + logistic regression"] = _confusion(true, proba, names)
    runs = _typed(pd.DataFrame(rows))
    runs.attrs = {"task": "text", "metric": "accuracy", "higher_is_better": True,
                  "metrics": list(CLASSIFICATION_METRICS), "details": details,
                  "config": {"cells": cells, "seeds": seeds, "bidirectional": bidirectional,
                             "train_texts": len(train.texts), "test_texts": len(test.texts),
                             "baselines": baselines} | _jsonable(params)}
    return runs


def _confusion(true: np.ndarray, proba: np.ndarray, names: list[str]) -> pd.DataFrame:
    from rnnkit.evaluation import confusion_matrix

    return pd.DataFrame(confusion_matrix(true, proba.argmax(1), len(names)), index=names,
                        columns=names)


def _typed(runs: pd.DataFrame) -> pd.DataFrame:
    """Whole-number columns stay whole where baselines leave them empty."""
    return runs.astype({"seed": "Int64", "params": "Int64", "epochs": "Int64"})


def _jsonable(params: dict[str, Any]) -> dict[str, Any]:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in params.items()}


def compare(data: Any = "airline", **kwargs: Any) -> pd.DataFrame:
    """Compare cells and baselines; returns the tidy per-run table (see :func:`summarize`).

    ``data``: ``"airline"``, ``"imdb"``, a series (Series/array, forecasting) or a pair
    ``(train, test)`` of :class:`~rnnkit.datasets.TextDataset` (text). Other keyword
    arguments go to :func:`compare_forecasters` / :func:`compare_classifiers`.

    >>> runs = compare("airline", cells="gru", seeds=2, statistical=False, units=[4],
    ...                dense=(), epochs=2, verbose=False)  # doctest: +SKIP
    """
    from rnnkit import datasets

    if isinstance(data, str):
        if data == "airline":
            return compare_forecasters(datasets.airline(), **kwargs)
        if data == "imdb":
            path = kwargs.pop("path", None)
            train, test = datasets.imdb(path)
            return compare_classifiers(train, test, **kwargs)
        raise RnnkitError(f"`data` must be 'airline', 'imdb', a series or (train, test) text "
                          f"datasets; got {data!r}.")
    if isinstance(data, tuple) and len(data) == 2:
        return compare_classifiers(data[0], data[1], **kwargs)
    return compare_forecasters(data, **kwargs)


def summarize(runs: pd.DataFrame) -> pd.DataFrame:
    """Mean and standard deviation over seeds per model, best first (baselines marked).

    Columns: ``model``, ``kind``, ``runs``, ``params``, then ``{metric}`` and ``{metric} std``
    for each metric, ``seconds`` and ``epochs`` (means).
    """
    metrics = runs.attrs["metrics"]
    grouped = runs.groupby(["model", "kind"], sort=False, dropna=False)
    summary = grouped.agg(runs=("model", "size"), params=("params", "first"),
                          seconds=("seconds", "mean"), epochs=("epochs", "mean"))
    for metric in metrics:
        summary[metric] = grouped[metric].mean()
        summary[f"{metric} std"] = grouped[metric].std(ddof=1).fillna(0.0)
    summary = summary.reset_index()
    ascending = not runs.attrs["higher_is_better"]
    summary = summary.sort_values(runs.attrs["metric"], ascending=ascending, kind="stable")
    order = ["model", "kind", "runs", "params"] + [c for m in metrics for c in (m, f"{m} std")]
    summary.attrs = {}
    return summary[[*order, "seconds", "epochs"]].reset_index(drop=True)


def format_summary(summary: pd.DataFrame, metrics: Sequence[str]) -> str:
    """The summary as a fixed-width table with ``mean ± std`` cells."""
    shown = pd.DataFrame({
        "model": [f"{m}{' (baseline)' if k == 'baseline' else ''}"
                  for m, k in zip(summary["model"], summary["kind"], strict=True)],
        "params": [f"{int(p):,}" if pd.notna(p) else "-" for p in summary["params"]],
    })
    for metric in metrics:
        # one number of decimals per column (4 significant digits of its largest value), so
        # that the column reads down: 18.96 ± 1.50 above 22.40 ± 0.84, not 22.4 ± 0.84
        largest = float(summary[metric].abs().max())  # NaN (no warning) for an empty column
        d = min(4, max(0, 3 - math.floor(math.log10(largest)))) if largest > 0 else 2
        shown[metric] = [f"{m:.{d}f} ± {s:.{d}f}" if n > 1 else f"{m:.{d}f}" for m, s, n in
                         zip(summary[metric], summary[f"{metric} std"], summary["runs"],
                             strict=True)]
    shown["train s"] = [f"{s:.1f}" for s in summary["seconds"]]
    shown["epochs"] = [f"{e:.0f}" if pd.notna(e) else "-" for e in summary["epochs"]]
    return shown.to_string(index=False)


def _versions() -> dict[str, str]:
    from importlib import metadata

    out = {"python": sys.version.split()[0]}
    for name in ("rnnkit", "torch", "numpy", "pandas", "matplotlib", "statsforecast",
                 "scikit-learn"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def _machine() -> dict[str, Any]:
    import torch

    return {"platform": platform.platform(), "processor": platform.processor() or
            platform.machine(), "cpus": os.cpu_count(), "torch threads": torch.get_num_threads(),
            "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none"}


def _figures(runs: pd.DataFrame, summary: pd.DataFrame, out: Path) -> dict[str, Path]:
    """The report's figures, written to ``out``: the main metric's bars, every run's loss
    curve, and the forecasts (series) or confusion matrices (texts)."""
    from rnnkit.plots import headless_pyplot

    plt = headless_pyplot()
    files = {"bars": _bars(plt, runs, summary, out / "bars.png"),
             "losses": _losses(plt, runs, out / "losses.png")}
    if runs.attrs["task"] == "forecast":
        files["forecasts"] = _forecasts(plt, runs, out / "forecasts.png")
    else:
        files["confusions"] = _confusions(plt, runs, out / "confusions.png")
    return files


def _saved(plt: Any, fig: Any, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def _bars(plt: Any, runs: pd.DataFrame, summary: pd.DataFrame, path: Path) -> Path:
    """The main metric per model, mean ± std over seeds (baselines grey)."""
    metric = runs.attrs["metric"]
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(summary) + 1.5), dpi=110)
    colors = ["tab:grey" if k == "baseline" else "tab:blue" for k in summary["kind"]]
    ax.barh(summary["model"][::-1], summary[metric][::-1], xerr=summary[f"{metric} std"][::-1],
            color=colors[::-1], capsize=4)
    ax.set_xlabel(f"{metric} (mean ± std over seeds; grey: baselines)")
    ax.grid(axis="x", alpha=0.3)
    return _saved(plt, fig, path)


def _losses(plt: Any, runs: pd.DataFrame, path: Path) -> Path:
    """Every run's validation loss, one colour (and legend entry) per model."""
    fig, ax = plt.subplots(figsize=(8, 4), dpi=110)
    palette: dict[str, str] = {}
    for name, history in runs.attrs["details"]["histories"].items():
        model = name.rsplit(" seed ", 1)[0]
        first = model not in palette
        color = palette.setdefault(model, f"C{len(palette)}")
        ax.plot(history["epoch"], history["val_loss"], color=color, alpha=0.8,
                label=model if first else None)
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("validation loss")
    ax.set_title("Validation loss of every run")
    ax.grid(alpha=0.3)
    ax.legend()
    return _saved(plt, fig, path)


def _forecasts(plt: Any, runs: pd.DataFrame, path: Path) -> Path:
    """The test period and each model's one-step forecasts of it (networks: first seed)."""
    details = runs.attrs["details"]
    fig, ax = plt.subplots(figsize=(10, 4.5), dpi=110)
    actual = details["actual"]
    ax.plot(actual.index, actual.to_numpy(), color="black", linewidth=2, label="actual")
    for name, pred in details["predictions"].items():
        if " seed " in name and not name.endswith(" seed 0"):
            continue
        ax.plot(pred.index, pred.to_numpy(), linewidth=1.2, label=name,
                linestyle="-" if " seed " in name else "--")
    ax.set_title("One-step-ahead forecasts of the test period (networks: first seed)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, ncol=2)
    return _saved(plt, fig, path)


def _confusions(plt: Any, runs: pd.DataFrame, path: Path) -> Path:
    """Each model's confusion matrix on the test texts (networks: first seed)."""
    shown = {k: v for k, v in runs.attrs["details"]["confusions"].items()
             if " seed " not in k or k.endswith(" seed 0")}
    fig, axes = plt.subplots(1, len(shown), figsize=(3.2 * len(shown), 3.2), dpi=110,
                             squeeze=False)
    for ax, (name, matrix) in zip(axes[0], shown.items(), strict=True):
        values = matrix.to_numpy()
        ax.imshow(values, cmap="Blues")
        for i in range(len(values)):
            for j in range(len(values)):
                ax.text(j, i, f"{values[i, j]:,}", ha="center", va="center", fontsize=8)
        ax.set_xticks(range(len(values)), matrix.columns, fontsize=7)
        ax.set_yticks(range(len(values)), matrix.index, fontsize=7)
        ax.set_title(name, fontsize=9)
    return _saved(plt, fig, path)


def write_report(runs: pd.DataFrame, out: str | Path, command: str = "") -> dict[str, Path]:
    """Write ``results.csv``, ``results.json``, ``summary.csv``, the figures and a
    self-contained ``report.html`` (figures inline; opens without a network)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    summary = summarize(runs)
    plain = runs.copy()
    plain.attrs = {}
    plain.to_csv(out / "results.csv", index=False)
    summary.to_csv(out / "summary.csv", index=False)
    meta = {"command": command, "config": runs.attrs["config"], "versions": _versions(),
            "machine": _machine()}
    payload = {"runs": json.loads(plain.to_json(orient="records")),
               "summary": json.loads(summary.to_json(orient="records"))} | meta
    (out / "results.json").write_text(json.dumps(payload, indent=2))
    files = _figures(runs, summary, out)
    report = out / "report.html"
    report.write_text(_page(runs, summary, plain, files, meta, command), encoding="utf-8")
    return files | {"report": report, "results": out / "results.csv",
                    "json": out / "results.json", "summary": out / "summary.csv"}


def _image(path: Path, alt: str) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return f'<figure><img alt="{alt}" src="data:image/png;base64,{data}"></figure>'


def _rows_html(frame: pd.DataFrame) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(_cell(v))}</td>" for v in row)
                   + "</tr>" for row in frame.itertuples(index=False))
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _page(runs: pd.DataFrame, summary: pd.DataFrame, plain: pd.DataFrame,
          files: dict[str, Path], meta: dict[str, Any], command: str) -> str:
    """The self-contained report.html: verdict, summary, figures inline, every run, and how
    to reproduce it."""
    table = format_summary(summary, runs.attrs["metrics"])
    task = "forecasting" if runs.attrs["task"] == "forecast" else "text classification"
    best = summary.iloc[0]
    networks = summary[summary["kind"] == "network"]
    verdict = (f"Best: {best['model']} ({runs.attrs['metric']} {best[runs.attrs['metric']]:.4g})"
               + ("" if best["kind"] == "network" or networks.empty else
                  f" — a baseline; the best network, {networks.iloc[0]['model']}, scores "
                  f"{networks.iloc[0][runs.attrs['metric']]:.4g}."))
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>rnnkit compare: {task}</title>
<style>
body{{font-family:system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222}}
table{{border-collapse:collapse;font-size:13px;margin:1em 0}}
td,th{{border:1px solid #ddd;padding:3px 8px;text-align:right}} th{{background:#f3f3f3}}
pre{{background:#f7f7f7;padding:1em;overflow-x:auto}} img{{max-width:100%}}
.verdict{{font-size:1.15em;font-weight:600}}
</style></head><body>
<h1>rnnkit compare: {task}</h1>
<p class="verdict">{html.escape(verdict)}</p>
<h2>Summary (mean ± std over seeds, best first)</h2>
<pre>{html.escape(table)}</pre>
{_image(files['bars'], 'bar chart of the main metric')}
<h2>Training</h2>
{_image(files['losses'], 'validation loss curves')}
<h2>{'Forecasts' if 'forecasts' in files else 'Confusion matrices'}</h2>
{_image(files.get('forecasts') or files['confusions'], 'predictions')}
<h2>Every run</h2>
{_rows_html(plain.drop(columns=[c for c in ('cell',) if c in plain]))}
<h2>Reproduce</h2>
<pre>{html.escape(command or '(Python API)')}</pre>
<h3>Configuration</h3><pre>{html.escape(json.dumps(meta['config'], indent=2))}</pre>
<h3>Versions</h3><pre>{html.escape(json.dumps(meta['versions'], indent=2))}</pre>
<h3>Machine</h3><pre>{html.escape(json.dumps(meta['machine'], indent=2))}</pre>
</body></html>
"""


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)
