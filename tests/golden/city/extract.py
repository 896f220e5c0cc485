"""Extract the golden fixtures of tests/test_city_data.py from the shared raw lists.

Reads the lists *as published* (not the shared folder's derived, city-coded files), so the test's
recount is independent of the placement that examples/data/derive_city.py relies on:

* ``szse_selected_cities.csv`` — every row of the Shenzhen exchange's own A-share list
  (``szse_A股列表_2025-12-28.xlsx``) whose published city (城市) is one of ``SZSE_CITIES``:
  code, short name, listing date, city and CSRC industry, renamed to English column names.
* ``green_factories_selected.csv`` / ``green_parks_selected.csv`` — the rows of MIIT's green
  factory and green industrial park lists (``raw/绿色工厂名单.csv``, ``raw/绿色工业园区名单.csv``)
  whose region column (地区) is 北京 (a municipality: placed by the column alone), or whose region
  is 江苏 / 广东 and whose name contains a place name of 苏州 / 佛山 (the prefecture or one of its
  county-level cities, ``PLACES``): region, name, batch.

Paths: the shared data folder beside the repository (``<root>/../shared/data``). No arguments;
deterministic: ``python tests/golden/city/extract.py``. Provenance: SOURCE.md beside this file.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
SHARED = HERE.parents[2].parent / "shared" / "data" / "china_designations"
SZSE_CITIES = ["苏州市", "佛山市", "东莞市", "海口市", "三亚市"]
# place names of a prefecture-level city: the city and its county-level cities
PLACES = {
    ("江苏", "苏州"): ["苏州", "昆山", "常熟", "张家港", "太仓"],
    ("广东", "佛山"): ["佛山"],
}


def _szse() -> pd.DataFrame:
    raw = pd.read_excel(SHARED / "szse_listed_companies" / "szse_A股列表_2025-12-28.xlsx", dtype=str)
    raw.columns = [c.replace(" ", "") for c in raw.columns]  # '城     市' -> '城市'
    rows = raw[raw["城市"].isin(SZSE_CITIES)]
    out = rows.rename(
        columns={
            "A股代码": "a_code",
            "A股简称": "short_name",
            "A股上市日期": "list_date",
            "城市": "city",
            "所属行业": "industry",
        }
    )
    out["short_name"] = out["short_name"].str.replace(" ", "", regex=False)
    return out[["a_code", "short_name", "list_date", "city", "industry"]].sort_values("a_code")


def _designations(file: str, name_col: str) -> pd.DataFrame:
    raw = pd.read_csv(SHARED / "miit_green_manufacturing" / "raw" / file, dtype=str)
    keep = raw["地区"] == "北京"
    for (region, _), names in PLACES.items():
        keep |= (raw["地区"] == region) & raw[name_col].str.contains("|".join(names))
    out = raw[keep].rename(columns={"地区": "region", name_col: "name", "批次": "batch"})
    return out[["region", "name", "batch"]].reset_index(drop=True)


def main() -> None:
    _szse().to_csv(HERE / "szse_selected_cities.csv", index=False, lineterminator="\n")
    _designations("绿色工厂名单.csv", "工厂名称").to_csv(
        HERE / "green_factories_selected.csv", index=False, lineterminator="\n"
    )
    _designations("绿色工业园区名单.csv", "园区").to_csv(
        HERE / "green_parks_selected.csv", index=False, lineterminator="\n"
    )


if __name__ == "__main__":
    main()
