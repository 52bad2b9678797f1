"""Parameter counts against Keras's summary(), and the maths against PyTorch's own layers."""

import dataclasses

import pytest
import torch
from torch import nn

from rnnkit.models.layers import Recurrent, reverse_padded
from rnnkit.models.network import NetworkConfig, RecurrentNetwork


def count(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


@pytest.mark.parametrize("cell, inputs, units, keras", [
    ("lstm", 1, 64, 16_896),   # Keras: LSTM(64) on 1 feature
    ("gru", 16, 8, 624),       # GRU(8), reset_after=True
    ("rnn", 16, 8, 200),       # SimpleRNN(8)
    ("lstm", 16, 8, 800),      # LSTM(8)
])
def test_layer_parameter_counts_match_keras(cell, inputs, units, keras):
    assert count(Recurrent(cell, inputs, units)) == keras
    assert count(Recurrent(cell, inputs, units, bidirectional=True)) == 2 * keras


def test_network_counts_match_keras_summaries():
    # LSTM(64) -> Dropout -> Dense(32, relu) -> Dense(1) on one feature
    net = RecurrentNetwork(NetworkConfig("lstm", 1, (64,), 1, dropout=0.2, dense=(32,)))
    assert net.num_parameters() == 19_009
    # Embedding(10000, 128) -> BiLSTM(64, seq) -> BiLSTM(32) -> Dense(32) -> Dense(1)
    net = RecurrentNetwork(NetworkConfig("lstm", 10_000, (64, 32), 1, bidirectional=True,
                                         dense=(32,), tokens=True, embedding_dim=128))
    assert net.num_parameters() == 1_280_000 + 98_816 + 41_216 + 2_080 + 33


def test_summary_rows_and_totals():
    net = RecurrentNetwork(NetworkConfig("lstm", 1, (64, 32), 1, dropout=0.2, dense=(32,)))
    rows = net.layer_table(timesteps=12)
    assert [r[0] for r in rows] == ["lstm", "dropout", "lstm_1", "dropout_1", "dense",
                                    "dropout_2", "dense_1"]
    assert rows[0][2] == "(None, 12, 64)" and rows[2][2] == "(None, 32)"
    assert sum(r[3] for r in rows) == net.num_parameters() == 30_401
    assert "Total params: 30,401" in net.summary(timesteps=12)


def _torch_twin(layer: Recurrent) -> nn.RNNBase:
    """The equivalent torch layer, with the second bias set to zero (or copied for the GRU)."""
    kind = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}[layer.cell]
    twin = kind(layer.input_size, layer.hidden_size, batch_first=True,
                bidirectional=layer.bidirectional)
    with torch.no_grad():
        for d, suffix in zip(layer.directions, ("", "_reverse"), strict=False):
            w_ih, w_hh, b_ih, b_hh = layer.direction_weights(d)
            getattr(twin, f"weight_ih_l0{suffix}").copy_(w_ih)
            getattr(twin, f"weight_hh_l0{suffix}").copy_(w_hh)
            getattr(twin, f"bias_ih_l0{suffix}").copy_(b_ih)
            getattr(twin, f"bias_hh_l0{suffix}").copy_(b_hh)
    return twin


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_same_outputs_as_torch_layers(cell, bidirectional):
    torch.manual_seed(0)
    layer = Recurrent(cell, 3, 5, bidirectional)
    with torch.no_grad():  # non-zero biases, so a dropped bias would show
        for p in layer.parameters():
            p.uniform_(-0.5, 0.5)
    x = torch.randn(4, 7, 3)
    out, last = layer(x)
    ref, _ = _torch_twin(layer)(x)
    torch.testing.assert_close(out, ref)
    if bidirectional:
        torch.testing.assert_close(last, torch.cat([ref[:, -1, :5], ref[:, 0, 5:]], dim=1))
    else:
        torch.testing.assert_close(last, ref[:, -1])


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_lengths_make_padding_irrelevant(cell, bidirectional):
    torch.manual_seed(1)
    layer = Recurrent(cell, 2, 4, bidirectional)
    short = torch.randn(1, 3, 2)
    padded = torch.cat([short, torch.randn(1, 4, 2)], dim=1)  # garbage after the real steps
    out_short, last_short = layer(short)
    out_padded, last_padded = layer(padded, torch.tensor([3]))
    torch.testing.assert_close(last_padded, last_short)
    torch.testing.assert_close(out_padded[:, :3], out_short)


def test_reverse_padded_keeps_padding_in_place():
    x = torch.tensor([[1.0, 2.0, 3.0, 0.0], [4.0, 5.0, 6.0, 7.0]]).unsqueeze(-1)
    out = reverse_padded(x, torch.tensor([3, 4]))[..., 0]
    assert out.tolist() == [[3.0, 2.0, 1.0, 0.0], [7.0, 6.0, 5.0, 4.0]]


def test_keras_initialisation():
    layer = Recurrent("lstm", 3, 4)
    bias = layer.bias_forward.detach()
    assert bias[4:8].tolist() == [1.0] * 4  # unit_forget_bias
    assert bias[:4].abs().sum() == 0 and bias[8:].abs().sum() == 0
    block = layer.weight_hh_forward.detach()[:4]
    torch.testing.assert_close(block @ block.T, torch.eye(4), atol=1e-5, rtol=0)


def test_network_config_round_trips_and_rejects_unknown_keys():
    config = NetworkConfig("gru", 3, (8, 4), 2, bidirectional=True, dense=(5,))
    assert NetworkConfig.from_dict(config.to_dict()) == config
    with pytest.raises(ValueError, match="unknown network settings"):
        NetworkConfig.from_dict(config.to_dict() | {"bogus": 1})


def test_linear_skip_starts_at_zero_and_reads_the_last_target_values():
    torch.manual_seed(0)
    plain = RecurrentNetwork(NetworkConfig("gru", 2, (8,), 3))
    torch.manual_seed(0)
    skipped = RecurrentNetwork(NetworkConfig("gru", 2, (8,), 3, skip=4))
    x = torch.randn(5, 10, 2)
    # zero-initialised: training starts from the plain network's output
    assert torch.equal(plain(x), skipped(x))
    assert skipped.num_parameters() == plain.num_parameters() + (4 + 1) * 3
    assert skipped.layer_table()[-1] == ("skip", "Dense (last 4 values, added)", "(None, 3)", 15)
    with torch.no_grad():  # output k := the value 4 - k steps back, a naive-like map
        skipped.skip.weight.copy_(torch.eye(3, 4))
    expected = plain(x) + x[:, -4:-1, 0]  # feature 1 is never read
    assert torch.allclose(skipped(x), expected, atol=1e-6)
    with pytest.raises(ValueError, match="takes no `lengths`"):
        skipped(x, torch.full((5,), 10))
    with pytest.raises(ValueError, match="float inputs"):
        RecurrentNetwork(NetworkConfig("gru", 50, (8,), 1, tokens=True, embedding_dim=4, skip=3))


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_one_call_bidirectional_equals_two_directions(cell, monkeypatch):
    monkeypatch.setenv("RNNKIT_KERNELS", "0")  # the one-call path is PyTorch's kernels'
    torch.manual_seed(0)
    layer = Recurrent(cell, 3, 6, bidirectional=True)
    x = torch.randn(4, 7, 3, requires_grad=True)
    out, last = layer(x)  # no padding: one bidirectional kernel call
    forward = layer._run(x, "forward")
    backward = layer._run(x.flip(1), "backward").flip(1)
    torch.testing.assert_close(out, torch.cat([forward, backward], dim=2))
    torch.testing.assert_close(last, torch.cat([forward[:, -1], backward[:, 0]], dim=1))
    grads = torch.autograd.grad(out.sum() + last.sum(), [x, *layer.parameters()])
    x2 = x.detach().requires_grad_()
    f2, b2 = layer._run(x2, "forward"), layer._run(x2.flip(1), "backward").flip(1)
    ref = torch.autograd.grad(torch.cat([f2, b2], 2).sum() + f2[:, -1].sum() + b2[:, 0].sum(),
                              [x2, *layer.parameters()])
    for a, b in zip(grads, ref, strict=True):
        torch.testing.assert_close(a, b)
    full = torch.full((4,), 7)  # lengths that pad nothing take the same path
    torch.testing.assert_close(layer(x, full)[0], out)


@pytest.mark.parametrize("pooling", ["last", "max", "mean", "attention", "max,mean"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_pooling_ignores_padding_on_either_side(pooling, bidirectional):
    torch.manual_seed(0)
    net = RecurrentNetwork(NetworkConfig("gru", 20, (5, 4), 3, bidirectional, tokens=True,
                                         embedding_dim=6, pooling=pooling)).eval()
    texts = [[3, 7, 9, 4, 12], [5, 6], [8]]
    width = 8
    pre = torch.tensor([[0] * (width - len(t)) + t for t in texts])
    post = torch.tensor([t + [0] * (width - len(t)) for t in texts])
    alone = torch.cat([net(torch.tensor([t])) for t in texts])
    torch.testing.assert_close(net(pre), alone)
    torch.testing.assert_close(net(post), alone)


def test_pooling_summary_rows_and_sizes():
    net = RecurrentNetwork(NetworkConfig("lstm", 100, (8,), 1, True, 0.2, tokens=True,
                                         embedding_dim=4, pooling="max,attention",
                                         embedding_dropout=0.1))
    rows = {r[1]: r for r in net.layer_table(timesteps=10)}
    assert rows["Pooling (max,attention)"][2:] == ("(None, 32)", 17)  # attention: 16 + 1
    assert "SpatialDropout1D (words)" in rows
    assert net.head.in_features == 32
    # every row's shape starts in the header's column, however long its name
    lines = net.summary().splitlines()
    column = lines[2].index("Output Shape")
    body = [line for line in lines[4:] if line.startswith(("spatial", "bidirectional", "pooling"))]
    assert len(body) == 3 and all(line[column - 2:column] == "  " and line[column] == "("
                                  for line in body)
    with pytest.raises(ValueError, match="`pooling` must be one of last, max, mean"):
        RecurrentNetwork(NetworkConfig("lstm", 1, (2,), 1, pooling="max,max"))


def test_embedding_dropout_drops_whole_word_vectors():
    torch.manual_seed(0)
    net = RecurrentNetwork(NetworkConfig("rnn", 50, (3,), 1, tokens=True, embedding_dim=8,
                                         embedding_dropout=0.5))
    seen = {}
    net.recurrent[0].register_forward_hook(lambda m, args, out: seen.update(x=args[0]))
    net.train()(torch.randint(1, 50, (16, 30)))
    zero_rows = (seen["x"] == 0).all(dim=2)
    some_zero = (seen["x"] == 0).any(dim=2)
    assert torch.equal(zero_rows, some_zero)  # a word is dropped whole or not at all
    assert 0.3 < zero_rows.float().mean() < 0.7


def test_ngram_bag_counts_each_word_and_pair_once_and_never_padding():
    net = RecurrentNetwork(NetworkConfig("gru", 10, (2,), 1, tokens=True, embedding_dim=2,
                                         ngrams=2, ngram_buckets=7))
    ids = torch.tensor([[0, 0, 3, 4, 3, 4], [5, 5, 0, 0, 0, 0]])
    rows = [sorted(r[r != 0].tolist()) for r in net.ngram_ids(ids)]

    def pair(a, b):
        return (a * 1_000_003 ^ b) % 7 + 10

    assert rows[0] == sorted({3, 4, pair(3, 4), pair(4, 3)})
    assert rows[1] == sorted({5, pair(5, 5)})
    words_only = RecurrentNetwork(NetworkConfig("gru", 10, (2,), 1, tokens=True,
                                                embedding_dim=2, ngrams=1))
    assert [sorted(r[r != 0].tolist()) for r in words_only.ngram_ids(ids)] == [[3, 4], [5]]
    assert words_only.bag.num_embeddings == 10


def test_ngram_bag_starts_at_zero_ignores_padding_side_and_shows_in_summary():
    torch.manual_seed(0)
    config = NetworkConfig("lstm", 20, (4,), 3, True, tokens=True, embedding_dim=6,
                           pooling="max", ngrams=2, ngram_buckets=64)
    net = RecurrentNetwork(config).eval()
    plain = RecurrentNetwork(dataclasses.replace(config, ngrams=0)).eval()
    plain.load_state_dict({k: v for k, v in net.state_dict().items()
                           if not k.startswith("bag")})
    texts = [[3, 7, 9, 4, 12], [5, 6], [8]]
    pre = torch.tensor([[0] * (8 - len(t)) + t for t in texts])
    torch.testing.assert_close(net(pre), plain(pre) / 2)  # the mean with a zero bag
    with torch.no_grad():
        net.bag.weight.normal_()
        net.bag.weight[0] = 0
    post = torch.tensor([t + [0] * (8 - len(t)) for t in texts])
    alone = torch.cat([net(torch.tensor([t])) for t in texts])
    torch.testing.assert_close(net(pre), alone)
    torch.testing.assert_close(net(post), alone)
    assert not torch.allclose(net(pre), plain(pre))
    rows = {r[1]: r for r in net.layer_table()}
    assert rows["Bag of words+pairs, 50%"][2:] == ("(None, 3)", (20 + 64) * 3)
    with pytest.raises(ValueError, match="bag of n-grams reads token ids"):
        RecurrentNetwork(NetworkConfig("lstm", 1, (2,), 1, ngrams=1))


def test_a_branch_is_one_part_of_the_network_trained_alone():
    from rnnkit.models.network import Branch

    torch.manual_seed(0)
    net = RecurrentNetwork(NetworkConfig("gru", 12, (3,), 1, tokens=True, embedding_dim=4,
                                         ngrams=2, ngram_buckets=16)).eval()
    with torch.no_grad():
        net.bag.weight.normal_()
        net.bag.weight[0] = 0
    ids = torch.randint(1, 12, (8, 6))
    deep, bag = net.branch_outputs(ids)
    with Branch(net, "bag") as part:
        assert [n for n, p in part.named_parameters() if p.requires_grad] == ["network.bag.weight"]
        torch.testing.assert_close(part(ids), bag)
        assert part.state_dict().keys() == net.state_dict().keys()  # checkpoints are the net's
    with Branch(net, "recurrent") as part:
        trained = [n for n, p in part.named_parameters() if p.requires_grad]
        assert "network.bag.weight" not in trained and "network.head.weight" in trained
        torch.testing.assert_close(part(ids), deep)
    assert all(p.requires_grad for p in net.parameters())
    net.bag_share.fill_(0.3)
    torch.testing.assert_close(net(ids), 0.7 * deep + 0.3 * bag)
    with pytest.raises(ValueError, match="'bag' or 'recurrent'"):
        Branch(net, "head")
