"""The app registers the module of the command a command line names, and only that one
(cli/app.py ``modules_for``), or for a command line that runs no command the commands' names
and help only (``COMMANDS``): each command line is answered as the whole app answers it."""

from __future__ import annotations

import pytest
import typer.main
from typer.testing import CliRunner

from mfgindex.cli.app import COMMANDS, MODULES, get_app, modules_for, new_app, register

runner = CliRunner()


def _names(app: typer.Typer) -> list[str]:
    return list(typer.main.get_command(app).commands)  # type: ignore[attr-defined]


def test_each_command_is_registered_by_its_module() -> None:
    for module in MODULES:
        expected = [name for name, (owner, _) in COMMANDS.items() if owner == module]
        assert _names(register(new_app(), (module,))) == expected, module


def test_the_listed_help_is_each_commands_own() -> None:
    whole = typer.main.get_command(get_app())
    for name, command in whole.commands.items():  # type: ignore[attr-defined]
        summary = (command.help or "").split("\n\n")[0]
        entry = f"{name!r}: ({COMMANDS[name][0]!r}, {summary!r}),"
        assert COMMANDS[name][1] == summary, f"update cli/app.py COMMANDS: {entry}"


def test_the_whole_app_lists_the_commands_in_order() -> None:
    assert _names(get_app()) == list(COMMANDS)


def test_a_command_line_needs_its_commands_module_only() -> None:
    assert modules_for(["rank", "--top", "3"]) == (("scoring",), "rank")
    assert modules_for(["uncertainty"]) == (("robustness",), "uncertainty")
    for args in ([], ["--help"], ["--version"], ["-h", "rank"], ["rnak"], ["Rank"]):
        assert modules_for(args) == (MODULES, None)


@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_command_alone_helps_as_in_the_whole_app(command: str) -> None:
    modules, only = modules_for([command, "--help"])
    alone = register(new_app(), modules, only=only)
    assert _names(alone) == [command]
    for args in ([command, "--help"], [command, "--no-such-option"]):
        ours, whole = runner.invoke(alone, args), runner.invoke(get_app(), args)
        assert (ours.exit_code, ours.stdout, ours.stderr) == (whole.exit_code, whole.stdout, whole.stderr)


@pytest.mark.parametrize(
    "args",
    [[], ["--help"], ["-h"], ["--version"], ["rnak"], ["Rank", "--top", "3"], ["--bogus"], ["-h", "x"]],
)
def test_a_command_line_that_runs_no_command_lists_them_as_the_whole_app(args: list[str]) -> None:
    listing = register(new_app(), listing=True)
    ours, whole = runner.invoke(listing, args), runner.invoke(get_app(), args)
    assert (ours.exit_code, ours.stdout, ours.stderr) == (whole.exit_code, whole.stdout, whole.stderr)
    assert _names(listing) == list(COMMANDS)
    assert all(not c.params for c in typer.main.get_command(listing).commands.values())  # type: ignore[attr-defined]


def test_a_command_line_that_runs_no_command_imports_no_command_module() -> None:
    import subprocess
    import sys

    probe = (
        "import sys\nsys.argv = ['mfgindex', '--help']\nfrom mfgindex.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.startswith('mfgindex.cli.')))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "['mfgindex.cli.app', 'mfgindex.cli.coercion']"


def test_a_listed_command_never_runs_as_if_it_had() -> None:
    listing = register(new_app(), ("scoring",), listing=True)
    result = runner.invoke(listing, ["rank"])
    assert result.exit_code != 0 and isinstance(result.exception, RuntimeError)
