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
from mfgindex.methods.registry import register

__all__ = [
    "arithmetic",
    "copeland",
    "coverage",
    "genmean",
    "geometric",
    "harmonic",
    "median",
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


def _weighted_mean(terms: FloatArray, present: BoolArray, w2d: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Per weight vector and unit: ``sum(w * terms) / sum(w)`` over present children.

    Returns ``(mean (r, n), weight present (r, n))``; mean is NaN where no weight is present.
    """
    filled = np.where(present, terms, 0.0)
    numer = w2d @ filled.T
    denom = w2d @ present.T.astype(np.float64)
    out = np.full(numer.shape, np.nan)
    np.divide(numer, denom, out=out, where=denom > 0)
    return out, denom


def _check_positive(x: FloatArray, present: BoolArray, method: str, strict: bool = True) -> None:
    bad = present & ((x <= 0) if strict else (x < 0))
    if bad.any():
        need, sign = ("positive", "zero or negative") if strict else ("non-negative", "negative")
        raise MethodError(
            f"the {method} needs {need} values, but {int(bad.sum())} value(s) are {sign}",
            hint="normalise onto a positive scale first, e.g. minmax(low=1, high=100), "
            "or aggregate with 'arithmetic'",
        )


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
    have = w2d @ present.T.astype(np.float64)
    out = np.full(have.shape, np.nan)
    np.divide(have, total, out=out, where=total > 0)
    return _finish(out, batched)


# --------------------------------------------------------------------------- means


@register("arithmetic", stage="aggregate")
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


@register("geometric", stage="aggregate")
def geometric(values: FloatArray, weights: FloatArray) -> FloatArray:
    r"""Weighted geometric mean of the children present; values must be positive.

    .. math:: y = \Bigl(\prod_i x_i^{w_i}\Bigr)^{1/\sum_i w_i}
              = \exp\frac{\sum_i w_i \ln x_i}{\sum_i w_i}

    over the children present. Partially compensatory: a low child costs more than in the
    arithmetic mean.

    Degenerate input
        Any present value ≤ 0 raises :class:`MethodError` (as COINr, which stops); normalise
        onto a positive scale first, e.g. ``minmax(low=1, high=100)``. A unit with no child
        present scores NaN.

    References
    ----------
    COINr ``a_gmean(x, w)``; OECD/JRC Handbook (2008), section 6.2.
    """
    x, present, w2d, batched = _prepare(values, weights)
    _check_positive(x, present, "geometric mean")
    logs = np.log(np.where(present, x, 1.0))
    out, _ = _weighted_mean(logs, present, w2d)
    return _finish(np.exp(out), batched)


@register("harmonic", stage="aggregate")
def harmonic(values: FloatArray, weights: FloatArray) -> FloatArray:
    r"""Weighted harmonic mean of the children present; values must be positive.

    .. math:: y = \frac{\sum_i w_i}{\sum_i w_i / x_i}

    over the children present. Less compensatory than the geometric mean.

    Degenerate input
        Any present value ≤ 0 raises :class:`MethodError`. COINr's ``a_hmean`` stops only on
        zeros and accepts negative values, where the harmonic mean is meaningless (it can
        change sign or blow up); we refuse them. A unit with no child present scores NaN.

    References
    ----------
    COINr ``a_hmean(x, w)``.
    """
    x, present, w2d, batched = _prepare(values, weights)
    _check_positive(x, present, "harmonic mean")
    inv, denom = _weighted_mean(1.0 / np.where(present, x, 1.0), present, w2d)
    out = np.full(inv.shape, np.nan)
    np.divide(1.0, inv, out=out, where=denom > 0)
    return _finish(out, batched)


@register("genmean", stage="aggregate")
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
        Values must be non-negative, and positive when ``p ≤ 0``; otherwise
        :class:`MethodError`. A unit with no child present scores NaN.

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
    _check_positive(x, present, f"generalised mean with p = {p:g}", strict=p < 0)
    powered = np.where(present, x, 1.0) ** p
    mean_p, denom = _weighted_mean(powered, present, w2d)
    out = np.full(mean_p.shape, np.nan)
    ok = denom > 0
    out[ok] = mean_p[ok] ** (1.0 / p)
    return _finish(out, batched)


# --------------------------------------------------------------------------- median


@register("median", stage="aggregate")
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
