"""The typer application: registers each command module's commands."""

from typing import Annotated

import typer

from mfgindex._version import __version__
from mfgindex.cli.coercion import FastGroup


def _version(value: bool) -> None:
    if value:
        typer.echo(f"mfgindex {__version__}")
        raise typer.Exit()


def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """Composite development indices."""
    from mfgindex.io import forget_inputs

    forget_inputs()  # each command protects its own inputs (one process may run several)


def new_app() -> typer.Typer:
    """The app without its commands (:func:`register` adds them)."""
    new = typer.Typer(
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
    new.callback()(_root)
    return new


app = new_app()


#: The command modules, in the order their commands are listed by ``mfgindex --help``.
MODULES = ("info", "examples", "scoring", "weights", "robustness", "panel", "plot", "report", "template")
#: The module that registers each command (``tests/cli/test_app.py`` checks it): a command line
#: that names a command imports and registers that module only.
COMMANDS = {
    **dict.fromkeys(("frameworks", "show", "methods"), "info"),
    "examples": "examples",
    **dict.fromkeys(("validate", "score", "rank", "explain"), "scoring"),
    "weights": "weights",
    **dict.fromkeys(("uncertainty", "sensitivity", "analyze"), "robustness"),
    **dict.fromkeys(("compare", "trends", "target", "stats", "availability", "export"), "panel"),
    "plot": "plot",
    "report": "report",
    "template": "template",
}


def register(on: typer.Typer, modules: tuple[str, ...] = MODULES) -> typer.Typer:
    """Register the commands of ``modules`` (default: all) on the app ``on``; return it."""
    import importlib

    for name in modules:
        importlib.import_module(f"mfgindex.cli.{name}").register(on)
    return on


def modules_for(args: list[str]) -> tuple[str, ...]:
    """The command modules a command line needs: the module of the command it names, or all
    of them (``--help``, ``--version``, no command, a typo: the app's own answer needs them).

    Parameters
    ----------
    args : list of str
        The command line after the program's name.

    Returns
    -------
    tuple of str
        Names of modules of ``mfgindex.cli``.
    """
    if args and args[0] in COMMANDS:  # the group's own options come before the command
        return (COMMANDS[args[0]],)
    return MODULES


def run() -> None:
    """Run the command line of this process (``sys.argv``)."""
    import sys

    register(app, modules_for(sys.argv[1:]))
    try:
        app(standalone_mode=True)
    except KeyboardInterrupt:
        sys.exit(130)


_register_done = False


def get_app() -> typer.Typer:
    """The app with every command registered (for typer's test runner)."""
    global _register_done
    if not _register_done:
        register(app)
        _register_done = True
    return app
