"""Hardening, round 2 (issue 12, classes 4-8): bounded reads, terminal safety, no internal
error from any option, fault paths of writes, messages that do not mislead."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

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
    proc = subprocess.run([sys.executable, "-m", "mfgindex", "validate", "/dev/stdin", "-f",
                           str(BASE_TOML)], input=BASE_CSV.read_bytes(), capture_output=True,
                          timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr.decode()


@posix
def test_a_framework_cannot_name_a_fifo(tmp_path: Path) -> None:
    from mfgindex.data import read_data
    from mfgindex.framework import load_framework

    os.mkfifo(tmp_path / "d.csv")  # nobody writes: reading it would wait for ever
    fw_text = BASE_TOML.read_text("utf-8").replace('name_column = "name"',
                                                   'name_column = "name"\ndataset = "d.csv"')
    (tmp_path / "fw.toml").write_text(fw_text, "utf-8")
    fw = load_framework(tmp_path / "fw.toml")
    with pytest.raises(DataError, match="a file named by a framework must be a regular file"):
        read_data(None, fw)


def test_files_over_the_size_limit_are_refused(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
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

    for name, body in ((".env", "AWS_SECRET=hunter2\n"), ("keys.csv",
                       "code,name,x1,x2,x3,pop\nU1,hunter2,hunter2,1,1,1\n")):
        (tmp_path / name).write_text(body, "utf-8")
        fw = tmp_path / "fw.toml"
        fw.write_text(BASE_TOML.read_text("utf-8").replace(
            'name_column = "name"', f'name_column = "name"\ndataset = "{name}"'), "utf-8")
        result = CliRunner().invoke(get_app(), ["score", "-f", str(fw), "-o",
                                                str(tmp_path / "out.csv")])
        assert result.exit_code == 1
        assert "hunter2" not in result.stderr + result.stdout
    # named on the command line, the file's problems are shown
    result = CliRunner().invoke(get_app(), ["validate", str(tmp_path / "keys.csv"), "-f",
                                            str(BASE_TOML)])
    assert "'hunter2' is not a number" in result.stderr


def test_tables_and_messages_escape_control_characters(capsys: pytest.CaptureFixture[str]
                                                       ) -> None:
    import pandas as pd

    from mfgindex.cli.common import err_console, render_table, safe_text

    frame = pd.DataFrame({"code": ["U1\x1b[2J", "U2"], "name\x1b[31m": ["Thr\x1b]0;x\x07ee",
                                                                     "zero\u200bwidth"],
                          "mini": [1.0, 2.0]})
    render_table(frame)
    err_console().print("warning: unit 'U\x1b[5m1'\n  hint: a second line")
    out, err = capsys.readouterr()
    assert "\x1b" not in out + err and "\x07" not in out and "\u200b" not in out
    assert "U1\\x1b[2J" in out and "\\u200b" in out
    assert "U\\x1b[5m1" in err and "\n  hint: a second line" in err
    assert safe_text("a\nb\x1bc") == "a\nb\\x1bc"
