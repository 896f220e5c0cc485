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
from run_all import numpy_pipeline, synthetic

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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--units", type=int, default=1_000_000)
    parser.add_argument("--heavy", action="store_true",
                        help="also winsorize + zscore(mean=10, sd=2) + geometric")
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
    inner = [np.array([fw.nodes[c].weight for c in fw.children(g)], dtype=float)
             for g in inner_groups]
    top = np.array([fw.nodes[g].weight for g in fw.children(fw.id)], dtype=float)
    nodes = [*inner_groups, fw.id]

    def ours(**options: Any) -> tuple[np.ndarray, np.ndarray]:
        res = mi.compute(fw, ds, **options)
        pos = [res.node_ids.index(n) for n in nodes]
        return res.score_matrix[:, pos], np.column_stack([res.rank_of(n) for n in nodes])

    t_ref, m_ref, (s_ref, r_ref) = measured(
        lambda: numpy_pipeline(x, direction, cols, inner, top, fw.min_coverage))
    t_ours, m_ours, (s_ours, r_ours) = measured(ours)
    np.testing.assert_allclose(s_ours, s_ref, rtol=1e-12, atol=1e-9, equal_nan=True)
    np.testing.assert_array_equal(r_ours, r_ref)
    size = x.nbytes
    print(f"{args.units:,} x {len(ids)} (input {size / 2**20:.0f} MiB)")
    print(f"default   ours {t_ours:7.2f} s {m_ours / size:5.2f}x input | numpy {t_ref:6.2f} s "
          f"{m_ref / size:5.2f}x input | time ratio {t_ours / t_ref:5.2f}")
    if args.heavy:
        t_h, m_h, _ = measured(lambda: ours(treat="winsorize", normalize="zscore(mean=10, sd=2)",
                                            aggregate="geometric"))
        print(f"heavy     ours {t_h:7.2f} s {m_h / size:5.2f}x input | (numpy default "
              f"{t_ref:.2f} s) ratio {t_h / t_ref:5.2f}")


if __name__ == "__main__":
    main()
