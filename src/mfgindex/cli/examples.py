"""The ``examples`` command: list the bundled example files, print their paths, copy them out."""

from pathlib import Path
from typing import Annotated

import typer

from mfgindex.cli.common import err_console, out_console, user_errors

#: How each kind of example is used on the command line.
_USE = {"data": "DATA", "framework": "-f", "spec": "--spec"}


def examples(
    names: Annotated[
        list[str] | None,
        typer.Argument(
            help="Example file names (default: all). Without --copy, their paths are printed.",
            show_default=False,
            metavar="NAME",
        ),
    ] = None,
    copy: Annotated[
        Path | None,
        typer.Option(
            "--copy",
            metavar="DIR",
            help="Copy the examples (with their SOURCE notes) into this folder, created if needed.",
            show_default=False,
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="With --copy, replace files of the same name.")
    ] = False,
) -> None:
    """List the bundled example files (datasets, COINr tables, uncertainty specs), or copy them.

    An example's bare file name also works wherever a data or framework file is expected, in any
    folder: `mfgindex rank city_panel.csv`, `mfgindex score ASEM_iData.csv -f ASEM_iMeta.csv`.
    """
    from rich.table import Table

    from mfgindex.examples import copy_examples, example_path
    from mfgindex.examples import examples as bundled

    with user_errors():
        if copy is not None:
            written = copy_examples(copy, names or None, overwrite=force)
            err_console().print(
                f"copied {len(written)} files into {copy}: " + ", ".join(p.name for p in written)
            )
            return
        if names:
            for name in names:
                typer.echo(str(example_path(name)))
            return
        table = Table(header_style="bold")
        for col in ("name", "kind", "use as", "what"):
            table.add_column(col, no_wrap=col != "what")
        for e in bundled():
            table.add_row(e.name, e.kind, _USE.get(e.kind, ""), e.description)
        out_console().print(table)


def register(app: typer.Typer) -> None:
    app.command()(examples)
