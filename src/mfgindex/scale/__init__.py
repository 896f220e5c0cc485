"""The Dask path (``[scale]`` extra): scoring data that does not fit in memory.

The :class:`~mfgindex.pipeline.Plan`'s fit/apply split maps onto Dask: normalisers are fitted
by reductions over partitions (min/max, counts, means and sums of squared deviations; the
registry's ``reduce`` trait says what each method needs), applied with one task per partition,
and aggregation is row-local (``row_wise`` aggregators). Index ranks are exact, by a sample
sort over partitions. A method that cannot run partition-wise is an error naming it.

>>> import mfgindex as mi, mfgindex.scale as ms              # doctest: +SKIP
>>> fw = mi.load_framework("fw.toml")                          # doctest: +SKIP
>>> res = ms.score(fw, "data/*.parquet")                       # doctest: +SKIP
>>> ms.write_parquet(res, "out/")                              # doctest: +SKIP

An uncertainty analysis's Monte Carlo runs go to Dask workers with
``mfgindex.uncertainty(..., engine="dask")`` (:mod:`mfgindex.scale.runs`): the in-memory path's
chunks of runs, each task returning its runs' rank counts, added up on the client.

Nothing here imports dask until it is used; without the extra, a clear error says
``pip install "mfgindex[scale]"``. See docs/scale.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mfgindex.scale._deps import require_dask
    from mfgindex.scale.engine import ScaleResult, read_files, score
    from mfgindex.scale.output import write_parquet
    from mfgindex.scale.ranks import exact_ranks

__all__ = ["ScaleResult", "exact_ranks", "read_files", "require_dask", "score", "write_parquet"]

_WHERE = {
    "ScaleResult": "mfgindex.scale.engine",
    "read_files": "mfgindex.scale.engine",
    "score": "mfgindex.scale.engine",
    "write_parquet": "mfgindex.scale.output",
    "exact_ranks": "mfgindex.scale.ranks",
    "require_dask": "mfgindex.scale._deps",
}


def __getattr__(name: str) -> Any:
    import importlib

    if name not in _WHERE:
        raise AttributeError(f"module 'mfgindex.scale' has no attribute {name!r}")
    return getattr(importlib.import_module(_WHERE[name]), name)
