"""Opening an exported model's ``model.onnx`` with onnxruntime, for the PyTorch-free
runtimes (:mod:`rnnkit.onnx_text`, :mod:`rnnkit.onnx_forecast`): one clear error when
onnxruntime or the file is missing.

>>> import pathlib, tempfile
>>> open_session(pathlib.Path(tempfile.mkdtemp()), None, "OnnxForecaster")
Traceback (most recent call last):
...
rnnkit.errors.RnnkitError: no '.../model.onnx'; write it with: rnnkit export ...
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rnnkit.errors import RnnkitError
from rnnkit.threads import choose_threads, network_work

__all__ = ["open_session", "saved_work"]


def open_session(model_dir: str | Path, onnx_file: str | Path | None, who: str,
                 work: float = 0.0) -> Any:
    """An onnxruntime session (CPU) of ``onnx_file``, by default ``model_dir/model.onnx``;
    ``who`` names the runtime in the error when onnxruntime is not installed.

    Its threads follow :mod:`rnnkit.threads` for ``work`` multiply-adds per step (one for
    small networks, ``RNNKIT_THREADS`` when set, as each ``rnnkit serve`` worker has), and
    idle threads sleep instead of spinning: onnxruntime's default (a thread per core, each
    spinning between calls) made every worker of a two-worker server use two cores, and a
    served 12-month forecast cost 9.5 instead of 5.9 ms of CPU."""
    try:
        import onnxruntime
    except ImportError:
        raise RnnkitError(f"{who} needs onnxruntime: pip install onnxruntime.") from None
    model_dir = Path(model_dir)
    onnx_path = Path(onnx_file) if onnx_file else model_dir / "model.onnx"
    if not onnx_path.is_file():
        raise RnnkitError(f"no {str(onnx_path)!r}; write it with: rnnkit export {model_dir}")
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = choose_threads(None, work)
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return onnxruntime.InferenceSession(str(onnx_path), options,
                                        providers=["CPUExecutionProvider"])


def saved_work(config: dict[str, Any], batch: int) -> float:
    """Multiply-adds per step of the recurrent stack a saved ``config.json`` describes, over
    ``batch`` sequences (:func:`rnnkit.threads.network_work`; 0 when it does not say): what
    :func:`open_session` sizes threads by.

    >>> saved_work({"network": {"cell": "lstm", "input_size": 1, "units": [8]}}, batch=1)
    288
    >>> saved_work({"network": {"cell": "lstm"}}, batch=1)
    0.0
    """
    try:
        return network_work(config.get("network") or {}, batch)
    except (KeyError, TypeError, ValueError):
        return 0.0
