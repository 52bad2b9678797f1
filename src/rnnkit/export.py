"""A trained network as ONNX (``rnnkit export RUN --format onnx``), for runtimes without
PyTorch (the ``export`` extra: ``onnx`` and ``onnxruntime``).

The graph is the network alone, with dynamic batch and length axes:

* a forecaster's ``windows`` ``(N, L, F)`` float32 — the model's inputs after its transforms,
  scaling and window normalisation (``preprocessing.json`` holds them) — give ``output``
  ``(N, horizon)`` in the same model space; an ensemble of several window lengths ``w``
  takes ``windows_<w>`` ``(N, w, F)`` normalised by their own levels ``level_<w>`` ``(N,)``
  (each length's latest steps, normalised alone, as its networks were trained) and gives
  the median of its networks' outputs with those levels added back;
* a text classifier's ``ids`` ``(N, L)`` int64 token ids (0 = padding, pre or post) give
  ``logits`` ``(N, 1)`` for two classes, else ``(N, classes)``; the vocabulary is in
  ``preprocessing.json``. With a bag of word pairs (``ngrams=2``) it also takes ``pairs``
  ``(N, L - 1)`` int64, each adjacent pair's bag row from
  :func:`rnnkit.data.text.hashed_pairs` (the hash's bitwise XOR is one operation the
  exporter does not write; :mod:`rnnkit.onnx_text` computes them in NumPy).

Every cell, stacked and bidirectional layers, every pooling and the bag of n-grams export
(padding is handled in the graph, as the layers were written to allow); an ensemble exports
its median (the middle of a sort).
After writing, the file is run by onnxruntime on sample inputs and compared with PyTorch; a
difference over 1e-4 is an error.

>>> from rnnkit import Forecaster, datasets
>>> import tempfile, pathlib
>>> fc = Forecaster(cell="gru", units=[4], dense=(), window=12, epochs=1, verbose=False)
>>> path = export_onnx(fc.fit(datasets.airline()), pathlib.Path(tempfile.mkdtemp()))
>>> path.name
'model.onnx'
"""

from __future__ import annotations

import copy
import warnings
from pathlib import Path
from typing import Any

from rnnkit.errors import RnnkitError

__all__ = ["export_onnx"]

TOLERANCE = 1e-4


def export_onnx(model: Any, path: str | Path) -> Path:
    """Write ``model``'s network to ``path`` (a folder gets ``model.onnx`` inside) and check
    it with onnxruntime; returns the file."""
    import torch

    from rnnkit.forecasting import HybridForecaster

    if isinstance(model, HybridForecaster):
        raise RnnkitError("a HybridForecaster cannot be exported to ONNX: every forecast "
                          "refits its statistical base model (statsforecast), which ONNX does "
                          "not hold. Forecast with it through rnnkit predict or the Python API.")
    try:
        import onnx  # noqa: F401 - torch's exporter needs it
        import onnxruntime  # noqa: F401 - the check after writing runs it
    except ImportError:
        raise RnnkitError("exporting to ONNX needs the export extra: pip install "
                          "'rnnkit[export]' (onnx and onnxruntime).") from None
    model._check_fitted()
    network = model.network_
    config = network.config
    path = Path(path)
    if path.is_dir() or not path.suffix:
        path = path / "model.onnx"
    path.parent.mkdir(parents=True, exist_ok=True)
    generator = torch.Generator().manual_seed(0)
    windows = model.check_params()["window"] if hasattr(model, "schema_") else None
    if windows is not None and len(set(windows)) > 1:
        from rnnkit.forecasting.ensemble import member_windows
        from rnnkit.models.network import MultiWindowEnsemble

        network = MultiWindowEnsemble(list(network.members), member_windows(
            windows, model.ensemble))
        samples = network.inputs(3, config.input_size, generator)
        axes = {f"windows_{w}": {0: "batch"} for w in network.lengths} | {
            f"level_{w}": {0: "batch"} for w in network.lengths}
    elif config.tokens:
        sample = torch.randint(3, config.input_size, (3, 16), generator=generator)
        sample[0, :5] = 0  # padding in the traced example: the general path is the one kept
        samples, axes = {"ids": sample}, {"ids": {0: "batch", 1: "steps"}}
        if config.ngrams >= 2:
            from rnnkit.models.network import WithPairs

            network = WithPairs(network)
            samples["pairs"] = network.network.pair_ids(sample)
            axes["pairs"] = {0: "batch", 1: "pairs"}
    else:
        length = max(windows) if windows else 12
        samples = {"windows": torch.randn(3, length, config.input_size, generator=generator)}
        axes = {"windows": {0: "batch", 1: "steps"}}
    output = "logits" if config.tokens else "output"
    network = copy.deepcopy(network).cpu().eval()  # the model itself stays where it is
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # the exporter's tracer and deprecation notes
        torch.onnx.export(network, tuple(samples.values()), str(path),
                          input_names=list(samples), output_names=[output],
                          dynamic_axes=axes | {output: {0: "batch"}}, dynamo=False)
    _check_parity(path, network, _check_inputs(network, config, samples, generator))
    return path


def _check_inputs(network: Any, config: Any, samples: dict[str, Any], generator: Any
                  ) -> dict[str, Any]:
    """Other inputs than traced (another batch size; for token ids another length and
    padding): what the written graph is checked on."""
    import torch

    from rnnkit.models.network import MultiWindowEnsemble, WithPairs

    if isinstance(network, MultiWindowEnsemble):
        return network.inputs(4, config.input_size, generator)
    if config.tokens:
        check = torch.randint(3, config.input_size, (4, 23), generator=generator)
        check[1, :7] = 0
        if isinstance(network, WithPairs):
            return {"ids": check, "pairs": network.network.pair_ids(check)}
        return {"ids": check}
    length = samples["windows"].shape[1]
    return {"windows": torch.randn(4, length, config.input_size, generator=generator)}


def _check_parity(path: Path, network: Any, inputs: dict[str, Any]) -> None:
    """onnxruntime's outputs on ``inputs`` against PyTorch's; over :data:`TOLERANCE`, the file
    is removed and the error says so."""
    import numpy as np
    import onnxruntime
    import torch

    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    with torch.inference_mode():
        expected = network(*inputs.values()).numpy()
    got = session.run(None, {name: x.numpy() for name, x in inputs.items()})[0]
    difference = float(np.abs(got - expected).max())
    if not difference <= TOLERANCE:
        path.unlink(missing_ok=True)
        raise RnnkitError(f"the exported graph differs from the network by {difference:.2g} "
                          f"(over {TOLERANCE:g}); nothing was written.")
