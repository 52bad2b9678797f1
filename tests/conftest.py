"""Shared fixtures: small deterministic data and tiny, fast models."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

torch.set_num_threads(1)  # small models are fastest single-threaded, and CI has 2 cores


@pytest.fixture
def seasonal_series() -> pd.Series:
    """Eight years of a monthly series with trend and yearly season, no noise."""
    t = np.arange(96)
    values = 100 + 0.5 * t + 10 * np.sin(2 * np.pi * t / 12)
    index = pd.date_range("2000-01-01", periods=96, freq="MS", name="date")
    return pd.Series(values, index=index, name="sales")


TINY = dict(cell="gru", units=[8], dense=(), window=6, epochs=3, batch_size=16, verbose=False)


@pytest.fixture
def tiny_params() -> dict:
    """Forecaster arguments that train in well under a second."""
    return dict(TINY)
