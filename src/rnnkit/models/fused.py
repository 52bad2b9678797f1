"""A faster CPU GRU and SimpleRNN: the step loop compiled in C, the matrix products in PyTorch.

On the CPU only ``torch.lstm`` reaches a fused kernel (oneDNN); ``torch.gru`` and
``torch.rnn_tanh`` run every time step as several small tensor operations, each recorded for
autograd, so a GRU(8) epoch on IMDB cost 4.6x an LSTM(8) epoch. Here the input projections
``x W_ihᵀ + b_ih`` (one matrix product over all steps) and the weight gradients stay in
PyTorch, and the recurrence itself — forward and backward — runs in ``recurrence.c``, one
call per layer and direction. The equations are the layer's (``rnnkit.models.layers``); the
tests hold this path to ``torch.gru``/``torch.rnn_tanh`` and the NumPy reference, forward and
gradients.

The C file is compiled once per machine with the system's C compiler (``cc``, or ``$CC``) into
the user cache (``~/.cache/rnnkit/kernels``) and loaded with ``ctypes``: no build step at
install time, and no PyTorch headers. Without a compiler, or with ``RNNKIT_KERNELS=0``, the
layers call PyTorch's kernels as before (one warning says so). The step loop is written for
the hidden sizes where PyTorch's overhead dominates; larger layers keep PyTorch's kernels
(:data:`MAX_HIDDEN`).
"""

from __future__ import annotations

import ctypes
import hashlib
import logging
import os
import shutil
import subprocess
import sysconfig
import tempfile
from pathlib import Path

import torch

__all__ = ["MAX_HIDDEN", "available", "fused_recurrence"]

log = logging.getLogger(__name__)

# Above this many units a layer keeps PyTorch's kernels: there a step's matrix product is large
# enough for its per-operation overhead not to matter (benchmarks/speed.py).
MAX_HIDDEN = 24

_SOURCE = Path(__file__).with_name("recurrence.c")
_LIB: ctypes.CDLL | None = None
_TRIED = False

_P, _I = ctypes.c_void_p, ctypes.c_int64
_SIGNATURES = {
    "gru_forward": [_P, _P, _P, _P, _P, _P, _I, _I, _I, _P],
    "gru_backward": [_P, _P, _P, _P, _P, _P, _P, _I, _I, _I, _P],
    "rnn_forward": [_P, _P, _P, _P, _I, _I, _I, _P],
    "rnn_backward": [_P, _P, _P, _P, _I, _I, _I, _P],
}


def _compiler() -> str | None:
    for name in (os.environ.get("CC"), sysconfig.get_config_var("CC"), "cc", "gcc", "clang"):
        if name:
            path = shutil.which(name.split()[0])
            if path:
                return path
    return None


def _build(compiler: str) -> Path:
    from rnnkit.data.text_datasets import cache_dir

    source = _SOURCE.read_bytes()
    flags = ["-O3", "-fPIC", "-shared", "-std=c99"]
    key = hashlib.sha256(source + " ".join([compiler, *flags]).encode()).hexdigest()[:16]
    target = cache_dir() / "kernels" / f"recurrence-{key}.so"
    if target.is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    # built beside the target and renamed, so concurrent processes never load a partial file
    fd, partial = tempfile.mkstemp(suffix=".so", dir=target.parent)
    os.close(fd)
    try:
        subprocess.run([compiler, *flags, str(_SOURCE), "-o", partial, "-lm"], check=True,
                       capture_output=True, timeout=120)
        os.replace(partial, target)
    finally:
        if os.path.exists(partial):
            os.unlink(partial)
    return target


def _library() -> ctypes.CDLL | None:
    """The compiled kernels, built on first use; None where they cannot be had."""
    global _LIB, _TRIED
    if _TRIED:
        return _LIB
    _TRIED = True
    compiler = _compiler()
    if compiler is None:
        log.warning("no C compiler found: GRU and SimpleRNN layers use PyTorch's slower CPU "
                    "kernels (install gcc, or set CC)")
        return None
    try:
        lib = ctypes.CDLL(str(_build(compiler)))
    except (OSError, subprocess.SubprocessError) as exc:
        detail = getattr(exc, "stderr", b"") or b""
        log.warning("could not build the GRU/SimpleRNN kernels (%s%s); using PyTorch's slower "
                    "CPU kernels", exc, f": {detail.decode(errors='replace')[:200]}"
                    if detail else "")
        return None
    for name, argtypes in _SIGNATURES.items():
        function = getattr(lib, name)
        function.argtypes = argtypes
        function.restype = None
    _LIB = lib
    return lib


def available(cell: str, x: torch.Tensor, hidden_size: int) -> bool:
    """Whether :func:`fused_recurrence` serves this layer call (CPU float32, a GRU or
    SimpleRNN of at most :data:`MAX_HIDDEN` units, kernels not switched off)."""
    return (cell in ("gru", "rnn") and x.device.type == "cpu" and x.dtype == torch.float32
            and hidden_size <= MAX_HIDDEN and os.environ.get("RNNKIT_KERNELS", "1") != "0"
            and not torch.onnx.is_in_onnx_export()  # a C call is no graph to export
            and _library() is not None)


def _ptr(t: torch.Tensor) -> int:
    return t.data_ptr()


class _GRU(torch.autograd.Function):
    @staticmethod
    def forward(ctx, gi: torch.Tensor, w_hh: torch.Tensor, b_hh: torch.Tensor) -> torch.Tensor:
        n, steps, three_h = gi.shape
        hidden = three_h // 3
        gi, w_hh, b_hh = gi.contiguous(), w_hh.detach().contiguous(), b_hh.detach().contiguous()
        h = gi.new_empty(n, steps, hidden)
        gates = gi.new_empty(n, steps, three_h)
        ghn = gi.new_empty(n, steps, hidden)
        scratch = gi.new_empty(4 * hidden)
        w_hh_t = w_hh.t().contiguous()  # held in a name: a pointer to a freed temporary is not
        _library().gru_forward(_ptr(gi), _ptr(w_hh_t), _ptr(b_hh), _ptr(h), _ptr(gates),
                               _ptr(ghn), n, steps, hidden, _ptr(scratch))
        ctx.save_for_backward(w_hh, h, gates, ghn)
        return h

    @staticmethod
    def backward(ctx, dh: torch.Tensor):
        w_hh, h, gates, ghn = ctx.saved_tensors
        n, steps, hidden = h.shape
        dh = dh.contiguous()
        dgi = h.new_empty(n, steps, 3 * hidden)
        dgh = h.new_empty(n, steps, 3 * hidden)
        scratch = h.new_empty(2 * hidden)
        _library().gru_backward(_ptr(dh), _ptr(w_hh), _ptr(h), _ptr(gates), _ptr(ghn),
                                _ptr(dgi), _ptr(dgh), n, steps, hidden, _ptr(scratch))
        return dgi, *_recurrent_grads(dgh, h)


class _RNN(torch.autograd.Function):
    @staticmethod
    def forward(ctx, gi: torch.Tensor, w_hh: torch.Tensor, b_hh: torch.Tensor) -> torch.Tensor:
        n, steps, hidden = gi.shape
        gi, w_hh, b_hh = gi.contiguous(), w_hh.detach().contiguous(), b_hh.detach().contiguous()
        h = gi.new_empty(n, steps, hidden)
        scratch = gi.new_empty(2 * hidden)
        w_hh_t = w_hh.t().contiguous()
        _library().rnn_forward(_ptr(gi), _ptr(w_hh_t), _ptr(b_hh), _ptr(h), n, steps, hidden,
                               _ptr(scratch))
        ctx.save_for_backward(w_hh, h)
        return h

    @staticmethod
    def backward(ctx, dh: torch.Tensor):
        w_hh, h = ctx.saved_tensors
        n, steps, hidden = h.shape
        dh = dh.contiguous()
        dgi = h.new_empty(n, steps, hidden)
        scratch = h.new_empty(hidden)
        _library().rnn_backward(_ptr(dh), _ptr(w_hh), _ptr(h), _ptr(dgi), n, steps, hidden,
                                _ptr(scratch))
        return dgi, *_recurrent_grads(dgi, h)


def _recurrent_grads(dgh: torch.Tensor, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``(dW_hh, db_hh)`` from the gradients ``dgh`` ``(N, L, G·H)`` with respect to
    ``W_hh h_{t-1} + b_hh``: one matrix product over every step."""
    prev = torch.cat([h.new_zeros(h.shape[0], 1, h.shape[2]), h[:, :-1]], dim=1)  # h_{t-1}
    flat = dgh.reshape(-1, dgh.shape[2])  # (N·L, G·H)
    return flat.t() @ prev.reshape(-1, h.shape[2]), flat.sum(0)


def fused_recurrence(cell: str, x: torch.Tensor, w_ih: torch.Tensor, w_hh: torch.Tensor,
                     b_ih: torch.Tensor, b_hh: torch.Tensor) -> torch.Tensor:
    """Outputs ``(N, L, H)`` of a GRU or SimpleRNN over ``x`` ``(N, L, H_in)`` from a zero
    state, as ``torch.gru``/``torch.rnn_tanh`` with ``batch_first=True`` return them."""
    gi = torch.nn.functional.linear(x, w_ih, b_ih)  # (N, L, G·H)
    function = _GRU if cell == "gru" else _RNN
    return function.apply(gi, w_hh, b_hh)
