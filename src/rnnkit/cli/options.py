"""Command-line options built from the estimators' parameter tables, so that no default,
choice or range is written twice: the option's type follows the parameter's constraint, its
help ends with the estimator's default, and an option left out is not passed on at all (the
estimator's own default, or a preset's value, applies).

>>> import argparse
>>> from rnnkit.forecasting.parameters import FORECASTER
>>> parser = argparse.ArgumentParser()
>>> add_parameters(parser, FORECASTER, ["epochs", "patience", "scaler"])
>>> args = parser.parse_args(["--epochs", "5", "--patience", "0"])
>>> given(args, ["epochs", "patience", "scaler"])
{'epochs': 5, 'patience': None}
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from rnnkit.parameters import Parameter
from rnnkit.validation import (
    Boolean,
    Choice,
    Constraint,
    FractionOrCount,
    Jobs,
    Number,
    Optional,
    OrAuto,
    PathLike,
    PositiveInt,
)

__all__ = ["NONE", "add_parameters", "csv_list", "given", "int_or_auto", "positive_int"]

NONE = "none"  # what an option's value is when the user turned the parameter off


def flag(name: str) -> str:
    """The option of parameter ``name``: ``batch_size`` → ``--batch-size``."""
    return "--" + name.replace("_", "-")


def add_parameters(parser: Any, table: Mapping[str, Parameter], names: Sequence[str], *,
                   aliases: Mapping[str, Sequence[str]] | None = None) -> None:
    """Add an option for each parameter in ``names`` of ``table`` to ``parser`` (or a group
    of it); ``aliases`` gives a parameter other option names (the first is shown)."""
    for name in names:
        parameter = table[name]
        options = list((aliases or {}).get(name, [flag(name)]))
        parser.add_argument(*options, dest=name, default=None, help=_help(parameter),
                            **_kind(parameter.constraint))


def given(args: argparse.Namespace, names: Sequence[str]) -> dict[str, Any]:
    """The parameters among ``names`` whose options were given, as the estimator takes them
    (an option turned off, ``none`` or 0 where that means off, is ``None``)."""
    out = {}
    for name in names:
        value = getattr(args, name)
        if value is not None:
            out[name] = None if value == NONE else value
    return out


def _help(parameter: Parameter) -> str:
    text = parameter.help.replace("%", "%%")
    default = parameter.default
    if "(default" in text or default is None or default is False:
        return text
    if isinstance(default, tuple):
        shown = ",".join(map(str, default)) or "''"
    else:
        shown = "on" if default is True else str(default)
    return f"{text} (default: {shown})"


def _kind(constraint: Constraint) -> dict[str, Any]:
    """``add_argument``'s type, choices or action for a parameter with ``constraint``."""
    if isinstance(constraint, Boolean):
        return {"action": argparse.BooleanOptionalAction}
    off = isinstance(constraint, Optional)
    inner = constraint.inner if off else constraint
    if isinstance(inner, Boolean):  # --x / --no-x; left out: the estimator decides
        return {"action": argparse.BooleanOptionalAction}
    if isinstance(inner, Choice):
        return {"choices": list(dict.fromkeys([*inner.options, *([NONE] if off else [])])),
                "type": str.lower}
    if isinstance(inner, OrAuto):
        return {"type": int_or_auto, "metavar": "N|auto" + ("|none" if _offable(inner) else "")}
    if isinstance(inner, PositiveInt):
        return {"type": _number(int, off and inner.minimum >= 1), "metavar": "N"}
    if isinstance(inner, Jobs):
        return {"type": _number(int, False), "metavar": "N"}
    if isinstance(inner, Number | FractionOrCount):
        return {"type": _number(float, off and isinstance(inner, Number) and inner.low_open
                                and inner.low == 0), "metavar": "X"}
    if isinstance(inner, PathLike):
        return {"type": Path}
    return {"type": str}  # lists, transform chains, patterns: the estimator parses them


def _offable(constraint: OrAuto) -> bool:
    return isinstance(constraint.inner, Optional)


def _number(kind: type, zero_is_off: bool) -> Any:
    """A parser of ``kind`` numbers; where the parameter may be off, ``none`` (and 0, which
    could not be a valid value) turn it off."""
    def parse(text: str) -> Any:
        lowered = text.strip().lower()
        if zero_is_off and lowered == NONE:
            return NONE
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"must be {'an integer' if kind is int else 'a number'}"
                + (" or none" if zero_is_off else "") + f"; got {text!r}") from None
        return NONE if zero_is_off and value == 0 else value

    parse.__name__ = kind.__name__  # argparse names the type in its messages
    return parse


def csv_list(value: str) -> list[str]:
    """``"a, b"`` → ``["a", "b"]``."""
    return [v.strip() for v in value.split(",") if v.strip()]


def int_or_auto(text: str) -> int | str:
    """An integer, ``auto`` or ``none``; the estimator checks the range."""
    lowered = text.strip().lower()
    if lowered in ("auto", NONE):
        return lowered
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer, auto or none; got {text!r}"
                                         ) from None


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer; got {text!r}")
    return value
