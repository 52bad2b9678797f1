import io
import tarfile
import urllib.error
from pathlib import Path
from typing import ClassVar

import pytest

from rnnkit import datasets
from rnnkit.data import text_datasets
from rnnkit.errors import RnnkitError

SHARED_IMDB = Path(__file__).resolve().parents[2] / "shared" / "data" / "aclImdb_v1.tar.gz"

REVIEWS = {
    "aclImdb/train/pos/3_9.txt": "Loved it.<br />Great.",
    "aclImdb/train/pos/10_8.txt": "Fine film",
    "aclImdb/train/neg/1_2.txt": "Awful.",
    "aclImdb/test/pos/0_10.txt": "Superb!",
    "aclImdb/test/neg/7_1.txt": "Dull and long",
    "aclImdb/train/unsup/5_0.txt": "no label here",
    "aclImdb/README": "readme",
}


@pytest.fixture
def small_archive(tmp_path) -> Path:
    path = tmp_path / "aclImdb_v1.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        for name, text in REVIEWS.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


def test_reads_the_archive_without_extracting(small_archive):
    train, test = datasets.imdb(small_archive)
    assert train.labels == ["neg", "pos", "pos"]  # by label, then numeric review id
    assert train.texts == ["Awful.", "Loved it.<br />Great.", "Fine film"]
    assert test.class_counts() == {"neg": 1, "pos": 1}


def test_unlabelled_reviews_from_the_archive_and_the_folder(small_archive, tmp_path):
    assert datasets.imdb_unlabeled(small_archive) == ["no label here"]
    with tarfile.open(small_archive) as archive:
        archive.extractall(tmp_path / "x", filter="data")
    assert datasets.imdb_unlabeled(tmp_path / "x") == ["no label here"]


def test_reads_the_extracted_folder_and_the_env_variable(small_archive, tmp_path, monkeypatch):
    with tarfile.open(small_archive) as archive:
        archive.extractall(tmp_path / "x", filter="data")
    from_folder = datasets.imdb(tmp_path / "x")
    monkeypatch.setenv("RNNKIT_IMDB", str(small_archive))
    from_env = datasets.imdb()
    assert from_folder[0].texts == from_env[0].texts


def test_offline_without_data_says_where_to_put_it(tmp_path, monkeypatch):
    monkeypatch.delenv("RNNKIT_IMDB", raising=False)
    monkeypatch.setenv("RNNKIT_CACHE", str(tmp_path / "cache"))

    def offline(*args, **kwargs):
        raise urllib.error.URLError("no network")

    monkeypatch.setattr(text_datasets.urllib.request, "urlopen", offline)
    with pytest.raises(RnnkitError) as info:
        datasets.imdb()
    message = str(info.value)
    assert "could not download https://ai.stanford.edu/" in message
    assert str(tmp_path / "cache" / "aclImdb_v1.tar.gz") in message
    assert not any((tmp_path / "cache").glob("*.part"))


def test_download_checks_the_checksum(tmp_path, monkeypatch, small_archive):
    monkeypatch.delenv("RNNKIT_IMDB", raising=False)
    monkeypatch.setenv("RNNKIT_CACHE", str(tmp_path / "cache"))
    payload = small_archive.read_bytes()

    class Response(io.BytesIO):
        headers: ClassVar[dict[str, str]] = {"Content-Length": str(len(payload))}

    monkeypatch.setattr(text_datasets.urllib.request, "urlopen",
                        lambda *a, **k: Response(payload))
    with pytest.raises(RnnkitError, match="is corrupt"):
        datasets.imdb()
    import hashlib

    monkeypatch.setattr(text_datasets, "IMDB_MD5", hashlib.md5(payload).hexdigest())
    train, _ = datasets.imdb()  # now it verifies, lands in the cache and is read from there
    assert len(train) == 3 and (tmp_path / "cache" / "aclImdb_v1.tar.gz").is_file()


def test_wrong_path_is_named(tmp_path):
    with pytest.raises(RnnkitError, match="IMDB data was not found at"):
        datasets.imdb(tmp_path / "nope.tar.gz")


def test_load_texts_formats(tmp_path):
    (tmp_path / "r.csv").write_text("review,sentiment\ngood,pos\nbad,neg\n")
    (tmp_path / "r.tsv").write_text("review\tsentiment\ngood\tpos\n")
    (tmp_path / "r.jsonl").write_text('{"review": "good", "sentiment": 1}\n')
    for folder, label in (("pos", "good"), ("neg", "bad")):
        (tmp_path / "f" / folder).mkdir(parents=True)
        (tmp_path / "f" / folder / "1.txt").write_text(label)
    assert datasets.load_texts(tmp_path / "r.csv", "review", "sentiment").labels == ["pos", "neg"]
    assert datasets.load_texts(tmp_path / "r.tsv", "review", "sentiment").texts == ["good"]
    assert datasets.load_texts(tmp_path / "r.jsonl", "review", "sentiment").labels == [1]
    assert datasets.load_texts(tmp_path / "f").labels == ["neg", "pos"]
    with pytest.raises(RnnkitError, match=r"--label-column: no column 'label' .* available "
                                          r"columns: review, sentiment"):
        datasets.load_texts(tmp_path / "r.csv", "review", "label")


@pytest.mark.skipif(not SHARED_IMDB.is_file(),
                    reason=f"the IMDB archive is not at {SHARED_IMDB}; put aclImdb_v1.tar.gz there")
def test_real_imdb_archive():
    train, test = datasets.imdb(SHARED_IMDB)
    assert len(train) == len(test) == 25_000
    assert len(datasets.imdb_unlabeled(SHARED_IMDB)) == 50_000
    assert train.class_counts() == test.class_counts() == {"neg": 12_500, "pos": 12_500}
