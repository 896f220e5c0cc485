"""Regression tests for bad inputs found by trying mfgindex as a new user would (beyond the
corpus): each gave an unclear message, a wrong result or a crash before it was fixed.

These run in-process through typer's runner (fast); the corpus covers the real subprocess.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mfgindex.cli.app import get_app
from mfgindex.data import MISSING_MARKERS, number_hint, parse_numbers

FILES = Path(__file__).resolve().parent / "files"
BASE_CSV = (FILES / "base.csv").read_text(encoding="utf-8")
BASE_TOML = str(FILES / "base.toml")


def cli(*argv: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(get_app(), list(argv))
    return result.exit_code, result.stdout, result.stderr


def data(tmp_path: Path, text: str, name: str = "d.csv") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


@pytest.mark.parametrize(
    ("cell", "hint"),
    [
        ("2万", "without '万': convert it to the indicator's unit (2万 = 20000)"),
        ("¥2", "without '¥'"),
        ("(3)", "a minus sign: -3"),
        ("1,5", "write decimals with a point"),
        ("1e999", "infinite values are not data"),
    ],
)
def test_cell_hints(cell: str, hint: str) -> None:
    assert hint in number_hint(cell)


def test_more_missing_markers() -> None:
    for marker in ("暂无", "不详", "——", "……", "..", "n.a."):
        assert marker in MISSING_MARKERS
    values, bad = parse_numbers(["暂无", "——", "..", "−5", "1 234"])
    assert bad == [] and values[3] == -5 and values[4] == 1234


def test_unit_names_with_markup_render(tmp_path: Path) -> None:
    """A unit called "[/]" used to crash the table rendering (rich markup)."""
    path = data(tmp_path, BASE_CSV.replace("U1,One", "U1,[/]bad[bold]"))
    code, out, err = cli("rank", path, "-f", BASE_TOML, "--format", "table")
    assert code == 0, err
    assert "[/]bad[bold]" in out


def test_top_must_be_positive() -> None:
    code, out, err = cli("rank", str(FILES / "base.csv"), "-f", BASE_TOML, "--top", "-3")
    assert code == 2 and "--top: must be at least 1" in err and out == ""


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--min-coverage", "2", "--min-coverage: must be a share between 0 and 1"),
        ("--fit-on", "sometimes", "--fit-on: must be each, pooled or a year"),
    ],
)
def test_options_checked_with_their_name(option: str, value: str, message: str) -> None:
    code, _, err = cli("score", str(FILES / "base.csv"), "-f", BASE_TOML, option, value)
    assert code == 2 and message in err and "hint:" in err


@pytest.mark.skipif(not Path("/dev/null").exists(), reason="needs /dev/null")
def test_output_onto_a_device_is_refused() -> None:
    """-o /dev/null (or /dev/stdout) would have been replaced by a regular file (as root)."""
    before = os.stat("/dev/null")
    code, _, err = cli(
        "score", str(FILES / "base.csv"), "-f", BASE_TOML, "--format", "csv", "-o", "/dev/null"
    )
    assert code == 1 and "is not a regular file" in err
    after = os.stat("/dev/null")
    assert (before.st_mode, before.st_rdev) == (after.st_mode, after.st_rdev)


def test_output_through_a_symlink_writes_the_file(tmp_path: Path) -> None:
    real = tmp_path / "real.csv"
    real.write_text("old\n", encoding="utf-8")
    link = tmp_path / "link.csv"
    link.symlink_to(real)
    code, _, err = cli("score", str(FILES / "base.csv"), "-f", BASE_TOML, "-o", str(link))
    assert code == 0, err
    assert link.is_symlink() and real.read_text(encoding="utf-8").startswith("code,")


def test_infinite_after_denominating(tmp_path: Path) -> None:
    path = data(tmp_path, BASE_CSV.replace("U1,One,1,10,100,10", "U1,One,1,10,1e308,1e-308"))
    code, out, err = cli("score", path, "-f", BASE_TOML, "--format", "csv")
    assert code == 1 and out == ""
    assert "indicator 'x3' has infinite values after the 'denominated' step (units: U1)" in err
    assert "RuntimeWarning" not in err


def test_title_row_above_the_header(tmp_path: Path) -> None:
    path = data(tmp_path, "2019 city data (unit: 100m yuan),,,,,\n" + BASE_CSV)
    code, _, err = cli("score", path, "-f", BASE_TOML)
    assert code == 1 and "title row above the header" in err


def test_framework_problems_without_cascades(tmp_path: Path) -> None:
    toml = (FILES / "base.toml").read_text(encoding="utf-8")
    plural = tmp_path / "plural.toml"
    plural.write_text(toml.replace("[[indicator]]", "[[indicators]]"), encoding="utf-8")
    code, _, err = cli("score", str(FILES / "base.csv"), "-f", str(plural))
    assert code == 1 and "unknown table [indicators]. Did you mean 'indicator'?" in err
    assert "(1 problem)" in err
    own = tmp_path / "self.toml"
    own.write_text(toml.replace('id = "x1"\nparent = "a"', 'id = "x1"\nparent = "x1"'), encoding="utf-8")
    code, _, err = cli("score", str(FILES / "base.csv"), "-f", str(own))
    assert "'x1' is an indicator; only groups can have children" in err and "(1 problem)" in err
    code, _, err = cli("score", str(FILES / "base.csv"), "-f", str(tmp_path))
    assert code == 1 and "is a folder, not a framework file" in err


def test_standard_input_is_named(tmp_path: Path) -> None:
    code, _, err = cli("score", "-", "-f", BASE_TOML)
    assert code == 1 and "standard input is not supported" in err


def test_framework_names_with_markup_render(tmp_path: Path) -> None:
    """Names from a framework file are shown as written in every rendering."""
    toml = (FILES / "base.toml").read_text(encoding="utf-8")
    path = tmp_path / "markup.toml"
    path.write_text(
        toml.replace('name = "Mini index"', 'name = "[/]Mini [red]"').replace(
            'name = "Group A"', 'name = "[b]A[/b][/]"'
        ),
        encoding="utf-8",
    )
    base = str(FILES / "base.csv")
    for argv in (
        ["explain", "U1", base],
        ["score", base, "--format", "table"],
        ["rank", base, "--level", "a", "--format", "table"],
        ["show", str(path)],
    ):
        code, out, err = cli(*argv, *([] if argv[0] == "show" else ["-f", str(path)]))
        assert code == 0, (argv, err)
    code, out, _ = cli("explain", "U1", base, "-f", str(path))
    assert "[/]Mini [red]" in out and "[b]A[/b][/]" in out
