"""How long ``rnnkit --help`` and ``rnnkit forecast --help`` take in a fresh process (the
issue 17 target: 0.3 s), next to ``python -c pass`` measured in the same run, interleaved.

    python benchmarks/cli_help.py --runs 15
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

COMMANDS = {"python -c pass": [sys.executable, "-c", "pass"],
            "rnnkit --help": [sys.executable, "-m", "rnnkit", "--help"],
            "rnnkit forecast --help": [sys.executable, "-m", "rnnkit", "forecast", "--help"],
            "rnnkit classify --help": [sys.executable, "-m", "rnnkit", "classify", "--help"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(args.runs):
        for name, command in COMMANDS.items():  # interleaved: load changes hit every command
            start = time.perf_counter()
            subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
            times[name].append(time.perf_counter() - start)
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores; "
          f"median (max) of {args.runs} runs")
    for name, values in times.items():
        print(f"{name:26s} {statistics.median(values):.3f} s ({max(values):.3f} s)")


if __name__ == "__main__":
    main()
