"""Assemble the report: the numbers of each section, the figures as inline SVG, one template."""

from __future__ import annotations

import json
import math
import time
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from mfgindex.errors import UsageError
from mfgindex.plot._style import COLUMNS_ZH

if TYPE_CHECKING:
    from jinja2 import Environment
    from matplotlib.figure import Figure

    from mfgindex.result import Result
    from mfgindex.robustness import UncertaintyResult

__all__ = ["build", "environment", "write"]

_TEMPLATES = Path(__file__).with_name("templates")

#: Fixed words of the report in each language (the framework supplies the rest).
WORDS: dict[str, dict[str, str]] = {
    "en": {
        "report": "report", "framework": "Framework", "data": "Data", "year": "Year",
        "units": "Units", "top10": "Top 10", "ranking": "Ranking", "rank": "Rank",
        "name": "Name", "score": "Score", "stage": "Stage", "stages": "Development stages",
        "count": "Units", "ranks": "Ranks", "scores": "Scores", "cut": "Cut point (score)",
        "distribution": "Distribution by {by}", "leaders": "Leaders of each dimension",
        "profiles": "Unit profiles", "strengths": "Strengths", "weaknesses": "Weaknesses",
        "coherence": "Coherence", "alpha": "Cronbach's alpha", "pc1": "First component's share",
        "children": "Children", "group": "Group", "mean_r": "Mean correlation", "robustness": "Robustness",
        "nominal": "Nominal rank", "median": "Median rank", "interval": "5–95 % interval",
        "shift": "Mean rank shift", "methods": "Methods and provenance", "stage_method": "rule",
        "file": "File", "version": "Version", "sha": "SHA-256", "method": "Method",
        "step": "Step", "contents": "Contents", "of": "of", "reproduce": "Reproduce",
        "full_provenance": "Full provenance (JSON)", "per_node": "per node",
        "indicator": "Indicator", "weight": "Effective weight", "generated": "Built by mfgindex",
        "none_stage": "This framework has no development stages.",
        "flagged": "Flagged pairs", "pair": "Pair", "r": "r", "flag": "Flag",
        "no_flags": "No sibling pair is flagged.", "top": "top",
        "runs": "runs", "in_top": "in the top", "share": "Share",
    },
    "zh": {
        "report": "报告", "framework": "指标体系", "data": "数据", "year": "年份",
        "units": "单位数", "top10": "前 10 名", "ranking": "排名", "rank": "排名",
        "name": "名称", "score": "得分", "stage": "阶段", "stages": "发展阶段",
        "count": "数量", "ranks": "排名范围", "scores": "得分范围", "cut": "分界得分",
        "distribution": "{by}分布", "leaders": "各维度领先者",
        "profiles": "单位概况", "strengths": "优势", "weaknesses": "短板",
        "coherence": "统计一致性", "alpha": "Cronbach α 系数", "pc1": "第一主成分占比",
        "children": "下级指标数", "group": "指标组", "mean_r": "平均相关系数", "robustness": "稳健性",
        "nominal": "名义排名", "median": "排名中位数", "interval": "5–95% 区间",
        "shift": "平均排名变动", "methods": "方法与来源", "stage_method": "规则",
        "file": "文件", "version": "版本", "sha": "SHA-256", "method": "方法",
        "step": "步骤", "contents": "目录", "of": "/", "reproduce": "复现",
        "full_provenance": "完整来源记录（JSON）", "per_node": "按节点",
        "indicator": "指标", "weight": "有效权重", "generated": "由 mfgindex 生成",
        "none_stage": "该指标体系未定义发展阶段。",
        "flagged": "标记的指标对", "pair": "指标对", "r": "相关系数", "flag": "标记",
        "no_flags": "没有被标记的同级指标对。", "top": "前",
        "runs": "次", "in_top": "位于前", "share": "占比",
    },
}


#: Unit columns the distribution section counts by, the first one the data has.
BY_COLUMNS = ("province", "zone_type", "region", "group", "city_type")


def environment() -> Environment:
    """The jinja2 environment of the report templates, autoescaping every value."""
    from mfgindex.plot._style import require

    require()
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(_TEMPLATES)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _num(value: Any, digits: int = 1) -> str:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return "–"
    return "–" if math.isnan(v) else f"{v:.{digits}f}"


def _int(value: Any) -> str:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return "–"
    return "–" if math.isnan(v) else str(int(v))


class _Figures:
    """Figures drawn for one report, turned into inline SVG (each with its own id salt)."""

    def __init__(self) -> None:
        self.count = 0
        self.seconds = 0.0

    def svg(self, fig: Figure) -> str:
        from mfgindex.plot._style import to_svg

        start = time.perf_counter()
        self.count += 1
        text = to_svg(fig, salt=f"mfgindex-figure-{self.count}")
        self.seconds += time.perf_counter() - start
        return text


def build(
    result: Result,
    *,
    lang: str = "en",
    top: int = 100,
    units: Sequence[str] = (),
    by: str | None = None,
    uncertainty: UncertaintyResult | None = None,
    figures: bool = True,
    year: int | None = None,
) -> str:
    """The HTML report of ``result``.

    Parameters
    ----------
    result
        A computed index (a panel's latest year is reported unless ``year``).
    lang
        ``en`` or ``zh``: the framework's ``name`` or ``name_zh`` fields and the report's words.
    top
        Length of the ranked list (CCID publishes a top 100).
    units
        Units (ids or names) given a profile with their strengths and weaknesses.
    by
        Unit column of the distribution section (default: province, zone_type or region).
    uncertainty
        An :func:`mfgindex.uncertainty` result: adds the robustness section.
    figures
        False leaves the figures out (a smaller, faster report).

    Returns
    -------
    str
        One self-contained HTML document.
    """
    from mfgindex.plot import figures as fg
    from mfgindex.plot._style import Labels, cjk_font, unit_names

    if lang not in WORDS:
        raise UsageError(f"lang must be en or zh, got '{lang}'")
    if top < 1:
        raise UsageError(f"--top must be a positive number of units, got {top}")
    env = environment()
    fw = result.framework
    # Figures fall back to English labels without a CJK font (with a warning); the HTML text
    # stays in the language asked for, since the browser brings its own fonts.
    fig_lang = lang if (lang != "zh" or cjk_font() is not None) else "en"
    if fig_lang != lang:
        fg.resolve_lang(lang)  # the warning
    rows, yr = fg._year_rows(result, year)
    labels = Labels(fw, lang)
    words = WORDS[lang]
    names = unit_names(result, lang)
    art = _Figures()
    dims = list(fw.children(fw.id))
    pos = {n: k for k, n in enumerate(result.node_ids)}
    ordered = fg._top_rows(result, rows, fw.id, None)
    chosen = ordered[:top]
    columns = [str(c) for c in result.data.unit_columns.columns]
    if by is None:
        by = next((c for c in BY_COLUMNS if c in columns), None)
    elif by not in columns:
        from mfgindex.errors import did_you_mean

        raise UsageError(f"--by: no unit column '{by}' in the data." + did_you_mean(by, columns),
                         hint="unit columns: " + ", ".join(columns))
    by_values = (result.data.unit_columns[by].to_numpy(dtype=object)[result.rows]
                 if by is not None else None)
    stage_names = result.stage_labels(lang)
    digits = 3 if fw.scale[1] <= 1 else 1

    def fig(make: Any) -> str | None:
        if not figures:
            return None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # e.g. a glyph missing: said once, by the CLI
            return art.svg(make())

    # -- the ranked list ----------------------------------------------------------------------
    table = []
    for r in chosen:
        table.append({
            "rank": _int(result.rank_matrix[r, pos[fw.id]]),
            "id": str(result.units[r]),
            "name": names[r],
            "by": "" if by_values is None else _text(by_values[r]),
            "score": _num(result.score_matrix[r, pos[fw.id]], digits),
            "dims": [(_num(result.score_matrix[r, pos[d]], digits),
                      _int(result.rank_matrix[r, pos[d]])) for d in dims],
            "stage": str(stage_names[r]),
        })

    # -- stages -------------------------------------------------------------------------------
    stage_rows = []
    cuts: list[float] = []
    if fw.stages is not None:
        cuts = fg.stage_cuts(result, yr)
        codes = result.stage_codes[rows]
        for band in range(len(fw.stages.labels)):
            sel = rows[codes == band]
            if sel.size == 0:
                stage_rows.append({"label": fw.stages.label(band, lang), "count": 0, "ranks": "–",
                                   "scores": "–"})
                continue
            rk = result.rank_matrix[sel, pos[fw.id]]
            sc = result.score_matrix[sel, pos[fw.id]]
            stage_rows.append({
                "label": fw.stages.label(band, lang), "count": int(sel.size),
                "ranks": f"{_int(np.nanmin(rk))}–{_int(np.nanmax(rk))}",
                "scores": f"{_num(np.nanmin(sc), digits)}–{_num(np.nanmax(sc), digits)}",
            })

    # -- distribution over a unit column -------------------------------------------------------
    dist_rows = []
    if by_values is not None:
        counts: dict[str, list[int]] = {}
        n_bands = len(fw.stages.labels) if fw.stages is not None else 0
        for r in chosen:
            key = _text(by_values[r]) or "–"
            entry = counts.setdefault(key, [0] * (n_bands + 1))
            entry[0] += 1
            code = int(result.stage_codes[r])
            if 0 <= code < n_bands:
                entry[code + 1] += 1
        for key, entry in sorted(counts.items(), key=lambda kv: (-kv[1][0], kv[0])):
            dist_rows.append({"value": key, "count": entry[0], "bands": entry[1:],
                              "share": f"{entry[0] / max(len(chosen), 1):.0%}"})

    # -- leaders of each dimension ----------------------------------------------------------------
    leaders = []
    for d in dims:
        best = fg._top_rows(result, rows, d, 3)
        leaders.append({"label": labels.node(d), "units": [
            {"name": names[r], "score": _num(result.score_matrix[r, pos[d]], digits),
             "rank": _int(result.rank_matrix[r, pos[d]])} for r in best]})

    # -- profiles --------------------------------------------------------------------------------
    profiles = []
    for unit in units:
        exp = result.explain(unit, year=yr, lang=lang)
        profiles.append({
            "name": exp.name or exp.unit, "id": exp.unit,
            "rank": _int(exp.rank), "n_units": exp.n_units, "score": _num(exp.score, digits),
            "stage": exp.stage,
            "strengths": [(labels.node(i), k) for i, k in exp.strengths],
            "weaknesses": [(labels.node(i), k) for i, k in exp.weaknesses],
            "figure": fig(lambda exp=exp: fg.profile(result, exp.unit, year=yr, lang=fig_lang)),
        })

    # -- coherence -----------------------------------------------------------------------------
    coherence = _coherence(result, rows, labels)

    # -- robustness ----------------------------------------------------------------------------
    robust = None
    if uncertainty is not None:
        frame = uncertainty.to_frame()
        frame = frame[frame["nominal_rank"].notna()].head(min(top, 30))
        by_id = {str(result.units[r]): names[r] for r in rows}
        robust = {
            "runs": int(uncertainty.valid.sum()),
            "inputs": ", ".join(map(str, uncertainty.provenance.get("inputs", []) or [])),
            "rows": [{"name": by_id.get(str(row[fw.unit_column]), str(row[fw.unit_column])),
                      "nominal": _int(row["nominal_rank"]), "median": _num(row["median_rank"]),
                      "q05": _num(row["q05_rank"], 0), "q95": _num(row["q95_rank"], 0),
                      "shift": _num(row["mean_abs_shift"], 2)}
                     for row in frame.to_dict("records")],
            "figure": fig(lambda: fg.uncertainty(uncertainty, top=min(top, 30), names=by_id,
                                                 lang=fig_lang)),
        }

    figs = {
        "bar": fig(lambda: fg.bar(result, top=min(top, 20), year=yr, lang=fig_lang)),
        "framework": fig(lambda: fg.framework(result, lang=fig_lang)),
        "stages": fig(lambda: fg.stages(result, year=yr, lang=fig_lang)) if fw.stages else None,
        "groups": (fig(lambda: fg.groups(result, by, top=top, year=yr, lang=fig_lang))
                   if by is not None else None),
        "corr": fig(lambda: fg.corr(result, level=coherence["level"], year=yr, lang=fig_lang)),
        "dist": fig(lambda: fg.dist(result, year=yr, lang=fig_lang)),
    }

    prov = result.provenance
    context = {
        "lang": lang,
        "w": words,
        "title": fw.root.label(lang),
        "framework": {"id": fw.id, "name": fw.root.label(lang), "version": fw.version,
                      "file": Path(_file_name(prov.get("framework"))).name,
                      "sha": _sha(prov.get("framework"))},
        "data": {"file": Path(_file_name(prov.get("data")) or str(result.data.source)).name,
                 "sha": _sha(prov.get("data"))},
        "year": yr,
        "n_units": int(np.sum(~np.isnan(result.rank_matrix[rows, pos[fw.id]]))),
        "n_rows": len(rows),
        "top": len(chosen),
        "top10": table[:10],
        "table": table,
        "dims": [labels.node(d) for d in dims],
        "by": by,
        "by_label": (COLUMNS_ZH.get(by, by) if lang == "zh" else by) if by else None,
        "stages": stage_rows,
        "stage_rule": fw.stages.method if fw.stages is not None else None,
        "stage_labels": [fw.stages.label(b, lang) for b in range(len(fw.stages.labels))]
        if fw.stages is not None else [],
        "cuts": [_num(c, digits) for c in cuts],
        "distribution": dist_rows,
        "leaders": leaders,
        "profiles": profiles,
        "coherence": coherence,
        "robust": robust,
        "figures": figs,
        "methods": _methods(prov.get("methods") or {}, words),
        "weights": [{"label": labels.node(n.id), "depth": fw.depth(n.id),
                     "weight": f"{w:.1%}"} for n, w in
                    ((fw.nodes[k], v) for k, v in fg.effective_weights(result).items())],
        "version": prov.get("mfgindex", ""),
        "provenance": json.dumps(_plain(prov), ensure_ascii=False, indent=2),
        "css": (_TEMPLATES / "report.css").read_text(encoding="utf-8"),
    }
    return env.get_template("report.html.j2").render(**context)


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    text = str(value)
    return "" if text in {"nan", "None", "<NA>"} else text


def _file_name(record: Any) -> str:
    if isinstance(record, Mapping):
        return str(record.get("file") or record.get("id") or "")
    return ""


def _sha(record: Any) -> str:
    return str(record.get("sha256", "")) if isinstance(record, Mapping) else ""


def _methods(methods: Mapping[str, Any], words: Mapping[str, str]) -> list[dict[str, str]]:
    """One row per step: its method, or the per-node methods when nodes differ."""
    out = []
    for step, choice in methods.items():
        if isinstance(choice, Mapping):
            values = sorted(set(map(str, choice.values())))
            if len(values) == 1:
                text = f"{values[0]} ({words['per_node']}: {len(choice)})"
            else:
                text = "; ".join(f"{k}: {v}" for k, v in choice.items())
        else:
            text = str(choice)
        out.append({"step": str(step), "method": text})
    return out


def _plain(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str, allow_nan=True).replace("NaN", "null"))


def _coherence(result: Result, rows: np.ndarray, labels: Any) -> dict[str, Any]:
    """Cronbach's alpha and the first principal component's share per group, and the sibling
    pairs whose correlation is flagged (COINr's thresholds, -0.4 and 0.9)."""
    from mfgindex.analysis import cronbach_alpha, pairwise_corr, pc1_share

    fw = result.framework
    pos = {n: k for k, n in enumerate(result.node_ids)}
    groups = []
    flagged = []
    for node in fw.walk():
        if node.is_indicator:
            continue
        kids = list(fw.children(node.id))
        x = result.score_matrix[np.ix_(rows, np.array([pos[k] for k in kids]))]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            alpha = cronbach_alpha(x) if len(kids) > 1 else float("nan")
            share = pc1_share(x)[0] if len(kids) > 1 else float("nan")
            rs = []
            for i, a in enumerate(kids):
                for b in kids[i + 1:]:
                    r = pairwise_corr(x[:, i], x[:, kids.index(b)], "pearson")[0]
                    rs.append(r)
                    if np.isfinite(r) and (r < -0.4 or r > 0.9):
                        flagged.append({"pair": f"{labels.node(a)} – {labels.node(b)}",
                                        "r": _num(r, 2),
                                        "flag": labels.word("negative" if r < -0.4 else "collinear")})
        finite = [r for r in rs if np.isfinite(r)]
        groups.append({"label": labels.node(node.id), "children": len(kids),
                       "alpha": _num(alpha, 2), "pc1": _num(share * 100, 0) + " %"
                       if np.isfinite(share) else "–",
                       "mean_r": _num(np.mean(finite), 2) if finite else "–"})
    # Correlations among the dimensions when there is a level between them and the indicators.
    level = 2 if fw.level(fw.id) > 2 else 1
    return {"groups": groups, "flagged": flagged, "level": level}


def write(html: str, path: str | Path, *, protect: Sequence[Path] = ()) -> Path:
    """Write the report atomically (UTF-8); never over one of ``protect`` (the run's inputs)."""
    from mfgindex.io import atomic_path
    from mfgindex.plot._style import readable

    target = Path(path)
    if target.suffix.lower() not in {".html", ".htm"}:
        raise UsageError(f"a report is an HTML file, got '{target}'", hint="e.g. -o report.html")
    with atomic_path(target, protect=protect) as tmp:
        tmp.write_text(html, encoding="utf-8")
        readable(tmp)
    return target
