import json
import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import clone

import rnnkit
from rnnkit import Forecaster, datasets


def test_clone_and_params_follow_sklearn_contract(tiny_params):
    fc = Forecaster(**tiny_params)
    twin = clone(fc)
    assert twin.get_params() == fc.get_params()
    assert twin is not fc
    assert "cell='gru'" in repr(fc)


def test_fit_evaluate_forecast_on_a_learnable_series(seasonal_series):
    t = np.arange(96)
    y = pd.Series(50 + 10 * np.sin(2 * np.pi * t / 12) + 4 * np.cos(2 * np.pi * t / 5),
                  index=seasonal_series.index, name="sales")
    fc = Forecaster(cell="lstm", units=[16], dense=(), window=12, epochs=150, patience=30,
                    dropout=0.0, learning_rate=1e-2, verbose=False, seed=0)
    fc.fit(y[:-12])
    ev = fc.evaluate(y)
    assert ev.metrics.index.tolist() == ["LSTM", "naive", "seasonal naive"]
    assert len(ev.predictions) == 12
    assert ev.predictions.index[0] == seasonal_series.index[-12]
    # a noiseless trend+season is learnable: the network must beat repeating the last value
    assert ev.metrics.loc["LSTM", "RMSE"] < 0.5 * ev.metrics.loc["naive", "RMSE"]
    assert ev.metrics.loc["LSTM", "RMSE"] < ev.metrics.loc["seasonal naive", "RMSE"]
    # evaluate() changes nothing: forecasts start after the training data until update()
    assert fc.forecast(6).index[0] == pd.Timestamp("2007-01-01")
    future = fc.update(y).forecast(6)
    assert future.index[0] == pd.Timestamp("2008-01-01") and future.index.freqstr == "MS"
    assert future.name == "sales"


def test_baselines_and_model_score_the_same_points(seasonal_series, tiny_params):
    fc = Forecaster(**tiny_params).fit(seasonal_series[:-10])
    ev = fc.evaluate(seasonal_series)
    actual = seasonal_series.to_numpy()
    np.testing.assert_array_equal(ev.predictions["actual"], actual[-10:])
    np.testing.assert_array_equal(ev.predictions["seasonal naive"], actual[-22:-12])
    np.testing.assert_array_equal(ev.predictions["naive"], actual[-11:-1])
    one_step = fc.predict(seasonal_series)
    np.testing.assert_array_equal(one_step.to_numpy()[-10:], ev.predictions["GRU"])


def test_metrics_are_in_data_units_not_scaled_units(seasonal_series, tiny_params):
    fc = Forecaster(**tiny_params).fit(seasonal_series[:-10])
    small = fc.evaluate(seasonal_series).metrics
    fc100 = Forecaster(**tiny_params).fit(seasonal_series[:-10] * 100)
    big = fc100.evaluate(seasonal_series * 100).metrics
    # same data in other units: identical scaled problem, so every error scales by 100
    np.testing.assert_allclose(big["RMSE"], small["RMSE"] * 100, rtol=1e-4)
    np.testing.assert_allclose(big["MASE"], small["MASE"], rtol=1e-4)


def test_same_seed_same_numbers_and_other_seed_other_numbers(seasonal_series, tiny_params):
    a = Forecaster(seed=3, dropout=0.1, **tiny_params).fit(seasonal_series)
    b = Forecaster(seed=3, dropout=0.1, **tiny_params).fit(seasonal_series)
    c = Forecaster(seed=4, dropout=0.1, **tiny_params).fit(seasonal_series)
    assert a.history_.to_frame()[["loss", "val_loss"]].equals(
        b.history_.to_frame()[["loss", "val_loss"]])
    assert np.array_equal(a.forecast(5).to_numpy(), b.forecast(5).to_numpy())
    assert not np.array_equal(a.forecast(5).to_numpy(), c.forecast(5).to_numpy())


def test_save_load_gives_identical_predictions(tmp_path, seasonal_series, tiny_params):
    fc = Forecaster(**tiny_params).fit(seasonal_series[:-12])
    ev = fc.evaluate(seasonal_series)
    fc.save(tmp_path / "model")
    loaded = Forecaster.load(tmp_path / "model")
    assert sorted(p.name for p in (tmp_path / "model").iterdir()) == [
        "config.json", "preprocessing.json", "weights.safetensors"]
    assert np.array_equal(loaded.forecast(8).to_numpy(), fc.forecast(8).to_numpy())
    assert loaded.forecast(8).index.equals(fc.forecast(8).index)
    assert np.array_equal(loaded.predict(seasonal_series).to_numpy(),
                          fc.predict(seasonal_series).to_numpy())
    assert loaded.get_params() == fc.get_params() | {"units": [8], "dense": [], "window": [6]}
    assert isinstance(rnnkit.load(str(tmp_path / "model")), Forecaster)
    assert ev.metrics.index[0] == "GRU"


def test_loaded_model_evaluates_the_same_points(tmp_path, seasonal_series, tiny_params):
    fc = Forecaster(**tiny_params).fit(seasonal_series[:-12])
    fc.save(tmp_path / "m")
    loaded = rnnkit.load(str(tmp_path / "m"))
    pd.testing.assert_frame_equal(loaded.evaluate(seasonal_series).metrics,
                                  fc.evaluate(seasonal_series).metrics)


def test_numpy_input_gives_positional_forecasts(tiny_params):
    y = np.sin(np.arange(80) / 3.0)
    fc = Forecaster(**tiny_params).fit(y[:60])
    assert len(fc.evaluate(y).predictions) == 20
    assert fc.forecast(3).index.tolist() == [60, 61, 62]  # evaluate() changed nothing
    assert fc.update(y).forecast(3).index.tolist() == [80, 81, 82]


def test_direct_multi_step_output(seasonal_series, tiny_params):
    fc = Forecaster(horizon=4, **tiny_params).fit(seasonal_series[:-8])
    assert fc.network_.config.output_size == 4
    assert len(fc.forecast(10)) == 10  # 4 + 4 + 2, feeding forecasts back
    assert len(fc.evaluate(seasonal_series).predictions) == 8


def test_features_with_known_and_unknown_future(seasonal_series, tiny_params):
    X = pd.DataFrame({"temp": np.cos(np.arange(96) / 5.0), "price": np.arange(96.0)},
                     index=seasonal_series.index)
    fc = Forecaster(**tiny_params).fit(seasonal_series, X)
    assert fc.network_.config.input_size == 3
    with pytest.warns(UserWarning, match=r"held at their last observed values \(temp="):
        held = fc.forecast(4)
    future = pd.DataFrame({"temp": [X["temp"].iloc[-1]] * 4, "price": [95.0] * 4})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        given = fc.forecast(4, X_future=future)
    assert np.array_equal(held.to_numpy(), given.to_numpy())  # same values, same forecast
    changed = fc.forecast(4, X_future=future.assign(price=1000.0))
    assert not np.array_equal(changed.to_numpy(), given.to_numpy())


def test_bidirectional_and_simple_rnn_train(seasonal_series):
    for cell in ("rnn", "lstm"):
        fc = Forecaster(cell=cell, units=[4, 3], bidirectional=True, dense=(5,), window=6,
                        epochs=2, verbose=False).fit(seasonal_series)
        assert fc.model_name == f"Bi{ {'rnn': 'SimpleRNN', 'lstm': 'LSTM'}[cell] }"
        assert np.isfinite(fc.forecast(3)).all()


def test_airline_loader():
    y = datasets.airline()
    assert len(y) == 144 and y.index.freqstr == "MS" and y.iloc[0] == 112 and y.iloc[-1] == 432
    assert float(y.sum()) == 40363.0


@pytest.mark.parametrize("loss", ["mse", "mae", "huber"])
def test_early_stopping_restores_best_weights(seasonal_series, tiny_params, loss):
    # no transform or window normalisation, so the validation windows are rebuilt simply
    params = tiny_params | {"epochs": 60, "patience": 3, "learning_rate": 0.05,
                            "transform": "none", "normalize": None, "loss": loss}
    fc = Forecaster(**params).fit(seasonal_series)
    frame = fc.history_.to_frame()
    best = frame.loc[frame["val_loss"].idxmin()]
    assert fc.history_.best_epoch == best["epoch"]
    if fc.history_.stopped_early:
        assert len(frame) == best["epoch"] + 3
    # the restored weights reproduce the best epoch's validation loss
    from rnnkit.data.windows import make_windows
    from rnnkit.training import evaluate_loss

    scaler = fc.series_state().scaler
    data = np.column_stack([scaler.transform(seasonal_series.to_numpy()[:, None])])
    x, yv = make_windows(data, fc.window, 1, 1, first_target=fc.series_state().n_train)
    tensors = (torch.tensor(x, dtype=torch.float32), torch.tensor(yv, dtype=torch.float32))
    loss_fn = {"mse": torch.nn.functional.mse_loss, "mae": torch.nn.functional.l1_loss,
               "huber": torch.nn.functional.huber_loss}[loss]
    logs = evaluate_loss(fc.network_, loss_fn, tensors)  # the loss trained on is the one named
    assert logs["val_loss"] == pytest.approx(best["val_loss"], rel=1e-5)


def test_checkpoint_holds_the_best_weights(tmp_path, seasonal_series, tiny_params):
    from safetensors.torch import load_file

    path = tmp_path / "ckpt" / "best.safetensors"
    fc = Forecaster(checkpoint=str(path), **tiny_params).fit(seasonal_series)
    saved = load_file(str(path))
    for name, tensor in fc.network_.state_dict().items():
        assert torch.equal(saved[name], tensor)


def test_each_ensemble_member_has_its_own_checkpoint(tmp_path, seasonal_series, tiny_params):
    from safetensors.torch import load_file

    path = tmp_path / "best.safetensors"
    fc = Forecaster(checkpoint=str(path), ensemble=2, **tiny_params).fit(seasonal_series)
    assert not path.exists()
    for k, member in enumerate(fc.network_.members, start=1):
        saved = load_file(str(tmp_path / f"best.member{k}.safetensors"))
        for name, tensor in member.state_dict().items():
            assert torch.equal(saved[name], tensor)


def test_reduce_lr_on_plateau_lowers_the_rate(seasonal_series, tiny_params):
    params = tiny_params | {"epochs": 40, "patience": None, "reduce_lr_patience": 1,
                            "learning_rate": 0.05}
    lrs = Forecaster(**params).fit(seasonal_series).history_.to_frame()["lr"]
    assert lrs.iloc[0] == 0.05 and lrs.iloc[-1] < 0.05


def test_fill_option_repairs_missing_values(seasonal_series, tiny_params):
    y = seasonal_series.copy()
    y.iloc[[10, 11]] = np.nan
    fc = Forecaster(fill="interpolate", **tiny_params).fit(y)
    assert np.isfinite(fc.forecast(2)).all()


def test_linear_skip_reads_the_shortest_window_and_can_be_turned_off(seasonal_series):
    settings = dict(window=[6, 12], horizon=2, epochs=2, verbose=False)
    with_skip = Forecaster(**settings).fit(seasonal_series)
    plain = Forecaster(**settings, linear_skip=False).fit(seasonal_series)
    assert "skip (Dense (last 6 values, added))" in with_skip.summary()
    assert "skip" not in plain.summary()
    assert (with_skip.network_.num_parameters() - plain.network_.num_parameters()
            == 2 * (6 + 1) * 2)  # two networks, (6 weights + bias) per output step


def test_a_model_saved_before_the_linear_skip_loads_without_one(tmp_path, seasonal_series,
                                                                as_format_1):
    fc = Forecaster(window=6, epochs=2, verbose=False, linear_skip=False).fit(seasonal_series)
    fc.save(tmp_path / "m")

    def before_skip(config):  # as written before it existed
        del config["params"]["linear_skip"], config["network"]["skip"]

    as_format_1(tmp_path / "m", edit_config=before_skip)
    loaded = Forecaster.load(tmp_path / "m")
    assert loaded.linear_skip is False and loaded.network_.skip is None
    pd.testing.assert_series_equal(loaded.forecast(3), fc.forecast(3))


def test_mase_is_scaled_by_all_the_fitted_data_as_in_the_competitions(tiny_params):
    """MASE's denominator is the in-sample seasonal-naive MAE over everything given to `fit`
    (validation part included), so rnnkit's MASE of a forecast equals statsforecast's and the
    M-competitions'. Growth that speeds up makes the validation part's steps larger."""
    t = np.arange(72)
    y = pd.Series(100 + 0.02 * t ** 2 + 10 * np.sin(2 * np.pi * t / 12),
                  index=pd.date_range("2000-01-01", periods=72, freq="MS"))
    fc = Forecaster(**tiny_params, validation=12).fit(y[:60])
    fitted = y.to_numpy()[:60]
    scale = np.abs(fitted[12:] - fitted[:-12]).mean()
    assert fc.series_state().mase_scale == pytest.approx(scale)
    assert fc.series_state().mase_scale != pytest.approx(
        np.abs(fitted[12:48] - fitted[:36]).mean(), rel=0.05)
    table = fc.evaluate(y).metrics
    seasonal_naive_mae = np.abs(y.to_numpy()[60:] - y.to_numpy()[48:60]).mean()
    assert table.loc["seasonal naive", "MASE"] == pytest.approx(seasonal_naive_mae / scale)


def test_a_model_saved_before_error_scale_pools_errors_in_its_old_mase_scale(tmp_path,
                                                                             tiny_params,
                                                                             as_format_1):
    """Models saved before MASE took in the validation part stored the training part's scale
    as mase_scale; that is the unit their pooled interval errors are in."""
    y = {k: pd.Series(100 * (i + 1) + np.sin(np.arange(60) / 2) * (i + 1))
         for i, k in enumerate("ab")}
    Forecaster(**tiny_params, validation=12).fit(y).save(tmp_path / "m")
    path = tmp_path / "m" / "preprocessing.json"

    def before_error_scale(pre):
        for series in pre["series"]:
            del series["error_scale"]

    as_format_1(tmp_path / "m", edit_preprocessing=before_error_scale)
    saved = json.loads(path.read_text())
    old = Forecaster.load(tmp_path / "m")
    assert [s.error_scale for s in old.series_] == [s["mase_scale"] for s in saved["series"]]


def test_a_global_model_forecasts_all_series_in_shared_calls_as_one_by_one(tiny_params):
    """The batched path (one network call per step for every series) gives each series the
    forecast and interval its own call gives (float32 batches may differ in the last bits)."""
    t = np.arange(60)
    y = {f"s{i}": pd.Series(100 * (i + 1) + 5 * np.sin(2 * np.pi * t / 12) + i * t,
                            index=pd.date_range("2010-01-01", periods=60, freq="MS"))
         for i in range(5)}
    fc = Forecaster(**tiny_params, validation=12).fit(y)
    frame = fc.forecast(4, level=0.9)
    assert list(frame.columns) == ["unique_id", "ds", "forecast", "lower", "upper"]
    for key in y:
        one = fc.forecast(4, series=key, level=0.9)
        part = frame[frame["unique_id"] == key].set_index("ds")
        pd.testing.assert_index_equal(part.index, one.index, check_names=False)
        np.testing.assert_allclose(part[["forecast", "lower", "upper"]].to_numpy(),
                                   one.to_numpy(), rtol=1e-6)


def test_an_epoch_can_draw_a_fixed_number_of_windows(seasonal_series, tiny_params,
                                                      monkeypatch):
    """windows_per_epoch: each epoch trains on that many windows, a new random draw each
    epoch, the same draws for the same seed."""
    import rnnkit.training

    draws: list[list[int]] = []
    real = rnnkit.training._batches

    def recording(*args):
        batches = real(*args)
        if args[2] is not None:  # a training epoch's (validation batches keep their order)
            draws.append(sorted(int(i) for b in batches for i in b))
            assert max(len(b) for b in batches) <= 8
        return batches

    monkeypatch.setattr(rnnkit.training, "_batches", recording)
    params = tiny_params | {"epochs": 3, "batch_size": 8}
    first = Forecaster(**params, windows_per_epoch=20).fit(seasonal_series)
    assert [len(d) for d in draws] == [20, 20, 20] and draws[0] != draws[1]
    again = list(draws)
    draws.clear()
    second = Forecaster(**params, windows_per_epoch=20).fit(seasonal_series)
    assert draws == again  # the seed decides the draws
    assert [r["loss"] for r in first.history_.records] == [
        r["loss"] for r in second.history_.records]
    draws.clear()
    Forecaster(**params).fit(seasonal_series)
    assert len(draws[0]) > 20  # without it, every window
