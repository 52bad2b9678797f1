"""rnnkit's Adam and plateau rule take the same steps as torch.optim's, bit for bit."""

from __future__ import annotations

import math

import pytest
import torch

from rnnkit.optim import Adam, ReduceOnPlateau


def _model() -> torch.nn.Module:
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.Tanh(), torch.nn.Linear(5, 1))


def test_adam_matches_torch_adam_bit_for_bit_with_lr_changes():
    ours, theirs = _model(), _model()
    opt_a = Adam(ours.parameters(), lr=0.01)
    opt_b = torch.optim.Adam(theirs.parameters(), lr=0.01)
    x, y = torch.randn(32, 3), torch.randn(32, 1)
    for step in range(60):
        if step == 30:  # as the plateau rule does
            opt_a.param_groups[0]["lr"] = opt_b.param_groups[0]["lr"] = 0.003
        for model, opt in ((ours, opt_a), (theirs, opt_b)):
            opt.zero_grad(set_to_none=True)
            torch.nn.functional.mse_loss(model(x), y).backward()
            opt.step()
    for a, b in zip(ours.parameters(), theirs.parameters(), strict=True):
        assert torch.equal(a, b)


def test_plateau_rule_matches_torch():
    losses = [1.0, 0.9, 0.9, 0.95, 0.91, 0.9, 0.89999, 0.5, 0.6, 0.6, 0.6, 0.6, 0.7, 0.7]
    w = torch.nn.Parameter(torch.zeros(1))
    ours = Adam([w], lr=1.0)
    theirs = torch.optim.Adam([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    rule = ReduceOnPlateau(ours, factor=0.5, patience=2, min_lr=0.2)
    reference = torch.optim.lr_scheduler.ReduceLROnPlateau(theirs, factor=0.5, patience=2,
                                                           min_lr=0.2)
    seen = []
    for loss in losses:
        rule.step(loss)
        reference.step(loss)
        seen.append(ours.param_groups[0]["lr"])
        assert ours.param_groups[0]["lr"] == theirs.param_groups[0]["lr"]
    assert seen[-1] == 0.2 and 1.0 in seen and 0.5 in seen  # it did cut, down to min_lr


def test_training_does_not_import_the_compiler_stack():
    import subprocess
    import sys

    code = ("import sys, torch; from rnnkit.training import train, TrainConfig\n"
            "m = torch.nn.Linear(2, 1); d = (torch.randn(8, 2), torch.randn(8, 1))\n"
            "train(m, torch.nn.functional.mse_loss, d, d, TrainConfig(epochs=2, verbose=False))\n"
            "print('torch._dynamo' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "False"


def test_weight_decay_matches_torch_adamw_bit_for_bit():
    ours, theirs = _model(), _model()
    opt_a = Adam(ours.parameters(), lr=0.01, weight_decay=0.05)
    opt_b = torch.optim.AdamW(theirs.parameters(), lr=0.01, weight_decay=0.05)
    x, y = torch.randn(32, 3), torch.randn(32, 1)
    for _ in range(30):
        for model, opt in ((ours, opt_a), (theirs, opt_b)):
            opt.zero_grad(set_to_none=True)
            torch.nn.functional.mse_loss(model(x), y).backward()
            opt.step()
    for a, b in zip(ours.parameters(), theirs.parameters(), strict=True):
        assert torch.equal(a, b)


def test_warmup_cosine_schedule_in_training():
    from rnnkit.training import TrainConfig, train

    torch.manual_seed(0)
    model = torch.nn.Linear(2, 1)
    data = (torch.randn(40, 2), torch.randn(40, 1))
    history = train(model, torch.nn.functional.mse_loss, data, data, TrainConfig(
        epochs=10, batch_size=10, learning_rate=0.1, schedule="warmup-cosine",
        patience=None, verbose=False))
    rates = [r["lr"] for r in history.records]  # after each epoch's 4 batches
    assert rates[0] == pytest.approx(0.1 * 0.5 * (1 + math.cos(math.pi * 1 / 37)))
    assert rates == sorted(rates, reverse=True) and rates[-1] < 1e-3
