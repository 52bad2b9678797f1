import io
import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from rnnkit import Forecaster
from rnnkit.cli import main

FAST = ["--epochs", "3", "--units", "8", "--dense", "", "--quiet"]


@pytest.fixture
def sales_csv(tmp_path):
    t = np.arange(60)
    frame = pd.DataFrame({
        "date": pd.date_range("2015-01-01", periods=60, freq="MS").strftime("%Y-%m-%d"),
        "sales": 200 + 20 * np.sin(2 * np.pi * t / 12) + t,
        "temp": 10 + 5 * np.cos(2 * np.pi * t / 12),
        "price": np.linspace(5, 6, 60),
    })
    path = tmp_path / "sales.csv"
    frame.to_csv(path, index=False)
    return path


def test_forecast_csv_with_features_writes_model_plots_and_tables(tmp_path, sales_csv, capsys):
    out = tmp_path / "runs" / "sales"
    code = main(["forecast", "--csv", str(sales_csv), "--target", "sales", "--time", "date",
                 "--features", "temp,price", "--cell", "gru", "--window", "12", "--horizon", "6",
                 "--out", str(out), *FAST])
    assert code == 0
    captured = capsys.readouterr()
    printed = captured.out
    assert "test 12 (2019-01 .. 2019-12)" in printed
    assert "seasonal naive" in printed and "Total params" in printed
    assert "warning: the future of the feature columns is unknown, so they are held at their " \
           "last observed values" in captured.err
    for name in ("config.json", "weights.safetensors", "preprocessing.json", "metrics.csv",
                 "forecast.csv", "history.csv", "test.png", "forecast.png", "loss.png"):
        assert (out / name).is_file(), name
    metrics = pd.read_csv(out / "metrics.csv", index_col=0)
    assert metrics.index.tolist() == ["GRU", "naive", "seasonal naive"]
    forecast = pd.read_csv(out / "forecast.csv")
    assert forecast["date"].tolist()[0] == "2020-01-01" and len(forecast) == 6


def test_trailing_rows_give_the_features_future(tmp_path, sales_csv, capsys):
    frame = pd.read_csv(sales_csv)
    future = pd.DataFrame({"date": ["2020-01-01", "2020-02-01"], "sales": [np.nan, np.nan],
                           "temp": [1.0, 2.0], "price": [6.0, 6.1]})
    path = tmp_path / "with_future.csv"
    pd.concat([frame, future.astype({"sales": "float64"})]).to_csv(path, index=False)
    out = tmp_path / "m"
    assert main(["forecast", "--csv", str(path), "--target", "sales", "--time", "date",
                 "--features", "temp,price", "--horizon", "2", "--out", str(out), *FAST]) == 0
    assert "held at their last observed values" not in capsys.readouterr().err


def test_predict_csv_and_json(tmp_path, sales_csv, capsys):
    out = tmp_path / "m"
    assert main(["forecast", "--csv", str(sales_csv), "--target", "sales", "--time", "date",
                 "--out", str(out), *FAST]) == 0
    capsys.readouterr()
    recent = tmp_path / "new.csv"
    pd.read_csv(sales_csv).iloc[-24:].to_csv(recent, index=False)
    assert main(["predict", str(out), "--csv", str(recent), "--horizon", "3"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0] == "date,forecast" and lines[1].startswith("2020-01-01,")
    assert len(lines) == 4
    assert main(["predict", str(out), "--format", "json", "--horizon", "2"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["target"] == "sales" and len(payload["forecasts"]) == 2
    assert main(["predict", str(out), "--horizon", "2", "--level", "0.8"]) == 0
    banded = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert banded.columns.tolist() == ["date", "forecast", "lower", "upper"]
    assert (banded["lower"] < banded["forecast"]).all() and (
        banded["forecast"] < banded["upper"]).all()
    assert main(["predict", str(out), "--level", "80"]) == 2
    assert "`--level` must be a number in (0, 1)" in capsys.readouterr().err
    assert main(["summary", str(out)]) == 0
    assert "Trainable params" in capsys.readouterr().out


def test_default_airline_job_runs(tmp_path, capsys):
    out = tmp_path / "airline"
    assert main(["forecast", "--epochs", "2", "--quiet", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "144 values, 1949-01 .. 1960-12" in printed
    assert "test 29 (1958-08 .. 1960-12)" in printed
    assert "LSTM" in printed and "seasonal naive" in printed


@pytest.mark.parametrize("args, message", [
    (["--csv", "{csv}", "--target", "revenue"], "no column 'revenue'"),
    (["--csv", "{csv}"], "--target is required with --csv"),
    (["--window", "0"], "`window` must be a positive integer or a list of positive integers "
                        "(e.g. 12 or [12, 24, 36]), each <= 100,000, at most 100 of them; "
                        "got '0'."),
    (["--units", "64,-2"], "`units` must be a positive integer or a list"),
    (["--epochs", "0"], "`epochs` must be a positive integer; got 0."),
    (["--window", "100"], "the series is too short: 144 values"),
    (["--csv", "{missing}", "--target", "x"], "does not exist"),
    (["--test", "2.5"], "`test` must be a fraction in (0, 1) or a whole number of points"),
    (["--horizon", "0"], "`--horizon` must be a positive integer and <= 100,000; got 0."),
    (["--horizon", "10000000"], "<= 100,000; got 10000000. Pass max_horizon=... "
                                "(--max-horizon) to forecast further."),
    (["--horizon", "50", "--max-horizon", "24"], "`--horizon` must be a positive integer and "
                                                 "<= 24; got 50."),
    (["--units", "8000"], "`units` must be a positive integer or a list of positive integers "
                          "(e.g. 64 or [64, 32]), each <= 4,096, at most 16 of them; got '8000'."),
    (["--level", "90"], "`--level` must be a number in (0, 1); got 90.0."),
])
def test_user_errors_exit_2_with_one_line(tmp_path, sales_csv, capsys, args, message):
    args = [a.format(csv=sales_csv, missing=tmp_path / "nope.csv") for a in args]
    assert main(["forecast", "--quiet", "--out", str(tmp_path / "o"), *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("rnnkit: error: ") and message in err
    assert not (tmp_path / "o").exists()  # nothing half-written


def test_predict_on_a_broken_model_dir_exits_2(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert main(["predict", str(tmp_path / "empty")]) == 2
    assert "missing config.json" in capsys.readouterr().err


def test_no_traceback_in_a_real_process(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("date,sales\n2020-01-01,1\n2020-02-01,oops\n")
    proc = subprocess.run([sys.executable, "-m", "rnnkit", "forecast", "--csv", str(bad),
                           "--target", "sales", "--time", "date"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "non-numeric values at CSV line 3 (2020-02-01) (e.g. 'oops')" in proc.stderr


@pytest.fixture
def reviews_csv(tmp_path):
    from test_classifier import synthetic

    texts, labels = synthetic(300)
    path = tmp_path / "reviews.csv"
    pd.DataFrame({"review": texts, "sentiment": labels}).to_csv(path, index=False)
    return path


TEXT_FAST = ["--num-words", "40", "--maxlen", "16", "--embedding-dim", "8", "--units", "8",
             "--epochs", "3", "--quiet"]


def test_classify_csv_then_predict_texts_and_csv(tmp_path, reviews_csv, capsys):
    out = tmp_path / "clf"
    assert main(["classify", "--csv", str(reviews_csv), "--text-column", "review",
                 "--label-column", "sentiment", "--bidirectional", "--out", str(out),
                 *TEXT_FAST]) == 0
    printed = capsys.readouterr().out
    assert "majority class" in printed and "confusion matrix" in printed
    assert "Bidirectional(LSTM)" in printed
    for name in ("config.json", "weights.safetensors", "preprocessing.json", "metrics.csv",
                 "confusion.csv", "loss.png", "confusion.png"):
        assert (out / name).is_file(), name
    assert main(["predict", str(out), "the film was good", "awful plot"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0] == "text,label,probability,p_neg,p_pos" and len(lines) == 3
    assert main(["predict", str(out), "--csv", str(reviews_csv), "--text-column", "review",
                 "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 300 and {"text", "label", "probability"} <= set(rows[0])


def test_classify_preset_flags_override(tmp_path, reviews_csv, capsys):
    out = tmp_path / "p"
    assert main(["classify", "--csv", str(reviews_csv), "--text-column", "review",
                 "--label-column", "sentiment", "--preset", "imdb-gru8", "--num-words", "50",
                 "--epochs", "1", "--quiet", "--out", str(out)]) == 0
    config = json.loads((out / "config.json").read_text())["params"]
    assert config["cell"] == "gru" and config["num_words"] == 50 and config["maxlen"] == 100


@pytest.mark.parametrize("args, message", [
    (["--label-column", "label"], "--label-column: no column 'label'"),
    (["--label-column", "review"], "--test 0.2 leaves no text for testing"),
    (["--maxlen", "1"], "`maxlen` must be 'auto' or None or an integer >= 2; got 1."),
    (["--num-words", "2"], "`num_words` must be 'auto' or an integer >= 4 and <= 2,000,000; "
                           "got 2."),
    (["--pooling", "max,median"], "`pooling` must be one or more of 'last', 'max', 'mean', "
                                  "'attention' joined by commas (e.g. 'last,max'); "
                                  "got 'max,median'."),
    (["--embedding-dropout", "1"], "`embedding_dropout` must be"),
    (["--weight-decay", "-0.1"], "`weight_decay` must be"),
    (["--ngrams", "3"], "`ngrams` must be an integer >= 0 and <= 2; got 3."),
    (["--ngram-buckets", "0"], "`ngram_buckets` must be a positive integer and <= 16,777,216; "
                               "got 0."),
    (["--ngram-dropout", "-1"], "`ngram_dropout` must be"),
    (["--num-words", "1000000000"], "`num_words` must be 'auto' or an integer >= 4 and <= "
                                    "2,000,000; got 1000000000."),
    (["--token-pattern", "(a+)+$"], "`token_pattern` must be a regular expression that cannot "
                                    "backtrack catastrophically; got '(a+)+$'. A repeated part "
                                    "may not hold another repetition"),
    (["--token-pattern", "([a-z]"], "`token_pattern` must be a valid regular expression; got "
                                    "'([a-z]'. (missing ), unterminated subpattern"),
])
def test_classify_user_errors(tmp_path, reviews_csv, capsys, args, message):
    out = tmp_path / "o"
    base = ["classify", "--csv", str(reviews_csv), "--text-column", "review",
            "--label-column", "sentiment", "--quiet", "--epochs", "1", "--out", str(out)]
    code = main([*base, *args])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("rnnkit: error: ")
    assert message in err
    assert not out.exists()


def test_predict_text_model_without_texts(tmp_path, reviews_csv, capsys):
    out = tmp_path / "m"
    main(["classify", "--csv", str(reviews_csv), "--text-column", "review",
          "--label-column", "sentiment", "--out", str(out), *TEXT_FAST])
    capsys.readouterr()
    assert main(["predict", str(out)]) == 2
    assert "give texts to classify" in capsys.readouterr().err


def test_compare_texts_keeps_preset_values_that_flags_leave_out(tmp_path, reviews_csv):
    out = tmp_path / "cmp"
    assert main(["compare", "--csv", str(reviews_csv), "--text-column", "review",
                 "--label-column", "sentiment", "--preset", "imdb-gru8", "--maxlen", "20",
                 "--cells", "gru", "--seeds", "1", "--epochs", "1", "--no-baselines",
                 "--quiet", "--out", str(out)]) == 0
    config = json.loads((out / "results.json").read_text())["config"]
    # the preset's vocabulary, embedding and units survive; --maxlen overrides the preset's 100
    assert (config["num_words"], config["maxlen"], config["embedding_dim"], config["units"]) == (
        500, 20, 16, [8])


def test_forecast_validation_as_a_count_from_the_command_line(tmp_path, sales_csv, capsys):
    # argparse reads "--validation 12" as 12.0: it must mean the last 12 points, not an error
    out = tmp_path / "count"
    assert main(["forecast", "--csv", str(sales_csv), "--target", "sales", "--time", "date",
                 "--window", "6", "--validation", "12", "--out", str(out), *FAST]) == 0
    printed = capsys.readouterr().out
    assert "train 36 (2015-01 .. 2017-12), validation 12 (2018-01 .. 2018-12)" in printed


@pytest.mark.parametrize("given, expected", [([], 10), (["--reduce-lr", "3"], 3),
                                             (["--reduce-lr", "0"], None)])
def test_forecast_reduce_lr_reaches_the_model(tmp_path, sales_csv, given, expected):
    out = tmp_path / "lr"
    assert main(["forecast", "--csv", str(sales_csv), "--target", "sales", "--out", str(out),
                 *given, *FAST]) == 0
    assert Forecaster.load(out).reduce_lr_patience == expected


def test_forecast_with_stl_and_several_window_lengths(tmp_path, sales_csv, capsys):
    out = tmp_path / "stl"
    assert main(["forecast", "--csv", str(sales_csv), "--target", "sales", "--time", "date",
                 "--window", "3,6", "--transform", "log,stl", "--refit", "--out", str(out),
                 *FAST]) == 0
    printed = capsys.readouterr().out
    assert "target transform: log,stl12;" in printed
    assert "window length of 3, 6" in printed
    loaded = Forecaster.load(out)
    assert loaded._predictor().ensemble.windows == [3, 6]


@pytest.mark.parametrize("command", ["forecast", "classify", "predict", "compare", "explain"])
def test_help_states_each_default_once_and_only_useful_ones(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    assert text.count("(default:") > 3, "the defaults should be shown"
    assert "(default: None)" not in text and "(default: False)" not in text
    # a help text that states its default must not get a second one appended
    for option in text.split(" --")[1:]:
        assert option.count("(default:") <= 1, option


def test_help_keeps_a_zero_default():
    import argparse

    from rnnkit.cli import build_parser

    commands = next(a for a in build_parser()._actions
                    if isinstance(a, argparse._SubParsersAction))
    forecast = commands.choices["forecast"]
    forecast.add_argument("--offset", type=int, default=0, help="an offset")
    assert "an offset (default: 0)" in " ".join(forecast.format_help().split())


@pytest.fixture
def stores_csv(tmp_path):
    """Three stores of different sizes and lengths, rows shuffled as a database export might."""
    frames = []
    for k, (level, months) in enumerate([(100, 48), (1000, 48), (10, 36)]):
        dates = pd.date_range("2016-01-01", periods=months, freq="MS")
        t = np.arange(months)
        frames.append(pd.DataFrame({"store": f"s{k}", "month": dates.strftime("%Y-%m"),
                                    "sales": level * (1 + 0.2 * np.sin(2 * np.pi * t / 12)
                                                      + 0.01 * t)}))
    path = tmp_path / "stores.csv"
    pd.concat(frames).sample(frac=1, random_state=0).to_csv(path, index=False)
    return path


def test_forecast_many_series_from_a_long_csv_then_predict(tmp_path, stores_csv, capsys):
    out = tmp_path / "stores"
    assert main(["forecast", "--csv", str(stores_csv), "--id", "store", "--time", "month",
                 "--target", "sales", "--test", "6", "--horizon", "4", "--out", str(out),
                 *FAST]) == 0
    printed = capsys.readouterr().out
    assert "3 series (column 'store'), 132 values, 36..48 per series" in printed
    assert "mean over the 3 series" in printed and "baseline" in printed
    assert "on MASE" in printed  # a mean RMSE over series of different sizes would mislead
    for name in ("config.json", "weights.safetensors", "metrics.csv", "test_predictions.csv",
                 "forecast.csv", "history.csv", "test.png", "forecast.png", "loss.png"):
        assert (out / name).is_file(), name
    forecast = pd.read_csv(out / "forecast.csv")
    assert forecast.columns.tolist() == ["store", "month", "forecast", "lower", "upper"]
    # each series continues from its own end, though the rows came shuffled
    assert forecast.groupby("store")["month"].first().to_dict() == {
        "s0": "2020-01-01", "s1": "2020-01-01", "s2": "2019-01-01"}
    tested = pd.read_csv(out / "test_predictions.csv")
    assert tested.groupby("store").size().tolist() == [6, 6, 6]

    assert main(["predict", str(out), "--horizon", "4"]) == 0
    again = pd.read_csv(io.StringIO(capsys.readouterr().out))
    np.testing.assert_allclose(again["forecast"], forecast["forecast"])
    assert main(["predict", str(out), "--horizon", "4", "--level", "0.9"]) == 0
    again = pd.read_csv(io.StringIO(capsys.readouterr().out))
    np.testing.assert_allclose(again[["lower", "upper"]], forecast[["lower", "upper"]])
    assert main(["predict", str(out), "--csv", str(stores_csv), "--id", "store",
                 "--target", "sales"]) == 2
    assert "name the date column of --csv with --time" in capsys.readouterr().err
    recent = tmp_path / "recent.csv"
    frame = pd.read_csv(stores_csv)
    frame[frame["store"] == "s2"].to_csv(recent, index=False)
    assert main(["predict", str(out), "--csv", str(recent), "--id", "store", "--time", "month",
                 "--target", "sales", "--horizon", "2", "--format", "json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert [(r["store"], r["month"][:7]) for r in payload["forecasts"]] == [
        ("s2", "2019-01"), ("s2", "2019-02")]

    assert main(["explain", str(out)]) == 2
    assert "name the one to explain with --series" in capsys.readouterr().err
    assert main(["explain", str(out), "--series", "s9"]) == 2
    assert "--series: " in capsys.readouterr().err
    assert main(["explain", str(out), "--series", "s2", "--out", str(tmp_path / "s2")]) == 0
    assert pd.read_csv(tmp_path / "s2" / "trace.csv")["label"].max() == "2018-12-01"
    assert main(["explain", str(out), "--csv", str(stores_csv), "--time", "month"]) == 2
    assert "the series to explain with --series" in capsys.readouterr().err
    assert main(["explain", str(out), "--csv", str(stores_csv), "--id", "store", "--time",
                 "month", "--target", "sales", "--series", "s1", "--out",
                 str(tmp_path / "why")]) == 0
    trace = pd.read_csv(tmp_path / "why" / "trace.csv")
    # s1 read whole: its 48 months, though the CSV's rows are shuffled
    assert trace["label"].nunique() == 48 and trace["label"].max() == "2019-12-01"


@pytest.mark.parametrize("args, message", [
    (["--id", "store"], "--id needs --csv and --target"),
    (["--csv", "{csv}", "--id", "shop", "--target", "sales"], "--id: no column 'shop'"),
    (["--csv", "{csv}", "--id", "store", "--target", "sales", "--features", "month"],
     "--features is not supported with --id"),
    (["--csv", "{csv}", "--id", "store", "--target", "sales", "--test", "40"],
     "--test: series 's2': `test` must leave at least one point"),
    (["--csv", "{gap}", "--id", "store", "--target", "sales", "--time", "month"],  # s0: 2-49
     "series 's1': column 'sales' has missing values at CSV line 52 (2016-03)"),
])
def test_many_series_user_errors(tmp_path, stores_csv, capsys, args, message):
    gap = tmp_path / "gap.csv"
    frame = pd.read_csv(stores_csv).sort_values(["store", "month"])
    frame.loc[(frame["store"] == "s1") & (frame["month"] == "2016-03"), "sales"] = np.nan
    frame.to_csv(gap, index=False)
    args = [a.format(csv=stores_csv, gap=gap) for a in args]
    assert main(["forecast", "--quiet", "--out", str(tmp_path / "o"), *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("rnnkit: error: ") and message in err, err


def test_forecast_backtest_scores_windows_before_the_test_part(tmp_path, sales_csv, stores_csv,
                                                               capsys):
    out = tmp_path / "bt"
    assert main(["forecast", "--csv", str(sales_csv), "--target", "sales", "--time", "date",
                 "--test", "12", "--horizon", "6", "--backtest", "3", "--backtest-step", "4",
                 "--out", str(out), *FAST]) == 0
    printed = capsys.readouterr().out
    assert "Backtest: 3 origins 4 steps apart before the test part, 6 steps forecast" in printed
    windows = pd.read_csv(out / "backtest.csv")
    assert windows["model"].tolist() == ["LSTM", "naive", "seasonal naive"] * 3
    assert windows["last"].max() == 60 - 12 - 1  # the test part is never forecast
    assert "on RMSE" in printed.split("Trained")[0]  # the backtest's verdict
    out = tmp_path / "bt_many"
    assert main(["forecast", "--csv", str(stores_csv), "--id", "store", "--time", "month",
                 "--target", "sales", "--test", "6", "--horizon", "3", "--backtest", "2",
                 "--out", str(out), *FAST]) == 0
    windows = pd.read_csv(out / "backtest.csv")
    assert windows["series"].unique().tolist() == [3]
    assert windows["from_end"].unique().tolist() == [6, 3]  # before each store's test part
    assert main(["forecast", "--backtest", "40", "--out", str(tmp_path / "x"), *FAST]) == 2
    assert "is too short for 40 windows of 12 steps 12 apart" in capsys.readouterr().err


def test_predict_names_the_csv_line_a_model_refuses(tmp_path, sales_csv, capsys):
    out = tmp_path / "m"
    assert main(["forecast", "--csv", str(sales_csv), "--target", "sales", "--time", "date",
                 "--out", str(out), *FAST]) == 0
    frame = pd.read_csv(sales_csv)
    zero, gap = tmp_path / "zero.csv", tmp_path / "gap.csv"
    frame.assign(sales=frame["sales"].mask(frame.index == 40, 0.0)).to_csv(zero, index=False)
    frame.drop(index=40).to_csv(gap, index=False)
    assert main(["predict", str(out), "--csv", str(zero)]) == 2  # the model forecasts logs
    assert "needs a positive series; got 0 at CSV line 42 (2018-05-01)" in capsys.readouterr().err
    assert main(["predict", str(out), "--csv", str(gap)]) == 2
    assert "CSV line 42 (2018-06-01) comes after 2018-04-01, whose next date is 2018-05-01" in (
        capsys.readouterr().err)


def test_warnings_print_as_one_line_not_python_s_format(tmp_path, sales_csv, capsys):
    gap = tmp_path / "gap.csv"
    pd.read_csv(sales_csv).drop(index=30).to_csv(gap, index=False)  # one month missing
    assert main(["forecast", "--csv", str(gap), "--target", "sales", "--time", "date",
                 "--out", str(tmp_path / "m"), *FAST]) == 0
    err = capsys.readouterr().err
    assert "warning: the dates are not evenly spaced" in err
    assert "UserWarning" not in err and ".py:" not in err


def test_classify_pooling_and_regularisation_options(tmp_path, reviews_csv, capsys):
    out = tmp_path / "pool"
    assert main(["classify", "--csv", str(reviews_csv), "--text-column", "review",
                 "--label-column", "sentiment", "--pooling", "max,mean",
                 "--embedding-dropout", "0.1", "--weight-decay", "0.01",
                 "--schedule", "warmup-cosine", "--ngrams", "2", "--ngram-buckets", "1000",
                 "--refit", "--out", str(out), *TEXT_FAST]) == 0
    shown = capsys.readouterr().out
    assert "Pooling (max,mean)" in shown and "(Bag of words+pairs, " in shown
    config = json.loads((out / "config.json").read_text())
    assert config["params"]["refit"] is True
    assert config["params"]["pooling"] == "max,mean"
    assert config["network"]["pooling"] == "max,mean"
    assert config["params"]["schedule"] == "warmup-cosine"
    assert config["network"]["ngrams"] == 2 and config["network"]["ngram_buckets"] == 1000
    assert main(["predict", str(out), "the film was good"]) == 0


def test_classify_with_validation_and_test_files_then_predict_scores_labels(tmp_path, capsys):
    from test_classifier import synthetic

    paths = {}
    for name, seed in (("train", 0), ("dev", 1), ("test", 2)):
        texts, labels = synthetic(120, seed=seed)
        paths[name] = tmp_path / f"{name}.csv"
        pd.DataFrame({"text": texts, "label": labels}).to_csv(paths[name], index=False)
    out = tmp_path / "m"
    assert main(["classify", "--csv", str(paths["train"]), "--validation-data",
                 str(paths["dev"]), "--test-data", str(paths["test"]), "--out", str(out),
                 *TEXT_FAST]) == 0
    printed = capsys.readouterr().out
    assert "120 training texts, 120 test texts" in printed
    assert "validation: 120 texts" in printed
    assert "TF-IDF + logistic regression" in printed
    assert main(["predict", str(out), "--csv", str(paths["test"]),
                 "--label-column", "label"]) == 0
    captured = capsys.readouterr()
    assert len(captured.out.strip().splitlines()) == 121
    assert "On the 120 labelled texts" in captured.err and "majority class" in captured.err
    assert main(["predict", str(out), "nice", "--label-column", "label"]) == 2
    assert "--label-column scores the texts of --csv" in capsys.readouterr().err
    assert main(["classify", "--data", "imdb", "--test-data", str(paths["test"])]) == 2
    assert "go with --csv" in capsys.readouterr().err


def test_pretrain_then_classify_from_it(tmp_path, capsys):
    from test_language_model import _corpus

    texts = _corpus(200)
    path = tmp_path / "texts.csv"
    labels = ["animal" if t.startswith("the dog") else "other" for t in texts]
    pd.DataFrame({"text": texts, "label": labels}).to_csv(path, index=False)
    lm = tmp_path / "lm"
    assert main(["pretrain", "--csv", str(path), "--units", "8", "--embedding-dim", "4",
                 "--window", "8", "--epochs", "2", "--quiet", "--out", str(lm)]) == 0
    out = capsys.readouterr().out
    assert "epoch 2: held-out perplexity" in out and "--pretrained" in out
    assert (tmp_path / "lm.state" / "latest").is_file()
    assert (lm / "weights.safetensors").is_file()
    assert main(["pretrain", "--csv", str(path), "--units", "8", "--embedding-dim", "4",
                 "--window", "8", "--epochs", "3", "--quiet", "--resume", "--out",
                 str(lm)]) == 0
    assert "epoch 3: held-out perplexity" in capsys.readouterr().out
    clf = tmp_path / "clf"
    assert main(["classify", "--csv", str(path), "--pretrained", str(lm), "--epochs", "1",
                 "--quiet", "--out", str(clf)]) == 0
    params = json.loads((clf / "config.json").read_text())["params"]
    assert params["units"] == [8] and params["embedding_dim"] == 4
    capsys.readouterr()
    assert main(["classify", "--csv", str(path), "--pretrained", str(lm), "--units", "16",
                 "--epochs", "1", "--quiet", "--out", str(tmp_path / "x")]) == 2
    assert "units=(16,) (the language model: (8,))" in capsys.readouterr().err


def test_predict_refuses_a_horizon_over_its_limit_before_forecasting(tmp_path, sales_csv,
                                                                    capsys):
    out = tmp_path / "m"
    assert main(["forecast", "--csv", str(sales_csv), "--target", "sales", "--time", "date",
                 "--out", str(out), *FAST]) == 0
    capsys.readouterr()
    assert main(["predict", str(out), "--horizon", "10000000"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "<= 100,000; got 10000000" in err
    assert main(["predict", str(out), "--horizon", "30", "--max-horizon", "24"]) == 2
    assert "<= 24; got 30" in capsys.readouterr().err
    assert main(["predict", str(out), "--horizon", "3"]) == 0


def test_careless_text_inputs_are_one_line_each(tmp_path, capsys):
    csv = tmp_path / "e.csv"
    csv.write_text("review,sentiment\ngood film,pos\nbad film,\nok,neg\n")
    base = ["classify", "--epochs", "1", "--quiet", "--out", str(tmp_path / "o")]
    assert main([*base, "--csv", str(csv), "--text-column", "review",
                 "--label-column", "sentiment"]) == 2
    assert "--label-column 'sentiment' is empty at line 3 of" in capsys.readouterr().err
    for label in ("pos", "neg"):
        (tmp_path / "folder" / label).mkdir(parents=True)
        (tmp_path / "folder" / label / "1.txt").write_text(f"{label} text")
    (tmp_path / "folder" / "neg" / "2.txt").write_bytes(b"\xff\xfe latin")
    assert main([*base, "--folder", str(tmp_path / "folder")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "2.txt' is not UTF-8 text (byte 0)" in err
    assert main(["forecast", "--csv", str(tmp_path / "folder"), "--target", "x", "--quiet",
                 "--out", str(tmp_path / "f")]) == 2
    assert "'folder' is a folder; give a CSV file" in capsys.readouterr().err.replace(
        str(tmp_path) + "/", "")


def test_forecast_resume_continues_a_killed_run(tmp_path, sales_csv, capsys, monkeypatch):
    import rnnkit.training_state

    base = ["forecast", "--csv", str(sales_csv), "--target", "sales", "--time", "date",
            "--epochs", "4", "--units", "8", "--dense", "", "--quiet"]
    assert main([*base, "--out", str(tmp_path / "whole")]) == 0
    real = rnnkit.training_state.save_run

    def dies_after_epoch_2(state_dir, epoch, *args):
        real(state_dir, epoch, *args)
        if epoch == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(rnnkit.training_state, "save_run", dies_after_epoch_2)
    out = tmp_path / "killed"
    assert main([*base, "--out", str(out)]) == 130  # "interrupted"
    assert (tmp_path / "killed.state" / "member-1" / "latest").is_file() and not out.exists()
    monkeypatch.undo()
    assert main([*base, "--out", str(out), "--resume"]) == 0
    assert not (tmp_path / "killed.state").exists()  # finished: nothing left to resume
    for name in ("weights.safetensors", "forecast.csv"):
        assert (out / name).read_bytes() == (tmp_path / "whole" / name).read_bytes(), name


def test_the_pretrained_preset_asks_for_its_language_model(tmp_path, capsys):
    path = tmp_path / "texts.csv"
    pd.DataFrame({"text": ["good", "bad"] * 10, "label": [1, 0] * 10}).to_csv(path,
                                                                           index=False)
    assert main(["classify", "--csv", str(path), "--preset", "imdb-pretrained", "--quiet",
                 "--out", str(tmp_path / "c")]) == 2
    err = capsys.readouterr().err
    assert "rnnkit pretrain --data imdb --preset imdb-pretrained" in err
    assert err.count("\n") == 1  # one line, no traceback
    assert main(["compare", "--csv", str(path), "--text-column", "text", "--label-column",
                 "label", "--preset", "imdb-pretrained", "--quiet"]) == 2
    assert "use `rnnkit classify` for it" in capsys.readouterr().err
