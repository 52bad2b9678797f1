"""The data a fitted forecaster expects, as a public description that the server, the
inference helpers, the explainer and the CLI read instead of the forecaster's state.

>>> schema = DataSchema("passengers", "month", (), "MS", 12, None, 13)
>>> schema.columns()
{'target': 'passengers', 'time': 'month', 'features': []}
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

__all__ = ["DataSchema"]


@dataclass(frozen=True)
class DataSchema:
    """``target``: the target's name; ``time_column``: the name of the dates' column (None
    for undated data); ``features``: the feature columns, in order; ``frequency``: the
    pandas frequency of the dates (None if undated or uneven); ``season_length``: the
    seasonal period (of the first series, for several), the shortest of ``seasons``;
    ``series``: the keys of a global
    model's series (None for a model of one series); ``rows_needed``: the fewest recent rows
    a forecast from new data needs (the least over series)."""

    target: str
    time_column: str | None
    features: tuple[str, ...]
    frequency: str | None
    season_length: int
    series: tuple[Any, ...] | None
    rows_needed: int
    seasons: tuple[int, ...] = ()

    @property
    def several(self) -> bool:
        """Whether the model holds several series (a global model)."""
        return self.series is not None

    def columns(self) -> dict[str, Any]:
        """The column names rows of new data carry by default: those of the training data
        (``id`` names the series' column in a model of several)."""
        if self.several:
            return {"id": "unique_id", "target": self.target, "time": self.time_column}
        return {"target": self.target, "time": self.time_column,
                "features": list(self.features)}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (keys of the series as given)."""
        out = asdict(self)
        out["features"] = list(self.features)
        out["series"] = None if self.series is None else list(self.series)
        out["seasons"] = list(self.seasons)
        return out
