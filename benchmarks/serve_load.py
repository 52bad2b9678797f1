"""`rnnkit serve` under load: concurrent clients, idle and stalled connections, huge requests.

Trains the default airline forecaster and a small IMDB-shaped classifier (synthetic reviews,
so no archive is needed), serves each with `rnnkit serve --workers W` (FastAPI on uvicorn)
in its own process group, and measures from this process:

1. C concurrent clients × R requests each on keep-alive connections (12-month forecasts;
   one review per request): errors, median / p99 latency, throughput, the server's CPU time
   per request and its memory (resident set of all its processes) before and after;
2. the latency of sequential 12-month forecasts alone, then with 400 idle connections and 20
   connections that send half a body and stall held open;
3. the latency of small forecasts while requests at the server's largest horizon (1,000) and
   requests far beyond it (10,000,000; refused with 413) are sent at the same time.

    python benchmarks/serve_load.py [--clients 20] [--requests 500] [--workers 2]
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from _results import machine, publish

from rnnkit.cli import main as rnnkit


def serving(model: Path, workers: int, runtime: str = "torch"
            ) -> tuple[subprocess.Popen, str, int]:
    proc = subprocess.Popen([sys.executable, "-m", "rnnkit", "serve", str(model), "--port", "0",
                             "--quiet", "--workers", str(workers), "--runtime", runtime],
                            stdout=subprocess.PIPE,
                            text=True, start_new_session=True)
    line = proc.stdout.readline()
    if " at " not in line:
        proc.kill()
        raise SystemExit(f"rnnkit serve did not start: {line!r}")
    host, port = line.split(" at http://")[1].split()[0].rsplit(":", 1)
    deadline = time.time() + 120
    while time.time() < deadline:  # the workers load the model after the line is printed
        try:
            status, _ = request(host, int(port), "GET", "/ready")
            if status == 200:
                break
        except OSError:
            time.sleep(0.2)
    return proc, host, int(port)


def stop(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(timeout=60)


def request(host: str, port: int, method: str, path: str, body: dict | None = None,
            conn: http.client.HTTPConnection | None = None) -> tuple[int, bytes]:
    own = conn is None
    conn = conn or http.client.HTTPConnection(host, port, timeout=60)
    data = None if body is None else json.dumps(body).encode()
    conn.request(method, path, body=data,
                 headers={"Content-Type": "application/json"} if data else {})
    response = conn.getresponse()
    payload = response.read()
    if own:
        conn.close()
    return response.status, payload


def rss_mib(proc: subprocess.Popen) -> float:
    """Resident memory of the server and its worker processes."""
    total = 0
    for pid in _tree(proc):
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except FileNotFoundError:
            pass
    return total / 1024


def cpu_seconds(proc: subprocess.Popen) -> float:
    """CPU time (user + system) the server and its worker processes have used so far."""
    total = 0
    for pid in _tree(proc):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def _tree(proc: subprocess.Popen) -> list[int]:
    pids = [proc.pid]
    children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    return pids


def load(host: str, port: int, body: dict, clients: int, requests: int) -> dict:
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()

    def client() -> None:
        conn = http.client.HTTPConnection(host, port, timeout=60)
        mine, bad = [], []
        for _ in range(requests):
            start = time.perf_counter()
            try:
                status, _ = request(host, port, "POST", "/predict", body, conn)
                if status != 200:
                    bad.append(str(status))
            except (OSError, http.client.HTTPException) as exc:
                bad.append(type(exc).__name__)
                conn.close()
                conn = http.client.HTTPConnection(host, port, timeout=60)
            mine.append(time.perf_counter() - start)
        conn.close()
        with lock:
            latencies.extend(mine)
            errors.extend(bad)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - start
    ms = sorted(s * 1000 for s in latencies)
    return {"n": len(ms), "errors": len(errors), "median": statistics.median(ms),
            "p99": ms[min(len(ms) - 1, round(0.99 * (len(ms) - 1)))],
            "rate": len(ms) / seconds, "kinds": sorted(set(errors))}


def sequential(host: str, port: int, body: dict, n: int) -> list[float]:
    conn = http.client.HTTPConnection(host, port, timeout=60)
    out = []
    for _ in range(n):
        start = time.perf_counter()
        status, _ = request(host, port, "POST", "/predict", body, conn)
        assert status == 200, status
        out.append((time.perf_counter() - start) * 1000)
    conn.close()
    return out


def quantiles(ms: list[float]) -> str:
    ms = sorted(ms)
    return f"{statistics.median(ms):.1f} / {ms[min(len(ms) - 1, round(0.99 * (len(ms) - 1)))]:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--runtimes", nargs="+", choices=["torch", "onnx"],
                        default=["torch", "onnx"],
                        help="serve each model with these (onnx: its `rnnkit export`)")
    args = parser.parse_args()
    rows, abuse = [], []
    small = {"horizon": 12}
    with tempfile.TemporaryDirectory() as tmp:
        air, clf = Path(tmp) / "airline", Path(tmp) / "text"
        assert rnnkit(["forecast", "--quiet", "--out", str(air)]) == 0
        texts = Path(tmp) / "reviews.csv"
        import numpy as np
        import pandas as pd

        rng = np.random.default_rng(0)
        good, bad = ["great", "moving", "wonderful", "fine"], ["awful", "dull", "poor", "bad"]
        filler = ["the", "film", "plot", "was", "and", "actor", "scene", "it"]
        label = rng.integers(2, size=2000)
        reviews = [" ".join(rng.choice(filler + (good if c else bad), size=80)) for c in label]
        pd.DataFrame({"review": reviews, "sentiment": np.where(label, "pos", "neg")}).to_csv(
            texts, index=False)
        assert rnnkit(["classify", "--csv", str(texts), "--text-column", "review",
                       "--label-column", "sentiment", "--epochs", "2", "--quiet",
                       "--out", str(clf)]) == 0
        if "onnx" in args.runtimes:
            for model in (air, clf):
                assert rnnkit(["export", str(model)]) == 0
        for (name, model, body), runtime in itertools.product((
                ("airline LSTM, 12-month forecast", air, small),
                ("text LSTM, one 80-word review", clf, {"texts": [reviews[0]]})),
                args.runtimes):
            proc, host, port = serving(model, args.workers, runtime)
            try:
                sequential(host, port, body, 20)  # warm
                before, cpu = rss_mib(proc), cpu_seconds(proc)
                result = load(host, port, body, args.clients, args.requests)
                after, cpu = rss_mib(proc), cpu_seconds(proc) - cpu
                load(host, port, body, args.clients, args.requests // 5)
                later = rss_mib(proc)
                rows.append(f"| {name} | {runtime} | {args.clients} × {args.requests} | "
                            f"{result['errors']}"
                            f"{' (' + ', '.join(result['kinds']) + ')' if result['kinds'] else ''}"
                            f" | {result['median']:.1f} | {result['p99']:.1f} | "
                            f"{result['rate']:,.0f} | {cpu / result['n'] * 1000:.1f} | "
                            f"{before:.0f} → {after:.0f} → {later:.0f} |")
                if model == air and runtime == args.runtimes[0]:
                    abuse += abuse_rows(host, port, small)
            finally:
                stop(proc)
    publish("serve-load", [
        "## Serving under load: `rnnkit serve --workers` (FastAPI on uvicorn)",
        "",
        f"Command: `python benchmarks/serve_load.py --clients {args.clients} --requests "
        f"{args.requests} --workers {args.workers} --runtimes {' '.join(args.runtimes)}`. "
        f"Machine: {machine()}. The clients run "
        "in the benchmark's process (threads, keep-alive connections) on the same 2 cores as "
        "the server, so the figures include their cost. Memory: resident set of the server "
        "and its workers before the run, after it, and after one more fifth of it.",
        "",
        "| model, request | runtime | clients × requests | errors | median ms | p99 ms | "
        "requests/s | server CPU ms per request | memory MiB |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|",
        *rows,
        "",
        f"Sequential 12-month forecasts (airline, {args.runtimes[0]}) on one connection, "
        "median / p99 ms:",
        "",
        "| while the server also holds | median / p99 ms |",
        "|---|---|",
        *abuse,
    ])


def abuse_rows(host: str, port: int, small: dict) -> list[str]:
    rows = [f"| nothing else | {quantiles(sequential(host, port, small, 200))} |"]
    idle = [socket.create_connection((host, port)) for _ in range(400)]
    stalled = []
    for _ in range(20):
        s = socket.create_connection((host, port))
        s.sendall(b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"Content-Length: 100\r\n\r\n{\"horizon\":")
        stalled.append(s)
    try:
        rows.append(f"| 400 idle connections and 20 stalled bodies | "
                    f"{quantiles(sequential(host, port, small, 200))} |")
    finally:
        for s in idle + stalled:
            s.close()
    for label, body in (("requests at the largest horizon, 1,000 steps", {"horizon": 1000}),
                        ("requests for 10,000,000 steps (refused: 413)",
                         {"horizon": 10_000_000})):
        done = threading.Event()
        statuses: list[int] = []

        thread = threading.Thread(target=_hammer, args=(host, port, body, done, statuses))
        thread.start()
        try:
            ms = sequential(host, port, small, 100)
        finally:
            done.set()
            thread.join()
        rows.append(f"| {label}, one after another ({len(statuses)} sent, statuses "
                    f"{sorted(set(statuses))}) | {quantiles(ms)} |")
    return rows


def _hammer(host: str, port: int, body: dict, done: threading.Event,
            statuses: list[int]) -> None:
    """Send ``body`` one request after another until ``done``."""
    while not done.is_set():
        statuses.append(request(host, port, "POST", "/predict", body)[0])


if __name__ == "__main__":
    main()
