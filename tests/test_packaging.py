"""What the package ships: the wheel holds the code with ``py.typed``, the built-in frameworks,
the example data and specs, the licence and the project metadata — and the bundled examples are
found from the installed layout (``mfgindex/_builtin/``), not only from a source checkout.

The wheel is built with hatchling (the build backend; in the ``[dev]`` extra) into a temporary
folder; the tests that need it are skipped when hatchling is not installed.
"""

from __future__ import annotations

import email
import os
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

import mfgindex
from tests.conftest import ROOT

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_py_typed_is_in_the_package() -> None:
    assert (Path(mfgindex.__file__).parent / "py.typed").is_file()


def test_project_metadata() -> None:
    project = PYPROJECT["project"]
    assert project["license"] == "MIT"
    assert (ROOT / "LICENSE").read_text(encoding="utf-8").startswith("MIT License")
    assert "Typing :: Typed" in project["classifiers"]
    assert {"Homepage", "Source", "Issues", "Changelog"} <= set(project["urls"])
    assert project["keywords"]
    # every Python version the classifiers claim is at least requires-python
    low = tuple(int(v) for v in project["requires-python"].removeprefix(">=").split("."))
    for c in project["classifiers"]:
        if c.startswith("Programming Language :: Python :: 3."):
            assert tuple(int(v) for v in c.rsplit(" ", 1)[1].split(".")) >= low, c


def test_force_included_folders_exist() -> None:
    """hatchling fails on a missing force-include: every source folder is in the repository."""
    included = PYPROJECT["tool"]["hatch"]["build"]["targets"]["wheel"]["force-include"]
    for source in included:
        assert (ROOT / source).is_dir(), source


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("hatchling")
    from hatchling.builders.wheel import WheelBuilder

    out = tmp_path_factory.mktemp("dist")
    built = list(WheelBuilder(str(ROOT)).build(directory=str(out), versions=["standard"]))
    assert len(built) == 1
    return Path(built[0])


def test_wheel_contents(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "mfgindex/py.typed" in names
    assert "mfgindex/examples.py" in names and "mfgindex/cli/examples.py" in names
    for toml in (ROOT / "indicators").glob("*.toml"):
        assert f"mfgindex/_builtin/indicators/{toml.name}" in names, toml.name
    for data in (ROOT / "examples" / "data").glob("*.csv"):
        assert f"mfgindex/_builtin/data/{data.name}" in names, data.name
    for spec in (ROOT / "examples" / "specs").iterdir():
        assert f"mfgindex/_builtin/specs/{spec.name}" in names, spec.name
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names), sorted(names)[-8:]
    assert not any(n.startswith(("tests/", "mfgindex/tests/")) for n in names)


def test_wheel_metadata(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as z:
        meta_name = next(n for n in z.namelist() if n.endswith(".dist-info/METADATA"))
        meta = email.message_from_bytes(z.read(meta_name))
    assert "Typing :: Typed" in meta.get_all("Classifier", [])
    assert any(u.startswith("Source, https://") for u in meta.get_all("Project-URL", []))
    requires = meta.get_all("Requires-Dist", [])
    for dep in PYPROJECT["project"]["dependencies"]:
        assert any(r.replace(" ", "").startswith(dep.replace(" ", "")) for r in requires), dep


def test_installed_layout_finds_the_examples(wheel: Path, tmp_path: Path) -> None:
    """Unpacked alone (as pip installs it), the wheel lists, resolves and copies its examples,
    and scores COINr's tables by name from an empty folder."""
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    work = tmp_path / "work"
    work.mkdir()
    env = {**os.environ, "PYTHONPATH": str(site)}
    script = (
        "import mfgindex, mfgindex.examples as ex; "
        "assert '_builtin' in mfgindex.examples.example_path('asem_sensitivity.toml').parts; "
        "print(sorted(e.name for e in ex.examples()))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=work, env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "ASEM_iMeta.csv" in done.stdout and "city_panel.csv" in done.stdout
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mfgindex",
            "score",
            "ASEM_iData.csv",
            "-f",
            "ASEM_iMeta.csv",
            "--format",
            "csv",
        ],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0].startswith("uCode,")
    assert len(done.stdout.splitlines()) == 52  # header and COINr's 51 units
    done = subprocess.run(
        [sys.executable, "-m", "mfgindex", "examples", "--copy", "out"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert (work / "out" / "SOURCE_asem_coinr.md").exists()
