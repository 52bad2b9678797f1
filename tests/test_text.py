import numpy as np
import pytest

from rnnkit.data.text import (
    OOV_ID,
    PAD_ID,
    START_ID,
    Tokenizer,
    Vocabulary,
    encode_padded,
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


def _messy_corpus(n: int, seed: int = 0) -> list[str]:
    """Texts mixing HTML breaks, punctuation, apostrophes, odd whitespace and Unicode
    (a final sigma changes form with its neighbours when lower-cased)."""
    rng = np.random.default_rng(seed)
    pieces = ["Great", "movie", "<br />", "<BR/>", "<br\n/>", "don't", "'quoted'", "''", "a''b",
              "ΟΔΟΣ", "Σ", "Straße", "naïve", "İstanbul", "!!", "(really)", "...", "x,y", "42",
              "\u00a0", "\u2003", "\x1c", "\t", "\n", " ", "  ", "é", "日本語", "-", "'"]
    texts = []
    for _ in range(n):
        k = int(rng.integers(1, 400))
        texts.append("".join(pieces[i] + (" " if rng.random() < 0.6 else "")
                             for i in rng.integers(0, len(pieces), k)))
    return texts


@pytest.mark.parametrize("side", ["pre", "post"])
def test_tokenizing_the_kept_end_gives_the_whole_texts_tokens(side):
    texts = _messy_corpus(300)
    whole = Tokenizer()(texts)
    for keep in (1, 3, 10, 40):
        kept = Tokenizer().kept(texts, keep, side)
        for full, part in zip(whole, kept, strict=True):
            if side == "pre":
                assert part[-keep:] == full[-keep:]
            else:
                assert part[:keep] == full[:keep]


@pytest.mark.parametrize("padding", ["pre", "post"])
@pytest.mark.parametrize("truncating", ["pre", "post"])
def test_encode_padded_equals_encode_then_pad_sequences(padding, truncating):
    texts = [*_messy_corpus(200, seed=1), "x"]
    tokens = Tokenizer()(texts)
    vocab = Vocabulary.fit(tokens, 12)
    for maxlen in (2, 5, 50, 500):
        expected = pad_sequences([vocab.encode(t) for t in tokens], maxlen, padding, truncating)
        got = encode_padded(tokens, vocab, maxlen, padding, truncating)
        np.testing.assert_array_equal(got, expected)
    empty = encode_padded([[]], vocab, 4, padding, truncating)
    np.testing.assert_array_equal(empty, pad_sequences([[START_ID]], 4, padding, truncating))
