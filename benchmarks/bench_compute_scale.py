"""compute at scale (issue 13, item 3): time and peak memory of ``compute`` against plain numpy
with the same outputs (index and group scores and ranks), side by side in one process.

Peak memory is measured with :mod:`tracemalloc` (numpy reports its buffers to it) above what
is live before the call, as a multiple of the ``(n, m)`` float64 input array. No timing is
asserted anywhere; ``--units`` sets the size (default 1,000,000 x 50).

Run: python benchmarks/bench_compute_scale.py [--units N] [--heavy]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run_all import numpy_pipeline, numpy_ranks, synthetic

import mfgindex as mi


def measured(func: Callable[[], Any]) -> tuple[float, int, Any]:
    """Wall time, peak traced bytes above the start, and the result of one call."""
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    start = time.perf_counter()
    out = func()
    took = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    return took, peak, out


def numpy_heavy(
    x: np.ndarray,
    direction: np.ndarray,
    groups: list[np.ndarray],
    inner: list[np.ndarray],
    top: np.ndarray,
    min_coverage: float,
) -> tuple[np.ndarray, np.ndarray]:
    """winsorize (COINr's default: up to 5 points while |skew| >= 2 and kurtosis >= 3.5, else
    log_CT of the original) + zscore(mean=10, sd=2) + weighted geometric means, in plain numpy:
    scores and ranks of the groups and the index."""

    def sk_kt(v: np.ndarray) -> tuple[float, float]:
        v = v[~np.isnan(v)]
        n = v.size
        d = v - v.mean()
        d2 = d * d
        m2 = d2.sum()
        g1 = np.sqrt(n) * np.dot(d2, d) / m2**1.5 * np.sqrt(n * (n - 1)) / (n - 2)
        r = n * np.dot(d2, d2) / m2**2
        return g1, ((n + 1) * (r - 3) + 6) * (n - 1) / ((n - 2) * (n - 3))

    def ok(v: np.ndarray) -> tuple[bool, float]:
        g1, g2 = sk_kt(v)
        return bool(abs(g1) < 2.0 or g2 < 3.5), g1

    t = x.copy()
    for j in range(t.shape[1]):
        col = t[:, j]
        passed, g1 = ok(col)
        w, count = col.copy(), 0
        hi_cells = lo_cells = np.zeros(0, dtype=np.intp)
        while not passed and count < 5:
            end = np.nanmax(w) if g1 >= 0 else np.nanmin(w)
            cells = np.flatnonzero(w == end)
            rest = w[~np.isnan(w) & (w != end)]
            w[cells] = rest.max() if g1 >= 0 else rest.min()
            if g1 >= 0:
                hi_cells = cells
            else:
                lo_cells = cells
            count = hi_cells.size + lo_cells.size
            passed, g1 = ok(w)
        if not passed:
            lo, hi = np.nanmin(col), np.nanmax(col)
            w = np.log(col - lo + 0.01 * (hi - lo))
        t[:, j] = w
    o = t * direction
    mu = np.nanmean(o, axis=0)
    sd = np.nanstd(o, axis=0, ddof=1)
    z = (o - mu) / sd * 2.0 + 10.0

    def geo(values: np.ndarray, w: np.ndarray) -> np.ndarray:
        present = ~np.isnan(values)
        wsum = present @ w
        logs = np.where(present, np.log(np.where(present, values, 1.0)), 0.0) @ w
        score = np.exp(logs / wsum)
        return np.where(wsum / w.sum() + 1e-12 >= min_coverage, score, np.nan)

    scores = np.column_stack([geo(z[:, c], w) for c, w in zip(groups, inner, strict=True)])
    table = np.column_stack([scores, geo(scores, top)])
    return table, numpy_ranks(table)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--units", type=int, default=1_000_000)
    parser.add_argument(
        "--heavy", action="store_true", help="also winsorize + zscore(mean=10, sd=2) + geometric"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        fw_path, frame = synthetic(Path(tmp), args.units, seed=2)
        fw = mi.load_framework(fw_path)
        ds = mi.read_data(frame, fw)
    del frame
    groups = [g.id for g in fw.groups]
    ids = [i.id for i in fw.indicators]
    x = np.ascontiguousarray(ds.values[ids].to_numpy(dtype=float))
    direction = np.array([i.direction for i in fw.indicators], dtype=float)
    inner_groups = [g for g in groups if g != fw.id]
    cols = [np.array([ids.index(c) for c in fw.children(g)]) for g in inner_groups]
    inner = [np.array([fw.nodes[c].weight for c in fw.children(g)], dtype=float) for g in inner_groups]
    top = np.array([fw.nodes[g].weight for g in fw.children(fw.id)], dtype=float)
    nodes = [*inner_groups, fw.id]

    def ours(**options: Any) -> tuple[np.ndarray, np.ndarray]:
        res = mi.compute(fw, ds, **options)
        pos = [res.node_ids.index(n) for n in nodes]
        return res.score_matrix[:, pos], np.column_stack([res.rank_of(n) for n in nodes])

    t_ref, m_ref, (s_ref, r_ref) = measured(
        lambda: numpy_pipeline(x, direction, cols, inner, top, fw.min_coverage)
    )
    t_ours, m_ours, (s_ours, r_ours) = measured(ours)
    np.testing.assert_allclose(s_ours, s_ref, rtol=1e-12, atol=1e-9, equal_nan=True)
    np.testing.assert_array_equal(r_ours, r_ref)
    size = x.nbytes
    print(f"{args.units:,} x {len(ids)} (input {size / 2**20:.0f} MiB)")
    print(
        f"default   ours {t_ours:7.2f} s {m_ours / size:5.2f}x input | numpy {t_ref:6.2f} s "
        f"{m_ref / size:5.2f}x input | time ratio {t_ours / t_ref:5.2f}"
    )
    if args.heavy:
        heavy = {"treat": "winsorize", "normalize": "zscore(mean=10, sd=2)", "aggregate": "geometric"}
        t_hr, m_hr, (s_hr, r_hr) = measured(
            lambda: numpy_heavy(x, direction, cols, inner, top, fw.min_coverage)
        )
        t_h, m_h, (s_h, r_h) = measured(lambda: ours(**heavy))
        close = np.isclose(s_h, s_hr, rtol=1e-9, atol=1e-9, equal_nan=True)
        print(
            f"heavy: {int((~close).sum())} of {close.size} scores differ from the numpy "
            "reference (units with a value <= 0 under the geometric mean: NaN or 0 rules)"
        )
        print(
            f"heavy     ours {t_h:7.2f} s {m_h / size:5.2f}x input | numpy {t_hr:6.2f} s "
            f"{m_hr / size:5.2f}x input | time ratio {t_h / t_hr:5.2f}  (ranks equal: "
            f"{np.array_equal(r_h, r_hr, equal_nan=True)})"
        )


if __name__ == "__main__":
    main()
