"""Derive the bundled city dataset ``examples/data/city_2019.csv`` (framework ``indicators/city.toml``).

A 2019 cross-section of China's four municipalities and prefecture-level cities, assembled from
the city panels in ``../shared/data/china_cities/`` (relative to the repository root):

==========================================  ==========================  ===================================
file                                        joined on                   columns taken (2019)
==========================================  ==========================  ===================================
city_industry_structure_2000_2023.csv       base table (city_code)      city, province, city_type, GDP,
                                                                        secondary and tertiary value added
city_population_density_1998_2024.csv       city_code                   land area, resident population
city_financial_development_2003_2023.csv    city_code                   loans (万元 -> 亿元)
city_co2_edgar_2000_2023.csv                city_code                   EDGAR CO2 (t -> 万 t)
city_fdi_1996_2023.csv                      short name (no 市)          actually utilised FDI
china_city_9indicators_2000_2020_long.csv   short name (no 市)          pinyin, GDP per capita, S&T
                                                                        expenditure, college students,
                                                                        fiscal revenue, exports, park green
==========================================  ==========================  ===================================

and, since city.toml 2019.2, counts per city from the row-level lists in
``../shared/data/china_designations/`` (``designation_counts``): SZSE-listed manufacturing firms
as of 31 December of the year (``szse_listed_companies/szse_companies.csv``, by listing date) and
MIIT green factories and green industrial parks cumulative to the year
(``miit_green_manufacturing/green_factories.csv``, ``green_parks.csv``, by list year; 0 before
2017), plus the industry-services coupling computed from the value added (``add_designations``).
The 2019 counts are checked against the shared folder's own ``city_counts.csv`` tables.

What the script does, and nothing more:

* fixes two stale codes in the base table (儋州市 469003 -> 460400; 吐鲁番地区 652100 -> 吐鲁番市
  650400, a prefecture-level city since 2015), so the code joins find them (and, for earlier years
  of the panel, derive_city_panel.py, files 哈密地区 and 那曲地区 under their cities' codes);
* drops the 38 units that are not cities proper (autonomous prefectures 州, leagues 盟, 地区), after
  checking that each has (almost) no data beyond the industry-structure file (see SOURCE_city.md);
* converts two units so that ratio indicators divide columns of the same unit (loans 万元 -> 亿元,
  like GDP) or give the conventional unit (CO2 t -> 万 t, so CO2/GDP is t per 万元);
* builds the English display name from the 9-indicator file's pinyin (corrected where that file is
  wrong, see ``PINYIN_FIXES``), disambiguating same-spelled names with the province.

``load(years)`` does the joins for any years (the panel reuses it). Missing values stay missing (no
imputation). Output rows are sorted by ``city_code``; floats are written with Python's shortest
round-trip representation. No arguments; deterministic; re-runnable:
``python examples/data/derive_city.py``. It prints the equal-weight top 20 as a sanity check.
Attribution and units: examples/data/SOURCE_city.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "data" / "china_cities"
DESIGNATIONS = ROOT.parent / "shared" / "data" / "china_designations"
OUT = ROOT / "examples" / "data" / "city_2019.csv"
YEAR = 2019

# Stale administrative codes/names in the industry-structure file (2019 rows), and (for the
# panel, derive_city_panel.py) two prefectures (地区) filed under their old code until they became
# cities with the same territory: 哈密地区 (to 2016) and 那曲地区 (to 2017). The other panels file
# them under the city's code throughout.
RECODE = {
    "469003": ("460400", "儋州市"),
    "652100": ("650400", "吐鲁番市"),
    "652200": ("650500", "哈密市"),
    "542400": ("540600", "那曲市"),
}

# The 9-indicator file's pinyin is wrong for these (尔/鄂/都 came out as "Dong", polyphones
# misread); conventional English names are used for four provincial capitals whose pinyin
# spelling is not how they are known (Harbin, Hohhot, Urumqi, Lhasa).
PINYIN_FIXES = {
    "哈尔滨": "Harbin",
    "呼和浩特": "Hohhot",
    "乌鲁木齐": "Urumqi",
    "拉萨": "Lhasa",
    "齐齐哈尔": "Qiqiha'er",
    "鄂尔多斯": "E'erduosi",
    "呼伦贝尔": "Hulunbei'er",
    "巴彦淖尔": "Bayannao'er",
    "鄂州": "Ezhou",
    "成都": "Chengdu",
    "普洱": "Pu'er",
    "昌都": "Changdu",
    "漯河": "Luohe",
    "蚌埠": "Bengbu",
    "六安": "Lu'an",
}

PROVINCE_EN = {
    "北京市": "Beijing",
    "天津市": "Tianjin",
    "河北省": "Hebei",
    "山西省": "Shanxi",
    "内蒙古自治区": "Inner Mongolia",
    "辽宁省": "Liaoning",
    "吉林省": "Jilin",
    "黑龙江省": "Heilongjiang",
    "上海市": "Shanghai",
    "江苏省": "Jiangsu",
    "浙江省": "Zhejiang",
    "安徽省": "Anhui",
    "福建省": "Fujian",
    "江西省": "Jiangxi",
    "山东省": "Shandong",
    "河南省": "Henan",
    "湖北省": "Hubei",
    "湖南省": "Hunan",
    "广东省": "Guangdong",
    "广西壮族自治区": "Guangxi",
    "海南省": "Hainan",
    "重庆市": "Chongqing",
    "四川省": "Sichuan",
    "贵州省": "Guizhou",
    "云南省": "Yunnan",
    "西藏自治区": "Tibet",
    "陕西省": "Shaanxi",
    "甘肃省": "Gansu",
    "青海省": "Qinghai",
    "宁夏回族自治区": "Ningxia",
    "新疆维吾尔自治区": "Xinjiang",
}

COLUMNS = [
    "city_code",
    "name",
    "name_zh",
    "province",
    "city_type",
    "gdp_100m_yuan",
    "va_secondary_100m_yuan",
    "va_tertiary_100m_yuan",
    "gdp_per_capita_10k_yuan",
    "resident_pop_10k",
    "land_area_km2",
    "st_expenditure_100m_yuan",
    "college_students_10k",
    "loans_100m_yuan",
    "fdi_million_usd",
    "exports_100m_yuan",
    "fiscal_revenue_100m_yuan",
    "co2_edgar_10kt",
    "park_green_per_capita_m2",
    "industry_services_coupling",
    "listed_mfg_firms_szse",
    "green_factories_miit",
    "green_parks_miit",
]

# Columns from the statistics panels (used for the drop check); the last four columns are added
# after the drop (they are computed for every city, so they would defeat the check).
STATISTICS = COLUMNS[5:-4]
INPUTS = COLUMNS[5:]


def code6(s: pd.Series) -> pd.Series:
    return s.astype("Int64").astype(str)


def pinyin_name(short: str, pinyin: object) -> str | None:
    if short in PINYIN_FIXES:
        return PINYIN_FIXES[short]
    if not isinstance(pinyin, str):
        return None
    out = ""
    for i, syl in enumerate(pinyin.lower().split()):
        if i and syl[0] in "aoe":  # pinyin apostrophe rule: Xi'an, Tai'an, Ma'anshan
            out += "'"
        out += syl
    return out[:1].upper() + out[1:]


def load(years: Sequence[int] = (YEAR,)) -> pd.DataFrame:
    """All units of the industry-structure file in ``years``, joined, one row per year and code."""
    keys = ["year", "city_code"]
    ind = pd.read_csv(SHARED / "city_industry_structure_2000_2023.csv", dtype={"city_code": str})
    ind = ind[ind["year"].isin(years)].copy()
    for old, (new, name) in RECODE.items():
        ind.loc[ind["city_code"] == old, ["city_code", "city"]] = [new, name]
    d = ind[
        [
            "year",
            "city_code",
            "city",
            "province",
            "city_type",
            "gdp_100m_yuan",
            "va_secondary_100m_yuan",
            "va_tertiary_100m_yuan",
        ]
    ]

    pop = pd.read_csv(SHARED / "city_population_density_1998_2024.csv")
    pop = pop[pop["year"].isin(years)].assign(city_code=lambda x: code6(x["city_code"]))
    d = d.merge(pop[[*keys, "land_area_km2", "resident_pop_10k"]], on=keys, how="left")

    fin = pd.read_csv(SHARED / "city_financial_development_2003_2023.csv")
    fin = fin[fin["year"].isin(years)].assign(city_code=lambda x: code6(x["city_code"]))
    fin["loans_100m_yuan"] = fin["loans_10k_yuan"] / 1e4
    d = d.merge(fin[[*keys, "loans_100m_yuan"]], on=keys, how="left")

    co2 = pd.read_csv(SHARED / "city_co2_edgar_2000_2023.csv")
    co2 = co2[co2["year"].isin(years)].assign(city_code=lambda x: code6(x["city_code"]))
    co2["co2_edgar_10kt"] = co2["co2_tonnes_edgar"] / 1e4
    d = d.merge(co2[[*keys, "co2_edgar_10kt"]], on=keys, how="left")

    d["short"] = d["city"].str.removesuffix("市")
    fdi = pd.read_csv(SHARED / "city_fdi_1996_2023.csv")
    fdi["city"] = fdi["city"].str.replace("\u200b", "", regex=False)  # '哈密\u200b\u200b'
    fdi = fdi[fdi["year"].isin(years)].rename(columns={"city": "short"})
    d = d.merge(fdi[["year", "short", "fdi_million_usd"]], on=["year", "short"], how="left", validate="1:1")

    nine = pd.read_csv(SHARED / "china_city_9indicators_2000_2020_long.csv")
    nine = nine[nine["year"].isin(years)].rename(
        columns={
            "city_zh": "short",
            "science_tech_rd_funding_100m_yuan": "st_expenditure_100m_yuan",
            "total_exports_100m_yuan": "exports_100m_yuan",
            "park_green_area_per_capita_m2": "park_green_per_capita_m2",
        }
    )
    d = d.merge(
        nine[
            [
                "year",
                "short",
                "city_pinyin",
                "gdp_per_capita_10k_yuan",
                "st_expenditure_100m_yuan",
                "college_students_10k",
                "fiscal_revenue_100m_yuan",
                "exports_100m_yuan",
                "park_green_per_capita_m2",
            ]
        ],
        on=["year", "short"],
        how="left",
        validate="1:1",
    )
    if d[keys].duplicated().any() or (d["city_code"].str.len() != 6).any():
        raise SystemExit("city codes are not unique 6-digit strings")
    return d


def designation_counts(years: Sequence[int]) -> pd.DataFrame:
    """Listed manufacturing firms and green designations per city, as of the end of each year.

    * ``listed_mfg_firms_szse``: SZSE A-share companies of CSRC section C (manufacturing) whose
      registered city is the city and whose listing date is on or before 31 December of the year
      (survivors: firms delisted before the 2025 snapshot are absent).
    * ``green_factories_miit`` / ``green_parks_miit``: MIIT national green factories / green
      industrial parks placed in the city whose list year is the year or earlier (cumulative;
      0 before the first list, 2017). Rows the list could not place in a city are not counted.

    Returns one row per (year, city_code) that has a firm or a designation; absent means 0.
    """
    szse = pd.read_csv(
        DESIGNATIONS / "szse_listed_companies" / "szse_companies.csv", dtype={"city_code": str, "a_code": str}
    )
    szse = szse[(szse["csrc_section"] == "C") & szse["city_code"].notna()]
    listed_year = pd.to_datetime(szse["a_list_date"], format="%Y-%m-%d").dt.year
    green = DESIGNATIONS / "miit_green_manufacturing"
    factories = pd.read_csv(green / "green_factories.csv", dtype={"city_code": str})
    factories = factories[factories["city_code"].notna()]
    parks = pd.read_csv(green / "green_parks.csv", dtype={"city_code": str})
    parks = parks[parks["city_code"].notna()]
    out = []
    for year in years:
        counts = {
            "listed_mfg_firms_szse": szse.loc[listed_year <= year, "city_code"].value_counts(),
            "green_factories_miit": factories.loc[factories["list_year"] <= year, "city_code"].value_counts(),
            "green_parks_miit": parks.loc[parks["list_year"] <= year, "city_code"].value_counts(),
        }
        frame = pd.DataFrame(counts).fillna(0).astype(int).rename_axis("city_code").reset_index()
        out.append(frame.assign(year=year))
    return pd.concat(out, ignore_index=True)


def add_designations(d: pd.DataFrame) -> pd.DataFrame:
    """``d`` (rows of ``load``) with the industry-services coupling and the designation counts.

    ``industry_services_coupling`` = sqrt(secondary VA x tertiary VA) / GDP, the geometric mean
    of the industry and services shares of GDP: high only where both sectors are large (at most
    0.5, when each is half of GDP, unless the source's two sectors add up to more than GDP).
    Counts are 0 where a city has no listed manufacturing firm or designation (the lists cover
    every city; 0 is a count, not a missing value).
    """
    d = d.copy()
    d["industry_services_coupling"] = (
        np.sqrt(d["va_secondary_100m_yuan"] * d["va_tertiary_100m_yuan"]) / d["gdp_100m_yuan"]
    )
    counts = designation_counts(sorted(d["year"].unique()))
    d = d.merge(counts, on=["year", "city_code"], how="left", validate="1:1")
    names = ["listed_mfg_firms_szse", "green_factories_miit", "green_parks_miit"]
    d[names] = d[names].fillna(0).astype(int)
    return d


def check_designations(d: pd.DataFrame) -> None:
    """The 2019 counts equal the shared folder's own city tables (built independently)."""
    expect = {
        "listed_mfg_firms_szse": ("szse_listed_companies", "szse_listed_mfg_by2019"),
        "green_factories_miit": ("miit_green_manufacturing", "green_factories_thru2019"),
        "green_parks_miit": ("miit_green_manufacturing", "green_parks_thru2019"),
    }
    rows = d[d["year"] == 2019].set_index("city_code") if "year" in d else d.set_index("city_code")
    for column, (folder, published) in expect.items():
        table = pd.read_csv(DESIGNATIONS / folder / "city_counts.csv", dtype={"city_code": str})
        table = table.set_index("city_code")[published].reindex(rows.index)
        if not table.notna().all() or not (table.astype(int) == rows[column]).all():
            raise SystemExit(f"{column}: 2019 counts differ from {folder}/city_counts.csv {published}")


def derive() -> pd.DataFrame:
    d = load()
    is_city = d["city"].str.endswith("市")
    dropped = d[~is_city]
    # A non-city unit is dropped only if it has (almost) no data: at most 6 of the 14 input
    # columns (GDP and value added; at most population, land area and EDGAR CO2 besides),
    # none of them on innovation, finance, FDI, trade or fiscal revenue.
    present = dropped[STATISTICS].notna().sum(axis=1)
    rich = [
        "st_expenditure_100m_yuan",
        "college_students_10k",
        "loans_100m_yuan",
        "fdi_million_usd",
        "exports_100m_yuan",
        "fiscal_revenue_100m_yuan",
    ]
    if (present > 6).any() or dropped[rich].notna().any(axis=None):
        raise SystemExit(f"a non-city unit has data: {dropped.loc[present > 6, 'city'].tolist()}")
    d = add_designations(d[is_city].copy())

    d["name_zh"] = d["city"]
    d["name"] = [
        pinyin_name(s, p) or z for s, p, z in zip(d["short"], d["city_pinyin"], d["name_zh"], strict=True)
    ]
    dup = d["name"].duplicated(keep=False)
    d.loc[dup, "name"] = d.loc[dup, "name"] + " (" + d.loc[dup, "province"].map(PROVINCE_EN) + ")"
    if d["name"].duplicated().any() or d["name"].isna().any():
        raise SystemExit("display names are not unique")
    return d[COLUMNS].sort_values("city_code").reset_index(drop=True)


def sanity_ranking(d: pd.DataFrame) -> pd.DataFrame:
    """Equal-weight ranking as city.toml defines it: min-max 0-100, direction, means."""

    def mm(x: pd.Series) -> pd.Series:
        return 100 * (x - x.min()) / (x.max() - x.min())

    log = np.log
    groups = {
        "innovation": [
            log(d.st_expenditure_100m_yuan),
            d.st_expenditure_100m_yuan / d.gdp_100m_yuan,
            log(d.college_students_10k),
        ],
        "integration": [d.industry_services_coupling, d.loans_100m_yuan / d.gdp_100m_yuan],
        "economic_drive": [log(d.va_secondary_100m_yuan), log(d.gdp_100m_yuan), d.gdp_per_capita_10k_yuan],
        "brand_quality": [
            log(d.exports_100m_yuan),
            log(d.fdi_million_usd),
            log(d.fiscal_revenue_100m_yuan),
            np.log1p(d.listed_mfg_firms_szse),
        ],
        "green": [
            -(d.co2_edgar_10kt / d.gdp_100m_yuan),
            log(d.gdp_100m_yuan / d.land_area_km2),
            np.log1p(d.green_factories_miit),
            np.log1p(d.green_parks_miit),
        ],
    }

    def mean_cov(frame: pd.DataFrame) -> pd.Series:
        return frame.mean(axis=1).where(frame.notna().mean(axis=1) >= 0.5)

    scores = pd.DataFrame({g: mean_cov(pd.concat([mm(x) for x in xs], axis=1)) for g, xs in groups.items()})
    scores["city"] = mean_cov(scores[list(groups)])
    scores.insert(0, "name", d["name"])
    scores.insert(0, "city_code", d["city_code"])
    return scores.sort_values("city", ascending=False, kind="stable")


def main() -> None:
    d = derive()
    check_designations(d)
    d.to_csv(OUT, index=False, lineterminator="\n")
    print(f"{OUT.name}: {len(d)} units; missing cells per column:")
    print(d[INPUTS].isna().sum().to_string())
    top = sanity_ranking(d).head(20)
    print(top.round(1).to_string(index=False))


if __name__ == "__main__":
    main()
