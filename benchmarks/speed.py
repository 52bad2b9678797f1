"""Speed benchmark: rnnkit against a plain PyTorch loop of the same models on the same data,
interleaved in one run, so that a busy machine slows both sides alike. Reports seconds per
epoch (wall and process CPU) and their ratios for the airline forecaster and the IMDB presets
with LSTM, GRU and SimpleRNN cells; the thread policy against fixed thread counts on an idle
machine and with every core but one kept busy; inference throughput; the first fit's set-up.

    python benchmarks/speed.py --path ../shared/data/aclImdb_v1.tar.gz

The IMDB workloads train on ``--reviews`` training reviews (20 % of them validate), with the
presets' vocabulary, length and batch; per-epoch times scale with the count, ratios do not.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import numpy as np
import torch
from _results import publish
from airline import PlainLSTM
from imdb import DEFAULT_PATH, PlainNet
from torch import nn

from rnnkit import Forecaster, TextClassifier, datasets
from rnnkit.classification import stratified_split
from rnnkit.classification.presets import PRESETS
from rnnkit.data.windows import make_windows
from rnnkit.threads import available_cores

TEXT_WORKLOADS = {
    "imdb-lstm8": PRESETS["imdb-lstm8"],
    "imdb-gru8": PRESETS["imdb-gru8"],
    "imdb-rnn8": PRESETS["imdb-lstm8"] | {"cell": "rnn"},
    "imdb-bilstm": PRESETS["imdb-bilstm"],
}
AIRLINE = dict(units=[64, 32], dense=[32], window=12, batch_size=16, dropout=0.2)


def median(values: list[float]) -> float:
    return statistics.median(values)


# ------------------------------------------------------------------ one epoch, either side
def plain_epochs(model: nn.Module, loss_fn, x, y, x_va, y_va, batch: int, epochs: int,
                 seed: int) -> list[tuple[float, float]]:
    """The tutorial loop: shuffled batches, Adam, clipping, a validation pass per epoch."""
    torch.manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    gen = torch.Generator().manual_seed(seed)
    times = []
    for _ in range(epochs):
        start, cpu = time.perf_counter(), time.process_time()
        model.train()
        for idx in torch.randperm(len(x), generator=gen).split(batch):
            opt.zero_grad()
            loss_fn(model(x[idx]), y[idx]).backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
        model.eval()
        with torch.no_grad():
            for i in range(0, len(x_va), 1024):
                loss_fn(model(x_va[i:i + 1024]), y_va[i:i + 1024]).item()
        times.append((time.perf_counter() - start, time.process_time() - cpu))
    return times


def rnnkit_epochs(history) -> list[tuple[float, float]]:
    return [(r["seconds"], r["cpu_seconds"]) for r in history.records]


class TextData:
    """A subset of IMDB encoded once per preset, shared by both sides."""

    def __init__(self, path: Path, reviews: int, seed: int):
        train, test = datasets.imdb(path, download=False)
        keep, _ = stratified_split(train.labels, 1 - reviews / len(train.labels), seed)
        self.texts = [train.texts[i] for i in keep]
        self.labels = [train.labels[i] for i in keep]
        self.test_texts = list(test.texts)

    def fit(self, settings: dict, epochs: int, seed: int, threads: int | None = None):
        clf = TextClassifier(**settings, epochs=epochs, patience=None, reduce_lr_patience=None,
                             seed=seed, verbose=False, threads=threads)
        return clf.fit(self.texts, self.labels)

    def plain(self, clf: TextClassifier, settings: dict, epochs: int, seed: int):
        y = np.array([clf.classes_.index(v) for v in self.labels])
        keep, held = stratified_split(y, clf.validation, seed)
        ids = torch.as_tensor(clf.encode(self.texts))  # the very ids rnnkit trained on
        target = torch.as_tensor(y, dtype=torch.float32).unsqueeze(1)
        torch.manual_seed(seed)
        return plain_epochs(PlainNet(settings), nn.functional.binary_cross_entropy_with_logits,
                            ids[keep], target[keep], ids[held], target[held],
                            settings["batch_size"], epochs, seed)


def airline_fit(epochs: int, seed: int, threads: int | None = None) -> Forecaster:
    y = datasets.airline()
    fc = Forecaster(**AIRLINE, epochs=epochs, patience=None, reduce_lr_patience=None,
                    seed=seed, verbose=False, threads=threads)
    return fc.fit(y[:-29])


def airline_plain(epochs: int, seed: int):
    """The same windows the tutorial script builds (standard scaling, window 12)."""
    y = datasets.airline().to_numpy(dtype=float)[:-29]
    n_train = len(y) - round(len(y) * 0.2)
    scaled = (y - y[:n_train].mean()) / y[:n_train].std()
    x_tr, y_tr = make_windows(scaled[:n_train], 12)
    x_va, y_va = make_windows(scaled, 12, first_target=n_train)
    x_tr, y_tr, x_va, y_va = (torch.tensor(a, dtype=torch.float32)
                              for a in (x_tr, y_tr, x_va, y_va))
    torch.manual_seed(seed)
    return plain_epochs(PlainLSTM(), nn.functional.mse_loss, x_tr, y_tr, x_va, y_va, 16,
                        epochs, seed)


# ------------------------------------------------------------------ sections
def training_section(data: TextData, reps: int, epochs: int, seed: int) -> list[str]:
    """rnnkit vs plain, interleaved: one rnnkit run, then one plain run, ``reps`` times."""
    rows, per_epoch = [], {}
    workloads = ["airline", *TEXT_WORKLOADS]
    for name in workloads:
        ours, theirs = [], []
        for rep in range(reps):
            if name == "airline":
                ours += rnnkit_epochs(airline_fit(epochs, seed + rep).history_)
                theirs += airline_plain(epochs, seed + rep)
            else:
                settings = TEXT_WORKLOADS[name]
                clf = data.fit(settings, epochs, seed + rep)
                ours += rnnkit_epochs(clf.history_)
                theirs += data.plain(clf, settings, epochs, seed + rep)
        wall, cpu = median([w for w, _ in ours]), median([c for _, c in ours])
        p_wall, p_cpu = median([w for w, _ in theirs]), median([c for _, c in theirs])
        per_epoch[name] = wall
        rows.append(f"| {name} | {wall:.3f} | {cpu:.3f} | {p_wall:.3f} | {p_cpu:.3f} | "
                    f"{wall / p_wall:.2f}x | {cpu / p_cpu:.2f}x |")
        print(rows[-1], flush=True)
    lstm = per_epoch["imdb-lstm8"]
    return [
        "| workload | rnnkit s/epoch | rnnkit CPU s | plain s/epoch | plain CPU s | "
        "wall ratio | CPU ratio |", "|---|---:|---:|---:|---:|---:|---:|", *rows, "",
        f"rnnkit's GRU(8) epoch is {per_epoch['imdb-gru8'] / lstm:.2f}x its LSTM(8) epoch, "
        f"SimpleRNN(8) {per_epoch['imdb-rnn8'] / lstm:.2f}x.",
    ]


@contextlib.contextmanager
def busy_cores(count: int):
    """``count`` processes spinning on a core each, as other users of a shared machine."""
    spinners = [subprocess.Popen([sys.executable, "-c", "while True: pass"])
                for _ in range(count)]
    time.sleep(1.0)
    try:
        yield
    finally:
        for p in spinners:
            p.kill()
            p.wait()


def threads_section(data: TextData, epochs: int, seed: int) -> list[str]:
    cores = available_cores()
    settings = sorted({1, 2, cores})
    runs = {
        "airline": lambda t: airline_fit(epochs, seed, t).history_,
        "imdb-lstm8": lambda t: data.fit(TEXT_WORKLOADS["imdb-lstm8"], epochs, seed, t).history_,
        "imdb-bilstm": lambda t: data.fit(TEXT_WORKLOADS["imdb-bilstm"], epochs, seed,
                                          t).history_,
    }
    rows = []
    for load, spinners in (("idle", 0), (f"{cores - 1} of {cores} cores busy", cores - 1)):
        with busy_cores(spinners) if spinners else contextlib.nullcontext():
            for name, run in runs.items():
                times = {}
                for threads in [*settings, None]:  # None: rnnkit's default
                    history = run(threads)
                    times[threads] = median([r["seconds"] for r in history.records])
                best = min(t for k, t in times.items() if k is not None)
                cells = " | ".join(f"{times[k]:.3f}" for k in settings)
                rows.append(f"| {name} | {load} | {cells} | {times[None]:.3f} | "
                            f"{times[None] / best:.2f} |")
                print(rows[-1], flush=True)
    head = " | ".join(f"{k} thread{'s' if k > 1 else ''}" for k in settings)
    return [f"| workload | machine | {head} | default | default / best |",
            "|---|---|" + "---:|" * (len(settings) + 2), *rows]


def inference_section(data: TextData, seed: int) -> list[str]:
    clf = data.fit(TEXT_WORKLOADS["imdb-lstm8"], 1, seed)
    texts = data.test_texts
    start = time.perf_counter()
    clf.predict_proba(texts)
    with_tokens = len(texts) / (time.perf_counter() - start)
    ids = torch.as_tensor(clf.encode(texts))
    start = time.perf_counter()
    with torch.no_grad(), clf._threads_for(clf.network_.config, 1024):
        for i in range(0, len(ids), 1024):
            clf.network_(ids[i:i + 1024])
    network_only = len(texts) / (time.perf_counter() - start)
    fc = airline_fit(5, seed)
    latencies = []
    for _ in range(50):
        start = time.perf_counter()
        fc.forecast(12)
        latencies.append(time.perf_counter() - start)
    first_fit = subprocess.run(
        [sys.executable, "-c",
         "import time; from rnnkit import Forecaster, datasets; y = datasets.airline();"
         "t = time.perf_counter(); fc = Forecaster(epochs=3, verbose=False).fit(y[:-29]);"
         "print(time.perf_counter() - t - sum(r['seconds'] for r in fc.history_.records))"],
        capture_output=True, text=True, check=True).stdout.strip()
    return [
        f"- `predict_proba`, 500-word LSTM(8), {len(texts):,} test reviews: "
        f"{with_tokens:,.0f} reviews/s with tokenization, {network_only:,.0f} reviews/s for "
        "the network alone (pre-encoded ids in batches of 1,024).",
        f"- One 12-month airline forecast (`Forecaster.forecast(12)`): "
        f"{1000 * median(latencies):.1f} ms (median of 50).",
        f"- The first `Forecaster.fit` in a fresh process spends {float(first_fit):.2f} s "
        "outside its epochs.",
    ]


def tokenization_section(data: TextData) -> list[str]:
    """Tokens of the 25,000 test reviews: rnnkit's tokenizer (whole texts, and only the end a
    100-id model reads) against a regular-expression ``findall`` of the same tokens and, when
    installed, Hugging Face ``tokenizers`` (word level, its whitespace/punctuation splitter —
    similar, not identical tokens) on one thread."""
    import re

    from rnnkit.data.text import _BREAKS, _PUNCTUATION, Tokenizer

    texts = data.test_texts
    word = re.compile(r"[^\s']+(?:'+[^\s']+)*")

    def regex(batch: list[str]) -> list[list[str]]:
        return [word.findall(_BREAKS.sub(" ", t).lower().translate(_PUNCTUATION))
                for t in batch]

    runs = {"rnnkit `Tokenizer` (whole texts)": lambda: Tokenizer()(texts),
            "rnnkit, the end a 100-id model reads": lambda: Tokenizer().kept(texts, 100, "pre"),
            "regular-expression `findall`, same tokens": lambda: regex(texts)}
    try:
        os.environ.setdefault("RAYON_NUM_THREADS", "1")
        from tokenizers import Regex, normalizers, pre_tokenizers
        from tokenizers import Tokenizer as HFTokenizer
        from tokenizers.models import WordLevel

        vocab = {"<oov>": 0} | {w: i + 1 for i, w in enumerate(
            sorted({w for t in Tokenizer()(texts[:2000]) for w in t}))}
        hf = HFTokenizer(WordLevel(vocab, unk_token="<oov>"))
        hf.normalizer = normalizers.Sequence([normalizers.Replace(Regex(r"<br\s*/?>"), " "),
                                              normalizers.Lowercase()])
        hf.pre_tokenizer = pre_tokenizers.Whitespace()
        runs["Hugging Face `tokenizers` 0.23 (word level, 1 thread)"] = (
            lambda: hf.encode_batch(texts))
    except ImportError:
        pass
    times = {name: [] for name in runs}
    for _ in range(3):  # interleaved
        for name, run in runs.items():
            start = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - start)
    rows = [f"| {name} | {len(texts) / median(t):,.0f} |" for name, t in times.items()]
    return ["| tokenizer | reviews/s |", "|---|---:|", *rows]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--path", type=Path, default=DEFAULT_PATH)
    parser.add_argument("--reviews", type=int, default=5000)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip-threads", action="store_true")
    parser.add_argument("--only-tokenization", action="store_true",
                        help="print the tokenization table alone (RESULTS.md is left as is)")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    data = TextData(args.path, args.reviews, args.seed)
    if args.only_tokenization:
        print("\n".join(tokenization_section(data)))
        return
    training = training_section(data, args.reps, args.epochs, args.seed)
    threads = [] if args.skip_threads else threads_section(data, 1, args.seed)
    inference = inference_section(data, args.seed)
    tokenization = tokenization_section(data)
    command = (f"python benchmarks/speed.py --reviews {args.reviews} --reps {args.reps} "
               f"--epochs {args.epochs}" + (" --skip-threads" if args.skip_threads else ""))
    lines = [
        "## Speed: rnnkit and a plain PyTorch loop, interleaved in one run",
        "",
        f"`{command}` on {date.today():%Y-%m-%d}: {available_cores()} cores, "
        f"load average {load:.2f} at the start (1 minute), torch {torch.__version__}. "
        f"IMDB workloads: {args.reviews:,} training reviews (20 % validate), the presets' "
        f"vocabulary, length and batch; {args.epochs} epochs × {args.reps} interleaved runs "
        "a side, median per epoch (validation pass included). rnnkit uses its thread policy "
        "(one thread for every workload here but the BiLSTM); the plain loop uses torch's "
        "default (one per core). Absolute times are this machine's on this day; compare "
        "ratios.",
        "",
        *training,
    ]
    if threads:
        lines += ["", "### Thread policy: seconds per epoch, fixed thread counts vs the default",
                  "", *threads]
    lines += ["", "### Inference and set-up", "", *inference]
    lines += ["", "### Tokenizing the 25,000 test reviews (one thread, median of 3)", "",
              *tokenization]
    publish("speed", lines, write=not args.no_write)


if __name__ == "__main__":
    main()
