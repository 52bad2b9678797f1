"""JSON from untrusted sources (model folders, request bodies), bounded before it is parsed.

Python's ``json`` parses nested arrays and objects recursively, so a document nested 100,000
deep ends in ``RecursionError``, and a file of gigabytes is read whole. :func:`loads_bounded`
refuses both before parsing: the size first, then the nesting depth by one linear scan.

>>> loads_bounded(b'{"units": [8]}', what="config.json")
{'units': [8]}
>>> loads_bounded(b"[" * 100 + b"]" * 100, what="the body")
Traceback (most recent call last):
...
rnnkit.errors.RnnkitError: the body is nested 100 deep; at most 64 levels are read.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from rnnkit.errors import RnnkitError
from rnnkit.limits import MAX_JSON_BYTES, MAX_JSON_DEPTH

__all__ = ["json_depth", "load_json_file", "loads_bounded"]

_SPECIAL = re.compile(rb'[\[\]{}"\\]')


def json_depth(data: bytes) -> int:
    """The deepest nesting of arrays and objects in ``data`` (0 for a bare value), in one
    pass over its brackets, quotes and backslashes; brackets inside strings do not count."""
    depth = deepest = skip = 0
    in_string = False
    for match in _SPECIAL.finditer(data):
        pos = match.start()
        if pos < skip:  # the character after a backslash
            continue
        char = data[pos]
        if in_string:
            if char == ord("\\"):
                skip = pos + 2
            elif char == ord('"'):
                in_string = False
        elif char == ord('"'):
            in_string = True
        elif char in b"[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in b"]}":
            depth -= 1
    return deepest


def loads_bounded(data: bytes | str, what: str, max_bytes: int = MAX_JSON_BYTES,
                  max_depth: int = MAX_JSON_DEPTH) -> Any:
    """Parse ``data`` after checking its size and depth; every failure is one
    :class:`~rnnkit.errors.RnnkitError` naming ``what``."""
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")
    if len(data) > max_bytes:
        raise RnnkitError(f"{what} is {len(data):,} bytes; at most {max_bytes:,} are read.")
    depth = json_depth(data)
    if depth > max_depth:
        raise RnnkitError(f"{what} is nested {depth} deep; at most {max_depth} levels are read.")
    try:
        return json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise RnnkitError(f"{what} is not UTF-8 text.") from None
    except (json.JSONDecodeError, RecursionError) as exc:
        raise RnnkitError(f"{what} is not valid JSON ({exc}).") from None


def load_json_file(path: Path, max_bytes: int = MAX_JSON_BYTES) -> Any:
    """:func:`loads_bounded` on a file, whose size is checked before it is read."""
    size = path.stat().st_size
    if size > max_bytes:
        raise RnnkitError(f"{str(path)!r} is {size:,} bytes; at most {max_bytes:,} are read.")
    with path.open("rb") as f:
        return loads_bounded(f.read(max_bytes + 1), repr(str(path)), max_bytes)
