"""Every runnable example script runs and writes what it says (examples/)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT


def _run(script: Path, out: Path) -> str:
    proc = subprocess.run(
        [sys.executable, str(script), str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=out.parent,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_library_tour(tmp_path: Path) -> None:
    out = _run(ROOT / "examples" / "library_tour.py", tmp_path / "out")
    assert "rank 1 of" in out and "geometric vs arithmetic" in out
    assert (tmp_path / "out" / "city_2019.csv").exists()
    assert (tmp_path / "out" / "city_2019.csv.provenance.json").exists()
    assert (tmp_path / "out" / "city_2019.xlsx").exists()


def test_custom_framework(tmp_path: Path) -> None:
    out = _run(ROOT / "examples" / "custom" / "run_custom.py", tmp_path / "out")
    assert "上海市" in out
    doc = json.loads((tmp_path / "out" / "yrd.json").read_text(encoding="utf-8"))
    assert doc["provenance"]["framework"]["id"] == "yrd"
    assert len(doc["rows"]) == 41  # the YRD's 41 prefecture-level cities incl. Shanghai
