"""Heavy libraries load when used, not before: `rnnkit --help` and `import rnnkit` stay instant."""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("torch", "pandas", "numpy", "matplotlib", "scipy", "statsmodels")


def _modules_after(code: str) -> set[str]:
    probe = f"{code}\nimport sys; print(' '.join(sys.modules))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True).stdout
    return set(out.split())


@pytest.mark.parametrize("command", ["", "forecast", "classify", "compare", "predict",
                                     "explain", "serve", "summary"])
def test_help_imports_nothing_heavy(command):
    args = [command, "--help"] if command else ["--help"]
    code = ("import contextlib, io\nfrom rnnkit.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
            f"    main({args!r})")
    loaded = _modules_after(code)
    assert not [m for m in HEAVY if m in loaded]


def test_import_rnnkit_imports_nothing_heavy():
    loaded = _modules_after("import rnnkit")
    assert not [m for m in HEAVY if m in loaded]


@pytest.mark.parametrize("module", ["rnnkit.forecasting.parameters",
                                    "rnnkit.classification.parameters",
                                    "rnnkit.classification.presets",
                                    "rnnkit.language_model_parameters"])
def test_the_parameter_tables_import_nothing_heavy(module):
    # the command line builds its options from them before any command runs
    loaded = _modules_after(f"import {module}")
    assert not [m for m in HEAVY if m in loaded]
