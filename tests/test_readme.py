"""The README's examples stay true: every `rnnkit` command line in it parses with today's
options, every command is shown, and every Python block compiles."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from rnnkit.cli import build_parser

README = Path(__file__).resolve().parents[1] / "README.md"


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README.read_text(), re.S)


def command_lines() -> list[str]:
    lines = []
    for block in blocks("bash"):
        for line in block.replace("\\\n", " ").splitlines():
            if line.startswith("rnnkit "):
                lines.append(line.split("  #")[0].strip())  # drop the trailing comment
    return lines


@pytest.mark.parametrize("line", command_lines())
def test_every_command_in_the_readme_parses(line):
    args = build_parser().parse_args(shlex.split(line)[1:])  # exits (fails) on a stale option
    assert callable(args.handler)


def test_the_readme_shows_every_command():
    shown = {line.split()[1] for line in command_lines()}
    commands = set(build_parser()._subparsers._group_actions[0].choices)
    assert commands <= shown, f"not in the README: {sorted(commands - shown)}"


@pytest.mark.parametrize("number", range(len(blocks("python"))))
def test_every_python_block_in_the_readme_compiles(number):
    compile(blocks("python")[number], f"README.md python block {number}", "exec")
