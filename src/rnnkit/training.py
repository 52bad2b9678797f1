"""The training loop: Adam, early stopping with best-weight restore, checkpoints, LR on plateau.

Data stays in memory as tensors and is batched by indexing — no ``DataLoader`` workers, whose
start-up and collation cost more than these small models' steps. A batch is a tuple of tensors
whose last element is the target; the model is called as ``model(*batch[:-1])``.

>>> import torch
>>> torch.manual_seed(0) and None
>>> x = torch.linspace(-1, 1, 64).unsqueeze(1); y = 3 * x
>>> model = torch.nn.Linear(1, 1)
>>> history = train(model, torch.nn.functional.mse_loss, (x, y), (x, y),
...                 TrainConfig(epochs=300, batch_size=16, learning_rate=0.05, verbose=False))
>>> round(model.weight.item(), 1)
3.0
"""

from __future__ import annotations

import copy
import math
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn
from tqdm.auto import tqdm

from rnnkit import distributed
from rnnkit.data.batches import length_batches
from rnnkit.errors import RnnkitError
from rnnkit.optim import Adam, ReduceOnPlateau, WarmupCosine
from rnnkit.threads import refresh_threads

__all__ = ["History", "TrainConfig", "bucketed_batches", "loss_function", "resolve_device",
           "train"]

Batch = Sequence[torch.Tensor]


@dataclass(frozen=True)
class TrainConfig:
    """Settings of :func:`train`; every field has the meaning Keras users expect."""

    epochs: int = 100  # passes over the training data at most
    batch_size: int = 32
    learning_rate: float = 1e-3  # Adam's initial step size
    patience: int | None = 10  # epochs without val-loss improvement before stopping; None: never
    min_delta: float = 0.0  # improvement smaller than this does not count
    reduce_lr_patience: int | None = 5  # epochs on a plateau before the LR is cut; None: never
    reduce_lr_factor: float = 0.5
    min_lr: float = 1e-5
    clip_norm: float | None = 1.0  # global gradient-norm clipping; None: off
    weight_decay: float = 0.0  # AdamW's decoupled weight decay; 0: plain Adam
    # "plateau": cut the LR on a validation plateau (reduce_lr_*); "warmup-cosine": per batch,
    # a linear warm-up over the first `warmup` of all planned steps, then cosine decay to 0;
    # "constant": neither
    schedule: str = "plateau"
    warmup: float = 0.1
    shuffle: bool = True
    # at most this many training samples per epoch, drawn anew at random each epoch, so an
    # epoch's time follows the sample, not the data (for samples of one length; None: all)
    samples_per_epoch: int | None = None
    seed: int = 0  # shuffling order; the caller seeds initialisation and dropout
    checkpoint: str | None = None  # write the best weights here (safetensors) as they improve
    # save the whole run's state here after every epoch (rnnkit.training_state), so that
    # `resume` can continue a killed run exactly where it stopped
    state_dir: str | None = None
    resume: bool = False  # continue from state_dir's last saved epoch, if it holds one
    # (parameter-name prefix, factor) pairs: those parameters learn at learning_rate x factor
    lr_scales: tuple[tuple[str, float], ...] = ()
    verbose: bool = True  # progress bar on stderr
    description: str = "training"


TIMING_KEYS = ("seconds", "cpu_seconds", "tokens_per_s")


@dataclass
class History:
    """Per-epoch records: epoch, loss, val_loss, lr, seconds (wall), cpu_seconds (the
    process's CPU time), tokens_per_s for sequences of varying length, and any validation
    metrics."""

    records: list[dict[str, float]] = field(default_factory=list)
    best_epoch: int | None = None
    stopped_early: bool = False

    def to_frame(self):
        import pandas as pd

        return pd.DataFrame(self.records)

    def to_dict(self, timings: bool = True) -> dict:
        """As JSON; without ``timings`` (what saved models keep, so that the same seed gives
        the same bytes) the records lose their wall-clock and CPU times."""
        records = self.records if timings else [
            {k: v for k, v in r.items() if k not in TIMING_KEYS} for r in self.records]
        return {"records": records, "best_epoch": self.best_epoch,
                "stopped_early": self.stopped_early}

    @classmethod
    def from_dict(cls, data: dict) -> History:
        if not isinstance(data, dict) or not isinstance(data.get("records", []), list):
            raise ValueError("`training` must be an object with a list of `records`")
        return cls(list(data.get("records", [])), data.get("best_epoch"),
                   bool(data.get("stopped_early", False)))

    @property
    def seconds_per_epoch(self) -> float:
        """Median seconds per epoch (robust to a slow first epoch or a busy machine)."""
        seconds = [r["seconds"] for r in self.records if "seconds" in r]
        return statistics.median(seconds) if seconds else 0.0


def loss_function(name: str) -> Callable:
    """The regression loss the estimators' ``loss`` parameter names: ``"mse"``, ``"mae"``
    (the median) or ``"huber"``.

    >>> float(loss_function("mae")(torch.tensor([1.0, 3.0]), torch.tensor([0.0, 0.0])))
    2.0
    """
    functional = torch.nn.functional
    return {"mse": functional.mse_loss, "mae": functional.l1_loss,
            "huber": functional.huber_loss}[name]


def resolve_device(device: str = "auto") -> torch.device:
    """``"auto"`` picks CUDA when present, else the CPU; anything else is passed to torch."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


class EarlyStopping:
    """Stops after ``patience`` epochs without improvement; keeps a copy of the best weights."""

    def __init__(self, patience: int | None, min_delta: float = 0.0):
        self.patience = patience
        self.min_delta = min_delta
        self.best = math.inf
        self.best_epoch: int | None = None
        self.best_state: dict[str, torch.Tensor] | None = None
        self.wait = 0

    def improved(self, value: float) -> bool:
        return value < self.best - self.min_delta

    def state_dict(self) -> dict:
        best = {f"best.{k}": v for k, v in (self.best_state or {}).items()}
        return {"best": self.best, "best_epoch": self.best_epoch, "wait": self.wait,
                "tensors": best}

    def load_state_dict(self, state: dict) -> None:
        self.best, self.wait = float(state["best"]), int(state["wait"])
        self.best_epoch = state["best_epoch"]
        best = {k[len("best."):]: v for k, v in state.items() if k.startswith("best.")}
        self.best_state = best or None

    def update(self, epoch: int, value: float, model: nn.Module) -> bool:
        """Record the epoch's monitored value; return True when training should stop."""
        if self.improved(value):
            self.best, self.best_epoch, self.wait = value, epoch, 0
            self.best_state = copy.deepcopy(model.state_dict())
            return False
        self.wait += 1
        return self.patience is not None and self.wait >= self.patience


def _save_checkpoint(model: nn.Module, path: str) -> None:
    from safetensors.torch import save_file

    Path(path).parent.mkdir(parents=True, exist_ok=True)
    tensors = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    save_file(tensors, path)


def _epoch_sampling(config: TrainConfig, n: int,
                    texts: bool) -> tuple[int, torch.Generator | None]:
    """``(samples per epoch, the generator that shuffles or draws them)`` for ``n`` samples."""
    per_epoch = min(n, config.samples_per_epoch or n)
    if texts and per_epoch < n:
        raise ValueError("samples_per_epoch is for samples of one length, not texts")
    sampled = config.shuffle or per_epoch < n  # a sample must be drawn at random
    return per_epoch, torch.Generator().manual_seed(config.seed) if sampled else None


def _batches(n: int, batch_size: int, generator: torch.Generator | None,
             take: int | None = None) -> list[torch.Tensor]:
    """Batches of sample indices: all ``n`` (shuffled with a ``generator``), or a random
    ``take`` of them."""
    order = torch.randperm(n, generator=generator) if generator is not None else torch.arange(n)
    return list(order[:take].split(batch_size))


# Samples sorted together: enough that a batch finds neighbours of its length, few enough that
# the epoch stays shuffled.
BUCKET_CHUNK = 50


def bucketed_batches(lengths: torch.Tensor, batch_size: int,
                     generator: torch.Generator | None) -> list[torch.Tensor]:
    """Batches of samples of similar ``lengths``: shuffle, sort within chunks of
    :data:`BUCKET_CHUNK` batches, cut into batches, shuffle the batches. Padding a batch to its
    longest sample then costs little, and each epoch still mixes the data. Without a
    ``generator`` (training unshuffled) the order is by length alone; batches that only
    predict are cut by :func:`rnnkit.data.batches.length_batches` instead.

    >>> lengths = torch.tensor([5, 1, 4, 2, 3, 6])
    >>> [lengths[b].tolist() for b in bucketed_batches(lengths, 2, None)]
    [[1, 2], [3, 4], [5, 6]]
    """
    if generator is None:
        return list(torch.argsort(lengths, stable=True).split(batch_size))
    order = torch.randperm(len(lengths), generator=generator)
    batches: list[torch.Tensor] = []
    for chunk in order.split(batch_size * BUCKET_CHUNK):
        batches += chunk[torch.argsort(lengths[chunk], stable=True)].split(batch_size)
    return [batches[i] for i in torch.randperm(len(batches), generator=generator).tolist()]


@torch.no_grad()
def _count(data: Any) -> int:
    """Samples in ``data``: tensors (inputs..., targets), or a source of batches that cuts
    them when asked (:class:`rnnkit.forecasting.sampler.WindowSampler`)."""
    return len(data) if not isinstance(data, list | tuple) else len(data[-1])


def _take(data: Any, idx: torch.Tensor, device: torch.device) -> list[torch.Tensor]:
    """The samples ``idx`` of ``data`` (see :func:`_count`), on ``device``."""
    if isinstance(data, list | tuple):
        return [t[idx] for t in data]
    return [t.to(device) for t in data[idx]]


def _on(data: Any, device: torch.device) -> Any:
    """Tensors moved to ``device`` once; a source of batches moves each batch it gives."""
    return [t.to(device) for t in data] if isinstance(data, list | tuple) else data


def evaluate_loss(model: nn.Module, loss_fn: Callable, data: Batch, batch_size: int = 1024,
                  metrics: Callable | None = None,
                  lengths: torch.Tensor | None = None) -> dict[str, float]:
    """Mean loss over ``data`` in eval mode (plus ``metrics(outputs, target)`` if given);
    with ``lengths``, batches group samples of similar length."""
    model.eval()
    n = _count(data)
    device = next(model.parameters()).device
    total, outputs = 0.0, []
    batches = (_batches(n, batch_size, None) if lengths is None
               else [torch.as_tensor(b) for b in length_batches(lengths.numpy(), batch_size)])
    for idx in batches:
        batch = _take(data, idx, device)
        out = model(*batch[:-1])
        total += loss_fn(out, batch[-1]).item() * len(idx)
        if metrics is not None:  # a copy: `out` may view a batch-sized buffer of the kernel
            outputs.append(out.clone())
    logs = {"val_loss": total / n}
    if metrics is not None:
        outputs = torch.cat(outputs)
        if lengths is not None:  # back in the data's order
            outputs = outputs[torch.argsort(torch.cat(batches))]
        logs |= metrics(outputs, data[-1])
    return logs


def _step(model: nn.Module, loss_fn: Callable, batch: list, optimizer: Adam,
          per_batch: WarmupCosine | None, clip_norm: float | None, weight: float = 1.0
          ) -> float:
    """One optimizer step on ``batch``; returns its loss. ``weight`` scales the gradient (a
    rank's share of a global batch, see :func:`rnnkit.distributed.shard`)."""
    optimizer.zero_grad(set_to_none=True)
    loss = loss_fn(model(*batch[:-1]), batch[-1])
    (loss * weight if weight != 1.0 else loss).backward()
    if clip_norm is not None:
        nn.utils.clip_grad_norm_(model.parameters(), clip_norm)
    optimizer.step()
    if per_batch is not None:
        per_batch.step()
    return loss.item()


def _optimizer(model: nn.Module, config: TrainConfig, n_batches: int
               ) -> tuple[Adam, WarmupCosine | None, ReduceOnPlateau | None]:
    """Adam (per-parameter learning-rate factors from ``lr_scales``) and the schedule that
    ``config.schedule`` names: per batch, or on a validation plateau."""
    named = list(model.named_parameters())
    scales = [next((f for prefix, f in config.lr_scales if name.startswith(prefix)), 1.0)
              for name, _ in named]
    optimizer = Adam([p for _, p in named], lr=config.learning_rate,
                     weight_decay=config.weight_decay, scales=scales)
    per_batch = plateau = None
    if config.schedule == "warmup-cosine":
        per_batch = WarmupCosine(optimizer, config.epochs * n_batches, config.warmup)
    if config.schedule == "plateau" and config.reduce_lr_patience is not None:
        plateau = ReduceOnPlateau(optimizer, factor=config.reduce_lr_factor,
                                  patience=config.reduce_lr_patience, min_lr=config.min_lr)
    return optimizer, per_batch, plateau


def _resumed(config: TrainConfig, parts: dict[str, Any]) -> tuple[History, int] | None:
    """``(history so far, first epoch to run)`` of a run saved in ``config.state_dir``, its
    state loaded into ``parts``; None when there is nothing to resume."""
    if not (config.resume and config.state_dir):
        return None
    from rnnkit.training_state import load_run

    resumed = load_run(config.state_dir, parts)
    if resumed is None:
        return None
    done, saved = resumed
    # a run that had stopped early is finished: nothing left to run
    first = config.epochs + 1 if saved.get("stopped_early") else done + 1
    return History.from_dict(saved), first


def _train_epoch(model: nn.Module, loss_fn: Callable, train_data: Any,
                 batches: Any, optimizer: Any, per_batch: Any, clip_norm: float | None
                 ) -> float:
    """One pass over ``batches`` (index tensors); the summed loss of its samples (over all
    ranks, in a distributed run: each trains on its share of every batch)."""
    rank, ranks = distributed.world()
    device = next(model.parameters()).device
    model.train()
    total = 0.0
    for idx in batches:
        if ranks == 1:
            total += _step(model, loss_fn, _take(train_data, idx, device), optimizer,
                           per_batch, clip_norm) * len(idx)
            continue
        part, weight = distributed.shard(idx, rank, ranks)
        loss = _step(model, loss_fn, _take(train_data, part, device), optimizer, per_batch,
                     clip_norm, weight)
        total += loss * weight * len(idx) / ranks
    return total if ranks == 1 else distributed.all_sum(total)


def _check_finite(monitored: float, epoch: int, config: TrainConfig, history: History,
                  logs: dict[str, Any]) -> None:
    """An error naming the fix when the loss is no longer a number (the epoch is kept in the
    history, for whoever looks)."""
    if not math.isfinite(monitored):
        history.records.append(logs)
        raise RnnkitError(
            f"the loss became {monitored} at epoch {epoch}; lower `learning_rate` "
            f"(now {config.learning_rate:g}) or set `clip_norm`.")


def _epoch_logs(model: nn.Module, loss_fn: Callable, val_data: list[torch.Tensor] | None,
                metrics: Callable | None,
                lengths: tuple[torch.Tensor, torch.Tensor | None] | None,
                start: float) -> dict[str, float]:
    """An epoch's tokens per second (texts) and validation loss and metrics."""
    logs = {}
    if lengths is not None:
        logs["tokens_per_s"] = float(lengths[0].sum()) / (time.perf_counter() - start)
    if val_data is not None:
        logs |= evaluate_loss(model, loss_fn, val_data, metrics=metrics,
                              lengths=None if lengths is None else lengths[1])
    return logs


def _save_state(config: TrainConfig, epoch: int, parts: dict[str, Any],
                history: History) -> None:
    """The run after ``epoch``, for a resume (rank 0 writes it)."""
    if config.state_dir and distributed.is_main():
        from rnnkit.training_state import save_run

        save_run(config.state_dir, epoch, parts, history.to_dict())


def _watch(monitored: float, epoch: int, model: nn.Module, stopper: EarlyStopping,
           plateau: ReduceOnPlateau | None, config: TrainConfig) -> bool:
    """Early stopping, the checkpoint (rank 0's) and the plateau schedule after an epoch
    whose monitored loss is ``monitored``; whether to stop."""
    improved = stopper.improved(monitored)
    stop = stopper.update(epoch, monitored, model)
    if improved and config.checkpoint and distributed.is_main():
        _save_checkpoint(model, config.checkpoint)
    if plateau is not None:
        plateau.step(monitored)
    return stop


def train(model: nn.Module, loss_fn: Callable, train_data: Batch, val_data: Batch | None,
          config: TrainConfig, metrics: Callable | None = None,
          lengths: tuple[torch.Tensor, torch.Tensor | None] | None = None) -> History:
    """Train ``model`` in place and return its :class:`History`.

    With ``val_data``, early stopping and LR reduction watch the validation loss and the best
    weights are restored at the end; without it they watch the training loss. ``lengths``
    (training, validation) are the samples' real lengths, for sequences of varying length:
    batches then group similar lengths (:func:`bucketed_batches`), so that little of a batch
    is padding, and the log reports tokens per second. Under ``torchrun`` each rank trains
    on its share of every batch (:mod:`rnnkit.distributed`); only rank 0 shows progress and
    writes the checkpoint and the run's state.
    """
    device = next(model.parameters()).device
    train_data = _on(train_data, device)
    val_data = _on(val_data, device) if val_data is not None else None
    n = _count(train_data)
    per_epoch, generator = _epoch_sampling(config, n, lengths is not None)
    n_batches = math.ceil(per_epoch / config.batch_size)
    optimizer, per_batch, plateau = _optimizer(model, config, n_batches)
    stopper = EarlyStopping(config.patience, config.min_delta)
    parts = {"model": model, "optimizer": optimizer, "stopper": stopper, "plateau": plateau,
             "schedule": per_batch, "generator": generator}
    parts = {k: v for k, v in parts.items() if v is not None}
    history, first = _resumed(config, parts) or (History(), 1)
    trained = distributed.wrap(model) if distributed.init_from_env() else model
    shown = config.verbose and distributed.is_main()
    bar = tqdm(range(first, config.epochs + 1), desc=config.description, unit="epoch",
               disable=not shown, leave=True, dynamic_ncols=True,
               initial=first - 1, total=config.epochs)
    for epoch in bar:
        threads, start, cpu_start = refresh_threads(), time.perf_counter(), time.process_time()
        # Long epochs (text) get an inner bar per batch; short ones (series) would only flicker.
        order = (_batches(n, config.batch_size, generator, per_epoch) if lengths is None
                 else bucketed_batches(lengths[0], config.batch_size, generator))
        total = _train_epoch(trained, loss_fn, train_data, tqdm(
            order, leave=False, unit="batch", disable=not shown or n_batches < 50,
            desc=f"epoch {epoch}"), optimizer, per_batch, config.clip_norm)
        logs = {"epoch": epoch, "loss": total / per_epoch} | _epoch_logs(
            model, loss_fn, val_data, metrics, lengths, start)
        monitored = logs.get("val_loss", logs["loss"])
        logs["lr"] = optimizer.param_groups[0]["lr"]
        _check_finite(monitored, epoch, config, history, logs | {
            "seconds": time.perf_counter() - start})
        stop = _watch(monitored, epoch, model, stopper, plateau, config)
        logs["seconds"] = time.perf_counter() - start
        logs["cpu_seconds"] = time.process_time() - cpu_start  # all threads of the process
        history.records.append(logs | {"threads": threads})
        bar.set_postfix({k: f"{v:.4g}" for k, v in logs.items()
                         if k not in ("epoch", "seconds", "cpu_seconds")})
        history.stopped_early = stop
        _save_state(config, epoch, parts, history)
        if stop:
            break
    bar.close()
    if stopper.best_state is not None:
        model.load_state_dict(stopper.best_state)
    history.best_epoch = stopper.best_epoch
    model.eval()
    return history
