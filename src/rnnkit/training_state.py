"""A training run's state at an epoch's end, saved so that a killed run can resume.

Everything the next epoch depends on is saved: the weights, Adam's moments and step count,
the learning rate and its schedule, early stopping's best value, wait and best weights, the
shuffling generator, PyTorch's global random state (dropout) and the history. A run resumed
from epoch k therefore ends with exactly the weights of a run that was never interrupted.

Layout of ``state_dir``: one folder per saved epoch (``epoch-0007/``: ``tensors.safetensors``
and ``state.json``), and ``latest``, a one-line file naming the newest complete folder. The
folder is written in full before ``latest`` is replaced (an atomic rename), so a kill at any
moment leaves the previous epoch resumable; older folders are removed after.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import torch

from rnnkit.errors import RnnkitError

__all__ = ["load_run", "save_run"]

LATEST = "latest"


def save_run(state_dir: str | Path, epoch: int, parts: dict[str, Any],
             history: dict[str, Any]) -> Path:
    """Save the state after ``epoch``. ``parts`` maps names to objects with ``state_dict``
    (the model, the optimizer, the stopper, schedules) or to ``torch.Generator``\\ s."""
    from safetensors.torch import save_file

    root = Path(state_dir)
    root.mkdir(parents=True, exist_ok=True)
    folder = root / f"epoch-{epoch:04d}"
    partial = root / f".epoch-{epoch:04d}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir()
    tensors: dict[str, torch.Tensor] = {}
    plain: dict[str, Any] = {"epoch": epoch, "history": history}
    for name, part in parts.items():
        if isinstance(part, torch.Generator):
            tensors[f"{name}/rng"] = part.get_state()
            continue
        state = part.state_dict()
        plain[name] = {k: v for k, v in state.items() if not isinstance(v, torch.Tensor)
                       and k != "tensors"}
        for key, value in (state.get("tensors") or {}).items():
            tensors[f"{name}/{key}"] = value
        for key, value in state.items():
            if isinstance(value, torch.Tensor):
                tensors[f"{name}/{key}"] = value
    tensors["torch/rng"] = torch.get_rng_state()
    tensors = {k: v.detach().cpu().contiguous() for k, v in tensors.items()}
    save_file(tensors, str(partial / "tensors.safetensors"))
    (partial / "state.json").write_text(json.dumps(plain))
    shutil.rmtree(folder, ignore_errors=True)
    os.replace(partial, folder)
    pointer = root / f".{LATEST}.partial"
    pointer.write_text(folder.name + "\n")
    os.replace(pointer, root / LATEST)
    for old in root.glob("epoch-*"):
        if old.name != folder.name:
            shutil.rmtree(old, ignore_errors=True)
    return folder


def load_run(state_dir: str | Path, parts: dict[str, Any]) -> tuple[int, dict[str, Any]] | None:
    """Restore ``parts`` (as given to :func:`save_run`) from the newest saved epoch and return
    ``(epoch, history)``, or None when ``state_dir`` holds no saved run."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    root = Path(state_dir)
    pointer = root / LATEST
    if not pointer.is_file():
        return None
    folder = root / pointer.read_text().strip()
    try:
        plain = json.loads((folder / "state.json").read_text())
        tensors = load_file(str(folder / "tensors.safetensors"))
    except (OSError, ValueError, SafetensorError) as exc:
        raise RnnkitError(f"cannot resume from {str(folder)!r}: {exc}") from None
    try:
        for name, part in parts.items():
            if isinstance(part, torch.Generator):
                part.set_state(tensors[f"{name}/rng"])
                continue
            prefix = f"{name}/"
            own = {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}
            part.load_state_dict(dict(plain.get(name, {})) | own)
        torch.set_rng_state(tensors["torch/rng"])
    except (KeyError, RuntimeError, ValueError, TypeError) as exc:
        raise RnnkitError(f"the run saved in {str(root)!r} does not match this model or its "
                          f"settings ({str(exc).splitlines()[0]}); train afresh with another "
                          "state directory.") from None
    return int(plain["epoch"]), plain["history"]
