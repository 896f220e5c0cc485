"""The bundled city panel (examples/data/city_panel.csv) agrees with the 2019 cross-section.

Reads committed files only (derive_city_panel.py builds the panel from the shared data folder).
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from mfgindex.cli.app import get_app
from tests.conftest import ROOT

DATA = ROOT / "examples" / "data"
PANEL = DATA / "city_panel.csv"
CROSS = DATA / "city_2019.csv"
YEARS = range(2012, 2020)


def _text(path: object) -> pd.DataFrame:
    """Every cell as the text written in the file (empty cells as ''), so equality is exact."""
    return pd.read_csv(path, dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return _text(PANEL)


def test_2019_rows_equal_the_cross_section(panel: pd.DataFrame) -> None:
    cross = _text(CROSS)
    rows = panel[panel["year"] == "2019"].drop(columns="year").reset_index(drop=True)
    pd.testing.assert_frame_equal(rows, cross)


def test_columns_units_and_years(panel: pd.DataFrame) -> None:
    cross = _text(CROSS)
    assert list(panel.columns) == [cross.columns[0], "year", *cross.columns[1:]]
    assert sorted(panel["year"].astype(int).unique()) == list(YEARS)
    assert not panel.duplicated(["city_code", "year"]).any()
    assert set(panel["city_code"]) == set(cross["city_code"])
    assert panel.equals(panel.sort_values(["city_code", "year"]))
    # a city keeps its 2019 identity in every year
    identity = ["city_code", "name", "name_zh", "province", "city_type"]
    assert len(panel[identity].drop_duplicates()) == len(cross)
    # every city in every year but 儋州 (a prefecture-level city since 2015)
    missing = {(c, y) for c in cross["city_code"] for y in map(str, YEARS)} - set(
        zip(panel["city_code"], panel["year"], strict=True)
    )
    assert missing == {("460400", str(y)) for y in range(2012, 2015)}


def test_values_are_numbers_or_empty(panel: pd.DataFrame) -> None:
    values = panel.iloc[:, 6:]
    numbers = values.replace("", np.nan).astype(float)
    assert np.isfinite(numbers.to_numpy()[numbers.notna().to_numpy()]).all()
    # statistics are positive; counts of listed firms and designations are whole numbers >= 0
    counts = ["listed_mfg_firms_szse", "green_factories_miit", "green_parks_miit"]
    assert (numbers.drop(columns=counts).fillna(1) > 0).all(axis=None)
    assert (numbers[counts] >= 0).all(axis=None)
    assert (numbers[counts] == numbers[counts].round()).all(axis=None)


def _rank_csv(*args: str) -> pd.DataFrame:
    result = CliRunner().invoke(get_app(), ["rank", *args, "--format", "csv"])
    assert result.exit_code == 0, result.stderr
    return pd.read_csv(io.StringIO(result.stdout), dtype={"city_code": str})


def test_panel_2019_ranks_like_the_bundled_dataset() -> None:
    from_panel = _rank_csv(str(PANEL), "--year", "2019")
    bundled = _rank_csv()
    assert (from_panel["year"] == 2019).all()
    pd.testing.assert_frame_equal(from_panel.drop(columns="year"), bundled)
