"""mfgindex template: empty data templates that validate and score once filled."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import mfgindex as mi
from mfgindex.cli.app import get_app
from mfgindex.template import template_columns, template_frame, write_template
from tests.conftest import ROOT

openpyxl = pytest.importorskip("openpyxl")

CITY = ROOT / "examples" / "data" / "city_2019.csv"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(get_app(), list(args))
    return result.exit_code, result.stdout, result.stderr


def _bundled() -> pd.DataFrame:
    return pd.read_csv(CITY, dtype=str, keep_default_na=False)


def test_columns_are_what_the_framework_reads() -> None:
    fw = mi.load_framework("city")
    names = [c.name for c in template_columns(fw)]
    expected = list(dict.fromkeys(c for ind in fw.indicators for c in (ind.column, ind.denominator) if c))
    assert names == expected
    assert len(names) == len(set(names))
    gdp = next(c for c in template_columns(fw) if c.name == "gdp_100m_yuan")
    assert gdp.role == "value and denominator"
    assert {i.id for i in gdp.denominator_of} >= {"st_intensity", "credit_to_gdp", "co2_intensity"}


def test_csv_template_has_bom_header_and_all_cities(tmp_path: Path) -> None:
    out = tmp_path / "t.csv"
    code, _, err = run("template", "city", "-o", str(out))
    assert code == 0, err
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    frame = pd.read_csv(out, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    fw = mi.load_framework("city")
    assert list(frame.columns) == [
        "city_code",
        "name",
        "name_zh",
        "province",
        "city_type",
        *(c.name for c in template_columns(fw)),
    ]
    bundled = _bundled()
    assert list(frame["city_code"]) == list(bundled["city_code"])
    assert list(frame["name_zh"]) == list(bundled["name_zh"])
    assert (frame[[c.name for c in template_columns(fw)]] == "").all(axis=None)


def test_csv_on_stdout_and_header_only() -> None:
    code, out, err = run("template", "city", "--no-units")
    assert code == 0, err
    assert not out.startswith("\ufeff")
    frame = pd.read_csv(io.StringIO(out))
    assert len(frame) == 0 and frame.columns[0] == "city_code"


def _fill_xlsx(path: Path, values: pd.DataFrame, key: str) -> None:
    """Type the bundled numbers into the template's data sheet, as a researcher would."""
    wb = openpyxl.load_workbook(path)
    ws = wb["data"]
    header = [c.value for c in ws[1]]
    rows = values.set_index(key)
    for r in range(2, ws.max_row + 1):
        unit = ws.cell(r, 1).value
        for k, col in enumerate(header, start=1):
            if col in rows.columns and ws.cell(r, k).value is None:
                text = rows.at[unit, col]
                ws.cell(r, k).value = float(text) if text != "" else None
    wb.save(path)


def test_filled_xlsx_template_validates_and_scores_like_the_bundled_data(tmp_path: Path) -> None:
    out = tmp_path / "city.xlsx"
    code, _, err = run("template", "city", "-o", str(out))
    assert code == 0, err
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["data", "indicators", "columns"]
    ws = wb["data"]
    for cell in ws[1]:  # a bilingual note on every header cell
        assert cell.comment is not None and cell.comment.text
    notes = {c.value: c.comment.text for c in ws[1]}
    assert "Listed manufacturing firms" in notes["listed_mfg_firms_szse"]
    assert "制造业上市公司数量" in notes["listed_mfg_firms_szse"]
    assert "lower is better / 越低越好" in notes["co2_edgar_10kt"]
    assert "denominator of 分母" in notes["gdp_100m_yuan"]
    defs = pd.read_excel(out, sheet_name="indicators")
    assert list(defs["indicator"]) == [i.id for i in mi.load_framework("city").indicators]

    _fill_xlsx(out, _bundled(), "city_code")
    code, _, err = run("validate", str(out), "-f", "city")
    assert code == 0, err
    assert "ok:" in run("validate", str(out), "-f", "city")[1]

    fw = mi.load_framework("city")
    filled = mi.compute(fw, mi.read_data(out, fw)).scores
    bundled = mi.compute(fw, mi.read_data(None, fw)).scores
    pd.testing.assert_frame_equal(filled, bundled)


def test_filled_csv_template_scores_like_the_bundled_data(tmp_path: Path) -> None:
    fw = mi.load_framework("city")
    out = write_template(fw, tmp_path / "city.csv")
    frame = pd.read_csv(out, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    bundled = _bundled().set_index("city_code")
    for col in (c.name for c in template_columns(fw)):
        frame[col] = frame["city_code"].map(bundled[col])
    frame.to_csv(out, index=False, encoding="utf-8-sig")
    filled = mi.compute(fw, mi.read_data(out, fw)).scores
    pd.testing.assert_frame_equal(filled, mi.compute(fw, mi.read_data(None, fw)).scores)


def test_city_ccid_template_lists_the_cities() -> None:
    fw = mi.load_framework("city-ccid")
    assert fw.dataset is None
    frame = template_frame(fw)
    assert list(frame["city_code"]) == list(_bundled()["city_code"])
    assert "rd_expenditure_100m_yuan" in frame.columns and "little_giants" in frame.columns


def test_city_ccid_scores_partial_data_by_coverage() -> None:
    """Units with half of a dimension's weight score; those below get NaN (min_coverage)."""
    fw = mi.load_framework("city-ccid")
    frame = template_frame(fw, units=False)
    cols = [c.name for c in template_columns(fw)]
    rng = np.random.default_rng(9)
    rows = {
        "city_code": ["U1", "U2", "U3", "U4"],
        "name": ["a", "b", "c", "d"],
        "name_zh": ["甲", "乙", "丙", "丁"],
    }
    synthetic = pd.DataFrame({**rows, **{c: rng.uniform(1, 50, 4) for c in cols}})
    # U4 lacks 3 of the 4 innovation statistics: innovation has 1/4 of its weight -> NaN
    synthetic.loc[3, ["rd_expenditure_100m_yuan", "high_tech_enterprises", "pct_applications"]] = np.nan
    frame = pd.concat([frame, synthetic], ignore_index=True)[frame.columns]
    res = mi.compute(fw, mi.read_data(frame, fw))
    scores = res.scores.reset_index(drop=True)
    assert np.isnan(scores.loc[3, "innovation"])
    assert np.isfinite(scores.loc[:2, "innovation"]).all()
    assert np.isfinite(scores["city-ccid"]).all()


def test_never_overwrites_an_input(tmp_path: Path) -> None:
    data = tmp_path / "units.csv"
    _bundled()[["city_code", "name"]].head(3).to_csv(data, index=False)
    before = data.read_bytes()
    code, _, err = run("template", "city", "--units", str(data), "-o", str(data))
    assert code == 2 and "refusing to overwrite" in err
    assert data.read_bytes() == before
    code, _, err = run("template", "city", "--units", str(data), "-o", str(tmp_path / "t.csv"))
    assert code == 0, err
    assert len(pd.read_csv(tmp_path / "t.csv", encoding="utf-8-sig")) == 3
    assert not list(tmp_path.glob(".*.tmp"))  # no temporary file left behind
    bundled = CITY.read_bytes()  # the bundled dataset the units come from is an input too
    code, _, err = run("template", "city", "-o", str(CITY))
    assert code == 2 and "refusing to overwrite" in err and CITY.read_bytes() == bundled


@pytest.mark.parametrize(
    ("args", "exit_code", "text"),
    [
        (["template", "city", "-o", "t.json"], 2, "cannot tell the template format"),
        (["template", "city", "--format", "parquet"], 2, "--format must be xlsx or csv"),
        (["template", "city", "--format", "xlsx"], 2, "give -o FILE.xlsx"),
        (["template", "city", "--units", "u.csv", "--no-units"], 2, "exclude each other"),
        (["template", "nosuch"], 1, "no framework file or built-in framework"),
        (["template", "city", "--units", "missing.csv", "-o", "t.csv"], 1, "file not found"),
    ],
)
def test_errors(
    args: list[str], exit_code: int, text: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = run(*args)
    assert code == exit_code and text in err
    assert not list(tmp_path.iterdir())
