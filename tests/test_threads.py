"""The thread policy: what a process sets while rnnkit works, and what it leaves behind."""

from __future__ import annotations

from itertools import chain, repeat

import numpy as np
import pytest
import torch

from rnnkit import Forecaster, TextClassifier
from rnnkit.cli import main
from rnnkit.threads import available_cores, choose_threads, threads_for_work


def test_small_work_gets_one_thread_without_measuring_the_machine(monkeypatch):
    monkeypatch.setattr("rnnkit.threads.idle_cores", lambda: pytest.fail("measured"))
    assert threads_for_work(100_000) == 1


def test_large_work_gets_at_most_the_idle_cores():
    assert threads_for_work(6e6, cores=8, idle=8) == 3
    assert threads_for_work(6e7, cores=8, idle=8) == 8
    assert threads_for_work(6e7, cores=8, idle=2.4) == 2
    assert threads_for_work(6e7, cores=2, idle=0.3) == 1


def test_torchrun_ranks_share_the_cores(monkeypatch):
    monkeypatch.delenv("LOCAL_WORLD_SIZE", raising=False)
    alone = available_cores()
    monkeypatch.setenv("LOCAL_WORLD_SIZE", str(alone))
    assert available_cores() == 1  # nested parallelism: N ranks x 1 thread, not N x N
    monkeypatch.setenv("LOCAL_WORLD_SIZE", "not a number")
    assert available_cores() == alone


def test_explicit_threads_win_over_the_environment(monkeypatch):
    monkeypatch.setenv("RNNKIT_THREADS", "3")
    assert choose_threads(None, 10) == 3
    assert choose_threads(2, 10) == 2
    monkeypatch.setenv("RNNKIT_THREADS", "0")
    assert choose_threads(None, 10) == 1


def _spy_threads(monkeypatch) -> list[int]:
    seen: list[int] = []
    real = torch.set_num_threads

    def spy(n: int) -> None:
        seen.append(n)
        real(n)

    monkeypatch.setattr(torch, "set_num_threads", spy)
    return seen


def test_fit_uses_one_thread_for_a_small_network_and_restores_the_count(monkeypatch):
    monkeypatch.delenv("RNNKIT_THREADS", raising=False)
    torch.set_num_threads(2)
    seen = _spy_threads(monkeypatch)
    y = np.sin(np.arange(60) / 3) + 2
    fc = Forecaster(units=[4], dense=[], epochs=2, verbose=False).fit(y)
    assert seen[0] == 1
    assert torch.get_num_threads() == 2
    seen.clear()
    fc.forecast(3)
    assert seen[0] == 1 and torch.get_num_threads() == 2


def test_threads_parameter_is_used_validated_and_not_saved(monkeypatch, tmp_path):
    seen = _spy_threads(monkeypatch)
    torch.set_num_threads(1)
    texts, labels = ["good fun", "awful plot"] * 10, [1, 0] * 10
    clf = TextClassifier(num_words=10, maxlen=4, units=[2], epochs=1, verbose=False, threads=2)
    clf.fit(texts, labels)
    assert 2 in seen and torch.get_num_threads() == 1
    clf.save(tmp_path / "m")
    assert TextClassifier.load(tmp_path / "m").threads is None
    with pytest.raises(ValueError, match="`threads` must be None or a positive integer; got 0"):
        TextClassifier(threads=0).fit(texts, labels)


def test_cli_threads_option(monkeypatch, capsys):
    monkeypatch.delenv("RNNKIT_THREADS", raising=False)
    with pytest.raises(SystemExit) as exit_:
        main(["summary", "nowhere", "--threads", "0"])
    assert exit_.value.code == 2
    assert "--threads: must be a positive integer; got '0'" in capsys.readouterr().err
    import os

    from rnnkit import cli

    seen = []
    monkeypatch.setattr(cli.summary, "cmd_summary",
                        lambda args: seen.append(os.environ.get("RNNKIT_THREADS")) or 0)
    assert main(["summary", "nowhere", "--threads", "1"]) == 0
    # the estimators see it while the command runs; the calling program gets its own back
    assert seen == ["1"] and "RNNKIT_THREADS" not in os.environ


def test_training_chooses_its_threads_again_each_epoch_unless_they_were_set(monkeypatch):
    monkeypatch.delenv("RNNKIT_THREADS", raising=False)
    monkeypatch.setattr("rnnkit.threads.available_cores", lambda: 2)
    torch.set_num_threads(1)
    texts, labels = ["good fun film", "awful boring plot"] * 8, [1, 0] * 8
    # a BiLSTM(64) over 128-wide vectors, 64 texts a batch: work for 3 threads, as many as idle
    big = dict(num_words=20, maxlen=4, embedding_dim=128, units=[64], bidirectional=True,
               batch_size=64, epochs=4, patience=None, verbose=False)
    idle = iter([1.0, 1.0, 2.0, 2.0, 0.9])  # fit's start, then each epoch's
    monkeypatch.setattr("rnnkit.threads.idle_cores", lambda: next(idle))
    clf = TextClassifier(**big).fit(texts, labels)
    assert [r["threads"] for r in clf.history_.records] == [1, 2, 2, 1]
    assert torch.get_num_threads() == 1  # the caller's count, restored
    monkeypatch.setattr("rnnkit.threads.idle_cores", lambda: pytest.fail("measured"))
    clf = TextClassifier(**big, threads=2).fit(texts, labels)
    assert [r["threads"] for r in clf.history_.records] == [2, 2, 2, 2]


def test_own_threads_do_not_count_as_busy(monkeypatch):
    from rnnkit import threads

    monkeypatch.setattr(threads, "_IDLE_CACHE", None)
    monkeypatch.setattr(threads, "_cpu_times", iter([{0: (0, 100), 1: (0, 100)},
                                                    {0: (0, 200), 1: (0, 200)}]).__next__)
    # the time module is patched for everyone: after the values the test needs, the last
    spent = chain([0.0], repeat(0.1))  # this process: one core for the whole 0.1 s sample
    monkeypatch.setattr(threads.time, "process_time", lambda: next(spent))
    clock = chain([5.0, 5.0], repeat(5.1))  # the cache's stamp, the sample's start and end
    monkeypatch.setattr(threads.time, "monotonic", lambda: next(clock))
    monkeypatch.setattr(threads.time, "sleep", lambda s: None)
    monkeypatch.setattr(threads.os, "sched_getaffinity", lambda pid: {0, 1})
    monkeypatch.setattr(threads, "available_cores", lambda: 2)
    assert threads.idle_cores() == pytest.approx(1.0)  # both busy, one of them ours
