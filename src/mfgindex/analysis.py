r"""Statistical coherence of an index: correlations, Cronbach's alpha, PCA, per group.

The JRC/OECD *Handbook on Constructing Composite Indicators* (2008, sections 4 and 7) asks that
the indicators of a group measure one thing — they should correlate positively, but not so
strongly that one duplicates another — and that each indicator be reflected in its group and in
the index. :func:`analyze` computes the index (with any options of :func:`mfgindex.compute`) and
reports, on the values that enter aggregation (normalised indicators, oriented so that higher is
better, and group scores):

* every pair of siblings (children of the same group): Pearson and Spearman correlations, with
  flags for **negative** (:math:`r < -0.4`) and **collinear** (:math:`r > 0.9`) pairs — the
  thresholds of COINr's ``plot_corr(flagthresh = c(-0.4, 0.3, 0.9))``;
* per group: Cronbach's alpha and the share of variance explained by the first principal
  component;
* per node: its correlation with its parent group and with the index;
* correlation matrices between any two levels (:meth:`Coherence.matrix`).

Definitions (COINr 1.1, ``R/correlations.R`` and ``R/PCA.R``; they agree with ours):

* **Pearson / Spearman** over *pairwise complete* units (R's ``cor(use =
  "pairwise.complete.obs")``); Spearman is Pearson on the ranks of those units, ties averaged.
  COINr's ``get_corr`` hides correlations whose p-value exceeds 0.05 by default; here every
  correlation is shown and the Pearson p-value (``cor.test``'s t-test) is given alongside.
* **Cronbach's alpha** (``get_cronbach``), with :math:`C` the pairwise complete covariance
  matrix of the group's :math:`k` children:

  .. math:: \alpha = \frac{k^2\,\bar c}{\sum_{ij} C_{ij}},\qquad
            \bar c = \frac{\sum_{i \ne j} C_{ij}}{k(k-1)}
            \quad\Bigl(= \frac{k}{k-1}\Bigl(1 - \frac{\operatorname{tr} C}{\sum_{ij} C_{ij}}\Bigr)\Bigr)

* **PCA** (``get_PCA``: ``prcomp(center = TRUE, scale = TRUE)`` on the units with every child
  present): the eigenvalues :math:`\lambda` of the children's correlation matrix; the first
  component explains :math:`\lambda_1 / \sum \lambda`.

References
----------
Cronbach, L. J. (1951), "Coefficient alpha and the internal structure of tests",
*Psychometrika* 16(3), 297–334. OECD/JRC (2008), *Handbook on Constructing Composite
Indicators*, section 4. COINr (EU JRC): ``get_corr``, ``get_corr_flags``, ``get_cronbach``,
``get_PCA``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from mfgindex.errors import UsageError, did_you_mean

if TYPE_CHECKING:
    from pathlib import Path

    import pandas as pd

    from mfgindex.data import Dataset
    from mfgindex.framework import Framework
    from mfgindex.result import Result

__all__ = [
    "Coherence",
    "analyze",
    "column_stats",
    "cronbach_alpha",
    "data_availability",
    "export_workbook",
    "optimal_weights",
    "pairwise_corr",
    "pc1_share",
    "reaggregate",
    "remove_elements",
    "stats",
    "workbook_tables",
]

METHODS = ("pearson", "spearman")


# ---------------------------------------------------------------------------------------------
# Statistics on arrays
# ---------------------------------------------------------------------------------------------


def _average_ranks(x: np.ndarray) -> np.ndarray:
    from scipy.stats import rankdata

    return np.asarray(rankdata(x, method="average"), dtype=float)


def pairwise_corr(x: np.ndarray, y: np.ndarray, method: str = "pearson") -> tuple[float, int]:
    """Correlation of two columns over the units where both are present, and that count.

    ``method`` is ``"pearson"`` (two-pass, as R) or ``"spearman"`` (Pearson on the average ranks
    of the pairwise complete units). NaN when fewer than 2 units remain or a column is constant
    there (R's ``cor`` gives NA with a warning).
    """
    if method not in METHODS:
        raise UsageError(
            f"the correlation method must be one of {{{', '.join(METHODS)}}}. "
            f"Got '{method}' instead." + did_you_mean(method, METHODS)
        )
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    both = ~(np.isnan(x) | np.isnan(y))
    n = int(both.sum())
    if n < 2:
        return float("nan"), n
    a, b = x[both], y[both]
    if method == "spearman":
        a, b = _average_ranks(a), _average_ranks(b)
    da, db = a - a.mean(), b - b.mean()
    denom = np.sqrt((da * da).sum() * (db * db).sum())
    if not denom > 0:
        return float("nan"), n
    return float(np.clip((da * db).sum() / denom, -1.0, 1.0)), n


def _pearson_p(r: float, n: int) -> float:
    """Two-sided p-value of Pearson's r (R's ``cor.test``: t = r √((n-2)/(1-r²)), n-2 df)."""
    from scipy.special import stdtr

    if not np.isfinite(r) or n < 3:
        return float("nan")
    if abs(r) >= 1.0:
        return 0.0
    t = r * np.sqrt((n - 2) / (1.0 - r * r))
    return float(2.0 * stdtr(n - 2, -abs(t)))


def _pairwise_cov(x: np.ndarray) -> np.ndarray:
    """R's ``cov(x, use = "pairwise.complete.obs")``: each entry over the units where both
    columns are present (two-pass, denominator n - 1); NaN below two units."""
    k = x.shape[1]
    out = np.full((k, k), np.nan)
    for i in range(k):
        for j in range(i, k):
            both = ~(np.isnan(x[:, i]) | np.isnan(x[:, j]))
            if both.sum() >= 2:
                a, b = x[both, i], x[both, j]
                out[i, j] = out[j, i] = ((a - a.mean()) * (b - b.mean())).sum() / (both.sum() - 1)
    return out


def cronbach_alpha(x: np.ndarray) -> float:
    r"""Cronbach's alpha of the columns of ``x`` ``(n, k)`` (COINr's ``get_cronbach``).

    .. math:: \alpha = \frac{k^2 \bar c}{\sum_{ij} C_{ij}}

    with :math:`C` the pairwise complete covariance matrix and :math:`\bar c` the mean of its
    off-diagonal entries; NaN entries are left out of the sums (R's ``na.rm = TRUE``). NaN for
    fewer than two columns or a zero total variance.
    """
    x = np.asarray(x, dtype=float)
    k = x.shape[1]
    if k < 2:
        return float("nan")
    c = _pairwise_cov(x)
    total = np.nansum(c)
    if total == 0:
        return float("nan")
    mean_off = (total - np.nansum(np.diag(c))) / (k * (k - 1))
    return float(k * k * mean_off / total)


def pc1_share(x: np.ndarray) -> tuple[float, int]:
    """Share of variance explained by the first principal component of the standardised
    columns of ``x``, over the units with every column present (COINr's ``get_PCA``:
    ``prcomp(na.omit(x), center = TRUE, scale = TRUE)``), and the number of those units.

    NaN when fewer than two units are complete or a column is constant on them (``prcomp``
    refuses to rescale a constant column).
    """
    x = np.asarray(x, dtype=float)
    complete = ~np.isnan(x).any(axis=1)
    n = int(complete.sum())
    z = x[complete]
    if n < 2:
        return float("nan"), n
    sd = z.std(axis=0, ddof=1)
    if not np.all(sd > 0):
        return float("nan"), n
    corr = np.corrcoef(z, rowvar=False) if z.shape[1] > 1 else np.ones((1, 1))
    eig = np.linalg.eigvalsh(np.atleast_2d(corr))
    return float(eig[-1] / eig.sum()), n


# ---------------------------------------------------------------------------------------------
# The analysis of a framework
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Coherence:
    """Coherence statistics of an index (see the module documentation).

    Attributes
    ----------
    result
        The computed index the statistics are taken from.
    values
        Units × nodes: the values entering aggregation (normalised indicators, group scores,
        the index), of the one year analysed.
    pairs
        One row per pair of siblings: ``group``, ``level`` (COINr level of the pair),
        ``node_1``, ``node_2``, ``pearson``, ``spearman``, ``n`` (pairwise complete units),
        ``p_value`` (Pearson), ``flag`` (``negative``, ``collinear`` or empty).
    groups
        One row per group and the index: ``group``, ``level``, ``children``, ``cronbach_alpha``,
        ``pc1_share``, ``n_complete`` (units in the PCA), ``mean_pearson`` (mean correlation
        of the pairs of children), ``negative`` and ``collinear`` (flagged pairs).
    parents
        One row per node below the index: ``node``, ``level``, ``parent``, its Pearson and
        Spearman correlation with the parent (``pearson_parent``, ``spearman_parent``) and with
        the index (``pearson_index``, ``spearman_index``).
    negative, collinear
        The flag thresholds used.
    """

    framework: Framework
    result: Result
    values: pd.DataFrame
    pairs: pd.DataFrame
    groups: pd.DataFrame
    parents: pd.DataFrame
    negative: float
    collinear: float

    def _repr_html_(self) -> str:
        """Cronbach's alpha, the first component's share and the flagged pairs, for notebooks."""
        from mfgindex.report.notebook import coherence_html

        return coherence_html(self)

    def matrix(self, level: int = 1, other: int | None = None, *, method: str = "pearson") -> pd.DataFrame:
        """Correlation matrix between the nodes of COINr level ``level`` (rows) and level
        ``other`` (columns; default the same level), pairwise complete."""
        import pandas as pd

        fw = self.framework
        top = fw.level(fw.id)
        for lev in (level, other if other is not None else level):
            if not 1 <= lev <= top:
                raise UsageError(
                    f"framework '{fw.id}' has levels 1 (indicators) to {top} (the index); got {lev}"
                )
        rows = [n for n in self.values.columns if fw.level(n) == level]
        cols = [n for n in self.values.columns if fw.level(n) == (other or level)]
        out = pd.DataFrame(np.nan, index=pd.Index(rows, name="node"), columns=cols)
        for a in rows:
            for b in cols:
                out.loc[a, b] = pairwise_corr(self.values[a].to_numpy(), self.values[b].to_numpy(), method)[0]
        return out

    @property
    def flagged(self) -> pd.DataFrame:
        """The pairs with a flag."""
        return self.pairs[self.pairs["flag"] != ""].reset_index(drop=True)


def analyze(
    framework: Framework,
    data: Dataset,
    *,
    year: int | None = None,
    negative: float = -0.4,
    collinear: float = 0.9,
    **options: Any,
) -> Coherence:
    """Coherence statistics of ``framework`` on ``data`` (module documentation).

    Parameters
    ----------
    framework, data
        As for :func:`mfgindex.compute`.
    year
        The year analysed (default: a cross-section's only year, a panel's latest).
    negative, collinear
        Flag sibling pairs whose Pearson correlation is below ``negative`` or above
        ``collinear`` (COINr's ``plot_corr`` thresholds: -0.4 and 0.9).
    **options
        Method options of :func:`mfgindex.compute` (``normalize``, ``impute``, …).

    Returns
    -------
    Coherence
    """
    import pandas as pd

    from mfgindex.pipeline import compute

    if not -1 <= negative <= 1 or not -1 <= collinear <= 1:
        raise UsageError("the flag thresholds are correlations: give numbers between -1 and 1")
    if year is None and data.years is not None and len(set(data.years.tolist())) > 1:
        year = int(max(data.years))
    res = compute(framework, data, year=year, **options)
    fw = framework
    values = res.scores.reset_index(drop=True)
    values.index = pd.Index(res.units, name=fw.unit_column)
    pairs, groups = _sibling_tables(fw, values, negative, collinear)
    pair_cols = ["group", "level", "node_1", "node_2", "pearson", "spearman", "n", "p_value", "flag"]
    return Coherence(
        framework=fw,
        result=res,
        values=values,
        pairs=pd.DataFrame(pairs, columns=pair_cols),
        groups=pd.DataFrame(groups),
        parents=pd.DataFrame(_parent_corrs(fw, values)),
        negative=negative,
        collinear=collinear,
    )


def _sibling_tables(
    fw: Framework, values: pd.DataFrame, negative: float, collinear: float
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The rows of :attr:`Coherence.pairs` (every pair of siblings, flagged below ``negative``
    or above ``collinear``) and of :attr:`Coherence.groups` (per group: alpha, the first
    component's share, the mean correlation of its children and the flags)."""
    pairs: list[dict[str, Any]] = []
    groups: list[dict[str, Any]] = []
    for group in fw.walk():
        if group.is_indicator:
            continue
        children = list(fw.children(group.id))
        x = values[children].to_numpy(dtype=float)
        mine = _sibling_pairs(fw, group.id, values, negative, collinear)
        pairs += mine
        flags = {"negative": 0, "collinear": 0}
        for pair in mine:
            if pair["flag"]:
                flags[pair["flag"]] += 1
        share, n_complete = pc1_share(x)
        finite = [p["pearson"] for p in mine if np.isfinite(p["pearson"])]
        groups.append(
            {
                "group": group.id,
                "level": fw.level(group.id),
                "children": len(children),
                "cronbach_alpha": cronbach_alpha(x),
                "pc1_share": share,
                "n_complete": n_complete,
                "mean_pearson": float(np.mean(finite)) if finite else float("nan"),
                **flags,
            }
        )
    return pairs, groups


def _sibling_pairs(
    fw: Framework, group: str, values: pd.DataFrame, negative: float, collinear: float
) -> list[dict[str, Any]]:
    """Each pair of ``group``'s children: Pearson (with its p-value) and Spearman correlation
    over the units with both, and its flag."""
    children = list(fw.children(group))
    pairs = []
    for i, a in enumerate(children):
        for b in children[i + 1 :]:
            r, n = pairwise_corr(values[a].to_numpy(), values[b].to_numpy(), "pearson")
            rho, _ = pairwise_corr(values[a].to_numpy(), values[b].to_numpy(), "spearman")
            flag = "negative" if r < negative else "collinear" if r > collinear else ""
            pairs.append(
                {
                    "group": group,
                    "level": fw.level(a),
                    "node_1": a,
                    "node_2": b,
                    "pearson": r,
                    "spearman": rho,
                    "n": n,
                    "p_value": _pearson_p(r, n),
                    "flag": flag,
                }
            )
    return pairs


def _parent_corrs(fw: Framework, values: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows of :attr:`Coherence.parents`: every node below the index against its parent
    and against the index."""
    parents: list[dict[str, Any]] = []
    index = values[fw.id].to_numpy()
    for node in fw.walk():
        if node.parent is None:
            continue
        v = values[node.id].to_numpy()
        p = values[node.parent].to_numpy()
        parents.append(
            {
                "node": node.id,
                "level": fw.level(node.id),
                "parent": node.parent,
                "pearson_parent": pairwise_corr(v, p, "pearson")[0],
                "spearman_parent": pairwise_corr(v, p, "spearman")[0],
                "pearson_index": pairwise_corr(v, index, "pearson")[0],
                "spearman_index": pairwise_corr(v, index, "spearman")[0],
            }
        )
    return parents


# ---------------------------------------------------------------------------------------------
# Statistics tables (COINr get_stats) and data availability (COINr get_data_avail)
# ---------------------------------------------------------------------------------------------


def _dataset(res: Result, dset: str) -> pd.DataFrame:
    """Indicator columns of a stage (``raw`` … ``normalized``) or ``scores`` (every node)."""
    return res.scores if dset == "scores" else res.step(dset)


def _signif(x: float, digits: int) -> float:
    """R's ``signif``: ``digits`` significant digits."""
    if not np.isfinite(x) or x == 0:
        return x
    return float(f"{x:.{digits - 1}e}")


def column_stats(
    x: np.ndarray,
    *,
    t_skew: float = 2.0,
    t_kurt: float = 3.5,
    t_avail: float = 0.65,
    t_zero: float = 0.5,
    t_unq: float = 0.5,
) -> dict[str, Any]:
    r"""COINr's ``get_stats`` for one column of ``n`` values (missing as NaN).

    ``min``, ``max``, ``mean``, ``median``, ``sd`` (:math:`n-1`), ``skew`` and ``kurtosis``
    (COINr's ``skew`` / ``kurt`` = ``e1071`` type 2, :func:`mfgindex.methods.treat.skew`) over
    the values present; counts ``n_avail``, ``n_nonzero``, ``n_unique``, ``n_same`` (the size of
    the largest set of equal values); fractions ``frc_avail`` :math:`= n_{avail}/n` and
    ``frc_nonzero``, ``frc_unique``, ``frc_same`` (each over :math:`n_{avail}`); flags

    * ``flag_avail``: ``LOW`` when :math:`n_{avail}/n <` ``t_avail``;
    * ``flag_nonzero``: ``LOW`` when :math:`n_{nonzero}/n <` ``t_zero`` (over *n*, as COINr);
    * ``flag_unique``: ``LOW`` when :math:`n_{unique}/n <` ``t_unq`` (over *n*, as COINr);
    * ``flag_skewkurt``: ``OUT`` when :math:`|skew| >` ``t_skew`` and :math:`kurtosis >`
      ``t_kurt``; empty when either is undefined (COINr: NA).

    References
    ----------
    COINr 1.1.14, R/stats.R: ``get_stats.data.frame``.
    """
    from mfgindex.methods.treat import kurtosis, skew

    v = np.asarray(x, dtype=float)
    n = v.size
    obs = v[~np.isnan(v)]
    n_avail = int(obs.size)
    nonzero = int(np.sum(obs != 0))
    if n_avail:
        _, counts = np.unique(obs, return_counts=True)
        n_unique, n_same = int(counts.size), int(counts.max())
    else:
        n_unique, n_same = 0, 0
    sk, kt = skew(obs), kurtosis(obs)
    nan = float("nan")
    with np.errstate(all="ignore"):
        return {
            "min": float(obs.min()) if n_avail else nan,
            "max": float(obs.max()) if n_avail else nan,
            "mean": float(obs.mean()) if n_avail else nan,
            "median": float(np.median(obs)) if n_avail else nan,
            "sd": float(obs.std(ddof=1)) if n_avail > 1 else nan,
            "skew": sk,
            "kurtosis": kt,
            "n_avail": n_avail,
            "n_nonzero": nonzero,
            "n_unique": n_unique,
            "n_same": n_same,
            "frc_avail": n_avail / n if n else nan,
            "frc_nonzero": nonzero / n_avail if n_avail else nan,
            "frc_unique": n_unique / n_avail if n_avail else nan,
            "frc_same": n_same / n_avail if n_avail else nan,
            "flag_avail": "ok" if n and n_avail / n >= t_avail else "LOW",
            "flag_nonzero": "ok" if n and nonzero / n >= t_zero else "LOW",
            "flag_unique": "ok" if n and n_unique / n >= t_unq else "LOW",
            "flag_skewkurt": ""
            if np.isnan(sk) or np.isnan(kt)
            else ("OUT" if abs(sk) > t_skew and kt > t_kurt else "ok"),
        }


def stats(
    res: Result,
    dset: str = "raw",
    *,
    year: int | None = None,
    t_skew: float = 2.0,
    t_kurt: float = 3.5,
    t_avail: float = 0.65,
    t_zero: float = 0.5,
    t_unq: float = 0.5,
    nsignif: int | None = None,
) -> pd.DataFrame:
    """A statistics table of one dataset stage, one row per indicator (or node) — COINr's
    ``get_stats(coin, dset)``.

    Parameters
    ----------
    res
        A computed result.
    dset
        A stage of :meth:`Result.step` (``raw``, ``denominated``, ``imputed``, ``treated``,
        ``normalized``, …) or ``scores`` (every node: normalised indicators, groups, index).
    year
        One year of a panel; default every year, stacked with a ``year`` column (COINr computes
        the table per coin, i.e. per year).
    t_skew, t_kurt, t_avail, t_zero, t_unq
        Flag thresholds (COINr's defaults), see :func:`column_stats`.
    nsignif
        Round the numbers to this many significant digits (COINr's default is 3; here None
        keeps full precision).

    Returns
    -------
    DataFrame
        ``node`` then the columns of :func:`column_stats`.
    """
    import pandas as pd

    frame = _dataset(res, dset)
    blocks: list[tuple[int | None, pd.DataFrame]]
    if res.years is None:
        if year is not None:
            raise UsageError(f"year {year} given, but the result has no years")
        blocks = [(None, frame)]
    else:
        ys = sorted({int(y) for y in res.years})
        if year is not None and year not in ys:
            raise UsageError(f"year {year} is not in the result", hint=f"years: {', '.join(map(str, ys))}")
        blocks = [
            (y, frame.xs(y, level="year"))  # type: ignore[misc]
            for y in ([year] if year is not None else ys)
        ]
    rows = []
    for y, block in blocks:
        for col in block.columns:
            rec = column_stats(
                block[col].to_numpy(dtype=float),
                t_skew=t_skew,
                t_kurt=t_kurt,
                t_avail=t_avail,
                t_zero=t_zero,
                t_unq=t_unq,
            )
            if nsignif is not None:
                rec = {k: _signif(v, nsignif) if isinstance(v, float) else v for k, v in rec.items()}
            rows.append(({"year": y} if res.years is not None else {}) | {"node": col} | rec)
    return pd.DataFrame(rows)


def data_availability(
    res: Result, dset: str = "raw", *, year: int | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    r"""Data availability per unit, and per unit and group — COINr's ``get_data_avail``.

    Returns
    -------
    summary
        Per unit (and year): ``n_missing``, ``n_zero`` (zeros among the values present),
        ``n_missing_or_zero``, ``avail`` :math:`= 1 - n_{missing}/m` and ``nonzero``
        :math:`= 1 - n_{zero}/(m - n_{missing})` over the ``m`` indicators.
    by_group
        Per unit (and year), one column per group and the index: the share of the group's
        indicators (every indicator below it) with a value.

    References
    ----------
    COINr 1.1.14, R/screen_units.R: ``get_data_avail`` (``Summary``: ``N_missing``,
    ``N_zero``, ``N_miss_or_zero``, ``Dat_Avail``, ``Non_Zero``; ``ByGroup``).
    """
    import pandas as pd

    if dset == "scores":
        raise UsageError("data availability is about indicators: give a data stage (raw, ...)")
    frame = res.step(dset)
    if year is not None:
        if res.years is None:
            raise UsageError(f"year {year} given, but the result has no years")
        frame = frame.xs(year, level="year", drop_level=False)  # type: ignore[assignment]
    x = frame.to_numpy(dtype=float)
    m = x.shape[1]
    missing = np.isnan(x)
    n_missing = missing.sum(axis=1)
    n_zero = np.sum(np.where(missing, 1.0, x) == 0, axis=1)
    with np.errstate(all="ignore"):
        nonzero = 1 - n_zero / (m - n_missing)
    summary = pd.DataFrame(
        {
            "n_missing": n_missing,
            "n_zero": n_zero,
            "n_missing_or_zero": n_missing + n_zero,
            "avail": 1 - n_missing / m,
            "nonzero": nonzero,
        },
        index=frame.index,
    ).reset_index()
    fw = res.framework
    ids = list(frame.columns)
    by = {}
    for g in [fw.id, *[g.id for g in fw.groups if g.id != fw.id]]:
        leaves = [n.id for n in fw.walk(g) if n.is_indicator]
        cols = [ids.index(i) for i in leaves]
        by[g] = 1 - missing[:, cols].mean(axis=1)
    order = [g for g in res.node_ids if g in by]
    by_group = pd.DataFrame({g: by[g] for g in order}, index=frame.index).reset_index()
    return summary, by_group


# ---------------------------------------------------------------------------------------------
# Re-aggregation with other weights: leave-one-out (COINr remove_elements) and optimal weights
# (COINr get_opt_weights, against the index)
# ---------------------------------------------------------------------------------------------


def _blocks(res: Result) -> list[tuple[int | None, np.ndarray]]:
    if res.years is None:
        return [(None, np.arange(len(res.rows)))]
    return [(int(y), np.flatnonzero(res.years == y)) for y in sorted(set(res.years.tolist()))]


def reaggregate(
    res: Result,
    weights: Mapping[str, Mapping[str, float]] | None = None,
) -> np.ndarray:
    r"""Aggregate the result's normalised indicators up the tree again, with other weights.

    ``weights`` maps a group to ``{child: weight}`` (any subset; the others keep the weights
    the result used, year by year). Each group uses the aggregation method and the coverage rule
    recorded in the result's provenance; weights are renormalised over the children present.

    Returns
    -------
    ndarray
        ``(n, nodes)`` scores in ``res.node_ids`` order, as ``res.score_matrix``.

    Raises
    ------
    MethodError
        The recorded methods do not reproduce the result's own scores (e.g. an aggregator that
        refused some units), so changed weights could not be trusted either.
    """
    from mfgindex.errors import MethodError
    from mfgindex.methods.registry import resolve

    fw = res.framework
    methods = res.provenance.get("methods", {})
    agg_rec = methods.get("aggregate", {})
    threshold = float(methods.get("min_coverage", fw.min_coverage))
    pos = {n: k for k, n in enumerate(res.node_ids)}
    ids = [i.id for i in fw.indicators]
    z = res.steps["normalized"]
    out = np.full(res.score_matrix.shape, np.nan)
    for j, iid in enumerate(ids):
        out[:, pos[iid]] = z[:, j]
    calls = {
        g.id: resolve(
            "aggregate", agg_rec.get(g.id, "arithmetic") if isinstance(agg_rec, Mapping) else agg_rec
        )
        for g in fw.groups
    }
    for year, rows in _blocks(res):
        vals: dict[str, np.ndarray] = {i: z[rows, j] for j, i in enumerate(ids)}
        for g in fw.groups:
            children = fw.children(g.id)
            used = res.weights_of(g.id, year) or {}
            over = (weights or {}).get(g.id, {})
            w = np.array([float(over.get(c, used.get(c, fw.nodes[c].weight))) for c in children])
            x = np.column_stack([vals[c] for c in children])
            present = ~np.isnan(x)
            total = w.sum()
            cover = (present * w).sum(axis=1) / total if total > 0 else np.zeros(len(rows))
            with np.errstate(all="ignore"):
                score = np.asarray(calls[g.id](x, w), dtype=float)
            score = np.where(cover + 1e-12 >= threshold, score, np.nan)
            vals[g.id] = score
            out[rows, pos[g.id]] = score
    if weights is None or not weights:
        same = np.isnan(out) == np.isnan(res.score_matrix)
        diff = np.nanmax(np.abs(out - res.score_matrix)) if np.isfinite(out).any() else 0.0
        if not same.all() or diff > 1e-9 * max(1.0, float(np.nanmax(np.abs(out)))):
            raise MethodError(
                "re-aggregating the result does not reproduce its scores",
                hint="units refused by an aggregator (zero under a geometric "
                "mean) cannot be re-weighted; normalise onto a positive scale",
            )
    return out


def _level_nodes(res: Result, level: int) -> list[str]:
    fw = res.framework
    top = fw.level(fw.id)
    if not 1 <= int(level) < top:
        raise UsageError(
            f"level must be between 1 (indicators) and {top - 1}, got {level}",
            hint=f"COINr levels: 1 indicators … {top} the index",
        )
    return [n for n in res.node_ids if n != fw.id and fw.level(n) == int(level)]


def remove_elements(res: Result, level: int, node: str | None = None) -> dict[str, pd.DataFrame]:
    r"""Leave-one-out at any level: each node of ``level`` removed in turn — COINr's
    ``remove_elements(coin, Level, dset = "Aggregated", iCode)``.

    A node is removed by giving it weight 0 (its siblings are renormalised), then the tree is
    aggregated again; ``level`` counts as COINr's ``Level``: 1 the indicators, 2 the groups
    above them, … up to one below the index.

    Returns
    -------
    dict of DataFrame
        ``scores`` (column ``nominal`` then one per removed node: the score of ``node``,
        default the index), ``ranks`` (of each column, 1 = best, ties the lowest), ``rank_diffs``
        (:math:`r_{nominal} - r_{removed}`; positive = the unit ranks worse without the node),
        ``rank_abs_diffs`` and ``mean_abs_diff`` (per removed node). Units are rows (with years
        in a panel; ranks within each year).
    """
    import pandas as pd

    from mfgindex.methods.base import rank_min

    fw = res.framework
    node = node or fw.id
    if node not in res.node_ids:
        raise UsageError(f"'{node}' is not a node of framework '{fw.id}'." + did_you_mean(node, res.node_ids))
    pos = {n: k for k, n in enumerate(res.node_ids)}
    reaggregate(res)  # raises if the result cannot be re-aggregated faithfully
    index = res.scores.index
    scores = pd.DataFrame({"nominal": res.score_matrix[:, pos[node]]}, index=index)
    for removed in _level_nodes(res, level):
        parent = fw.nodes[removed].parent
        assert parent is not None
        scores[removed] = reaggregate(res, {parent: {removed: 0.0}})[:, pos[node]]
    ranks = scores.copy()
    for _, rows in _blocks(res):
        ranks.iloc[rows] = rank_min(scores.iloc[rows].to_numpy(dtype=float), axis=0, descending=True)
    diffs = ranks.copy()
    for c in diffs.columns:
        diffs[c] = ranks["nominal"] - ranks[c]
    absd = diffs.abs()
    mean_abs = absd.drop(columns="nominal").mean().rename("mean_abs_diff").to_frame()
    return {
        "scores": scores,
        "ranks": ranks,
        "rank_diffs": diffs,
        "rank_abs_diffs": absd,
        "mean_abs_diff": mean_abs,
    }


def optimal_weights(
    res: Result,
    level: int,
    *,
    optype: str = "infomax",
    target: Sequence[float] | str | None = None,
    correlation: str = "pearson",
    tol: float = 1e-8,
    maxiter: int = 5000,
    year: int | None = None,
) -> pd.DataFrame:
    r"""Weights of every node at ``level`` optimised against the index — COINr's
    ``get_opt_weights(coin, itarg, dset = "Aggregated", Level, cortype, optype)``.

    With :math:`r_j(w)` the correlation of node *j* (of ``level``) with the index re-aggregated
    with weights :math:`w` (the level's weights as one vector, normalised to sum to 1):

    * ``infomax``: maximise :math:`\sum_j r_j` — the index carries as much of its nodes'
      information as it can;
    * ``balance``: minimise :math:`\log\bigl(\frac1k\sum_j (t_j - r_j/\sum_k r_k)^2\bigr)`, each
      node's share of correlation close to the target :math:`t` (``"equal"`` or a vector).

    Nelder–Mead (``scipy.optimize.minimize``) from the current weights (infomax) or :math:`t`
    (balance), as COINr's ``stats::optim``. Differences from COINr: weights are bounded at 0
    (COINr's may go negative), the tolerance is tight (``tol``; COINr's ``reltol = 0.1`` stops
    after a few iterations, so its "optimum" depends on the start), and the index is the last
    year of a panel unless ``year``. The per-group variants — against the parent — are the
    ``optimize`` (balance) and ``infomax`` weight methods.

    Returns
    -------
    DataFrame
        ``node``, ``parent``, ``weight_before``, ``weight`` (optimised, level-wide sum 1),
        ``corr_before``, ``corr`` (with the index), ``target`` (balance only).
    """
    import pandas as pd
    from scipy import optimize as sopt

    from mfgindex.errors import MethodError

    if optype not in {"infomax", "balance"}:
        raise UsageError(f"The 'optype' must be one of {{infomax, balance}}. Got '{optype}' instead.")
    if correlation not in METHODS:
        raise UsageError(
            f"The 'correlation' must be one of {{{', '.join(METHODS)}}}. Got '{correlation}' instead."
        )
    fw = res.framework
    nodes = _level_nodes(res, level)
    blocks = _blocks(res)
    years = [y for y, _ in blocks]
    yr = years[-1] if year is None else int(year)
    if yr not in years:
        raise UsageError(f"year {yr} is not in the result")
    rows = dict(blocks)[yr]
    k = len(nodes)
    t = _balance_target(target, nodes, level) if optype == "balance" else np.full(k, np.nan)
    parents = [fw.nodes[n].parent for n in nodes]
    before = np.array(
        [
            (res.weights_of(str(p), yr) or {}).get(n, fw.nodes[n].weight)
            for n, p in zip(nodes, parents, strict=True)
        ],
        dtype=float,
    )
    corrs = _index_correlations(res, nodes, rows, correlation)
    reaggregate(res)
    objective = _weights_objective(corrs, optype, t)
    start = (before / before.sum()) if optype == "infomax" else t.copy()
    out = sopt.minimize(
        objective,
        start,
        method="Nelder-Mead",
        bounds=[(0, None)] * k,
        options={"xatol": tol, "fatol": tol, "maxiter": maxiter},
    )
    if not np.isfinite(out.fun) or out.fun >= 1e6:
        raise MethodError(
            "the weight optimisation found no valid weights",
            hint="check that the nodes of this level vary across units",
        )
    w = np.clip(out.x, 0, None)
    w = w / w.sum()
    return pd.DataFrame(
        {
            "node": nodes,
            "parent": parents,
            "weight_before": before / before.sum(),
            "weight": w,
            "corr_before": corrs(before / before.sum()),
            "corr": corrs(w),
            "target": t,
        }
    )


def _balance_target(target: Sequence[float] | str | None, nodes: list[str], level: int) -> np.ndarray:
    """The target shares of correlation of ``balance``: equal, or the importances given
    (non-negative, one per node), normalised to sum to 1."""
    k = len(nodes)
    if target is None or (isinstance(target, str) and target == "equal"):
        t = np.ones(k)
    elif isinstance(target, str):
        raise UsageError(f"target must be 'equal' or {k} numbers, got {target!r}")
    else:
        t = np.asarray(target, dtype=float)
    if t.shape != (k,) or np.any(t < 0) or t.sum() <= 0:
        raise UsageError(
            f"target needs {k} non-negative importances (one per node of level {level}: {', '.join(nodes)})"
        )
    normalised: np.ndarray = t / t.sum()
    return normalised


def _index_correlations(
    res: Result, nodes: list[str], rows: np.ndarray, correlation: str
) -> Callable[[np.ndarray], np.ndarray]:
    """``w ↦`` the correlation of each of ``nodes`` with the index re-aggregated with their
    weights ``w`` (over ``rows``)."""
    fw = res.framework
    pos = {n: k for k, n in enumerate(res.node_ids)}
    parents = [fw.nodes[n].parent for n in nodes]

    def corrs(w: np.ndarray) -> np.ndarray:
        over: dict[str, dict[str, float]] = {}
        for n, p, v in zip(nodes, parents, w, strict=True):
            over.setdefault(str(p), {})[n] = float(v)
        scores = reaggregate(res, over)[rows]
        index = scores[:, pos[fw.id]]
        return np.array([pairwise_corr(scores[:, pos[n]], index, correlation)[0] for n in nodes])

    return corrs


def _weights_objective(
    corrs: Callable[[np.ndarray], np.ndarray], optype: str, t: np.ndarray
) -> Callable[[np.ndarray], float]:
    r"""The function Nelder–Mead minimises: :math:`-\sum_j r_j` (infomax) or the log mean
    squared gap between the target shares ``t`` and the shares of correlation (balance);
    1e6 for weights that are not valid (negative, summing to 0, or a correlation undefined)."""

    def objective(v: np.ndarray) -> float:
        s = v.sum()
        if s <= 0 or np.any(v < 0):
            return 1e6
        r = corrs(v / s)
        if not np.all(np.isfinite(r)):
            return 1e6
        if optype == "infomax":
            return float(-r.sum())
        share = r / r.sum()
        return float(np.log(np.mean((t - share) ** 2) + 1e-300))

    return objective


# ---------------------------------------------------------------------------------------------
# Everything in one workbook (COINr export_to_excel)
# ---------------------------------------------------------------------------------------------


def workbook_tables(res: Result) -> dict[str, pd.DataFrame]:
    """Every table of a result, by sheet name — what COINr's ``export_to_excel(coin)`` writes.

    ``data_<step>`` for every intermediate dataset (raw, denominated, …, normalized; units as
    rows), ``scores`` (groups and the index, with ranks and stages), ``ranks`` (every node),
    ``weights`` (:meth:`Result.weight_table`), ``stats_<step>`` (:func:`stats` of the raw data
    and of the data entering normalisation), ``availability`` and ``availability_groups``
    (:func:`data_availability`).
    """
    tables: dict[str, pd.DataFrame] = {}
    for step in res.steps:
        tables[f"data_{step}"[:31]] = res.step(step).reset_index()
    tables["scores"] = res.to_frame()
    tables["ranks"] = res.ranks.reset_index()
    tables["weights"] = res.weight_table()
    before = [s for s in ("treated", "screened", "imputed", "transformed", "denominated") if s in res.steps][
        :1
    ]
    for step in ["raw", *before]:
        tables[f"stats_{step}"] = stats(res, step)
    summary, groups = data_availability(res, "raw")
    tables["availability"] = summary
    tables["availability_groups"] = groups
    return tables


def export_workbook(res: Result, path: str | Path, *, protect: Sequence[Path] = ()) -> Path:
    """Write :func:`workbook_tables` to one ``.xlsx`` file, a sheet each, plus ``provenance``.

    Written atomically (a failed run leaves no file); text cells are stored as text (never as
    formulas). Needs the ``[excel]`` extra (openpyxl).
    """
    import json
    from pathlib import Path as _Path

    from mfgindex.errors import DataError
    from mfgindex.io import atomic_path

    try:
        from openpyxl import Workbook
    except ImportError:
        raise DataError("writing Excel files needs openpyxl", hint="pip install 'mfgindex[excel]'") from None
    target = _Path(path)
    if target.suffix.lower() != ".xlsx":
        raise UsageError(f"the workbook must be an .xlsx file, got '{target.name}'")
    wb = Workbook()
    wb.remove(wb.active)
    for name, frame in workbook_tables(res).items():
        ws = wb.create_sheet(name)
        _write_sheet(ws, frame)
        _store_as_text(ws, only_text=True)
        ws.freeze_panes = "B2"
    prov = wb.create_sheet("provenance")
    prov.append(["key", "value"])
    from mfgindex._frozen import thaw

    for key, value in thaw(res.provenance).items():
        prov.append([str(key), json.dumps(value, ensure_ascii=False, default=str)])
    _store_as_text(prov, only_text=False)
    with atomic_path(target, protect=list(protect)) as tmp:
        wb.save(tmp)
    return target


def _write_sheet(ws: Any, frame: pd.DataFrame) -> None:
    """``frame`` as rows of the worksheet ``ws``, its headers first: missing values as empty
    cells, numpy scalars as Python numbers, anything not a number or text as its text."""
    import math

    import pandas as pd

    ws.append([str(c) for c in frame.columns])
    for row in frame.itertuples(index=False):
        cells: list[Any] = []
        for v in row:
            if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
                cells.append(None)
            elif hasattr(v, "item"):
                cells.append(v.item())
            else:
                cells.append(v if isinstance(v, int | float | str) else str(v))
        ws.append(cells)


def _store_as_text(ws: Any, *, only_text: bool) -> None:
    """Mark the cells of ``ws`` as text (every cell, or ``only_text`` those holding a
    string): a string starting with ``=`` is then never read as a formula."""
    for cells_row in ws.iter_rows():
        for cell in cells_row:
            if not only_text or isinstance(cell.value, str):
                cell.data_type = "s"
