"""What an estimator's constructor takes, as data: each parameter's default, its constraint
and a line of help. The estimators validate against these tables, and the command line builds
its options from them, so no default or choice is written twice. Importing this (and the
tables) loads no numerical library, which keeps ``rnnkit --help`` instant.

>>> from rnnkit.validation import PositiveInt
>>> table = {"epochs": Parameter(20, PositiveInt(), "maximum epochs")}
>>> constraints(table)["epochs"].check("epochs", 3), defaults(table)
(3, {'epochs': 20})
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from rnnkit.validation import Constraint

__all__ = ["CELL_NAMES", "Parameter", "constraints", "defaults"]

# the recurrent cells, by the name a user gives (rnnkit.models.layers.CELLS names them for show)
CELL_NAMES = ("rnn", "lstm", "gru")
DEVICES = ("auto", "cpu", "cuda", "mps")


@dataclass(frozen=True)
class Parameter:
    """One constructor argument: ``default``, the ``constraint`` a value must meet and a
    ``help`` line (the command line's)."""

    default: Any
    constraint: Constraint
    help: str


def constraints(table: Mapping[str, Parameter]) -> dict[str, Constraint]:
    """The constraint of each parameter, as estimators validate with them."""
    return {name: parameter.constraint for name, parameter in table.items()}


def defaults(table: Mapping[str, Parameter]) -> dict[str, Any]:
    """The default of each parameter: what the constructor's signature must say."""
    return {name: parameter.default for name, parameter in table.items()}
