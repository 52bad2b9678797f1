"""The output rule of every text classifier, once: a network for two classes emits one
logit (the second class's), turned into ``[1 - σ(z), σ(z)]``; one for more classes emits a
logit per class, turned into probabilities by a softmax. NumPy here (for onnxruntime and the
explainer, which run without torch), and the same in torch for the classifier itself.

>>> probabilities(np.array([[0.0], [100.0]])).tolist()
[[0.5, 0.5], [0.0, 1.0]]
>>> probabilities(np.zeros((1, 4))).tolist()
[[0.25, 0.25, 0.25, 0.25]]
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["probabilities", "torch_probabilities"]


def probabilities(logits: np.ndarray) -> np.ndarray:
    """Class probabilities ``(n, classes)`` from a network's outputs ``(n, 1 or classes)``."""
    if logits.shape[1] == 1:
        p1 = 1 / (1 + np.exp(-logits))
        return np.hstack([1 - p1, p1])
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def torch_probabilities(logits: Any) -> Any:
    """:func:`probabilities` of a torch tensor, in torch (on the network's device)."""
    import torch

    if logits.shape[1] == 1:
        p1 = torch.sigmoid(logits)
        return torch.cat([1 - p1, p1], dim=1)
    return torch.softmax(logits, dim=1)
