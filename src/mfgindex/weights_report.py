"""The weights of a result as a table: each group's child shares, their share of the index,
and the consistency of an AHP comparison matrix (what ``mfgindex weights`` prints).

Examples
--------
>>> import mfgindex as mi
>>> from mfgindex.weights_report import weight_shares
>>> fw = mi.load_framework("hdi")
>>> res = mi.compute(fw, mi.read_data(fw.dataset, fw))
>>> table = weight_shares(res)
>>> list(table.columns)
['group', 'node', 'name', 'framework', 'weight', 'global', 'method']
>>> round(float(table.loc[table["group"] == "hdi", "global"].sum()), 9)
1.0
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    import pandas as pd

    from mfgindex.framework import Framework
    from mfgindex.result import Result

__all__ = ["AHPConsistency", "ahp_consistency", "weight_shares"]


class AHPConsistency(NamedTuple):
    """Saaty's consistency of a comparison matrix: λmax, CI = (λmax − n)/(n − 1), CR = CI/RI."""

    lambda_max: float
    ci: float
    cr: float


def ahp_consistency(framework: Framework, group: str, spec: str) -> AHPConsistency | None:
    """The consistency of ``group``'s pairwise comparison matrix when its weight method
    ``spec`` is AHP (``ahp``, ``ahp(method=geometric)``); None for another method or a group
    without a matrix in the framework.

    The matrix is reordered to the group's children as the framework lists them; the
    computation is :func:`mfgindex.methods.weight.ahp_weights` (Saaty 1980).

    >>> import mfgindex as mi
    >>> ahp_consistency(mi.load_framework("city"), "city", "equal") is None
    True
    """
    import numpy as np

    from mfgindex.methods.registry import resolve
    from mfgindex.methods.weight import ahp_weights

    call = resolve("weight", spec)
    if call.name != "ahp" or group not in framework.comparisons:
        return None
    order, matrix = framework.comparisons[group]
    children = framework.children(group)
    idx = [order.index(c) for c in children]
    method = str(call.kwargs.get("method", call.method.params["method"].default))
    rows = [[matrix[i][j] for j in idx] for i in idx]
    _, lam, ci, cr = ahp_weights(np.asarray(rows, dtype=float), method, labels=children)
    return AHPConsistency(lam, ci, cr)


def _shares(values: list[float]) -> list[float]:
    total = sum(values)
    return [v / total if total > 0 else math.nan for v in values]


def weight_shares(result: Result, *, lang: str = "en") -> pd.DataFrame:
    """One row per (year,) group and child: the framework's share, the share used, and the
    share of the index (the product of the shares down the tree, COINr's effective weight).

    Columns: ``year`` (a panel of several years only), ``group``, ``node``, ``name`` (in
    ``lang``), ``framework``, ``weight``, ``global``, ``method``; and ``lambda_max``, ``ci``,
    ``cr`` when a group is weighted by AHP (:func:`ahp_consistency`).
    """
    import pandas as pd

    fw = result.framework
    years: list[Any] = list(result.provenance.get("years") or [])
    keyed = len(years) > 1  # a panel of several years: one block of rows per year
    specs: Mapping[str, str] = result.provenance["methods"]["weights"]
    ahp = {g.id: ahp_consistency(fw, g.id, specs[g.id]) for g in fw.groups}
    show_ahp = any(v is not None for v in ahp.values())
    nan3 = AHPConsistency(math.nan, math.nan, math.nan)
    rows: list[dict[str, Any]] = []
    for yr in years if keyed else [years[0] if years else None]:
        global_share: dict[str, float] = {fw.id: 1.0}
        # tree order (parents before children), so global shares accumulate down the tree
        for group in (n for n in fw.walk() if not n.is_indicator):
            children = fw.children(group.id)
            derived = result.weights_of(group.id, yr)
            used = _shares([derived[c] for c in children]) if derived else [math.nan] * len(children)
            given = _shares([fw.nodes[c].weight for c in children])
            for child, w, f in zip(children, used, given, strict=True):
                global_share[child] = global_share.get(group.id, math.nan) * w
                row: dict[str, Any] = {"year": yr} if yr is not None else {}
                row |= {
                    "group": group.id,
                    "node": child,
                    "name": fw.nodes[child].label(lang),
                    "framework": f,
                    "weight": w,
                    "global": global_share[child],
                    "method": specs[group.id],
                }
                if show_ahp:
                    row |= (ahp[group.id] or nan3)._asdict()
                rows.append(row)
    return pd.DataFrame(rows)
