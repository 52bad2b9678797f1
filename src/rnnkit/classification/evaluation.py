"""What evaluating a text classifier returns."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

__all__ = ["TextEvaluation"]


@dataclass
class TextEvaluation:
    """What :meth:`TextClassifier.evaluate` found: ``metrics`` (the model and the majority-class
    baseline), the ``confusion`` matrix (rows true, columns predicted) and a ``verdict``."""

    metrics: pd.DataFrame
    confusion: pd.DataFrame
    verdict: str

    def __str__(self) -> str:
        table = self.metrics.to_string(float_format=lambda v: f"{v:.4f}")
        return (f"{table}\n\nconfusion matrix (rows: true, columns: predicted)\n"
                f"{self.confusion.to_string()}\n\n{self.verdict}")

    def __repr__(self) -> str:
        return str(self)
