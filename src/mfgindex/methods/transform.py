r"""Transform methods: a fixed, per-indicator change of scale applied before normalising.

Contract (see :mod:`mfgindex.methods.base`)::

    f(x: (n,), *, params) -> (n,)

A framework names them per indicator (``transform = "log"``); ``"none"`` is not a method — the
pipeline skips the stage. NaN passes through. Goalposts and targets in the indicator's own
units go through the same transform (``ColumnContext.orient``).

Values outside a transform's domain raise :class:`MethodError` with their count rather than
turning silently into NaN or -Inf: a log of a zero is a modelling decision (shift? ``log1p``?)
that the user should make. The pipeline asks :func:`outside_domain` first and treats those
cells as bad cells (docs/troubleshooting.md): each one's unit scores NaN on the indicator and every node above
it, with a warning naming the units; ``--strict`` makes it an error.

References: OECD/JRC *Handbook on Constructing Composite Indicators* (2008), section 4 (skewed
indicators); COINr's ``Treat`` log option is a *treatment* (conditional on skew), not this.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mfgindex.errors import MethodError
from mfgindex.methods.base import FloatArray
from mfgindex.methods.registry import register

__all__ = ["DOMAIN_HINT", "log", "log1p", "log10", "outside_domain", "sqrt"]

#: What to do about values outside a transform's domain (the pipeline's warning repeats it).
DOMAIN_HINT = {
    "log": "shift the data so every value is positive, use transform = 'log1p' for data with "
    "zeros, or the log-safe treatment treat = 'log(rule=log_CT)' (COINr's log_CT) instead "
    "of the transform",
    "log10": "shift the data so every value is positive, use transform = 'log1p' for data with "
    "zeros, or the log-safe treatment treat = 'log(rule=log_CT)' (COINr's log_CT)",
    "log1p": "shift the data so every value exceeds -1, or use the log-safe treatment "
    "treat = 'log(rule=log_CT)' (COINr's log_CT)",
    "sqrt": "shift the data so no value is negative",
}
_OUTSIDE = {
    "log": lambda x: x <= 0,
    "log10": lambda x: x <= 0,
    "log1p": lambda x: x <= -1,
    "sqrt": lambda x: x < 0,
}
_DOMAIN = {"log": "> 0", "log10": "> 0", "log1p": "> -1", "sqrt": ">= 0"}


def outside_domain(name: str, x: Any) -> tuple[np.ndarray, str, str] | None:
    """The cells of ``x`` outside transform ``name``'s domain, or None when there are none.

    Returns
    -------
    (mask, domain, hint) or None
        ``mask`` a boolean array like ``x`` (NaN is never outside); ``domain`` as text
        (``"> 0"``); ``hint`` the fix (:data:`DOMAIN_HINT`). None for a method with no
        restricted domain, or when every value is inside.
    """
    test = _OUTSIDE.get(name)
    if test is None:
        return None
    arr = np.asarray(x, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        mask = np.asarray(test(arr), dtype=bool) & ~np.isnan(arr)
    if not mask.any():
        return None
    return mask, _DOMAIN[name], DOMAIN_HINT[name]


def _column(x: Any) -> FloatArray:
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim != 1:
        raise MethodError(f"a transform takes one indicator's values (1-D); got shape {arr.shape}")
    return arr


def _check_domain(x: FloatArray, bad: Any, name: str, domain: str, hint: str) -> None:
    count = int(np.count_nonzero(bad))
    if count:
        worst = float(np.min(x[bad]))
        raise MethodError(
            f"transform '{name}' needs values {domain}, but {count} value(s) are not (smallest {worst:g})",
            hint=hint,
        )


@register("log", stage="transform")
def log(x: FloatArray) -> FloatArray:
    r"""Natural logarithm, ln x; values must be positive.

    .. math:: y = \ln x

    Degenerate input
        Values ≤ 0 raise :class:`MethodError` giving their count; use ``log1p`` for data with
        zeros, or shift the data first. NaN stays NaN.
    """
    arr = _column(x)
    _check_domain(arr, arr <= 0, "log", "> 0", "use 'log1p' for data with zeros, or shift the data first")
    return np.log(arr)


@register("log1p", stage="transform")
def log1p(x: FloatArray) -> FloatArray:
    r"""Natural logarithm of one plus the value, ln(1 + x); for data with zeros.

    .. math:: y = \ln(1 + x)

    Degenerate input
        Values ≤ −1 raise :class:`MethodError` giving their count. NaN stays NaN.
    """
    arr = _column(x)
    _check_domain(arr, arr <= -1, "log1p", "> -1", "shift the data so every value exceeds -1")
    return np.log1p(arr)


@register("log10", stage="transform")
def log10(x: FloatArray) -> FloatArray:
    r"""Base-10 logarithm, log10 x; values must be positive.

    .. math:: y = \log_{10} x

    Degenerate input
        Values ≤ 0 raise :class:`MethodError` giving their count; use ``log1p`` for data with
        zeros, or shift the data first. NaN stays NaN.
    """
    arr = _column(x)
    _check_domain(arr, arr <= 0, "log10", "> 0", "use 'log1p' for data with zeros, or shift the data first")
    return np.log10(arr)


@register("sqrt", stage="transform")
def sqrt(x: FloatArray) -> FloatArray:
    r"""Square root; a milder compression than the logarithm.

    .. math:: y = \sqrt{x}

    Degenerate input
        Negative values raise :class:`MethodError` giving their count. NaN stays NaN.
    """
    arr = _column(x)
    _check_domain(arr, arr < 0, "sqrt", ">= 0", "shift the data so no value is negative")
    return np.sqrt(arr)
