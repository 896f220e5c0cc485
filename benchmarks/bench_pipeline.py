"""Time the scoring pipeline: the bundled city index, COINr's full ASEM example, and a large
synthetic dataset (to show how it scales). Prints the median of several runs.

Run: python benchmarks/bench_pipeline.py
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

import mfgindex as mi

ROOT = Path(__file__).resolve().parents[1]
ASEM = ROOT / "tests" / "golden" / "asem"


def median_time(func, repeat: int = 7) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def synthetic(n_units: int, n_groups: int, per_group: int, seed: int = 0) -> tuple[Path, Path]:
    """A random framework and dataset (written to a temporary folder)."""
    import tempfile

    rng = np.random.default_rng(seed)
    folder = Path(tempfile.mkdtemp(prefix="mfgindex-bench-"))
    lines = [
        '[framework]\nid = "idx"\nunit_column = "unit"\n',
        '[defaults]\nnormalize = "minmax(low=0, high=100)"\naggregate = "arithmetic"\n',
    ]
    columns = {"unit": [f"U{i:06d}" for i in range(n_units)]}
    for g in range(n_groups):
        lines.append(f'[[group]]\nid = "g{g}"\nparent = "idx"\n')
        for k in range(per_group):
            iid = f"x{g}_{k}"
            lines.append(f'[[indicator]]\nid = "{iid}"\nparent = "g{g}"\ndirection = {1 - 2 * (k % 2)}\n')
            values = rng.lognormal(0, 1, n_units)
            values[rng.random(n_units) < 0.05] = np.nan
            columns[iid] = values
    fw = folder / "fw.toml"
    fw.write_text("\n".join(lines), encoding="utf-8")
    data = folder / "data.csv"
    pd.DataFrame(columns).to_csv(data, index=False)
    return fw, data


def main() -> None:
    city = mi.load_framework("city")
    city_data = mi.read_data(None, city)
    print(
        f"city, {len(city_data)} units x {len(city.indicators)} indicators: "
        f"compute {median_time(lambda: mi.compute(city, city_data)) * 1000:.1f} ms"
    )

    asem = mi.load_framework(ASEM / "ASEM_iMeta.csv")
    asem_data = mi.read_data(ASEM / "ASEM_iData.csv", asem)
    full = {
        "impute": "group_mean(group=EurAsia_group)",
        "screen": "coverage(min=0.9)",
        "treat": "winsorize(max_points=5)",
        "normalize": "minmax(low=0, high=100)",
        "aggregate": "arithmetic",
    }
    t = median_time(lambda: mi.compute(asem, asem_data, **full))
    print(f"COINr's full ASEM example pipeline (51 x 49, with treatment): {t * 1000:.1f} ms")

    for n_units in (1_000, 10_000, 100_000):
        fw_path, data_path = synthetic(n_units, n_groups=5, per_group=10)
        fw = mi.load_framework(fw_path)
        read = median_time(lambda fw=fw, p=data_path: mi.read_data(p, fw), repeat=3)
        ds = mi.read_data(data_path, fw)
        t = median_time(lambda fw=fw, ds=ds: mi.compute(fw, ds), repeat=3)
        print(f"synthetic {n_units:>7,} units x 50 indicators: read {read:.2f} s, compute {t:.3f} s")

    exe = [sys.executable, "-m", "mfgindex"]
    for args in (["--help"], ["rank"]):
        t = median_time(lambda a=args: subprocess.run([*exe, *a], capture_output=True, check=True), repeat=7)
        print(f"whole process `mfgindex {' '.join(args)}`: {t:.2f} s (median of 7)")


if __name__ == "__main__":
    main()
