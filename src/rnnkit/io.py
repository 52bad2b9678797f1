"""Saved models: a directory of JSON config, safetensors weights and JSON preprocessing state.

::

    runs/airline/
        config.json          estimator, parameters, network architecture, format version,
                             the weights' SHA-256, training history
        weights.safetensors  tensors only (no pickle, no code)
        preprocessing.json   scalers, window, columns, frequency, the data needed to forecast

Loading checks that the three files belong together (a shared ``model_id``, the weights'
checksum, every tensor's name and shape) and refuses a format newer than this rnnkit reads.
Directories are written to a temporary sibling and renamed into place, so a failed save leaves
nothing half-written.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rnnkit.errors import ModelFormatError, RnnkitError

__all__ = ["CONFIG_FILE", "FORMAT_VERSION", "PREPROCESSING_FILE", "WEIGHTS_FILE", "SavedModel",
           "read_model_dir", "write_model_dir"]

FORMAT = "rnnkit-model"
FORMAT_VERSION = 1
CONFIG_FILE = "config.json"
WEIGHTS_FILE = "weights.safetensors"
PREPROCESSING_FILE = "preprocessing.json"
REQUIRED_FILES = (CONFIG_FILE, WEIGHTS_FILE, PREPROCESSING_FILE)


@dataclass
class SavedModel:
    """The contents of a model directory, checked for consistency."""

    config: dict[str, Any]
    preprocessing: dict[str, Any]
    state_dict: dict[str, Any]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _is_replaceable(path: Path) -> bool:
    """An existing directory may be replaced if it is empty or an earlier rnnkit model."""
    return path.is_dir() and (not any(path.iterdir()) or (path / CONFIG_FILE).is_file())


def write_model_dir(path: str | Path, *, estimator: str, params: dict[str, Any],
                    network: dict[str, Any], state_dict: dict[str, Any],
                    preprocessing: dict[str, Any], extra: dict[str, Any] | None = None) -> Path:
    """Write a model directory atomically; replaces an earlier model directory at ``path``."""
    import torch
    from safetensors.torch import save_file

    from rnnkit import __version__

    path = Path(path)
    if path.exists() and not _is_replaceable(path):
        raise RnnkitError(f"refusing to write the model to {str(path)!r}: it exists and is not "
                          "an rnnkit model directory. Choose another path or remove it.")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    try:
        model_id = uuid.uuid4().hex
        tensors = {k: v.detach().to("cpu", torch.float32 if v.is_floating_point() else v.dtype)
                   .contiguous() for k, v in state_dict.items()}
        save_file(tensors, str(tmp / WEIGHTS_FILE), metadata={"model_id": model_id})
        config = {
            "format": FORMAT, "format_version": FORMAT_VERSION, "rnnkit_version": __version__,
            "model_id": model_id, "estimator": estimator, "params": params, "network": network,
            "weights": {"file": WEIGHTS_FILE, "sha256": _sha256(tmp / WEIGHTS_FILE),
                        "tensors": {k: list(v.shape) for k, v in tensors.items()}},
        } | (extra or {})
        (tmp / CONFIG_FILE).write_text(json.dumps(config, indent=2))
        pre = {"format_version": FORMAT_VERSION, "model_id": model_id} | preprocessing
        (tmp / PREPROCESSING_FILE).write_text(json.dumps(pre, indent=2))
        if path.exists():
            old = path.with_name(f".{path.name}.old-{uuid.uuid4().hex[:8]}")
            os.replace(path, old)
            os.replace(tmp, path)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, path)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return path


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ModelFormatError(f"{str(path)!r} is not valid JSON ({exc}).") from None
    if not isinstance(data, dict):
        raise ModelFormatError(f"{str(path)!r} must hold a JSON object.")
    return data


def read_model_dir(path: str | Path, estimator: str | None = None) -> SavedModel:
    """Read and cross-check a model directory; ``estimator`` names the class expected."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    path = Path(path)
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
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise ModelFormatError(
            f"{str(path)!r} was written by a newer rnnkit ({config.get('rnnkit_version')}, "
            f"model format {version}); this rnnkit reads format {FORMAT_VERSION} and older. "
            "Upgrade rnnkit to load it.")
    if estimator is not None and config.get("estimator") != estimator:
        raise ModelFormatError(f"{str(path)!r} holds a {config.get('estimator')}, "
                               f"not a {estimator}.")
    preprocessing = _read_json(path / PREPROCESSING_FILE)
    if preprocessing.get("model_id") != config.get("model_id"):
        raise ModelFormatError(f"{PREPROCESSING_FILE} in {str(path)!r} belongs to a different "
                               f"model than {CONFIG_FILE} (their model_id differ).")
    if _sha256(path / WEIGHTS_FILE) != config.get("weights", {}).get("sha256"):
        raise ModelFormatError(f"{WEIGHTS_FILE} in {str(path)!r} does not match {CONFIG_FILE} "
                               "(checksum differs): the weights were changed or come from "
                               "another model.")
    try:
        state_dict = load_file(str(path / WEIGHTS_FILE))
    except (SafetensorError, OSError) as exc:
        raise ModelFormatError(f"could not read {WEIGHTS_FILE} in {str(path)!r}: {exc}") from None
    expected = config["weights"].get("tensors", {})
    actual = {k: list(v.shape) for k, v in state_dict.items()}
    if expected != actual:
        raise ModelFormatError(f"{WEIGHTS_FILE} in {str(path)!r} holds tensors that differ from "
                               f"those {CONFIG_FILE} lists.")
    return SavedModel(config, preprocessing, state_dict)
