"""The Dask path on data larger than a worker's memory: N units x 50 indicators.

Writes a synthetic framework and N units of partitioned Parquet (float64; 20M units x 50 is
8 GB of values), then scores it on a LocalCluster of worker processes, each under a memory
limit, and writes the scores as partitioned Parquet. Reports the time of each step and the
peak memory (RSS of the workers and of this process, sampled every 0.2 s).

Run: python benchmarks/bench_scale.py --units 20000000 --memory-limit 4GiB
     (--units 200000 for a quick look; the data is kept under --folder and reused)
"""

from __future__ import annotations

import argparse
import shutil
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np


def framework_text(n_groups: int, per_group: int) -> str:
    lines = [
        '[framework]\nid = "idx"\nunit_column = "unit"\n',
        '[defaults]\nnormalize = "minmax(low=0, high=100)"\naggregate = "arithmetic"\n',
    ]
    for g in range(n_groups):
        lines.append(f'[[group]]\nid = "g{g}"\nparent = "idx"\n')
        for k in range(per_group):
            lines.append(f'[[indicator]]\nid = "x{g}_{k}"\nparent = "g{g}"\ndirection = {1 - 2 * (k % 2)}\n')
    return "\n".join(lines)


def write_data(
    folder: Path, n_units: int, n_groups: int, per_group: int, rows_per_part: int, seed: int = 0
) -> list[Path]:
    """Partitioned Parquet of lognormal values (5% missing), reused when already there."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    stamp = folder / f"complete-{n_units}-{n_groups}x{per_group}-{rows_per_part}"
    parts = sorted(folder.glob("part-*.parquet"))
    if stamp.exists():
        return parts
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    ids = [f"x{g}_{k}" for g in range(n_groups) for k in range(per_group)]
    rng = np.random.default_rng(seed)
    out = []
    for p, start in enumerate(range(0, n_units, rows_per_part)):
        n = min(rows_per_part, n_units - start)
        cols: dict[str, Any] = {"unit": pa.array(np.arange(start, start + n, dtype=np.int64))}
        for iid in ids:
            v = rng.lognormal(0.0, 1.0, n)
            v[rng.random(n) < 0.05] = np.nan
            cols[iid] = pa.array(v)
        path = folder / f"part-{p:05d}.parquet"
        pq.write_table(pa.table(cols), path, compression="snappy")
        out.append(path)
    stamp.touch()
    return out


class PeakRSS:
    """Peak of the summed RSS of this process and the given worker processes."""

    def __init__(self, pids: list[int]) -> None:
        import psutil

        self.procs = [psutil.Process()] + [psutil.Process(p) for p in pids]
        self.peak = 0
        self.peak_workers = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            rss = []
            for p in self.procs:
                try:
                    rss.append(p.memory_info().rss)
                except Exception:  # a worker restarted: its memory is gone
                    rss.append(0)
            self.peak = max(self.peak, sum(rss))
            self.peak_workers = max(self.peak_workers, sum(rss[1:]))
            time.sleep(0.2)

    def __enter__(self) -> PeakRSS:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def run(
    n_units: int,
    *,
    folder: Path,
    memory_limit: str,
    workers: int,
    rows_per_part: int,
    n_groups: int = 5,
    per_group: int = 10,
    keep: bool = True,
) -> dict[str, float]:
    """Score ``n_units`` on the Dask path; the timings (s) and peak memory (bytes)."""
    from distributed import Client, LocalCluster

    import mfgindex as mi
    import mfgindex.scale as ms

    t0 = time.perf_counter()
    paths = write_data(folder / "data", n_units, n_groups, per_group, rows_per_part)
    t_data = time.perf_counter() - t0
    fw_path = folder / "fw.toml"
    fw_path.write_text(framework_text(n_groups, per_group), encoding="utf-8")
    fw = mi.load_framework(fw_path)
    out = folder / "out"
    with (
        LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            memory_limit=memory_limit,
            dashboard_address=None,
        ) as cluster,
        Client(cluster) as client,
    ):
        import os

        pids = list(client.run(os.getpid).values())
        with PeakRSS(pids) as peak:
            t0 = time.perf_counter()
            res = ms.score(fw, [str(p) for p in paths])
            t_score = time.perf_counter() - t0
            t0 = time.perf_counter()
            ms.write_parquet(res, out)
            t_write = time.perf_counter() - t0
        limit = sum(w["memory_limit"] for w in client.scheduler_info()["workers"].values())
    import pyarrow.parquet as pq

    rows = sum(pq.ParquetFile(p).metadata.num_rows for p in out.glob("*.parquet"))
    if rows != n_units:
        raise SystemExit(f"wrote {rows} rows, expected {n_units}")
    ranks = pq.read_table(out, columns=["rank"]).column("rank").to_numpy()
    if not (np.nanmin(ranks) == 1 and np.nanmax(ranks) <= n_units):
        raise SystemExit("ranks out of range")
    if not keep:
        shutil.rmtree(out, ignore_errors=True)
    return {
        "units": n_units,
        "partitions": len(paths),
        "data": t_data,
        "score": t_score,
        "write": t_write,
        "peak": peak.peak,
        "peak_workers": peak.peak_workers,
        "limit": limit,
        "values_bytes": n_units * n_groups * per_group * 8,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=20_000_000)
    parser.add_argument("--rows-per-part", type=int, default=125_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--memory-limit", default="4GiB", help="per worker")
    parser.add_argument("--folder", type=Path, default=Path("/tmp/mfgindex-bench-scale"))
    args = parser.parse_args()
    r = run(
        args.units,
        folder=args.folder,
        memory_limit=args.memory_limit,
        workers=args.workers,
        rows_per_part=args.rows_per_part,
    )
    gib = 2**30
    print(
        f"{r['units']:,} units x 50 indicators ({r['values_bytes'] / 1e9:.1f} GB of float64) "
        f"in {r['partitions']} Parquet partitions; {args.workers} worker processes, "
        f"memory limit {r['limit'] / gib:.1f} GiB in all"
    )
    print(f"  data written: {r['data']:.1f} s (reused when already there)")
    print(
        f"  score (fit, apply, aggregate, exact ranks): {r['score']:.1f} s; "
        f"write Parquet: {r['write']:.1f} s; total {r['score'] + r['write']:.1f} s"
    )
    print(
        f"  peak RSS: workers {r['peak_workers'] / gib:.2f} GiB, workers + client {r['peak'] / gib:.2f} GiB"
    )


if __name__ == "__main__":
    main()
