"""The compiled GRU/SimpleRNN recurrence equals PyTorch's kernels, forward and gradients.

(tests/test_reference.py holds the same layers, which take this path on the CPU, to the
NumPy reference.)"""

from __future__ import annotations

import pytest
import torch

from rnnkit.models import fused
from rnnkit.models.layers import Recurrent
from rnnkit.models.network import NetworkConfig, RecurrentNetwork


def _outputs_and_grads(layer, x, lengths, kernels: str, monkeypatch):
    monkeypatch.setenv("RNNKIT_KERNELS", kernels)
    out, last = layer(x, lengths)
    weight = torch.linspace(-1, 1, out.numel()).view_as(out)
    loss = (out * weight).sum() + (last ** 2).sum()
    return [out, *torch.autograd.grad(loss, [x, *layer.parameters()])]


@pytest.mark.parametrize("cell", ["gru", "rnn"])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("hidden", [1, 7, fused.MAX_HIDDEN])
def test_fused_matches_pytorch_kernels_forward_and_backward(cell, bidirectional, hidden,
                                                            monkeypatch):
    assert fused.available(cell, torch.zeros(1, dtype=torch.float32), hidden)
    torch.manual_seed(0)
    layer = Recurrent(cell, 5, hidden, bidirectional)
    x = torch.randn(6, 11, 5, requires_grad=True)
    lengths = torch.tensor([11, 3, 1, 6, 11, 2])
    ours = _outputs_and_grads(layer, x, lengths, "1", monkeypatch)
    theirs = _outputs_and_grads(layer, x, lengths, "0", monkeypatch)
    for a, b in zip(ours, theirs, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-5)


def test_the_cpu_gru_takes_the_fused_path_and_lstm_or_big_layers_do_not(monkeypatch):
    calls = []
    real = fused.fused_recurrence
    monkeypatch.setattr(fused, "fused_recurrence", lambda *a: calls.append(a[0]) or real(*a))
    x = torch.randn(2, 4, 3)
    for cell, units in (("gru", 8), ("rnn", 8), ("lstm", 8), ("gru", fused.MAX_HIDDEN + 1)):
        Recurrent(cell, 3, units)(x)
    assert calls == ["gru", "rnn"]


def test_without_a_compiler_the_layers_fall_back(monkeypatch, caplog):
    monkeypatch.setattr(fused, "_LIB", None)
    monkeypatch.setattr(fused, "_TRIED", False)
    monkeypatch.setattr(fused, "_compiler", lambda: None)
    torch.manual_seed(0)
    net = RecurrentNetwork(NetworkConfig("gru", 3, (4,), 1))
    out = net(torch.randn(2, 5, 3))
    assert out.shape == (2, 1)
    assert "no C compiler found" in caplog.text


def test_training_a_fused_gru_reduces_the_loss():
    torch.manual_seed(0)
    net = RecurrentNetwork(NetworkConfig("gru", 1, (8,), 1))
    x = torch.randn(64, 10, 1)
    y = x[:, :3, 0].sum(1, keepdim=True)  # needs memory of early steps
    opt = torch.optim.Adam(net.parameters(), lr=0.02)
    first = None
    for _ in range(150):
        opt.zero_grad()
        loss = torch.nn.functional.mse_loss(net(x), y)
        loss.backward()
        opt.step()
        first = first if first is not None else loss.item()
    assert loss.item() < 0.2 * first


@pytest.mark.parametrize("cell", ["gru", "rnn"])
def test_fused_input_gradient_matches_the_numpy_reference(cell):
    """d(loss)/d(x) through every step's Jacobian, against central differences of the NumPy
    reference in float64."""
    import numpy as np

    from rnnkit.models.reference import layer_weights, run_layer

    torch.manual_seed(1)
    layer = Recurrent(cell, 3, 4)
    weights = layer_weights(layer, "forward")
    x = torch.randn(1, 6, 3, requires_grad=True)
    probe = torch.linspace(-1, 1, 6 * 4).view(1, 6, 4)
    out, _ = layer(x)
    (grad,) = torch.autograd.grad((out * probe).sum(), [x])

    def loss(seq: np.ndarray) -> float:
        return float((run_layer(cell, seq, weights)[0] * probe[0].double().numpy()).sum())

    seq = x[0].detach().double().numpy()
    numeric = np.zeros_like(seq)
    for index in np.ndindex(seq.shape):
        step = np.zeros_like(seq)
        step[index] = 1e-6
        numeric[index] = (loss(seq + step) - loss(seq - step)) / 2e-6
    np.testing.assert_allclose(grad[0].numpy(), numeric, rtol=1e-4, atol=1e-5)
