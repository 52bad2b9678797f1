"""Batches for predicting sequences of varying length: texts of similar length together, so
a batch is little padding, and long ones in smaller batches, so that memory stays bounded.
Torch-free: the PyTorch and the onnxruntime predictors cut their batches alike.

>>> [b.tolist() for b in length_batches(np.array([5, 1, 4, 2, 3, 6]), 4, max_tokens=8)]
[[1, 3], [4, 2], [0], [5]]
"""

from __future__ import annotations

import numpy as np

__all__ = ["PREDICT_TOKENS", "length_batches"]

# Padded tokens in one batch that only predicts: whole reviews by the thousand would need
# gigabytes for the recurrent layers' input projections (1,024 texts of 2,470 words through
# a BiLSTM(128): about 10 GB); 2**18 tokens keep that near 1 GB and short texts in batches
# of the full size.
PREDICT_TOKENS = 2**18


def length_batches(lengths: np.ndarray, batch_size: int,
                   max_tokens: int | None = None) -> list[np.ndarray]:
    """Sample indices in order of length, cut into batches of at most ``batch_size`` samples
    and ``max_tokens`` padded tokens (default :data:`PREDICT_TOKENS`; a longer sample goes
    alone), for evaluation and prediction, whose answers do not depend on the batch."""
    max_tokens = PREDICT_TOKENS if max_tokens is None else max_tokens
    order = np.argsort(np.asarray(lengths), kind="stable")
    ordered = np.asarray(lengths)[order].tolist()
    batches, start = [], 0
    while start < len(ordered):
        end = start + 1
        while (end < len(ordered) and end - start < batch_size
               and (end + 1 - start) * ordered[end] <= max_tokens):
            end += 1
        batches.append(order[start:end])
        start = end
    return batches
