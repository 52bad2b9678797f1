import numpy as np
import pytest
import torch
from sklearn.base import clone

import rnnkit
from rnnkit import TextClassifier
from rnnkit.errors import RnnkitError

POS = ["good", "great", "fine", "lovely", "superb"]
NEG = ["bad", "awful", "poor", "boring", "dull"]
FILLER = ["the", "film", "plot", "was", "actors", "and", "a", "it", "story", "very"]


def synthetic(n: int, classes: int = 2, seed: int = 0):
    """Texts of filler words with one class keyword at a random place: a learnable rule."""
    rng = np.random.default_rng(seed)
    keywords = [POS, NEG, ["meh", "okay", "average", "middling", "so-so"]][:classes]
    names = ["pos", "neg", "mixed"][:classes]
    texts, labels = [], []
    for _ in range(n):
        c = int(rng.integers(classes))
        words = list(rng.choice(FILLER, size=int(rng.integers(3, 12))))
        words.insert(int(rng.integers(len(words) + 1)), str(rng.choice(keywords[c])))
        texts.append(" ".join(words))
        labels.append(names[c])
    return texts, labels


FAST = dict(num_words=40, maxlen=16, embedding_dim=8, units=[16], dropout=0.0, epochs=40,
            batch_size=32, learning_rate=0.01, patience=8, verbose=False)


@pytest.fixture(scope="module")
def binary_model():
    texts, labels = synthetic(400)
    return TextClassifier(cell="gru", **FAST).fit(texts, labels)


def test_binary_rule_is_learnt(binary_model):
    texts, labels = synthetic(200, seed=1)
    evaluation = binary_model.evaluate(texts, labels, baseline=False)
    scores = evaluation.metrics.iloc[0]
    assert scores["accuracy"] > 0.97 and scores["ROC AUC"] > 0.99
    assert binary_model.score(texts, labels) == scores["accuracy"]
    assert binary_model.network_.config.output_size == 1
    assert evaluation.confusion.to_numpy().sum() == 200


@pytest.mark.parametrize("cell", ["lstm", "rnn"])
def test_multiclass_rule_is_learnt_with_integer_labels(cell):
    texts, labels = synthetic(600, classes=3)
    as_ints = [{"pos": 10, "neg": 20, "mixed": 30}[v] for v in labels]
    clf = TextClassifier(cell=cell, **FAST).fit(texts, as_ints)
    assert clf.classes_ == [10, 20, 30] and clf.network_.config.output_size == 3
    test_texts, test_labels = synthetic(200, classes=3, seed=2)
    truth = [{"pos": 10, "neg": 20, "mixed": 30}[v] for v in test_labels]
    assert np.mean(np.array(clf.predict(test_texts)) == np.array(truth)) > 0.95
    proba = clf.predict_proba(test_texts)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)


def test_evaluation_has_majority_baseline(binary_model):
    texts, labels = synthetic(100, seed=3)
    ev = binary_model.evaluate(texts, labels)
    assert ev.metrics.index.tolist() == ["GRU", "majority class",
                                         "TF-IDF + logistic regression"]
    majority = binary_model.classes_[binary_model.majority_class_]
    assert ev.metrics.loc["majority class", "accuracy"] == pytest.approx(
        np.mean(np.array(labels) == majority))
    accuracy = ev.metrics["accuracy"]
    best = accuracy.iloc[1:].idxmax()
    if accuracy.iloc[0] > accuracy[best]:
        assert ev.verdict.startswith(f"GRU beats the best baseline ({best})")
    else:
        assert ev.verdict.startswith(f"GRU LOSES to {best}")


@pytest.mark.parametrize("bidirectional", [False, True])
def test_pre_and_post_padding_give_identical_predictions(bidirectional):
    texts, labels = synthetic(300)
    clf = TextClassifier(cell="lstm", bidirectional=bidirectional, padding="pre",
                         **FAST | {"epochs": 5}).fit(texts, labels)
    ids_pre = torch.as_tensor(clf.encode(texts[:50]))
    clf.padding = "post"
    ids_post = torch.as_tensor(clf.encode(texts[:50]))
    assert not torch.equal(ids_pre, ids_post)  # the padding really moved
    with torch.no_grad():
        torch.testing.assert_close(clf.network_(ids_pre), clf.network_(ids_post),
                                   rtol=1e-6, atol=1e-6)
        # and the answer is that of the unpadded text alone
        first = ids_post[:1, : int((ids_post[0] != 0).sum())]
        torch.testing.assert_close(clf.network_(first), clf.network_(ids_post[:1]),
                                   rtol=1e-6, atol=1e-6)


def test_save_load_identical_predictions(tmp_path, binary_model):
    binary_model.save(tmp_path / "clf")
    loaded = rnnkit.load(str(tmp_path / "clf"))
    assert isinstance(loaded, TextClassifier)
    texts, _ = synthetic(50, seed=4)
    assert np.array_equal(loaded.predict_proba(texts), binary_model.predict_proba(texts))
    assert loaded.vocabulary_.words == binary_model.vocabulary_.words


def test_same_seed_same_model():
    texts, labels = synthetic(200)
    a = TextClassifier(**FAST | {"epochs": 3, "dropout": 0.2}).fit(texts, labels)
    b = TextClassifier(**FAST | {"epochs": 3, "dropout": 0.2}).fit(texts, labels)
    assert np.array_equal(a.predict_proba(texts), b.predict_proba(texts))


def test_vocabulary_comes_from_training_part_only():
    texts, labels = synthetic(100)
    clf = TextClassifier(**FAST | {"epochs": 1, "num_words": 1000}).fit(
        [*texts, "zebra zebra zebra good"], [*labels, "pos"])
    # the single 'zebra' text is in either part; the validation part must not add words
    assert ("zebra" in clf.vocabulary_.index) == (len(clf.vocabulary_.words) == 21)


def test_clone_and_presets():
    clf = TextClassifier.from_preset("imdb-bilstm")
    assert clone(clf).get_params() == clf.get_params()
    assert clf.summary().count("Bidirectional(LSTM)") == 2
    assert "Total params: 1,422,145" in clf.summary()
    assert "Total params: 8,809" in TextClassifier.from_preset("imdb-lstm8").summary()
    with pytest.raises(RnnkitError, match="`preset` must be one of imdb-lstm8"):
        TextClassifier.from_preset("imdb-huge")


def test_one_hot_input_and_memory_warning():
    texts, labels = synthetic(100)
    clf = TextClassifier(**FAST | {"embedding_dim": None, "epochs": 2}).fit(texts, labels)
    assert clf.summary().count("OneHot") == 1
    # the warning comes first; then fit stops on the bad label
    with pytest.warns(UserWarning, match=r"one-hot inputs .* need about 2\.\d GiB per batch"), \
            pytest.raises(RnnkitError):
        TextClassifier(num_words=10_000, maxlen=500, embedding_dim=None, batch_size=64,
                       verbose=False).fit(["a b"] * 3, ["x", "y", None])


@pytest.mark.parametrize("texts, labels, message", [
    (["good", ""], ["a", "b"], "text 1 of `texts` is empty"),
    (["good", None], ["a", "b"], "text 1 of `texts` is missing"),
    ("good film", ["a"], "`texts` must be a list of strings"),
    (["good", "bad"], ["a"], "one label per text; got 1 labels for 2 texts"),
    (["good", "bad"], ["a", "a"], "single class ('a')"),
    (["good", "bad"], ["a", None], "`labels` has missing values at text 1"),
    (["good", "bad", "fine"], ["a", "b", "c"], "`validation`=0.2 leaves no text for validation"),
    ([f"text {i}" for i in range(40)], [f"t{i}" for i in range(40)],
     "`labels` has 40 different values for 40 texts"),
])
def test_bad_training_input(texts, labels, message):
    with pytest.raises(RnnkitError) as info:
        TextClassifier(verbose=False).fit(texts, labels)
    assert message in str(info.value)


@pytest.mark.parametrize("params, message", [
    ({"num_words": 3}, "`num_words` must be 'auto' or an integer >= 4 and <= 2,000,000; got 3."),
    ({"maxlen": 0}, "`maxlen` must be 'auto' or None or an integer >= 2; got 0."),
    ({"padding": "middle"}, "`padding` must be one of 'pre', 'post'; got 'middle'."),
])
def test_out_of_range_arguments(params, message):
    with pytest.raises(RnnkitError, match=message.replace("(", r"\(").replace(")", r"\)")):
        TextClassifier(verbose=False, **params).fit(["a", "b"], ["x", "y"])


def test_unknown_label_at_scoring(binary_model):
    with pytest.raises(RnnkitError, match=r"label 'maybe' \(text 1\) was never seen in training; "
                                          r"known labels: neg, pos"):
        binary_model.score(["good film", "so so"], ["pos", "maybe"])


def test_predictions_do_not_depend_on_the_batch_a_text_lands_in():
    rng = np.random.default_rng(0)
    words = ["good", "bad", "fine", "plot", "awful", "great", "film", "the"]
    texts = [" ".join(rng.choice(words, int(rng.integers(1, 30)))) for _ in range(300)]
    labels = [int("good" in t or "great" in t) for t in texts]
    clf = TextClassifier(num_words=12, maxlen=20, embedding_dim=4, units=[4],
                         bidirectional=True, epochs=2, verbose=False).fit(texts, labels)
    together = clf.predict_proba(texts)  # sorted by length into batches of similar texts
    alone = np.concatenate([clf.predict_proba([t]) for t in texts[:40]])
    np.testing.assert_allclose(together[:40], alone, rtol=1e-5, atol=1e-6)
    assert clf.history_.records[0]["tokens_per_s"] > 0


def test_bucketed_batches_cover_every_sample_once_with_similar_lengths():
    import torch

    from rnnkit.training import bucketed_batches

    lengths = torch.as_tensor(np.random.default_rng(0).integers(1, 500, 10_000))
    batches = bucketed_batches(lengths, 64, torch.Generator().manual_seed(0))
    assert sorted(torch.cat(batches).tolist()) == list(range(10_000))
    spread = np.mean([float(lengths[b].max() - lengths[b].min()) for b in batches])
    assert spread < 30  # a random batch spans nearly the whole range (about 480)
    sizes = [len(b) for b in batches]
    assert max(sizes) == 64 and sizes.count(64) >= len(sizes) - 4


def test_predicting_long_texts_keeps_each_batch_within_its_token_budget(monkeypatch):
    """1,024 whole reviews at once once took a BiLSTM(128) past 16 GB; long texts now go in
    smaller batches, with the same answers."""
    import rnnkit.data.batches as batches
    from rnnkit.models.network import RecurrentNetwork

    rng = np.random.default_rng(0)
    texts = [" ".join(rng.choice(["good", "bad", "film", "plot"], size=int(n)))
             for n in rng.integers(1, 300, 120)]
    labels = [int("good" in t.split()[:3]) for t in texts]
    clf = TextClassifier(num_words=10, maxlen=None, embedding_dim=4, units=[4],
                         bidirectional=True, pooling="max,mean", epochs=1,
                         verbose=False).fit(texts, labels)
    whole = clf.predict_proba(texts)
    shapes = []
    forward = RecurrentNetwork.forward
    monkeypatch.setattr(RecurrentNetwork, "forward",
                        lambda self, x, *a: shapes.append(tuple(x.shape)) or forward(self, x, *a))
    monkeypatch.setattr(batches, "PREDICT_TOKENS", 1000)
    np.testing.assert_allclose(clf.predict_proba(texts), whole, rtol=1e-6, atol=1e-7)
    assert len(shapes) > 1 and all(n * steps <= 1000 for n, steps in shapes)
    assert sum(n for n, _ in shapes) == len(texts)
    # validation during training and onnxruntime's predictions are cut the same way
    assert [len(b) for b in batches.length_batches(np.full(10, 300), 1024)] == [3, 3, 3, 1]


def test_validation_data_and_the_tfidf_baseline_in_evaluate():
    texts, labels = synthetic(200)
    dev_texts, dev_labels = synthetic(60, seed=5)
    clf = TextClassifier(num_words=40, maxlen=12, embedding_dim=4, units=[4], epochs=1,
                         verbose=False).fit(texts, labels, validation_data=(dev_texts,
                                                                           dev_labels))
    # every training text trained; the validation loss is the development texts'
    assert clf._baseline_source[0] == texts
    ev = clf.evaluate(dev_texts, dev_labels)
    assert list(ev.metrics.index) == [clf.model_name, "majority class",
                                      "TF-IDF + logistic regression"]
    bag = ev.metrics.loc["TF-IDF + logistic regression", "accuracy"]
    net = ev.metrics.iloc[0]["accuracy"]
    if bag > net:
        assert "LOSES to TF-IDF + logistic regression" in ev.verdict
    assert "TF-IDF" not in str(clf.evaluate(dev_texts, dev_labels, baseline=False).metrics)
    with pytest.raises(RnnkitError, match=r"label 'maybe' .* never seen in training"):
        TextClassifier(epochs=1, verbose=False).fit(texts, labels,
                                                    validation_data=(["x"], ["maybe"]))
    with pytest.raises(RnnkitError, match="`validation_data` must be a pair"):
        TextClassifier(epochs=1, verbose=False).fit(texts, labels, validation_data=dev_texts)


def test_a_loaded_classifier_is_judged_against_the_majority_class(tmp_path):
    texts, labels = synthetic(120)
    clf = TextClassifier(num_words=40, maxlen=12, embedding_dim=4, units=[4], epochs=1,
                         verbose=False).fit(texts, labels)
    clf.save(tmp_path / "m")
    loaded = TextClassifier.load(tmp_path / "m")
    assert loaded.tfidf_baseline() is None
    assert len(loaded.evaluate(texts, labels).metrics) == 2


def test_whole_texts_and_automatic_sizes(tmp_path):
    texts, labels = synthetic(200)
    texts = [t + " filler" * (i % 40) for i, t in enumerate(texts)]  # lengths up to ~50
    clf = TextClassifier(maxlen=None, embedding_dim=4, units=[4], epochs=1,
                         verbose=False).fit(texts, labels)
    assert clf.maxlen_ is None and clf.num_words_ == clf.vocabulary_.size
    longest = max(len(t.split()) for t in texts) + 1
    assert clf.encode(texts).shape == (len(texts), longest)  # nothing cut
    auto = TextClassifier(embedding_dim=4, units=[4], epochs=1, verbose=False)
    auto.fit(texts, labels)
    lengths = sorted(len(t.split()) + 1 for t in texts)
    assert auto.maxlen == "auto" and lengths[int(0.9 * len(lengths))] <= auto.maxlen_ \
        <= lengths[-1]
    clf.save(tmp_path / "whole")
    loaded = TextClassifier.load(tmp_path / "whole")
    assert loaded.maxlen_ is None
    np.testing.assert_array_equal(loaded.predict_proba(texts), clf.predict_proba(texts))


def test_cli_maxlen_none_and_auto_choice_printed(tmp_path, capsys):
    import pandas as pd

    from rnnkit.cli import main

    texts, labels = synthetic(150)
    path = tmp_path / "t.csv"
    pd.DataFrame({"text": texts, "label": labels}).to_csv(path, index=False)
    assert main(["classify", "--csv", str(path), "--maxlen", "none", "--epochs", "1",
                 "--units", "4", "--quiet", "--out", str(tmp_path / "m")]) == 0
    out = capsys.readouterr().out
    assert "Chosen from the training texts: num_words" in out and "maxlen" not in \
        out.split("Chosen from the training texts:")[1].split("\n")[0]
    with pytest.raises(SystemExit) as exit_:
        main(["classify", "--csv", str(path), "--maxlen", "ten"])
    assert exit_.value.code == 2
    assert "--maxlen: must be an integer, auto or none; got 'ten'" in capsys.readouterr().err


def word_pairs(n: int, seed: int = 0):
    """Each text holds one of "not bad", "very good" (class 1) or "not good", "very bad"
    (class 0) among filler: every word is as common in both classes, only pairs tell."""
    rng = np.random.default_rng(seed)
    filler = ["the", "film", "plot", "was", "and", "it", "actor", "scene"]
    phrases = {1: [["not", "bad"], ["very", "good"]], 0: [["not", "good"], ["very", "bad"]]}
    texts, labels = [], []
    for _ in range(n):
        c = int(rng.integers(2))
        words = list(rng.choice(filler, size=int(rng.integers(3, 10))))
        at = int(rng.integers(len(words) + 1))
        words[at:at] = phrases[c][int(rng.integers(2))]
        texts.append(" ".join(words))
        labels.append(c)
    return texts, labels


def test_a_bag_of_word_pairs_learns_what_single_words_cannot(tmp_path):
    texts, labels = word_pairs(600)
    test_texts, test_labels = word_pairs(300, seed=1)
    # a recurrent part too small to read order, so the bag decides
    tiny = dict(cell="gru", num_words=20, maxlen=None, embedding_dim=1, units=[1], dropout=0.0,
                epochs=15, learning_rate=0.01, patience=None, ngram_buckets=64, verbose=False)
    accuracy = {}
    for ngrams in (1, 2):
        clf = TextClassifier(**tiny, ngrams=ngrams).fit(texts, labels)
        accuracy[ngrams] = np.mean(np.array(clf.predict(test_texts)) == np.array(test_labels))
    assert accuracy[1] < 0.7 < 0.95 < accuracy[2]
    # chosen on validation texts: the bag, which alone can tell, takes most of the output
    share = clf.network_.bag_share.item()
    assert share > 0.5 and len(clf.ngram_history_.records) == 15
    clf.save(tmp_path / "bag")
    loaded = TextClassifier.load(tmp_path / "bag")
    assert np.array_equal(loaded.predict_proba(test_texts), clf.predict_proba(test_texts))
    assert f"ngram_bag (Bag of words+pairs, {share:.0%})" in loaded.summary()


def test_the_bag_starts_from_naive_bayes_log_count_ratios():
    import torch

    from rnnkit.classification.ngrams import NGRAM_NB_SCALE, naive_bayes_start
    from rnnkit.data.text import RaggedIds
    from rnnkit.models.network import NetworkConfig, RecurrentNetwork

    # word ids 3 ("good") in both texts of class 1, 4 ("bad") in the one text of class 0,
    # 5 in every text; texts are id lists (1 = start)
    texts = [[1, 3, 5, 3], [1, 3, 5], [1, 4, 5]]
    ids = RaggedIds(torch.tensor([i for t in texts for i in t]),
                    torch.tensor([len(t) for t in texts]))
    for classes, y in ((2, np.array([1, 1, 0])), (3, np.array([1, 1, 0]))):
        net = RecurrentNetwork(NetworkConfig("gru", 8, (2,), 1 if classes == 2 else 3,
                                             tokens=True, embedding_dim=2, ngrams=1))
        naive_bayes_start(net, ids, y, classes)
        w = net.bag.weight.detach().numpy() / NGRAM_NB_SCALE
        # texts holding each row (0..7), plus one: class 1's two texts hold 1, 3 and 5; the
        # other text 1, 4 and 5 (repeats within a text count once)
        p = np.array([0, 2, 0, 2, 0, 2, 0, 0]) + 1.0
        q = np.array([0, 1, 0, 0, 1, 1, 0, 0]) + 1.0
        expected = np.log(p / p.sum()) - np.log(q / q.sum())
        expected[0] = 0
        column = 0 if classes == 2 else 1
        np.testing.assert_allclose(w[:, column], expected, rtol=1e-6)
        assert w[3, column] > 0 > w[4, column]  # "good" for the class, "bad" against it


def test_refit_trains_again_on_all_texts_for_the_chosen_epochs():
    texts, labels = word_pairs(300)
    base = dict(cell="gru", num_words=20, maxlen=None, embedding_dim=2, units=[2], dropout=0.0,
                epochs=4, patience=None, ngrams=2, ngram_buckets=64, verbose=False, seed=0)
    first = TextClassifier(**base).fit(texts, labels)
    refit = TextClassifier(**base, refit=True).fit(texts, labels)
    bag, recurrent = refit.refit_histories_
    assert len(bag.records) == first.ngram_history_.best_epoch
    assert len(recurrent.records) == first.history_.best_epoch
    assert "val_loss" not in recurrent.records[0]  # no text held out
    assert refit.network_.bag_share.item() == first.network_.bag_share.item()
    assert not np.array_equal(refit.predict_proba(texts[:20]), first.predict_proba(texts[:20]))


def test_after_a_refit_the_tfidf_baseline_learns_from_the_same_texts():
    pytest.importorskip("sklearn")
    texts, labels = word_pairs(200)
    base = dict(cell="gru", num_words=20, maxlen=None, embedding_dim=2, units=[2], epochs=1,
                verbose=False, seed=0)
    for refit, share in ((False, 0.8), (True, 1.0)):
        clf = TextClassifier(**base, refit=refit).fit(texts, labels)
        assert len(clf._baseline_source[0]) == pytest.approx(share * len(texts), abs=1)


def test_the_classifier_works_in_scikit_learn_tools():
    pytest.importorskip("sklearn")
    from sklearn.base import clone, is_classifier
    from sklearn.model_selection import GridSearchCV, cross_val_score
    from sklearn.pipeline import Pipeline

    texts, labels = synthetic(120)
    clf = TextClassifier(cell="gru", **FAST)
    assert is_classifier(clf) and clone(clf).get_params() == clf.get_params()
    scores = cross_val_score(clf, texts, labels, cv=3, error_score="raise")
    assert scores.shape == (3,) and np.isfinite(scores).all()
    search = GridSearchCV(clf, {"units": [[4], [8]]}, cv=2, error_score="raise")
    search.fit(texts, labels)
    assert search.best_params_["units"] in ([4], [8]) and np.isfinite(search.best_score_)
    predicted = Pipeline([("clf", clf)]).fit(texts, labels).predict(texts[:5])
    assert isinstance(predicted, np.ndarray) and set(predicted) <= set(labels)
    # a search over a pipeline that holds the classifier: real scores, not NaN
    piped = GridSearchCV(Pipeline([("clf", clf)]), {"clf__units": [[4], [8]]}, cv=2,
                         error_score="raise").fit(texts, labels)
    assert np.isfinite(piped.cv_results_["mean_test_score"]).all()
    assert 0.0 <= piped.best_score_ <= 1.0
    assert isinstance(clf.fit(texts, labels).score(texts, labels), float)


def test_the_bags_share_is_chosen_in_batches_within_the_token_budget(monkeypatch):
    import rnnkit.data.batches as batches
    from rnnkit.classification.ngrams import best_share
    from rnnkit.models.network import RecurrentNetwork

    rng = np.random.default_rng(1)
    texts = [" ".join(rng.choice(["good", "bad", "film", "plot"], size=int(n)))
             for n in rng.integers(1, 200, 80)]
    labels = [int(t.split().count("good") > t.split().count("bad")) for t in texts]
    clf = TextClassifier(num_words=10, maxlen=None, embedding_dim=4, units=[4], ngrams=2,
                         ngram_buckets=64, epochs=2, verbose=False).fit(texts, labels)
    ids = clf._ids(texts)
    target = torch.tensor(labels, dtype=torch.float32)[:, None]
    loss = torch.nn.functional.binary_cross_entropy_with_logits
    whole = best_share(clf.network_, loss, ids, target)
    widths = []
    outputs = RecurrentNetwork.branch_outputs
    monkeypatch.setattr(RecurrentNetwork, "branch_outputs",
                        lambda self, x: widths.append(x.numel()) or outputs(self, x))
    monkeypatch.setattr(batches, "PREDICT_TOKENS", 500)
    assert best_share(clf.network_, loss, ids, target) == whole
    assert len(widths) > 1 and max(widths) <= 500
