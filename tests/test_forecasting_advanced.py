"""Transforms, ensembles, intervals, backtests and global models."""

import copy

import numpy as np
import pandas as pd
import pytest
import torch

from rnnkit import Forecaster
from rnnkit.data.series import series_from_frame
from rnnkit.data.transforms import TransformChain
from rnnkit.errors import RnnkitError
from rnnkit.forecasting import backtest
from rnnkit.inference import forecast


@pytest.mark.parametrize("spec", ["log", "log1p", "boxcox", "diff", "diff12", "log,diff12",
                                  "boxcox,diff,diff12", "none", "stl12", "log,stl12",
                                  "diff,stl12", "es12", "log,es12", "log1p,diff,es12"])
def test_every_transform_inverts_exactly(spec):
    rng = np.random.default_rng(0)
    y = np.exp(np.linspace(1, 3, 60)) + 10 * np.sin(np.arange(60)) + 20 + rng.random(60)
    chain = TransformChain.parse(spec).fit(y[:40])
    z = chain.transform(y)
    positions = np.arange(chain.lost, 60)
    np.testing.assert_allclose(chain.inverse_one_step(z[positions], y, positions), y[positions],
                               rtol=1e-12)
    # es goes on learning its season from the values after 40, which a forecast from 40 cannot
    # know: its inverse is exact for one cycle (see the test on es below), the others' for all
    ahead = 12 if "es" in spec else 20
    np.testing.assert_allclose(chain.inverse_next(z[40:40 + ahead], y[:40]), y[40:40 + ahead],
                               rtol=1e-12)
    again = TransformChain.from_dict(chain.to_dict())
    assert again.spec == chain.spec
    np.testing.assert_array_equal(again.transform(y), z)


def _growing_season(n: int = 120, seed: int = 0) -> np.ndarray:
    """A monthly season whose amplitude doubles over the series, around a slow trend."""
    t = np.arange(n)
    noise = np.random.default_rng(seed).normal(0, 0.3, n)
    return 50 + 0.1 * t + (4 + 4 * t / n) * np.sin(2 * np.pi * t / 12) + noise


def test_es_learns_a_changing_season_from_the_past_only():
    y = _growing_season()
    chain = TransformChain.parse("es", season_length=12).fit(y[:96])
    step = chain.steps[0]
    assert chain.spec == "es12" and step.gamma > 0.02  # the season changes: it keeps learning
    z = chain.transform(y)
    # the season is gone from what is left (after the first cycles, where it is being learned)
    assert np.std(np.diff(z[48:])) < 0.3 * np.std(np.diff(y[48:]))
    # causal: the factor at position t does not change when values from t on change
    other = y.copy()
    other[100:] += 25.0
    np.testing.assert_array_equal(chain.transform(other)[:101] - other[:101], z[:101] - y[:101])
    # beyond the data a forecast adds the factors known at its origin, repeated after a cycle
    factors = chain.inverse_next(np.zeros(30), y[:96]) - 0.0
    np.testing.assert_allclose(factors[12:24], factors[:12])
    np.testing.assert_allclose(factors[:12], y[96:108] - z[96:108])


def test_es_filters_new_values_and_refuses_a_gap():
    y = _growing_season()
    chain = TransformChain.parse("es12").fit(y[:60])
    z = chain.transform(y)
    with pytest.raises(RnnkitError, match=r"values given start at position 80, after a gap: "
                                          r"it has seen positions up to 59"):
        chain.transform(y[80:], start=80)
    chain.extend(y[:90])  # filtering what followed the fit changes nothing before it
    np.testing.assert_array_equal(chain.transform(y), z)
    np.testing.assert_array_equal(chain.transform(y[80:], start=80), z[80:])


def test_es_gives_a_series_without_a_season_next_to_none():
    y = 50 + np.random.default_rng(1).normal(0, 1, 120)
    chain = TransformChain.parse("es12").fit(y)
    assert chain.steps[0].gamma == 0.02
    assert np.abs(y - chain.transform(y)).max() < 0.5  # factors far below the noise


def test_auto_takes_a_log_the_series_allows():
    from rnnkit.forecasting.pipeline import choose_chain

    positive, counts, signed = np.arange(1.0, 30), np.arange(0.0, 29), np.arange(-5.0, 24)
    assert choose_chain("auto", positive).spec == "log"
    assert choose_chain("auto", counts).spec == "log1p"
    assert choose_chain("auto", signed).spec == "none"
    assert choose_chain("auto,es", counts, 12).spec == "log1p,es12"
    assert choose_chain("auto,es", signed, 12).spec == "es12"


def test_stl_removes_the_season_and_repeats_its_last_cycle_beyond_the_data():
    t = np.arange(72)
    season = 10 * np.sin(2 * np.pi * t / 12)
    y = 100 + 0.5 * t + season
    chain = TransformChain.parse("stl", season_length=12).fit(y[:48])
    assert chain.spec == "stl12"
    z = chain.transform(y)
    # what is left is (nearly) the straight trend: the season is gone
    np.testing.assert_allclose(z[:48], 100 + 0.5 * t[:48], atol=0.5)
    added = y[48:] - z[48:]  # the seasonal component added back beyond the training part
    np.testing.assert_allclose(added, np.tile(added[:12], 2), atol=1e-9)
    np.testing.assert_allclose(added, season[48:], atol=0.5)
    # the phase comes from `start`: a later slice transforms as the same part of the whole
    np.testing.assert_allclose(chain.transform(y[30:], start=30), z[30:])
    np.testing.assert_allclose(chain.inverse_next(z[60:], y[5:60], start=5), y[60:])


def test_stl_on_a_series_shorter_than_two_cycles_warns_and_leaves_it_alone():
    y = np.arange(20.0) + 1
    with pytest.warns(UserWarning, match="needs at least 25 consecutive finite values"):
        chain = TransformChain.parse("stl12").fit(y)
    np.testing.assert_array_equal(chain.transform(y), y)


def test_transform_errors_name_the_problem():
    with pytest.raises(RnnkitError, match="`transform` parts must be log, boxcox, diff"):
        TransformChain.parse("log,sqrt")
    with pytest.raises(RnnkitError, match="'stl' takes its period from the data's frequency"):
        TransformChain.parse("log,stl", season_length=1)
    with pytest.raises(RnnkitError, match="'log' needs a positive series; got a minimum of -1"):
        TransformChain.parse("log").fit(np.array([1.0, -1.0, 2.0]))


def test_values_outside_the_transform_domain_are_refused_by_row_not_forecast_as_nan(
        seasonal_series, tiny_params):
    bad = seasonal_series.copy()
    bad.iloc[80] = 0.0
    fc = Forecaster(transform="log", **tiny_params).fit(seasonal_series[:72])
    message = r"transform 'log' needs a positive series; got 0 at row 80 \(2006-09-01\)"
    for use in (fc.predict, fc.evaluate, fc.update, lambda y: fc.forecast(2, y=y)):
        with pytest.raises(RnnkitError, match=message):
            use(bad)
    with pytest.raises(RnnkitError, match=message):  # in the validation part: not fitted on
        Forecaster(transform="log", **tiny_params).fit(bad[:84])


def test_new_data_off_the_models_frequency_is_refused_not_misread(seasonal_series,
                                                                   tiny_params):
    y = seasonal_series
    fc = Forecaster(**tiny_params).fit(y[:72])
    gap = y[60:].drop(y.index[70])
    with pytest.raises(RnnkitError, match=r"row 10 \(2005-12-01\) comes after 2005-10-01, whose "
                                          r"next date is 2005-11-01\. Add the missing rows"):
        fc.forecast(2, y=gap)
    weekly = pd.Series(y[:20].to_numpy(), index=pd.date_range("2006-01-01", periods=20,
                                                               freq="W"))
    with pytest.raises(RnnkitError, match=r"frequency 'MS', as in training: row 1 \(2006-01-08\) "
                                          r"comes after 2006-01-01, whose next date is 2006-02"):
        fc.predict(weekly)
    with pytest.raises(RnnkitError, match=r"the dates must fall on the model's frequency 'MS', "
                                          r"as in training; row 0 \(2005-01-15\) does not"):
        fc.predict(y[60:].set_axis(y.index[60:] + pd.Timedelta(days=14)))
    np.testing.assert_array_equal(fc.predict(y[60:]), fc.predict(y)[-(36 - 6):])


def test_fitting_unevenly_spaced_dates_warns_that_rows_are_read_as_steps(seasonal_series,
                                                                         tiny_params):
    with pytest.warns(UserWarning, match="the dates are not evenly spaced"):
        fc = Forecaster(**tiny_params).fit(seasonal_series.drop(seasonal_series.index[30]))
    assert fc.schema_.season_length == 1


def test_log_transform_lets_a_trending_series_be_forecast(seasonal_series):
    """The tutorials' trap: test values above the training range. Log + window normalisation
    keeps the network in familiar territory; plain scaling does not."""
    t = np.arange(120)
    y = pd.Series(100 * np.exp(0.02 * t) * (1 + 0.15 * np.sin(2 * np.pi * t / 12)),
                  index=pd.date_range("2000-01-01", periods=120, freq="MS"))
    common = dict(cell="gru", units=[16], dense=(), window=12, epochs=150, patience=25,
                  learning_rate=5e-3, dropout=0.0, verbose=False)
    good = Forecaster(transform="log", normalize="last", **common).fit(y[:-24]).evaluate(y)
    bad = Forecaster(transform="none", normalize=None, **common).fit(y[:-24]).evaluate(y)
    assert good.metrics.iloc[0]["RMSE"] < 0.5 * bad.metrics.iloc[0]["RMSE"]
    assert good.metrics.iloc[0]["RMSE"] < good.metrics.loc["seasonal naive", "RMSE"]


@pytest.mark.parametrize("transform", ["stl", "log,es"])
def test_seasonal_forecaster_places_any_slice_of_dated_data_in_the_seasonal_cycle(
        tmp_path, seasonal_series, tiny_params, transform):
    y = seasonal_series
    fc = Forecaster(transform=transform, normalize="last", **tiny_params).fit(y[:72])
    whole = fc.predict(y)
    # a slice that starts mid-cycle, before or after the training end, gives the same forecasts
    np.testing.assert_allclose(fc.predict(y[17:]), whole[whole.index >= y.index[17 + 6]])
    np.testing.assert_allclose(fc.predict(y[70:]), whole[whole.index >= y.index[76]])
    # so is data parsed from a file or a request, as `rnnkit predict --csv` and `rnnkit serve`
    # pass it (it once started at position 0 whatever its dates: half a cycle off here)
    parsed, _ = series_from_frame(y[17:60].rename_axis("date").reset_index(), "sales", "date")
    np.testing.assert_allclose(forecast(fc, parsed, horizon=3).frame["forecast"],
                               copy.deepcopy(fc).forecast(3, y=y[17:60]), rtol=1e-12)
    fc.evaluate(y)
    ahead = fc.forecast(12)
    fc.save(tmp_path / "seasonal")
    loaded = Forecaster.load(tmp_path / "seasonal")
    np.testing.assert_array_equal(loaded.forecast(12).to_numpy(), ahead.to_numpy())
    # the season added back is the data's: the forecast follows the cycle of its months
    # (STL's is exact at once; es learns it over the cycles, so a 3-epoch network shows less)
    months = ahead.index.month.to_numpy() - 1
    season = np.sin(2 * np.pi * months / 12)
    assert np.corrcoef(ahead.to_numpy(), season)[0, 1] > (0.9 if transform == "stl" else 0.6)


def test_ensemble_is_the_median_of_its_members(tmp_path, seasonal_series, tiny_params):
    fc = Forecaster(ensemble=3, **tiny_params).fit(seasonal_series)
    members = fc.network_.members
    assert len(members) == 3 and fc.network_.num_parameters() == 3 * members[0].num_parameters()
    x = torch.randn(5, 6, 1)
    with torch.no_grad():
        expected = torch.stack([m(x) for m in members]).median(dim=0).values  # odd K
        torch.testing.assert_close(fc.network_(x), expected)
    fc.save(tmp_path / "e")
    loaded = Forecaster.load(tmp_path / "e")
    assert np.array_equal(loaded.forecast(4).to_numpy(), fc.forecast(4).to_numpy())


def test_window_ensemble_takes_the_median_of_networks_reading_their_own_windows(
        tmp_path, seasonal_series, tiny_params):
    fc = Forecaster(**tiny_params | {"window": [4, 9]}, ensemble=2).fit(seasonal_series[:80])
    members = fc.network_.members
    assert len(members) == 4 and fc._predictor().ensemble.windows == [4, 4, 9, 9]
    # the forecaster's one-step forecasts are the median of each member reading its own window
    space = fc._predictor().space.inputs(fc.series_[0], seasonal_series.to_numpy(),
                                         np.zeros((96, 0)), 0)
    x = np.stack([space[i - 9:i] for i in range(80, 96)])
    level = x[:, -1:, 0]  # normalize="last" is the same level for every window length
    outs = []
    with torch.no_grad():
        for member, w in zip(members, [4, 4, 9, 9], strict=True):
            xw = torch.as_tensor(x[:, -w:] - level[:, :, None], dtype=torch.float32)
            outs.append(member(xw).numpy()[:, 0] + level[:, 0])
    expected = fc.series_[0].scaler.inverse_transform(np.median(outs, axis=0)[:, None]).ravel()
    np.testing.assert_allclose(np.log(fc.predict(seasonal_series).to_numpy()[-16:]), expected,
                               rtol=1e-5)
    assert "window" in fc.summary()
    fc.save(tmp_path / "w")
    loaded = Forecaster.load(tmp_path / "w")
    assert loaded._predictor().ensemble.windows == [4, 4, 9, 9]
    np.testing.assert_array_equal(loaded.forecast(5).to_numpy(), fc.forecast(5).to_numpy())


def test_refit_retrains_on_all_data_for_the_best_epochs_and_keeps_honest_intervals(
        seasonal_series, tiny_params):
    params = tiny_params | {"epochs": 12, "ensemble": 2}
    held_out = Forecaster(**params).fit(seasonal_series)
    refitted = Forecaster(refit=True, **params).fit(seasonal_series)
    for first, again in zip(refitted.member_histories_, refitted.refit_histories_, strict=True):
        assert len(again.records) == first.best_epoch and "val_loss" not in again.records[0]
    # the refit networks learned from more windows, so they forecast differently ...
    assert not np.allclose(refitted.forecast(6), held_out.forecast(6))
    # ... but the interval widths come from the networks that never saw the validation part
    for ours, theirs in zip(refitted.series_[0].residuals, held_out.series_[0].residuals,
                            strict=True):
        np.testing.assert_array_equal(ours, theirs)


def test_backtest_windows_never_touch_the_test_period(seasonal_series, tiny_params,
                                                      monkeypatch):
    seen = []
    original = Forecaster.fit

    def spy(self, y, X=None):
        seen.append(len(y))
        return original(self, y, X)

    monkeypatch.setattr(Forecaster, "fit", spy)
    result = backtest(Forecaster(**tiny_params), seasonal_series, horizon=6, n_windows=3,
                      step=4, test=12)
    n = len(seasonal_series)
    assert result["last"].max() == n - 12 - 1  # the last window ends right before the test
    assert seen == [n - 12 - 6 - 8, n - 12 - 6 - 4, n - 12 - 6]  # each fit sees its past only
    assert set(result.columns) >= {"RMSE", "MAE", "sMAPE", "MASE", "origin"}
    # every window scores the baselines from the same origin beside the network
    assert result["model"].tolist() == ["GRU", "naive", "seasonal naive"] * 3
    last = result[result["window"] == 2].set_index("model")
    y = seasonal_series.to_numpy()
    origin = n - 12 - 6
    # a trend of 0.5 a month: last year's value is 6 below, the last value 0.5..3 off
    assert last.loc["seasonal naive", "MAE"] == pytest.approx(6.0)
    assert last.loc["naive", "MAE"] == pytest.approx(np.abs(y[origin:origin + 6]
                                                            - y[origin - 1]).mean())
    with pytest.raises(RnnkitError, match=r"\(96 values\) is too short for 40 windows of 6 "
                                          r"steps 6 apart; use fewer"):
        backtest(Forecaster(**tiny_params), seasonal_series, horizon=6, n_windows=40)


def test_backtest_of_many_series_cuts_each_before_its_own_end(tiny_params, monkeypatch):
    t = np.arange(60)
    lengths = {"a": 60, "b": 48, "c": 40}
    frame = pd.concat([pd.DataFrame({
        "unique_id": key, "ds": pd.date_range("2010-01-01", periods=n, freq="MS"),
        "y": (10 + 20 * i) * (1 + 0.2 * np.sin(2 * np.pi * t[:n] / 12))})
        for i, (key, n) in enumerate(lengths.items())])
    seen = []
    original = Forecaster.fit

    def spy(self, y, X=None):
        seen.append({key: len(values) for key, values in y.items()})
        return original(self, y, X)

    monkeypatch.setattr(Forecaster, "fit", spy)
    result = backtest(Forecaster(**tiny_params), frame, horizon=6, n_windows=2, step=3, test=6)
    # windows forecast from 15 and from 12 points before each series' end, never the last 6
    assert seen == [{k: n - 15 for k, n in lengths.items()},
                    {k: n - 12 for k, n in lengths.items()}]
    assert result[["window", "model", "series", "from_end"]].values.tolist() == [
        [0, "GRU", 3, 15], [0, "naive", 3, 15], [0, "seasonal naive", 3, 15],
        [1, "GRU", 3, 12], [1, "naive", 3, 12], [1, "seasonal naive", 3, 12]]
    # a pure season: last year's values are exact in every series
    assert (result[result["model"] == "seasonal naive"]["RMSE"] < 1e-9).all()
    with pytest.raises(RnnkitError, match=r"series 'c': the series \(40 values\) is too short "
                                          r"for 5 windows"):
        backtest(Forecaster(**tiny_params), frame, horizon=6, n_windows=5, step=8, test=6)


def test_interval_coverage_on_a_gaussian_series_is_near_nominal():
    rng = np.random.default_rng(7)
    y = 50 + rng.normal(0, 2, 700)  # white noise around a level: the best forecast is 50
    fc = Forecaster(cell="gru", units=[8], dense=(), window=8, epochs=15, transform="none",
                    normalize=None, validation=0.4, season_length=1, verbose=False)
    fc.fit(y[:500])
    ev = fc.evaluate(y, level=0.9)
    assert 0.82 <= ev.coverage <= 0.97, ev.coverage
    band = fc.forecast(3, level=0.9)
    assert list(band.columns) == ["forecast", "lower", "upper"]
    assert ((band["upper"] - band["lower"]) / 2).between(2.5, 5.0).all()  # ≈ 1.645 σ = 3.3


def test_global_intervals_pool_scaled_errors_and_cover_near_nominal(tmp_path):
    """White noise of four different sizes: the pooled, rescaled validation errors give each
    series an interval in proportion to its noise, covering about 90% of new points."""
    rng = np.random.default_rng(3)
    sizes = {"a": 1.0, "b": 3.0, "c": 10.0, "d": 30.0}
    full = {k: 100 * v + rng.normal(0, v, 260) for k, v in sizes.items()}
    fc = Forecaster(cell="gru", units=[8], dense=(), window=8, horizon=4, epochs=15,
                    transform="none", normalize=None, validation=60, season_length=1,
                    verbose=False).fit({k: pd.Series(v[:200]) for k, v in full.items()})
    # 12 steps (two "seasons" of 6 at least), 12 origins per series, 4 series
    assert len(fc.pooled_residuals_) == 12 and len(fc.pooled_residuals_[0]) == 4 * 12
    out = fc.forecast(4, level=0.9)
    fc.save(tmp_path / "g")
    pd.testing.assert_frame_equal(Forecaster.load(tmp_path / "g").forecast(4, level=0.9), out)
    inside, halves = [], {}
    for key, size in sizes.items():
        part = out[out["unique_id"] == key]
        half = halves[key] = (part["upper"] - part["lower"]).to_numpy() / 2
        assert np.all((half > 1.0 * size) & (half < 3.0 * size)), (key, half)  # ≈ 1.645 σ
        # one pooled quantile per step, rescaled: widths are in proportion to the error scale
        ratio = fc.series_state(key).error_scale / fc.series_state("a").error_scale
        np.testing.assert_allclose(half, halves["a"] * ratio)
        for origin in range(200, 256, 4):  # fresh points, forecast from fresh origins
            band = fc.forecast(4, y=pd.Series(full[key][:origin]), level=0.9, series=key)
            actual = full[key][origin:origin + 4]
            inside.extend(((actual >= band["lower"]) & (actual <= band["upper"])).tolist())
    assert 0.8 <= np.mean(inside) <= 0.98, np.mean(inside)


def test_global_model_recovers_series_of_different_levels():
    t = np.arange(84)
    shape = 1 + 0.2 * np.sin(2 * np.pi * t / 12)
    levels = {"small": 10.0, "medium": 100.0, "large": 1000.0}
    dates = pd.date_range("2010-01-01", periods=84, freq="MS")
    frame = pd.concat([pd.DataFrame({"unique_id": k, "ds": dates, "y": v * shape})
                       for k, v in levels.items()])
    fc = Forecaster(cell="gru", units=[16], dense=(), window=12, epochs=60, dropout=0.0,
                    learning_rate=5e-3, verbose=False).fit(frame)
    out = fc.forecast(12)
    assert list(out.columns) == ["unique_id", "ds", "forecast"] and len(out) == 36
    for key, level in levels.items():
        got = out[out["unique_id"] == key]["forecast"].to_numpy()
        expected = level * (1 + 0.2 * np.sin(2 * np.pi * np.arange(84, 96) / 12))
        assert np.abs(got - expected).max() < 0.06 * level, key
    one = fc.forecast(3, series="large")
    assert isinstance(one, pd.Series) and one.index[0] == pd.Timestamp("2017-01-01")
    with pytest.raises(RnnkitError, match="unknown series 'huge'"):
        fc.forecast(3, series="huge")


def test_global_model_reads_date_strings_in_any_row_order_and_updates_several_at_once():
    t = np.arange(48)
    dates = pd.date_range("2010-01-01", periods=48, freq="MS")
    frame = pd.concat([pd.DataFrame({"unique_id": key, "ds": dates,
                                     "y": level * (1 + 0.2 * np.sin(2 * np.pi * t / 12))})
                       for key, level in {"a": 10.0, "b": 50.0, "c": 90.0}.items()])
    params = dict(cell="gru", units=[4], dense=(), window=6, epochs=2, verbose=False)
    tidy = Forecaster(**params).fit(frame[frame["ds"] < "2013-01-01"])
    messy = frame.assign(ds=frame["ds"].dt.strftime("%Y-%m")).sample(frac=1, random_state=0)
    fc = Forecaster(**params).fit(messy[messy["ds"] < "2013-01"])
    pd.testing.assert_frame_equal(fc.forecast(3), tidy.forecast(3))  # sorted, dated alike
    newer = messy[messy["unique_id"] != "a"]
    both = fc.forecast(2, y=newer)  # only the series given, each from its new end
    assert both["unique_id"].tolist() == ["b", "b", "c", "c"]
    assert both["ds"].iloc[0] == pd.Timestamp("2014-01-01")
    for key in ("b", "c"):
        alone = tidy.forecast(2, y=frame[frame["unique_id"] == key].set_index("ds")["y"],
                              series=key)
        np.testing.assert_allclose(both[both["unique_id"] == key]["forecast"], alone)
    # forecasting from new values remembers none of them; update does, for the series given
    assert fc.forecast(1).set_index("unique_id")["ds"].dt.year.to_dict() == {
        "a": 2013, "b": 2013, "c": 2013}
    fc.update(newer)
    assert fc.forecast(1).set_index("unique_id")["ds"].dt.year.to_dict() == {
        "a": 2013, "b": 2014, "c": 2014}  # "a" still continues from where fit left it
    with pytest.raises(RnnkitError, match="holds one series; pass it as a Series"):
        Forecaster(**params).fit(frame[frame["unique_id"] == "a"]["y"]).update(frame)


@pytest.mark.parametrize("transform", ["stl", "es"])
def test_global_model_with_a_seasonal_transform_gives_each_series_its_own_season(transform):
    """Series that start in different months: each one's season is estimated and placed by
    its own dates, so the network only has to learn the (flat) level."""
    starts = {"jan": "2010-01-01", "jul": "2010-07-01"}
    frame = pd.concat([pd.DataFrame({"unique_id": k, "ds": pd.date_range(d, periods=60,
                                                                         freq="MS")})
                       for k, d in starts.items()])
    frame["y"] = 50 + 10 * np.sin(2 * np.pi * (frame["ds"].dt.month - 1) / 12)
    # STL removes this season exactly, es to within a tenth, which a network must learn
    fc = Forecaster(cell="gru", units=[8], dense=(), window=6, transform=transform,
                    epochs=2 if transform == "stl" else 40, verbose=False).fit(frame)
    out = fc.forecast(12)
    for key in starts:
        part = out[out["unique_id"] == key]
        expected = 50 + 10 * np.sin(2 * np.pi * (part["ds"].dt.month.to_numpy() - 1) / 12)
        # even a barely trained network forecasts the season: the transform carries it
        assert np.corrcoef(part["forecast"], expected)[0, 1] > 0.95, key


def test_a_detached_copy_updates_only_its_own_memory_of_the_named_series(tiny_params):
    dates = pd.date_range("2010-01-01", periods=48, freq="MS")
    shape = 1 + 0.2 * np.sin(2 * np.pi * np.arange(48) / 12)
    frame = pd.concat([pd.DataFrame({"unique_id": k, "ds": dates, "y": level * shape})
                       for k, level in (("a", 10.0), ("b", 500.0))])
    fc = Forecaster(transform="log,es", **tiny_params).fit(frame[frame["ds"] < "2013-01-01"])
    reference = copy.deepcopy(fc)
    saved = fc.forecast(2)
    clone = fc.detached(["b"])
    assert clone.series_[0] is fc.series_[0]  # a is shared, not copied
    newer = frame[frame["unique_id"] == "b"].set_index("ds")["y"]
    # a request with made-up values for 2013: the es season filters them in, on the copy only
    moved = clone.forecast(2, y=newer * np.linspace(1, 3, 48), series="b")
    assert moved.index[0] == pd.Timestamp("2014-01-01")
    pd.testing.assert_frame_equal(fc.forecast(2), saved)  # the original did not move
    # and the real 2013 later gives what it gives a model that never saw the made-up one
    np.testing.assert_allclose(fc.forecast(12, y=newer, series="b"),
                               reference.forecast(12, y=newer, series="b"), rtol=1e-12)
    with pytest.raises(RnnkitError, match="unknown series 'c'"):
        fc.detached(["c"])


def test_global_model_takes_series_too_short_for_validation_or_training():
    # like M1: some series barely longer than the window; the network learns from the others
    t = np.arange(120)
    shape = 1 + 0.2 * np.sin(2 * np.pi * t / 12)
    series = {"long": pd.Series(50 * shape), "mid": pd.Series(80 * shape[:40]),
              "short": pd.Series(30 * shape[:14])}
    fc = Forecaster(cell="gru", units=[16], dense=(), window=12, horizon=6, validation=6,
                    epochs=60, dropout=0.0, learning_rate=5e-3, verbose=False).fit(series)
    splits = {s.key: (s.n_train, s.n_fit) for s in fc.series_}
    # long: the last 6 points validate; mid: 40 - 6 < 12 + 6 + 6 would leave room, so it
    # validates too; short: 14 < 12 + 6 gives no training window but can still be forecast
    assert splits == {"long": (114, 120), "mid": (34, 40), "short": (14, 14)}
    got = fc.forecast(6, series="short").to_numpy()
    expected = 30 * (1 + 0.2 * np.sin(2 * np.pi * np.arange(14, 20) / 12))
    assert np.abs(got - expected).max() < 0.1 * 30
    # no validation errors of its own: the others' pooled errors, in its own scale, give it one
    from rnnkit.forecasting.intervals import interval_widths

    short, long = fc.series_state("short"), fc.series_state("long")
    assert short.residuals == []
    widths = interval_widths([short, long], fc.pooled_residuals_, 1, 0.9)[:, 0]
    assert widths[0] == pytest.approx(widths[1] * short.error_scale / long.error_scale)


def test_global_model_pads_series_shorter_than_its_longest_window():
    # like M1 with windows of one and two years: a 16-month series is too short for the
    # 24-month network's window, so its start is padded with its first value
    t = np.arange(120)
    shape = 1 + 0.2 * np.sin(2 * np.pi * t / 12)
    series = {"long": pd.Series(50 * shape), "short": pd.Series(30 * shape[:16])}
    fc = Forecaster(cell="gru", units=[16], dense=(), window=[12, 24], horizon=6,
                    validation=6, epochs=60, dropout=0.0, learning_rate=5e-3,
                    verbose=False).fit(series)
    expected = 30 * (1 + 0.2 * np.sin(2 * np.pi * np.arange(16, 22) / 12))
    got = fc.forecast(6, series="short").to_numpy()
    assert np.abs(got - expected).max() < 0.1 * 30
    # the shortest window is all a short series needs, in predict and update as in fit
    assert len(fc.predict(pd.Series(30 * shape[:16]), series="short")) == 4
    with pytest.raises(RnnkitError, match="at least the last 12 values"):
        fc.update(pd.Series(30 * shape[:11]), series="short")
    # a single series keeps needing its longest window
    with pytest.raises(RnnkitError, match="too short"):
        Forecaster(units=[4], dense=(), window=[6, 24], horizon=6, epochs=1,
                   verbose=False).fit(30 * shape[:30])


def test_global_model_refuses_a_series_shorter_than_the_window():
    series = {"ok": np.arange(1.0, 61.0), "tiny": np.arange(1.0, 9.0)}
    with pytest.raises(RnnkitError, match=r"series 'tiny': needs at least window 12 = 12 "
                                          r"values to be forecast; it has 8"):
        Forecaster(units=[4], dense=(), window=12, epochs=1, verbose=False).fit(series)


def test_validation_as_a_count_of_last_points(seasonal_series, tiny_params):
    fc = Forecaster(**tiny_params | {"validation": 24}).fit(seasonal_series)
    assert (fc.series_state().n_train, len(seasonal_series)) == (72, 96)
    with pytest.raises(RnnkitError, match=r"`validation` must be a fraction in \[0, 1\) or a "
                                          r"whole number of points >= 1; got 1.5"):
        Forecaster(validation=1.5).fit(seasonal_series)
