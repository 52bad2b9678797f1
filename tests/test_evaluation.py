import numpy as np
import pandas as pd
import pytest

from rnnkit.evaluation import forecast_metrics, mase_scale, naive_forecasts, verdict


def test_metrics_by_hand():
    actual = np.array([100.0, 200.0, 300.0])
    pred = np.array([110.0, 180.0, 300.0])
    m = forecast_metrics(actual, pred, scale=10.0)
    assert m["RMSE"] == pytest.approx(np.sqrt((100 + 400 + 0) / 3))
    assert m["MAE"] == pytest.approx(10.0)
    assert m["MAPE"] == pytest.approx((10 / 100 + 20 / 200 + 0) / 3 * 100)
    assert m["sMAPE"] == pytest.approx((20 / 210 + 40 / 380 + 0) / 3 * 100)
    assert m["MASE"] == pytest.approx(1.0)


def test_mape_skips_zero_actuals():
    m = forecast_metrics(np.array([0.0, 10.0]), np.array([1.0, 12.0]), scale=1.0)
    assert m["MAPE"] == pytest.approx(20.0)


def test_mase_scale_uses_seasonal_lag():
    train = np.tile([1.0, 5.0], 6) + np.arange(12)  # lag-2 differences are all 2
    assert mase_scale(train, 2) == pytest.approx(2.0)


def test_naive_baselines_use_only_the_past():
    values = np.arange(100.0, 130.0)
    out = naive_forecasts(values, np.array([24, 25]), 12)
    assert out["naive"].tolist() == [123.0, 124.0]
    assert out["seasonal naive"].tolist() == [112.0, 113.0]


def test_verdict_says_when_the_model_wins():
    table = pd.DataFrame({"RMSE": [10.0, 20.0, 40.0]}, index=["GRU", "naive", "seasonal naive"])
    assert verdict(table).startswith("GRU beats the best baseline (naive)")


def test_verdict_against_an_exact_baseline_gives_no_infinite_percentage():
    table = pd.DataFrame({"RMSE": [0.03, 0.0]}, index=["GRU", "naive"])
    assert verdict(table) == ("GRU LOSES to naive on RMSE: 0.03000 vs 0.000 (the baseline is "
                              "exact on these points).")


def test_verdict_takes_float_rounding_for_an_exact_baseline():
    # a pure cycle's seasonal naive misses by rounding alone: 5e-14 is no baseline to be
    # "76 trillion percent worse" than
    table = pd.DataFrame({"RMSE": [0.04, 5.4e-14]}, index=["hybrid", "seasonal naive"])
    assert verdict(table).endswith("(the baseline is exact on these points).")
    table = pd.DataFrame({"RMSE": [0.04, 0.03]}, index=["hybrid", "seasonal naive"])
    assert verdict(table).endswith("(33.3% worse).")
