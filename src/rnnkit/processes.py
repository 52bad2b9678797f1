"""Work shared out to other processes (``n_jobs``): how many, and how they are started.

A process started by ``fork`` copies its parent's threads' locks, PyTorch's among them, and
can hang on one that was held at that moment; rnnkit's pools start theirs by ``forkserver``
(or ``spawn`` where that does not exist), so each imports what it needs afresh. The count
follows the cores this process may use (:func:`rnnkit.threads.available_cores`: its CPU
affinity and cgroup quota), not every core of the machine.

>>> process_count(None), process_count(3)
(1, 3)
>>> process_count(-1) >= 1
True
"""

from __future__ import annotations

import multiprocessing
from concurrent import futures

from rnnkit.threads import available_cores

__all__ = ["process_count", "process_pool"]


def process_count(n_jobs: int | None) -> int:
    """Processes for ``n_jobs`` (checked by :class:`~rnnkit.validation.Jobs`): None is 1, -1
    one per available core."""
    if not n_jobs:
        return 1
    return available_cores() if n_jobs == -1 else int(n_jobs)


def process_pool(processes: int) -> futures.ProcessPoolExecutor:
    """A pool of ``processes`` started without ``fork`` (see the module's note)."""
    methods = multiprocessing.get_all_start_methods()
    method = "forkserver" if "forkserver" in methods else "spawn"
    # looked up when called, so that a test can count the pools
    return futures.ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context(method))
