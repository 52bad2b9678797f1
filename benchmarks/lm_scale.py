"""What a language model of the published size costs on this machine: words per second of
one training step (forward, adaptive-softmax loss, backward, clipping, AdamW) for the
``imdb-pretrained`` language model, LSTM(128) over 128-wide word vectors, next to the size
Dai & Le (2015) pretrained for IMDB, LSTM(1024) over 512-wide vectors, measured in one run
with the two sizes alternating step by step (the machine is shared; ratios hold, absolute
times drift).

The batches are real IMDB reviews (every tenth training review) cut into windows of 128
words, on a vocabulary of their 11,871 most frequent words (the size the ``imdb-pretrained``
language model learned), so the adaptive softmax sees real word frequencies. From the
words per second it prints the hours one pass over the 75,000 reviews (17.3 million words,
RESULTS.md) takes, and how many passes fit in issue 20's budget of 3 hours for pretraining
and fine-tuning together.

    python benchmarks/lm_scale.py --path ../shared/data/aclImdb_v1.tar.gz --steps 6
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np
import torch
from _results import machine, publish
from imdb import DEFAULT_PATH

from rnnkit import datasets
from rnnkit.data.text import Tokenizer, Vocabulary, encode_ragged
from rnnkit.language_model import LanguageNetwork
from rnnkit.models.network import NetworkConfig

SIZES = {"imdb-pretrained: LSTM(128), 128-wide words": (128, 128),
         "Dai & Le: LSTM(1024), 512-wide words": (512, 1024)}
WORDS_PER_EPOCH = 17.3e6  # the 50,000 unlabelled and 25,000 training reviews (RESULTS.md)
LABELLED_WORDS = WORDS_PER_EPOCH / 3  # the 25,000 training reviews alone
BUDGET_HOURS = 3.0
NUM_WORDS, WINDOW, BATCH = 11_871, 128, 64


def batches(path: Path, count: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """``count`` batches of ``(BATCH, WINDOW)`` inputs and next-word targets from the
    training reviews, in their order."""
    train, _ = datasets.imdb(path, download=False)
    tokens = Tokenizer()(train.texts[::10])
    vocabulary = Vocabulary.fit(tokens, NUM_WORDS)
    stream = encode_ragged(tokens, vocabulary).flat
    cut = stream.unfold(0, WINDOW + 1, WINDOW)[:count * BATCH]
    return [(cut[i:i + BATCH, :-1], cut[i:i + BATCH, 1:]) for i in range(0, len(cut), BATCH)]


def step_function(embedding_dim: int, units: int):
    """One training step of a language network of this size, as ``TextLanguageModel`` takes
    it."""
    torch.manual_seed(0)
    config = NetworkConfig(cell="lstm", input_size=NUM_WORDS, units=[units], output_size=1,
                           tokens=True, embedding_dim=embedding_dim, dropout=0.1,
                           embedding_dropout=0.1)
    network = LanguageNetwork(config).train()
    optimizer = torch.optim.AdamW(network.parameters(), lr=1e-3)

    def step(x: torch.Tensor, y: torch.Tensor) -> None:
        optimizer.zero_grad(set_to_none=True)
        network.loss(network(x), y).backward()
        torch.nn.utils.clip_grad_norm_(network.parameters(), 1.0)
        optimizer.step()

    return step, sum(p.numel() for p in network.parameters())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--path", type=Path, default=DEFAULT_PATH)
    parser.add_argument("--steps", type=int, default=6, help="timed steps per size")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    data = batches(args.path, args.steps + 1)
    steps = {name: step_function(*size) for name, size in SIZES.items()}
    seconds: dict[str, list[float]] = {name: [] for name in SIZES}
    for step, _ in steps.values():  # one untimed warm-up step each
        step(*data[0])
    for x, y in data[1:args.steps + 1]:
        for name, (step, _) in steps.items():
            began = time.perf_counter()
            step(x, y)
            seconds[name].append(time.perf_counter() - began)
    lines = ["## Language-model pretraining at the published size (issue 20)", "",
             f"Command: `python benchmarks/lm_scale.py --steps {args.steps}`. Machine: "
             f"{machine()}; {args.threads} threads for both sizes; load average "
             f"{os.getloadavg()[0]:.1f}. Median of {args.steps} training steps of "
             f"{BATCH} × {WINDOW} words each, the two sizes alternating.", "",
             "| language model | parameters | s/step | words/s | hours per pass over 75k "
             f"reviews | passes in {BUDGET_HOURS:.0f} h |", "|---|---:|---:|---:|---:|---:|"]
    rate = {}
    for name, (_, parameters) in steps.items():
        median = float(np.median(seconds[name]))
        rate[name] = BATCH * WINDOW / median
        hours = WORDS_PER_EPOCH / rate[name] / 3600
        lines.append(f"| {name} | {parameters:,} | {median:.3f} | {rate[name]:,.0f} | "
                     f"{hours:.1f} | {BUDGET_HOURS / hours:.2f} |")
    small, large = (rate[name] for name in SIZES)
    tuning = LABELLED_WORDS / large / 3600  # one direction, at the language model's rate
    pretraining = WORDS_PER_EPOCH / large / 3600
    lines += ["", f"The published size trains {small / large:.0f}× more slowly per word. "
              "Fine-tuning a classifier of that size at the same rate per word would take "
              f"{tuning:.1f} h per pass over the 25,000 training reviews (one direction; a "
              f"bidirectional one twice that). So {BUDGET_HOURS:.0f} hours hold one such "
              f"fine-tuning pass and {max(BUDGET_HOURS - tuning, 0) / pretraining:.2f} passes "
              "of pretraining."]
    publish("lm-scale", lines)


if __name__ == "__main__":
    main()
