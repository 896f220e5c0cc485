"""The typer application: registers each command module's commands."""

from typing import Annotated

import typer

from mfgindex._version import __version__
from mfgindex.cli.coercion import FastGroup

app = typer.Typer(
    name="mfgindex",
    cls=FastGroup,  # parameters coerced without pydantic (cli/coercion.py)
    help="Composite development indices: score, rank, classify and explain units "
    "(cities, parks, countries) with a framework of indicators.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"mfgindex {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """Composite development indices."""
    from mfgindex.io import forget_inputs

    forget_inputs()  # each command protects its own inputs (one process may run several)


def _register() -> None:
    from mfgindex.cli import (
        examples,
        info,
        panel,
        plot,
        report,
        robustness,
        scoring,
        template,
        weights,
    )

    info.register(app)
    examples.register(app)
    scoring.register(app)
    weights.register(app)
    robustness.register(app)
    panel.register(app)
    plot.register(app)
    report.register(app)
    template.register(app)


def run() -> None:
    import sys

    _register()
    try:
        app(standalone_mode=True)
    except KeyboardInterrupt:
        sys.exit(130)


_register_done = False


def get_app() -> typer.Typer:
    """The app with every command registered (for typer's test runner)."""
    global _register_done
    if not _register_done:
        _register()
        _register_done = True
    return app
