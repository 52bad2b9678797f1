"""Looking inside a trained recurrent network: gate traces, figures, and gradient flow.

* :func:`trace_network` runs the readable NumPy reference cells (:mod:`rnnkit.models.reference`)
  with a network's weights and records every gate and state per layer, direction and step.
* :func:`plot_explanation` / :func:`html_explanation` draw the mean forget, input and output
  gates (GRU: reset and update) and the state magnitude along the tokens or time steps, under
  the prediction as it evolves step by step.
* :func:`gradient_flow` measures ``‖∂L/∂x_t‖`` against the distance from the output — the
  vanishing-gradient argument, measured.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from rnnkit.classification.output import probabilities
from rnnkit.data.series import as_series
from rnnkit.models.reference import GATE_NAMES, network_forward

__all__ = ["Trace", "explain_series", "explain_text", "gradient_flow", "html_explanation",
           "plot_explanation", "plot_gradient_flow", "prefix_outputs", "trace_network"]

# Rows of the explanation heat map per cell: (label, record, reduce)
_ROWS = {
    "lstm": [("forget gate f", "forget"), ("input gate i", "input"), ("output gate o", "output"),
             ("|cell state C|", "cell")],
    "gru": [("reset gate r", "reset"), ("update gate z", "update"), ("|hidden h|", "hidden")],
    "rnn": [("|hidden h|", "hidden")],
}


@dataclass
class Trace:
    """Gate activations and states of a network reading sequences.

    ``arrays[(layer, direction)][name]`` is an array with dimensions ``dims`` = ``("sample",
    "step", "unit")``; ``name`` is a gate or state of :data:`GATE_NAMES` for ``cell``. Samples
    shorter than the longest are padded with NaN. ``labels[sample]`` names each step (a token
    or a time stamp).
    """

    cell: str
    arrays: dict[tuple[int, str], dict[str, np.ndarray]]
    labels: list[list[str]]
    dims: tuple[str, str, str] = ("sample", "step", "unit")
    outputs: list[np.ndarray] = field(default_factory=list)

    @property
    def layers(self) -> list[tuple[int, str]]:
        return list(self.arrays)

    def mean_over_units(self, name: str, layer: int = -1, direction: str = "forward",
                        magnitude: bool = False) -> np.ndarray:
        """``(sample, step)``: a gate's (or state's absolute) mean over units."""
        keys = [k for k in self.arrays if k[1] == direction]
        values = self.arrays[keys[layer]][name]
        return (np.abs(values) if magnitude else values).mean(axis=2)

    def to_frame(self, units: str = "mean") -> pd.DataFrame:
        """A tidy table: sample, layer, direction, step, label, name, (unit), value.

        ``units="mean"`` averages over units (one row per gate and step); ``"all"`` keeps each.
        """
        rows = []
        for (layer, direction), named in self.arrays.items():
            for name, values in named.items():
                n, t, h = values.shape
                sample, step, unit = np.meshgrid(np.arange(n), np.arange(t), np.arange(h),
                                                 indexing="ij")
                if units == "mean":
                    # padded steps are NaN in every unit, so a plain mean keeps them NaN
                    frame = pd.DataFrame({"sample": sample[..., 0].ravel(),
                                          "step": step[..., 0].ravel(),
                                          "value": values.mean(axis=2).ravel()})
                else:
                    frame = pd.DataFrame({"sample": sample.ravel(), "step": step.ravel(),
                                          "unit": unit.ravel(), "value": values.ravel()})
                frame.insert(1, "layer", layer)
                frame.insert(2, "direction", direction)
                frame.insert(4, "name", name)
                rows.append(frame)
        table = pd.concat(rows, ignore_index=True).dropna(subset=["value"])
        labels = {(s, t): lab for s, labs in enumerate(self.labels) for t, lab in enumerate(labs)}
        table.insert(4, "label", [labels.get((s, t), "") for s, t in
                                  zip(table["sample"], table["step"], strict=True)])
        return table


def trace_network(network: Any, sequences: Sequence[np.ndarray],
                  labels: Sequence[Sequence[str]]) -> Trace:
    """Trace each sequence (token ids ``(T,)`` without padding, or floats ``(T, F)``)."""
    cell = network.config.cell
    results = [network_forward(network, seq) for seq in sequences]
    longest = max(len(seq) for seq in sequences)
    arrays: dict[tuple[int, str], dict[str, np.ndarray]] = {}
    for i, layer in enumerate(results[0][1]):
        for direction in layer["directions"]:
            named = {}
            for name in GATE_NAMES[cell]:
                size = layer["directions"][direction][name].shape[1]
                out = np.full((len(sequences), longest, size), np.nan)
                for s, (_, layers) in enumerate(results):
                    values = layers[i]["directions"][direction][name]
                    out[s, :len(values)] = values
                named[name] = out
            arrays[(i, direction)] = named
    return Trace(cell, arrays, [list(map(str, lab)) for lab in labels],
                 outputs=[r[0] for r in results])


def prefix_outputs(network: Any, x: np.ndarray) -> np.ndarray:
    """The network's output after each prefix ``x[:1], x[:2], …`` of one sequence: how the
    prediction evolves step by step. ``(T, output_size)``; works for bidirectional models too
    (each prefix is read as a whole text)."""
    import torch

    t = len(x)
    device = next(network.parameters()).device
    with torch.no_grad():
        if network.config.tokens:
            ids = torch.zeros((t, t), dtype=torch.long)
            for k in range(t):
                ids[k, :k + 1] = torch.as_tensor(x[:k + 1])
            return network(ids.to(device)).cpu().double().numpy()
        seq = torch.as_tensor(np.asarray(x), dtype=torch.float32)
        rows = torch.zeros((t, t, seq.shape[1]))
        lengths = torch.arange(1, t + 1)
        for k in range(t):
            rows[k, :k + 1] = seq[:k + 1]
        _, last = network.features(rows.to(device), lengths.to(device))
        out = network.head_output(last).cpu().double().numpy()
        if network.skip is not None:  # its linear map needs `skip` values: none before that
            k = network.config.skip
            tails = seq[:, 0].unfold(0, k, 1) if t >= k else seq[:0, 0].reshape(0, k)
            out[:k - 1] = np.nan
            out[k - 1:] += network.skip(tails.to(device)).cpu().double().numpy()
        return out


def _heat_rows(trace: Trace) -> list[tuple[str, np.ndarray]]:
    """(label, values per step) for the explanation heat map: last layer, each direction."""
    rows = []
    directions = sorted({d for _, d in trace.arrays}, key=["forward", "backward"].index)
    for direction in directions:
        suffix = "" if len(directions) == 1 else f" ({direction})"
        for label, name in _ROWS[trace.cell]:
            magnitude = label.startswith("|")
            rows.append((label + suffix, trace.mean_over_units(name, -1, direction, magnitude)[0]))
    return rows


def plot_explanation(trace: Trace, evolving: np.ndarray, path: str | Path, *, title: str,
                     evolving_label: str, series: np.ndarray | None = None) -> Path:
    """Heat map of the mean gates and state magnitude per step (last layer), under the
    prediction as it evolves step by step — and, for series, under the series itself."""
    from rnnkit.plots import headless_pyplot

    plt = headless_pyplot()

    labels = trace.labels[0]
    steps = len(labels)
    rows = _heat_rows(trace)
    shown = bool(np.isfinite(evolving[:steps]).any())  # no panel of nothing but gaps
    top = int(series is not None) + int(shown)
    width = min(max(8.0, 0.28 * steps + 3), 40.0)
    fig, axes = plt.subplots(top + 1, 1, figsize=(width, 2.2 * top + 0.45 * len(rows) + 1.6),
                             dpi=110, sharex=True,
                             gridspec_kw={"height_ratios": [2.2] * top + [0.45 * len(rows)]},
                             squeeze=False)
    axes = axes[:, 0]
    x = np.arange(steps)
    if series is not None:
        axes[0].plot(x, series[:steps], color="black")
        axes[0].set_ylabel("series")
        axes[0].grid(alpha=0.3)
    if shown:
        ax = axes[top - 1]
        ax.plot(x, evolving[:steps], color="tab:red", marker=".")
        ax.set_ylabel(evolving_label)
        ax.grid(alpha=0.3)
    heat = np.vstack([values[:steps] for _, values in rows])
    image = axes[top].imshow(heat, aspect="auto", cmap="viridis", interpolation="nearest")
    axes[top].set_yticks(range(len(rows)), [name for name, _ in rows])
    every = max(1, steps // 60)
    axes[top].set_xticks(x[::every], [labels[i] for i in x[::every]], rotation=90, fontsize=8)
    fig.colorbar(image, ax=axes, fraction=0.02, pad=0.01, label="mean over units")
    axes[0].set_title(title)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, bbox_inches="tight")
    plt.close(fig)
    return path


def html_explanation(trace: Trace, evolving: np.ndarray, png: Path, path: str | Path, *,
                     title: str, evolving_label: str) -> Path:
    """A self-contained page (no network needed): the figure, and a table of every step with
    the values on hover and as colour."""
    rows = _heat_rows(trace)
    labels = trace.labels[0]
    image = base64.b64encode(Path(png).read_bytes()).decode("ascii")

    def row(name: str, values: np.ndarray) -> str:
        values = np.asarray(values[:len(labels)], dtype=np.float64)
        finite = values[np.isfinite(values)]
        # gates and probabilities shade on [0, 1]; other rows (forecasts) on their own range
        lo, hi = (0.0, 1.0) if finite.size == 0 or (finite.min() >= 0 and finite.max() <= 1) \
            else (float(finite.min()), float(finite.max()) or 1.0)
        cells = []
        for step, value in enumerate(values):
            if not np.isfinite(value):
                cells.append("<td>–</td>")
                continue
            shade = int(255 - 180 * (value - lo) / ((hi - lo) or 1.0))
            tip = f"{labels[step]} · {name}: {value:.4f}"
            text = f"{value:.2f}" if abs(value) < 100 else f"{value:.0f}"
            cells.append(f'<td title="{html.escape(tip)}" '
                         f'style="background:rgb({shade},{shade},255)">{text}</td>')
        return f"<tr><th>{html.escape(name)}</th>{''.join(cells)}</tr>"

    head = "".join(f"<th>{html.escape(lab)}</th>" for lab in labels)
    body = ([row(evolving_label, evolving)] if np.isfinite(evolving).any() else []) + [
        row(name, values) for name, values in rows]
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font-family:sans-serif;margin:1.5em}} table{{border-collapse:collapse;font-size:11px}}
td,th{{border:1px solid #ddd;padding:2px 4px;text-align:center}} th{{background:#f4f4f4}}
.scroll{{overflow-x:auto}} img{{max-width:100%}}</style></head>
<body><h1>{html.escape(title)}</h1>
<p>Mean activation over the units of the last recurrent layer at each step (gates lie in
[0, 1]; |state| is the mean magnitude). Hover a cell for its value.</p>
<img alt="explanation figure" src="data:image/png;base64,{image}">
<div class="scroll"><table><tr><th>step</th>{head}</tr>{''.join(body)}</table></div>
</body></html>
"""
    path = Path(path)
    path.write_text(page, encoding="utf-8")
    return path


def gradient_flow(networks: dict[str, Any], x: Any) -> pd.DataFrame:
    """Mean ``‖∂L/∂x_t‖`` over a batch for each step ``t``, per network.

    ``x``: floats ``(N, T, F)``, or token ids ``(N, T)`` (the gradient is then taken with
    respect to the embedded inputs). ``L`` is the sum of the network's outputs: any loss adds
    only a factor common to all steps. Returns columns ``model, step, distance`` (from the
    output, ``T - 1 - t``), ``norm``, ``p10``, ``p90``.
    """
    import torch

    frames = []
    for name, network in networks.items():
        network.eval()
        device = next(network.parameters()).device
        inputs = torch.as_tensor(x).to(device)
        if network.config.tokens:
            with torch.no_grad():
                ids, lengths = inputs, (inputs != 0).sum(1)
                h = network.embedding(ids)
        else:
            h, lengths = inputs.float(), None
        h = h.detach().requires_grad_(True)
        _, last = network.recurrent_features(h, lengths)
        network.head_output(last).sum().backward()
        norms = h.grad.norm(dim=2).cpu().numpy()  # (N, T)
        steps = norms.shape[1]
        frames.append(pd.DataFrame({
            "model": name, "step": np.arange(steps), "distance": steps - 1 - np.arange(steps),
            "norm": norms.mean(0), "p10": np.percentile(norms, 10, axis=0),
            "p90": np.percentile(norms, 90, axis=0)}))
    return pd.concat(frames, ignore_index=True)


def plot_gradient_flow(flow: pd.DataFrame, path: str | Path, title: str = "") -> Path:
    """One panel per model: gradient norm (log scale) against distance from the output."""
    from rnnkit.plots import headless_pyplot

    plt = headless_pyplot()

    models = list(dict.fromkeys(flow["model"]))
    fig, axes = plt.subplots(1, len(models), figsize=(4.2 * len(models), 3.8), dpi=110,
                             sharey=True, squeeze=False)
    for ax, model in zip(axes[0], models, strict=True):
        part = flow[flow["model"] == model].sort_values("distance")
        ax.fill_between(part["distance"], part["p10"].clip(lower=1e-30),
                        part["p90"].clip(lower=1e-30), alpha=0.25)
        ax.plot(part["distance"], part["norm"].clip(lower=1e-30), linewidth=2)
        ax.set_yscale("log")
        ax.set_title(model)
        ax.set_xlabel("steps back from the output")
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("‖∂L/∂x_t‖ (mean; band: 10–90 %)")
    fig.suptitle(title or "Gradient flow: how much each input step can still change the output")
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path


def explain_text(model: Any, text: str, out: str | Path) -> dict[str, Path]:
    """Explain a :class:`~rnnkit.TextClassifier`'s reading of one text: ``explain.png``,
    ``explain.html`` and the tidy ``trace.csv`` in directory ``out``."""
    trace = model.trace([text])
    ids = model.encode([text])[0]
    ids = ids[ids != 0]
    logits = prefix_outputs(model.network_, ids)  # (T, 1 or C)
    final = int(np.argmax(model.predict_proba([text])[0]))
    evolving = probabilities(logits)[:, final]
    label = f"P({model.classes_[final]})"
    return _write(trace, evolving, out, label,
                  f"{model.model_name} reading the text: prediction {model.classes_[final]!r} "
                  f"({evolving[-1]:.2f})", None)


def explain_series(model: Any, y: Any, X: Any, out: str | Path,
                   series: Any = None) -> dict[str, Path]:
    """Explain a :class:`~rnnkit.Forecaster` reading a series (for a model of several, the
    one named by ``series``): the gates along time under the series and the one-step forecast
    made after each step, in ``out``."""
    trace = model.trace(y, X, series=series)
    data = as_series(y, X, fill=model.fill)
    steps = len(trace.labels[0])  # the series after the transform's lags
    # the forecast of each point from its window (none when only one window's worth is given,
    # as the values a model remembers are)
    one_step = (model.predict(y, X, series=series).to_numpy()
                if len(data) > model.min_history(series) else np.empty(0))
    evolving = np.concatenate([np.full(steps - len(one_step), np.nan), one_step])
    name = data.target_name if series is None else series
    return _write(trace, evolving, out, "one-step forecast",
                  f"{model.model_name} reading the series {name!r}",
                  data.target[len(data) - steps:])


def _write(trace: Trace, evolving: np.ndarray, out: str | Path, label: str, title: str,
           series: np.ndarray | None) -> dict[str, Path]:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    png = plot_explanation(trace, evolving, out / "explain.png", title=title,
                           evolving_label=label, series=series)
    page = html_explanation(trace, evolving, png, out / "explain.html", title=title,
                            evolving_label=label)
    table = out / "trace.csv"
    trace.to_frame().to_csv(table, index=False)
    return {"png": png, "html": page, "csv": table}
