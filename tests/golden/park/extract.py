"""Extract the park golden fixtures from the RAW shared lists (not from the derived files).

Each fixture is a small selection of raw rows or values, written beside this script, from which
tests/test_park.py recounts an indicator of examples/data/park_2021.csv independently of
examples/data/derive_park.py (which starts from the shared, already-matched tables). See SOURCE.md.

Run from the repository root with the shared data folder beside it (``<root>/../shared/data``):
``python tests/golden/park/extract.py``. No arguments; deterministic.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
SHARED = HERE.parents[2].parent / "shared" / "data"
DESIG = SHARED / "china_designations"

# Zones whose green-park status is recounted: designated in four different batches, and three not.
GREEN_ZONES = ["G121002", "G321090", "G111001", "G341022", "G121050", "G422031", "G512045"]
# MIIT batch -> the year the list counts for (announcement dates in the raw index 节能与综合利用.csv:
# 2017-08-23, 2018-02-11, 2018-10-29, 2019-09-02, 2020-10-16; "2021" is the 2021 list, Jan 2022).
BATCH_YEAR = {"1": 2017, "2": 2018, "3": 2018, "4": 2019, "5": 2020, "2021": 2021}
# Zones whose SZSE firms are recounted from the raw exchange list, with the address patterns of
# the shared matching rule (full name, or place stem + the type's short forms).
SZSE_ZONES = {
    "G321090": ["苏州工业园区"],
    "G512045": ["成都高新技术产业开发区", "成都高新区", "成都高新技术开发区"],
}
HOST_TECH_CITY = "苏州市"  # the city whose listed I/M firms are recounted
CATALOG_ZONES = ["G111001", "G321090", "G512045", "G651219", "G442036", "G372110"]


def main() -> None:
    catalog = pd.read_csv(
        SHARED / "china_zones" / "china_national_etdz_htz_2018_catalog.csv", dtype={"approval_date": str}
    )
    cat = catalog[catalog["code"].isin(CATALOG_ZONES)][
        [
            "code",
            "zone_name",
            "approval_date",
            "approved_area_ha",
            "built_2000_buffer_mean",
            "built_2020_buffer_mean",
            "geocode_suspect",
        ]
    ]
    cat.to_csv(HERE / "catalog_rows.csv", index=False, lineterminator="\n")

    names = catalog.set_index("code")["zone_name"]
    raw_parks = pd.read_csv(DESIG / "miit_green_manufacturing" / "raw" / "绿色工业园区名单.csv", dtype=str)
    rows = []
    for code in GREEN_ZONES:
        hits = raw_parks[raw_parks["园区"] == names[code]]
        rows.append(
            {
                "zone_code": code,
                "zone_name": names[code],
                "raw_rows": len(hits),
                "batch": hits["批次"].iloc[0] if len(hits) else "",
                "list_year": BATCH_YEAR[hits["批次"].iloc[0]] if len(hits) else "",
            }
        )
    pd.DataFrame(rows).to_csv(HERE / "green_parks.csv", index=False, lineterminator="\n")

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # openpyxl: "Workbook contains no default style"
        szse = pd.read_excel(DESIG / "szse_listed_companies" / "szse_A股列表_2025-12-28.xlsx", dtype=str)
    szse.columns = [c.replace(" ", "") for c in szse.columns]
    address = szse["注册地址"].str.replace("市", "").str.replace(" ", "").str.replace("\u3000", "")
    out = []
    for code, patterns in SZSE_ZONES.items():
        hit = address.apply(lambda a, ps=patterns: any(p in a for p in ps))
        sel = szse[hit][["A股代码", "板块", "所属行业", "A股上市日期", "注册地址"]].copy()
        sel.insert(0, "zone_code", code)
        out.append(sel)
    pd.concat(out).to_csv(HERE / "szse_zone_firms.csv", index=False, lineterminator="\n")

    city = szse[szse["城市"] == HOST_TECH_CITY][["A股代码", "板块", "所属行业", "A股上市日期", "城市"]]
    city.to_csv(HERE / "szse_city_firms.csv", index=False, lineterminator="\n")

    # Beijing's green factories and green supply-chain firms: the raw lists' 地区 column is exact
    # for municipalities, so every row with 地区 == 北京 is a Beijing firm.
    parts = []
    for file, col, kind in (
        ("绿色工厂名单.csv", "工厂名称", "factory"),
        ("绿色供应链管理示范企业名单.csv", "企业名称", "supply_chain"),
    ):
        raw = pd.read_csv(DESIG / "miit_green_manufacturing" / "raw" / file, dtype=str)
        sel = raw[raw["地区"] == "北京"][[col, "批次"]].rename(columns={col: "name", "批次": "batch"})
        sel.insert(0, "list", kind)
        parts.append(sel)
    pd.concat(parts).to_csv(HERE / "beijing_green_firms.csv", index=False, lineterminator="\n")

    yangtze = pd.read_csv(DESIG / "zone_designations" / "yangtze_demo_zones_2016.csv", dtype=str)
    yangtze[["seq", "zone_name_published"]].to_csv(
        HERE / "yangtze_published_names.csv", index=False, lineterminator="\n"
    )
    print("wrote", ", ".join(sorted(p.name for p in HERE.glob("*.csv"))))


if __name__ == "__main__":
    main()
