"""Screening methods: drop units (rows) with too little usable data.

Contract (see :mod:`mfgindex.methods.base`)::

    f(x: (n, m), ctx: UnitContext, *, params) -> Screening

``Screening.keep`` is ``(n,)`` booleans; ``Screening.reasons`` maps every dropped row to a
sentence saying why. Rows are unit-years in a panel, so a unit can be kept in one year and
dropped in another; ``keep`` / ``drop`` lists name unit ids and apply to all of a unit's rows.

Both methods follow COINr's ``Screen()`` (R/screen_units.R): the data availability of a row is
``1 - n_missing / m`` and its non-zero share is ``1 - n_zero / (m - n_missing)`` (zeros as a share
of the *observed* values). Forced keeps and drops override the rule (COINr's ``Force`` table).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from mfgindex.errors import MethodError
from mfgindex.methods.base import FloatArray, Screening, UnitContext
from mfgindex.methods.registry import register


def _matrix(x: FloatArray, ctx: UnitContext) -> FloatArray:
    arr = np.asarray(x, dtype=float)
    if arr.ndim != 2:
        raise MethodError(f"screen methods take a 2-d array (units × indicators); got {arr.shape}")
    if len(ctx.units) != arr.shape[0]:
        raise MethodError(f"unit context has {len(ctx.units)} rows but the data has {arr.shape[0]}")
    return arr


def _force(
    keep: NDArray[np.bool_],
    reasons: dict[int, str],
    ctx: UnitContext,
    force_keep: Sequence[str],
    force_drop: Sequence[str],
) -> Screening:
    units = np.asarray(ctx.units).astype(str)
    known = set(units.tolist())
    wanted_keep = [str(u) for u in force_keep]
    wanted_drop = [str(u) for u in force_drop]
    unknown = [u for u in [*wanted_keep, *wanted_drop] if u not in known]
    if unknown:
        raise MethodError(
            f"unit(s) {', '.join(repr(u) for u in unknown)} in keep/drop are not in the data",
            hint="keep=[...] and drop=[...] take unit ids as in the data's id column",
        )
    both = sorted(set(wanted_keep) & set(wanted_drop))
    if both:
        raise MethodError(
            f"unit(s) {', '.join(repr(u) for u in both)} are in both keep and drop",
            hint="name each unit in one list only",
        )
    forced_in = np.isin(units, wanted_keep)
    forced_out = np.isin(units, wanted_drop)
    keep = (keep | forced_in) & ~forced_out
    out: dict[int, str] = {}
    for i in np.flatnonzero(~keep).tolist():
        out[i] = "dropped by the drop list" if forced_out[i] else reasons[i]
    return Screening(keep=keep, reasons=out)


def _year(ctx: UnitContext, i: int) -> str:
    return f" in {int(ctx.years[i])}" if ctx.years is not None else ""


@register("coverage", stage="screen")
def coverage(
    x: FloatArray,
    ctx: UnitContext,
    *,
    min: float = 0.9,
    keep: Sequence[str] = (),
    drop: Sequence[str] = (),
) -> Screening:
    """Keep units whose share of non-missing indicators is at least min (COINr byNA).

    .. math:: a_i = 1 - \\frac{\\#\\{j : x_{ij}\\ \\text{missing}\\}}{m}, \\qquad
              \\text{keep}_i \\iff a_i \\ge \\text{min}

    This is COINr's ``Screen(unit_screen = "byNA", dat_thresh = min)``: COINr flags
    ``Dat_Avail < dat_thresh`` as low data, so a unit exactly at the threshold is **kept**
    (≥), and the share is computed as COINr does (``1 - n_missing / m``) so boundary cases agree.

    Parameters
    ----------
    min
        Required data availability, in [0, 1]. COINr's default is 2/3; CCID-style indices
        usually ask for 0.9.
    keep, drop
        Unit ids forced in or out whatever their coverage (COINr's ``Force``). An id not in the
        data, or in both lists, raises :class:`MethodError`.

    Notes
    -----
    Degenerate input: a unit with no data has coverage 0 and is dropped unless forced in; with
    no indicators (m = 0) every unit is kept; zeros and negative values count as data.
    Reasons read e.g. "coverage 0.857 < 0.9 (7 of 49 indicators missing)".

    References
    ----------
    COINr 1.1.14, R/screen_units.R: ``Screen.data.frame``, ``get_data_avail``.
    """
    if not 0.0 <= float(min) <= 1.0:
        raise MethodError(f"coverage: min must be between 0 and 1, got {min}")
    arr = _matrix(x, ctx)
    n, m = arr.shape
    if m == 0:
        return _force(np.ones(n, dtype=bool), {}, ctx, keep, drop)
    missing = np.isnan(arr).sum(axis=1)
    avail = 1.0 - missing / m
    ok = ~(avail < float(min))
    reasons = {
        int(i): (
            f"coverage {avail[i]:.3g} < {min:g}{_year(ctx, int(i))} ({missing[i]} of {m} indicators missing)"
        )
        for i in np.flatnonzero(~ok)
    }
    return _force(ok, reasons, ctx, keep, drop)


@register("zeros", stage="screen")
def zeros(
    x: FloatArray,
    ctx: UnitContext,
    *,
    max: float = 0.95,
    keep: Sequence[str] = (),
    drop: Sequence[str] = (),
) -> Screening:
    """Drop units whose share of zeros among their observed indicators exceeds max.

    .. math:: z_i = \\frac{\\#\\{j : x_{ij} = 0\\}}{\\#\\{j : x_{ij}\\ \\text{observed}\\}},
              \\qquad \\text{drop}_i \\iff z_i > \\text{max}

    This is COINr's ``Screen(unit_screen = "byzeros", nonzero_thresh = 1 - max)``: COINr drops
    a unit when its non-zero share ``1 - z`` is below ``nonzero_thresh`` (default 0.05, i.e.
    more than 95 % zeros — our default ``max = 0.95``). A unit exactly at the threshold is kept.

    Parameters
    ----------
    max
        Largest tolerated share of zeros, in [0, 1].
    keep, drop
        Unit ids forced in or out (see :func:`coverage`).

    Notes
    -----
    Zeros are counted among observed values only; missing values are not zeros.

    Degenerate input: a unit with no observed value has no zero share and is **kept** (COINr's
    0/0 gives NA there) — screen it out with :func:`coverage`; a unit whose every observed value
    is 0 has share 1 and is dropped unless ``max = 1``; negative values are not zeros.

    References
    ----------
    COINr 1.1.14, R/screen_units.R: ``Screen.data.frame``, ``get_data_avail``.
    """
    if not 0.0 <= float(max) <= 1.0:
        raise MethodError(f"zeros: max must be between 0 and 1, got {max}")
    arr = _matrix(x, ctx)
    observed = (~np.isnan(arr)).sum(axis=1)
    nzero = (arr == 0).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(observed > 0, nzero / np.maximum(observed, 1), 0.0)
    ok = ~(share > float(max))
    reasons = {
        int(i): (
            f"zero share {share[i]:.3g} > {max:g}{_year(ctx, int(i))} "
            f"({nzero[i]} of {observed[i]} observed indicators are 0)"
        )
        for i in np.flatnonzero(~ok)
    }
    return _force(ok, reasons, ctx, keep, drop)
