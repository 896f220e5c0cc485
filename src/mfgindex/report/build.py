"""Assemble the report: the numbers of each section, the figures as inline SVG, one template."""

from __future__ import annotations

import json
import math
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from mfgindex.errors import UsageError
from mfgindex.plot._style import COLUMNS_ZH

if TYPE_CHECKING:
    from jinja2 import Environment
    from matplotlib.figure import Figure

    from mfgindex.plot._style import Labels
    from mfgindex.result import Result
    from mfgindex.robustness import UncertaintyResult

__all__ = ["build", "environment", "write"]

_TEMPLATES = Path(__file__).with_name("templates")

#: Fixed words of the report, (English, Chinese) side by side so that a word added in one
#: language cannot be forgotten in the other (the framework supplies the rest).
_WORD_PAIRS: dict[str, tuple[str, str]] = {
    "report": ("report", "报告"),
    "framework": ("Framework", "指标体系"),
    "data": ("Data", "数据"),
    "year": ("Year", "年份"),
    "units": ("Units", "单位数"),
    "top10": ("Top 10", "前 10 名"),
    "ranking": ("Ranking", "排名"),
    "rank": ("Rank", "排名"),
    "name": ("Name", "名称"),
    "score": ("Score", "得分"),
    "stage": ("Stage", "阶段"),
    "stages": ("Development stages", "发展阶段"),
    "count": ("Units", "数量"),
    "ranks": ("Ranks", "排名范围"),
    "scores": ("Scores", "得分范围"),
    "cut": ("Cut point (score)", "分界得分"),
    "distribution": ("Distribution by {by}", "{by}分布"),
    "leaders": ("Leaders of each dimension", "各维度领先者"),
    "profiles": ("Unit profiles", "单位概况"),
    "strengths": ("Strengths", "优势"),
    "weaknesses": ("Weaknesses", "短板"),
    "coherence": ("Coherence", "统计一致性"),
    "alpha": ("Cronbach's alpha", "Cronbach α 系数"),
    "pc1": ("First component's share", "第一主成分占比"),
    "children": ("Children", "下级指标数"),
    "group": ("Group", "指标组"),
    "mean_r": ("Mean correlation", "平均相关系数"),
    "robustness": ("Robustness", "稳健性"),
    "nominal": ("Nominal rank", "名义排名"),
    "median": ("Median rank", "排名中位数"),
    "interval": ("5–95 % interval", "5–95% 区间"),
    "shift": ("Mean rank shift", "平均排名变动"),
    "methods": ("Methods and provenance", "方法与来源"),
    "stage_method": ("rule", "规则"),
    "file": ("File", "文件"),
    "version": ("Version", "版本"),
    "sha": ("SHA-256", "SHA-256"),
    "method": ("Method", "方法"),
    "step": ("Step", "步骤"),
    "contents": ("Contents", "目录"),
    "of": ("of", "/"),
    "reproduce": ("Reproduce", "复现"),
    "full_provenance": ("Full provenance (JSON)", "完整来源记录（JSON）"),
    "per_node": ("per node", "按节点"),
    "indicator": ("Indicator", "指标"),
    "weight": ("Effective weight", "有效权重"),
    "generated": ("Built by mfgindex", "由 mfgindex 生成"),
    "none_stage": ("This framework has no development stages.", "该指标体系未定义发展阶段。"),
    "flagged": ("Flagged pairs", "标记的指标对"),
    "pair": ("Pair", "指标对"),
    "r": ("r", "相关系数"),
    "flag": ("Flag", "标记"),
    "no_flags": ("No sibling pair is flagged.", "没有被标记的同级指标对。"),
    "top": ("top", "前"),
    "runs": ("runs", "次"),
    "in_top": ("in the top", "位于前"),
    "share": ("Share", "占比"),
}

#: Fixed words of the report in each language: ``WORDS[lang][key]``.
WORDS: dict[str, dict[str, str]] = {
    lang: {key: pair[k] for key, pair in _WORD_PAIRS.items()} for k, lang in enumerate(("en", "zh"))
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


@dataclass
class _Page:
    """What every section of one report reads: the result, the rows of the reported year, the
    labels in the report's language and how its numbers and figures are printed."""

    result: Result
    rows: np.ndarray
    year: int | None
    lang: str
    #: Language of the figures' labels: English when ``zh`` has no CJK font to draw with.
    fig_lang: str
    labels: Labels
    names: list[str]
    pos: dict[str, int]
    #: The index's children (its dimensions) and each row's stage label.
    dims: list[str]
    stage_names: np.ndarray
    digits: int
    figures: bool
    art: _Figures = field(default_factory=_Figures)

    def score(self, row: int, node: str) -> str:
        """The printed score of ``row`` on ``node``."""
        return _num(self.result.score_matrix[row, self.pos[node]], self.digits)

    def rank(self, row: int, node: str) -> str:
        """The printed rank of ``row`` on ``node``."""
        return _int(self.result.rank_of(node)[row])

    def fig(self, make: Callable[[], Figure]) -> str | None:
        """The SVG of the figure ``make`` draws, or None when the report has no figures.

        Figures are numbered in the order they are drawn (the SVG id salt), so the sections
        must call this in the order of the page.
        """
        if not self.figures:
            return None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # e.g. a glyph missing: said once, by the CLI
            return self.art.svg(make())


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

    if lang not in WORDS:
        raise UsageError(f"lang must be en or zh, got '{lang}'")
    if top < 1:
        raise UsageError(f"--top must be a positive number of units, got {top}")
    env = environment()
    fw = result.framework
    page = _new_page(result, lang, year, figures)
    rows, yr = page.rows, page.year
    chosen = fg._top_rows(result, rows, fw.id, None)[:top]
    by = _by_column(result, by)
    by_values = result.data.unit_columns[by].to_numpy(dtype=object)[result.rows] if by is not None else None
    # The sections in the order of the page: figures are numbered (their SVG ids) as drawn.
    table = [_ranked_row(page, r, by_values) for r in chosen]
    stages = _stage_section(page)
    distribution = _distribution(page, chosen, by_values)
    leaders = _leaders(page)
    profiles = [_profile(page, unit) for unit in units]
    coherence = _coherence(result, rows, page.labels)
    robust = _robustness(page, uncertainty, top) if uncertainty is not None else None
    figs = _section_figures(page, top, by, coherence["level"])
    context = {
        "lang": lang,
        "w": WORDS[lang],
        "title": fw.root.label(lang),
        **_sources(result, lang),
        "year": yr,
        "n_units": int(np.sum(~np.isnan(result.rank_of(fw.id)[rows]))),
        "n_rows": len(rows),
        "top": len(chosen),
        "top10": table[:10],
        "table": table,
        "dims": [page.labels.node(d) for d in page.dims],
        "by": by,
        "by_label": (COLUMNS_ZH.get(by, by) if lang == "zh" else by) if by else None,
        **stages,
        "distribution": distribution,
        "leaders": leaders,
        "profiles": profiles,
        "coherence": coherence,
        "robust": robust,
        "figures": figs,
        "weights": _weights(page),
        "css": (_TEMPLATES / "report.css").read_text(encoding="utf-8"),
    }
    return env.get_template("report.html.j2").render(**context)


def _new_page(result: Result, lang: str, year: int | None, figures: bool) -> _Page:
    """What the sections of one report read (:class:`_Page`), for the year reported.

    Parameters
    ----------
    result : Result
        The computed index.
    lang : str
        ``en`` or ``zh``.
    year : int or None
        The year reported (a panel's latest when None).
    figures : bool
        Whether the report draws its figures.

    Returns
    -------
    _Page
        The page, with no figure drawn yet.
    """
    from mfgindex.plot import figures as fg
    from mfgindex.plot._style import Labels, cjk_font, resolve_lang, unit_names

    fw = result.framework
    # Figures fall back to English labels without a CJK font (with a warning); the HTML text
    # stays in the language asked for, since the browser brings its own fonts.
    fig_lang = lang if (lang != "zh" or cjk_font() is not None) else "en"
    if fig_lang != lang:
        resolve_lang(lang)  # the warning
    rows, yr = fg._year_rows(result, year)
    return _Page(
        result,
        rows,
        yr,
        lang,
        fig_lang,
        Labels(fw, lang),
        unit_names(result, lang),
        {n: k for k, n in enumerate(result.node_ids)},
        list(fw.children(fw.id)),
        result.stage_labels(lang),
        3 if fw.scale[1] <= 1 else 1,
        figures,
    )


def _by_column(result: Result, by: str | None) -> str | None:
    """The unit column of the distribution section: ``by`` checked, or the first of
    :data:`BY_COLUMNS` the data has (None when it has none)."""
    columns = [str(c) for c in result.data.unit_columns.columns]
    if by is None:
        return next((c for c in BY_COLUMNS if c in columns), None)
    if by not in columns:
        from mfgindex.errors import did_you_mean

        raise UsageError(
            f"--by: no unit column '{by}' in the data." + did_you_mean(by, columns),
            hint="unit columns: " + ", ".join(columns),
        )
    return by


def _ranked_row(page: _Page, row: int, by_values: np.ndarray | None) -> dict[str, Any]:
    """One line of the ranked list: the index's rank and score, then each dimension's."""
    fw = page.result.framework
    return {
        "rank": page.rank(row, fw.id),
        "id": str(page.result.units[row]),
        "name": page.names[row],
        "by": "" if by_values is None else _text(by_values[row]),
        "score": page.score(row, fw.id),
        "dims": [(page.score(row, d), page.rank(row, d)) for d in page.dims],
        "stage": str(page.stage_names[row]),
    }


def _stage_section(page: _Page) -> dict[str, Any]:
    """The stages table (each stage's count, rank range and score range among the year's rows),
    the stage rule, its labels and the cut points between adjacent stages."""
    from mfgindex.plot import figures as fg

    result, rows = page.result, page.rows
    fw = result.framework
    if fw.stages is None:
        return {"stages": [], "stage_rule": None, "stage_labels": [], "cuts": []}
    cuts = fg.stage_cuts(result, page.year)
    codes = result.stage_codes[rows]
    stage_rows: list[dict[str, Any]] = []
    for band in range(len(fw.stages.labels)):
        sel = rows[codes == band]
        if sel.size == 0:
            stage_rows.append(
                {"label": fw.stages.label(band, page.lang), "count": 0, "ranks": "–", "scores": "–"}
            )
            continue
        rk = result.rank_of(fw.id)[sel]
        sc = result.score_matrix[sel, page.pos[fw.id]]
        stage_rows.append(
            {
                "label": fw.stages.label(band, page.lang),
                "count": int(sel.size),
                "ranks": f"{_int(np.nanmin(rk))}–{_int(np.nanmax(rk))}",
                "scores": f"{_num(np.nanmin(sc), page.digits)}–{_num(np.nanmax(sc), page.digits)}",
            }
        )
    return {
        "stages": stage_rows,
        "stage_rule": fw.stages.method,
        "stage_labels": [fw.stages.label(b, page.lang) for b in range(len(fw.stages.labels))],
        "cuts": [_num(c, page.digits) for c in cuts],
    }


def _distribution(page: _Page, chosen: np.ndarray, by_values: np.ndarray | None) -> list[dict[str, Any]]:
    """The ranked units counted by their value of the ``by`` column, in all and per stage; the
    most frequent value first (ties by value)."""
    if by_values is None:
        return []
    stages = page.result.framework.stages
    n_bands = len(stages.labels) if stages is not None else 0
    counts: dict[str, list[int]] = {}
    for r in chosen:
        key = _text(by_values[r]) or "–"
        entry = counts.setdefault(key, [0] * (n_bands + 1))
        entry[0] += 1
        code = int(page.result.stage_codes[r])
        if 0 <= code < n_bands:
            entry[code + 1] += 1
    return [
        {
            "value": key,
            "count": entry[0],
            "bands": entry[1:],
            "share": f"{entry[0] / max(len(chosen), 1):.0%}",
        }
        for key, entry in sorted(counts.items(), key=lambda kv: (-kv[1][0], kv[0]))
    ]


def _leaders(page: _Page) -> list[dict[str, Any]]:
    """The three best units of each dimension."""
    from mfgindex.plot import figures as fg

    return [
        {
            "label": page.labels.node(d),
            "units": [
                {"name": page.names[r], "score": page.score(r, d), "rank": page.rank(r, d)}
                for r in fg._top_rows(page.result, page.rows, d, 3)
            ],
        }
        for d in page.dims
    ]


def _profile(page: _Page, unit: str) -> dict[str, Any]:
    """One unit's profile: its rank, score and stage, strengths and weaknesses, and its figure."""
    from mfgindex.plot import figures as fg

    exp = page.result.explain(unit, year=page.year, lang=page.lang)
    return {
        "name": exp.name or exp.unit,
        "id": exp.unit,
        "rank": _int(exp.rank),
        "n_units": exp.n_units,
        "score": _num(exp.score, page.digits),
        "stage": exp.stage,
        "strengths": [(page.labels.node(i), k) for i, k in exp.strengths],
        "weaknesses": [(page.labels.node(i), k) for i, k in exp.weaknesses],
        "figure": page.fig(lambda: fg.profile(page.result, exp.unit, year=page.year, lang=page.fig_lang)),
    }


def _robustness(page: _Page, uncertainty: UncertaintyResult, top: int) -> dict[str, Any]:
    """The robustness section: the first ranked units (at most 30) with their median rank, its
    5–95 % interval and mean shift over the uncertainty runs, and the figure of them."""
    from mfgindex.plot import figures as fg

    fw = page.result.framework
    frame = uncertainty.to_frame()
    frame = frame[frame["nominal_rank"].notna()].head(min(top, 30))
    by_id = {str(page.result.units[r]): page.names[r] for r in page.rows}
    return {
        "runs": int(uncertainty.valid.sum()),
        "inputs": ", ".join(map(str, uncertainty.provenance.get("inputs", []) or [])),
        "rows": [
            {
                "name": by_id.get(str(row[fw.unit_column]), str(row[fw.unit_column])),
                "nominal": _int(row["nominal_rank"]),
                "median": _num(row["median_rank"]),
                "q05": _num(row["q05_rank"], 0),
                "q95": _num(row["q95_rank"], 0),
                "shift": _num(row["mean_abs_shift"], 2),
            }
            for row in frame.to_dict("records")
        ],
        "figure": page.fig(
            lambda: fg.uncertainty(uncertainty, top=min(top, 30), names=by_id, lang=page.fig_lang)
        ),
    }


def _section_figures(page: _Page, top: int, by: str | None, level: int) -> dict[str, str | None]:
    """The figures of the page's other sections, in this order (a section it does not have has
    None): the top 20, the framework, stages, groups by ``by``, correlations at ``level`` and
    the score distribution."""
    from mfgindex.plot import figures as fg

    result, yr, fig_lang = page.result, page.year, page.fig_lang
    return {
        "bar": page.fig(lambda: fg.bar(result, top=min(top, 20), year=yr, lang=fig_lang)),
        "framework": page.fig(lambda: fg.framework(result, lang=fig_lang)),
        "stages": (
            page.fig(lambda: fg.stages(result, year=yr, lang=fig_lang)) if result.framework.stages else None
        ),
        "groups": (
            page.fig(lambda: fg.groups(result, by, top=top, year=yr, lang=fig_lang))
            if by is not None
            else None
        ),
        "corr": page.fig(lambda: fg.corr(result, level=level, year=yr, lang=fig_lang)),
        "dist": page.fig(lambda: fg.dist(result, year=yr, lang=fig_lang)),
    }


def _sources(result: Result, lang: str) -> dict[str, Any]:
    """The methods section's records: the framework and data files with their SHA-256, the
    methods of each step, mfgindex's version and the whole provenance as JSON."""
    prov = result.provenance
    fw = result.framework
    return {
        "framework": {
            "id": fw.id,
            "name": fw.root.label(lang),
            "version": fw.version,
            "file": Path(_file_name(prov.get("framework"))).name,
            "sha": _sha(prov.get("framework")),
        },
        "data": {
            "file": Path(_file_name(prov.get("data")) or str(result.data.source)).name,
            "sha": _sha(prov.get("data")),
        },
        "methods": _methods(prov.get("methods") or {}, WORDS[lang]),
        "version": prov.get("mfgindex", ""),
        "provenance": json.dumps(_plain(prov), ensure_ascii=False, indent=2),
    }


def _weights(page: _Page) -> list[dict[str, Any]]:
    """Each node's effective weight (its share of the index), in the framework's order."""
    from mfgindex.plot import figures as fg

    fw = page.result.framework
    return [
        {"label": page.labels.node(n.id), "depth": fw.depth(n.id), "weight": f"{w:.1%}"}
        for n, w in ((fw.nodes[k], v) for k, v in fg.effective_weights(page.result).items())
    ]


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
    """JSON's view of ``value``: the result's read-only mappings as objects, NaN as null."""
    from mfgindex._frozen import thaw

    return json.loads(json.dumps(thaw(value), default=str, allow_nan=True).replace("NaN", "null"))


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
                for b in kids[i + 1 :]:
                    r = pairwise_corr(x[:, i], x[:, kids.index(b)], "pearson")[0]
                    rs.append(r)
                    if np.isfinite(r) and (r < -0.4 or r > 0.9):
                        flagged.append(
                            {
                                "pair": f"{labels.node(a)} – {labels.node(b)}",
                                "r": _num(r, 2),
                                "flag": labels.word("negative" if r < -0.4 else "collinear"),
                            }
                        )
        finite = [r for r in rs if np.isfinite(r)]
        groups.append(
            {
                "label": labels.node(node.id),
                "children": len(kids),
                "alpha": _num(alpha, 2),
                "pc1": _num(share * 100, 0) + " %" if np.isfinite(share) else "–",
                "mean_r": _num(np.mean(finite), 2) if finite else "–",
            }
        )
    # Correlations among the dimensions when there is a level between them and the indicators.
    level = 2 if fw.level(fw.id) > 2 else 1
    return {"groups": groups, "flagged": flagged, "level": level}


def check_target(path: str | Path) -> Path:
    """The report's file, checked before any work: an ``.html`` (or ``.htm``) path.

    Raises
    ------
    UsageError
        Another suffix.
    """
    target = Path(path)
    if target.suffix.lower() not in {".html", ".htm"}:
        raise UsageError(f"a report is an HTML file, got '{target}'", hint="e.g. -o report.html")
    return target


def write(html: str, path: str | Path, *, protect: Sequence[Path] = ()) -> Path:
    """Write the report atomically (UTF-8); never over one of ``protect`` (the run's inputs)."""
    from mfgindex.io import atomic_path
    from mfgindex.plot._style import readable

    target = check_target(path)
    with atomic_path(target, protect=protect) as tmp:
        tmp.write_text(html, encoding="utf-8")
        readable(tmp)
    return target
