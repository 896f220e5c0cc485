"""Options shared by the commands, error handling and rendering helpers."""

import functools
import inspect
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeVar

import typer
from typer.exceptions import TyperException

# re-exported: the commands import them from here
from mfgindex.cli.console import err_console as err_console
from mfgindex.cli.console import escape as escape
from mfgindex.cli.console import out_console as out_console
from mfgindex.cli.console import safe_text as safe_text
from mfgindex.i18n import Lang

if TYPE_CHECKING:
    import pandas as pd

    from mfgindex.data import Dataset
    from mfgindex.errors import Problem
    from mfgindex.framework import Framework

F = TypeVar("F", bound=Callable[..., Any])


class OutputFormat(StrEnum):
    """``--format``: where and how a table is written."""

    table = "table"
    csv = "csv"
    json = "json"
    xlsx = "xlsx"
    parquet = "parquet"
    markdown = "markdown"
    latex = "latex"


class Headers(StrEnum):
    """``--headers``: column ids (stable, for programs) or names (for readers)."""

    ids = "ids"
    names = "names"


class Encoding(StrEnum):
    """``--encoding`` of CSV output: utf-8-sig and gb18030 open in Chinese Excel."""

    utf8 = "utf-8"
    utf8_sig = "utf-8-sig"
    gb18030 = "gb18030"


class Invalid(StrEnum):
    """``--invalid``: what uncertainty and sensitivity do with an invalid combination."""

    drop = "drop"
    raise_ = "raise"


def _set_lang(value: str | None) -> str | None:
    """``--lang``'s callback: messages of this command follow the language."""
    if value is not None:
        _LANG.set(str(value))
    return value


#: The language of the running command's messages (set by ``--lang``, reset per command).
_LANG: ContextVar[str] = ContextVar("mfgindex_lang", default="en")
#: ``--sheet`` of the running command: the sheet :func:`load` reads from an XLSX data file.
_SHEET: ContextVar[str | None] = ContextVar("mfgindex_sheet", default=None)

SheetOpt = Annotated[
    str | None,
    typer.Option(
        "--sheet",
        metavar="NAME|N",
        help="The sheet of an .xlsx data file: its name, or its number (1 is the "
        "first; default: the first sheet).",
    ),
]


def sheet_choice(text: str | None) -> str | int:
    """``--sheet``: a number (1 is the first sheet) as its index, else the sheet's name."""
    from mfgindex.errors import UsageError

    if text is None:
        return 0
    value = text.strip()
    if value.isdigit():
        if int(value) < 1:
            raise UsageError(
                f"there is no sheet number {value}",
                where="--sheet",
                hint="sheets are numbered from 1; or give the sheet's name",
            )
        return int(value) - 1
    if not value:
        raise UsageError(
            "give a sheet's name or number", where="--sheet", hint="e.g. --sheet Data or --sheet 2"
        )
    return value


def check_sheet(sheet: str | None, data: object) -> None:
    """``--sheet`` is for a workbook: given with another data file, a usage error."""
    if sheet is not None and data is not None and Path(str(data)).suffix.lower() not in (".xlsx", ".xlsm"):
        from mfgindex.errors import UsageError

        raise UsageError(
            f"--sheet chooses a sheet of an .xlsx file, and '{data}' is not one",
            hint="leave --sheet out for a CSV or Parquet file",
        )


def current_lang() -> str:
    """The ``--lang`` of the running command (``en`` outside one)."""
    return _LANG.get()


DataArg = Annotated[
    Path | None,
    typer.Argument(
        help="Data file (.csv, .xlsx, .parquet); default: the framework's bundled dataset.",
        show_default=False,
    ),
]
FrameworkOpt = Annotated[
    str, typer.Option("--framework", "-f", help="Built-in framework id, or a .toml / COINr iMeta file.")
]
YearOpt = Annotated[int | None, typer.Option(help="Score only this year of a panel.")]
# A Literal rather than the Lang enum: typer checks it with the same message as the enum
# options, and the value stays a plain str, so commands keep ``lang: LangOpt = "en"``.
LangName = Literal["en", "zh"]
LangOpt = Annotated[
    LangName,
    typer.Option(
        help="Labels, headers and messages: en or zh (Chinese headers, CSV with a BOM for Excel).",
        callback=_set_lang,
    ),
]
FormatOpt = Annotated[
    OutputFormat | None,
    typer.Option(
        "--format",
        metavar="<format>",
        help="table, csv, json, xlsx, parquet, markdown or latex (for papers); default: "
        "from -o's suffix, else table on a terminal, csv otherwise.",
        show_default=False,
    ),
]


def _stdout_dash(value: Path | None) -> Path | None:
    """``-o -`` means standard output, as in Unix tools: no file is written."""
    return None if value is not None and str(value) == "-" else value


OutputOpt = Annotated[
    Path | None,
    typer.Option("--output", "-o", callback=_stdout_dash, help="Write to this file ('-': standard output)."),
]
StrictOpt = Annotated[
    bool,
    typer.Option(
        "--strict",
        metavar="",
        help="Treat warnings (constant or missing indicator, low "
        "coverage, many imputed values) as errors: exit 1, write nothing.",
    ),
]
HeadersOpt = Annotated[
    Headers | None,
    typer.Option(
        "--headers",
        help="Column headers of the output: ids (stable, for programs) or "
        "names (default with --lang zh: 城市代码, 创新能力, 综合指数, …).",
        show_default=False,
    ),
]
EncodingOpt = Annotated[
    Encoding | None,
    typer.Option(
        "--encoding",
        metavar="<encoding>",
        help="CSV encoding: utf-8 (default), utf-8-sig (with a BOM; the default with "
        "--lang zh, so Excel shows Chinese) or gb18030.",
        show_default=False,
    ),
]
RoundOpt = Annotated[
    int | None,
    typer.Option(
        "--round",
        metavar="<n>",
        min=0,
        max=15,
        help="Round scores to N decimals (tables and files).",
        show_default=False,
    ),
]
InvalidOpt = Annotated[
    Invalid,
    typer.Option(
        help="Invalid combinations (e.g. z-scores into a geometric mean): drop "
        "the runs and report them, or raise (stop)."
    ),
]


def _method_opt(option: str, example: str) -> Any:
    """The help of a method option, from the registry's Stage table (what 'none' means)."""
    from mfgindex.methods.registry import stage_info

    stage = stage_info(option)
    if stage.skippable:
        skip = "; 'none' skips the stage"
    elif stage.none_means:
        skip = f"; 'none' keeps the {stage.none_means}'s"
    else:
        skip = ""
    return typer.Option(
        help=f"{stage.name.capitalize()} method, e.g. {example}{skip} (`mfgindex methods` lists them).",
        rich_help_panel="Methods",
    )


DenominateOpt = Annotated[str | None, _method_opt("denominate", "'ratio'")]
ImputeOpt = Annotated[str | None, _method_opt("impute", "'group_mean(group=province)'")]
ScreenOpt = Annotated[str | None, _method_opt("screen", "'coverage(min=0.9)'")]
TreatOpt = Annotated[str | None, _method_opt("treat", "'winsorize(max_points=5)'")]
NormalizeOpt = Annotated[str | None, _method_opt("normalize", "'zscore(mean=50, sd=10)'")]
WeightsOpt = Annotated[str | None, _method_opt("weights", "'equal' or 'entropy'")]
AggregateOpt = Annotated[str | None, _method_opt("aggregate", "'geometric'")]
StagesOpt = Annotated[
    str | None,
    _method_opt("stages", "'quantile(probs=[0.1, 0.3, 0.6])' or 'breaks'; the framework's stage labels"),
]
MinCoverageOpt = Annotated[
    float | None,
    typer.Option(
        help="Share of a node's weight that must be present for a score.", rich_help_panel="Methods"
    ),
]
FitOnOpt = Annotated[
    str,
    typer.Option(help="Normalisation fitted on: each (year), pooled, or a year.", rich_help_panel="Methods"),
]


#: What rich's markup would turn into something else: a tag or an escape (``[``, ``\\``), an
#: emoji code (``:smile:``).
_RICH_SPECIAL = re.compile(r"[\[\\]|:\S*?:")


def print_plain_err(text: str) -> bool:
    """Print ``text`` (made :func:`safe_text`) as one line on stderr without rich, when that
    is what :func:`err_console` would print: stderr is not a terminal (so rich adds no
    colour) and the text holds nothing rich's markup changes. Saves importing rich.

    Parameters
    ----------
    text : str
        The message, without markup.

    Returns
    -------
    bool
        Whether it was printed (False: print it with :func:`err_console`).
    """
    import os

    safe = safe_text(text)
    if (
        os.name == "nt"
        or _RICH_SPECIAL.search(safe)
        or "IPython" in sys.modules  # rich renders for Jupyter
        or "TTY_COMPATIBLE" in os.environ  # rich's switches to force a terminal
        or "FORCE_COLOR" in os.environ
    ):
        return False
    stream = sys.stderr
    try:
        if stream.isatty():
            return False
    except ValueError:  # closed: rich would treat it as no terminal, then fail to write
        return False
    stream.write(safe + "\n")
    stream.flush()
    return True


def _say(kind: str, text: str, *, style: str = "bold red") -> None:
    """Print ``kind: text`` on stderr in the command's language (``警告：…`` under zh)."""
    from mfgindex.i18n import term, translate

    lang = current_lang()
    colon = "：" if lang == "zh" else ": "
    body = translate(text, lang)
    if lang == "zh":
        body = body.replace("\n  hint: ", f"\n  {term('hint', lang)}：").replace(
            "\n    hint: ", f"\n    {term('hint', lang)}："
        )
    if print_plain_err(f"{term(kind, lang)}{colon}{body}"):
        return
    err_console().print(
        f"[{style}]{escape(term(kind, lang))}{colon}[/]{escape(body)}", markup=True, highlight=False
    )


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn library errors into one clear message on stderr: exit 1, usage errors exit 2.

    Messages are in the command's ``--lang`` (:func:`check_lang` sets it; it is reset when
    the command ends).
    """
    import warnings

    from mfgindex.errors import MfgIndexError, UsageError

    token = _LANG.set(_LANG.get())
    try:
        with warnings.catch_warnings():
            # numpy's overflow / invalid-value RuntimeWarnings are not messages for a user: the
            # library reports what matters (diagnostics, errors) itself.
            warnings.simplefilter("ignore", RuntimeWarning)
            yield
    except UsageError as exc:
        _say("usage error", str(exc))
        raise typer.Exit(2) from None
    except MfgIndexError as exc:
        _say("error", str(exc))
        raise typer.Exit(1) from None
    except MemoryError:
        _say(
            "error",
            "out of memory\n  hint: score fewer units or years at a time (--year), "
            "or use a machine with more memory",
        )
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
            markup=True,
            highlight=False,
        )
        raise typer.Exit(1) from None
    finally:
        _LANG.reset(token)


def check_lang(lang: str) -> None:
    """Check ``--lang`` and make it the language of the command's messages."""
    from mfgindex.errors import UsageError

    if lang not in set(Lang):
        raise UsageError(f"--lang must be en or zh, got '{lang}'")
    _LANG.set(str(lang))


def note(text: str) -> None:
    """A note on stderr (``note: …`` / ``注意：…``), in the command's language."""
    _say("note", text, style="yellow")


def load(framework: str, data: Path | None, *, warn: bool = True) -> "tuple[Framework, Dataset]":
    """Load the framework and the data; print the data's warnings unless ``warn`` is False
    (commands that score report :meth:`Result.diagnostics` instead, which cover them)."""
    from mfgindex.data import read_data
    from mfgindex.examples import bundled_or_given
    from mfgindex.framework import load_framework
    from mfgindex.i18n import translate

    _flag_as_data(data)
    framework, data = bundled_or_given(framework), bundled_or_given(data)  # "city_panel.csv"
    fw = load_framework(framework)
    sheet = _SHEET.get()
    check_sheet(sheet, data)
    ds = read_data(data, fw, sheet=sheet_choice(sheet))
    from mfgindex.io import run_inputs

    run_inputs(fw, ds)  # noted: no output of this run may replace them
    if warn:
        for w in ds.warnings:
            text = translate(str(w), current_lang())
            if not print_plain_err(text):
                err_console().print(f"[yellow]{escape(text)}[/]", markup=True, highlight=False)
    return fw, ds


def _flag_as_data(data: Path | None) -> None:
    """``--strict true`` reads ``true`` as the DATA file: say that flags take no value."""
    from mfgindex.errors import UsageError

    if (
        data is not None
        and not data.exists()
        and str(data).lower() in {"true", "false", "yes", "no", "on", "off", "1", "0"}
    ):
        raise UsageError(
            f"'{data}' was read as the DATA file, and there is no such file",
            hint="flags such as --strict, --indicators and --ranks take no value: "
            "write --strict alone (leave out true/false)",
        )


def report(problems: "Sequence[Problem]", *, strict: bool, source: str) -> None:
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
    hints: set[str] = set()
    for (where, what, hint), years in sorted(
        merged.items(), key=lambda item: (places.index(item[0][0]), min(item[1], default=0))
    ):
        text = f"{where}{_years(years)}: {what}"
        if hint and hint not in hints:
            hints.add(hint)
            text += f"\n  hint: {hint}"
        _say("warning", text, style="yellow")


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
    registry's stage table)."""
    from mfgindex.methods.registry import STAGE_TABLE

    return {s.option: s.name for s in STAGE_TABLE if s.option is not None}


def check_options(options: dict[str, Any]) -> None:
    """Check the method strings given on the command line before loading anything, so a typo
    fails fast and the message names the option (``--normalize: ...``)."""
    from mfgindex.errors import MfgIndexError, UsageError
    from mfgindex.methods.registry import is_none, resolve
    from mfgindex.pipeline import parse_fit_on

    parse_fit_on(options.get("fit_on", "each"), where="--fit-on")
    coverage = options.get("min_coverage")
    if coverage is not None and not 0 <= coverage <= 1:
        raise UsageError(
            f"must be a share between 0 and 1, got {coverage:g}",
            where="--min-coverage",
            hint="e.g. 0.5: a group is scored when children holding half its weight have data",
        )
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
    """The output format: ``--format``, else from -o's suffix, else table on a terminal."""
    from mfgindex.errors import UsageError, did_you_mean
    from mfgindex.io import FORMATS, format_from_path

    if fmt is not None:
        fmt = str(fmt)
        if fmt not in FORMATS:  # typer checks --format; a caller of this function may not
            raise UsageError(
                f"--format must be one of {', '.join(FORMATS)}, got '{fmt}'." + did_you_mean(fmt, FORMATS),
                hint="or leave --format out: it follows the suffix of -o",
            )
        if fmt == "table" and output is not None:
            raise UsageError(
                "--format table prints to the terminal; use csv/json/xlsx/parquet/markdown/latex with -o"
            )
        return fmt
    if output is not None:
        return format_from_path(output)
    return "table" if sys.stdout.isatty() else "csv"


def use_names(headers: str | None) -> bool:
    """Whether the output's headers are names (``--headers names``; the default under zh)."""
    if headers is None:
        return current_lang() == "zh"
    return str(headers) == Headers.names


def round_frame(frame: "pd.DataFrame", digits: int | None) -> "pd.DataFrame":
    """``frame`` with its float columns rounded to ``digits`` decimals (``--round``)."""
    if digits is None:
        return frame
    floats = [c for c in frame.columns if frame[c].dtype.kind == "f"]
    return frame.round(dict.fromkeys(floats, digits)) if floats else frame


def emit(
    frame: "pd.DataFrame",
    *,
    fmt: str,
    output: Path | None,
    provenance: Any,
    protect: list[Path],
    title: str = "",
    digits: int = 2,
    labels: dict[str, str] | None = None,
    headers: str | None = None,
    encoding: str | None = None,
    round_to: int | None = None,
    first: Sequence[str] = (),
) -> None:
    """Write ``frame`` to ``output`` or stdout in ``fmt``.

    Parameters
    ----------
    labels
        The column names shown when the headers are names (``--headers names``, the default
        under ``--lang zh``): in the table and as the file's header row.
    headers
        ``ids`` or ``names``; None: names under ``--lang zh``, else ids.
    encoding
        Of CSV output; None: ``utf-8-sig`` (with a BOM, for Excel) under ``--lang zh``, else
        ``utf-8``.
    round_to
        ``--round``: float columns rounded to this many decimals (shown with as many).
    first
        Columns a table shows right after the unit's id and name (index, rank, stage), before
        the columns that may not fit.
    """
    from mfgindex.errors import UsageError
    from mfgindex.i18n import term
    from mfgindex.io import encode_csv, text_table, write_table

    shown = dict(labels or {}) if use_names(headers) else {}
    if round_to is not None:
        frame, digits = round_frame(frame, round_to), round_to
    if fmt == "table" and output is None:
        render_table(frame, title=title, digits=digits, labels=shown, first=first)
        return
    out = frame.rename(columns=shown) if shown else frame
    enc = str(encoding) if encoding is not None else ("utf-8-sig" if current_lang() == "zh" else "utf-8")
    if output is not None:
        written = write_table(
            out, output, fmt=fmt, provenance=provenance, protect=protect, encoding=enc, digits=digits
        )
        lang = current_lang()
        colon = "：" if lang == "zh" else " "
        text = f"{term('wrote', lang)}{colon}{', '.join(map(str, written))}"
        if not print_plain_err(text):
            err_console().print(text, markup=False, highlight=False)
        return
    if fmt == "csv":
        sys.stdout.flush()
        data = encode_csv(out, enc)
        buffer = getattr(sys.stdout, "buffer", None)
        if buffer is not None:
            buffer.write(data)
            buffer.flush()
        else:  # a text-only stream: the encoding is the stream's
            sys.stdout.write(data.decode(enc).lstrip("\ufeff"))
    elif fmt in {"json", "markdown", "latex"}:
        sys.stdout.write(text_table(out, fmt, provenance=provenance, digits=digits, caption=title) + "\n")
    else:
        raise UsageError(
            f"--format {fmt} writes a binary file: give -o FILE",
            hint=f"write it to a file (-o result.{'xlsx' if fmt == 'xlsx' else fmt}),"
            " or print csv, json, markdown or latex to standard output",
        )


def render_table(
    frame: "pd.DataFrame",
    *,
    title: str = "",
    digits: int = 2,
    labels: dict[str, str] | None = None,
    first: Sequence[str] = (),
    blocks_up_to: int = 15,
) -> None:
    """Print ``frame`` as a table that fits the terminal (:func:`mfgindex.cli.table.render_table`,
    imported when a table is printed)."""
    from mfgindex.cli.table import render_table as render

    render(
        frame,
        title=title,
        digits=digits,
        labels=labels,
        first=first,
        blocks_up_to=blocks_up_to,
        lang=current_lang(),
    )


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
    "stages": (StagesOpt, None),
}
#: Options a command asks for by name (``with_method_options(include=("stages",))``): the
#: stage rule matters to the commands that show stages only.
_OPTIONAL = ("stages",)


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


INT64_MAX = 2**63 - 1

#: The range of each numeric option shared by several commands: (flag, low, high, what it
#: is). Checked before a command runs, so a value out of range is a usage error naming the
#: flag, never an internal error deep in numpy (a negative seed, 10**20 runs).
NUMERIC_OPTIONS: dict[str, tuple[str, float, float, str]] = {
    "runs": ("--runs", 1, 10**9, "the number of Monte Carlo runs"),
    "n": ("--n", 1, 10**9, "the base sample size N"),
    "seed": ("--seed", 0, INT64_MAX, "the random seed (the same seed gives the same output)"),
    "boot": ("--boot", 0, 10**7, "the number of bootstrap resamples (0: no intervals)"),
    "use_latest": ("--use-latest", 0, 10**4, "a number of years"),
}


def _check_ranges(kwargs: dict[str, Any]) -> None:
    """Refuse a numeric option outside its range (:data:`NUMERIC_OPTIONS`): usage error, exit 2."""
    for name, (flag, low, high, what) in NUMERIC_OPTIONS.items():
        value = kwargs.get(name)
        if value is None or isinstance(value, bool) or not isinstance(value, int | float):
            continue
        if not (low <= value <= high):  # NaN fails too
            kind = "a positive integer" if low == 1 else "a non-negative integer"
            most = f" (at most {high:,})" if high < INT64_MAX else ""
            _say("usage error", f"{flag} must be {kind}{most}, got {value}\n  hint: {flag} is {what}")
            raise typer.Exit(2)


def with_method_options(*, exclude: tuple[str, ...] = (), include: tuple[str, ...] = ()) -> Callable[[F], F]:
    """Give a command the shared method options (``--normalize``, ``--aggregate``, …; and
    those of ``include``, e.g. ``--stages``).

    Typer sees them as ordinary options; the command receives them together as
    ``methods: MethodChoices`` — one definition serves every command.
    """
    names = [n for n in _METHOD_OPTIONS if n not in exclude and (n not in _OPTIONAL or n in include)]

    def decorate(func: F) -> F:
        sig = inspect.signature(func, eval_str=True)
        params = [p for p in sig.parameters.values() if p.name != "methods"]
        extra = [
            inspect.Parameter(
                n,
                inspect.Parameter.KEYWORD_ONLY,
                default=_METHOD_OPTIONS[n][1],
                annotation=_METHOD_OPTIONS[n][0],
            )
            for n in names
        ]
        # --sheet: every command that reads data through load() (a data option, not a method)
        with_sheet = "sheet" not in sig.parameters
        if with_sheet:
            extra.append(
                inspect.Parameter("sheet", inspect.Parameter.KEYWORD_ONLY, default=None, annotation=SheetOpt)
            )

        @functools.wraps(func)
        def command(*args: Any, **kwargs: Any) -> Any:
            _check_ranges(kwargs)
            chosen = {n: kwargs.pop(n) for n in names if n in kwargs}
            token = _SHEET.set(kwargs.pop("sheet", None) if with_sheet else None)
            try:
                return func(*args, methods=MethodChoices(chosen), **kwargs)
            finally:
                _SHEET.reset(token)

        command.__signature__ = sig.replace(parameters=[*params, *extra])  # type: ignore[attr-defined]
        command.__annotations__ = {k: v for k, v in func.__annotations__.items() if k != "methods"}
        return command  # type: ignore[return-value]

    return decorate
