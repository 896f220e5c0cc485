"""Shared fixtures: paths of the committed golden data and small frameworks."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import _typer_once

_typer_once.install()  # each app's click command built once, not on every CliRunner.invoke

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden"
ASEM = GOLDEN / "asem"


@pytest.fixture
def asem_dir() -> Path:
    return ASEM


MINI_TOML = """
[framework]
id = "mini"
name = "Mini index"
name_zh = "迷你指数"
unit_column = "code"
name_column = "name"

[defaults]
normalize = "minmax(low=0, high=100)"
aggregate = "arithmetic"
min_coverage = 0.5

[stages]
method = "rank"
cuts = [1]
labels = ["top", "rest"]
labels_zh = ["前列", "其余"]

[[group]]
id = "a"
parent = "mini"
name = "Group A"
weight = 2

[[group]]
id = "b"
parent = "mini"
name = "Group B"
weight = 1

[[indicator]]
id = "x1"
parent = "a"
direction = 1

[[indicator]]
id = "x2"
parent = "a"
direction = -1

[[indicator]]
id = "x3"
parent = "b"
direction = 1
denominator = "pop"
"""

MINI_CSV = """code,name,x1,x2,x3,pop
U1,One,1,10,100,10
U2,Two,2,20,300,10
U3,Three,4,30,,10
"""


@pytest.fixture
def mini(tmp_path: Path) -> tuple[Path, Path]:
    fw = tmp_path / "mini.toml"
    fw.write_text(MINI_TOML, encoding="utf-8")
    data = tmp_path / "mini.csv"
    data.write_text(MINI_CSV, encoding="utf-8")
    return fw, data
