"""`rnnkit serve`: a saved model over HTTP answers as `rnnkit predict` does, and says what is
wrong with a bad request."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
import threading
import urllib.error
import urllib.request

import numpy as np
import pandas as pd
import pytest
from conftest import TINY

from rnnkit import Forecaster, TextClassifier
from rnnkit.cli import main
from rnnkit.serve import ModelServer


@pytest.fixture
def serve():
    """Start a server for a model on a free port; returns its URL. Stopped after the test."""
    servers = []

    def start(model) -> str:
        server = ModelServer(model, ("127.0.0.1", 0), quiet=True)
        # a short poll: shutdown() waits for it, and each test stops a server
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        servers.append(server)
        return server.url

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def call(url: str, body=None, method: str | None = None) -> tuple[int, dict]:
    data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method or (
        "POST" if data is not None else "GET"))
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.fixture
def forecaster(seasonal_series):
    return Forecaster(**TINY, seed=0).fit(seasonal_series[:-12])


def rows_of(series: pd.Series) -> list[dict]:
    return [{"date": d.strftime("%Y-%m-%d"), "sales": float(v)} for d, v in series.items()]


def test_a_forecaster_answers_its_own_example_and_recent_rows(forecaster, seasonal_series,
                                                              serve):
    url = serve(forecaster)
    status, about = call(url + "/")
    assert status == 200 and about["estimator"] == "Forecaster"
    assert about["columns"] == {"target": "sales", "time": "date", "features": []}
    assert about["rows_needed"] == forecaster.min_history() == 6
    # the example GET / shows is a request that works, and gives the model's own forecast
    status, body = call(url + "/predict", about["predict"])
    assert status == 200 and body["target"] == "sales"
    expected = forecaster.forecast(12, level=0.9)
    got = pd.DataFrame(body["forecasts"])
    assert got["date"].iloc[0].startswith("2007-01-01")  # fitted on 2000-01 .. 2006-12
    np.testing.assert_allclose(got[["forecast", "lower", "upper"]], expected, rtol=1e-12)

    newer = seasonal_series[:-3]
    status, body = call(url + "/predict", {"horizon": 3, "rows": rows_of(newer)})
    assert status == 200
    alone = copy.deepcopy(forecaster).forecast(3, y=newer)
    np.testing.assert_allclose([r["forecast"] for r in body["forecasts"]], alone, rtol=1e-12)
    assert body["forecasts"][0]["date"].startswith("2007-10-01")
    # a request's rows do not stay in the model: the next request starts where it was saved
    status, body = call(url + "/predict", {"horizon": 12})
    np.testing.assert_allclose([r["forecast"] for r in body["forecasts"]],
                               expected["forecast"], rtol=1e-12)


@pytest.mark.parametrize("body, status, message", [
    ([1, 2], 400, "the body must be a JSON object; got a JSON list."),
    ({"colour": "red"}, 400, "unknown field 'colour'; this Forecaster takes horizon, level,"),
    ({"horizon": 0}, 400, "`horizon` must be a positive integer and <= 1,000; got 0."),
    ({"horizon": "3"}, 400, "`horizon` must be a positive integer and <= 1,000; got '3'."),
    ({"horizon": 10_000_000}, 413, "`horizon` must be a positive integer and <= 1,000; got "
                                   "10000000. That is this server's --max-horizon."),
    ({"horizon": 10**12}, 413, "<= 1,000; got 1000000000000."),
    (b"[" * 100_000 + b"]" * 100_000, 400, "the body is nested 100000 deep"),
    ({"level": 90}, 400, "`level` must be a number in (0, 1); got 90"),
    ({"rows": "2020-01,5"}, 400, "`rows` must be a non-empty list of objects"),
    ({"rows": [{"date": "2020-01-01", "revenue": 1}]}, 400,
     "target: no column 'sales' in `rows`; available columns: date, revenue."),
    ({"rows": []}, 400, "`rows` must be a non-empty list of objects"),
    ({"fill": "mean", "rows": [{"date": "2020-01-01", "sales": 1}]}, 400,
     "`fill` must be null, 'ffill' or 'interpolate'; got 'mean'."),
    (b"{\"horizon\": 3", 400, "the body is not valid JSON"),
])
def test_bad_requests_get_400_naming_the_problem(forecaster, serve, body, status, message):
    got_status, got = call(serve(forecaster) + "/predict", body)
    assert got_status == status and message in got["error"]


def test_a_bad_row_is_named_by_its_position_and_date(forecaster, seasonal_series, serve):
    rows = rows_of(seasonal_series[-20:])
    rows[3]["sales"] = "n/a"
    url = serve(forecaster)
    status, got = call(url + "/predict", {"rows": rows})
    assert status == 400
    assert "column 'sales' has non-numeric values at rows[3] (2006-08-01) (e.g. 'n/a')" in (
        got["error"])
    rows[3]["sales"] = 0.0  # the model forecasts the log of sales
    status, got = call(url + "/predict", {"rows": rows})
    assert status == 400 and "'log' needs a positive series; got 0 at rows[3] (2006-08-01)" in (
        got["error"])
    status, got = call(url + "/predict", {"rows": rows_of(seasonal_series[-2:])})
    assert status == 400 and "needs at least the last 6 values" in got["error"]


def test_wrong_paths_and_methods(forecaster, serve):
    url = serve(forecaster)
    assert call(url + "/health") == (200, {"status": "ok"})
    status, got = call(url + "/predict")
    assert status == 405 and "POST a JSON body to /predict" in got["error"]
    status, got = call(url + "/forecast", {"horizon": 1})
    assert status == 404 and "try GET /, GET /health or POST /predict" in got["error"]
    for method in ("PUT", "DELETE", "PATCH", "OPTIONS"):
        request = urllib.request.Request(url + "/predict", method=method)
        with pytest.raises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(request, timeout=30)
        assert caught.value.code == 405 and caught.value.headers["Allow"] == "POST"
        assert json.loads(caught.value.read()) == {
            "error": f"{method} is not allowed on /predict."}


def test_a_bug_is_a_500_with_no_traceback(forecaster, serve, monkeypatch):
    import rnnkit.serve

    def broken(model, body, max_horizon):
        raise RuntimeError("internal detail")

    monkeypatch.setattr(rnnkit.serve, "answer", broken)
    status, got = call(serve(forecaster) + "/predict", {})
    assert status == 500 and "internal detail" not in got["error"]


def test_a_classifier_answers_texts_with_probabilities(serve):
    from test_classifier import FAST, synthetic

    texts, labels = synthetic(200)
    clf = TextClassifier(**(FAST | {"epochs": 3}), seed=0).fit(texts, labels)
    url = serve(clf)
    status, about = call(url + "/")
    assert status == 200 and about["classes"] == ["neg", "pos"]
    status, body = call(url + "/predict", {"texts": texts[:3]})
    assert status == 200
    proba = clf.predict_proba(texts[:3])
    got = body["predictions"]
    assert [r["text"] for r in got] == texts[:3]
    np.testing.assert_allclose([[r["p_neg"], r["p_pos"]] for r in got], proba, rtol=1e-6)
    assert [r["label"] for r in got] == list(clf.predict(texts[:3]))
    status, got = call(url + "/predict", {"texts": "one text"})
    assert status == 400 and "`texts` must be a list of strings" in got["error"]
    status, got = call(url + "/predict", {"texts": ["fine", ""]})
    assert status == 400 and "text 1 of `texts` is empty" in got["error"]
    status, got = call(url + "/predict", {"horizon": 3})
    assert status == 400 and "unknown field 'horizon'; this TextClassifier takes texts." in (
        got["error"])


def test_a_model_of_several_series_forecasts_those_in_rows(serve):
    dates = pd.date_range("2010-01-01", periods=48, freq="MS")
    t = np.arange(48)
    frame = pd.concat([pd.DataFrame({"unique_id": key, "ds": dates,
                                     "y": level * (1 + 0.2 * np.sin(2 * np.pi * t / 12))})
                       for key, level in (("a", 10.0), ("b", 1000.0))])
    fc = Forecaster(**TINY, seed=0).fit(frame)
    url = serve(fc)
    status, about = call(url + "/")
    assert about["series"] == ["a", "b"] and about["columns"]["id"] == "unique_id"
    rows = frame[frame["unique_id"] == "b"].iloc[:40].assign(
        ds=lambda f: f["ds"].dt.strftime("%Y-%m")).to_dict("records")
    status, body = call(url + "/predict", {"horizon": 2, "rows": rows})
    assert status == 200 and body["series"] == 1
    assert [(r["unique_id"], r["ds"][:7]) for r in body["forecasts"]] == [
        ("b", "2013-05"), ("b", "2013-06")]
    alone = copy.deepcopy(fc).forecast(2, y=frame[frame["unique_id"] == "b"].iloc[:40]
                                       .set_index("ds")["y"], series="b")
    np.testing.assert_allclose([r["forecast"] for r in body["forecasts"]], alone, rtol=1e-12)
    status, body = call(url + "/predict", {"horizon": 1})
    assert [r["unique_id"] for r in body["forecasts"]] == ["a", "b"]
    # the rows of b did not stay: b still continues from its saved end
    assert [r["ds"][:7] for r in body["forecasts"]] == ["2014-01", "2014-01"]
    np.testing.assert_allclose([r["forecast"] for r in body["forecasts"]],
                               fc.forecast(1)["forecast"], rtol=1e-12)
    status, got = call(url + "/predict", {"rows": [{"series": "a", "ds": "2020-01", "y": 1}]})
    assert status == 400 and "id: no column 'unique_id' in `rows`" in got["error"]


def test_the_cli_serves_a_saved_model_until_stopped(forecaster, tmp_path):
    forecaster.save(tmp_path / "m")
    proc = subprocess.Popen([sys.executable, "-m", "rnnkit", "serve", str(tmp_path / "m"),
                             "--port", "0", "--quiet"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert line.startswith("serving GRU from "), line + proc.stderr.read()
        url = line.split(" at ")[1].split()[0]
        assert call(url + "/health") == (200, {"status": "ok"})
        status, body = call(url + "/predict", {"horizon": 2})
        assert status == 200
        np.testing.assert_allclose([r["forecast"] for r in body["forecasts"]],
                                   forecaster.forecast(2), rtol=1e-12)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_the_cli_names_a_missing_model_directory(tmp_path, capsys):
    assert main(["serve", str(tmp_path / "none")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_missing_intervals_are_json_null_with_a_warning_not_nan(seasonal_series, serve):
    fc = Forecaster(**TINY, validation=3).fit(seasonal_series)  # too few errors for intervals
    with pytest.warns(UserWarning, match="no prediction intervals: they need at least 5"):
        assert fc.forecast(2, level=0.9)["lower"].isna().all()
    request = urllib.request.Request(serve(fc) + "/predict", data=b'{"horizon": 2, "level": 0.9}')
    with urllib.request.urlopen(request, timeout=30) as response:
        text = response.read().decode()
    # NaN is not JSON: strict parsers (browsers, jq) refuse it
    body = json.loads(text, parse_constant=lambda word: pytest.fail(f"{word} in the answer"))
    assert [r["lower"] for r in body["forecasts"]] == [None, None]
    assert "no prediction intervals" in body["warnings"][0]


@pytest.mark.parametrize("host, warned", [("127.0.0.1", False), ("0.0.0.0", True)])
def test_without_the_serve_extra_the_minimal_server_runs_and_warns_beyond_this_machine(
        forecaster, tmp_path, capsys, monkeypatch, host, warned):
    forecaster.save(tmp_path / "m")
    monkeypatch.setitem(sys.modules, "uvicorn", None)  # as if not installed
    monkeypatch.setattr(ModelServer, "serve_forever", lambda self: None)  # return at once
    assert main(["serve", str(tmp_path / "m"), "--host", host, "--port", "0",
                 "--insecure"]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("serving GRU from ")
    assert ("no authentication" in captured.err) is warned


def test_a_warning_every_series_raises_is_answered_once():
    from rnnkit.serve import answer

    dates = pd.date_range("2010-01-01", periods=36, freq="MS")
    frame = pd.concat([pd.DataFrame({"unique_id": k, "ds": dates, "y": v + np.arange(36.0)})
                       for k, v in (("a", 10.0), ("b", 50.0), ("c", 90.0))])
    fc = Forecaster(**TINY, validation=1).fit(frame)  # 3 pooled errors: too few for intervals
    body = answer(fc, {"horizon": 2, "level": 0.9})
    assert len(body["forecasts"]) == 6
    assert len(body["warnings"]) == 1 and "no prediction intervals" in body["warnings"][0]


def test_a_request_over_a_limit_never_reaches_the_model(forecaster, serve, monkeypatch):
    """The horizon and the texts are checked before the model is used: a huge request costs
    nothing and does not hold the model from the next one."""
    url = serve(forecaster)
    called = []
    monkeypatch.setattr(type(forecaster), "forecast",
                        lambda *args, **kwargs: called.append(args))
    status, got = call(url + "/predict", {"horizon": 1001})
    assert status == 413 and "--max-horizon" in got["error"] and called == []


def test_a_classifier_refuses_too_many_or_too_long_texts(serve):
    from test_classifier import FAST, synthetic

    texts, labels = synthetic(60)
    url = serve(TextClassifier(**FAST).fit(texts, labels))
    status, got = call(url + "/predict", {"texts": ["good"] * 1001})
    assert status == 413 and "at most 1,000" in got["error"]
    status, got = call(url + "/predict", {"texts": ["fine", "a" * 1_000_001]})
    assert status == 413 and "texts[1] is 1,000,001 characters" in got["error"]


def test_without_the_serve_extra_workers_and_tokens_are_refused(forecaster, tmp_path, capsys,
                                                                 monkeypatch):
    forecaster.save(tmp_path / "m")
    monkeypatch.setitem(sys.modules, "uvicorn", None)
    for extra in (["--workers", "2"], ["--token", "t"]):
        assert main(["serve", str(tmp_path / "m"), *extra]) == 2
        assert "need the serve extra: pip install 'rnnkit[serve]'" in capsys.readouterr().err
