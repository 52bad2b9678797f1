"""``TextLanguageModel``: a recurrent next-word model over unlabelled texts, for pretraining.

A classifier trained on 25,000 labelled reviews learns its word vectors and recurrent weights
from those alone. Reading unlabelled text first — predicting each next word — teaches both
what words mean and how sentences go (Dai & Le 2015; ULMFiT). ``TextClassifier(pretrained=
"runs/lm")`` then starts from this model's vocabulary, embedding and recurrent weights.

Training reads the texts as one stream (each text opened by the start id), cut into windows
of ``window`` words; every window is a full-length sequence, so batches carry no padding. The
output layer is an adaptive softmax (Grave et al. 2017): frequent words get a full softmax,
rare ones a cheaper one in smaller clusters, so a vocabulary of tens of thousands of words
costs a fraction of a full softmax.

>>> texts = ["the film was good", "the plot was bad"] * 20
>>> lm = TextLanguageModel(num_words=12, embedding_dim=8, units=[16], window=4, epochs=20,
...                        batch_size=8, learning_rate=0.02, verbose=False).fit(texts)
>>> lm.perplexity(texts) < lm.num_words_ / 3  # far below uniform guessing
True
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch
from torch import nn

from rnnkit.base import Estimator
from rnnkit.data.text import (
    START_ID,
    Tokenizer,
    Vocabulary,
    choose_num_words,
    encode_ragged,
)
from rnnkit.errors import ModelFormatError, RnnkitError
from rnnkit.language_model_parameters import LANGUAGE_MODEL
from rnnkit.models.layers import CELLS, Recurrent
from rnnkit.models.network import NetworkConfig
from rnnkit.parameters import constraints
from rnnkit.validation import (
    Constraint,
)

__all__ = ["LanguageNetwork", "TextLanguageModel"]


def _cutoffs(vocab_size: int) -> list[int]:
    """Adaptive-softmax cluster edges: the 2,000 and 10,000 most frequent words where the
    vocabulary is larger, else one split in the middle."""
    cuts = [c for c in (2000, 10_000) if c < vocab_size - 1]
    return cuts or [max(1, vocab_size // 2)]


class LanguageNetwork(nn.Module):
    """Embedding → unidirectional recurrent stack → adaptive softmax over the next word.

    Its ``embedding.*`` and ``recurrent.{i}.*`` weights have the names and shapes of a
    :class:`~rnnkit.models.network.RecurrentNetwork` of the same ``config``, which is how a
    classifier takes them over.
    """

    def __init__(self, config: NetworkConfig):
        super().__init__()
        self.config = config
        self.embedding = nn.Embedding(config.input_size, config.embedding_dim, padding_idx=0)
        nn.init.uniform_(self.embedding.weight, -0.05, 0.05)
        with torch.no_grad():
            self.embedding.weight[0].zero_()
        self.recurrent = nn.ModuleList()
        size = config.embedding_dim
        for units in config.units:
            self.recurrent.append(Recurrent(config.cell, size, units))
            size = units
        self.dropout = nn.Dropout(config.dropout)
        self.softmax = nn.AdaptiveLogSoftmaxWithLoss(size, config.input_size,
                                                     _cutoffs(config.input_size), div_value=4.0)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        """Ids ``(N, L)`` → the last layer's states ``(N, L, H)``, each predicting the next id."""
        h = self.embedding(ids)  # (N, L, E)
        p = self.config.embedding_dropout
        if self.training and p > 0:  # a dropped word loses its whole vector
            h = h * torch.empty((*h.shape[:2], 1), device=h.device).bernoulli_(1 - p) / (1 - p)
        for layer in self.recurrent:
            h, _ = layer(h)  # (N, L, H)
            h = self.dropout(h)
        return h

    def loss(self, h: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Mean negative log-likelihood of the ``target`` ids ``(N, L)``."""
        return self.softmax(h.reshape(-1, h.shape[-1]), target.reshape(-1)).loss


class TextLanguageModel(Estimator):
    """A recurrent language model (next word) over texts, for :class:`~rnnkit.TextClassifier`
    pretraining.

    Args:
        cell, units, embedding_dim, dropout, embedding_dropout: the network; a classifier
            that starts from this model uses the same cell, embedding size and units.
        num_words: vocabulary size with the 3 reserved ids, or ``"auto"`` (as the classifier's).
        window: words per training sequence.
        validation: fraction of the texts held out; the history reports their perplexity.
        epochs, batch_size, learning_rate, weight_decay, schedule, clip_norm, seed, device,
            threads, verbose: training, as for the classifier.
        state_dir: a folder where the run is saved after every epoch; ``fit(resume=True)``
            continues a killed run from there, bit for bit.
    """

    _fitted_attribute: ClassVar[str] = "network_"
    # defaults and constraints: rnnkit.language_model_parameters, which the CLI follows
    _parameter_constraints: ClassVar[dict[str, Constraint]] = constraints(LANGUAGE_MODEL)

    def __init__(self, cell: str = "lstm", num_words: int | str = "auto",
                 embedding_dim: int = 128, units: Any = (128,), dropout: float = 0.1,
                 embedding_dropout: float = 0.1, window: int = 128, validation: float = 0.02,
                 epochs: int = 3, batch_size: int = 64, learning_rate: float = 2e-3,
                 weight_decay: float = 0.0, schedule: str = "warmup-cosine",
                 clip_norm: float | None = 1.0, seed: int = 0, device: str = "auto",
                 threads: int | None = None, verbose: bool = True,
                 state_dir: str | None = None):
        self.cell = cell
        self.num_words = num_words
        self.embedding_dim = embedding_dim
        self.units = units
        self.dropout = dropout
        self.embedding_dropout = embedding_dropout
        self.window = window
        self.validation = validation
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.schedule = schedule
        self.clip_norm = clip_norm
        self.seed = seed
        self.device = device
        self.threads = threads
        self.verbose = verbose
        self.state_dir = state_dir

    @classmethod
    def from_preset(cls, name: str, **overrides: Any) -> TextLanguageModel:
        """The language model a classifier preset starts from (see
        :data:`~rnnkit.classification.presets.PRETRAINING`).

        >>> TextLanguageModel.from_preset("imdb-pretrained").units
        [128]
        """
        from rnnkit.classification.presets import PRETRAINING

        if name not in PRETRAINING:
            raise RnnkitError(f"`preset` must be one of {', '.join(PRETRAINING)}; got "
                              f"{name!r}.")
        return cls(**(PRETRAINING[name] | overrides))

    def _config(self, p: dict[str, Any]) -> NetworkConfig:
        return NetworkConfig(cell=p["cell"], input_size=int(p["num_words"]), units=p["units"],
                             output_size=1, tokens=True, embedding_dim=p["embedding_dim"],
                             dropout=p["dropout"], embedding_dropout=p["embedding_dropout"])

    def _windows(self, texts: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
        """Inputs and next-word targets ``(S, window)`` cut from the texts' id stream."""
        stream = encode_ragged(Tokenizer()(texts), self.vocabulary_).flat  # START opens each
        w = int(self.window)
        if len(stream) < w + 1:
            raise RnnkitError(f"the texts hold {len(stream)} words with start marks; a "
                              f"`window` of {w} needs at least {w + 1}. Lower `window`.")
        cut = stream.unfold(0, w + 1, w)  # (S, w + 1), a view
        return cut[:, :-1], cut[:, 1:]

    def fit(self, texts: Any, resume: bool = False) -> TextLanguageModel:
        """Learn the vocabulary (unless resuming) and train; returns self. With ``resume``
        (and ``state_dir``), a run killed earlier continues from its last saved epoch."""
        from rnnkit.classification.labels import check_texts, stratified_split
        from rnnkit.training import TrainConfig, resolve_device, train

        p = self._validated_params()
        texts = check_texts(texts)
        if resume and not self.state_dir:
            raise RnnkitError("`resume=True` needs `state_dir`, where the run was saved.")
        train_idx, val_idx = stratified_split(np.zeros(len(texts)), p["validation"], p["seed"])
        train_texts = [texts[i] for i in train_idx]
        tokens = Tokenizer()(train_texts)
        p["num_words"] = (choose_num_words(tokens) if p["num_words"] == "auto"
                          else p["num_words"])
        self.vocabulary_ = Vocabulary.fit(tokens, p["num_words"])
        self.num_words_ = int(p["num_words"])
        x, y = self._windows(train_texts)
        val = self._windows([texts[i] for i in val_idx]) if len(val_idx) else None
        torch.manual_seed(p["seed"])
        network = LanguageNetwork(self._config(p)).to(resolve_device(p["device"]))
        config = TrainConfig(
            epochs=p["epochs"], batch_size=p["batch_size"], learning_rate=p["learning_rate"],
            patience=None, reduce_lr_patience=1, clip_norm=p["clip_norm"], seed=p["seed"],
            verbose=p["verbose"], weight_decay=p["weight_decay"], schedule=p["schedule"],
            state_dir=self.state_dir, resume=resume, description="language model")
        # every window is full: the lengths only make the log report words per second
        lengths = (torch.full((len(x),), x.shape[1]),
                   None if val is None else torch.full((len(val[0]),), x.shape[1]))
        with self._threads_for(network.config, p["batch_size"]):
            self.history_ = train(network, network.loss, (x, y), val, config, lengths=lengths)
        for record in self.history_.records:
            if "val_loss" in record:
                record["val_perplexity"] = math.exp(min(record["val_loss"], 700.0))
        self.network_ = network
        return self

    @torch.no_grad()
    def perplexity(self, texts: Any) -> float:
        """``exp`` of the mean negative log-likelihood per word of ``texts`` (uniform guessing
        scores the vocabulary size)."""
        from rnnkit.classification.labels import check_texts

        self._check_fitted()
        x, y = self._windows(check_texts(texts))
        self.network_.eval()
        device = next(self.network_.parameters()).device
        total = 0.0
        with self._threads_for(self.network_.config, 256):
            for start in range(0, len(x), 256):
                xb, yb = x[start:start + 256].to(device), y[start:start + 256].to(device)
                total += self.network_.loss(self.network_(xb), yb).item() * yb.numel()
        return math.exp(total / y.numel())

    def summary(self) -> str:
        """The layers and their parameter counts, in the classifier's style."""
        self._check_fitted()
        net, c = self.network_, self.network_.config
        rows = [("embedding (Embedding)", f"(None, None, {c.embedding_dim})",
                 net.embedding.weight.numel())]
        for i, layer in enumerate(net.recurrent):
            name = CELLS[c.cell].lower().replace("simplernn", "simple_rnn")
            rows.append((f"{name}{'_' + str(i) if i else ''} ({CELLS[c.cell]})",
                         f"(None, None, {layer.hidden_size})",
                         sum(p.numel() for p in layer.parameters())))
        rows.append(("softmax (AdaptiveSoftmax)", f"(None, None, {c.input_size})",
                     sum(p.numel() for p in net.softmax.parameters())))
        total = sum(p.numel() for p in net.parameters())
        lines = ['Model: "language model"', "─" * 75,
                 f"{'Layer (type)':<42}{'Output Shape':<20}{'Param #':>13}", "═" * 75]
        lines += [f"{a:<42}{b:<20}{n:>13,}" for a, b, n in rows]
        return "\n".join([*lines, "═" * 75, f"Total params: {total:,}", "─" * 75])

    def save(self, path: str | Path) -> Path:
        """A model directory (config, safetensors weights, the vocabulary as JSON); under
        torchrun only rank 0 writes it."""
        return self._save_dir(path, {"vocabulary": self.vocabulary_.to_list(),
                                     "start_id": START_ID})

    @classmethod
    def load(cls, path: str | Path, device: str = "auto") -> TextLanguageModel:
        """A saved language model, ready for :meth:`perplexity` or for a classifier to start
        from."""
        from rnnkit.io import read_model_dir
        from rnnkit.training import History, resolve_device

        saved = read_model_dir(path, estimator=cls.__name__)
        try:
            params = saved.config["params"]
            if not isinstance(params, dict):
                raise TypeError("`params` must be a JSON object")
            model = cls(**params)
            model.state_dir = None  # never write where a file says
            model._validated_params()
            config = NetworkConfig.from_dict(saved.config["network"])
            with torch.device("meta"):
                skeleton = LanguageNetwork(config)
            saved.check_shapes({k: list(v.shape) for k, v in skeleton.state_dict().items()})
            network = LanguageNetwork(config)
            network.load_state_dict(saved.tensors())
            model.vocabulary_ = Vocabulary(saved.preprocessing["vocabulary"])
            model.num_words_ = network.config.input_size
            if model.vocabulary_.size > model.num_words_:
                raise ValueError("the vocabulary is larger than the embedding")
            model.history_ = History.from_dict(saved.config.get("training", {}))
        except (KeyError, TypeError, ValueError, RuntimeError) as exc:
            if isinstance(exc, ModelFormatError):
                raise
            raise ModelFormatError(f"{str(path)!r} is inconsistent: {exc}") from None
        model.network_ = network.to(resolve_device(device)).eval()
        return model
