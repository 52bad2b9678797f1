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

import numpy as np

__all__ = ["OOV_ID", "PAD_ID", "RESERVED", "START_ID", "Tokenizer", "Vocabulary",
           "pad_sequences", "tokenize"]

PAD_ID, START_ID, OOV_ID = 0, 1, 2
RESERVED = 3  # the first word id

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


@dataclass(frozen=True)
class Tokenizer:
    """Tokenizer settings that are saved with a model."""

    pattern: str | None = None

    def __call__(self, texts: Iterable[str]) -> list[list[str]]:
        return [tokenize(t, self.pattern) for t in texts]


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
        get = self.index.get
        return [START_ID, *(get(t, OOV_ID) for t in tokens)]

    def decode(self, ids: Iterable[int]) -> list[str]:
        names = {PAD_ID: "<pad>", START_ID: "<start>", OOV_ID: "<oov>"}
        return [names.get(i) or self.words[i - RESERVED] for i in ids]

    def to_list(self) -> list[str]:
        return list(self.words)


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
