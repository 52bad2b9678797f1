"""The network every rnnkit estimator trains: inputs → recurrent stack → dense head.

::

    x (N, L, F) floats ─┐
                        ├─> [Recurrent → Dropout] × len(units)
    x (N, L) token ids ─┘    (Embedding or one-hot first)
                         → [Dense(relu) → Dropout] × len(dense) → Dense(output_size)

The head reads the last recurrent layer's state after the last *real* step of each sequence
(``lengths``), never a padded one. Dropout follows every recurrent and hidden dense layer, as in
Keras's ``LSTM → Dropout → …`` tutorials.

>>> import torch
>>> net = RecurrentNetwork(NetworkConfig(cell="lstm", input_size=1, units=(64,), dense=(32,),
...                                      output_size=1, dropout=0.2))
>>> net.num_parameters()
19009
>>> tuple(net(torch.zeros(4, 12, 1)).shape)
(4, 1)
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from rnnkit.data.text import hashed_pairs
from rnnkit.models.layers import CELLS, Recurrent

__all__ = ["POOLINGS", "Branch", "MedianEnsemble", "MultiWindowEnsemble", "NetworkConfig",
           "RecurrentNetwork", "WithPairs", "left_align", "parse_pooling", "summary_table"]


@dataclass(frozen=True)
class NetworkConfig:
    """Architecture of a :class:`RecurrentNetwork`; round-trips through JSON.

    >>> NetworkConfig.from_dict(NetworkConfig("gru", 3, (8,), 1).to_dict()).units
    (8,)
    """

    cell: str  # "rnn" (SimpleRNN, tanh), "lstm" or "gru"
    input_size: int  # features per step; for token input, the vocabulary size
    units: tuple[int, ...]  # hidden units of each stacked recurrent layer, bottom first
    output_size: int  # forecast steps × targets, 1 for a binary logit, or the class count
    bidirectional: bool = False  # every recurrent layer reads both ways
    dropout: float = 0.0  # after every recurrent and hidden dense layer
    dense: tuple[int, ...] = ()  # hidden ReLU layers of the head
    tokens: bool = False  # input is token ids (N, L) rather than floats (N, L, F)
    embedding_dim: int | None = None  # with tokens: embedding size; None means one-hot input
    # > 0: a linear map from the last `skip` values of the first input feature to the outputs,
    # added to the head's (LSTNet's autoregressive "highway"); see RecurrentNetwork
    skip: int = 0
    # what the head reads of the last recurrent layer, over each sequence's real steps: "last"
    # (the state after the last step), "max", "mean", "attention", or several joined by commas
    # (their results concatenated), e.g. "max,mean"
    pooling: str = "last"
    embedding_dropout: float = 0.0  # with tokens: drop whole word vectors (a step's all inputs)
    # with tokens, > 0: a linear bag of n-grams averaged with the head's output (logits):
    # each text's distinct word ids (1) and also its adjacent pairs hashed into `ngram_buckets`
    # (2), a learned weight per n-gram and output, summed and divided by the square root of
    # their count; `ngram_dropout` drops n-grams in training
    ngrams: int = 0
    ngram_buckets: int = 0
    ngram_dropout: float = 0.0
    # per recurrent layer, bottom first: d > 1 links each step to the one d before it (a
    # dilated layer, see rnnkit.models.layers.Recurrent); () means 1 for every layer
    dilations: tuple[int, ...] = ()

    @property
    def poolings(self) -> tuple[str, ...]:
        return parse_pooling(self.pooling)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def work_per_step(self, batch_size: int) -> int:
        """Multiply-adds of the recurrent stack per time step for ``batch_size`` sequences,
        what :mod:`rnnkit.threads` sizes the thread count by.

        >>> NetworkConfig("lstm", 500, (8,), 1, tokens=True, embedding_dim=16).work_per_step(64)
        49152
        """
        from rnnkit.threads import network_work

        return network_work(vars(self), batch_size)  # per prediction step: no copy

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> NetworkConfig:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown network settings {unknown}; known: {sorted(known)}")
        data = dict(data)
        data["units"] = tuple(data["units"])
        data["dense"] = tuple(data.get("dense", ()))
        data["dilations"] = tuple(data.get("dilations", ()))
        return cls(**data).validated()

    def layer_dilations(self) -> tuple[int, ...]:
        """The dilation of each recurrent layer (1: undilated)."""
        return self.dilations or (1,) * len(self.units)

    def validated(self) -> NetworkConfig:
        """``self`` if every field has its type and lies within :mod:`rnnkit.limits`, else a
        ``ValueError`` naming the field: a config read from a file is checked before a network
        of its size is built."""
        from rnnkit.limits import (
            MAX_EMBEDDING_DIM,
            MAX_LAYERS,
            MAX_UNITS,
            MAX_VOCABULARY,
            MAX_WINDOW,
        )

        def count(name: str, value: Any, low: int, high: int) -> None:
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise ValueError(f"network `{name}` must be an integer from {low} to {high:,}; "
                                 f"got {value!r}")

        if self.cell not in CELLS:
            raise ValueError(f"network `cell` must be one of {', '.join(CELLS)}; "
                             f"got {self.cell!r}")
        count("input_size", self.input_size, 1, MAX_VOCABULARY)
        count("output_size", self.output_size, 1, MAX_VOCABULARY)
        for name, sizes, least in (("units", self.units, 1), ("dense", self.dense, 0)):
            if not least <= len(sizes) <= MAX_LAYERS:
                raise ValueError(f"network `{name}` must list {least} to {MAX_LAYERS} layers")
            for size in sizes:
                count(name, size, 1, MAX_UNITS)
        if self.embedding_dim is not None:
            count("embedding_dim", self.embedding_dim, 1, MAX_EMBEDDING_DIM)
        count("skip", self.skip, 0, MAX_WINDOW)
        if self.dilations:
            if len(self.dilations) != len(self.units):
                raise ValueError(f"network `dilations` must give one per recurrent layer "
                                 f"({len(self.units)}); got {len(self.dilations)}")
            for dilation in self.dilations:
                count("dilations", dilation, 1, MAX_WINDOW)
            if self.tokens and any(d > 1 for d in self.dilations):
                raise ValueError("dilated layers read float windows, not token ids")
        count("ngrams", self.ngrams, 0, 2)
        count("ngram_buckets", self.ngram_buckets, 0, 2**24)
        for name in ("bidirectional", "tokens"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"network `{name}` must be true or false")
        for name in ("dropout", "embedding_dropout", "ngram_dropout"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not (
                    0 <= value < 1):
                raise ValueError(f"network `{name}` must be a number in [0, 1); got {value!r}")
        parse_pooling(self.pooling)
        return self


POOLINGS = ("last", "max", "mean", "attention")


def parse_pooling(spec: str) -> tuple[str, ...]:
    """``"max, mean"`` → ``("max", "mean")``; unknown or repeated names are an error.

    >>> parse_pooling("max,mean")
    ('max', 'mean')
    """
    kinds = tuple(k.strip() for k in str(spec).split(",") if k.strip())
    if not kinds or any(k not in POOLINGS for k in kinds) or len(set(kinds)) < len(kinds):
        raise ValueError(f"`pooling` must be one of {', '.join(POOLINGS)} or several of them "
                         f"joined by commas (e.g. 'max,mean'); got {spec!r}.")
    return kinds


class OneHot(nn.Module):
    """Token ids ``(N, L)`` to one-hot floats ``(N, L, V)``; padding id 0 maps to zeros."""

    def __init__(self, vocab_size: int):
        super().__init__()
        self.vocab_size = vocab_size

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        out = nn.functional.one_hot(ids, self.vocab_size).float()  # (N, L, V)
        out[..., 0] = 0.0  # padding carries no signal, like a zero embedding row
        return out


def left_align(ids: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Move each row's non-padding ids (``!= 0``) to the front, keeping their order, and cut
    the columns that are padding in every row. Returns ``(ids (N, L'), lengths (N,))``.

    >>> left_align(torch.tensor([[0, 0, 5, 6], [7, 0, 0, 0]]))
    (tensor([[5, 6],
            [7, 0]]), tensor([2, 1]))
    """
    real = ids != 0
    lengths = real.sum(dim=1)
    if torch.onnx.is_in_onnx_export():  # no data-dependent branch or width in a graph:
        steps = torch.arange(ids.shape[1], device=ids.device)  # distinct keys, real first
        order = torch.argsort((~real).long() * ids.shape[1] + steps, dim=1)
        return ids.gather(1, order), lengths.clamp(min=1)
    if bool(real.all()):  # nothing to move
        return ids, lengths.clamp(min=1)
    order = torch.argsort((~real).to(torch.int8), dim=1, stable=True)  # real steps first
    width = max(int(lengths.max()), 1) if len(ids) else 1
    return ids.gather(1, order)[:, :width], lengths.clamp(min=1)


class RecurrentNetwork(nn.Module):
    """Stacked SimpleRNN/LSTM/GRU layers with a dense head; see the module docstring."""

    def __init__(self, config: NetworkConfig):
        super().__init__()
        self.config = config
        c = config
        if c.tokens:
            if c.embedding_dim:
                self.embedding = nn.Embedding(c.input_size, c.embedding_dim, padding_idx=0)
                # Keras draws embeddings from U(-0.05, 0.05); N(0, 1) makes tiny models slow.
                nn.init.uniform_(self.embedding.weight, -0.05, 0.05)
                with torch.no_grad():
                    self.embedding.weight[0].zero_()
                size = c.embedding_dim
            else:
                self.embedding = OneHot(c.input_size)
                size = c.input_size
        else:
            self.embedding = None
            size = c.input_size
        self.recurrent = nn.ModuleList()
        for units, dilation in zip(c.units, c.layer_dilations(), strict=True):
            self.recurrent.append(Recurrent(c.cell, size, units, c.bidirectional, dilation))
            size = units * (2 if c.bidirectional else 1)
        self.attention = None
        if "attention" in c.poolings:
            self.attention = nn.Linear(size, 1)  # a score per step: w · h_t + b
        size *= len(c.poolings)
        self.dropout = nn.Dropout(c.dropout)
        self.dense = nn.ModuleList()
        for units in c.dense:
            self.dense.append(nn.Linear(size, units))
            size = units
        self.head = nn.Linear(size, c.output_size)
        self.bag = None
        if c.ngrams:
            if not c.tokens:
                raise ValueError("a bag of n-grams reads token ids, not float inputs")
            rows = c.input_size + (c.ngram_buckets if c.ngrams >= 2 else 0)
            self.bag = nn.Embedding(rows, c.output_size, padding_idx=0)
            nn.init.zeros_(self.bag.weight)  # a linear model's usual start
            # the bag's share of the output; fit chooses it on validation texts
            self.register_buffer("bag_share", torch.tensor(0.5))
        self.skip = None
        if c.skip:
            if c.tokens:
                raise ValueError("a linear skip reads float inputs, not token ids")
            # Seasonal naive, naive and moving averages are all linear in the last values: this
            # path carries them, so the recurrent part only learns what they miss. It starts at
            # zero, so training begins from the plain recurrent network.
            self.skip = nn.Linear(c.skip, c.output_size)
            nn.init.zeros_(self.skip.weight)
            nn.init.zeros_(self.skip.bias)

    def features(
        self, x: torch.Tensor, lengths: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Run the inputs and the recurrent stack: ``(sequence (N, L, D·H), summary (N, P))``,
        the summary being what the head reads (:attr:`NetworkConfig.pooling`).

        Token input may be padded before or after the text (id 0): it is moved to the front and
        read up to its length, so the padding side never changes the answer.
        """
        if self.config.tokens:
            x, lengths = left_align(x)  # (N, L') ids, (N,) real lengths
        h = self.embedding(x) if self.embedding is not None else x  # (N, L, F)
        p = self.config.embedding_dropout
        if self.training and p > 0:  # a dropped word loses its whole vector
            keep = torch.empty((*h.shape[:2], 1), device=h.device).bernoulli_(1 - p)
            h = h * keep / (1 - p)  # (N, L, F)
        return self.recurrent_features(h, lengths)

    def recurrent_features(
        self, h: torch.Tensor, lengths: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """The recurrent stack and pooling on already-embedded input ``h`` ``(N, L, F)`` (real
        steps first); used where gradients with respect to the embedded inputs are wanted."""
        last = h[:, -1]
        for i, layer in enumerate(self.recurrent):
            h, last = layer(h, lengths)  # (N, L, D·H), (N, D·H)
            if i < len(self.recurrent) - 1:  # the head reads `last`; it drops out there
                h = self.dropout(h)
        return h, self.pool(h, last, lengths)

    def pool(self, h: torch.Tensor, last: torch.Tensor,
             lengths: torch.Tensor | None) -> torch.Tensor:
        """The summary of each sequence's real steps of ``h`` ``(N, L, C)`` → ``(N, P·C)``,
        one block per pooling; padding (steps at and after ``lengths``) never counts."""
        kinds = self.config.poolings
        if kinds == ("last",):
            return last
        if lengths is None:
            real = torch.ones(h.shape[:2], dtype=torch.bool, device=h.device)
        else:
            steps = torch.arange(h.shape[1], device=h.device)
            real = steps.unsqueeze(0) < lengths.to(h.device).unsqueeze(1)  # (N, L)
        mask = real.unsqueeze(2)  # (N, L, 1)
        parts = []
        for kind in kinds:
            if kind == "last":
                parts.append(last)
            elif kind == "max":
                parts.append(h.masked_fill(~mask, float("-inf")).amax(dim=1))  # (N, C)
            elif kind == "mean":
                parts.append((h * mask).sum(1) / mask.sum(1).clamp(min=1))  # (N, C)
            else:  # attention: softmax over the real steps of w · h_t + b
                score = self.attention(h).masked_fill(~mask, float("-inf"))  # (N, L, 1)
                parts.append((torch.softmax(score, dim=1) * h).sum(1))  # (N, C)
        return torch.cat(parts, dim=1)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None,
                pairs: torch.Tensor | None = None) -> torch.Tensor:
        """``x`` ``(N, L, F)`` floats or ``(N, L)`` token ids → ``(N, output_size)``;
        ``pairs``: the bag rows of the word pairs, as :meth:`pair_ids` gives them (an
        exported graph takes them as an input)."""
        parts = self.branch_outputs(x, lengths, pairs)
        out = parts[0] if len(parts) == 1 else torch.lerp(parts[0], parts[1], self.bag_share)
        if self.skip is not None:
            if lengths is not None:  # the last columns would then be padding, not values
                raise ValueError("a linear skip reads each sequence's last steps; it takes no "
                                 "`lengths` (sequences padded after their end)")
            out = out + self.skip(x[:, -self.config.skip:, 0])
        return out

    def branch_outputs(self, x: torch.Tensor, lengths: torch.Tensor | None = None,
                       pairs: torch.Tensor | None = None) -> list[torch.Tensor]:
        """The recurrent path's output and, with a bag of n-grams, the bag's: each a complete
        prediction ``(N, output_size)``, which :meth:`forward` mixes, ``bag_share`` of the
        bag's. :class:`Branch` trains one of them alone."""
        _, z = self.features(x, lengths)
        out = self.head_output(z)
        if self.bag is None:
            return [out]
        return [out, self.bag_output(x, pairs)]

    def pair_ids(self, ids: torch.Tensor) -> torch.Tensor:
        """The bag row of each pair of adjacent ids ``(N, L - 1)``, pairs with padding
        included (:meth:`ngram_ids` leaves those out)."""
        c = self.config
        return hashed_pairs(ids[:, :-1], ids[:, 1:], c.ngram_buckets, c.input_size)

    def ngram_ids(self, ids: torch.Tensor, pairs: torch.Tensor | None = None) -> torch.Tensor:
        """Each text's distinct n-gram rows of :attr:`bag` ``(N, K)``, 0 filling the rest.

        Words are their ids; a pair of adjacent real words (padding, id 0, before or after the
        text, never pairs) is hashed into the ``ngram_buckets`` rows after the vocabulary's.
        Counting each n-gram once per text is what NBSVM found best for sentiment.
        """
        c = self.config
        grams, real = [ids], [ids != 0]
        if c.ngrams >= 2 and ids.shape[1] > 1:
            a, b = ids[:, :-1], ids[:, 1:]
            grams.append(self.pair_ids(ids) if pairs is None else pairs)
            real.append((a != 0) & (b != 0))
        g = torch.where(torch.cat(real, 1), torch.cat(grams, 1), 0).sort(dim=1).values
        repeated = torch.cat([torch.zeros_like(g[:, :1], dtype=torch.bool),
                              g[:, 1:] == g[:, :-1]], dim=1)
        return g.masked_fill(repeated, 0)  # (N, K)

    def bag_output(self, ids: torch.Tensor, pairs: torch.Tensor | None = None) -> torch.Tensor:
        """The bag-of-n-grams path's addition to the output ``(N, output_size)``."""
        g = self.ngram_ids(ids, pairs)
        p = self.config.ngram_dropout
        if self.training and p > 0:
            g = g.masked_fill(torch.rand(g.shape, device=g.device) < p, 0)
        count = (g != 0).sum(1, keepdim=True).clamp(min=1)  # (N, 1)
        return self.bag(g).sum(1) / count.sqrt()  # (N, output_size)

    def head_output(self, z: torch.Tensor) -> torch.Tensor:
        """The dense head on the recurrent summary ``z`` ``(N, D·H)`` → ``(N, output_size)``."""
        z = self.dropout(z)
        for layer in self.dense:
            z = self.dropout(torch.relu(layer(z)))  # (N, units)
        return self.head(z)  # (N, output_size)

    def num_parameters(self, trainable_only: bool = True) -> int:
        """Parameter count, as Keras's ``summary()`` reports it for the same layers."""
        return sum(p.numel() for p in self.parameters() if p.requires_grad or not trainable_only)

    def layer_table(self, timesteps: int | None = None) -> list[tuple[str, str, str, int]]:
        """Rows ``(name, type, output shape, parameters)`` in Keras's ``summary()`` style."""
        c = self.config
        rows: list[tuple[str, str, str, int]] = []
        seen: dict[str, int] = {}
        t = "None" if timesteps is None else str(timesteps)

        def name(kind: str) -> str:
            n = seen.get(kind, 0)
            seen[kind] = n + 1
            return kind if n == 0 else f"{kind}_{n}"

        def count(module: nn.Module) -> int:
            return sum(p.numel() for p in module.parameters())

        if isinstance(self.embedding, nn.Embedding):
            rows.append((name("embedding"), "Embedding", f"(None, {t}, {c.embedding_dim})",
                         count(self.embedding)))
        elif self.embedding is not None:
            rows.append((name("one_hot"), "OneHot", f"(None, {t}, {c.input_size})", 0))
        if self.embedding is not None and c.embedding_dropout > 0:
            width = c.embedding_dim or c.input_size
            rows.append((name("spatial_dropout1d"), "SpatialDropout1D (words)",
                         f"(None, {t}, {width})", 0))
        pooled = c.poolings != ("last",)
        for i, layer in enumerate(self.recurrent):
            width = layer.hidden_size * (2 if c.bidirectional else 1)
            is_last = i == len(self.recurrent) - 1 and not pooled
            shape = f"(None, {width})" if is_last else f"(None, {t}, {width})"
            kind = CELLS[c.cell] + (f", dilation {layer.dilation}" if layer.dilation > 1 else "")
            if c.bidirectional:
                rows.append((name("bidirectional"), f"Bidirectional({kind})", shape, count(layer)))
            else:
                keras = CELLS[c.cell].lower().replace("simplernn", "simple_rnn")
                rows.append((name(keras), kind, shape, count(layer)))
            if c.dropout > 0 and not (pooled and i == len(self.recurrent) - 1):
                rows.append((name("dropout"), "Dropout", shape, 0))
        if pooled:
            width = self.recurrent[-1].hidden_size * (2 if c.bidirectional else 1)
            size = width * len(c.poolings)
            rows.append((name("pooling"), f"Pooling ({c.pooling.replace(' ', '')})",
                         f"(None, {size})", count(self.attention) if self.attention else 0))
            if c.dropout > 0:
                rows.append((name("dropout"), "Dropout", f"(None, {size})", 0))
        for layer in self.dense:
            rows.append((name("dense"), "Dense (relu)", f"(None, {layer.out_features})",
                         count(layer)))
            if c.dropout > 0:
                rows.append((name("dropout"), "Dropout", f"(None, {layer.out_features})", 0))
        rows.append((name("dense"), "Dense", f"(None, {c.output_size})", count(self.head)))
        if self.bag is not None:
            # short: the summary's name column is 42 wide (the share: of the mixed output)
            kind = "words" if c.ngrams == 1 else "words+pairs"
            rows.append((name("ngram_bag"), f"Bag of {kind}, {self.bag_share.item():.0%}",
                         f"(None, {c.output_size})", count(self.bag)))
        if self.skip is not None:
            rows.append((name("skip"), f"Dense (last {c.skip} values, added)",
                         f"(None, {c.output_size})", count(self.skip)))
        return rows

    def summary(self, timesteps: int | None = None, title: str = "model") -> str:
        """A Keras-like summary: one row per layer, output shapes, parameter counts, totals.

        >>> net = RecurrentNetwork(NetworkConfig("gru", 16, (8,), 1))
        >>> print(net.summary(timesteps=5))  # doctest: +NORMALIZE_WHITESPACE
        Model: "model"
        ───────────────────────────────────────────────────────────────────────────
        Layer (type)                              Output Shape              Param #
        ═══════════════════════════════════════════════════════════════════════════
        gru (GRU)                                 (None, 8)                     624
        dense (Dense)                             (None, 1)                       9
        ═══════════════════════════════════════════════════════════════════════════
        Total params: 633
        Trainable params: 633
        Non-trainable params: 0
        ───────────────────────────────────────────────────────────────────────────
        """
        return summary_table(self.layer_table(timesteps), title,
                             self.num_parameters(trainable_only=False), self.num_parameters())


def combine_members(outputs: Any) -> Any:
    """The ensemble's output from its members' ``(K, ...)`` outputs (tensor or array): the
    median, the mean of the middle two for an even ``K``.

    >>> combine_members(np.array([[1.0], [5.0], [2.0], [3.0]])).tolist()
    [2.5]
    """
    if isinstance(outputs, torch.Tensor):
        if torch.onnx.is_in_onnx_export():  # no quantile in ONNX: the middle of a sort
            k = outputs.shape[0]
            ordered = torch.topk(outputs, k, dim=0, largest=False).values
            return (ordered[(k - 1) // 2] + ordered[k // 2]) / 2
        return torch.quantile(outputs, 0.5, dim=0)
    return np.median(outputs, axis=0)


class MedianEnsemble(nn.Module):
    """Several networks of one architecture (trained with different seeds, perhaps reading
    windows of different lengths); the output is the element-wise median of theirs, which a
    single bad seed cannot drag away.

    >>> members = [RecurrentNetwork(NetworkConfig("gru", 1, (4,), 2)) for _ in range(3)]
    >>> ens = MedianEnsemble(members)
    >>> tuple(ens(torch.zeros(5, 6, 1)).shape)
    (5, 2)
    >>> ens.num_parameters() == 3 * members[0].num_parameters()
    True
    """

    def __init__(self, members: list[RecurrentNetwork]):
        super().__init__()
        self.members = nn.ModuleList(members)
        self.config = members[0].config

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        return combine_members(torch.stack([m(x, lengths) for m in self.members]))

    def num_parameters(self, trainable_only: bool = True) -> int:
        return sum(m.num_parameters(trainable_only) for m in self.members)

    def summary(self, timesteps: int | None = None, title: str = "model") -> str:
        k = len(self.members)
        return (self.members[0].summary(timesteps, title) + f"\nEnsemble of {k} such networks "
                f"(median of their outputs): {self.num_parameters():,} parameters in all.")


class WithPairs(nn.Module):
    """A classifier with a bag of word pairs whose pairs' bag rows are an input, ``pairs``
    (:meth:`RecurrentNetwork.pair_ids`), instead of hashed inside: what ONNX export writes,
    since the hash's bitwise XOR is an operation its exporter does not write."""

    def __init__(self, network: nn.Module) -> None:
        super().__init__()
        self.network = network

    def forward(self, ids: torch.Tensor, pairs: torch.Tensor) -> torch.Tensor:
        return self.network(ids, pairs=pairs)


class MultiWindowEnsemble(nn.Module):
    """The networks of an ensemble whose members read windows of several lengths, as one
    module for export: inputs ``windows_<w>`` (each length's latest steps, normalised by
    their own level) and then ``level_<w>`` ``(N,)`` for each length ``w`` in ascending
    order; output the median of each network's output plus its window's level. The window
    normalisation stays outside (it differs per length), the median inside.

    >>> members = [RecurrentNetwork(NetworkConfig("gru", 1, (4,), 2)) for _ in range(3)]
    >>> ens = MultiWindowEnsemble(members, [6, 12, 12])
    >>> x = ens.inputs(5, 1, torch.Generator().manual_seed(0))
    >>> list(x), tuple(ens(*x.values()).shape)
    (['windows_6', 'windows_12', 'level_6', 'level_12'], (5, 2))
    """

    def __init__(self, members: list[RecurrentNetwork], windows: list[int]):
        super().__init__()
        self.members = nn.ModuleList(members)
        self.windows = list(windows)
        self.lengths = sorted(set(windows))
        self.config = members[0].config

    def inputs(self, batch: int, features: int, generator: torch.Generator
               ) -> dict[str, torch.Tensor]:
        """Random inputs of the right names and shapes (tracing, checks)."""
        return {f"windows_{w}": torch.randn(batch, w, features, generator=generator)
                for w in self.lengths} | {
            f"level_{w}": torch.randn(batch, generator=generator) for w in self.lengths}

    def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
        k = len(self.lengths)
        windows = dict(zip(self.lengths, inputs[:k], strict=True))
        levels = dict(zip(self.lengths, inputs[k:], strict=True))
        return combine_members(torch.stack([
            member(windows[w]) + levels[w][:, None]
            for member, w in zip(self.members, self.windows, strict=True)]))


class Branch(nn.Module):
    """One branch of a :class:`RecurrentNetwork` with a bag of n-grams, as a network of its
    own: ``"bag"`` or ``"recurrent"``, the other's weights frozen while it is in use.

    The two are trained one after the other, each with its own early stopping: trained on
    their mixed output, the bag fits the training texts within two epochs and the recurrent
    path stops learning (IMDB validation reviews: 0.905; trained apart, then mixed: 0.912).

    >>> net = RecurrentNetwork(NetworkConfig("gru", 50, (4,), 1, tokens=True, embedding_dim=4,
    ...                                      ngrams=2, ngram_buckets=64))
    >>> with Branch(net, "bag") as bag:
    ...     [n for n, p in bag.named_parameters() if p.requires_grad]
    ['network.bag.weight']
    """

    def __init__(self, network: RecurrentNetwork, part: str):
        super().__init__()
        if network.bag is None or part not in ("bag", "recurrent"):
            raise ValueError("a Branch is the 'bag' or 'recurrent' part of a network with a bag")
        self.network, self.part = network, part

    def __enter__(self) -> Branch:
        for name, p in self.network.named_parameters():
            p.requires_grad_(name.startswith("bag.") == (self.part == "bag"))
        return self

    def __exit__(self, *exc: object) -> None:
        self.network.requires_grad_(True)

    # the network's own names, so checkpoints and best weights are the network's files
    def state_dict(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        return self.network.state_dict(*args, **kwargs)

    def load_state_dict(self, state_dict: Any, strict: bool = True, assign: bool = False) -> Any:
        return self.network.load_state_dict(state_dict, strict, assign)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        if self.part == "bag":
            return self.network.bag_output(x)
        _, z = self.network.features(x, lengths)
        return self.network.head_output(z)


def summary_table(rows: list[tuple[str, str, str, int]], title: str, total: int,
                  trainable: int) -> str:
    """Keras's ``summary()`` text for layer ``rows`` ``(name, type, output shape, params)``.

    >>> print(summary_table([("dense", "Dense", "(None, 1)", 9)], "m", 9, 9).splitlines()[4])
    dense (Dense)                             (None, 1)                       9
    """
    labelled = [(f"{name} ({kind})", shape, params) for name, kind, shape, params in rows]
    # Keras's 42 columns for the name, wider where a name would run into its shape
    first = max([42] + [len(label) + 2 for label, _, _ in labelled])
    width = first + 33
    lines = [f'Model: "{title}"', "─" * width,
             f"{'Layer (type)':<{first}}{'Output Shape':<20}{'Param #':>13}", "═" * width]
    lines += [f"{label:<{first}}{shape:<20}{params:>13,}" for label, shape, params in labelled]
    lines += ["═" * width, f"Total params: {total:,}", f"Trainable params: {trainable:,}",
              f"Non-trainable params: {total - trainable:,}", "─" * width]
    return "\n".join(lines)
