"""Framework loading and validation: one failing fixture per rule of DESIGN §4."""

from __future__ import annotations

from pathlib import Path

import pytest

import mfgindex as mi
from mfgindex.errors import FrameworkError
from tests.conftest import MINI_TOML


def _load(tmp_path: Path, text: str) -> mi.Framework:
    path = tmp_path / "fw.toml"
    path.write_text(text, encoding="utf-8")
    return mi.load_framework(path)


def _problems(tmp_path: Path, text: str) -> str:
    with pytest.raises(FrameworkError) as info:
        _load(tmp_path, text)
    return str(info.value)


def test_mini_framework_tree(tmp_path: Path) -> None:
    fw = _load(tmp_path, MINI_TOML)
    assert fw.id == "mini"
    assert [i.id for i in fw.indicators] == ["x1", "x2", "x3"]
    assert fw.children("mini") == ("a", "b")
    assert [g.id for g in fw.groups][-1] == "mini"  # children before parents
    assert fw.nodes["x2"].direction == -1  # type: ignore[attr-defined]
    assert fw.level("x1") == 1 and fw.level("a") == 2 and fw.level("mini") == 3
    assert fw.indicator_columns() == ["x1", "x2", "x3", "pop"]
    assert fw.stages is not None and fw.stages.label(0, "zh") == "前列"
    assert fw.root.label("zh") == "迷你指数"


def test_builtin_frameworks_load() -> None:
    ids = mi.builtin_frameworks()
    for fid in ("city", "park", "park-fiveforces", "hdi", "asem"):
        assert fid in ids
        fw = mi.load_framework(fid)
        assert fw.indicators and fw.dataset is not None and fw.dataset.exists()


# One failing fixture per validation rule: (name, edit of MINI_TOML, text expected in the message)
RULES = [
    ("toml syntax", MINI_TOML.replace('name = "Mini index"', 'name = "Mini index'), "TOML syntax"),
    (
        "unknown key with suggestion",
        MINI_TOML.replace(
            'direction = 1\n\n[[indicator]]\nid = "x2"', 'direktion = 1\n\n[[indicator]]\nid = "x2"'
        ),
        "Did you mean 'direction'",
    ),
    ("missing framework id", MINI_TOML.replace('id = "mini"\n', "", 1), "framework.id: missing"),
    ("missing unit column", MINI_TOML.replace('unit_column = "code"\n', ""), "framework.unit_column"),
    ("duplicate id", MINI_TOML.replace('id = "x2"', 'id = "x1"'), "duplicate id 'x1'"),
    (
        "orphan parent",
        MINI_TOML.replace('parent = "b"\ndirection', 'parent = "bb"\ndirection'),
        "'bb' is not a node",
    ),
    (
        "cycle",
        MINI_TOML.replace('id = "a"\nparent = "mini"', 'id = "a"\nparent = "b"').replace(
            'id = "b"\nparent = "mini"', 'id = "b"\nparent = "a"'
        ),
        "cycle",
    ),
    ("bad direction", MINI_TOML.replace("direction = -1", "direction = 2"), "must be 1 or -1"),
    ("missing direction", MINI_TOML.replace("direction = -1\n", ""), "direction: missing"),
    ("negative weight", MINI_TOML.replace("weight = 2", "weight = -2"), "≥ 0"),
    (
        "all-zero weights",
        MINI_TOML.replace("weight = 2", "weight = 0").replace("weight = 1\n", "weight = 0\n"),
        "weights of all its children are 0",
    ),
    ("group without children", MINI_TOML + '\n[[group]]\nid = "empty"\nparent = "mini"\n', "has no children"),
    (
        "indicator as parent",
        MINI_TOML + '\n[[indicator]]\nid = "x4"\nparent = "x1"\ndirection = 1\n',
        "only groups can have children",
    ),
    (
        "unknown method",
        MINI_TOML.replace('aggregate = "arithmetic"', 'aggregate = "arithmetc"'),
        "Did you mean 'arithmetic'",
    ),
    (
        "unknown parameter",
        MINI_TOML.replace("minmax(low=0, high=100)", "minmax(lo=0, high=100)"),
        "has no parameter 'lo'",
    ),
    (
        "non-literal parameter",
        MINI_TOML.replace("minmax(low=0, high=100)", "minmax(low=__import__('os'))"),
        "not a literal",
    ),
    (
        "coverage out of range",
        MINI_TOML.replace("min_coverage = 0.5", "min_coverage = 1.5"),
        "between 0 and 1",
    ),
    ("stage cuts vs labels", MINI_TOML.replace("cuts = [1]", "cuts = [1, 2]"), "cuts"),
    (
        "bad scale",
        MINI_TOML.replace('name_column = "name"', 'name_column = "name"\nscale = [100, 0]'),
        "low < high",
    ),
]


@pytest.mark.parametrize(("name", "text", "expected"), RULES, ids=[r[0] for r in RULES])
def test_validation_rule(tmp_path: Path, name: str, text: str, expected: str) -> None:
    message = _problems(tmp_path, text)
    assert expected in message
    assert "fw.toml" in message  # every message names the file


def test_all_problems_reported_together(tmp_path: Path) -> None:
    text = MINI_TOML.replace("direction = -1", "direction = 0").replace("weight = 2", "weight = -1")
    message = _problems(tmp_path, text)
    assert "indicator[1].direction" in message and "group[0].weight" in message
    assert "2 problems" in message


def test_unknown_builtin_suggests() -> None:
    with pytest.raises(FrameworkError, match="Did you mean 'city'"):
        mi.load_framework("cty")


def test_imeta_matches_toml_tree(asem_dir: Path) -> None:
    """The COINr iMeta reader and the converted asem.toml describe the same tree."""
    a = mi.load_framework(asem_dir / "ASEM_iMeta.csv")
    b = mi.load_framework("asem")
    assert [n.id for n in a.walk()] == [n.id for n in b.walk()]
    for ind_a, ind_b in zip(a.indicators, b.indicators, strict=True):
        assert (ind_a.direction, ind_a.denominator, ind_a.weight) == (
            ind_b.direction,
            ind_b.denominator,
            ind_b.weight,
        )
    assert a.level("Index") == 4 and a.level("Conn") == 3 and a.level("Physical") == 2


def _chain(levels: int, *, cycle: bool = False) -> str:
    """A framework whose groups form one chain ``levels`` deep (or, with ``cycle``, a loop)."""
    lines = ["[framework]", 'id = "r"', 'unit_column = "code"']
    parent = "r"
    for i in range(levels):
        up = f"g{levels - 1}" if cycle and i == 0 else parent
        lines += ["[[group]]", f'id = "g{i}"', f'parent = "{up}"']
        parent = f"g{i}"
    lines += ["[[indicator]]", 'id = "x1"', f'parent = "{parent}"', "direction = 1"]
    return "\n".join(lines)


def test_thousand_level_chain_is_checked_in_one_pass(tmp_path: Path) -> None:
    """The tree checks are linear: a 1,000-level chain is read and rejected at its 65th level,
    and a 1,000-group cycle is reported once, from where the walk entered it."""
    assert "group[64].parent: the tree is more than 64 levels deep" in _problems(tmp_path, _chain(1000))
    message = _problems(tmp_path, _chain(1000, cycle=True))
    assert message.count("cycle:") == 1
    assert "group[0].parent: cycle: g0 → g999 → g998" in message
    fw = _load(tmp_path, _chain(63))  # the deepest tree accepted: 64 levels below the root
    assert fw.depth("x1") == 64 and fw.level("r") == 65


def test_ahp_judgements_file_is_read_with_the_framework(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``ahp(file=...)`` in a framework: the file is read (once) and hashed when the framework
    is loaded; the weight method is handed the group's matrix as an array."""
    import hashlib

    import numpy as np

    from mfgindex.errors import MethodError
    from mfgindex.methods.registry import resolve

    monkeypatch.chdir(tmp_path)  # judgements paths are relative to the working folder
    judgements = tmp_path / "j.csv"
    judgements.write_text("parent,row,column,value\nmini,a,b,3\n", encoding="utf-8")
    text = MINI_TOML.replace(
        'aggregate = "arithmetic"\n', 'aggregate = "arithmetic"\nweights = "ahp(file=\'j.csv\')"\n'
    )
    fw = _load(tmp_path, text)
    assert list(fw.judgements) == ["j.csv"]
    assert fw.judgements["j.csv"].digest == hashlib.sha256(judgements.read_bytes()).hexdigest()
    judgements.write_text("parent,row,column,value\nmini,a,b,5\n", encoding="utf-8")  # too late
    call = resolve("weight", "ahp(file='j.csv')")
    ctx = fw.weight_context("mini", call)
    assert ctx.comparisons_from == "j.csv"
    np.testing.assert_allclose(ctx.comparisons, [[1, 3], [1 / 3, 1]])
    np.testing.assert_allclose(call(np.zeros((3, 2)), ctx), [0.75, 0.25])
    assert fw.weight_context("a", call).comparisons is None  # no rows for group 'a'
    # a run's option names another file: read for it, the framework itself unchanged
    other = tmp_path / "k.csv"
    other.write_text("parent,row,column,value\nmini,b,a,2\n", encoding="utf-8")
    run_fw = fw.with_judgements("ahp(file='k.csv')", "equal")
    assert set(run_fw.judgements) == {"j.csv", "k.csv"} and set(fw.judgements) == {"j.csv"}
    assert fw.with_judgements("equal", "ahp") is fw
    with pytest.raises(MethodError, match=r"'k\.csv' was not read with framework 'mini'"):
        fw.comparison_matrix("mini", "k.csv")
    with pytest.raises(MethodError, match="cannot read the judgements file: file not found"):
        fw.with_judgements("ahp(file='nosuch.csv')")
