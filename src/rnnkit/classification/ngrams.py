"""The bag of n-grams beside the recurrent network: how it starts (naive Bayes) and how much
of the output it gets (its share with the least validation loss)."""

from __future__ import annotations

from typing import Any

import numpy as np

from rnnkit.data.text import RaggedIds

__all__ = ["NGRAM_LR_SCALE", "NGRAM_NB_SCALE", "best_share",
           "naive_bayes_start"]

# The bag of n-grams starts from naive Bayes (NBSVM's log-count ratios, times NGRAM_NB_SCALE)
# and learns at NGRAM_LR_SCALE × the learning rate: each n-gram is in few batches and weighs
# 1/sqrt(n-grams of its text). Chosen on 5,000 IMDB validation reviews (bag alone, 6 epochs,
# benchmarks/RESULTS.md): from zeros 0.903 at 25× (0.866 at 5×); from naive Bayes
# (0.870 untrained) 0.910 at scale 1 and 5×, 0.907 at scale 0.5 and 2×, 5× or 10×.
NGRAM_LR_SCALE = 5.0
NGRAM_NB_SCALE = 1.0


def naive_bayes_start(network: Any, ids: RaggedIds, y: np.ndarray, n_classes: int) -> None:
    """Set the bag's weights to naive Bayes log-count ratios of its n-grams (as NBSVM weighs
    its features), times :data:`NGRAM_NB_SCALE`: a linear model that is right from the start,
    which training then refines. Per output: the class against the rest (for two classes,
    the second against the first); counts are of texts holding the n-gram, plus one."""
    import torch

    rows = network.bag.num_embeddings
    outputs = [1] if n_classes == 2 else list(range(n_classes))
    present = np.zeros((n_classes, rows), dtype=np.float32)  # as large as the bag itself
    network.eval()
    with torch.no_grad():
        for start in range(0, len(ids), 512):
            part = np.arange(start, min(start + 512, len(ids)))
            grams = network.ngram_ids(ids[part].to(network.bag.weight.device)).cpu().numpy()
            for c in range(n_classes):
                chosen = grams[y[part] == c]
                present[c] += np.bincount(chosen[chosen != 0], minlength=rows)
    ratios = np.empty((rows, len(outputs)))
    for column, c in enumerate(outputs):  # counts are whole numbers: exact in float32
        p = present[c].astype(np.float64) + 1
        q = np.delete(present, c, axis=0).sum(axis=0, dtype=np.float64) + 1
        ratios[:, column] = np.log(p / p.sum()) - np.log(q / q.sum())
    ratios[0] = 0  # padding
    with torch.no_grad():
        network.bag.weight.copy_(torch.as_tensor(NGRAM_NB_SCALE * ratios,
                                                 dtype=network.bag.weight.dtype))


def best_share(network: Any, loss_fn: Any, ids: RaggedIds, target: Any) -> float:
    """The bag's share of the output, from 0 to 1 in tenths, with the least loss on the
    validation texts ``ids``."""
    import torch

    from rnnkit.data.batches import length_batches

    network.eval()
    parts: list[list[Any]] = [[], []]
    batches = length_batches(ids.lengths.numpy(), 1024)  # long texts: fewer at a time
    with torch.no_grad():
        for idx in batches:
            x = ids[idx].to(network.bag.weight.device)
            for kept, out in zip(parts, network.branch_outputs(x), strict=True):
                kept.append(out.cpu())
    back = np.argsort(np.concatenate(batches))  # the texts' order, as `target` has them
    recurrent, bag = (torch.cat(p)[back] for p in parts)
    shares = [i / 10 for i in range(11)]
    losses = [float(loss_fn(torch.lerp(recurrent, bag, w), target)) for w in shares]
    return shares[int(np.argmin(losses))]
