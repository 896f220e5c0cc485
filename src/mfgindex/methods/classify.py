r"""Classification methods: sort units into development bands (stages) by score or rank.

Contract (see :mod:`mfgindex.methods.base`)::

    f(scores: (n,), ranks: (n,), n_bands: int, *, params) -> (n,) int codes

Codes run from 0 (the best band, e.g. CCID's 跃升期 "leaping") to ``n_bands - 1``; a unit
whose score is NaN gets ``-1``. ``ranks`` are the pipeline's ranks (1 = best, ties share the
lowest rank, NaN unranked). The framework's ``[stages]`` table names the method, its
parameters and one label per band.

References: CCID, *China Advanced Manufacturing Development Index* (stages by rank:
leaping / expansion / development / initial); Jenks (1967), "The data model concept in
statistical mapping"; Fisher (1958), "On grouping for maximum homogeneity", via the ``jenkspy``
package.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from mfgindex.errors import MethodError
from mfgindex.methods.base import FloatArray
from mfgindex.methods.registry import register

__all__ = ["breaks", "quantile", "rank", "score"]

IntArray = NDArray[np.int64]


def _prepare(scores: Any, ranks: Any, n_bands: int) -> tuple[FloatArray, FloatArray, int]:
    s = np.asarray(scores, dtype=np.float64)
    r = np.asarray(ranks, dtype=np.float64)
    if s.ndim != 1 or r.shape != s.shape:
        raise MethodError(
            f"classification needs scores and ranks of the same 1-D shape; got {s.shape} and {r.shape}"
        )
    if isinstance(n_bands, bool) or int(n_bands) != n_bands or n_bands < 1:
        raise MethodError(f"the number of bands must be a positive integer, got {n_bands!r}")
    return s, r, int(n_bands)


def _cuts(values: Any, n_bands: int, method: str, name: str) -> FloatArray:
    if values is None:
        raise MethodError(
            f"classification '{method}' needs '{name}' ({n_bands - 1} value(s) for {n_bands} bands)",
            hint=f"e.g. {method}({name}=[...]) in the framework's [stages] table",
        )
    try:
        arr = np.asarray(values, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        raise MethodError(
            f"classification '{method}': '{name}' must be a list of numbers, got {values!r}"
        ) from None
    if arr.size != n_bands - 1:
        raise MethodError(
            f"classification '{method}': {arr.size} {name} make {arr.size + 1} bands, "
            f"but there are {n_bands} band labels",
            hint=f"give {n_bands - 1} {name} (one fewer than the labels)",
        )
    if not np.isfinite(arr).all():
        raise MethodError(f"classification '{method}': every one of '{name}' must be a number")
    return arr


def _finish(codes: Any, missing: NDArray[np.bool_]) -> IntArray:
    out = np.asarray(codes, dtype=np.int64)
    out[missing] = -1
    return out


@register("rank", stage="classify", row_wise=True)
def rank(scores: FloatArray, ranks: FloatArray, n_bands: int, *, cuts: list[int] | None = None) -> IntArray:
    r"""Bands by rank: ``cuts`` are the last rank of each band but the last.

    .. math:: b = \min\{\, j : r \le c_j \,\}, \quad b = n_{\text{bands}} - 1
              \text{ if } r > c_{\max}

    E.g. CCID's cuts ``[3, 29, 58]`` give ranks 1-3 (band 0, leaping), 4-29, 30-58 and 59 on.
    Tied units share a rank (the lowest), hence a band.

    Parameters
    ----------
    cuts
        ``n_bands - 1`` strictly increasing inclusive upper rank bounds; required.

    Degenerate input
        Missing cuts, a count that does not match ``n_bands``, or cuts not strictly increasing
        raise :class:`MethodError`. A NaN score (or NaN rank) gives -1.
    """
    s, r, n_bands = _prepare(scores, ranks, n_bands)
    c = _cuts(cuts, n_bands, "rank", "cuts")
    if (np.diff(c) <= 0).any():
        raise MethodError(
            f"classification 'rank': cuts must increase strictly, got {list(cuts or [])}",
            hint="e.g. rank(cuts=[3, 29, 58])",
        )
    missing = np.isnan(s) | np.isnan(r)
    codes = np.searchsorted(c, np.where(missing, 0.0, r), side="left")
    return _finish(codes, missing)


@register("score", stage="classify", row_wise=True)
def score(
    scores: FloatArray, ranks: FloatArray, n_bands: int, *, cuts: list[float] | None = None
) -> IntArray:
    r"""Bands by score thresholds: band 0 holds scores at or above the highest cut.

    .. math:: b = \#\{\, j : s < c_j \,\}

    so a score equal to a cut belongs to the higher band. The order of ``cuts`` does not
    matter; e.g. ``[80, 60, 40]`` gives ≥ 80, [60, 80), [40, 60) and < 40.

    Parameters
    ----------
    cuts
        ``n_bands - 1`` distinct score thresholds, in the score's units; required.

    Degenerate input
        Missing or repeated cuts, or a count that does not match ``n_bands``, raise
        :class:`MethodError`. A NaN score gives -1.
    """
    s, _, n_bands = _prepare(scores, ranks, n_bands)
    c = _cuts(cuts, n_bands, "score", "cuts")
    if np.unique(c).size != c.size:
        raise MethodError(f"classification 'score': cuts must be distinct, got {list(cuts or [])}")
    missing = np.isnan(s)
    codes = (np.where(missing, np.inf, s)[:, None] < c[None, :]).sum(axis=1)
    return _finish(codes, missing)


@register("quantile", stage="classify")
def quantile(
    scores: FloatArray, ranks: FloatArray, n_bands: int, *, probs: list[float] | None = None
) -> IntArray:
    r"""Bands by rank share: band 0 is the top ``probs[0]`` of the ranked units, and so on.

    .. math:: b = \min\{\, j : r / N \le p_j \,\}, \quad b = n_{\text{bands}} - 1
              \text{ if } r / N > p_{\max}

    with :math:`N` the number of ranked units. E.g. ``probs = [0.25, 0.5, 0.75]`` gives the
    top quarter, the second, the third and the bottom quarter. Tied units share a rank, hence
    a band, so bands can be uneven around ties.

    Parameters
    ----------
    probs
        ``n_bands - 1`` strictly increasing shares in (0, 1); default equal shares
        ``[1/n_bands, 2/n_bands, ...]``.

    Degenerate input
        A count that does not match ``n_bands`` or shares outside (0, 1) or not increasing
        raise :class:`MethodError`. A NaN score (or rank) gives -1. ``r / N \le p`` is tested
        as :math:`r \le pN` with a 1e-9 allowance, so shares like 1/3 of 3 units are exact.
    """
    s, r, n_bands = _prepare(scores, ranks, n_bands)
    if probs is None:
        p = np.arange(1, n_bands, dtype=np.float64) / n_bands
    else:
        p = _cuts(probs, n_bands, "quantile", "probs")
        if (np.diff(p) <= 0).any() or (p.size and not (p[0] > 0 and p[-1] < 1)):
            raise MethodError(
                f"classification 'quantile': probs must increase strictly within (0, 1), got {list(probs)}",
                hint="e.g. quantile(probs=[0.25, 0.5, 0.75])",
            )
    missing = np.isnan(s) | np.isnan(r)
    n_ranked = float((~missing).sum())
    upper_rank = p * n_ranked + 1e-9
    codes = np.searchsorted(upper_rank, np.where(missing, 0.0, r), side="left")
    return _finish(codes, missing)


@register("breaks", stage="classify")
def breaks(scores: FloatArray, ranks: FloatArray, n_bands: int) -> IntArray:
    r"""Bands by natural breaks (Fisher-Jenks): classes that minimise within-class variance.

    The breaks :math:`m = b_0 < b_1 < \dots < b_{n_{\text{bands}}} = M` from
    ``jenkspy.jenks_breaks(scores, n_classes=n_bands)`` are class upper bounds (inclusive):
    class :math:`j` holds :math:`b_j < s \le b_{j+1}` (class 0 also holds the minimum). The
    highest class is band 0.

    Degenerate input
        Fewer distinct non-missing scores than bands raise :class:`MethodError` (the classes
        would be empty or repeated). A NaN score gives -1.

    References
    ----------
    Jenks (1967); Fisher (1958); ``jenkspy.jenks_breaks``.
    """
    s, _, n_bands = _prepare(scores, ranks, n_bands)
    missing = np.isnan(s)
    valid = s[~missing]
    if np.unique(valid).size < n_bands:
        raise MethodError(
            f"classification 'breaks': {np.unique(valid).size} distinct score(s) cannot make "
            f"{n_bands} natural-breaks classes",
            hint="use fewer bands, or classify by 'rank' or 'score'",
        )
    if n_bands == 1:
        return _finish(np.zeros(s.shape), missing)
    import jenkspy  # lazy: only this method needs it

    edges = np.asarray(jenkspy.jenks_breaks(valid.tolist(), n_classes=n_bands), dtype=np.float64)
    inner = edges[1:-1]
    cls = np.searchsorted(inner, np.where(missing, -np.inf, s), side="left")
    return _finish(n_bands - 1 - cls, missing)
