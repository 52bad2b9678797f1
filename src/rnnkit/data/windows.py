"""Sliding windows over a series: ``(samples, timesteps, features)`` inputs and their targets.

>>> import numpy as np
>>> x, y = make_windows(np.arange(10, 101, 10), window=3)
>>> x[0, :, 0].tolist(), y[0].tolist()
([10, 20, 30], [40])
>>> x.shape, y.shape
((7, 3, 1), (7, 1))
"""

from __future__ import annotations

import numpy as np

__all__ = ["make_windows", "window_starts"]


def window_starts(n: int, window: int, horizon: int = 1, stride: int = 1,
                  first_target: int = 0) -> np.ndarray:
    """Start indices of every window whose inputs and ``horizon`` targets fit in ``n`` steps.

    ``first_target`` drops windows whose first target comes before that index, which is how
    validation and test windows reach back into the preceding part without scoring its points.

    >>> window_starts(10, 3).tolist()
    [0, 1, 2, 3, 4, 5, 6]
    >>> window_starts(10, 3, first_target=8).tolist()
    [5, 6]
    """
    last_start = n - window - horizon
    first_start = max(0, first_target - window)
    if last_start < first_start:
        return np.zeros(0, dtype=np.int64)
    return np.arange(first_start, last_start + 1, stride, dtype=np.int64)


def make_windows(values: np.ndarray, window: int, horizon: int = 1, stride: int = 1,
                 target_columns: int | slice = 0, first_target: int = 0
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Cut ``values`` ``(T,)`` or ``(T, F)`` into inputs ``X`` and targets ``Y``.

    ``X[k] = values[s:s+window]`` ``(window, F)`` and ``Y[k] = values[s+window:s+window+horizon,
    target_columns]`` for every start ``s`` from :func:`window_starts`. Returns ``X`` ``(S,
    window, F)`` and ``Y`` ``(S, horizon)`` (``(S, horizon, targets)`` for a slice of targets).
    """
    values = np.asarray(values)
    if values.ndim == 1:
        values = values[:, None]  # (T, 1)
    starts = window_starts(len(values), window, horizon, stride, first_target)
    offsets = np.arange(window)
    x = values[starts[:, None] + offsets]  # (S, window, F)
    targets = starts[:, None] + window + np.arange(horizon)  # (S, horizon)
    y = values[targets][..., target_columns]  # (S, horizon) or (S, horizon, k)
    return x, y
