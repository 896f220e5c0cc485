"""Normalisation methods: bring indicators onto a common scale, higher = better.

Contract (see :mod:`mfgindex.methods.base`)::

    f(ref: (p, m) oriented array, ctx: ColumnContext, *, params) -> Fit
    Fit.apply(x: (n, m) oriented array) -> (n, m)

``ref`` is the data the method is **fitted** on (a year, or all years pooled), already
multiplied by each indicator's direction (COINr's convention), so higher is always better.
``Fit.apply`` maps any ``(n, m)`` oriented array with the fitted parameters; ``Fit.fitted``
records them for the provenance.

Policies shared by every method here (scikit-learn's preprocessing is the model):

* **Missing values** are disregarded in fit and maintained in apply: a NaN cell stays NaN.
* **Constant columns.** Where a column's scale is undefined — its fitted values are all equal
  (max = min), or it has too few values (none; one for ``zscore``) — the whole column
  normalises to NaN. This is what COINr returns (its formulas give 0/0 = NaN), made
  explicit: no ±Inf, no numpy warnings. The aggregation then drops the column for every
  unit, as it does any missing child.
* **Rank-based methods** (``rank``, ``percentile``, ``borda``) learn nothing: their ``apply``
  ranks the data it is given, column by column, so the result does not depend on ``ref``.

References: COINr (Becker et al., EU JRC), R source ``R/normalise.R``, functions ``n_minmax``,
``n_zscore``, ``n_rank``, ``n_prank``, ``n_borda``, ``n_goalposts``, ``n_dist2max``,
``n_dist2ref``, ``n_dist2targ``, ``n_fracmax``; OECD/JRC *Handbook on Constructing Composite
Indicators* (2008), section 5.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from mfgindex.errors import MethodError
from mfgindex.methods.base import ColumnContext, Fit, FloatArray, rank_min
from mfgindex.methods.registry import register

__all__ = [
    "borda",
    "dist2max",
    "dist2ref",
    "dist2target",
    "fracmax",
    "goalposts",
    "minmax",
    "percentile",
    "rank",
    "zscore",
]


# --------------------------------------------------------------------------- helpers


def _as_matrix(x: Any, what: str) -> FloatArray:
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim != 2:
        raise MethodError(
            f"normalisation needs a 2-D array (units × indicators) as {what}; got shape {arr.shape}"
        )
    return arr


def _col_min(x: FloatArray) -> FloatArray:
    # fmin ignores NaN; an all-NaN (or empty) column gives NaN, without numpy's warning.
    out: FloatArray = np.fmin.reduce(x, axis=0, initial=np.nan)
    return out


def _col_max(x: FloatArray) -> FloatArray:
    out: FloatArray = np.fmax.reduce(x, axis=0, initial=np.nan)
    return out


def _names(ctx: ColumnContext, cols: np.ndarray) -> str:
    idx = np.flatnonzero(cols)
    ids = [ctx.ids[i] if i < len(ctx.ids) else f"column {i}" for i in idx]
    shown = ", ".join(repr(i) for i in ids[:5])
    return shown + (f" and {len(ids) - 5} more" if len(ids) > 5 else "")


def _fit(transform: Callable[[FloatArray], FloatArray], m: int, **fitted: FloatArray) -> Fit:
    """Wrap a column-wise ``transform`` of an ``(n, m)`` array into a :class:`Fit`."""

    def apply(x: Any) -> FloatArray:
        arr = _as_matrix(x, "the data to normalise")
        if arr.shape[1] != m:
            raise MethodError(
                f"the normaliser was fitted on {m} indicator(s) but is applied to {arr.shape[1]}"
            )
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.asarray(transform(arr), dtype=np.float64)

    return Fit(apply=apply, fitted=fitted)


def _safe_scale(numer: FloatArray, denom: FloatArray) -> FloatArray:
    """``numer / denom`` per column; NaN where ``denom`` is 0 or NaN (constant-column policy)."""
    ok = np.isfinite(denom) & (denom != 0)
    out = np.full(np.broadcast(numer, denom).shape, np.nan)
    np.divide(numer, denom, out=out, where=ok)
    return out


# --------------------------------------------------------------------------- fitted methods


@register("minmax", stage="normalize", reduce="extremes")
def minmax(ref: FloatArray, ctx: ColumnContext, *, low: float = 0.0, high: float = 100.0) -> Fit:
    r"""Min-max: rescale each indicator linearly, its minimum to ``low`` and maximum to ``high``.

    .. math:: y = \frac{x - \min x}{\max x - \min x}\,(\text{high} - \text{low}) + \text{low}

    min and max are learned on ``ref`` (NaN ignored); applied to other data, values outside the
    fitted range fall outside ``[low, high]`` (they are not clipped — use ``goalposts`` for
    fixed, clipped bounds).

    Parameters
    ----------
    low, high
        The target interval; ``high`` must exceed ``low``.

    Degenerate input
        A constant column (max = min) or an all-NaN column gives NaN for the whole column —
        COINr's result (0/0), without its warning.

    References
    ----------
    COINr ``n_minmax(x, l_u = c(low, high))``.
    """
    ref = _as_matrix(ref, "the reference data")
    if not high > low:
        raise MethodError(
            f"minmax: 'high' ({high}) must be greater than 'low' ({low})",
            hint="e.g. minmax(low=0, high=100); use the indicator's direction to reverse it",
        )
    lo, hi = _col_min(ref), _col_max(ref)
    span = np.where(hi > lo, hi - lo, np.nan)  # constant / all-NaN column -> NaN

    def transform(x: FloatArray) -> FloatArray:
        # Same operation order as COINr: (x - min) / (max - min) * (u - l) + l.
        return (x - lo) / span * (high - low) + low

    return _fit(transform, ref.shape[1], min=lo, max=hi)


@register("zscore", stage="normalize", reduce="moments")
def zscore(ref: FloatArray, ctx: ColumnContext, *, mean: float = 0.0, sd: float = 1.0) -> Fit:
    r"""Z-score: standardise each indicator to the given mean and standard deviation.

    .. math:: y = \frac{x - \bar{x}}{s_x}\,\text{sd} + \text{mean}

    where :math:`\bar x` and :math:`s_x` are the mean and **sample** standard deviation
    (denominator :math:`p - 1`, R's ``sd``) of the non-missing values of ``ref``.

    Parameters
    ----------
    mean, sd
        Target mean and standard deviation; ``sd`` must be positive.

    Degenerate input
        A column with fewer than two values or with all values equal gives NaN for the whole
        column (COINr: NA, or 0/0 = NaN). Constancy is tested exactly (max = min), so a
        rounding residue in the mean cannot blow up into huge scores.

    References
    ----------
    COINr ``n_zscore(x, m_sd = c(mean, sd))``.
    """
    ref = _as_matrix(ref, "the reference data")
    if not sd > 0:
        raise MethodError(f"zscore: 'sd' must be positive, got {sd}", hint="e.g. zscore(mean=0, sd=1)")
    present = ~np.isnan(ref)
    count = present.sum(axis=0).astype(np.float64)
    # one scratch array of ref's size at a time (each step in place)
    filled = np.where(present, ref, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        mu = filled.sum(axis=0) / count
        del filled
        resid = ref - mu
        resid[~present] = 0.0
        # Two-pass sample variance, as R's var/sd.
        np.square(resid, out=resid)
        s = np.sqrt(resid.sum(axis=0) / (count - 1))
        del resid
    constant = ~(_col_max(ref) > _col_min(ref))
    s = np.where(constant | (count < 2), np.nan, s)
    mu = np.where(count < 1, np.nan, mu)

    def transform(x: FloatArray) -> FloatArray:
        return (x - mu) / s * sd + mean

    return _fit(transform, ref.shape[1], mean=mu, sd=s)


@register("goalposts", stage="normalize", reduce="none")
def goalposts(
    ref: FloatArray,
    ctx: ColumnContext,
    *,
    low: float | list[float] | None = None,
    high: float | list[float] | None = None,
    scale: float = 100.0,
    clip: bool = True,
) -> Fit:
    r"""Goalposts: the position of each value between fixed bounds, times ``scale``.

    .. math:: y = \operatorname{clip}\!\left(\frac{x - L}{U - L},\, 0,\, 1\right)\,\text{scale}

    ``low`` and ``high`` are in the **indicator's own units** (a number for every indicator, or a
    list with one per indicator). They pass through ``ctx.orient`` — the indicator's transform,
    then its direction — so they live in the same units as the data; :math:`L` and :math:`U` are
    the smaller and larger of the two oriented bounds. For a lower-is-better indicator the
    oriented bounds swap, so ``high`` scores 0 and ``low`` scores ``scale``; for a
    log-transformed one, the bounds are logged too. Nothing is learned from ``ref``: goalposts
    make scores comparable across years.

    Parameters
    ----------
    low, high
        The goalposts, required; they must differ.
    scale
        Score at (or beyond) the upper goalpost; 100 for a 0-100 index.
    clip
        Truncate values outside the goalposts to ``[0, scale]`` (COINr's ``trunc2posts``).

    Degenerate input
        Missing or equal goalposts, or goalposts that are not finite after the indicator's
        transform (e.g. ``low=0`` on a log-transformed indicator), raise :class:`MethodError`.

    References
    ----------
    COINr ``n_goalposts(x, gposts = c(l, u, scale), trunc2posts)`` with goalposts read from
    ``iMeta`` (``get_iMeta_norm_paras``), which multiplies them by the direction and swaps them
    for a negative indicator, as here. Called directly with ``direction = -1``, older COINr
    versions also negate the scale (``-1 * gposts``), giving scores in ``[-scale, 0]``; we do not.
    """
    ref = _as_matrix(ref, "the reference data")
    m = ref.shape[1]
    if low is None or high is None:
        raise MethodError(
            "goalposts needs both 'low' and 'high' (in the indicator's own units)",
            hint="write it as goalposts(low=0, high=5)",
        )

    def bounds(value: float | list[float], name: str) -> FloatArray:
        try:
            arr = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError):
            raise MethodError(
                f"goalposts: '{name}' must be a number or a list of numbers, got {value!r}"
            ) from None
        if arr.ndim == 0:
            return np.full(m, float(arr))
        if arr.shape != (m,):
            raise MethodError(
                f"goalposts: '{name}' has {arr.size} values for {m} indicator(s)",
                hint="give one number for all indicators, or one per indicator",
            )
        return arr

    lo_raw, hi_raw = bounds(low, "low"), bounds(high, "high")
    try:
        with np.errstate(divide="ignore", invalid="ignore"):
            lo_o = np.asarray(ctx.orient(lo_raw), dtype=np.float64)
            hi_o = np.asarray(ctx.orient(hi_raw), dtype=np.float64)
    except MethodError as exc:  # the transform refused a bound (log of 0): say it was a bound
        raise MethodError(
            f"the bounds go through the indicator's transform too, and {exc.what}",
            hint="give goalposts in the indicator's own units inside the transform's domain "
            "(e.g. low > 0 for log)",
        ) from None
    bad = ~(np.isfinite(lo_o) & np.isfinite(hi_o))
    if bad.any():
        raise MethodError(
            f"goalposts of indicator(s) {_names(ctx, bad)} are not finite after the indicator's transform",
            hint="give goalposts inside the transform's domain (e.g. positive for log)",
        )
    lower, upper = np.minimum(lo_o, hi_o), np.maximum(lo_o, hi_o)
    equal = ~(upper > lower)
    if equal.any():
        raise MethodError(
            f"goalposts of indicator(s) {_names(ctx, equal)} are equal: low must differ from high"
        )
    span = upper - lower

    def transform(x: FloatArray) -> FloatArray:
        y = (x - lower) / span
        if clip:
            y = np.clip(y, 0.0, 1.0)  # NaN stays NaN
        out: FloatArray = y * scale
        return out

    return _fit(transform, m, low=lower, high=upper)


@register("dist2max", stage="normalize", reduce="extremes")
def dist2max(ref: FloatArray, ctx: ColumnContext, *, scale: float = 1.0) -> Fit:
    r"""Distance to the maximum: 1 at the best value, 0 at the worst, times ``scale``.

    .. math:: y = \left(1 - \frac{\max x - x}{\max x - \min x}\right)\text{scale}

    Algebraically min-max onto ``[0, scale]``; kept under COINr's name so COINr pipelines
    carry over. min and max are learned on ``ref``.

    Parameters
    ----------
    scale
        Multiplier; COINr's scores are on ``[0, 1]`` (``scale=1``).

    Degenerate input
        A constant or all-NaN column gives NaN for the whole column (COINr: 0/0).

    References
    ----------
    COINr ``n_dist2max(x)``.
    """
    ref = _as_matrix(ref, "the reference data")
    lo, hi = _col_min(ref), _col_max(ref)
    span = np.where(hi > lo, hi - lo, np.nan)

    def transform(x: FloatArray) -> FloatArray:
        return (1.0 - (hi - x) / span) * scale

    return _fit(transform, ref.shape[1], min=lo, max=hi)


@register("fracmax", stage="normalize", reduce="extremes")
def fracmax(ref: FloatArray, ctx: ColumnContext, *, scale: float = 1.0) -> Fit:
    r"""Fraction of the best value: each value as a share of the best one, times ``scale``.

    For a higher-is-better indicator (direction +1), in oriented units :math:`x`:

    .. math:: y = \frac{x}{\max x}\,\text{scale}

    For a lower-is-better indicator (direction −1) the best value is the **smallest** raw value
    :math:`v_{\min}`, and the score is :math:`v_{\min} / v` (1 for the best, falling towards 0
    as the value grows). Oriented data are :math:`x = -v`, so this is
    :math:`y = \max x / x \cdot \text{scale}`.

    Ratios need ratio-scale data with a positive best value, so ``fracmax`` fits only where
    ``max x > 0`` (direction +1) or all raw values are positive (direction −1).

    Parameters
    ----------
    scale
        Multiplier; COINr's scores are on ``[0, 1]`` (``scale=1``).

    Degenerate input
        A column whose best value is not positive (direction +1: ``max x ≤ 0``; direction −1:
        some raw value ≤ 0) raises :class:`MethodError` naming the indicators. An all-NaN column
        gives NaN. Applied to data beyond the fitted range, a ratio that is not finite becomes
        NaN.

    Differences from COINr
        COINr's ``n_fracmax`` computes ``x / max(x)`` on the direction-multiplied data, so for a
        direction −1 indicator it returns :math:`v / v_{\min}`: scores above 1 that **grow**
        as the indicator gets worse, and +Inf where the smallest value is 0. For direction +1
        the numbers are COINr's.

    References
    ----------
    COINr ``n_fracmax(x)``; OECD/JRC Handbook (2008), table 3 ("distance to a reference").
    """
    ref = _as_matrix(ref, "the reference data")
    negative = np.asarray(ctx.direction, dtype=np.float64) < 0
    if negative.shape != (ref.shape[1],):
        negative = np.broadcast_to(negative, (ref.shape[1],))
    best = _col_max(ref)
    lo = _col_min(ref)
    has_data = ~np.isnan(best)
    # direction +1: best (max) must be positive; direction -1: every raw value positive, i.e.
    # every oriented value negative, i.e. the oriented max < 0.
    bad = has_data & np.where(negative, ~(best < 0), ~(best > 0))
    if bad.any():
        raise MethodError(
            f"fracmax: indicator(s) {_names(ctx, bad)} have no positive best value, so "
            "fractions of it are meaningless",
            hint="fracmax needs ratio-scale, positive data; use minmax or dist2max instead",
        )

    def transform(x: FloatArray) -> FloatArray:
        y = np.where(negative, best / x, x / best) * scale
        return np.where(np.isfinite(y), y, np.nan)

    return _fit(transform, ref.shape[1], max=best, min=lo)


@register("dist2ref", stage="normalize")
def dist2ref(
    ref: FloatArray,
    ctx: ColumnContext,
    *,
    row: int | None = None,
    cap: bool = False,
    scale: float = 1.0,
) -> Fit:
    r"""Distance to a reference unit: 0 at the minimum, 1 at the reference unit's value.

    .. math:: y = \left(1 - \frac{x_{\text{ref}} - x}{x_{\text{ref}} - \min x}\right)\text{scale}

    where :math:`x_{\text{ref}}` is row ``row`` of the fitting data. Units better than the
    reference score above 1 unless ``cap``.

    Parameters
    ----------
    row
        0-based row index into the fitting data ``ref`` (the pipeline maps a unit id to its
        row); required. COINr's ``iref`` is 1-based: ``iref = row + 1``.
    cap
        Cap scores at 1 (COINr's ``cap_max``), before ``scale``.
    scale
        Multiplier; COINr's scores are on ``[0, 1]`` (``scale=1``).

    Degenerate input
        A missing ``row`` or one outside the data raises :class:`MethodError`. A column where
        the reference value is missing or equals the minimum gives NaN for the whole column
        (COINr: NA with a warning, or 0/0).

    References
    ----------
    COINr ``n_dist2ref(x, iref, cap_max)``.
    """
    ref = _as_matrix(ref, "the reference data")
    p = ref.shape[0]
    if row is None:
        raise MethodError(
            "dist2ref needs 'row', the 0-based row of the reference unit in the fitting data",
            hint="write it as dist2ref(row=0)",
        )
    if isinstance(row, bool) or int(row) != row or not 0 <= int(row) < p:
        raise MethodError(
            f"dist2ref: 'row' must be an integer from 0 to {p - 1}, got {row!r}",
        )
    lo = _col_min(ref)
    xref = ref[int(row)].copy()
    span = np.where(xref > lo, xref - lo, np.nan)

    def transform(x: FloatArray) -> FloatArray:
        y = 1.0 - (xref - x) / span
        if cap:
            y = np.where(y > 1.0, 1.0, y)
        out: FloatArray = y * scale
        return out

    return _fit(transform, ref.shape[1], min=lo, reference=xref)


@register("dist2target", stage="normalize", reduce="extremes")
def dist2target(ref: FloatArray, ctx: ColumnContext, *, cap: bool = False, scale: float = 1.0) -> Fit:
    r"""Distance to target: 0 at the worst value, 1 at the indicator's target.

    .. math:: y = \frac{x - \min x}{t - \min x}\,\text{scale}
              = \left(1 - \frac{t - x}{t - \min x}\right)\text{scale}

    The targets are ``ctx.target``, in the indicator's own units; they pass through
    ``ctx.orient`` (transform, then direction) so :math:`t` is in the data's units. For a
    lower-is-better indicator this is :math:`(\max v - v) / (\max v - t)` in raw units.
    :math:`\min x` is learned on ``ref``.

    Parameters
    ----------
    cap
        Cap scores at 1 for units beyond the target (COINr's ``cap_max``), before ``scale``.
    scale
        Multiplier; COINr's scores are on ``[0, 1]`` (``scale=1``).

    Degenerate input
        An indicator without a target raises :class:`MethodError` (COINr: "targ is NA"). A
        column whose target equals its minimum, or with no data, gives NaN for the whole column.
        A target below the worst value gives negative scores, as in COINr (which warns).

    References
    ----------
    COINr ``n_dist2targ(x, targ, cap_max)`` with targets read from ``iMeta``
    (``get_iMeta_norm_paras`` multiplies the target by the direction, as ``ctx.orient`` does).
    """
    ref = _as_matrix(ref, "the reference data")
    m = ref.shape[1]
    target_raw = np.broadcast_to(np.asarray(ctx.target, dtype=np.float64), (m,))
    missing = np.isnan(target_raw)
    if missing.any():
        raise MethodError(
            f"dist2target: indicator(s) {_names(ctx, missing)} have no target",
            hint="give each indicator a 'target' in the framework, or use another normaliser",
        )
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.asarray(ctx.orient(target_raw.copy()), dtype=np.float64)
    bad = ~np.isfinite(t)
    if bad.any():
        raise MethodError(
            f"dist2target: the target of indicator(s) {_names(ctx, bad)} is not finite after "
            "the indicator's transform",
        )
    lo = _col_min(ref)
    span = np.where(t != lo, t - lo, np.nan)

    def transform(x: FloatArray) -> FloatArray:
        y = (x - lo) / span
        if cap:
            y = np.where(y > 1.0, 1.0, y)
        out: FloatArray = y * scale
        return out

    return _fit(transform, m, min=lo, target=t)


# --------------------------------------------------------------------------- rank-based methods


@register("rank", stage="normalize")
def rank(ref: FloatArray, ctx: ColumnContext) -> Fit:
    r"""Rank: each value's rank within its column, 1 = lowest (worst), ties share the lowest rank.

    .. math:: y_i = 1 + \#\{j : x_j < x_i\}

    Not fitted: ``apply`` ranks the data it is given, column by column (``ref`` is only used
    for its number of columns). NaN values stay NaN and are not counted.

    Degenerate input
        A constant column ranks every unit 1.

    References
    ----------
    COINr ``n_rank(x)`` = R ``rank(x, ties.method = "min", na.last = "keep")``.
    """
    ref = _as_matrix(ref, "the reference data")
    return _fit(rank_min, ref.shape[1])


@register("percentile", stage="normalize")
def percentile(ref: FloatArray, ctx: ColumnContext, *, scale: float = 1.0) -> Fit:
    r"""Percentile rank: the share of the other units each unit beats, times ``scale``.

    .. math:: y_i = \frac{r_i - 1}{N - 1}\,\text{scale}

    with :math:`r_i` the ``rank`` (ties share the lowest rank) and :math:`N` the number of
    non-missing values in the column. Not fitted: ``apply`` ranks the data it is given.

    Parameters
    ----------
    scale
        Multiplier; COINr's scores are on ``[0, 1]`` (``scale=1``).

    Degenerate input
        A column with a single value gives NaN (0/0, as COINr); a constant column gives 0.

    References
    ----------
    COINr ``n_prank(x)``.
    """
    ref = _as_matrix(ref, "the reference data")

    def transform(x: FloatArray) -> FloatArray:
        r = rank_min(x)
        n = (~np.isnan(x)).sum(axis=0).astype(np.float64)
        return _safe_scale(r - 1.0, n - 1.0) * scale

    return _fit(transform, ref.shape[1])


@register("borda", stage="normalize")
def borda(ref: FloatArray, ctx: ColumnContext) -> Fit:
    r"""Borda score: the number of units each unit beats, ``rank - 1``.

    .. math:: y_i = r_i - 1 = \#\{j : x_j < x_i\}

    Not fitted: ``apply`` ranks the data it is given. NaN stays NaN.

    Degenerate input
        A constant column scores 0 everywhere.

    References
    ----------
    COINr ``n_borda(x)``.
    """
    ref = _as_matrix(ref, "the reference data")

    def transform(x: FloatArray) -> FloatArray:
        return rank_min(x) - 1.0

    return _fit(transform, ref.shape[1])
