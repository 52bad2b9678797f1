"""rnnkit: recurrent neural networks (SimpleRNN, LSTM, GRU) for sequential data, end to end.

>>> from rnnkit import Forecaster, datasets
>>> y = datasets.airline()
>>> Forecaster(cell="gru", units=[16]).cell
'gru'
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["Forecaster", "HybridForecaster", "RnnkitError", "TextClassifier",
           "TextLanguageModel", "__version__", "datasets", "load"]

if TYPE_CHECKING:  # pragma: no cover
    from rnnkit import datasets
    from rnnkit.classification import TextClassifier
    from rnnkit.errors import RnnkitError
    from rnnkit.forecasting import Forecaster, HybridForecaster
    from rnnkit.language_model import TextLanguageModel

# Heavy modules (torch, pandas) load on first use, so `rnnkit --help` stays instant.
_LAZY = {"Forecaster": "rnnkit.forecasting.forecaster",
         "HybridForecaster": "rnnkit.forecasting.hybrid", "TextClassifier": "rnnkit.classification",
         "TextLanguageModel": "rnnkit.language_model",
         "RnnkitError": "rnnkit.errors", "datasets": "rnnkit.datasets"}


def __getattr__(name: str) -> Any:
    import importlib

    if name in _LAZY:
        module = importlib.import_module(_LAZY[name])
        return module if name == "datasets" else getattr(module, name)
    raise AttributeError(f"module 'rnnkit' has no attribute {name!r}")


def load(path: str) -> Any:
    """Load any saved rnnkit model directory (a ``Forecaster``, ``HybridForecaster``,
    ``TextClassifier`` or ``TextLanguageModel``)."""
    from rnnkit.errors import ModelFormatError
    from rnnkit.io import read_model_dir

    estimator = read_model_dir(path).config.get("estimator")  # its errors are the precise ones
    if estimator == "Forecaster":
        from rnnkit.forecasting import Forecaster

        return Forecaster.load(path)
    if estimator == "HybridForecaster":
        from rnnkit.forecasting import HybridForecaster

        return HybridForecaster.load(path)
    if estimator == "TextClassifier":
        from rnnkit.classification import TextClassifier

        return TextClassifier.load(path)
    if estimator == "TextLanguageModel":
        from rnnkit.language_model import TextLanguageModel

        return TextLanguageModel.load(path)
    raise ModelFormatError(f"{str(path)!r} holds an unknown estimator {estimator!r}.")
