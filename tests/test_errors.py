"""Every bad input gets a message naming the argument, column or row, and what is allowed."""

import json

import numpy as np
import pandas as pd
import pytest

from rnnkit import Forecaster
from rnnkit.data.series import as_series, load_csv
from rnnkit.errors import ModelFormatError, NotFittedError, RnnkitError


@pytest.mark.parametrize("name, value, allowed", [
    ("window", 0, "`window` must be a positive integer or a list of positive integers "
                  "(e.g. 12 or [12, 24, 36]), each <= 100,000, at most 100 of them; got 0."),
    ("window", 2.5, "`window` must be a positive integer or a list of positive integers "
                    "(e.g. 12 or [12, 24, 36]), each <= 100,000, at most 100 of them; got 2.5."),
    ("epochs", -1, "`epochs` must be a positive integer; got -1."),
    ("units", [64, 0], "`units` must be a positive integer or a list of positive integers"),
    ("units", "", "`units` must be a positive integer or a list"),
    ("cell", "transformer", "`cell` must be one of 'rnn', 'lstm', 'gru'; got 'transformer'."),
    ("dropout", 1.0, "`dropout` must be a number in [0, 1); got 1.0."),
    ("learning_rate", 0, "`learning_rate` must be a number > 0; got 0."),
])
def test_bad_arguments_are_named(seasonal_series, name, value, allowed):
    with pytest.raises(RnnkitError) as info:
        Forecaster(**{name: value}, verbose=False).fit(seasonal_series)
    assert str(info.value).startswith(allowed)


def test_missing_values_name_the_rows_and_offer_fill():
    y = pd.Series([1.0, np.nan, 3.0, np.nan], index=pd.date_range("2020", periods=4, freq="D"))
    with pytest.raises(RnnkitError, match=r"missing values at row 1 \(2020-01-02\), row 3 "
                                          r"\(2020-01-04\).*fill='ffill'"):
        as_series(y)


def test_non_numeric_values_name_rows_and_example():
    with pytest.raises(RnnkitError, match=r"column 'y' has non-numeric values at row 2 "
                                          r"\(e.g. 'abc'\)"):
        as_series([1, 2, "abc", 4])


def test_infinite_values_are_called_infinite_with_a_plain_example():
    with pytest.raises(RnnkitError, match=r"column 'y' has infinite values at row 1 "
                                          r"\(e.g. -inf\)\. Only finite numbers"):
        as_series(np.array([1.0, -np.inf, 3.0]))


def test_long_frame_without_ds_names_the_missing_column():
    frame = pd.DataFrame({"unique_id": ["a"] * 30, "y": np.arange(30.0)})
    with pytest.raises(RnnkitError, match=r"needs the columns unique_id, ds and y; missing: ds"):
        Forecaster(verbose=False).fit(frame)


@pytest.mark.parametrize("change, message", [
    (lambda f: f.assign(y=f["y"].where(f.index != 45)),
     r"series 'b': column 'y' has missing values at row 45\."),
    (lambda f: f.assign(ds=f["ds"].dt.strftime("%Y-%m").where(f.index != 7, "soon")),
     r"column 'ds' has values that are not dates at row 7 \(e.g. 'soon'\)"),
    (lambda f: f.assign(ds=np.where(f.index == 50, 11, f.index % 40)),
     r"series 'b': column 'ds' repeats at row 51; each series needs one row per step"),
    (lambda f: pd.concat([f, f.iloc[[41]]], ignore_index=True),
     r"series 'b': the time index repeats at row 120;"),
    (lambda f: f.assign(unique_id=f["unique_id"].where(f.index != 3)),
     r"column 'unique_id' is empty at row 3; every row must name its series"),
])
def test_long_frame_errors_name_the_series_and_the_row(change, message):
    dates = pd.date_range("2010-01-01", periods=40, freq="MS")
    frame = pd.concat([pd.DataFrame({"unique_id": key, "ds": dates, "y": np.arange(40.0)})
                       for key in "abc"], ignore_index=True)
    with pytest.raises(RnnkitError, match=message):
        Forecaster(verbose=False).fit(change(frame))


def test_unsorted_time_index_is_refused():
    y = pd.Series([1.0, 2.0, 3.0], index=pd.to_datetime(["2020-01", "2020-03", "2020-02"]))
    with pytest.raises(RnnkitError, match="goes back in time at row 2"):
        as_series(y)


def test_series_too_short(tiny_params):
    with pytest.raises(RnnkitError, match=r"too short: 7 values, but window 6 \+ horizon 1"):
        Forecaster(**tiny_params).fit(np.arange(7.0))


def test_validation_shorter_than_horizon(seasonal_series, tiny_params):
    with pytest.raises(RnnkitError, match=r"the validation part \(0.1 of 96 values = 10\) is "
                                          r"shorter than `horizon`=12"):
        Forecaster(**tiny_params | {"horizon": 12, "validation": 0.1}).fit(seasonal_series)


def test_not_fitted():
    with pytest.raises(NotFittedError, match="not fitted yet; call fit first"):
        Forecaster().forecast(3)


def test_evaluate_without_points_after_training(seasonal_series, tiny_params):
    fc = Forecaster(**tiny_params).fit(seasonal_series)
    with pytest.raises(RnnkitError, match="needs points after the training data"):
        fc.evaluate(seasonal_series)


def test_wrong_feature_columns_at_prediction(seasonal_series, tiny_params):
    fc = Forecaster(**tiny_params).fit(seasonal_series)
    X = pd.DataFrame({"a": np.zeros(96)}, index=seasonal_series.index)
    with pytest.raises(RnnkitError, match=r"trained with feature columns \[\]"):
        fc.predict(seasonal_series, X)


def write(tmp_path, text, name="data.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_csv_unknown_column_lists_available(tmp_path):
    path = write(tmp_path, "date,sales\n2020-01-01,1\n")
    with pytest.raises(RnnkitError, match=r"--target: no column 'revenue' .* available columns: "
                                          r"date, sales"):
        load_csv(path, "revenue", "date")


def test_csv_missing_values_name_csv_lines(tmp_path):
    path = write(tmp_path, "date,sales\n2020-01-01,1\n2020-01-02,\n2020-01-03,3\n")
    with pytest.raises(RnnkitError, match=r"missing values at CSV line 3 \(2020-01-02\)"):
        load_csv(path, "sales", "date")


def test_csv_that_does_not_parse(tmp_path):
    path = write(tmp_path, 'a,b\n1,2\n"unterminated,3\n')
    with pytest.raises(RnnkitError, match=r"could not parse .* as CSV"):
        load_csv(path, "a")
    binary = tmp_path / "bin.csv"
    binary.write_bytes(b"\xff\xfe\x00\x81\x00garbage")
    with pytest.raises(RnnkitError, match="could not parse"):
        load_csv(binary, "a")


def test_csv_bad_dates(tmp_path):
    path = write(tmp_path, "date,sales\n2020-01-01,1\nyesterday,2\n")
    with pytest.raises(RnnkitError, match=r"'date' has values that are not dates at CSV line 3"):
        load_csv(path, "sales", "date")


@pytest.fixture
def saved(tmp_path, seasonal_series, tiny_params):
    Forecaster(**tiny_params).fit(seasonal_series).save(tmp_path / "m")
    return tmp_path / "m"


def test_model_dir_missing_files(saved):
    (saved / "preprocessing.json").unlink()
    with pytest.raises(ModelFormatError, match=r"missing preprocessing\.json"):
        Forecaster.load(saved)


def test_model_dir_from_newer_version(saved):
    config = json.loads((saved / "config.json").read_text())
    config["format_version"] = 99
    (saved / "config.json").write_text(json.dumps(config))
    with pytest.raises(ModelFormatError, match=r"written by a newer rnnkit .* Upgrade rnnkit"):
        Forecaster.load(saved)


def test_model_dir_with_swapped_weights(saved, tmp_path, seasonal_series, tiny_params):
    other = Forecaster(**tiny_params | {"seed": 1}).fit(seasonal_series).save(tmp_path / "o")
    (saved / "weights.safetensors").write_bytes((other / "weights.safetensors").read_bytes())
    with pytest.raises(ModelFormatError, match=r"does not match config\.json"):
        Forecaster.load(saved)


def test_model_dir_with_preprocessing_from_another_model(saved, tmp_path, seasonal_series,
                                                         tiny_params):
    other = Forecaster(**tiny_params).fit(seasonal_series * 2).save(tmp_path / "o")
    (saved / "preprocessing.json").write_text((other / "preprocessing.json").read_text())
    with pytest.raises(ModelFormatError, match=r"preprocessing\.json .* does not match config"):
        Forecaster.load(saved)


def test_save_refuses_to_overwrite_a_foreign_directory(tmp_path, seasonal_series, tiny_params):
    target = tmp_path / "mine"
    target.mkdir()
    (target / "notes.txt").write_text("precious")
    fc = Forecaster(**tiny_params).fit(seasonal_series)
    with pytest.raises(RnnkitError, match="refusing to write the model"):
        fc.save(target)
    assert (target / "notes.txt").read_text() == "precious"


def test_a_forecast_beyond_the_limit_is_refused_before_any_work(seasonal_series, tiny_params):
    from rnnkit.errors import LimitError

    fc = Forecaster(**tiny_params).fit(seasonal_series)
    with pytest.raises(LimitError, match=r"<= 100,000; got 10000000\. Pass max_horizon"):
        fc.forecast(10_000_000)
    with pytest.raises(LimitError, match="<= 5; got 6"):
        fc.forecast(6, max_horizon=5)
    assert len(fc.forecast(150_000 // 1000, max_horizon=200)) == 150


def test_values_beyond_float_range_are_refused_at_fit_not_forecast_as_inf():
    t = np.arange(96)
    y = pd.Series((100 + 10 * np.sin(2 * np.pi * t / 12)) * 1e298)
    with pytest.raises(RnnkitError, match=r"too large to scale: their spread overflows.*"
                                          r"transform='log'"):
        Forecaster(window=6, units=[4], epochs=1, transform="none", verbose=False).fit(y)


def test_unscaled_values_far_from_one_are_warned_about():
    t = np.arange(96)
    y = pd.Series((100 + 10 * np.sin(2 * np.pi * t / 12)) * 1e-10)
    with pytest.warns(UserWarning, match="with scaler='none' the network reads values that vary "
                                         "by about"):
        Forecaster(window=6, units=[4], epochs=1, transform="none", scaler="none",
                   verbose=False).fit(y)


def test_a_forecast_that_overflows_is_an_error_naming_the_cause(seasonal_series, tiny_params,
                                                                 monkeypatch):
    fc = Forecaster(**tiny_params, transform="log").fit(seasonal_series)
    # a network that answers 1e6 in log space: exp() of it overflows
    from rnnkit.forecasting.ensemble import WindowEnsemble

    monkeypatch.setattr(WindowEnsemble, "predict", lambda self, windows: np.full(
        (len(windows), 1), 1e6))
    with pytest.raises(RnnkitError, match=r"the forecast is not finite \(inf at step 1\)"):
        fc.forecast(3)
    with pytest.raises(RnnkitError, match="the prediction is not finite"):
        fc.predict(seasonal_series)


def test_non_finite_class_probabilities_are_an_error():
    import torch

    from rnnkit import TextClassifier

    clf = TextClassifier(units=[4], epochs=1, verbose=False).fit(["good", "bad"] * 10,
                                                                 [1, 0] * 10)
    with torch.no_grad():
        clf.network_.head.bias.fill_(float("nan"))
    with pytest.raises(RnnkitError, match="the probabilities of text 0 are not finite"):
        clf.predict(["good"])
