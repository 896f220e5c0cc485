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
#: Each command: the module that registers it, and the first paragraph of its help (what
#: ``mfgindex --help`` lists). A command line that names a command imports that module only; one
#: that runs no command (``--help``, ``--version``, a typo) imports none of them.
#: ``tests/cli/test_app.py`` checks both against the modules (its message gives the entry to copy).
COMMANDS: dict[str, tuple[str, str]] = {
    "frameworks": ("info", "List the built-in frameworks."),
    "show": ("info", "Show a framework's tree: weights, directions, methods."),
    "methods": ("info", "List every registered method and its parameters."),
    "examples": (
        "examples",
        "List the bundled example files (datasets, COINr tables, uncertainty specs), or copy them.",
    ),
    "validate": ("scoring", "Check a data file against a framework; exit 0 when it is usable."),
    "score": (
        "scoring",
        "Scores of every group and the index for every unit (and year), or one stage's data.",
    ),
    "rank": ("scoring", "Units ranked best first: index, rank and development stage, then dimension scores."),
    "explain": ("scoring", "Why a unit scores what it scores (or, with --from/--to, why its score changed)."),
    "weights": (
        "weights",
        "Derived weights per node: each group's child weights (AHP's consistency, entropy, ...).",
    ),
    "uncertainty": (
        "robustness",
        "Rank intervals: how far each unit's rank moves when the index's choices vary.",
    ),
    "sensitivity": (
        "robustness",
        "Sobol indices: which varied choice drives the rank changes, alone and with the others.",
    ),
    "analyze": (
        "robustness",
        "Statistical coherence: correlations, Cronbach's alpha and PCA per group, flagged pairs.",
    ),
    "compare": ("panel", "Rank and score change between two years (--from/--to) or two runs (--against)."),
    "trends": ("panel", "Growth per unit and node over a panel: CAGR, percentage change per year, slope."),
    "target": (
        "panel",
        "What it would take: the smallest improvement that lifts a unit to rank N (or score S).",
    ),
    "stats": (
        "panel",
        "Statistics of every indicator (COINr get_stats): min … kurtosis, availability, flags.",
    ),
    "availability": ("panel", "Data availability per unit, or per unit and group (COINr get_data_avail)."),
    "export": (
        "panel",
        "Every table in one workbook (COINr export_to_excel): each data stage, scores, ranks,\n"
        "weights, stats and availability, a sheet each, and the provenance.",
    ),
    "plot": (
        "plot",
        "Draw one figure of an index: bar, framework, corr, dist, scatter, profile, stages, groups,\n"
        "uncertainty, sensitivity or trend. Titles and labels come from the framework's names\n"
        "(--lang zh: the Chinese names).",
    ),
    "report": (
        "report",
        "A self-contained HTML report: headline and top 10, the ranked list with dimension scores,\n"
        "ranks and stages, the stage distribution, units per province (or zone type), the leaders of\n"
        "each dimension, unit profiles, coherence, robustness and an appendix of methods and\n"
        "provenance. Opens offline; print it from a browser for a PDF.",
    ),
    "template": (
        "template",
        "Write an empty data template: unit columns and one column per data column the framework reads.",
    ),
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
        Each command as its name and help (:data:`COMMANDS`) only, its module not imported: for
        a command line that runs no command (``--help``, ``--version``, a typo).
    """
    import importlib

    for name in modules:
        if listing:
            on.registered_commands += [_listed(c, h) for c, (m, h) in COMMANDS.items() if m == name]
            continue
        module = importlib.import_module(f"mfgindex.cli.{name}")
        if only is None:
            module.register(on)
            continue
        scratch = typer.Typer()
        module.register(scratch)
        on.registered_commands += [c for c in scratch.registered_commands if _command_name(c) == only]
    return on


def _listed(name: str, summary: str) -> typer.models.CommandInfo:
    """A command named ``name`` with the help ``summary`` and no parameters, to be listed."""

    def listed() -> None:
        raise RuntimeError(f"'{name}' was registered to be listed, not run")

    listed.__doc__ = summary
    return typer.models.CommandInfo(name=name, callback=listed)


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
        return (COMMANDS[args[0]][0],), args[0]
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
    finally:
        _quick_exit()


def _quick_exit() -> None:
    """Make the interpreter's shutdown cheap: the process ends with the command, and its last
    garbage collections would walk every object pandas and numpy made at import (measured:
    80-100 ms of a 0.45 s ``mfgindex rank``). ``gc.freeze`` sets them all aside, so those
    collections look at nothing; objects are still freed as their references go, files
    closed, ``atexit`` handlers run. Only the process's own entry point calls this."""
    import gc

    gc.freeze()


_register_done = False


def get_app() -> typer.Typer:
    """The app with every command registered (for typer's test runner)."""
    global _register_done
    if not _register_done:
        register(app)
        _register_done = True
    return app
