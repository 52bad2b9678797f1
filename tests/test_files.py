"""Many series from files: one Parquet file, a folder of CSV files and a glob give the same
series as the same data in memory, for the library and for `rnnkit forecast --id`."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rnnkit import Forecaster
from rnnkit.data.files import read_long_files
from rnnkit.data.series import as_collection
from rnnkit.errors import RnnkitError

pytest.importorskip("pyarrow")


@pytest.fixture
def panel() -> pd.DataFrame:
    rng = np.random.default_rng(5)
    parts = []
    for key, n in (("north", 40), ("south", 52), ("west", 46)):
        t = np.arange(n)
        parts.append(pd.DataFrame({
            "unique_id": key, "ds": pd.date_range("2016-01-01", periods=n, freq="MS"),
            "y": 30 + 4 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 0.3, n)}))
    return pd.concat(parts, ignore_index=True)


def _same(found, expected) -> None:
    assert [key for key, _ in found] == [key for key, _ in expected]
    for (_, a), (_, b) in zip(found, expected, strict=True):
        # CSV text keeps 15-17 significant digits (pandas writes the shortest round-trip repr
        # of most values, not all): equal to the last bit or two
        np.testing.assert_allclose(a.target, b.target, rtol=1e-15, atol=0)
        assert a.index.equals(b.index)


def test_parquet_a_csv_folder_and_a_glob_equal_the_frame_in_memory(panel, tmp_path):
    expected, _ = as_collection(panel)
    panel.sample(frac=1, random_state=0).to_parquet(tmp_path / "all.parquet")  # any row order
    folder = tmp_path / "csv"
    folder.mkdir()
    for key, part in panel.groupby("unique_id"):
        part.to_csv(folder / f"{key}.csv", index=False)
    halves = tmp_path / "halves"
    halves.mkdir()
    panel.iloc[::2].to_parquet(halves / "part-0.parquet")  # a series may span files
    panel.iloc[1::2].to_parquet(halves / "part-1.parquet")
    for source in (tmp_path / "all.parquet", folder, str(halves / "part-*.parquet")):
        _same(read_long_files(source), expected)


def test_a_forecaster_fits_files_as_it_fits_the_frame(panel, tmp_path):
    panel.to_parquet(tmp_path / "panel.parquet")
    settings = dict(cell="gru", units=[4], dense=(), window=6, epochs=2, verbose=False)
    from_frame = Forecaster(**settings).fit(panel).forecast(3)
    from_file = Forecaster(**settings).fit(str(tmp_path / "panel.parquet")).forecast(3)
    pd.testing.assert_frame_equal(from_file, from_frame)


def test_file_errors_name_the_file(panel, tmp_path):
    panel.rename(columns={"y": "sales"}).to_parquet(tmp_path / "bad.parquet")
    with pytest.raises(RnnkitError, match=r"no column 'y' in '.*bad.parquet'; available "
                                          r"columns: unique_id, ds, sales"):
        read_long_files(tmp_path / "bad.parquet")
    with pytest.raises(RnnkitError, match="names no data file"):
        read_long_files(tmp_path / "nothing-*.parquet")
    broken = panel.astype({"ds": object})
    broken.loc[3, "ds"] = "not a date"
    (tmp_path / "csv").mkdir()
    broken.to_csv(tmp_path / "csv" / "b.csv", index=False)
    with pytest.raises(RnnkitError, match=r"b\.csv line 5"):
        read_long_files(tmp_path / "csv")


def test_forecast_id_reads_a_folder_of_parquet_files(panel, tmp_path, capsys):
    from rnnkit.cli import main

    folder = tmp_path / "parts"
    folder.mkdir()
    for key, part in panel.groupby("unique_id"):
        part.to_parquet(folder / f"{key}.parquet")
    out = tmp_path / "run"
    assert main(["forecast", "--csv", str(folder), "--id", "unique_id", "--target", "y",
                 "--time", "ds", "--window", "6", "--units", "4", "--dense", "",
                 "--epochs", "2", "--horizon", "3", "--quiet", "--out", str(out)]) == 0
    assert "3 series" in capsys.readouterr().out
    forecast = pd.read_csv(out / "forecast.csv")
    assert sorted(forecast["unique_id"].unique()) == ["north", "south", "west"]


@pytest.mark.parametrize("dated", [True, False])
def test_a_clean_column_checked_at_once_gives_what_each_series_checked_alone_gives(panel,
                                                                                 dated):
    """Reading many series checks a clean target column once; the series (values, order,
    index, row names) equal those of the per-series check (``fill`` takes that path), and a
    date repeated within a series is still refused naming the series and the row."""
    from rnnkit.data.series import long_series

    frame = panel.sample(frac=1.0, random_state=0)  # rows in any order
    if not dated:
        frame = frame.assign(ds=frame.groupby("unique_id").cumcount() * 10)
    at_once, alone = long_series(frame), long_series(frame, fill="ffill")
    assert [k for k, _ in at_once] == [k for k, _ in alone] == ["north", "south", "west"]
    for (_, fast), (_, slow) in zip(at_once, alone, strict=True):
        np.testing.assert_array_equal(fast.target, slow.target)
        assert fast.index.equals(slow.index) and fast.index.name == slow.index.name
        assert (fast.target_name, fast.feature_names, fast.features.shape) == (
            slow.target_name, slow.feature_names, slow.features.shape)
        assert fast.describe(3) == slow.describe(3)
    repeated = pd.concat([panel, panel.iloc[[45]]], ignore_index=True)
    with pytest.raises(RnnkitError, match=r"series 'south'.*repeats at row"):
        long_series(repeated)


def test_series_prepared_in_other_processes_give_the_same_model(monkeypatch):
    """n_jobs=2 prepares the series in two processes: the same forecasts and intervals, the
    same warnings (here: one series' uneven dates), and a mistake still names its series."""
    import concurrent.futures
    import warnings

    import rnnkit.forecasting.fitting as fitting

    monkeypatch.setattr(fitting, "PROBE_SERIES", 3)  # 3 series here, 9 in 2 processes
    monkeypatch.setattr(fitting, "PARALLEL_SERIES_SECONDS", 0.0)  # however quick they are
    monkeypatch.setattr(fitting, "PARALLEL_TOTAL_SECONDS", 0.0)
    pools = []

    class Counted(concurrent.futures.ProcessPoolExecutor):
        def __init__(self, workers, **kwargs):
            pools.append(workers)
            super().__init__(workers, **kwargs)

    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", Counted)
    rng = np.random.default_rng(0)
    frames = []
    for k in range(12):
        dates = pd.date_range("2015-01-01", periods=40 + k, freq="MS")
        if k == 7:
            dates = dates[:-1].append(pd.DatetimeIndex([dates[-1] + pd.Timedelta(days=3)]))
        frames.append(pd.DataFrame({"unique_id": f"s{k:02d}", "ds": dates,
                                    "y": 50 + 10 * np.sin(np.arange(40 + k) / 2)
                                    + rng.normal(0, 1, 40 + k)}))
    panel = pd.concat(frames, ignore_index=True)
    settings = dict(cell="gru", units=[4], dense=(), window=6, epochs=2, transform="auto,es",
                    season_length=12, verbose=False)
    found = {}
    for jobs in (None, 2):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fc = Forecaster(n_jobs=jobs, **settings).fit(panel)
        found[jobs] = (fc.forecast(4, level=0.8), [str(w.message) for w in caught])
    assert pools == [2]
    pd.testing.assert_frame_equal(found[2][0], found[None][0])
    assert found[2][1] == found[None][1] and any("'s07'" in m for m in found[2][1])
    bad = panel.copy()
    bad.loc[bad["unique_id"] == "s09", "y"] = -1.0
    with warnings.catch_warnings(), pytest.raises(RnnkitError, match=r"series 's09'.*log"):
        warnings.simplefilter("ignore")
        Forecaster(n_jobs=2, **(settings | {"transform": "log"})).fit(bad)
