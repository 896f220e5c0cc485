"""A mistake on the command line that can be seen before any work is said before any work: an
-o that is one of the run's inputs (the uncertainty or sensitivity spec), a report that is not
an HTML file. Checked in a fresh process: the heavy modules the work needs (scipy for the
Saltelli design, matplotlib for the report) are never imported, and the exit code is the usage
error's."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SPEC = "[weights]\nnoise = 0.25\n"


def _run(args: list[str], cwd: Path) -> tuple[int, str, list[str]]:
    code = (
        "import sys, json\n"
        f"sys.argv = ['mfgindex', *{args!r}]\n"
        "from mfgindex.cli import main\n"
        "try:\n    main()\nexcept SystemExit as exc:\n    code = exc.code\n"
        "heavy = [m for m in ('scipy.stats', 'matplotlib') if m in sys.modules]\n"
        "print(json.dumps([code, heavy]), file=sys.stdout)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=cwd, timeout=120, check=False
    )
    exit_code, heavy = json.loads(proc.stdout.strip().splitlines()[-1])
    return int(exit_code), proc.stderr, heavy


@pytest.mark.parametrize("command", ["sensitivity", "uncertainty"])
def test_output_onto_the_spec_fails_before_the_runs(command: str, tmp_path: Path) -> None:
    spec = tmp_path / "spec.toml"
    spec.write_text(SPEC, encoding="utf-8")
    before = spec.read_bytes()
    # --format csv: else the .toml suffix alone is refused (no output format), before any work
    code, stderr, heavy = _run([command, "--spec", str(spec), "--format", "csv", "-o", str(spec)], tmp_path)
    assert code == 2, stderr
    assert "spec.toml" in stderr and "Traceback" not in stderr
    assert heavy == []  # no Saltelli design, no run
    assert spec.read_bytes() == before


def test_a_report_that_is_not_html_fails_before_matplotlib(tmp_path: Path) -> None:
    code, stderr, heavy = _run(["report", "-o", "r.txt"], tmp_path)
    assert code == 2, stderr
    assert "a report is an HTML file" in stderr
    assert heavy == []
    assert not (tmp_path / "r.txt").exists()
