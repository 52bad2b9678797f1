"""Texts and labels as a classifier takes them: checked texts, classes learned from the
labels (sorted), labels as class indices, and a stratified validation split.

>>> classes, y = learn_classes(["pos", "neg", "pos"], 3)
>>> classes, y.tolist()
(['neg', 'pos'], [1, 0, 1])
>>> label_indices(classes, ["neg"], 1).tolist()
[0]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from rnnkit.errors import RnnkitError

__all__ = ["check_texts", "label_indices", "learn_classes", "plain", "stratified_split"]


def check_texts(texts: Any, name: str = "texts") -> list[str]:
    """``texts`` as a list of non-empty strings; an error naming the first that is not."""
    if isinstance(texts, str) or not hasattr(texts, "__len__"):
        raise RnnkitError(f"`{name}` must be a list of strings; got {type(texts).__name__}.")
    out = list(texts)
    if not out:
        raise RnnkitError(f"`{name}` is empty; pass at least one text.")
    for i, text in enumerate(out):
        if not isinstance(text, str):
            what = "missing" if text is None or (isinstance(text, float) and np.isnan(text)) \
                else f"a {type(text).__name__}, not a string"
            raise RnnkitError(f"text {i} of `{name}` is {what}; every text must be a string.")
        if not text.strip():
            raise RnnkitError(f"text {i} of `{name}` is empty; remove it or give it content.")
    return out


def learn_classes(labels: Any, n: int) -> tuple[list[Any], np.ndarray]:
    """The classes of ``labels`` (one per text of ``n``; sorted) and each label's index, or
    an error naming what is wrong with them."""
    labels = list(labels)
    if len(labels) != n:
        raise RnnkitError(f"`labels` must have one label per text; got {len(labels)} labels "
                          f"for {n} texts.")
    missing = [i for i, v in enumerate(labels) if v is None or (
        isinstance(v, float) and np.isnan(v))]
    if missing:
        raise RnnkitError(f"`labels` has missing values at text {missing[0]}"
                          + (f" and {len(missing) - 1} more" if len(missing) > 1 else "")
                          + "; every text needs a label.")
    values = [plain(v) for v in labels]
    kinds = {type(v) for v in values}
    if len(kinds) > 1:
        raise RnnkitError("`labels` mixes types (e.g. strings and numbers); use one type.")
    classes = sorted(set(values))
    if len(classes) < 2:
        raise RnnkitError(f"`labels` has a single class ({classes[0]!r}); a classifier "
                          "needs at least two.")
    if len(classes) > 20 and len(classes) > n / 2:
        raise RnnkitError(f"`labels` has {len(classes):,} different values for {n:,} "
                          "texts; a classifier needs several texts per class. Is the "
                          "label column the right one?")
    lookup = {c: i for i, c in enumerate(classes)}
    return classes, np.array([lookup[v] for v in values], dtype=np.int64)


def label_indices(classes: Sequence[Any], labels: Any, n: int, name: str = "labels"
                  ) -> np.ndarray:
    """Each of ``labels`` (one per text of ``n``) as its index in ``classes``; an error
    naming a label never seen in training."""
    labels = list(labels)
    if len(labels) != n:
        raise RnnkitError(f"`{name}` must have one label per text; got {len(labels)} labels "
                          f"for {n} texts.")
    lookup = {c: i for i, c in enumerate(classes)}
    out = np.empty(n, dtype=np.int64)
    for i, label in enumerate(labels):
        key = plain(label)
        if key not in lookup:
            known = ", ".join(map(str, classes))
            raise RnnkitError(f"label {label!r} (text {i}) was never seen in training; "
                              f"known labels: {known}.")
        out[i] = lookup[key]
    return out


def stratified_split(y: Sequence[Any], fraction: float, seed: int = 0
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Indices ``(keep, held_out)`` with about ``fraction`` of each class held out (at least one
    per class with two or more members), shuffled by ``seed``, each returned in sorted order.

    >>> labels = ["a"] * 8 + ["b"] * 2
    >>> keep, held = stratified_split(labels, 0.25)
    >>> sorted(labels[i] for i in held), len(keep)
    (['a', 'a', 'b'], 7)
    """
    y = np.asarray(y)
    rng = np.random.default_rng(seed)
    keep, held = [], []
    for c in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == c))
        k = round(len(idx) * fraction)
        k = min(max(k, 1), len(idx) - 1) if len(idx) > 1 else 0
        held.append(idx[:k])
        keep.append(idx[k:])
    return np.sort(np.concatenate(keep)), np.sort(np.concatenate(held))


def plain(value: Any) -> Any:
    """NumPy scalars to Python values, so labels compare and serialise predictably."""
    return value.item() if isinstance(value, np.generic) else value
