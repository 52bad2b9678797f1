"""The NumPy reference cells are the oracle of the fast path: same outputs, same final states."""

import numpy as np
import pytest
import torch

from rnnkit.models.layers import Recurrent
from rnnkit.models.network import NetworkConfig, RecurrentNetwork
from rnnkit.models.reference import layer_weights, network_forward, run_layer


def randomise(module: torch.nn.Module, seed: int) -> None:
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.rand(p.shape, generator=gen) * 1.2 - 0.6)


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_single_layer_matches_fast_path(cell, bidirectional):
    layer = Recurrent(cell, 3, 5, bidirectional)
    randomise(layer, 0)
    x = torch.randn(1, 9, 3, generator=torch.Generator().manual_seed(1))
    fast_out, fast_last = layer(x)
    outs = []
    for d in layer.directions:
        seq = x[0].double().numpy()
        hidden, _ = run_layer(cell, seq if d == "forward" else seq[::-1], layer_weights(layer, d))
        outs.append(hidden if d == "forward" else hidden[::-1])
    np.testing.assert_allclose(np.concatenate(outs, 1), fast_out[0].detach().numpy(),
                               rtol=1e-5, atol=1e-6)
    backward_last = outs[1][0] if bidirectional else np.zeros(0)
    np.testing.assert_allclose(np.concatenate([outs[0][-1], backward_last]),
                               fast_last[0].detach().numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("tokens", [False, True])
def test_stacked_network_matches_fast_path(cell, bidirectional, tokens):
    config = NetworkConfig(cell, 30 if tokens else 4, (6, 5), 3, bidirectional=bidirectional,
                           dense=(7,), tokens=tokens, embedding_dim=8 if tokens else None)
    net = RecurrentNetwork(config).eval()
    randomise(net, 2)
    gen = torch.Generator().manual_seed(3)
    for length in (1, 4, 11):
        x = (torch.randint(1, 30, (1, length), generator=gen) if tokens
             else torch.randn(1, length, 4, generator=gen))
        with torch.no_grad():
            fast = net(x)[0].numpy()
            fast_seq, fast_last = net.features(x)
        ref, layers = network_forward(net, x[0].numpy())
        np.testing.assert_allclose(ref, fast, rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(layers[-1]["last"], fast_last[0].numpy(), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(layers[-1]["outputs"], fast_seq[0].numpy(), rtol=1e-5,
                                   atol=1e-6)


def test_reference_reads_padded_token_input_like_the_network():
    net = RecurrentNetwork(NetworkConfig("lstm", 20, (4,), 1, bidirectional=True, tokens=True,
                                         embedding_dim=3)).eval()
    randomise(net, 4)
    with torch.no_grad():
        padded = net(torch.tensor([[0, 0, 0, 5, 7, 9]]))[0].numpy()
    ref, _ = network_forward(net, np.array([5, 7, 9]))
    np.testing.assert_allclose(ref, padded, rtol=1e-5, atol=1e-6)
