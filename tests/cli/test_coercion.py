"""The command line's parameter coercion (cli/coercion.py) gives what typer's pydantic
coercion gives: for every parameter of every command and many values, the same value of the
same type, or the same error with the same message."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import typer.main
from typer._coercion import build_runtime_param
from typer.testing import CliRunner

from mfgindex.cli.app import get_app
from mfgindex.cli.coercion import FastGroup, _Coercion, install
from tests.conftest import ROOT

CSV = str(ROOT / "examples" / "data" / "city_2019.csv")
TEXTS = [
    "", "x", "0", "7", "-3", "+4", "007", " 5", "5 ", "1_000", "1e3", "1.0", "1.5", "0.5", ".5",
    "5.", "-0.5", "-0", "inf", "nan", "16", "-1", "99999999999999999999", "١٢", "table",
    "csv", "CSV", "Csv", "en", "zh", "EN", "ids", "names", "drop", "raise", "raise_",
    "utf-8", "memory", "dask", "a\x00b", "-", CSV, str(ROOT / "src"), "/nonexistent/x.csv",
    "dir/", "./x//y",
]  # fmt: skip
OTHERS: list[Any] = [None, True, False, 3, 2.5, 0, Path("x"), Path(CSV), b"x", ("a", "b"), ["a"], ()]


def _params() -> list[tuple[str, Any, Any]]:
    group = typer.main.get_command(get_app())
    install(group)  # else installed on the command a command line runs
    out = [("", group, p) for p in group.params]
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        out += [(name, command, p) for p in command.params]
    return out


def _outcome(coercion: Any, value: Any, param: Any, ctx: Any) -> tuple[str, Any]:
    try:
        result = coercion.coerce(value, param=param, ctx=ctx)
    except Exception as exc:  # the error is part of the outcome
        message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
        return f"raised {type(exc).__name__}", message
    if isinstance(result, list | tuple):  # repr: NaN equals NaN
        return type(result).__name__, [(type(x), repr(x)) for x in result]
    return type(result).__name__, repr(result)


def test_every_parameter_converts_as_typer_does() -> None:
    checked = 0
    for name, command, param in _params():
        ours = param._runtime_param
        if not isinstance(ours, _Coercion):
            continue
        theirs = build_runtime_param(param.type_descriptor)
        ctx = typer.Context(command, info_name=name or "mfgindex")
        values = [*TEXTS, *OTHERS, param.default, tuple(TEXTS[:6])]
        for value in values:
            expected = _outcome(theirs, value, param, ctx)
            assert _outcome(ours, value, param, ctx) == expected, (name, param.name, value)
            checked += 1
    assert checked > 5000


def test_every_parameter_of_the_commands_is_converted_here() -> None:
    left = [f"{name} {p.name}" for name, _, p in _params() if not isinstance(p._runtime_param, _Coercion)]
    assert not left, (
        f"typer coerces {left} with pydantic (imported for them at parse time): cli/coercion.py "
        "converts str, int, float, bool, Path, enums, Literals and lists of str or Path"
    )


def test_a_value_typer_must_judge_goes_to_typer() -> None:
    runner = CliRunner()
    for args, words in [
        (["rank", "--top", "1e3"], "Input should be a valid integer"),
        (["rank", "--round", "16"], "less than or equal to 15"),
        (["rank", "--format", "xml"], "'xml' is not one of"),
        (["rank", "--lang", "fr"], "'fr' is not one of"),
    ]:
        result = runner.invoke(get_app(), args)
        assert result.exit_code == 2, (args, result.output)
        assert words in result.stderr, (args, result.stderr)


def test_a_parameter_without_typers_internals_is_left_to_typer() -> None:
    class Plain:  # what a click parameter, or one of another typer version, looks like here
        type_descriptor = None

    command = type("Command", (), {"params": [Plain()], "commands": {}})()
    assert install(command) == 0
    assert issubclass(FastGroup, typer.core.TyperGroup)


@pytest.mark.skipif(os.name == "nt" or os.geteuid() == 0, reason="root reads every file")
def test_an_unreadable_file_is_typers_message(tmp_path: Path) -> None:
    locked = tmp_path / "locked.csv"
    locked.write_text("a\n1\n", encoding="utf-8")
    locked.chmod(0)
    result = CliRunner().invoke(get_app(), ["rank", str(locked)])
    assert result.exit_code == 2 and "is not readable" in result.stderr
