"""The production server (rnnkit.app, the serve extra): schemas, auth, limits, timeouts,
JSON errors, readiness and metrics; and `rnnkit serve --workers` end to end."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import urllib.request

import numpy as np
import pytest
from conftest import TINY

from rnnkit import Forecaster, TextClassifier
from rnnkit.cli import main

pytest.importorskip("fastapi", reason="the serve extra (pip install 'rnnkit[serve]')")
from fastapi.testclient import TestClient

from rnnkit.app import create_app

AUTH = {"Authorization": "Bearer s3cret"}


@pytest.fixture(scope="module")
def forecaster():
    import pandas as pd

    t = np.arange(96)
    y = pd.Series(100 + 0.5 * t + 10 * np.sin(2 * np.pi * t / 12),
                  index=pd.date_range("2000-01-01", periods=96, freq="MS", name="date"),
                  name="sales")
    return Forecaster(**TINY, seed=0).fit(y)


@pytest.fixture
def client(forecaster):
    return TestClient(create_app(forecaster, token="s3cret"))


def test_predict_answers_as_the_library_does(client, forecaster):
    response = client.post("/predict", json={"horizon": 3, "level": 0.9}, headers=AUTH)
    assert response.status_code == 200
    body = response.json()
    expected = forecaster.forecast(3, level=0.9)
    np.testing.assert_allclose([r["forecast"] for r in body["forecasts"]],
                               expected["forecast"], rtol=1e-12)
    assert body["target"] == "sales" and body["warnings"] == []


def test_the_openapi_schema_describes_the_request_and_answer(client):
    schema = client.get("/openapi.json").json()
    post = schema["paths"]["/predict"]["post"]
    request = post["requestBody"]["content"]["application/json"]["schema"]
    assert request["title"] == "ForecastRequest" and request["additionalProperties"] is False
    assert set(request["properties"]) == {"horizon", "level", "rows", "id", "target", "time",
                                          "fill"}
    assert {"200", "400", "401", "413"} <= set(post["responses"])
    assert client.get("/docs").status_code == 200


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"},
                                     {"Authorization": "Basic czNjcmV0"}])
def test_a_token_is_required_where_it_is_set(client, headers):
    for method, path in (("post", "/predict"), ("get", "/"), ("get", "/metrics")):
        response = getattr(client, method)(path, headers=headers)
        assert response.status_code == 401, path
        assert response.json() == {"error": "send the server's token: Authorization: "
                                            "Bearer TOKEN."}
    assert client.get("/health").status_code == 200  # probes need no token
    assert client.get("/ready").json() == {"status": "ready"}


@pytest.mark.parametrize("body, status, message", [
    ({"horizon": 5000}, 413, "<= 1,000; got 5000. That is this server's --max-horizon."),
    ({"horizon": "3"}, 400, "`horizon` must be a positive integer and <= 1,000; got '3'."),
    ({"colour": "red"}, 400, "unknown field 'colour'"),
    (b"[" * 1000 + b"]" * 1000, 400, "the body is nested 1000 deep"),
    (b"{\"horizon\": 3", 400, "the body is not valid JSON"),
])
def test_mistakes_and_limits_get_json_errors(client, body, status, message):
    kwargs = {"content": body} if isinstance(body, bytes) else {"json": body}
    response = client.post("/predict", headers=AUTH, **kwargs)
    assert response.status_code == status and message in response.json()["error"]


def test_wrong_methods_and_paths_get_json_with_allow(client):
    for method in ("put", "delete", "options", "patch"):
        response = client.request(method.upper(), "/predict", headers=AUTH)
        assert response.status_code == 405 and response.headers["allow"] == "POST"
        assert response.json() == {"error": f"{method.upper()} is not allowed on /predict."}
    response = client.get("/forecast", headers=AUTH)
    assert response.status_code == 404 and "try GET /, GET /docs" in response.json()["error"]


def test_metrics_count_requests_errors_and_latency(client):
    client.post("/predict", json={"horizon": 2}, headers=AUTH)
    client.post("/predict", json={"horizon": 0}, headers=AUTH)
    text = client.get("/metrics", headers=AUTH).text
    assert 'rnnkit_requests_total{path="/predict",method="POST",status="200"} 1' in text
    assert 'rnnkit_requests_total{path="/predict",method="POST",status="400"} 1' in text
    assert 'rnnkit_request_errors_total{path="/predict",kind="client"} 1' in text
    assert 'rnnkit_request_duration_seconds_count{path="/predict"} 2' in text
    client.get("/a/b/c/d", headers=AUTH)  # unknown paths share one label
    assert 'path="other"' in client.get("/metrics", headers=AUTH).text


def test_a_slow_prediction_is_answered_503_at_the_deadline(forecaster, monkeypatch):
    import time

    import rnnkit.app

    monkeypatch.setattr(rnnkit.app, "_pace", lambda *args: 0.001)  # 100 steps: a thread's
    app = create_app(forecaster, deadline=0.2)
    monkeypatch.setattr(rnnkit.app, "answer", lambda *args: time.sleep(2))
    response = TestClient(app).post("/predict", json={"horizon": 100})
    assert response.status_code == 503 and "deadline of 0.2 s" in response.json()["error"]


def test_small_requests_are_answered_by_the_event_loop_and_large_ones_in_threads(
        forecaster, monkeypatch):
    import threading

    import rnnkit.app

    monkeypatch.setattr(rnnkit.app, "_pace", lambda *args: 0.001)  # seconds per step
    app = create_app(forecaster)
    threads = []
    real = rnnkit.app.answer

    def spying(*args):
        threads.append(threading.current_thread())
        return real(*args)

    monkeypatch.setattr(rnnkit.app, "answer", spying)
    with TestClient(app) as client:  # one event loop thread for all three
        for horizon in (1, 1000, 2):
            assert client.post("/predict", json={"horizon": horizon}).status_code == 200
    loop, worker, again = threads
    assert loop is again and worker is not loop


def test_a_stalled_body_is_answered_408():
    from starlette.requests import Request

    from rnnkit.app import _read_body

    async def stalled():
        await asyncio.sleep(10)

    request = Request({"type": "http", "method": "POST", "headers": []}, receive=stalled)
    with pytest.raises(Exception, match=r"did not arrive within 0\.1 s") as caught:
        asyncio.run(_read_body(request, 0.1))
    assert caught.value.status_code == 408


def test_a_client_gone_before_its_body_is_not_logged_as_a_failure(forecaster, caplog):
    """A client that closes its connection mid-body (a load balancer's timeout, a killed
    script) is answered quietly; the log keeps tracebacks for the server's own failures."""
    app = create_app(forecaster)
    sent = []

    async def gone():
        return {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/predict", "raw_path": b"/predict",
             "query_string": b"", "headers": [(b"content-type", b"application/json"),
                                              (b"content-length", b"100")],
             "http_version": "1.1", "scheme": "http", "server": ("127.0.0.1", 80),
             "client": ("127.0.0.1", 1), "root_path": ""}
    with caplog.at_level("ERROR"):
        asyncio.run(app(scope, gone, send))
    assert not [r for r in caplog.records if "failed" in r.getMessage()]
    assert sent[0]["status"] == 400


def test_a_classifier_has_its_own_schema(tmp_path):
    texts = ["good great fine", "bad awful poor"] * 20
    clf = TextClassifier(units=[4], epochs=1, verbose=False).fit(texts, ["pos", "neg"] * 20)
    client = TestClient(create_app(clf))
    schema = client.get("/openapi.json").json()["paths"]["/predict"]["post"]
    assert schema["requestBody"]["content"]["application/json"]["schema"]["title"] == (
        "TextRequest")
    response = client.post("/predict", json={"texts": ["good"]})
    assert response.status_code == 200 and response.json()["predictions"][0]["label"] in (
        "pos", "neg")
    assert client.post("/predict", json={"texts": ["x"] * 1001}).status_code == 413


def test_public_hosts_need_a_token_or_insecure(forecaster, tmp_path, capsys):
    forecaster.save(tmp_path / "m")
    assert main(["serve", str(tmp_path / "m"), "--host", "0.0.0.0"]) == 2
    assert "give --token (or RNNKIT_TOKEN)" in capsys.readouterr().err


def test_the_cli_serves_with_two_workers_and_a_token(forecaster, tmp_path):
    forecaster.save(tmp_path / "m")
    proc = subprocess.Popen([sys.executable, "-m", "rnnkit", "serve", str(tmp_path / "m"),
                             "--port", "0", "--workers", "2", "--token", "s3cret", "--quiet"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert "with 2 workers" in line, line + proc.stderr.read()
        url = line.split(" at ")[1].split()[0]
        request = urllib.request.Request(url + "/predict", data=b'{"horizon": 2}',
                                         headers=AUTH)
        for attempt in range(100):  # the workers load the model after the line is printed
            try:
                with urllib.request.urlopen(request, timeout=30) as response:
                    body = json.loads(response.read())
                break
            except OSError:
                if attempt == 99:
                    raise
                import time

                time.sleep(0.2)
        np.testing.assert_allclose([r["forecast"] for r in body["forecasts"]],
                                   forecaster.forecast(2), rtol=1e-12)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
