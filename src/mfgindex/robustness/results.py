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

__all__ = ["SensitivityResult", "UncertaintyResult"]


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
        ``(runs, n)`` the index and its rank in every run (NaN: unranked, or an invalid run).
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
    scores: np.ndarray
    ranks: np.ndarray
    runs: pd.DataFrame
    weight_factors: pd.DataFrame | None
    invalid: pd.DataFrame
    warnings: tuple[str, ...]
    provenance: Mapping[str, Any]

    @property
    def valid(self) -> np.ndarray:
        return self.runs["valid"].to_numpy(dtype=bool)

    def summary(self) -> pd.DataFrame:
        """Per unit: ``nominal_rank``, ``median_rank``, ``q05_rank``, ``q95_rank``,
        ``mean_abs_shift`` over the valid runs.

        Quantiles interpolate linearly between order statistics (R's default, type 7, as COINr's
        ``RankStats``); the shift is :math:`\\frac{1}{R}\\sum_r |\\text{rank}_r - \\text{rank}_0|`
        over the runs where the unit is ranked.
        """
        import pandas as pd

        ranks = self.ranks[self.valid]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # units never ranked: NaN, quietly
            median = np.nanmedian(ranks, axis=0) if len(ranks) else np.full(len(self.units), np.nan)
            q = (np.nanquantile(ranks, [0.05, 0.95], axis=0) if len(ranks)
                 else np.full((2, len(self.units)), np.nan))
            shift = (np.nanmean(np.abs(ranks - self.nominal_ranks), axis=0) if len(ranks)
                     else np.full(len(self.units), np.nan))
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
        ``(N (d + 2), n)`` every run's ranks (NaN: unranked, or an invalid run), same order.
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
    ranks: np.ndarray
    variance: float
    n: int
    n_valid: int
    output: str
    runs: pd.DataFrame
    uncertainty: UncertaintyResult
    warnings: tuple[str, ...]
    provenance: Mapping[str, Any]

    def _repr_html_(self) -> str:
        """The Sobol indices table, for notebooks."""
        from mfgindex.report.notebook import sensitivity_html

        return sensitivity_html(self)

    def to_frame(self) -> pd.DataFrame:
        """The indices table (the output of ``mfgindex sensitivity``)."""
        return self.indices.copy()


