"""Compact HTML summaries of result objects for notebooks (``_repr_html_``).

Plain string building with :func:`html.escape` on every value: a notebook summary must work
without the ``[plot]`` extra, and it is small enough not to need a template.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from mfgindex.analysis import Coherence
    from mfgindex.result import Result
    from mfgindex.robustness import SensitivityResult, UncertaintyResult

__all__ = ["coherence_html", "result_html", "sensitivity_html", "uncertainty_html"]

_STYLE = (
    "<style>.mfgindex-summary table{border-collapse:collapse;font-size:12px}"
    ".mfgindex-summary th,.mfgindex-summary td{padding:2px 8px;text-align:left;"
    "border-bottom:1px solid #ddd}.mfgindex-summary td.n{text-align:right;"
    "font-variant-numeric:tabular-nums}.mfgindex-summary p{margin:2px 0;color:#555}</style>"
)


def _cell(value: Any, digits: int) -> tuple[str, bool]:
    import pandas as pd

    if value is None or value is pd.NA:
        return "–", True
    if isinstance(value, float):
        return ("–" if math.isnan(value) else f"{value:.{digits}f}"), True
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value), True
    text = str(value)
    return ("–" if text == "<NA>" else text), text == "<NA>"


def _table(
    frame: pd.DataFrame,
    columns: Sequence[str] | None = None,
    *,
    digits: int = 2,
    labels: dict[str, str] | None = None,
) -> str:
    cols = [c for c in (columns or list(frame.columns)) if c in frame.columns]
    labels = labels or {}
    head = "".join(f"<th>{escape(labels.get(str(c), str(c)))}</th>" for c in cols)
    body = []
    for row in frame[cols].itertuples(index=False):
        cells = []
        for v in row:
            text, numeric = _cell(v.item() if hasattr(v, "item") else v, digits)
            cells.append(f'<td class="n">{escape(text)}</td>' if numeric else f"<td>{escape(text)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _wrap(title: str, lines: Sequence[str], table: str) -> str:
    meta = "".join(f"<p>{escape(line)}</p>" for line in lines)
    return f'<div class="mfgindex-summary">{_STYLE}<strong>{escape(title)}</strong>{meta}{table}</div>'


def result_html(result: Result, *, top: int = 10, lang: str = "en") -> str:
    """Framework, data, units and the top ``top`` units (a panel: its latest year)."""
    import numpy as np

    fw = result.framework
    frame = result.to_frame(lang=lang, sort=True)
    years = result.years
    year = span = None
    if years is not None:
        year = int(np.max(years))
        span = f"{int(np.min(years))}–{year}"
        frame = frame[frame["year"] == year]
    frame = frame.head(top)
    name_col = next((c for c in frame.columns if c in {fw.name_column, fw.name_column_zh, "name"}), None)
    groups = list(fw.children(fw.id))
    cols = [
        "rank",
        fw.unit_column,
        *([name_col] if name_col else []),
        fw.id,
        *groups,
        *(["stage"] if "stage" in frame.columns else []),
    ]
    labels = {n: fw.nodes[n].label(lang) for n in [fw.id, *groups]}
    n_units = len(set(result.units.astype(str).tolist()))
    lines = [
        f"framework {fw.id}"
        + (f" {fw.version}" if fw.version else "")
        + f" · data {Path(str(result.data.source)).name} · {n_units} units"
        + (f" · years {span}, top {top} of {year}" if year is not None else ""),
        f"{len(fw.indicators)} indicators in {len(fw.groups) - 1} groups",
    ]
    digits = 3 if fw.scale[1] <= 1 else 2
    return _wrap(fw.root.label(lang), lines, _table(frame, cols, digits=digits, labels=labels))


def uncertainty_html(res: UncertaintyResult, *, top: int = 10) -> str:
    """Runs, what varied, and the rank intervals of the top ``top`` units."""
    fw = res.framework
    inputs = ", ".join(map(str, res.provenance.get("inputs", []) or []))
    lines = [
        f"{int(res.valid.sum())} of {len(res.runs)} runs valid" + (f" · varying {inputs}" if inputs else "")
    ]
    return _wrap(f"{fw.root.label()}: rank uncertainty", lines, _table(res.to_frame().head(top), digits=1))


def sensitivity_html(res: SensitivityResult) -> str:
    """The Sobol indices of each input."""
    lines = [f"output: {res.output} · N = {res.n} ({res.n_valid} valid) · {len(res.outputs)} runs"]
    return _wrap(
        f"{res.uncertainty.framework.root.label()}: Sobol indices", lines, _table(res.to_frame(), digits=3)
    )


def coherence_html(co: Coherence) -> str:
    """Cronbach's alpha and the first component's share per group, and the flagged pairs."""
    lines = [f"{len(co.flagged)} flagged sibling pair(s) (r < {co.negative:g} or r > {co.collinear:g})"]
    return _wrap(f"{co.framework.root.label()}: coherence", lines, _table(co.groups, digits=3))
