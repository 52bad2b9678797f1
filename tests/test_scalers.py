import numpy as np
import pytest

from rnnkit import Forecaster
from rnnkit.data.scalers import MinMaxScaler, StandardScaler, make_scaler, scaler_from_dict


@pytest.mark.parametrize("kind", ["minmax", "standard", "change", None])
def test_round_trip_and_json_state(kind):
    x = np.array([[1.0, 5.0], [2.0, 7.0], [4.0, 11.0]])
    scaler = make_scaler(kind).fit(x)
    np.testing.assert_allclose(scaler.inverse_transform(scaler.transform(x)), x)
    clone = scaler_from_dict(scaler.to_dict())
    assert np.array_equal(clone.transform(x), scaler.transform(x))


def test_minmax_and_standard_values():
    x = np.array([[0.0], [5.0], [10.0]])
    assert MinMaxScaler().fit(x).transform(x).ravel().tolist() == [0.0, 0.5, 1.0]
    z = StandardScaler().fit(x).transform(x).ravel()
    np.testing.assert_allclose([z.mean(), z.std()], [0.0, 1.0], atol=1e-12)


def test_change_scaler_counts_in_typical_steps_not_spread():
    trend = np.arange(0.0, 100.0)[:, None]  # a spread of ~29 but steps of 1
    z = make_scaler("change").fit(trend).transform(trend).ravel()
    np.testing.assert_allclose(np.diff(z), 1.0)
    assert z.mean() == pytest.approx(0.0)


def test_constant_column_does_not_divide_by_zero():
    s = MinMaxScaler().fit(np.array([[3.0], [3.0]]))
    assert np.isfinite(s.transform(np.array([[4.0]]))).all()


@pytest.mark.parametrize("kind", ["minmax", "standard", "change"])
def test_forecaster_fits_scalers_on_the_training_part_only(seasonal_series, tiny_params, kind):
    y = seasonal_series.copy()
    y.iloc[-20:] += 1000.0  # a jump inside the validation part must not leak into the scaler
    fc = Forecaster(scaler=kind, transform="none", validation=0.25, **tiny_params).fit(y)
    n_train = len(y) - round(len(y) * 0.25)
    assert fc.series_state().n_train == n_train
    expected = make_scaler(kind).fit(y.to_numpy()[:n_train, None])
    assert fc.series_state().scaler.offset_.tolist() == expected.offset_.tolist()
    assert fc.series_state().scaler.scale_.tolist() == expected.scale_.tolist()
    full = make_scaler(kind).fit(y.to_numpy()[:, None])
    assert fc.series_state().scaler.scale_.tolist() != full.scale_.tolist()
