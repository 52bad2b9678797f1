"""The forecaster's networks as one predictor: each reads its own window length (the latest
steps of the longest window), and the forecast is the median of theirs. Every network stays
a complete :class:`~rnnkit.models.network.RecurrentNetwork`; this object only combines them.

>>> member_windows((12, 24), ensemble=2)
[12, 12, 24, 24]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

import numpy as np

from rnnkit.forecasting.pipeline import normalize_windows

__all__ = ["WindowEnsemble", "as_module", "member_windows"]

# windows per network call: bounds the memory of one call whatever the number of series
CHUNK = 4096


def member_windows(windows: Sequence[int], ensemble: int) -> list[int]:
    """The window each network of the ensemble reads, in training order: ``ensemble`` seeds
    per window length."""
    return [w for w in windows for _ in range(int(ensemble))]


def as_module(members: list[Any]) -> Any:
    """What is saved as the model's weights: the one network, or the median ensemble module
    of several (its parameter names are those of every saved model so far)."""
    from rnnkit.models.network import MedianEnsemble

    return members[0] if len(members) == 1 else MedianEnsemble(members).eval()


@dataclass(frozen=True)
class WindowEnsemble:
    """Networks and the window length each reads; ``threads_for(config, batch)`` is the
    thread policy (a context) the estimator runs them under."""

    networks: Sequence[Any]
    windows: Sequence[int]
    normalize: str | None
    threads_for: Callable[[Any, int], AbstractContextManager[Any]]

    @classmethod
    def of(cls, module: Any, windows: Sequence[int], normalize: str | None,
           threads_for: Callable[[Any, int], AbstractContextManager[Any]]) -> WindowEnsemble:
        """The ensemble of a saved module (one network or a median ensemble of several)."""
        networks = list(getattr(module, "members", [module]))
        return cls(networks, list(windows), None if normalize in (None, "none") else normalize,
                   threads_for)

    def predict(self, windows: np.ndarray) -> np.ndarray:
        """Forecasts ``(S, horizon)`` in model space for windows ``(S, window, C)`` (the
        longest window; each network reads its own latest steps)."""
        from rnnkit.models.network import combine_members

        outs = [self._member(net, windows[:, -w:])
                for net, w in zip(self.networks, self.windows, strict=True)]
        return outs[0] if len(outs) == 1 else combine_members(np.stack(outs))

    def _member(self, network: Any, windows: np.ndarray) -> np.ndarray:
        import torch

        windows, level = normalize_windows(windows, self.normalize)
        device = next(network.parameters()).device
        if network.training:  # eval() walks every submodule: a tenth of a small step's time
            network.eval()
        outs = []
        with torch.inference_mode(), self.threads_for(network.config, min(len(windows), CHUNK)):
            for start in range(0, len(windows), CHUNK):
                x = torch.as_tensor(windows[start:start + CHUNK], dtype=torch.float32,
                                    device=device)
                outs.append(network(x).cpu().numpy().astype(np.float64))
        out = np.concatenate(outs) if outs else np.zeros((0, network.config.output_size))
        return out + level[:, None]
