"""``mfgindex validate --sheet``: a workbook whose data is not on its first sheet is checked
on the sheet named, as ``score`` and ``rank`` read it — and the message that says the data may
be on another sheet names an option the command has."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from mfgindex.cli.app import get_app

FILES = Path(__file__).resolve().parents[1] / "bad_inputs" / "files"
WORKBOOK = FILES / "second_sheet.xlsx"  # sheet 1: notes; sheet 2 ("Data"): the data
FRAMEWORK = FILES / "base.toml"


def _validate(*extra: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(get_app(), ["validate", str(WORKBOOK), "-f", str(FRAMEWORK), *extra])
    return result.exit_code, result.stdout, result.stderr


def test_the_first_sheet_is_checked_and_the_hint_names_sheet() -> None:
    code, _, stderr = _validate()
    assert code == 1
    assert "--sheet" in stderr and "Data" in stderr


def test_sheet_by_name_or_number_checks_that_sheet() -> None:
    for sheet in ("Data", "2"):
        code, stdout, stderr = _validate("--sheet", sheet)
        assert code == 0, stderr
        said = " ".join(stdout.split())  # the console may wrap the line at its width
        assert said.startswith(f"ok: {WORKBOOK} fits framework") and "(3 rows" in said


def test_a_sheet_that_is_not_there_is_a_clear_error() -> None:
    code, _, stderr = _validate("--sheet", "Nope")
    assert code == 1 and "Nope" in stderr and "Traceback" not in stderr
    code, _, stderr = _validate("--sheet", "0")
    assert code == 2 and "sheets are numbered from 1" in stderr


def test_sheet_with_a_csv_file_is_a_usage_error() -> None:
    csv = FILES / "base.csv"
    result = CliRunner().invoke(get_app(), ["validate", str(csv), "-f", str(FRAMEWORK), "--sheet", "2"])
    assert result.exit_code == 2 and "--sheet chooses a sheet of an .xlsx file" in result.stderr
