"""The results of an uncertainty and a sensitivity analysis."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

    from mfgindex.framework import Framework

__all__ = [
    "QUANTILES",
    "SensitivityResult",
    "UncertaintyResult",
    "rank_statistics",
    "rank_statistics_from_counts",
]


@dataclass(frozen=True)
class UncertaintyResult:
    """Rank distributions of every unit over the Monte Carlo runs.

    Attributes
    ----------
    units, names
        ``(n,)`` unit ids and names (None when the data has no name column).
    nominal_scores, nominal_ranks
        ``(n,)`` the index under the base choices (equal to :func:`mfgindex.compute`'s).
    scores, ranks
        ``(runs, n)`` the index and its rank in every run (NaN: unranked, or an invalid run),
        kept only when asked (``keep_runs=True``; else reading them raises a
        :class:`~mfgindex.errors.UsageError` that says so): ``run_scores`` / ``run_ranks``.
    rank_counts
        ``(n, n)`` integers: ``rank_counts[u, k - 1]`` is the number of valid runs in which
        unit ``u`` ranked ``k``. Every rank statistic of :meth:`summary` follows from them
        exactly, in memory independent of the number of runs. None when ``n²`` integers do
        not fit the memory budget (the per-run table is kept instead).
    runs
        One row per run: the sampled choice of each varied input (``weights`` is the number of
        the weight draw, see ``weight_factors``), and ``valid``.
    weight_factors
        One row per weight draw, one column per weight-carrying node: the factor its weight was
        multiplied by (1 where not perturbed). None when weights do not vary.
    invalid
        One row per combination with invalid runs: its choices, how many runs, the groups and
        units refused and why. Empty when every run is valid.
    warnings
        Human-readable notes: invalid runs, the year analysed, …
    provenance
        Everything needed to reproduce the analysis (spec, seed, base methods, versions).
    """

    framework: Framework
    units: np.ndarray
    names: np.ndarray | None
    nominal_scores: np.ndarray
    nominal_ranks: np.ndarray
    runs: pd.DataFrame
    weight_factors: pd.DataFrame | None
    invalid: pd.DataFrame
    warnings: tuple[str, ...]
    provenance: Mapping[str, Any]
    rank_counts: np.ndarray | None = None
    run_scores: np.ndarray | None = None
    run_ranks: np.ndarray | None = None

    @property
    def valid(self) -> np.ndarray:
        return self.runs["valid"].to_numpy(dtype=bool)

    @property
    def scores(self) -> np.ndarray:
        """``(runs, n)`` the index in every run (kept with ``keep_runs=True``)."""
        return _kept(self.run_scores, "scores")

    @property
    def ranks(self) -> np.ndarray:
        """``(runs, n)`` the index's rank in every run (kept with ``keep_runs=True``)."""
        return _kept(self.run_ranks, "ranks")

    def summary(self) -> pd.DataFrame:
        """Per unit: ``nominal_rank``, ``median_rank``, ``q05_rank``, ``q95_rank``,
        ``mean_abs_shift`` over the valid runs.

        Quantiles interpolate linearly between order statistics (R's default, type 7, as COINr's
        ``RankStats``); the shift is :math:`\\frac{1}{R}\\sum_r |\\text{rank}_r - \\text{rank}_0|`
        over the runs where the unit is ranked.

        Computed from :attr:`rank_counts` when present — exactly the numbers of the per-run
        table (:func:`rank_statistics_from_counts`) — else from the kept table.
        """
        import pandas as pd

        if self.rank_counts is not None:
            median, q, shift = rank_statistics_from_counts(self.rank_counts, self.nominal_ranks)
        else:
            median, q, shift = rank_statistics(self.ranks[self.valid], self.nominal_ranks)
        fw = self.framework
        out = pd.DataFrame({fw.unit_column: self.units})
        if self.names is not None:
            out[fw.name_column or "name"] = self.names
        out["nominal_rank"] = pd.array(self.nominal_ranks, dtype="Float64").astype("Int64")
        out["median_rank"] = median
        out["q05_rank"] = q[0]
        out["q95_rank"] = q[1]
        out["mean_abs_shift"] = shift
        return out

    def _repr_html_(self) -> str:
        """The rank intervals of the first units, for notebooks."""
        from mfgindex.report.notebook import uncertainty_html

        return uncertainty_html(self)

    def to_frame(self) -> pd.DataFrame:
        """The summary, sorted by nominal rank (the output table of ``mfgindex uncertainty``)."""
        frame = self.summary()
        return frame.sort_values("nominal_rank", na_position="last", kind="stable").reset_index(drop=True)


def _kept(table: np.ndarray | None, name: str) -> np.ndarray:
    if table is None:
        from mfgindex.errors import UsageError

        raise UsageError(
            f"the per-run {name} were not kept: pass keep_runs=True "
            "(mfgindex uncertainty --keep-runs) to keep the (runs, units) table",
            hint="summary() and to_frame() need no per-run table: their rank "
            "statistics come from the rank counts",
        )
    return table


#: The quantiles of :meth:`UncertaintyResult.summary`.
QUANTILES = (0.05, 0.95)


def rank_statistics(ranks: np.ndarray, nominal: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Median, the :data:`QUANTILES` ``(2, n)`` and mean absolute shift from the nominal rank
    of each column of a ``(runs, n)`` rank table (NaN ignored): numpy's ``nanmedian``,
    ``nanquantile`` (linear, R type 7) and ``nanmean``."""
    n = ranks.shape[1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # units never ranked: NaN, quietly
        median = np.nanmedian(ranks, axis=0) if len(ranks) else np.full(n, np.nan)
        q = np.nanquantile(ranks, list(QUANTILES), axis=0) if len(ranks) else np.full((2, n), np.nan)
        shift = np.nanmean(np.abs(ranks - nominal), axis=0) if len(ranks) else np.full(n, np.nan)
    return median, q, shift


def rank_statistics_from_counts(
    counts: np.ndarray, nominal: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r""":func:`rank_statistics` from rank counts ``(n, n)`` (``counts[u, k-1]``: runs in which
    unit ``u`` ranked ``k``), with the same floating-point operations, so equal to the last bit.

    With :math:`N_u = \sum_k c_{uk}` ranked runs and :math:`x_{(0)} \le \dots \le
    x_{(N_u-1)}` the unit's sorted ranks, :math:`x_{(i)}` is the least :math:`k` with
    :math:`\sum_{j \le k} c_{uj} > i` (a search in the cumulative counts). Then

    * quantile :math:`p` (R type 7, numpy's ``linear``): :math:`h = (N_u - 1)p`,
      :math:`i = \lfloor h \rfloor`, :math:`g = h - i`,
      :math:`Q = x_{(i)} + g\,(x_{(i+1)} - x_{(i)})`, computed as numpy's ``_lerp`` does
      (:math:`x_{(i+1)} - (1 - g)(x_{(i+1)} - x_{(i)})` when :math:`g \ge 1/2`);
      :math:`x_{(N_u-1)}` when :math:`h \ge N_u - 1`;
    * median: :math:`(x_{(\lfloor (N_u-1)/2 \rfloor)} + x_{(\lceil (N_u-1)/2 \rceil)})/2`
      (exact: ranks are small integers);
    * mean absolute shift: :math:`\frac{1}{N_u}\sum_k c_{uk}\,|k - r_{0u}|`, the sum in
      integers (exact, as the float sum of integer-valued terms is), divided once.

    A unit never ranked gets NaN throughout; a unit without a nominal rank a NaN shift.

    References
    ----------
    Hyndman, R. J. and Fan, Y. (1996), "Sample quantiles in statistical packages", *The
    American Statistician* 50(4), 361–365 (type 7). numpy ``quantile(method="linear")``.
    """
    n = counts.shape[0]
    total = counts.sum(axis=1)
    cum = np.cumsum(counts, axis=1)
    ranked = total > 0

    def order_stat(i: np.ndarray) -> np.ndarray:
        """x_(i) per unit (i: (n,) ints, 0-based), as float."""
        out = np.full(n, np.nan)
        for u in np.flatnonzero(ranked):
            out[u] = float(np.searchsorted(cum[u], i[u], side="right") + 1)
        return out

    with np.errstate(invalid="ignore"):
        q = np.full((len(QUANTILES), n), np.nan)
        for row, p in enumerate(QUANTILES):
            virtual = (total - 1) * np.float64(p)  # numpy: (n - 1) * quantiles
            prev = np.floor(virtual)
            above = virtual >= total - 1
            i_prev = np.where(above, total - 1, prev).astype(np.int64)
            i_next = np.where(above, total - 1, prev + 1).astype(np.int64)
            a, b = order_stat(np.maximum(i_prev, 0)), order_stat(np.maximum(i_next, 0))
            gamma = virtual - np.where(above, -1, prev)
            diff = b - a
            lerp = a + diff * gamma
            lerp = np.where(gamma >= 0.5, b - diff * (1 - gamma), lerp)
            q[row] = np.where(ranked, lerp, np.nan)
        lo = order_stat(np.maximum((total - 1) // 2, 0))
        hi = order_stat(np.maximum(total // 2, 0))
        median = np.where(ranked, (lo + hi) / 2, np.nan)
        k = np.arange(1, n + 1)
        nominal = np.asarray(nominal, dtype=float)
        known = ~np.isnan(nominal)
        dist = np.abs(k[None, :] - np.where(known, nominal, 0).astype(np.int64)[:, None])
        sums = (counts * dist).sum(axis=1)
        shift = np.where(ranked & known, sums / np.maximum(total, 1), np.nan)
    return median, q, shift


@dataclass(frozen=True)
class SensitivityResult:
    """Sobol sensitivity indices of an output to each uncertain input.

    Attributes
    ----------
    indices
        One row per input: ``first_order`` (Saltelli 2010), ``total_order`` (Jansen 1999) and
        their bootstrap bounds ``_low`` / ``_high``.
    outputs
        ``(N (d + 2),)`` the output of every run, in the order A, B, AB₁ … AB_d.
    ranks
        ``(N (d + 2), n)`` every run's ranks (NaN: unranked, or an invalid run), same order;
        kept only with ``keep_runs=True`` (``run_ranks``; else reading it raises).
    variance
        The output's variance over the A and B runs.
    n
        Base sample size N; ``n_valid`` tuples were usable.
    output
        What the indices explain (e.g. "mean absolute rank shift").
    runs
        Every run: its ``matrix`` (A, B or AB:input), sampled choices, ``valid`` and ``output``.
    uncertainty
        Rank statistics from the 2N independent runs (A and B), as COINr reports them.
    """

    indices: pd.DataFrame
    outputs: np.ndarray
    run_ranks: np.ndarray | None
    variance: float
    n: int
    n_valid: int
    output: str
    runs: pd.DataFrame
    uncertainty: UncertaintyResult
    warnings: tuple[str, ...]
    provenance: Mapping[str, Any]

    @property
    def ranks(self) -> np.ndarray:
        """``(N (d + 2), n)`` every run's ranks (kept with ``keep_runs=True``)."""
        return _kept(self.run_ranks, "ranks")

    def _repr_html_(self) -> str:
        """The Sobol indices table, for notebooks."""
        from mfgindex.report.notebook import sensitivity_html

        return sensitivity_html(self)

    def to_frame(self) -> pd.DataFrame:
        """The indices table (the output of ``mfgindex sensitivity``)."""
        return self.indices.copy()
