"""Sobol sensitivity estimators on a Saltelli design (usable on any model)."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["estimate", "saltelli_sample", "sobol_estimate"]


def saltelli_sample(
    n: int, d: int, *, seed: int | np.random.Generator | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The A and B matrices ``(n, d)`` of a Saltelli design: a scrambled Sobol' sequence of
    dimension ``2d`` (``scipy.stats.qmc.Sobol``), its first ``d`` columns A, the rest B.

    ``n`` need not be a power of 2 (scipy warns that the balance properties are then lost; the
    estimators stay consistent, so the warning is silenced).
    """
    from scipy.stats import qmc

    engine = qmc.Sobol(d=2 * d, scramble=True, seed=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        points = engine.random(n)
    return points[:, :d], points[:, d:]


def sobol_estimate(
    y_a: np.ndarray,
    y_b: np.ndarray,
    y_ab: np.ndarray,
    *,
    names: Sequence[str] | None = None,
    n_boot: int = 1000,
    confidence: float = 0.90,
    seed: int | np.random.Generator | None = None,
) -> pd.DataFrame:
    r"""First-order (Saltelli 2010) and total-order (Jansen 1999) Sobol indices from a Saltelli
    design, with percentile bootstrap intervals.

    Parameters
    ----------
    y_a, y_b
        ``(N,)`` model outputs on the rows of A and B.
    y_ab
        ``(N, d)``: column :math:`i` is the output on :math:`A_B^{(i)}`.
    names
        The inputs' names (default ``x1`` … ``xd``).
    n_boot, confidence
        Resamples (with replacement) of the N tuples — the same resample for A, B and every
        :math:`A_B^{(i)}`, and the variance recomputed — and the two-sided interval level.

    Returns
    -------
    DataFrame
        ``input``, ``first_order``, ``first_order_low``, ``first_order_high``,
        ``total_order``, ``total_order_low``, ``total_order_high``. Tuples with a NaN output
        are left out.
    """
    y_ab = np.asarray(y_ab, dtype=float)
    d = y_ab.shape[1]
    table, _, _ = estimate(
        np.asarray(y_a, float),
        np.asarray(y_b, float),
        y_ab,
        list(names or [f"x{i + 1}" for i in range(d)]),
        n_boot,
        confidence,
        np.random.default_rng(seed),
    )
    return table


def _indices(y_a: np.ndarray, y_b: np.ndarray, y_ab: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Estimates along the last-but-one axis: inputs ``(..., N)``, ``(..., N, d)``."""
    both = np.concatenate([y_a, y_b], axis=-1)
    var = np.var(both, axis=-1, ddof=1)
    # Centre the outputs first (Sobol' & Levitan 1999, as scipy.stats.sobol_indices does): the
    # first-order estimator's expectation is unchanged, but without centring its sampling
    # noise grows with the output's mean — e.g. a unit's rank of ~47 that varies by ~1.5.
    mean = np.mean(both, axis=-1, keepdims=True)
    y_a, y_b, y_ab = y_a - mean, y_b - mean, y_ab - mean[..., None]
    with np.errstate(divide="ignore", invalid="ignore"):
        first = np.mean(y_b[..., None] * (y_ab - y_a[..., None]), axis=-2) / var[..., None]
        total = 0.5 * np.mean((y_a[..., None] - y_ab) ** 2, axis=-2) / var[..., None]
    return first, total, var


def estimate(
    y_a: np.ndarray,
    y_b: np.ndarray,
    y_ab: np.ndarray,
    names: Sequence[str],
    n_boot: int,
    confidence: float,
    rng: np.random.Generator,
) -> tuple[pd.DataFrame, float, int]:
    import pandas as pd

    ok = np.isfinite(y_a) & np.isfinite(y_b) & np.isfinite(y_ab).all(axis=1)
    y_a, y_b, y_ab = y_a[ok], y_b[ok], y_ab[ok]
    n = len(y_a)
    d = y_ab.shape[1]
    first = total = np.full(d, np.nan)
    var = float("nan")
    lo_f = hi_f = lo_t = hi_t = np.full(d, np.nan)
    if n >= 2:
        first, total, var_arr = _indices(y_a, y_b, y_ab)
        var = float(var_arr)
        if var > 0 and n_boot > 0:
            alpha = (1 - confidence) / 2
            fb, tb = [], []
            # resample in blocks so that a block's (b, N, d) temporary stays small
            block = max(1, (1 << 20) // max(1, n * d))
            for start in range(0, n_boot, block):
                idx = rng.integers(0, n, size=(min(block, n_boot - start), n))
                f, t, _ = _indices(y_a[idx], y_b[idx], y_ab[idx])
                fb.append(f)
                tb.append(t)
            fboot, tboot = np.concatenate(fb), np.concatenate(tb)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                lo_f, hi_f = np.nanquantile(fboot, [alpha, 1 - alpha], axis=0)
                lo_t, hi_t = np.nanquantile(tboot, [alpha, 1 - alpha], axis=0)
        if not var > 0:
            first = total = np.full(d, np.nan)
    table = pd.DataFrame(
        {
            "input": list(names),
            "first_order": first,
            "first_order_low": lo_f,
            "first_order_high": hi_f,
            "total_order": total,
            "total_order_low": lo_t,
            "total_order_high": hi_t,
        }
    )
    return table, var, n
