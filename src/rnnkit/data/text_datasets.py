"""Labelled text datasets: the IMDB archive, CSV/TSV/JSONL files and folder-per-class layouts.

>>> TextDataset(["good", "bad"], ["pos", "neg"]).class_counts()
{'neg': 1, 'pos': 1}
"""

from __future__ import annotations

import hashlib
import os
import re
import tarfile
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rnnkit.errors import RnnkitError

__all__ = ["IMDB_MD5", "IMDB_URL", "TextDataset", "cache_dir", "imdb", "imdb_unlabeled",
           "load_texts"]

IMDB_URL = "https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz"
IMDB_MD5 = "7c2ac02c03563afcf9b574c7e56c153a"  # of the archive at IMDB_URL
IMDB_FILE = "aclImdb_v1.tar.gz"
IMDB_ENV = "RNNKIT_IMDB"
_REVIEW = re.compile(r"(?:^|/)aclImdb/(train|test)/(pos|neg|unsup)/(\d+)_(\d+)\.txt$")


@dataclass
class TextDataset:
    """Texts and their labels, in the same order."""

    texts: list[str]
    labels: list[Any]

    def __len__(self) -> int:
        return len(self.texts)

    def class_counts(self) -> dict[Any, int]:
        return dict(sorted(Counter(self.labels).items()))


def cache_dir() -> Path:
    """Per-user cache: ``$RNNKIT_CACHE``, else ``$XDG_CACHE_HOME/rnnkit``, else
    ``~/.cache/rnnkit``."""
    if os.environ.get("RNNKIT_CACHE"):
        return Path(os.environ["RNNKIT_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "rnnkit"


def _download(url: str, target: Path, md5: str) -> Path:
    from tqdm.auto import tqdm

    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(target.suffix + ".part")
    digest = hashlib.md5()
    try:
        with urllib.request.urlopen(url, timeout=30) as response, partial.open("wb") as out:
            total = int(response.headers.get("Content-Length") or 0) or None
            with tqdm(total=total, unit="B", unit_scale=True, desc=f"downloading {target.name}") \
                    as bar:
                for chunk in iter(lambda: response.read(1 << 20), b""):
                    out.write(chunk)
                    digest.update(chunk)
                    bar.update(len(chunk))
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        partial.unlink(missing_ok=True)
        raise RnnkitError(
            f"could not download {url} ({exc}). Download it yourself and put it at "
            f"{target}, or pass its path (path=... / --data-path) or set ${IMDB_ENV}.") from None
    if digest.hexdigest() != md5:
        partial.unlink(missing_ok=True)
        raise RnnkitError(f"the download of {url} is corrupt (MD5 {digest.hexdigest()}, "
                          f"expected {md5}); try again.")
    partial.replace(target)
    return target


def _find_imdb(path: str | os.PathLike | None, download: bool) -> Path:
    candidates = []
    if path is not None:
        candidates.append(("path", Path(path)))
    elif os.environ.get(IMDB_ENV):
        candidates.append((f"${IMDB_ENV}", Path(os.environ[IMDB_ENV])))
    else:
        candidates += [("cache", cache_dir() / IMDB_FILE), ("cache", cache_dir() / "aclImdb")]
    for source, candidate in candidates:
        if candidate.exists():
            return candidate
        if source != "cache":
            raise RnnkitError(f"the IMDB data was not found at {str(candidate)!r} (from {source}); "
                              f"give the archive {IMDB_FILE} or its extracted folder.")
    if not download:
        raise RnnkitError(f"the IMDB data is not in the cache; put {IMDB_FILE} at "
                          f"{cache_dir() / IMDB_FILE}, pass path=..., or set ${IMDB_ENV}.")
    return _download(IMDB_URL, cache_dir() / IMDB_FILE, IMDB_MD5)


def imdb(path: str | os.PathLike | None = None, download: bool = True
         ) -> tuple[TextDataset, TextDataset]:
    """The Large Movie Review dataset (Maas et al., 2011): 25,000 training and 25,000 test
    reviews, labels ``"neg"``/``"pos"`` (the 50,000 unlabelled reviews: :func:`imdb_unlabeled`).

    Reads the official archive ``aclImdb_v1.tar.gz`` without extracting it, or its extracted
    folder, from ``path``, else ``$RNNKIT_IMDB``, else the per-user cache (:func:`cache_dir`);
    if none has it, downloads the archive there (progress bar, checksum). Reviews are ordered
    by label, then by review id, so the order is the same on every machine.
    """
    found = _find_imdb(path, download)
    rows = _read_reviews(found, ("neg", "pos"))
    if not rows["train"] or not rows["test"]:
        raise RnnkitError(f"{str(found)!r} holds no IMDB reviews (expected "
                          "aclImdb/{train,test}/{pos,neg}/*.txt).")

    def dataset(split: str) -> TextDataset:
        ordered = sorted(rows[split])
        return TextDataset([r[2] for r in ordered], [r[0] for r in ordered])

    return dataset("train"), dataset("test")


def imdb_unlabeled(path: str | os.PathLike | None = None, download: bool = True) -> list[str]:
    """The 50,000 unlabelled reviews of the same archive (``aclImdb/train/unsup``), for
    pretraining on IMDB's own text; found as :func:`imdb` finds the archive, in review-id
    order."""
    found = _find_imdb(path, download)
    reviews = sorted(_read_reviews(found, ("unsup",))["train"])
    if not reviews:
        raise RnnkitError(f"{str(found)!r} holds no unlabelled IMDB reviews (expected "
                          "aclImdb/train/unsup/*.txt).")
    return [r[2] for r in reviews]


def _read_reviews(found: Path, labels: tuple[str, ...]) -> dict[str, list[tuple[str, int, str]]]:
    """``{"train": [(label, id, text), ...], "test": [...]}`` for the reviews under
    ``labels`` folders, from the archive or its extracted folder."""
    rows: dict[str, list[tuple[str, int, str]]] = {"train": [], "test": []}
    if found.is_dir():
        root = found if (found / "train").is_dir() else found / "aclImdb"
        for split in ("train", "test"):
            for label in labels:
                folder = root / split / label
                if label == "unsup" and split == "test":
                    continue
                if not folder.is_dir():
                    raise RnnkitError(f"{str(found)!r} is not an extracted IMDB folder: "
                                      f"{folder} is missing.")
                for f in folder.glob("*.txt"):
                    rows[split].append((label, int(f.stem.split("_")[0]),
                                        f.read_text(encoding="utf-8")))
        return rows
    try:
        with tarfile.open(found, "r:*") as archive:
            for member in archive:
                match = _REVIEW.search(member.name)
                if match and match[2] in labels and member.isfile():
                    text = archive.extractfile(member).read().decode("utf-8")
                    rows[match[1]].append((match[2], int(match[3]), text))
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise RnnkitError(f"could not read the IMDB archive {str(found)!r}: {exc}") from None
    return rows


def load_texts(path: str | os.PathLike, text_column: str = "text",
               label_column: str = "label") -> TextDataset:
    """Texts and labels from a CSV, TSV or JSONL file (by extension), or a folder with one
    sub-folder of ``.txt`` files per class (the sub-folder names are the labels)."""
    import pandas as pd

    path = Path(path)
    if path.is_dir():
        texts, labels = [], []
        classes = sorted(d for d in path.iterdir() if d.is_dir())
        if not classes:
            raise RnnkitError(f"{str(path)!r} has no class sub-folders (one folder of .txt "
                              "files per label).")
        for folder in classes:
            for f in sorted(folder.glob("*.txt")):
                try:
                    texts.append(f.read_text(encoding="utf-8"))
                except UnicodeDecodeError as exc:
                    raise RnnkitError(f"{str(f)!r} is not UTF-8 text (byte {exc.start}); "
                                      "convert it, e.g. iconv -f latin1 -t utf-8.") from None
                labels.append(folder.name)
        return TextDataset(texts, labels)
    if not path.is_file():
        raise RnnkitError(f"text file {str(path)!r} does not exist.")
    suffix = path.suffix.lower()
    try:
        if suffix in (".jsonl", ".ndjson"):
            frame = pd.read_json(path, lines=True)
        else:
            frame = pd.read_csv(path, sep="\t" if suffix == ".tsv" else ",")
    except (ValueError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise RnnkitError(f"could not parse {str(path)!r}: {first}") from None
    columns = [str(c) for c in frame.columns]
    for option, column in (("--text-column", text_column), ("--label-column", label_column)):
        if column not in columns:
            raise RnnkitError(f"{option}: no column {column!r} in {str(path)!r}; available "
                              f"columns: {', '.join(columns)}.")
    texts = [None if pd.isna(t) else t for t in frame[text_column].tolist()]
    labels = [None if pd.isna(v) else v for v in frame[label_column].tolist()]
    if None in labels:
        row = labels.index(None)
        line = f"line {row + 1}" if suffix in (".jsonl", ".ndjson") else f"line {row + 2}"
        raise RnnkitError(f"--label-column {label_column!r} is empty at {line} of "
                          f"{str(path)!r}; give every text a label, or drop the row.")
    return TextDataset(texts, labels)
