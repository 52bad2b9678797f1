"""Argument validation from constraint tables.

Estimators declare ``_parameter_constraints = {"window": PositiveInt(), ...}`` and call
:func:`validate_params` in ``fit``. Messages follow one shape:
"`{name}` must be {allowed}; got {value!r}."

>>> PositiveInt().check("window", 12)
12
>>> PositiveInt().check("window", 0)
Traceback (most recent call last):
...
rnnkit.errors.RnnkitError: `window` must be a positive integer; got 0.
>>> IntList().check("units", "64,32")
(64, 32)
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from rnnkit.errors import RnnkitError

__all__ = [
    "Boolean",
    "Choice",
    "Choices",
    "Constraint",
    "IntList",
    "Number",
    "Optional",
    "OrAuto",
    "PathLike",
    "PositiveInt",
    "TokenPattern",
    "TransformSpec",
    "validate_params",
]


def _fail(name: str, allowed: str, value: Any, hint: str = "") -> RnnkitError:
    message = f"`{name}` must be {allowed}; got {value!r}."
    return RnnkitError(f"{message} {hint}".rstrip())


class Constraint:
    """A rule for one argument; ``check`` returns the normalised value or raises."""

    description = "valid"

    def check(self, name: str, value: Any) -> Any:  # pragma: no cover - interface
        raise NotImplementedError


@dataclass(frozen=True)
class PositiveInt(Constraint):
    """An integer ``>= minimum`` and, when given, ``<= maximum`` (booleans are refused:
    ``True`` is not a window length)."""

    minimum: int = 1
    maximum: int | None = None

    @property
    def description(self) -> str:
        low = "a positive integer" if self.minimum == 1 else f"an integer >= {self.minimum}"
        return low if self.maximum is None else f"{low} and <= {self.maximum:,}"

    def check(self, name: str, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise _fail(name, self.description, value)
        if value < self.minimum or (self.maximum is not None and value > self.maximum):
            raise _fail(name, self.description, value)
        return int(value)


@dataclass(frozen=True)
class Jobs(Constraint):
    """A count of processes, as scikit-learn's ``n_jobs``: a positive integer, or -1 for one
    per core.

    >>> Jobs().check("n_jobs", -1), Jobs().check("n_jobs", 2)
    (-1, 2)
    """

    maximum: int = 4096

    @property
    def description(self) -> str:
        return f"a positive integer up to {self.maximum:,}, or -1 (one per core)"

    def check(self, name: str, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or not (
                value == -1 or 1 <= value <= self.maximum):
            raise _fail(name, self.description, value)
        return int(value)


@dataclass(frozen=True)
class Number(Constraint):
    """A finite real number in ``[low, high]`` (or an open end where ``*_open``)."""

    low: float = -math.inf
    high: float = math.inf
    low_open: bool = False
    high_open: bool = False

    @property
    def description(self) -> str:
        if self.low == -math.inf and self.high == math.inf:
            return "a finite number"
        if self.high == math.inf:
            return f"a number {'>' if self.low_open else '>='} {self.low:g}"
        left = "(" if self.low_open else "["
        right = ")" if self.high_open else "]"
        return f"a number in {left}{self.low:g}, {self.high:g}{right}"

    def check(self, name: str, value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise _fail(name, self.description, value)
        v = float(value)
        too_low = v <= self.low if self.low_open else v < self.low
        too_high = v >= self.high if self.high_open else v > self.high
        if not math.isfinite(v) or too_low or too_high:
            raise _fail(name, self.description, value)
        return v


@dataclass(frozen=True)
class Choice(Constraint):
    """One of a fixed set of strings (compared case-insensitively, returned lower-case)."""

    options: tuple[str, ...]

    @property
    def description(self) -> str:
        return "one of " + ", ".join(repr(o) for o in self.options)

    def check(self, name: str, value: Any) -> str:
        if isinstance(value, str) and value.lower() in self.options:
            return value.lower()
        raise _fail(name, self.description, value)


@dataclass(frozen=True)
class Choices(Constraint):
    """One or more of a fixed set of strings, joined by commas, each once (returned
    normalised: lower-case, no spaces).

    >>> Choices(("max", "mean", "last")).check("pooling", "Max, mean")
    'max,mean'
    """

    options: tuple[str, ...]

    @property
    def description(self) -> str:
        return ("one or more of " + ", ".join(repr(o) for o in self.options)
                + " joined by commas (e.g. " + repr(",".join(self.options[:2])) + ")")

    def check(self, name: str, value: Any) -> str:
        if isinstance(value, str):
            parts = [p.strip().lower() for p in value.split(",") if p.strip()]
            if parts and all(p in self.options for p in parts) and len(set(parts)) == len(parts):
                return ",".join(parts)
        raise _fail(name, self.description, value)


@dataclass(frozen=True)
class Boolean(Constraint):
    """``True`` or ``False``."""

    description = "True or False"

    def check(self, name: str, value: Any) -> bool:
        if isinstance(value, bool):
            return value
        raise _fail(name, self.description, value)


@dataclass(frozen=True)
class IntList(Constraint):
    """Positive integers given as an int, a sequence or a comma-separated string.

    ``allow_empty`` admits ``()`` / ``""`` / ``None`` (for example "no hidden dense layers").
    """

    allow_empty: bool = False
    example: str = "64 or [64, 32]"
    maximum: int | None = None  # of each integer
    max_items: int | None = None

    @property
    def description(self) -> str:
        base = f"a positive integer or a list of positive integers (e.g. {self.example})"
        if self.maximum is not None:
            base += f", each <= {self.maximum:,}"
        if self.max_items is not None:
            base += f", at most {self.max_items} of them"
        return base + (", or empty" if self.allow_empty else "")

    def check(self, name: str, value: Any) -> tuple[int, ...]:
        items: Iterable[Any]
        if value is None or (isinstance(value, str) and not value.strip()):
            items = ()
        elif isinstance(value, str):
            items = [p.strip() for p in value.split(",")]
        elif isinstance(value, numbers.Integral) and not isinstance(value, bool):
            items = [value]
        elif isinstance(value, list | tuple):
            items = value
        else:
            raise _fail(name, self.description, value)
        out: list[int] = []
        for item in items:
            if isinstance(item, str) and item.lstrip("-").isdigit():
                item = int(item)
            if (isinstance(item, bool) or not isinstance(item, numbers.Integral) or item < 1
                    or (self.maximum is not None and item > self.maximum)):
                raise _fail(name, self.description, value)
            out.append(int(item))
            if self.max_items is not None and len(out) > self.max_items:
                raise _fail(name, self.description, value)
        if not out and not self.allow_empty:
            raise _fail(name, self.description, value)
        return tuple(out)


@dataclass(frozen=True)
class FractionOrCount(Constraint):
    """A fraction in ``[0, 1)`` or a whole count ``>= 1`` (e.g. the last 18 points).

    >>> FractionOrCount().check("validation", 0.2), FractionOrCount().check("validation", 18.0)
    (0.2, 18)
    """

    description = "a fraction in [0, 1) or a whole number of points >= 1"

    def check(self, name: str, value: Any) -> float | int:
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise _fail(name, self.description, value)
        # 18.0 (from a command line parsed as float) is the count 18, not a bad fraction
        if float(value) >= 1 and float(value).is_integer():
            return int(value)
        if not math.isfinite(float(value)) or not 0 <= float(value) < 1:
            raise _fail(name, self.description, value)
        return float(value)


@dataclass(frozen=True)
class Optional(Constraint):
    """``None`` or whatever ``inner`` allows."""

    inner: Constraint

    @property
    def description(self) -> str:
        return f"None or {self.inner.description}"

    def check(self, name: str, value: Any) -> Any:
        if value is None:
            return None
        try:
            return self.inner.check(name, value)
        except RnnkitError:
            raise _fail(name, self.description, value) from None


@dataclass(frozen=True)
class PathLike(Constraint):
    """A non-empty path (a string or ``os.PathLike``), returned as a string."""

    description = "a path"

    def check(self, name: str, value: Any) -> str:
        import os

        if isinstance(value, str | os.PathLike) and str(value).strip():
            return str(value)
        raise _fail(name, self.description, value)


class TransformSpec(Constraint):
    """A target transform chain such as ``"log,diff12"``, ``"auto"``, ``"auto,es"`` or
    ``"none"`` (``None`` is ``"auto"``); returned as given. A bare ``stl``/``es`` takes its
    period from the data later, so only its form is checked here.

    >>> TransformSpec().check("transform", "auto,es")
    'auto,es'
    """

    description = "a transform chain like 'log', 'log,diff12', 'auto' or 'none'"

    def check(self, name: str, value: Any) -> Any:
        if value is None:
            return value
        if not isinstance(value, str):
            raise _fail(name, self.description, value)
        from rnnkit.data.transforms import TransformChain

        head, _, rest = value.strip().lower().partition(",")
        TransformChain.parse(rest if head == "auto" else value, season_length=2)
        return value


@dataclass(frozen=True)
class OrAuto(Constraint):
    """``"auto"`` (decided from the data by ``fit``) or whatever ``inner`` allows.

    >>> OrAuto(PositiveInt()).check("maxlen", "auto"), OrAuto(PositiveInt()).check("maxlen", 5)
    ('auto', 5)
    """

    inner: Constraint

    @property
    def description(self) -> str:
        return f"'auto' or {self.inner.description}"

    def check(self, name: str, value: Any) -> Any:
        if isinstance(value, str) and value.lower() == "auto":
            return "auto"
        try:
            return self.inner.check(name, value)
        except RnnkitError:
            raise _fail(name, self.description, value) from None


_LOOPS = ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT")
_REFUSED = ("GROUPREF", "GROUPREF_EXISTS", "GROUPREF_IGNORE", "GROUPREF_LOC_IGNORE",
            "GROUPREF_UNI_IGNORE", "ASSERT", "ASSERT_NOT")


def _backtracking_risk(items: Any, in_loop: bool = False) -> str | None:
    """Why the parsed pattern ``items`` may backtrack exponentially, or None."""
    for op, arg in items:
        kind = str(op)
        if kind in _REFUSED:
            return "back-references and look-arounds are not allowed"
        if kind in _LOOPS:
            _, high, sub = arg
            loops = high > 1
            if loops and in_loop:
                return "a repeated part may not hold another repetition, as in (a+)+"
            reason = _backtracking_risk(sub, in_loop or loops)
        elif kind == "BRANCH":
            if in_loop:
                return ("a repeated part may not hold alternatives, as in (a|ab)+; use a "
                        "character class such as [a-z']+")
            reason = next(filter(None, (_backtracking_risk(b, in_loop) for b in arg[1])), None)
        elif kind == "SUBPATTERN":
            reason = _backtracking_risk(arg[-1], in_loop)
        elif kind == "ATOMIC_GROUP":
            reason = _backtracking_risk(arg, in_loop)
        else:
            reason = None
        if reason:
            return reason
    return None


@dataclass(frozen=True)
class TokenPattern(Constraint):
    """A regular expression for tokens that cannot backtrack catastrophically: no repetition
    inside a repetition, no alternatives inside a repetition, no back-references or
    look-arounds, at most ``max_length`` characters. Each match then costs time linear in the
    text (up to a small power for adjacent repetitions), so a saved model's pattern cannot
    make one prediction run for minutes.

    >>> TokenPattern().check("token_pattern", r"[a-z']+")
    "[a-z']+"
    >>> TokenPattern().check("token_pattern", r"(a+)+$")
    Traceback (most recent call last):
    ...
    rnnkit.errors.RnnkitError: `token_pattern` must be a regular expression that cannot \
backtrack catastrophically; got '(a+)+$'. A repeated part may not hold another \
repetition, as in (a+)+.
    """

    max_length: int = 1000
    allow_none: bool = False  # None: no pattern (the caller's default tokenizer)
    description = "a regular expression that cannot backtrack catastrophically"

    def check(self, name: str, value: Any) -> str | None:
        import re
        import re._parser as sre_parse  # the parser re.compile uses; stable since 3.11

        if value is None and self.allow_none:
            return None
        if not isinstance(value, str) or not value or len(value) > self.max_length:
            raise _fail(name, f"a non-empty regular expression of at most {self.max_length} "
                              "characters", value)
        try:
            re.compile(value)
            parsed = sre_parse.parse(value)
        except (re.error, RecursionError, OverflowError) as exc:
            raise _fail(name, "a valid regular expression", value, f"({exc}).") from None
        reason = _backtracking_risk(parsed)
        if reason:
            raise _fail(name, self.description, value, reason[0].upper() + reason[1:] + ".")
        return value


def validate_params(constraints: Mapping[str, Constraint], params: Mapping[str, Any]) -> dict:
    """Check every parameter against its constraint and return the normalised values.

    >>> validate_params({"epochs": PositiveInt()}, {"epochs": 5})
    {'epochs': 5}
    """
    return {name: constraints[name].check(name, value) for name, value in params.items()
            if name in constraints} | {n: v for n, v in params.items() if n not in constraints}
