"""Self-training on unlabelled texts: a classifier trained on the labelled texts (the
teacher) labels the unlabelled texts it is sure of, and a fresh classifier of the same
settings learns from both (Yarowsky 1995; scikit-learn's ``SelfTrainingClassifier`` does the
same for one round). What the teacher knows reaches words and phrases that only the
unlabelled texts hold, and a recurrent network gets several times more texts to learn from.

Only labelled texts ever judge a model: early stopping and the choices made on validation
texts look at labelled ones alone, and so does the TF-IDF baseline of ``evaluate``.

>>> from rnnkit import TextClassifier
>>> texts = ["good fun", "great film", "bad plot", "awful acting"] * 8
>>> labels = ["pos", "pos", "neg", "neg"] * 8
>>> clf = TextClassifier(num_words=20, maxlen=5, embedding_dim=4, units=4, epochs=2,
...                      pseudo_label_threshold=0.5, verbose=False)
>>> clf = clf.fit(texts, labels, unlabeled=["good plot", "awful film"])
>>> clf.self_training_["unlabeled"], clf.self_training_["pseudo_labeled"]
(2, 2)
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["pseudo_labels"]


def pseudo_labels(teacher: Any, texts: list[str], threshold: float
                  ) -> tuple[list[str], list[Any]]:
    """The ``texts`` whose most probable class has probability ``threshold`` or more under
    the fitted ``teacher``, and that class for each, in the training labels' values.

    >>> class Sure:  # a stand-in for a fitted classifier
    ...     classes_ = ["neg", "pos"]
    ...     def predict_proba(self, texts):
    ...         return np.array([[0.1, 0.9], [0.6, 0.4]])
    >>> pseudo_labels(Sure(), ["loved it", "hmm"], 0.8)
    (['loved it'], ['pos'])
    """
    proba = teacher.predict_proba(texts)
    kept = np.flatnonzero(proba.max(axis=1) >= threshold)
    classes = list(teacher.classes_)
    return [texts[i] for i in kept], [classes[j] for j in proba[kept].argmax(axis=1)]
