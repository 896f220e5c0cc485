"""Options shared by the commands, error handling and rendering helpers."""

from __future__ import annotations

import functools
import inspect
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.markup import escape
from typer.exceptions import TyperException

if TYPE_CHECKING:
    import pandas as pd
    from rich.console import Console

    from mfgindex.data import Dataset
    from mfgindex.errors import Problem
    from mfgindex.framework import Framework

F = TypeVar("F", bound=Callable[..., Any])

DataArg = Annotated[
    Path | None,
    typer.Argument(help="Data file (.csv, .xlsx, .parquet); default: the framework's bundled dataset.",
                   show_default=False),
]
FrameworkOpt = Annotated[
    str, typer.Option("--framework", "-f", help="Built-in framework id, or a .toml / COINr iMeta file.")
]
YearOpt = Annotated[int | None, typer.Option(help="Score only this year of a panel.")]
LangOpt = Annotated[str, typer.Option(help="Labels: en or zh.")]
FormatOpt = Annotated[
    str | None,
    typer.Option("--format", help="table, csv, json, xlsx or parquet (default: from -o, else "
                                  "table on a terminal, csv otherwise)."),
]
OutputOpt = Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file.")]
StrictOpt = Annotated[
    bool,
    typer.Option("--strict", help="Treat warnings (constant or missing indicator, low coverage, "
                                  "many imputed values) as errors: exit 1, write nothing."),
]


def _method_opt(stage: str, example: str, *, skippable: bool = True) -> Any:
    skip = "; 'none' skips the stage" if skippable else ""
    return typer.Option(help=f"{stage.capitalize()} method, e.g. {example}{skip} "
                             "(`mfgindex methods` lists them).", rich_help_panel="Methods")


DenominateOpt = Annotated[str | None, _method_opt("denominate", "'ratio'")]
ImputeOpt = Annotated[str | None, _method_opt("impute", "'group_mean(group=province)'")]
ScreenOpt = Annotated[str | None, _method_opt("screen", "'coverage(min=0.9)'")]
TreatOpt = Annotated[str | None, _method_opt("treat", "'winsorize(max_points=5)'")]
NormalizeOpt = Annotated[str | None, _method_opt("normalize", "'zscore(mean=50, sd=10)'")]
WeightsOpt = Annotated[str | None, _method_opt("weights", "'equal' or 'entropy'")]
AggregateOpt = Annotated[str | None, _method_opt("aggregate", "'geometric'", skippable=False)]
MinCoverageOpt = Annotated[
    float | None,
    typer.Option(help="Share of a node's weight that must be present for a score.",
                 rich_help_panel="Methods"),
]
FitOnOpt = Annotated[
    str, typer.Option(help="Normalisation fitted on: each (year), pooled, or a year.",
                      rich_help_panel="Methods"),
]


def err_console() -> Console:
    from rich.console import Console

    return Console(stderr=True, highlight=False, soft_wrap=True)


def out_console() -> Console:
    import os

    from rich.console import Console

    # Off a terminal (a pipe, a file, a test runner) there is no width to respect unless
    # COLUMNS gives one: keep tables whole rather than truncating cells.
    columns = os.environ.get("COLUMNS", "")
    width = None if sys.stdout.isatty() else int(columns) if columns.isdigit() else 240
    return Console(highlight=False, width=width)


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn library errors into one clear message on stderr: exit 1, usage errors exit 2."""
    import warnings

    from mfgindex.errors import MfgIndexError, UsageError

    try:
        with warnings.catch_warnings():
            # numpy's overflow / invalid-value RuntimeWarnings are not messages for a user: the
            # library reports what matters (diagnostics, errors) itself.
            warnings.simplefilter("ignore", RuntimeWarning)
            yield
    except UsageError as exc:
        err_console().print(f"[bold red]usage error:[/] {escape(str(exc))}", markup=True,
                            highlight=False)
        raise typer.Exit(2) from None
    except MfgIndexError as exc:
        err_console().print(f"[bold red]error:[/] {escape(str(exc))}", markup=True,
                            highlight=False)
        raise typer.Exit(1) from None
    except MemoryError:
        err_console().print("[bold red]error:[/] out of memory\n  hint: score fewer units or "
                            "years at a time (--year), or use a machine with more memory",
                            markup=True, highlight=False)
        raise typer.Exit(1) from None
    except (typer.Exit, typer.Abort, TyperException, KeyboardInterrupt, SystemExit):
        raise
    except Exception as exc:
        # A bug in mfgindex, not the user's fault: one message rather than a traceback, unless
        # MFGINDEX_TRACEBACK=1 asks for it.
        import os

        if os.environ.get("MFGINDEX_TRACEBACK"):
            raise
        from mfgindex._version import __version__

        err_console().print(
            f"[bold red]internal error:[/] {escape(type(exc).__name__)}: {escape(str(exc))}"
            f"\n  hint: this is a bug in mfgindex {__version__}, not in your input; please report "
            "it with the command you ran (MFGINDEX_TRACEBACK=1 shows the details)",
            markup=True, highlight=False)
        raise typer.Exit(1) from None


def check_lang(lang: str) -> None:
    from mfgindex.errors import UsageError

    if lang not in {"en", "zh"}:
        raise UsageError(f"--lang must be en or zh, got '{lang}'")


def load(framework: str, data: Path | None, *, warn: bool = True) -> tuple[Framework, Dataset]:
    """Load the framework and the data; print the data's warnings unless ``warn`` is False
    (commands that score report :meth:`Result.diagnostics` instead, which cover them)."""
    from mfgindex.data import read_data
    from mfgindex.examples import bundled_or_given
    from mfgindex.framework import load_framework

    framework, data = bundled_or_given(framework), bundled_or_given(data)  # "city_panel.csv"
    fw = load_framework(framework)
    ds = read_data(data, fw)
    from mfgindex.io import run_inputs

    run_inputs(fw, ds)  # noted: no output of this run may replace them
    if warn:
        con = err_console()
        for w in ds.warnings:
            con.print(f"[yellow]{escape(w)}[/]", markup=True, highlight=False)
    return fw, ds


def report(problems: Sequence[Problem], *, strict: bool, source: str) -> None:
    """Print warnings to stderr — or, with ``--strict``, raise them as one error (exit 1)."""
    from mfgindex.errors import problems_error

    warnings = [p for p in problems if p.level == "warning"]
    if strict and warnings:
        err = problems_error(warnings, source)
        if len(warnings) == 1:
            err.what += " (an error with --strict)"
            err.hint = (err.hint + "; " if err.hint else "") + "or run without --strict"
        else:
            err.what = f"{len(warnings)} warnings, which are errors with --strict"
            err.hint = "fix the problems listed, or run without --strict to score anyway"
        raise err
    # A panel repeats a warning year after year: the same warning is printed once with its
    # years, the warnings about one node together, and a hint once, after the first warning
    # that needs it.
    merged: dict[tuple[str, str, str | None], list[int]] = {}
    for p in warnings:
        key = (p.without_year().where, p.what, p.hint)
        merged.setdefault(key, []).extend([] if p.year is None else [p.year])
    places = list(dict.fromkeys(where for where, _, _ in merged))
    con = err_console()
    hints: set[str] = set()
    for (where, what, hint), years in sorted(merged.items(), key=lambda item: (
            places.index(item[0][0]), min(item[1], default=0))):
        text = f"{where}{_years(years)}: {what}"
        if hint and hint not in hints:
            hints.add(hint)
            text += f"\n  hint: {hint}"
        con.print(f"[yellow]warning:[/] {escape(text)}", markup=True, highlight=False)


def _years(years: list[int]) -> str:
    """``, year 2019`` or ``, years 2012–2016, 2018`` (runs of consecutive years joined)."""
    if not years:
        return ""
    runs: list[list[int]] = []
    for y in sorted(set(years)):
        if runs and y == runs[-1][-1] + 1:
            runs[-1].append(y)
        else:
            runs.append([y])
    text = ", ".join(f"{r[0]}–{r[-1]}" if len(r) > 2 else ", ".join(map(str, r)) for r in runs)
    return f", year{'s' if len(years) > 1 else ''} {text}"


def _method_options() -> dict[str, str]:
    """The method options of the scoring commands and the registry stage each names (the
    registry's stage table, ``stages`` aside: the classify rule is the framework's)."""
    from mfgindex.methods.registry import STAGE_TABLE

    return {s.option: s.name for s in STAGE_TABLE if s.option is not None and s.option != "stages"}


def check_options(options: dict[str, Any]) -> None:
    """Check the method strings given on the command line before loading anything, so a typo
    fails fast and the message names the option (``--normalize: ...``)."""
    from mfgindex.errors import MfgIndexError, UsageError
    from mfgindex.methods.registry import is_none, resolve
    from mfgindex.pipeline import parse_fit_on

    parse_fit_on(options.get("fit_on", "each"), where="--fit-on")
    coverage = options.get("min_coverage")
    if coverage is not None and not 0 <= coverage <= 1:
        raise UsageError(f"must be a share between 0 and 1, got {coverage:g}",
                         where="--min-coverage",
                         hint="e.g. 0.5: a group is scored when children holding half its weight "
                              "have data")
    for option, stage in _method_options().items():
        spec = options.get(option)
        if not isinstance(spec, str) or is_none(spec):
            continue
        try:
            call = resolve(stage, spec)
            from mfgindex.io import note_input

            for key, value in call.kwargs.items():  # a file a method reads is an input too
                if key == "file" and isinstance(value, str):
                    note_input(value, f"--{option}")
        except MfgIndexError as exc:
            if exc.where is None:
                exc.where = f"--{option} {spec!r}"
            raise


def check_output(output: Path | None, data: Path | None, framework: str) -> None:
    """Fail fast on an -o path that cannot be written, before any computing."""
    if output is None:
        return
    from mfgindex.io import check_target, note_input

    inputs = [p for p in (data, Path(framework)) if p is not None and p.exists()]
    note_input(data, "data")
    if Path(framework).exists():
        note_input(framework, "framework")
    check_target(output, protect=inputs, probe=True)


def resolve_format(fmt: str | None, output: Path | None) -> str:
    from mfgindex.errors import UsageError, did_you_mean
    from mfgindex.io import FORMATS, format_from_path

    if fmt is not None:
        if fmt not in FORMATS:
            raise UsageError(f"--format must be one of {', '.join(FORMATS)}, got '{fmt}'."
                             + did_you_mean(fmt, FORMATS),
                             hint="or leave --format out: it follows the suffix of -o")
        if fmt == "table" and output is not None:
            raise UsageError("--format table prints to the terminal; use csv/json/xlsx/parquet with -o")
        return fmt
    if output is not None:
        return format_from_path(output)
    return "table" if sys.stdout.isatty() else "csv"


def emit(
    frame: pd.DataFrame,
    *,
    fmt: str,
    output: Path | None,
    provenance: Any,
    protect: list[Path],
    title: str = "",
    digits: int = 2,
    labels: dict[str, str] | None = None,
) -> None:
    """Write ``frame`` to ``output`` or stdout in ``fmt``."""
    from mfgindex.errors import UsageError
    from mfgindex.io import to_json_text, write_table

    if output is not None:
        written = write_table(frame, output, fmt=fmt, provenance=provenance, protect=protect)
        err_console().print(f"wrote {', '.join(map(str, written))}")
        return
    if fmt == "table":
        render_table(frame, title=title, digits=digits, labels=labels)
    elif fmt == "csv":
        sys.stdout.write(frame.to_csv(index=False))
    elif fmt == "json":
        sys.stdout.write(to_json_text(frame, provenance) + "\n")
    else:
        raise UsageError(f"--format {fmt} writes a binary file: give -o FILE")


def render_table(frame: pd.DataFrame, *, title: str = "", digits: int = 2,
                 labels: dict[str, str] | None = None) -> None:
    """Print ``frame`` as a table that fits the terminal.

    A table too wide for the terminal never cuts a number or an id: headers fold at ``_`` (or
    between Chinese characters), names wrap, and if it still does not fit, the columns are
    split into blocks printed one under the other, each repeating the leading id and name
    columns (as pandas prints a wide frame).
    """
    import math

    from rich.cells import cell_len

    labels = labels or {}
    columns = list(frame.columns)
    numeric = {c for c in columns if frame[c].dtype.kind in "fiu" or str(frame[c].dtype) == "Int64"}
    cells: dict[Any, list[str]] = {c: [] for c in columns}
    for row in frame.itertuples(index=False):
        for c, v in zip(columns, row, strict=True):
            if v is None or (isinstance(v, float) and math.isnan(v)) or str(v) == "<NA>":
                cells[c].append("–")
            elif isinstance(v, float) and c == "p_value" and v < 0.5 * 10**-digits:
                cells[c].append(f"<{10**-digits:.{digits}f}")  # a p-value is never 0.000
            elif isinstance(v, float):
                cells[c].append(f"{v:.{digits}f}")
            else:
                cells[c].append(str(v))
    headers = {c: labels.get(c, str(c)) for c in columns}
    # Text with spaces (names, descriptions) may wrap; ids, numbers and labels may not.
    wraps = {c for c in columns if c not in numeric and any(" " in x for x in cells[c])}
    natural = {c: max([cell_len(headers[c]), *map(cell_len, cells[c])]) for c in columns}
    width = out_console().width

    def chrome(cols: list[Any], widths: dict[Any, int]) -> int:
        return sum(widths[c] for c in cols) + 3 * len(cols) + 1  # borders and padding

    if chrome(columns, natural) <= width:
        _print_table(frame, columns, cells, headers, numeric, title=title)
        return
    minimum: dict[Any, int] = {}
    folded: dict[Any, str] = {}
    for c in columns:
        body = max(map(cell_len, cells[c]), default=1)
        if c in wraps:
            body = min(body, max((cell_len(w) for x in cells[c] for w in x.split()), default=1))
        folded[c] = _fold_header(headers[c], body)
        minimum[c] = max(body, *map(cell_len, folded[c].splitlines()))
    key: list[Any] = []
    for c in columns:  # the leading id / year / name columns, repeated in every block
        if (c in numeric and c != "year") or chrome([*key, c], minimum) > width * 2 // 3:
            break
        key.append(c)
    key = key or columns[:1]
    rest = [c for c in columns if c not in key]
    blocks: list[list[Any]] = [[]]
    for c in rest:
        if blocks[-1] and chrome([*key, *blocks[-1], c], minimum) > width:
            blocks.append([])
        blocks[-1].append(c)
    for k, block in enumerate(blocks):
        shown = [*key, *block]
        # Unfold the headers the block has room for, from the left.
        slack, heads, widths = width - chrome(shown, minimum), dict(folded), dict(minimum)
        for c in shown:
            extra = natural[c] - minimum[c] if c not in wraps else 0
            if heads[c] != headers[c] and 0 <= extra <= slack:
                heads[c], widths[c], slack = headers[c], minimum[c] + extra, slack - extra
        if k:
            out_console().print()
        fits = chrome(shown, widths) <= width  # else (an id wider than the terminal) rich squeezes
        _print_table(frame, shown, cells, heads, numeric, wraps=wraps if fits else None,
                     title=title if k == 0 else "(continued)", min_width=widths if fits else None)


def _fold_header(text: str, width: int) -> str:
    """``text`` in lines of at most ``width`` cells, broken after ``_`` or a space (or between
    any two characters of Chinese text); a part longer than ``width`` stays whole."""
    import re

    from rich.cells import cell_len

    if cell_len(text) <= width:
        return text
    if any(cell_len(ch) == 2 for ch in text):  # Chinese: at most three lines, two characters each
        width = max(width, 4, -(-cell_len(text) // 3))
        parts = list(text)
    else:
        parts = re.findall(r"[^_ ]*[_ ]|[^_ ]+$", text)
    lines = [""]
    for part in parts:
        if lines[-1] and cell_len(lines[-1] + part) > width:
            lines.append("")
        lines[-1] += part
    return "\n".join(line.rstrip() for line in lines)


def _print_table(frame: pd.DataFrame, columns: list[Any], cells: dict[Any, list[str]],
                 headers: dict[Any, str], numeric: set[Any], *, title: str,
                 wraps: set[Any] | None = None, min_width: dict[Any, int] | None = None) -> None:
    from rich.table import Table

    # Every text shown comes from the user's files: escape it, or a unit called "[/]" would be
    # read as rich markup (and crash the rendering).
    table = Table(title=escape(title) or None, header_style="bold", title_justify="left")
    for c in columns:
        table.add_column(escape(headers[c]), justify="right" if c in numeric else "left",
                         no_wrap=wraps is not None and c not in wraps,
                         min_width=None if min_width is None else min_width[c])
    for i in range(len(frame)):
        table.add_row(*(escape(cells[c][i]) for c in columns))
    out_console().print(table)


# -- the method options shared by every command that computes an index ---------------------

_METHOD_OPTIONS: dict[str, tuple[Any, Any]] = {
    "denominate": (DenominateOpt, None),
    "impute": (ImputeOpt, None),
    "screen": (ScreenOpt, None),
    "treat": (TreatOpt, None),
    "normalize": (NormalizeOpt, None),
    "weights": (WeightsOpt, None),
    "aggregate": (AggregateOpt, None),
    "min_coverage": (MinCoverageOpt, None),
    "fit_on": (FitOnOpt, "each"),
}


@dataclass(frozen=True)
class MethodChoices:
    """The method options of one command line, as :func:`mfgindex.compute` takes them."""

    values: dict[str, Any] = field(default_factory=dict)

    def options(self) -> dict[str, Any]:
        """Keyword arguments for ``compute`` (``--fit-on 2019`` becomes the year 2019)."""
        from mfgindex.pipeline import parse_fit_on

        out = dict(self.values)
        if out.get("fit_on") is not None:
            out["fit_on"] = parse_fit_on(out["fit_on"], where="--fit-on")
        return out


NO_METHODS = MethodChoices()


def with_method_options(*, exclude: tuple[str, ...] = ()) -> Callable[[F], F]:
    """Give a command the shared method options (``--normalize``, ``--aggregate``, …).

    Typer sees them as ordinary options; the command receives them together as
    ``methods: MethodChoices`` — one definition serves every command.
    """
    names = [n for n in _METHOD_OPTIONS if n not in exclude]

    def decorate(func: F) -> F:
        sig = inspect.signature(func, eval_str=True)
        params = [p for p in sig.parameters.values() if p.name != "methods"]
        extra = [
            inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY, default=_METHOD_OPTIONS[n][1],
                              annotation=_METHOD_OPTIONS[n][0])
            for n in names
        ]

        @functools.wraps(func)
        def command(*args: Any, **kwargs: Any) -> Any:
            chosen = {n: kwargs.pop(n) for n in names if n in kwargs}
            return func(*args, methods=MethodChoices(chosen), **kwargs)

        command.__signature__ = sig.replace(parameters=[*params, *extra])  # type: ignore[attr-defined]
        command.__annotations__ = {k: v for k, v in func.__annotations__.items() if k != "methods"}
        return command  # type: ignore[return-value]

    return decorate
