"""Model folders as untrusted input, deterministic and crash-safe saves.

The hostile folders are built here the way an attacker would: edit a file, then recompute
every checksum and the digest (with this file's own SHA-256 code, not rnnkit's), so only the
schema, the limits and the shape checks stand between the folder and the allocator.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import time

import pytest

import rnnkit.io
from rnnkit import Forecaster, TextClassifier
from rnnkit.cli import main
from rnnkit.errors import ModelFormatError, RnnkitError
from rnnkit.safe_json import json_depth, loads_bounded

TEXTS = ["good fine great", "bad awful poor", "great good", "poor bad"] * 6
LABELS = ["pos", "neg", "pos", "neg"] * 6


@pytest.fixture
def saved(tmp_path, seasonal_series, tiny_params):
    return Forecaster(**tiny_params).fit(seasonal_series).save(tmp_path / "m")


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def forge(folder, edit_config=None, edit_preprocessing=None, config_text=None) -> None:
    """Edit a saved model and make every checksum agree again, as an attacker could."""
    config = json.loads((folder / "config.json").read_text())
    pre = json.loads((folder / "preprocessing.json").read_text())
    if edit_preprocessing:
        edit_preprocessing(pre)
    pre_bytes = json.dumps(pre).encode()
    (folder / "preprocessing.json").write_bytes(pre_bytes)
    if edit_config:
        edit_config(config)
    config["preprocessing"]["sha256"] = _sha(pre_bytes)
    config.pop("digest")
    config["digest"] = _sha(json.dumps(config, sort_keys=True, separators=(",", ":")).encode())
    (folder / "config.json").write_text(config_text or json.dumps(config))


def test_json_depth_skips_brackets_inside_strings():
    assert json_depth(b'{"a": "[[[\\"[", "b": [[1]]}') == 3
    assert json_depth(b"7") == 0
    with pytest.raises(RnnkitError, match="nested 100000 deep"):
        loads_bounded(b"[" * 100_000 + b"]" * 100_000, "the body")
    with pytest.raises(RnnkitError, match="is 11 bytes; at most 10"):
        loads_bounded(b'"abcdefghi"', "x", max_bytes=10)


@pytest.mark.parametrize("content, message", [
    (b"[" * 100_000 + b"]" * 100_000, "nested 100000 deep"),
    (b"[1, 2]", "must hold a JSON object; got a JSON list"),
    (b'{"format": "rnnkit-model", "x": "\xff\xfe"}', "is not UTF-8 text"),
    (b"{not json", "is not valid JSON"),
])
def test_a_malformed_config_is_one_error(saved, content, message):
    (saved / "config.json").write_bytes(content)
    with pytest.raises(ModelFormatError, match=message):
        Forecaster.load(saved)


def test_a_malformed_config_is_one_line_and_status_2_in_every_command(saved, capsys):
    (saved / "config.json").write_bytes(b"[" * 100_000 + b"]" * 100_000)
    for command in (["predict", str(saved)], ["summary", str(saved)]):
        assert main(command) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "nested 100000 deep" in err


def test_a_format_version_of_the_wrong_type_is_named(saved):
    forge(saved, lambda c: c.update(format_version="1"))
    with pytest.raises(ModelFormatError, match="invalid format_version '1'"):
        Forecaster.load(saved)


def test_an_edit_without_a_new_digest_is_refused(saved):
    original = (saved / "config.json").read_text()
    config = json.loads(original)
    config["params"]["epochs"] = 4
    (saved / "config.json").write_text(json.dumps(config))
    with pytest.raises(ModelFormatError, match="digest differs"):
        Forecaster.load(saved)
    (saved / "config.json").write_text(original)
    (saved / "preprocessing.json").write_text(
        (saved / "preprocessing.json").read_text().replace("sales", "other"))
    with pytest.raises(ModelFormatError, match=r"preprocessing\.json .*checksum differs"):
        Forecaster.load(saved)


@pytest.mark.parametrize("edit, message", [
    (lambda c: c["params"].update(units=[8000]), "`units` must be .* each <= 4,096"),
    (lambda c: c["network"].update(units=[8000]), "network `units` must be an integer from 1"),
    (lambda c: c["params"].update(ensemble=1_000_000), "`ensemble` must be .* <= 100"),
    (lambda c: c["params"].update(ensemble=-1), "`ensemble` must be"),
    (lambda c: c["params"].update(window=list(range(1, 60)), ensemble=50),
     "2950 networks; at most 100"),
    (lambda c: c.update(params=[1, 2]), "`params` must be a JSON object"),
    (lambda c: c["params"].update(surprise=1), "unexpected keyword argument 'surprise'"),
    (lambda c: c["network"].update(cell="transformer"), "network `cell` must be one of"),
    (lambda c: c.update(training=[]), "`training` must be an object"),
])
def test_a_forged_config_is_refused_before_any_network_is_built(saved, edit, message):
    forge(saved, edit)
    start = time.perf_counter()
    with pytest.raises(ModelFormatError, match=message):
        Forecaster.load(saved)
    assert time.perf_counter() - start < 5  # nothing of the forged size was built


def test_weights_that_do_not_fit_the_network_are_refused_before_they_are_read(saved):
    """The config's own list of tensors agrees with the file, but the network it describes
    (8 units) does not: the header is compared with a network on the meta device."""
    def wider(config):
        config["network"]["units"] = [16]
        config["params"]["units"] = [16]

    forge(saved, wider)
    with pytest.raises(ModelFormatError, match=r"does not fit the network config\.json describes"):
        Forecaster.load(saved)


def test_a_loaded_model_never_writes_to_a_path_from_its_files(saved, tmp_path,
                                                              seasonal_series, monkeypatch):
    forge(saved, lambda c: c["params"].update(checkpoint="../../escape.safetensors"))
    loaded = Forecaster.load(saved)
    assert loaded.checkpoint is None
    monkeypatch.chdir(saved)
    loaded.fit(seasonal_series)
    assert not (tmp_path.parent / "escape.safetensors").exists()


def test_a_saved_token_pattern_that_backtracks_is_refused(tmp_path):
    folder = TextClassifier(units=[4], epochs=1, verbose=False, seed=0).fit(
        TEXTS, LABELS).save(tmp_path / "c")
    forge(folder, lambda c: c["params"].update(token_pattern="(a+)+$"))
    with pytest.raises(ModelFormatError, match="cannot backtrack catastrophically"):
        TextClassifier.load(folder)


def test_the_same_seed_and_data_give_byte_identical_files(tmp_path, seasonal_series,
                                                          tiny_params):
    paths = [Forecaster(**tiny_params).fit(seasonal_series).save(tmp_path / name)
             for name in ("a", "b")]
    for name in ("config.json", "preprocessing.json", "weights.safetensors"):
        assert (paths[0] / name).read_bytes() == (paths[1] / name).read_bytes(), name
    other = Forecaster(**tiny_params | {"seed": 1}).fit(seasonal_series).save(tmp_path / "c")
    assert (other / "weights.safetensors").read_bytes() != (
        paths[0] / "weights.safetensors").read_bytes()


def _leftovers(path):
    return sorted(p.name for p in path.parent.iterdir() if p.name.startswith(f".{path.name}."))


def _two_models(tmp_path, seasonal_series, tiny_params):
    path = Forecaster(**tiny_params).fit(seasonal_series).save(tmp_path / "m")
    before = Forecaster.load(path).forecast(3)
    newer = Forecaster(**tiny_params | {"seed": 1}).fit(seasonal_series)
    return path, before, newer


@pytest.mark.parametrize("failing_write", [0, 1, 2])
def test_a_full_disk_leaves_the_old_model(tmp_path, seasonal_series, tiny_params,
                                          monkeypatch, failing_write):
    path, before, newer = _two_models(tmp_path, seasonal_series, tiny_params)
    writes = []
    real = rnnkit.io._write_file

    def write(target, data):
        writes.append(target)
        if len(writes) - 1 == failing_write:
            raise OSError(errno.ENOSPC, "No space left on device")
        real(target, data)

    monkeypatch.setattr(rnnkit.io, "_write_file", write)
    with pytest.raises(RnnkitError, match=r"the disk is full\. The model that was there is "
                                          "unchanged"):
        newer.save(path)
    assert Forecaster.load(path).forecast(3).equals(before)
    assert _leftovers(path) == []


class Crash(BaseException):
    """Stands for the process dying: not an Exception, so nothing handles it."""


@pytest.mark.parametrize("crash_at", ["write", "exchange", "cleanup"])
def test_a_crash_at_any_step_of_a_save_leaves_a_complete_model(tmp_path, seasonal_series,
                                                               tiny_params, monkeypatch,
                                                               crash_at):
    path, before, newer = _two_models(tmp_path, seasonal_series, tiny_params)
    after = newer.forecast(3)
    target = {"write": "_write_file", "exchange": "_exchange", "cleanup": "_remove_tree"}
    real = getattr(rnnkit.io, target[crash_at])

    def crash(*args):
        if crash_at == "cleanup":
            real(*args)  # the swap happened; the process dies while tidying up
        raise Crash

    monkeypatch.setattr(rnnkit.io, target[crash_at], crash)
    with pytest.raises(Crash):
        newer.save(path)
    monkeypatch.undo()
    loaded = Forecaster.load(path).forecast(3)
    assert loaded.equals(before) or loaded.equals(after)
    newer.save(path)  # the next save clears what the crash left
    assert Forecaster.load(path).forecast(3).equals(after) and _leftovers(path) == []


def test_without_an_atomic_exchange_a_crash_between_the_renames_is_recovered(
        tmp_path, seasonal_series, tiny_params, monkeypatch):
    path, before, newer = _two_models(tmp_path, seasonal_series, tiny_params)
    monkeypatch.setattr(rnnkit.io, "_exchange", lambda a, b: False)
    renames = []
    real_replace = os.replace

    def replace(a, b):
        renames.append((a, b))
        if len(renames) == 2:  # the old model is set aside, the new one not yet in place
            raise Crash
        real_replace(a, b)

    monkeypatch.setattr(rnnkit.io.os, "replace", replace)
    with pytest.raises(Crash):
        newer.save(path)
    monkeypatch.undo()
    assert not path.exists()
    assert Forecaster.load(path).forecast(3).equals(before)  # put back from .m.old-*
    assert _leftovers(path) == []


@pytest.mark.parametrize("edit, message", [
    (lambda p: p["series"][0]["recent"]["target"].__setitem__(-1, None),
     "its recent values must be finite numbers"),
    (lambda p: p["series"][0]["scaler"].update(scale=[0.0]),
     "positive, finite scales"),
    (lambda p: p["series"][0]["scaler"].update(kind="magic"), "unknown scaler 'magic'"),
])
def test_forged_preprocessing_that_would_give_nan_forecasts_is_refused(saved, edit, message):
    forge(saved, edit_preprocessing=edit)
    with pytest.raises(ModelFormatError, match=message):
        Forecaster.load(saved)
