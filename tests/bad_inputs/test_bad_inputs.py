"""The bad-input corpus, run through the real command line.

Each case of ``cases.toml`` runs ``python -m mfgindex ARGV`` in a subprocess — exactly what a
user types — against a private copy of ``files/``. Every case must fail cleanly: the expected
exit code, a message saying where the problem is and how to fix it (``hint:``), no traceback,
nothing on stdout, no output or temporary file left behind, and every input byte-for-byte
unchanged.

Sub-processes start in about a second each, so all cases run once, in parallel threads, in a
module-scoped fixture; each case is then its own test, reading its recorded outcome.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tomllib
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
FILES = HERE / "files"
CASES: list[dict[str, Any]] = tomllib.loads((HERE / "cases.toml").read_text("utf-8"))["case"]
KINDS = {"csv", "toml", "data", "output", "usage"}
WRITES = {"score", "rank", "explain"}


@dataclass
class Outcome:
    """What one case did: its exit code, its output and what it left on disk."""

    argv: list[str]
    code: int
    stdout: str
    stderr: str
    out_files: list[str]
    changed_inputs: list[str] = field(default_factory=list)


def _digests(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _argv(case: dict[str, Any], files: Path, out: Path) -> list[str]:
    argv = [a.replace("{files}", str(files)).replace("{out}", str(out)) for a in case["argv"]]
    if argv[0] in WRITES and "-o" not in argv and "--output" not in argv:
        argv += ["-o", str(out / "result.csv")]
    return argv


def _run(case: dict[str, Any], root: Path) -> Outcome:
    work = root / case["name"]
    files, out = work / "files", work / "out"
    shutil.copytree(FILES, files)
    out.mkdir()
    before = _digests(files)
    argv = _argv(case, files, out)
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1", "PYTHONWARNINGS": "ignore"}
    proc = subprocess.run([sys.executable, "-m", "mfgindex", *argv], capture_output=True,
                          text=True, cwd=work, env=env, timeout=120, check=False)
    after = _digests(files)
    changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    left = sorted(str(p.relative_to(out)) for p in out.rglob("*"))
    # Anything else created in the working folder (a framework that managed to run code would
    # leave its 'pwned' file here) counts as a changed input.
    changed += sorted(p.name for p in work.iterdir() if p.name not in {"files", "out"})
    return Outcome(argv, proc.returncode, proc.stdout, proc.stderr, left, changed)


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Outcome]]:
    root = tmp_path_factory.mktemp("bad_inputs")
    workers = max(2, min(8, (os.cpu_count() or 2) * 2))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = {c["name"]: pool.submit(_run, c, root) for c in CASES}
        yield {name: f.result() for name, f in futures.items()}


def test_manifest_is_well_formed() -> None:
    names = [c["name"] for c in CASES]
    assert len(names) == len(set(names)), "case names must be unique"
    assert len(CASES) >= 40
    for c in CASES:
        assert set(c) <= {"name", "kind", "argv", "exit", "expect", "hint"}, c["name"]
        assert c["kind"] in KINDS, c["name"]
        assert c["expect"], f"{c['name']}: say what the message must contain"
    counts = Counter(c["kind"] for c in CASES)
    assert all(counts[k] for k in KINDS), counts


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_bad_input_fails_cleanly(case: dict[str, Any], outcomes: dict[str, Outcome]) -> None:
    got = outcomes[case["name"]]
    shown = f"\n$ mfgindex {' '.join(got.argv)}\n--- stderr:\n{got.stderr}--- stdout:\n{got.stdout}"
    assert got.code == case.get("exit", 1), f"exit code {got.code}{shown}"
    assert "Traceback" not in got.stderr + got.stdout, shown
    assert got.stdout == "", f"nothing may be printed as a result{shown}"
    assert "error" in got.stderr.lower(), shown
    if case.get("hint", True):
        assert "hint:" in got.stderr, f"the message must say how to fix it{shown}"
    text = " ".join(got.stderr.split())  # rich may wrap long lines
    for piece in case["expect"]:
        assert " ".join(piece.split()) in text, f"missing {piece!r}{shown}"
    assert got.out_files == [], f"left behind in the output folder: {got.out_files}{shown}"
    assert got.changed_inputs == [], f"inputs created or modified: {got.changed_inputs}{shown}"


def test_a_bug_is_one_message_not_a_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    """An unexpected exception (a bug) prints one line asking for a report, exit 1; with
    MFGINDEX_TRACEBACK=1 the traceback is shown."""
    from typer.testing import CliRunner

    import mfgindex.pipeline
    from mfgindex.cli.app import get_app

    def broken(*args: Any, **kwargs: Any) -> None:
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(mfgindex.pipeline, "compute", broken)
    monkeypatch.delenv("MFGINDEX_TRACEBACK", raising=False)
    argv = ["score", str(FILES / "base.csv"), "-f", str(FILES / "base.toml"), "--format", "csv"]
    result = CliRunner().invoke(get_app(), argv)
    assert result.exit_code == 1
    assert "internal error: ZeroDivisionError: a bug" in result.stderr
    assert "please report" in result.stderr and "Traceback" not in result.stderr
    monkeypatch.setenv("MFGINDEX_TRACEBACK", "1")
    result = CliRunner().invoke(get_app(), argv)
    assert isinstance(result.exception, ZeroDivisionError)
