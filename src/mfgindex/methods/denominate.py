r"""Denomination methods: turn indicators into ratios of a size variable (per capita, per GDP).

Contract (see :mod:`mfgindex.methods.base`)::

    f(x: (n, m), denominators: (n, m), *, params) -> (n, m)

``denominators[:, j]`` holds the denominator of indicator ``j`` for every unit, or is all NaN
when indicator ``j`` has none (it then passes through unchanged).

References: COINr (EU JRC), R source ``R/denominate.R`` (``Denominate``: indicator divided by
its ``iMeta`` denominator column); OECD/JRC *Handbook on Constructing Composite Indicators*
(2008), section 1.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mfgindex.errors import MethodError
from mfgindex.methods.base import FloatArray
from mfgindex.methods.registry import register

__all__ = ["ratio"]


@register("ratio", stage="denominate")
def ratio(x: FloatArray, denominators: FloatArray, *, scale: float = 1.0) -> FloatArray:
    r"""Ratio: each value divided by its denominator, times ``scale``.

    .. math:: y = \frac{x}{d}\,\text{scale}

    ``scale`` expresses the ratio in convenient units, e.g. ``ratio(scale=10000)`` for "per
    10 000 people".

    Degenerate input
        * An indicator whose denominator column is all NaN has no denominator: its values pass
          through unchanged (not scaled).
        * A missing denominator for one unit (NaN cell in a column that has others) gives NaN:
          the ratio is unknown.
        * A zero denominator gives NaN (COINr gives ±Inf, or NaN for 0/0); a ratio to nothing
          is not a measurement, and infinities would wreck min-max normalisation.

    References
    ----------
    COINr ``Denominate`` (``x / denominator``).
    """
    xa = np.asarray(x, dtype=np.float64)
    da = np.asarray(denominators, dtype=np.float64)
    if xa.ndim != 2 or da.shape != xa.shape:
        raise MethodError(
            f"denomination needs values and denominators of the same 2-D shape; got {xa.shape} and {da.shape}"
        )
    if not np.isfinite(scale) or scale == 0:
        raise MethodError(f"ratio: 'scale' must be a non-zero number, got {scale}")
    no_denominator: Any = np.isnan(da).all(axis=0)  # (m,)
    ok = np.isfinite(da) & (da != 0)
    out = np.full(xa.shape, np.nan)
    np.divide(xa, da, out=out, where=ok)
    out *= scale
    return np.where(no_denominator[None, :], xa, out)
