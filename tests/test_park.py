"""The `park` framework (375 real national zones, open-data edition) and `park-fiveforces`.

Every indicator of examples/data/park_2021.csv is recounted here from a small fixture extracted
from the RAW shared lists (tests/golden/park/, see its SOURCE.md and extract.py), independently of
examples/data/derive_park.py, which starts from the shared, already-matched tables.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import mfgindex as mi
from mfgindex.cli.app import get_app
from tests.conftest import GOLDEN, ROOT

PARK = GOLDEN / "park"
DATA = ROOT / "examples" / "data"
DATA_YEAR = 2021
YANGTZE_PROVINCES = {
    "上海市",
    "江苏省",
    "浙江省",
    "安徽省",
    "江西省",
    "湖北省",
    "湖南省",
    "重庆市",
    "四川省",
    "贵州省",
    "云南省",
}


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(get_app(), list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return pd.read_csv(DATA / "park_2021.csv", dtype={"host_city_code": str}).set_index("zone_code")


@pytest.fixture(scope="module")
def result() -> mi.Result:
    fw = mi.load_framework("park")
    return mi.compute(fw, mi.read_data(fw.dataset, fw))


# --- the framework and the ranking -----------------------------------------------------------
def test_framework_is_the_five_forces_on_the_bundled_zones() -> None:
    fw = mi.load_framework("park")
    assert fw.id == "park" and fw.unit_column == "zone_code"
    assert fw.dataset is not None and fw.dataset.name == "park_2021.csv"
    assert [g.name_zh for g in fw.groups if g.id != "park"] == [
        "经济实力",
        "创新潜力",
        "融合能力",
        "产业聚力",
        "绿色动力",
    ]
    assert "not CCID's model" in fw.name and "非赛迪模型" in fw.name_zh
    for ind in fw.indicators:
        # each indicator says what CCID indicator it stands in for, and how good the stand-in is
        assert "tands in for" in ind.note or "tand-in for" in ind.note, ind.id
        assert any(word in ind.note for word in ("Good", "Fair", "Weak")), ind.id
        assert ind.source, ind.id


def test_all_375_zones_ranked_with_unit_columns(data: pd.DataFrame, result: mi.Result) -> None:
    assert len(data) == 375 and data.index.is_unique
    assert data["zone_type"].value_counts().to_dict() == {"ETDZ": 219, "HTZ": 156}
    assert data["name"].is_unique and data["name_zh"].notna().all() and data["province"].notna().all()
    assert data["host_city_code"].str.fullmatch(r"\d{6}").all()
    ranks = result.ranks["park"]
    assert ranks.notna().sum() == 375 and ranks.min() == 1
    scores = result.scores["park"]
    assert ((scores >= 0) & (scores <= 100)).all()


def test_tiers_are_ccid_rank_bands(result: mi.Result) -> None:
    ranks, stages = result.ranks["park"], result.stages
    expected = pd.cut(
        ranks, [0, 10, 30, 60, 100, np.inf], labels=["leading", "advanced", "growing", "emerging", "other"]
    )
    assert (stages.astype(str) == expected.astype(str)).all()
    counts = stages.value_counts()
    assert counts["leading"] == (ranks <= 10).sum() >= 10 and counts["other"] == (ranks > 100).sum()


def test_rank_by_zone_type_cli() -> None:
    code, out, err = run("rank", "-f", "park", "--by", "zone_type", "--top", "5", "--format", "csv")
    assert code == 0, err
    frame = pd.read_csv(io.StringIO(out))
    assert sorted(frame["zone_type"].unique()) == ["ETDZ", "HTZ"]
    for _, part in frame.groupby("zone_type"):
        assert len(part) == 5 and sorted(part["rank"]) == [1, 2, 3, 4, 5]
        assert part["park"].is_monotonic_decreasing


def test_rank_cli_names_and_tiers() -> None:
    code, out, err = run("rank", "-f", "park", "--format", "csv")
    assert code == 0, err
    frame = pd.read_csv(io.StringIO(out))
    assert len(frame) == 375 and frame["zone_code"].is_unique
    assert {"name", "park", "rank", "stage"} <= set(frame.columns)
    assert set(frame["stage"]) == {"leading", "advanced", "growing", "emerging", "other"}


def test_show_park_says_what_it_is() -> None:
    code, out, err = run("show", "park")
    assert code == 0, err
    flat = " ".join(out.split())
    assert "designation-and-proxy" in flat and "not CCID's model" in flat


def test_park_fiveforces_keeps_the_synthetic_demo() -> None:
    fw = mi.load_framework("park-fiveforces")
    assert len(fw.indicators) == 15 and fw.dataset is not None
    assert "synthetic" in fw.dataset.name
    demo = pd.read_csv(fw.dataset)
    assert demo["synthetic"].all() and demo["park_code"].str.fullmatch(r"P\d{4}").all()
    code, out, err = run("rank", "-f", "park-fiveforces", "--top", "3", "--format", "csv")
    assert code == 0, err
    assert len(pd.read_csv(io.StringIO(out))) == 3


# --- recounts from the raw lists -------------------------------------------------------------
def test_catalogue_indicators_recounted(data: pd.DataFrame) -> None:
    """approved_area, zone_age, built_up, built_up_growth from the catalogue rows as printed."""
    rows = pd.read_csv(PARK / "catalog_rows.csv", dtype={"approval_date": str}).set_index("code")
    for code, row in rows.iterrows():
        d = data.loc[code]
        assert d["approved_area_ha"] == row["approved_area_ha"]
        assert d["zone_age_years"] == DATA_YEAR - int(row["approval_date"][:4])
        if row["geocode_suspect"] == 1:  # covariates of a misplaced point are not used
            assert np.isnan(d["built_2020"]) and np.isnan(d["built_growth_2000_2020"])
        else:
            assert d["built_2020"] == row["built_2020_buffer_mean"]
            assert d["built_growth_2000_2020"] == pytest.approx(
                row["built_2020_buffer_mean"] - row["built_2000_buffer_mean"], rel=1e-12
            )


def test_green_park_flag_and_year_recounted(data: pd.DataFrame) -> None:
    rows = pd.read_csv(PARK / "green_parks.csv", dtype={"batch": str}).set_index("zone_code")
    assert set(rows["raw_rows"]) == {0, 1}
    for code, row in rows.iterrows():
        assert data.loc[code, "green_park"] == row["raw_rows"]
        year = data.loc[code, "green_park_year"]
        assert (pd.isna(year) and pd.isna(row["list_year"])) or year == row["list_year"]


def _listed(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[pd.to_datetime(frame["A股上市日期"]).dt.year <= DATA_YEAR]


def test_listed_firms_in_zone_recounted(data: pd.DataFrame) -> None:
    """listed_manufacturers, listed_chinext, listed_tech_services from the raw SZSE rows."""
    firms = _listed(pd.read_csv(PARK / "szse_zone_firms.csv", dtype=str))
    assert set(firms["zone_code"]) == {"G321090", "G512045"}
    for code, part in firms.groupby("zone_code"):
        section = part["所属行业"].str[0]
        assert data.loc[code, "szse_listed_mfg"] == (section == "C").sum()
        assert data.loc[code, "szse_listed_chinext"] == (part["板块"] == "创业板").sum()
        assert data.loc[code, "szse_listed_tech_services"] == section.isin(["I", "M"]).sum()
    # a zone whose firms register by district gets 0 (the documented bias)
    assert data.loc["G442036", "szse_listed_mfg"] == 0


def test_host_tech_services_recounted(data: pd.DataFrame) -> None:
    firms = _listed(pd.read_csv(PARK / "szse_city_firms.csv", dtype=str))
    expected = firms["所属行业"].str[0].isin(["I", "M"]).sum()
    suzhou = data[data["host_city_code"] == "320500"]
    assert len(suzhou) >= 10 and (suzhou["host_szse_tech_services"] == expected).all()


def test_host_green_firms_recounted(data: pd.DataFrame) -> None:
    firms = pd.read_csv(PARK / "beijing_green_firms.csv", dtype=str)
    assert set(firms["batch"]) <= {"1", "2", "3", "4", "5", "2021"}  # lists 2017-2021
    beijing = data[data["host_city_code"] == "110000"]
    assert len(beijing) == 2 and (beijing["host_green_firms"] == len(firms)).all()


def test_transformation_demo_recounted(data: pd.DataFrame) -> None:
    published = pd.read_csv(PARK / "yangtze_published_names.csv", dtype=str)
    names = set(published["zone_name_published"].str.replace("市", ""))
    in_belt = data["province"].isin(YANGTZE_PROVINCES)
    assert data.loc[~in_belt, "yangtze_demo_2016"].isna().all()  # not eligible: missing, not 0
    expected = data.loc[in_belt, "name_zh"].str.replace("市", "").isin(names).astype(float)
    assert (data.loc[in_belt, "yangtze_demo_2016"] == expected).all()
    assert expected.sum() == 19


# Host cities checked by hand (GB/T 2260): county-level zones and hand-placed ones included.
HOSTS = {
    "G321090": "320500",  # 苏州工业园区 -> 苏州
    "G321015": "320500",  # 昆山经开区 -> 苏州 (昆山市)
    "G331019": "330100",  # 萧山经开区 -> 杭州 (萧山区)
    "G331111": "330200",  # 宁波杭州湾经开区 -> 宁波
    "G331121": "330700",  # 义乌经开区 -> 金华 (义乌市)
    "G312014": "310000",  # 上海张江 -> 上海
    "G132056": "131000",  # 燕郊 -> 廊坊 (三河市)
    "G211066": "210200",  # 旅顺经开区 -> 大连 (旅顺口区)
    "G372110": "370100",  # 莱芜高新区 -> 济南 (莱芜 merged into 济南, 2019)
    "G442036": "440300",  # 深圳高新区 -> 深圳
    "G531201": "532500",  # 蒙自经开区 -> 红河州 (no city statistics)
}


def test_host_city_stand_ins_recounted(data: pd.DataFrame) -> None:
    """host_industry, host_exports, host_st_intensity, host_students, host_co2_intensity: the
    host city's row of the project's city data, joined on hand-checked host codes."""
    cities = pd.read_csv(DATA / "city_2019.csv", dtype={"city_code": str}).set_index("city_code")
    columns = {
        "host_gdp_100m_yuan": "gdp_100m_yuan",
        "host_va_secondary_100m_yuan": "va_secondary_100m_yuan",
        "host_exports_100m_yuan": "exports_100m_yuan",
        "host_st_expenditure_100m_yuan": "st_expenditure_100m_yuan",
        "host_college_students_10k": "college_students_10k",
        "host_co2_edgar_10kt": "co2_edgar_10kt",
    }
    for zone, host in HOSTS.items():
        assert data.loc[zone, "host_city_code"] == host, zone
        for ours, theirs in columns.items():
            value = data.loc[zone, ours]
            if host in cities.index:
                assert value == pytest.approx(cities.loc[host, theirs], nan_ok=True), (zone, ours)
            else:
                assert np.isnan(value), (zone, ours)


def test_every_indicator_column_is_recounted_here() -> None:
    recounted = {
        "approved_area_ha",
        "zone_age_years",
        "built_2020",
        "built_growth_2000_2020",
        "green_park",
        "szse_listed_mfg",
        "szse_listed_chinext",
        "szse_listed_tech_services",
        "host_szse_tech_services",
        "host_green_firms",
        "yangtze_demo_2016",
        "host_va_secondary_100m_yuan",
        "host_exports_100m_yuan",
        "host_st_expenditure_100m_yuan",
        "host_gdp_100m_yuan",
        "host_college_students_10k",
        "host_co2_edgar_10kt",
    }
    fw = mi.load_framework("park")
    used = {ind.column for ind in fw.indicators} | {
        ind.denominator for ind in fw.indicators if ind.denominator
    }
    assert used <= recounted
