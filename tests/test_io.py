"""Safe output and provenance: atomic writes, protected inputs, formula-proof XLSX, and results
that carry what is needed to recompute them."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import mfgindex as mi
from mfgindex.errors import DataError, UsageError
from mfgindex.io import atomic_path, write_table
from mfgindex.pipeline import reproduce
from tests.conftest import MINI_CSV

FORMULAS = ["=1+1", "+SUM(A1:A2)", "-2+3", "@cmd", '=HYPERLINK("http://example.com","x")']


def _result(mini: tuple[Path, Path], **options: Any) -> mi.Result:
    fw_path, data = mini
    fw = mi.load_framework(fw_path)
    return mi.compute(fw, mi.read_data(data, fw), **options)


def _left(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


# -- atomic writes --------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "json", "xlsx", "parquet"])
def test_failure_during_write_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str
) -> None:
    """A crash half-way through writing (here: after some bytes) leaves no file, no temp file."""
    out = tmp_path / "out"
    out.mkdir()
    frame = pd.DataFrame({"unit": ["a", "b"], "score": [1.0, 2.0]})

    def half_then_fail(self: pd.DataFrame, path: Any, *args: Any, **kwargs: Any) -> None:
        Path(path).write_bytes(b"partial,bytes\n")
        raise OSError(28, "No space left on device")

    for name in ("to_csv", "to_parquet"):
        monkeypatch.setattr(pd.DataFrame, name, half_then_fail)
    monkeypatch.setattr(
        "mfgindex.io.to_json_text", lambda *a: (_ for _ in ()).throw(OSError(28, "No space left on device"))
    )
    monkeypatch.setattr("mfgindex.io._write_xlsx", lambda frame, path, prov: half_then_fail(frame, path))
    with pytest.raises(DataError) as info:
        write_table(frame, out / f"scores.{fmt}", provenance={"a": 1})
    assert "No space left on device" in str(info.value) and "disk is full" in str(info.value)
    assert _left(out) == []


def test_failure_keeps_the_previous_file(tmp_path: Path) -> None:
    target = tmp_path / "scores.csv"
    target.write_text("old,result\n", encoding="utf-8")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("new,half", encoding="utf-8")
        raise RuntimeError("interrupted")
    assert target.read_text(encoding="utf-8") == "old,result\n"
    assert _left(tmp_path) == ["scores.csv"]


def test_sidecar_and_table_appear_together(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """If the provenance sidecar cannot be written, the table is not written either."""
    frame = pd.DataFrame({"unit": ["a"], "score": [1.0]})
    real = Path.write_text

    def fail_sidecar(self: Path, *args: Any, **kwargs: Any) -> int:
        if "provenance" in self.name:
            raise OSError(13, "Permission denied")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", fail_sidecar)
    with pytest.raises(DataError, match="Permission denied"):
        write_table(frame, tmp_path / "s.csv", provenance={"a": 1})
    assert _left(tmp_path) == []


def test_refuses_to_overwrite_inputs(tmp_path: Path, mini: tuple[Path, Path]) -> None:
    fw_path, data = mini
    res = _result(mini)
    before = (data.read_bytes(), fw_path.read_bytes())
    for target in (data, fw_path, tmp_path / "." / data.name):
        with pytest.raises(UsageError, match="refusing to overwrite"):
            mi.write(res, str(target), fmt="csv")
    link = tmp_path / "link.csv"
    os.link(data, link)  # another name for the same file is still the input
    with pytest.raises(UsageError):
        mi.write(res, str(link))
    assert (data.read_bytes(), fw_path.read_bytes()) == before


def test_unwritable_and_missing_places(tmp_path: Path) -> None:
    frame = pd.DataFrame({"unit": ["a"], "score": [1.0]})
    with pytest.raises(DataError, match="output folder does not exist"):
        write_table(frame, tmp_path / "nope" / "s.csv")
    with pytest.raises(DataError, match="is a folder, not a file"):
        write_table(frame, tmp_path, fmt="csv")
    (tmp_path / "f.csv").write_text("x", encoding="utf-8")
    with pytest.raises(DataError, match="is a file, so it cannot hold"):
        write_table(frame, tmp_path / "f.csv" / "s.csv")
    if Path("/sys").is_dir():  # not writable even by root
        with pytest.raises(DataError, match="cannot create a file in folder"):
            write_table(frame, Path("/sys/mfgindex-test.csv"))


# -- XLSX: text stays text ------------------------------------------------------------------------


def test_xlsx_names_never_become_formulas(tmp_path: Path, mini: tuple[Path, Path]) -> None:
    from openpyxl import load_workbook

    fw_path, data = mini
    names = FORMULAS[:3]
    data.write_text(
        MINI_CSV.replace("One", f'"{names[0]}"').replace("Two", names[1]).replace("Three", names[2]),
        encoding="utf-8",
    )
    res = _result((fw_path, data))
    path = tmp_path / "out.xlsx"
    mi.write(res, str(path))
    wb = load_workbook(path)
    ws = wb["scores"]
    header = [c.value for c in ws[1]]
    col = header.index("name") + 1
    cells = [ws.cell(row=r, column=col) for r in range(2, 5)]
    assert [c.value for c in cells] == names
    assert all(c.data_type == "s" for c in cells)
    # No cell anywhere in the workbook is a formula.
    for sheet in wb.worksheets:
        for row in sheet.iter_rows():
            assert all(c.data_type != "f" for c in row)


def test_xlsx_any_text_cell_is_text(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    frame = pd.DataFrame({"unit": FORMULAS, "label": FORMULAS[::-1], "score": np.arange(5.0)})
    write_table(frame, tmp_path / "f.xlsx", provenance={"note": "=cmd|' /C calc'!A0"})
    wb = load_workbook(tmp_path / "f.xlsx")
    got = [[c.value for c in row] for row in wb["scores"].iter_rows(min_row=2)]
    assert [r[0] for r in got] == FORMULAS and [r[1] for r in got] == FORMULAS[::-1]
    assert all(c.data_type != "f" for s in wb.worksheets for row in s.iter_rows() for c in row)


def test_xlsx_is_readable_when_opened(tmp_path: Path) -> None:
    """Header row bold and frozen; columns as wide as their header or text (capped)."""
    from openpyxl import load_workbook

    frame = pd.DataFrame({"code": ["U1"], "a_long_group_name": [1.5], "名称": ["江苏省苏州市"]})
    write_table(frame, tmp_path / "f.xlsx", provenance={"note": "x"})
    ws = load_workbook(tmp_path / "f.xlsx")["scores"]
    assert ws.freeze_panes == "A2" and ws["A1"].font.b and ws["B1"].font.b
    assert ws.column_dimensions["A"].width == 10  # at least 10
    assert ws.column_dimensions["B"].width == len("a_long_group_name") + 2
    assert ws.column_dimensions["C"].width == 2 * 6 + 2  # Chinese characters are two wide
    assert ws["B2"].value == 1.5


# -- provenance ------------------------------------------------------------------------------------


def _check_provenance(prov: dict[str, Any], fw_path: Path, data: Path) -> None:
    import hashlib

    assert prov["mfgindex"] == mi.__version__
    assert prov["framework"]["sha256"] == hashlib.sha256(fw_path.read_bytes()).hexdigest()
    assert prov["data"]["sha256"] == hashlib.sha256(data.read_bytes()).hexdigest()
    assert "year" in prov
    methods = prov["methods"]
    assert methods["normalize"]["x1"] == "minmax(low=1, high=100)"
    assert methods["aggregate"]["mini"] == "geometric"
    for stage in ("denominate", "impute", "treat", "weights", "min_coverage"):
        assert stage in methods


@pytest.mark.parametrize("fmt", ["json", "xlsx", "csv", "parquet"])
def test_every_format_carries_provenance(tmp_path: Path, mini: tuple[Path, Path], fmt: str) -> None:
    fw_path, data = mini
    res = _result(mini, normalize="minmax(low=1, high=100)", aggregate="geometric")
    path = tmp_path / f"out.{fmt}"
    written = mi.write(res, str(path))
    if fmt == "json":
        prov = json.loads(path.read_text(encoding="utf-8"))["provenance"]
    elif fmt == "xlsx":
        from openpyxl import load_workbook

        sheet = load_workbook(path)["provenance"]
        prov = {r[0]: json.loads(r[1]) for r in sheet.iter_rows(min_row=2, values_only=True)}
    else:
        side = tmp_path / f"out.{fmt}.provenance.json"
        assert written == [path, side]
        prov = json.loads(side.read_text(encoding="utf-8"))
    _check_provenance(prov, fw_path, data)


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"normalize": "zscore", "aggregate": "arithmetic"},
        {"normalize": "minmax(low=1, high=100)", "aggregate": "geometric", "min_coverage": 0.0},
        {"normalize": "rank", "denominate": "none"},
    ],
)
def test_result_recomputed_from_its_provenance(
    tmp_path: Path, mini: tuple[Path, Path], options: dict[str, Any]
) -> None:
    """Write a CSV, read back its sidecar, recompute: the very same scores."""
    res = _result(mini, **options)
    path = tmp_path / "scores.csv"
    mi.write(res, str(path))
    prov = json.loads((tmp_path / "scores.csv.provenance.json").read_text(encoding="utf-8"))
    again = reproduce(prov)
    written = pd.read_csv(path, dtype={"code": str})
    for col in ("a", "b", "mini"):
        np.testing.assert_array_equal(written[col].to_numpy(), again.scores[col].to_numpy())
    assert again.provenance["methods"] == res.provenance["methods"]


def test_panel_year_recomputed(tmp_path: Path) -> None:
    fw = mi.load_framework("asem")
    res = mi.compute(fw, mi.read_data(None, fw), year=2018, normalize="zscore")
    mi.write(res, str(tmp_path / "r.json"))
    prov = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["provenance"]
    assert prov["year"] == 2018
    np.testing.assert_array_equal(reproduce(prov).score_matrix, res.score_matrix)


def test_changed_input_is_detected(tmp_path: Path, mini: tuple[Path, Path]) -> None:
    fw_path, data = mini
    res = _result(mini)
    data.write_text(MINI_CSV.replace("U1,One,1,", "U1,One,9,"), encoding="utf-8")
    with pytest.raises(DataError, match="data file has changed"):
        reproduce(res.provenance)
    fw_path.write_text(fw_path.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    with pytest.raises(DataError, match="framework file has changed"):
        reproduce(res.provenance)
