"""Weighting methods: the weights of one group's children.

Contract (see :mod:`mfgindex.methods.base`)::

    f(values: (n, k), ctx: WeightContext, *, params) -> (k,)

``values`` are the children's scores for the n units (already oriented: higher is better),
``ctx`` the group (its framework weights, directions and AHP comparison matrix if any). Every
method returns ``k`` non-negative weights summing to 1.

Missing values and degenerate inputs — one policy for every data-driven method
------------------------------------------------------------------------------
* **Missing values.** Per-column statistics (``entropy``, ``cv``, ``std``) use each child's own
  observed values. Methods that relate children to one another (``critic``, ``pca``,
  ``optimize``) use the units observed on *every* child (complete cases).
* **Too few units.** A child with fewer than 2 usable values (all missing, or a single unit)
  raises :class:`MethodError` naming it: no spread can be measured.
* **Constant child.** A child that does not vary carries no information: it gets weight 0
  (and is left out of the correlations of ``critic`` and ``pca``). If every child is constant
  the weights are undefined and :class:`MethodError` is raised.
* **Negatives and zeros.** Only where a formula needs positive data: ``entropy(basis=raw)``
  rejects negative values and ``cv`` a non-positive mean (both with a hint); zeros in
  ``entropy`` follow its ``zero_log`` parameter.

Two helpers are public for the CLI and for users: :func:`ahp_weights` (weights, λmax, CI, CR of
a comparison matrix) and :func:`combine_weights` (combine two weight vectors).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from mfgindex.errors import MethodError
from mfgindex.methods.base import FloatArray, WeightContext
from mfgindex.methods.registry import Interval, OneOf, register

#: Saaty's random consistency index RI for n = 1 … 10: the mean consistency index of random
#: reciprocal matrices with entries from the 1–9 scale. Source: Saaty, T.L. (1980), *The
#: Analytic Hierarchy Process*, McGraw-Hill; the same table is printed in Saaty, T.L. (1990),
#: How to make a decision: the analytic hierarchy process, EJOR 48, 9–26. (Other tables exist,
#: e.g. pymcdm uses Tummala & Ling 1998: RI_8 = 1.3952 instead of 1.41.)
SAATY_RI: tuple[float, ...] = (0.0, 0.0, 0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49)

#: A comparison matrix counts as reciprocal when ``|a_ij · a_ji − 1| ≤`` this, so judgements
#: written as two-decimal fractions (0.33 for 1/3, 0.13 for 1/8: 4 % off) are accepted, while a
#: wrong entry (3 against 1/2, or 3 against 3) is not.
RECIPROCAL_TOLERANCE = 0.05

AHP_METHODS = ("eigenvector", "geometric")
CORRELATIONS = ("pearson", "spearman", "kendall")


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------


def _values(values: FloatArray, ctx: WeightContext) -> FloatArray:
    arr = np.asarray(values, dtype=float)
    if arr.ndim != 2:
        raise MethodError(f"weight methods take a 2-d array (units × children); got {arr.shape}")
    if arr.shape[1] != len(ctx.children):
        raise MethodError(
            f"group '{ctx.parent}': {arr.shape[1]} columns of values for {len(ctx.children)} children"
        )
    return arr


def _need_two(arr: FloatArray, ctx: WeightContext, method: str) -> NDArray[np.intp]:
    counts: NDArray[np.intp] = (~np.isnan(arr)).sum(axis=0)
    few = np.flatnonzero(counts < 2)
    if few.size:
        names = ", ".join(f"'{ctx.children[j]}' ({counts[j]} values)" for j in few)
        raise MethodError(
            f"'{method}' weights of group '{ctx.parent}' need at least 2 units with data for "
            f"every child; not so for {names}",
            hint="impute or screen first, or weight this group with equal or framework weights",
        )
    return counts


def _complete_cases(arr: FloatArray, ctx: WeightContext, method: str) -> FloatArray:
    rows = ~np.isnan(arr).any(axis=1)
    if rows.sum() < 2:
        raise MethodError(
            f"'{method}' weights of group '{ctx.parent}' need at least 2 units with data on "
            f"every child; {int(rows.sum())} have",
            hint="impute first, or weight this group with equal or framework weights",
        )
    return arr[rows]


def _constant(arr: FloatArray) -> NDArray[np.bool_]:
    with np.errstate(invalid="ignore"):
        return np.asarray(np.nanmax(arr, axis=0) == np.nanmin(arr, axis=0))


def _normalise(raw: FloatArray, ctx: WeightContext, method: str) -> FloatArray:
    total = float(np.sum(raw))
    if not np.isfinite(total) or total <= 0:
        raise MethodError(
            f"'{method}' weights of group '{ctx.parent}' are undefined: no child varies across units",
            hint="weight this group with equal or framework weights",
        )
    return np.asarray(raw / total, dtype=float)


def _minmax(arr: FloatArray) -> FloatArray:
    lo, hi = np.nanmin(arr, axis=0), np.nanmax(arr, axis=0)
    span = np.where(hi > lo, hi - lo, 1.0)
    return np.asarray((arr - lo) / span, dtype=float)


def _corr(arr: FloatArray, correlation: str) -> FloatArray:
    """Correlation matrix of the columns of a complete (no NaN) array."""
    from scipy import stats

    k = arr.shape[1]
    if correlation == "pearson":
        return np.atleast_2d(np.corrcoef(arr, rowvar=False))
    if correlation == "spearman":
        # Pearson on average ranks: Spearman's rho with the usual tie handling (R, pandas)
        ranks = stats.rankdata(arr, axis=0)
        return np.atleast_2d(np.corrcoef(ranks, rowvar=False))
    if correlation == "kendall":
        out = np.eye(k)
        for a in range(k):
            for b in range(a + 1, k):
                tau = stats.kendalltau(arr[:, a], arr[:, b]).statistic  # tau-b, as R and pandas
                out[a, b] = out[b, a] = tau
        return out
    raise MethodError(
        f"The 'correlation' must be one of {{{', '.join(CORRELATIONS)}}}. Got '{correlation}' instead."
    )


# --------------------------------------------------------------------------------------------
# framework, equal
# --------------------------------------------------------------------------------------------


@register("framework", stage="weight", reduce="none")
def framework(values: FloatArray, ctx: WeightContext) -> FloatArray:
    """The framework's weights of the children, normalised to sum to 1.

    .. math:: w_j = \\frac{v_j}{\\sum_k v_k}

    ``values`` are not used.

    Degenerate input: negative, non-finite or all-zero framework weights raise
    :class:`MethodError` (the framework validator normally catches them first); missing values
    in ``values`` do not matter.

    References
    ----------
    OECD/JRC (2008), *Handbook on Constructing Composite Indicators*, section 6 (weights
    reflect the framework's judgement of relative importance).
    """
    v = np.asarray(ctx.weights, dtype=float)
    if v.shape != (len(ctx.children),):
        raise MethodError(
            f"group '{ctx.parent}': {v.size} framework weights for {len(ctx.children)} children"
        )
    if not np.all(np.isfinite(v)) or np.any(v < 0):
        raise MethodError(f"group '{ctx.parent}': framework weights must be finite and >= 0")
    if v.sum() <= 0:
        raise MethodError(f"group '{ctx.parent}': framework weights are all zero")
    return np.asarray(v / v.sum(), dtype=float)


@register("equal", stage="weight", reduce="none")
def equal(values: FloatArray, ctx: WeightContext) -> FloatArray:
    """Equal weights, 1/k for each of the k children.

    ``values`` are not used, so missing, constant or single-unit data do not matter.

    Degenerate input: a group with no children raises :class:`MethodError`.
    """
    k = len(ctx.children)
    if k == 0:
        raise MethodError(f"group '{ctx.parent}' has no children")
    return np.full(k, 1.0 / k)


# --------------------------------------------------------------------------------------------
# AHP
# --------------------------------------------------------------------------------------------


def _check_comparisons(matrix: ArrayLike, labels: Sequence[str] | None = None) -> FloatArray:
    a = np.asarray(matrix, dtype=float)
    if a.ndim != 2 or a.shape[0] != a.shape[1] or a.shape[0] == 0:
        raise MethodError(f"a pairwise comparison matrix must be square; got shape {a.shape}")
    n = a.shape[0]
    names = list(labels) if labels is not None and len(labels) == n else [str(i + 1) for i in range(n)]

    def cell(i: int, j: int) -> str:
        return f"row '{names[i]}', column '{names[j]}'"

    bad = np.argwhere(~np.isfinite(a) | (a <= 0))
    if bad.size:
        i, j = (int(v) for v in bad[0])
        raise MethodError(
            f"pairwise comparison matrix: the entry at {cell(i, j)} is {a[i, j]:g}; "
            "every entry must be a positive number",
            hint="use Saaty's 1–9 scale: a_ij = 3 means i is moderately more important than j",
        )
    off = np.abs(a * a.T - 1.0) > RECIPROCAL_TOLERANCE
    diag = np.abs(np.diag(a) - 1.0) > RECIPROCAL_TOLERANCE
    if diag.any():
        i = int(np.flatnonzero(diag)[0])
        raise MethodError(
            f"pairwise comparison matrix: the diagonal entry at {cell(i, i)} is {a[i, i]:g}; it must be 1"
        )
    if off.any():
        i, j = (int(v) for v in np.argwhere(np.triu(off, 1))[0])
        raise MethodError(
            f"pairwise comparison matrix is not reciprocal: the entry at {cell(i, j)} is "
            f"{a[i, j]:g} but the entry at {cell(j, i)} is {a[j, i]:g} (should be "
            f"{1 / a[i, j]:.4g})",
            hint="a_ji must be 1 / a_ij",
        )
    return a


def ahp_weights(
    matrix: ArrayLike,
    method: str = "eigenvector",
    labels: Sequence[str] | None = None,
) -> tuple[FloatArray, float, float, float]:
    """Priority weights and consistency of a pairwise comparison matrix (AHP).

    Parameters
    ----------
    matrix
        ``(n, n)`` positive reciprocal matrix: ``a_ij`` says how many times more important
        element *i* is than *j* (Saaty's 1–9 scale), ``a_ji = 1 / a_ij``, ``a_ii = 1``.
    method
        ``eigenvector`` (Saaty's principal right eigenvector, default) or ``geometric`` (the
        normalised geometric means of the rows, Crawford & Williams 1985).
    labels
        Element names, used in error messages only.

    Returns
    -------
    weights, lambda_max, ci, cr
        ``weights`` sum to 1. :math:`\\lambda_{max}` is the principal eigenvalue (for both
        methods: consistency is a property of the matrix),
        :math:`CI = (\\lambda_{max} - n)/(n - 1)`, :math:`CR = CI / RI_n` with Saaty's random
        index :data:`SAATY_RI`; CR = 0 for n ≤ 2 (always consistent).

    Raises
    ------
    MethodError
        A non-positive or non-finite entry, a diagonal entry ≠ 1, or a_ij·a_ji ≠ 1 (beyond
        :data:`RECIPROCAL_TOLERANCE`) — naming the cell; an unknown ``method``; n > 10 (Saaty's
        RI table stops at 10).

    References
    ----------
    Saaty, T.L. (1980), *The Analytic Hierarchy Process*, McGraw-Hill. Saaty, T.L. (1990), How
    to make a decision: the analytic hierarchy process, EJOR 48, 9–26. Crawford, G. and
    Williams, C. (1985), A note on the analysis of subjective judgment matrices, J. Math.
    Psychology 29, 387–405.
    """
    if method not in AHP_METHODS:
        raise MethodError(
            f"The ahp 'method' must be one of {{{', '.join(AHP_METHODS)}}}. Got '{method}' instead."
        )
    a = _check_comparisons(matrix, labels)
    n = a.shape[0]
    if n > len(SAATY_RI):
        raise MethodError(
            f"AHP with {n} elements: Saaty's random-index table covers n ≤ {len(SAATY_RI)}",
            hint="split the group into sub-groups of at most 10 children",
        )
    if n == 1:
        return np.ones(1), 1.0, 0.0, 0.0
    eigvals, eigvecs = np.linalg.eig(a)
    top = int(np.argmax(eigvals.real))
    lam = float(eigvals[top].real)
    # Perron–Frobenius: the principal eigenvector of a positive matrix has one sign
    w = np.abs(eigvecs[:, top].real) if method == "eigenvector" else np.exp(np.mean(np.log(a), axis=1))
    w = w / w.sum()
    ci = (lam - n) / (n - 1)
    if n <= 2:
        # a 2 × 2 reciprocal matrix is always consistent; λmax = 2 up to rounding
        ci, cr = 0.0, 0.0
    else:
        cr = ci / SAATY_RI[n - 1]
    return np.asarray(w, dtype=float), lam, float(ci), float(cr)


@register("ahp", stage="weight", reduce="none", params={"method": OneOf(AHP_METHODS), "max_cr": Interval(0)})
def ahp(
    values: FloatArray,
    ctx: WeightContext,
    *,
    method: str = "eigenvector",
    max_cr: float = 0.1,
    file: str | None = None,
) -> FloatArray:
    """AHP weights from the group's pairwise comparison matrix, with Saaty's consistency check.

    The matrix is ``ctx.comparisons``: the group's ``[[comparisons]]`` table in the framework
    file or, with ``file``, the group's rows of a CSV of judgements — read by the framework
    (:mod:`mfgindex.judgements`), never by this method, which only checks that the matrix it is
    given came from that file (``ctx.comparisons_from``).

    .. math:: A w = \\lambda_{max} w, \\quad CI = \\frac{\\lambda_{max}-n}{n-1}, \\quad
              CR = \\frac{CI}{RI_n}

    See :func:`ahp_weights` for the computation, the two ``method`` variants (``eigenvector``,
    ``geometric``) and the random-index table (Saaty 1980, :data:`SAATY_RI`). ``values`` are
    not used.

    Parameters
    ----------
    method
        ``eigenvector`` (default) or ``geometric``.
    max_cr
        Largest acceptable consistency ratio. Saaty's rule is CR ≤ 0.1; a matrix above it
        raises :class:`MethodError` (with its CR) unless ``max_cr`` is raised.
    file
        A CSV of judgements, columns ``parent, row, column, value`` (path relative to the
        working folder); it wins over the framework's matrices. Read when the framework is
        loaded (or, for a run's option, by :meth:`mfgindex.framework.Framework.with_judgements`)
        and hashed into the provenance.

    Raises
    ------
    MethodError
        No comparison matrix for the group (or none read from ``file``), a matrix of the wrong
        size, a matrix that is not positive and reciprocal (naming the cell), or
        CR > ``max_cr``.

    Notes
    -----
    Degenerate input: ``values`` are not used (missing or constant data do not matter); a zero,
    negative or missing judgement is an error naming its cell; one or two children are always
    consistent (CR = 0). A group with a single child needs no judgement: its weight is 1.

    References
    ----------
    Saaty, T.L. (1980), *The Analytic Hierarchy Process*, McGraw-Hill; Saaty, T.L. (1990), How
    to make a decision: the analytic hierarchy process, EJOR 48, 9–26.
    """
    comparisons = ctx.comparisons
    if file is not None and ctx.comparisons_from != file:
        # The matrix given is not the file's: using it would silently ignore the judgements.
        raise MethodError(
            f"ahp: the judgements file '{file}' was not read for group '{ctx.parent}'",
            hint="the framework reads it: Framework.with_judgements(\"ahp(file='...')\"), then "
            "Framework.weight_context(group, call) gives the method its matrix",
        )
    if comparisons is None and len(ctx.children) == 1:
        return np.ones(1)  # a single child: nothing to compare, its weight is the whole
    if comparisons is None:
        raise MethodError(
            f"group '{ctx.parent}' has no pairwise comparison matrix for 'ahp'",
            hint="give the group's comparisons in the framework file or a CSV",
        )
    k = len(ctx.children)
    a = np.asarray(comparisons, dtype=float)
    if a.shape != (k, k):
        raise MethodError(
            f"group '{ctx.parent}' has {k} children but its comparison matrix is "
            f"{'x'.join(str(s) for s in a.shape)}"
        )
    w, _lam, _ci, cr = ahp_weights(a, method, labels=ctx.children)
    if cr > float(max_cr):
        raise MethodError(
            f"group '{ctx.parent}': the comparison matrix is inconsistent, CR = {cr:.3f} "
            f"> max_cr = {max_cr:g}",
            hint="revise the judgements (Saaty: CR ≤ 0.1), or raise max_cr to accept them",
        )
    return w


# --------------------------------------------------------------------------------------------
# entropy, CRITIC, CV, std, PCA
# --------------------------------------------------------------------------------------------


@register(
    "entropy",
    stage="weight",
    params={"basis": OneOf(("minmax", "raw")), "zero_log": OneOf(("zero", "error"))},
)
def entropy(
    values: FloatArray,
    ctx: WeightContext,
    *,
    basis: str = "minmax",
    shift: float = 0.0,
    zero_log: str = "zero",
) -> FloatArray:
    """Shannon entropy weights: children whose values are more uneven get more weight.

    .. math::

        p_{ij} = \\frac{y_{ij}}{\\sum_i y_{ij}}, \\quad
        e_j = -\\frac{1}{\\ln n_j}\\sum_i p_{ij} \\ln p_{ij}, \\quad
        d_j = 1 - e_j, \\quad w_j = \\frac{d_j}{\\sum_k d_k}

    where :math:`y_{ij}` is the value after the ``basis`` transform plus ``shift``, and
    :math:`n_j` the number of units observed on child *j* (missing values are dropped per child).

    Parameters
    ----------
    basis
        ``minmax`` (default): :math:`y = (x - \\min x)/(\\max x - \\min x)`, the usual practice in
        Chinese index papers; ``raw``: the values as they are (must be ≥ 0).
    shift
        Added to every :math:`y` before the proportions, e.g. 0.0001 or 0.01, a common device
        to avoid zeros (it changes the weights; report it).
    zero_log
        How :math:`p \\ln p` is taken at :math:`p = 0`: ``zero`` (default, the limit
        :math:`0 \\cdot \\ln 0 = 0`, as ``scipy.stats.entropy``) or ``error`` (raise
        :class:`MethodError`, to insist on a shift).

    Notes
    -----
    Degenerate input: see the module policy (fewer than 2 values → error). Constant child →
    :math:`e_j = 1`, weight 0 (with ``basis=minmax`` and no shift the column is
    all zeros and is given weight 0 directly). Negative values with ``basis=raw`` raise
    :class:`MethodError`. Peer libraries differ: pymcdm 1.4 sets :math:`e_j = 0` for any column
    containing a zero and needs positive data; scikit-criteria 0.10 uses
    :math:`0 \\cdot \\ln 0 = 0` like our default.

    References
    ----------
    Shannon, C.E. (1948); Zeleny, M. (1982), *Multiple Criteria Decision Making*, McGraw-Hill;
    Hwang, C.L. and Yoon, K. (1981), *Multiple Attribute Decision Making*, Springer, pp. 52–54.
    """
    if basis not in ("minmax", "raw"):
        raise MethodError(f"The entropy 'basis' must be one of {{minmax, raw}}. Got '{basis}' instead.")
    if zero_log not in ("zero", "error"):
        raise MethodError(f"The entropy 'zero_log' must be one of {{zero, error}}. Got '{zero_log}' instead.")
    if not np.isfinite(shift) or shift < 0:
        raise MethodError(f"entropy: shift must be a finite number >= 0, got {shift}")
    arr = _values(values, ctx)
    counts = _need_two(arr, ctx, "entropy")
    constant = _constant(arr)
    if basis == "raw":
        neg = np.flatnonzero(np.nanmin(arr, axis=0) < 0)
        if neg.size:
            raise MethodError(
                f"entropy(basis=raw) needs values >= 0; child '{ctx.children[neg[0]]}' of "
                f"group '{ctx.parent}' has negative values",
                hint="use entropy(basis=minmax), or shift the data",
            )
        y = arr.copy()
    else:
        y = _minmax(arr)
    y = y + float(shift)
    total = np.nansum(y, axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = y / total
    zero_cols = (p == 0).any(axis=0) & ~constant
    if zero_log == "error" and zero_cols.any():
        j = int(np.flatnonzero(zero_cols)[0])
        raise MethodError(
            f"entropy: child '{ctx.children[j]}' of group '{ctx.parent}' has a zero proportion "
            "and zero_log=error",
            hint="add a shift, e.g. entropy(shift=0.0001), or use zero_log=zero (0·ln 0 = 0)",
        )
    from scipy.special import entr  # entr(p) = -p ln p, with entr(0) = 0

    e = np.nansum(entr(p), axis=0) / np.log(counts)
    d = 1.0 - e
    # all-zero columns (constant under minmax without shift) carry no information
    d = np.where(constant | (total <= 0), 0.0, d)
    d = np.clip(d, 0.0, None)  # rounding can give -1e-17 for constant columns
    return _normalise(d, ctx, "entropy")


@register("critic", stage="weight", params={"correlation": OneOf(CORRELATIONS)})
def critic(
    values: FloatArray,
    ctx: WeightContext,
    *,
    correlation: str = "pearson",
) -> FloatArray:
    """CRITIC weights (CRiteria Importance Through Intercriteria Correlation).

    .. math::

        z_{ij} = \\frac{x_{ij} - \\min_i x_{ij}}{\\max_i x_{ij} - \\min_i x_{ij}}, \\quad
        C_j = \\sigma_j \\sum_{k} (1 - r_{jk}), \\quad w_j = \\frac{C_j}{\\sum_k C_k}

    with :math:`\\sigma_j` the standard deviation of :math:`z_{\\cdot j}` and :math:`r_{jk}` the
    correlation of children *j* and *k*: a child gets weight for contrast (spread) and for
    conflict (low correlation with the others).

    Parameters
    ----------
    correlation
        ``pearson`` (Diakoulaki et al.'s original, default), ``spearman`` (Pearson on average
        ranks) or ``kendall`` (tau-b).

    Notes
    -----
    Direction-aware by construction: the values are oriented (higher is better) before
    weighting, so min-max maps every child's best unit to 1, as the paper prescribes for
    benefit criteria.

    Degenerate input: units missing any child are dropped (complete cases); fewer than 2 left
    raises :class:`MethodError`. Negative values and zeros are fine (min-max). A constant child has
    :math:`\\sigma = 0` and undefined correlations: it gets weight 0 and is left out of the
    other children's sums. The choice of ``ddof`` does not matter (it scales every
    :math:`C_j` alike); we use the sample standard deviation.

    References
    ----------
    Diakoulaki, D., Mavrotas, G. and Papayannakis, L. (1995), Determining objective weights in
    multiple criteria problems: the CRITIC method, Computers & Operations Research 22(7),
    763–770.
    """
    if correlation not in CORRELATIONS:
        raise MethodError(
            f"The 'correlation' must be one of {{{', '.join(CORRELATIONS)}}}. Got '{correlation}' instead."
        )
    arr = _values(values, ctx)
    _need_two(arr, ctx, "critic")
    arr = _complete_cases(arr, ctx, "critic")
    constant = _constant(arr)
    c = np.zeros(arr.shape[1])
    live = np.flatnonzero(~constant)
    if live.size:
        z = _minmax(arr[:, live])
        sigma = np.std(z, axis=0, ddof=1)
        r = _corr(z, correlation) if live.size > 1 else np.ones((1, 1))
        c[live] = sigma * np.sum(1.0 - r, axis=0)
        if live.size == 1:
            # one varying child, nothing to conflict with: it takes all the weight
            c[live] = 1.0
    return _normalise(c, ctx, "critic")


@register("cv", stage="weight")
def cv(values: FloatArray, ctx: WeightContext) -> FloatArray:
    """Coefficient-of-variation weights: w_j proportional to sd_j / mean_j.

    .. math:: w_j \\propto \\sigma_j / \\bar x_j

    :math:`\\sigma_j` is the sample standard deviation (ddof = 1) and :math:`\\bar x_j` the mean
    of child *j*'s observed values (missing values dropped per child).

    Notes
    -----
    Degenerate input: fewer than 2 values for a child raises :class:`MethodError`. The CV is
    scale-free but needs a positive mean: a child with mean ≤ 0 (negatives, all zeros) raises
    :class:`MethodError` (use ``std``, or normalise to a positive range first). A constant child
    gets weight 0.

    References
    ----------
    e.g. Wang, Y.M. and Luo, Y. (2010), Integration of correlations with standard deviations for
    determining attribute weights in MADM, Math. Comput. Modelling 51, 56–65.
    """
    arr = _values(values, ctx)
    _need_two(arr, ctx, "cv")
    mean = np.nanmean(arr, axis=0)
    bad = np.flatnonzero(mean <= 0)
    if bad.size:
        j = int(bad[0])
        raise MethodError(
            f"cv: child '{ctx.children[j]}' of group '{ctx.parent}' has mean {mean[j]:g}; the "
            "coefficient of variation needs a positive mean",
            hint="use std weights, or normalise to a positive range first",
        )
    sd = np.nanstd(arr, axis=0, ddof=1)
    return _normalise(sd / mean, ctx, "cv")


@register("std", stage="weight")
def std(values: FloatArray, ctx: WeightContext) -> FloatArray:
    """Standard-deviation weights: w_j proportional to sd_j.

    .. math:: w_j \\propto \\sigma_j

    :math:`\\sigma_j` is the sample standard deviation (ddof = 1) of child *j*'s observed values.
    Meaningful on children on a common scale (normalised scores), which is what a weighting
    method receives.

    Degenerate input: a constant child gets weight 0 (all constant → :class:`MethodError`);
    fewer than 2 values for a child raises :class:`MethodError`; zeros and negatives are fine.

    References
    ----------
    pymcdm ``standard_deviation_weights``; Wang and Luo (2010), as :func:`cv`.
    """
    arr = _values(values, ctx)
    _need_two(arr, ctx, "std")
    return _normalise(np.nanstd(arr, axis=0, ddof=1), ctx, "std")


@register("pca", stage="weight")
def pca(values: FloatArray, ctx: WeightContext) -> FloatArray:
    """PCA weights: squared loadings of the first principal component of the standardised children.

    .. math:: R a = \\lambda_1 a,\\ \\lVert a \\rVert = 1, \\qquad w_j = a_j^2

    :math:`R` is the correlation matrix of the children (i.e. PCA of the standardised
    children), :math:`\\lambda_1` its largest eigenvalue and :math:`a` the unit eigenvector.
    The squared loadings :math:`\\lambda_1 a_j^2` scaled to unit sum are :math:`a_j^2`.

    This is the OECD/JRC Handbook's factor-analysis weighting (squared factor loadings scaled to
    unity sum) restricted to the **first, unrotated** component — no varimax rotation and no
    combination of several factors. It rewards children that share the group's common
    variation; a child correlated negatively with the rest still gets a positive weight (the
    square), so check correlations first.

    Notes
    -----
    Degenerate input: complete cases only (fewer than 2 → :class:`MethodError`); zeros and
    negatives are fine (standardised). A constant child cannot be standardised: it gets
    weight 0 and is left out. A group with one varying child gives it weight 1.

    References
    ----------
    OECD/JRC (2008), *Handbook on Constructing Composite Indicators*, section 6.1 (weights
    based on principal components / factor analysis); Nicoletti, G., Scarpetta, S. and Boylaud,
    O. (2000), OECD Economics Department WP 226.
    """
    arr = _values(values, ctx)
    _need_two(arr, ctx, "pca")
    arr = _complete_cases(arr, ctx, "pca")
    constant = _constant(arr)
    w = np.zeros(arr.shape[1])
    live = np.flatnonzero(~constant)
    if live.size == 1:
        w[live] = 1.0
    elif live.size > 1:
        r = np.corrcoef(arr[:, live], rowvar=False)
        _, eigvecs = np.linalg.eigh(r)  # eigenvalues ascending
        a = eigvecs[:, -1]
        w[live] = a**2
    return _normalise(w, ctx, "pca")


# --------------------------------------------------------------------------------------------
# optimisation (COINr get_opt_weights)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OptimizedWeights:
    """Result of :func:`optimize_weights`.

    Attributes
    ----------
    weights
        ``(k,)`` weights summing to 1.
    correlations
        ``(k,)`` correlation of each child with the parent score under ``weights``.
    shares
        ``correlations / correlations.sum()``, to compare with the target shares.
    target
        ``(k,)`` target shares (summing to 1).
    converged
        Whether the optimiser reported success.
    """

    weights: FloatArray
    correlations: FloatArray
    shares: FloatArray
    target: FloatArray
    converged: bool


def optimize_weights(
    values: ArrayLike,
    target: Sequence[float] | None = None,
    correlation: str = "pearson",
    tol: float = 1e-10,
    maxiter: int = 5000,
) -> OptimizedWeights:
    """Weights under which each child's correlation with the parent is in target proportions.

    The parent score is the weighted arithmetic mean of the children,
    :math:`p_i = \\sum_j w_j x_{ij}` (``values`` should be complete; see :func:`optimize`). With
    :math:`r_j = \\mathrm{corr}(x_{\\cdot j}, p)` the weights minimise

    .. math:: \\sum_j \\left(t_j - \\frac{r_j}{\\sum_k r_k}\\right)^2

    over :math:`w \\ge 0` (normalised to sum to 1), by Nelder–Mead from :math:`w = t`, as
    COINr's ``get_opt_weights(optype = "balance")``. Differences from COINr: weights are
    bounded at 0 (COINr's are unbounded and can go negative), the objective is the plain sum of
    squares (COINr takes the log of its mean, which has the same minimiser), and the tolerance
    is tight (COINr's default ``reltol = 0.1`` stops early).
    """
    from scipy import optimize as sopt

    x = np.asarray(values, dtype=float)
    k = x.shape[1]
    t = np.ones(k) if target is None or len(target) == 0 else np.asarray(target, dtype=float)
    if t.shape != (k,):
        raise MethodError(f"optimize: target has {t.size} entries for {k} children")
    if np.any(~np.isfinite(t)) or np.any(t < 0) or t.sum() <= 0:
        raise MethodError("optimize: target importances must be >= 0 and not all zero")
    t = t / t.sum()
    if correlation not in CORRELATIONS:
        raise MethodError(
            f"The 'correlation' must be one of {{{', '.join(CORRELATIONS)}}}. Got '{correlation}' instead."
        )

    def corr_with_parent(w: FloatArray) -> FloatArray:
        p = x @ w
        if correlation == "pearson":
            xc = x - x.mean(axis=0)
            pc = p - p.mean()
            denom = np.sqrt((xc**2).sum(axis=0) * (pc**2).sum())
            with np.errstate(invalid="ignore", divide="ignore"):
                return np.asarray((xc * pc[:, None]).sum(axis=0) / denom, dtype=float)
        full = _corr(np.column_stack([x, p]), correlation)
        return np.asarray(full[:k, k], dtype=float)

    def objective(v: FloatArray) -> float:
        s = v.sum()
        if s <= 0:
            return 1e6
        r = corr_with_parent(v / s)
        rs = r.sum()
        if not np.all(np.isfinite(r)) or rs == 0:
            return 1e6
        return float(np.sum((t - r / rs) ** 2))

    res = sopt.minimize(
        objective,
        x0=t.copy(),
        method="Nelder-Mead",
        bounds=[(0.0, None)] * k,
        options={"xatol": tol, "fatol": tol, "maxiter": maxiter, "maxfev": maxiter * 2},
    )
    w = np.clip(np.asarray(res.x, dtype=float), 0.0, None)
    w = w / w.sum()
    r = corr_with_parent(w)
    return OptimizedWeights(
        weights=w, correlations=r, shares=r / r.sum(), target=t, converged=bool(res.success)
    )


def _varying_complete_cases(arr: FloatArray, ctx: WeightContext, name: str) -> FloatArray:
    """The complete cases of ``arr`` (at least 2), checked to have no constant child: the
    correlation-based weightings (``name``) need every child to vary."""
    _need_two(arr, ctx, name)
    arr = _complete_cases(arr, ctx, name)
    constant = np.flatnonzero(_constant(arr))
    if constant.size:
        raise MethodError(
            f"{name}: child '{ctx.children[int(constant[0])]}' of group '{ctx.parent}' is "
            "constant, so it has no correlation with the parent",
            hint="drop the child or use another weighting for this group",
        )
    return arr


@register("optimize", stage="weight", params={"correlation": OneOf(CORRELATIONS)})
def optimize(
    values: FloatArray,
    ctx: WeightContext,
    *,
    target: Sequence[float] = (),
    correlation: str = "pearson",
) -> FloatArray:
    """Weights that give each child a target share of influence on the parent (COINr's balance).

    Finds weights such that the correlations :math:`r_j` of the children with the parent score
    are in the proportions ``target`` (relative importances, e.g. ``[1, 2, 1]``; empty = equal
    influence), by minimising :math:`\\sum_j (t_j - r_j / \\sum_k r_k)^2` with
    :func:`scipy.optimize.minimize` (Nelder–Mead, weights ≥ 0); see :func:`optimize_weights`.

    The parent score is taken as the **weighted arithmetic mean of the children** (the values
    this method receives): the method sees only ``values``, not the group's aggregator, so for a
    geometric or other aggregation the balance holds for the arithmetic proxy. COINr instead
    re-runs the whole coin's aggregation at each step.

    Notes
    -----
    Degenerate input: complete cases only (fewer than 2 → :class:`MethodError`). A constant
    child has no correlation and raises :class:`MethodError`
    naming it. With one child the weight is 1.

    References
    ----------
    COINr 1.1.14, R/weights.R: ``get_opt_weights``; Becker, W., Paruolo, P., Saisana, M. and
    Saltelli, A. (2017), Weights and importance in composite indicators: closing the gap,
    Ecological Indicators 80, 12–22.
    """
    arr = _values(values, ctx)
    k = arr.shape[1]
    if k == 1:
        return np.ones(1)
    arr = _varying_complete_cases(arr, ctx, "optimize")
    result = optimize_weights(arr, list(target), correlation)
    return result.weights


@register("infomax", stage="weight", params={"correlation": OneOf(CORRELATIONS)})
def infomax(values: FloatArray, ctx: WeightContext, *, correlation: str = "pearson") -> FloatArray:
    r"""Weights that maximise the children's total correlation with the parent (infomax).

    .. math:: \max_{w \ge 0,\ \sum w = 1} \sum_j \mathrm{corr}(x_{\cdot j}, p),
              \qquad p = \sum_j w_j x_{\cdot j}

    — the parent carries as much of its children's information as it can. Nelder–Mead from
    equal weights (:func:`scipy.optimize.minimize`, weights bounded at 0), as COINr's
    ``get_opt_weights(optype = "infomax")`` — which optimises against the *index*
    (``mfgindex.analysis.optimal_weights``); this is the per-group variant, against the parent,
    with the parent taken as the weighted arithmetic mean of the children (as ``optimize``).

    Notes
    -----
    Degenerate input: complete cases only (fewer than 2 → :class:`MethodError`); a constant
    child raises :class:`MethodError` naming it; one child gets weight 1.

    References
    ----------
    COINr 1.1.14, R/weights.R: ``get_opt_weights``.
    """
    from scipy import optimize as sopt

    arr = _values(values, ctx)
    k = arr.shape[1]
    if k == 1:
        return np.ones(1)
    arr = _varying_complete_cases(arr, ctx, "infomax")

    def objective(v: FloatArray) -> float:
        total = v.sum()
        if total <= 0:
            return 1e6
        p = arr @ (v / total)
        r = _corr(np.column_stack([arr, p]), correlation)[:k, k]
        return float(-np.sum(r)) if np.all(np.isfinite(r)) else 1e6

    res = sopt.minimize(
        objective,
        x0=np.full(k, 1.0 / k),
        method="Nelder-Mead",
        bounds=[(0.0, None)] * k,
        options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 5000},
    )
    w = np.clip(np.asarray(res.x, dtype=float), 0.0, None)
    return np.asarray(w / w.sum(), dtype=float)


# --------------------------------------------------------------------------------------------
# combining two weight vectors
# --------------------------------------------------------------------------------------------


def combine_weights(
    a: ArrayLike,
    b: ArrayLike,
    method: str = "multiplicative",
    alpha: float = 0.5,
) -> FloatArray:
    """Combine two weight vectors, e.g. subjective (AHP) and objective (entropy) weights.

    Both inputs are first normalised to sum to 1.

    * ``multiplicative``: :math:`w_j = a_j b_j / \\sum_k a_k b_k`
    * ``linear``: :math:`w_j = \\alpha a_j + (1 - \\alpha) b_j`, :math:`0 \\le \\alpha \\le 1`

    Raises :class:`MethodError` for vectors of different lengths, negative or non-finite
    entries, an all-zero vector, ``alpha`` outside [0, 1], or a multiplicative combination whose
    products are all zero (the two vectors put weight on different children only).

    References
    ----------
    e.g. Wang and Luo (2010), as :func:`cv`; the "combination weighting" (组合赋权) of Chinese
    index studies.
    """
    wa = np.asarray(a, dtype=float).ravel()
    wb = np.asarray(b, dtype=float).ravel()
    if wa.shape != wb.shape:
        raise MethodError(f"combine_weights: vectors of length {wa.size} and {wb.size}")
    for name, w in (("first", wa), ("second", wb)):
        if not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
            raise MethodError(f"combine_weights: the {name} vector must be finite, >= 0 and not all zero")
    wa, wb = wa / wa.sum(), wb / wb.sum()
    if method == "multiplicative":
        prod = wa * wb
        if prod.sum() <= 0:
            raise MethodError(
                "combine_weights: the products are all zero (no child has weight in both)",
                hint="use method=linear",
            )
        return np.asarray(prod / prod.sum(), dtype=float)
    if method == "linear":
        if not 0.0 <= alpha <= 1.0:
            raise MethodError(f"combine_weights: alpha must be in [0, 1], got {alpha}")
        return np.asarray(alpha * wa + (1.0 - alpha) * wb, dtype=float)
    raise MethodError(
        f"The combine 'method' must be one of {{multiplicative, linear}}. Got '{method}' instead."
    )


@register(
    "combine", stage="weight", params={"method": OneOf(("multiplicative", "linear")), "alpha": Interval(0, 1)}
)
def combine(
    values: FloatArray,
    ctx: WeightContext,
    *,
    first: str = "ahp",
    second: str = "entropy",
    method: str = "multiplicative",
    alpha: float = 0.5,
) -> FloatArray:
    """Combination weighting: two weight methods joined, e.g. AHP (subjective) and entropy.

    ``first`` and ``second`` are weight method strings; their weights are combined by
    :func:`combine_weights` — ``multiplicative`` (:math:`w_j \\propto a_j b_j`) or ``linear``
    (:math:`w_j = \\alpha a_j + (1-\\alpha) b_j`).

    Degenerate input: whatever the two methods raise; a multiplicative combination whose
    products are all zero is an error (use ``linear``).

    References
    ----------
    The "combination weighting" (组合赋权) of Chinese index studies, e.g. Wang and Luo (2010).
    """
    from mfgindex.methods.registry import resolve

    calls = []
    for key, spec in (("first", first), ("second", second)):
        call = resolve("weight", spec)
        if call.name == "combine":
            raise MethodError(f"combine: '{key}' cannot itself be 'combine'")
        calls.append(call)
    a, b = (call(values, ctx) for call in calls)
    return combine_weights(a, b, method=method, alpha=alpha)
