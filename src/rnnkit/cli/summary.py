"""``rnnkit summary``: a saved model's layers and parameter counts."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rnnkit.cli.common import say

__all__ = ["add_parser", "cmd_summary"]


def add_parser(sub: Any) -> None:
    """``rnnkit summary``'s options."""
    s = sub.add_parser("summary", help="print a saved model's layers and parameter counts")
    s.add_argument("model", type=Path, help="a model directory")
    s.set_defaults(handler=cmd_summary)


def cmd_summary(args: argparse.Namespace) -> int:
    import rnnkit

    model = rnnkit.load(str(args.model))
    say(model.summary())
    return 0
