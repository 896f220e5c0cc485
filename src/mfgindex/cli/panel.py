"""Commands on years and runs: compare, trends, target; COINr's analysis tables: stats,
availability; and export (every table in one workbook)."""

import math
import shlex
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
    StrictOpt,
    YearOpt,
    check_lang,
    emit,
    err_console,
    escape,
    out_console,
    resolve_format,
    user_errors,
    with_method_options,
)

if TYPE_CHECKING:
    import pandas as pd
    from rich.console import Console
    from rich.tree import Tree

    from mfgindex.data import Problem
    from mfgindex.panel import Decomposition, TargetPlan
    from mfgindex.result import Result

PanelFitOnOpt = Annotated[
    str,
    typer.Option(
        "--fit-on",
        help="Normalisation fitted on: pooled (default here: scores "
        "compare across years), each (year), or a year.",
        rich_help_panel="Methods",
    ),
]
FromOpt = Annotated[
    int | None, typer.Option("--from", help="The earlier year (default: the one before --to).")
]
ToOpt = Annotated[int | None, typer.Option("--to", help="The later year (default: the last).")]


def panel_data(framework: str, data: Path | None) -> Path | None:
    """DATA for a command that needs years: the given file, else the framework's bundled panel
    (``<id>_panel.csv`` next to its bundled dataset) when there is one."""
    if data is not None:
        return data
    from mfgindex.framework import builtin_data_dir, builtin_frameworks

    if framework in builtin_frameworks():
        candidate = builtin_data_dir() / f"{framework}_panel.csv"
        if candidate.is_file():
            return candidate
    return None


def _fit(options: dict[str, Any], fit_on: str) -> dict[str, Any]:
    return options | {"fit_on": int(fit_on) if str(fit_on).isdigit() else fit_on}


def _run(framework: str, data: Path | None, strict: bool, output: Path | None, **options: Any) -> "Result":
    """Load, check the -o path, compute, then report the diagnostics (errors with --strict).

    The same steps as the scoring commands, through the public :func:`mfgindex.compute`
    (``explain --from/--to`` calls into this module, so it must not import the scoring one).
    """
    from mfgindex import compute
    from mfgindex.cli.common import check_options, check_output, load, report

    check_options(options)
    check_output(output, data, framework)
    fw, ds = load(framework, data, warn=False)
    res = compute(fw, ds, **options)
    res.require_scores()  # its error lists the diagnostics: report them only when it passes
    report(res.diagnostics(), strict=strict, source=ds.source)
    removed = res.provenance.get("removed_units") or {}
    if removed:
        listed = "; ".join(f"{unit}: {why}" for unit, why in list(removed.items())[:5])
        more = f" and {len(removed) - 5} more" if len(removed) > 5 else ""
        err_console().print(
            f"note: screening removed {len(removed)} unit(s): {listed}{more}", markup=False, highlight=False
        )
    return res


def _protect(res: "Result") -> list[Path]:
    from mfgindex.io import run_inputs

    return run_inputs(res.framework, res.data)


def _digits(res: "Result") -> int:
    return 3 if res.framework.scale[1] <= 1 else 2


def _print_problems(problems: "list[Problem]") -> None:
    con = err_console()
    for p in problems:
        where = f"{p.where}: " if p.where else ""
        con.print(
            f"[yellow]warning:[/] {escape(where)}{escape(p.what)}\n  hint: {escape(p.hint)}",
            markup=True,
            highlight=False,
        )


#: Options accepted inside --against "...", and the compute() keyword each sets.
_AGAINST = {
    "--denominate": "denominate",
    "--impute": "impute",
    "--screen": "screen",
    "--treat": "treat",
    "--normalize": "normalize",
    "--weights": "weights",
    "--aggregate": "aggregate",
    "--min-coverage": "min_coverage",
    "--fit-on": "fit_on",
}


def parse_against(text: str) -> dict[str, Any]:
    """``--against "--aggregate geometric --normalize zscore"`` as compute() options."""
    from mfgindex.errors import UsageError, did_you_mean

    try:
        words = shlex.split(text)
    except ValueError as exc:
        raise UsageError(f"cannot read the options: {exc}", where="--against") from None
    out: dict[str, Any] = {}
    k = 0
    while k < len(words):
        word = words[k]
        key, _, value = word.partition("=")
        if key not in _AGAINST:
            raise UsageError(
                f"'{word}' is not a method option." + did_you_mean(key, _AGAINST),
                where="--against",
                hint='e.g. --against "--aggregate geometric"; options: ' + ", ".join(_AGAINST),
            )
        if not value:
            if k + 1 >= len(words):
                raise UsageError(f"{key} needs a value", where="--against")
            value = words[k + 1]
            k += 1
        if key == "--min-coverage":
            try:
                out[_AGAINST[key]] = float(value)
            except ValueError:
                raise UsageError(f"--min-coverage needs a number, got '{value}'", where="--against") from None
        else:
            out[_AGAINST[key]] = value
        k += 1
    if not out:
        raise UsageError("no options given", where="--against", hint='e.g. --against "--aggregate geometric"')
    return out


@with_method_options(exclude=("fit_on",))
def compare(
    data: DataArg = None,
    framework: FrameworkOpt = "city",
    from_year: FromOpt = None,
    to_year: ToOpt = None,
    against: Annotated[
        str | None,
        typer.Option(
            "--against",
            help="Compare with a second run on the same data with these method "
            'options, e.g. "--aggregate geometric" (COINr compare_coins).',
        ),
    ] = None,
    top: Annotated[
        int | None, typer.Option("--top", help="Show the N best units, and who entered or left the top N.")
    ] = None,
    level: Annotated[
        str | None, typer.Option("--level", help="Compare this group instead of the index.")
    ] = None,
    year: YearOpt = None,
    fit_on: PanelFitOnOpt = "pooled",
    fmt: FormatOpt = None,
    output: OutputOpt = None,
    lang: LangOpt = "en",
    strict: StrictOpt = False,
    methods: MethodChoices = NO_METHODS,
) -> None:
    """Rank and score change between two years (--from/--to) or two runs (--against)."""
    with user_errors():
        from mfgindex.errors import UsageError

        check_lang(lang)
        if top is not None and top < 1:
            raise UsageError(f"must be at least 1, got {top}", where="--top")
        out_fmt = resolve_format(fmt, output)
        options = _fit(methods.options(), fit_on)
        if against is not None:
            if from_year is not None or to_year is not None:
                raise UsageError("give either --from/--to (two years) or --against (two runs)")
            other = parse_against(against)
            from mfgindex.cli.common import check_options

            check_options(other)
            _compare_runs(
                framework,
                data,
                year,
                options,
                other,
                top=top,
                level=level,
                fmt=out_fmt,
                output=output,
                strict=strict,
            )
            return
        if year is not None:
            raise UsageError("--year picks one year; comparing years needs --from and --to")
        data = panel_data(framework, data)
        res = _run(framework, data, strict, output, year=None, **options)
        _compare_years(res, from_year, to_year, top=top, level=level, fmt=out_fmt, output=output, lang=lang)


def _compare_years(
    res: "Result",
    from_year: int | None,
    to_year: int | None,
    *,
    top: int | None,
    level: str | None,
    fmt: str,
    output: Path | None,
    lang: str,
) -> None:
    from mfgindex import panel

    table = panel.change(res, from_year, to_year, level=level, warn=False)
    _print_problems(table.attrs["warnings"])
    frm, to = table.attrs["years"]
    fw = res.framework
    node = level or fw.id
    shown = table if top is None else table[table[f"rank_{to}"].astype("Float64") <= top]
    if fmt != "table":
        emit(
            shown.reset_index(drop=True),
            fmt=fmt,
            output=output,
            provenance=res.provenance,
            protect=_protect(res),
        )
        return
    label = fw.nodes[node].label(lang)
    title = f"{label}: {frm} → {to}" + (f" (top {top})" if top else "")
    cols = [c for c in shown.columns if not c.endswith("_change") or c == "score_change"]
    emit(
        shown[cols].reset_index(drop=True),
        fmt="table",
        output=None,
        provenance=None,
        protect=[],
        title=title,
        digits=_digits(res),
    )
    con = out_console()
    if top is not None:
        _print_turnover(con, table, frm, top)
    _print_movers(con, res, frm, to, lang)


def _print_turnover(con: "Console", table: "pd.DataFrame", frm: int, top: int) -> None:
    """Print which units entered and which left the top ``top`` between the two years.

    Parameters
    ----------
    con : rich.console.Console
        The output console.
    table : pandas.DataFrame
        The change table (:func:`mfgindex.panel.change`): unit id first, then its name when
        the data has one.
    frm : int
        The earlier year.
    top : int
        The size of the top.
    """
    from mfgindex import panel

    unit_col = table.columns[0]
    # the second column is the units' names unless the data has none (then it is a score)
    names = (
        dict(zip(table[unit_col].astype(str), table.iloc[:, 1].astype(str), strict=True))
        if table.columns[1] != f"score_{frm}"
        else {}
    )

    def who(ids: list[str]) -> str:
        return ", ".join(f"{names.get(u, u)} ({u})" if names.get(u, u) != u else u for u in ids)

    entered, left = panel.top_turnover(table, top)
    con.print(f"entered the top {top}: {escape(who(entered)) or 'none'}")
    con.print(f"left the top {top}: {escape(who(left)) or 'none'}")


def _print_movers(con: "Console", res: "Result", frm: int, to: int, lang: str) -> None:
    """Print the biggest rises and falls of each dimension's score between the two years.

    Parameters
    ----------
    con : rich.console.Console
        The output console.
    res : Result
        The panel's result.
    frm, to : int
        The two years.
    lang : str
        The language of the node labels.
    """
    from mfgindex import panel

    fw = res.framework
    mv = panel.movers(res, frm, to, n=3)
    if mv.empty:
        return
    con.print(f"\n[bold]biggest movers by dimension, {frm} → {to}[/] (score change)")
    for g, block in mv.groupby("node", sort=False):
        parts = []
        for direction in ("rise", "fall"):
            rows = block[block["direction"] == direction]
            parts.append(
                ", ".join(f"{escape(r['name'] or r['unit'])} {r['change']:+.2f}" for _, r in rows.iterrows())
                or "–"
            )
        con.print(f"{escape(fw.nodes[str(g)].label(lang))}: ↑ {parts[0]}  ↓ {parts[1]}")


def _compare_runs(
    framework: str,
    data: Path | None,
    year: int | None,
    base: dict[str, Any],
    other: dict[str, Any],
    *,
    top: int | None,
    level: str | None,
    fmt: str,
    output: Path | None,
    strict: bool,
) -> None:
    from mfgindex import panel

    res_a = _run(framework, data, strict, output, year=year, **base)
    res_b = _run(framework, data, strict, None, year=year, **(base | other))
    ranks = panel.compare(res_a, res_b, node=level, by="ranks")
    scores = panel.compare(res_a, res_b, node=level, by="scores")
    table = ranks.rename(
        columns={"run_a": "rank_a", "run_b": "rank_b", "diff": "rank_diff", "abs_diff": "rank_abs_diff"}
    )
    table["score_a"], table["score_b"] = scores["run_a"], scores["run_b"]
    table["score_diff"] = scores["diff"]
    for c in ("rank_a", "rank_b", "rank_diff", "rank_abs_diff"):
        table[c] = table[c].astype("Float64").round().astype("Int64")
    table["move"] = [
        panel.movement(float(d)) if d is not None and str(d) != "<NA>" else "–" for d in table["rank_diff"]
    ]
    table = table.sort_values("rank_a", na_position="last", kind="stable").reset_index(drop=True)
    shown = table if top is None else table[table["rank_a"].astype("Float64") <= top]
    if fmt != "table":
        emit(
            shown.reset_index(drop=True),
            fmt=fmt,
            output=output,
            provenance=res_a.provenance,
            protect=_protect(res_a),
        )
        return
    described = " ".join(f"--{k.replace('_', '-')} {v}" for k, v in other.items())
    emit(
        shown,
        fmt="table",
        output=None,
        provenance=None,
        protect=[],
        title=f"run a: as given; run b: {described} (move: from a to b)",
        digits=_digits(res_a),
    )
    summary = panel.compare_summary(res_a, res_b)
    emit(
        summary,
        fmt="table",
        output=None,
        provenance=None,
        protect=[],
        title="how much the runs differ, by node",
        digits=3,
    )


@with_method_options(exclude=("fit_on",))
def trends(
    data: DataArg = None,
    framework: FrameworkOpt = "city",
    node: Annotated[
        list[str] | None, typer.Option("--node", help="Only this node (repeatable); default every node.")
    ] = None,
    unit: Annotated[list[str] | None, typer.Option("--unit", help="Only this unit (repeatable).")] = None,
    dset: Annotated[
        str,
        typer.Option(
            "--dset",
            help="scores (normalised indicators, groups, "
            "index) or a data stage: raw, "
            "denominated, imputed, treated.",
        ),
    ] = "scores",
    use_latest: Annotated[
        int | None, typer.Option("--use-latest", help="Use only the latest N years of each series.")
    ] = None,
    interpolate: Annotated[
        bool, typer.Option("--interpolate", help="Fill gaps by linear interpolation first.")
    ] = False,
    fit_on: PanelFitOnOpt = "pooled",
    fmt: FormatOpt = None,
    output: OutputOpt = None,
    strict: StrictOpt = False,
    methods: MethodChoices = NO_METHODS,
) -> None:
    """Growth per unit and node over a panel: CAGR, percentage change per year, slope."""
    with user_errors():
        from mfgindex import panel

        out_fmt = resolve_format(fmt, output)
        data = panel_data(framework, data)
        res = _run(framework, data, strict, output, year=None, **_fit(methods.options(), fit_on))
        if dset == "scores":
            _print_problems(panel.comparability(res))
        table = panel.trends(
            res,
            dset=dset,
            nodes=node or None,
            units=unit or None,
            use_latest=use_latest,
            interp_at="all" if interpolate else None,
        )
        if node is None and out_fmt == "table":
            fw = res.framework
            table = table[table["node"].isin([fw.id, *[g.id for g in fw.groups]])]
        table = table.rename(columns={"unit": res.framework.unit_column})
        emit(
            table.reset_index(drop=True),
            fmt=out_fmt,
            output=output,
            provenance=res.provenance,
            protect=_protect(res),
            title="trends (cagr: per year, as a fraction; pct_change: % per year)",
            digits=4,
        )


@with_method_options()
def target(
    unit: Annotated[str, typer.Argument(help="Unit id (or exact name).")],
    data: DataArg = None,
    framework: FrameworkOpt = "city",
    rank: Annotated[int | None, typer.Option("--rank", help="The rank to reach (1 = best).")] = None,
    score: Annotated[float | None, typer.Option("--score", help="The index score to reach.")] = None,
    year: YearOpt = None,
    only: Annotated[
        list[str] | None, typer.Option("--only", help="Only this indicator may change (repeatable).")
    ] = None,
    cap: Annotated[
        list[str] | None,
        typer.Option("--cap", help="INDICATOR=VALUE: a bound in the indicator's units (repeatable)."),
    ] = None,
    fmt: FormatOpt = None,
    output: OutputOpt = None,
    lang: LangOpt = "en",
    strict: StrictOpt = False,
    methods: MethodChoices = NO_METHODS,
) -> None:
    """What it would take: the smallest improvement that lifts a unit to rank N (or score S)."""
    with user_errors():
        from mfgindex import panel
        from mfgindex.errors import UsageError

        check_lang(lang)
        if (rank is None) == (score is None):
            raise UsageError("give exactly one target: --rank N or --score S")
        caps: dict[str, float] = {}
        for item in cap or []:
            key, sep, value = item.partition("=")
            try:
                caps[key.strip()] = float(value)
            except ValueError:
                raise UsageError(f"'{item}' is not INDICATOR=VALUE", where="--cap") from None
            if not sep:
                raise UsageError(f"'{item}' is not INDICATOR=VALUE", where="--cap")
        out_fmt = resolve_format(fmt or (None if output else "table"), output)
        res = _run(framework, data, strict, output, year=year, **methods.options())
        plan = panel.target(res, unit, rank=rank, score=score, year=year, indicators=only, caps=caps or None)
        table = plan.table
        if out_fmt != "table":
            emit(table, fmt=out_fmt, output=output, provenance=res.provenance, protect=_protect(res))
            return
        _render_plan(plan, res, lang)


def _render_plan(plan: "TargetPlan", res: "Result", lang: str) -> None:
    con = out_console()
    fw = res.framework
    who = f"{plan.name} ({plan.unit})" if plan.name and plan.name != plan.unit else plan.unit
    when = f", {plan.year}" if plan.year is not None else ""
    goal = f"rank {plan.target_rank}" if plan.target_rank is not None else f"score {plan.target_score:.2f}"
    con.print(
        f"[bold]{escape(who)}[/]{when}: {escape(fw.root.label(lang))} "
        f"{plan.score:.2f}, rank {int(plan.rank)} → target {goal} "
        f"(score ≥ {plan.target_score:.2f})",
        highlight=False,
    )
    if plan.score >= plan.target_score:
        con.print("already there: nothing needs to change")
    elif not plan.reachable:
        con.print(
            f"[bold red]out of reach[/] within the bounds: with every indicator at its "
            f"bound the score would be {plan.best_score:.2f} (rank {plan.best_rank})"
        )
    else:
        changes = plan.changes()
        con.print(
            "needed: "
            + ", ".join(
                f"{escape(fw.nodes[r['indicator']].label(lang))} "
                + (f"{r['change_pct']:+.1f} %" if not math.isnan(r["change_pct"]) else f"{r['change']:+.4g}")
                for _, r in changes.iterrows()
            )
        )
        cols = [
            "indicator",
            "direction",
            "value",
            "needed",
            "change",
            "change_pct",
            "score_now",
            "score_needed",
            "at_cap",
        ]
        emit(
            changes[cols].reset_index(drop=True),
            fmt="table",
            output=None,
            provenance=None,
            protect=[],
            title=f"the plan ({plan.solver})",
            digits=4,
        )
    con.print("[dim]assumptions: " + escape("; ".join(plan.assumptions)) + "[/]")


@with_method_options()
def stats(
    data: DataArg = None,
    framework: FrameworkOpt = "city",
    dset: Annotated[
        str,
        typer.Option(
            "--dset", help="raw, denominated, imputed, screened, treated, normalized, or scores (every node)."
        ),
    ] = "raw",
    year: YearOpt = None,
    fmt: FormatOpt = None,
    output: OutputOpt = None,
    strict: StrictOpt = False,
    methods: MethodChoices = NO_METHODS,
) -> None:
    """Statistics of every indicator (COINr get_stats): min … kurtosis, availability, flags."""
    with user_errors():
        from mfgindex.analysis import stats as stats_table

        out_fmt = resolve_format(fmt, output)
        res = _run(framework, data, strict, output, year=year, **methods.options())
        table = stats_table(res, dset)
        emit(
            table,
            fmt=out_fmt,
            output=output,
            provenance=res.provenance,
            protect=_protect(res),
            title=f"statistics of the '{dset}' data",
            digits=3,
        )


@with_method_options()
def availability(
    data: DataArg = None,
    framework: FrameworkOpt = "city",
    dset: Annotated[str, typer.Option("--dset", help="raw, denominated, imputed, … (a data stage).")] = "raw",
    by_group: Annotated[
        bool, typer.Option("--by-group", help="Availability per group and unit instead.")
    ] = False,
    year: YearOpt = None,
    fmt: FormatOpt = None,
    output: OutputOpt = None,
    strict: StrictOpt = False,
    methods: MethodChoices = NO_METHODS,
) -> None:
    """Data availability per unit, or per unit and group (COINr get_data_avail)."""
    with user_errors():
        from mfgindex.analysis import data_availability

        out_fmt = resolve_format(fmt, output)
        res = _run(framework, data, strict, output, year=year, **methods.options())
        summary, groups = data_availability(res, dset)
        emit(
            groups if by_group else summary,
            fmt=out_fmt,
            output=output,
            provenance=res.provenance,
            protect=_protect(res),
            title=f"data availability ('{dset}' data)",
            digits=3,
        )


@with_method_options()
def export(
    output: Annotated[Path, typer.Option("--output", "-o", help="The .xlsx workbook to write.")],
    data: DataArg = None,
    framework: FrameworkOpt = "city",
    year: YearOpt = None,
    strict: StrictOpt = False,
    methods: MethodChoices = NO_METHODS,
) -> None:
    """Every table in one workbook (COINr export_to_excel): each data stage, scores, ranks,
    weights, stats and availability, a sheet each, and the provenance."""
    with user_errors():
        from mfgindex.analysis import export_workbook

        res = _run(framework, data, strict, output, year=year, **methods.options())
        written = export_workbook(res, output, protect=_protect(res))
        err_console().print(f"wrote {written}", markup=False, highlight=False)


def register(app: typer.Typer) -> None:
    app.command()(compare)
    app.command()(trends)
    app.command()(target)
    app.command()(stats)
    app.command()(availability)
    app.command()(export)


def explain_change(
    unit: str,
    data: Path | None,
    framework: str,
    from_year: int | None,
    to_year: int | None,
    *,
    fmt: str,
    output: Path | None,
    lang: str,
    strict: bool,
    options: dict[str, Any],
) -> None:
    """``mfgindex explain UNIT --from Y --to Y``: the decomposition of a score change."""
    from mfgindex import panel
    from mfgindex.errors import UsageError

    data = panel_data(framework, data)
    res = _run(framework, data, strict, output, year=None, **options)
    dec = panel.decompose(res, unit, from_year, to_year, lang=lang, warn=False)
    _print_problems(dec.warnings)
    if fmt != "table":
        emit(dec.table, fmt=fmt, output=output, provenance=res.provenance, protect=_protect(res))
        return
    if math.isnan(dec.score_change):
        raise UsageError(
            f"unit '{dec.unit}' has no index score in {dec.from_year} or {dec.to_year}: nothing to decompose"
        )
    digits = _digits(res)
    w = _CHANGE_WORDS["zh" if str(lang) == "zh" else "en"]
    con = out_console()
    con.print(_change_tree(dec, res.framework, lang, digits, w))
    text = _drivers_text(dec, res.framework, lang, digits, w)
    if text is not None:
        con.print(escape(text))
    approx = "" if dec.exact else w["approx"]
    con.print(f"[dim]{escape(w['note'].format(method=dec.method, approx=approx))}[/]")


def _change_head(dec: "Decomposition", fw: Any, lang: str, digits: int, w: dict[str, str]) -> str:
    """The headline of a change (rich markup): who, the years, the index score before and
    after, and the rank's move."""
    who = f"{dec.name} ({dec.unit})" if dec.name and dec.name != dec.unit else dec.unit
    moved = dec.rank_change
    if math.isnan(moved):
        places = ""
    elif moved > 0:
        places = w["rose"].format(k=int(moved), s="s" if moved != 1 else "")
    elif moved < 0:
        places = w["fell"].format(k=int(-moved), s="s" if moved != -1 else "")
    else:
        places = w["kept"]
    rank_text = (
        "" if math.isnan(moved) else w["rank"].format(a=int(dec.rank_from), b=int(dec.rank_to), places=places)
    )
    return (
        f"[bold]{escape(who)}[/], {dec.from_year} → {dec.to_year}{w['colon']}"
        f"{escape(fw.root.label(lang))} {dec.score_from:.{digits}f} → "
        f"{dec.score_to:.{digits}f} ({dec.score_change:+.{digits}f}){rank_text}"
    )


def _change_tree(dec: "Decomposition", fw: Any, lang: str, digits: int, w: dict[str, str]) -> "Tree":
    """The framework as a tree under the headline: each node's contribution to the change and
    its score in the two years (groups in bold)."""
    from rich.tree import Tree

    tree = Tree(_change_head(dec, fw, lang, digits, w))
    rows = {r["node"]: r for r in dec.table.to_dict("records")}
    branches = {fw.id: tree}
    for node in fw.walk():
        if node.parent is None:
            continue
        r = rows[node.id]
        name = (
            escape(r["label"])
            if r["label"] == node.id
            else f"{escape(r['label'])} [dim]({escape(node.id)})[/]"
        )
        if not node.is_indicator:
            name = f"[bold]{name}[/]"
        c = r["contribution"]
        contribution = "–" if math.isnan(c) else f"{c:+.{digits}f}"
        branches[node.id] = branches[node.parent].add(
            f"{name}  {contribution}  [dim]{w['score']} {r['score_from']:.{digits}f} → "
            f"{r['score_to']:.{digits}f}[/]"
        )
    return tree


def _drivers_text(dec: "Decomposition", fw: Any, lang: str, digits: int, w: dict[str, str]) -> str | None:
    """The three biggest contributions in words: what lifted the score and what held it back
    (None when nothing moved it)."""
    drivers = [d for d in dec.drivers(3) if d[1] != 0]
    if not drivers:
        return None
    label = {n.id: n.label(lang) for n in fw.walk()}
    ups = [f"{label[i]} ({c:+.{digits}f})" for i, c in drivers if c > 0]
    downs = [f"{label[i]} ({c:+.{digits}f})" for i, c in drivers if c < 0]
    text = w["because"] + w["sep"].join(ups) if ups else ""
    if downs:
        text += (w["held"] if text else w["held_only"]) + w["sep"].join(downs)
    return text


#: The words of ``explain --from/--to``, in each --lang.
_CHANGE_WORDS = {
    "en": {
        "rose": "rose {k} place{s}",
        "fell": "fell {k} place{s}",
        "kept": "kept its rank",
        "rank": ", rank {a} → {b} ({places})",
        "colon": ": ",
        "score": "score",
        "because": "mainly because of ",
        "held": "; held back by ",
        "held_only": "mainly held back by ",
        "sep": ", ",
        "approx": "; approximate for this unit",
        "note": "contribution = index points of the change due to each node ({method}"
        "{approx}); a group's children add up to the group, the indicators to the "
        "index change",
    },
    "zh": {
        "rose": "上升 {k} 位",
        "fell": "下降 {k} 位",
        "kept": "排名不变",
        "rank": "，排名 {a} → {b}（{places}）",
        "colon": "：",
        "score": "得分",
        "because": "主要因为 ",
        "held": "；拖累：",
        "held_only": "主要拖累：",
        "sep": "，",
        "approx": "；此单位为近似分解",
        "note": "贡献 = 各节点对指数变化的贡献分值（{method}{approx}）；下级贡献之和等于上级，"
        "全部指标之和等于指数变化",
    },
}
