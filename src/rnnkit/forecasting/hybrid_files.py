"""A :class:`~rnnkit.forecasting.hybrid.HybridForecaster`'s model directory: its parameters and
the corrector's shape in ``config.json``, the networks' weights in ``weights.safetensors``,
and what its inputs need (seasons, horizon, window, origin step, frequency, calendar, the log
flag and the input scales) in ``preprocessing.json``. The training series is not saved: a
loaded hybrid forecasts from the series it is given.

A folder handed to :func:`read_hybrid` is untrusted: its parameters, shape and scales are
checked, and the weights' shapes compared with the network they describe, before any tensor
is read.

>>> _checked_shape({"seasons": [24], "horizon": 24, "window": 24, "origin_step": 6,
...                 "freq": "h", "calendar": ["hour"]})["origin_step"]
6
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from rnnkit.errors import ModelFormatError, RnnkitError
from rnnkit.forecasting.calendar import KINDS
from rnnkit.limits import MAX_WINDOW
from rnnkit.validation import IntList, PositiveInt

__all__ = ["read_hybrid", "write_hybrid"]

SHAPE_KEYS = {"seasons", "horizon", "window", "origin_step", "freq", "calendar"}
SCALE_KEYS = {"value", "error", "base", "target"}


def _network_entry(params: dict[str, Any], shape: dict[str, Any], extra: Any) -> dict[str, Any]:
    """``config.json``'s description of the corrector, as written and as expected."""
    return {"kind": "corrector", "cell": params["cell"], "units": params["units"],
            "window": shape["window"], "horizon": shape["horizon"], "extra": extra,
            "members": params["ensemble"]}


def write_hybrid(model: Any, path: str | Path) -> Path:
    """Write fitted ``model`` to directory ``path``; returns it."""
    from rnnkit.io import write_model_dir

    params = {k: list(v) if isinstance(v, tuple) else v
              for k, v in model.check_params().items()}
    params["threads"] = None  # the cores of the machine that trained it
    return write_model_dir(path, estimator=type(model).__name__, params=params,
                           network=_network_entry(params, model.shape_, model.n_extra_),
                           state_dict=model.network_.state_dict(),
                           preprocessing={"shape": model.shape_, "log": model.log_,
                                          "scales": model.scales_},
                           extra={"training": model.history_.to_dict(timings=False)})


def read_hybrid(cls: type, path: str | Path, device: str = "auto") -> Any:
    """The ``cls`` model saved in ``path``, each part checked before it is used; a
    :class:`~rnnkit.errors.ModelFormatError` naming what is wrong otherwise."""
    import torch

    from rnnkit.io import read_model_dir
    from rnnkit.training import History, resolve_device

    saved = read_model_dir(path, estimator=cls.__name__)
    try:
        est = cls(**saved.config["params"])
        p = est.check_params()
        net, prep = saved.config["network"], saved.preprocessing
        if net != _network_entry(p, prep["shape"], net.get("extra")):
            raise ValueError("the network does not match the parameters")
        shape = _checked_shape(prep["shape"])
        extra = int(net["extra"])
        if extra != 2 * len(shape["calendar"]):
            raise ValueError(f"{extra} calendar inputs for {shape['calendar']}")
        scales = _checked_scales(prep["scales"])
        with torch.device("meta"):
            expected = {k: list(v.shape) for k, v in _build(p, shape, extra).state_dict().items()}
        if expected != saved.shapes:
            raise ValueError("the weights do not match the network")
        est.shape_, est.log_, est.scales_, est.n_extra_ = shape, bool(prep["log"]), scales, extra
        est.network_ = _build(p, shape, extra)
        est.network_.load_state_dict(saved.tensors())
        est.network_.to(resolve_device(device)).eval()
        est.history_ = History.from_dict(saved.config.get("training", {}))
    except (KeyError, TypeError, ValueError, RnnkitError) as exc:
        raise ModelFormatError(f"{path}: not a valid HybridForecaster model: {exc}") from None
    return est


def _build(p: dict[str, Any], shape: dict[str, Any], extra: int) -> Any:
    """The corrector (or the median of several) that the parameters describe, untrained."""
    from rnnkit.models.corrector import Corrector, Correctors

    members = [Corrector(p["cell"], p["units"], shape["window"], shape["horizon"], extra)
               for _ in range(p["ensemble"])]
    return members[0] if len(members) == 1 else Correctors(members)


def _checked_scales(scales: Any) -> dict[str, float]:
    if not isinstance(scales, dict) or set(scales) != SCALE_KEYS or not all(
            isinstance(v, float) and np.isfinite(v) and v > 0 for v in scales.values()):
        raise ValueError(f"`scales` must hold positive finite {sorted(SCALE_KEYS)}")
    return scales


def _checked_shape(shape: Any) -> dict[str, Any]:
    """A saved model's ``shape_``, each entry's type and range checked (untrusted)."""
    if not isinstance(shape, dict) or set(shape) != SHAPE_KEYS:
        raise ValueError("`shape` must hold seasons, horizon, window, origin_step, freq, "
                         "calendar")
    size = PositiveInt(maximum=MAX_WINDOW)
    out = {k: size.check(k, shape[k]) for k in ("horizon", "window", "origin_step")}
    if not isinstance(shape["seasons"], list):
        raise ValueError("`seasons` must be a list")
    out["seasons"] = list(IntList(maximum=MAX_WINDOW, max_items=4).check(
        "seasons", shape["seasons"]))
    if out["horizon"] % out["origin_step"]:
        raise ValueError("origin_step does not divide horizon")
    if not (shape["freq"] is None or (isinstance(shape["freq"], str) and len(shape["freq"]) < 20)):
        raise ValueError("`freq` must be a short string or null")
    if not isinstance(shape["calendar"], list) or not set(shape["calendar"]) <= set(KINDS):
        raise ValueError(f"`calendar` must list some of {list(KINDS)}")
    return out | {"freq": shape["freq"], "calendar": list(shape["calendar"])}
