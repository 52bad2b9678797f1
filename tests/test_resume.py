"""A training run killed mid-way and resumed ends with exactly the uninterrupted run's weights."""

from __future__ import annotations

import pytest
import torch

from rnnkit.errors import RnnkitError
from rnnkit.models.network import NetworkConfig, RecurrentNetwork
from rnnkit.training import TrainConfig, train


def _setup(seed: int = 0):
    torch.manual_seed(seed)
    net = RecurrentNetwork(NetworkConfig("gru", 1, (6,), 1, dropout=0.3, dense=(4,)))
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(96, 8, 1, generator=gen)
    y = x[:, -3:, 0].sum(1, keepdim=True)
    return net, (x[:64], y[:64]), (x[64:], y[64:])


@pytest.mark.parametrize("schedule", ["plateau", "warmup-cosine"])
def test_a_killed_run_resumes_bit_for_bit(tmp_path, schedule):
    config = TrainConfig(epochs=6, batch_size=16, learning_rate=0.01, patience=4,
                         reduce_lr_patience=1, schedule=schedule, weight_decay=0.01,
                         verbose=False, state_dir=str(tmp_path / "run"))
    net, data, val = _setup()
    whole = train(net, torch.nn.functional.mse_loss, data, val, config)
    expected = {k: v.clone() for k, v in net.state_dict().items()}

    calls = {"n": 0}

    def dies_in_epoch_4(out, target):  # 4 batches + 1 validation call an epoch
        calls["n"] += 1
        if calls["n"] == 16:  # the first batch of epoch 4
            raise KeyboardInterrupt
        return torch.nn.functional.mse_loss(out, target)

    state = tmp_path / "killed"
    killed_config = TrainConfig(**{**config.__dict__, "state_dir": str(state)})
    net, data, val = _setup()
    with pytest.raises(KeyboardInterrupt):
        train(net, dies_in_epoch_4, data, val, killed_config)
    assert (state / "latest").read_text().strip() == "epoch-0003"
    assert not list(state.glob(".*partial"))
    net, data, val = _setup(seed=99)  # other initial weights: the saved ones must win
    resumed = train(net, torch.nn.functional.mse_loss, data, val,
                    TrainConfig(**{**killed_config.__dict__, "resume": True}))
    for key, value in net.state_dict().items():
        assert torch.equal(value, expected[key]), key
    assert [r["loss"] for r in resumed.records] == [r["loss"] for r in whole.records]
    assert resumed.best_epoch == whole.best_epoch


def test_resume_without_a_saved_run_starts_afresh_and_a_mismatch_is_refused(tmp_path):
    net, data, val = _setup()
    config = TrainConfig(epochs=2, batch_size=16, verbose=False, resume=True,
                         state_dir=str(tmp_path / "s"))
    history = train(net, torch.nn.functional.mse_loss, data, val, config)
    assert len(history.records) == 2
    other = RecurrentNetwork(NetworkConfig("gru", 1, (7,), 1))
    with pytest.raises(RnnkitError, match="does not match this model"):
        train(other, torch.nn.functional.mse_loss, data, val,
              TrainConfig(**{**config.__dict__, "epochs": 3}))


def _dies_after_saving(monkeypatch, saves: int) -> None:
    """The process 'dies' (KeyboardInterrupt) right after the ``saves``-th epoch is saved."""
    import rnnkit.training_state

    real, count = rnnkit.training_state.save_run, {"n": 0}

    def save_then_die(*args, **kwargs):
        folder = real(*args, **kwargs)
        count["n"] += 1
        if count["n"] == saves:
            raise KeyboardInterrupt
        return folder

    monkeypatch.setattr(rnnkit.training_state, "save_run", save_then_die)


def test_a_killed_forecaster_ensemble_resumes_to_the_same_model(tmp_path, seasonal_series,
                                                                 tiny_params, monkeypatch):
    from rnnkit import Forecaster

    params = tiny_params | {"ensemble": 2, "epochs": 4, "dropout": 0.2}
    whole = Forecaster(**params, state_dir=str(tmp_path / "whole")).fit(seasonal_series)
    _dies_after_saving(monkeypatch, 6)  # the second network's second epoch
    state = str(tmp_path / "killed")
    with pytest.raises(KeyboardInterrupt):
        Forecaster(**params, state_dir=state).fit(seasonal_series)
    monkeypatch.undo()
    resumed = Forecaster(**params | {"seed": 0}, state_dir=state).fit(seasonal_series,
                                                                      resume=True)
    for a, b in zip(whole.network_.members, resumed.network_.members, strict=True):
        for key, value in a.state_dict().items():
            assert torch.equal(value, b.state_dict()[key]), key
    assert resumed.forecast(3).equals(whole.forecast(3))
    with pytest.raises(RnnkitError, match="`resume=True` needs `state_dir`"):
        Forecaster(**params).fit(seasonal_series, resume=True)


def test_a_killed_classifier_with_a_bag_resumes_to_the_same_model(tmp_path, monkeypatch):
    from rnnkit import TextClassifier

    texts = ["good fine great film", "bad awful poor film", "great good", "poor bad"] * 12
    labels = ["pos", "neg", "pos", "neg"] * 12
    params = dict(units=[4], epochs=3, ngrams=2, ngram_buckets=64, dropout=0.2,
                  patience=None, verbose=False, seed=0)
    whole = TextClassifier(**params, state_dir=str(tmp_path / "whole")).fit(texts, labels)
    _dies_after_saving(monkeypatch, 4)  # the bag's 3 epochs, then the recurrent one's first
    state = tmp_path / "killed"
    with pytest.raises(KeyboardInterrupt):
        TextClassifier(**params, state_dir=str(state)).fit(texts, labels)
    monkeypatch.undo()
    assert sorted(p.name for p in state.iterdir()) == ["bag", "recurrent"]
    resumed = TextClassifier(**params, state_dir=str(state)).fit(texts, labels, resume=True)
    for key, value in whole.network_.state_dict().items():
        assert torch.equal(value, resumed.network_.state_dict()[key]), key
