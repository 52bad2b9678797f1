"""Saved models: a directory of JSON config, safetensors weights and JSON preprocessing state.

::

    runs/airline/
        config.json          estimator, parameters, network architecture, format version,
                             the weights' SHA-256, training history
        weights.safetensors  tensors only (no pickle, no code)
        preprocessing.json   scalers, window, columns, frequency, the data needed to forecast

A model folder is untrusted input. Loading reads each JSON file within a size and nesting
limit (:mod:`rnnkit.safe_json`), checks ``digest`` (a SHA-256 over the config and, through the
checksums it lists, the preprocessing and the weights), reads tensor names and shapes from the
safetensors header, which the caller compares with the network the config describes before any
tensor is read, and refuses a format newer than this rnnkit reads. Every failure is one
:class:`~rnnkit.errors.ModelFormatError`.

Saving is deterministic (the same model gives the same bytes: ``model_id`` is a hash of the
contents) and crash-safe: the new folder is written beside the old one and swapped in with one
atomic exchange where the system has it (Linux), else two renames that :func:`read_model_dir`
recovers from if a crash falls between them.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rnnkit.errors import ModelFormatError, RnnkitError
from rnnkit.limits import MAX_JSON_BYTES, MAX_PREPROCESSING_BYTES
from rnnkit.safe_json import load_json_file

__all__ = ["CONFIG_FILE", "FORMAT_VERSION", "PREPROCESSING_FILE", "WEIGHTS_FILE", "SavedModel",
           "read_model_dir", "write_model_dir"]

FORMAT = "rnnkit-model"
FORMAT_VERSION = 2  # 2: digest over all three files, content-derived model_id
CONFIG_FILE = "config.json"
WEIGHTS_FILE = "weights.safetensors"
PREPROCESSING_FILE = "preprocessing.json"
REQUIRED_FILES = (CONFIG_FILE, WEIGHTS_FILE, PREPROCESSING_FILE)


@dataclass
class SavedModel:
    """The JSON of a model directory, checked for consistency, and its tensors' shapes from
    the weights file's header; :meth:`tensors` reads the tensors themselves."""

    path: Path
    config: dict[str, Any]
    preprocessing: dict[str, Any]
    shapes: dict[str, list[int]]

    def check_shapes(self, expected: dict[str, list[int]]) -> None:
        """Refuse weights whose names or shapes differ from ``expected`` (those of the network
        the config describes, built without memory on PyTorch's meta device)."""
        if expected != self.shapes:
            wrong = sorted(set(expected) ^ set(self.shapes)) or sorted(
                k for k in expected if expected[k] != self.shapes[k])
            raise ModelFormatError(f"{WEIGHTS_FILE} in {str(self.path)!r} does not fit the "
                                   f"network {CONFIG_FILE} describes (first difference: "
                                   f"{wrong[0]!r}).")

    def tensors(self) -> dict[str, Any]:
        """The weights, as CPU tensors."""
        from safetensors import SafetensorError
        from safetensors.torch import load_file

        try:
            return load_file(str(self.path / WEIGHTS_FILE))
        except (SafetensorError, OSError) as exc:
            raise ModelFormatError(f"could not read {WEIGHTS_FILE} in {str(self.path)!r}: "
                                   f"{exc}") from None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _canonical(data: Any) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":")).encode()


def _digest(config: dict[str, Any]) -> str:
    """SHA-256 of the config without its ``digest``; the config lists the other files'."""
    return hashlib.sha256(_canonical({k: v for k, v in config.items()
                                      if k != "digest"})).hexdigest()


def _content_id(head: dict[str, Any], tensors: dict[str, Any]) -> str:
    """A model id derived from the contents, so the same model always gives the same bytes."""
    import torch

    digest = hashlib.sha256(_canonical(head))
    for name in sorted(tensors):
        tensor = tensors[name]
        digest.update(f"{name}:{tensor.dtype}:{list(tensor.shape)}".encode())
        digest.update(tensor.reshape(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()[:32]


def _is_replaceable(path: Path) -> bool:
    """An existing directory may be replaced if it is empty or an earlier rnnkit model."""
    return path.is_dir() and (not any(path.iterdir()) or (path / CONFIG_FILE).is_file())


def _write_file(path: Path, data: bytes) -> None:
    """Write and flush to the disk, so a folder swapped in after it is complete on disk."""
    with path.open("wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Swap two directories in one atomic step (Linux ``renameat2``); False where the system
    cannot, and the caller falls back to two renames."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    result = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):  # e.g. a file system without it
        return False
    raise OSError(code, os.strerror(code), str(b))


def _swap_in(new: Path, path: Path) -> None:
    """Put the complete folder ``new`` at ``path``; at every instant ``path`` holds the old
    model or the new one, except on systems without an atomic exchange, where a crash between
    the two renames leaves the old one at ``.NAME.old-*``, which :func:`read_model_dir` puts
    back."""
    if not path.exists():
        os.replace(new, path)
    elif _exchange(new, path):
        _remove_tree(new)  # now the old model
    else:
        old = path.with_name(f".{path.name}.old-{new.name.rsplit('-', 1)[-1]}")
        os.replace(path, old)
        os.replace(new, path)
        _remove_tree(old)


def _remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


def _leftovers(path: Path) -> list[Path]:
    """Folders an interrupted save of ``path`` may have left beside it."""
    if not path.parent.is_dir():
        return []
    return sorted(p for p in path.parent.glob(f".{path.name}.*")
                  if p.is_dir() and p.name.split(".")[-1].split("-")[0] in ("new", "old"))


def write_model_dir(path: str | Path, *, estimator: str, params: dict[str, Any],
                    network: dict[str, Any], state_dict: dict[str, Any],
                    preprocessing: dict[str, Any], extra: dict[str, Any] | None = None) -> Path:
    """Write a model directory (deterministically, crash-safe); replaces an earlier model
    directory at ``path``. A full disk or another write error is one
    :class:`~rnnkit.errors.RnnkitError`, and the earlier model stays as it was."""
    import torch
    from safetensors.torch import save

    from rnnkit import __version__

    path = Path(path)
    _recover(path)
    if path.exists() and not _is_replaceable(path):
        raise RnnkitError(f"refusing to write the model to {str(path)!r}: it exists and is not "
                          "an rnnkit model directory. Choose another path or remove it.")
    tensors = {k: v.detach().to("cpu", torch.float32 if v.is_floating_point() else v.dtype)
               .contiguous() for k, v in state_dict.items()}
    model_id = _content_id({"estimator": estimator, "params": params, "network": network,
                            "preprocessing": preprocessing, "extra": extra or {}}, tensors)
    weights = save(tensors, metadata={"model_id": model_id})
    pre = json.dumps({"format_version": FORMAT_VERSION, "model_id": model_id} | preprocessing,
                     indent=2).encode()
    config = {
        "format": FORMAT, "format_version": FORMAT_VERSION, "rnnkit_version": __version__,
        "model_id": model_id, "estimator": estimator, "params": params, "network": network,
        "weights": {"file": WEIGHTS_FILE, "sha256": hashlib.sha256(weights).hexdigest(),
                    "tensors": {k: list(v.shape) for k, v in tensors.items()}},
        "preprocessing": {"file": PREPROCESSING_FILE, "sha256": hashlib.sha256(pre).hexdigest()},
    } | (extra or {})
    config["digest"] = _digest(config)
    new = path.with_name(f".{path.name}.new-{model_id[:8]}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        for stale in _leftovers(path):  # from a save that was killed
            _remove_tree(stale)
        new.mkdir()
        _write_file(new / WEIGHTS_FILE, weights)
        _write_file(new / PREPROCESSING_FILE, pre)
        _write_file(new / CONFIG_FILE, json.dumps(config, indent=2).encode())
        _swap_in(new, path)
    except OSError as exc:
        _remove_tree(new)
        reason = "the disk is full" if exc.errno == errno.ENOSPC else (exc.strerror or str(exc))
        kept = " The model that was there is unchanged." if path.exists() else ""
        raise RnnkitError(f"could not save the model to {str(path)!r}: {reason}.{kept}") from None
    finally:
        if new.exists() and new != path:
            _remove_tree(new)
    return path


def _read_json(path: Path, max_bytes: int = MAX_JSON_BYTES) -> dict[str, Any]:
    try:
        data = load_json_file(path, max_bytes)
    except RnnkitError as exc:
        raise ModelFormatError(str(exc)) from None
    if not isinstance(data, dict):
        raise ModelFormatError(f"{str(path)!r} must hold a JSON object; got a JSON "
                               f"{type(data).__name__}.")
    return data


def _recover(path: Path) -> None:
    """Put back the model that a save interrupted between its two renames set aside."""
    if path.exists():
        return
    for old in reversed(_leftovers(path)):
        if ".old-" in old.name and all((old / name).is_file() for name in REQUIRED_FILES):
            os.replace(old, path)
            return


def _header_shapes(path: Path) -> dict[str, list[int]]:
    """Tensor names and shapes from a safetensors header, without reading the tensors (or
    importing PyTorch: an onnxruntime server checks the folder too)."""
    from safetensors import SafetensorError, safe_open

    try:
        with safe_open(str(path), framework="numpy") as f:
            return {k: list(f.get_slice(k).get_shape()) for k in f.keys()}  # noqa: SIM118
    except (SafetensorError, OSError) as exc:
        raise ModelFormatError(f"could not read {str(path)!r}: {exc}") from None


def read_model_dir(path: str | Path, estimator: str | None = None) -> SavedModel:
    """Read and cross-check a model directory's JSON, checksums and tensor shapes (not the
    tensors: :meth:`SavedModel.tensors`); ``estimator`` names the class expected."""
    path = Path(path)
    _recover(path)
    if not path.is_dir():
        raise ModelFormatError(f"model directory {str(path)!r} does not exist.")
    missing = [name for name in REQUIRED_FILES if not (path / name).is_file()]
    if missing:
        raise ModelFormatError(f"{str(path)!r} is not a complete rnnkit model: missing "
                               f"{', '.join(missing)} (a model directory holds "
                               f"{', '.join(REQUIRED_FILES)}).")
    config = _read_json(path / CONFIG_FILE)
    if config.get("format") != FORMAT:
        raise ModelFormatError(f"{str(path / CONFIG_FILE)!r} is not an rnnkit model config.")
    version = config.get("format_version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ModelFormatError(f"{str(path / CONFIG_FILE)!r} has an invalid format_version "
                               f"{version!r} (a positive integer).")
    if version > FORMAT_VERSION:
        raise ModelFormatError(
            f"{str(path)!r} was written by a newer rnnkit ({config.get('rnnkit_version')}, "
            f"model format {version}); this rnnkit reads format {FORMAT_VERSION} and older. "
            "Upgrade rnnkit to load it.")
    if version >= 2 and config.get("digest") != _digest(config):
        raise ModelFormatError(f"{CONFIG_FILE} in {str(path)!r} was changed after it was "
                               "saved (its digest differs).")
    if estimator is not None and config.get("estimator") != estimator:
        raise ModelFormatError(f"{str(path)!r} holds a {config.get('estimator')}, "
                               f"not a {estimator}.")
    listed = config.get("preprocessing") if version >= 2 else None
    if listed is not None and (not isinstance(listed, dict) or listed.get("sha256")
                               != _sha256(path / PREPROCESSING_FILE)):
        raise ModelFormatError(f"{PREPROCESSING_FILE} in {str(path)!r} does not match "
                               f"{CONFIG_FILE} (checksum differs): it was changed after the "
                               "model was saved.")
    preprocessing = _read_json(path / PREPROCESSING_FILE, MAX_PREPROCESSING_BYTES)
    if preprocessing.get("model_id") != config.get("model_id"):
        raise ModelFormatError(f"{PREPROCESSING_FILE} in {str(path)!r} belongs to a different "
                               f"model than {CONFIG_FILE} (their model_id differ).")
    weights = config.get("weights")
    if not isinstance(weights, dict) or _sha256(path / WEIGHTS_FILE) != weights.get("sha256"):
        raise ModelFormatError(f"{WEIGHTS_FILE} in {str(path)!r} does not match {CONFIG_FILE} "
                               "(checksum differs): the weights were changed or come from "
                               "another model.")
    shapes = _header_shapes(path / WEIGHTS_FILE)
    if weights.get("tensors") != shapes:
        raise ModelFormatError(f"{WEIGHTS_FILE} in {str(path)!r} holds tensors that differ from "
                               f"those {CONFIG_FILE} lists.")
    return SavedModel(path, config, preprocessing, shapes)
