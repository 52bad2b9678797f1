"""The errors rnnkit raises for user mistakes.

Every user-facing problem is an :class:`RnnkitError` (a ``ValueError``), so callers can catch one
type and the CLI can print the message without a traceback.

>>> issubclass(NotFittedError, RnnkitError)
True
"""

from __future__ import annotations

__all__ = ["LimitError", "ModelFormatError", "NotFittedError", "RnnkitError"]


class RnnkitError(ValueError):
    """A bad argument, bad data or a bad model directory; the message says what is allowed."""


class NotFittedError(RnnkitError, AttributeError):
    """An estimator was used before ``fit``.

    Subclasses ``AttributeError`` too, like scikit-learn's, so ``hasattr`` checks keep working.
    """


class ModelFormatError(RnnkitError):
    """A saved-model directory is missing files, is inconsistent, or is from a newer rnnkit."""


class LimitError(RnnkitError):
    """A request asks for more work than a limit allows (:mod:`rnnkit.limits`); a server
    answers it with status 413."""
