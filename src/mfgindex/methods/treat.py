"""Outlier treatment methods: one indicator at a time.

Contract (see :mod:`mfgindex.methods.base`)::

    f(x: (n,), *, params) -> Treatment

``x`` is one indicator's values (NaN = missing; missing cells stay missing and are never
flagged). The result carries the treated values, a flag per cell and a ``details`` mapping for
the provenance record.

Flags use COINr's labels (``Treat()``'s ``Treated_Points`` table), so a COINr user reads them
unchanged:

============== =====================================================================
``""``         untouched
``"winhi"``    winsorised at the high end (replaced by the next value down)
``"winlo"``    winsorised at the low end (replaced by the next value up)
``"log_CT"``   log-transformed with COINr's ``log_CT`` rule (see :func:`log`)
``"log_CT_neg"`` the mirrored ``log_CT`` of ``log_CT_plus`` for negatively skewed data
``"log_CT_orig"`` ``log(x - min + 1)``
``"log"``      plain natural log
``"boxcox"``   Box-Cox transformed
============== =====================================================================

Skewness and kurtosis are COINr's ``skew()`` / ``kurt()`` (R/treat.R), which copy
``e1071::skewness(type = 2)`` / ``e1071::kurtosis(type = 2)`` — the bias-adjusted *sample*
estimators G1 and G2 that Excel's ``SKEW`` / ``KURT`` use; the kurtosis is **excess** kurtosis
(0 for a normal distribution).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from mfgindex.errors import MethodError
from mfgindex.methods.base import FloatArray, Treatment
from mfgindex.methods.registry import Interval, OneOf, register

LOG_RULES = ("log_CT", "log_CT_plus", "log_CT_orig", "ln")
FALLBACKS = ("log_CT", "log_CT_plus", "log_CT_orig", "none")


# --------------------------------------------------------------------------------------------
# COINr's statistics
# --------------------------------------------------------------------------------------------


def skew(x: FloatArray) -> float:
    """Sample skewness G1, exactly as COINr's ``skew()`` (= ``e1071::skewness(type = 2)``).

    .. math::

        g_1 = \\frac{\\sqrt{n}\\,\\sum (x_i-\\bar x)^3}{\\left(\\sum (x_i-\\bar x)^2\\right)^{3/2}},
        \\qquad G_1 = g_1 \\frac{\\sqrt{n(n-1)}}{n-2}

    Missing values are dropped. Returns NaN with fewer than 3 values (COINr stops with an error)
    and for a constant vector (0/0, as in R).
    """
    v = np.asarray(x, dtype=float)
    v = v[~np.isnan(v)]
    n = v.size
    if n < 3:
        return float("nan")
    d = v - v.mean()
    d2 = d * d  # products, not d**3: numpy's general power is ~100x slower on large arrays
    m2 = float(np.sum(d2))
    if m2 == 0.0:
        return float("nan")
    g1 = np.sqrt(n) * float(np.dot(d2, d)) / m2**1.5
    return float(g1 * np.sqrt(n * (n - 1)) / (n - 2))


def kurtosis(x: FloatArray) -> float:
    """Sample excess kurtosis G2, exactly as COINr's ``kurt()`` (= ``e1071::kurtosis(type = 2)``).

    .. math::

        r = \\frac{n \\sum (x_i-\\bar x)^4}{\\left(\\sum (x_i-\\bar x)^2\\right)^2},
        \\qquad G_2 = \\frac{\\big((n+1)(r-3)+6\\big)(n-1)}{(n-2)(n-3)}

    Missing values are dropped. Returns NaN with fewer than 4 values (COINr stops with an error)
    and for a constant vector.
    """
    v = np.asarray(x, dtype=float)
    v = v[~np.isnan(v)]
    n = v.size
    if n < 4:
        return float("nan")
    d = v - v.mean()
    d2 = d * d
    m2 = float(np.sum(d2))
    if m2 == 0.0:
        return float("nan")
    r = n * float(np.dot(d2, d2)) / m2**2
    return float(((n + 1) * (r - 3) + 6) * (n - 1) / ((n - 2) * (n - 3)))


def _skew_kurtosis(x: FloatArray) -> tuple[float, float]:
    """:func:`skew` and :func:`kurtosis` in one pass over the values (the same operations, so
    the same numbers): the deviations and their squares are computed once."""
    v = np.asarray(x, dtype=float)
    v = v[~np.isnan(v)]
    n = v.size
    nan = float("nan")
    if n < 3:
        return nan, nan
    d = v - v.mean()
    d2 = d * d
    m2 = float(np.sum(d2))
    if m2 == 0.0:
        return nan, nan
    g1 = np.sqrt(n) * float(np.dot(d2, d)) / m2**1.5
    sk = float(g1 * np.sqrt(n * (n - 1)) / (n - 2))
    if n < 4:
        return sk, nan
    r = n * float(np.dot(d2, d2)) / m2**2
    return sk, float(((n + 1) * (r - 3) + 6) * (n - 1) / ((n - 2) * (n - 3)))


def _check(x: FloatArray, skew_max: float, kurt_max: float) -> tuple[bool | None, float, float]:
    # COINr's check_SkewKurt: pass when |skew| < skew_thresh OR kurt < kurt_thresh. NA (constant
    # column, too few values) makes COINr return the vector untreated; we return None for it.
    sk, kt = _skew_kurtosis(x)
    if np.isnan(sk) or np.isnan(kt):
        return None, sk, kt
    return bool(abs(sk) < skew_max or kt < kurt_max), sk, kt


# --------------------------------------------------------------------------------------------
# log rules
# --------------------------------------------------------------------------------------------


def _log_rule(x: FloatArray, rule: str) -> tuple[FloatArray, str]:
    """Apply one of COINr's log rules to ``x`` (NaN kept); returns values and the flag label."""
    present = x[~np.isnan(x)]
    lo, hi = float(present.min()), float(present.max())
    with np.errstate(divide="ignore", invalid="ignore"):
        if rule == "log_CT":
            return np.log(x - lo + 0.01 * (hi - lo)), "log_CT"
        if rule == "log_CT_plus":
            a = 0.01 * (hi - lo)
            if skew(x) > 0:
                return np.log(x - lo + a), "log_CT"
            return -np.log(hi + a - x), "log_CT_neg"
        if rule == "log_CT_orig":
            return np.log(x - lo + 1.0), "log_CT_orig"
        if rule == "ln":
            if lo <= 0:
                raise MethodError(
                    f"log(rule=ln) needs positive values; the smallest is {lo:g}",
                    hint="use log(rule=log_CT), which shifts the values first (COINr's rule)",
                )
            return np.log(x), "log"
    raise MethodError(f"The log 'rule' must be one of {{{', '.join(LOG_RULES)}}}. Got '{rule}' instead.")


def _flags(x: FloatArray, label: str = "") -> NDArray[np.object_]:
    flags = np.full(x.shape, "", dtype=object)
    if label:
        flags[~np.isnan(x)] = label
    return flags


def _as_vector(x: FloatArray) -> FloatArray:
    v = np.array(x, dtype=float, copy=True)
    if v.ndim != 1:
        raise MethodError(f"treat methods take one indicator (a 1-d array); got shape {v.shape}")
    return v


# --------------------------------------------------------------------------------------------
# methods
# --------------------------------------------------------------------------------------------


@register(
    "winsorize", stage="treat", params={"max_points": Interval(0, integer=True), "fallback": OneOf(FALLBACKS)}
)
def winsorize(
    x: FloatArray,
    *,
    max_points: int | None = 5,
    skew: float = 2.0,
    kurtosis: float = 3.5,
    fallback: str | None = "log_CT",
    force: bool = False,
    combine: bool = False,
) -> Treatment:
    """COINr's default outlier treatment: winsorise up to max_points, else log-transform.

    This is ``COINr::Treat()`` with its default specification (``f1 = "winsorise"``,
    ``f2 = "log_CT"``, ``f_pass = "check_SkewKurt"``), reproduced step by step from R/treat.R
    of COINr 1.1.14:

    1. **Check.** The indicator passes when ``|G1| < skew`` **or** ``G2 < kurtosis`` (G1, G2:
       :func:`skew`, :func:`kurtosis` — sample, bias-adjusted, excess kurtosis). A passing
       indicator is returned untouched.
    2. **Winsorise.** While it fails and fewer than ``max_points`` points are winsorised: if
       ``G1 >= 0`` every cell equal to the maximum is set to the largest *other* value (the next
       value in), else every cell equal to the minimum is set to the smallest other value. Ties
       are winsorised together, so the count can overshoot ``max_points`` (as in COINr); after a
       change of skew direction the count is COINr's (cells at the current high end plus cells
       at the current low end).
    3. **Fallback.** If it still fails, the ``fallback`` log rule is applied to the *original*
       values (COINr's ``combine_treat = FALSE``; set ``combine=true`` to log the winsorised
       values instead) and the winsorisation is discarded.

    Parameters
    ----------
    max_points
        COINr ``winmax``; ``None`` means no limit.
    skew, kurtosis
        COINr ``skew_thresh``, ``kurt_thresh``.
    fallback
        ``log_CT`` (COINr's default, ``log(x - min + 0.01 (max - min))``), ``log_CT_plus``,
        ``log_CT_orig`` (``log(x - min + 1)``) or ``none`` / None (keep the winsorised
        values).
    force
        COINr ``force_win``: winsorise ``max_points`` points whatever the check says.
    combine
        COINr ``combine_treat``.

    Returns
    -------
    Treatment
        Flags ``winhi`` / ``winlo`` on winsorised cells, or the fallback's label on every
        non-missing cell. ``details``: ``skew_before``, ``kurtosis_before``, ``passed_before``,
        ``points_winsorised``, ``skew_winsorised``, ``kurtosis_winsorised``,
        ``passed_winsorised``, ``transform`` (the fallback applied or None), ``skew_after``,
        ``kurtosis_after``, ``passed`` (final), ``note``. Steps not run hold NaN / None.

    Notes
    -----
    Degenerate input: fewer than 4 non-missing values, or a constant indicator, has no defined
    skew/kurtosis; it is returned untouched with ``passed = None`` and a note (COINr returns
    such vectors untreated with a warning). If winsorising makes the values constant, the loop
    stops there. Missing values are ignored throughout and stay missing.

    Difference from COINr: when the fallback runs, COINr labels cells ``winhi+log_CT`` /
    ``+log_CT`` although the winsorisation was discarded; we label every non-missing cell with
    the fallback's label only, which describes the values returned.

    References
    ----------
    COINr 1.1.14, R/treat.R: ``Treat.numeric``, ``winsorise``, ``check_SkewKurt``, ``skew``,
    ``kurt``, ``log_CT`` (Becker et al., EC JRC). OECD/JRC *Handbook on Constructing Composite
    Indicators* (2008), step 3 (outliers: skewness > 2 and kurtosis > 3.5).
    """
    skew_max, kurt_max = float(skew), float(kurtosis)
    fallback = _winsorize_args(max_points, fallback, force)
    x0 = _as_vector(x)
    nan = float("nan")
    details: dict[str, Any] = {
        "skew_before": nan,
        "kurtosis_before": nan,
        "passed_before": None,
        "points_winsorised": 0,
        "skew_winsorised": nan,
        "kurtosis_winsorised": nan,
        "passed_winsorised": None,
        "transform": None,
        "skew_after": nan,
        "kurtosis_after": nan,
        "passed": None,
        "note": "",
    }
    passed, sk, kt = _check(x0, skew_max, kurt_max)
    details.update(skew_before=sk, kurtosis_before=kt, passed_before=passed)
    if passed is None:
        details["note"] = "skew/kurtosis undefined (constant or fewer than 4 values): untreated"
        return Treatment(x0, _flags(x0), details)
    details.update(skew_after=sk, kurtosis_after=kt, passed=passed)
    if passed and not force:
        return Treatment(x0, _flags(x0), details)

    win = _winsorise_loop(x0, (passed, sk, kt), skew_max, kurt_max, max_points, force)
    if win.note:
        details["note"] = win.note
    flags = _flags(win.values)
    flags[win.high] = "winhi"
    flags[win.low] = "winlo"
    details.update(
        points_winsorised=win.count,
        skew_winsorised=win.skew,
        kurtosis_winsorised=win.kurtosis,
        passed_winsorised=win.passed,
        skew_after=win.skew,
        kurtosis_after=win.kurtosis,
        passed=win.passed,
    )
    if win.passed or fallback == "none":
        return Treatment(win.values, flags, details)

    # -- fallback: log-transform the original (or, with combine, the winsorised) values ------
    xl, label = _log_rule(win.values if combine else x0, fallback)
    ok2, sk2, kt2 = _check(xl, skew_max, kurt_max)
    flags2 = _flags(xl, label)
    if combine:
        # the winsorised cells were also changed: keep both marks, COINr-style
        flags2[win.high] = "winhi+" + label
        flags2[win.low] = "winlo+" + label
    details.update(transform=fallback, skew_after=sk2, kurtosis_after=kt2, passed=ok2)
    return Treatment(xl, flags2, details)


def _winsorize_args(max_points: int | None, fallback: str | None, force: bool) -> str:
    """Check winsorize's parameters (also when it is called directly); the fallback's name."""
    if fallback is None:  # a bare `none` in a method string reads as None
        fallback = "none"
    if fallback not in FALLBACKS:
        raise MethodError(
            f"The winsorize 'fallback' must be one of {{{', '.join(FALLBACKS)}}}. Got '{fallback}' instead."
        )
    if max_points is not None and (
        not isinstance(max_points, int | float) or isinstance(max_points, bool) or max_points < 0
    ):
        raise MethodError(f"winsorize: max_points must be a count >= 0, got {max_points!r}")
    if force and max_points is None:
        raise MethodError("winsorize: force=true needs a finite max_points")
    return fallback


@dataclass
class _Winsorised:
    values: FloatArray
    high: NDArray[np.intp]  # cells last set at the high end
    low: NDArray[np.intp]  # cells last set at the low end
    count: int
    passed: bool | None
    skew: float
    kurtosis: float
    note: str = ""


#: From this many values on, :func:`_winsorise_loop` updates power sums (O(1) per step after
#: one sort) instead of recomputing skew and kurtosis over every value at every step.
FAST_FROM = 10_000
#: ... and when more than this many cells may be winsorised: below it, the plain loop's few
#: passes per step cost less than the one sort.
FAST_STEPS = 16
#: A statistic of the power sums this close (relatively) to a threshold or to 0 is recomputed
#: exactly from the values, so every decision is the one of the two-pass formulas.
_NEAR = 1e-7


def _winsorise_loop(
    x0: FloatArray,
    start: tuple[bool | None, float, float],
    skew_max: float,
    kurt_max: float,
    max_points: int | None,
    force: bool,
) -> _Winsorised:
    """COINr's ``winsorise()``, kept step for step: while the indicator fails (or ``force``)
    and fewer than ``max_points`` cells are winsorised, pull in the end its skew points to.

    Large indicators (:data:`FAST_FROM` values or more) go through :func:`_winsorise_sorted`,
    which makes the same steps and reports the same statistics."""
    if np.count_nonzero(~np.isnan(x0)) >= FAST_FROM and (max_points is None or max_points > FAST_STEPS):
        return _winsorise_sorted(x0, start, skew_max, kurt_max, max_points, force)
    xw = x0.copy()
    out = _Winsorised(xw, np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.intp), 0, *start)
    while (not out.passed or force) and (max_points is None or out.count < max_points):
        present = ~np.isnan(xw)
        # COINr's skew(x) >= 0 picks the side: the skew of these very values, from the last
        # check (or the start), not computed again
        high = bool(out.skew >= 0)
        end = np.nanmax(xw) if high else np.nanmin(xw)
        cells = np.flatnonzero(present & (xw == end))
        rest = present.copy()
        rest[cells] = False
        if not rest.any():
            break
        xw[cells] = np.max(xw[rest]) if high else np.min(xw[rest])
        if high:
            out.high = cells
        else:
            out.low = cells
        out.count = out.high.size + out.low.size
        out.passed, out.skew, out.kurtosis = _check(xw, skew_max, kurt_max)
        if out.passed is None:
            out.note = "winsorising made the values constant: stopped"
            out.passed = False
            break
    return out


def _winsorise_sorted(
    x0: FloatArray,
    start: tuple[bool | None, float, float],
    skew_max: float,
    kurt_max: float,
    max_points: int | None,
    force: bool,
) -> _Winsorised:
    r""":func:`_winsorise_loop` in O(n log n) once, then O(1) per step.

    The present values are sorted once (:math:`s_0 \le \dots \le s_{n-1}`). Winsorising only
    ever sets the cells at an end to the next value in, so the current values are always: the
    sorted positions :math:`[0, l)` at one value :math:`v_l`, :math:`[l, h)` untouched, and
    :math:`[h, n)` at :math:`v_h`. A step moves :math:`l` or :math:`h` to the edge of the next
    run of equal values (the cells pulled in are the whole end run, ties together, as COINr).

    Skewness and kurtosis need the central sums :math:`M_p = \sum (x_i - \bar x)^p`,
    :math:`p = 2, 3, 4`. With :math:`d_i = s_i - c` (:math:`c` the mean of the original values)
    the power sums :math:`S_p = \sum d^p` of the current values are

    .. math::
        S_p = l\,(v_l - c)^p + \sum_{i=l}^{h-1} d_i^p + (n - h)(v_h - c)^p

    where the middle sum comes from cumulative sums taken from the median outwards (no
    difference of large partial sums, so no cancellation when an outlier leaves), and with
    :math:`\delta = S_1 / n`

    .. math::
        M_2 = S_2 - n\delta^2, \quad M_3 = S_3 - 3\delta S_2 + 2n\delta^3, \quad
        M_4 = S_4 - 4\delta S_3 + 6\delta^2 S_2 - 3n\delta^4,

    giving :math:`G_1` and :math:`G_2` as :func:`skew` and :func:`kurtosis` do. A value within
    a relative :data:`_NEAR` of a threshold (or a skew near 0, which picks the end) is
    recomputed from the values with the two-pass formulas, and so are the statistics reported
    at the end: the steps and the details are those of the plain loop.
    """
    ends = _SortedEnds(x0, skew_max, kurt_max)
    out = _Winsorised(x0, np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.intp), 0, *start)
    current = start
    while (not out.passed or force) and (max_points is None or out.count < max_points):
        if ends.constant():
            break  # no other value left (the loop's `not rest.any()`)
        if current[1] >= 0:  # the side COINr's skew(x) >= 0 picks
            out.high = ends.pull_high()
        else:
            out.low = ends.pull_low()
        out.count = out.high.size + out.low.size
        fast = ends.stats()
        checked = fast if fast is not None else _check(ends.values(), skew_max, kurt_max)
        out.passed, out.skew, out.kurtosis = checked
        if out.passed is None:
            out.note = "winsorising made the values constant: stopped"
            out.passed = False
            break
        current = checked  # the side of the next step: the sign of this skew
    out.values = ends.values()
    if out.count:  # the statistics reported are the two-pass ones, as the plain loop's
        final = _check(out.values, skew_max, kurt_max)
        if final[0] is not None:
            out.passed, out.skew, out.kurtosis = final
    return out


class _SortedEnds:
    """The state of :func:`_winsorise_sorted`: the sorted present values, the two end runs
    ``[0, lo)`` at ``v_lo`` and ``[hi, n)`` at ``v_hi``, and the power sums about ``c``."""

    def __init__(self, x0: FloatArray, skew_max: float, kurt_max: float) -> None:
        self.x0, self.skew_max, self.kurt_max = x0, skew_max, kurt_max
        self.present = np.flatnonzero(~np.isnan(x0))
        v = x0[self.present]
        self.order = np.argsort(v, kind="stable")
        self.srt = v[self.order]
        self.n = self.srt.size
        self.mid = self.n // 2
        self.up: list[FloatArray] = []
        self.down: list[FloatArray] = []
        self.c = 0.0
        self.centre(float(v.mean()))
        srt = self.srt
        self.lo = int(np.searchsorted(srt, srt[0], side="right"))  # end of the lowest run
        self.hi = int(np.searchsorted(srt, srt[-1], side="left"))  # start of the highest run
        self.v_lo, self.v_hi = float(srt[0]), float(srt[-1])

    def centre(self, at: float) -> None:
        """Power sums about ``at``, cumulative from the median outwards: ``up[p][k]`` is the
        sum of :math:`d^{p+1}` over ``[mid, mid + k)``, ``down[p][k]`` over ``[mid - k, mid)``."""
        self.c = at
        d = self.srt - at
        pw = [d, d * d]
        pw += [pw[1] * d, pw[1] * pw[1]]
        self.up = [np.concatenate([[0.0], np.cumsum(q[self.mid :])]) for q in pw]
        self.down = [np.concatenate([[0.0], np.cumsum(q[: self.mid][::-1])]) for q in pw]

    def constant(self) -> bool:
        return self.lo >= self.hi and self.v_lo == self.v_hi

    def values(self) -> FloatArray:
        """The current values, in the original cells."""
        xw = self.x0.copy()
        xw[self.present[self.order[: self.lo]]] = self.v_lo
        xw[self.present[self.order[self.hi :]]] = self.v_hi
        return xw

    def pull_high(self) -> NDArray[np.intp]:
        """Set the highest run to the next value down; the cells it held (original index)."""
        cells = np.sort(self.present[self.order[self.hi :]])
        if self.hi > self.lo:
            new = float(self.srt[self.hi - 1])
            self.hi = max(self.lo, int(np.searchsorted(self.srt, new, side="left")))
            self.v_hi = new
        else:  # only the two end runs are left: the top joins the bottom, all one value
            self.lo = self.hi = 0
            self.v_hi = self.v_lo
        return cells

    def pull_low(self) -> NDArray[np.intp]:
        """Set the lowest run to the next value up; the cells it held (original index)."""
        cells = np.sort(self.present[self.order[: self.lo]])
        if self.hi > self.lo:
            new = float(self.srt[self.lo])
            self.lo = min(self.hi, int(np.searchsorted(self.srt, new, side="right")))
            self.v_lo = new
        else:
            self.lo = self.hi = self.n
            self.v_lo = self.v_hi
        return cells

    def moments(self) -> tuple[float, float, float, float] | None:
        """``(delta, M2, M3, M4)`` of the current values from the power sums (None when the
        runs have passed the median); re-centred once when the mean has moved far."""
        for again in (True, False):
            lo, hi, n, c, mid = self.lo, self.hi, self.n, self.c, self.mid
            if not lo <= mid <= hi or lo >= hi:
                return None
            sums = [
                lo * (self.v_lo - c) ** (p + 1)
                + self.down[p][mid - lo]
                + self.up[p][hi - mid]
                + (n - hi) * (self.v_hi - c) ** (p + 1)
                for p in range(4)
            ]
            delta = sums[0] / n
            if n * delta * delta <= 1e-9 * sums[1]:
                m2 = sums[1] - n * delta * delta
                m3 = sums[2] - 3 * delta * sums[1] + 2 * n * delta**3
                m4 = sums[3] - 4 * delta * sums[2] + 6 * delta**2 * sums[1] - 3 * n * delta**4
                return delta, m2, m3, m4
            if again:  # an outlier left: re-centre, so the central sums are no small
                self.centre(c + delta)  # differences of large power sums
        return None

    def stats(self) -> tuple[bool | None, float, float] | None:
        """The check (pass, G1, G2) from the power sums; None when it must be exact (near a
        threshold, a skew near 0, or no usable sums)."""
        got = self.moments()
        if got is None or not got[1] > 0:
            return None
        n = self.n
        _, m2, m3, m4 = got
        sk = float(np.sqrt(n) * m3 / m2**1.5 * np.sqrt(n * (n - 1)) / (n - 2))
        r = n * m4 / m2**2
        kt = float(((n + 1) * (r - 3) + 6) * (n - 1) / ((n - 2) * (n - 3)))
        near = (
            abs(abs(sk) - self.skew_max) <= _NEAR * max(1.0, self.skew_max)
            or abs(kt - self.kurt_max) <= _NEAR * max(1.0, abs(self.kurt_max))
            or abs(sk) <= _NEAR
        )
        if near or not (np.isfinite(sk) and np.isfinite(kt)):
            return None
        return bool(abs(sk) < self.skew_max or kt < self.kurt_max), sk, kt


def _skew_nonneg(x: FloatArray) -> bool:
    # COINr: `if (skew(x, na.rm = TRUE) >= 0)` decides the side; NaN skew cannot happen here
    # because a constant vector stops the loop before.
    return bool(skew(x) >= 0)


@register("log", stage="treat", params={"rule": OneOf(LOG_RULES)})
def log(x: FloatArray, *, rule: str = "log_CT") -> Treatment:
    """Log-transform one indicator, shifting it first by one of COINr's rules.

    ===============  ===================================================  ===========
    ``rule``         formula (min/max over the non-missing values)        flag
    ===============  ===================================================  ===========
    ``log_CT``       :math:`\\ln(x - \\min x + 0.01(\\max x - \\min x))`  ``log_CT``
    ``log_CT_plus``  as ``log_CT`` if G1 > 0, else
                     :math:`-\\ln(\\max x + a - x)`, a = 0.01(max − min)   ``log_CT_neg``
    ``log_CT_orig``  :math:`\\ln(x - \\min x + 1)`                         ``log_CT_orig``
    ``ln``           :math:`\\ln x` (positive values only)                ``log``
    ===============  ===================================================  ===========

    ``log_CT`` is COINr's default second-stage treatment ("COIN Tool log"): it works for zero
    and negative values, maps the minimum to ln(0.01 (max − min)) and keeps the order.

    Degenerate input: a constant indicator (or one with no values) is returned untouched with a
    note, because the shifts divide its range (``log_CT`` would give −inf). ``ln`` on values
    ≤ 0 raises :class:`MethodError`. ``details``: ``rule``, skew/kurtosis before and after.

    References
    ----------
    COINr 1.1.14, R/treat.R: ``log_CT``, ``log_CT_plus``, ``log_CT_orig``.
    """
    if rule not in LOG_RULES:
        raise MethodError(f"The log 'rule' must be one of {{{', '.join(LOG_RULES)}}}. Got '{rule}' instead.")
    x0 = _as_vector(x)
    details: dict[str, Any] = {
        "rule": rule,
        "skew_before": skew(x0),
        "kurtosis_before": kurtosis(x0),
        "note": "",
    }
    present = x0[~np.isnan(x0)]
    if present.size == 0 or present.min() == present.max():
        details.update(
            skew_after=details["skew_before"],
            kurtosis_after=details["kurtosis_before"],
            note="constant or empty indicator: untreated",
        )
        return Treatment(x0, _flags(x0), details)
    values, label = _log_rule(x0, rule)
    details.update(skew_after=skew(values), kurtosis_after=kurtosis(values))
    return Treatment(values, _flags(x0, label), details)


@register("boxcox", stage="treat")
def boxcox(x: FloatArray, *, lmbda: float | None = None) -> Treatment:
    """Box-Cox transform one indicator (scipy.stats.boxcox); positive values only.

    .. math::

        y = \\frac{x^\\lambda - 1}{\\lambda}\\ (\\lambda \\ne 0), \\qquad
        y = \\ln x\\ (\\lambda = 0)

    With ``lmbda=None`` λ is fitted by maximum likelihood on the non-missing values (scipy's
    default); otherwise the given λ is used. Box-Cox is defined for **positive data only**: a
    value ≤ 0 raises :class:`MethodError` (shift the data first, or use ``log(rule=log_CT)``).

    Degenerate input: a constant indicator or one with fewer than 2 values cannot be fitted and
    is returned untouched with a note. ``details``: ``lmbda`` (used), skew/kurtosis before and
    after. Flags: ``boxcox`` on every non-missing cell.

    References
    ----------
    Box, G.E.P. and Cox, D.R. (1964), An analysis of transformations, JRSS B 26(2), 211–252.
    """
    from scipy import stats

    if lmbda is not None and (not isinstance(lmbda, int | float) or isinstance(lmbda, bool)):
        raise MethodError(f"boxcox: lmbda must be a number or None, got {lmbda!r}")
    x0 = _as_vector(x)
    mask = ~np.isnan(x0)
    present = x0[mask]
    if present.size and present.min() <= 0:
        raise MethodError(
            f"boxcox needs positive values; the smallest is {present.min():g}",
            hint="use log(rule=log_CT), which shifts the values first, or shift the data",
        )
    details: dict[str, Any] = {
        "lmbda": lmbda,
        "skew_before": skew(x0),
        "kurtosis_before": kurtosis(x0),
        "note": "",
    }
    if present.size < 2 or present.min() == present.max():
        details.update(
            skew_after=details["skew_before"],
            kurtosis_after=details["kurtosis_before"],
            note="constant indicator or fewer than 2 values: untreated",
        )
        return Treatment(x0, _flags(x0), details)
    out = x0.copy()
    if lmbda is None:
        transformed, fitted = stats.boxcox(present)
        details["lmbda"] = float(fitted)
    else:
        transformed = stats.boxcox(present, lmbda=float(lmbda))
    out[mask] = transformed
    details.update(skew_after=skew(out), kurtosis_after=kurtosis(out))
    return Treatment(out, _flags(x0, "boxcox"), details)
