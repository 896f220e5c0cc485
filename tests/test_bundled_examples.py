"""mfgindex.examples and `mfgindex examples`: the bundled example files, by name."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from mfgindex.cli.app import get_app
from mfgindex.errors import UsageError
from mfgindex.examples import bundled_or_given, copy_examples, example_path, examples
from tests.conftest import ASEM, ROOT


def test_every_bundled_file_is_listed_with_a_note() -> None:
    listed = {e.name: e for e in examples()}
    on_disk = {p.name for p in (ROOT / "examples" / "data").glob("*.csv")}
    on_disk |= {p.name for p in (ROOT / "examples" / "specs").glob("*.toml")}
    assert set(listed) == on_disk
    for e in listed.values():
        assert e.source is not None and e.source.exists(), f"{e.name} has no SOURCE note"
        assert e.description, e.name
    assert listed["ASEM_iMeta.csv"].kind == "framework"
    assert listed["ASEM_iData.csv"].kind == "data"
    assert listed["asem_sensitivity.toml"].kind == "spec"


def test_coinr_tables_are_the_golden_inputs() -> None:
    for name in ("ASEM_iData.csv", "ASEM_iMeta.csv"):
        assert example_path(name).read_bytes() == (ASEM / name).read_bytes()


def test_unknown_name_suggests() -> None:
    with pytest.raises(UsageError, match=r"city_panel\.csv"):
        example_path("city_panle.csv")


def test_bundled_or_given(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert bundled_or_given(None) is None
    assert bundled_or_given("city") == "city"  # a built-in framework id stays an id
    assert bundled_or_given(Path("city_panel.csv")) == example_path("city_panel.csv")
    assert bundled_or_given("ASEM_iMeta.csv") == str(example_path("ASEM_iMeta.csv"))
    assert bundled_or_given(Path("sub/city_panel.csv")) == Path("sub/city_panel.csv")
    assert bundled_or_given(Path("mine.csv")) == Path("mine.csv")
    (tmp_path / "city_panel.csv").write_text("own file", encoding="utf-8")
    assert bundled_or_given(Path("city_panel.csv")) == Path("city_panel.csv")  # the user's wins


def test_copy_is_idempotent_and_never_replaces_silently(tmp_path: Path) -> None:
    first = copy_examples(tmp_path / "out", ["asem_sensitivity.toml"])
    assert [p.name for p in first] == ["asem_sensitivity.toml", "SOURCE_specs.md"]
    assert copy_examples(tmp_path / "out", ["asem_sensitivity.toml"]) == first
    first[0].write_text("edited", encoding="utf-8")
    with pytest.raises(UsageError, match="differs"):
        copy_examples(tmp_path / "out", ["asem_sensitivity.toml"])
    assert first[0].read_text(encoding="utf-8") == "edited"
    copy_examples(tmp_path / "out", ["asem_sensitivity.toml"], overwrite=True)
    assert first[0].read_bytes() == example_path("asem_sensitivity.toml").read_bytes()


def test_copy_all_brings_every_note(tmp_path: Path) -> None:
    copied = {p.name for p in copy_examples(tmp_path)}
    assert {e.name for e in examples()} <= copied
    assert {e.source.name for e in examples() if e.source} <= copied


def test_cli_lists_prints_and_copies(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    listed = runner.invoke(get_app(), ["examples"])
    assert listed.exit_code == 0, listed.stderr
    assert "city_panel.csv" in listed.stdout and "asem_sensitivity.toml" in listed.stdout
    printed = runner.invoke(get_app(), ["examples", "city_panel.csv"])
    assert printed.exit_code == 0
    assert Path(printed.stdout.strip()) == example_path("city_panel.csv")
    copied = runner.invoke(get_app(), ["examples", "hdi_2022.csv", "--copy", "data"])
    assert copied.exit_code == 0, copied.stderr
    assert (tmp_path / "data" / "hdi_2022.csv").exists()
    assert (tmp_path / "data" / "SOURCE_hdi.md").exists()
    unknown = runner.invoke(get_app(), ["examples", "nope.csv"])
    assert unknown.exit_code == 2
    assert "no bundled example" in unknown.stderr


def test_cli_scores_a_bundled_file_by_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(
        get_app(), ["score", "ASEM_iData.csv", "-f", "ASEM_iMeta.csv", "--format", "csv"]
    )
    assert result.exit_code == 0, result.stderr
    assert len(result.stdout.strip().splitlines()) == 52
