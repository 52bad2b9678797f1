"""Self-training on unlabelled texts (TextClassifier.fit(..., unlabeled=...))."""

import numpy as np
import pandas as pd
import pytest
from test_classifier import FILLER, NEG, POS, synthetic

from rnnkit import TextClassifier
from rnnkit.classification.self_training import pseudo_labels
from rnnkit.cli import main
from rnnkit.errors import RnnkitError

SMALL = dict(num_words="auto", maxlen=16, embedding_dim=8, units=[16], dropout=0.0, epochs=20,
             batch_size=32, learning_rate=0.01, patience=None, verbose=False)


def _with_new_words(n: int, seed: int = 1) -> list[str]:
    """Texts each holding a known class keyword and a word no labelled text has: 'radiant'
    beside positive keywords, 'dismal' beside negative ones."""
    rng = np.random.default_rng(seed)
    texts = []
    for k in range(n):
        known, new = (POS, "radiant") if k % 2 else (NEG, "dismal")
        words = [*rng.choice(FILLER, size=4), str(rng.choice(known)), new]
        texts.append(" ".join(rng.permutation(words)))
    return texts


def test_pseudo_labels_keep_sure_texts_in_the_label_values():
    class Teacher:
        classes_ = (3, 7, 9)

        def predict_proba(self, texts):
            return np.array([[0.2, 0.7, 0.1], [0.4, 0.3, 0.3], [0.05, 0.05, 0.9]])

    assert pseudo_labels(Teacher(), ["a", "b", "c"], 0.6) == (["a", "c"], [7, 9])
    assert pseudo_labels(Teacher(), ["a", "b", "c"], 0.95) == ([], [])


def test_words_only_unlabelled_texts_hold_are_learnt_from_the_pseudo_labels():
    texts, labels = synthetic(400)
    unlabeled = _with_new_words(200)
    plain = TextClassifier(**SMALL).fit(texts, labels)
    taught = TextClassifier(**SMALL).fit(texts, labels, unlabeled=unlabeled)
    assert taught.self_training_["unlabeled"] == 200
    assert taught.self_training_["pseudo_labeled"] > 150  # the known keyword decides
    assert taught.self_training_["teacher_accuracy"] > 0.85
    assert "radiant" in taught.vocabulary_.to_list() and "radiant" not in (
        plain.vocabulary_.to_list())
    probe = ["the film was radiant", "the film was dismal"]
    p_taught = taught.predict_proba(probe)[:, taught.classes_.index("pos")]
    p_plain = plain.predict_proba(probe)[:, plain.classes_.index("pos")]
    assert p_taught[0] - p_taught[1] > 0.25
    assert p_plain[0] == p_plain[1]  # both words unknown to it: the same ids


def test_pseudo_labelled_texts_never_count_as_labelled_ones():
    texts, labels = synthetic(400)
    keep = [i for i, label in enumerate(labels) if label == "neg"][:120] + [
        i for i, label in enumerate(labels) if label == "pos"][:80]
    texts, labels = [texts[i] for i in keep], [labels[i] for i in keep]
    positive = [t for t in _with_new_words(600) if "radiant" in t]  # 300, all positive
    clf = TextClassifier(**SMALL | {"refit": True}).fit(texts, labels, unlabeled=positive)
    assert clf.self_training_["pseudo_labeled"] > 150
    # learned from the 160 labelled training texts (96 neg), not the 300 positive ones
    assert clf.classes_[clf.majority_class_] == "neg"
    baseline_texts, _ = clf._baseline_source
    assert len(baseline_texts) == 200 and not set(baseline_texts) & set(positive)


def test_self_training_resumes_the_teacher_and_the_model_from_their_own_states(tmp_path):
    texts, labels = synthetic(120)
    unlabeled = _with_new_words(60)
    settings = SMALL | {"epochs": 4, "state_dir": str(tmp_path / "state")}
    first = TextClassifier(**settings).fit(texts, labels, unlabeled=unlabeled)
    assert (tmp_path / "state" / "teacher").is_dir()
    again = TextClassifier(**settings).fit(texts, labels, unlabeled=unlabeled, resume=True)
    np.testing.assert_array_equal(first.predict_proba(texts), again.predict_proba(texts))
    assert again.self_training_ == first.self_training_


@pytest.mark.parametrize("params, unlabeled, message", [
    ({}, "one text", "`unlabeled` must be a list of strings; got str."),
    ({}, [], "`unlabeled` is empty"),
    ({"pseudo_label_threshold": 0}, ["a text"], "`pseudo_label_threshold` must be"),
    ({"pseudo_label_threshold": 1.5}, ["a text"], "`pseudo_label_threshold` must be"),
])
def test_self_training_refuses_bad_values(params, unlabeled, message):
    texts, labels = synthetic(40)
    with pytest.raises(RnnkitError, match=message.replace("(", r"\(").replace(")", r"\)")):
        TextClassifier(**SMALL | params).fit(texts, labels, unlabeled=unlabeled)


def test_self_training_needs_labelled_texts_to_validate_on():
    with pytest.raises(RnnkitError, match=r"`validation`=0\.2 leaves no text for validation"):
        TextClassifier(**SMALL).fit(["good film", "bad film"], ["pos", "neg"],
                                    unlabeled=["a text"])


def test_classify_unlabeled_data_from_a_file(tmp_path, capsys):
    texts, labels = synthetic(200)
    train, unlabeled = tmp_path / "train.csv", tmp_path / "unlabeled.csv"
    pd.DataFrame({"text": texts, "label": labels}).to_csv(train, index=False)
    pd.DataFrame({"text": _with_new_words(100)}).to_csv(unlabeled, index=False)
    out = tmp_path / "m"
    assert main(["classify", "--csv", str(train), "--unlabeled-data", str(unlabeled),
                 "--pseudo-label-threshold", "0.7", "--num-words", "40", "--maxlen", "16",
                 "--embedding-dim", "8", "--units", "8", "--epochs", "3", "--quiet",
                 "--out", str(out)]) == 0
    shown = capsys.readouterr().out
    assert "unlabelled: 100 texts of" in shown and "Self-training: a first model" in shown
    assert "at probability >= 0.7" in shown


@pytest.mark.parametrize("args, message", [
    (["--unlabeled-data", "imdb"], "--unlabeled-data imdb goes with --data imdb"),
    (["--unlabeled-data", "missing.csv"], "'missing.csv' does not exist"),
    (["--pseudo-label-threshold", "0"], "`pseudo_label_threshold` must be"),
])
def test_classify_unlabeled_data_errors(tmp_path, capsys, args, message):
    texts, labels = synthetic(40)
    train = tmp_path / "train.csv"
    pd.DataFrame({"text": texts, "label": labels}).to_csv(train, index=False)
    assert main(["classify", "--csv", str(train), "--quiet", "--epochs", "1",
                 "--out", str(tmp_path / "o"), *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("rnnkit: error: ") and message in err
