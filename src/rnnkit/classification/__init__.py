"""Text classification: :class:`TextClassifier` and the pieces it is made of.

``labels`` (texts, classes, label indices, stratified split), ``ngrams`` (the bag of
n-grams beside the network), ``pretrained`` (starting from a language model), ``evaluation``
(the report), ``presets`` (named set-ups: plain data, importable without torch or pandas)
and ``classifier`` (the estimator). Names load on first use, so importing the presets stays
instant.

>>> from rnnkit.classification.presets import PRESETS
>>> "imdb-best" in PRESETS
True
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["PRESETS", "TextClassifier", "TextEvaluation", "stratified_split"]

if TYPE_CHECKING:  # pragma: no cover
    from rnnkit.classification.classifier import TextClassifier
    from rnnkit.classification.evaluation import TextEvaluation
    from rnnkit.classification.labels import stratified_split
    from rnnkit.classification.presets import PRESETS

_LAZY = {"TextClassifier": "rnnkit.classification.classifier",
         "TextEvaluation": "rnnkit.classification.evaluation",
         "stratified_split": "rnnkit.classification.labels",
         "PRESETS": "rnnkit.classification.presets"}


def __getattr__(name: str) -> Any:
    import importlib

    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'rnnkit.classification' has no attribute {name!r}")
