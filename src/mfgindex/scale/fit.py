r"""Partition-wise fitting: normalisers and weights learnt by reductions over partitions.

A method declares what it learns from the data with the registry's ``reduce`` trait
(:class:`mfgindex.methods.registry.Method`); this module computes that from partitions and
builds the same :class:`~mfgindex.methods.base.Fit` as the in-memory path:

* ``"none"`` — the fit learns nothing (goalposts; the framework's weights): the method is
  called on an empty ``(0, m)`` reference.
* ``"extremes"`` — the fit depends on each column's minimum and maximum only (NaN ignored): the
  method is called on the two-row reference ``[min; max]``, which has the same extremes as the
  whole data, so the fit is *identical* (min-max, dist2max, fracmax, dist2target).
* ``"moments"`` — standardisation (z-scores): each column's count :math:`n`, mean
  :math:`\bar x` and sum of squared deviations :math:`M_2 = \sum (x - \bar x)^2`, merged over
  partitions with the pairwise update of Chan, Golub & LeVeque (1979):

  .. math::
      n = n_a + n_b,\quad \delta = \bar x_b - \bar x_a,\quad
      \bar x = \bar x_a + \delta\,\frac{n_b}{n},\quad
      M_2 = M_{2,a} + M_{2,b} + \delta^2\,\frac{n_a n_b}{n}

  and :math:`s = \sqrt{M_2 / (n - 1)}`, R's sample standard deviation, as the in-memory
  ``zscore`` (two-pass within each partition). Equal to it up to rounding (~1e-15 relative).

A method whose fit needs every value at once (``reduce`` None: ranks, percentiles, entropy or
PCA weights) cannot run partition-wise: :func:`check_plan` names it.

References
----------
Chan, T. F., Golub, G. H. & LeVeque, R. J. (1979). *Updating formulae and a pairwise algorithm
for computing sample variances.* Stanford CS report STAN-CS-79-773.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from mfgindex.errors import MethodError
from mfgindex.methods.base import Fit, FloatArray
from mfgindex.methods.registry import MethodCall, is_none, methods, resolve
from mfgindex.pipeline.tree import run_method

if TYPE_CHECKING:
    from mfgindex.pipeline.plan import Plan

__all__ = ["ColumnStats", "check_plan", "fit_normaliser", "partition_stats"]


@dataclass(frozen=True)
class ColumnStats:
    """Per-column summaries of ``(n, m)`` values, NaN ignored: what a partition-wise fit needs.

    Attributes
    ----------
    count, mean, m2
        Number of values, their mean (NaN when none) and sum of squared deviations from it.
    low, high
        Minimum and maximum (NaN when none).
    """

    count: FloatArray
    mean: FloatArray
    m2: FloatArray
    low: FloatArray
    high: FloatArray

    def merge(self, other: ColumnStats) -> ColumnStats:
        """The summaries of both sets of rows (Chan et al.'s pairwise update)."""
        na, nb = self.count, other.count
        n = na + nb
        with np.errstate(invalid="ignore", divide="ignore"):
            delta = other.mean - self.mean
            mean = self.mean + delta * (nb / n)
            m2 = self.m2 + other.m2 + delta * delta * (na * nb / n)
        mean = np.where(na == 0, other.mean, np.where(nb == 0, self.mean, mean))
        m2 = np.where(na == 0, other.m2, np.where(nb == 0, self.m2, m2))
        return ColumnStats(n, mean, m2, np.fmin(self.low, other.low), np.fmax(self.high, other.high))


def partition_stats(x: FloatArray) -> ColumnStats:
    """:class:`ColumnStats` of one partition's ``(n, m)`` values (two passes, as R's ``var``)."""
    present = ~np.isnan(x)
    count = present.sum(axis=0).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(present, x, 0.0).sum(axis=0) / count
        resid = np.where(present, x - mean, 0.0)
    m2 = np.einsum("ij,ij->j", resid, resid)
    low = np.fmin.reduce(x, axis=0, initial=np.nan)
    high = np.fmax.reduce(x, axis=0, initial=np.nan)
    return ColumnStats(count, mean, m2, low, high)


def merge_all(parts: Sequence[ColumnStats]) -> ColumnStats:
    """The summaries of every partition, merged in order."""
    if not parts:
        raise ValueError("no partitions to merge")
    total = parts[0]
    for p in parts[1:]:
        total = total.merge(p)
    return total


def _partitionable(stage: str) -> str:
    names = [m.name for m in methods(stage) if m.reduce is not None]
    return ", ".join(names)


def _not_partitionable(stage: str, call: MethodCall, where: str, why: str) -> str:
    return f"{stage} '{call.spec()}' ({where}): {why}"


def fit_normaliser(call: MethodCall, stats: ColumnStats, ctx: Any, what: str) -> Fit:
    """The :class:`Fit` of normaliser ``call`` from the reduced ``stats`` of its columns.

    Equal to ``call(ref, ctx)`` on the whole reference ``ref`` whose summaries ``stats`` are
    (identical for ``"none"`` and ``"extremes"``; to rounding for ``"moments"``).

    Raises
    ------
    MethodError
        The method's ``reduce`` trait is None: its fit needs every value at once.
    """
    reduce = call.method.reduce
    m = stats.count.shape[0]
    if reduce is None:
        raise MethodError(
            f"normalisation '{call.spec()}' cannot run partition-wise: its fit needs every "
            f"value of an indicator at once ({what})",
            hint=f"on the Dask path choose one of {_partitionable('normalize')}; or score "
            "in memory (--engine memory)",
        )
    if reduce == "none":
        fit: Fit = run_method(call, what, np.empty((0, m)), ctx)
        return fit
    extremes = np.vstack([stats.low, stats.high])
    fit = run_method(call, what, extremes, ctx)  # also checks the parameters, as in memory
    if reduce == "extremes":
        return fit
    return _standardise(call, stats)


def _standardise(call: MethodCall, stats: ColumnStats) -> Fit:
    r""":math:`y = (x - \bar x) / s \cdot \text{sd} + \text{mean}` with the method's target
    ``mean`` and ``sd``; NaN columns where :math:`s` is undefined (fewer than two values, or
    all equal: tested exactly, max = min), as the in-memory ``zscore``."""
    params = call.method.params
    target_mean = float(call.kwargs.get("mean", params["mean"].default))
    target_sd = float(call.kwargs.get("sd", params["sd"].default))
    count = stats.count
    with np.errstate(invalid="ignore", divide="ignore"):
        s = np.sqrt(stats.m2 / (count - 1))
    constant = ~(stats.high > stats.low)
    s = np.where(constant | (count < 2), np.nan, s)
    mu = np.where(count < 1, np.nan, stats.mean)
    m = count.shape[0]

    def apply(x: FloatArray) -> FloatArray:
        arr = np.asarray(x, dtype=np.float64)
        if arr.ndim != 2 or arr.shape[1] != m:
            raise MethodError(
                f"the normaliser was fitted on {m} indicator(s) but is applied "
                f"to an array of shape {arr.shape}"
            )
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.asarray((arr - mu) / s * target_sd + target_mean, dtype=np.float64)

    return Fit(apply=apply, fitted={"mean": mu, "sd": s})


def check_plan(plan: Plan) -> None:
    """Raise one :class:`MethodError` listing every choice of ``plan`` that cannot run
    partition-wise: imputation, screening and treatment (they learn from all units at once —
    do them before), a normaliser or weight method whose ``reduce`` trait is None, an
    aggregator that is not ``row_wise`` (Copeland, TOPSIS, VIKOR, BoD compare units), and a
    ``dtype`` other than float64 (the partitions are scored in float64)."""
    problems = [
        *_learning_steps(plan),
        *_unreduced_normalisers(plan),
        *_unreduced_weights(plan),
        *_not_row_wise(plan),
    ]
    if plan.choices.dtype is not None:  # None: float64
        problems.append(
            f"dtype '{plan.choices.dtype}': the Dask path scores in float64 (it holds one "
            "partition at a time, so its memory is bounded already); leave dtype out"
        )
    if problems:
        raise MethodError(
            f"{len(problems)} choice{'s' if len(problems) != 1 else ''} cannot run "
            "partition-wise on the Dask path",
            problems=problems,
            hint="change these choices, or score in memory (--engine memory) if the data fits",
        )


def _learning_steps(plan: Plan) -> list[str]:
    """The imputation, screening and treatment ``plan`` runs: each learns from every unit."""
    fw, ch = plan.framework, plan.choices
    problems: list[str] = []
    for stage in ("impute", "screen"):
        spec = ch.method(stage) or fw.default(stage)
        if spec is not None and not is_none(spec):
            call = resolve(stage, spec)
            problems.append(
                _not_partitionable(
                    stage,
                    call,
                    "every unit",
                    f"it learns from other units; do it before scoring at scale, or --{stage} none",
                )
            )
    run_treat = ch.treat or fw.default("treat")
    treated: dict[str, list[str]] = {}
    for ind in fw.indicators:
        spec = ind.treat if ind.treat is not None else run_treat
        if spec is not None and not is_none(spec):
            treated.setdefault(resolve("treat", spec).spec(), []).append(ind.id)
    for spec, ids in treated.items():
        problems.append(
            f"treat '{spec}' (indicator(s) {_listed(ids)}): it learns from the "
            "whole distribution (skew, kurtosis, outliers); treat the data before "
            "scoring at scale, or --treat none"
        )
    return problems


def _unreduced_normalisers(plan: Plan) -> list[str]:
    """The normalisers of ``plan`` with no ``reduce`` trait (their fit needs every value)."""
    problems: list[str] = []
    for spec, ids in _normalisers(plan).items():
        if is_none(spec):
            continue
        call = resolve("normalize", spec)
        if call.method.reduce is None:
            problems.append(
                _not_partitionable(
                    "normalize",
                    call,
                    f"indicator(s) {_listed(ids)}",
                    "its fit needs every value of an indicator at once (ranks); partition-wise "
                    f"normalisers: {_partitionable('normalize')}",
                )
            )
    return problems


def _unreduced_weights(plan: Plan) -> list[str]:
    """The weight methods of ``plan`` that derive weights from the data (one line per method,
    naming its groups)."""
    derived: dict[str, tuple[MethodCall, list[str]]] = {}
    for group, call in plan.weight_calls.items():
        if call.method.reduce is None:
            derived.setdefault(call.spec(), (call, []))[1].append(group)
    return [
        _not_partitionable(
            "weights",
            call,
            f"group(s) {_listed(groups)}",
            "it derives weights from every "
            f"unit's values; partition-wise weights: {_partitionable('weight')}",
        )
        for call, groups in derived.values()
    ]


def _not_row_wise(plan: Plan) -> list[str]:
    """The aggregators of ``plan`` that compare units (one line per method, naming its
    groups)."""
    refused: dict[str, tuple[MethodCall, list[str]]] = {}
    for group, call in plan.aggregate_calls.items():
        if not call.method.row_wise:
            refused.setdefault(call.spec(), (call, []))[1].append(group)
    return [
        _not_partitionable(
            "aggregate",
            call,
            f"group(s) {_listed(groups)}",
            "a unit's score depends on the "
            "other units' values (ideal points, pairwise comparisons, a frontier), so it is "
            "not row-local; row-wise aggregators: "
            + ", ".join(m.name for m in methods("aggregate") if m.row_wise),
        )
        for call, groups in refused.values()
    ]


def _normalisers(plan: Plan) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for ind, spec in zip(plan.framework.indicators, plan.normalization_specs(), strict=True):
        out.setdefault(spec, []).append(ind.id)
    return out


def _listed(ids: Sequence[str]) -> str:
    shown = ", ".join(f"'{i}'" for i in ids[:5])
    return shown + (f" and {len(ids) - 5} more" if len(ids) > 5 else "")
