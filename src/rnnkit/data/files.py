"""Many series in long form from files: one Parquet or CSV file, a folder of them, or a glob
(``data/*.parquet``). Only the id, time and target columns are read (Parquet reads no other
column from disk), and errors name the file and its row.

>>> import pathlib, tempfile
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "a.csv").write_text("unique_id,ds,y\\na,1,1.0\\na,2,2.0\\n")
>>> _ = (folder / "b.csv").write_text("unique_id,ds,y\\nb,1,5.0\\n")
>>> [(key, data.target.tolist()) for key, data in read_long_files(folder)]
[('a', [1.0, 2.0]), ('b', [5.0])]
"""

from __future__ import annotations

import glob
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from rnnkit.data.series import SeriesData, long_from_frame, require_columns
from rnnkit.errors import RnnkitError

__all__ = ["SUFFIXES", "is_files_source", "load_long", "read_long_files"]

SUFFIXES = (".parquet", ".pq", ".csv", ".tsv")


def is_files_source(y: Any) -> bool:
    """Whether ``y`` names files rather than holding data: a path or a glob pattern."""
    return isinstance(y, str | os.PathLike)


def _paths(source: str | os.PathLike) -> list[Path]:
    """The files ``source`` names, sorted: itself, the data files in a folder, or a glob's."""
    path = Path(source)
    if path.is_file():
        return [path]
    if path.is_dir():
        found = sorted(p for p in path.iterdir() if p.suffix.lower() in SUFFIXES)
        where = f"folder {str(path)!r}"
    else:
        found = sorted(Path(p) for p in glob.glob(str(source), recursive=True)
                       if Path(p).suffix.lower() in SUFFIXES)
        where = f"{str(source)!r}"
    if not found:
        raise RnnkitError(f"{where} names no data file (Parquet or CSV: "
                          f"{', '.join(SUFFIXES)}).")
    return found


def _read(path: Path, columns: list[str]) -> pd.DataFrame:
    """``columns`` of one file (an error naming the file and the columns it has)."""
    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            try:
                import pyarrow.parquet as pq
            except ImportError:
                raise RnnkitError(f"reading {str(path)!r} (Parquet) needs pyarrow: pip install "
                                  "pyarrow.") from None

            have = pq.read_schema(path).names
            missing = [c for c in columns if c not in have]
            if missing:
                raise RnnkitError(f"columns: no column {missing[0]!r} in {str(path)!r}; "
                                  f"available columns: {', '.join(have)}.")
            # one category per series, not a string object per row: 100,000 series of
            # 270 rows would hold 27 million strings
            return pq.read_table(path, columns=columns).to_pandas(strings_to_categorical=True)
        frame = pd.read_csv(path, sep="\t" if path.suffix.lower() == ".tsv" else ",")
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        if isinstance(exc, RnnkitError):
            raise
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise RnnkitError(f"could not read {str(path)!r}: {first}") from None
    require_columns(frame, {"columns": columns}, repr(str(path)))
    return frame[columns]


def read_long_files(source: str | os.PathLike, id_column: str = "unique_id",
                    target: str = "y", time: str | None = "ds",
                    fill: str | None = None) -> list[tuple[Any, SeriesData]]:
    """Validated series, one per value of ``id_column``, from the files ``source`` names
    (see the module); a series may span files. Without ``time``, rows are in file order."""
    paths = _paths(source)
    columns = [id_column, target] + ([time] if time else [])
    frames = [_read(path, columns) for path in paths]
    starts = np.cumsum([0] + [len(f) for f in frames])

    def line(row: int) -> str:
        k = int(np.searchsorted(starts, row, side="right")) - 1
        local = row - int(starts[k])
        csv = paths[k].suffix.lower() in (".csv", ".tsv")
        return f"{paths[k].name} {'line' if csv else 'row'} {local + 2 if csv else local}"

    return long_from_frame(_joined(frames, id_column), id_column, target, time, fill,
                           line=line)


def _joined(frames: list[pd.DataFrame], id_column: str) -> pd.DataFrame:
    """The files' rows as one frame whose series column is categorical (the files' own
    categories united: concatenating different ones would give strings again)."""
    from pandas.api.types import union_categoricals

    ids = [f[id_column] if isinstance(f[id_column].dtype, pd.CategoricalDtype)
           else f[id_column].astype("category") for f in frames]
    rest = [f.drop(columns=id_column) for f in frames]
    joined = pd.concat(rest, ignore_index=True) if len(rest) > 1 else rest[0]
    joined[id_column] = pd.Categorical(union_categoricals(ids, ignore_order=True))
    return joined


def load_long(source: str | os.PathLike, id_column: str, target: str, time: str | None = None,
              fill: str | None = None) -> list[tuple[Any, SeriesData]]:
    """What the command line's ``--csv`` names with ``--id``: one CSV file (errors name its
    lines as ``CSV line N``), or Parquet files, a folder or a glob of data files."""
    from rnnkit.data.series import load_long_csv

    path = Path(source)
    if path.suffix.lower() in (".csv", ".tsv") and not any(c in str(source) for c in "*?["):
        return load_long_csv(path, id_column, target, time, fill)
    return read_long_files(source, id_column, target, time, fill)
