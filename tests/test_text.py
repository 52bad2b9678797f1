import numpy as np
import pytest

from rnnkit.data.text import (
    OOV_ID,
    PAD_ID,
    START_ID,
    Tokenizer,
    Vocabulary,
    pad_sequences,
    tokenize,
)


def test_tokenizer_lowercases_and_strips_breaks_and_punctuation():
    assert tokenize("Great movie!<br /><br />I LOVED it... (really)") == [
        "great", "movie", "i", "loved", "it", "really"]
    assert tokenize("Don't stop, won't stop") == ["don't", "stop", "won't", "stop"]
    assert tokenize("<BR/>a<br>b") == ["a", "b"]


def test_custom_token_pattern():
    assert Tokenizer(pattern=r"[a-z]+")(["Hello, world 42"]) == [["hello", "world"]]


def test_reserved_ids_and_most_frequent_words_first():
    vocab = Vocabulary.fit([["b", "a", "b"], ["c", "b", "a"]], num_words=5)
    assert (PAD_ID, START_ID, OOV_ID) == (0, 1, 2)
    assert vocab.words == ["b", "a"]  # num_words - 3 words: b (3 times), a (twice)
    assert vocab.encode(["a", "b", "c", "zzz"]) == [1, 4, 3, 2, 2]
    assert vocab.decode([0, 1, 2, 3]) == ["<pad>", "<start>", "<oov>", "b"]
    assert vocab.size == 5


@pytest.mark.parametrize("padding, truncating, long, short", [
    ("post", "pre", [7, 3, 8, 2, 4], [10, 5, 7, 0, 0]),
    ("post", "post", [10, 5, 7, 3, 8], [10, 5, 7, 0, 0]),
    ("pre", "pre", [7, 3, 8, 2, 4], [0, 0, 10, 5, 7]),
    ("pre", "post", [10, 5, 7, 3, 8], [0, 0, 10, 5, 7]),
])
def test_pad_sequences_keras_semantics(padding, truncating, long, short):
    out = pad_sequences([[10, 5, 7, 3, 8, 2, 4], [10, 5, 7]], maxlen=5, padding=padding,
                        truncating=truncating)
    assert out.tolist() == [long, short]
    assert out.dtype == np.int64


def test_pad_sequences_empty_and_exact():
    assert pad_sequences([[], [1, 2]], maxlen=2).tolist() == [[0, 0], [1, 2]]
