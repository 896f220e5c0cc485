"""Every benchmark of issue 13 in one process, as one table of ratios measured side by side.

Each row times mfgindex and its reference on the same input, one after the other, in this
process (start-up rows: in fresh subprocesses), and prints their ratio (ours / reference:
lower is better; below 1 is faster than the reference):

* ``read_data`` against ``pandas.read_csv`` (C engine) on an N x 50 CSV — and against
  ``pandas.read_csv`` plus the file's SHA-256, the least a reader that records the digest of
  what it read does — and against ``pandas.read_parquet`` on the same table in Parquet; then
  the CSV as real files often are (quoted names, Excel's CRLF and byte-order mark, GB18030);
* the default pipeline (minmax + arithmetic, ranks of the index and the groups) against a plain
  numpy implementation with the same outputs (checked equal), and against a memory-bandwidth
  floor (three passes over the input array); the heavy pipeline (winsorize, zscore, geometric)
  in float32 against float64, with both runs' peak memory and float32's precision cost;
* uncertainty runs per second on the bundled city data, against ``compute`` in a loop;
* start-up: ``mfgindex --help`` against ``python -c "import typer"``, and ``mfgindex rank``
  (a CSV, piped) against ``python -c "import pandas"``;
* the Dask path (``mfgindex.scale.score``, dask's threads) against ``compute`` on the same
  frame (checked equal);
* pymcdm / scikit-criteria's weighted sum, when installed.

No timing is asserted: CI runs ``--quick`` (small sizes, one repeat, well under a minute) so the
benchmarks never rot. The 20M-unit run of the Dask path is ``benchmarks/bench_scale.py``.

Usage::

    python benchmarks/run_all.py [--quick] [--units N] [--csv-units N] [--repeat R]
                                 [--only reading,compute,uncertainty,start-up,dask,peers]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import mfgindex as mi

ROWS: list[dict[str, Any]] = []


def timed_pair(ours: Callable[[], Any], ref: Callable[[], Any], repeat: int) -> tuple[float, float, Any]:
    """Median wall times of ``ours`` and ``ref`` called in turns (one of each, ``repeat``
    times), so that a busy moment on the machine weighs on both alike; and ``ours``'s last
    result."""
    pairs, out = [], None
    ours(), ref()  # warm: the file cache, the first call's imports and allocations
    for _ in range(repeat):
        start = time.perf_counter()
        out = ours()
        middle = time.perf_counter()
        ref()
        pairs.append((middle - start, time.perf_counter() - middle))
    return statistics.median(p[0] for p in pairs), statistics.median(p[1] for p in pairs), out


def timed(func: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """Median wall time of ``repeat`` calls, and the last call's result."""
    times, out = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        out = func()
        times.append(time.perf_counter() - start)
    return statistics.median(times), out


def row(what: str, ours: float, ref_name: str, ref: float, goal: str = "", unit: str = "s") -> None:
    ROWS.append(
        {
            "benchmark": what,
            "ours": ours,
            "reference": ref_name,
            "ref": ref,
            "ratio": ours / ref if ref > 0 else float("nan"),
            "goal": goal,
            "unit": unit,
        }
    )


# -- data ------------------------------------------------------------------------------------


def synthetic(
    folder: Path, n_units: int, n_groups: int = 5, per_group: int = 10, seed: int = 0
) -> tuple[Path, pd.DataFrame]:
    """A framework of ``n_groups`` x ``per_group`` indicators and ``n_units`` units (lognormal
    values, 5% missing, every other indicator lower-is-better)."""
    rng = np.random.default_rng(seed)
    lines = [
        '[framework]\nid = "idx"\nunit_column = "unit"\n',
        '[defaults]\nnormalize = "minmax(low=0, high=100)"\naggregate = "arithmetic"\n',
    ]
    cols: dict[str, Any] = {"unit": [f"U{i:07d}" for i in range(n_units)]}
    for g in range(n_groups):
        lines.append(f'[[group]]\nid = "g{g}"\nparent = "idx"\nweight = {1 + g % 2}\n')
        for k in range(per_group):
            iid = f"x{g}_{k}"
            lines.append(f'[[indicator]]\nid = "{iid}"\nparent = "g{g}"\ndirection = {1 - 2 * (k % 2)}\n')
            v = rng.lognormal(0.0, 1.0, n_units)
            v[rng.random(n_units) < 0.05] = np.nan
            cols[iid] = v
    fw = folder / f"fw-{n_groups}x{per_group}.toml"
    fw.write_text("\n".join(lines), encoding="utf-8")
    return fw, pd.DataFrame(cols)


# -- reading ---------------------------------------------------------------------------------


def bench_reading(folder: Path, n_units: int, repeat: int) -> None:
    fw_path, frame = synthetic(folder, n_units, seed=1)
    fw = mi.load_framework(fw_path)
    csv, parquet = folder / "read.csv", folder / "read.parquet"
    frame.to_csv(csv, index=False)
    frame.to_parquet(parquet, index=False)

    def ours_csv() -> mi.Dataset:
        return mi.read_data(csv, fw)

    t_ours, t_ref, ds = timed_pair(ours_csv, lambda: pd.read_csv(csv, engine="c"), repeat)
    if len(ds) != n_units:
        raise SystemExit("read_data read the wrong number of rows")
    row(f"read_data CSV {n_units:,} x 50", t_ours, "pandas.read_csv (C)", t_ref, "<= 1.5")

    def read_and_hash() -> tuple[pd.DataFrame, str]:
        # what a reader that records the file's digest must do at least: parse and hash
        with csv.open("rb") as fh:
            digest = hashlib.file_digest(fh, "sha256").hexdigest()
        return pd.read_csv(csv, engine="c"), digest

    t_ours, t_ref, _ = timed_pair(ours_csv, read_and_hash, repeat)
    row(f"read_data CSV {n_units:,} x 50", t_ours, "pandas.read_csv + SHA-256", t_ref)
    t_ours, t_ref, _ = timed_pair(lambda: mi.read_data(parquet, fw), lambda: pd.read_parquet(parquet), repeat)
    row(f"read_data Parquet {n_units:,} x 50", t_ours, "pandas.read_parquet", t_ref, "<= 2")
    bench_reading_variants(folder, fw, frame, repeat)

    def checks() -> bool:
        # the vectorised floor of validating a float frame: a copy of the values, no
        # infinities, unit ids as text without duplicates
        x = frame.iloc[:, 1:].to_numpy(dtype=float, copy=True)
        return bool(np.isinf(x).any() or frame["unit"].astype(str).duplicated().any())

    t_ours, t_ref, _ = timed_pair(lambda: mi.read_data(frame, fw), checks, repeat)
    row(f"read_data(DataFrame) {n_units:,} x 50", t_ours, "to_numpy + vectorised checks", t_ref)
    # peak memory of reading the CSV, each in a fresh process (the interpreter and imports
    # included on both sides)
    ours_rss = _peak_rss(
        f"import mfgindex as mi; mi.read_data({str(csv)!r}, mi.load_framework({str(fw_path)!r}))"
    )
    ref_rss = _peak_rss(f"import pandas as pd; pd.read_csv({str(csv)!r})")
    size = csv.stat().st_size / 2**20
    row(f"read_data CSV peak RSS ({size:,.0f} MB file)", ours_rss, "pandas.read_csv", ref_rss, unit="MiB")


def bench_reading_variants(folder: Path, fw: mi.Framework, frame: pd.DataFrame, repeat: int) -> None:
    """The same table as real files often are: with a name column of quoted cells that hold
    the separator (``"City, 12"``), with CRLF line ends and a byte-order mark (Excel's "CSV
    UTF-8"), and in GB18030 with Chinese names (Chinese Excel's CSV) — each against
    ``pandas.read_csv`` of the same file (GB18030: with that encoding)."""
    n = len(frame)
    named = frame.copy()
    named.insert(1, "name", [f"City, {i}" for i in range(n)])
    variants: list[tuple[str, Path, dict[str, Any], str | None]] = [
        ("quoted names", folder / "quoted.csv", {}, None),
        ("CRLF + BOM", folder / "excel.csv", {"lineterminator": "\r\n", "encoding": "utf-8-sig"}, None),
        ("GB18030", folder / "gb18030.csv", {"encoding": "gb18030"}, "gb18030"),
    ]
    for what, path, options, encoding in variants:
        table = named
        if encoding == "gb18030":
            table = frame.copy()
            table.insert(1, "name", [f"苏州市{i}" for i in range(n)])
        table.to_csv(path, index=False, **options)
        t_ours, t_ref, _ = timed_pair(
            lambda p=path: mi.read_data(p, fw), lambda p=path, e=encoding: pd.read_csv(p, encoding=e), repeat
        )
        row(f"read_data CSV {n:,} x 50, {what}", t_ours, "pandas.read_csv (C)", t_ref)


def _peak_rss(code: str) -> float:
    """Peak resident memory (MiB) of a fresh Python running ``code``: its VmHWM (Linux), the
    high-water mark of this process's own memory (``ru_maxrss`` would carry the benchmark's
    own peak over the ``exec``)."""
    probe = "import re; print(re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1))"
    out = subprocess.run(
        [sys.executable, "-c", f"{code}\n{probe}"], capture_output=True, text=True, check=True
    )
    return int(out.stdout.split()[-1]) / 1024


# -- compute ---------------------------------------------------------------------------------


def numpy_ranks(x: np.ndarray) -> np.ndarray:
    """Ranks within each column, 1 = highest, ties share the lowest rank, NaN stays NaN:
    1 + the number of larger values (one sort and one binary search per column)."""
    out = np.full(x.shape, np.nan)
    for j in range(x.shape[1]):
        col = x[:, j]
        ok = ~np.isnan(col)
        s = np.sort(col[ok])
        out[ok, j] = 1.0 + s.size - np.searchsorted(s, col[ok], side="right")
    return out


def numpy_pipeline(
    x: np.ndarray,
    direction: np.ndarray,
    groups: list[np.ndarray],
    inner: list[np.ndarray],
    top: np.ndarray,
    min_coverage: float,
) -> tuple[np.ndarray, np.ndarray]:
    """minmax(0, 100) on oriented values, arithmetic means renormalised over present children
    (NaN below ``min_coverage`` of the weight), then the index; scores and ranks of the groups
    and the index, ``(n, g + 1)`` each."""
    o = x * direction
    lo, hi = np.nanmin(o, axis=0), np.nanmax(o, axis=0)
    span = np.where(hi > lo, hi - lo, np.nan)
    z = (o - lo) / span * 100.0

    def mean(values: np.ndarray, w: np.ndarray) -> np.ndarray:
        present = ~np.isnan(values)
        wsum = present @ w
        score = np.where(present, values, 0.0) @ w / wsum
        return np.where(wsum / w.sum() + 1e-12 >= min_coverage, score, np.nan)

    scores = np.column_stack([mean(z[:, cols], w) for cols, w in zip(groups, inner, strict=True)])
    index = mean(scores, top)
    table = np.column_stack([scores, index])
    return table, numpy_ranks(table)


def bench_compute(folder: Path, n_units: int, repeat: int) -> None:
    fw_path, frame = synthetic(folder, n_units, seed=2)
    fw = mi.load_framework(fw_path)
    ds = mi.read_data(frame, fw)
    group_ids = [f"g{g}" for g in range(5)]
    ids = [i.id for i in fw.indicators]
    x = np.ascontiguousarray(frame[ids].to_numpy(dtype=float))
    direction = np.array([i.direction for i in fw.indicators], dtype=float)
    cols = [np.array([ids.index(c) for c in fw.children(g)]) for g in group_ids]
    inner = [np.array([fw.nodes[c].weight for c in fw.children(g)], dtype=float) for g in group_ids]
    top = np.array([fw.nodes[g].weight for g in fw.children(fw.id)], dtype=float)
    nodes = [*group_ids, fw.id]

    def ours() -> tuple[np.ndarray, np.ndarray]:
        res = mi.compute(fw, ds)  # ranks of the nodes asked for (indicators are not ranked)
        return (res.scores[nodes].to_numpy(), np.column_stack([res.rank_of(node) for node in nodes]))

    t_ref, (s_ref, r_ref) = timed(
        lambda: numpy_pipeline(x, direction, cols, inner, top, fw.min_coverage), repeat
    )
    t_ours, (s_ours, r_ours) = timed(ours, repeat)
    np.testing.assert_allclose(s_ours, s_ref, rtol=1e-12, atol=1e-9, equal_nan=True)
    np.testing.assert_array_equal(r_ours, r_ref)
    row(f"compute {n_units:,} x 50 (minmax+arithmetic)", t_ours, "plain numpy, same outputs", t_ref, "<= 2")

    def floor() -> float:
        total = 0.0
        for _ in range(3):
            total += float(np.add.reduce(x, axis=None))
        return total

    t_floor, _ = timed(floor, max(repeat, 3))
    row(f"compute {n_units:,} x 50", t_ours, "bandwidth floor (3 passes)", t_floor)
    bench_compute_heavy(fw, ds, repeat)


#: COINr's outlier treatment, z-scores on a positive scale, geometric means (issue 13).
HEAVY = {"treat": "winsorize", "normalize": "zscore(mean=100, sd=10)", "aggregate": "geometric"}


def traced_peak(func: Callable[[], Any]) -> int:
    """Peak bytes :mod:`tracemalloc` saw allocated during ``func()`` (numpy reports its buffers)."""
    import tracemalloc

    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    try:
        func()
        return tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()


def bench_compute_heavy(fw: mi.Framework, ds: mi.Dataset, repeat: int) -> None:
    """The heavy pipeline in float32 against float64: time, peak memory as a multiple of the
    ``(n, m)`` float64 input (one traced run each), and what float32 costs in precision."""
    n = len(ds)
    size = n * len(fw.indicators) * 8
    t64, r64 = timed(lambda: mi.compute(fw, ds, **HEAVY), repeat)
    t32, r32 = timed(lambda: mi.compute(fw, ds, dtype="float32", **HEAVY), repeat)
    m64 = traced_peak(lambda: mi.compute(fw, ds, **HEAVY))
    m32 = traced_peak(lambda: mi.compute(fw, ds, dtype="float32", **HEAVY))
    k = r64.node_ids.index(fw.id)
    diff = float(np.nanmax(np.abs(r64.score_matrix[:, k] - r32.score_matrix[:, k])))
    a, b = r64.ranked[fw.id], r32.ranked[fw.id]
    moved = int(np.sum(~((a == b) | (np.isnan(a) & np.isnan(b)))))
    row(f"compute {n:,} x 50 heavy, float32", t32, "the same in float64", t64)
    ROWS[-1]["note"] = (
        f"peak {m32 / size:.2f}x vs {m64 / size:.2f}x the input (goal at 1M: <= 3x); "
        f"index max |diff| {diff:.1e}, {moved:,} rank(s) moved"
    )


# -- uncertainty -----------------------------------------------------------------------------


def bench_uncertainty(runs: int, repeat: int) -> None:
    city = mi.load_framework("city")
    ds = mi.read_data(None, city)
    t_one, _ = timed(lambda: mi.compute(city, ds), max(repeat, 3))
    t_runs, _ = timed(lambda: mi.uncertainty(city, ds, {"weights": 0.25}, runs=runs, seed=1), repeat)
    row(f"uncertainty, city, {runs:,} runs (s/run)", t_runs / runs, "compute() per run", t_one, unit="s/run")
    ROWS[-1]["note"] = f"{runs / t_runs:,.0f} runs/s"


# -- start-up --------------------------------------------------------------------------------


def _process_times(ours: list[str], ref: list[str], repeat: int) -> tuple[float, float]:
    """Median wall times of fresh processes running ``ours`` and ``ref``, run in turns (one of
    each, again and again), so that a busy minute on the machine weighs on both alike."""

    def once(cmd: list[str]) -> float:
        start = time.perf_counter()
        subprocess.run(cmd, capture_output=True, check=True)
        return time.perf_counter() - start

    once(ours), once(ref)  # warm the file cache
    pairs = [(once(ours), once(ref)) for _ in range(repeat)]
    return statistics.median(p[0] for p in pairs), statistics.median(p[1] for p in pairs)


def bench_startup(repeat: int) -> None:
    py = sys.executable
    exe = [py, "-m", "mfgindex"]
    # An installed package has its bytecode compiled (pip does it), as pandas and typer have
    # theirs; a source checkout run with PYTHONDONTWRITEBYTECODE=1 would recompile every
    # module on every start, so compile it once first, on both sides alike.
    subprocess.run([py, "-m", "compileall", "-q", str(Path(mi.__file__).parent)], check=True)
    t_ours, t_ref = _process_times([*exe, "--help"], [py, "-c", "import typer"], repeat)
    row("mfgindex --help", t_ours, 'python -c "import typer"', t_ref, "<= 2.0")
    city = mi.load_framework("city")
    if city.dataset is None:
        raise SystemExit("the city framework has no bundled dataset")
    csv = Path(city.dataset)
    rank = [*exe, "rank", str(csv), "--format", "csv"]
    t_ours, t_ref = _process_times(rank, [py, "-c", "import pandas"], repeat)
    row("mfgindex rank (CSV, piped)", t_ours, 'python -c "import pandas"', t_ref, "<= 1.2")


# -- the Dask path ---------------------------------------------------------------------------


def bench_dask(folder: Path, n_units: int, repeat: int) -> None:
    try:
        import mfgindex.scale as ms
        from mfgindex.scale import require_dask

        require_dask()
    except Exception as exc:  # the extra is optional
        print(f"(the Dask path: skipped, {exc})", file=sys.stderr)
        return
    fw_path, frame = synthetic(folder, n_units, seed=3)
    fw = mi.load_framework(fw_path)
    parts = max(2, n_units // 100_000)

    def memory() -> pd.DataFrame:
        return mi.compute(fw, mi.read_data(frame, fw)).to_frame()

    def dask_path() -> pd.DataFrame:
        return ms.score(fw, frame, npartitions=parts).compute()

    t_ref, expected = timed(memory, repeat)
    t_ours, got = timed(dask_path, repeat)
    got = got.set_index("unit").loc[expected["unit"]]
    np.testing.assert_allclose(got["idx"], expected["idx"], atol=1e-12, rtol=0)
    np.testing.assert_array_equal(got["rank"], expected["rank"])
    row(
        f"Dask path {n_units:,} x 50 ({parts} partitions, threads)",
        t_ours,
        "read_data(frame) + compute",
        t_ref,
        "equal to 1e-12",
    )
    _bench_dask_uncertainty(max(2_000, min(50_000, n_units // 20)), repeat)


def _bench_dask_uncertainty(runs: int, repeat: int) -> None:
    """Uncertainty runs on Dask (``engine="dask"``, dask's threads) against the in-memory path,
    side by side on the bundled city data: seconds per run, rank counts checked equal."""
    city = mi.load_framework("city")
    ds = mi.read_data(None, city)
    spec = {"weights": {"noise": 0.25}, "aggregate": {"choices": ["arithmetic", "geometric"]}}
    mi.uncertainty(city, ds, spec, runs=50, engine="dask")  # dask imported, outside the timing
    t_ref, expected = timed(lambda: mi.uncertainty(city, ds, spec, runs=runs, seed=1), repeat)
    t_ours, got = timed(lambda: mi.uncertainty(city, ds, spec, runs=runs, seed=1, engine="dask"), repeat)
    np.testing.assert_array_equal(got.rank_counts, expected.rank_counts)
    engine = got.provenance["engine"]
    row(
        f"uncertainty on Dask, city, {runs:,} runs (s/run)",
        t_ours / runs,
        "in memory, per run",
        t_ref / runs,
        "equal rank counts",
        unit="s/run",
    )
    ROWS[-1]["note"] = (
        f"{runs / t_ours:,.0f} vs {runs / t_ref:,.0f} runs/s; {engine['tasks']} tasks on "
        f"{engine['threads']} {engine['scheduler']}"
    )


# -- peers -----------------------------------------------------------------------------------


def bench_peers(n_units: int, repeat: int) -> None:
    try:
        from pymcdm.methods import WSM  # type: ignore[import-not-found]
    except ImportError:
        print("(pymcdm: not installed, skipped)", file=sys.stderr)
        return
    rng = np.random.default_rng(4)
    x = rng.lognormal(0, 1, (n_units, 50))
    w = np.full(50, 1 / 50)
    types = np.ones(50)
    t_ref, _ = timed(lambda: WSM()(x, w, types), repeat)
    from mfgindex.methods.registry import resolve

    minmax, arith = resolve("normalize", "minmax(low=0, high=1)"), resolve("aggregate", "arithmetic")
    t_ours, _ = timed(lambda: arith(minmax(x, None).apply(x), w), repeat)
    row(f"minmax + weighted sum {n_units:,} x 50", t_ours, "pymcdm WSM", t_ref)


# -- the table -------------------------------------------------------------------------------


def render() -> str:
    width = max([len("benchmark"), *(len(r["benchmark"]) for r in ROWS)])
    lines = [f"{'benchmark':<{width}} {'ours':>10} {'reference':<30} {'ref':>10} {'ratio':>8}  goal"]
    lines.append("-" * len(lines[0]) + "------")
    for r in ROWS:
        fmt = {
            "s/run": lambda v: f"{v * 1000:.3f} ms",
            "MiB": lambda v: f"{v:,.0f} MiB",
        }.get(r["unit"], lambda v: f"{v:.3f} s")
        note = f"  ({r['note']})" if r.get("note") else ""
        lines.append(
            f"{r['benchmark']:<{width}} {fmt(r['ours']):>10} {r['reference']:<30} "
            f"{fmt(r['ref']):>10} {r['ratio']:>7.2f}x  {r['goal']}{note}"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description="issue 13's benchmarks as one table of ratios")
    parser.add_argument("--quick", action="store_true", help="small sizes, one repeat (CI)")
    parser.add_argument("--units", type=int, help="units of the compute benchmark (1,000,000)")
    parser.add_argument("--csv-units", type=int, help="units of the reading benchmark (100,000)")
    parser.add_argument("--dask-units", type=int, help="units of the Dask path row (1,000,000)")
    parser.add_argument("--runs", type=int, help="uncertainty runs (10,000)")
    parser.add_argument("--repeat", type=int, help="median of R repeats (3)")
    parser.add_argument(
        "--only",
        help="comma-separated steps: reading, compute, uncertainty, start-up, dask, peers (default: all)",
    )
    args = parser.parse_args()
    quick = args.quick
    units = args.units or (20_000 if quick else 1_000_000)
    csv_units = args.csv_units or (5_000 if quick else 100_000)
    dask_units = args.dask_units or (20_000 if quick else 1_000_000)
    runs = args.runs or (200 if quick else 10_000)
    repeat = args.repeat or (1 if quick else 3)
    with tempfile.TemporaryDirectory(prefix="mfgindex-bench-") as tmp:
        folder = Path(tmp)
        steps: list[tuple[str, Callable[[], None]]] = [
            ("reading", lambda: bench_reading(folder, csv_units, repeat)),
            ("compute", lambda: bench_compute(folder, units, repeat)),
            ("uncertainty", lambda: bench_uncertainty(runs, repeat)),
            ("start-up", lambda: bench_startup(3 if quick else 7)),
            ("dask", lambda: bench_dask(folder, dask_units, repeat)),
            ("peers", lambda: bench_peers(units, repeat)),
        ]
        chosen = set(args.only.split(",")) if args.only else {name for name, _ in steps}
        unknown = chosen - {name for name, _ in steps}
        if unknown:
            raise SystemExit(f"--only: unknown step(s) {', '.join(sorted(unknown))}")
        for name, step in steps:
            if name not in chosen:
                continue
            start = time.perf_counter()
            step()
            print(f"({name}: {time.perf_counter() - start:.1f} s)", file=sys.stderr)
    print(
        f"mfgindex {mi.__version__}, Python {sys.version.split()[0]}, "
        f"{os.cpu_count()} CPU(s){', --quick' if quick else ''}; ratio = ours / reference"
    )
    print(render())


if __name__ == "__main__":
    main()
