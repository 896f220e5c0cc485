r"""Aggregation methods: combine a group's children into one score per unit.

Contract (see :mod:`mfgindex.methods.base`)::

    f(values: (n, k), weights: (k,) or (r, k), *, params) -> (n,) or (r, n)

``values`` are the children's scores (normalised indicators or lower-level groups; higher is
better); ``weights`` the children's weights, relative (any positive total). A ``(r, k)`` batch
of weight vectors — e.g. ``r`` Monte Carlo replications — is scored in **one** vectorised pass
and gives an ``(r, n)`` array, row ``i`` equal to the result for ``weights[i]`` alone.

Missing children (shared by every method here): a unit's NaN children are dropped and the
weights of the children present are renormalised to sum to 1, per unit (COINr's ``a_amean`` /
``a_gmean`` / ``a_hmean`` behaviour). A unit with no child present — or whose present
children all have weight 0 — scores NaN. How much weight must be present for the score to
count (``min_coverage``) is **not** decided here: the pipeline masks afterwards, using
:func:`coverage`.

In matrix form, with :math:`M` the 0/1 mask of present values and :math:`X_0` the values with
NaN set to 0, the weighted arithmetic mean of every unit under every weight vector is
:math:`(W X_0^\top) \oslash (W M^\top)`: two matrix products, whatever ``r`` is.

References: COINr (EU JRC), R source ``R/aggregate.R``: ``a_amean``, ``a_gmean``, ``a_hmean``,
``a_genmean``, ``outrankMatrix`` / ``a_copeland``; OECD/JRC *Handbook on Constructing
Composite Indicators* (2008), section 6; Munda & Nardo (2009), "Noncompensatory/nonlinear
composite indicators for ranking countries", *Applied Economics* 41(12).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from mfgindex.errors import MethodError
from mfgindex.methods.base import FloatArray
from mfgindex.methods.registry import Interval, OneOf, register

__all__ = [
    "arithmetic",
    "bod",
    "copeland",
    "coverage",
    "genmean",
    "geometric",
    "harmonic",
    "median",
    "topsis",
    "vikor",
    "zero_is_limit",
]

BoolArray = NDArray[np.bool_]


# --------------------------------------------------------------------------- helpers


def _prepare(values: Any, weights: Any) -> tuple[FloatArray, BoolArray, FloatArray, bool]:
    """Validate and return ``(x, present, w2d, batched)``.

    ``w2d`` is always ``(r, k)`` (``r = 1`` for a single weight vector).
    """
    x = np.asarray(values, dtype=np.float64)
    if x.ndim != 2:
        raise MethodError(
            f"aggregation needs a 2-D array of children's values (units × children); got shape {x.shape}"
        )
    w = np.asarray(weights, dtype=np.float64)
    batched = w.ndim == 2
    if w.ndim not in (1, 2) or w.shape[-1] != x.shape[1]:
        raise MethodError(
            f"weights of shape {w.shape} do not fit {x.shape[1]} children",
            hint="give one weight per child, as (k,) or a batch (r, k)",
        )
    if not np.isfinite(w).all() or (w < 0).any():
        raise MethodError(
            "weights must be finite and non-negative",
            hint="check the framework's weights, or the weight method's output",
        )
    present = ~np.isnan(x)
    return x, present, np.atleast_2d(w), batched


def _finish(out: FloatArray, batched: bool) -> FloatArray:
    """``(r, n)`` -> ``(n,)`` when the weights were a single vector."""
    return out if batched else out[0]


#: Units per block of :func:`weighted_sums` (a block's children transposed: 0.6 MB at 10).
SUM_BLOCK = 8_192


def weighted_sums(w2d: FloatArray, x: Any) -> FloatArray:
    r"""``(r, n)``: :math:`s_{rj} = \sum_i w_{ri}\,x_{ji}`, the children added one by one in
    their order, for each weight vector ``r`` and unit ``j``.

    A unit's sum is the same whatever the other units are. A BLAS product (``w2d @ x.T``)
    blocks the units by their number, and the edge blocks use other instructions, so a unit's
    score could move by one unit in the last place with the size of the table: a partition of
    the Dask path, a year of a panel or a subset would score it a hair off the whole table,
    and two units that tie to the last bit could swap ranks. Here each sum is elementwise
    arithmetic in a fixed order, on blocks of :data:`SUM_BLOCK` units (``x`` may be boolean:
    the weight present).
    """
    n = x.shape[0]
    out = np.zeros((w2d.shape[0], n))
    for start in range(0, n, SUM_BLOCK):
        block = np.ascontiguousarray(x[start : start + SUM_BLOCK].T, dtype=np.float64)
        into = out[:, start : start + SUM_BLOCK]
        for i in range(block.shape[0]):
            into += w2d[:, i, None] * block[i]
    return out


def _present_weight(present: BoolArray, w2d: FloatArray) -> FloatArray:
    """``(r, n)``: per weight vector and unit, the weight of the children present."""
    return weighted_sums(w2d, present)


def _weighted_mean(
    terms: FloatArray,
    present: BoolArray,
    w2d: FloatArray,
    *,
    denom: FloatArray | None = None,
    own: bool = False,
) -> tuple[FloatArray, FloatArray]:
    """Per weight vector and unit: ``sum(w * terms) / sum(w)`` over present children.

    Returns ``(mean (r, n), weight present (r, n))``; mean is NaN where no weight is present.
    ``denom``: the weight present (:func:`_present_weight`), when the caller has it. ``own``:
    ``terms`` is the caller's scratch array, set to 0 where absent in place (one ``(n, k)``
    array alive at a time, not three: a million units × 10 children is 80 MB each).
    """
    if denom is None:
        denom = _present_weight(present, w2d)
    if own:
        terms[~present] = 0.0
        filled = terms
    else:
        filled = np.where(present, terms, 0.0)
    numer = weighted_sums(w2d, filled)
    del filled
    out = np.full(numer.shape, np.nan)
    np.divide(numer, denom, out=out, where=denom > 0)
    return out, denom


def _check_positive(x: FloatArray, present: BoolArray, method: str, strict: bool = True) -> None:
    """Refuse the values outside the method's domain: negative values (``strict``: zeros too).

    The pipeline finds the units refused (:func:`mfgindex.pipeline.aggregate_tree`) and scores
    them NaN on the group with a warning naming them, so the message counts values only.
    """
    bad = present & ((x <= 0) if strict else (x < 0))
    if bad.any():
        need, sign = ("positive", "zero or negative") if strict else ("non-negative", "negative")
        raise MethodError(
            f"the {method} needs {need} values, but {int(bad.sum())} value(s) are {sign}",
            hint="normalise onto a positive scale first, e.g. minmax(low=1, high=100), "
            "shift the values, or aggregate with 'arithmetic'",
        )


def _at_zero(x: FloatArray, present: BoolArray, w2d: FloatArray) -> BoolArray | None:
    """``(r, n)``: units with a child of positive weight at exactly 0 (None when there is no
    zero), whose geometric / harmonic mean (or power mean of order ``p < 0``) is 0, its limit
    as the child tends to 0."""
    zero = present & (x == 0)
    if not zero.any():
        return None
    hit: BoolArray = ((w2d > 0).astype(np.float64) @ zero.T.astype(np.float64)) > 0
    return hit


def zero_is_limit(name: str, params: Any = None) -> bool:
    """Whether aggregator ``name`` (with ``params``) scores a unit 0 when a child of positive
    weight is 0 — the limit of the mean as the child tends to 0 — so a zero is worth a warning:
    the unit's other children no longer count. True for ``geometric``, ``harmonic`` and
    ``genmean`` with ``p <= 0``."""
    if name in ("geometric", "harmonic"):
        return True
    if name == "genmean":
        p = (params or {}).get("p", 2.0)
        try:
            return float(p) <= 0
        except (TypeError, ValueError):
            return False
    return False


# --------------------------------------------------------------------------- coverage


def coverage(values: Any, weights: Any) -> FloatArray:
    r"""Share of the children's weight that is present, per unit.

    .. math:: c_j = \frac{\sum_i w_i\,[x_{ji} \text{ present}]}{\sum_i w_i}

    Parameters
    ----------
    values
        ``(n, k)`` children's values, NaN where missing.
    weights
        ``(k,)`` or ``(r, k)`` weights.

    Returns
    -------
    ``(n,)`` or ``(r, n)`` shares in ``[0, 1]``; NaN where all weights are 0. The pipeline sets
    a node's score to NaN where this falls below ``min_coverage``.
    """
    _, present, w2d, batched = _prepare(values, weights)
    total = w2d.sum(axis=1, keepdims=True)
    have = weighted_sums(w2d, present)
    out = np.full(have.shape, np.nan)
    np.divide(have, total, out=out, where=total > 0)
    return _finish(out, batched)


# --------------------------------------------------------------------------- means


@register("arithmetic", stage="aggregate", row_wise=True, decomposition="additive")
def arithmetic(values: FloatArray, weights: FloatArray) -> FloatArray:
    r"""Weighted arithmetic mean of the children present.

    .. math:: y = \frac{\sum_i w_i x_i}{\sum_i w_i}

    over the children :math:`i` present for the unit. Fully compensatory: a low child can be
    offset by a high one at the rate :math:`w_i / w_j`.

    Degenerate input
        A unit with no child present (or none with positive weight) scores NaN.

    References
    ----------
    COINr ``a_amean(x, w)``; OECD/JRC Handbook (2008), section 6.1.
    """
    x, present, w2d, batched = _prepare(values, weights)
    out, _ = _weighted_mean(x, present, w2d)
    return _finish(out, batched)


@register("geometric", stage="aggregate", row_wise=True, decomposition="log-additive")
def geometric(values: FloatArray, weights: FloatArray) -> FloatArray:
    r"""Weighted geometric mean of the children present; values must be positive.

    .. math:: y = \Bigl(\prod_i x_i^{w_i}\Bigr)^{1/\sum_i w_i}
              = \exp\frac{\sum_i w_i \ln x_i}{\sum_i w_i}

    over the children present. Partially compensatory: a low child costs more than in the
    arithmetic mean.

    Degenerate input
        A child of positive weight at 0 makes the mean 0, its limit as the child tends to 0
        (COINr stops instead); the pipeline warns and names the units, since their other
        children no longer count. A negative value raises :class:`MethodError` (the pipeline
        scores those units NaN and names them); normalise onto a positive scale first, e.g.
        ``minmax(low=1, high=100)``. A unit with no child present scores NaN.

    References
    ----------
    COINr ``a_gmean(x, w)``; OECD/JRC Handbook (2008), section 6.2.
    """
    x, present, w2d, batched = _prepare(values, weights)
    _check_positive(x, present, "geometric mean", strict=False)
    zero = _at_zero(x, present, w2d)
    denom = _present_weight(present, w2d)
    logs = np.where(present & (x > 0), x, 1.0)
    np.log(logs, out=logs)  # in place: one (n, k) array; absent children are log 1 = 0
    out, _ = _weighted_mean(logs, present, w2d, denom=denom, own=True)
    del logs
    out = np.exp(out)
    if zero is not None:
        out = np.where(zero, 0.0, out)
    return _finish(out, batched)


@register("harmonic", stage="aggregate", row_wise=True)
def harmonic(values: FloatArray, weights: FloatArray) -> FloatArray:
    r"""Weighted harmonic mean of the children present; values must be positive.

    .. math:: y = \frac{\sum_i w_i}{\sum_i w_i / x_i}

    over the children present. Less compensatory than the geometric mean.

    Degenerate input
        A child of positive weight at 0 makes the mean 0, its limit (the pipeline warns and
        names the units). COINr's ``a_hmean`` stops on zeros and accepts negative values,
        where the harmonic mean is meaningless (it can change sign or blow up); we refuse them
        with :class:`MethodError` (the pipeline scores those units NaN and names them). A unit
        with no child present scores NaN.

    References
    ----------
    COINr ``a_hmean(x, w)``.
    """
    x, present, w2d, batched = _prepare(values, weights)
    _check_positive(x, present, "harmonic mean", strict=False)
    zero = _at_zero(x, present, w2d)
    denom = _present_weight(present, w2d)
    terms = np.where(present & (x > 0), x, 1.0)
    np.divide(1.0, terms, out=terms)  # in place: one (n, k) array
    inv, _ = _weighted_mean(terms, present, w2d, denom=denom, own=True)
    del terms
    out = np.full(inv.shape, np.nan)
    np.divide(1.0, inv, out=out, where=denom > 0)
    if zero is not None:
        out = np.where(zero, 0.0, out)
    return _finish(out, batched)


@register("genmean", stage="aggregate", row_wise=True)
def genmean(values: FloatArray, weights: FloatArray, *, p: float = 2.0) -> FloatArray:
    r"""Weighted generalised (power) mean of order ``p`` of the children present.

    .. math:: y = \left(\frac{\sum_i w_i x_i^{p}}{\sum_i w_i}\right)^{1/p}

    ``p = 1`` is the arithmetic mean, ``p = -1`` the harmonic mean, and ``p = 0`` — the limit
    :math:`p \to 0` — the geometric mean. Lower ``p`` penalises unbalanced profiles more.

    Parameters
    ----------
    p
        The order; any real number (default 2, the quadratic mean, COINr's documented example).

    Degenerate input
        Values must be non-negative; otherwise :class:`MethodError` (the pipeline scores those
        units NaN and names them). With ``p < 0`` a child of positive weight at 0 makes the
        mean 0, its limit (the pipeline warns). A unit with no child present scores NaN.

    Differences from COINr
        COINr's ``a_genmean`` sets the weights of missing children to NA but sums without
        ``na.rm``, so a unit with **any** missing child scores NA; here missing children are
        dropped and the weights renormalised, as in every other mean. COINr stops at
        ``p = 0``; here it is the geometric mean. COINr accepts negative values for ``p > 0``
        (giving NaN for fractional ``p``, or losing the sign for even ``p``); we refuse them.
        With complete data and ``p ≠ 0`` the numbers are COINr's.

    References
    ----------
    COINr ``a_genmean(x, w, p)``; Casadio Tarabusi & Guarini (2013), "An unbalance adjustment
    method for development indicators", *Social Indicators Research* 112.
    """
    x, present, w2d, batched = _prepare(values, weights)
    p = float(p)
    if not np.isfinite(p):
        raise MethodError(f"genmean: 'p' must be a finite number, got {p}")
    if p == 0.0:
        return geometric(values, weights)
    _check_positive(x, present, f"generalised mean with p = {p:g}", strict=False)
    zero = _at_zero(x, present, w2d) if p < 0 else None
    safe = present & (x > 0) if p < 0 else present
    denom = _present_weight(present, w2d)
    powered = np.where(safe, x, 1.0) ** p
    mean_p, _ = _weighted_mean(powered, present, w2d, denom=denom, own=True)
    del powered
    out = np.full(mean_p.shape, np.nan)
    ok = denom > 0
    out[ok] = mean_p[ok] ** (1.0 / p)
    if zero is not None:
        out = np.where(zero, 0.0, out)
    return _finish(out, batched)


# --------------------------------------------------------------------------- median


@register("median", stage="aggregate", row_wise=True)
def median(values: FloatArray, weights: FloatArray) -> FloatArray:
    r"""Weighted median of the children present.

    Sort a unit's present values :math:`x_{(1)} \le \dots \le x_{(k)}` with their weights,
    normalised to sum to 1, and let :math:`F_j` be the cumulative weight up to :math:`x_{(j)}`.
    The weighted median is the first :math:`x_{(j)}` with :math:`F_j \ge 1/2`; when
    :math:`F_j = 1/2` exactly, the mean of :math:`x_{(j)}` and the next value with positive
    weight. With equal weights this is the ordinary median (``numpy.median``): the middle value,
    or the mean of the two middle ones. Children with weight 0 are ignored.

    Non-compensatory in the sense that only the order of the children matters, not how far
    a low child falls.

    Degenerate input
        A unit with no child present (or none with positive weight) scores NaN. "Exactly 1/2"
        is tested with a relative tolerance of 1e-12, so that weights such as (0.1, 0.2, 0.3)
        split at the half despite rounding.

    References
    ----------
    Edgeworth's weighted median (the minimiser of :math:`\sum_i w_i |x_i - y|`), with the
    midpoint rule at exact halves as in ``numpy.median``. COINr has no weighted median of its
    own (its aggregation accepts any R function, e.g. ``matrixStats::weightedMedian``, whose
    ties rule differs).
    """
    x, present, w2d, batched = _prepare(values, weights)
    n, k = x.shape
    if k == 0:
        return _finish(np.full((w2d.shape[0], n), np.nan), batched)
    order = np.argsort(x, axis=1)  # NaN sorts last
    xs = np.take_along_axis(x, order, axis=1)  # (n, k)
    ps = np.take_along_axis(present, order, axis=1)
    ws = w2d[:, order] * ps  # (r, n, k): each unit's weights in its own sorted order
    cum2 = 2.0 * np.cumsum(ws, axis=2)
    total = cum2[:, :, -1:] / 2.0
    tol = 1e-12 * total
    # first position reaching half the weight, and first position strictly beyond it
    lower = np.argmax(cum2 >= total - tol, axis=2)
    upper = np.argmax(cum2 > total + tol, axis=2)
    xs_b = np.broadcast_to(xs, ws.shape)
    lo_val = np.take_along_axis(xs_b, lower[:, :, None], axis=2)[:, :, 0]
    hi_val = np.take_along_axis(xs_b, upper[:, :, None], axis=2)[:, :, 0]
    out = np.where(total[:, :, 0] > 0, (lo_val + hi_val) / 2.0, np.nan)
    return _finish(out, batched)


# --------------------------------------------------------------------------- copeland


@register("copeland", stage="aggregate")
def copeland(values: FloatArray, weights: FloatArray) -> FloatArray:
    r"""Weighted Copeland score: pairwise majority wins minus losses against every other unit.

    For each pair of units :math:`(a, b)` the outranking weight is

    .. math:: e_{ab} = \frac{\sum_i w_i \bigl([x_{ai} > x_{bi}] + \tfrac12 [x_{ai} = x_{bi}]\bigr)}
                             {\sum_i w_i}

    over the children :math:`i` present for **both** units (so :math:`e_{ab} + e_{ba} = 1`).
    Unit :math:`a` beats :math:`b` if :math:`e_{ab} > 1/2`; its score is
    :math:`\sum_{b \ne a} \operatorname{sign}(e_{ab} - 1/2)`, from :math:`-(n-1)` to
    :math:`n - 1`. Non-compensatory: only the direction of each comparison counts, never its
    size. The score depends on which units are being compared (it is a ranking, not a
    measurement), so it changes when units are added or removed.

    Degenerate input
        A pair with no child present for both units is not compared (counts 0). A pair with
        :math:`e_{ab} = 1/2` (within a relative 1e-12, so rounding cannot decide) is a draw.
        A unit with no child present scores NaN.

    Differences from COINr
        With complete data the numbers are COINr's, but for draws decided by rounding (below).
        COINr's ``outrankMatrix`` divides by the total weight of all children and skips NA
        comparisons without renormalising, and fills the lower triangle as ``1 - upper``, so
        with missing data :math:`e_{ab}` and
        :math:`e_{ba}` can disagree about who wins. Here each pair is judged on the children
        both units have, with weights renormalised over those. COINr also compares
        :math:`e_{ab}` with 1/2 exactly, so a true draw can be decided by rounding (two
        identical units under weights (3, 1, 1, 1) get :math:`e = 0.49999999999999994` and
        :math:`1 - e`: one "beats" the other); here it is a draw.

    Cost: :math:`O(n^2 k)` time and :math:`O(r n^2)` memory for a batch of ``r`` weight vectors.

    References
    ----------
    COINr ``a_copeland(X, w)`` and ``outrankMatrix(X, w)``; Munda & Nardo (2009).
    """
    x, present, w2d, batched = _prepare(values, weights)
    n, k = x.shape
    r = w2d.shape[0]
    win = np.zeros((r, n, n))
    both_w = np.zeros((r, n, n))
    # Loop over children (not units): each adds one (n, n) comparison to every replication.
    for i in range(k):
        col = x[:, i]
        both = present[:, i][:, None] & present[:, i][None, :]
        score = (col[:, None] > col[None, :]) + 0.5 * (col[:, None] == col[None, :])
        score = np.where(both, score, 0.0)
        wi = w2d[:, i][:, None, None]
        win += wi * score
        both_w += wi * both
    # a wins when e_ab > 1/2, i.e. 2 * win > both_w; a relative tolerance keeps exact halves
    # (e.g. weights 0.1 + 0.2 against 0.3) from being decided by rounding.
    margin = 2.0 * win - both_w
    votes = np.where(np.abs(margin) <= 1e-12 * both_w, 0.0, np.sign(margin))
    idx = np.arange(n)
    votes[:, idx, idx] = 0.0
    out = votes.sum(axis=2)
    out[:, ~present.any(axis=1)] = np.nan
    return _finish(out, batched)


# --------------------------------------------------------------------------- MCDM: TOPSIS, VIKOR
#
# TOPSIS and VIKOR rank units against the best and worst values *among the units scored
# together* (a year's units, say), so — like Copeland — a unit's score changes when other units
# are added or removed. Both share one policy for children that carry no information:


def _column_range(x: FloatArray, present: BoolArray) -> tuple[FloatArray, FloatArray, BoolArray]:
    """Per child: the best (max) and worst (min) value over the units present, and whether the
    child is *informative* — present for at least one unit and not constant across them.

    A non-informative child cannot separate units (its ideal equals its anti-ideal), so TOPSIS
    and VIKOR leave it out for every unit; without this, VIKOR divides 0 by 0.
    """
    hi = np.max(np.where(present, x, -np.inf), axis=0, initial=-np.inf)
    lo = np.min(np.where(present, x, np.inf), axis=0, initial=np.inf)
    informative = present.any(axis=0) & (hi > lo)
    return hi, lo, informative


def _chunks(r: int, n: int, k: int, budget: int = 1 << 22) -> list[slice]:
    """Slices of the ``r`` weight vectors so that one ``(rows, n, k)`` temporary stays small."""
    step = max(1, budget // max(1, n * k))
    return [slice(i, min(i + step, r)) for i in range(0, r, step)]


TOPSIS_NORMALIZATIONS = ("vector", "minmax")


@register("topsis", stage="aggregate", params={"normalize": OneOf(TOPSIS_NORMALIZATIONS)})
def topsis(values: FloatArray, weights: FloatArray, *, normalize: str = "vector") -> FloatArray:
    r"""TOPSIS: relative closeness to the ideal unit, in [0, 1] (Hwang & Yoon 1981).

    Each child :math:`j` is normalised over the units present, weighted, and compared with the
    ideal (best value of the units present) and anti-ideal (worst value):

    .. math::
        v_{uj} = w_j\, r_{uj}, \qquad
        d^+_u = \sqrt{\textstyle\sum_j (v_{uj} - \max_t v_{tj})^2}, \qquad
        d^-_u = \sqrt{\textstyle\sum_j (v_{uj} - \min_t v_{tj})^2}, \qquad
        C_u = \frac{d^-_u}{d^+_u + d^-_u}

    with :math:`r_{uj} = x_{uj} / \sqrt{\sum_t x_{tj}^2}` (``vector``, Hwang & Yoon's original)
    or :math:`r_{uj} = (x_{uj} - \min_t x_{tj}) / (\max_t x_{tj} - \min_t x_{tj})` (``minmax``).
    Values reach the aggregator already oriented (higher is better), so every child is a
    benefit criterion; a cost criterion of the literature is the same as its negated values.
    :math:`C = 1` at the ideal, 0 at the anti-ideal; higher is better.

    Parameters
    ----------
    normalize
        ``vector`` (default) or ``minmax``. The two give different scores and can rank units
        differently: the normalisation is part of the method's definition, so it is a named
        parameter (docs/methods.md). ``vector`` is not shift-invariant (adding a constant to a
        child changes the scores); ``minmax`` is invariant to any increasing linear rescaling.

    Missing values
        The normalisation, ideal and anti-ideal of a child use the units present on it. A
        unit's distances run over the children it has; its weights are thereby renormalised
        over those children (:math:`C` does not change when all weights are multiplied by a
        constant, so renormalising per unit is implicit).

    Degenerate input
        A child that is constant across the units present (or missing for all) has ideal =
        anti-ideal: it separates no unit and adds 0 to every distance. A unit whose children
        present are all like that — or all of weight 0, or none present — has
        :math:`d^+ = d^- = 0` and scores NaN (closeness is undefined, 0/0). In particular a
        lone unit scores NaN. Negative values are accepted (``vector`` then scales each child
        by a positive constant all the same).

    Differences from peer libraries
        With complete data the scores are pymcdm's ``TOPSIS`` and scikit-criteria's
        ``TOPSIS`` (after ``VectorScaler``) to rounding (golden test). pymcdm maps a
        constant child to 1 under min-max, which adds nothing either; both return NaN (with a
        warning) where we return NaN.

    References
    ----------
    Hwang, C.-L. & Yoon, K. (1981), *Multiple Attribute Decision Making: Methods and
    Applications*, Springer, pp. 128–140; Opricovic & Tzeng (2004), "Compromise solution by
    MCDM methods: a comparative analysis of VIKOR and TOPSIS", *EJOR* 156(2), 445–455.
    """
    x, present, w2d, batched = _prepare(values, weights)
    if normalize not in TOPSIS_NORMALIZATIONS:
        raise MethodError(
            f"The topsis 'normalize' must be one of {{{', '.join(TOPSIS_NORMALIZATIONS)}}}. "
            f"Got '{normalize}' instead."
        )
    hi, lo, informative = _column_range(x, present)
    use = present & informative
    if normalize == "vector":
        scale = np.sqrt(np.sum(np.where(present, x, 0.0) ** 2, axis=0))
    else:
        scale = np.where(informative, hi - lo, 1.0)
    scale = np.where(informative, scale, 1.0)  # an informative child has a positive norm and range
    # v - max v = w (x - max x) / scale: the ideal of each weighted column is w_j times that of
    # the unweighted one (w_j >= 0), so both distances are two matrix products for all r.
    hi_f = np.where(informative, hi, 0.0)
    lo_f = np.where(informative, lo, 0.0)
    gap_best = np.where(use, (hi_f - x) / scale, 0.0)
    gap_worst = np.where(use, (x - lo_f) / scale, 0.0)
    w2 = w2d**2
    d_best = np.sqrt(w2 @ (gap_best**2).T)
    d_worst = np.sqrt(w2 @ (gap_worst**2).T)
    total = d_best + d_worst
    out = np.full(total.shape, np.nan)
    np.divide(d_worst, total, out=out, where=total > 0)
    return _finish(out, batched)


@register("vikor", stage="aggregate", params={"v": Interval(0, 1)})
def vikor(values: FloatArray, weights: FloatArray, *, v: float = 0.5) -> FloatArray:
    r"""VIKOR compromise ranking, returned as 1 - Q so that higher is better (Opricovic & Tzeng).

    With :math:`f^*_j` and :math:`f^-_j` the best and worst value of child :math:`j` over the
    units present, each unit's group utility :math:`S` and individual regret :math:`R` are

    .. math::
        S_u = \sum_j w_j \frac{f^*_j - x_{uj}}{f^*_j - f^-_j}, \qquad
        R_u = \max_j\, w_j \frac{f^*_j - x_{uj}}{f^*_j - f^-_j}

    (weights summing to 1 over the unit's children), and

    .. math::
        Q_u = v \frac{S_u - S^*}{S^- - S^*} + (1 - v) \frac{R_u - R^*}{R^- - R^*}

    with :math:`S^* = \min_u S_u`, :math:`S^- = \max_u S_u` (likewise :math:`R`). VIKOR ranks
    by :math:`Q` ascending (0 = best); this method returns :math:`1 - Q` in [0, 1] (1 = best),
    so that higher is better like every other aggregator, and ranks are VIKOR's.

    Parameters
    ----------
    v
        Weight of the strategy of "maximum group utility" (:math:`S`) against the individual
        regret (:math:`R`), in [0, 1]; 0.5 (default) is "by consensus".

    Not included
        VIKOR's acceptance conditions for a single compromise solution (C1 "acceptable
        advantage", C2 "acceptable stability") select a winner set; they do not change scores
        and are not applied.

    Missing values
        :math:`f^*`, :math:`f^-` use the units present on each child. A unit's :math:`S` and
        :math:`R` run over the children it has, with the weights renormalised to sum to 1
        over those children (so a missing child is neither a regret nor a free pass).
        :math:`S^*, S^-, R^*, R^-` run over the units that have a score.

    Degenerate input
        A child constant across the units present (:math:`f^* = f^-`, a 0/0 regret) separates
        no unit and is left out for every unit — with complete data the same as
        scikit-criteria, which sets its regret to 0; pymcdm raises. A unit with no informative
        child of positive weight present scores NaN (a lone unit too). When every unit has the
        same :math:`S` (or :math:`R`), that term is 0 for all (scikit-criteria's convention):
        units tied on it are all best on it.

    References
    ----------
    Opricovic, S. & Tzeng, G.-H. (2004), "Compromise solution by MCDM methods: a comparative
    analysis of VIKOR and TOPSIS", *EJOR* 156(2), 445–455; Opricovic & Tzeng (2007),
    "Extended VIKOR method in comparison with outranking methods", *EJOR* 178(2), 514–529.
    """
    x, present, w2d, batched = _prepare(values, weights)
    v = float(v)
    if not 0.0 <= v <= 1.0:
        raise MethodError(
            f"vikor: 'v' must be between 0 and 1, got {v:g}",
            hint="v = 0.5 weighs group utility and individual regret equally",
        )
    n, k = x.shape
    r = w2d.shape[0]
    hi, lo, informative = _column_range(x, present)
    use = present & informative
    span = np.where(informative, hi - lo, 1.0)
    regret = np.where(use, (np.where(informative, hi, 0.0) - x) / span, 0.0)  # (n, k) in [0, 1]
    weight_have = w2d @ use.T.astype(np.float64)  # (r, n)
    scored = weight_have > 0
    safe = np.where(scored, weight_have, 1.0)
    s_util = (w2d @ regret.T) / safe
    r_regret = np.empty((r, n))
    for part in _chunks(r, n, k):
        r_regret[part] = np.max(w2d[part, None, :] * regret[None, :, :], axis=2, initial=0.0)
    r_regret /= safe

    def spread(term: FloatArray) -> FloatArray:
        best = np.min(np.where(scored, term, np.inf), axis=1, keepdims=True)
        worst = np.max(np.where(scored, term, -np.inf), axis=1, keepdims=True)
        width = worst - best
        # tied units (width 0, or no unit scored) are all best on this term
        ok = np.isfinite(width) & (width > 0)
        out = np.zeros_like(term)
        np.divide(term - np.where(ok, best, 0.0), np.where(ok, width, 1.0), out=out, where=ok & scored)
        return out

    q = v * spread(s_util) + (1.0 - v) * spread(r_regret)
    out = np.where(scored, 1.0 - q, np.nan)
    return _finish(out, batched)


# --------------------------------------------------------------------------- benefit of the doubt


def _undominated(x: FloatArray) -> NDArray[np.bool_]:
    r"""Rows of ``x`` (n, m) that no other row weakly exceeds everywhere and beats somewhere.

    With non-negative weights, a dominated unit's constraint :math:`w \cdot x_v \le 1` is
    implied by its dominator's, so the linear programmes need only the undominated units.
    """
    n = x.shape[0]
    keep = np.ones(n, dtype=bool)
    step = max(1, (1 << 22) // max(1, n * x.shape[1]))
    for start in range(0, n, step):
        block = x[start : start + step]
        ge = np.all(x[None, :, :] >= block[:, None, :], axis=2)
        gt = np.any(x[None, :, :] > block[:, None, :], axis=2)
        keep[start : start + step] = ~np.any(ge & gt, axis=1)
    return keep


#: BoD scores are rounded to this many decimals (see :func:`bod`).
BOD_DECIMALS = 9


def _bod_scores(x: FloatArray, use: BoolArray, lower: float, upper: float) -> FloatArray:
    """BoD scores of every unit, using the children marked in ``use`` (n, k)."""
    n = x.shape[0]
    out = np.full(n, np.nan)
    filled = np.where(use, x, 0.0)
    # BoD is invariant to rescaling a child (its weight absorbs the factor); dividing each child
    # by its largest value keeps the programmes well conditioned whatever the data's units.
    col_max = filled.max(axis=0, initial=0.0)
    filled = filled / np.where(col_max > 0, col_max, 1.0)
    bench = filled[_undominated(filled)]
    todo: list[tuple[int, NDArray[np.intp]]] = []
    for u in range(n):
        cols = np.flatnonzero(use[u])
        m = cols.size
        if m == 0 or m * lower > 1 + 1e-12 or m * upper < 1 - 1e-12:
            continue  # nothing present, or the share bounds cannot be met with m children
        if not (filled[u, cols] > 0).any():
            out[u] = 0.0
            continue
        todo.append((u, cols))
    # The units' programmes are independent, so a batch of them is solved as one block-diagonal
    # programme (the optimum of the sum is every block at its optimum): one solver call per
    # batch instead of one per unit, about ten times faster for hundreds of units.
    per_batch = max(1, min(256, 2_000_000 // max(1, bench.shape[0] * x.shape[1])))
    for start in range(0, len(todo), per_batch):
        batch = todo[start : start + per_batch]
        weights = _bod_batch(filled, bench, batch, lower, upper)
        v0 = 0
        for u, cols in batch:
            m = cols.size
            out[u] = float(filled[u, cols] @ weights[v0 : v0 + m])
            v0 += m
    # Round to the solver's accuracy so that solver noise (~1e-15 here, 1e-9 at worst) decides
    # no tie: every unit on the frontier scores exactly 1, identical units score the same.
    return np.clip(np.round(out, BOD_DECIMALS), 0.0, 1.0)


def _bod_batch(
    filled: FloatArray,
    bench: FloatArray,
    batch: list[tuple[int, NDArray[np.intp]]],
    lower: float,
    upper: float,
) -> FloatArray:
    """The optimal weights of a batch of units' programmes, solved as one block-diagonal linear
    programme: each unit's weights of its children ``cols``, one unit after the other."""
    from scipy import sparse
    from scipy.optimize import linprog

    rows, cols_idx, data, rhs, cost = [], [], [], [], []
    r0 = v0 = 0
    for u, cols in batch:
        xu = filled[u, cols]
        block = _bod_constraints(bench[:, cols], xu, lower, upper)
        rr, cc = np.nonzero(block)
        rows.append(rr + r0)
        cols_idx.append(cc + v0)
        data.append(block[rr, cc])
        n_bench = bench.shape[0]
        rhs.append(np.concatenate([np.ones(n_bench), np.zeros(block.shape[0] - n_bench)]))
        cost.append(-xu)
        r0 += block.shape[0]
        v0 += cols.size
    a_ub = sparse.csr_matrix(
        (np.concatenate(data), (np.concatenate(rows), np.concatenate(cols_idx))), shape=(r0, v0)
    )
    res = linprog(np.concatenate(cost), A_ub=a_ub, b_ub=np.concatenate(rhs), bounds=(0, None), method="highs")
    if res.status != 0:  # pragma: no cover - each programme is feasible (w = 0) and bounded
        raise MethodError(f"benefit of the doubt: the linear programme failed ({res.message})")
    weights: FloatArray = res.x
    return weights


def _bod_constraints(bench: FloatArray, xu: FloatArray, lower: float, upper: float) -> FloatArray:
    r"""One unit's constraints ``A w <= b``: every benchmark unit scores at most 1 with the
    unit's weights (the first rows, ``b = 1``), then the pie shares (``b = 0``)."""
    m = xu.size
    parts = [bench]
    # pie shares: lower <= w_i x_ui / sum_j w_j x_uj <= upper, linear in w
    if lower > 0:
        parts.append(lower * np.tile(xu, (m, 1)) - np.diag(xu))
    if upper < 1:
        parts.append(np.diag(xu) - upper * np.tile(xu, (m, 1)))
    return np.vstack(parts)


@register("bod", stage="aggregate")
def bod(values: FloatArray, weights: FloatArray, *, lower: float = 0.0, upper: float = 1.0) -> FloatArray:
    r"""Benefit of the doubt: each unit's best weighted sum against every unit, in [0, 1].

    One linear programme per unit :math:`u` (Cherchye et al. 2007; DEA with a unit input):

    .. math::
        \text{BoD}_u = \max_{w \ge 0} \sum_i w_i x_{ui} \quad \text{s.t.} \quad
        \sum_i w_i x_{vi} \le 1 \ \text{for every unit } v, \qquad
        \text{lower} \le \frac{w_i x_{ui}}{\sum_j w_j x_{uj}} \le \text{upper}

    Each unit is scored with the weights most favourable to it, benchmarked against the best
    units under those same weights: 1 means no unit does better with the unit's own weights.
    Solved with :func:`scipy.optimize.linprog` (HiGHS). The scores are rounded to 9 decimals
    (:data:`BOD_DECIMALS`), within the solver's tolerance, so that rounding noise decides no
    rank: every unit on the frontier scores exactly 1, and identical units tie.

    Parameters
    ----------
    lower, upper
        Bounds on each child's *share* of the unit's score, :math:`w_i x_{ui} / \text{BoD}_u`
        ("pie shares", Cherchye et al. 2007, section 4): 0 and 1 (default) leave the weights
        free; e.g. ``bod(lower=0.1, upper=0.5)`` makes every child count for 10–50 % of every
        unit's score. Need :math:`0 \le` lower :math:`\le 1/k \le` upper :math:`\le 1`.

    The framework's weights
        BoD chooses its own weights, so the weights passed in do **not** set them: only a
        child of weight 0 is left out, as in every aggregator. A batch of weight vectors thus
        gives the same scores in every row unless their zero patterns differ (one set of
        programmes per pattern). For expert weights as soft guidance, use the share bounds.

    Missing values
        As Kuosmanen (2009) proposes for DEA, a missing value counts as 0: a unit is scored on
        the children it has (its share bounds apply among those children), and as a benchmark
        for other units its missing children constrain nothing.

    Degenerate input
        Values must be non-negative (else :class:`MethodError`); BoD is invariant to rescaling
        a child but not to shifting it. A unit with no child present (or none of positive
        weight) scores NaN; one whose values present are all 0 scores 0. A unit with too few
        children present to meet the share bounds (:math:`m \cdot` lower :math:`> 1` or
        :math:`m \cdot` upper :math:`< 1`) scores NaN. With ``lower > 0`` a present value of
        0 forces the unit's score to 0 (its share can only be 0) — a known property of pie-share
        bounds. A child that is 0 for every unit adds nothing.

    Cost: one small programme per unit, with one constraint per undominated unit (dominated
    units are implied), solved in batches as block-diagonal programmes: about 0.1 s per
    hundred units.

    References
    ----------
    Cherchye, L., Moesen, W., Rogge, N. & Van Puyenbroeck, T. (2007), "An introduction to
    'benefit of the doubt' composite indicators", *Social Indicators Research* 82, 111–145;
    OECD/JRC Handbook (2008), section 6.1.3 (weights) and 6.3; Kuosmanen, T. (2009), "Data
    envelopment analysis with missing data", *J. Oper. Res. Soc.* 60(12), 1767–1774.
    """
    x, present, w2d, batched = _prepare(values, weights)
    lower, upper = float(lower), float(upper)
    k = x.shape[1]
    if not (0.0 <= lower <= upper <= 1.0):
        raise MethodError(
            f"bod: the share bounds need 0 <= lower <= upper <= 1, got lower={lower:g}, upper={upper:g}",
            hint="e.g. bod(lower=0.1, upper=0.5): each child makes 10-50 % of a unit's score",
        )
    if k and (k * lower > 1 + 1e-12 or k * upper < 1 - 1e-12):
        raise MethodError(
            f"bod: with {k} children the shares cannot all lie in [{lower:g}, {upper:g}] "
            f"(they sum to 1, so lower <= 1/{k} <= upper)",
            hint=f"choose lower <= {1 / k:.4g} <= upper",
        )
    _check_positive(x, present, "benefit of the doubt", strict=False)
    support = w2d > 0
    out = np.full((w2d.shape[0], x.shape[0]), np.nan)
    patterns, which = np.unique(support, axis=0, return_inverse=True)
    for p, pattern in enumerate(patterns):
        out[which.reshape(-1) == p] = _bod_scores(x, present & pattern[None, :], lower, upper)
    return _finish(out, batched)
