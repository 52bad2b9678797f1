"""Write one benchmark's section of benchmarks/RESULTS.md, leaving the other sections alone."""

from __future__ import annotations

import platform
import re
import statistics
from pathlib import Path

RESULTS = Path(__file__).with_name("RESULTS.md")
HEADER = "# Benchmark results\n\nWritten by the scripts in `benchmarks/`; each section says how.\n"


def sd(values: list[float]) -> float:
    """Sample standard deviation; 0 for a single run."""
    return statistics.stdev(values) if len(values) > 1 else 0.0


def mean_sd(values: list[float], digits: int = 1) -> str:
    """``"18.3 ± 0.1"``: the mean and sample sd of repeated runs (seeds)."""
    return f"{statistics.mean(values):.{digits}f} ± {sd(values):.{digits}f}"


def machine() -> str:
    """The machine, the torch thread count outside rnnkit (rnnkit's own follows its thread
    policy, rnnkit.threads), the versions and the date: absolute times mean little without."""
    import os
    from datetime import date

    import torch

    return (f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
            f"{torch.get_num_threads()} torch threads outside rnnkit (rnnkit: its thread "
            f"policy), Python {platform.python_version()}, torch {torch.__version__}, "
            f"{date.today():%Y-%m-%d}")


def write_section(name: str, body: str, path: Path = RESULTS) -> None:
    text = path.read_text() if path.exists() else HEADER
    block = f"<!-- {name}:start -->\n{body.rstrip()}\n<!-- {name}:end -->"
    pattern = re.compile(rf"<!-- {name}:start -->.*?<!-- {name}:end -->", re.S)
    text = pattern.sub(lambda _: block, text) if pattern.search(text) else (
        text.rstrip() + "\n\n" + block + "\n")
    path.write_text(text)


def publish(name: str, lines: list[str], write: bool = True) -> None:
    """Print a benchmark's section and, with ``write``, put it into RESULTS.md."""
    text = "\n".join(lines)
    print(text)
    if write:
        write_section(name, text)


def add_row(name: str, header: list[str], key: str, row: str, path: Path = RESULTS) -> None:
    """Add (or replace, by its first cell ``key``) one table row in section ``name``, whose
    body starts with ``header`` lines; rows of earlier runs stay."""
    text = path.read_text() if path.exists() else HEADER
    match = re.search(rf"<!-- {name}:start -->\n(.*?)\n<!-- {name}:end -->", text, re.S)
    rows = [line for line in (match[1].splitlines() if match else [])
            if line.startswith("| ") and line not in header
            and not line.startswith(f"| {key} |")]
    write_section(name, "\n".join([*header, *rows, row]), path)
