"""A statistical model's forecasts from many origins of one series, each from the values
before it only: what :class:`~rnnkit.forecasting.hybrid.HybridForecaster`'s network learns to
correct. The model is refitted at every origin (as statsforecast's cross-validation refits it),
so no forecast has seen a value at or after its own origin.

``"mstl-ets"`` is statsforecast's MSTL, one seasonal component per period, with an AutoETS
trend (no seasonality): the model of choice for data with several seasons (a day and a week).

>>> y = 100 + 10 * np.sin(np.arange(400) * 2 * np.pi / 24)
>>> paths = base_forecasts(y, [200, 212], horizon=6, seasons=(24,))
>>> paths.shape, bool(np.abs(paths - y[[range(200, 206), range(212, 218)]]).max() < 1)
((2, 6), True)
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Sequence
from concurrent.futures import as_completed

import numpy as np

from rnnkit.errors import RnnkitError
from rnnkit.processes import process_count, process_pool

__all__ = ["BASE_MODELS", "MAX_REMEMBERED", "base_forecasts", "min_history"]

BASE_MODELS = ("mstl-ets",)


def min_history(seasons: Sequence[int]) -> int:
    """Values a base forecast needs before its origin: two cycles of the longest season
    (MSTL's least), and at least 10."""
    return max(10, 2 * max(int(s) for s in seasons))


def _one(values: np.ndarray, horizon: int, seasons: tuple[int, ...], model: str) -> np.ndarray:
    from statsforecast.models import MSTL, AutoETS

    if model != "mstl-ets":  # BASE_MODELS is checked by the caller; a bug otherwise
        raise ValueError(model)
    periods = [s for s in seasons if s > 1]
    if periods:
        fitted = MSTL(season_length=periods, trend_forecaster=AutoETS(model="ZZN"))
    else:  # no season: MSTL needs one, and the ETS trend alone is the same model
        fitted = AutoETS(model="ZZN")
    return np.asarray(fitted.forecast(y=values, h=horizon)["mean"], dtype=np.float64)


def _chunk(values: np.ndarray, origins: list[int], horizon: int, seasons: tuple[int, ...],
           model: str) -> np.ndarray:
    return np.array([_one(values[:o], horizon, seasons, model) for o in origins]).reshape(
        len(origins), horizon)


# Forecasts already made in this process, by (model, seasons, horizon, the history's digest):
# fits of the same series with other network settings or seeds (a grid search) refit nothing.
_MADE: OrderedDict[tuple, np.ndarray] = OrderedDict()
MAX_REMEMBERED = 20_000  # forecasts kept (20,000 of 48 steps: 7.7 MB)


def _key(values: np.ndarray, origin: int, horizon: int, seasons: tuple[int, ...],
         model: str) -> tuple:
    digest = hashlib.blake2b(values[:origin].tobytes(), digest_size=16).digest()
    return model, seasons, horizon, origin, digest


def base_forecasts(values: np.ndarray, origins: Sequence[int], horizon: int,
                   seasons: Sequence[int], model: str = "mstl-ets",
                   n_jobs: int | None = None, progress: bool = False) -> np.ndarray:
    """``(len(origins), horizon)`` forecasts of ``values``, row ``i`` from the values before
    ``origins[i]`` only. ``n_jobs`` processes share the origins (-1: one per core); each
    refit of MSTL + ETS takes about 2 s on 4,000 half-hours, so the last
    :data:`MAX_REMEMBERED` forecasts are remembered (by a digest of the history they came
    from) and not refitted; ``progress`` shows a bar of the refits on stderr.
    """
    try:
        import statsforecast  # noqa: F401
    except ImportError:
        raise RnnkitError(f"the base model {model!r} needs statsforecast: pip install "
                          "'rnnkit[baselines]'.") from None
    if model not in BASE_MODELS:
        raise RnnkitError(f"`base` must be one of {list(BASE_MODELS)}; got {model!r}.")
    values = np.asarray(values, dtype=np.float64)
    origins = [int(o) for o in origins]
    seasons = tuple(int(s) for s in seasons)
    keys = [_key(values, o, horizon, seasons, model) for o in origins]
    missing = dict(sorted((o, k) for o, k in zip(origins, keys, strict=True)
                          if k not in _MADE))
    if missing:
        fresh = _fit_all(values, list(missing), horizon, seasons, model, n_jobs, progress)
        for key, row in zip(missing.values(), fresh, strict=True):
            _MADE[key] = row
    out = np.array([_MADE[k] for k in keys]).reshape(len(origins), horizon)
    for k in keys:
        _MADE.move_to_end(k)
    while len(_MADE) > MAX_REMEMBERED:
        _MADE.popitem(last=False)
    return out


def _fit_all(values: np.ndarray, origins: list[int], horizon: int, seasons: tuple[int, ...],
             model: str, n_jobs: int | None, progress: bool) -> np.ndarray:
    from tqdm.auto import tqdm

    workers = _workers(n_jobs, len(origins))
    out = np.zeros((len(origins), horizon))
    with tqdm(total=len(origins), desc=f"base model ({model}) refits", unit="fit",
              disable=not progress, leave=False, dynamic_ncols=True) as bar:
        if workers == 1:
            for i, origin in enumerate(origins):
                out[i] = _one(values[:origin], horizon, seasons, model)
                bar.update()
            return out
        # Several small parts per worker keep the bar moving and the workers evenly loaded (a
        # later origin's longer history takes longer); each part strides over the origins.
        n_parts = min(len(origins), 8 * workers)
        parts = [list(range(k, len(origins), n_parts)) for k in range(n_parts)]
        with process_pool(workers) as pool:
            pending = {pool.submit(_chunk, values, [origins[i] for i in part], horizon,
                                   seasons, model): part for part in parts}
            for done in as_completed(pending):
                out[pending[done]] = done.result()
                bar.update(len(pending[done]))
    return out


def _workers(n_jobs: int | None, tasks: int) -> int:
    """Processes for ``tasks`` refits: starting a pool costs about as much as a few refits."""
    return 1 if tasks < 4 else max(1, min(process_count(n_jobs), tasks))
