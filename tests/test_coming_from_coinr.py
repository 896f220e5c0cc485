"""docs/coming-from-coinr.md stays true: its example script reproduces COINr's ASEM scores, and
every mfgindex command in its map runs (exit 0) in a fresh folder on the bundled ASEM tables."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from mfgindex.cli.app import get_app
from tests.conftest import GOLDEN, ROOT

DOC = (ROOT / "docs" / "coming-from-coinr.md").read_text(encoding="utf-8")
SCRIPT = ROOT / "examples" / "asem_coinr.py"


def test_the_script_rebuilds_coinrs_asem_example(tmp_path: Path) -> None:
    assert "examples/asem_coinr.py" in DOC
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), str(tmp_path)], capture_output=True, text=True, timeout=300, check=False
    )
    assert proc.returncode == 0, proc.stderr
    ours = pd.read_csv(tmp_path / "asem_aggregated.csv").set_index("uCode")
    ref = pd.read_csv(GOLDEN / "asem" / "example_dset_Aggregated.csv").set_index("uCode")
    cols = [
        "Physical",
        "ConEcFin",
        "Political",
        "Instit",
        "P2P",
        "Environ",
        "Social",
        "SusEcFin",
        "Conn",
        "Sust",
        "Index",
    ]
    assert np.abs(ours.loc[ref.index, cols].to_numpy() - ref[cols].to_numpy()).max() < 1e-9


def _commands() -> list[str]:
    out = []
    for row in DOC.splitlines():
        if row.startswith("| `"):
            cell = row.split(" | ")[1]
            out += re.findall(r"`(mfgindex [^`]*)`", cell)
    return out


COMMANDS = _commands()


def test_the_map_covers_the_coinr_functions_users_call() -> None:
    for name in (
        "new_coin",
        "Denominate",
        "Impute",
        "Screen",
        "Treat",
        "Normalise",
        "Aggregate",
        "get_results",
        "get_sensitivity",
        "plot_bar",
        "export_to_excel",
        "get_trends",
        "compare_coins",
        "get_dset",
        "get_stats",
    ):
        assert f"`{name}(" in DOC, name
    assert len(COMMANDS) >= 20


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_of_the_map_runs(command: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if " plot " in command:
        pytest.importorskip("matplotlib")
    if " export " in command:
        pytest.importorskip("openpyxl")
    text = (
        command.replace(" D", " ASEM_iData.csv -f ASEM_iMeta.csv")
        .replace("spec.toml", "asem_sensitivity.toml")
        .replace("--runs N", "--runs 50")
        .replace("--n N", "--n 32 --boot 50")
        .replace("\\|", "|")
    )
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(get_app(), shlex.split(text)[1:])
    assert result.exit_code == 0, f"{text}\n{result.stderr}"
