"""A text classifier exported to ONNX, run without PyTorch: NumPy tokenization and ids (the
very functions the classifier uses), onnxruntime for the network.

A deployment needs ``rnnkit``, ``numpy`` and ``onnxruntime`` — not ``torch``::

    pip install rnnkit onnxruntime        # torch is not imported by this module
    rnnkit export runs/imdb               # once, where PyTorch is installed

    from rnnkit.onnx_text import OnnxTextClassifier
    clf = OnnxTextClassifier("runs/imdb")
    clf.predict(["A wonderful, moving film."])

Its probabilities equal :meth:`rnnkit.TextClassifier.predict_proba`'s to float precision.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from rnnkit.classification.output import probabilities
from rnnkit.data.batches import length_batches
from rnnkit.data.text import PAD_ID, Tokenizer, Vocabulary, encode_flat, hashed_pairs
from rnnkit.errors import ModelFormatError, RnnkitError
from rnnkit.limits import MAX_JSON_BYTES, MAX_PREPROCESSING_BYTES
from rnnkit.onnx_session import open_session, saved_work
from rnnkit.safe_json import load_json_file

__all__ = ["OnnxTextClassifier"]

BATCH = 256


class OnnxTextClassifier:
    """A saved text classifier's ``model.onnx`` (from ``rnnkit export``) and its
    ``preprocessing.json``: ``predict_proba`` and ``predict`` as the PyTorch model's."""

    def __init__(self, model_dir: str | Path, onnx_file: str | Path | None = None):
        model_dir = Path(model_dir)
        try:
            config = load_json_file(model_dir / "config.json", MAX_JSON_BYTES)
            pre = load_json_file(model_dir / "preprocessing.json", MAX_PREPROCESSING_BYTES)
            self.classes_ = list(pre["classes"])
            self.vocabulary_ = Vocabulary(pre["vocabulary"])
            self.maxlen_ = pre["maxlen"]
            self.truncating = pre["truncating"]
            self.tokenizer = Tokenizer(pre["token_pattern"])
        except (OSError, KeyError, TypeError, ValueError) as exc:
            raise ModelFormatError(f"{str(model_dir)!r} is not a text classifier's folder: "
                                   f"{exc}") from None
        self.session = open_session(model_dir, onnx_file, "OnnxTextClassifier",
                                    saved_work(config, BATCH))
        # a bag of word pairs: the graph takes each pair's bag row (hashed here, as in
        # training), since the hash is an operation ONNX export does not write
        self._pair_rows = None
        if "pairs" in {i.name for i in self.session.get_inputs()}:
            network = config.get("network")
            try:
                self._pair_rows = (int(network["ngram_buckets"]), int(network["input_size"]))
            except (KeyError, TypeError, ValueError):
                raise ModelFormatError(f"{str(model_dir)!r}: its model.onnx takes word pairs, "
                                       "but config.json does not say how they are hashed "
                                       "(network: ngram_buckets, input_size).") from None
        self.model_name = "ONNX text classifier"

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        """Class probabilities ``(n_texts, n_classes)``, columns in :attr:`classes_` order."""
        if isinstance(texts, str) or not all(isinstance(t, str) for t in texts):
            raise RnnkitError("`texts` must be a list of strings.")
        flat, lengths = encode_flat(self.tokenizer(texts), self.vocabulary_, self.maxlen_,
                                    self.truncating)
        offsets = np.cumsum(lengths) - lengths
        proba = np.zeros((len(texts), len(self.classes_)))
        for rows in length_batches(lengths, BATCH):  # similar lengths; long texts fewer
            width = max(int(lengths[rows].max(initial=1)), 1)
            ids = np.full((len(rows), width), PAD_ID, dtype=np.int64)
            for i, (offset, length) in enumerate(zip(offsets[rows], lengths[rows],
                                                     strict=True)):
                ids[i, :length] = flat[offset:offset + length]
            feed = {"ids": ids}
            if self._pair_rows is not None:
                feed["pairs"] = hashed_pairs(ids[:, :-1], ids[:, 1:], *self._pair_rows)
            logits = self.session.run(None, feed)[0].astype(np.float64)
            proba[rows] = probabilities(logits)
        return proba

    def predict(self, texts: list[str]) -> np.ndarray:
        """The most probable label of each text."""
        return np.asarray(self.classes_)[self.predict_proba(texts).argmax(axis=1)]

    def __repr__(self) -> str:
        return f"OnnxTextClassifier(classes={self.classes_!r})"

