"""Data contracts shared by the stage modules.

Arrays are float64; rows are units, columns are indicators (or a group's children). NaN means
missing everywhere. In a float32 run (``Choices.dtype``, docs/scale.md) the stages on whole
tables (denominate, impute, screen), treat methods and aggregators may be given float32 arrays
(normalisers always get float64 blocks); the methods here compute in float64 all the same.
Each stage's functions take the positional arguments documented below and their method
parameters as keyword-only arguments (see :mod:`mfgindex.methods.registry`).

=========== ===================================================================== =============
stage       positional arguments                                                   returns
=========== ===================================================================== =============
denominate  ``x (n, m)``, ``denominators (n, m)`` (NaN column where none)           ``(n, m)``
transform   ``x (n,)`` one indicator's values                                      ``(n,)``
impute      ``x (n, m)``, :class:`UnitContext`                                     ``(n, m)``
screen      ``x (n, m)``, :class:`UnitContext`                                     :class:`Screening`
treat       ``x (n,)`` one indicator's values                                      :class:`Treatment`
normalize   ``ref (p, m)`` oriented data to fit on, :class:`ColumnContext`          :class:`Fit`
weight      ``values (n, k)`` children's scores, :class:`WeightContext`            ``(k,)``
aggregate   ``values (n, k)``, ``weights (k,)`` or ``(r, k)``                      ``(n,)``/``(r, n)``
classify    ``scores (n,)``, ``ranks (n,)``, ``n_bands``                           ``(n,)`` int
=========== ===================================================================== =============
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]


def rank_min(x: Any, *, axis: int = 0, descending: bool = False) -> FloatArray:
    """Ranks along ``axis`` (default: within each column): ties share the lowest rank, NaN
    stays NaN — R's ``rank(x, ties.method = "min", na.last = "keep")``, of ``-x`` when
    ``descending`` (1 = highest).

    For a line of values :math:`v` with sorted keys :math:`k_{(1)} \\le \\dots \\le k_{(p)}`
    (:math:`k = v`, or :math:`-v` when ``descending``; NaN left out), the value at sorted
    position :math:`i` gets rank :math:`\\min\\{j : k_{(j)} = k_{(i)}\\}`: one sort, then a
    running maximum of the positions where a run of equal keys starts. Because ties are
    resolved to the lowest position *after* sorting, the sort need not be stable (numpy's
    default introsort, several times faster than ``kind="stable"`` on a million values).

    The one rank computation of the package (normalisation, the pipeline's ranks, Monte Carlo
    runs). Equal to ``scipy.stats.rankdata(x, method="min")`` on the non-missing values (the
    tests check it), but with one numpy sort: importing ``scipy.stats`` costs about a second,
    which the command line would pay on every run. Exact float comparison, as R does.

    Long lines (a column of a large dataset) are ranked one at a time on their non-missing
    values; many short lines (``(runs, n)`` Monte Carlo ranks) in one vectorised sort.
    """
    arr = np.asarray(x, dtype=np.float64)
    if arr.size == 0:
        return arr.copy()
    s = np.moveaxis(arr, axis, -1)
    shape = s.shape
    s = s.reshape(-1, shape[-1])
    if s.shape[1] >= _LONG_LINE:
        out = np.empty(s.shape)
        for i in range(s.shape[0]):
            _rank_line(s[i], descending, out[i])
        return np.moveaxis(out.reshape(shape), -1, axis)
    missing = np.isnan(s)
    key = np.where(missing, np.inf, -s if descending else s)  # missing last
    order = np.argsort(key, axis=1)
    ordered = np.take_along_axis(key, order, axis=1)
    pos = np.broadcast_to(np.arange(1, s.shape[1] + 1, dtype=np.float64), s.shape)
    starts = np.ones(s.shape, dtype=bool)
    starts[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
    # each value takes the position where its run of ties starts
    first = np.maximum.accumulate(np.where(starts, pos, 0.0), axis=1)
    out = np.empty_like(first)
    np.put_along_axis(out, order, first, axis=1)
    out[missing] = np.nan
    return np.moveaxis(out.reshape(shape), -1, axis)


#: Lines at least this long are ranked one by one (no ``(lines, length)`` temporaries).
_LONG_LINE = 4096


def _rank_line(v: FloatArray, descending: bool, out: FloatArray) -> None:
    """Min-ranks of one line ``v`` written into ``out`` (NaN where ``v`` is NaN)."""
    ok = ~np.isnan(v)
    every = bool(ok.all())
    key = -v[ok] if descending else (v.copy() if every else v[ok])
    if key.size == 0:
        out[:] = np.nan
        return
    order = np.argsort(key)
    ordered = key[order]
    starts = np.empty(ordered.size, dtype=bool)
    starts[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=starts[1:])
    first = np.where(starts, np.arange(1, ordered.size + 1, dtype=np.float64), 0.0)
    np.maximum.accumulate(first, out=first)
    ranks = np.empty(ordered.size)
    ranks[order] = first
    if every:
        out[:] = ranks
    else:
        out[:] = np.nan
        out[ok] = ranks


@dataclass(frozen=True)
class ColumnContext:
    """What a normaliser may know about the columns it fits, beyond their values.

    Attributes
    ----------
    direction
        ``(m,)`` of ±1. The data handed to normalisers is already multiplied by it (COINr's
        convention), so most methods ignore it.
    target
        ``(m,)`` targets in the indicator's own units (NaN where none), for ``dist2target``.
    orient
        Maps values in the indicator's own units (``(m,)``) into the units the normaliser sees:
        the indicator's transform (e.g. log) then its direction. Goalposts and targets given in
        the indicator's units pass through it, so ``goalposts(low=100, high=75000)`` on a
        log-transformed indicator means ln 100 … ln 75000.
    ids
        ``(m,)`` indicator ids, for error messages.
    """

    direction: FloatArray
    target: FloatArray
    orient: Callable[[FloatArray], FloatArray]
    ids: tuple[str, ...]


@dataclass(frozen=True)
class Fit:
    """A fitted normaliser: ``apply`` maps ``(n, m)`` oriented values to normalised values.

    ``fitted`` holds the learned parameters (e.g. ``{"min": (m,), "max": (m,)}``) for the
    provenance record.
    """

    apply: Callable[[FloatArray], FloatArray]
    fitted: Mapping[str, FloatArray] = field(default_factory=dict)


@dataclass(frozen=True)
class UnitContext:
    """What impute and screen methods may know about the rows.

    Attributes
    ----------
    units
        ``(n,)`` unit ids (strings).
    years
        ``(n,)`` years, or None for a cross-section.
    groups
        Unit columns of the dataset (e.g. ``{"EurAsia_group": array([...])}``), values as strings.
    ids
        ``(m,)`` indicator ids.
    """

    units: NDArray[np.str_]
    years: NDArray[np.int64] | None
    groups: Mapping[str, NDArray[np.object_]]
    ids: tuple[str, ...]


@dataclass(frozen=True)
class Screening:
    """Result of a screen method: which rows to keep and, for every dropped row, why."""

    keep: NDArray[np.bool_]
    reasons: Mapping[int, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Treatment:
    """Result of a treat method on one indicator.

    Attributes
    ----------
    values
        ``(n,)`` treated values.
    flags
        ``(n,)`` strings: ``""`` untouched, else COINr's labels from its ``Treat`` details —
        ``"winhi"`` / ``"winlo"`` (winsorised high / low), ``"log_CT"`` (log-transformed).
    details
        e.g. skew/kurtosis before and after, points winsorised, whether it passed.
    """

    values: FloatArray
    flags: NDArray[np.object_]
    details: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class WeightContext:
    """What a weighting method may know about one group (a parent and its children).

    Attributes
    ----------
    parent
        The parent node's id.
    children
        The children's ids, in the column order of ``values``.
    weights
        ``(k,)`` the framework's weights of the children.
    direction
        ``(k,)`` ±1; children's values are already oriented, so higher is better.
    comparisons
        ``(k, k)`` pairwise-comparison matrix for AHP if the framework supplies one, else None.
    comparisons_from
        The AHP judgements file ``comparisons`` was read from (by the framework, never by the
        method), or None when they are the framework's ``[[comparisons]]``.
    """

    parent: str
    children: tuple[str, ...]
    weights: FloatArray
    direction: FloatArray
    comparisons: FloatArray | None = None
    comparisons_from: str | None = None


def flag_codes(flags: Any, labels: list[Any]) -> NDArray[np.integer[Any]] | None:
    """A treat method's ``(n,)`` flags as small integer codes into ``labels``.

    ``labels[0]`` is ``""`` (untouched); a label not yet in ``labels`` is appended. The codes
    are ``int8`` (``int16`` past 127 labels): a million-unit indicator's flags take 1 MB, not
    the 8 MB of an object array. Returns None when every flag is ``""``.
    """
    f = np.asarray(flags, dtype=object)
    touched = f != ""
    if not touched.any():
        return None
    idx = np.flatnonzero(touched)
    rest = f.reshape(-1)[idx]
    coded: list[tuple[NDArray[np.intp], int]] = []
    while idx.size:  # one pass per distinct label (a treatment gives one or two)
        label = rest[0]
        same = np.asarray(rest == label, dtype=bool)
        if label not in labels:
            labels.append(label)
        coded.append((idx[same], labels.index(label)))
        idx, rest = idx[~same], rest[~same]
    codes = np.zeros(f.shape, dtype=np.int8 if len(labels) <= 127 else np.int16)
    flat = codes.reshape(-1)
    for where, code in coded:
        flat[where] = code
    return codes


def flag_labels(codes: NDArray[np.integer[Any]], labels: tuple[Any, ...] | list[Any]) -> NDArray[np.object_]:
    """The label of every cell of ``codes`` (:func:`flag_codes`): an object array of the
    treat methods' flags. A constant broadcast of codes (nothing treated) gives a broadcast of
    its label, which takes no memory."""
    table = np.empty(len(labels), dtype=object)
    table[:] = list(labels)
    if codes.ndim and all(st == 0 for st in codes.strides):
        one = np.array(table[int(codes.reshape(-1)[0]) if codes.size else 0], dtype=object)
        one.flags.writeable = False
        out: NDArray[np.object_] = np.broadcast_to(one, codes.shape)
        return out
    labelled: NDArray[np.object_] = table[codes]
    return labelled
