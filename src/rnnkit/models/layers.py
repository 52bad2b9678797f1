"""Recurrent layers with Keras's parameter convention on PyTorch's fused kernels.

Why not ``nn.LSTM`` directly: PyTorch keeps two bias vectors per gate block (``b_ih`` and
``b_hh``) where Keras keeps one, so an ``nn.LSTM(64)`` on one feature has 17,152 parameters
where Keras's ``LSTM(64)`` has 16,896. Here each direction holds

* ``weight_ih`` ``(G·H, H_in)`` and ``weight_hh`` ``(G·H, H)`` — G gate blocks of H units,
* ``bias`` ``(G·H,)`` — one bias, as Keras; for the GRU also ``bias_hh`` ``(3H,)``, because the
  GRU with ``reset_after=True`` (Keras's default, and PyTorch's only variant) applies the reset
  gate *after* the recurrent matmul, so its recurrent bias cannot be folded into the input bias.

and calls the same ATen kernels ``nn.LSTM``/``nn.GRU``/``nn.RNN`` use, passing a constant zero
for the second bias. Speed is therefore that of ``nn.LSTM``; the count and the mathematics are
Keras's. Gate block order follows PyTorch: LSTM ``[i, f, g, o]`` (Keras: ``[i, f, c, o]``, the
same), GRU ``[r, z, n]`` (Keras: ``[z, r, h]``).

Equations (``*`` is element-wise, σ the logistic function), for one direction:

* SimpleRNN: ``h_t = tanh(W_ih x_t + W_hh h_{t-1} + b)``
* LSTM: ``i, f, g, o = σ(·), σ(·), tanh(·), σ(·)`` of ``W_ih x_t + W_hh h_{t-1} + b``;
  ``c_t = f * c_{t-1} + i * g``; ``h_t = o * tanh(c_t)``
* GRU: ``r, z = σ(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr), σ(… z …)``;
  ``n = tanh(W_in x_t + b_in + r * (W_hn h_{t-1} + b_hn))``; ``h_t = (1 - z) * n + z * h_{t-1}``

Initialisation follows Keras: Glorot-uniform input kernel, orthogonal recurrent kernel (per gate
block), zero bias, and a forget-gate bias of one for the LSTM (``unit_forget_bias``).

>>> import torch
>>> layer = Recurrent("lstm", input_size=1, hidden_size=64)
>>> sum(p.numel() for p in layer.parameters())
16896
>>> out, last = layer(torch.zeros(2, 12, 1))
>>> tuple(out.shape), tuple(last.shape)
((2, 12, 64), (2, 64))
"""

from __future__ import annotations

import torch
from torch import nn

from rnnkit.parameters import CELLS

__all__ = ["CELLS", "GATES", "Recurrent", "reverse_padded"]

# Gate blocks per cell: the leading dimension of the weights is GATES[cell] * hidden_size.
GATES: dict[str, int] = {"rnn": 1, "lstm": 4, "gru": 3}


def reverse_padded(x: torch.Tensor, lengths: torch.Tensor | None) -> torch.Tensor:
    """Reverse each sequence of ``x`` ``(N, L, C)`` within its length, padding staying at the end.

    This is what ``pack_padded_sequence`` does for the backward direction, as a gather that
    ONNX can export. With ``lengths=None`` every sequence is full and this is a plain flip.

    >>> x = torch.tensor([[1., 2., 3., 0.]]).unsqueeze(-1)
    >>> reverse_padded(x, torch.tensor([3]))[..., 0].tolist()
    [[3.0, 2.0, 1.0, 0.0]]
    """
    if lengths is None:
        return x.flip(1)
    steps = torch.arange(x.shape[1], device=x.device).unsqueeze(0)  # (1, L)
    lengths = lengths.to(x.device).unsqueeze(1)  # (N, 1)
    index = torch.where(steps < lengths, lengths - 1 - steps, steps)  # (N, L)
    return x.gather(1, index.unsqueeze(-1).expand_as(x))


class Recurrent(nn.Module):
    """One recurrent layer, optionally bidirectional, over batch-first input.

    Args:
        cell: ``"rnn"`` (SimpleRNN, tanh), ``"lstm"`` or ``"gru"``.
        input_size: features per time step, ``H_in``.
        hidden_size: units per direction, ``H``.
        bidirectional: also run the sequence backwards and concatenate, ``D = 2``.
        dilation: ``d > 1`` links each step to the step ``d`` before it instead of the one
            just before (a dilated recurrent layer, Chang et al. 2017; LSTNet's skip layer
            and the M4 winner's dilated LSTMs): the sequence is read as ``d`` interleaved
            chains, steps ``r, r + d, r + 2d, …``, by the same kernel in one call, so a layer
            reaches ``d`` times further back for the same number of recurrent steps. A
            sequence whose length is not a multiple of ``d`` is padded in front with zeros.
            It reads unpadded sequences (no ``lengths``). The parameters are those of the
            undilated layer.

    ``forward(x, lengths=None)`` takes ``x`` ``(N, L, H_in)``, real steps first and padding
    after them when ``lengths`` ``(N,)`` is given, and returns ``(outputs, last)``:
    ``outputs`` ``(N, L, D·H)`` and ``last`` ``(N, D·H)``, the forward direction's state after
    the last real step concatenated with the backward direction's state after the first step
    (Keras's ``Bidirectional`` with ``return_sequences=False``).
    """

    def __init__(self, cell: str, input_size: int, hidden_size: int, bidirectional: bool = False,
                 dilation: int = 1):
        super().__init__()
        if cell not in CELLS:
            raise ValueError(f"cell must be one of {sorted(CELLS)}; got {cell!r}")
        if isinstance(dilation, bool) or not isinstance(dilation, int) or dilation < 1:
            raise ValueError(f"dilation must be a positive integer; got {dilation!r}")
        self.dilation = dilation
        self.cell = cell
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bidirectional = bidirectional
        gates = GATES[cell] * hidden_size
        self.directions = ("forward", "backward") if bidirectional else ("forward",)
        for d in self.directions:
            self.register_parameter(f"weight_ih_{d}", nn.Parameter(torch.empty(gates, input_size)))
            self.register_parameter(f"weight_hh_{d}", nn.Parameter(torch.empty(gates, hidden_size)))
            self.register_parameter(f"bias_{d}", nn.Parameter(torch.empty(gates)))
            if cell == "gru":
                self.register_parameter(f"bias_hh_{d}", nn.Parameter(torch.empty(gates)))
        # The kernels expect a second bias; for SimpleRNN and LSTM it is a constant zero.
        self.register_buffer("_zero_bias", torch.zeros(gates), persistent=False)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Keras initialisation: Glorot-uniform, orthogonal recurrent, zero (forget: one) bias."""
        h = self.hidden_size
        for d in self.directions:
            w_ih = getattr(self, f"weight_ih_{d}")
            w_hh = getattr(self, f"weight_hh_{d}")
            with torch.no_grad():
                # Keras draws one (H_in, G·H) kernel; the limit uses the whole fan-out.
                nn.init.xavier_uniform_(w_ih)
                for g in range(GATES[self.cell]):
                    nn.init.orthogonal_(w_hh[g * h:(g + 1) * h])
                bias = getattr(self, f"bias_{d}")
                bias.zero_()
                if self.cell == "lstm":
                    bias[h:2 * h] = 1.0  # forget gate: remember by default
                if self.cell == "gru":
                    getattr(self, f"bias_hh_{d}").zero_()

    def direction_weights(self, direction: str) -> list[torch.Tensor]:
        """``[W_ih, W_hh, b_ih, b_hh]`` for one direction, as the fused kernels take them."""
        second = getattr(self, f"bias_hh_{direction}") if self.cell == "gru" else self._zero_bias
        return [getattr(self, f"weight_ih_{direction}"), getattr(self, f"weight_hh_{direction}"),
                getattr(self, f"bias_{direction}"), second]

    def _run(self, x: torch.Tensor, direction: str) -> torch.Tensor:
        from rnnkit.models import fused

        n = x.shape[0]
        params = self.direction_weights(direction)
        if fused.available(self.cell, x, self.hidden_size):  # GRU, SimpleRNN on the CPU
            return fused.fused_recurrence(self.cell, x, *params)
        h0 = x.new_zeros(1, n, self.hidden_size)
        # Positional args: has_biases, num_layers, dropout, train, bidirectional, batch_first.
        if self.cell == "lstm":
            out, _, _ = torch.lstm(x, (h0, h0), params, True, 1, 0.0, self.training, False, True)
        elif self.cell == "gru":
            out, _ = torch.gru(x, h0, params, True, 1, 0.0, self.training, False, True)
        else:
            out, _ = torch.rnn_tanh(x, h0, params, True, 1, 0.0, self.training, False, True)
        return out  # (N, L, H)

    def _run_both(self, x: torch.Tensor) -> torch.Tensor:
        """Both directions over unpadded ``x`` in one kernel call: ``(N, L, 2H)``."""
        h0 = x.new_zeros(2, x.shape[0], self.hidden_size)
        params = self.direction_weights("forward") + self.direction_weights("backward")
        if self.cell == "lstm":
            out, _, _ = torch.lstm(x, (h0, h0), params, True, 1, 0.0, self.training, True, True)
        elif self.cell == "gru":
            out, _ = torch.gru(x, h0, params, True, 1, 0.0, self.training, True, True)
        else:
            out, _ = torch.rnn_tanh(x, h0, params, True, 1, 0.0, self.training, True, True)
        return out

    def forward(
        self, x: torch.Tensor, lengths: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        if self.dilation == 1:
            return self._undilated(x, lengths)
        if lengths is not None and not bool((lengths >= x.shape[1]).all()):
            raise ValueError("a dilated layer reads unpadded sequences; it takes no `lengths` "
                             "shorter than the sequence")
        return self._dilated(x)

    def _dilated(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        d, (n, steps, size) = self.dilation, x.shape
        pad = (-steps) % d
        if pad or torch.onnx.is_in_onnx_export():  # an exported graph pads any length
            x = torch.cat([x.new_zeros(n, pad, size), x], dim=1)
        # (N, K·d, F) → (N·d, K, F): row r of each sequence reads its steps r, r + d, …
        chains = x.reshape(n, -1, d, size).transpose(1, 2).reshape(n * d, -1, size)
        out, _ = self._undilated(chains, None)  # (N·d, K, C)
        width = out.shape[2]
        out = out.reshape(n, d, -1, width).transpose(1, 2).reshape(n, -1, width)[:, pad:]
        if not self.bidirectional:
            return out, out[:, -1]
        h = self.hidden_size
        return out, torch.cat([out[:, -1, :h], out[:, 0, h:]], dim=1)

    def _undilated(
        self, x: torch.Tensor, lengths: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        from rnnkit.models import fused

        if (lengths is not None and not torch.onnx.is_in_onnx_export()
                and bool((lengths >= x.shape[1]).all())):
            lengths = None  # no padding: no gathers (an exported graph keeps the general path)
        if (self.bidirectional and lengths is None
                and not fused.available(self.cell, x, self.hidden_size)):
            out = self._run_both(x)  # (N, L, 2H), one call instead of two and two flips
            h = self.hidden_size
            return out, torch.cat([out[:, -1, :h], out[:, 0, h:]], dim=1)
        out = self._run(x, "forward")  # (N, L, H)
        if lengths is None:
            last = out[:, -1]
        else:
            idx = (lengths.to(x.device) - 1).clamp(min=0).view(-1, 1, 1).expand(-1, 1, out.shape[2])
            last = out.gather(1, idx).squeeze(1)  # (N, H): state after the last real step
        if not self.bidirectional:
            return out, last
        back = reverse_padded(self._run(reverse_padded(x, lengths), "backward"), lengths)
        return torch.cat([out, back], dim=2), torch.cat([last, back[:, 0]], dim=1)

    def extra_repr(self) -> str:
        bi = ", bidirectional=True" if self.bidirectional else ""
        dilated = f", dilation={self.dilation}" if self.dilation > 1 else ""
        return f"{CELLS[self.cell]}({self.input_size}, {self.hidden_size}{bi}{dilated})"
