import json
import shutil
import subprocess
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest

from rnnkit.cli import main
from rnnkit.compare import compare, compare_classifiers, format_summary, summarize, write_report
from rnnkit.data.text_datasets import TextDataset
from rnnkit.errors import RnnkitError

SMALL = dict(units=[6], dense=(), window=12, epochs=4, batch_size=16, verbose=False)


@pytest.fixture(scope="module")
def forecast_runs():
    t = np.arange(96)
    y = pd.Series(100 + t + 10 * np.sin(2 * np.pi * t / 12),
                  index=pd.date_range("2000-01-01", periods=96, freq="MS"), name="sales")
    return compare(y, cells="rnn,gru", seeds=2, test=12, **SMALL)


def test_every_model_and_baseline_is_scored_on_the_same_points(forecast_runs):
    details = forecast_runs.attrs["details"]
    index = details["actual"].index
    assert len(index) == 12 and index[0] == pd.Timestamp("2007-01-01")
    assert set(details["predictions"]) == {
        "SimpleRNN seed 0", "SimpleRNN seed 1", "GRU seed 0", "GRU seed 1",
        "naive", "seasonal naive", "ETS", "Theta", "ARIMA"}
    for name, pred in details["predictions"].items():
        assert pred.index.equals(index), name
    # each row's RMSE is recomputable from its predictions on those points
    actual = details["actual"].to_numpy()
    for row in forecast_runs.itertuples():
        key = row.model if row.kind == "baseline" else f"{row.model} seed {row.seed}"
        pred = details["predictions"][key].to_numpy()
        assert pytest.approx(np.sqrt(np.mean((pred - actual) ** 2))) == row.RMSE


def test_seed_spread_is_what_the_summary_reports(forecast_runs):
    summary = summarize(forecast_runs).set_index("model")
    gru = forecast_runs[forecast_runs["model"] == "GRU"]["RMSE"]
    assert gru.iloc[0] != gru.iloc[1]  # different seeds, different networks
    assert summary.loc["GRU", "RMSE"] == pytest.approx(gru.mean())
    assert summary.loc["GRU", "RMSE std"] == pytest.approx(gru.std(ddof=1))
    assert summary.loc["ARIMA", "runs"] == 1 and summary.loc["ARIMA", "RMSE std"] == 0
    assert list(summary["RMSE"]) == sorted(summary["RMSE"])  # best first


class _Resources(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.sources = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.sources += [v for k, v in attrs if k in ("src", "href")]


def test_report_is_self_contained_and_complete(tmp_path, forecast_runs):
    files = write_report(forecast_runs, tmp_path, command="rnnkit compare --seeds 2")
    page = files["report"].read_text()
    parser = _Resources()
    parser.feed(page)
    assert parser.tags.count("img") == 3 and "table" in parser.tags
    assert parser.sources and all(s.startswith("data:image/png;base64,") for s in parser.sources)
    assert "script" not in parser.tags and "link" not in parser.tags
    for text in ("rnnkit compare --seeds 2", "&quot;torch&quot;", "ARIMA", "(baseline)",
                 "&quot;seeds&quot;"):
        assert text in page
    payload = json.loads(files["json"].read_text())
    assert len(payload["runs"]) == len(forecast_runs) and payload["versions"]["rnnkit"]
    assert pd.read_csv(files["results"]).shape[0] == len(forecast_runs)


@pytest.mark.skipif(shutil.which("chromium") is None, reason="headless Chromium is not installed")
def test_report_renders_in_headless_chromium(tmp_path, forecast_runs):
    files = write_report(forecast_runs, tmp_path)
    shot = tmp_path / "shot.png"
    subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu",
                    "--disable-background-networking", f"--screenshot={shot}",
                    "--window-size=1200,2000", files["report"].as_uri()],
                   check=True, capture_output=True, timeout=120)
    assert shot.stat().st_size > 10_000


def test_text_comparison_has_majority_and_tfidf_baselines(tmp_path):
    from test_classifier import FAST, synthetic

    texts, labels = synthetic(300)
    test_texts, test_labels = synthetic(100, seed=9)
    runs = compare_classifiers(TextDataset(texts, labels), TextDataset(test_texts, test_labels),
                               cells=["gru"], seeds=2, **FAST | {"epochs": 3})
    assert list(runs["model"]) == ["GRU", "GRU", "majority class", "TF-IDF + logistic regression"]
    assert runs.loc[3, "accuracy"] > 0.9  # the keyword rule is easy for a linear model
    files = write_report(runs, tmp_path)
    assert files["confusions"].is_file()
    summary = summarize(runs)
    assert summary.iloc[0]["accuracy"] == summary["accuracy"].max()


def test_bad_cells_and_seeds():
    with pytest.raises(RnnkitError, match="`cells` must be a non-empty list of rnn, lstm, gru"):
        compare(np.arange(50.0), cells="lstm,transformer")
    with pytest.raises(RnnkitError, match="`seeds` must be a positive integer"):
        compare(np.arange(50.0), seeds=0)


def test_compare_cli(tmp_path, capsys):
    out = tmp_path / "cmp"
    assert main(["compare", "--cells", "gru", "--seeds", "2", "--units", "4", "--dense", "",
                 "--epochs", "2", "--quiet", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "ARIMA (baseline)" in printed and "GRU" in printed and "±" in printed
    assert (out / "report.html").is_file() and (out / "bars.png").is_file()


def test_summary_table_gives_each_column_one_number_of_decimals():
    summary = pd.DataFrame({
        "model": ["SimpleRNN", "LSTM", "naive"], "kind": ["network", "network", "baseline"],
        "runs": [3, 3, 1], "params": [8430.0, 30414.0, np.nan],
        "RMSE": [18.96, 22.4, 52.491], "RMSE std": [1.5, 0.84, np.nan],
        "MASE": [0.5121, 0.6176, 1.545], "MASE std": [0.062, 0.028, np.nan],
        "seconds": [0.9, 1.0, 0.0], "epochs": [58.0, 110.0, np.nan]})
    text = format_summary(summary, ["RMSE", "MASE"])
    assert "18.96 ± 1.50" in text and "22.40 ± 0.84" in text and "52.49" in text
    assert "0.512 ± 0.062" in text and "1.545" in text


@pytest.mark.filterwarnings("error")
def test_summary_table_of_a_metric_no_model_has_prints_nan_quietly():
    summary = pd.DataFrame({"model": ["naive"], "kind": ["baseline"], "runs": [1],
                            "params": [np.nan], "MASE": [np.nan], "MASE std": [np.nan],
                            "seconds": [0.0], "epochs": [np.nan]})
    assert "nan" in format_summary(summary, ["MASE"])
