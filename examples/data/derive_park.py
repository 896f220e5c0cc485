"""Derive the bundled park dataset ``examples/data/park_2021.csv`` (framework ``indicators/park.toml``).

One row per national development zone of the official 2018 catalogue (《中国开发区审核公告目录》
2018年版): the 219 national economic & technological development zones (ETDZ, 经济技术开发区) and
156 national high-tech zones (HTZ, 高新技术产业开发区), 375 rows keyed by the catalogue code.
Everything comes from ``../shared/data/`` (relative to the repository root) and from the project's
own city data:

==========================================================  ===========================================
file                                                        what is taken
==========================================================  ===========================================
china_zones/china_national_etdz_htz_2018_catalog.csv        code, name, province, place, type, approval
                                                            date, approved area, 5-km built-up surface
                                                            2000 and 2020, geocode_suspect flag
china_designations/miit_green_manufacturing/                green_park (0/1) and first list year
  zone_green_parks.csv                                      (MIIT lists 2017-2021)
china_designations/miit_green_manufacturing/city_counts.csv host city's green factories + green supply-
                                                            chain firms, cumulative through 2021
china_designations/zone_designations/                       the 2016 Yangtze transformation-demonstration
  yangtze_demo_zones_2016.csv                               zones (matched zone codes)
china_designations/zone_designations/                       SZSE firms registered in the zone (code,
  zone_szse_listed_firms.csv                                section, listing date)
china_designations/szse_listed_companies/szse_companies.csv board of those firms; host city's SZSE firms
                                                            in IT and technical services (I, M)
examples/data/city_2019.csv (the project's city data)       host-city 2019 statistics: secondary value
                                                            added, exports, S&T spending, GDP, students,
                                                            EDGAR CO2; pinyin of city names
==========================================================  ===========================================

Data year: the latest each source has, no later than 2021 (the last MIIT list here): green lists
2017-2021, SZSE firms listed on or before 31 Dec 2021 (and still listed in the Dec 2025 snapshot),
host-city statistics 2019, built-up surface 2020, catalogue 2018. Zone age is counted to 2021.

Host city: the prefecture-level unit (6-digit GB/T 2260 code) the zone lies in. Municipalities by
province; otherwise the longest prefecture name, then the longest county-level name, of the zone's
province that begins the catalogue's place column (or the zone name), the county mapped to its
prefecture by the first four digits of its code. County and prefecture names and codes come from the
``cpca`` package's division table (``pip install cpca==0.5.5``; only its CSV is read). Zones whose
place names no division are listed in ``HOST_OVERRIDES`` with the reason. County-level cities directly
under a province (仙桃, the XPCC cities 石河子/阿拉尔/五家渠) are their own host (their own code); they,
莱芜 (merged into 济南 in 2019, mapped there) aside, host-city statistics exist only for the 296 cities
of city_2019.csv, so zones in autonomous prefectures and county-level cities get no host statistics.

English names are generated: pinyin of the place stem (the project's city pinyin where the stem is a
city name, else ``pypinyin==0.55.0``) plus a translation of the zone-type suffix; a few are set by
hand (``NAME_OVERRIDES``). They are transliterations for display, not official English names.

What the script does not do: impute, smooth or correct any figure; it copies, counts and joins.
Geocode-suspect zones (33) get no built-up values (their 5-km buffer is in the wrong place).
No arguments; deterministic; re-runnable: ``python examples/data/derive_park.py``; it also rewrites
the golden fixtures of tests/golden/park/ (see tests/golden/park/extract.py, run separately).
Attribution, coverage and biases: examples/data/SOURCE_park.md.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "data"
CATALOG = SHARED / "china_zones" / "china_national_etdz_htz_2018_catalog.csv"
DESIG = SHARED / "china_designations"
CITY = ROOT / "examples" / "data" / "city_2019.csv"
OUT = ROOT / "examples" / "data" / "park_2021.csv"

DATA_YEAR = 2021
MUNICIPALITIES = {"11": "110000", "12": "120000", "31": "310000", "50": "500000"}
# The 11 provinces of the Yangtze River Economic Belt (长江经济带): only their zones could be named
# in the 2016 transformation-demonstration list, so elsewhere the designation is missing, not 0.
YANGTZE_PROVINCES = {"31", "32", "33", "34", "36", "42", "43", "50", "51", "52", "53"}
# Prefecture codes that changed: 莱芜市 was merged into 济南市 in January 2019.
MERGED = {"371200": "370100"}
# Place stems that name no division in the table (town, zone or sub-district names), by hand.
HOST_OVERRIDES = {
    "G132056": ("131000", "燕郊 is a town of 三河市, 廊坊"),
    "G612051": ("610400", "杨凌 demonstration zone, 杨陵区 of 咸阳"),
    "G611203": ("610100", "陕西航空 ETDZ lies in 阎良区, 西安"),
    "G611204": ("610100", "陕西航天 ETDZ lies in 长安区, 西安"),
    "G632152": ("630100", "青海 HTZ lies in 西宁"),
    "G451185": ("450100", "广西—东盟 ETDZ lies in 武鸣区, 南宁"),
    "G451187": ("450700", "中国—马来西亚钦州产业园区 lies in 钦州"),
    "G651214": ("652300", "准东 ETDZ lies in 昌吉回族自治州"),
    "G372106": ("370500", "黄河三角洲农业 HTZ lies in 东营"),
    "G351140": ("350900", "东侨 ETDZ lies in 宁德"),
    "G411164": ("410500", "红旗渠 ETDZ lies in 林州市, 安阳"),
    "G231076": ("230100", "宾西 ETDZ lies in 宾县, 哈尔滨"),
    "G371150": ("370100", "明水 ETDZ lies in 章丘区, 济南"),
    "G461188": ("460400", "洋浦 lies in 儋州"),
    "G652156": ("659001", "XPCC 石河子 HTZ: 石河子市, a county-level city under the region"),
    "G211066": ("210200", "旅顺 ETDZ lies in 旅顺口区, 大连"),
}
TYPE_EN = {"经济技术开发区": "ETDZ", "高新技术产业开发区": "HTZ"}
# Zone-name suffixes and their English, longest first.
SUFFIX_EN = [
    ("农业高新技术产业示范区", "Agricultural High-tech Industries Demonstration Zone"),
    ("高新技术产业开发区", "High-tech Industrial Development Zone"),
    ("经济技术开发区", "Economic and Technological Development Zone"),
    ("高技术产业开发区", "High-tech Industrial Development Zone"),
    ("高新技术产业园区", "High-tech Industrial Park"),
    ("新兴技术开发区", "New and Emerging Technology Development Zone"),
    ("新技术开发区", "New Technology Development Zone"),
    ("台商投资区", "Taiwanese Investment Zone"),
    ("经济开发区", "Economic Development Zone"),
    ("科技园区", "Science Park"),
    ("产业园区", "Industrial Park"),
    ("工业园区", "Industrial Park"),
    ("开发区", "Development Zone"),
]
NAME_OVERRIDES = {
    "G451185": "Guangxi-ASEAN Economic and Technological Development Zone",
    "G451187": "China-Malaysia Qinzhou Industrial Park",
    "G651217": "Xinjiang Kuytun-Dushanzi Economic and Technological Development Zone",
    "G112001": "Zhongguancun Science Park",
    "G652156": "XPCC Shihezi High-tech Industrial Development Zone",
    "G372026": "Zibo High-tech Industrial Development Zone",
    "G442036": "Shenzhen High-tech Industrial Park",
}
# Words of zone stems that are not place names.
WORD_EN = {
    "火炬": "Torch",
    "医药": "Pharmaceutical",
    "稀土": "Rare Earth",
    "汽车": "Automotive",
    "航空": "Aviation",
    "航天": "Aerospace",
    "临港": "Lingang",
    "钒钛": "Vanadium-Titanium",
    "石化": "Petrochemical",
    "农业": "Agricultural",
    "招商局": "China Merchants",
    "化学工业": "Chemical Industry",
    "杭州湾": "Hangzhou Bay",
    "黄河三角洲": "Yellow River Delta",
    "辽滨沿海": "Liaobin Coastal",
    "闵行": "Minhang",
    "旅顺": "Lushun",
    "库尔勒": "Korla",
    "库车": "Kuqa",
    "格尔木": "Golmud",
    "昆仑": "Kunlun",
    "东湖": "East Lake",
    "红旗渠": "Hongqiqu",
}


def _division_table() -> pd.DataFrame:
    spec = importlib.util.find_spec("cpca")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("derive_park.py needs the division table of cpca: pip install cpca==0.5.5")
    path = Path(next(iter(spec.submodule_search_locations))) / "resources" / "adcodes.csv"
    t = pd.read_csv(path, dtype=str, usecols=["adcode", "name"])
    t["code"] = t["adcode"].str[:6]
    return t[t["adcode"].str[6:] == "000000"].drop_duplicates("code")


def _short(name: str) -> str:
    for suffix in (
        "维吾尔自治区",
        "壮族自治区",
        "回族自治区",
        "自治区",
        "省",
        "回族自治州",
        "蒙古族藏族自治州",
        "自治州",
        "自治县",
        "地区",
        "市",
        "县",
        "区",
        "盟",
        "旗",
    ):
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return name


def host_cities(zones: pd.DataFrame, cities: pd.DataFrame) -> pd.DataFrame:
    """The host prefecture (code, name, how matched) of each zone."""
    div = _division_table()
    names = dict(zip(div["code"], div["name"], strict=True))
    names.update(dict(zip(cities["city_code"], cities["name_zh"], strict=True)))
    prefectures = div[(div["code"].str[4:] == "00") & (div["code"].str[2:] != "0000")]
    counties = div[div["code"].str[4:] != "00"]
    rows = []
    for code, place, zname in zip(zones["code"], zones["city_or_county"], zones["zone_name"], strict=True):
        prov = code[1:3]
        host, how = None, "unmatched"
        if prov in MUNICIPALITIES:
            host, how = MUNICIPALITIES[prov], "municipality"
        elif code in HOST_OVERRIDES:
            host, how = HOST_OVERRIDES[code][0], "by_hand"
        else:
            texts = [place.replace("湽博", "淄博"), zname.replace("湽博", "淄博")]
            for table, label in ((prefectures, "prefecture_name"), (counties, "county_name")):
                sub = table[table["code"].str[:2] == prov]
                stems = sorted(
                    ((_short(n), c) for n, c in zip(sub["name"], sub["code"], strict=True)),
                    key=lambda sc: -len(sc[0]),
                )
                hit = next((c for t in texts for s, c in stems if t.startswith(s)), None)
                if hit is not None:
                    pref = hit[:4] + "00"
                    if label == "county_name" and "直辖" in names.get(pref, "直辖"):
                        host, how = hit, "county_level_city"  # directly under the province
                    else:
                        host, how = pref, label
                    break
        if host in MERGED:
            host, how = MERGED[host], how + "+merged"
        rows.append(
            {"host_city_code": host, "host_city": names.get(host, "") if host else "", "host_match": how}
        )
    return pd.DataFrame(rows, index=zones.index)


def english_names(zones: pd.DataFrame, cities: pd.DataFrame) -> list[str]:
    try:
        from pypinyin import Style, lazy_pinyin  # derivation-time only
    except ImportError:
        raise SystemExit("derive_park.py needs pypinyin: pip install pypinyin==0.55.0") from None

    city_py = {}
    for zh, en in zip(cities["name_zh"], cities["name"], strict=True):
        city_py[_short(zh)] = en.split(" (")[0]
    provinces = {
        "新疆": "Xinjiang",
        "陕西": "Shaanxi",
        "广西": "Guangxi",
        "内蒙古": "Inner Mongolia",
        "青海": "Qinghai",
        "海南": "Hainan",
        "上海": "Shanghai",
        "天津": "Tianjin",
        "中国": "China",
    }
    # county-level place names of the division table, one pinyin word each
    div = _division_table()
    counties = {
        _short(n): "".join(lazy_pinyin(_short(n))).capitalize()
        for n in div.loc[div["code"].str[4:] != "00", "name"]
        if len(_short(n)) >= 2
    }
    lexicon = {**counties, **provinces, **city_py, **WORD_EN}
    out = []
    for code, zname in zip(zones["code"], zones["zone_name"], strict=True):
        if code in NAME_OVERRIDES:
            out.append(NAME_OVERRIDES[code])
            continue
        suffix_en = ""
        stem = zname
        for zh, en in SUFFIX_EN:
            if zname.endswith(zh):
                stem, suffix_en = zname[: -len(zh)], en
                break
        words = []
        rest = stem.replace("—", "-")
        while rest:
            if rest[0] == "-":
                words.append("-")
                rest = rest[1:]
                continue
            known = sorted((w for w in lexicon if rest.startswith(w)), key=len, reverse=True)
            if known:
                words.append(lexicon[known[0]])
                rest = rest[len(known[0]) :]
                continue
            # an unknown stretch up to the next known word: one pinyin word
            cut = next(
                (
                    i
                    for i in range(1, len(rest) + 1)
                    if any(rest[i:].startswith(w) for w in lexicon) or rest[i : i + 1] == "-"
                ),
                len(rest),
            )
            words.append("".join(lazy_pinyin(rest[:cut], style=Style.NORMAL)).capitalize())
            rest = rest[cut:]
        text = " ".join(words).replace(" - ", "-")
        out.append(f"{text} {suffix_en}".strip())
    # same-spelled names (福州 / 抚州 are both Fuzhou): add the province, as city_2019.csv does
    counts = pd.Series(out).value_counts()
    return [
        f"{n} ({''.join(lazy_pinyin(_short(p))).capitalize()})" if counts[n] > 1 else n
        for n, p in zip(out, zones["province"], strict=True)
    ]


def _firm_counts(zones: pd.DataFrame) -> pd.DataFrame:
    firms = pd.read_csv(
        DESIG / "zone_designations" / "zone_szse_listed_firms.csv", dtype={"a_code": str, "zone_code": str}
    )
    companies = pd.read_csv(DESIG / "szse_listed_companies" / "szse_companies.csv", dtype={"a_code": str})
    firms = firms.merge(companies[["a_code", "board"]], on="a_code", how="left", validate="1:1")
    firms = firms[pd.to_datetime(firms["a_list_date"]).dt.year <= DATA_YEAR]
    counts = pd.DataFrame(index=zones["code"])
    counts["szse_listed_mfg"] = firms[firms["csrc_section"] == "C"].groupby("zone_code").size()
    counts["szse_listed_chinext"] = firms[firms["board"] == "创业板"].groupby("zone_code").size()
    counts["szse_listed_tech_services"] = (
        firms[firms["csrc_section"].isin(["I", "M"])].groupby("zone_code").size()
    )
    return counts.fillna(0).astype(int)


def _host_city_columns(cities: pd.DataFrame) -> pd.DataFrame:
    green = pd.read_csv(DESIG / "miit_green_manufacturing" / "city_counts.csv", dtype={"city_code": str})
    companies = pd.read_csv(
        DESIG / "szse_listed_companies" / "szse_companies.csv", dtype={"a_code": str, "city_code": str}
    )
    companies = companies[pd.to_datetime(companies["a_list_date"]).dt.year <= DATA_YEAR]
    tech = companies[companies["csrc_section"].isin(["I", "M"])].groupby("city_code").size()
    host = pd.DataFrame(
        {
            "host_city_code": cities["city_code"],
            "host_gdp_100m_yuan": cities["gdp_100m_yuan"],
            "host_va_secondary_100m_yuan": cities["va_secondary_100m_yuan"],
            "host_exports_100m_yuan": cities["exports_100m_yuan"],
            "host_st_expenditure_100m_yuan": cities["st_expenditure_100m_yuan"],
            "host_college_students_10k": cities["college_students_10k"],
            "host_co2_edgar_10kt": cities["co2_edgar_10kt"],
        }
    )
    g = green.set_index("city_code")
    host["host_green_firms"] = host["host_city_code"].map(
        g[f"green_factories_thru{DATA_YEAR}"] + g[f"green_supply_chain_thru{DATA_YEAR}"]
    )
    host["host_szse_tech_services"] = host["host_city_code"].map(tech).fillna(0).astype(int)
    return host


def build() -> pd.DataFrame:
    zones = pd.read_csv(CATALOG, dtype={"approval_date": str, "code": str})
    cities = pd.read_csv(CITY, dtype={"city_code": str})
    gp = pd.read_csv(DESIG / "miit_green_manufacturing" / "zone_green_parks.csv", dtype={"code": str})
    yz = pd.read_csv(DESIG / "zone_designations" / "yangtze_demo_zones_2016.csv", dtype=str)

    out = pd.DataFrame({"zone_code": zones["code"]})
    out["name"] = english_names(zones, cities)
    out["name_zh"] = zones["zone_name"].str.replace("湽博", "淄博")
    out["province"] = zones["province"]
    out = out.join(host_cities(zones, cities))
    out["zone_type"] = zones["zone_type"].map(TYPE_EN)
    out["zone_type_zh"] = zones["zone_type"]
    out["approval_year"] = zones["approval_year"]
    out["approval_month"] = zones["approval_month"]
    out["zone_age_years"] = DATA_YEAR - zones["approval_year"]
    out["approved_area_ha"] = zones["approved_area_ha"]
    suspect = zones["geocode_suspect"] == 1
    out["geocode_suspect"] = zones["geocode_suspect"]
    out["built_2020"] = zones["built_2020_buffer_mean"].where(~suspect)
    out["built_growth_2000_2020"] = (zones["built_2020_buffer_mean"] - zones["built_2000_buffer_mean"]).where(
        ~suspect
    )

    firms = _firm_counts(zones)
    out = out.join(firms, on="zone_code")

    in_belt = zones["code"].str[1:3].isin(YANGTZE_PROVINCES)
    demo = zones["code"].isin(set(yz["zone_code"].dropna()))
    out["yangtze_demo_2016"] = np.where(in_belt, demo.astype(float), np.nan)

    gp = gp.set_index("code")
    out["green_park"] = out["zone_code"].map(gp["green_park"]).astype(int)
    out["green_park_year"] = out["zone_code"].map(gp["green_park_year"]).astype("Int64")

    host = _host_city_columns(cities)
    out = out.merge(host, on="host_city_code", how="left", validate="m:1")
    if out["zone_code"].duplicated().any() or len(out) != 375:
        raise SystemExit("expected 375 unique zones")
    return out


def main() -> None:
    out = build()
    out.to_csv(OUT, index=False, float_format=None, lineterminator="\n")
    print(f"wrote {OUT.relative_to(ROOT)}: {len(out)} zones")
    print(out["host_match"].value_counts().to_string())
    print("host statistics missing:", out["host_gdp_100m_yuan"].isna().sum(), "zones")


if __name__ == "__main__":
    main()
