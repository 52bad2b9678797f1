"""Training windows cut when a batch asks for them, not all up front.

Every series' inputs (transformed, scaled, padded in front for a global model) lie once in
one array; a window is only where it starts. A batch gathers its windows, takes the steps a
network reads and normalises them by their level, in float64, then hands float32 tensors to
training: the very numbers that cutting every window first gave, at the memory of the series
rather than of the windows (a week-long window of hours repeats each value 168 times).

>>> import numpy as np
>>> values = np.arange(10.0)[:, None]
>>> sampler = WindowSampler(values, np.array([0, 4]), window=3, horizon=1, read=3,
...                         normalize="last")
>>> x, y = sampler.arrays(np.array([1]))
>>> x[0, :, 0].tolist(), y.tolist()  # values 4, 5, 6 and the next, relative to 6
([-2.0, -1.0, 0.0], [[1.0]])
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from rnnkit.data.windows import window_starts
from rnnkit.forecasting.pipeline import normalize_windows

__all__ = ["WindowSampler", "starts"]


def starts(offset: int, n: int, window: int, horizon: int, stride: int = 1,
           first_target: int = 0) -> np.ndarray:
    """Where the windows of a series of ``n`` values that begins at ``offset`` of the shared
    array start (see :func:`rnnkit.data.windows.window_starts`)."""
    return offset + window_starts(n, window, horizon, stride, first_target)


@dataclass(frozen=True)
class WindowSampler:
    """``values`` ``(T, C)``: every series' inputs, one after another; ``starts``: where each
    window begins in them; each window reads ``window`` steps and is scored on the next
    ``horizon`` values of column 0. A network reads the last ``read`` steps of each window,
    less its level (``normalize``: ``"last"``, ``"mean"`` or None)."""

    values: np.ndarray
    starts: np.ndarray
    window: int
    horizon: int
    read: int
    normalize: str | None

    def __len__(self) -> int:
        return len(self.starts)

    @property
    def channels(self) -> int:
        """Input columns: the target and the features."""
        return self.values.shape[1]

    def reading(self, read: int) -> WindowSampler:
        """The same windows for a network that reads their last ``read`` steps."""
        return replace(self, read=read)

    def arrays(self, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Inputs ``(B, read, C)`` and targets ``(B, horizon)`` of windows ``idx``, float64."""
        begin = self.starts[np.asarray(idx, dtype=np.int64)]
        x = self.values[begin[:, None] + np.arange(self.window)][:, self.window - self.read:]
        y = self.values[begin[:, None] + self.window + np.arange(self.horizon), 0]
        x, level = normalize_windows(x, self.normalize)
        return x, y - level[:, None]

    def __getitem__(self, idx: Any) -> list[Any]:
        """The batch ``idx`` (indices, a tensor or an array) as training takes it: float32
        tensors of inputs and targets."""
        import torch

        x, y = self.arrays(idx.numpy() if hasattr(idx, "numpy") else idx)
        return [torch.as_tensor(x, dtype=torch.float32), torch.as_tensor(y, dtype=torch.float32)]
