"""docs/framework-format.md documents every key the framework reader accepts, and its examples
are valid framework TOML.

The accepted keys are read from :mod:`mfgindex.framework` itself (its ``*_KEYS`` sets), and the
COINr iMeta columns from :mod:`mfgindex.coinr`'s source, so a key added to the reader without a
line in the doc fails here.
"""

from __future__ import annotations

import inspect
import re
import tomllib
from pathlib import Path

import pytest

import mfgindex.coinr
import mfgindex.framework
from mfgindex.framework import build_framework
from tests.conftest import ROOT

DOC = (ROOT / "docs" / "framework-format.md").read_text(encoding="utf-8")

#: The reader's key sets and the section of the doc that documents each.
SECTIONS = {
    "_FRAMEWORK_KEYS": "## `[framework]`",
    "_DEFAULT_KEYS": "## `[defaults]`",
    "_STAGE_KEYS": "## `[stages]`",
    "_GROUP_KEYS": "## `[[group]]`",
    "_INDICATOR_KEYS": "## `[[indicator]]`",
    "_COMPARISON_KEYS": "## `[[comparisons]]`",
}


def _key_sets() -> dict[str, set[str]]:
    return {
        name: set(value)
        for name, value in vars(mfgindex.framework).items()
        if name.endswith("_KEYS")
        and isinstance(value, set | frozenset)
        and all(isinstance(v, str) for v in value)
    }


def _section(heading: str) -> str:
    start = DOC.index(heading)
    end = DOC.find("\n## ", start + len(heading))
    return DOC[start:] if end < 0 else DOC[start:end]


def _documented(text: str) -> set[str]:
    """Keys written as `key` (in prose or tables) or as `key = ` in a TOML example."""
    spans = set(re.findall(r"`([A-Za-z_][A-Za-z0-9_]*)`", text))
    spans |= set(re.findall(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=", text, flags=re.M))
    for cell in re.findall(r"^\| ([^|]+) \|", text, flags=re.M):  # `a`, `b` in a table's first cell
        spans |= set(re.findall(r"`([A-Za-z_][A-Za-z0-9_]*)`", cell))
    return spans


def test_the_reader_has_key_sets() -> None:
    sets = _key_sets()
    assert len(sets) >= 6, f"framework.py's accepted-key sets changed ({sorted(sets)}): update SECTIONS here"


@pytest.mark.parametrize("name", sorted(_key_sets()))
def test_every_accepted_key_is_documented(name: str) -> None:
    keys = _key_sets()[name]
    heading = SECTIONS.get(name)
    if name == "_TOP_KEYS":
        text = _section("A file has up to") if "A file has up to" in DOC else DOC
        missing = {k for k in keys if f"`[{k}]`" not in text and f"`[[{k}]]`" not in text}
    else:
        text = _section(heading) if heading else DOC
        missing = keys - _documented(text)
    assert not missing, (
        f"{name}: keys accepted by framework.py but not in {heading or 'the doc'}: {sorted(missing)}"
    )


def test_top_level_tables_have_sections() -> None:
    for table in mfgindex.framework._TOP_KEYS:
        assert f"## `[{table}]`" in DOC or f"## `[[{table}]]`" in DOC, table


def test_coinr_columns_are_documented() -> None:
    source = inspect.getsource(mfgindex.coinr)
    columns = set(mfgindex.coinr.REQUIRED)
    columns |= set(re.findall(r"""row(?:\.get\(|\[)["'](\w+)["']""", source))
    columns |= set(re.findall(r"""num\(["'](\w+)["']""", source))
    section = _section("## COINr iMeta tables")
    missing = {c for c in columns if f"`{c}`" not in section}
    assert not missing, f"iMeta columns read by coinr.py but not documented: {sorted(missing)}"


def _toml_blocks() -> list[str]:
    return re.findall(r"^```toml\n(.*?)^```", DOC, flags=re.S | re.M)


def test_examples_are_valid_toml() -> None:
    blocks = _toml_blocks()
    assert len(blocks) >= 6
    for block in blocks:
        tomllib.loads(block)


def test_examples_together_are_a_valid_framework() -> None:
    """The [framework], [defaults], [stages], [[group]] and [[indicator]] examples, in one file,
    make a framework the reader accepts (the comparisons example is for a larger group)."""
    text = "\n".join(b for b in _toml_blocks() if "[[comparisons]]" not in b)
    doc = tomllib.loads(text)
    fw = build_framework(doc, where="framework-format.md")
    assert fw.id == "city"
    assert [i.id for i in fw.indicators] == ["rd_spend_per_gdp"]
    assert fw.stages is not None


def test_comparisons_example_is_consistent() -> None:
    """The AHP example matrix is reciprocal and acceptably consistent (CR <= 0.1)."""
    from mfgindex.methods.weight import ahp_weights

    block = next(b for b in _toml_blocks() if "[[comparisons]]" in b)
    table = tomllib.loads(block)["comparisons"][0]
    assert set(table) <= mfgindex.framework._COMPARISON_KEYS
    _w, _lam, _ci, cr = ahp_weights(table["matrix"], "eigenvector", labels=table["children"])
    assert cr <= 0.1


def test_commands_run(tmp_path: Path) -> None:
    """The page's shell commands run on the README's framework example and data."""
    from tests.test_readme import MY_DATA, _framework_example, _run, shell_commands

    (tmp_path / "my_index.toml").write_text(_framework_example(), encoding="utf-8")
    (tmp_path / "my_data.csv").write_text(MY_DATA, encoding="utf-8")
    commands = shell_commands(DOC)
    assert len(commands) >= 3
    for command in commands:
        code, out, err = _run(command, tmp_path)
        assert code == 0, f"{command}\n{err}"
        assert out.strip(), command
