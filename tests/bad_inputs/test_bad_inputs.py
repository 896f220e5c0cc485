"""The bad-input corpus, run through the real command line.

Each case of ``cases.toml`` runs ``mfgindex ARGV`` — what a user types — against a private copy
of ``files/``. Every case must fail cleanly: the expected exit code, a message saying where the
problem is and how to fix it (``hint:``), no traceback, nothing on stdout, no output or
temporary file left behind, and every input byte-for-byte unchanged.

The cases run once, in a module-scoped fixture: the corpus is split between two worker
processes (``_driver.py``), each running its cases one after the other through the real
application with typer's test runner (a process start costs more than most cases); a few cases
of every kind also run as ``python -m mfgindex`` subprocesses, the exact command line, and must
give the same outcome. Each case is then its own test, reading its recorded outcome.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import subprocess
import sys
import tomllib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
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
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@functools.cache
def _snapshot() -> tuple[tuple[tuple[str, int, bytes | None], ...], dict[str, str]]:
    """``files/`` read once: its entries (path, permission bits, bytes or ``None`` for a
    folder) and the digests of its files.

    Every case gets a private copy written from this snapshot, so the digests of a fresh copy
    are those of ``files/`` itself: computed once, not once per case (172 cases of 119 files:
    ``shutil.copytree`` and hashing each fresh copy were most of the corpus' time)."""
    entries: list[tuple[str, int, bytes | None]] = []
    for p in sorted(FILES.rglob("*")):
        rel = str(p.relative_to(FILES))
        if p.is_symlink() or not (p.is_dir() or p.is_file()):
            raise AssertionError(f"files/{rel}: only plain files and folders can be copied")
        mode = p.stat().st_mode & 0o777
        entries.append((rel, mode, None if p.is_dir() else p.read_bytes()))
    digests = {rel: hashlib.sha256(data).hexdigest() for rel, _, data in entries if data is not None}
    return tuple(entries), digests


def _copy_files(dest: Path) -> dict[str, str]:
    """A private copy of ``files/`` at ``dest`` (a new folder); returns its files' digests."""
    entries, digests = _snapshot()
    os.makedirs(dest)
    for rel, mode, data in entries:  # sorted: a folder comes before its files
        path = os.path.join(dest, rel)
        if data is None:
            os.mkdir(path, mode)
            continue
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
        finally:
            os.close(fd)
    return digests


def _argv(case: dict[str, Any], files: Path, out: Path) -> list[str]:
    argv = [a.replace("{files}", str(files)).replace("{out}", str(out)) for a in case["argv"]]
    if argv[0] in WRITES and "-o" not in argv and "--output" not in argv:
        argv += ["-o", str(out / "result.csv")]
    return argv


def _prepare(case: dict[str, Any], root: Path) -> tuple[Path, list[str], dict[str, str]]:
    work = root / case["name"]
    files, out = work / "files", work / "out"
    before = _copy_files(files)
    out.mkdir()
    return work, _argv(case, files, out), before


def _outcome(
    work: Path, argv: list[str], before: dict[str, str], code: int, stdout: str, stderr: str
) -> Outcome:
    files, out = work / "files", work / "out"
    after = _digests(files)
    changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    left = sorted(str(p.relative_to(out)) for p in out.rglob("*"))
    # Anything else created in the working folder (a framework that managed to run code would
    # leave its 'pwned' file here) counts as a changed input.
    changed += sorted(p.name for p in work.iterdir() if p.name not in {"files", "out"})
    return Outcome(argv, code, stdout, stderr, left, changed)


def _subprocess(case: dict[str, Any], root: Path) -> Outcome:
    """One case as the exact command line: ``python -m mfgindex ARGV``."""
    work, argv, before = _prepare(case, root)
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1", "PYTHONWARNINGS": "ignore"}
    proc = subprocess.run(
        [sys.executable, "-m", "mfgindex", *argv],
        capture_output=True,
        text=True,
        cwd=work,
        env=env,
        timeout=120,
        check=False,
    )
    return _outcome(work, argv, before, proc.returncode, proc.stdout, proc.stderr)


def _in_workers(cases: list[dict[str, Any]], root: Path, workers: int = 2) -> dict[str, Outcome]:
    """Every case through the application, the corpus split between ``workers`` processes."""
    prepared = {c["name"]: _prepare(c, root) for c in cases}
    chunks = [cases[k::workers] for k in range(workers)]
    procs = []
    for k, chunk in enumerate(chunks):
        spec = root / f"_cases{k}.json"
        spec.write_text(
            json.dumps(
                [
                    {"name": c["name"], "argv": prepared[c["name"]][1], "cwd": str(prepared[c["name"]][0])}
                    for c in chunk
                ]
            ),
            encoding="utf-8",
        )
        procs.append(
            (
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "tests.bad_inputs._driver",
                        str(spec),
                        str(root / f"_results{k}.json"),
                    ],
                    cwd=ROOT,
                ),
                k,
            )
        )
    for proc, _ in procs:
        assert proc.wait(timeout=600) == 0, "the bad-input driver itself failed"
    out: dict[str, Outcome] = {}
    for _, k in procs:
        for name, r in json.loads((root / f"_results{k}.json").read_text("utf-8")).items():
            work, argv, before = prepared[name]
            out[name] = _outcome(work, argv, before, r["code"], r["stdout"], r["stderr"])
    return out


#: Cases also run as real subprocesses: the first of each kind.
EXACT = [next(c for c in CASES if c["kind"] == kind) for kind in sorted(KINDS)]


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Outcome]]:
    yield _in_workers(CASES, tmp_path_factory.mktemp("bad_inputs"))


@pytest.mark.parametrize("case", EXACT, ids=[c["name"] for c in EXACT])
def test_the_exact_command_line_fails_alike(
    case: dict[str, Any], outcomes: dict[str, Outcome], tmp_path: Path
) -> None:
    """The in-process run of a case is what ``python -m mfgindex`` does."""
    real = _subprocess(case, tmp_path)
    got = outcomes[case["name"]]
    assert (real.code, real.stdout, real.out_files, real.changed_inputs) == (
        got.code,
        got.stdout,
        got.out_files,
        got.changed_inputs,
    )

    def text(stderr: str) -> str:  # the two runs work in different temporary folders
        flat = " ".join(stderr.split()).replace("python -m mfgindex", "mfgindex")
        return re.sub(rf"\S*/{re.escape(case['name'])}/", "<work>/", flat)

    assert text(real.stderr) == text(got.stderr)


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
