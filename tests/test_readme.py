"""Every `mfgindex ...` command in README.md's bash blocks runs and exits 0, and its framework
example and Python block work — the README stays true.

Commands that need a file the reader brings (my_data, my_index, spec.toml, COINr's
ASEM_iData.csv) are skipped. Each command runs through typer's runner from the repository root,
as written, except: ``--format csv`` is added where the command takes ``--format`` and neither
a format nor ``-o`` is given (a test runner is no terminal), and ``--runs 10000`` becomes
``--runs 200`` to keep the suite fast.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from mfgindex.cli.app import get_app
from tests.conftest import ROOT

#: Commands naming a file the reader brings: they cannot run here.
USER_FILES = ("my_data", "my_index", "spec.toml", "ASEM_iData.csv")


def readme_commands(text: str) -> list[str]:
    """The `mfgindex ...` commands of the fenced bash blocks, one per logical line."""
    commands: list[str] = []
    for block in re.findall(r"^```bash\n(.*?)^```", text, flags=re.S | re.M):
        logical = re.sub(r"\\\n\s*", " ", block)  # join continued lines
        for line in logical.splitlines():
            for part in line.split("&&"):
                words = shlex.split(part, comments=True)
                if words[:1] == ["mfgindex"] and not any(f in part for f in USER_FILES):
                    commands.append(shlex.join(words))
    return commands


COMMANDS = readme_commands((ROOT / "README.md").read_text(encoding="utf-8"))


def _takes_format(words: list[str]) -> bool:
    group = typer.main.get_command(get_app())
    command = getattr(group, "commands", {}).get(words[0]) if words else None
    return command is not None and any("--format" in p.opts for p in command.params)


def test_readme_commands_found() -> None:
    assert len(COMMANDS) >= 10, COMMANDS


@pytest.mark.parametrize("command", COMMANDS)
def test_readme_command_runs(command: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    words = shlex.split(command)[1:]
    words = ["200" if w == "10000" and prev == "--runs" else w
             for prev, w in zip(["", *words[:-1]], words, strict=True)]
    given = {w.split("=")[0] for w in words}
    if _takes_format(words) and not given & {"--format", "-o", "--output"}:
        words += ["--format", "csv"]
    result = CliRunner().invoke(get_app(), words)
    assert result.exit_code == 0, f"{command}\n{result.stderr}"
    assert result.stdout.strip(), command


def test_paths_in_readme_exist() -> None:
    """Files the README points at are in the repository."""
    for rel in ("examples/library_tour.py", "examples/custom/yrd_innovation.toml",
                "examples/data/city_panel.csv", "docs/robustness.md", "docs/troubleshooting.md"):
        assert Path(ROOT / rel).exists(), rel


def test_readme_framework_example_scores(tmp_path: Path) -> None:
    """The framework file of README's "Framework files" scores the data it describes."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    toml = re.findall(r"^```toml\n(.*?)^```", text, flags=re.S | re.M)[0]
    (tmp_path / "my_index.toml").write_text(toml, encoding="utf-8")
    (tmp_path / "my_data.csv").write_text(
        "city_code,name,st_expenditure,gdp\n310000,Shanghai,400,38000\n320100,Nanjing,150,14000\n"
        "320500,Suzhou,180,19000\n330100,Hangzhou,250,15000\n340100,Hefei,160,9400\n",
        encoding="utf-8")
    result = CliRunner().invoke(get_app(), ["score", "-f", str(tmp_path / "my_index.toml"),
                                            "--format", "csv"])
    assert result.exit_code == 0, result.stderr
    assert len(result.stdout.strip().splitlines()) == 6


def test_readme_python_snippet_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The "From Python" block runs as written (it writes city.xlsx into the working folder)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    snippet = re.findall(r"^```python\n(.*?)^```", text, flags=re.S | re.M)[0]
    monkeypatch.chdir(tmp_path)
    exec(compile(snippet, "README.md", "exec"), {})
    assert (tmp_path / "city.xlsx").exists()
