"""Adam and learning-rate reduction on plateau, without ``torch.optim``.

Why not ``torch.optim.Adam``: every ``torch.optim.Optimizer`` method is wrapped to keep the
PyTorch compiler out, and the first call of such a wrapper imports the compiler stack
(``torch._dynamo``, sympy, the distributed packages): 1.1-2.2 s before the first epoch of a
process, ten times the rest of a small forecaster's set-up. The update below is
``torch.optim.Adam``'s (its single-tensor CPU path, operation for operation), so the numbers
are the same; ``tests/test_optim.py`` checks them bit for bit.

Adam (Kingma & Ba), for each parameter ``θ`` with gradient ``g`` at step ``t``::

    m = β1·m + (1 − β1)·g            v = β2·v + (1 − β2)·g²
    θ = θ − lr/(1 − β1ᵗ) · m / (√v / √(1 − β2ᵗ) + ε)

>>> import torch
>>> w = torch.nn.Parameter(torch.tensor([1.0]))
>>> opt = Adam([w], lr=0.1)
>>> w.grad = torch.tensor([2.0]); opt.step()
>>> round(w.item(), 4)
0.9
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import torch

__all__ = ["Adam", "ReduceOnPlateau", "WarmupCosine"]


class Adam:
    """Adam over ``params`` with one learning rate, read and set as ``param_groups[0]["lr"]``
    like a ``torch.optim`` optimizer's. ``weight_decay`` > 0 is AdamW's decoupled decay
    (``θ ← θ·(1 − lr·λ)`` before the step), as ``torch.optim.AdamW`` applies it."""

    def __init__(self, params: Iterable[torch.nn.Parameter], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, scales: Iterable[float] | None = None):
        params = list(params)
        scales = [1.0] * len(params) if scales is None else list(scales)
        # a per-parameter factor on the learning rate (e.g. smaller for pretrained layers)
        self.scales = [s for p, s in zip(params, scales, strict=True) if p.requires_grad]
        self.params = [p for p in params if p.requires_grad]
        self.param_groups = [{"lr": lr}]
        self.betas = betas
        self.eps = eps
        self.weight_decay = weight_decay
        self.steps = 0
        self.state: dict[int, tuple[torch.Tensor, torch.Tensor]] = {}

    def state_dict(self) -> dict:
        tensors = {}
        for i, (m, v) in self.state.items():
            tensors[f"m{i}"], tensors[f"v{i}"] = m, v
        return {"lr": self.param_groups[0]["lr"], "steps": self.steps, "tensors": tensors}

    def load_state_dict(self, state: dict) -> None:
        self.param_groups[0]["lr"] = float(state["lr"])
        self.steps = int(state["steps"])
        self.state = {}
        for i, p in enumerate(self.params):
            if f"m{i}" in state:
                m, v = state[f"m{i}"], state[f"v{i}"]
                if m.shape != p.shape:
                    raise ValueError(f"optimizer state {i} has shape {tuple(m.shape)}, the "
                                     f"parameter {tuple(p.shape)}")
                self.state[i] = (m.to(p.device).clone(), v.to(p.device).clone())

    def zero_grad(self, set_to_none: bool = True) -> None:
        for p in self.params:
            if set_to_none:
                p.grad = None
            elif p.grad is not None:
                p.grad.zero_()

    @torch.no_grad()
    def step(self) -> None:
        beta1, beta2 = self.betas
        lr = self.param_groups[0]["lr"]
        self.steps += 1
        bias_correction1 = 1 - beta1 ** self.steps
        bias_correction2_sqrt = math.sqrt(1 - beta2 ** self.steps)
        step_size = lr / bias_correction1
        for i, (p, scale) in enumerate(zip(self.params, self.scales, strict=True)):
            if p.grad is None:
                continue
            if i not in self.state:
                self.state[i] = (torch.zeros_like(p), torch.zeros_like(p))
            exp_avg, exp_avg_sq = self.state[i]
            grad = p.grad
            if self.weight_decay:
                p.mul_(1 - lr * scale * self.weight_decay)
            exp_avg.lerp_(grad, 1 - beta1)
            exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
            denom = (exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(self.eps)
            p.addcdiv_(exp_avg, denom, value=-step_size * scale)


class ReduceOnPlateau:
    """Multiply the learning rate by ``factor`` after more than ``patience`` epochs without
    a relative improvement of ``threshold`` in the monitored value (``min`` mode), never
    below ``min_lr`` — ``torch.optim.lr_scheduler.ReduceLROnPlateau``'s defaults and rule."""

    def __init__(self, optimizer: Adam, factor: float = 0.1, patience: int = 10,
                 min_lr: float = 0.0, threshold: float = 1e-4, eps: float = 1e-8):
        self.optimizer = optimizer
        self.factor = factor
        self.patience = patience
        self.min_lr = min_lr
        self.threshold = threshold
        self.eps = eps
        self.best = math.inf
        self.bad_epochs = 0

    def state_dict(self) -> dict:
        return {"best": self.best, "bad_epochs": self.bad_epochs}

    def load_state_dict(self, state: dict) -> None:
        self.best, self.bad_epochs = float(state["best"]), int(state["bad_epochs"])

    def step(self, value: float) -> None:
        if value < self.best * (1 - self.threshold):
            self.best, self.bad_epochs = value, 0
            return
        self.bad_epochs += 1
        if self.bad_epochs > self.patience:
            group = self.optimizer.param_groups[0]
            new = max(group["lr"] * self.factor, self.min_lr)
            if group["lr"] - new > self.eps:
                group["lr"] = new
            self.bad_epochs = 0


class WarmupCosine:
    """Per-batch learning rate: a linear warm-up from ``lr/steps·1`` to ``lr`` over the first
    ``warmup`` fraction of ``steps``, then a cosine decay to zero at the last step (the shape
    of BERT's and ULMFiT-like schedules). Call :meth:`step` after every optimizer step.

    >>> opt = Adam([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    >>> schedule = WarmupCosine(opt, steps=10, warmup=0.2)
    >>> rates = [opt.param_groups[0]["lr"]] + [schedule.step() for _ in range(9)]
    >>> [round(r, 2) for r in rates]
    [0.5, 1.0, 0.97, 0.88, 0.75, 0.59, 0.41, 0.25, 0.12, 0.03]
    """

    def __init__(self, optimizer: Adam, steps: int, warmup: float = 0.1):
        self.optimizer = optimizer
        self.peak = optimizer.param_groups[0]["lr"]
        self.steps = max(int(steps), 1)
        self.warmup = max(1, round(self.steps * warmup))
        self.done = 0
        optimizer.param_groups[0]["lr"] = self.rate(0)

    def rate(self, step: int) -> float:
        if step < self.warmup:
            return self.peak * (step + 1) / self.warmup
        progress = (step - self.warmup + 1) / max(self.steps - self.warmup + 1, 1)
        return self.peak * 0.5 * (1 + math.cos(math.pi * min(progress, 1.0)))

    def state_dict(self) -> dict:
        return {"done": self.done}

    def load_state_dict(self, state: dict) -> None:
        self.done = int(state["done"])

    def step(self) -> float:
        self.done += 1
        self.optimizer.param_groups[0]["lr"] = self.rate(self.done)
        return self.optimizer.param_groups[0]["lr"]
