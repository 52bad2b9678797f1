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

import torch
from torch import nn

from rnnkit.errors import RnnkitError
from rnnkit.optim import Adam, ReduceOnPlateau

__all__ = ["History", "TrainConfig", "resolve_device", "train"]

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
    shuffle: bool = True
    seed: int = 0  # shuffling order; the caller seeds initialisation and dropout
    checkpoint: str | None = None  # write the best weights here (safetensors) as they improve
    verbose: bool = True  # progress bar on stderr
    description: str = "training"


@dataclass
class History:
    """Per-epoch records (epoch, loss, val_loss, lr, seconds and any validation metrics)."""

    records: list[dict[str, float]] = field(default_factory=list)
    best_epoch: int | None = None
    stopped_early: bool = False

    def to_frame(self):
        import pandas as pd

        return pd.DataFrame(self.records)

    def to_dict(self) -> dict:
        return {"records": self.records, "best_epoch": self.best_epoch,
                "stopped_early": self.stopped_early}

    @classmethod
    def from_dict(cls, data: dict) -> History:
        return cls(list(data.get("records", [])), data.get("best_epoch"),
                   bool(data.get("stopped_early", False)))

    @property
    def seconds_per_epoch(self) -> float:
        """Median seconds per epoch (robust to a slow first epoch or a busy machine)."""
        return statistics.median(r["seconds"] for r in self.records) if self.records else 0.0


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


def _batches(n: int, batch_size: int, generator: torch.Generator | None) -> list[torch.Tensor]:
    order = torch.randperm(n, generator=generator) if generator is not None else torch.arange(n)
    return list(order.split(batch_size))


@torch.no_grad()
def evaluate_loss(model: nn.Module, loss_fn: Callable, data: Batch, batch_size: int = 1024,
                  metrics: Callable | None = None) -> dict[str, float]:
    """Mean loss over ``data`` in eval mode (plus ``metrics(outputs, target)`` if given)."""
    model.eval()
    n = len(data[-1])
    total, outputs = 0.0, []
    for idx in _batches(n, batch_size, None):
        batch = [t[idx] for t in data]
        out = model(*batch[:-1])
        total += loss_fn(out, batch[-1]).item() * len(idx)
        outputs.append(out)
    logs = {"val_loss": total / n}
    if metrics is not None:
        logs |= metrics(torch.cat(outputs), data[-1])
    return logs


def train(model: nn.Module, loss_fn: Callable, train_data: Batch, val_data: Batch | None,
          config: TrainConfig, metrics: Callable | None = None) -> History:
    """Train ``model`` in place and return its :class:`History`.

    With ``val_data``, early stopping and LR reduction watch the validation loss and the best
    weights are restored at the end; without it they watch the training loss.
    """
    device = next(model.parameters()).device
    train_data = [t.to(device) for t in train_data]
    val_data = [t.to(device) for t in val_data] if val_data is not None else None
    optimizer = Adam(model.parameters(), lr=config.learning_rate)
    plateau = None
    if config.reduce_lr_patience is not None:
        plateau = ReduceOnPlateau(optimizer, factor=config.reduce_lr_factor,
                                  patience=config.reduce_lr_patience, min_lr=config.min_lr)
    stopper = EarlyStopping(config.patience, config.min_delta)
    generator = torch.Generator().manual_seed(config.seed) if config.shuffle else None
    history = History()
    n = len(train_data[-1])
    n_batches = math.ceil(n / config.batch_size)

    from tqdm.auto import tqdm

    bar = tqdm(range(1, config.epochs + 1), desc=config.description, unit="epoch",
               disable=not config.verbose, leave=True, dynamic_ncols=True)
    for epoch in bar:
        start = time.perf_counter()
        model.train()
        total = 0.0
        # Long epochs (text) get an inner bar per batch; short ones (series) would only flicker.
        batches = tqdm(_batches(n, config.batch_size, generator), leave=False, unit="batch",
                       disable=not config.verbose or n_batches < 50, desc=f"epoch {epoch}")
        for idx in batches:
            batch = [t[idx] for t in train_data]
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(model(*batch[:-1]), batch[-1])
            loss.backward()
            if config.clip_norm is not None:
                nn.utils.clip_grad_norm_(model.parameters(), config.clip_norm)
            optimizer.step()
            total += loss.item() * len(idx)
        logs = {"epoch": epoch, "loss": total / n}
        if val_data is not None:
            logs |= evaluate_loss(model, loss_fn, val_data, metrics=metrics)
        monitored = logs.get("val_loss", logs["loss"])
        logs["lr"] = optimizer.param_groups[0]["lr"]
        if not math.isfinite(monitored):
            logs["seconds"] = time.perf_counter() - start
            history.records.append(logs)
            raise RnnkitError(
                f"the loss became {monitored} at epoch {epoch}; lower `learning_rate` "
                f"(now {config.learning_rate:g}) or set `clip_norm`.")
        improved = stopper.improved(monitored)
        stop = stopper.update(epoch, monitored, model)
        if improved and config.checkpoint:
            _save_checkpoint(model, config.checkpoint)
        if plateau is not None:
            plateau.step(monitored)
        logs["seconds"] = time.perf_counter() - start
        history.records.append(logs)
        bar.set_postfix({k: f"{v:.4g}" for k, v in logs.items() if k not in ("epoch", "seconds")})
        if stop:
            history.stopped_early = True
            break
    bar.close()
    if stopper.best_state is not None:
        model.load_state_dict(stopper.best_state)
    history.best_epoch = stopper.best_epoch
    model.eval()
    return history
