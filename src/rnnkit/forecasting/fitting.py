"""What ``Forecaster.fit`` does, step by step: learn each series' state (frequency, season,
split, transforms, scaler), cut the training and validation windows of all series, and train
every network of the ensemble on them.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from rnnkit.data.scalers import make_scaler
from rnnkit.data.series import (
    SeriesData,
    infer_frequency,
    seasons_for,
    uneven_dates,
)
from rnnkit.errors import RnnkitError
from rnnkit.evaluation import mase_scale
from rnnkit.forecasting.ensemble import member_windows
from rnnkit.forecasting.pipeline import ModelSpace, check_scale, choose_chain, padded
from rnnkit.forecasting.sampler import WindowSampler, starts
from rnnkit.forecasting.split import plan_global_split, plan_split
from rnnkit.forecasting.state import SeriesState
from rnnkit.processes import process_count, process_pool

# When preparing series in other processes pays (n_jobs). Sending a series there and its
# state back costs about 0.07 ms (100,000 monthly series on 2 cores, benchmarks/RESULTS.md):
# preparing them with transform="auto" (0.12 ms each) took 12.0-12.5 s here and 11.2-13.7 s
# in two processes, a toss-up; with "auto,es" (2.9 ms each) 287-297 s here, 159-167 s in two.
PROBE_SERIES = 200
PARALLEL_SERIES_SECONDS = 0.0005
PARALLEL_TOTAL_SECONDS = 5.0

__all__ = ["network_config", "series_state", "series_states",
           "train_networks", "training_windows"]


def network_config(p: dict[str, Any], n_inputs: int):
    """The :class:`~rnnkit.models.network.NetworkConfig` of validated parameters ``p``."""
    from rnnkit.models.network import NetworkConfig

    return NetworkConfig(cell=p["cell"], input_size=n_inputs, units=p["units"],
                         output_size=p["horizon"], bidirectional=p["bidirectional"],
                         dropout=p["dropout"], dense=p["dense"],
                         skip=min(p["window"]) if p["linear_skip"] else 0,
                         dilations=tuple(p["dilations"] or ()))


def series_state(key: Any, data: SeriesData, p: dict[str, Any], transform: Any,
                 several: bool) -> SeriesState:
    """One series' frequency, season, split, fitted transforms and scaler; errors name the
    series in a model of several."""
    freq = infer_frequency(data.index)
    if freq is None and (uneven := uneven_dates(data, bool(p["season_length"]))):
        warnings.warn((f"series {key!r}: " if several else "") + uneven, UserWarning,
                      stacklevel=3)
    seasons = tuple(sorted(p["season_length"] or seasons_for(freq)))
    season = seasons[0]
    try:
        chain = choose_chain(transform, data.target, seasons)
        chain.check(data.target, data.describe)
        n_train = (plan_global_split(len(data), min(p["window"]), p["horizon"],
                                     p["validation"], chain.lost) if several else
                   plan_split(len(data), max(p["window"]), p["horizon"], p["validation"],
                              lost=chain.lost)).train
    except RnnkitError as exc:
        raise RnnkitError(f"series {key!r}: {exc}" if several else str(exc)) from None
    # stateful steps (es) then filter through the validation part; nothing is fitted
    chain.fit(data.target[:n_train]).extend(data.target)
    z = chain.transform(data.target)
    with np.errstate(over="ignore", invalid="ignore"):
        scaler = make_scaler(p["scaler"]).fit(z[chain.lost:n_train, None])
    check_scale(scaler, z[chain.lost:n_train], f"series {key!r}: " if several else "")
    # MASE's scale: in-sample over all the data fitted (validation part included), as
    # in the M-competitions and statsforecast, so scores compare with theirs
    return SeriesState(key, chain, scaler, data, mase_scale(data.target, season), season, freq,
                       n_train, len(data), data.index[-1], data.index[n_train - 1], [],
                       mase_scale(data.target[:n_train], season), seasons)


def series_states(collection: list[tuple[Any, SeriesData]], p: dict[str, Any],
                  transform: Any, several: bool) -> list[SeriesState]:
    """:func:`series_state` of every ``(key, data)``, in this process or, with
    ``p["n_jobs"]`` (see :class:`~rnnkit.Forecaster`), in that many processes when it pays:
    the first :data:`PROBE_SERIES` are prepared here and timed, and the rest go to other
    processes if a series takes at least :data:`PARALLEL_SERIES_SECONDS` and all of them
    at least :data:`PARALLEL_TOTAL_SECONDS`. The states are the same either way; warnings
    are raised here, in the series' order."""
    jobs = process_count(p.get("n_jobs"))
    began = time.perf_counter()
    states = [series_state(key, data, p, transform, several)
              for key, data in collection[:PROBE_SERIES]]
    rest = collection[PROBE_SERIES:]
    each = (time.perf_counter() - began) / max(1, len(states))
    if jobs > 1 and each >= PARALLEL_SERIES_SECONDS and each * len(rest) >= \
            PARALLEL_TOTAL_SECONDS:
        return states + _states_elsewhere(rest, p, transform, several, jobs)
    return states + [series_state(key, data, p, transform, several) for key, data in rest]


def _states_elsewhere(collection: list[tuple[Any, SeriesData]], p: dict[str, Any],
                      transform: Any, several: bool, jobs: int) -> list[SeriesState]:
    """:func:`series_state` of every ``(key, data)`` in ``jobs`` other processes."""
    from functools import partial

    # a few shares per process: one slow share does not leave the others idle. How a
    # source names its rows (a function) stays here; so does the data, once prepared.
    size = -(-len(collection) // (4 * jobs))
    sent = [(key, replace(data, row_names=None)) for key, data in collection]
    shares = [sent[i:i + size] for i in range(0, len(sent), size)]
    states: list[SeriesState] = []
    caught: list[tuple[str, type]] = []
    try:
        with process_pool(jobs) as pool:
            for found, raised in pool.map(partial(_prepare_share, p=p, transform=transform,
                                                  several=several), shares):
                states += found
                caught += raised
    except RnnkitError:  # again here, where the error can name the row as its source does
        return [series_state(key, data, p, transform, several) for key, data in collection]
    for message, category in caught:
        warnings.warn(message, category, stacklevel=4)
    for (_, data), state in zip(collection, states, strict=True):
        state.recent = data  # not sent back: this process holds it already
    return states


def _prepare_share(share: list[tuple[Any, SeriesData]], p: dict[str, Any], transform: Any,
                   several: bool) -> tuple[list[SeriesState], list[tuple[str, type]]]:
    """One process's part of :func:`series_states`: the states without their data (the
    caller holds it), and the warnings raised."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        states = [series_state(key, data, p, transform, several) for key, data in share]
    for state in states:
        state.recent = None  # type: ignore[assignment]
    return states, [(str(w.message), w.category) for w in caught]


def training_windows(states: list[SeriesState], space: ModelSpace, p: dict[str, Any]
                     ) -> tuple[WindowSampler, WindowSampler | None, WindowSampler | None]:
    """The windows of every series (whose ``recent`` still holds all its values): training
    windows, validation windows (targets in the validation part) and, for ``refit``, every
    window of the data, validation part included, each over all series. They are cut when a
    batch asks for them (:class:`~rnnkit.forecasting.sampler.WindowSampler`): every series'
    inputs are held once."""
    w, h = max(p["window"]), p["horizon"]
    # a global model's series may be shorter than its longest window; every series is
    # padded alike, so a window reads at least the shortest window's real values and the
    # network sees padded starts in long series too, not only in the short ones
    pad = w - min(p["window"]) if space.several else 0
    parts, train, val, full, offset = [], [], [], [], 0
    for state in states:
        data = state.recent
        inputs = padded(space.inputs(state, data.target, data.features, data.start),
                        len(data) - state.chain.lost + pad)
        cut = state.n_train - state.chain.lost + pad
        parts.append(inputs)
        if cut >= w + h:  # a short series of a global model may give no training window
            train.append(starts(offset, cut, w, h, p["stride"]))
        if state.n_train < state.n_fit:
            val.append(starts(offset, len(inputs), w, h, 1, first_target=cut))
            if p["refit"] and len(inputs) >= w + h:
                full.append(starts(offset, len(inputs), w, h, p["stride"]))
        elif p["refit"] and cut >= w + h:
            full.append(train[-1])
        offset += len(inputs)
    if not train:
        raise RnnkitError(f"no series is long enough for one training window (window {w} "
                          f"+ horizon {h}); use a shorter `window` or `horizon`.")
    values = np.concatenate(parts)

    def sampler(found: list[np.ndarray]) -> WindowSampler | None:
        return (WindowSampler(values, np.concatenate(found), w, h, w, p["normalize"])
                if found else None)

    return sampler(train), sampler(val), sampler(full)


def train_networks(estimator: Any, p: dict[str, Any], data: WindowSampler,
                   val: WindowSampler | None,
                   epochs: list[int] | None = None) -> tuple[list[Any], list[Any]]:
    """Train every network of ``estimator``'s ensemble on windows ``data`` (longest window),
    with early stopping on ``val``, or for a fixed number of ``epochs`` each (a refit)."""
    import torch

    from rnnkit.models.network import RecurrentNetwork
    from rnnkit.training import loss_function, resolve_device, train

    device = resolve_device(p["device"])
    loss_fn = loss_function(p["loss"])
    members, histories = [], []
    windows = member_windows(p["window"], p["ensemble"])
    for k, member_window in enumerate(windows):
        # every member forecasts the same targets; a shorter window reads the latest steps
        seed = p["seed"] + k
        torch.manual_seed(seed)
        network = RecurrentNetwork(network_config(p, data.channels)).to(device)
        config = estimator._train_config(
            p | {"seed": seed, "checkpoint": _checkpoint(p, k, len(windows), epochs)}
            | ({"epochs": epochs[k], "patience": None} if epochs else {}),
            f"{estimator.model_name} {'refit on all data' if epochs else 'training'}"
            + (f" ({k + 1}/{len(windows)})" if len(windows) > 1 else ""),
            state=f"{'refit' if epochs else 'member'}-{k + 1}")
        with estimator._threads_for(network.config, p["batch_size"]):
            histories.append(train(network, loss_fn, data.reading(member_window),
                                   None if val is None else val.reading(member_window), config))
        members.append(network)
    return members, histories


def _checkpoint(p: dict[str, Any], k: int, members: int, epochs: list[int] | None
                ) -> str | None:
    """Where member ``k`` writes its best weights: none for a refit; one file per member."""
    checkpoint = None if epochs else p.get("checkpoint")
    if checkpoint and members > 1:
        path = Path(checkpoint)
        checkpoint = str(path.with_name(f"{path.stem}.member{k + 1}{path.suffix}"))
    return checkpoint
