"""Datasets: ``airline()`` (bundled), ``taylor()`` (half-hourly, from pmdarima), ``imdb()``
and ``imdb_unlabeled()`` (official archive), ``load_texts()``.

>>> from rnnkit import datasets
>>> datasets.airline().name
'passengers'
"""

from rnnkit.data.datasets import airline, taylor
from rnnkit.data.text_datasets import TextDataset, cache_dir, imdb, imdb_unlabeled, load_texts

__all__ = ["TextDataset", "airline", "cache_dir", "imdb", "imdb_unlabeled", "load_texts",
           "taylor"]
