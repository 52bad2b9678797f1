"""What every command shares: printing, where a run's state lives, writing an output."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

__all__ = ["SEASON_ALIASES", "TRAINING_ALIASES", "HelpFormatter", "add_resume_option",
           "add_series_options", "add_test_option", "add_text_source", "load_series",
           "remove_state", "say", "span", "state_dir", "write_output"]


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Appends ``(default: X)`` only where the help does not state its default already and
    X tells the reader something (not None, False or an empty list)."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        default = action.default
        # `is`, not `in (None, False, ...)`: 0 == False, and a default of 0 says something
        says_nothing = (default is None or default is False or default is argparse.SUPPRESS
                        or default == [])
        if "(default" in text or says_nothing:
            return text
        return super()._get_help_string(action)


# the estimators' training options under the names the command line has always had too
TRAINING_ALIASES = {"learning_rate": ["--lr", "--learning-rate"],
                    "reduce_lr_patience": ["--reduce-lr", "--reduce-lr-patience"]}
# a forecasting command's seasons, as --season is shorter to type
SEASON_ALIASES = {"season_length": ["--season", "--season-length"]}


def add_training_options(parser: argparse.ArgumentParser, table: Any, names: list[str]
                         ) -> None:
    """The "network and training" group of a command that trains (the estimator's options
    ``names`` from its parameter ``table``, and --quiet), then --resume and --workers."""
    from rnnkit.cli.options import add_parameters

    group = parser.add_argument_group("network and training")
    add_parameters(group, table, names, aliases=TRAINING_ALIASES)
    group.add_argument("--quiet", action="store_true", help="no progress bar")
    add_resume_option(parser)
    add_workers_option(parser)


def add_workers_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--workers", type=int, default=1, metavar="N",
                        help="train with N processes under torchrun, each on its share of "
                             "every batch (gloo on CPUs, NCCL on GPUs; the same as "
                             "'torchrun --nproc-per-node N -m rnnkit ...'; only the first "
                             "prints and writes)")


def launched(args: argparse.Namespace) -> int | None:
    """With ``--workers N`` (N > 1) outside a distributed run: this same command run by
    ``torchrun`` with N processes, and its exit status; None to go on in this process."""
    import os
    import subprocess

    from rnnkit.validation import PositiveInt

    workers = PositiveInt().check("--workers", args.workers)
    if workers == 1 or int(os.environ.get("WORLD_SIZE", "1")) > 1:
        return None
    argv, rest = [], iter(args.argv)
    for item in rest:  # the same command, without --workers
        if item == "--workers":
            next(rest, None)
        elif not item.startswith("--workers="):
            argv.append(item)
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone",
               f"--nproc-per-node={workers}", "-m", "rnnkit", *argv]
    status = subprocess.run(command).returncode
    if status != 0:
        print(f"rnnkit: error: the run of {workers} processes failed (exit status {status}); "
              "the failing process's message is above.", file=sys.stderr)
    return status


def done_unless_first() -> None:
    """After training under torchrun: every process but the first is done (the first
    evaluates, reports and writes)."""
    import os

    if os.environ.get("RANK", "0") != "0":
        raise SystemExit(0)


def say(message: str = "") -> None:
    print(message, flush=True)


def span(index: Any) -> str:
    """The first and last labels of an index, dates as months where the data is monthly."""
    import pandas as pd

    from rnnkit.data.series import infer_frequency

    if isinstance(index, pd.DatetimeIndex):
        fmt = "%Y-%m" if (infer_frequency(index) or "").startswith("M") else "%Y-%m-%d"
        return f"{index[0].strftime(fmt)} .. {index[-1].strftime(fmt)}"
    return f"{index[0]} .. {index[-1]}"


def add_resume_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--resume", action="store_true",
                        help="continue the run that OUT.state/ holds (saved after every epoch; "
                             "removed once the model is saved) from its last finished epoch")


def state_dir(out: Path) -> str:
    """Where a run's per-epoch state goes: beside the model folder, which only ever holds a
    finished model."""
    return str(out.with_name(out.name + ".state"))


def remove_state(out: Path) -> None:
    """The run is finished and saved: its state has nothing left to resume."""
    import shutil

    shutil.rmtree(state_dir(out), ignore_errors=True)


def write_output(text: str, output: Path | None, what: str) -> None:
    """``text`` to the file ``output`` (saying so on stderr), else to standard output."""
    if output:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text)
        print(f"wrote {what} to {output}", file=sys.stderr)
    else:
        sys.stdout.write(text)


def load_texts_column(path: Path, column: str) -> list[str]:
    """The texts of one column of a CSV/TSV/JSONL file, for prediction (no labels needed)."""
    from rnnkit.data.text_datasets import load_texts

    return load_texts(path, column, column).texts


def add_text_source(group: Any, data_help: str, csv_help: str) -> Any:
    """--data imdb or --csv (one of them required), --data-path and --text-column: the texts a
    text command reads; returns the required one-of group, for a command's other sources."""
    source = group.add_mutually_exclusive_group(required=True)
    source.add_argument("--data", choices=["imdb"], help=data_help)
    source.add_argument("--csv", type=Path, help=csv_help)
    group.add_argument("--data-path", type=Path,
                       help="where the named dataset is (default: $RNNKIT_IMDB or the user "
                            "cache; downloaded when absent)")
    group.add_argument("--text-column", default="text",
                       help="text column of --csv (default: text)")
    return source


def add_series_options(group: Any, csv_help: str, time_help: str) -> None:
    """--data, --csv, --target and --time: the series a forecasting command reads (see
    :func:`load_series`); ``group`` is an argument group of its parser."""
    group.add_argument("--data", choices=["airline", "taylor"],
                       help="a named series: airline (monthly passengers, bundled; the "
                            "default) or taylor (half-hourly electricity demand, 12 weeks; "
                            "needs pmdarima)")
    group.add_argument("--csv", type=Path, help=csv_help)
    group.add_argument("--target", help="column to forecast (required with --csv)")
    group.add_argument("--time", help=time_help)


def add_test_option(group: Any) -> None:
    """--test: the held-out end a forecasting command scores."""
    group.add_argument("--test", type=float, default=0.2,
                       help="held-out test part at the end: a fraction (<1) or a count of "
                            "points")


def load_series(args: argparse.Namespace) -> tuple[Any, Any, str]:
    """``(series, future feature rows or None, where it came from)`` of a command's --data,
    or --csv with --target, --time, --features and --fill: by default the bundled airline
    data."""
    from rnnkit.data.series import as_series, load_csv
    from rnnkit.errors import RnnkitError

    if args.csv is None:
        if args.target or args.time or args.features:
            raise RnnkitError("--target, --time and --features need --csv.")
        from rnnkit import datasets

        if args.data == "taylor":
            return (as_series(datasets.taylor()), None,
                    "England and Wales electricity demand, half-hourly (Taylor 2003)")
        return as_series(datasets.airline()), None, "airline passengers, bundled"
    if args.data is not None:
        raise RnnkitError("--data and --csv name two sources; give one.")
    if not args.target:
        raise RnnkitError("--target is required with --csv: name the column to forecast.")
    data, future_x = load_csv(args.csv, args.target, args.time, args.features, args.fill)
    return data, future_x, str(args.csv)
