"""Commands that stress-test an index: uncertainty, sensitivity, analyze."""

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer

from mfgindex.cli.common import (
    NO_METHODS,
    DataArg,
    EncodingOpt,
    FormatOpt,
    FrameworkOpt,
    HeadersOpt,
    Invalid,
    InvalidOpt,
    LangOpt,
    MethodChoices,
    OutputOpt,
    RoundOpt,
    YearOpt,
    check_lang,
    emit,
    err_console,
    load,
    note,
    out_console,
    resolve_format,
    user_errors,
    with_method_options,
)
from mfgindex.cli.scale import Engine

if TYPE_CHECKING:
    import pandas as pd

    from mfgindex.framework import Framework

SpecOpt = Annotated[
    Path | None,
    # rich markup would read "[weights]" as a style: the brackets are escaped
    typer.Option(
        "--spec",
        help="TOML file of what varies: [weights] noise, levels; "
        "[normalize], [aggregate], [impute], [treat] choices; "
        "[exclude] indicators.",
        rich_help_panel="What varies",
    ),
]
VaryOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--vary",
        help="KEY=VALUE over the spec, repeatable: weights=0.25, "
        "weights.levels=2,3, 'aggregate=arithmetic|geometric', exclude=all.",
        rich_help_panel="What varies",
    ),
]
SeedOpt = Annotated[int, typer.Option(help="Random seed: the same seed gives the same output.")]
TopOpt = Annotated[int | None, typer.Option("--top", help="Only the N units ranked best nominally.")]

KeepRunsOpt = Annotated[
    bool,
    typer.Option(
        "--keep-runs",
        help="Keep every run's index and rank in memory (grows "
        "with --runs); the rank statistics need no per-run "
        "table, so this is off by default.",
    ),
]
MaxMemoryOpt = Annotated[
    str | None,
    typer.Option(
        "--max-memory",
        metavar="SIZE",
        help="Working-memory budget of the analysis, e.g. 512M, 2G "
        "(default 512M): runs are scored in chunks that fit.",
    ),
]

RunsEngineOpt = Annotated[
    Engine,
    typer.Option(
        "--engine",
        help="memory (default), or dask: the runs scored on Dask workers, "
        "their rank counts added up here; the same output for the same --seed "
        '(needs pip install "mfgindex[scale]").',
        rich_help_panel="Scale",
    ),
]
RunsSchedulerOpt = Annotated[
    str | None,
    typer.Option(
        "--scheduler",
        metavar="ADDRESS",
        help="With --engine dask: a Dask scheduler's address "
        "(tcp://host:8786); default: threads on this machine.",
        rich_help_panel="Scale",
        show_default=False,
    ),
]


def parse_size(text: str | None) -> int | None:
    """``--max-memory``: bytes from ``"512M"``, ``"2G"``, ``"1.5GiB"``, ``"800k"`` or a plain
    number of bytes (powers of 1024); None stays None."""
    from mfgindex.errors import UsageError

    if text is None:
        return None
    raw = text.strip().replace(" ", "")
    units = {"": 1, "b": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}
    body = (
        raw.lower().removesuffix("ib").removesuffix("b")
        if raw.lower()[-2:] in ("ib", "kb", "mb", "gb", "tb")
        else raw.lower()
    )
    suffix = body[-1:] if body[-1:].isalpha() else ""
    number = body[: len(body) - len(suffix)]
    try:
        value = float(number)
    except ValueError:
        value = -1.0
    if suffix not in units or not 0 < value * units[suffix] < 2**62:  # NaN, inf, 1e309 too
        raise UsageError(
            f"not a memory size: '{text}'",
            where="--max-memory",
            hint="e.g. --max-memory 512M or --max-memory 2G",
        )
    size = int(value * units[suffix])
    if size < 1 << 20:  # the analysis's own floor, said with the flag's name
        raise UsageError(
            f"must be at least 1M, got '{text}'",
            where="--max-memory",
            hint="e.g. --max-memory 512M or --max-memory 2G",
        )
    return size


#: A progress bar shows once an analysis has run this long (seconds): a quick one stays quiet.
_BAR_AFTER = 1.0


@contextmanager
def _progress(total_hint: int) -> Iterator[Callable[[int, int], None] | None]:
    """A rich progress bar on stderr for an analysis that runs over about a second, on a
    terminal only (it appears after :data:`_BAR_AFTER` seconds); nothing otherwise."""
    if not sys.stderr.isatty():
        yield None
        return
    import time

    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    start = time.monotonic()
    with Progress(
        TextColumn("runs"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeRemainingColumn(),
        console=err_console(),
        transient=True,
    ) as bar:
        task = bar.add_task("runs", total=total_hint, visible=False)
        shown = False

        def update(done: int, total: int) -> None:
            nonlocal shown
            shown = shown or time.monotonic() - start > _BAR_AFTER
            bar.update(task, completed=done, total=total, visible=shown)

        yield update


def _warn(notes: tuple[str, ...] | list[str]) -> None:
    for text in notes:
        note(text)


def _protect(fw: "Framework", data: Any, spec: Path | None) -> list[Path]:
    from mfgindex.io import run_inputs

    return run_inputs(fw, data, (spec, "uncertainty spec"))


def _check_output_early(output: Path | None, fw: "Framework", data: Any, spec: Path | None) -> None:
    """-o checked before the runs: not one of the run's inputs (the spec among them), in a
    folder that can be written — a mistake costs nothing, not the runs' time first."""
    if output is None or str(output) == "-":
        return
    from mfgindex.io import check_target

    check_target(output, protect=_protect(fw, data, spec), probe=True)


def _spec(spec: Path | None, vary: list[str] | None, fw: "Framework") -> Any:
    from mfgindex.errors import UsageError
    from mfgindex.robustness import read_spec

    if spec is None and not vary:
        raise UsageError(
            "say what varies: --spec FILE and/or --vary KEY=VALUE",
            hint="e.g. --vary weights=0.25 --vary 'aggregate=arithmetic|geometric'",
        )
    from mfgindex.examples import bundled_or_given

    given = bundled_or_given(spec)
    if given is not None and Path(given).exists():  # a missing one: read_spec says so
        from mfgindex.data.tables import check_input_file

        check_input_file(Path(given), "uncertainty spec")  # a regular file (or a pipe), bounded
    return read_spec(given, fw, overrides=vary or ())  # "asem_sensitivity.toml"


def _names(frame: "pd.DataFrame", lang: str, fw: "Framework", data: Any) -> "pd.DataFrame":
    if lang == "zh" and fw.name_column and fw.name_column in frame:
        zh = data.names_zh(fw)
        if zh is not None:
            lookup = dict(zip(data.units.astype(str), zh, strict=False))
            frame[fw.name_column] = frame[fw.unit_column].astype(str).map(lookup)
    return frame


def _labels(fw: "Framework", frame: "pd.DataFrame", lang: str) -> dict[str, str]:
    """Headers of a robustness table: 城市代码, 名称, 基准排名, … under zh."""
    from mfgindex.i18n import column_labels

    return column_labels(fw, frame.columns, lang)


@with_method_options()
def uncertainty(
    data: DataArg = None,
    framework: FrameworkOpt = "city",
    spec: SpecOpt = None,
    vary: VaryOpt = None,
    runs: Annotated[int, typer.Option(help="Monte Carlo runs.")] = 1000,
    seed: SeedOpt = 0,
    invalid: InvalidOpt = Invalid.drop,
    top: TopOpt = None,
    keep_runs: KeepRunsOpt = False,
    max_memory: MaxMemoryOpt = None,
    engine: RunsEngineOpt = Engine.memory,
    scheduler: RunsSchedulerOpt = None,
    year: YearOpt = None,
    fmt: FormatOpt = None,
    output: OutputOpt = None,
    lang: LangOpt = "en",
    headers: HeadersOpt = None,
    encoding: EncodingOpt = None,
    round_to: RoundOpt = None,
    methods: MethodChoices = NO_METHODS,
) -> None:
    """Rank intervals: how far each unit's rank moves when the index's choices vary.

    Columns: nominal_rank (the index as chosen), median_rank, q05_rank and q95_rank (the 5-95 %
    interval over the runs) and mean_abs_shift (average distance from the nominal rank). They
    come from per-unit rank counts, so memory does not grow with --runs (--max-memory sets
    the budget; --keep-runs keeps every run's ranks too). --engine dask scores the runs on
    Dask workers (--scheduler ADDRESS for a cluster).
    """
    from mfgindex.robustness import uncertainty as run_uncertainty

    with user_errors():
        check_lang(lang)
        _check_engine(engine, scheduler)
        out_fmt = resolve_format(fmt, output)
        fw, ds = load(framework, data)
        the_spec = _spec(spec, vary, fw)
        _check_output_early(output, fw, ds, spec)
        base = methods.options()
        budget = parse_size(max_memory)
        with _progress(runs) as progress:
            res = run_uncertainty(
                fw,
                ds,
                the_spec,
                runs=runs,
                seed=seed,
                year=year,
                invalid=_policy(invalid),
                progress=progress,
                keep_runs=keep_runs,
                max_memory=budget,
                engine="dask" if engine is Engine.dask else "memory",
                scheduler=scheduler,
                **base,
            )
        _warn(res.warnings)
        frame = _names(res.to_frame(), lang, fw, ds)
        if top is not None:
            frame = frame.head(top)
        valid = int(res.valid.sum())
        varying = ", ".join(the_spec.inputs())
        if lang == "zh":
            title = f"{fw.root.label(lang)} — 排名不确定性，{runs} 次中 {valid} 次有效（变动：{varying}）"
        else:
            title = f"{fw.root.label(lang)} — rank uncertainty, {valid} of {runs} runs (varying {varying})"
        _emit(
            frame, res.provenance, fw, ds, spec, title, 1, out_fmt, output, lang, headers, encoding, round_to
        )


@with_method_options()
def sensitivity(
    data: DataArg = None,
    framework: FrameworkOpt = "city",
    spec: SpecOpt = None,
    vary: VaryOpt = None,
    n: Annotated[int, typer.Option("--n", help="Base sample size N: N × (inputs + 2) runs.")] = 1000,
    seed: SeedOpt = 0,
    target: Annotated[
        str | None, typer.Option(help="Explain this unit's rank (default: the mean absolute rank shift).")
    ] = None,
    boot: Annotated[int, typer.Option(help="Bootstrap resamples for the intervals.")] = 1000,
    confidence: Annotated[float, typer.Option(help="Level of the bootstrap intervals.")] = 0.90,
    invalid: InvalidOpt = Invalid.drop,
    max_memory: MaxMemoryOpt = None,
    year: YearOpt = None,
    fmt: FormatOpt = None,
    output: OutputOpt = None,
    lang: LangOpt = "en",
    headers: HeadersOpt = None,
    encoding: EncodingOpt = None,
    round_to: RoundOpt = None,
    methods: MethodChoices = NO_METHODS,
) -> None:
    """Sobol indices: which varied choice drives the rank changes, alone and with the others.

    first_order is the share of the output's variance due to an input alone, total_order
    including its interactions; _low/_high are bootstrap bounds.
    """
    from mfgindex.robustness import sensitivity as run_sensitivity

    with user_errors():
        check_lang(lang)
        _check_confidence(confidence)
        out_fmt = resolve_format(fmt, output)
        fw, ds = load(framework, data)
        the_spec = _spec(spec, vary, fw)
        _check_output_early(output, fw, ds, spec)
        base = methods.options()
        total = n * (len(the_spec.inputs()) + 2)
        with _progress(total) as progress:
            res = run_sensitivity(
                fw,
                ds,
                the_spec,
                n=n,
                seed=seed,
                output=target,
                n_boot=boot,
                confidence=confidence,
                year=year,
                invalid=_policy(invalid),
                progress=progress,
                max_memory=parse_size(max_memory),
                **base,
            )
        _warn(res.warnings)
        _warn_single_input(the_spec.inputs())
        frame = res.to_frame()
        runs = len(res.outputs)
        title = (
            f"{fw.root.label(lang)} — Sobol 敏感性指数（{res.output}），N = {n}（{runs} 次运行）"
            if lang == "zh"
            else f"{fw.root.label(lang)} — Sobol indices of the {res.output}, N = {n} ({runs} runs)"
        )
        _emit(
            frame, res.provenance, fw, ds, spec, title, 3, out_fmt, output, lang, headers, encoding, round_to
        )


def _policy(invalid: Invalid) -> Literal["drop", "raise"]:
    """The library's name of an ``--invalid`` choice."""
    return "raise" if invalid == Invalid.raise_ else "drop"


def _check_engine(engine: Engine, scheduler: str | None) -> None:
    """``--scheduler`` needs ``--engine dask`` (said with the flags' names, before any work)."""
    if scheduler is not None and engine is not Engine.dask:
        from mfgindex.errors import UsageError

        raise UsageError(
            "only --engine dask uses a Dask scheduler",
            where="--scheduler",
            hint="add --engine dask, or drop --scheduler to score the runs here",
        )


def _check_confidence(confidence: float) -> None:
    if not 0 < confidence < 1:  # NaN too: said with the flag's name
        from mfgindex.errors import UsageError

        raise UsageError(
            f"must be between 0 and 1, got {confidence}",
            where="--confidence",
            hint="e.g. --confidence 0.9 for 90% intervals",
        )


def _warn_single_input(inputs: list[str]) -> None:
    if len(inputs) == 1:
        _warn(
            [
                f"only one input varies ({inputs[0]}): all the output's variance is due to it, so "
                "its indices are 1 in theory and the estimates show the sampling noise at this N; "
                "vary several inputs to compare them"
            ]
        )


def _emit(
    frame: "pd.DataFrame",
    provenance: Any,
    fw: "Framework",
    ds: Any,
    spec: Path | None,
    title: str,
    digits: int,
    out_fmt: str,
    output: Path | None,
    lang: str,
    headers: Any,
    encoding: Any,
    round_to: int | None,
) -> None:
    """Write an uncertainty or sensitivity table, its inputs protected and its labels named."""
    emit(
        frame,
        fmt=out_fmt,
        output=output,
        provenance=provenance,
        protect=_protect(fw, ds, spec),
        title=title,
        digits=digits,
        labels=_labels(fw, frame, lang),
        headers=headers,
        encoding=encoding,
        round_to=round_to,
    )


class CoherenceTable(StrEnum):
    """``analyze --table``."""

    groups = "groups"
    pairs = "pairs"
    parents = "parents"
    matrix = "matrix"


class Correlation(StrEnum):
    """``analyze --method``."""

    pearson = "pearson"
    spearman = "spearman"


TableOpt = Annotated[
    CoherenceTable,
    typer.Option(
        "--table",
        help="groups (alpha, PCA, flags per group), pairs (sibling "
        "correlations), parents (each node with its group and the "
        "index) or matrix (see --levels).",
    ),
]


@with_method_options()
def analyze(
    data: DataArg = None,
    framework: FrameworkOpt = "city",
    table: TableOpt = CoherenceTable.groups,
    levels: Annotated[
        str, typer.Option(help="For --table matrix: a COINr level, or two (rows,columns), e.g. 1 or 1,2.")
    ] = "1",
    method: Annotated[Correlation, typer.Option(help="Correlation (--table matrix).")] = Correlation.pearson,
    negative: Annotated[float, typer.Option(help="Flag sibling pairs correlated below this.")] = -0.4,
    collinear: Annotated[float, typer.Option(help="Flag sibling pairs correlated above this.")] = 0.9,
    year: YearOpt = None,
    fmt: FormatOpt = None,
    output: OutputOpt = None,
    encoding: EncodingOpt = None,
    round_to: RoundOpt = None,
    methods: MethodChoices = NO_METHODS,
) -> None:
    """Statistical coherence: correlations, Cronbach's alpha and PCA per group, flagged pairs."""
    from mfgindex.analysis import analyze as run_analyze
    from mfgindex.errors import UsageError

    with user_errors():
        out_fmt = resolve_format(fmt, output)
        table, method = CoherenceTable(table), Correlation(method)
        try:
            parts = [int(p) for p in levels.replace(" ", "").split(",") if p]
        except ValueError:
            parts = []
        if not 1 <= len(parts) <= 2:
            raise UsageError(f"--levels takes one level or two separated by a comma, got '{levels}'")
        fw, ds = load(framework, data)
        base = methods.options()
        co = run_analyze(fw, ds, year=year, negative=negative, collinear=collinear, **base)
        prov = dict(co.result.provenance) | {
            "analysis": "coherence",
            "negative": negative,
            "collinear": collinear,
        }
        if table == "matrix":
            frame = co.matrix(
                parts[0], parts[1] if len(parts) == 2 else None, method=str(method)
            ).reset_index()
            title = f"{method.capitalize()} correlations, level {levels}"
        else:
            frame = {"groups": co.groups, "pairs": co.pairs, "parents": co.parents}[str(table)]
            title = {
                "groups": "Coherence per group (Cronbach's alpha, PCA: share of variance "
                "of the first component)",
                "pairs": "Correlations between siblings",
                "parents": "Correlation of each node with its parent and the index",
            }[table]
        emit(
            frame,
            fmt=out_fmt,
            output=output,
            provenance=prov,
            protect=_protect(fw, ds, None),
            title=title,
            digits=3,
            encoding=encoding,
            round_to=round_to,
        )
        if out_fmt == "table" and output is None and table == "groups" and len(co.flagged):
            out_console().print()
            emit(
                co.flagged,
                fmt="table",
                output=None,
                provenance=prov,
                protect=[],
                title=f"Flagged pairs (r < {negative:g}: negative, r > {collinear:g}: collinear)",
                digits=3,
            )


def register(app: typer.Typer) -> None:
    app.command()(uncertainty)
    app.command()(sensitivity)
    app.command()(analyze)
