import numpy as np
import pandas as pd
import pytest
import torch

from rnnkit import Forecaster, TextClassifier
from rnnkit.cli import main
from rnnkit.explain import gradient_flow, prefix_outputs
from rnnkit.models.network import NetworkConfig, RecurrentNetwork


@pytest.fixture(scope="module")
def bi_stacked_classifier():
    from test_classifier import FAST, synthetic

    texts, labels = synthetic(200)
    params = FAST | {"units": [6, 4], "epochs": 3}
    return TextClassifier(cell="lstm", bidirectional=True, **params).fit(texts, labels)


def test_trace_of_a_bidirectional_stacked_model_is_shaped_and_labelled(bi_stacked_classifier):
    clf = bi_stacked_classifier
    texts = ["the film was good", "awful"]
    trace = clf.trace(texts)
    assert trace.layers == [(0, "forward"), (0, "backward"), (1, "forward"), (1, "backward")]
    assert trace.dims == ("sample", "step", "unit")
    assert trace.labels == [["<start>", "the", "film", "was", "good"], ["<start>", "awful"]]
    gates = trace.arrays[(1, "backward")]
    assert set(gates) == {"forget", "input", "candidate", "output", "cell", "hidden"}
    assert gates["forget"].shape == (2, 5, 4)
    assert np.isnan(gates["forget"][1, 2:]).all() and not np.isnan(gates["forget"][1, :2]).any()
    assert ((gates["input"][0] >= 0) & (gates["input"][0] <= 1)).all()
    # the traced outputs are the network's own predictions
    fast = clf.network_(torch.as_tensor(clf.encode(texts))).detach().numpy()
    np.testing.assert_allclose(np.vstack(trace.outputs), fast, rtol=1e-5, atol=1e-6)
    frame = trace.to_frame()
    assert {"sample", "layer", "direction", "step", "label", "name", "value"} <= set(frame)
    assert len(frame) == 4 * 6 * (5 + 2)  # layers×directions, gates, real steps


def test_prefix_outputs_end_with_the_whole_text(bi_stacked_classifier):
    clf = bi_stacked_classifier
    ids = clf.encode(["the plot was awful"])[0]
    ids = ids[ids != 0]
    evolving = prefix_outputs(clf.network_, ids)
    whole = clf.network_(torch.as_tensor(ids)[None]).detach().numpy()
    np.testing.assert_allclose(evolving[-1], whole[0], rtol=1e-5, atol=1e-6)


def test_explain_text_and_series_figures_headless(tmp_path, bi_stacked_classifier,
                                                  seasonal_series, tiny_params, capsys):
    clf = bi_stacked_classifier
    clf.save(tmp_path / "clf")
    assert main(["explain", str(tmp_path / "clf"), "the film was good but dull",
                 "--out", str(tmp_path / "e1")]) == 0
    for name in ("explain.png", "explain.html", "trace.csv"):
        assert (tmp_path / "e1" / name).stat().st_size > 500
    page = (tmp_path / "e1" / "explain.html").read_text()
    assert "data:image/png;base64," in page and 'title="good · forget gate f' in page
    assert "http" not in page.replace("http-equiv", "")  # self-contained

    fc = Forecaster(cell="gru", **{k: v for k, v in tiny_params.items() if k != "cell"})
    fc.fit(seasonal_series)
    fc.save(tmp_path / "fc")
    csv = tmp_path / "s.csv"
    seasonal_series.to_frame().to_csv(csv)
    assert main(["explain", str(tmp_path / "fc"), "--csv", str(csv),
                 "--out", str(tmp_path / "e2")]) == 0
    trace = pd.read_csv(tmp_path / "e2" / "trace.csv")
    assert set(trace["name"]) == {"reset", "update", "candidate", "hidden"}
    assert trace["step"].max() == len(seasonal_series) - 1
    assert "<th>one-step forecast</th>" in (tmp_path / "e2" / "explain.html").read_text()

    # without --csv: the values the model remembers, which its next forecast reads
    assert main(["explain", str(tmp_path / "fc"), "--out", str(tmp_path / "e3")]) == 0
    assert "the last 6 values the model remembers" in capsys.readouterr().out
    trace = pd.read_csv(tmp_path / "e3" / "trace.csv")
    assert trace["label"].unique().tolist() == [
        d.strftime("%Y-%m-%d") for d in seasonal_series.index[-6:]]
    # none of them has a window before it, so there is no one-step forecast row to show
    assert "one-step forecast" not in (tmp_path / "e3" / "explain.html").read_text()


def test_gradient_flow_vanishes_for_a_saturated_simple_rnn():
    torch.manual_seed(0)
    networks = {c: RecurrentNetwork(NetworkConfig(c, 4, (16,), 1)) for c in ("rnn", "lstm")}
    flow = gradient_flow(networks, torch.randn(8, 60, 4))
    assert set(flow["model"]) == {"rnn", "lstm"} and len(flow) == 120
    by = flow.set_index(["model", "distance"])["norm"]
    assert by[("rnn", 59)] < 1e-3 * by[("rnn", 0)]  # vanished
    assert by[("lstm", 59)] > by[("rnn", 59)]  # the forget gate keeps more of it


def test_gradient_flow_cli_with_a_trained_model(tmp_path, bi_stacked_classifier, capsys):
    bi_stacked_classifier.save(tmp_path / "clf")
    assert main(["explain", "--gradient-flow", str(tmp_path / "clf"), "--steps", "12",
                 "--batch", "4", "--out", str(tmp_path / "g")]) == 0
    printed = capsys.readouterr().out
    assert "trained BiLSTM" in printed and "fresh SimpleRNN" in printed
    assert (tmp_path / "g" / "gradient_flow.png").is_file()


def test_explain_user_errors(tmp_path, bi_stacked_classifier, capsys):
    bi_stacked_classifier.save(tmp_path / "clf")
    assert main(["explain", str(tmp_path / "clf")]) == 2
    assert "give the text to explain" in capsys.readouterr().err
    assert main(["explain"]) == 2
    assert "needs a model directory" in capsys.readouterr().err


def test_prefix_outputs_of_a_series_network_with_a_linear_skip():
    torch.manual_seed(0)
    net = RecurrentNetwork(NetworkConfig("gru", 1, (4,), 1, skip=3)).eval()
    torch.nn.init.normal_(net.skip.weight)
    x = np.random.default_rng(0).normal(size=(6, 1))
    evolving = prefix_outputs(net, x)
    assert np.isnan(evolving[:2]).all()  # fewer than 3 values: the skip is undefined
    with torch.no_grad():
        whole = net(torch.as_tensor(x[None], dtype=torch.float32)).double().numpy()
        fourth = net(torch.as_tensor(x[None, :4], dtype=torch.float32)).double().numpy()
    np.testing.assert_allclose(evolving[-1], whole[0], atol=1e-5)
    np.testing.assert_allclose(evolving[3], fourth[0], atol=1e-5)


def test_gradient_flow_of_an_ensemble_forecaster_reads_each_network(tmp_path, capsys):
    from rnnkit import Forecaster, datasets

    fc = Forecaster(cell="gru", units=[4], dense=(), window=6, epochs=1, ensemble=2,
                    verbose=False).fit(datasets.airline())
    fc.save(tmp_path / "ens")
    assert main(["explain", "--gradient-flow", str(tmp_path / "ens"), "--steps", "12",
                 "--batch", "4", "--out", str(tmp_path / "g")]) == 0
    printed = capsys.readouterr().out
    assert "trained GRU (network 1 of 2)" in printed and "(network 2 of 2)" in printed
