"""Pretraining: a language model that learns, resumes, and hands its weights to a classifier."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from rnnkit import TextClassifier
from rnnkit.errors import RnnkitError
from rnnkit.language_model import TextLanguageModel


def _corpus(n: int = 300, seed: int = 0) -> list[str]:
    """A synthetic language with structure: each subject has its own verbs and objects."""
    rng = np.random.default_rng(seed)
    grammar = {"the dog": (["barks at", "chases"], ["the cat", "a ball"]),
               "a critic": (["praises", "hates"], ["the film", "the plot"]),
               "my aunt": (["bakes", "sells"], ["bread", "cakes"])}
    texts = []
    for _ in range(n):
        subject = list(grammar)[rng.integers(3)]
        verbs, objects = grammar[subject]
        texts.append(f"{subject} {verbs[rng.integers(2)]} {objects[rng.integers(2)]}")
    return texts


LM = dict(embedding_dim=8, units=[16], window=8, batch_size=16, learning_rate=0.02,
          verbose=False)


def test_the_language_model_learns_far_below_uniform_perplexity():
    lm = TextLanguageModel(**LM, epochs=15).fit(_corpus())
    uniform = lm.num_words_
    assert lm.perplexity(_corpus(50, seed=1)) < uniform / 4
    history = [r["val_perplexity"] for r in lm.history_.records]
    assert history[-1] < history[0]


def test_resume_after_an_interrupted_pretraining_continues_from_the_saved_epoch(
        tmp_path, monkeypatch):
    from rnnkit import training_state

    texts = _corpus()
    whole = TextLanguageModel(**LM, epochs=3, state_dir=str(tmp_path / "a")).fit(texts)
    saved = {"n": 0}
    original = training_state.save_run

    def killed_after_the_second_epoch(*args, **kwargs):
        out = original(*args, **kwargs)
        saved["n"] += 1
        if saved["n"] == 2:
            raise KeyboardInterrupt
        return out

    monkeypatch.setattr(training_state, "save_run", killed_after_the_second_epoch)
    with pytest.raises(KeyboardInterrupt):
        TextLanguageModel(**LM, epochs=3, state_dir=str(tmp_path / "b")).fit(texts)
    monkeypatch.setattr(training_state, "save_run", original)
    resumed = TextLanguageModel(**LM, epochs=3, state_dir=str(tmp_path / "b"))
    resumed.fit(texts, resume=True)
    assert [r["epoch"] for r in resumed.history_.records] == [1, 2, 3]
    for key, value in resumed.network_.state_dict().items():
        assert torch.equal(value, whole.network_.state_dict()[key]), key
    with pytest.raises(RnnkitError, match="`resume=True` needs `state_dir`"):
        TextLanguageModel(**LM).fit(texts, resume=True)


def test_the_classifier_starts_from_the_language_models_weights(tmp_path, monkeypatch):
    texts = _corpus()
    lm = TextLanguageModel(**LM, epochs=2).fit(texts)
    lm.save(tmp_path / "lm")
    started = {}
    import rnnkit.training as training

    real_train = training.train

    def spy(network, *args, **kwargs):
        started.update({k: v.clone() for k, v in network.state_dict().items()})
        started["scales"] = args[3].lr_scales
        return real_train(network, *args, **kwargs)

    monkeypatch.setattr(training, "train", spy)
    labels = ["animal" if t.startswith("the dog") else "other" for t in texts]
    clf = TextClassifier(cell="lstm", embedding_dim=8, units=[16], bidirectional=True,
                         pooling="max", epochs=1, verbose=False,
                         pretrained=str(tmp_path / "lm")).fit(texts, labels)
    theirs = lm.network_.state_dict()
    for name in ("embedding.weight", "recurrent.0.weight_ih_forward",
                 "recurrent.0.weight_hh_forward", "recurrent.0.bias_forward"):
        assert torch.equal(started[name], theirs[name]), name
    assert not torch.equal(started["recurrent.0.weight_hh_backward"],
                           theirs["recurrent.0.weight_hh_forward"])
    assert ("embedding.weight", 0.5) in started["scales"]
    assert clf.vocabulary_.words == lm.vocabulary_.words


def test_a_pretrained_model_of_another_shape_is_refused(tmp_path):
    lm = TextLanguageModel(**LM, epochs=1).fit(_corpus())
    lm.save(tmp_path / "lm")
    loaded = TextLanguageModel.load(tmp_path / "lm")
    assert loaded.vocabulary_.words == lm.vocabulary_.words
    with pytest.raises(RnnkitError, match=r"units=\(32,\) \(the language model: \(16,\)\)"):
        TextClassifier(embedding_dim=8, units=[32], pretrained=str(tmp_path / "lm"),
                       verbose=False).fit(_corpus(), ["a", "b"] * 150)


def test_a_saved_language_model_loads_summarises_and_is_not_a_predictor(tmp_path, capsys):
    import rnnkit
    from rnnkit.cli import main

    lm = TextLanguageModel(**LM, epochs=1).fit(_corpus())
    lm.save(tmp_path / "lm")
    loaded = rnnkit.load(str(tmp_path / "lm"))
    assert isinstance(loaded, TextLanguageModel)
    assert loaded.perplexity(_corpus(20)) == pytest.approx(lm.perplexity(_corpus(20)))
    assert main(["summary", str(tmp_path / "lm")]) == 0
    shown = capsys.readouterr().out
    total = sum(p.numel() for p in lm.network_.parameters())
    assert "lstm (LSTM)" in shown and f"Total params: {total:,}" in shown
    assert main(["predict", str(tmp_path / "lm"), "some text"]) == 2
    assert "is a language model" in capsys.readouterr().err


def test_the_pretrained_preset_needs_its_language_model_and_takes_its_shape(tmp_path):
    from rnnkit.classification.presets import PRESETS, PRETRAINING

    with pytest.raises(RnnkitError, match="rnnkit pretrain --data imdb --preset "
                                          "imdb-pretrained"):
        TextClassifier.from_preset("imdb-pretrained")
    lm = TextLanguageModel.from_preset("imdb-pretrained")
    shape = {k: PRESETS["imdb-pretrained"][k] for k in ("cell", "embedding_dim", "units")}
    assert {k: lm.get_params()[k] for k in shape} == shape  # the classifier can start from it
    assert lm.epochs == PRETRAINING["imdb-pretrained"]["epochs"]
    with pytest.raises(RnnkitError, match="must be one of imdb-pretrained; got 'imdb-best'"):
        TextLanguageModel.from_preset("imdb-best")
    small = TextLanguageModel(**LM | {"units": [128], "embedding_dim": 128}, epochs=1)
    small.fit(_corpus()).save(tmp_path / "lm")
    clf = TextClassifier.from_preset("imdb-pretrained", pretrained=str(tmp_path / "lm"),
                                     epochs=1, verbose=False)
    assert clf.ngrams == 2 and clf.refit
    clf.fit(_corpus(), ["a", "b"] * 150)
    assert clf.vocabulary_.words == small.vocabulary_.words
