r"""Exact ranks over partitions: a sample sort restricted to what ranks need.

The rank of a score :math:`x` among all :math:`N` units (1 = best, ties share the lowest rank,
NaN unranked; R's ``rank(-x, ties.method = "min", na.last = "keep")``) is

.. math:: r(x) = 1 + \#\{\, y : y > x \,\}

a count over *every* partition. Counting it exactly without one machine holding every score:

1. **Cut points.** Each partition sends a small sorted sample of its keys (:math:`k = -x`, so
   smaller is better); quantiles of the pooled sample give :math:`B - 1` cut values
   :math:`c_1 < \dots < c_{B-1}`. Bucket :math:`b` holds the keys in :math:`[c_b, c_{b+1})`:
   equal keys always share a bucket, so ties are never split.
2. **Buckets.** Each partition splits its keys by bucket; the task of bucket :math:`b` gathers
   that bucket's keys from every partition, sorts them once, and counts, for every key it was
   sent, the keys of the bucket strictly smaller (``searchsorted``, side left).
3. **Ranks.** With :math:`A_b` the number of keys in buckets before :math:`b` (from the
   buckets' sizes), a key in bucket :math:`b` has rank :math:`1 + A_b + w`, :math:`w` its count
   within the bucket — the exact count of better scores.

Memory: one bucket's keys at a time per task (about :math:`N / B`, unless one score is shared
by very many units: a tie is never split). Data moved: each key twice.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["exact_ranks"]


def _keys(frame: Any, columns: Sequence[str], descending: bool) -> list[np.ndarray]:
    out = []
    for c in columns:
        x = np.asarray(frame[c], dtype=np.float64)
        out.append(-x if descending else x.copy())
    return out


def _sample(frame: Any, columns: Sequence[str], descending: bool, size: int) -> list[np.ndarray]:
    """Per column, ``size`` evenly spaced order statistics of the partition's keys."""
    out = []
    for k in _keys(frame, columns, descending):
        k = np.sort(k[~np.isnan(k)])
        if k.size > size:
            k = k[np.linspace(0, k.size - 1, size).round().astype(np.int64)]
        out.append(k)
    return out


def _bucket_ids(keys: np.ndarray, cuts: np.ndarray) -> np.ndarray:
    """Bucket of each key (``len(cuts) + 1`` buckets; NaN: -1)."""
    ids = np.searchsorted(cuts, keys, side="right")
    ids[np.isnan(keys)] = -1
    return ids


def _split(
    frame: Any, columns: Sequence[str], descending: bool, cuts: Sequence[np.ndarray], n_buckets: int
) -> tuple[list[np.ndarray], ...]:
    """The partition's keys by bucket: ``out[b][c]`` (each in the partition's row order)."""
    out: tuple[list[np.ndarray], ...] = tuple([] for _ in range(n_buckets))
    for k, cut in zip(_keys(frame, columns, descending), cuts, strict=True):
        ids = _bucket_ids(k, cut)
        order = np.argsort(ids, kind="stable")
        bounds = np.searchsorted(ids[order], np.arange(n_buckets + 1), side="left")
        for b in range(n_buckets):
            out[b].append(k[order[bounds[b] : bounds[b + 1]]])
    return out


def _bucket(*pieces: list[np.ndarray]) -> tuple[np.ndarray, list[list[np.ndarray]]]:
    """One bucket, from every partition's piece (``pieces[p][c]``): its size per column, and
    for each partition and column the number of the bucket's keys below each key it sent."""
    n_cols = len(pieces[0]) if pieces else 0
    sizes = np.zeros(n_cols, dtype=np.int64)
    within: list[list[np.ndarray]] = [[] for _ in pieces]
    for c in range(n_cols):
        everything = np.sort(np.concatenate([p[c] for p in pieces]))
        sizes[c] = everything.size
        for q, p in enumerate(pieces):
            within[q].append(np.searchsorted(everything, p[c], side="left"))
    return sizes, within


def _pick(bucket: tuple[np.ndarray, list[list[np.ndarray]]], q: int) -> list[np.ndarray]:
    return bucket[1][q]


def _sizes(bucket: tuple[np.ndarray, list[list[np.ndarray]]]) -> np.ndarray:
    return bucket[0]


def _assemble(
    frame: Any,
    columns: Sequence[str],
    descending: bool,
    cuts: Sequence[np.ndarray],
    before: np.ndarray,
    *within: list[np.ndarray],
) -> np.ndarray:
    """``(n, c)`` ranks of one partition: 1 + keys in earlier buckets + keys below in its own."""
    keys = _keys(frame, columns, descending)
    n = len(keys[0]) if keys else 0
    out = np.full((n, len(columns)), np.nan)
    for c, (k, cut) in enumerate(zip(keys, cuts, strict=True)):
        ids = _bucket_ids(k, cut)
        order = np.argsort(ids, kind="stable")
        valid = order[ids[order] >= 0]
        counts = np.concatenate([w[c] for w in within]) if within else np.empty(0)
        out[valid, c] = 1.0 + before[c, ids[valid]] + counts
    return out


def exact_ranks(
    parts: Sequence[Any], columns: Sequence[str], *, descending: bool = True, sample: int = 32
) -> list[Any]:
    """Exact ranks of ``columns`` over every partition, one ``(n_p, c)`` array per partition.

    Parameters
    ----------
    parts
        The partitions, as dask Delayed pandas frames (persisted: they are read three times).
    columns
        The columns to rank, each on its own.
    descending
        1 = the highest value (scores); False: 1 = the lowest.
    sample
        Sample size per partition and bucket for the cut points (balance only, not exactness).

    Returns
    -------
    list
        Dask Delayed ``(n_p, c)`` float arrays, in partition order: ties share the lowest rank,
        NaN stays NaN.
    """
    import dask
    from dask import delayed

    cols = list(columns)
    n_parts = len(parts)
    n_buckets = max(1, min(n_parts, math.ceil(2 * math.sqrt(n_parts))))
    samples = dask.compute(*[delayed(_sample)(p, cols, descending, sample * n_buckets) for p in parts])
    cuts = []
    for c in range(len(cols)):
        pooled = np.sort(np.concatenate([s[c] for s in samples]))
        if pooled.size == 0:
            cuts.append(np.empty(0))
            continue
        at = np.linspace(0, pooled.size - 1, n_buckets + 1)[1:-1].round().astype(np.int64)
        cut = np.unique(pooled[at])
        cuts.append(np.concatenate([cut, np.full(n_buckets - 1 - cut.size, np.inf)]))
    splits = [delayed(_split, nout=n_buckets)(p, cols, descending, cuts, n_buckets) for p in parts]
    buckets = [delayed(_bucket)(*[s[b] for s in splits]) for b in range(n_buckets)]
    buckets = list(dask.persist(*buckets))
    sizes = (
        np.array(dask.compute(*[delayed(_sizes)(b) for b in buckets]), dtype=np.float64)
        .reshape(n_buckets, len(cols))
        .T
    )
    before = np.concatenate([np.zeros((len(cols), 1)), np.cumsum(sizes, axis=1)[:, :-1]], axis=1)
    return [
        delayed(_assemble)(p, cols, descending, cuts, before, *[delayed(_pick)(b, q) for b in buckets])
        for q, p in enumerate(parts)
    ]
