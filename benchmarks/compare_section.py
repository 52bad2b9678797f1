"""Copy a finished `rnnkit compare` run into benchmarks/RESULTS.md, command included.

    rnnkit compare --seeds 3 --out runs/compare-airline
    python benchmarks/compare_section.py runs/compare-airline airline-compare
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from _results import write_section

TITLES = {"airline-compare": "Airline: SimpleRNN vs LSTM vs GRU vs statistical baselines",
          "imdb-compare": "IMDB: SimpleRNN vs LSTM vs GRU vs majority class and TF-IDF"}


def cell(value: float | None, std: float | None, runs: int, digits: int) -> str:
    if value is None:
        return "–"
    text = f"{value:.{digits}f}"
    return text + (f" ± {std:.{digits}f}" if runs > 1 and std is not None else "")


def row(s: dict, metrics: list[str], digits: dict[str, int]) -> str:
    name = f"*{s['model']}* (baseline)" if s["kind"] == "baseline" else f"**{s['model']}**"
    params = "–" if s["params"] is None else f"{s['params']:,}"
    epochs = "–" if s["epochs"] is None else f"{s['epochs']:.0f}"
    values = [cell(s[m], s.get(f"{m} std"), s["runs"], digits.get(m, 4)) for m in metrics]
    return f"| {name} | {params} | " + " | ".join(values) + f" | {s['seconds']:.1f} | {epochs} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("name", choices=sorted(TITLES))
    args = parser.parse_args()
    result = json.loads((args.run_dir / "results.json").read_text())
    summary = result["summary"]
    metrics = [m for m in ("RMSE", "MAE", "sMAPE", "MASE", "accuracy", "F1", "ROC AUC")
               if m in summary[0]]
    digits = {"RMSE": 1, "MAE": 1, "sMAPE": 2, "MASE": 3}
    rows = [row(s, metrics, digits) for s in summary]
    machine, versions = result["machine"], result["versions"]
    best_net = next(s for s in summary if s["kind"] == "network")
    best_base = next(s for s in summary if s["kind"] == "baseline")
    verdict = ("the best network beats every baseline" if summary[0]["kind"] == "network" else
               f"the best baseline ({best_base['model']}) beats the best network "
               f"({best_net['model']})")
    body = "\n".join([
        f"## {TITLES[args.name]}",
        "",
        f"Command: `{result['command']}` (then `python benchmarks/compare_section.py "
        f"{args.run_dir} {args.name}`)",
        f"Machine: {machine['processor']}, {machine['cpus']} CPUs, GPU {machine['gpu']}; "
        + ", ".join(f"{k} {v}" for k, v in versions.items()) + ".",
        "Mean ± sd over seeds for networks; baselines are deterministic. Sorted best first by "
        f"the comparison's main metric; seconds = training time per run; epochs = epochs run "
        f"before early stopping. Config: `{json.dumps(result['config'])}`.",
        "",
        "| model | params | " + " | ".join(metrics) + " | seconds | epochs |",
        "|---|---:|" + "---:|" * len(metrics) + "---:|---:|",
        *rows,
        "",
        f"Verdict: {verdict}.",
    ])
    write_section(args.name, body)
    print(body)


if __name__ == "__main__":
    main()
