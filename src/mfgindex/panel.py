r"""Years and runs compared: what changed, why, the trend, and what it would take.

Everything here works on a computed :class:`~mfgindex.result.Result` (its ``scores``, ``ranks``,
``weights``, ``steps`` and ``provenance``) and never re-runs the pipeline's internals.

* :func:`change` — score and rank of every unit in two years of a panel, their differences and
  the change of every group (``Result.change``).
* :func:`decompose` — one unit's change of score between two years split into the
  contributions of its groups and indicators (:class:`Decomposition`).
* :func:`trends` — growth of every node per unit over a panel: CAGR, percentage change and the
  slope of a linear fit, with COINr's ``get_trends`` conventions.
* :func:`compare` / :func:`compare_multi` / :func:`compare_summary` — two (or more) runs on the
  same data, as COINr's ``compare_coins`` and ``compare_coins_multi``.
* :func:`target` — the smallest improvement of a unit's indicators that lifts it to a rank or a
  score, everyone else fixed (:class:`TargetPlan`).

Comparability
-------------
Scores of two years compare only when both were normalised against the same reference: one fit
on the pooled years (``compute(..., fit_on="pooled")``), a reference year (``fit_on=2019``) or
fixed goalposts. With ``fit_on="each"`` a min-max score says where a unit stood among the units
of *that* year; its change mixes the unit's own progress with everybody else's.
:func:`comparability` says so, and :func:`change` / :func:`decompose` carry its warnings.
Ranks always compare.

References
----------
COINr 1.1.14 (EU JRC), R/trends.R (``get_trends``, ``CAGR``, ``prc_change``), R/compare.R
(``compare_coins``, ``compare_coins_multi``). Ang, B. W. (2005), "The LMDI approach to
decomposition analysis: a practical guide", *Energy Policy* 33(7), 867–871.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from mfgindex.errors import DataError, MethodError, UsageError, did_you_mean

try:  # Problem is moving from mfgindex.data to mfgindex.errors (typed places)
    from mfgindex.errors import Problem  # type: ignore[attr-defined,unused-ignore]
except ImportError:  # pragma: no cover - the older layout
    from mfgindex.data import Problem  # type: ignore[no-redef,unused-ignore]

if TYPE_CHECKING:
    import pandas as pd

    from mfgindex.framework import Framework
    from mfgindex.result import Result

__all__ = [
    "ComparabilityWarning",
    "Decomposition",
    "TargetPlan",
    "cagr",
    "change",
    "comparability",
    "compare",
    "compare_multi",
    "compare_summary",
    "decompose",
    "decompose_all",
    "movement",
    "movers",
    "pct_change",
    "slope",
    "target",
    "top_turnover",
    "trends",
]

#: Normalisers whose parameters do not depend on the units scored (so every year is on one scale).
_FIXED_NORMALISERS = {"goalposts", "dist2target", "none"}
#: Normalisers that are affine in the indicator value (for :func:`target`).
_AFFINE = {"minmax", "zscore", "goalposts", "dist2max", "fracmax", "dist2ref", "dist2target", "none"}
_INVERSE_TRANSFORMS: dict[str, Callable[[Any], Any]] = {
    "log": np.exp,
    "log10": lambda v: np.power(10.0, v),
    "log1p": np.expm1,
    "sqrt": np.square,
}
#: The transforms :data:`_INVERSE_TRANSFORMS` undoes (a cap given in the indicator's units).
_FORWARD_TRANSFORMS: dict[str, Callable[[Any], Any]] = {
    "log": np.log,
    "log10": np.log10,
    "log1p": np.log1p,
    "sqrt": np.sqrt,
}


class ComparabilityWarning(UserWarning):
    """Scores of different years were normalised against different references."""


# ---------------------------------------------------------------------------------------------
# helpers on a Result
# ---------------------------------------------------------------------------------------------


def _method_name(spec: Any) -> str:
    return str(spec).split("(")[0].strip()


def _years(res: Result) -> list[int]:
    if res.years is None:
        raise UsageError(
            "the result has no years: comparing years needs a panel",
            hint="score a panel (data with a 'year' column) without --year; to "
            "compare two runs on the same data use --against",
        )
    return sorted({int(y) for y in res.years})


def _pick_years(res: Result, from_year: int | None, to_year: int | None) -> tuple[int, int]:
    years = _years(res)
    if len(years) < 2 and (from_year is None or to_year is None):
        raise UsageError(
            f"the panel has one year ({years[0]}): nothing to compare",
            hint="score all the years of the panel (leave --year out)",
        )
    to = years[-1] if to_year is None else int(to_year)
    if from_year is None:
        earlier = [y for y in years if y < to]
        if not earlier:
            raise UsageError(
                f"no year before {to} in the panel", hint=f"years scored: {', '.join(map(str, years))}"
            )
        frm = earlier[-1]
    else:
        frm = int(from_year)
    for y, opt in ((frm, "--from"), (to, "--to")):
        if y not in years:
            raise DataError(
                f"year {y} is not in the result" + did_you_mean(str(y), map(str, years)),
                where=opt,
                hint=f"years scored: {', '.join(map(str, years))}",
            )
    if frm == to:
        raise UsageError(
            f"--from and --to are the same year ({frm})", hint="give two different years of the panel"
        )
    return frm, to


def comparability(res: Result) -> list[Problem]:
    """Warnings when the scores of a panel's years are not on one scale.

    A panel's scores compare across years when every indicator's normaliser was fitted on one
    reference (``fit_on`` pooled or a year) or has fixed parameters (``goalposts``,
    ``dist2target``). Otherwise — ``fit_on="each"`` with ``minmax``, ``zscore``, ``rank``, … —
    each year is scaled against its own units, and the change of a score mixes the unit's own
    movement with everyone else's. Ranks are unaffected.

    Returns
    -------
    list of Problem
        Empty when the years are comparable (or the result has one year).
    """
    if res.years is None or len(set(res.years.tolist())) < 2:
        return []
    methods = res.provenance.get("methods", {})
    fit_on = str(methods.get("fit_on", "each"))
    if fit_on != "each":
        return []
    norm = methods.get("normalize", {})
    specs = norm if isinstance(norm, Mapping) else {i.id: norm for i in res.framework.indicators}
    relative = sorted(k for k, v in specs.items() if _method_name(v) not in _FIXED_NORMALISERS)
    if not relative:
        return []
    names = sorted({_method_name(specs[k]) for k in relative})
    shown = ", ".join(relative[:4]) + (f" and {len(relative) - 4} more" if len(relative) > 4 else "")
    return [
        _warning(
            f"scores of different years are not comparable: {', '.join(names)} was fitted on each "
            f"year separately (fit_on='each') for {shown}, so a score's change mixes the unit's "
            "own progress with every other unit's",
            "fit normalisation on all years together (--fit-on pooled), on one year (--fit-on 2019) "
            "or use fixed goalposts; ranks compare either way",
        )
    ]


def _warning(what: str, hint: str) -> Problem:
    """A warning about the normalisation, for either layout of :class:`Problem`."""
    import dataclasses

    if "where" in {f.name for f in dataclasses.fields(Problem)}:
        return Problem("warning", "normalisation", what, hint)  # type: ignore[call-arg,unused-ignore]
    return Problem(level="warning", what=f"normalisation: {what}", hint=hint)


def _warn(res: Result) -> list[Problem]:
    problems = comparability(res)
    for p in problems:
        warnings.warn(f"{p.what} (hint: {p.hint})", ComparabilityWarning, stacklevel=3)
    return problems


def _year_frame(frame: pd.DataFrame, year: int) -> pd.DataFrame:
    out = frame.xs(year, level="year")
    return out  # type: ignore[return-value]


def movement(rank_change: float) -> str:
    """``↑3`` (rose 3 places), ``↓5`` (fell 5), ``=`` (unchanged), ``–`` (unranked in a year)."""
    if rank_change is None or (isinstance(rank_change, float) and math.isnan(rank_change)):
        return "–"
    k = int(rank_change)
    return "=" if k == 0 else (f"↑{k}" if k > 0 else f"↓{-k}")


def _names(res: Result) -> dict[str, str]:
    if res.data.names is None:
        return {}
    names = res.data.names[res.rows]
    return {str(u): str(n) for u, n in zip(res.units, names, strict=True)}


def _groups(res: Result) -> list[str]:
    fw = res.framework
    return [n for n in res.node_ids if n != fw.id and not fw.nodes[n].is_indicator]


# ---------------------------------------------------------------------------------------------
# 1. change between two years
# ---------------------------------------------------------------------------------------------


def change(
    res: Result,
    from_year: int | None = None,
    to_year: int | None = None,
    *,
    level: str | None = None,
    warn: bool = True,
) -> pd.DataFrame:
    r"""Score and rank of every unit in two years of a panel, and their changes.

    Parameters
    ----------
    res
        A panel result (scored without ``year=``).
    from_year, to_year
        The years compared; default the last year and the one before it.
    level
        The node ranked (default the index).
    warn
        Issue a :class:`ComparabilityWarning` when the years are not on one scale
        (:func:`comparability`).

    Returns
    -------
    DataFrame
        One row per unit present in either year, best ``to_year`` rank first: the unit id
        column, ``name`` (when the data has names), ``score_<from>``, ``score_<to>``,
        ``score_change`` :math:`= s_{to} - s_{from}`, ``rank_<from>``, ``rank_<to>``,
        ``rank_change`` :math:`= r_{from} - r_{to}` (positive = rose), ``move`` (``↑3``,
        ``↓5``, ``=``, ``new``, ``left``) and ``<group>_change`` for every group.
        ``attrs["warnings"]`` holds the comparability warnings.
    """
    import pandas as pd

    frm, to = _pick_years(res, from_year, to_year)
    fw = res.framework
    node = level or fw.id
    if node not in res.node_ids:
        raise UsageError(
            f"'{node}' is not a node of framework '{fw.id}'." + did_you_mean(node, res.node_ids),
            where="--level",
        )
    problems = _warn(res) if warn else comparability(res)
    scores, ranks = res.scores, res.ranks
    a_s, b_s = _year_frame(scores, frm), _year_frame(scores, to)
    a_r, b_r = _year_frame(ranks, frm), _year_frame(ranks, to)
    units = list(dict.fromkeys([*b_s.index.astype(str), *a_s.index.astype(str)]))
    a_s.index, b_s.index = a_s.index.astype(str), b_s.index.astype(str)
    a_r.index, b_r.index = a_r.index.astype(str), b_r.index.astype(str)
    a_s, b_s, a_r, b_r = (f.reindex(units) for f in (a_s, b_s, a_r, b_r))
    out = pd.DataFrame({fw.unit_column: units})
    names = _names(res)
    if names:
        out[fw.name_column or "name"] = [names.get(u, "") for u in units]
    out[f"score_{frm}"] = a_s[node].to_numpy()
    out[f"score_{to}"] = b_s[node].to_numpy()
    out["score_change"] = out[f"score_{to}"] - out[f"score_{frm}"]
    out[f"rank_{frm}"] = pd.array(a_r[node].to_numpy(), dtype="Float64").astype("Int64")
    out[f"rank_{to}"] = pd.array(b_r[node].to_numpy(), dtype="Float64").astype("Int64")
    rank_change = a_r[node].to_numpy() - b_r[node].to_numpy()
    out["rank_change"] = pd.array(rank_change, dtype="Float64").astype("Int64")
    moves = []
    for ra, rb, rc in zip(a_r[node].to_numpy(), b_r[node].to_numpy(), rank_change, strict=True):
        if np.isnan(ra) and not np.isnan(rb):
            moves.append("new")
        elif np.isnan(rb) and not np.isnan(ra):
            moves.append("left")
        else:
            moves.append(movement(float(rc)))
    out["move"] = moves
    for g in _groups(res):
        if g != node:
            out[f"{g}_change"] = b_s[g].to_numpy() - a_s[g].to_numpy()
    out = out.sort_values([f"rank_{to}", f"rank_{frm}"], na_position="last", kind="stable")
    out = out.reset_index(drop=True)
    out.attrs["warnings"] = problems
    out.attrs["years"] = (frm, to)
    return out


def top_turnover(table: pd.DataFrame, top: int) -> tuple[list[str], list[str]]:
    """New entrants and leavers of the top ``top`` in a :func:`change` table (unit ids)."""
    frm, to = table.attrs["years"]
    unit_col = table.columns[0]
    a = table[f"rank_{frm}"].astype("Float64").fillna(np.inf).to_numpy(dtype=float)
    b = table[f"rank_{to}"].astype("Float64").fillna(np.inf).to_numpy(dtype=float)
    ids = table[unit_col].astype(str).to_numpy()
    return ([str(u) for u in ids[(b <= top) & (a > top)]], [str(u) for u in ids[(a <= top) & (b > top)]])


def movers(
    res: Result,
    from_year: int | None = None,
    to_year: int | None = None,
    *,
    n: int = 3,
    nodes: Sequence[str] | None = None,
) -> pd.DataFrame:
    """The units whose score of each group (and the index) rose and fell most.

    Returns a long DataFrame: ``node``, ``direction`` (``rise``/``fall``), ``unit``, ``name``,
    ``score_from``, ``score_to``, ``change``; ``n`` units each way per node.
    """
    import pandas as pd

    frm, to = _pick_years(res, from_year, to_year)
    a, b = _year_frame(res.scores, frm), _year_frame(res.scores, to)
    a.index, b.index = a.index.astype(str), b.index.astype(str)
    common = b.index.intersection(a.index)
    a, b = a.loc[common], b.loc[common]
    names = _names(res)
    rows = []
    for node in nodes or [res.framework.id, *_groups(res)]:
        delta = (b[node] - a[node]).dropna()
        for direction, picked in (("rise", delta.nlargest(n)), ("fall", delta.nsmallest(n))):
            for unit, d in picked.items():
                if (direction == "rise" and d <= 0) or (direction == "fall" and d >= 0):
                    continue
                rows.append(
                    {
                        "node": node,
                        "direction": direction,
                        "unit": unit,
                        "name": names.get(str(unit), ""),
                        "score_from": a.at[unit, node],
                        "score_to": b.at[unit, node],
                        "change": d,
                    }
                )
    return pd.DataFrame(
        rows, columns=["node", "direction", "unit", "name", "score_from", "score_to", "change"]
    )


# ---------------------------------------------------------------------------------------------
# 2. why it changed
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Decomposition:
    """A unit's change of index score between two years, split into node contributions.

    Attributes
    ----------
    table
        One row per node (depth-first): ``node``, ``label``, ``parent``, ``depth``,
        ``score_from``, ``score_to``, ``change`` (the node's own score change),
        ``contribution`` (index points of the index's change due to this node; the
        contributions of a group's children sum to the group's contribution, and those of the
        index's children — or of all indicators — to the index change) and ``share`` (of the
        index change).
    exact
        True when every contribution is exact (arithmetic and geometric aggregation of positive
        values); False when an approximation was used for some group (see :func:`decompose`).
    """

    unit: str
    name: str | None
    from_year: int
    to_year: int
    score_from: float
    score_to: float
    rank_from: float
    rank_to: float
    table: pd.DataFrame
    exact: bool
    method: str
    warnings: list[Problem] = field(default_factory=list)

    @property
    def score_change(self) -> float:
        return self.score_to - self.score_from

    @property
    def rank_change(self) -> float:
        """Places gained (positive = rose)."""
        return self.rank_from - self.rank_to

    def drivers(self, n: int = 3, *, level: str = "indicator") -> list[tuple[str, float]]:
        """The ``n`` nodes (``indicator`` or ``group``) that moved the index most, by |contribution|."""
        t = self.table
        pick = t[t["is_indicator"]] if level == "indicator" else t[(~t["is_indicator"]) & (t["depth"] > 0)]
        pick = pick.dropna(subset=["contribution"])
        pick = pick.reindex(pick["contribution"].abs().sort_values(ascending=False).index)
        return [
            (str(node), float(c))
            for node, c in zip(pick.head(n)["node"], pick.head(n)["contribution"], strict=True)
        ]


def _logmean(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The logarithmic mean :math:`L(a, b) = (a - b)/(\\ln a - \\ln b)`, :math:`L(a, a) = a`."""
    with np.errstate(all="ignore"):
        out = (a - b) / (np.log(a) - np.log(b))
    return np.asarray(np.where(np.isclose(a, b, rtol=1e-12, atol=0), (a + b) / 2, out))


def _weights_for(res: Result, group: str, year: int | None) -> np.ndarray:
    fw = res.framework
    children = fw.children(group)
    used = res.weights_of(group, year)
    if used is None:
        return np.array([fw.nodes[c].weight for c in children], dtype=float)
    return np.array([used.get(c, np.nan) for c in children], dtype=float)


def _aggregators(res: Result) -> dict[str, str]:
    rec = res.provenance.get("methods", {}).get("aggregate", {})
    fw = res.framework
    if not isinstance(rec, Mapping):
        return {g.id: _method_name(rec) for g in fw.groups}
    return {g.id: _method_name(rec.get(g.id, "arithmetic")) for g in fw.groups}


def _decompose_arrays(
    res: Result, xa: dict[str, np.ndarray], xb: dict[str, np.ndarray], years: tuple[int, int]
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    r"""Contributions (index points) of every node to the index change, for ``n`` units at once.

    ``xa``/``xb``: node → scores ``(n,)`` in the two years. Returns node → contributions and the
    per-unit exactness flags.
    """
    fw = res.framework
    aggs = _aggregators(res)
    root = fw.id
    n = len(xa[root])
    delta_root = xb[root] - xa[root]
    contrib: dict[str, np.ndarray] = {root: delta_root}
    exact = np.ones(n, dtype=bool)
    # Effective weight of a node in the index, per year, while every ancestor is arithmetic:
    # then score_root(t) = Σ_leaves E_i(t) x_i(t) and the level formula is exact.
    eff: dict[str, tuple[np.ndarray, np.ndarray]] = {root: (np.ones(n), np.ones(n))}
    for node in fw.walk():
        if node.is_indicator:
            continue
        g = node.id
        children = fw.children(g)
        ch = _children_of(res, g, xa, xb, years)
        if aggs[g] == "arithmetic" and g in eff:
            ea = np.where(np.isnan(xa[g]), 0.0, eff[g][0])
            eb = np.where(np.isnan(xb[g]), 0.0, eff[g][1])
            for k, c in enumerate(children):
                eff[c] = (ea * ch.wa[:, k], eb * ch.wb[:, k])
                contrib[c] = eff[c][1] * ch.vb[:, k] - eff[c][0] * ch.va[:, k]
            continue
        # local split of the group's own change d_k, Σ_k d_k = Δx_g, then scaled to index points
        dg = np.nan_to_num(xb[g]) - np.nan_to_num(xa[g])
        local = _local_split(aggs[g], ch, xa[g], xb[g], dg, exact)
        cg = contrib[g]
        with np.errstate(all="ignore"):
            ratio = np.where(dg != 0, cg / dg, np.nan)
        k_present = np.maximum((ch.pa | ch.pb).sum(axis=1), 1)
        for k, c in enumerate(children):
            contrib[c] = np.where(
                dg != 0, ratio * local[:, k], np.where(ch.pa[:, k] | ch.pb[:, k], cg / k_present, 0.0)
            )
    nan_units = np.isnan(delta_root)
    for key in contrib:
        contrib[key] = np.where(nan_units, np.nan, contrib[key])
    return contrib, exact


@dataclass(frozen=True)
class _Children:
    """A group's children in the two years (``a``, ``b``) of a decomposition, ``(n, k)`` each."""

    #: Scores (NaN where absent), presence, and scores with 0 where absent.
    ka: np.ndarray
    kb: np.ndarray
    pa: np.ndarray
    pb: np.ndarray
    va: np.ndarray
    vb: np.ndarray
    #: Weights renormalised over the children present (0 when absent), as the aggregators do.
    wa: np.ndarray
    wb: np.ndarray


def _children_of(
    res: Result, group: str, xa: dict[str, np.ndarray], xb: dict[str, np.ndarray], years: tuple[int, int]
) -> _Children:
    """The children of ``group`` in the two years, with the weights each year used."""
    children = res.framework.children(group)
    wa, wb = _weights_for(res, group, years[0]), _weights_for(res, group, years[1])
    ka = np.column_stack([xa[c] for c in children])
    kb = np.column_stack([xb[c] for c in children])
    pa, pb = ~np.isnan(ka), ~np.isnan(kb)
    with np.errstate(all="ignore"):
        wha = np.where(pa, wa, 0.0) / np.where(pa, wa, 0.0).sum(axis=1, keepdims=True)
        whb = np.where(pb, wb, 0.0) / np.where(pb, wb, 0.0).sum(axis=1, keepdims=True)
    return _Children(
        ka=ka,
        kb=kb,
        pa=pa,
        pb=pb,
        va=np.where(pa, ka, 0.0),
        vb=np.where(pb, kb, 0.0),
        wa=np.nan_to_num(wha),
        wb=np.nan_to_num(whb),
    )


def _local_split(
    method: str, ch: _Children, ya: np.ndarray, yb: np.ndarray, dg: np.ndarray, exact: np.ndarray
) -> np.ndarray:
    r"""The change ``dg`` of a group (scores ``ya`` → ``yb``) split among its children, ``(n, k)``.

    Arithmetic: :math:`\hat w^b_k v^b_k - \hat w^a_k v^a_k`, exact. Geometric: the log-mean
    (LMDI) split :math:`L(y_b, y_a)\,\Delta(\hat w_k \ln x_k)`, exact when every child is
    positive. Otherwise the mean weight times the child's change, rescaled to add up to
    ``dg``. Units whose split is not exact are cleared in ``exact`` (updated in place; the
    geometric rescaling reads it).
    """
    if method == "arithmetic":
        exact_split: np.ndarray = ch.wb * ch.vb - ch.wa * ch.va
        return exact_split
    approx = (ch.wa + ch.wb) / 2 * (ch.vb - ch.va)
    if method == "geometric":
        ka, kb, pa, pb = ch.ka, ch.kb, ch.pa, ch.pb
        with np.errstate(all="ignore"):
            la = np.where(pa & (ka > 0), np.log(np.where(ka > 0, ka, 1.0)), 0.0)
            lb = np.where(pb & (kb > 0), np.log(np.where(kb > 0, kb, 1.0)), 0.0)
        ok = ~(((ka <= 0) & pa) | ((kb <= 0) & pb)).any(axis=1)
        lm = _logmean(np.nan_to_num(yb), np.nan_to_num(ya))
        local = np.where(ok[:, None], lm[:, None] * (ch.wb * lb - ch.wa * la), approx)
        exact &= ok | np.isnan(ya) | np.isnan(yb)
    else:
        local = approx
        exact &= np.isnan(ya) | np.isnan(yb) | (dg == 0)
    total = local.sum(axis=1)
    # an approximate split is rescaled so that it sums to the group's change
    with np.errstate(all="ignore"):
        scale_fix = np.where(total != 0, dg / total, 0.0)
    if method == "geometric":
        return np.asarray(np.where(exact[:, None], local, local * scale_fix[:, None]))
    return np.asarray(local * scale_fix[:, None])


def _paired(
    res: Result, frm: int, to: int, units: Sequence[str] | None = None
) -> tuple[list[str], dict[str, np.ndarray], dict[str, np.ndarray]]:
    a = _year_frame(res.scores, frm)
    b = _year_frame(res.scores, to)
    a.index, b.index = a.index.astype(str), b.index.astype(str)
    ids = list(units) if units is not None else [u for u in b.index if u in a.index]
    a, b = a.reindex(ids), b.reindex(ids)
    return (
        ids,
        {c: a[c].to_numpy(dtype=float) for c in a.columns},
        {c: b[c].to_numpy(dtype=float) for c in b.columns},
    )


def _method_label(res: Result) -> str:
    kinds = set(_aggregators(res).values())
    if kinds <= {"arithmetic"}:
        return "additive"
    if kinds <= {"arithmetic", "geometric"}:
        return "additive / log-additive (LMDI)"
    return "approximate (weight × change, rescaled)"


def decompose(
    res: Result,
    unit: str,
    from_year: int | None = None,
    to_year: int | None = None,
    *,
    lang: str = "en",
    warn: bool = True,
) -> Decomposition:
    r"""Split a unit's change of index score between two years into node contributions.

    Let :math:`\hat w_k(t)` be child *k*'s weight renormalised over the children present in
    year *t* (absent children weigh 0), and :math:`\Delta` the change from ``from_year`` to
    ``to_year``.

    * **Arithmetic trees (exact).** While every ancestor of a node is arithmetic, the index is
      :math:`y(t) = \sum_i E_i(t)\,x_i(t)` with :math:`E_i` the product of renormalised weights
      on the path to the index. A node's contribution is
      :math:`c_i = E_i(t_1)\,x_i(t_1) - E_i(t_0)\,x_i(t_0)`; they sum exactly to
      :math:`\Delta y` (children to their group, indicators to the index), a change of weight
      or of data coverage included.
    * **Geometric groups (log-additive, exact).** :math:`\ln y_g = \sum_k \hat w_k \ln x_k`, so
      :math:`\Delta y_g = \sum_k L(y_g(t_1), y_g(t_0))\,\Delta(\hat w_k \ln x_k)` with the
      logarithmic mean :math:`L(a,b) = (a-b)/(\ln a - \ln b)` (LMDI-I, Ang 2005).
    * **Other aggregators (approximate).** :math:`d_k = \bar{\hat w}_k\,\Delta x_k`, rescaled so
      the :math:`d_k` sum to :math:`\Delta y_g`; ``exact`` is False.

    Below a non-arithmetic group, the group's contribution is shared among its children in
    proportion to their local split :math:`d_k` (which sums to the group's change), so the
    contributions still add up exactly at every level.

    Raises
    ------
    DataError
        The unit is not in both years.
    """
    import pandas as pd

    frm, to = _pick_years(res, from_year, to_year)
    problems = _warn(res) if warn else comparability(res)
    fw = res.framework
    row_to = res._row_of(unit, to)
    uid = str(res.units[row_to])
    try:
        row_from = res._row_of(uid, frm)
    except DataError:
        raise DataError(
            f"unit '{uid}' has no row for year {frm}", hint="pick two years in which the unit was scored"
        ) from None
    _, xa, xb = _paired(res, frm, to, [uid])
    contrib, exact = _decompose_arrays(res, xa, xb, (frm, to))
    root_change = float(xb[fw.id][0] - xa[fw.id][0])
    rows = []
    for node in fw.walk():
        c = float(contrib[node.id][0])
        rows.append(
            {
                "node": node.id,
                "label": node.label(lang),
                "parent": node.parent or "",
                "depth": fw.depth(node.id),
                "is_indicator": node.is_indicator,
                "score_from": float(xa[node.id][0]),
                "score_to": float(xb[node.id][0]),
                "change": float(xb[node.id][0] - xa[node.id][0]),
                "contribution": c,
                "share": c / root_change
                if root_change not in (0.0,) and not math.isnan(root_change)
                else np.nan,
            }
        )
    names = res._names(lang)
    return Decomposition(
        unit=uid,
        name=None if names is None else str(names[row_to]),
        from_year=frm,
        to_year=to,
        score_from=float(xa[fw.id][0]),
        score_to=float(xb[fw.id][0]),
        rank_from=float(res.rank_of(fw.id)[row_from]),
        rank_to=float(res.rank_of(fw.id)[row_to]),
        table=pd.DataFrame(rows),
        exact=bool(exact[0]),
        method=_method_label(res),
        warnings=problems,
    )


def decompose_all(
    res: Result, from_year: int | None = None, to_year: int | None = None, *, warn: bool = True
) -> pd.DataFrame:
    """:func:`decompose` for every unit scored in both years: units × nodes contributions.

    Columns: one per node (its contribution to the index change, in index points; the index
    column is the index change itself) and ``exact``.
    """
    import pandas as pd

    frm, to = _pick_years(res, from_year, to_year)
    if warn:
        _warn(res)
    ids, xa, xb = _paired(res, frm, to)
    contrib, exact = _decompose_arrays(res, xa, xb, (frm, to))
    out = pd.DataFrame(
        {n.id: contrib[n.id] for n in res.framework.walk()},
        index=pd.Index(ids, name=res.framework.unit_column),
    )
    out["exact"] = exact
    return out


# ---------------------------------------------------------------------------------------------
# 3. trends
# ---------------------------------------------------------------------------------------------


def _clean(y: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    keep = ~np.isnan(y)
    order = np.argsort(x[keep], kind="stable")
    return y[keep][order], x[keep][order]


def cagr(y: np.ndarray, x: np.ndarray) -> float:
    r"""Compound annual growth rate between the first and the last observed point.

    .. math:: \mathrm{CAGR} = \left(\frac{y_{last}}{y_{first}}\right)^{1/(x_{last}-x_{first})} - 1

    Missing points are dropped; NaN with fewer than 2 points; 0 when the first and last values
    are equal (also 0 and 0). A negative ratio gives NaN (a real root does not exist), a zero
    start ``inf`` — both as COINr's ``CAGR`` (R/trends.R).
    """
    yy, xx = _clean(np.asarray(y, dtype=float), np.asarray(x, dtype=float))
    if yy.size < 2:
        return float("nan")
    if yy[-1] == yy[0]:
        return 0.0
    with np.errstate(all="ignore"):
        return float(np.power(yy[-1] / yy[0], 1.0 / (xx[-1] - xx[0])) - 1.0)


def pct_change(y: np.ndarray, x: np.ndarray, per: float = 1.0) -> float:
    r"""Percentage change per ``per`` time units, as COINr's ``prc_change``.

    With 2 points: :math:`100\,(y_{last} - y_{first})/y_{first} \cdot per/(x_{last} - x_{first})`.
    With 3 or more: the least-squares line :math:`y = a + b x`, and
    :math:`100\, b\, per / (a + b\, x_{first})` — the fitted change per ``per`` relative to the
    fitted value at the first point. 0 when every value is the same; NaN with fewer than 2.
    """
    yy, xx = _clean(np.asarray(y, dtype=float), np.asarray(x, dtype=float))
    if yy.size < 2:
        return float("nan")
    if np.all(yy == yy[0]):
        return 0.0
    with np.errstate(all="ignore"):
        if yy.size < 3:
            return float((yy[-1] - yy[0]) * 100 / yy[0] * (per / (xx[-1] - xx[0])))
        b, _ = _lsq(xx, yy)
        # the fitted first value a + b·x_first, written around the means: no cancellation
        # between a large intercept and b·x_first (years are ~2000)
        first = yy.mean() + b * (xx[0] - xx.mean())
        return float(b * per / first * 100)


def _lsq(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Slope and intercept of the least-squares line (centred: as accurate as R's ``lm``)."""
    xm, ym = x.mean(), y.mean()
    dx = x - xm
    b = float(np.sum(dx * (y - ym)) / np.sum(dx * dx))
    return b, float(ym - b * xm)


def slope(y: np.ndarray, x: np.ndarray) -> float:
    r"""Slope :math:`b` of the least-squares line :math:`y = a + b x` (change per year).

    NaN with fewer than 2 points. (COINr has no slope metric; ``prc_change`` divides it by the
    fitted first value.)
    """
    yy, xx = _clean(np.asarray(y, dtype=float), np.asarray(x, dtype=float))
    if yy.size < 2:
        return float("nan")
    return _lsq(xx, yy)[0]


_METRICS = {"cagr": cagr, "pct_change": pct_change, "slope": slope}


def trends(
    res: Result,
    *,
    dset: str = "scores",
    nodes: Sequence[str] | None = None,
    units: Sequence[str] | None = None,
    metrics: Sequence[str] = ("cagr", "pct_change", "slope"),
    years: Sequence[int] | None = None,
    use_latest: int | None = None,
    interp_at: Sequence[int] | str | None = None,
    adjust_directions: bool = False,
) -> pd.DataFrame:
    r"""Growth of every node (or indicator of a data stage) per unit over a panel.

    COINr's ``get_trends(purse, dset, uCodes, iCodes, Time, use_latest, f_trend, interp_at,
    adjust_directions)`` conventions:

    * ``years`` keeps only those years (COINr ``Time``); ignored with ``use_latest``.
    * ``interp_at`` (years, or ``"all"`` for every year of the panel): the series is linearly
      interpolated at those years before the metric (R's ``approx``, no extrapolation).
    * ``use_latest = k``: the metric uses the last *k* time points ending at the unit's latest
      observation; NaN when there are fewer. COINr gives NaN also when exactly *k* points exist
      (its test ``i_first > 1`` skips the first point); here those *k* points are used.
    * ``adjust_directions``: multiply each metric by the indicator's direction.
    * ``avail``: the share of the unit's time points (or of ``years``) with data, before any
      interpolation; ``t_first`` / ``t_latest``: the first and latest of them with data (only
      when at least two exist, as COINr).

    The panel is handled as one units × years × nodes array: every metric of every series is
    computed at once (about 100 times faster than series by series).

    Parameters
    ----------
    dset
        ``"scores"`` (normalised indicators, groups and the index) or an intermediate dataset of
        :meth:`Result.step` (``"raw"``, ``"denominated"``, …; indicators only).
    metrics
        Any of ``cagr`` (:func:`cagr`), ``pct_change`` (:func:`pct_change`), ``slope``
        (:func:`slope`).

    Returns
    -------
    DataFrame
        Long format, one row per unit and node: ``unit``, ``node``, one column per metric,
        ``avail``, ``t_first``, ``t_latest``; rows ordered by node then unit (as COINr).
    """
    import pandas as pd

    all_years = _years(res)
    frame = _trend_frame(res, dset, nodes, metrics, use_latest)
    interp_years = _interp_years(interp_at, all_years)
    if years is not None:
        absent = sorted(set(int(y) for y in years) - set(all_years))
        if absent:
            raise UsageError(
                f"year {absent[0]} is not in the panel", hint=f"years: {', '.join(map(str, all_years))}"
            )
    fw = res.framework
    unit_ids = frame.index.get_level_values(0).astype(str).to_numpy()
    ulist = sorted(set(unit_ids.tolist()))
    if units is not None:
        want = {str(u) for u in units}
        ulist = [u for u in ulist if u in want]
    grid = np.array(sorted(set(all_years) | set(interp_years)), dtype=float)
    n_u, nodes_ = len(ulist), list(frame.columns)
    cube, exists = _panel_cube(frame, unit_ids, ulist, grid)
    if interp_years:  # COINr merges the interpolation years into every unit's series
        exists[:, np.isin(grid, interp_years)] = True
        use = _interpolate_at(cube, grid, np.isin(grid, interp_years))
    else:
        use = cube
    raw, t_sel, ex_raw = cube, grid, exists
    if years is not None:
        sel = np.isin(grid, [int(y) for y in years])
        raw, t_sel, ex_raw = cube[:, sel], grid[sel], np.ones((n_u, int(sel.sum())), dtype=bool)
        if use_latest is None:  # the metric too uses only those years (COINr's Time)
            use, exists = use[:, sel], ex_raw
    avail, first_t, last_t = _availability(raw, ex_raw, t_sel)
    y = use.copy()
    valid = ~np.isnan(y)
    if use_latest is not None:
        y = _latest_window(y, valid, exists, int(use_latest))
        valid = ~np.isnan(y)
    direction = {i.id: float(i.direction) for i in fw.indicators}
    sign = np.array([direction.get(n, 1.0) if adjust_directions else 1.0 for n in nodes_])
    t_use = t_sel if years is not None and use_latest is None else grid
    values = {m: _metric_cube(m, y, valid, t_use) * sign for m in metrics}
    out = pd.DataFrame(
        {
            "unit": np.tile(np.array(ulist, dtype=object), len(nodes_)),
            "node": np.repeat(np.array(nodes_, dtype=object), n_u),
            **{m: values[m].T.reshape(-1) for m in metrics},
            "avail": avail.T.reshape(-1),
            "t_first": pd.array(first_t.T.reshape(-1), dtype="Float64").astype("Int64"),
            "t_latest": pd.array(last_t.T.reshape(-1), dtype="Float64").astype("Int64"),
        }
    )
    return out


def _trend_frame(
    res: Result, dset: str, nodes: Sequence[str] | None, metrics: Sequence[str], use_latest: int | None
) -> pd.DataFrame:
    """The dataset :func:`trends` reads (its ``nodes`` only), once the metrics and
    ``use_latest`` are checked."""
    bad = [m for m in metrics if m not in _METRICS]
    if bad:
        raise UsageError(
            f"unknown trend metric '{bad[0]}'." + did_you_mean(bad[0], _METRICS),
            hint=f"metrics: {', '.join(_METRICS)}",
        )
    if use_latest is not None and (int(use_latest) != use_latest or use_latest < 2):
        raise UsageError(f"use_latest must be a whole number of years >= 2, got {use_latest}")
    frame = res.scores if dset == "scores" else res.step(dset)
    if nodes is not None:
        missing = [n for n in nodes if n not in frame.columns]
        if missing:
            raise UsageError(
                f"no node '{missing[0]}' in dataset '{dset}'." + did_you_mean(missing[0], frame.columns)
            )
        frame = frame[list(nodes)]
    return frame


def _interp_years(interp_at: Sequence[int] | str | None, all_years: list[int]) -> list[int]:
    """The years :func:`trends` interpolates at (none, or ``"all"`` the panel's), checked to lie
    within the panel's years."""
    if interp_at is None:
        return []
    # NB: a string other than "all" reaches int() of its characters first, so it fails with
    # int()'s ValueError before the UsageError below (a refactor kept this as it was).
    interp_years = (
        all_years if isinstance(interp_at, str) and interp_at == "all" else sorted(int(y) for y in interp_at)
    )
    if isinstance(interp_at, str) and interp_at != "all":
        raise UsageError(f"interp_at must be years or 'all', got {interp_at!r}")
    if min(interp_years) < all_years[0] or max(interp_years) > all_years[-1]:
        raise UsageError(
            "one or more interp_at years are outside the years of the panel",
            hint=f"years: {all_years[0]}–{all_years[-1]}",
        )
    return interp_years


def _panel_cube(
    frame: pd.DataFrame, unit_ids: np.ndarray, ulist: list[str], grid: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The panel as a cube, units ``ulist`` × years ``grid`` × nodes (NaN where a unit has no
    row), and which (unit, year) rows exist."""
    row_years = frame.index.get_level_values("year").to_numpy(dtype=int)
    cube = np.full((len(ulist), grid.size, len(frame.columns)), np.nan)
    exists = np.zeros((len(ulist), grid.size), dtype=bool)
    upos = {u: k for k, u in enumerate(ulist)}
    tpos = {int(t): k for k, t in enumerate(grid)}
    keep_rows = np.array([u in upos for u in unit_ids], dtype=bool)
    ui = np.array([upos[u] for u in unit_ids[keep_rows]], dtype=int)
    ti = np.array([tpos[int(t)] for t in row_years[keep_rows]], dtype=int)
    cube[ui, ti] = frame.to_numpy(dtype=float)[keep_rows]
    exists[ui, ti] = True
    return cube, exists


def _availability(
    raw: np.ndarray, exists: np.ndarray, t: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per unit and node: the share of the unit's time points ``t`` with a (raw, not
    interpolated) value, and the first and latest of them (NaN unless there are two)."""
    present = ~np.isnan(raw) & exists[:, :, None]
    n_present = present.sum(axis=1)
    with np.errstate(all="ignore"):
        avail = n_present / exists.sum(axis=1)[:, None]
    first_t = np.where(n_present > 1, t[np.argmax(present, axis=1)], np.nan)
    last_t = np.where(n_present > 1, t[t.size - 1 - np.argmax(present[:, ::-1], axis=1)], np.nan)
    return avail, first_t, last_t


def _latest_window(y: np.ndarray, valid: np.ndarray, exists: np.ndarray, k: int) -> np.ndarray:
    """``y`` (units × years × nodes) kept only on the last ``k`` time points ending at each
    series' latest value (all NaN when the unit has fewer)."""
    # the window counts the unit's own time points (its rows), as COINr's series do
    order_pos = np.cumsum(exists, axis=1) - 1
    order_pos = np.where(exists, order_pos, -(10**9))
    last = np.where(valid.any(axis=1), y.shape[1] - 1 - np.argmax(valid[:, ::-1], axis=1), 0)
    rank_last = np.take_along_axis(
        order_pos[:, :, None].repeat(y.shape[2], axis=2), last[:, None, :], axis=1
    )[:, 0, :]
    lo = rank_last - k + 1
    window = (order_pos[:, :, None] >= lo[:, None, :]) & (order_pos[:, :, None] <= rank_last[:, None, :])
    window &= (lo >= 0)[:, None, :]
    return np.where(window, y, np.nan)


def _interpolate_at(cube: np.ndarray, grid: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Linear interpolation along the years axis at the years ``at`` (R's ``approx``, rule 1:
    NaN outside a series' observed range; fewer than 2 points: all NaN)."""
    valid = ~np.isnan(cube)
    n_t = cube.shape[1]
    idx = np.arange(n_t)[None, :, None]
    prev = np.maximum.accumulate(np.where(valid, idx, -1), axis=1)
    nxt = np.minimum.accumulate(np.where(valid, idx, n_t)[:, ::-1], axis=1)[:, ::-1]
    ok = (prev >= 0) & (nxt < n_t)
    p, q = np.clip(prev, 0, n_t - 1), np.clip(nxt, 0, n_t - 1)
    yp = np.take_along_axis(cube, p, axis=1)
    yq = np.take_along_axis(cube, q, axis=1)
    tp, tq = grid[p], grid[q]
    tt = grid[None, :, None]
    with np.errstate(all="ignore"):
        est = np.where(q == p, yp, yp + (yq - yp) * (tt - tp) / (tq - tp))
    est = np.where(ok, est, np.nan)
    out = cube.copy()
    out[:, at] = est[:, at]
    out[(valid.sum(axis=1) < 2)[:, None, :].repeat(n_t, axis=1)] = np.nan
    return out


def _metric_cube(metric: str, y: np.ndarray, valid: np.ndarray, t: np.ndarray) -> np.ndarray:
    """:func:`cagr`, :func:`pct_change` or :func:`slope` of every series of a
    ``(units, years, nodes)`` cube at once (NaN with fewer than 2 points)."""
    n = valid.sum(axis=1)
    n_t = y.shape[1]
    first = np.argmax(valid, axis=1)
    last = n_t - 1 - np.argmax(valid[:, ::-1], axis=1)
    y_first = np.take_along_axis(y, first[:, None, :], axis=1)[:, 0, :]
    y_last = np.take_along_axis(y, last[:, None, :], axis=1)[:, 0, :]
    t_first, t_last = t[first], t[last]
    with np.errstate(all="ignore"):
        if metric == "cagr":
            out = np.where(y_last == y_first, 0.0, np.power(y_last / y_first, 1.0 / (t_last - t_first)) - 1.0)
        else:
            tt = np.broadcast_to(t[None, :, None], y.shape)
            t_mean = np.where(valid, tt, 0.0).sum(axis=1) / n
            y_mean = np.where(valid, y, 0.0).sum(axis=1) / n
            dt = np.where(valid, tt - t_mean[:, None, :], 0.0)
            dy = np.where(valid, y - y_mean[:, None, :], 0.0)
            b = (dt * dy).sum(axis=1) / (dt * dt).sum(axis=1)
            if metric == "slope":
                out = b
            else:
                two = (y_last - y_first) * 100 / y_first / (t_last - t_first)
                reg = b / (y_mean + b * (t_first - t_mean)) * 100  # as pct_change
                out = np.where(n < 3, two, reg)
                ymax = np.where(valid, y, -np.inf).max(axis=1)
                ymin = np.where(valid, y, np.inf).min(axis=1)
                out = np.where(ymax == ymin, 0.0, out)
    return np.where(n >= 2, out, np.nan)


# ---------------------------------------------------------------------------------------------
# 4. comparing runs
# ---------------------------------------------------------------------------------------------


def _aligned(res_a: Result, res_b: Result, node: str, by: str) -> pd.DataFrame:
    import pandas as pd

    for res in (res_a, res_b):
        if node not in res.node_ids:
            raise UsageError(
                f"'{node}' is not a node of framework '{res.framework.id}'."
                + did_you_mean(node, res.node_ids)
            )
    if by not in {"ranks", "scores"}:
        raise UsageError(f"by must be 'ranks' or 'scores', got {by!r}")
    a = (res_a.ranks if by == "ranks" else res_a.scores)[node]
    b = (res_b.ranks if by == "ranks" else res_b.scores)[node]
    return pd.concat([a.rename("a"), b.rename("b")], axis=1, join="outer")


def compare(
    res_a: Result, res_b: Result, *, node: str | None = None, by: str = "ranks", sort_by: str | None = None
) -> pd.DataFrame:
    r"""Two runs on the same data, unit by unit — COINr's ``compare_coins``.

    ``run_a``, ``run_b``: the rank (``by="ranks"``, 1 = best, ties the lowest rank) or score
    of ``node`` (default the index) in each run; ``diff`` :math:`= a - b` and ``abs_diff``.
    Units are matched by id (and year); a unit in one run only has NaN in the other.
    ``sort_by`` orders the rows by a column (largest first for ``abs_diff``).

    References
    ----------
    COINr 1.1.14, R/compare.R: ``compare_coins(coin1, coin2, dset, iCode, compare_by)``
    (columns ``coin.1``, ``coin.2``, ``Diff``, ``Abs.diff``).
    """
    node = node or res_a.framework.id
    both = _aligned(res_a, res_b, node, by)
    out = both.rename(columns={"a": "run_a", "b": "run_b"})
    out["diff"] = out["run_a"] - out["run_b"]
    out["abs_diff"] = out["diff"].abs()
    names = _names(res_a) | _names(res_b)
    out = out.reset_index()
    if names:
        out.insert(1 if res_a.years is None else 2, "name", [names.get(str(u), "") for u in out.iloc[:, 0]])
    if sort_by is not None:
        if sort_by not in out.columns:
            raise UsageError(f"cannot sort by '{sort_by}'." + did_you_mean(sort_by, out.columns))
        out = out.sort_values(
            sort_by, ascending=sort_by not in {"abs_diff"}, kind="stable", na_position="last"
        ).reset_index(drop=True)
    return out


def compare_multi(
    results: Mapping[str, Result] | Sequence[Result],
    *,
    node: str | None = None,
    by: str = "ranks",
    table: str = "values",
    base: int = 0,
) -> pd.DataFrame:
    """Several runs side by side — COINr's ``compare_coins_multi``.

    ``table``: ``values`` (each run's rank or score), ``diffs`` (each run minus the ``base``
    run) or ``absdiffs``. Columns are the run names (``run_1``, … for a sequence); the base run
    comes first and rows are sorted by it.
    """
    import pandas as pd

    runs = (
        dict(results) if isinstance(results, Mapping) else {f"run_{k + 1}": r for k, r in enumerate(results)}
    )
    if len(runs) < 2:
        raise UsageError("compare_multi needs at least two runs")
    if table not in {"values", "diffs", "absdiffs"}:
        raise UsageError(f"table must be values, diffs or absdiffs, got {table!r}")
    names = list(runs)
    if not 0 <= base < len(names):
        raise UsageError(f"base must index one of the {len(names)} runs, got {base}")
    order = [names[base], *[n for k, n in enumerate(names) if k != base]]
    first = runs[order[0]]
    node = node or first.framework.id
    cols = []
    for name in order:
        r = runs[name]
        if node not in r.node_ids:
            raise UsageError(f"'{node}' is not a node of run '{name}'")
        cols.append((r.ranks if by == "ranks" else r.scores)[node].rename(name))
    out = pd.concat(cols, axis=1, join="outer")
    if table != "values":
        out = out.sub(out[order[0]], axis=0)
        if table == "absdiffs":
            out = out.abs()
    out = out.sort_values(order[0], kind="stable", na_position="last")
    return out.reset_index()


def compare_summary(
    res_a: Result, res_b: Result, *, nodes: Sequence[str] | None = None, n_top: int = 3
) -> pd.DataFrame:
    r"""How much two runs differ, node by node (the index and every group).

    Columns: ``node``, ``mean_abs_rank_shift`` :math:`\frac1n\sum|r_a - r_b|`,
    ``max_abs_rank_shift``, ``units_moved`` (rank differs), ``spearman`` (Spearman correlation
    of the two runs' scores over units scored in both), ``most_moved`` (the ``n_top`` units
    with the largest shifts, ``id ↑k`` when the unit ranks k places better in run b).
    """
    import pandas as pd
    from scipy.stats import spearmanr

    fw = res_a.framework
    rows = []
    for node in nodes or [fw.id, *_groups(res_a)]:
        ranks = _aligned(res_a, res_b, node, "ranks").dropna()
        scores = _aligned(res_a, res_b, node, "scores").dropna()
        shift = ranks["a"] - ranks["b"]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            rho = float(spearmanr(scores["a"], scores["b"]).statistic) if len(scores) > 2 else np.nan
        top = shift.abs().sort_values(ascending=False, kind="stable").head(n_top)
        labels = []
        for key in top.index:
            uid = key[0] if isinstance(key, tuple) else key
            d = int(shift.loc[key])
            if d:
                labels.append(f"{uid} {movement(d)}")
        rows.append(
            {
                "node": node,
                "mean_abs_rank_shift": float(shift.abs().mean()) if len(shift) else np.nan,
                "max_abs_rank_shift": float(shift.abs().max()) if len(shift) else np.nan,
                "units_moved": int((shift != 0).sum()),
                "spearman": rho,
                "most_moved": ", ".join(labels),
            }
        )
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------------
# 5. what it would take
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TargetPlan:
    """The smallest improvement of a unit's indicators that reaches a rank or a score.

    Attributes
    ----------
    table
        One row per indicator: ``indicator``, ``label``, ``direction``, ``value`` (now, in the
        indicator's units — after denominating, before any transform), ``needed`` (the planned
        value), ``change`` (``needed - value``), ``change_pct`` (percent of ``value``),
        ``score_now`` / ``score_needed`` (normalised), ``cap`` (the bound used), ``at_cap``.
    reachable
        False when the target cannot be reached within the bounds; ``table`` then holds the
        best the bounds allow (every indicator at its cap).
    """

    unit: str
    name: str | None
    year: int | None
    score: float
    rank: float
    target_score: float
    target_rank: int | None
    reachable: bool
    best_score: float
    best_rank: int
    solver: str
    table: pd.DataFrame
    assumptions: list[str]

    def changes(self) -> pd.DataFrame:
        """The indicators that must change (non-zero ``change``), largest percent first."""
        t = self.table[self.table["change"].abs() > 1e-12 * (1 + self.table["value"].abs())]
        return t.reindex(t["change_pct"].abs().sort_values(ascending=False).index)


def _affine_map(before: np.ndarray, after: np.ndarray) -> tuple[float, float, float]:
    """``after ≈ a + b·before`` over the units where both are finite: (a, b, max residual)."""
    ok = np.isfinite(before) & np.isfinite(after)
    x, y = before[ok], after[ok]
    if x.size < 2 or np.ptp(x) == 0:
        return np.nan, np.nan, np.inf
    b, a = _lsq(x, y)
    return a, b, float(np.max(np.abs(a + b * x - y))) if x.size else np.inf


def _unit_index(
    res: Result, z: np.ndarray, year: int | None, aggs: dict[str, str], present: dict[str, bool]
) -> float:
    """The index of one unit from its normalised indicators ``z`` (framework order)."""
    fw = res.framework
    vals: dict[str, float] = {i.id: float(z[j]) for j, i in enumerate(fw.indicators)}
    for g in fw.groups:
        children = fw.children(g.id)
        w = _weights_for(res, g.id, year)
        keep = np.array([present[c] for c in children])
        x = np.array([vals[c] for c in children])[keep]
        ww = w[keep] / w[keep].sum()
        if aggs[g.id] == "arithmetic":
            vals[g.id] = float(ww @ x)
        elif aggs[g.id] == "geometric":
            vals[g.id] = float(np.exp(ww @ np.log(np.maximum(x, 1e-300))))
        elif aggs[g.id] == "harmonic":
            vals[g.id] = float(1.0 / (ww @ (1.0 / np.maximum(x, 1e-300))))
        else:
            raise MethodError(
                f"target: aggregation '{aggs[g.id]}' of '{g.id}' is not supported",
                hint="target plans arithmetic, geometric and harmonic trees; "
                "recompute with --aggregate arithmetic",
            )
    return vals[fw.id]


def target(
    res: Result,
    unit: str,
    *,
    rank: int | None = None,
    score: float | None = None,
    year: int | None = None,
    indicators: Sequence[str] | None = None,
    caps: Mapping[str, float] | None = None,
    costs: Mapping[str, float] | None = None,
    margin: float = 1e-6,
) -> TargetPlan:
    r"""The smallest improvement of ``unit``'s indicators that lifts it to ``rank`` (or ``score``).

    Everyone else is fixed, and so are the normalisation parameters (the min and max, mean and
    sd, or goalposts fitted in the result), which makes each normalised indicator an affine
    function of the indicator's (transformed) value: :math:`z_j = a_j + b_j\,v_j`. With
    :math:`\delta_j \ge 0` the normalised points gained on indicator *j*, the plan solves

    .. math:: \min_\delta \sum_j c_j\,\delta_j \quad\text{s.t.}\quad
              y(z^0 + \delta) \ge y^*,\qquad 0 \le \delta_j \le z^{cap}_j - z^0_j

    where :math:`y^*` is the score of the unit now at rank *N* among the others (plus
    ``margin``), :math:`z^{cap}_j` the best value observed that year (or ``caps``), and
    :math:`c_j` the cost of one normalised point in relative change of the indicator:
    :math:`c_j = 1/|b_j|` for a log-transformed indicator (a change of :math:`\Delta v` in
    log units is a relative change :math:`e^{\Delta v} - 1 \approx \Delta v`) and
    :math:`c_j = 1/(|b_j|\,|x_j|)` otherwise, times ``costs[j]`` when given. Arithmetic trees
    are linear in :math:`\delta`: ``scipy.optimize.linprog`` (HiGHS) solves them exactly.
    Geometric and harmonic means are concave and increasing, so the feasible set is convex and
    SLSQP (``scipy.optimize.minimize``) finds the optimum.

    Parameters
    ----------
    rank, score
        The target: a rank (1 = best) or an index score; exactly one.
    year
        The year of a panel (default the latest).
    indicators
        Only these indicators may change (default all the unit has data for).
    caps
        Bounds per indicator id, in the indicator's units (a maximum for direction +1, a
        minimum for −1), instead of the best value observed.
    costs
        Relative cost per indicator (default 1): how hard a 1 % change is.

    Raises
    ------
    UsageError
        Neither or both of ``rank`` and ``score``; a rank out of range; an unknown indicator.
    MethodError
        A normaliser that is not affine (rank, percentile, …) or an unsupported aggregator.
    """
    import pandas as pd

    if (rank is None) == (score is None):
        raise UsageError("give exactly one target: a rank (--rank N) or a score (--score S)")
    fw = res.framework
    r = res._row_of(unit, year)
    uid = str(res.units[r])
    yr = None if res.years is None else int(res.years[r])
    block = np.arange(len(res.rows)) if yr is None else np.flatnonzero(res.years == yr)
    pos = {n: k for k, n in enumerate(res.node_ids)}
    root = pos[fw.id]
    s0 = float(res.score_matrix[r, root])
    if math.isnan(s0):
        raise DataError(
            f"unit '{uid}' has no index score" + (f" in {yr}" if yr else ""),
            hint="a unit needs a score to plan from; see `mfgindex explain`",
        )
    others = np.array([res.score_matrix[k, root] for k in block if k != r], dtype=float)
    others = np.sort(others[~np.isnan(others)])[::-1]
    rank, goal = _target_goal(others, rank, score, margin)
    current_rank = float(res.rank_of(fw.id)[r])
    _check_target_options(fw, indicators, caps)
    methods = res.provenance.get("methods", {})
    _check_affine(fw, methods.get("normalize", {}))
    obs = _observed(res, r, block)
    model = _unit_model(res, r, yr, obs.z0, s0, uid)
    levers = _levers(fw, obs, model.present, indicators, caps, costs)
    best_score = model.index(model.z + levers.upper)
    best_rank = int(1 + np.sum(others > best_score))
    reachable = best_score >= goal
    delta, solver = _solve_target(model, levers, goal, s0, reachable)
    names = res._names("en")
    return TargetPlan(
        unit=uid,
        name=None if names is None else str(names[r]),
        year=yr,
        score=s0,
        rank=current_rank,
        target_score=goal,
        target_rank=rank,
        reachable=bool(reachable),
        best_score=best_score,
        best_rank=best_rank,
        solver=solver,
        table=pd.DataFrame(_target_rows(fw, obs, model, levers, delta)),
        assumptions=_target_assumptions(methods, caps, costs),
    )


def _target_goal(
    others: np.ndarray, rank: int | None, score: float | None, margin: float
) -> tuple[int | None, float]:
    """The target rank (checked) and the index score that reaches it: ``margin`` above the
    score of the unit now at that rank among ``others`` (sorted, best first); -inf for the
    last rank. A score target is its own goal."""
    if rank is None:
        return None, float(score)  # type: ignore[arg-type]
    if not 1 <= int(rank) <= len(others) + 1:
        raise UsageError(f"must be between 1 and {len(others) + 1}, got {rank}", where="--rank")
    rank = int(rank)
    return rank, float(others[rank - 1]) + margin if rank <= len(others) else -np.inf


def _check_target_options(
    fw: Framework, indicators: Sequence[str] | None, caps: Mapping[str, float] | None
) -> None:
    """Every indicator named in ``indicators`` (``--only``) and ``caps`` (``--cap``) exists."""
    ids = [i.id for i in fw.indicators]
    if indicators is not None:
        unknown = [i for i in indicators if i not in ids]
        if unknown:
            raise UsageError(
                f"no indicator '{unknown[0]}' in framework '{fw.id}'." + did_you_mean(unknown[0], ids),
                where="--only",
            )
    for key in caps or {}:
        if key not in ids:
            raise UsageError(f"--cap: no indicator '{key}'." + did_you_mean(key, ids))


def _check_affine(fw: Framework, norm: Any) -> None:
    """Every indicator's normaliser (one spec, or one per indicator) is affine in its value:
    the plan inverts it."""
    ids = [i.id for i in fw.indicators]
    specs = norm if isinstance(norm, Mapping) else dict.fromkeys(ids, norm)
    bad = sorted({_method_name(specs[i]) for i in ids if _method_name(specs[i]) not in _AFFINE})
    if bad:
        raise MethodError(
            f"target needs a normalisation that is linear in the indicator; '{bad[0]}' is not",
            where="--normalize",
            hint="recompute with minmax, zscore or goalposts",
        )


@dataclass(frozen=True)
class _Observed:
    """The values a target plan starts from, indicators in framework order."""

    #: The year's units just before normalising (transformed, …) and after: ``block × m``.
    before: np.ndarray
    normalized: np.ndarray
    #: The unit's own values in the indicators' units (denominated, not transformed) and its
    #: normalised values (NaN where it has none).
    value: np.ndarray
    z0: np.ndarray


def _observed(res: Result, r: int, block: np.ndarray) -> _Observed:
    """The steps of ``res`` a plan reads, for the rows ``block`` of the unit's year and the
    unit's row ``r``."""
    steps = res.steps
    # The last step before normalising: the values the normaliser is affine in.
    before_key = next(
        k for k in ("treated", "screened", "imputed", "transformed", "denominated", "raw") if k in steps
    )
    value_key = "denominated" if "denominated" in steps else "raw"
    return _Observed(
        before=steps[before_key][block],
        normalized=steps["normalized"][block],
        value=steps[value_key][r],
        z0=steps["normalized"][r].copy(),
    )


@dataclass(frozen=True)
class _UnitModel:
    """One unit's index as a function of its normalised indicators, everyone else fixed."""

    res: Result
    year: int | None
    aggs: dict[str, str]
    #: Which indicators and groups have a value: a missing one stays missing.
    present: dict[str, bool]
    #: The normalised indicators now (0 where missing) and the index they give.
    z: np.ndarray
    base: float

    def index(self, z: np.ndarray) -> float:
        """The index with normalised indicators ``z``."""
        return _unit_index(self.res, z, self.year, self.aggs, self.present)


def _unit_model(res: Result, r: int, year: int | None, z0: np.ndarray, s0: float, uid: str) -> _UnitModel:
    """The model of row ``r``, checked to reproduce its index score ``s0``."""
    fw = res.framework
    aggs = _aggregators(res)
    present = {i.id: not np.isnan(z0[j]) for j, i in enumerate(fw.indicators)}
    # the groups' presence stays as it is
    for g in fw.groups:
        present[g.id] = not np.isnan(res.score_matrix[r, res.node_ids.index(g.id)])
    zfill = np.where(np.isnan(z0), 0.0, z0)
    base = _unit_index(res, zfill, year, aggs, present)
    if not math.isclose(base, s0, rel_tol=1e-9, abs_tol=1e-9):
        raise MethodError(
            f"target cannot reproduce unit '{uid}''s score ({base:.6g} vs {s0:.6g})",
            hint="this happens with data-driven weights or coverage rules; "
            "recompute with --weights framework",
        )
    return _UnitModel(res, year, aggs, present, zfill, base)


@dataclass(frozen=True)
class _Levers:
    """What a plan may move, per indicator (framework order)."""

    #: ``z = a + b·v``: the normalised value from the value before normalising (NaN: not
    #: affine, the indicator stays as it is).
    a: np.ndarray
    b: np.ndarray
    #: Normalised points the indicator may gain (0: it stays), and the cost of one point.
    upper: np.ndarray
    cost: np.ndarray
    #: The normalised value of its cap (NaN when it stays).
    cap: np.ndarray


def _levers(
    fw: Framework,
    obs: _Observed,
    present: Mapping[str, bool],
    indicators: Sequence[str] | None,
    caps: Mapping[str, float] | None,
    costs: Mapping[str, float] | None,
) -> _Levers:
    """The affine map, room to the cap and cost of every indicator the plan may move: those
    the unit has data for (and in ``indicators``), affine over the year's units and with an
    invertible transform."""
    m = len(fw.indicators)
    coef_a, coef_b = np.full(m, np.nan), np.full(m, np.nan)
    upper = np.zeros(m)
    cost = np.ones(m)
    caps_used = np.full(m, np.nan)
    for j, ind in enumerate(fw.indicators):
        iid = ind.id
        if not present[iid] or (indicators is not None and iid not in indicators):
            continue
        z_year = obs.normalized[:, j]
        a, b, resid = _affine_map(obs.before[:, j], z_year)
        if not np.isfinite(b) or b == 0 or resid > 1e-6 * (1 + np.nanmax(np.abs(z_year))):
            continue  # constant or clipped indicator: leave it as it is
        coef_a[j], coef_b[j] = a, b
        tname = _method_name(ind.transform) if ind.transform else None
        if tname is not None and tname not in _INVERSE_TRANSFORMS:
            continue
        zcap = _cap_score(z_year, a, b, tname, caps[iid] if caps and iid in caps else None)
        upper[j] = max(zcap - obs.z0[j], 0.0)
        caps_used[j] = zcap
        cost[j] = _point_cost(b, tname, obs.value[j], obs.before[:, j])
        cost[j] *= float((costs or {}).get(iid, 1.0))
    return _Levers(coef_a, coef_b, upper, cost, caps_used)


def _cap_score(z: np.ndarray, a: float, b: float, tname: str | None, cap: float | None) -> float:
    """The normalised value an indicator may reach: the best of the year's units ``z``, or
    ``cap`` (in the indicator's units) through its transform and ``a + b·v``."""
    if cap is None:
        return float(np.nanmax(z))
    cap_v = float(cap)
    if tname is not None:
        with np.errstate(all="ignore"):
            cap_v = float(_FORWARD_TRANSFORMS[tname](cap_v))
    return a + b * cap_v


def _point_cost(b: float, tname: str | None, x_now: float, before: np.ndarray) -> float:
    """Cost of one normalised point as a relative change of the indicator: a log-transformed
    indicator moves ``1/|b|`` log units (≈ relative change); another ``1/|b|`` units, relative
    to its value now (the year's mean magnitude when it is 0)."""
    scale_x = abs(x_now) if x_now != 0 else float(np.nanmean(np.abs(before)))
    if tname is not None and tname.startswith("log"):
        return 1.0 / abs(b)
    return 1.0 / (abs(b) * max(scale_x, 1e-300))


def _solve_target(
    model: _UnitModel, levers: _Levers, goal: float, s0: float, reachable: bool
) -> tuple[np.ndarray, str]:
    """The normalised points ``δ`` to gain per indicator, and the solver that found them."""
    m = levers.upper.size
    if s0 >= goal:
        return np.zeros(m), "none (already there)"
    if not reachable:
        return levers.upper.copy(), "none (out of reach: every indicator at its cap)"
    if set(model.aggs.values()) <= {"arithmetic"}:
        return _solve_linear(model, levers, goal, s0), "linprog (HiGHS)"
    return _solve_concave(model, levers, goal), "SLSQP (convex: concave aggregation)"


def _solve_linear(model: _UnitModel, levers: _Levers, goal: float, s0: float) -> np.ndarray:
    """An arithmetic tree is linear, ``y = s0 + Σ E_j δ_j`` with ``E_j`` from unit steps: the
    cheapest ``δ`` is a linear programme."""
    from scipy.optimize import linprog

    upper = levers.upper
    m = upper.size
    eff = np.zeros(m)
    for jj in np.flatnonzero(upper > 0):
        e = np.zeros(m)
        e[jj] = 1.0
        eff[jj] = model.index(model.z + e) - model.base
    out = linprog(
        levers.cost,
        A_ub=-eff[None, :],
        b_ub=[-(goal - s0)],
        bounds=list(zip(np.zeros(m), upper, strict=True)),
        method="highs",
    )
    if out.status != 0:
        raise MethodError(f"target: the linear programme failed ({out.message})")
    delta: np.ndarray = np.clip(out.x, 0, upper)
    return delta


def _solve_concave(model: _UnitModel, levers: _Levers, goal: float) -> np.ndarray:
    """Geometric and harmonic means are concave and increasing, so the feasible set is convex:
    SLSQP finds the cheapest ``δ``."""
    from scipy.optimize import minimize

    cost, upper = levers.cost, levers.upper
    m = upper.size
    scale = float(np.max(upper[upper > 0]))

    def objective(d: np.ndarray) -> float:
        return float(cost @ d)

    def reach(d: np.ndarray) -> float:
        return model.index(model.z + d) - goal

    start = upper * 0.5
    out = minimize(
        objective,
        start,
        jac=lambda d: cost,
        method="SLSQP",
        bounds=list(zip(np.zeros(m), upper, strict=True)),
        constraints=[{"type": "ineq", "fun": reach}],
        options={"maxiter": 500, "ftol": 1e-12 * max(scale, 1.0)},
    )
    delta = np.clip(out.x, 0, upper)
    if reach(delta) < 0:  # a hair short of the target after clipping: move towards the caps
        lo, hi = 0.0, 1.0
        for _ in range(60):
            mid = (lo + hi) / 2
            if reach(delta + mid * (upper - delta)) >= 0:
                hi = mid
            else:
                lo = mid
        delta = delta + hi * (upper - delta)
    return np.asarray(delta)


def _target_rows(
    fw: Framework, obs: _Observed, model: _UnitModel, levers: _Levers, delta: np.ndarray
) -> list[dict[str, Any]]:
    """The plan's table: each indicator's value now and needed, in its own units."""
    z_new = model.z + delta
    rows = []
    for j, ind in enumerate(fw.indicators):
        iid = ind.id
        tname = _method_name(ind.transform) if ind.transform else None
        x0 = float(obs.value[j])
        if model.present[iid] and np.isfinite(levers.b[j]) and delta[j] > 0:
            x_new = _value_of(z_new[j], levers, j, tname)
        else:
            x_new = x0
        cap_x = _value_of(levers.cap[j], levers, j, tname) if np.isfinite(levers.cap[j]) else np.nan
        rows.append(
            {
                "indicator": iid,
                "label": ind.label(),
                "direction": ind.direction,
                "value": x0,
                "needed": x_new,
                "change": x_new - x0,
                "change_pct": (x_new - x0) / abs(x0) * 100 if x0 != 0 else np.nan,
                "score_now": obs.z0[j],
                "score_needed": z_new[j] if model.present[iid] else np.nan,
                "cap": cap_x,
                "at_cap": bool(levers.upper[j] > 0 and delta[j] >= levers.upper[j] - 1e-9),
            }
        )
    return rows


def _value_of(z: float, levers: _Levers, j: int, tname: str | None) -> float:
    """Indicator ``j``'s value (its own units) with normalised value ``z``: the affine map and
    the transform inverted."""
    v = (z - levers.a[j]) / levers.b[j]
    return float(_INVERSE_TRANSFORMS[tname](v)) if tname else float(v)


def _target_assumptions(
    methods: Mapping[str, Any], caps: Mapping[str, float] | None, costs: Mapping[str, float] | None
) -> list[str]:
    """What a plan assumes, in words (the CLI prints them under the table)."""
    return [
        "every other unit's values stay as they are",
        "normalisation parameters stay fixed ("
        + ("fitted on all years" if str(methods.get("fit_on")) == "pooled" else "as fitted in this result")
        + "); a value "
        "beyond the observed best, or lifting the unit that defines the minimum, would refit them",
        "no indicator goes beyond " + ("its cap" if caps else "the best value observed that year"),
        "indicators are changed independently: two indicators built from the same data column "
        "(e.g. a total and the same total per GDP) are not linked",
        "cost = relative change of each indicator (log change for log-transformed ones)"
        + (", weighted by the costs given" if costs else ""),
    ]
