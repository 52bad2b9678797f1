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


def _rewrite_as_format_1(folder, edit_config=None, edit_preprocessing=None) -> None:
    """Make the model folder ``folder`` as rnnkit wrote it in model format 1 (no digest and
    no preprocessing checksum, which format 2 added), after applying the edits given: what a
    model saved by an older rnnkit looks like."""
    import json
    from pathlib import Path

    folder = Path(folder)
    config = json.loads((folder / "config.json").read_text())
    pre = json.loads((folder / "preprocessing.json").read_text())
    config["format_version"] = pre["format_version"] = 1
    del config["digest"], config["preprocessing"]
    if edit_config:
        edit_config(config)
    if edit_preprocessing:
        edit_preprocessing(pre)
    (folder / "config.json").write_text(json.dumps(config))
    (folder / "preprocessing.json").write_text(json.dumps(pre))


@pytest.fixture
def as_format_1():
    """``as_format_1(folder, edit_config=None, edit_preprocessing=None)``: rewrite a saved
    model as an older rnnkit wrote it (see :func:`_rewrite_as_format_1`)."""
    return _rewrite_as_format_1
