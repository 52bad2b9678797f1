"""ONNX export: onnxruntime reproduces the PyTorch network for every cell, stacked and
bidirectional layers, forecasters and classifiers, on inputs of other sizes than traced."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

from rnnkit import Forecaster, TextClassifier, datasets
from rnnkit.cli import main

ort = pytest.importorskip("onnxruntime", reason="the export extra (pip install "
                                                "'rnnkit[export]')")

TEXTS = ["good fine great film", "bad awful poor film", "great good", "poor bad"] * 10
LABELS = ["pos", "neg", "pos", "neg"] * 10


def _run(path, name, x):
    return ort.InferenceSession(str(path)).run(None, {name: x.numpy()})[0]


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_a_forecaster_network_runs_the_same_in_onnxruntime(tmp_path, cell, bidirectional):
    from rnnkit.export import export_onnx

    fc = Forecaster(cell=cell, units=[6, 4], dense=(3,), window=8, epochs=1,
                    bidirectional=bidirectional, verbose=False).fit(datasets.airline())
    path = export_onnx(fc, tmp_path)
    assert path == tmp_path / "model.onnx"
    x = torch.randn(5, 20, 1)  # another batch size and length than traced
    with torch.no_grad():
        expected = fc.network_(x).numpy()
    np.testing.assert_allclose(_run(path, "windows", x), expected, atol=1e-5)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_a_dilated_network_exports_for_every_length(tmp_path, cell):
    """Traced at a length that needs no padding (8 = 4 × 2), the graph still pads lengths
    that are not multiples of the dilations (the padding is in the graph, not a constant)."""
    from rnnkit.export import export_onnx

    fc = Forecaster(cell=cell, units=[6, 4], dilations=[2, 4], dense=(), window=8, epochs=1,
                    bidirectional=True, linear_skip=False, verbose=False).fit(datasets.airline())
    path = export_onnx(fc, tmp_path)
    for length in (8, 11, 13, 1):
        x = torch.randn(3, length, 1)
        with torch.no_grad():
            expected = fc.network_(x).numpy()
        np.testing.assert_allclose(_run(path, "windows", x), expected, atol=1e-5)


@pytest.mark.parametrize("settings", [
    dict(cell="lstm", pooling="last"),
    dict(cell="gru", pooling="max,mean", bidirectional=True),
    dict(cell="rnn", pooling="attention", units=[4, 4]),
])
def test_a_classifier_network_reads_padding_as_pytorch_does(tmp_path, settings):
    clf = TextClassifier(epochs=1, verbose=False, **{"units": [4]} | settings).fit(TEXTS,
                                                                                 LABELS)
    clf.save(tmp_path / "m")
    assert main(["export", str(tmp_path / "m")]) == 0
    ids = torch.randint(3, clf.network_.config.input_size, (4, 11))
    ids[1, :6] = 0  # pre-padding
    ids[2, 7:] = 0  # post-padding
    with torch.no_grad():
        expected = clf.network_(ids).numpy()
    np.testing.assert_allclose(_run(tmp_path / "m" / "model.onnx", "ids", ids),
                               expected, atol=1e-5)
    unpadded = torch.randint(3, clf.network_.config.input_size, (2, 5))
    with torch.no_grad():
        np.testing.assert_allclose(_run(tmp_path / "m" / "model.onnx", "ids", unpadded),
                                   clf.network_(unpadded).numpy(), atol=1e-5)


@pytest.mark.parametrize("members", [2, 3])
def test_an_ensemble_exports_its_median(tmp_path, members):
    from rnnkit.export import export_onnx

    fc = Forecaster(cell="lstm", units=[4], dense=(), window=8, ensemble=members, epochs=1,
                    verbose=False).fit(datasets.airline())
    x = torch.randn(6, 8, 1)
    with torch.no_grad():
        expected = fc.network_(x).numpy()
    np.testing.assert_allclose(_run(export_onnx(fc, tmp_path), "windows", x), expected,
                               atol=1e-5)


def test_a_bag_of_word_pairs_exports_with_its_pairs_hashed_in_numpy(tmp_path, monkeypatch):
    """The imdb-best kind of classifier (a BiLSTM mixed with a bag of words and word pairs):
    the graph takes the pairs' bag rows, which rnnkit.onnx_text hashes as training did, and
    gives TextClassifier.predict_proba's numbers, padding and one-word texts included."""
    import rnnkit.data.batches as batches
    from rnnkit.onnx_text import OnnxTextClassifier

    clf = TextClassifier(units=[4], epochs=2, bidirectional=True, pooling="max,mean",
                         ngrams=2, ngram_buckets=64, verbose=False).fit(TEXTS, LABELS)
    clf.save(tmp_path / "bag")
    assert main(["export", str(tmp_path / "bag")]) == 0
    onnx = OnnxTextClassifier(tmp_path / "bag")
    texts = ["good film", "a poor and awful film that never ends at all", "great",
             "unknown words here", "bad good bad good"]
    np.testing.assert_allclose(onnx.predict_proba(texts), clf.predict_proba(texts), atol=1e-5)
    assert onnx.predict(texts).tolist() == list(clf.predict(texts))
    # long texts in batches of their own come back in the texts' order
    monkeypatch.setattr(batches, "PREDICT_TOKENS", 8)
    np.testing.assert_allclose(onnx.predict_proba(texts), clf.predict_proba(texts), atol=1e-5)


def test_an_exported_classifier_runs_without_pytorch(tmp_path):
    """rnnkit.onnx_text gives TextClassifier.predict_proba's numbers in a process where
    importing torch fails."""
    import json
    import subprocess
    import sys

    clf = TextClassifier(units=[4], epochs=2, bidirectional=True, pooling="max,mean",
                         maxlen=6, verbose=False).fit(TEXTS, LABELS)
    clf.save(tmp_path / "m")
    assert main(["export", str(tmp_path / "m")]) == 0
    texts = ["good film", "a poor and awful film that never ends at all", "unknown words"]
    script = (
        "import sys, json; sys.modules['torch'] = None\n"  # any import of torch now fails
        "from rnnkit.onnx_text import OnnxTextClassifier\n"
        f"clf = OnnxTextClassifier({str(tmp_path / 'm')!r})\n"
        f"print(json.dumps([clf.predict_proba({texts!r}).tolist(),"
        f" clf.predict({texts!r}).tolist()]))\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          check=True)
    proba, labels = json.loads(done.stdout)
    np.testing.assert_allclose(proba, clf.predict_proba(texts), atol=1e-6)
    assert labels == list(clf.predict(texts))


def test_serve_runtime_onnx_answers_as_the_pytorch_model(tmp_path, capsys):
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from rnnkit.app import create_app
    from rnnkit.serve import load_model

    clf = TextClassifier(units=[4], epochs=2, verbose=False).fit(TEXTS, LABELS)
    clf.save(tmp_path / "m")
    assert main(["export", str(tmp_path / "m")]) == 0
    client = TestClient(create_app(load_model(tmp_path / "m", "onnx")))
    got = client.post("/predict", json={"texts": ["good film", "awful"]}).json()
    expected = clf.predict_proba(["good film", "awful"])
    np.testing.assert_allclose([[r["p_neg"], r["p_pos"]] for r in got["predictions"]],
                               expected, atol=1e-6)
    assert main(["serve", str(tmp_path / "nothing"), "--runtime", "onnx"]) == 2
    assert "does not exist" in capsys.readouterr().err
    from rnnkit import TextLanguageModel

    TextLanguageModel(units=[4], embedding_dim=4, num_words=20, window=2, epochs=1,
                      verbose=False).fit(TEXTS).save(tmp_path / "lm")
    assert main(["serve", str(tmp_path / "lm"), "--runtime", "onnx"]) == 2
    assert "serves forecasters and text classifiers" in capsys.readouterr().err


def _hourly_panel(series: int = 3, days: int = 20) -> Any:
    import pandas as pd

    index = pd.date_range("2024-01-01", periods=24 * days, freq="h")
    rng = np.random.default_rng(0)
    return pd.concat([pd.DataFrame({"unique_id": f"s{k}", "ds": index, "y": 50 + 10 * np.sin(
        2 * np.pi * index.hour / 24) + k * 5 + rng.normal(0, 1, len(index))})
        for k in range(series)])


@pytest.mark.parametrize("kind", ["one series", "global with calendar"])
def test_serve_runtime_onnx_answers_forecasts_as_the_pytorch_model(tmp_path, kind):
    """The same requests (the saved data, newer rows, intervals) get the same forecasts from
    the exported network as from the PyTorch one; a mistake is the same 400."""
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from rnnkit.app import create_app
    from rnnkit.serve import load_model

    if kind == "one series":
        y = datasets.airline()
        fc = Forecaster(cell="lstm", units=[5], dense=(), window=12, transform="log,diff12",
                        epochs=2, verbose=False).fit(y[:-12])
        rows = [{"month": str(t.date()), "passengers": float(v)} for t, v in y[-40:].items()]
    else:
        data = _hourly_panel()
        fc = Forecaster(cell="gru", units=[6], dense=(), window=24, bidirectional=True,
                        epochs=2, validation=48, verbose=False).fit(data[data.ds < "2024-01-19"])
        later = data[data.ds >= "2024-01-17"]
        rows = [{"unique_id": i, "ds": str(t), "y": float(v)}
                for i, t, v in later[["unique_id", "ds", "y"]].itertuples(index=False)]
    fc.save(tmp_path / "m")
    assert main(["export", str(tmp_path / "m")]) == 0
    served = {runtime: TestClient(create_app(load_model(tmp_path / "m", runtime)))
              for runtime in ("torch", "onnx")}
    assert "ONNX" in served["onnx"].get("/").json()["model"]
    for body in ({"horizon": 30, "level": 0.9}, {"horizon": 7, "rows": rows}):
        got = {k: c.post("/predict", json=body).json() for k, c in served.items()}
        assert got["onnx"].keys() == got["torch"].keys(), got["onnx"]
        names = ["forecast"] + ["lower", "upper"] * ("level" in body)
        onnx, torch_ = ([[r[n] for n in names] for r in got[k]["forecasts"]]
                        for k in ("onnx", "torch"))
        assert len(onnx) == body["horizon"] * (3 if kind != "one series" else 1)
        np.testing.assert_allclose(onnx, torch_, rtol=1e-4)
        assert ([{k: v for k, v in r.items() if k not in names} for r in got["onnx"]["forecasts"]]
                == [{k: v for k, v in r.items() if k not in names}
                    for r in got["torch"]["forecasts"]])
    bad = {"horizon": 3, "rows": rows[:2]}
    answers = [c.post("/predict", json=bad) for c in served.values()]
    assert [a.status_code for a in answers] == [400, 400]
    assert answers[0].json() == answers[1].json()


@pytest.mark.parametrize("kind", ["one series", "global with calendar", "several windows"])
def test_an_exported_forecaster_runs_without_pytorch(tmp_path, kind):
    """rnnkit.onnx_forecast gives Forecaster.forecast's numbers (with intervals) in a process
    where importing torch fails: the forecaster's own NumPy pipeline around onnxruntime."""
    import json
    import subprocess
    import sys



    if kind == "one series":
        data = datasets.airline()
        fc = Forecaster(cell="lstm", units=[6], dense=(), window=12, ensemble=2, epochs=3,
                        transform="log,diff12", verbose=False).fit(data)
    elif kind == "several windows":  # each length normalised by its own mean level
        data = {k: datasets.airline() * (k + 1) for k in range(3)}
        fc = Forecaster(cell="gru", units=[5], dense=(), window=[6, 12, 18], ensemble=2,
                        normalize="mean", transform="log", epochs=2, verbose=False).fit(data)
    else:
        data = _hourly_panel()
        fc = Forecaster(cell="gru", units=[6], dense=(), window=24, epochs=2, validation=48,
                        verbose=False).fit(data)
        assert fc.calendar_ == ("hour", "weekday")
    fc.save(tmp_path / "m")
    assert main(["export", str(tmp_path / "m")]) == 0
    script = (
        "import sys, json; sys.modules['torch'] = None\n"  # any import of torch now fails
        "from rnnkit.onnx_forecast import OnnxForecaster\n"
        f"out = OnnxForecaster({str(tmp_path / 'm')!r}).forecast(30, level=0.9)\n"
        "from rnnkit.serve import answer, load_model\n"  # a server's path, folder checks too
        f"served = answer(load_model({str(tmp_path / 'm')!r}, 'onnx'), {{'horizon': 5}})\n"
        "print(json.dumps([out[['forecast', 'lower', 'upper']].to_numpy().tolist(),\n"
        "                  [r['forecast'] for r in served['forecasts']]]))\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    intervals, served = json.loads(done.stdout)
    expected = fc.forecast(30, level=0.9)[["forecast", "lower", "upper"]].to_numpy()
    np.testing.assert_allclose(intervals, expected, rtol=1e-4)
    np.testing.assert_allclose(served, fc.forecast(5).to_numpy().ravel() if kind == "one series"
                               else fc.forecast(5)["forecast"], rtol=1e-4)


def test_onnx_sessions_take_the_thread_policy(tmp_path, monkeypatch):
    """A small network gets one onnxruntime thread (not one per core, each spinning), and
    RNNKIT_THREADS (what each `rnnkit serve --workers` process is given) is obeyed."""
    from rnnkit.onnx_forecast import OnnxForecaster
    from rnnkit.onnx_session import saved_work

    fc = Forecaster(cell="lstm", units=[4], dense=(), window=6, epochs=1, verbose=False)
    fc.fit(datasets.airline()).save(tmp_path / "m")
    assert main(["export", str(tmp_path / "m")]) == 0
    monkeypatch.delenv("RNNKIT_THREADS", raising=False)
    options = OnnxForecaster(tmp_path / "m")._pipeline.ensemble.session.get_session_options()
    assert options.intra_op_num_threads == 1
    assert options.get_session_config_entry("session.intra_op.allow_spinning") == "0"
    monkeypatch.setenv("RNNKIT_THREADS", "3")
    options = OnnxForecaster(tmp_path / "m")._pipeline.ensemble.session.get_session_options()
    assert options.intra_op_num_threads == 3
    # the IMDB BiLSTM(64, 32) preset on a batch of 256 reviews: several threads' work
    assert saved_work({"network": {"cell": "lstm", "tokens": True, "embedding_dim": 64,
                                      "units": [64, 32], "bidirectional": True}}, 256) > 2e6
    assert saved_work({"network": {"cell": "lstm"}}, 1) == 0  # a config that does not say
