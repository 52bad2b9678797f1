"""Datasets: ``datasets.airline()`` (bundled).

>>> from rnnkit import datasets
>>> datasets.airline().name
'passengers'
"""

from rnnkit.data.datasets import airline

__all__ = ["airline"]
