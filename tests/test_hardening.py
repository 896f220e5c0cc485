"""Hardening, round 2 (issue 12, classes 4-8): bounded reads, terminal safety, no internal
error from any option, fault paths of writes, messages that do not mislead."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from mfgindex.data import read_table_hashed
from mfgindex.errors import DataError

FILES = Path(__file__).resolve().parent / "bad_inputs" / "files"
BASE_CSV = FILES / "base.csv"
BASE_TOML = FILES / "base.toml"
posix = pytest.mark.skipif(os.name != "posix", reason="FIFOs and signals are POSIX")


# ------------------------------------------------------------------ class 4: bounded reads


@posix
def test_a_fifo_is_read_once_and_hashed_from_what_was_read(tmp_path: Path) -> None:
    import hashlib

    fifo = tmp_path / "data.csv"
    os.mkfifo(fifo)
    payload = BASE_CSV.read_bytes()

    def feed() -> None:
        with fifo.open("wb") as fh:
            fh.write(payload)

    writer = threading.Thread(target=feed)
    writer.start()
    frame, digest = read_table_hashed(fifo)
    writer.join(timeout=10)
    assert list(frame.columns) == ["code", "name", "x1", "x2", "x3", "pop"]
    assert digest == hashlib.sha256(payload).hexdigest()


@posix
def test_dev_stdin_as_data_on_the_command_line() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "mfgindex", "validate", "/dev/stdin", "-f", str(BASE_TOML)],
        input=BASE_CSV.read_bytes(),
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr.decode()


@posix
def test_a_framework_cannot_name_a_fifo(tmp_path: Path) -> None:
    from mfgindex.data import read_data
    from mfgindex.framework import load_framework

    os.mkfifo(tmp_path / "d.csv")  # nobody writes: reading it would wait for ever
    fw_text = BASE_TOML.read_text("utf-8").replace(
        'name_column = "name"', 'name_column = "name"\ndataset = "d.csv"'
    )
    (tmp_path / "fw.toml").write_text(fw_text, "utf-8")
    fw = load_framework(tmp_path / "fw.toml")
    with pytest.raises(DataError, match="a file named by a framework must be a regular file"):
        read_data(None, fw)


def test_files_over_the_size_limit_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from mfgindex.errors import FrameworkError
    from mfgindex.framework import load_framework

    big = tmp_path / "big.csv"
    big.write_bytes(BASE_CSV.read_bytes() + b"U9,Nine,1,2,3,4\n" * 100_000)
    monkeypatch.setenv("MFGINDEX_MAX_INPUT_MB", "1")
    with pytest.raises(DataError, match=r"(?s)larger than the limit of 1 MB.*MFGINDEX_MAX_INPUT_MB"):
        read_table_hashed(big)
    fw = tmp_path / "fw.toml"
    fw.write_text(BASE_TOML.read_text("utf-8") + "#" * (2 << 20) + "\n", "utf-8")
    with pytest.raises(FrameworkError, match="larger than the limit"):
        load_framework(fw)
    monkeypatch.delenv("MFGINDEX_MAX_INPUT_MB")
    assert len(read_table_hashed(big)[0]) == len(read_table_hashed(BASE_CSV)[0]) + 100_000


def test_every_problem_list_is_capped() -> None:
    from mfgindex.errors import MfgIndexError

    err = MfgIndexError("many", problems=[f"p{k}" for k in range(50_000)])
    assert len(str(err)) < 2_000 and "(and 49960 more)" in str(err)


# ------------------------------------------------------ class 5: leaks and terminal safety


def test_a_framework_named_dataset_is_never_quoted(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from mfgindex.cli.app import get_app

    for name, body in (
        (".env", "AWS_SECRET=hunter2\n"),
        ("keys.csv", "code,name,x1,x2,x3,pop\nU1,hunter2,hunter2,1,1,1\n"),
    ):
        (tmp_path / name).write_text(body, "utf-8")
        fw = tmp_path / "fw.toml"
        fw.write_text(
            BASE_TOML.read_text("utf-8").replace(
                'name_column = "name"', f'name_column = "name"\ndataset = "{name}"'
            ),
            "utf-8",
        )
        result = CliRunner().invoke(get_app(), ["score", "-f", str(fw), "-o", str(tmp_path / "out.csv")])
        assert result.exit_code == 1
        assert "hunter2" not in result.stderr + result.stdout
    # named on the command line, the file's problems are shown
    result = CliRunner().invoke(get_app(), ["validate", str(tmp_path / "keys.csv"), "-f", str(BASE_TOML)])
    assert "'hunter2' is not a number" in result.stderr


def test_tables_and_messages_escape_control_characters(capsys: pytest.CaptureFixture[str]) -> None:
    import pandas as pd

    from mfgindex.cli.common import err_console, render_table, safe_text

    frame = pd.DataFrame(
        {
            "code": ["U1\x1b[2J", "U2"],
            "name\x1b[31m": ["Thr\x1b]0;x\x07ee", "zero\u200bwidth"],
            "mini": [1.0, 2.0],
        }
    )
    render_table(frame)
    err_console().print("warning: unit 'U\x1b[5m1'\n  hint: a second line")
    out, err = capsys.readouterr()
    assert "\x1b" not in out + err and "\x07" not in out and "\u200b" not in out
    assert "U1\\x1b[2J" in out and "\\u200b" in out
    assert "U\\x1b[5m1" in err and "\n  hint: a second line" in err
    assert safe_text("a\nb\x1bc") == "a\nb\\x1bc"


# ------------------------------------------- class 6: no internal error from any option


def _commands() -> list[tuple[str, Any]]:
    import typer

    from mfgindex.cli.app import get_app

    root: Any = typer.main.get_command(get_app())  # a group: list_commands, get_command
    ctx = root.make_context("mfgindex", [], resilient_parsing=True)
    return [(name, root.get_command(ctx, name)) for name in root.list_commands(ctx)]


_BASE = [str(BASE_CSV), "-f", str(BASE_TOML)]
#: A valid, small command line for each command, to which one bad option value is added.
_ARGV: dict[str, list[str]] = {
    "uncertainty": [*_BASE, "--vary", "weights=0.25", "--runs", "3"],
    "sensitivity": [*_BASE, "--vary", "weights=0.25", "--n", "4", "--boot", "5"],
    "explain": ["U1", *_BASE],
    "target": ["U2", *_BASE, "--rank", "1"],
    "plot": ["bar", *_BASE, "-o", "p.svg"],
    "report": [*_BASE, "-o", "r.html"],
    "export": [*_BASE, "-o", "e.xlsx"],
    "show": [str(BASE_TOML)],
    "template": [str(BASE_TOML)],
    "examples": [],
    "frameworks": [],
    "methods": [],
}
#: Wrong types and ranges: negative, zero, huge (beyond int64), empty, text for numbers, NaN.
_BAD_VALUES = ["-1", "0", "", "abc", "99999999999999999999", "nan", "inf", "-0.5", "1e309"]


def _option_cases() -> list[tuple[str, str]]:
    cases = []
    for name, cmd in _commands():
        for p in cmd.params:
            if p.param_type_name == "option" and not p.is_flag and p.opts[0] != "--help":
                cases.append((name, p.opts[0]))
    return cases


_OPTION_CASES = _option_cases()


def test_the_property_test_sees_every_command() -> None:
    names = {name for name, _ in _OPTION_CASES}
    assert {"score", "rank", "uncertainty", "sensitivity", "weights", "plot"} <= names
    assert ("uncertainty", "--seed") in _OPTION_CASES and ("sensitivity", "--boot") in _OPTION_CASES


from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=st.sampled_from(_OPTION_CASES), value=st.sampled_from(_BAD_VALUES))
def test_no_option_value_reaches_an_internal_error(
    case: tuple[str, str], value: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from mfgindex.cli.app import get_app

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MFGINDEX_TRACEBACK", raising=False)
    command, option = case
    argv = [command, *_ARGV.get(command, _BASE), option, value]
    result = CliRunner().invoke(get_app(), argv, catch_exceptions=True)
    shown = f"mfgindex {' '.join(argv)}\n{result.stderr}"
    assert result.exception is None or isinstance(result.exception, SystemExit), shown
    assert "internal error" not in result.stderr + result.stdout, shown
    assert "Traceback" not in result.stderr, shown
    assert result.exit_code in {0, 1, 2}, shown


@pytest.mark.parametrize(
    ("argv", "flag"),
    [
        (["uncertainty", *_BASE, "--vary", "weights=0.25", "--seed", "-1"], "--seed"),
        (["uncertainty", *_BASE, "--vary", "weights=0.25", "--runs", str(2**64)], "--runs"),
        (["sensitivity", *_BASE, "--vary", "weights=0.25", "--boot", "-1"], "--boot"),
        (["sensitivity", *_BASE, "--vary", "weights=0.25", "--n", "-4"], "--n"),
        (["uncertainty", *_BASE, "--vary", "weights=0.25", "--max-memory", "1e309"], "--max-memory"),
    ],
)
def test_out_of_range_options_are_usage_errors_naming_the_flag(argv: list[str], flag: str) -> None:
    from typer.testing import CliRunner

    from mfgindex.cli.app import get_app

    result = CliRunner().invoke(get_app(), argv)
    assert result.exit_code == 2 and flag in result.stderr, result.stderr


def test_a_full_disk_while_writing_xlsx_is_one_clean_message(tmp_path: Path) -> None:
    if os.name != "posix":
        pytest.skip("RLIMIT_FSIZE is POSIX")
    import resource
    import signal

    def small_files() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (2000, 2000))

    target = tmp_path / "out.xlsx"
    proc = subprocess.run(
        [sys.executable, "-m", "mfgindex", "score", *_BASE, "-o", str(target)],
        preexec_fn=small_files,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 1
    assert f"{target}: writing failed" in proc.stderr and "the disk is full" in proc.stderr
    assert "Traceback" not in proc.stderr and "Exception ignored" not in proc.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_parquet_list_column_is_a_clear_error(tmp_path: Path) -> None:
    import pandas as pd

    path = tmp_path / "d.parquet"
    pd.DataFrame({"code": ["U1", "U2"], "x1": [[1, 2], [3]]}).to_parquet(path)
    with pytest.raises(DataError, match=r"column 'x1' \(lists\) holds nested"):
        read_table_hashed(path)


# ------------------------------------------------------------------- class 7: fault paths

_WRITER = """
import sys, time
from pathlib import Path
from mfgindex.io import atomic_path
with atomic_path(Path(sys.argv[1])) as tmp:
    with open(tmp, "wb") as fh:
        fh.write(b"x" * (8 << 20))  # a large output, half written
        fh.flush()
        print("writing", flush=True)
        time.sleep(60)
"""


@posix
@pytest.mark.parametrize("sig", ["SIGTERM", "SIGINT"])
def test_a_signal_during_a_write_removes_the_temporary_file(tmp_path: Path, sig: str) -> None:
    import signal

    target = tmp_path / "out.csv"
    proc = subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(target)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "writing"
    assert next(p.name for p in tmp_path.iterdir()).startswith(".out.csv.")  # the temp file
    proc.send_signal(getattr(signal, sig))
    proc.wait(timeout=60)
    assert proc.returncode != 0
    assert list(tmp_path.iterdir()) == [], "a hidden temporary file was left behind"


@posix
def test_outputs_honour_the_umask(tmp_path: Path) -> None:
    import pandas as pd

    from mfgindex.io import write_table

    frame = pd.DataFrame({"a": [1, 2]})
    old = os.umask(0o027)
    try:
        written = write_table(frame, tmp_path / "t.csv", provenance={"k": 1})
        for path in written:
            assert path.stat().st_mode & 0o777 == 0o640, path
        write_table(frame, tmp_path / "t.xlsx")
        assert (tmp_path / "t.xlsx").stat().st_mode & 0o777 == 0o640
        os.umask(0o002)
        write_table(frame, tmp_path / "u.json")
        assert (tmp_path / "u.json").stat().st_mode & 0o777 == 0o664
        os.chmod(tmp_path / "u.json", 0o600)  # a file replaced keeps its mode, as open() does
        write_table(frame, tmp_path / "u.json")
        assert (tmp_path / "u.json").stat().st_mode & 0o777 == 0o600
    finally:
        os.umask(old)


def test_dash_output_means_stdout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from mfgindex.cli.app import get_app

    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(get_app(), ["score", *_BASE, "-o", "-", "--format", "csv"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("code,") and list(tmp_path.iterdir()) == []
    result = CliRunner().invoke(get_app(), ["rank", *_BASE, "-o", "-"])
    assert result.exit_code == 0 and "U1" in result.stdout and not (tmp_path / "-").exists()
    result = CliRunner().invoke(get_app(), ["export", *_BASE, "-o", "-"])
    assert result.exit_code == 2 and "standard output" in result.stderr
    assert not (tmp_path / "-").exists()


# --------------------------------------------------------- class 8: messages that mislead


def test_invisible_characters_are_named_not_suggested() -> None:
    from mfgindex.errors import did_you_mean

    assert "U+200B ZERO WIDTH SPACE" in did_you_mean("iso\u200b3", ["iso3", "name"])
    assert "Did you mean" not in did_you_mean("iso3", ["iso3\ufeff"])
    assert "U+FEFF" in did_you_mean("iso3", ["iso3\ufeff"])
    assert "U+00A0 NO-BREAK SPACE" in did_you_mean("GDP per", ["GDP\xa0per"])
    assert did_you_mean("dirction", ["direction"]) == " Did you mean 'direction'?"


def test_sheet_chooses_the_sheet_of_a_workbook() -> None:
    from typer.testing import CliRunner

    from mfgindex.cli.app import get_app

    for sheet in ("Data", "2"):
        result = CliRunner().invoke(
            get_app(),
            [
                "score",
                str(FILES / "second_sheet.xlsx"),
                "-f",
                str(BASE_TOML),
                "--sheet",
                sheet,
                "--format",
                "csv",
            ],
        )
        assert result.exit_code == 0, result.stderr
        assert result.stdout.startswith("code,name")
    from mfgindex.data import read_data
    from mfgindex.framework import load_framework

    ds = read_data(FILES / "second_sheet.xlsx", load_framework(BASE_TOML), sheet="Data")
    assert len(ds.units) == 3


def test_an_imeta_written_by_r_reads_na_as_empty() -> None:
    from mfgindex.framework import load_framework

    fw = load_framework(FILES / "imeta_r_na.csv")
    assert fw.id == "IDX" and [i.id for i in fw.indicators] == ["x1", "x2", "x3"]
    assert all(i.denominator is None for i in fw.indicators)
