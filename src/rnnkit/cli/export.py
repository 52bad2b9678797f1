"""``rnnkit export``: a saved model's network as ONNX."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rnnkit.cli.common import say

__all__ = ["add_parser", "cmd_export"]


def add_parser(sub: Any) -> None:
    """``rnnkit export``'s options."""
    x = sub.add_parser(
        "export", help="write a saved model's network as ONNX, for runtimes without PyTorch",
        description="Write the network of a saved model as ONNX (dynamic batch and length "
                    "axes), check it with onnxruntime against PyTorch, and say where it is. "
                    "Its inputs are the model's own: a forecaster's transformed, scaled and "
                    "normalised windows, a classifier's token ids (and, with a bag of word "
                    "pairs, their hashed bag rows); preprocessing.json beside "
                    "it holds how to make them (rnnkit.onnx_forecast and rnnkit.onnx_text do, "
                    "without PyTorch; rnnkit serve MODEL --runtime onnx serves them). Needs "
                    "the export extra (pip install 'rnnkit[export]').")
    x.add_argument("model", type=Path, help="a model directory")
    x.add_argument("--format", choices=["onnx"], default="onnx", help="the format to write")
    x.add_argument("--out", type=Path, help="file to write (default: MODEL/model.onnx)")
    x.set_defaults(handler=cmd_export)


def cmd_export(args: argparse.Namespace) -> int:
    import rnnkit
    from rnnkit.export import export_onnx

    model = rnnkit.load(str(args.model))
    path = export_onnx(model, args.out or args.model / "model.onnx")
    say(f"Wrote {path} ({path.stat().st_size:,} bytes); onnxruntime matches PyTorch on "
        "sample inputs. Its inputs and preprocessing: rnnkit export --help.")
    return 0
