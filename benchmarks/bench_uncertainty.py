"""Benchmark: uncertainty and Sobol sensitivity analysis, vectorised vs a naive loop.

Times, in one run:

1. ``mi.uncertainty`` — 1,000 runs of COINr's ASEM experiment (weights ±25 % at levels 2 and 3,
   two normalisations, two aggregations) on COINr's full example pipeline (impute
   group_mean(group=EurAsia_group), screen coverage(min=0.9), treat winsorize(max_points=5));
2. ``mi.sensitivity`` — the same experiment, N = 1,000 (5,000 runs);
3. ``mi.uncertainty`` — 10,000 runs of weight noise (±25 %, every level) on the bundled city data;
4. the same three as whole ``mfgindex`` commands (a fresh process each: start-up included);

each against a *naive loop* that calls :func:`mfgindex.compute` once per run with that run's
choices and weights (what COINr's ``get_sensitivity`` does: regenerate the index per run). The
naive loop is timed on ``--naive-runs`` runs (default 300) and extrapolated linearly to the full
count — its cost per run is constant — unless ``--naive-runs 0`` asks for every run; the output
says which. The naive ranks are checked against the vectorised ones on the runs it computed.

Memory: the peak of Python-tracked allocations (``tracemalloc``, which numpy reports to) during
each vectorised analysis, and the process's peak resident set size.

COINr's own times for 1 and 2 on this kind of machine (from the issue): 79 s and 498 s.

Usage::

    python benchmarks/bench_uncertainty.py [--naive-runs N] [--repeat R]
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import mfgindex as mi
from mfgindex.errors import MethodError
from mfgindex.methods.registry import methods
from mfgindex.robustness import rank_rows

SPEC = {
    "weights": {"noise": 0.25, "levels": [2, 3]},
    "normalize": {"choices": ["minmax(low=1, high=100)", "zscore(mean=10, sd=2)"]},
    "aggregate": {"choices": ["arithmetic", "geometric"]},
}
SPEC_TOML = """[weights]
noise = 0.25
levels = [2, 3]
[normalize]
choices = ["minmax(low=1, high=100)", "zscore(mean=10, sd=2)"]
[aggregate]
choices = ["arithmetic", "geometric"]
"""
FULL = {
    "impute": "group_mean(group=EurAsia_group)",
    "screen": "coverage(min=0.9)",
    "treat": "winsorize(max_points=5)",
}
COINR_SECONDS = {"asem uncertainty": 79.0, "asem sensitivity": 498.0}


def full_pipeline_available() -> bool:
    needed = (("impute", "group_mean"), ("screen", "coverage"), ("treat", "winsorize"))
    return all(any(m.name == n for m in methods(s)) for s, n in needed)


def timed(func: Callable[[], Any], repeat: int) -> tuple[float, float, Any]:
    """Best wall time over ``repeat`` calls, and the tracemalloc peak (MiB) of one call."""
    best = float("inf")
    out = None
    for _ in range(repeat):
        t = time.perf_counter()
        out = func()
        best = min(best, time.perf_counter() - t)
    tracemalloc.start()
    func()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return best, peak / 2**20, out


def naive_loop(
    fw: mi.Framework,
    ds: mi.Dataset,
    runs: pd.DataFrame,
    factors: pd.DataFrame | None,
    units: np.ndarray,
    base: dict[str, Any],
) -> np.ndarray:
    """Index scores of each run by calling compute() with the run's choices and weights."""
    out = np.full((len(runs), len(units)), np.nan)
    index = pd.Index(units.astype(str))
    for k, (_, row) in enumerate(runs.iterrows()):
        nodes = dict(fw.nodes)
        if factors is not None:
            f = factors.loc[int(row["weights"])]
            nodes = {nid: replace(n, weight=n.weight * float(f.get(nid, 1.0))) for nid, n in fw.nodes.items()}
        options = dict(base)
        for stage in ("impute", "treat", "normalize", "aggregate"):
            if stage in row:
                options[stage] = row[stage]
        try:
            res = mi.compute(replace(fw, nodes=nodes), ds, **options)
        except MethodError:
            continue
        s = pd.Series(res.scores[fw.id].to_numpy(), index=res.units.astype(str))
        out[k] = s.reindex(index).to_numpy()
    return out


def compare_naive(
    name: str,
    fw: mi.Framework,
    ds: mi.Dataset,
    result: Any,
    runs: pd.DataFrame,
    factors: pd.DataFrame | None,
    ranks: np.ndarray,
    base: dict[str, Any],
    sample: int,
    ours: float,
) -> dict[str, Any]:
    total = len(runs)
    take = total if sample <= 0 or sample >= total else sample
    t = time.perf_counter()
    scores = naive_loop(fw, ds, runs.iloc[:take], factors, result.units, base)
    elapsed = time.perf_counter() - t
    naive_ranks = rank_rows(scores)
    agree = bool(np.array_equal(np.nan_to_num(naive_ranks, nan=-1), np.nan_to_num(ranks[:take], nan=-1)))
    naive_total = elapsed * total / take
    return {
        "analysis": name,
        "runs": total,
        "ours_s": ours,
        "naive_s": naive_total,
        "naive_measured_runs": take,
        "extrapolated": take < total,
        "speed-up": naive_total / ours,
        "ranks_agree": agree,
    }


def command(args: list[str]) -> float:
    exe = shutil.which("mfgindex") or str(Path(sys.executable).with_name("mfgindex"))
    t = time.perf_counter()
    done = subprocess.run([exe, *args, "--format", "csv"], capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - t
    if done.returncode != 0:
        raise SystemExit(f"mfgindex {' '.join(args)} failed:\n{done.stderr}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--naive-runs",
        type=int,
        default=300,
        help="runs of the naive loop to time (0: all), extrapolated to the total",
    )
    parser.add_argument("--repeat", type=int, default=3, help="best of R timings")
    opts = parser.parse_args()

    print(
        f"mfgindex {mi.__version__}, Python {platform.python_version()}, numpy {np.__version__}, "
        f"{platform.machine()}, {os.cpu_count()} CPU(s)"
    )
    asem = mi.load_framework("asem")
    asem_ds = mi.read_data(None, asem)
    city = mi.load_framework("city")
    city_ds = mi.read_data(None, city)
    base = FULL if full_pipeline_available() else {}
    print(
        "ASEM pipeline:",
        ", ".join(f"{k} {v}" for k, v in base.items())
        or "simple (group_mean / coverage / winsorize not available)",
    )
    rows = []
    memory = {}

    # 1. ASEM uncertainty, 1000 runs
    secs, peak, ua = timed(
        lambda: mi.uncertainty(asem, asem_ds, SPEC, runs=1000, seed=1, **base), opts.repeat
    )
    memory["asem uncertainty"] = peak
    rows.append(
        compare_naive(
            "asem uncertainty",
            asem,
            asem_ds,
            ua,
            ua.runs,
            ua.weight_factors,
            ua.ranks,
            base,
            opts.naive_runs,
            secs,
        )
    )

    # 2. ASEM sensitivity, N = 1000 (5000 runs)
    secs, peak, sa = timed(lambda: mi.sensitivity(asem, asem_ds, SPEC, n=1000, seed=1, **base), opts.repeat)
    memory["asem sensitivity"] = peak
    rows.append(
        compare_naive(
            "asem sensitivity",
            asem,
            asem_ds,
            sa.uncertainty,
            sa.runs,
            sa.uncertainty.weight_factors,
            sa.ranks,
            base,
            opts.naive_runs,
            secs,
        )
    )

    # 3. city, 10000 runs of weight noise
    secs, peak, cu = timed(
        lambda: mi.uncertainty(city, city_ds, {"weights": 0.25}, runs=10_000, seed=1), opts.repeat
    )
    memory["city weights 10k"] = peak
    rows.append(
        compare_naive(
            "city weights 10k",
            city,
            city_ds,
            cu,
            cu.runs,
            cu.weight_factors,
            cu.ranks,
            {},
            opts.naive_runs,
            secs,
        )
    )

    table = pd.DataFrame(rows)
    for name, coinr in COINR_SECONDS.items():
        table.loc[table["analysis"] == name, "coinr_s"] = coinr
    table["vs_coinr"] = table["coinr_s"] / table["ours_s"]
    table["peak_traced_MiB"] = table["analysis"].map(memory)
    with pd.option_context(
        "display.width", 200, "display.max_columns", 20, "display.float_format", "{:.3f}".format
    ):
        print(table.to_string(index=False))

    # 4. whole commands (fresh processes: start-up and imports included)
    with tempfile.TemporaryDirectory() as tmp:
        spec = Path(tmp) / "spec.toml"
        spec.write_text(SPEC_TOML, encoding="utf-8")
        flags = [f"--{k}={v}" for k, v in base.items()]
        cmds = {
            "mfgindex uncertainty -f asem --spec spec.toml --runs 1000": [
                "uncertainty",
                "-f",
                "asem",
                "--spec",
                str(spec),
                "--runs",
                "1000",
                *flags,
            ],
            "mfgindex sensitivity -f asem --spec spec.toml --n 1000": [
                "sensitivity",
                "-f",
                "asem",
                "--spec",
                str(spec),
                "--n",
                "1000",
                *flags,
            ],
            "mfgindex uncertainty --vary weights=0.25 --runs 10000": [
                "uncertainty",
                "--vary",
                "weights=0.25",
                "--runs",
                "10000",
            ],
        }
        print("\nwhole commands (best of", opts.repeat, "):")
        for label, args in cmds.items():
            best = min(command(args) for _ in range(opts.repeat))
            print(f"  {best:6.2f} s  {label}")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(f"\npeak resident set size of this process: {rss:.0f} MiB")


if __name__ == "__main__":
    main()
