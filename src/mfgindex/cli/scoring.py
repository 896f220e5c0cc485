"""Commands that score data: validate, score, rank, explain."""

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from mfgindex.cli.common import (
    NO_METHODS,
    DataArg,
    EncodingOpt,
    FormatOpt,
    FrameworkOpt,
    HeadersOpt,
    LangOpt,
    MethodChoices,
    OutputOpt,
    RoundOpt,
    SheetOpt,
    StrictOpt,
    YearOpt,
    check_lang,
    check_options,
    check_output,
    check_sheet,
    emit,
    err_console,
    escape,
    load,
    note,
    out_console,
    report,
    resolve_format,
    sheet_choice,
    user_errors,
    with_method_options,
)
from mfgindex.cli.scale import DataFilesArg, Engine, EngineOpt, SchedulerOpt

if TYPE_CHECKING:
    from rich.tree import Tree

    from mfgindex.result import Result

IndicatorsOpt = Annotated[
    bool, typer.Option("--indicators", metavar="", help="Add the normalised indicator columns.")
]
RanksOpt = Annotated[
    bool, typer.Option("--ranks", metavar="", help="Add a rank column after each dimension's score.")
]
TopOpt = Annotated[
    int | None,
    typer.Option("--top", help="Only the units ranked N or better (per year; per group with --by)."),
]
ByOpt = Annotated[
    str | None, typer.Option("--by", help="Rank within groups of this unit column (e.g. province).")
]
WhereOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--where",
        metavar="<col=value>",
        help="Show only units whose unit column has this value: "
        "province=江苏省 (repeatable; a,b for either). Ranks stay "
        "those among all units.",
        show_default=False,
    ),
]
UnitOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--unit",
        metavar="<unit>",
        help="Show only this unit (id or exact name; repeatable).",
        show_default=False,
    ),
]
DatasetOpt = Annotated[
    str | None,
    typer.Option(
        "--dataset",
        metavar="<step>",
        help="Export an intermediate dataset instead of the scores, like COINr's "
        "get_dset: raw, denominated, transformed, imputed, screened, treated or "
        "normalized.",
        show_default=False,
    ),
]
LevelOpt = Annotated[str | None, typer.Option("--level", help="Rank by this group instead of the index.")]


class Dtype(StrEnum):
    float64 = "float64"
    float32 = "float32"


DtypeOpt = Annotated[
    Dtype,
    typer.Option(
        "--dtype",
        help="float32: half the memory of a very large run, scores within about 1e-5 of "
        "float64's (close scores may swap ranks or tie; docs/scale.md).",
    ),
]


def _compute(
    framework: str, data: Path | None, *, strict: bool = False, output: Path | None = None, **options: Any
) -> "Result":
    """Load, check the -o path, compute, then report the diagnostics (errors with --strict)."""
    from mfgindex.pipeline import Choices, compute

    check_options(options)
    check_output(output, data, framework)
    fw, ds = load(framework, data, warn=False)
    if options.get("stages") is not None and fw.stages is None:
        from mfgindex.errors import UsageError

        raise UsageError(
            f"framework '{fw.id}' has no [stages] table, so there are no stage labels to classify units into",
            where="--stages",
            hint="add a [stages] table (method and labels) to the framework file",
        )
    check_output(output, data, framework)  # again: the framework's own inputs are known now
    year = options.pop("year", None)
    res = compute(fw, ds, year=year, choices=Choices.from_mapping(options, where="options"))
    res.require_scores()  # its error lists the diagnostics: report them only when it passes
    report(res.diagnostics(), strict=strict, source=ds.source)
    removed = res.provenance.get("removed_units") or {}
    if removed:  # asked for, so a note rather than a warning; the reasons are in provenance
        listed = "; ".join(f"{unit}: {why}" for unit, why in list(removed.items())[:5])
        more = f" and {len(removed) - 5} more" if len(removed) > 5 else ""
        note(f"screening removed {len(removed)} unit(s): {listed}{more}")
    return res


def _first(res: "Result", level: str | None) -> list[str]:
    """The columns a terminal shows first: the index (or ``level``), rank, stage, the flag of
    a missing group, then the dimensions (with their ranks) before any indicator."""
    groups = [c for g in res.group_ids() for c in (g, f"rank_{g}")]
    return [level or res.framework.id, "rank", "stage", "missing_groups", *groups]


def _protect(res: "Result") -> list[Path]:
    from mfgindex.io import run_inputs

    return run_inputs(res.framework, res.data)


def _digits(res: "Result") -> int:
    return 3 if res.framework.scale[1] <= 1 else 2


def _labels(res: "Result", lang: str, columns: Any) -> dict[str, str]:
    """The headers of a result table's columns, when the headers are names."""
    from mfgindex.i18n import column_labels

    return column_labels(res.framework, columns, lang)


def _where(items: list[str] | None) -> dict[str, list[str]]:
    """``["province=江苏省,浙江省"]`` as ``{"province": ["江苏省", "浙江省"]}``."""
    from mfgindex.errors import UsageError

    out: dict[str, list[str]] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise UsageError(f"--where takes COLUMN=VALUE, got '{item}'", hint="e.g. --where province=江苏省")
        out.setdefault(key.strip(), []).extend(v.strip() for v in value.split(",") if v.strip())
    return out


def validate(
    data: DataArg = None,
    framework: FrameworkOpt = "city",
    strict: StrictOpt = False,
    lang: LangOpt = "en",
    sheet: SheetOpt = None,
) -> None:
    """Check a data file against a framework; exit 0 when it is usable."""
    from mfgindex.data import validate_file
    from mfgindex.examples import bundled_or_given
    from mfgindex.framework import load_framework
    from mfgindex.i18n import term, translate

    with user_errors():
        check_lang(lang)
        fw = load_framework(bundled_or_given(framework))
        path = bundled_or_given(data) or fw.dataset
        con = err_console()
        if path is None:
            con.print(f"framework '{fw.id}' is valid ({fw.describe()}); no data given")
            return
        check_sheet(sheet, path)
        problems, rows = validate_file(path, fw, sheet=sheet_choice(sheet))
        errors = [p for p in problems if p.level == "error"]
        colon = "：" if lang == "zh" else ": "
        for p in problems:
            style = "red" if p.level == "error" else "yellow"
            hint = f"\n  {term('hint', lang)}{colon}{p.hint}" if p.hint else ""
            text = translate(f"{p.where}: {p.what}", lang)
            con.print(
                f"[{style}]{escape(term(p.level, lang))}[/]{colon}{escape(text)}"
                f"{escape(translate(hint, lang))}",
                markup=True,
                highlight=False,
            )
        if errors:
            raise typer.Exit(1)
        if strict and problems:
            con.print(
                f"[red]error[/]: --strict: {len(problems)} warning{'s' if len(problems) != 1 else ''} above",
                markup=True,
            )
            raise typer.Exit(1)
        n_ind = len(fw.indicators)
        out_console().print(
            f"ok: {path} fits framework '{fw.id}' ({rows} row{'s' if rows != 1 else ''}"
            f", {n_ind} indicator{'s' if n_ind != 1 else ''}, {len(problems)} "
            f"warning{'s' if len(problems) != 1 else ''})"
        )


@with_method_options(include=("stages",))
def score(
    data: DataFilesArg = None,
    framework: FrameworkOpt = "city",
    year: YearOpt = None,
    indicators: IndicatorsOpt = False,
    ranks: RanksOpt = False,
    dataset: DatasetOpt = None,
    where: WhereOpt = None,
    unit: UnitOpt = None,
    fmt: FormatOpt = None,
    output: OutputOpt = None,
    lang: LangOpt = "en",
    headers: HeadersOpt = None,
    encoding: EncodingOpt = None,
    round_to: RoundOpt = None,
    strict: StrictOpt = False,
    engine: EngineOpt = Engine.memory,
    scheduler: SchedulerOpt = None,
    dtype: DtypeOpt = Dtype.float64,
    methods: MethodChoices = NO_METHODS,
) -> None:
    """Scores of every group and the index for every unit (and year), or one stage's data.

    --dataset STEP exports the indicator values as they left a stage (COINr's get_dset).
    """
    with user_errors():
        check_lang(lang)
        if engine is Engine.dask or scheduler or (data and len(data) > 1):
            from mfgindex.cli.scale import score_dask

            score_dask(
                data,
                framework=framework,
                year=year,
                output=output,
                fmt=fmt,
                engine=engine,
                indicators=indicators,
                ranks=ranks,
                strict=strict,
                scheduler=scheduler,
                options=methods.options(),
                unsupported={
                    "--dataset": dataset,
                    "--where": where,
                    "--unit": unit,
                    "--headers": headers,
                    "--encoding": encoding,
                    "--round": round_to,
                    "--lang": None if lang == "en" else lang,
                    "--dtype": None if dtype is Dtype.float64 else dtype.value,
                },
            )
            return
        file = data[0] if data else None
        out_fmt = resolve_format(fmt, output)
        options = {**methods.options(), "dtype": dtype.value}
        res = _compute(framework, file, year=year, **options, strict=strict, output=output)
        frame = res.to_frame(
            lang=lang, indicators=indicators, ranks=ranks, step=dataset, where=_where(where), units=unit
        )
        title = res.framework.root.label(lang) + (f" — {dataset}" if dataset else "")
        emit(
            frame,
            fmt=out_fmt,
            output=output,
            provenance=res.provenance,
            protect=_protect(res),
            title=title,
            digits=_digits(res) if dataset in (None, "normalized") else 3,
            labels=_labels(res, lang, frame.columns),
            headers=headers,
            encoding=encoding,
            round_to=round_to,
            first=_first(res, None),
        )


@with_method_options(include=("stages",))
def rank(
    data: DataArg = None,
    framework: FrameworkOpt = "city",
    top: TopOpt = None,
    level: LevelOpt = None,
    by: ByOpt = None,
    where: WhereOpt = None,
    unit: UnitOpt = None,
    year: YearOpt = None,
    indicators: IndicatorsOpt = False,
    ranks: RanksOpt = False,
    fmt: FormatOpt = None,
    output: OutputOpt = None,
    lang: LangOpt = "en",
    headers: HeadersOpt = None,
    encoding: EncodingOpt = None,
    round_to: RoundOpt = None,
    strict: StrictOpt = False,
    dtype: DtypeOpt = Dtype.float64,
    methods: MethodChoices = NO_METHODS,
) -> None:
    """Units ranked best first: index, rank and development stage, then dimension scores.

    On a terminal the unit, index, rank and stage come first, then as many dimensions as fit
    (the others are named below the table; --format csv or -o FILE has them all).
    """
    with user_errors():
        check_lang(lang)
        if top is not None and top < 1:  # before computing: the library says the same
            from mfgindex.errors import UsageError

            raise UsageError(
                f"must be at least 1, got {top}",
                where="--top",
                hint="--top N shows the N best units (per year); leave it out for all",
            )
        out_fmt = resolve_format(fmt, output)
        _where(where)  # a malformed --where fails before computing
        options = {**methods.options(), "dtype": dtype.value}
        res = _compute(framework, data, year=year, **options, strict=strict, output=output)
        frame = res.to_frame(
            lang=lang,
            indicators=indicators,
            level=level,
            sort=True,
            top=top,
            by=by,
            ranks=ranks,
            where=_where(where),
            units=unit,
        )
        fw = res.framework
        title = fw.root.label(lang)
        if level:
            by_node = fw.nodes[level].label(lang)
            title += f" — 按{by_node}排名" if lang == "zh" else f" — ranked by {by_node}"
        emit(
            frame,
            fmt=out_fmt,
            output=output,
            provenance=res.provenance,
            protect=_protect(res),
            title=title,
            digits=_digits(res),
            labels=_labels(res, lang, frame.columns),
            headers=headers,
            encoding=encoding,
            round_to=round_to,
            first=_first(res, level),
        )


@with_method_options(include=("stages",))
def explain(
    unit: Annotated[str, typer.Argument(help="Unit id (or exact name).")],
    data: DataArg = None,
    framework: FrameworkOpt = "city",
    year: YearOpt = None,
    from_year: Annotated[
        int | None,
        typer.Option("--from", help="With --to: why the score changed between two years of a panel."),
    ] = None,
    to_year: Annotated[int | None, typer.Option("--to", help="The later year (with --from).")] = None,
    fmt: FormatOpt = None,
    output: OutputOpt = None,
    lang: LangOpt = "en",
    headers: HeadersOpt = None,
    encoding: EncodingOpt = None,
    round_to: RoundOpt = None,
    strict: StrictOpt = False,
    methods: MethodChoices = NO_METHODS,
) -> None:
    """Why a unit scores what it scores (or, with --from/--to, why its score changed)."""
    with user_errors():
        check_lang(lang)
        # An explanation is for reading: a table unless another format is asked for.
        out_fmt = resolve_format(fmt or (None if output else "table"), output)
        if from_year is not None or to_year is not None:
            from mfgindex.cli.panel import explain_change

            explain_change(
                unit,
                data,
                framework,
                from_year,
                to_year,
                fmt=out_fmt,
                output=output,
                lang=lang,
                strict=strict,
                options=methods.options(),
            )
            return
        res = _compute(framework, data, year=None, **methods.options(), strict=strict, output=output)
        ex = res.explain(unit, year=year, lang=lang)
        if out_fmt != "table":
            emit(
                ex.table,
                fmt=out_fmt,
                output=output,
                provenance=res.provenance,
                protect=_protect(res),
                labels=_labels(res, lang, ex.table.columns),
                headers=headers,
                encoding=encoding,
                round_to=round_to,
                digits=_digits(res),
            )
            return
        _render_explanation(ex, res, lang, digits=round_to)


#: The words of an explanation, in each --lang.
_EXPLAIN_WORDS = {
    "en": {
        "stage": "stage",
        "weight": "weight",
        "contributes": "contributes",
        "strengths": "strengths",
        "weaknesses": "weaknesses",
        "sep": ", ",
        "colon": ": ",
        "note": "score = an indicator's normalised value or a group's aggregate; contribution = "
        "points added to the parent's score (exact for arithmetic means, log-additive "
        "for geometric)",
    },
    "zh": {
        "stage": "发展阶段",
        "weight": "权重",
        "contributes": "贡献",
        "strengths": "优势",
        "weaknesses": "短板",
        "sep": "，",
        "colon": "：",
        "note": "得分 = 指标的标准化值或分组的合成值；贡献 = 对上级得分贡献的分值（算术平均时精确分解，"
        "几何平均时按对数分解）",
    },
}


def _fmt_number(v: float | None, d: int) -> str:
    """``v`` with ``d`` decimals, or a dash when it is missing (None or NaN).

    Parameters
    ----------
    v : float or None
        The value.
    d : int
        The number of decimals.

    Returns
    -------
    str
        The formatted value.
    """
    import math

    return "–" if v is None or math.isnan(v) else f"{v:.{d}f}"


def _explanation_head(ex: Any, res: "Result", lang: str, digits: int) -> str:
    """The first line of ``mfgindex explain``: the unit, its year, index score, rank and stage.

    Parameters
    ----------
    ex : Explanation
        The unit's explanation (:meth:`Result.explain`).
    res : Result
        The result it comes from.
    lang : str
        The language of the labels and words.
    digits : int
        The decimals of the score.

    Returns
    -------
    str
        The line, as rich markup.
    """
    from rich.markup import escape

    from mfgindex.i18n import rank_short, rank_text

    fw = res.framework
    words = _EXPLAIN_WORDS[lang]
    sep = words["sep"]
    # the name, with the id when it says something more
    head = (
        f"[bold]{escape(ex.name)}[/] ({escape(ex.unit)})"
        if ex.name and ex.name != ex.unit
        else f"[bold]{escape(ex.unit)}[/]"
    )
    if ex.year is not None:
        head += f", {ex.year}"
    colon = words["colon"] if lang == "zh" else ": "
    head += f"{colon}{escape(fw.root.label(lang))} {_fmt_number(ex.score, digits)}{sep}" + (
        rank_text(ex.rank, ex.n_units, lang)
        if lang == "zh"
        else f"rank {rank_short(ex.rank, lang)} of {ex.n_units}"
    )
    if ex.stage:
        head += f"{sep}{words['stage']} [bold]{escape(ex.stage)}[/]"
    return head


def _explanation_tree(ex: Any, res: "Result", lang: str, digits: int) -> "Tree":
    """The framework as a tree under the head line, each node with its score, rank, weight and
    contribution.

    Parameters
    ----------
    ex : Explanation
        The unit's explanation (:meth:`Result.explain`).
    res : Result
        The result it comes from.
    lang : str
        The language of the labels and words.
    digits : int
        The decimals of the scores and contributions (weights have 3).

    Returns
    -------
    rich.tree.Tree
        The tree, ready to print.
    """
    from rich.markup import escape
    from rich.tree import Tree

    from mfgindex.i18n import rank_short

    fw = res.framework
    words = _EXPLAIN_WORDS[lang]
    sep = words["sep"]
    tree = Tree(_explanation_head(ex, res, lang, digits))
    rows = {r["node"]: r for r in ex.table.to_dict("records")}
    branches = {fw.id: tree}
    for node in fw.walk():
        if node.parent is None:
            continue
        r = rows[node.id]
        name = (
            escape(node.id)
            if r["label"] == node.id
            else (f"{escape(r['label'])} [dim]({escape(node.id)})[/]")
        )
        if not node.is_indicator:
            name = f"[bold]{name}[/]"
        score, rank = _fmt_number(r["score"], digits), rank_short(r["rank"], lang)
        weight, contribution = _fmt_number(r["weight"], 3), _fmt_number(r["contribution"], digits)
        label = (
            f"{name}  {score}  {rank}  [dim]{words['weight']} "
            f"{weight}{sep}{words['contributes']} {contribution}[/]"
        )
        branches[node.id] = branches[node.parent].add(label)
    return tree


def _render_explanation(ex: Any, res: "Result", lang: str, *, digits: int | None = None) -> None:
    """Print ``mfgindex explain``'s table view: the tree, the strengths and weaknesses, a note.

    Parameters
    ----------
    ex : Explanation
        The unit's explanation (:meth:`Result.explain`).
    res : Result
        The result it comes from.
    lang : str
        The language of the labels and words.
    digits : int, optional
        The decimals of scores (default: the result's rounding).
    """
    from rich.markup import escape

    from mfgindex.i18n import rank_short

    digits = _digits(res) if digits is None else digits
    fw = res.framework
    words = _EXPLAIN_WORDS[lang]
    sep = words["sep"]
    con = out_console()
    con.print(_explanation_tree(ex, res, lang, digits))
    for key, items in (("strengths", ex.strengths), ("weaknesses", ex.weaknesses)):
        if items:
            con.print(
                words[key]
                + words["colon"]
                + sep.join(
                    f"{escape(fw.nodes[i].label(lang))}（{rank_short(r, lang)}）"
                    if lang == "zh"
                    else f"{escape(fw.nodes[i].label(lang))} ({rank_short(r, lang)})"
                    for i, r in items
                )
            )
    con.print(f"[dim]{words['note']}[/]")


def register(app: typer.Typer) -> None:
    app.command()(validate)
    app.command()(score)
    app.command()(rank)
    app.command()(explain)
