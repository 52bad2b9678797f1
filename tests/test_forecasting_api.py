"""The forecaster's public pieces after the redesign: the split plan the CLI prints, the data
schema front ends read, statsforecast's layouts, and the rule that only ``update`` changes a
fitted model."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from rnnkit import Forecaster
from rnnkit.errors import RnnkitError
from rnnkit.evaluation import naive_paths


def _panel() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    parts = []
    for key, n in (("a", 48), ("b", 60)):
        t = np.arange(n)
        parts.append(pd.DataFrame({
            "unique_id": key, "ds": pd.date_range("2015-01-01", periods=n, freq="MS"),
            "y": 20 + 5 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 0.5, n)}))
    return pd.concat(parts, ignore_index=True)


@pytest.fixture(scope="module")
def global_model():
    return Forecaster(cell="gru", units=[6], dense=(), window=6, epochs=2, validation=12,
                      verbose=False).fit(_panel())


def test_the_split_plan_is_the_split_fit_makes(seasonal_series, tiny_params):
    fc = Forecaster(**tiny_params, transform="log,diff")
    plan = fc.split_plan(seasonal_series, test=12)
    assert (plan.train, plan.validation, plan.test, plan.lost) == (67, 17, 12, 1)
    assert plan.transform == "log,diff" and plan.fitted == 84
    fc.fit(seasonal_series[:-12])
    assert fc.series_state().n_train == plan.train
    with pytest.raises(dataclasses.FrozenInstanceError):
        plan.train = 3
    with pytest.raises(RnnkitError, match="the series is too short: 10 values"):
        fc.split_plan(seasonal_series[:10], test=2)


def test_the_schema_describes_the_data_a_model_expects(seasonal_series, tiny_params,
                                                        global_model):
    fc = Forecaster(**tiny_params).fit(seasonal_series)
    schema = fc.schema_
    assert (schema.target, schema.time_column, schema.features, schema.frequency,
            schema.season_length, schema.series) == ("sales", "date", (), "MS", 12, None)
    assert schema.rows_needed == fc.min_history() and not schema.several
    assert schema.columns() == {"target": "sales", "time": "date", "features": []}
    many = global_model.schema_
    assert many.several and many.series == ("a", "b") and many.time_column == "ds"
    assert many.columns()["id"] == "unique_id"
    assert not hasattr(Forecaster(), "schema_")  # not fitted: as scikit-learn's checks expect


def test_predict_with_h_gives_statsforecasts_layout(global_model):
    frame = global_model.predict(h=3, level=[80, 95])
    assert frame.columns.tolist() == ["unique_id", "ds", "GRU", "GRU-lo-80", "GRU-hi-80",
                                      "GRU-lo-95", "GRU-hi-95"]
    at_80 = global_model.forecast(3, level=0.8)
    np.testing.assert_array_equal(frame["GRU"], at_80["forecast"])
    np.testing.assert_array_equal(frame["GRU-lo-80"], at_80["lower"])
    assert (frame["GRU-hi-95"] > frame["GRU-hi-80"]).all()
    assert frame["unique_id"].tolist() == ["a"] * 3 + ["b"] * 3
    assert global_model.predict(h=2).columns.tolist() == ["unique_id", "ds", "GRU"]


def test_predict_with_h_beyond_new_data_leaves_the_model_as_it_was(global_model):
    before = global_model.forecast(2)
    newer = _panel()
    newer = newer[newer["unique_id"] == "a"].assign(y=lambda f: f["y"] + 10)
    moved = global_model.predict(h=2, y=newer)
    assert moved["unique_id"].unique().tolist() == ["a"]
    assert moved["GRU"].mean() > before["forecast"][:2].mean() + 5  # it read the new level
    pd.testing.assert_frame_equal(global_model.forecast(2), before)


def test_predict_with_h_on_one_series_names_it_by_its_target(seasonal_series, tiny_params):
    fc = Forecaster(**tiny_params).fit(seasonal_series)
    frame = fc.predict(h=2, level=90)
    assert frame["unique_id"].tolist() == ["sales", "sales"]
    np.testing.assert_array_equal(frame["GRU-hi-90"], fc.forecast(2, level=0.9)["upper"])
    with pytest.raises(RnnkitError, match="`level` must be"):
        fc.predict(h=2, level=[0])
    with pytest.raises(RnnkitError, match="`h` must be a positive integer"):
        fc.predict(h=0)
    with pytest.raises(RnnkitError, match="predict needs `y`"):
        fc.predict()


def test_cross_validation_gives_forecasts_with_their_cutoffs(seasonal_series, tiny_params):
    fc = Forecaster(**tiny_params)
    cv = fc.cross_validation(seasonal_series, h=3, n_windows=2, level=[80])
    assert cv.columns.tolist() == ["unique_id", "ds", "cutoff", "y", "GRU", "GRU-lo-80",
                                   "GRU-hi-80", "Naive", "SeasonalNaive"]
    assert len(cv) == 6 and not hasattr(fc, "network_")  # the estimator itself is not fitted
    first = cv[cv["cutoff"] == seasonal_series.index[89]]
    assert first["ds"].tolist() == seasonal_series.index[90:93].tolist()
    np.testing.assert_array_equal(first["y"], seasonal_series.to_numpy()[90:93])
    naive = naive_paths(seasonal_series.to_numpy()[:90], 3, 12)
    np.testing.assert_array_equal(first["SeasonalNaive"], naive["seasonal naive"])
    # the same fit by hand from the same cutoff gives the same forecasts
    by_hand = Forecaster(**tiny_params).fit(seasonal_series[:90]).forecast(3)
    np.testing.assert_allclose(first["GRU"], by_hand.to_numpy())


def test_cross_validation_of_many_series(global_model):
    panel = _panel()
    cv = Forecaster(**global_model.get_params()).cross_validation(panel, h=2, n_windows=1)
    assert sorted(cv["unique_id"].unique()) == ["a", "b"] and len(cv) == 4
    last_a = panel[panel["unique_id"] == "a"]["ds"].iloc[-3]
    assert (cv[cv["unique_id"] == "a"]["cutoff"] == last_a).all()


def test_predict_and_evaluate_leave_the_model_unchanged(seasonal_series, tiny_params):
    fc = Forecaster(**tiny_params).fit(seasonal_series[:80])
    state = fc.series_state()
    recent, chain = state.recent.target.copy(), state.chain.to_dict()
    forecast = fc.forecast(4)
    fc.evaluate(seasonal_series)
    fc.predict(seasonal_series)
    fc.predict(h=3, y=seasonal_series)
    from_y = fc.forecast(2, y=seasonal_series)  # forecasts from y's end, remembers nothing
    assert from_y.index[0] == pd.Timestamp("2008-01-01")
    np.testing.assert_array_equal(fc.series_state().recent.target, recent)
    assert fc.series_state().chain.to_dict() == chain
    pd.testing.assert_series_equal(fc.forecast(4), forecast)
    fc.update(seasonal_series)  # the one mutator
    assert fc.forecast(1).index[0] == pd.Timestamp("2008-01-01")
    np.testing.assert_array_equal(fc.forecast(2), from_y)
