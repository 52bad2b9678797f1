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

__all__ = ["open_session"]


def open_session(model_dir: str | Path, onnx_file: str | Path | None, who: str) -> Any:
    """An onnxruntime session (CPU) of ``onnx_file``, by default ``model_dir/model.onnx``;
    ``who`` names the runtime in the error when onnxruntime is not installed."""
    try:
        import onnxruntime
    except ImportError:
        raise RnnkitError(f"{who} needs onnxruntime: pip install onnxruntime.") from None
    model_dir = Path(model_dir)
    onnx_path = Path(onnx_file) if onnx_file else model_dir / "model.onnx"
    if not onnx_path.is_file():
        raise RnnkitError(f"no {str(onnx_path)!r}; write it with: rnnkit export {model_dir}")
    return onnxruntime.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
