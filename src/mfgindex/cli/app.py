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


def register(
    on: typer.Typer, modules: tuple[str, ...] = MODULES, *, only: str | None = None, listing: bool = False
) -> typer.Typer:
    """Register the commands of ``modules`` (default: all) on the app ``on``; return the app.

    Parameters
    ----------
    on : typer.Typer
        The app.
    modules : tuple of str
        Modules of ``mfgindex.cli``, each with a ``register(app)``.
    only : str, optional
        Of their commands only this one (typer builds one command, not all of them).
    listing : bool
        Each command as its name and help only, without its parameters: for a command line
        that runs no command (``--help``, ``--version``, a typo), which lists the commands.
    """
    import importlib

    for name in modules:
        module = importlib.import_module(f"mfgindex.cli.{name}")
        if only is None and not listing:
            module.register(on)
            continue
        scratch = typer.Typer()
        module.register(scratch)
        on.registered_commands += [
            _listed(c) if listing else c
            for c in scratch.registered_commands
            if only is None or _command_name(c) == only
        ]
    return on


def _listed(info: typer.models.CommandInfo) -> typer.models.CommandInfo:
    """A copy of a registered command whose function has the name and help of the command's
    and no parameters: what listing the commands needs."""
    import copy

    callback = info.callback
    assert callback is not None

    def listed() -> None:
        raise RuntimeError(f"'{callback.__name__}' was registered to be listed, not run")

    listed.__name__, listed.__doc__ = callback.__name__, callback.__doc__
    new = copy.copy(info)
    new.callback = listed
    return new


def _command_name(info: typer.models.CommandInfo) -> str:
    """The name of a registered command: its own, or its function's (``export_all`` is
    ``export-all``), as typer names it."""
    import typer.main

    return info.name or typer.main.get_command_name(info.callback.__name__)  # type: ignore[union-attr]


def modules_for(args: list[str]) -> tuple[tuple[str, ...], str | None]:
    """The command modules a command line needs and the command it runs: the module of the
    command it names, or all of them (``--help``, ``--version``, no command, a typo: the app's
    own answer needs them) and None.

    Parameters
    ----------
    args : list of str
        The command line after the program's name.

    Returns
    -------
    tuple
        Names of modules of ``mfgindex.cli``, and the command's name (None: all commands).
    """
    if args and args[0] in COMMANDS:  # the group's own options come before the command
        return (COMMANDS[args[0]],), args[0]
    return MODULES, None


def run() -> None:
    """Run the command line of this process (``sys.argv``)."""
    import sys

    args = sys.argv[1:]
    modules, command = modules_for(args)
    # a command line naming no command runs none (a name after "--" could still be one)
    register(app, modules, only=command, listing=not any(a in COMMANDS for a in args))
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
