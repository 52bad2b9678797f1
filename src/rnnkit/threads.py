"""How many CPU threads a network gets: the thread policy.

PyTorch starts one intra-op thread per core. For the small recurrent networks rnnkit trains
that is a loss, not a gain: a step of an LSTM(8) is microseconds of arithmetic, and waking and
joining a second thread costs more than it saves. On a machine whose other cores are busy
(any shared machine, a laptop, several rnnkit processes at once) the extra threads wait for a
core each step, and training runs several times slower than with one (measured in
``benchmarks/speed.py``). So rnnkit decides:

* ``threads=N`` is used as given; else the ``RNNKIT_THREADS`` environment variable (which
  ``--threads N`` sets for a command);
* otherwise small networks get **one** thread; a network whose recurrent layers do more than
  :data:`WORK_PER_THREAD` multiply-adds per time step (the batch included) gets one thread
  per that much work, at most the cores that are idle now, where "cores" are those this
  process may use (its CPU affinity and cgroup quota) shared among the ranks of a
  ``torchrun`` job on this node (``LOCAL_WORLD_SIZE``).

The count applies while the estimator works (:func:`policy_threads`) and is restored after, so
rnnkit leaves the process as it found it. A training run chooses again at the start of every
epoch (:func:`refresh_threads`): a run that began beside a busy core takes the second one
once it is free, and gives it back when another process takes it (the count the user set
stays as set). Own threads do not count as busy: the process's CPU time in the sample is
added back to the idle cores.

>>> threads_for_work(50_000, cores=8, idle=8)
1
>>> threads_for_work(6_300_000, cores=8, idle=8)
3
>>> threads_for_work(6_300_000, cores=2, idle=1.2)  # the other core is busy
1
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

__all__ = ["WORK_PER_THREAD", "available_cores", "choose_threads", "idle_cores",
           "limit_threads", "network_work", "policy_threads", "recurrent_work",
           "refresh_threads", "threads_for_work"]

# Multiply-adds per time step below which a second thread does not pay: the airline LSTM(64,32)
# (0.5 M) and the IMDB LSTM(8) (0.05 M) ran no faster with 2 threads than with 1 on an idle
# 2-core machine; the IMDB BiLSTM(64,32) preset (6.3 M) ran 1.57x faster (benchmarks/speed.py).
WORK_PER_THREAD = 2_000_000

_GATES = {"rnn": 1, "lstm": 4, "gru": 3}


def recurrent_work(cell: str, input_size: int, units: Sequence[int], bidirectional: bool,
                   batch_size: int) -> int:
    """Multiply-adds per time step of a recurrent stack over a batch.

    >>> recurrent_work("lstm", 16, [8], False, 64)  # 4 gates x 8 units x (16 + 8) inputs x 64
    49152
    """
    directions = 2 if bidirectional else 1
    total, size = 0, input_size
    for h in units:
        total += _GATES[cell] * h * (size + h) * directions
        size = h * directions
    return total * batch_size


def network_work(network: Mapping[str, Any], batch_size: int) -> int:
    """:func:`recurrent_work` of a network's settings (a ``NetworkConfig`` as a dict, as
    ``config.json`` saves it under ``"network"``): a token model's stack reads its
    embeddings (or one-hot ids, without an embedding), others their input columns.

    >>> network_work({"cell": "lstm", "input_size": 500, "units": [8], "tokens": True,
    ...               "embedding_dim": 16}, 64)
    49152
    """
    embedded = network.get("tokens") and network.get("embedding_dim")
    first = network["embedding_dim"] if embedded else network["input_size"]
    return recurrent_work(str(network["cell"]), int(first), [int(u) for u in network["units"]],
                          bool(network.get("bidirectional")), batch_size)


def available_cores() -> int:
    """Cores this process may use: its CPU affinity, capped by a cgroup CPU quota, divided
    among the ``torchrun`` ranks on this node."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        cores = os.cpu_count() or 1
    quota = _cgroup_quota()
    if quota is not None:
        cores = min(cores, max(1, math.ceil(quota)))
    ranks = _positive_int(os.environ.get("LOCAL_WORLD_SIZE"))
    if ranks:
        cores = max(1, cores // ranks)
    return max(1, cores)


def _positive_int(text: str | None) -> int | None:
    try:
        value = int(text) if text is not None else None
    except ValueError:
        return None
    return value if value and value > 0 else None


def _cgroup_quota() -> float | None:
    """CPUs allowed by a cgroup v2 ``cpu.max`` quota, or None when unlimited or unknown."""
    try:
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text().split()[:2]
    except (OSError, ValueError):
        return None
    if quota == "max":
        return None
    try:
        return int(quota) / int(period)
    except (ValueError, ZeroDivisionError):
        return None


def _cpu_times() -> dict[int, tuple[int, int]] | None:
    """``{cpu: (idle, total)}`` jiffies from ``/proc/stat``, or None where it does not exist."""
    try:
        lines = Path("/proc/stat").read_text().splitlines()
    except OSError:
        return None
    times = {}
    for line in lines:
        name, *fields = line.split()
        if name.startswith("cpu") and name[3:].isdigit():
            values = [int(v) for v in fields]
            idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle + iowait
            times[int(name[3:])] = (idle, sum(values[:8]))
    return times


_IDLE_CACHE: tuple[float, float] | None = None


def idle_cores(sample: float = 0.05, max_age: float = 10.0) -> float:
    """How many of this process's cores were idle over a short ``sample`` (seconds), read
    from ``/proc/stat``; the answer is reused for ``max_age`` seconds. Where that cannot be
    read, every available core counts as idle."""
    global _IDLE_CACHE
    now = time.monotonic()
    if _IDLE_CACHE is not None and now - _IDLE_CACHE[0] < max_age:
        return _IDLE_CACHE[1]
    cores = available_cores()
    try:
        mine = sorted(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        mine = None
    before = _cpu_times()
    if before is None:
        return float(cores)
    began, own = time.monotonic(), time.process_time()
    time.sleep(sample)
    after = _cpu_times() or {}
    # this process's own threads (spinning after an epoch, say) are not another's load
    own_cores = (time.process_time() - own) / max(time.monotonic() - began, 1e-9)
    fractions = []
    for cpu in mine if mine is not None else sorted(before):
        if cpu in before and cpu in after:
            total = after[cpu][1] - before[cpu][1]
            if total > 0:
                fractions.append((after[cpu][0] - before[cpu][0]) / total)
    idle = sum(fractions) + own_cores if fractions else float(cores)
    idle = min(idle, float(cores))
    _IDLE_CACHE = (now, idle)
    return idle


def threads_for_work(work: float, cores: int | None = None, idle: float | None = None) -> int:
    """The thread count for ``work`` multiply-adds per step: one per :data:`WORK_PER_THREAD`,
    at most the idle cores (rounded, at least one). ``cores`` and ``idle`` default to this
    machine's; the idle ones are only measured when the work could use more than one."""
    wanted = max(1, int(work // WORK_PER_THREAD))
    if wanted == 1:
        return 1
    cores = available_cores() if cores is None else cores
    idle = idle_cores() if idle is None else idle
    return max(1, min(wanted, cores, round(idle)))


def choose_threads(threads: int | None, work: float) -> int:
    """``threads`` when the user set it, else ``RNNKIT_THREADS``, else
    :func:`threads_for_work`."""
    if threads is not None:
        return int(threads)
    from_env = _positive_int(os.environ.get("RNNKIT_THREADS"))
    return from_env if from_env else threads_for_work(work)


# the work per step of the policy_threads block now running, None when its count is fixed
_POLICY_WORK: ContextVar[float | None] = ContextVar("rnnkit_policy_work", default=None)


@contextmanager
def policy_threads(threads: int | None, work: float) -> Iterator[int]:
    """Run the block with :func:`choose_threads`'s count, restoring torch's after; inside it,
    :func:`refresh_threads` chooses again when the count is the policy's (neither
    ``threads`` nor ``RNNKIT_THREADS`` set it).

    >>> with policy_threads(1, 50_000) as n:
    ...     n, refresh_threads()
    (1, 1)
    """
    fixed = threads is not None or _positive_int(os.environ.get("RNNKIT_THREADS"))
    token = _POLICY_WORK.set(None if fixed else work)
    try:
        with limit_threads(choose_threads(threads, work)) as n:
            yield n
    finally:
        _POLICY_WORK.reset(token)


def refresh_threads() -> int:
    """Inside a :func:`policy_threads` block whose count is the policy's, choose it again
    from the cores idle now (:func:`threads_for_work`) and set it. Returns torch's count.
    Called by training at the start of every epoch."""
    import torch

    work = _POLICY_WORK.get()
    if work is not None:
        threads = threads_for_work(work)
        if threads != torch.get_num_threads():
            torch.set_num_threads(threads)
    return torch.get_num_threads()


@contextmanager
def limit_threads(threads: int) -> Iterator[int]:
    """Run the block with ``torch.set_num_threads(threads)``, restoring the count after.

    >>> import torch
    >>> before = torch.get_num_threads()
    >>> with limit_threads(1):
    ...     torch.get_num_threads()
    1
    >>> torch.get_num_threads() == before
    True
    """
    import torch

    before = torch.get_num_threads()
    if threads != before:
        torch.set_num_threads(threads)
    try:
        yield threads
    finally:
        if torch.get_num_threads() != before:
            torch.set_num_threads(before)
