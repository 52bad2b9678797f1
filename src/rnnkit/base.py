"""The scikit-learn estimator contract shared by rnnkit's estimators.

``__init__`` only stores its keyword arguments; ``fit`` validates them against
``_parameter_constraints`` and returns ``self``; learned state ends in ``_``.
"""

from __future__ import annotations

import functools
import inspect
from pathlib import Path
from typing import Any, ClassVar

from rnnkit.errors import ModelFormatError, NotFittedError, RnnkitError
from rnnkit.validation import Constraint, validate_params

__all__ = ["ClassifierMixin", "Estimator", "RegressorMixin"]

try:  # scikit-learn is optional; with it, its tools (clone, Pipeline, search) know ours
    from sklearn.base import BaseEstimator as _SklearnEstimator
    from sklearn.base import ClassifierMixin, RegressorMixin
except ImportError:  # pragma: no cover - the [baselines] extra is not installed
    _SklearnEstimator = object

    class ClassifierMixin:  # type: ignore[no-redef]
        """Stands in for scikit-learn's mixin when it is not installed."""

    class RegressorMixin:  # type: ignore[no-redef]
        """Stands in for scikit-learn's mixin when it is not installed."""


@functools.cache
def _constructor_names(cls: type) -> tuple[str, ...]:
    """The keyword arguments of ``cls.__init__`` (read once per class: a forecast asks often)."""
    signature = inspect.signature(cls.__init__)
    kinds = (inspect.Parameter.KEYWORD_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return tuple(p.name for p in signature.parameters.values()
                 if p.name != "self" and p.kind in kinds)


class Estimator(_SklearnEstimator):
    """Base class: ``get_params``/``set_params`` (so ``sklearn.base.clone`` works), a short
    ``repr`` and the fitted check; a scikit-learn ``BaseEstimator`` when scikit-learn is
    installed, so ``Pipeline``, ``cross_val_score`` and ``GridSearchCV`` take rnnkit's
    estimators."""

    _parameter_constraints: ClassVar[dict[str, Constraint]] = {}
    _fitted_attribute: ClassVar[str] = "network_"

    @classmethod
    def _param_names(cls) -> list[str]:
        return list(_constructor_names(cls))

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The constructor arguments, as given."""
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params: Any) -> Estimator:
        """Set constructor arguments by name; unknown names are an error."""
        valid = self._param_names()
        for name, value in params.items():
            if name not in valid:
                raise RnnkitError(f"{type(self).__name__} has no parameter {name!r}; "
                                  f"valid parameters: {', '.join(valid)}.")
            setattr(self, name, value)
        return self

    def _validated_params(self) -> dict[str, Any]:
        return validate_params(self._parameter_constraints, self.get_params())

    def check_params(self) -> dict[str, Any]:
        """The constructor arguments, checked as ``fit`` checks them: an error that names the
        first bad one and what is allowed, before any data is read.

        >>> from rnnkit import Forecaster
        >>> Forecaster(epochs=0).check_params()
        Traceback (most recent call last):
        ...
        rnnkit.errors.RnnkitError: `epochs` must be a positive integer; got 0.
        """
        return self._validated_params()

    @classmethod
    def _n_members(cls, params: dict[str, Any]) -> int:
        """Networks in a saved model with constructor arguments ``params``."""
        return int(params.get("ensemble", 1))

    def _check_fitted(self) -> None:
        if not hasattr(self, self._fitted_attribute):
            raise NotFittedError(f"This {type(self).__name__} is not fitted yet; call fit first "
                                 f"(or load a saved model with {type(self).__name__}.load).")

    # ---------------------------------------------------------------- shared plumbing
    def _threads_for(self, config: Any, batch_size: int) -> Any:
        """A context that runs a network of ``config`` on ``batch_size`` sequences with the
        thread count of :mod:`rnnkit.threads` (``threads`` when set), restoring it after."""
        from rnnkit.threads import policy_threads

        threads = getattr(self, "threads", None)  # per prediction step: no signature walk
        return policy_threads(threads, config.work_per_step(batch_size))

    def _train_config(self, p: dict[str, Any], description: str, state: str = "network"):
        """The :class:`~rnnkit.training.TrainConfig` for validated parameters ``p``; with a
        ``state_dir``, the run's state goes to its sub-folder ``state`` (one per network)."""
        from rnnkit.training import TrainConfig

        state_dir = p.get("state_dir")
        return TrainConfig(
            epochs=p["epochs"], batch_size=p["batch_size"], learning_rate=p["learning_rate"],
            patience=p["patience"], reduce_lr_patience=p["reduce_lr_patience"],
            clip_norm=p["clip_norm"], seed=p["seed"], verbose=p["verbose"],
            weight_decay=p.get("weight_decay", 0.0), schedule=p.get("schedule", "plateau"),
            checkpoint=p.get("checkpoint", getattr(self, "checkpoint", None)),
            state_dir=str(Path(state_dir) / state) if state_dir else None,
            resume=bool(p.get("resume", False)),
            samples_per_epoch=p.get("windows_per_epoch"), description=description)

    def _save_dir(self, path: str | Path, preprocessing: dict[str, Any]) -> Path:
        """Write ``network_`` with the parameters and ``preprocessing`` as a model directory."""
        from rnnkit import distributed
        from rnnkit.io import write_model_dir

        self._check_fitted()
        if not distributed.is_main():  # every rank holds the same model: rank 0 writes it
            return Path(path)
        params = {k: list(v) if isinstance(v, tuple) else v
                  for k, v in self._validated_params().items()}
        if "checkpoint" in params:
            params["checkpoint"] = None  # a path on the machine that trained it
        if "threads" in params:
            params["threads"] = None  # the cores of the machine that trained it
        if "state_dir" in params:
            params["state_dir"] = None  # a path on the machine that trained it
        return write_model_dir(path, estimator=type(self).__name__, params=params,
                               network=self.network_.config.to_dict(),
                               state_dict=self.network_.state_dict(),
                               preprocessing=preprocessing,
                               extra={"training": self.history_.to_dict(timings=False)})

    @classmethod
    def _load_dir(cls, path: str | Path, device: str = "auto"):
        """``(estimator with network_ and history_, preprocessing dict)`` from a directory.

        The folder is untrusted: its parameters are validated like a user's (types, ranges,
        :mod:`rnnkit.limits`), the network it describes is built on PyTorch's meta device (no
        memory) to check the weights' shapes, and only then are tensors read and allocated.
        """
        import torch

        from rnnkit.io import read_model_dir
        from rnnkit.limits import MAX_ENSEMBLE
        from rnnkit.models.network import MedianEnsemble, NetworkConfig, RecurrentNetwork
        from rnnkit.training import History, resolve_device

        saved = read_model_dir(path, estimator=cls.__name__)
        try:
            params = saved.config["params"]
            if not isinstance(params, dict):
                raise TypeError("`params` must be a JSON object")
            est = cls(**params)
            for name in ("checkpoint", "state_dir"):  # never write where a file says
                if name in params:
                    setattr(est, name, None)
            valid = est._validated_params()
            config = NetworkConfig.from_dict(saved.config["network"])
            members = cls._n_members(valid)
            if members > MAX_ENSEMBLE:
                raise ValueError(f"{members} networks; at most {MAX_ENSEMBLE} are loaded")

            def build() -> torch.nn.Module:
                return (RecurrentNetwork(config) if members == 1 else
                        MedianEnsemble([RecurrentNetwork(config) for _ in range(members)]))

            with torch.device("meta"):
                skeleton = build()
            saved.check_shapes({k: list(v.shape) for k, v in skeleton.state_dict().items()})
            network = build()
            network.load_state_dict(saved.tensors())
            est.history_ = History.from_dict(saved.config.get("training", {}))
        except (KeyError, TypeError, ValueError, RuntimeError) as exc:
            if isinstance(exc, ModelFormatError):
                raise
            raise ModelFormatError(f"{str(path)!r} is inconsistent: {exc}") from None
        est.network_ = network.to(resolve_device(device)).eval()
        return est, saved.preprocessing

    def __repr__(self) -> str:
        defaults = {p.name: p.default for p in
                    inspect.signature(type(self).__init__).parameters.values()}
        changed = [f"{k}={v!r}" for k, v in self.get_params().items() if defaults.get(k) != v]
        return f"{type(self).__name__}({', '.join(changed)})"
