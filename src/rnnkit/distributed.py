"""Data-parallel training on PyTorch's own engine: ``torch.distributed`` launched by
``torchrun`` (gloo on CPUs, NCCL on GPUs), with ``DistributedDataParallel`` averaging the
gradients.

Every rank holds the data, draws the same global batches (the shuffling generator is seeded
alike) and trains on its share of each; the loss of a share is weighted by its size, so the
averaged gradient is the one of the whole batch and 2 ranks follow 1 process's losses
(dropout aside, whose random masks differ by rank). Validation, early stopping and the
learning-rate schedule see the same numbers on every rank, so they agree. Only rank 0 prints
and writes files.

>>> shard(torch.arange(5), rank=1, world=2)  # rank 1's share of a batch of 5
(tensor([3, 4]), 0.8)
>>> shard(torch.arange(1), rank=1, world=2)  # nothing left: one sample, weighing nothing
(tensor([0]), 0.0)
"""

from __future__ import annotations

import os
from typing import Any

import torch

__all__ = ["all_sum", "init_from_env", "is_main", "shard", "world", "wrap"]


def init_from_env() -> bool:
    """Join the process group ``torchrun`` describes in the environment (``WORLD_SIZE`` > 1),
    once; True when this process is one rank of several."""
    import torch.distributed as dist

    if int(os.environ.get("WORLD_SIZE", "1")) <= 1 or not dist.is_available():
        return False
    if not dist.is_initialized():
        cuda = torch.cuda.is_available()
        if cuda:
            torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
        dist.init_process_group("nccl" if cuda else "gloo")
    return True


def world() -> tuple[int, int]:
    """``(rank, number of ranks)``: ``(0, 1)`` outside a distributed run."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return int(os.environ.get("RANK", "0")), 1


def is_main() -> bool:
    """Whether this process prints and writes files: rank 0 (or the only process)."""
    return int(os.environ.get("RANK", "0")) == 0 and world()[0] == 0


def shard(batch: torch.Tensor, rank: int, world: int) -> tuple[torch.Tensor, float]:
    """This rank's contiguous share of a global batch of sample indices, and the weight of
    its mean loss (its share of the batch, times the ranks, which the gradient average
    divides by). A rank left without samples gets one sample of weight 0: every rank must
    take part in each gradient average."""
    part = batch.tensor_split(world)[rank]
    if len(part) == 0:
        return batch[:1], 0.0
    return part, len(part) * world / len(batch)


def wrap(model: torch.nn.Module) -> Any:
    """``model`` under ``DistributedDataParallel`` (which also gives every rank rank 0's
    starting weights)."""
    from torch.nn.parallel import DistributedDataParallel

    device = next(model.parameters()).device
    return DistributedDataParallel(model, device_ids=[device] if device.type == "cuda" else None)


def all_sum(value: float) -> float:
    """``value`` summed over the ranks."""
    import torch.distributed as dist

    tensor = torch.tensor([value], dtype=torch.float64)
    if dist.get_backend() == "nccl":
        tensor = tensor.cuda()
    dist.all_reduce(tensor)
    return float(tensor.item())
