"""The template command: an empty data file for a framework, to fill from yearbooks."""

import sys
from pathlib import Path
from typing import Annotated

import typer

from mfgindex.cli.common import err_console, user_errors


def template(
    framework: Annotated[str, typer.Argument(help="Built-in framework id, or a .toml / COINr iMeta file.")],
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", help="Write to this .xlsx or .csv file (default: CSV on standard output)."
        ),
    ] = None,
    fmt: Annotated[
        str | None, typer.Option("--format", help="xlsx or csv (default: from -o's suffix).")
    ] = None,
    units: Annotated[
        Path | None,
        typer.Option(
            "--units",
            help="Take the unit rows from this data file (default: a built-in framework's bundled units).",
        ),
    ] = None,
    no_units: Annotated[
        bool, typer.Option("--no-units", help="Write the header only, no unit rows.")
    ] = False,
) -> None:
    """Write an empty data template: unit columns and one column per data column the framework reads.

    XLSX: a 'data' sheet with a bilingual note on every header cell (name, unit, direction, what it measures) and sheets of indicator and column definitions. CSV: the same header, UTF-8 with a byte-order mark. Fill in the numbers, then `mfgindex validate FILE -f FRAMEWORK`.
    """  # noqa: E501 (one line per paragraph: the help reflows it)
    from mfgindex.errors import UsageError
    from mfgindex.examples import bundled_or_given
    from mfgindex.framework import load_framework
    from mfgindex.template import template_csv_text, write_template

    with user_errors():
        if units is not None and no_units:
            raise UsageError("--units and --no-units exclude each other")
        if fmt is not None and fmt not in {"xlsx", "csv"}:
            raise UsageError(f"--format must be xlsx or csv, got '{fmt}'")
        fw = load_framework(bundled_or_given(framework))
        source: Path | bool | None = False if no_units else units
        if output is None:
            if fmt == "xlsx":
                raise UsageError("--format xlsx writes a binary file: give -o FILE.xlsx")
            sys.stdout.write(template_csv_text(fw, source))
            return
        written = write_template(fw, output, fmt=fmt, units=source)
        err_console().print(f"wrote {written}")


def register(app: typer.Typer) -> None:
    app.command("template")(template)
