"""``mfgindex plot KIND``: one figure of an index, written as PNG, SVG or PDF."""

import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from mfgindex.cli.common import (
    NO_METHODS,
    DataArg,
    FrameworkOpt,
    MethodChoices,
    StrictOpt,
    YearOpt,
    check_lang,
    err_console,
    user_errors,
    with_method_options,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from mfgindex.result import Result

#: Kinds of figure, with the one-line description ``--help`` shows (mfgindex.plot.KINDS order).
KIND_HELP = {
    "bar": "top-N units, stacked by each dimension's contribution (--top, --node)",
    "framework": "the tree of indicators with effective weights (--style tree|sunburst)",
    "corr": "correlation heatmap with group boxes and flagged pairs (--level)",
    "dist": "box plots or violins of the dimensions (--node, --style)",
    "scatter": "one node against another, outliers named (--x, --y)",
    "profile": "one unit against the median and the best (--unit)",
    "stages": "the index by development stage, with the cut points",
    "groups": "top-N units per province / zone type, by stage (--by, --top)",
    "uncertainty": "rank intervals over Monte Carlo runs (--spec / --vary, --runs)",
    "sensitivity": "first-order and total Sobol indices (--spec / --vary, --n)",
    "trend": "units' score and rank over the years of a panel (--unit, --node)",
}

#: --lang of the figure commands: a plain string (the labels are the framework's names).
FigureLangOpt = Annotated[
    str, typer.Option("--lang", help="Labels: en or zh (the framework's name_zh fields; needs a CJK font).")
]
OutOpt = Annotated[
    Path | None,
    typer.Option("--output", "-o", help="Figure file: .png, .svg or .pdf (default: FRAMEWORK-KIND.png)."),
]
TopOpt = Annotated[
    int | None, typer.Option("--top", help="Number of units shown (bar: 20, groups: 100, uncertainty: 30).")
]
UnitOpt = Annotated[
    list[str] | None, typer.Option("--unit", help="A unit id or name (profile, trend; repeatable).")
]
NodeOpt = Annotated[
    list[str] | None, typer.Option("--node", help="Node(s) shown (bar, trend: one; dist: several).")
]


def _kind_help() -> str:
    return "; ".join(f"{k}: {v}" for k, v in KIND_HELP.items())


@contextmanager
def _figure_warnings() -> Iterator[None]:
    """The plotting library's warnings as one line each on stderr (a missing glyph once)."""
    from rich.markup import escape

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            yield
        finally:
            seen: set[str] = set()
            for w in caught:
                text = str(w.message)
                if issubclass(w.category, RuntimeWarning):
                    continue
                if text.startswith("Glyph ") and "missing from font" in text:
                    text = (
                        "some characters have no glyph in the installed fonts and show as boxes; "
                        "install a CJK font, e.g. apt-get install fonts-noto-cjk"
                    )
                if text in seen:
                    continue
                seen.add(text)
                err_console().print(f"[yellow]warning:[/] {escape(text)}", markup=True, highlight=False)


def _protect(fw: Any, ds: Any, spec: Path | None = None) -> list[Path]:
    from mfgindex.io import run_inputs

    return run_inputs(fw, ds, (spec, "uncertainty spec"))


def _zh_names(fw: Any, ds: Any, lang: str) -> dict[str, str] | None:
    zh = ds.names_zh(fw) if lang == "zh" else None
    return None if zh is None else dict(zip(ds.units.astype(str), map(str, zh), strict=False))


@with_method_options()
def plot(
    kind: Annotated[str, typer.Argument(help="What to draw: " + _kind_help() + ".", show_default=False)],
    data: DataArg = None,
    framework: FrameworkOpt = "city",
    output: OutOpt = None,
    lang: FigureLangOpt = "en",
    year: YearOpt = None,
    top: TopOpt = None,
    unit: UnitOpt = None,
    node: NodeOpt = None,
    x: Annotated[str | None, typer.Option("--x", help="scatter: node on the x axis.")] = None,
    y: Annotated[str | None, typer.Option("--y", help="scatter: node on the y axis.")] = None,
    level: Annotated[int, typer.Option(help="corr: COINr level (1 = indicators).")] = 1,
    style: Annotated[
        str | None,
        typer.Option("--style", help="dist: box (default) or violin; framework: tree (default) or sunburst."),
    ] = None,
    by: Annotated[
        str | None, typer.Option("--by", help="groups: unit column (default: province, zone_type or region).")
    ] = None,
    spec: Annotated[Path | None, typer.Option("--spec", help="uncertainty/sensitivity: spec TOML.")] = None,
    vary: Annotated[
        list[str] | None, typer.Option("--vary", help="uncertainty/sensitivity: KEY=VALUE over the spec.")
    ] = None,
    runs: Annotated[int, typer.Option(help="uncertainty: Monte Carlo runs.")] = 500,
    n: Annotated[int, typer.Option("--n", help="sensitivity: base sample size N.")] = 256,
    seed: Annotated[int, typer.Option(help="uncertainty/sensitivity: random seed.")] = 0,
    strict: StrictOpt = False,
    methods: MethodChoices = NO_METHODS,
) -> None:
    """Draw one figure of an index: bar, framework, corr, dist, scatter, profile, stages, groups,
    uncertainty, sensitivity or trend. Titles and labels come from the framework's names
    (--lang zh: the Chinese names)."""
    from mfgindex.errors import UsageError, did_you_mean

    with user_errors():
        check_lang(lang)
        if kind not in KIND_HELP:
            raise UsageError(
                f"KIND must be one of {', '.join(KIND_HELP)}, got '{kind}'." + did_you_mean(kind, KIND_HELP)
            )
        import mfgindex.plot as mp

        mp.require()
        if output is not None:
            mp._style.format_of(output)  # fail fast on a wrong suffix
        with _figure_warnings():
            fig, fw, ds = _draw(
                kind,
                data,
                framework,
                methods=methods,
                lang=lang,
                year=year,
                top=top,
                units=unit or [],
                nodes=node or [],
                x=x,
                y=y,
                level=level,
                style=style,
                by=by,
                spec=spec,
                vary=vary,
                runs=runs,
                n=n,
                seed=seed,
                strict=strict,
                output=output,
            )
            target = output or Path(f"{fw.id}-{kind}.png")
            written = mp.save(fig, target, protect=_protect(fw, ds, spec))
        err_console().print(f"wrote {written}", markup=False, highlight=False)


def _draw(
    kind: str,
    data: Path | None,
    framework: str,
    *,
    methods: MethodChoices,
    lang: str,
    year: int | None,
    top: int | None,
    units: list[str],
    nodes: list[str],
    x: str | None,
    y: str | None,
    level: int,
    style: str | None,
    by: str | None,
    spec: Path | None,
    vary: list[str] | None,
    runs: int,
    n: int,
    seed: int,
    strict: bool,
    output: Path | None,
) -> "tuple[Figure, Any, Any]":
    import mfgindex.plot as mp

    if kind in {"uncertainty", "sensitivity"}:
        return _robustness(
            kind,
            data,
            framework,
            methods=methods,
            lang=lang,
            year=year,
            top=top,
            spec=spec,
            vary=vary,
            runs=runs,
            n=n,
            seed=seed,
            output=output,
        )
    chosen = {
        k: v for k, v in methods.values.items() if v is not None and not (k == "fit_on" and v == "each")
    }
    if kind == "framework" and data is None and not chosen:  # the framework's own weights
        from mfgindex.framework import load_framework

        fw = load_framework(framework)
        return mp.framework(fw, style=style or "tree", lang=lang), fw, None
    from mfgindex.cli.scoring import _compute

    res: Result = _compute(framework, data, strict=strict, output=output, year=year, **methods.options())
    fig = _draw_result(
        kind, res, lang=lang, top=top, units=units, nodes=nodes, x=x, y=y, level=level, style=style, by=by
    )
    return fig, res.framework, res.data


def _draw_result(
    kind: str,
    res: "Result",
    *,
    lang: str,
    top: int | None,
    units: list[str],
    nodes: list[str],
    x: str | None,
    y: str | None,
    level: int,
    style: str | None,
    by: str | None,
) -> "Figure":
    """The figure ``kind`` of a computed index (any kind but the robustness ones; an unknown
    kind draws the trend, as the command has checked the kind)."""
    import mfgindex.plot as mp
    from mfgindex.errors import UsageError

    fw = res.framework
    one_node = nodes[0] if nodes else None
    if kind == "scatter" and (x is None or y is None):
        groups = [g for g in fw.children(fw.id)]
        raise UsageError("scatter needs --x NODE and --y NODE", hint=f"e.g. --x {groups[0]} --y {groups[-1]}")
    if kind == "profile" and len(units) != 1:
        raise UsageError("profile needs one --unit (an id or a name)", hint=f"e.g. --unit {res.units[0]}")
    drawers: dict[str, Callable[[], Figure]] = {
        "bar": lambda: mp.bar(res, top=top or 20, node=one_node, lang=lang),
        "framework": lambda: mp.framework(res, style=style or "tree", lang=lang),
        "corr": lambda: mp.corr(res, level=level, lang=lang),
        "dist": lambda: mp.dist(res, nodes=nodes or None, kind=style or "box", lang=lang),
        "scatter": lambda: mp.scatter(res, x, y, lang=lang),  # type: ignore[arg-type]
        "profile": lambda: mp.profile(res, units[0], lang=lang),
        "stages": lambda: mp.stages(res, lang=lang),
        "groups": lambda: mp.groups(res, by or default_by(res), top=top or 100, lang=lang),
        "trend": lambda: mp.trend(res, units, node=one_node, lang=lang),
    }
    return drawers.get(kind, drawers["trend"])()


def default_by(res: "Result") -> str:
    """The unit column to count units by: province, zone type or region, whichever the data has."""
    from mfgindex.errors import UsageError

    columns = [str(c) for c in res.data.unit_columns.columns]
    for name in ("province", "zone_type", "region", "group", "city_type"):
        if name in columns:
            return name
    raise UsageError(
        "no province, zone_type or region column in the data: give --by COLUMN",
        hint="unit columns: " + ", ".join(columns),
    )


def _robustness(
    kind: str,
    data: Path | None,
    framework: str,
    *,
    methods: MethodChoices,
    lang: str,
    year: int | None,
    top: int | None,
    spec: Path | None,
    vary: list[str] | None,
    runs: int,
    n: int,
    seed: int,
    output: Path | None,
) -> "tuple[Figure, Any, Any]":
    import mfgindex.plot as mp
    import mfgindex.robustness as rb
    from mfgindex.cli.common import check_options, check_output, load
    from mfgindex.errors import UsageError

    options = methods.options()
    check_options(options)
    check_output(output, data, framework)
    if spec is None and not vary:
        raise UsageError(
            "say what varies: --spec FILE and/or --vary KEY=VALUE",
            hint="e.g. --vary weights=0.25 --vary 'aggregate=arithmetic|geometric'",
        )
    fw, ds = load(framework, data)
    the_spec = rb.read_spec(spec, fw, overrides=vary or ())
    if kind == "uncertainty":
        ures = rb.uncertainty(fw, ds, the_spec, runs=runs, seed=seed, year=year, **options)
        return mp.uncertainty(ures, top=top or 30, names=_zh_names(fw, ds, lang), lang=lang), fw, ds
    sres = rb.sensitivity(fw, ds, the_spec, n=n, seed=seed, year=year, n_boot=200, **options)
    return mp.sensitivity(sres, lang=lang), fw, ds


def register(app: typer.Typer) -> None:
    app.command()(plot)
