"""The layout promises of docs/architecture.md, checked on the source: small functions and
classes in the redesigned packages, and no module outside such a package reaching into its
private names."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "rnnkit"
REDESIGNED = ["forecasting", "classification", "cli"]  # packages: one concept per module
MAX_FUNCTION_LINES = 60
MAX_METHODS = 25


def _modules(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.py"))


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(), filename=str(path))


def _body_lines(node: ast.AST) -> int:
    """Lines of a function, from its ``def`` to its end, docstring included."""
    return node.end_lineno - node.lineno + 1


def test_no_function_is_longer_than_60_lines():
    long = [f"{path.name}:{node.lineno} {node.name} ({_body_lines(node)} lines)"
            for path in _modules(PACKAGE) for node in ast.walk(_tree(path))
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            and _body_lines(node) > MAX_FUNCTION_LINES]
    assert not long


def test_no_class_has_more_than_25_methods():
    big = []
    for path in _modules(PACKAGE):
        for node in ast.walk(_tree(path)):
            if isinstance(node, ast.ClassDef):
                methods = [n for n in node.body
                           if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
                views = [n for n in node.body if isinstance(n, ast.Assign)
                         and isinstance(n.value, ast.Call)
                         and getattr(n.value.func, "id", "") == "property"]
                if len(methods) + len(views) > MAX_METHODS:
                    big.append(f"{path.name} {node.name}: {len(methods) + len(views)}")
    assert not big


def _private_methods(path: Path) -> set[str]:
    """Private (one underscore) methods of the classes in module(s) ``path``."""
    paths = _modules(path) if path.is_dir() else [path]
    return {item.name for module in paths for node in ast.walk(_tree(module))
            if isinstance(node, ast.ClassDef) for item in node.body
            if isinstance(item, ast.FunctionDef) and item.name.startswith("_")
            and not item.name.startswith("__")}


# a private method of each package, to show the check sees them
SENTINELS = {"forecasting": "_needed", "classification": "_train_network",
             "cli": "_get_help_string"}


@pytest.mark.parametrize("package", REDESIGNED)
def test_no_module_outside_a_package_reads_its_private_names(package):
    # names other classes define for themselves (base.py's estimator plumbing among them)
    # are theirs to use
    elsewhere = set().union(*(_private_methods(path) for path in _modules(PACKAGE)
                              if path.relative_to(PACKAGE).parts[0] != package))
    private = _private_methods(PACKAGE / package) - elsewhere
    assert SENTINELS[package] in private
    reads = []
    for path in _modules(PACKAGE):
        where = path.relative_to(PACKAGE)
        if where.parts[0] == package:
            continue
        for node in ast.walk(_tree(path)):
            if isinstance(node, ast.Attribute) and node.attr in private:
                reads.append(f"{where}:{node.lineno} .{node.attr}")
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                    f"rnnkit.{package}"):
                reads += [f"{where}:{node.lineno} imports {alias.name}"
                          for alias in node.names if alias.name.startswith("_")]
    assert not reads
