"""HybridForecaster: a statistical forecast (MSTL + ETS) corrected by a recurrent network.
Its base forecasts must never see their own future, its network must start as "no
correction", learn a correction the base model cannot make, and survive a save and load."""

from __future__ import annotations

import copy
import io
import json
import re

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("statsforecast")

from rnnkit import HybridForecaster, load
from rnnkit.errors import LimitError, ModelFormatError, RnnkitError
from rnnkit.forecasting.base_forecasts import _MADE as remembered
from rnnkit.forecasting.base_forecasts import base_forecasts
from rnnkit.models.corrector import Corrector

SMALL = dict(season_length=24, units=8, ensemble=1, epochs=100, patience=10, verbose=False)


def _alternating(days: int = 24) -> pd.Series:
    """Hours with a daily cycle whose level flips every day: a two-day cycle that MSTL with a
    daily season and an ETS level cannot follow, and that yesterday's errors reveal."""
    t = np.arange(24 * days)
    rng = np.random.default_rng(0)
    values = (100 + 10 * np.sin(2 * np.pi * t / 24) + 8 * (-1) ** (t // 24)
              + rng.normal(0, 1, len(t)))
    return pd.Series(values, index=pd.date_range("2024-01-01", periods=len(t), freq="h"))


@pytest.fixture(scope="module")
def fitted() -> HybridForecaster:
    return HybridForecaster(**SMALL).fit(_alternating()[:-72])


def test_a_base_forecast_reads_only_the_values_before_its_origin():
    y = _alternating(10).to_numpy()
    origins = [120, 132, 144, 156]
    paths = base_forecasts(y, origins, horizon=12, seasons=(24,))
    changed = y.copy()
    changed[150:] *= 3  # after the first three origins: their forecasts must not move
    remembered.clear()  # refit them all
    again = base_forecasts(changed, origins, horizon=12, seasons=(24,), n_jobs=2)
    np.testing.assert_array_equal(again[:3], paths[:3])
    assert not np.allclose(again[3], paths[3])


def test_refits_shared_by_processes_land_in_their_rows_with_a_progress_bar(capsys):
    y = _alternating(10).to_numpy()
    origins = list(range(96, 96 + 12 * 20, 12))  # 20 origins: 16 parts, some of two
    remembered.clear()
    alone = base_forecasts(y, origins, horizon=6, seasons=(24,))
    assert capsys.readouterr().err == ""
    remembered.clear()
    shared = base_forecasts(y, origins, horizon=6, seasons=(24,), n_jobs=2, progress=True)
    np.testing.assert_array_equal(shared, alone)
    assert "base model (mstl-ets) refits" in capsys.readouterr().err


def test_a_forecast_made_before_is_remembered_not_refitted(monkeypatch):
    from rnnkit.forecasting import base_forecasts as module

    y = _alternating(10).to_numpy()
    first = base_forecasts(y, [120, 144], horizon=6, seasons=(24,))
    monkeypatch.setattr(module, "_fit_all", lambda *a: pytest.fail("refitted"))
    np.testing.assert_array_equal(base_forecasts(y, [144, 120], horizon=6, seasons=(24,)),
                                  first[::-1])
    other = y.copy()
    other[100] += 1  # another history before both origins: another forecast
    with pytest.raises(pytest.fail.Exception, match="refitted"):
        base_forecasts(other, [120], horizon=6, seasons=(24,))


def test_the_network_starts_as_no_correction_and_is_counted_as_keras_counts():
    import torch

    net = Corrector("lstm", units=5, window=6, horizon=3, extra=4)
    out = net(torch.randn(2, 6, 2), torch.randn(2, 3), torch.randn(2, 4))
    assert torch.equal(out, torch.zeros(2, 3))
    lstm = 4 * (5 * 2 + 5 * 5 + 5)  # Keras: one bias per gate block
    assert sum(p.numel() for p in net.parameters()) == lstm + 3 * (5 + 3 + 4) + 3 + 3 * 15 + 3


def test_without_a_correction_the_hybrid_is_its_base_model(fitted):

    import torch

    silent = copy.deepcopy(fitted)
    with torch.no_grad():
        for p in silent.network_.parameters():
            p.zero_()
    y = _alternating()[:-48]
    expected = base_forecasts(y.to_numpy(), [len(y)], horizon=24, seasons=(24,))[0]
    np.testing.assert_allclose(silent.forecast(y=y).to_numpy(), expected, rtol=1e-12)


def test_the_correction_weight_scales_the_correction_on_logs(fitted):

    y = _alternating()[:-48]
    base = base_forecasts(y.to_numpy(), [len(y)], horizon=24, seasons=(24,))[0]
    full = fitted.forecast(y=y).to_numpy()
    shrunk = copy.deepcopy(fitted).set_params(correction_weight=0.25).forecast(y=y).to_numpy()
    assert np.abs(np.log(full / base)).max() > 0.01  # there is a correction to shrink
    np.testing.assert_allclose(np.log(shrunk / base), 0.25 * np.log(full / base), atol=1e-9)
    none = copy.deepcopy(fitted).set_params(correction_weight=0.0).forecast(y=y).to_numpy()
    np.testing.assert_allclose(none, base, rtol=1e-12)
    with pytest.raises(RnnkitError, match="correction_weight"):
        copy.deepcopy(fitted).set_params(correction_weight=1.5).forecast(y=y)


def test_it_learns_what_the_base_model_misses(fitted):
    scores = fitted.evaluate(_alternating())
    assert scores.index.tolist() == ["hybrid", "base (mstl-ets)", "seasonal naive 24"]
    assert scores.loc["hybrid", "MAE"] < 0.3 * scores.loc["base (mstl-ets)", "MAE"]
    assert fitted.base_scores_["hybrid MAE"] < 0.3 * fitted.base_scores_["base MAE"]
    assert fitted.score(_alternating()) == -scores.loc["hybrid", "MASE"] < 0


def test_the_forecast_follows_the_dates_and_the_horizon_bounds_it(fitted):
    y = _alternating()
    forecast = fitted.forecast(5, y=y)
    assert forecast.index[0] == y.index[-1] + pd.Timedelta(hours=1) and len(forecast) == 5
    assert fitted.shape_["calendar"] == ["hour", "weekday"] and fitted.n_extra_ == 4
    with pytest.raises(RnnkitError, match=r"`steps` must be an integer from 1 to the horizon "
                                          r"\(24\); got 25"):
        fitted.forecast(25)
    with pytest.raises(RnnkitError, match="forecasting needs at least 72"):
        fitted.forecast(y=y[:50])
    with pytest.raises(RnnkitError, match="values <= 0"):
        fitted.forecast(y=y - 200)
    with pytest.raises(RnnkitError, match=r"reads the calendar \(hour, weekday\): `y` needs "
                                          "its dates"):
        fitted.forecast(y=y.reset_index(drop=True))
    with pytest.raises(RnnkitError, match="fitted on data every h; `y` is every 2h"):
        fitted.forecast(y=y[::2])
    with pytest.raises(RnnkitError, match="`test` must be an integer from the horizon"):
        fitted.evaluate(y, test=3)
    with pytest.raises(LimitError, match=r"`test` asks for 3 forecasts of 24 steps; at most "
                                         r"max_origins \(2\)"):
        copy.deepcopy(fitted).set_params(max_origins=2).evaluate(y, test=72)


def test_a_long_series_trains_on_its_most_recent_origins_only(monkeypatch):
    seen = []
    original = HybridForecaster._samples

    def spy(self, level, origins, *args, **kwargs):
        seen.append(list(origins))
        return original(self, level, origins, *args, **kwargs)

    monkeypatch.setattr(HybridForecaster, "_samples", spy)
    y = _alternating()
    HybridForecaster(**SMALL | {"epochs": 2, "max_origins": 8}).fit(y)
    step = 24 // 4
    assert seen[0] == list(range(len(y) - 24 - 7 * step, len(y) - 24 + 1, step))


def test_missing_values_are_refused_by_row_or_filled_as_asked(fitted):
    y = _alternating()[:-48]
    gappy = y.copy()
    gappy.iloc[500] = np.nan
    with pytest.raises(RnnkitError, match=r"missing values.*fill='ffill'"):
        fitted.forecast(y=gappy)
    filled = copy.deepcopy(fitted).set_params(fill="interpolate").forecast(y=gappy)
    np.testing.assert_allclose(filled, fitted.forecast(y=gappy.interpolate()), rtol=1e-12)
    with pytest.raises(RnnkitError, match="missing values"):
        HybridForecaster(**SMALL | {"epochs": 1}).fit(gappy)
    trained = HybridForecaster(**SMALL | {"epochs": 1, "fill": "ffill"}).fit(gappy)
    np.testing.assert_array_equal(trained.history_values_, gappy.ffill().to_numpy())


def test_uneven_dates_are_named_not_silently_read_as_steps():
    y = _alternating()
    with pytest.warns(UserWarning, match=r"not evenly spaced: row 300 .* where most dates "
                                         r"step by 'h'"):
        HybridForecaster(**SMALL | {"epochs": 1, "max_origins": 8}).fit(y.drop(y.index[300]))


def test_settings_that_cannot_work_are_refused_before_any_fit():
    y = _alternating()
    with pytest.raises(RnnkitError, match="`origin_step` must divide the horizon"):
        HybridForecaster(season_length=24, origin_step=5, verbose=False).fit(y)
    with pytest.raises(RnnkitError, match="needs at least"):
        HybridForecaster(season_length=24, verbose=False).fit(y[:100])
    with pytest.raises(LimitError, match=r"needs 250 refits of the base model .* at most 5 × "
                                         r"max_origins = 50\. Raise origin_step"):
        HybridForecaster(season_length=24, window=240, origin_step=1, max_origins=10,
                         verbose=False).fit(y)
    with pytest.raises(RnnkitError, match="`base` must be one of"):
        HybridForecaster(base="prophet").fit(y)
    with pytest.raises(RnnkitError, match="reads no feature columns: `X` must be None"):
        HybridForecaster(season_length=24, verbose=False).fit(y, X=y)


def test_a_saved_hybrid_forecasts_the_same_and_a_tampered_one_is_refused(fitted, tmp_path):
    y = _alternating()
    path = fitted.save(tmp_path / "hybrid")
    loaded = load(str(path))
    assert isinstance(loaded, HybridForecaster)
    pd.testing.assert_series_equal(loaded.forecast(y=y), fitted.forecast(y=y))
    with pytest.raises(RnnkitError, match="pass `y`"):
        loaded.forecast()
    config = json.loads((path / "config.json").read_text())
    config["network"]["units"] = 4096
    (path / "config.json").write_text(json.dumps(config))
    with pytest.raises(ModelFormatError):
        HybridForecaster.load(path)


def test_a_loaded_shape_is_checked(fitted):
    from rnnkit.forecasting.hybrid_files import _checked_shape

    shape = dict(fitted.shape_)
    assert _checked_shape(shape) == shape
    for bad in ({"horizon": 10**9}, {"origin_step": 7}, {"calendar": ["moon"]},
                {"seasons": "24"}, {"freq": 3}):
        with pytest.raises((ValueError, RnnkitError)):
            _checked_shape(shape | bad)
    with pytest.raises(ValueError, match="must hold"):
        _checked_shape({k: v for k, v in shape.items() if k != "freq"})


def test_the_command_fits_scores_forecasts_and_saves(tmp_path, capsys):
    from rnnkit.cli import main

    y = _alternating(16)
    csv = tmp_path / "load.csv"
    y.rename("load").rename_axis("time").to_csv(csv)
    out = tmp_path / "run"
    argv = ["hybrid", "--csv", str(csv), "--target", "load", "--time", "time", "--test", "48",
            "--season", "24", "--units", "4", "--ensemble", "1", "--epochs", "3", "--quiet",
            "--out", str(out)]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "2 forecasts of 24 steps over the test part" in printed
    assert "seasonal naive 24" in printed
    assert "hybrid beats the best baseline" in printed or "hybrid LOSES to" in printed
    assert (f"rnnkit predict {out} --csv {csv} --target load --time time") in printed
    assert {p.name for p in out.iterdir()} >= {"config.json", "forecast.csv", "forecast.png",
                                               "metrics.csv"}
    forecast = pd.read_csv(out / "forecast.csv", index_col=0, parse_dates=True)
    assert len(forecast) == 24 and forecast.index[0] == y.index[-1] + pd.Timedelta(hours=1)
    assert isinstance(load(str(out)), HybridForecaster)
    assert main([*argv[:-2], "--origin-step", "5", "--out", str(tmp_path / "bad")]) == 2
    assert "rnnkit: error: `origin_step` must divide the horizon" in capsys.readouterr().err


def test_a_saved_hybrid_through_every_front_end(fitted, tmp_path, capsys):
    """predict forecasts from the series given; summary shows the corrector; export, explain
    and serve refuse it by name instead of a traceback."""
    from rnnkit.cli import main
    from rnnkit.serve import load_model

    fitted.save(tmp_path / "model")
    y = _alternating()[:-48]
    csv = tmp_path / "recent.csv"
    y.rename("load").rename_axis("time").to_csv(csv)
    model, recent = str(tmp_path / "model"), ["--csv", str(csv), "--target", "load"]
    assert main(["predict", model, *recent, "--time", "time", "--horizon", "5"]) == 0
    printed = pd.read_csv(io.StringIO(capsys.readouterr().out), parse_dates=["time"])
    assert printed.columns.tolist() == ["time", "forecast"]
    np.testing.assert_allclose(printed["forecast"], fitted.forecast(5, y=y), rtol=1e-9)
    assert printed["time"].iloc[0] == y.index[-1] + pd.Timedelta(hours=1)
    for argv, message in [
            (["predict", model], "is a hybrid: it forecasts from the series up to"),
            (["predict", model, *recent, "--level", "0.9"], "no prediction intervals"),
            (["predict", model, *recent, "--horizon", "25"],
             r"from 1 to the hybrid's horizon \(24\)"),
            (["export", model], "cannot be exported to ONNX"),
            (["explain", model], "explain reads the gates of a Forecaster")]:
        assert main(argv) == 2, argv
        assert re.search(message, capsys.readouterr().err), argv
    assert main(["summary", model]) == 0
    summary = capsys.readouterr().out
    assert "refitted every 6 steps, corrected by:" in summary
    assert f"Total params: {sum(p.numel() for p in fitted.network_.parameters()):,}" in summary
    with pytest.raises(RnnkitError, match="rnnkit serve does not answer with yet"):
        load_model(model)
