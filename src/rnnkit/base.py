"""The scikit-learn estimator contract shared by rnnkit's estimators.

``__init__`` only stores its keyword arguments; ``fit`` validates them against
``_parameter_constraints`` and returns ``self``; learned state ends in ``_``.
"""

from __future__ import annotations

import inspect
from typing import Any, ClassVar

from rnnkit.errors import NotFittedError, RnnkitError
from rnnkit.validation import Constraint, validate_params

__all__ = ["Estimator"]


class Estimator:
    """Base class: ``get_params``/``set_params`` (so ``sklearn.base.clone`` works), a short
    ``repr`` and the fitted check."""

    _parameter_constraints: ClassVar[dict[str, Constraint]] = {}
    _fitted_attribute: ClassVar[str] = "network_"

    @classmethod
    def _param_names(cls) -> list[str]:
        signature = inspect.signature(cls.__init__)
        kinds = (inspect.Parameter.KEYWORD_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
        return [p.name for p in signature.parameters.values()
                if p.name != "self" and p.kind in kinds]

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

    def _check_fitted(self) -> None:
        if not hasattr(self, self._fitted_attribute):
            raise NotFittedError(f"This {type(self).__name__} is not fitted yet; call fit first "
                                 f"(or load a saved model with {type(self).__name__}.load).")

    def __repr__(self) -> str:
        defaults = {p.name: p.default for p in
                    inspect.signature(type(self).__init__).parameters.values()}
        changed = [f"{k}={v!r}" for k, v in self.get_params().items() if defaults.get(k) != v]
        return f"{type(self).__name__}({', '.join(changed)})"
