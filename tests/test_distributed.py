"""Data-parallel training under torchrun (gloo, 2 processes on this machine): the same losses
as one process, only rank 0 writing, and a failed rank ending the run with a clear message."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

HERE = Path(__file__).parent
SCRIPT = HERE / "distributed" / "train_ranks.py"
pytest.importorskip("torch.distributed")


def _run(args: list[str], ranks: int, tmp_path: Path) -> subprocess.CompletedProcess:
    env = os.environ | {"OMP_NUM_THREADS": "1", "PYTHONPATH": str(HERE.parent / "src")}
    launcher = ([] if ranks == 1 else
                ["-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={ranks}"])
    return subprocess.run([sys.executable, *launcher, *args], capture_output=True, text=True,
                          env=env, cwd=tmp_path, timeout=300)


@pytest.mark.parametrize("model", ["forecaster", "classifier"])
def test_two_ranks_follow_one_process(model, tmp_path):
    losses = {}
    for ranks in (1, 2):
        out = tmp_path / f"{ranks}.json"
        done = _run([str(SCRIPT), model, str(out)], ranks, tmp_path)
        assert done.returncode == 0, done.stderr[-2000:]
        losses[ranks] = json.loads(out.read_text())
    assert losses[2]["ranks"] == 2 and losses[1]["ranks"] == 1
    assert len(losses[1]["loss"]) == 5  # 5 epochs of 10 steps
    alone = json.loads((tmp_path / "1.json.rank0").read_text())
    shares = [json.loads((tmp_path / f"2.json.rank{r}").read_text()) for r in (0, 1)]
    assert alone["steps"] == 50 and all(share["steps"] == 50 for share in shares)
    # each rank read its half of every batch: together, what one process read
    assert sum(share["samples"] for share in shares) == alone["samples"]
    assert all(share["samples"] < alone["samples"] * 0.6 for share in shares)
    for key in ("loss", "val_loss"):
        np.testing.assert_allclose(losses[2][key], losses[1][key], rtol=0, atol=1e-5)
    # each rank saved "its" model: only rank 0 wrote one
    assert (tmp_path / "2.json.saved0" / "weights.safetensors").exists()
    assert not (tmp_path / "2.json.saved1").exists()


def test_pretraining_a_language_model_on_two_ranks_follows_one_process(tmp_path):
    """`rnnkit pretrain --workers 2` runs this: the same losses as one process, each rank
    reading half of every batch, only rank 0 saving."""
    losses, shares = {}, {}
    for ranks in (1, 2):
        out = tmp_path / f"{ranks}.json"
        done = _run([str(SCRIPT), "language_model", str(out)], ranks, tmp_path)
        assert done.returncode == 0, done.stderr[-2000:]
        losses[ranks] = json.loads(out.read_text())
        shares[ranks] = [json.loads((tmp_path / f"{ranks}.json.rank{r}").read_text())
                         for r in range(ranks)]
    assert len(losses[1]["loss"]) == 5 and losses[2]["ranks"] == 2
    alone = shares[1][0]
    assert all(share["steps"] == alone["steps"] > 5 for share in shares[2])
    assert sum(share["samples"] for share in shares[2]) == alone["samples"]
    for key in ("loss", "val_loss"):
        np.testing.assert_allclose(losses[2][key], losses[1][key], rtol=0, atol=1e-5)
    assert (tmp_path / "2.json.saved0" / "weights.safetensors").exists()
    assert not (tmp_path / "2.json.saved1").exists()


def test_a_failing_rank_ends_the_run_with_its_message(tmp_path):
    done = _run([str(SCRIPT), "failing", str(tmp_path / "out.json")], 2, tmp_path)
    assert done.returncode != 0
    assert "rank 1 lost its data at step 20" in done.stderr
    assert not (tmp_path / "out.json").exists()  # rank 0 did not finish as if nothing happened


def test_workers_runs_the_command_under_torchrun(tmp_path):
    env = os.environ | {"OMP_NUM_THREADS": "1", "PYTHONPATH": str(HERE.parent / "src")}
    done = subprocess.run([sys.executable, "-m", "rnnkit", "forecast", "--epochs", "2",
                           "--units", "4", "--dense", "", "--quiet", "--workers", "2",
                           "--out", "runs/two"], capture_output=True, text=True, env=env,
                          cwd=tmp_path, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.count("Data: airline passengers") == 1  # the first process reports
    assert (tmp_path / "runs" / "two" / "forecast.csv").exists()
    assert not (tmp_path / "runs" / "two.state").exists()
