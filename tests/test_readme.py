"""The README stays true: every shell command of its code blocks runs and exits 0 in a fresh
folder (not the repository), its framework example scores, its Python block runs, and the files
and links it points at exist in the repository.

Commands run in the order written, in one temporary folder per test session, through typer's
runner — or, with ``MFGINDEX_README_EXE=/path/to/mfgindex``, as a subprocess of that executable
(for a non-editable install from the wheel, as CI does). Only two things differ from what a
reader types: ``--runs 10000`` becomes ``--runs 200`` to keep the suite fast, and the folder
holds the two files the README's "your own framework and data" command names (``my_index.toml``,
the README's framework example, and ``my_data.xlsx``, data for it). The set-up commands that are
not ``mfgindex`` (making a virtual environment, ``pip install``, the test suite itself) are listed
in :data:`NOT_RUN` with the reason; any other command the README gains must run.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mfgindex.cli.app import get_app
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")

#: Set-up commands not run here (their first words), with the reason.
NOT_RUN = {
    "python3 -m venv": "the tests already run in a virtual environment",
    ". .venv/bin/activate": "the tests already run in a virtual environment",
    "pip install": "the tests run on an installed mfgindex",
    "python -m pytest": "this is the test suite",
    "bash .ci/run": "CI itself",
}

#: Data for the README's framework example (its indicator reads st_expenditure / gdp).
MY_DATA = (
    "city_code,name,st_expenditure,gdp\n310000,Shanghai,400,38000\n320100,Nanjing,150,14000\n"
    "320500,Suzhou,180,19000\n330100,Hangzhou,250,15000\n340100,Hefei,160,9400\n"
)


def shell_commands(text: str) -> list[str]:
    """Every command of the fenced bash/sh blocks: continued lines joined, ``&&`` split,
    comments dropped."""
    commands: list[str] = []
    for block in re.findall(r"^```(?:bash|sh|shell|console)\n(.*?)^```", text, flags=re.S | re.M):
        logical = re.sub(r"\\\n\s*", " ", block)
        for line in logical.splitlines():
            for part in line.split("&&"):
                words = shlex.split(part, comments=True)
                if words:
                    commands.append(shlex.join(words))
    return commands


COMMANDS = shell_commands(README)
RUN = [c for c in COMMANDS if c.startswith("mfgindex")]


def _framework_example() -> str:
    return re.findall(r"^```toml\n(.*?)^```", README, flags=re.S | re.M)[0]


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh folder with what a reader brings to the "own framework and data" command."""
    folder = tmp_path_factory.mktemp("readme")
    (folder / "my_index.toml").write_text(_framework_example(), encoding="utf-8")
    (folder / "my_data.csv").write_text(MY_DATA, encoding="utf-8")
    try:
        import pandas as pd

        pd.read_csv(folder / "my_data.csv", dtype={"city_code": str}).to_excel(
            folder / "my_data.xlsx", index=False
        )
    except ImportError:  # openpyxl (the [excel] extra) missing: that command will say so
        pass
    # Commands that copy example files out come first in any order the tests run in.
    for command in RUN:
        if " examples " in f" {command} " and "--copy" in command:
            _run(command, folder)
    return folder


def _run(command: str, folder: Path) -> tuple[int, str, str]:
    words = shlex.split(command)[1:]
    words = [
        "200" if w == "10000" and prev == "--runs" else w
        for prev, w in zip(["", *words[:-1]], words, strict=True)
    ]
    exe = os.environ.get("MFGINDEX_README_EXE")
    if exe:
        done = subprocess.run(
            [exe, *words], cwd=folder, capture_output=True, text=True, encoding="utf-8", check=False
        )
        return done.returncode, done.stdout, done.stderr
    old = Path.cwd()
    os.chdir(folder)
    try:
        result = CliRunner().invoke(get_app(), words)
    finally:
        os.chdir(old)
    return result.exit_code, result.stdout, result.stderr


def test_readme_commands_found() -> None:
    assert len(RUN) >= 15, RUN


def test_every_other_command_is_accounted_for() -> None:
    """A command that is not `mfgindex ...` is a known set-up step; nothing is skipped silently."""
    others = [c for c in COMMANDS if not c.startswith("mfgindex")]
    unknown = [c for c in others if not any(c.startswith(k) for k in NOT_RUN)]
    assert not unknown, f"README commands neither run nor listed in NOT_RUN: {unknown}"


def test_readme_says_to_make_a_virtual_environment() -> None:
    first = COMMANDS.index(next(c for c in COMMANDS if c.startswith("pip install")))
    assert any(c.startswith("python3 -m venv") for c in COMMANDS[:first])


@pytest.mark.parametrize("command", RUN)
def test_readme_command_runs(command: str, workdir: Path) -> None:
    code, out, err = _run(command, workdir)
    assert code == 0, f"{command}\n{err}\n{out[-2000:]}"
    if " --copy " not in f" {command} " and " -o " not in f" {command} ":
        assert out.strip(), command


def test_readme_commands_leave_the_repository_alone(workdir: Path) -> None:
    """Files a README command writes land in the reader's folder."""
    assert (workdir / "asem_sensitivity.toml").exists()
    assert not (ROOT / "scores.xlsx").exists()


def _links(text: str) -> list[str]:
    """Relative link targets and backticked repository paths of a markdown text."""
    targets = [t for t in re.findall(r"\]\(([^)#\s]+)", text) if "://" not in t]
    top = ("docs/", "examples/", "indicators/", "benchmarks/", "tests/", "src/", ".ci/")
    targets += [t for t in re.findall(r"`([^`\s]+)`", text) if t.startswith(top)]
    return targets


def test_paths_in_readme_exist() -> None:
    """Files the README points at are in the repository; none lies outside it."""
    links = _links(README)
    assert "docs/framework-format.md" in links
    for target in links:
        assert not target.startswith(".."), f"README links outside the repository: {target}"
        assert list(ROOT.glob(target)), target


def test_docs_link_only_inside_the_repository() -> None:
    for doc in [ROOT / "CONTRIBUTING.md", *sorted((ROOT / "docs").glob("*.md"))]:
        if not doc.exists():
            continue
        for target in _links(doc.read_text(encoding="utf-8")):
            assert "shared/DESIGN" not in target and not target.startswith("../shared"), (doc.name, target)


def test_readme_framework_example_scores(tmp_path: Path) -> None:
    """The framework file of README's "Framework files" scores the data it describes."""
    (tmp_path / "my_index.toml").write_text(_framework_example(), encoding="utf-8")
    (tmp_path / "my_data.csv").write_text(MY_DATA, encoding="utf-8")
    result = CliRunner().invoke(
        get_app(), ["score", "-f", str(tmp_path / "my_index.toml"), "--format", "csv"]
    )
    assert result.exit_code == 0, result.stderr
    assert len(result.stdout.strip().splitlines()) == 6


def test_readme_python_snippet_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The "From Python" block runs as written (it writes city.xlsx into the working folder)."""
    snippet = re.findall(r"^```python\n(.*?)^```", README, flags=re.S | re.M)[0]
    monkeypatch.chdir(tmp_path)
    exec(compile(snippet, "README.md", "exec"), {})
    assert (tmp_path / "city.xlsx").exists()
