"""How a series is divided: the test part a user holds out, then the validation part ``fit``
holds out at the end of what it is given, then the training part.

>>> plan = plan_split(115, window=12, horizon=1, validation=0.2, test=29)
>>> plan.train, plan.validation, plan.test
(92, 23, 29)
>>> print(plan)
train 92, validation 23, test 29
"""

from __future__ import annotations

from dataclasses import dataclass

from rnnkit.errors import RnnkitError
from rnnkit.validation import FractionOrCount

__all__ = ["SplitPlan", "holdout_size", "plan_global_split", "plan_split", "validation_size"]


@dataclass(frozen=True)
class SplitPlan:
    """The chronological parts of one series, in values: ``train`` then ``validation`` (the
    data given to ``fit``), then ``test`` (held out before ``fit``); ``lost`` of the first
    training values only feed the transform's lags (differencing), and ``transform`` is the
    chain chosen for the series."""

    train: int
    validation: int
    test: int = 0
    lost: int = 0
    transform: str = "none"

    @property
    def fitted(self) -> int:
        """Values ``fit`` is given: the training and validation parts."""
        return self.train + self.validation

    def __str__(self) -> str:
        return f"train {self.train}, validation {self.validation}, test {self.test}"


def validation_size(n: int, validation: float | int) -> int:
    """Points of ``n`` held out for validation: a fraction (rounded) or a count.

    >>> validation_size(100, 0.2), validation_size(100, 18), validation_size(100, 0)
    (20, 18, 0)
    """
    if isinstance(validation, int) and validation >= 1:
        return min(validation, n)
    return round(n * validation) if validation > 0 else 0


def holdout_size(n: int, test: float | int) -> int:
    """Points held out for testing: a fraction of ``n`` (rounded) or a count.

    >>> holdout_size(144, 0.2), holdout_size(144, 24)
    (29, 24)
    """
    allowed = "a fraction in (0, 1) or a whole number of points >= 1"
    try:
        checked = FractionOrCount().check("test", test)
    except RnnkitError:
        checked = 0
    if checked == 0:  # unlike a validation part, a test part cannot be empty
        raise RnnkitError(f"`test` must be {allowed}; got {test!r}.")
    test = checked
    size = test if isinstance(test, int) else round(n * test)
    if size < 1 or size >= n:
        raise RnnkitError(f"`test` must leave at least one point on each side of the split; "
                          f"got test={test!r} for {n} points.")
    return size


def plan_split(n: int, window: int, horizon: int, validation: float | int, test: int = 0,
               lost: int = 0, transform: str = "none") -> SplitPlan:
    """The parts of a series of ``n`` values given to ``fit`` (``test`` more were held out
    before), or a clear error when it is too short for a training and a validation window."""
    n_val = validation_size(n, validation)
    n_train = n - n_val
    w, h = window, horizon
    if n_val and n_val < h and n_train >= lost + w + h:
        part = (f"{validation:g} of {n} values = {n_val}"
                if isinstance(validation, float) else f"{n_val} values")
        raise RnnkitError(
            f"the validation part ({part}) is shorter than `horizon`={h}, so no validation "
            f"window fits. Raise `validation` to at least {h / n:.2f} (or {h} points), "
            "shorten `horizon`, or set validation=0.")
    if n_train < lost + w + h or (n_val and n_val < h):
        need = lost + w + h + (max(h, 1) if validation > 0 else 0)
        test_text = f" + test {test}" if test else ""
        lost_text = f" + {lost} lost to the transform" if lost else ""
        raise RnnkitError(
            f"the series is too short: {n + test} values, but window {w} + horizon {h}"
            f"{lost_text} + validation{test_text} needs more (the training part has "
            f"{n_train} values, at least {lost + w + h} are needed, about {need + test} in "
            "all). Use a shorter `window`, a smaller `validation` or `test`, or more data.")
    return SplitPlan(n_train, n_val, test, lost, transform)


def plan_global_split(n: int, window: int, horizon: int, validation: float | int,
                      lost: int = 0, transform: str = "none") -> SplitPlan:
    """The parts of one series of a global model, whose shortest ``window`` is given. Short
    series are welcome: one too short for a validation window trains on all of it, and one
    too short for a training window only needs enough values to be forecast (the network
    learned from the others)."""
    w, h = window, horizon
    if n < lost + w:
        raise RnnkitError(f"needs at least window {w}" + (f" + {lost} lost to the "
                          f"transform" if lost else "") + f" = {lost + w} values to be "
                          f"forecast; it has {n}. Use a shorter `window` or drop it.")
    n_train = n - validation_size(n, validation)
    if n_train == n or n - n_train < h or n_train < lost + w + h:
        n_train = n
    return SplitPlan(n_train, n - n_train, 0, lost, transform)
