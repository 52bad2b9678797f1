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

from rnnkit.validation import (
    Boolean,
    Choice,
    Constraint,
    Number,
    Optional,
    PathLike,
    PositiveInt,
)

__all__ = ["CELLS", "CELL_NAMES", "Parameter", "constraints", "defaults", "model_name",
           "training_parameters"]

# the recurrent cells: the name a user gives → the name shown (here, not beside the layers, so
# that a runtime without PyTorch names them too)
CELLS: dict[str, str] = {"rnn": "SimpleRNN", "lstm": "LSTM", "gru": "GRU"}
CELL_NAMES = tuple(CELLS)


def model_name(cell: str, bidirectional: bool) -> str:
    """How a model of ``cell`` is named in reports, e.g. ``"LSTM"`` or ``"BiGRU"``.

    >>> model_name("gru", True), model_name("rnn", False)
    ('BiGRU', 'SimpleRNN')
    """
    return ("Bi" if bidirectional else "") + CELLS.get(str(cell).lower(), "RNN")
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


def training_parameters(epochs: int, batch_size: int, what: str, patience: int | None,
                        reduce_lr_patience: int | None) -> dict[str, Parameter]:
    """The training parameters the networks' estimators share, with their own defaults for
    the budget (``what``: what a batch holds, e.g. "texts")."""
    return {
        "epochs": Parameter(epochs, PositiveInt(), "maximum epochs"),
        "batch_size": Parameter(batch_size, PositiveInt(), f"{what} per batch"),
        "learning_rate": Parameter(1e-3, Number(0.0, low_open=True), "Adam learning rate"),
        "patience": Parameter(patience, Optional(PositiveInt()),
                              "early-stopping patience in epochs; best weights are restored "
                              "(none or 0: off)"),
        "reduce_lr_patience": Parameter(reduce_lr_patience, Optional(PositiveInt()),
                                        "halve the learning rate after this many epochs "
                                        "without improvement (none or 0: off)"),
        "clip_norm": Parameter(1.0, Optional(Number(0.0, low_open=True)),
                               "clip the global gradient norm to this (none or 0: off)"),
        "seed": Parameter(0, PositiveInt(minimum=0), "random seed"),
        "device": Parameter("auto", Choice(DEVICES),
                            "where to train; auto uses a GPU when present"),
        "verbose": Parameter(True, Boolean(), "show a progress bar while training"),
        "checkpoint": Parameter(None, Optional(PathLike()),
                                "a .safetensors file that receives the best weights as "
                                "training improves"),
        "threads": Parameter(None, Optional(PositiveInt()),
                             "CPU threads for training and prediction (default: by the "
                             "network's size and the idle cores; set it for the same "
                             "numbers from the same seed whatever the load)"),
        "state_dir": Parameter(None, Optional(PathLike()),
                               "a folder where training saves its state after every epoch, "
                               "for fit(..., resume=True)"),
    }
