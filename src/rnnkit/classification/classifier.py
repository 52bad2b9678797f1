"""``TextClassifier``: binary and multi-class text classification with a recurrent network.

Texts are tokenized, mapped to ids with a vocabulary of the training texts' most frequent
words, padded/truncated like Keras's ``pad_sequences`` and classified from the state after each
text's last real token — so padding before or after a text never changes its prediction.

>>> texts = ["good fun", "great film", "bad plot", "awful acting"] * 8
>>> labels = ["pos", "pos", "neg", "neg"] * 8
>>> clf = TextClassifier(num_words=20, maxlen=5, embedding_dim=4, units=4, epochs=2,
...                      verbose=False).fit(texts, labels)
>>> clf.classes_
['neg', 'pos']
>>> clf.predict_proba(["good film"]).shape
(1, 2)
"""

from __future__ import annotations

import dataclasses
import logging
import warnings
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from rnnkit.base import ClassifierMixin, Estimator
from rnnkit.classification.evaluation import TextEvaluation
from rnnkit.classification.labels import (
    check_texts,
    label_indices,
    learn_classes,
    stratified_split,
)
from rnnkit.classification.ngrams import (
    NGRAM_LR_SCALE,
    best_share,
    naive_bayes_start,
)
from rnnkit.classification.output import torch_probabilities
from rnnkit.classification.parameters import CLASSIFIER
from rnnkit.classification.presets import PRESETS, PRETRAINING, needs_pretrained
from rnnkit.classification.pretrained import pretrained_model, take_weights
from rnnkit.data.text import (
    RaggedIds,
    Tokenizer,
    Vocabulary,
    choose_maxlen,
    choose_num_words,
    encode_ragged,
)
from rnnkit.errors import ModelFormatError, RnnkitError
from rnnkit.evaluation import classification_table, confusion_matrix, verdict
from rnnkit.parameters import constraints, model_name
from rnnkit.validation import (
    Constraint,
)

__all__ = ["PRESETS", "TextClassifier", "TextEvaluation", "stratified_split"]

log = logging.getLogger(__name__)

_ONE_HOT_WARN_BYTES = 512 * 2**20


class TextClassifier(ClassifierMixin, Estimator):
    """Classify texts with a SimpleRNN, LSTM or GRU network over word embeddings (or one-hot).

    Args:
        cell: ``"rnn"``, ``"lstm"`` or ``"gru"``.
        num_words: vocabulary size including the 3 reserved ids (padding, start, unknown): the
            ``num_words - 3`` most frequent words of the training texts get their own id.
            ``"auto"``: the most frequent words seen at least twice that together make up
            95 % of the training tokens, at most 50,000 (:func:`choose_num_words`); the
            choice is ``num_words_``.
        maxlen: ids kept per text (the start token included); ``None`` keeps whole texts
            (batches of similar length keep that affordable); ``"auto"``: the 95th
            percentile of the training texts' lengths (:func:`choose_maxlen`), as
            ``maxlen_``.
        padding, truncating: ``"pre"`` or ``"post"``, as Keras's ``pad_sequences``. Truncating
            changes what the model reads; padding does not change its answers.
        embedding_dim: size of the learned word vectors; ``None`` feeds one-hot vectors.
        units, bidirectional, dropout, dense: the recurrent stack and head, as for
            :class:`~rnnkit.Forecaster`.
        token_pattern: a regular expression for tokens instead of whitespace splitting.
        pooling: what the head reads of the last recurrent layer over each text's real
            tokens: ``"last"`` (the state after the last token), ``"max"``, ``"mean"``,
            ``"attention"`` (a learned softmax weighting of the steps), or several joined by
            commas, e.g. ``"max,mean"`` (concatenated). Padding never counts.
        embedding_dropout: fraction of word occurrences whose whole vector is dropped in
            training (Keras's ``SpatialDropout1D``).
        weight_decay: AdamW's decoupled weight decay (0: Adam).
        schedule: ``"plateau"`` (halve the learning rate after ``reduce_lr_patience`` epochs
            without improvement), ``"warmup-cosine"`` (per batch: a linear warm-up over the
            first 10 % of the planned ``epochs``, then cosine decay to zero) or
            ``"constant"``.
        pretrained: a saved :class:`~rnnkit.TextLanguageModel` directory to start from: its
            vocabulary, word vectors and recurrent weights (a bidirectional classifier takes
            them for its forward direction). ``cell``, ``embedding_dim`` and ``units`` must
            be the language model's.
        pretrained_lr_scale: the pretrained weights learn at ``learning_rate`` times this,
            so fine-tuning keeps more of what pretraining found.
        ngrams: ``1`` or ``2`` adds a linear bag of n-grams whose output (logits) is averaged
            with the recurrent network's: a weight per distinct word (``1``) and also per pair
            of adjacent words (``2``) of each text, divided by the square root of their count.
            Each part is trained on its own loss in the same run, so the model is an ensemble
            of a bag-of-bigrams model, strong on long texts such as reviews, and the
            recurrent network, which reads word order. ``0``: none.
        ngram_buckets: rows the word pairs are hashed into (more: fewer pairs sharing one).
        ngram_dropout: fraction of a text's n-grams dropped in training.
        state_dir: a folder where training saves its state after every epoch (weights,
            optimizer, schedule, early stopping, random state, history);
            ``fit(..., resume=True)`` continues a killed run from its last saved epoch and
            ends with exactly the weights of an uninterrupted one. Not saved with the model.
        validation: stratified fraction of the training texts held out for early stopping.
        refit: after early stopping has found the best epoch (of each part, with a bag of
            n-grams) on the validation texts, train again from the same seed on all the texts,
            validation ones included, for that many epochs; the bag's share stays the one
            chosen on validation. ``history_`` is the first run's; ``refit_histories_`` the
            refit's.
        pseudo_label_threshold: with unlabelled texts (``fit(..., unlabeled=texts)``),
            self-training (:mod:`rnnkit.classification.self_training`): a classifier of these
            settings is trained on the labelled texts first, labels each unlabelled text whose
            most probable class reaches this probability, and the model is then trained on
            the labelled and those texts; only labelled texts validate it.
            ``self_training_`` says how many were labelled.
        epochs, batch_size, learning_rate, patience, reduce_lr_patience, clip_norm, seed,
            device, verbose, checkpoint, threads: training settings, as for
            :class:`~rnnkit.Forecaster`.

    Two classes get one sigmoid output; more get a softmax. Labels may be strings or integers;
    predictions come back in the same values.
    """

    # defaults and constraints: rnnkit.classification.parameters, which the CLI follows
    _parameter_constraints: ClassVar[dict[str, Constraint]] = constraints(CLASSIFIER)

    def __init__(self, cell: str = "lstm", num_words: int | str = "auto",
                 maxlen: int | str | None = "auto",
                 padding: str = "pre", truncating: str = "pre", embedding_dim: int | None = 32,
                 units: Any = (32,), bidirectional: bool = False, dropout: float = 0.2,
                 dense: Any = (), token_pattern: str | None = None, validation: float = 0.2,
                 epochs: int = 20, batch_size: int = 64, learning_rate: float = 1e-3,
                 patience: int | None = 3, reduce_lr_patience: int | None = 2,
                 clip_norm: float | None = 1.0, seed: int = 0, device: str = "auto",
                 verbose: bool = True, checkpoint: str | None = None,
                 threads: int | None = None, pooling: str = "last",
                 embedding_dropout: float = 0.0, weight_decay: float = 0.0,
                 schedule: str = "plateau", pretrained: str | None = None,
                 pretrained_lr_scale: float = 0.5, ngrams: int = 0,
                 ngram_buckets: int = 2**20, ngram_dropout: float = 0.0,
                 state_dir: str | None = None, refit: bool = False,
                 pseudo_label_threshold: float = 0.8):
        self.cell = cell
        self.num_words = num_words
        self.maxlen = maxlen
        self.padding = padding
        self.truncating = truncating
        self.embedding_dim = embedding_dim
        self.units = units
        self.bidirectional = bidirectional
        self.dropout = dropout
        self.dense = dense
        self.token_pattern = token_pattern
        self.validation = validation
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.patience = patience
        self.reduce_lr_patience = reduce_lr_patience
        self.clip_norm = clip_norm
        self.seed = seed
        self.device = device
        self.verbose = verbose
        self.checkpoint = checkpoint
        self.threads = threads
        self.pooling = pooling
        self.embedding_dropout = embedding_dropout
        self.weight_decay = weight_decay
        self.schedule = schedule
        self.pretrained = pretrained
        self.pretrained_lr_scale = pretrained_lr_scale
        self.ngrams = ngrams
        self.ngram_buckets = ngram_buckets
        self.ngram_dropout = ngram_dropout
        self.state_dir = state_dir
        self.refit = refit
        self.pseudo_label_threshold = pseudo_label_threshold

    @classmethod
    def from_preset(cls, name: str, **overrides: Any) -> TextClassifier:
        """A classifier set up like a classic tutorial; see :data:`PRESETS`.

        >>> TextClassifier.from_preset("imdb-lstm8").num_words
        500
        """
        if name not in PRESETS:
            raise RnnkitError(f"`preset` must be one of {', '.join(PRESETS)}; got {name!r}.")
        if name in PRETRAINING and overrides.get("pretrained") is None:
            raise RnnkitError(needs_pretrained(name))
        return cls(**(PRESETS[name] | overrides))

    @property
    def model_name(self) -> str:
        return model_name(self.cell, self.bidirectional)

    # ---------------------------------------------------------------- building
    def _network_config(self, p: dict[str, Any], n_classes: int):
        from rnnkit.models.network import NetworkConfig

        return NetworkConfig(cell=p["cell"], input_size=int(p["num_words"]), units=p["units"],
                             output_size=1 if n_classes == 2 else n_classes,
                             bidirectional=p["bidirectional"], dropout=p["dropout"],
                             dense=p["dense"], tokens=True, embedding_dim=p["embedding_dim"],
                             pooling=p["pooling"], embedding_dropout=p["embedding_dropout"],
                             ngrams=p["ngrams"], ngram_buckets=p["ngram_buckets"],
                             ngram_dropout=p["ngram_dropout"])

    def summary(self, n_classes: int = 2) -> str:
        """Keras-like summary (before ``fit``, for ``n_classes`` classes)."""
        from rnnkit.models.network import RecurrentNetwork

        if hasattr(self, "network_"):
            net, timesteps = self.network_, self.maxlen_
        else:
            p = self._validated_params()
            if p["num_words"] == "auto":
                raise RnnkitError("summary() before fit needs `num_words` set: 'auto' is "
                                  "chosen from the training texts by fit.")
            net = RecurrentNetwork(self._network_config(p, n_classes))
            timesteps = p["maxlen"] if isinstance(p["maxlen"], int) else None
        return net.summary(timesteps=timesteps, title=self.model_name.lower())

    def _warn_one_hot(self, p: dict[str, Any]) -> None:
        if p["embedding_dim"] is None and p["maxlen"] is not None:
            # the one-hot batch, its copy in the first layer's input gradient path, and float32
            need = p["batch_size"] * p["maxlen"] * p["num_words"] * 4 * 2
            if need > _ONE_HOT_WARN_BYTES:
                warnings.warn(
                    f"one-hot inputs of num_words={p['num_words']} × maxlen={p['maxlen']} × "
                    f"batch_size={p['batch_size']} need about {need / 2**30:.1f} GiB per batch; "
                    "set embedding_dim (e.g. 32) or lower num_words/batch_size.",
                    UserWarning, stacklevel=3)

    # ---------------------------------------------------------------- data
    def _ids(self, texts: list[str], tokens: list[list[str]] | None = None) -> RaggedIds:
        """Each text's ids, cut to ``maxlen_``; ``tokens`` when tokenized already."""
        if tokens is None:  # the model reads at most maxlen - 1 tokens after START
            tokenizer = Tokenizer(self.token_pattern)
            tokens = (tokenizer(texts) if self.maxlen_ is None
                      else tokenizer.kept(texts, self.maxlen_, self.truncating))
        return encode_ragged(tokens, self.vocabulary_, self.maxlen_, self.truncating)

    def encode(self, texts: Any, tokens: list[list[str]] | None = None) -> np.ndarray:
        """The ids the network reads for each text: ``(n, maxlen)``, padded as Keras's
        ``pad_sequences`` pads them (``maxlen=None``: to the longest text); ``tokens`` when
        the texts are tokenized already.

        >>> clf = TextClassifier(units=[2], embedding_dim=2, maxlen=4, epochs=1,
        ...                      verbose=False).fit(["good film", "bad film"] * 4, [1, 0] * 4)
        >>> clf.encode(["good film"]).shape
        (1, 4)
        """
        self._check_fitted()
        texts = check_texts(texts)
        ids = self._ids(texts, tokens)
        width = self.maxlen_ or max(int(ids.lengths.max()), 1)
        return ids.padded(width, self.padding)

    # ---------------------------------------------------------------- fitting
    def fit(self, texts: Any, labels: Any, validation_data: tuple[Any, Any] | None = None,
            resume: bool = False, unlabeled: Any = None) -> TextClassifier:
        """Build the vocabulary on the training texts, train with early stopping; returns self.

        Early stopping watches ``validation_data`` ``(texts, labels)`` when given (an official
        development split, say), else a stratified ``validation`` fraction of ``texts``. With
        ``resume`` (and ``state_dir``), a run killed earlier on the same texts continues from
        its last saved epoch. ``unlabeled`` texts add self-training (see
        ``pseudo_label_threshold``).
        """
        p = self._validated_params()
        if resume and not p["state_dir"]:
            raise RnnkitError("`resume=True` needs `state_dir`, where the run was saved.")
        p["resume"] = resume
        automatic = "auto" in (p["num_words"], p["maxlen"])
        if not automatic:
            self._warn_one_hot(p)  # before any data work
        texts = check_texts(texts)
        self.self_training_ = None
        if unlabeled is not None:  # the pseudo-labelled texts come last in `texts`
            texts, labels, validation_data = self._add_pseudo_labels(
                p, texts, labels, validation_data, unlabeled)
        pseudo = self.self_training_["pseudo_labeled"] if self.self_training_ else 0
        y = _fit_classes(self, labels, len(texts))
        texts, y, train_idx, val_idx = self._split(p, texts, y, validation_data)

        tokens = Tokenizer(self.token_pattern)(texts)  # once: for the vocabulary and the ids
        train_tokens = [tokens[i] for i in train_idx]
        language_model = pretrained_model(p)
        if language_model is not None:  # its vocabulary, which its weights are for
            p["num_words"] = language_model.num_words_
        elif p["num_words"] == "auto":
            p["num_words"] = choose_num_words(train_tokens)
        if p["maxlen"] == "auto":
            p["maxlen"] = choose_maxlen(train_tokens)
        self.num_words_, self.maxlen_ = p["num_words"], p["maxlen"]
        if automatic:
            self._warn_one_hot(p)
        self.vocabulary_ = (language_model.vocabulary_ if language_model is not None
                            else Vocabulary.fit(train_tokens, p["num_words"]))
        ids = self._ids(texts, tokens)
        # the majority class and evaluate()'s TF-IDF baseline learn from labelled texts alone
        # (references, not copies), the validation ones too after a refit
        every = np.sort(np.concatenate([train_idx, val_idx])) if p["refit"] else train_idx
        seen = _labelled(every, len(train_idx), pseudo)
        counts = np.bincount(y[_labelled(train_idx, len(train_idx), pseudo)],
                             minlength=len(self.classes_))
        self.majority_class_ = int(counts.argmax())
        self._train_network(p, ids, y, train_idx, val_idx, language_model)
        self._baseline_source = ([texts[i] for i in seen], y[seen])
        self._baseline = None
        return self

    def _split(self, p: dict[str, Any], texts: list[str], y: np.ndarray,
               validation_data: tuple[Any, Any] | None
               ) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
        """``(texts, y, train_idx, val_idx)``: a stratified ``validation`` fraction held out,
        or ``validation_data``'s texts appended after the training ones."""
        if validation_data is None:
            train_idx, val_idx = _validation_split(y, p)
            return texts, y, train_idx, val_idx
        if not isinstance(validation_data, tuple | list) or len(validation_data) != 2:
            raise RnnkitError("`validation_data` must be a pair (texts, labels); got "
                              f"{type(validation_data).__name__}.")
        val_texts = check_texts(validation_data[0], "validation_data texts")
        val_y = label_indices(self.classes_, validation_data[1], len(val_texts),
                              "validation_data labels")
        train_idx = np.arange(len(texts))
        val_idx = np.arange(len(texts), len(texts) + len(val_texts))
        return texts + val_texts, np.concatenate([y, val_y]), train_idx, val_idx

    def _add_pseudo_labels(self, p: dict[str, Any], texts: list[str], labels: Any,
                           validation_data: tuple[Any, Any] | None, unlabeled: Any
                           ) -> tuple[list[str], list[Any], tuple[Any, Any]]:
        """Self-training's first model, trained on the labelled ``texts``, labels the
        ``unlabeled`` texts it is sure of; returns the labelled and those texts with their
        labels, and the validation texts, labelled ones only (held out here when
        ``validation_data`` is None)."""
        from rnnkit.classification.self_training import pseudo_labels

        unlabeled = check_texts(unlabeled, "unlabeled")
        labels = list(labels)
        if validation_data is None:  # held out now, so pseudo-labelled texts never validate
            keep, held = _validation_split(learn_classes(labels, len(texts))[1], p)
            validation_data = ([texts[i] for i in held], [labels[i] for i in held])
            texts, labels = [texts[i] for i in keep], [labels[i] for i in keep]
        teacher = type(self)(**self.get_params() | {"checkpoint": None})
        if p["state_dir"]:
            teacher.set_params(state_dir=str(Path(p["state_dir"]) / "teacher"))
        teacher.fit(texts, labels, validation_data=validation_data, resume=p["resume"])
        kept, kept_labels = pseudo_labels(teacher, unlabeled, p["pseudo_label_threshold"])
        self.self_training_ = {
            "unlabeled": len(unlabeled), "pseudo_labeled": len(kept),
            "threshold": p["pseudo_label_threshold"],
            "teacher_accuracy": teacher.score(*validation_data)}
        log.info("self-training: the first model (validation accuracy %.4f) labelled %d of "
                 "%d unlabelled texts at probability >= %g", self.self_training_[
                     "teacher_accuracy"], len(kept), len(unlabeled), p["pseudo_label_threshold"])
        return texts + kept, labels + kept_labels, validation_data

    def _train_network(self, p: dict[str, Any], ids: RaggedIds, y: np.ndarray,
                       train_idx: np.ndarray, val_idx: np.ndarray,
                       language_model: Any = None) -> None:
        import torch

        from rnnkit.models.network import RecurrentNetwork
        from rnnkit.training import resolve_device

        device = resolve_device(p["device"])

        def build() -> tuple[Any, tuple[tuple[str, float], ...]]:
            torch.manual_seed(p["seed"])
            network = RecurrentNetwork(self._network_config(p, len(self.classes_))).to(device)
            if language_model is None:
                return network, ()
            taken = take_weights(network, language_model.network_)
            return network, tuple((name, p["pretrained_lr_scale"]) for name in taken)

        binary = len(self.classes_) == 2
        if binary:
            loss_fn = torch.nn.functional.binary_cross_entropy_with_logits

            def metrics(out: torch.Tensor, target: torch.Tensor) -> dict[str, float]:
                return {"val_accuracy": ((out > 0).float() == target).float().mean().item()}
        else:
            loss_fn = torch.nn.functional.cross_entropy

            def metrics(out: torch.Tensor, target: torch.Tensor) -> dict[str, float]:
                return {"val_accuracy": (out.argmax(1) == target).float().mean().item()}

        def tensors(idx: np.ndarray) -> tuple:
            target = torch.as_tensor(y[idx], dtype=torch.float32 if binary else torch.int64)
            return ids.take(idx), target.unsqueeze(1) if binary else target

        network, scales = build()
        with self._threads_for(network.config, p["batch_size"]):
            histories = self._train_parts(network, scales, p, loss_fn, metrics, ids, y,
                                          tensors, train_idx, val_idx)
            if network.bag is not None:
                network.bag_share.fill_(best_share(network, loss_fn, *tensors(val_idx)))
                log.info("the bag of n-grams makes up %.0f%% of the output (the share with "
                         "the least validation loss)", 100 * network.bag_share.item())
            self.history_ = histories[-1]
            self.ngram_history_ = histories[0] if network.bag is not None else None
            if p["refit"]:
                epochs = [h.best_epoch or len(h.records) for h in histories]
                share = None if network.bag is None else network.bag_share.clone()
                network, scales = build()
                every = np.sort(np.concatenate([train_idx, val_idx]))
                self.refit_histories_ = self._train_parts(
                    network, scales, p, loss_fn, metrics, ids, y, tensors, every, None, epochs)
                if share is not None:
                    network.bag_share.copy_(share)
        self.network_ = network

    def _train_parts(self, network: Any, scales: tuple[tuple[str, float], ...],
                     p: dict[str, Any], loss_fn: Any, metrics: Any, ids: RaggedIds,
                     y: np.ndarray, tensors: Any, train_idx: np.ndarray,
                     val_idx: np.ndarray | None, epochs: list[int] | None = None) -> list[Any]:
        """Train ``network`` on ``train_idx`` with early stopping on ``val_idx``, or (a refit,
        ``val_idx`` None) for the given ``epochs``; with a bag of n-grams, the bag (started
        from naive Bayes) and then the recurrent part, each on its own. Returns their
        histories, the bag's first."""
        from rnnkit.models.network import Branch
        from rnnkit.training import train

        real = ids.lengths  # ids per text, START included
        data = (tensors(train_idx), None if val_idx is None else tensors(val_idx))
        lengths = (real[train_idx], None if val_idx is None else real[val_idx])
        prefix = "" if epochs is None else "refit-"
        stages = ["network"] if network.bag is None else ["bag", "recurrent"]

        def config(k: int, name: str) -> Any:
            fixed = {} if epochs is None else {"epochs": epochs[k], "patience": None}
            what = f"{self.model_name} {'refit on all texts' if epochs else 'training'}"
            return self._train_config(p | fixed, what, state=prefix + name)

        if network.bag is None:
            return [train(network, loss_fn, *data, dataclasses.replace(
                config(0, "network"), lr_scales=scales), metrics, lengths=lengths)]
        histories = []
        naive_bayes_start(network, ids.take(train_idx), y[train_idx], len(self.classes_))
        with Branch(network, "bag") as bag:
            bag_config = config(0, stages[0])
            histories.append(train(bag, loss_fn, *data, dataclasses.replace(
                bag_config, learning_rate=bag_config.learning_rate * NGRAM_LR_SCALE,
                description=f"bag of {p['ngrams']}-grams"), metrics, lengths=lengths))
        with Branch(network, "recurrent") as recurrent:  # its names gain "network."
            histories.append(train(recurrent, loss_fn, *data, dataclasses.replace(
                config(1, stages[1]), lr_scales=tuple((f"network.{name}", s)
                                                      for name, s in scales)),
                metrics, lengths=lengths))
        return histories

    # ---------------------------------------------------------------- predicting
    def predict_proba(self, texts: Any) -> np.ndarray:
        """Class probabilities ``(n_texts, n_classes)``, columns in :attr:`classes_` order."""
        import torch

        from rnnkit.data.batches import length_batches

        self._check_fitted()
        ids = self._ids(check_texts(texts))
        device = next(self.network_.parameters()).device
        self.network_.eval()
        outs = []
        # texts of similar length together, so a batch is little padding, and long ones in
        # smaller batches; answers do not depend on the batch (the network reads each text up
        # to its own length)
        batches = length_batches(ids.lengths.numpy(), 1024)
        with torch.inference_mode(), self._threads_for(self.network_.config, min(len(ids), 1024)):
            for idx in batches:
                out = torch_probabilities(self.network_(ids[idx].to(device)))
                outs.append(out.cpu().numpy().astype(np.float64))
        proba = np.empty((len(ids), outs[0].shape[1]))
        proba[np.concatenate(batches)] = np.concatenate(outs)
        if not np.isfinite(proba).all():
            text = int(np.flatnonzero(~np.isfinite(proba).all(axis=1))[0])
            raise RnnkitError(f"the probabilities of text {text} are not finite: the network's "
                              "weights hold NaN or infinite values (training diverged, or the "
                              "model files were altered). Retrain, e.g. with a lower "
                              "learning_rate and clip_norm set.")
        return proba

    def predict(self, texts: Any) -> np.ndarray:
        """The most probable label of each text, in the training labels' values (an array,
        as scikit-learn's classifiers return)."""
        proba = self.predict_proba(texts)
        return np.asarray(self.classes_)[proba.argmax(axis=1)]

    def evaluate(self, texts: Any, labels: Any, baseline: bool = True) -> TextEvaluation:
        """Accuracy, precision, recall, F1 (+ ROC AUC for two classes) next to the majority-class
        baseline and, with ``baseline`` (and scikit-learn installed), TF-IDF + logistic
        regression fitted on the same training texts, on the same test texts; the confusion
        matrix; and a verdict against the best baseline. A loaded model has no training texts,
        so it is compared with the majority class alone."""
        self._check_fitted()
        texts = check_texts(texts)
        true = label_indices(self.classes_, labels, len(texts))
        proba = self.predict_proba(texts)
        table = classification_table(true, proba, self.model_name, self.majority_class_)
        bag = self.tfidf_baseline() if baseline else None
        if bag is not None:
            from rnnkit.evaluation import classification_metrics

            table.loc[bag.name] = classification_metrics(true, bag.predict_proba(texts))
        names = [str(c) for c in self.classes_]
        matrix = confusion_matrix(true, proba.argmax(1), len(self.classes_))
        confusion = pd.DataFrame(matrix, index=names, columns=names)
        return TextEvaluation(table, confusion, verdict(table, "accuracy", higher_is_better=True))

    def tfidf_baseline(self) -> Any:
        """TF-IDF + logistic regression fitted on this model's training texts (once, on first
        use), or None after :meth:`load` or without scikit-learn."""
        self._check_fitted()
        if getattr(self, "_baseline", None) is None and getattr(
                self, "_baseline_source", None) is not None:
            try:
                import sklearn  # noqa: F401
            except ImportError:
                return None
            from rnnkit.baselines import TfidfLogistic

            self._baseline = TfidfLogistic(int(self.seed)).fit(*self._baseline_source)
        return getattr(self, "_baseline", None)

    def score(self, texts: Any, labels: Any) -> float:
        """Accuracy on ``texts``, scikit-learn's classifier score (what ``GridSearchCV`` and
        ``cross_val_score`` maximise); :meth:`evaluate` gives every metric, the confusion
        matrix and the baselines."""
        ev = self.evaluate(texts, labels, baseline=False)
        return float(ev.metrics.iloc[0]["accuracy"])

    def __sklearn_tags__(self) -> Any:
        """scikit-learn's description of the estimator: a classifier of texts."""
        tags = super().__sklearn_tags__()
        from sklearn.utils import ClassifierTags

        tags.estimator_type = "classifier"
        tags.classifier_tags = ClassifierTags()
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        return tags

    def trace(self, texts: Any):
        """Every gate and state, per layer, direction and token, for each text (see
        :class:`rnnkit.explain.Trace`); step labels are the tokens the model read."""
        from rnnkit.explain import trace_network

        self._check_fitted()
        ids = self.encode(check_texts(texts))
        sequences = [row[row != 0] for row in ids]
        labels = [self.vocabulary_.decode(seq) for seq in sequences]
        return trace_network(self.network_, sequences, labels)

    # ---------------------------------------------------------------- persistence
    def save(self, path: str | Path) -> Path:
        """Write the model directory; the vocabulary goes into ``preprocessing.json``."""
        self._check_fitted()
        return self._save_dir(path, {
            "classes": self.classes_, "majority_class": self.majority_class_,
            "vocabulary": self.vocabulary_.to_list(), "maxlen": self.maxlen_,
            "padding": self.padding, "truncating": self.truncating,
            "token_pattern": self.token_pattern,
            "reserved_ids": {"padding": 0, "start": 1, "out_of_vocabulary": 2, "first_word": 3},
        })

    @classmethod
    def load(cls, path: str | Path, device: str = "auto") -> TextClassifier:
        """Rebuild a saved classifier; its predictions equal the original's bit for bit."""
        est, pre = cls._load_dir(path, device)
        try:
            est.classes_ = list(pre["classes"])
            est.majority_class_ = pre["majority_class"]
            est.vocabulary_ = Vocabulary(pre["vocabulary"])
            est.maxlen_ = pre["maxlen"]
            est.num_words_ = est.network_.config.input_size
            maxlen_ok = (est.maxlen == "auto" and (est.maxlen_ is None or (
                isinstance(est.maxlen_, int) and est.maxlen_ >= 2))) or est.maxlen_ == est.maxlen
            if (not maxlen_ok or est.vocabulary_.size > est.num_words_
                    or est.num_words not in ("auto", est.num_words_)
                    or est.network_.config.output_size != (
                        1 if len(est.classes_) == 2 else len(est.classes_))):
                raise ValueError("preprocessing.json disagrees with config.json")
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelFormatError(f"{str(path)!r} is inconsistent: {exc}") from None
        return est




def _fit_classes(clf: TextClassifier, labels: Any, n: int) -> np.ndarray:
    """Learn ``clf.classes_`` from ``labels``; each label's index."""
    clf.classes_, indices = learn_classes(labels, n)
    return indices


def _labelled(idx: np.ndarray, n_train: int, pseudo: int) -> np.ndarray:
    """The indices of ``idx`` that are not of the ``pseudo`` pseudo-labelled texts, which come
    last among the ``n_train`` training texts."""
    return idx[(idx < n_train - pseudo) | (idx >= n_train)]


def _validation_split(y: np.ndarray, p: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """The training and validation indices of a stratified ``validation`` fraction."""
    train_idx, val_idx = stratified_split(y, p["validation"], p["seed"])
    if len(val_idx) == 0:
        raise RnnkitError(f"`validation`={p['validation']} leaves no text for validation: "
                          "every class needs at least two texts.")
    return train_idx, val_idx
