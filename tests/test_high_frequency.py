"""Hourly data: several seasons inferred from the dates, a seasonal naive on the longest of
them, and calendar inputs computed for every future step, recursive or direct."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rnnkit import Forecaster
from rnnkit.data.series import (
    as_series,
    grid_break,
    infer_frequency,
    load_csv,
    seasons_for,
    uneven_dates,
)
from rnnkit.errors import RnnkitError
from rnnkit.forecasting.calendar import calendar_columns
from rnnkit.forecasting.recursive import Predictor

SMALL = dict(cell="gru", units=[6], dense=(), window=24, epochs=2, verbose=False)


@pytest.fixture
def hourly() -> pd.Series:
    """Five weeks of hours: a daily and a weekly cycle, noise."""
    index = pd.date_range("2024-03-04", periods=24 * 35, freq="h", name="time")
    hour, day = index.hour.to_numpy(), index.dayofweek.to_numpy()
    rng = np.random.default_rng(1)
    values = (100 + 20 * np.sin(2 * np.pi * hour / 24) - 15 * (day >= 5)
              + rng.normal(0, 1, len(index)))
    return pd.Series(values, index=index, name="load")


@pytest.mark.parametrize("freq, seasons", [("h", (24, 168)), ("30min", (48, 336)),
                                           ("D", (7, 365)), ("W-SUN", (52,)), ("MS", (12,)),
                                           ("QS", (4,)), (None, (1,))])
def test_the_frequency_gives_the_seasons(freq, seasons):
    assert seasons_for(freq) == seasons


def test_hourly_data_gets_two_seasons_and_both_seasonal_naives(hourly):
    fc = Forecaster(**SMALL).fit(hourly[:-48])
    state = fc.series_state()
    assert (state.season_length, state.seasons) == (24, (24, 168))
    assert fc.schema_.seasons == (24, 168)
    models = fc.evaluate(hourly).metrics.index.tolist()
    assert models == ["GRU", "naive", "seasonal naive", "seasonal naive 168"]
    given = Forecaster(**SMALL, season_length=[168, 24]).fit(hourly[:-48])
    assert given.series_state().seasons == (24, 168)  # shortest first, whatever the order


def test_calendar_inputs_are_on_below_a_day_and_follow_the_forecast_dates(hourly,
                                                                          monkeypatch):
    fc = Forecaster(**SMALL).fit(hourly)
    assert fc.calendar_ == ("hour", "weekday")
    assert fc.feature_names_[-4:] == ("calendar:hour_sin", "calendar:hour_cos",
                                      "calendar:weekday_sin", "calendar:weekday_cos")
    assert fc.schema_.features == ()  # a user gives none of them
    futures = []
    paths = Predictor.paths

    def capture(self, states, targets, features, steps, future, starts):
        futures.append(future)
        return paths(self, states, targets, features, steps, future, starts)

    monkeypatch.setattr(Predictor, "paths", capture)
    forecast = fc.forecast(30)
    expected = calendar_columns(forecast.index, fc.calendar_)[1]
    np.testing.assert_allclose(futures[-1][0], expected)
    assert str(forecast.index[0]) == "2024-04-08 00:00:00"


def test_direct_forecasts_read_the_calendar_too(hourly, monkeypatch):
    fc = Forecaster(**SMALL | {"window": 12}, horizon=6).fit(hourly)
    futures = []
    paths = Predictor.paths
    monkeypatch.setattr(Predictor, "paths", lambda self, *args: futures.append(args[4])
                        or paths(self, *args))
    forecast = fc.forecast(9)  # one direct chunk of 6, then 3 more from its own forecasts
    np.testing.assert_allclose(futures[-1][0],
                               calendar_columns(forecast.index, fc.calendar_)[1])


def test_calendar_can_be_turned_off_or_asked_for_coarser_data(hourly, seasonal_series):
    assert Forecaster(**SMALL, calendar=False).fit(hourly).calendar_ == ()
    monthly = Forecaster(**SMALL | {"window": 6}).fit(seasonal_series)
    assert monthly.calendar_ == ()
    asked = Forecaster(**SMALL | {"window": 6}, calendar=True).fit(seasonal_series)
    assert asked.calendar_ == ("yearday",)
    with pytest.raises(Exception, match="needs dated data"):
        Forecaster(**SMALL | {"window": 6}, calendar=True).fit(seasonal_series.to_numpy())


def test_own_features_are_held_beside_the_calendar_when_their_future_is_not_given(hourly):
    X = pd.DataFrame({"temperature": np.linspace(10, 20, len(hourly))}, index=hourly.index)
    fc = Forecaster(**SMALL).fit(hourly, X=X)
    with pytest.warns(UserWarning, match=r"held at their last observed values "
                                         r"\(temperature=20\)"):
        held = fc.forecast(5)
    given = fc.forecast(5, X_future=pd.DataFrame({"temperature": [20.0] * 5}))
    pd.testing.assert_series_equal(held, given)


def test_a_model_with_calendar_inputs_saves_and_forecasts_the_same(hourly, tmp_path):
    fc = Forecaster(**SMALL).fit(hourly[:-24])
    loaded = Forecaster.load(fc.save(tmp_path / "m"))
    assert loaded.calendar_ == fc.calendar_
    pd.testing.assert_series_equal(loaded.forecast(10), fc.forecast(10))
    pd.testing.assert_series_equal(loaded.predict(hourly), fc.predict(hourly))


def _forecast_cli(tmp_path, hourly, *options: str) -> int:
    """``rnnkit forecast`` on ``hourly`` as a CSV, one epoch, 24 hours, into tmp_path/run."""
    from rnnkit.cli import main

    path = tmp_path / "load.csv"
    hourly.to_frame().to_csv(path)
    return main(["forecast", "--csv", str(path), "--target", "load", "--time", "time",
                 *options, "--dense", "", "--epochs", "1", "--horizon", "24", "--quiet",
                 "--out", str(tmp_path / "run")])


def test_the_cli_takes_several_seasons(tmp_path, hourly, capsys):
    assert _forecast_cli(tmp_path, hourly, "--season", "24,168", "--window", "24",
                         "--units", "4") == 0
    out = capsys.readouterr().out
    assert "seasonal naive 168" in out
    assert "MSTL + ETS, statsforecast's model for data with several seasons, is not in this "\
           "table; add --statistical" in out


def test_mstl_removes_both_seasons_and_inverts_exactly(hourly):
    from rnnkit.data.transforms import TransformChain

    chain = TransformChain.parse("log,mstl", (24, 168))
    assert chain.spec == "log,mstl24x168" and chain.positional
    values = hourly.to_numpy()
    train = values[:24 * 28]
    z = chain.fit(train).transform(values)
    # what is left has no daily cycle: hour-of-day means lie close together
    left = pd.Series(z[:len(train)]).groupby(hourly.index.hour[:len(train)]).mean()
    raw = pd.Series(np.log(train)).groupby(hourly.index.hour[:len(train)]).mean()
    assert left.std() < 0.1 * raw.std()
    # inverted exactly inside and beyond the training part, one step or several ahead
    positions = np.arange(24 * 27, len(values))
    np.testing.assert_allclose(chain.inverse_one_step(z[positions], values, positions),
                               values[positions], rtol=1e-12)
    ahead = chain.inverse_next(z[len(train):len(train) + 30], values[:len(train)])
    np.testing.assert_allclose(ahead, values[len(train):len(train) + 30], rtol=1e-12)
    again = TransformChain.from_dict(chain.to_dict())
    np.testing.assert_array_equal(again.transform(values), z)


def test_a_forecaster_with_mstl_takes_the_seasons_from_the_dates(hourly, tmp_path):
    fc = Forecaster(**SMALL, transform="log,mstl").fit(hourly[:-48])
    assert fc.series_state().chain.spec == "log,mstl24x168"
    loaded = Forecaster.load(fc.save(tmp_path / "m"))
    pd.testing.assert_series_equal(loaded.forecast(60), fc.forecast(60))
    assert fc.split_plan(hourly, test=48).transform == "log,mstl24x168"


def test_compare_adds_mstl_with_ets_for_several_seasons(hourly):
    pytest.importorskip("statsforecast")
    from rnnkit.compare import compare_forecasters

    settings = {k: v for k, v in SMALL.items() if k != "cell"} | {"epochs": 1}
    runs = compare_forecasters(hourly[-24 * 21:], cells="gru", seeds=1, test=24, **settings)
    baselines = runs[runs["kind"] == "baseline"]["model"].tolist()
    assert "MSTL+ETS" in baselines and "seasonal naive 168" in baselines
    assert runs.loc[runs["model"] == "MSTL+ETS", "RMSE"].notna().all()


def test_sampled_epochs_reach_every_series_of_a_global_model(monkeypatch):
    """windows_per_epoch draws across series and positions: over a few epochs of a small
    sample, every series of a panel lends windows, in proportion to its length."""
    import rnnkit.training

    lengths = [30, 60, 90, 120, 150]
    rng = np.random.default_rng(2)
    panel = pd.concat([pd.DataFrame({"unique_id": f"s{k}", "ds": np.arange(n),
                                     "y": 10 + rng.normal(0, 1, n).cumsum()})
                       for k, n in enumerate(lengths)], ignore_index=True)
    drawn: list[int] = []
    real = rnnkit.training._batches

    def recording(*args):
        batches = real(*args)
        if args[2] is not None:  # a training epoch's draw (validation keeps its order)
            drawn.extend(int(i) for b in batches for i in b)
        return batches

    monkeypatch.setattr(rnnkit.training, "_batches", recording)
    window = 6
    Forecaster(cell="gru", units=[4], dense=(), window=window, epochs=25, validation=0,
               transform="none", windows_per_epoch=16, verbose=False).fit(panel)
    assert len(drawn) == 25 * 16
    # the series' windows lie one after another, in the order of their ids
    edges = np.cumsum([0] + [n - window for n in lengths])
    counts = np.histogram(drawn, bins=edges)[0]
    assert (counts > 0).all()  # every series was trained on
    assert counts[-1] > counts[0]  # longer series lend more windows


def test_es_with_two_seasons_chains_a_smoother_for_each_and_inverts_exactly(hourly):
    from rnnkit.data.transforms import TransformChain

    chain = TransformChain.parse("log,es", (24, 168))
    assert chain.spec == "log,es24,es168"
    values = hourly.to_numpy()
    train = values[:24 * 28]
    z = chain.fit(train).extend(values).transform(values)
    # the weekend dip and the daily cycle are both smoothed away, causally
    hours = hourly.index.hour[24 * 14:len(train)]
    left = pd.Series(z[24 * 14:len(train)]).groupby(hours).mean()
    raw = pd.Series(np.log(train[24 * 14:])).groupby(hours).mean()
    assert left.std() < 0.2 * raw.std()
    positions = np.arange(24 * 27, len(values))
    np.testing.assert_allclose(chain.inverse_one_step(z[positions], values, positions),
                               values[positions], rtol=1e-12)
    ahead = chain.inverse_next(z[len(train):len(train) + 5], values[:len(train)])
    np.testing.assert_allclose(ahead[:1], values[len(train):len(train) + 1], rtol=1e-12)
    fc = Forecaster(**SMALL, transform="log,es").fit(hourly[:-48])
    assert fc.series_state().chain.spec == "log,es24,es168"


def test_a_dilated_forecaster_reaches_a_day_back_saves_and_runs_from_the_cli(hourly, tmp_path):
    """``dilations=[1, 24]``: the second layer reads each hour of the day as a chain across
    days; the model saves and forecasts the same, the CLI takes ``--dilations``, and a count
    that does not match the layers is one clear error naming the argument."""
    from rnnkit.errors import RnnkitError

    fc = Forecaster(**SMALL | dict(units=[6, 5], dilations=[1, 24], window=72)).fit(
        hourly[:-24])
    assert [layer.dilation for layer in fc.network_.recurrent] == [1, 24]
    loaded = Forecaster.load(fc.save(tmp_path / "m"))
    pd.testing.assert_series_equal(loaded.forecast(30), fc.forecast(30))
    assert np.isfinite(fc.forecast(30)).all()
    with pytest.raises(RnnkitError, match=r"`dilations` gives one per recurrent layer: 2"):
        Forecaster(**SMALL | dict(units=[6, 5], dilations=[24])).fit(hourly)
    assert _forecast_cli(tmp_path, hourly, "--window", "48", "--units", "4,4",
                         "--dilations", "1,24") == 0
    assert [layer.dilation for layer in Forecaster.load(tmp_path / "run").network_.recurrent
            ] == [1, 24]


def test_local_times_with_their_utc_offsets_are_read_evenly_spaced_in_utc(tmp_path):
    # the clocks go forward on 28 March 2021: the offset changes from +00:00 to +01:00, and
    # pandas refuses the mix unless told to read it in UTC
    instants = pd.date_range("2021-03-27", periods=72, freq="h", tz="UTC")
    path = tmp_path / "local.csv"
    pd.DataFrame({"time": instants.tz_convert("Europe/London"),
                  "load": np.arange(72.0) + 1}).to_csv(path, index=False)
    assert "+01:00" in path.read_text()
    data, _ = load_csv(path, "load", "time")
    assert data.index.equals(pd.DatetimeIndex(instants, name="time"))
    assert infer_frequency(data.index) == "h"


def test_a_clock_change_in_local_times_is_named_by_its_row(hourly):
    # clock times with no offset skip 02:00 when summer time starts: the dates are uneven,
    # and the warning says where and why instead of only that rows are read as steps
    local = hourly[hourly.index != pd.Timestamp("2024-03-31 02:00")]
    with pytest.warns(UserWarning, match=r"row 650 \(2024-03-31 03:00:00\) comes after "
                                         r"2024-03-31 01:00:00, where most dates step by 'h' "
                                         r"\(local clock times skip an hour"):
        fc = Forecaster(**SMALL).fit(local)
    assert fc.schema_.seasons == (1,)


def test_a_missing_month_is_named_without_talk_of_clocks(seasonal_series):
    gappy = seasonal_series.drop(seasonal_series.index[30])
    message = str(uneven_dates(as_series(gappy), season_given=False))
    assert "row 30 (2002-08-01) comes after 2002-06-01, where most dates step by 'MS'" in (
        message)
    assert "clock" not in message and "season_length" in message
    assert "season_length" not in str(uneven_dates(as_series(gappy), season_given=True))
    assert uneven_dates(as_series(seasonal_series.reset_index(drop=True)), False) is None
    scattered = pd.DatetimeIndex(np.sort(np.random.default_rng(0).choice(10**6, 40,
                                                                          replace=False)) * 10**9)
    assert grid_break(scattered) is None  # no stretch of them has a frequency


def test_evaluate_can_score_mstl_with_ets_on_the_same_points(hourly, capsys):
    pytest.importorskip("statsforecast")
    from rnnkit.baselines import statistical_one_step

    fc = Forecaster(**SMALL).fit(hourly[:-12])
    ev = fc.evaluate(hourly, statistical=True)
    assert list(ev.metrics.index) == [fc.model_name, "naive", "seasonal naive",
                                      "seasonal naive 168", "MSTL+ETS"]
    expected = statistical_one_step(hourly, 12, 24, "h", ("MSTL+ETS",), (24, 168))
    np.testing.assert_array_equal(ev.predictions["MSTL+ETS"].to_numpy(),
                                  expected["MSTL+ETS"][0])
    assert "MSTL+ETS" not in fc.evaluate(hourly).metrics.index  # only when asked: it is slow
    panel = pd.concat({"a": hourly, "b": hourly * 2}, names=["unique_id", "ds"]).rename("y")
    several = Forecaster(**SMALL).fit(panel.reset_index().groupby("unique_id").head(24 * 30))
    with pytest.raises(RnnkitError, match="`statistical` baselines are scored for one series"):
        several.evaluate(panel.reset_index(), statistical=True)
    with pytest.raises(RnnkitError, match="`statistical` must be True or False; got 'yes'"):
        fc.evaluate(hourly, statistical="yes")


def test_statistical_with_several_series_is_refused_before_training(tmp_path, hourly, capsys,
                                                                    monkeypatch):
    import rnnkit.forecasting.forecaster as forecaster

    def no_training(*args, **kwargs):
        raise AssertionError("trained before refusing the options")

    monkeypatch.setattr(forecaster.Forecaster, "fit", no_training)
    assert _forecast_cli(tmp_path, hourly, "--id", "load", "--statistical") == 2
    assert "--statistical scores statsforecast's models for one series" in (
        capsys.readouterr().err)
