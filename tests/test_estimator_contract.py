"""One contract, checked on every estimator: what scikit-learn's tools and rnnkit's own
front ends rely on (scikit-learn's own checks where they apply: they feed numeric 2-D arrays,
which neither a forecaster nor a text classifier takes, so only the checks that never fit)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from rnnkit import Forecaster, HybridForecaster, TextClassifier
from rnnkit.errors import NotFittedError, RnnkitError

sklearn_checks = pytest.importorskip("sklearn.utils.estimator_checks")


def _series() -> Any:
    import pandas as pd

    t = np.arange(72)
    return pd.Series(30 + 0.2 * t + 4 * np.sin(2 * np.pi * t / 12),
                     index=pd.date_range("2001-01-01", periods=72, freq="MS"), name="y")


TEXTS = ["good fine great", "bad awful poor", "great good", "poor bad", "fine good",
         "awful bad"] * 4
LABELS = ["pos", "neg"] * 12


@dataclass
class Case:
    """An estimator with small settings, data to fit, and how it answers."""

    make: Callable[[], Any]
    fit_args: Callable[[], tuple]
    answer: Callable[[Any], np.ndarray]  # a prediction, as an array
    evaluate: Callable[[Any], Any]


CASES = {
    "Forecaster": Case(
        lambda: Forecaster(cell="gru", units=[4], dense=(), window=6, epochs=2, verbose=False),
        lambda: (_series()[:60],),
        lambda est: np.concatenate([est.forecast(3, level=0.9).to_numpy().ravel(),
                                    est.predict(_series()).to_numpy()]),
        lambda est: est.evaluate(_series())),
    "TextClassifier": Case(
        lambda: TextClassifier(cell="gru", units=[4], embedding_dim=4, maxlen=6, epochs=2,
                               verbose=False),
        lambda: (TEXTS, LABELS),
        lambda est: np.asarray(est.predict_proba(TEXTS[:6])),
        lambda est: est.evaluate(TEXTS, LABELS, baseline=False)),
    "HybridForecaster": Case(
        lambda: HybridForecaster(season_length=12, horizon=6, units=4, ensemble=1, epochs=2,
                                 verbose=False),
        lambda: (_series()[:60],),
        lambda est: est.forecast(y=_series()[:66]).to_numpy(),
        lambda est: est.evaluate(_series())),
}


@pytest.fixture(scope="module", params=list(CASES))
def case(request) -> Case:
    return CASES[request.param]


@pytest.fixture(scope="module")
def fitted(case) -> Any:
    return case.make().fit(*case.fit_args())


@pytest.mark.parametrize("check", ["check_no_attributes_set_in_init",
                                   "check_parameters_default_constructible",
                                   "check_get_params_invariance", "check_set_params",
                                   "check_estimator_cloneable", "check_estimator_repr",
                                   "check_do_not_raise_errors_in_init_or_set_params"])
def test_scikit_learns_checks_that_apply(case, check):
    est = case.make()
    getattr(sklearn_checks, check)(type(est).__name__, est)


TABLES = {"Forecaster": ("rnnkit.forecasting.parameters", "FORECASTER"),
          "TextClassifier": ("rnnkit.classification.parameters", "CLASSIFIER"),
          "TextLanguageModel": ("rnnkit.language_model_parameters", "LANGUAGE_MODEL"),
          "HybridForecaster": ("rnnkit.forecasting.parameters", "HYBRID")}


@pytest.mark.parametrize("name", list(TABLES))
def test_the_signature_says_what_the_parameter_table_says(name):
    """The table is what the command line reads (it imports no torch); the signature is what
    scikit-learn reads. Neither may drift from the other, and every parameter is checked."""
    import importlib
    import inspect

    import rnnkit
    from rnnkit.parameters import constraints, defaults

    cls = getattr(rnnkit, name)
    module, attribute = TABLES[name]
    table = getattr(importlib.import_module(module), attribute)
    signature = {p.name: p.default for p in inspect.signature(cls.__init__).parameters.values()
                 if p.name != "self"}
    assert signature == defaults(table)
    assert cls._parameter_constraints == constraints(table)
    for parameter, default in signature.items():  # every default passes its own constraint
        table[parameter].constraint.check(parameter, default)


def test_clone_is_unfitted_with_the_same_parameters(fitted):
    from sklearn.base import clone

    twin = clone(fitted)
    assert twin.get_params() == fitted.get_params() and not hasattr(twin, "network_")


def test_set_params_names_an_unknown_parameter(case):
    with pytest.raises(RnnkitError, match="has no parameter 'colour'; valid parameters: "):
        case.make().set_params(colour="red")


def test_fit_returns_the_estimator(case):
    est = case.make()
    assert est.fit(*case.fit_args()) is est


def test_an_unfitted_estimator_says_so(case, tmp_path):
    est = case.make()
    for use in (case.answer, case.evaluate, lambda e: e.save(tmp_path / "m")):
        with pytest.raises(NotFittedError, match="is not fitted yet; call fit first"):
            use(est)


def test_repr_rebuilds_the_estimator(fitted):
    cls = type(fitted)
    rebuilt = eval(repr(fitted), {cls.__name__: cls})
    assert rebuilt.get_params() == fitted.get_params()


def test_a_saved_model_answers_bit_for_bit(case, fitted, tmp_path):
    import rnnkit

    loaded = rnnkit.load(str(fitted.save(tmp_path / "m")))
    np.testing.assert_array_equal(case.answer(loaded), case.answer(fitted))


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_predicting_and_evaluating_leave_the_estimator_unchanged(case, tmp_path):
    est = case.make().fit(*case.fit_args())
    before = _files(est.save(tmp_path / "before"))
    case.answer(est)
    case.evaluate(est)
    assert _files(est.save(tmp_path / "after")) == before
