"""The ``rnnkit`` command line: a thin layer over the Python API, one module per command.

Each command module has ``add_parser`` (its options; an estimator's options are built from
its parameter table by :mod:`rnnkit.cli.options`) and ``cmd_<name>`` (arguments → library
call → report). Nothing heavy is imported until a command runs, so ``rnnkit --help`` is
instant. User mistakes print one ``rnnkit: error: ...`` line and exit with status 2, never a
traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys
import warnings
from collections.abc import Iterator, Sequence
from typing import Any

from rnnkit.cli import (
    classify,
    compare,
    explain,
    export,
    forecast,
    hybrid,
    predict,
    pretrain,
    serve,
    summary,
)
from rnnkit.cli.common import HelpFormatter
from rnnkit.cli.options import positive_int

__all__ = ["EXIT_USAGE", "build_parser", "main"]

EXIT_USAGE = 2
COMMANDS = (forecast, hybrid, classify, predict, compare, explain, serve, export, pretrain, summary)


def build_parser() -> argparse.ArgumentParser:
    """The ``rnnkit`` parser: every command's, each with ``--threads``."""
    from rnnkit import __version__

    parser = argparse.ArgumentParser(
        prog="rnnkit",
        description="Recurrent neural networks (SimpleRNN, LSTM, GRU) for sequential data.",
        epilog="Run 'rnnkit COMMAND --help' for a command's options.")
    parser.add_argument("--version", action="version", version=f"rnnkit {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.add_parser(sub)
    for command in sub.choices.values():
        command.formatter_class = HelpFormatter
        command.add_argument(
            "--threads", type=positive_int, metavar="N",
            help="CPU threads for the networks (default: one for small networks, more for "
                 "large ones while cores are idle; see rnnkit.threads)")
    return parser


def _show_warning(message: Warning | str, category: type[Warning], filename: str, lineno: int,
                  file: Any = None, line: str | None = None) -> None:
    """Warnings the commands do not print themselves, as one line like the errors (not
    Python's ``path:line: UserWarning: ...``)."""
    print(f"warning: {message}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``rnnkit`` command."""
    parser = build_parser()
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")
    from rnnkit.errors import RnnkitError

    try:
        with warnings.catch_warnings(), _threads_setting(args.threads), _rank_output():
            warnings.showwarning = _show_warning  # Python's own display returns with main
            return args.handler(args)
    except RnnkitError as exc:
        print(f"rnnkit: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("rnnkit: interrupted", file=sys.stderr)
        return 130


@contextlib.contextmanager
def _rank_output() -> Iterator[None]:
    """In a run of several processes (torchrun), only the first prints its report; the others
    keep their errors."""
    import os

    if os.environ.get("RANK", "0") == "0":
        yield
        return
    with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
        yield


@contextlib.contextmanager
def _threads_setting(threads: int | None) -> Iterator[None]:
    """``--threads N`` for the estimators' thread policy, which reads it wherever ``threads``
    is left unset; the environment is restored after (``main`` may run inside a program)."""
    import os

    before = os.environ.get("RNNKIT_THREADS")
    if threads is not None:
        os.environ["RNNKIT_THREADS"] = str(threads)
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("RNNKIT_THREADS", None)
        else:
            os.environ["RNNKIT_THREADS"] = before


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
