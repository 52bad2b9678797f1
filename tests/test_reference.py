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


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_a_dilated_stack_matches_the_reference_run_chain_by_chain(cell, bidirectional):
    """Dilations (1, 3): the second layer links each step to the one 3 before it, the
    reference runs the chains r, r + 3, … one by one (lengths that are and are not a
    multiple of 3, so the zero padding in front is covered), batched sequences each alike."""
    config = NetworkConfig(cell, 2, (5, 4), 2, bidirectional=bidirectional, dense=(3,),
                           dilations=(1, 3))
    net = RecurrentNetwork(config).eval()
    randomise(net, 5)
    gen = torch.Generator().manual_seed(6)
    for length in (1, 7, 9):
        x = torch.randn(3, length, 2, generator=gen)
        with torch.no_grad():
            fast = net(x).numpy()
            fast_seq, fast_last = net.features(x)
        for i in range(3):
            ref, layers = network_forward(net, x[i].numpy())
            np.testing.assert_allclose(ref, fast[i], rtol=1e-5, atol=1e-5)
            np.testing.assert_allclose(layers[-1]["outputs"], fast_seq[i].numpy(), rtol=1e-5,
                                       atol=1e-6)
            np.testing.assert_allclose(layers[-1]["last"], fast_last[i].numpy(), rtol=1e-5,
                                       atol=1e-6)


def test_a_dilated_layer_reaches_back_d_steps_only():
    """The last output of a layer with dilation 4 over 8 steps depends on steps 3 and 7 and
    on no other: the chain through the last step."""
    layer = Recurrent("gru", 1, 3, dilation=4)
    randomise(layer, 7)
    x = torch.randn(1, 8, 1, requires_grad=True)
    _, last = layer(x)
    last.sum().backward()
    touched = (x.grad[0, :, 0].abs() > 0).nonzero().ravel().tolist()
    assert touched == [3, 7]


@pytest.mark.parametrize("cell, expected", [("rnn", 4 * (1 + 4 + 1) + 3 * (4 + 3 + 1)),
                                            ("lstm", 4 * 4 * (1 + 4 + 1) + 4 * 3 * (4 + 3 + 1)),
                                            ("gru", 3 * 4 * (1 + 4 + 2) + 3 * 3 * (4 + 3 + 2))])
def test_dilation_leaves_the_keras_parameter_count_unchanged(cell, expected):
    """A dilated layer has the undilated layer's weights (Keras's count: one bias per gate
    block, two for the GRU); the summary says which layers are dilated."""
    counts = []
    for dilations in ((), (1, 24)):
        net = RecurrentNetwork(NetworkConfig(cell, 1, (4, 3), 1, dilations=dilations))
        counts.append(sum(p.numel() for p in net.recurrent.parameters()))
    assert counts == [expected, expected]
    assert "dilation 24" in net.summary(timesteps=48)


@pytest.mark.parametrize("dilations, message", [((2,), "one per recurrent layer"),
                                                ((1, 0), "from 1"), ((1, True), "integer")])
def test_bad_dilations_are_refused_naming_the_field(dilations, message):
    with pytest.raises(ValueError, match=message):
        NetworkConfig("gru", 1, (4, 3), 1, dilations=dilations).validated()
    with pytest.raises(ValueError, match="float windows"):
        NetworkConfig("gru", 9, (4,), 1, tokens=True, dilations=(2,)).validated()
