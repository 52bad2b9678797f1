"""``rnnkit explain``: what a trained model's gates did, or how gradients flow."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rnnkit.cli.common import say, span

__all__ = ["add_parser", "cmd_explain"]


def add_parser(sub: Any) -> None:
    """``rnnkit explain``'s options."""
    e = sub.add_parser(
        "explain", help="show what a trained model's gates did, or measure gradient flow",
        description="Trace a saved model reading a text (classifier) or a series (--csv, "
                    "forecaster): the mean forget/input/output gates (GRU: reset/update) and the "
                    "state magnitude per token or time step, under the prediction as it evolves. "
                    "Writes explain.png, explain.html (self-contained, values on hover) and "
                    "trace.csv. With --gradient-flow, measures the norm of d(loss)/d(x_t) per "
                    "step for SimpleRNN, LSTM and GRU side by side (and the saved model, if "
                    "given).")
    e.add_argument("model", type=Path, nargs="?", help="a model directory")
    e.add_argument("text", nargs="?", help="the text to explain (classifiers)")
    e.add_argument("--csv", type=Path, help="series to explain (forecasters; same columns as "
                                            "in training; default: the last values the model "
                                            "remembers, which its next forecast reads)")
    e.add_argument("--time", help="date column in --csv (default: the one used in training)")
    e.add_argument("--id", help="forecaster of several series: the series column of --csv")
    e.add_argument("--target", help="forecaster of several series: the values column of --csv")
    e.add_argument("--series", help="forecaster of several series: which one to explain")
    e.add_argument("--gradient-flow", action="store_true",
                   help="measure gradient norms per step instead of tracing gates")
    e.add_argument("--steps", type=int, default=100,
                   help="sequence length for --gradient-flow (default: 100)")
    e.add_argument("--units", type=int, default=32,
                   help="units of the fresh networks for --gradient-flow without a model "
                        "(default: 32)")
    e.add_argument("--batch", type=int, default=64, help="inputs averaged in --gradient-flow")
    e.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    e.add_argument("--out", type=Path, help="output directory (default: MODEL/explain, or "
                                            "runs/gradient-flow)")
    e.set_defaults(handler=cmd_explain)


def cmd_explain(args: argparse.Namespace) -> int:
    import rnnkit
    from rnnkit.classification import TextClassifier
    from rnnkit.errors import RnnkitError

    if args.gradient_flow:
        return _gradient_flow(args)
    if args.model is None:
        raise RnnkitError("explain needs a model directory (or --gradient-flow).")
    model = _explainable(rnnkit.load(str(args.model)), args.model)
    out = args.out or args.model / "explain"
    from rnnkit.explain import explain_series, explain_text

    if isinstance(model, TextClassifier):
        if not args.text:
            raise RnnkitError(f"give the text to explain: rnnkit explain {args.model} "
                              "\"some text\".")
        files = explain_text(model, args.text, out)
    else:
        if args.text:
            raise RnnkitError(f"{str(args.model)!r} is a forecaster; explain a series with "
                              "--csv, not a text.")
        from rnnkit.data.files import load_long
        from rnnkit.data.series import load_csv

        key = None
        if args.csv is None:  # what the model remembers: the input of its next forecast
            if model.schema_.several and not args.series:
                raise RnnkitError(f"{str(args.model)!r} forecasts several series: name the one "
                                  "to explain with --series (and give more of it with --csv).")
            state = model.series_state(
                _named_series({str(k): k for k in model.schema_.series}, args.series,
                              repr(str(args.model))) if model.schema_.several else None)
            key, data = state.key, state.recent
            say(f"Explaining the last {len(data)} values the model remembers, which its next "
                f"forecast reads ({span(data.index)}); --csv explains more of the series.")
        elif model.schema_.several:
            if not (args.id and args.target and args.series):
                raise RnnkitError(f"{str(args.model)!r} forecasts several series: name the "
                                  "columns of --csv with --id and --target (and --time), and "
                                  "the series to explain with --series.")
            found = {str(k): (k, d) for k, d in load_long(args.csv, args.id, args.target,
                                                               args.time, model.fill)}
            key, data = _named_series(found, args.series, "--csv")
        else:
            schema = model.schema_
            data, _ = load_csv(args.csv, schema.target, args.time or schema.time_column,
                               list(schema.features), model.fill)
        # the parsed series itself: it keeps its position in the season and its row names
        files = explain_series(model, data, None, out, series=key)
    say(f"Figure: {files['png']}\nPage: {files['html']}\nTrace: {files['csv']}")
    return 0


def _named_series(found: dict[str, Any], name: str, where: str) -> Any:
    """The series ``--series`` names among ``found`` (by their keys as text), or an error that
    lists some of those there are."""
    from rnnkit.errors import RnnkitError

    if name not in found:
        raise RnnkitError(f"--series: no series {name!r} in {where}; it has "
                          f"{', '.join(list(found)[:10])}" + (" …" if len(found) > 10 else "")
                          + ".")
    return found[name]


def _gradient_flow(args: argparse.Namespace) -> int:
    import torch

    import rnnkit
    from rnnkit.explain import gradient_flow, plot_gradient_flow
    from rnnkit.models.layers import CELLS
    from rnnkit.models.network import NetworkConfig, RecurrentNetwork
    from rnnkit.validation import PositiveInt

    steps = PositiveInt().check("--steps", args.steps)
    PositiveInt().check("--units", args.units)
    PositiveInt().check("--batch", args.batch)
    torch.manual_seed(args.seed)
    networks = {}
    if args.model is not None:
        model = _explainable(rnnkit.load(str(args.model)), args.model)
        base = model.network_.config
        # an ensemble's networks each have their own gradients (a median has none to speak of)
        members = list(getattr(model.network_, "members", [model.network_]))
        for k, member in enumerate(members[:3], 1):
            label = f" (network {k} of {len(members)})" if len(members) > 1 else ""
            networks[f"trained {model.model_name}{label}"] = member.cpu()
    else:
        base = NetworkConfig("lstm", 8, (args.units,), 1)
    for cell, name in CELLS.items():  # fresh networks of each cell, same shape
        networks[f"fresh {name}"] = RecurrentNetwork(
            NetworkConfig.from_dict(base.to_dict() | {"cell": cell}))
    gen = torch.Generator().manual_seed(args.seed)
    if base.tokens:
        x = torch.randint(3, base.input_size, (args.batch, steps), generator=gen)
    else:
        x = torch.randn(args.batch, steps, base.input_size, generator=gen)
    flow = gradient_flow(networks, x)
    out = args.out or (args.model / "explain" if args.model else Path("runs/gradient-flow"))
    out.mkdir(parents=True, exist_ok=True)
    flow.to_csv(out / "gradient_flow.csv", index=False)
    png = plot_gradient_flow(flow, out / "gradient_flow.png",
                             title=f"Gradient flow over {steps} steps: ‖∂L/∂x_t‖ vs distance "
                                   "from the output")
    far = flow[flow["distance"] == steps - 1].set_index("model")["norm"]
    near = flow[flow["distance"] == 0].set_index("model")["norm"]
    for name in networks:
        say(f"{name:>22}: gradient norm {near[name]:.3g} at the last step, "
            f"{far[name]:.3g} {steps - 1} steps back (ratio {far[name] / near[name]:.2g})")
    say(f"Figure: {png}\nTable: {out / 'gradient_flow.csv'}")
    return 0


def _explainable(model: Any, path: Path) -> Any:
    """``model``, unless it is a kind explain does not read (a hybrid's corrector)."""
    from rnnkit.errors import RnnkitError
    from rnnkit.forecasting import HybridForecaster

    if isinstance(model, HybridForecaster):
        raise RnnkitError(f"{str(path)!r} holds a HybridForecaster; explain reads the gates of "
                          "a Forecaster or a TextClassifier, not yet a hybrid's corrector "
                          "(rnnkit summary shows its layers).")
    return model
