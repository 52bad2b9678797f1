"""Text to padded id sequences: tokenizer, vocabulary and Keras ``pad_sequences`` semantics.

Reserved ids follow the Keras IMDB convention: 0 = padding, 1 = start, 2 = out-of-vocabulary,
and the words from 3 on, most frequent first.

>>> tokens = tokenize("A wonderful,<br /><br />moving film!")
>>> tokens
['a', 'wonderful', 'moving', 'film']
>>> vocab = Vocabulary.fit([tokens, ["a", "film"]], num_words=5)
>>> vocab.encode(["a", "film", "unknown"])
[1, 3, 4, 2]
>>> pad_sequences([[10, 5, 7, 3, 8, 2, 4], [10, 5, 7]], maxlen=5, padding="post",
...               truncating="pre").tolist()
[[7, 3, 8, 2, 4], [10, 5, 7, 0, 0]]
"""

from __future__ import annotations

import re
import string
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import chain, repeat
from typing import Any

import numpy as np

__all__ = ["OOV_ID", "PAD_ID", "PAIR_HASH", "RESERVED", "START_ID", "RaggedIds", "Tokenizer",
           "Vocabulary", "choose_maxlen", "choose_num_words", "encode_flat", "encode_padded",
           "encode_ragged", "hashed_pairs", "pad_sequences", "tokenize"]

PAD_ID, START_ID, OOV_ID = 0, 1, 2
RESERVED = 3  # the first word id
PAIR_HASH = 1_000_003  # odd, so the low bits of `first word × it` take every value


def hashed_pairs(first: Any, second: Any, buckets: int, offset: int) -> Any:
    """The bag-of-n-grams row of each pair of adjacent word ids (``first``, ``second``):
    a hash into ``buckets`` rows after the first ``offset`` (the words'). Arrays or tensors
    alike, so that the network (PyTorch) and an exported model's preprocessing (NumPy)
    hash the same way.

    >>> hashed_pairs(np.array([3, 4]), np.array([4, 3]), buckets=8, offset=10).tolist()
    [15, 17]
    """
    return ((first * PAIR_HASH) ^ second) % buckets + offset

_BREAKS = re.compile(r"<br\s*/?>", re.IGNORECASE)
# Keras's Tokenizer filters: all ASCII punctuation except the apostrophe, which keeps "don't".
_PUNCTUATION = str.maketrans({c: " " for c in string.punctuation if c != "'"})


def tokenize(text: str, pattern: str | None = None) -> list[str]:
    """Lower-case, drop HTML line breaks and punctuation, split on whitespace.

    With ``pattern``, tokens are the regular expression's matches instead (after lower-casing
    and dropping line breaks), e.g. ``r"[a-z]+"``.
    """
    text = _BREAKS.sub(" ", text).lower()
    if pattern is not None:
        return re.findall(pattern, text)
    return [t.strip("'") for t in text.translate(_PUNCTUATION).split() if t.strip("'")]


# Characters per kept token at which a text's end is tokenized alone; IMDB averages 5.6.
_CHARS_PER_TOKEN = 8


@dataclass(frozen=True)
class Tokenizer:
    """Tokenizer settings that are saved with a model."""

    pattern: str | None = None

    def __call__(self, texts: Iterable[str]) -> list[list[str]]:
        return [tokenize(t, self.pattern) for t in texts]

    def kept(self, texts: Iterable[str], keep: int, side: str) -> list[list[str]]:
        """The tokens of each text, at least the ``keep`` last (``side="pre"``) or first
        (``"post"``) of them exactly as :meth:`__call__` gives them, where a model reads no
        more. A long text is tokenized from a cut at whitespace near the kept end, which
        splits no word; the token next to the cut is dropped all the same, since a cut inside
        an HTML break (``<br />``) leaves a ``br`` that the whole text does not have. When
        the cut part holds too few tokens, the whole text is tokenized.

        >>> Tokenizer().kept(["one two three four five"], keep=2, side="pre")[0][-2:]
        ['four', 'five']
        """
        if self.pattern is not None:  # a custom pattern may match across whitespace
            return self(texts)
        span = keep * _CHARS_PER_TOKEN
        out = []
        for text in texts:
            if len(text) > span + span // 4:
                tokens = tokenize(_cut(text, span, side))
                if len(tokens) > keep:
                    out.append(tokens[1:] if side == "pre" else tokens[:-1])
                    continue
            out.append(tokenize(text))
        return out


def _cut(text: str, span: int, side: str) -> str:
    """About ``span`` characters at one end of ``text``, cut at a whitespace character."""
    if side == "pre":
        at = len(text) - span
        while at < len(text) and not text[at].isspace():
            at += 1
        return text[at:]
    at = span
    while at > 0 and not text[at].isspace():
        at -= 1
    return text[:at]


class Vocabulary:
    """The ``num_words`` most frequent words: ids 3 .. num_words - 1 (0, 1, 2 are reserved)."""

    def __init__(self, words: Sequence[str]):
        self.words = list(words)
        self.index = {w: i + RESERVED for i, w in enumerate(self.words)}

    @classmethod
    def fit(cls, token_lists: Iterable[Sequence[str]], num_words: int) -> Vocabulary:
        """Count words over the training texts; ties keep first-seen order (deterministic)."""
        counts: Counter[str] = Counter()
        for tokens in token_lists:
            counts.update(tokens)
        return cls([w for w, _ in counts.most_common(max(num_words - RESERVED, 0))])

    @property
    def size(self) -> int:
        """Ids in use, reserved ones included."""
        return len(self.words) + RESERVED

    def encode(self, tokens: Sequence[str]) -> list[int]:
        """``[START] + ids``, unknown words as OOV."""
        return [START_ID, *map(self.index.get, tokens, repeat(OOV_ID))]

    def decode(self, ids: Iterable[int]) -> list[str]:
        names = {PAD_ID: "<pad>", START_ID: "<start>", OOV_ID: "<oov>"}
        return [names.get(i) or self.words[i - RESERVED] for i in ids]

    def to_list(self) -> list[str]:
        return list(self.words)


class RaggedIds:
    """Id sequences of different lengths, stored end to end: memory follows the real tokens,
    not the longest text. Indexing with row numbers gives those rows as one tensor padded
    after each text (``PAD_ID``) to the longest of them, which is what a batch needs.

    >>> ragged = RaggedIds(np.array([1, 5, 6, 1, 7]), np.array([3, 2]))
    >>> ragged[np.array([1, 0])].tolist()
    [[1, 7, 0], [1, 5, 6]]
    """

    def __init__(self, flat: Any, lengths: Any):
        import torch

        self.flat = torch.as_tensor(flat, dtype=torch.int64)
        self.lengths = torch.as_tensor(lengths, dtype=torch.int64)
        self.offsets = torch.cumsum(self.lengths, 0) - self.lengths

    def __len__(self) -> int:
        return len(self.lengths)

    def __getitem__(self, rows: Any) -> Any:
        import torch

        rows = torch.as_tensor(rows, dtype=torch.int64, device=self.lengths.device)
        lengths, starts = self.lengths[rows], self.offsets[rows]  # (B,)
        width = max(int(lengths.max()), 1) if len(rows) else 1
        steps = torch.arange(width, device=self.flat.device)  # (W,)
        real = steps.unsqueeze(0) < lengths.unsqueeze(1)  # (B, W)
        where = (starts.unsqueeze(1) + steps).clamp(max=max(len(self.flat) - 1, 0))
        return torch.where(real, self.flat[where], PAD_ID) if len(self.flat) else \
            torch.zeros((len(rows), width), dtype=torch.int64)

    def _view(self, flat: Any, lengths: Any, offsets: Any) -> RaggedIds:
        view = RaggedIds.__new__(RaggedIds)
        view.flat, view.lengths, view.offsets = flat, lengths, offsets
        return view

    def to(self, device: Any) -> RaggedIds:
        return self._view(self.flat.to(device), self.lengths.to(device),
                          self.offsets.to(device))

    def take(self, rows: Any) -> RaggedIds:
        """These rows (sharing the ids, not copying them).

        >>> RaggedIds(np.array([1, 5, 6, 1, 7]), np.array([3, 2])).take([1]).lengths.tolist()
        [2]
        """
        import torch

        rows = torch.as_tensor(rows, dtype=torch.int64, device=self.lengths.device)
        return self._view(self.flat, self.lengths[rows], self.offsets[rows])

    def padded(self, maxlen: int, padding: str = "pre") -> np.ndarray:
        """All rows as an ``(n, maxlen)`` array padded before (``"pre"``) or after."""
        out = np.full((len(self), maxlen), PAD_ID, dtype=np.int64)
        lengths = self.lengths.cpu().numpy()
        row = np.repeat(np.arange(len(lengths)), lengths)
        step = np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        column = step + (np.repeat(maxlen - lengths, lengths) if padding == "pre" else 0)
        out[row, column] = self.flat.cpu().numpy()
        return out


def encode_ragged(token_lists: Sequence[Sequence[str]], vocabulary: Vocabulary,
                  maxlen: int | None = None, truncating: str = "pre") -> RaggedIds:
    """``[vocabulary.encode(t) for t in token_lists]``, each cut to ``maxlen`` ids (None: none
    cut) from the start (``truncating="pre"``) or the end, in one pass over all tokens: the
    ids are looked up in one C-level loop and cut with NumPy indexing.

    >>> vocab = Vocabulary(["a", "film"])
    >>> ragged = encode_ragged([["a", "film", "x"], ["film"]], vocab, maxlen=3)
    >>> ragged.flat.tolist(), ragged.lengths.tolist()
    ([3, 4, 2, 1, 4], [3, 2])
    """
    return RaggedIds(*encode_flat(token_lists, vocabulary, maxlen, truncating))


def encode_flat(token_lists: Sequence[Sequence[str]], vocabulary: Vocabulary,
                maxlen: int | None = None, truncating: str = "pre"
                ) -> tuple[np.ndarray, np.ndarray]:
    """:func:`encode_ragged` in NumPy alone: ``(ids end to end, ids per text)``.

    >>> flat, lengths = encode_flat([["a", "x"]], Vocabulary(["a"]))
    >>> flat.tolist(), lengths.tolist()
    ([1, 3, 2], [3])
    """
    lengths = np.fromiter(map(len, token_lists), dtype=np.int64, count=len(token_lists)) + 1
    total = int(lengths.sum())
    ids = np.fromiter(map(vocabulary.index.get, chain.from_iterable(token_lists),
                          repeat(OOV_ID)), dtype=np.int64, count=total - len(token_lists))
    # each text's first slot is START; its tokens follow (flat, in text order)
    starts = np.cumsum(lengths) - lengths  # (n,) offset of each text in the flat sequence
    flat = np.empty(total, dtype=np.int64)
    flat[starts] = START_ID
    is_token = np.ones(total, dtype=bool)
    is_token[starts] = False
    flat[is_token] = ids
    if maxlen is None or int(lengths.max(initial=0)) <= maxlen:
        return flat, lengths
    kept = np.minimum(lengths, maxlen)  # (n,)
    first = starts + (lengths - kept if truncating == "pre" else 0)  # first kept position
    step = np.arange(int(kept.sum())) - np.repeat(np.cumsum(kept) - kept, kept)
    return flat[np.repeat(first, kept) + step], kept


def encode_padded(token_lists: Sequence[Sequence[str]], vocabulary: Vocabulary, maxlen: int,
                  padding: str = "pre", truncating: str = "pre") -> np.ndarray:
    """``pad_sequences([vocabulary.encode(t) for t in token_lists], ...)``, through
    :func:`encode_ragged`.

    >>> vocab = Vocabulary(["a", "film"])
    >>> encode_padded([["a", "film", "x"], ["film"]], vocab, maxlen=3).tolist()
    [[3, 4, 2], [0, 1, 4]]
    """
    return encode_ragged(token_lists, vocabulary, maxlen, truncating).padded(maxlen, padding)


# what "auto" aims for: the words that make up this share of the training tokens, the texts
# this share of the training texts fit in
AUTO_COVERAGE = 0.95
AUTO_MAX_WORDS = 50_000


def choose_num_words(token_lists: Sequence[Sequence[str]], coverage: float = AUTO_COVERAGE,
                     most: int = AUTO_MAX_WORDS) -> int:
    """A vocabulary size (reserved ids included) for ``num_words="auto"``: the most frequent
    words seen at least twice that together make up ``coverage`` of all tokens (a word seen
    once cannot be learned from), at most ``most``, at least 4.

    >>> tokens = [["a"] * 6 + ["b"] * 3 + ["c"]]  # a alone is 60 % of the tokens
    >>> choose_num_words(tokens, coverage=0.5), choose_num_words(tokens, coverage=0.9)
    (4, 5)
    """
    counts = sorted(Counter(chain.from_iterable(token_lists)).values(), reverse=True)
    total = sum(counts)
    if not total:
        return RESERVED + 1
    covered = np.cumsum([c for c in counts if c >= 2])
    words = int(np.searchsorted(covered, coverage * total)) + 1 if len(covered) else 1
    return int(min(max(words, 1), len(covered) or 1, most) + RESERVED)


def choose_maxlen(token_lists: Sequence[Sequence[str]], coverage: float = AUTO_COVERAGE) -> int:
    """``maxlen="auto"``: the ``coverage`` percentile of the texts' lengths in ids (the start
    id included), at least 2; longer texts are cut.

    >>> choose_maxlen([["w"] * n for n in range(1, 101)])  # lengths 2 .. 101 with START
    97
    """
    lengths = np.fromiter(map(len, token_lists), dtype=np.int64, count=len(token_lists)) + 1
    return max(int(np.ceil(np.percentile(lengths, coverage * 100))), 2)


def pad_sequences(sequences: Sequence[Sequence[int]], maxlen: int, padding: str = "pre",
                  truncating: str = "pre", value: int = PAD_ID) -> np.ndarray:
    """Keras ``pad_sequences``: cut to ``maxlen`` (``truncating`` drops from the start, ``"pre"``,
    or the end, ``"post"``) and fill with ``value`` before (``padding="pre"``) or after."""
    out = np.full((len(sequences), maxlen), value, dtype=np.int64)
    for row, seq in enumerate(sequences):
        seq = seq[-maxlen:] if truncating == "pre" else seq[:maxlen]
        if not len(seq):
            continue
        if padding == "pre":
            out[row, maxlen - len(seq):] = seq
        else:
            out[row, :len(seq)] = seq
    return out
