"""The most work one call, one request or one saved model may ask of rnnkit.

Every size a user or a model file chooses is checked against these before anything is
allocated or computed, so a typo (``--horizon 10000000``) or a hostile model folder
(``units: [8000]``) is one clear error instead of minutes of work or an allocator crash.
They are generous for real use; :func:`rnnkit.Forecaster.forecast` and ``rnnkit forecast``
take ``max_horizon`` to go beyond :data:`MAX_HORIZON`, and ``rnnkit serve`` starts far lower
(:data:`SERVER_MAX_HORIZON`, ``--max-horizon``).

>>> from rnnkit.limits import MAX_UNITS, check_horizon
>>> MAX_UNITS
4096
>>> check_horizon(20_000_000)
Traceback (most recent call last):
...
rnnkit.errors.LimitError: `steps` must be a positive integer and <= 100,000; got 20000000. \
Pass max_horizon=... (--max-horizon) to forecast further.
"""

from __future__ import annotations

import numbers
from typing import Any

from rnnkit.errors import LimitError, RnnkitError

__all__ = ["MAX_DENSE", "MAX_EMBEDDING_DIM", "MAX_ENSEMBLE", "MAX_HORIZON", "MAX_JSON_BYTES",
           "MAX_JSON_DEPTH", "MAX_LAYERS", "MAX_PREPROCESSING_BYTES", "MAX_TEXT_CHARS",
           "MAX_UNITS", "MAX_VOCABULARY", "MAX_WINDOW", "SERVER_MAX_HORIZON", "check_horizon"]

MAX_HORIZON = 100_000  # steps one forecast may run (recursively) in the library and the CLI
SERVER_MAX_HORIZON = 1_000  # the server's default: one request must not hold the model long
MAX_UNITS = 4096  # units of one recurrent or dense layer
MAX_LAYERS = 16  # stacked recurrent layers (and, separately, hidden dense layers)
MAX_DENSE = MAX_UNITS
MAX_EMBEDDING_DIM = 4096
MAX_VOCABULARY = 2_000_000  # words with an id (num_words), beyond any corpus rnnkit trains on
MAX_ENSEMBLE = 100  # networks of one forecaster (seeds × window lengths)
MAX_WINDOW = 100_000  # input steps a forecasting network reads
MAX_TEXT_CHARS = 1_000_000  # characters of one text the server classifies
MAX_JSON_BYTES = 64 * 2**20  # config.json of a saved model
MAX_PREPROCESSING_BYTES = 2**30  # preprocessing.json (vocabularies, every series' last values)
MAX_JSON_DEPTH = 64  # nesting of any JSON rnnkit reads from a file or a request


def check_horizon(steps: Any, max_horizon: int | None = None, name: str = "steps",
                  hint: str = "Pass max_horizon=... (--max-horizon) to forecast further.") -> int:
    """``steps`` as an int when it is a positive integer within ``max_horizon`` (default
    :data:`MAX_HORIZON`); else an error naming both, with ``hint``: a
    :class:`~rnnkit.errors.LimitError` when only the limit is exceeded."""
    limit = MAX_HORIZON if max_horizon is None else int(max_horizon)
    message = f"`{name}` must be a positive integer and <= {limit:,}; got {steps!r}."
    if isinstance(steps, bool) or not isinstance(steps, numbers.Integral) or steps < 1:
        raise RnnkitError(message)
    if steps > limit:
        raise LimitError(f"{message} {hint}")
    return int(steps)
