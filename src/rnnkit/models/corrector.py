"""The network of :class:`~rnnkit.forecasting.hybrid.HybridForecaster`: it reads the recent
past (two channels per step: the value and the base model's error there) with a recurrent
layer, and emits a correction of the base model's next ``horizon`` forecasts from its last
state, those forecasts and the origin's calendar inputs. A linear map from every input to
the outputs runs beside it (LSTNet's autoregressive highway, as ``Forecaster``'s
``linear_skip``), so the recurrent layer only learns what a linear correction misses.

Both output maps start at zero: before training the network corrects nothing, and the hybrid
forecasts exactly as its base model.

>>> import torch
>>> net = Corrector("gru", units=8, window=12, horizon=4, extra=2)
>>> out = net(torch.randn(3, 12, 2), torch.randn(3, 4), torch.randn(3, 2))
>>> tuple(out.shape), float(out.detach().abs().max())
((3, 4), 0.0)
>>> sum(p.numel() for p in net.parameters())  # GRU 288 (Keras), head 60, linear 116
464
"""

from __future__ import annotations

import torch
from torch import nn

from rnnkit.models.layers import CELLS, Recurrent
from rnnkit.models.network import combine_members, summary_table

__all__ = ["CHANNELS", "Corrector", "Correctors"]

CHANNELS = 2  # per past step: the value, and the base model's error at it


class Corrector(nn.Module):
    """Corrections ``(N, horizon)`` of a base forecast from ``past`` ``(N, window, 2)``,
    ``base`` ``(N, horizon)`` and ``extra`` ``(N, extra)`` (calendar inputs at the origin)."""

    def __init__(self, cell: str, units: int, window: int, horizon: int, extra: int = 0):
        super().__init__()
        self.cell, self.window, self.extra = cell, window, extra
        self.recurrent = Recurrent(cell, input_size=CHANNELS, hidden_size=units)
        self.head = nn.Linear(units + horizon + extra, horizon)
        self.linear = nn.Linear(window * CHANNELS + horizon, horizon)
        for layer in (self.head, self.linear):
            nn.init.zeros_(layer.weight)
            nn.init.zeros_(layer.bias)

    def forward(self, past: torch.Tensor, base: torch.Tensor, extra: torch.Tensor
                ) -> torch.Tensor:
        _, last = self.recurrent(past)
        return (self.head(torch.cat([last, base, extra], dim=1))
                + self.linear(torch.cat([past.flatten(1), base], dim=1)))

    def summary(self, title: str = "corrector") -> str:
        """Keras-like rows: the recurrent layer, the head on its last state, the base forecast
        and the calendar, and the linear map of every input beside them.

        >>> print(Corrector("gru", 8, 12, 4, 2).summary().splitlines()[-2])
        Non-trainable params: 0
        """
        def count(module: nn.Module) -> int:
            return sum(p.numel() for p in module.parameters())

        units, horizon = self.recurrent.hidden_size, self.head.out_features
        keras = CELLS[self.cell].lower().replace("simplernn", "simple_rnn")
        rows = [(keras, f"{CELLS[self.cell]}, reads ({self.window}, {CHANNELS})",
                 f"(None, {units})", count(self.recurrent)),
                ("head", f"Dense, reads state + base {horizon} + calendar {self.extra}",
                 f"(None, {horizon})", count(self.head)),
                ("linear", f"Dense, reads all {self.window * CHANNELS + horizon} inputs",
                 f"(None, {horizon})", count(self.linear))]
        total = count(self)
        return summary_table(rows, title, total, total)


class Correctors(nn.Module):
    """Several :class:`Corrector` networks (other seeds); their element-wise median corrects.

    >>> import torch
    >>> ens = Correctors([Corrector("gru", 4, 6, 2) for _ in range(3)])
    >>> tuple(ens(torch.zeros(5, 6, 2), torch.zeros(5, 2), torch.zeros(5, 0)).shape)
    (5, 2)
    """

    def __init__(self, members: list[Corrector]):
        super().__init__()
        self.members = nn.ModuleList(members)

    def forward(self, past: torch.Tensor, base: torch.Tensor, extra: torch.Tensor
                ) -> torch.Tensor:
        return combine_members(torch.stack([m(past, base, extra) for m in self.members]))

    def summary(self, title: str = "corrector") -> str:
        """The first member's summary and the ensemble's total."""
        total = sum(p.numel() for p in self.parameters())
        return (self.members[0].summary(title) + f"\nEnsemble of {len(self.members)} such "
                f"networks (median of their outputs): {total:,} parameters in all.")
