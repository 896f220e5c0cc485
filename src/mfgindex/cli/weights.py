"""The ``weights`` command: the weights each group gives its children under a weight method."""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from mfgindex.cli.common import (
    NO_METHODS,
    DataArg,
    FormatOpt,
    FrameworkOpt,
    LangOpt,
    MethodChoices,
    OutputOpt,
    YearOpt,
    check_lang,
    emit,
    load,
    resolve_format,
    user_errors,
    with_method_options,
)

if TYPE_CHECKING:
    import pandas as pd

    from mfgindex.framework import Framework
    from mfgindex.result import Result

MethodOpt = Annotated[
    str | None,
    typer.Option("--method", "-m", help="Weight method string for every group, e.g. 'entropy', "
                 "'critic(correlation=spearman)', 'ahp'; default: the framework's choices.",
                 rich_help_panel="Methods"),
]


@with_method_options(exclude=("weights",))
def weights(
    data: DataArg = None,
    framework: FrameworkOpt = "city",
    method: MethodOpt = None,
    year: YearOpt = None,
    fmt: FormatOpt = None,
    output: OutputOpt = None,
    lang: LangOpt = "en",
    methods: MethodChoices = NO_METHODS,
) -> None:
    """Derived weights per node: each group's child weights (AHP's consistency, entropy, ...).

    Data-driven methods weigh children by their normalised values: the weights `score` would use.
    Columns: framework = the framework's share; weight = the derived share; global = share of index.
    """
    from mfgindex.pipeline import compute

    with user_errors():
        check_lang(lang)
        out_fmt = resolve_format(fmt, output)
        fw, ds = load(framework, data)
        res = compute(fw, ds, year=year, weights=method, **methods.options())
        frame = weights_frame(res, lang=lang)
        protect = [Path(p) for p in (res.data.source, fw.path) if p and p != "<frame>"]
        labels = {"name": "名称", "group": "上级", "node": "节点", "framework": "框架权重",
                  "weight": "权重", "global": "全局权重", "method": "方法", "year": "年份"}
        emit(frame, fmt=out_fmt, output=output, provenance=res.provenance, protect=protect,
             title=f"{fw.root.label(lang)} — {'权重' if lang == 'zh' else 'weights'}", digits=4,
             labels=labels if lang == "zh" else None)


def _shares(values: list[float]) -> list[float]:
    total = sum(values)
    return [v / total if total > 0 else math.nan for v in values]


def _ahp_consistency(fw: Framework, group: str, spec: str) -> tuple[float, float, float] | None:
    """λmax, CI and CR of the group's comparison matrix when its weight method is AHP."""
    from mfgindex.methods.registry import resolve

    call = resolve("weight", spec)
    if call.name != "ahp" or group not in fw.comparisons:
        return None
    import numpy as np

    from mfgindex.methods.weight import ahp_weights

    order, matrix = fw.comparisons[group]
    children = fw.children(group)
    idx = [order.index(c) for c in children]
    method = str(call.kwargs.get("method", call.method.params["method"].default))
    rows = [[matrix[i][j] for j in idx] for i in idx]
    _, lam, ci, cr = ahp_weights(np.asarray(rows, dtype=float), method, labels=children)
    return lam, ci, cr


def weights_frame(res: Result, *, lang: str = "en") -> pd.DataFrame:
    """One row per (year,) group and child: framework share, derived share, global share."""
    import pandas as pd

    fw = res.framework
    years: list[Any] = list(res.provenance.get("years") or [])
    keyed = len(years) > 1  # a panel of several years: one block of rows per year
    specs: Mapping[str, str] = res.provenance["methods"]["weights"]
    ahp = {g.id: _ahp_consistency(fw, g.id, specs[g.id]) for g in fw.groups}
    show_ahp = any(v is not None for v in ahp.values())
    rows: list[dict[str, Any]] = []
    for yr in years if keyed else [years[0] if years else None]:
        global_share: dict[str, float] = {fw.id: 1.0}
        # tree order (parents before children), so global shares accumulate down the tree
        for group in (n for n in fw.walk() if not n.is_indicator):
            children = fw.children(group.id)
            derived = res.weights_of(group.id, yr)
            weight = _shares([derived[c] for c in children]) if derived else [math.nan] * len(children)
            framework = _shares([fw.nodes[c].weight for c in children])
            for child, w, f in zip(children, weight, framework, strict=True):
                global_share[child] = global_share.get(group.id, math.nan) * w
                row: dict[str, Any] = {"year": yr} if yr is not None else {}
                row |= {"group": group.id, "node": child, "name": fw.nodes[child].label(lang),
                        "framework": f, "weight": w, "global": global_share[child],
                        "method": specs[group.id]}
                if show_ahp:
                    lam, ci, cr = ahp[group.id] or (math.nan, math.nan, math.nan)
                    row |= {"lambda_max": lam, "ci": ci, "cr": cr}
                rows.append(row)
    return pd.DataFrame(rows)


def register(app: typer.Typer) -> None:
    app.command()(weights)
