"""Reading data: encodings, formats, wide/long, the reading policy and validation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import mfgindex as mi
from mfgindex.data import parse_numbers
from mfgindex.errors import DataError


def test_reading_policy_numbers() -> None:
    values, bad = parse_numbers(["1,234.5", "１２", "12.5%", "—", "NA", " 7 ", "", "…", "无", "abc"])
    assert bad == [9]
    np.testing.assert_array_equal(values[:3], [1234.5, 12.0, 12.5])
    assert np.isnan(values[3:5]).all() and values[5] == 7 and np.isnan(values[6:9]).all()


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "gbk"])
def test_encodings(tmp_path: Path, mini: tuple[Path, Path], encoding: str) -> None:
    fw_path, data = mini
    text = data.read_text(encoding="utf-8").replace("One", "苏州市")
    path = tmp_path / f"d_{encoding}.csv"
    path.write_bytes(text.encode(encoding))
    ds = mi.read_data(path, mi.load_framework(fw_path))
    assert ds.names is not None and ds.names[0] == "苏州市"


def test_xlsx_and_parquet_round_trip(tmp_path: Path, mini: tuple[Path, Path]) -> None:
    import pandas as pd

    fw_path, data = mini
    fw = mi.load_framework(fw_path)
    frame = pd.read_csv(data)
    frame.to_excel(tmp_path / "d.xlsx", index=False)
    frame.to_parquet(tmp_path / "d.parquet", index=False)
    ref = mi.read_data(data, fw).values
    for name in ("d.xlsx", "d.parquet"):
        got = mi.read_data(tmp_path / name, fw).values
        np.testing.assert_array_equal(got.to_numpy(), ref.to_numpy())


def test_long_table(tmp_path: Path, mini: tuple[Path, Path]) -> None:
    import pandas as pd

    fw_path, data = mini
    fw = mi.load_framework(fw_path)
    wide = pd.read_csv(data, dtype=str)
    long = wide.melt(id_vars=["code", "name"], var_name="indicator", value_name="value")
    path = tmp_path / "long.csv"
    long.to_csv(path, index=False)
    ds = mi.read_data(path, fw)
    ref = mi.read_data(data, fw)
    order = np.argsort(ds.units)
    np.testing.assert_array_equal(ds.values.to_numpy()[order], ref.values.to_numpy())


def test_long_table_naming_an_indicator_id_says_which_columns(tmp_path: Path) -> None:
    """A long table names data columns; an indicator id read from another column is explained."""
    from tests.conftest import MINI_TOML

    fw_path = tmp_path / "mini.toml"
    fw_path.write_text(MINI_TOML.replace('id = "x1"', 'id = "x1"\ncolumn = "col1"'), encoding="utf-8")
    path = tmp_path / "long.csv"
    path.write_text("code,indicator,value\nU1,x1,1\nU2,x1,2\n", encoding="utf-8")
    with pytest.raises(DataError) as err:
        mi.read_data(path, mi.load_framework(fw_path))
    assert "not in framework 'mini': x1" in str(err.value)
    assert err.value.hint is not None
    assert "col1, x2, x3, pop" in err.value.hint and "'x1' from col1" in err.value.hint


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda t: t.replace("U2,Two,2", "U2,Two,two"), "row 3, column 'x1': 'two' is not a number"),
        (lambda t: t.replace("x3,pop", "x33,pop"), "missing indicator column 'x3'"),
        (lambda t: t.replace("U3,Three", "U1,Three"), "duplicate unit id U1"),
        (lambda t: t.splitlines()[0] + "\n", "no rows"),
        (lambda t: t.replace("code,", "kode,"), "no unit id column 'code'"),
        (lambda t: "", "empty"),
    ],
    ids=["non-numeric", "missing-column", "duplicate", "header-only", "no-unit-column", "empty"],
)
def test_data_errors(tmp_path: Path, mini: tuple[Path, Path], edit, expected: str) -> None:  # type: ignore[no-untyped-def]
    fw_path, data = mini
    path = tmp_path / "bad.csv"
    path.write_text(edit(data.read_text(encoding="utf-8")), encoding="utf-8")
    with pytest.raises(DataError) as info:
        mi.read_data(path, mi.load_framework(fw_path))
    assert expected in str(info.value)
    assert "bad.csv" in str(info.value)


def test_input_never_modified(mini: tuple[Path, Path]) -> None:
    fw_path, data = mini
    before = data.read_bytes()
    res = mi.compute(mi.load_framework(fw_path), mi.read_data(data, mi.load_framework(fw_path)))
    assert res.scores.shape[0] == 3
    assert data.read_bytes() == before


def test_csv_field_size_limit_is_raised_only_while_reading(tmp_path: Path, mini: tuple[Path, Path]) -> None:
    """A cell longer than the csv module's default limit (128 KiB) reads, and the limit — a
    process-wide setting — is the caller's again afterwards."""
    import csv

    fw_path, data = mini
    rows = [line.split(",") for line in data.read_text(encoding="utf-8").splitlines()]
    for k, row in enumerate(rows):  # a 'note' column after the name; U1's note is very long
        row.insert(2, "note" if k == 0 else "n" * 300_000 if k == 1 else "")
    path = tmp_path / "long_cell.csv"
    path.write_text("\n".join(",".join(row) for row in rows) + "\n", encoding="utf-8")
    before = csv.field_size_limit()
    ds = mi.read_data(path, mi.load_framework(fw_path))
    assert csv.field_size_limit() == before
    assert len(ds.unit_columns["note"][0]) == 300_000


def test_problems_have_typed_places(tmp_path: Path, mini: tuple[Path, Path]) -> None:
    """validate_file reports each problem with its file, row and column as fields; ``where``
    renders them as before."""
    from mfgindex.data import validate_file

    fw_path, data = mini
    path = tmp_path / "bad.csv"
    path.write_text(
        data.read_text(encoding="utf-8").replace("U2,Two,2", "U2,Two,two").replace("U3,Three", "U1,Three"),
        encoding="utf-8",
    )
    problems, rows = validate_file(path, mi.load_framework(fw_path))
    assert rows == 3
    cell = next(p for p in problems if "not a number" in p.what)
    assert (cell.level, cell.file, cell.row, cell.column) == ("error", str(path), 3, "x1")
    assert cell.where == f"{path}, row 3, column 'x1'" and cell.year is None
    dup = next(p for p in problems if "duplicate" in p.what)
    assert dup.rows == (2, 4) and dup.where == f"{path}, rows 2, 4"
    assert dup.place(relative_to=str(path)) == "rows 2, 4"


def test_closest_returns_the_match() -> None:
    from mfgindex.errors import closest, did_you_mean

    assert closest("direcion", ["direction", "weight"]) == "direction"
    assert closest("zzz", ["direction", "weight"]) is None
    assert did_you_mean("direcion", ["direction"]) == " Did you mean 'direction'?"
    assert did_you_mean("zzz", ["direction"]) == ""
