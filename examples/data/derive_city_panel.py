"""Derive the city panel ``examples/data/city_panel.csv``, 2012-2019 (framework ``indicators/city.toml``).

The same 296 cities, columns, units and conversions as ``city_2019.csv``, one row per city and year,
with a ``year`` column after ``city_code``. All joins, renames, code fixes and unit conversions are
``derive_city.py``'s (``load(years)``), so the 2019 rows equal ``city_2019.csv`` exactly. The
identity columns (``name``, ``name_zh``, ``province``, ``city_type``) are the 2019 ones in every
year: a city keeps its 2019 code and name; its territory in earlier years is the one of that year.

Years: 2012-2019. Not 2011: the industry-structure panel's 2011 GDP and value added of five
Heilongjiang cities (七台河, 佳木斯, 牡丹江, 绥化, 黑河) are swapped between them (e.g. 绥化 125 亿元
between 733 in 2010 and 1,064 in 2012), and 巢湖 was split between 合肥, 芜湖 and 马鞍山 in August 2011.
Not 2020 and later: the 9-indicator panel has no college students or park green area after 2019.

A city-year is present when the industry-structure panel (the base table) holds the city that year:
儋州 (a prefecture-level city since 2015) has rows 2015-2019 only, so 296 x 8 - 3 = 2,365 rows.
Missing values stay missing (no imputation, no smoothing, no corrections of values).

Year-correct counts (``derive_city.add_designations``): listed manufacturing firms are those listed
on or before 31 December of each year (from the listing dates); green factories and parks those on
the MIIT lists of that year or earlier, so 0 in 2012-2016 (the first list is of 2017). Rows are sorted
by ``city_code`` and ``year``; floats are written with Python's shortest round-trip representation.

No arguments; deterministic; re-runnable: ``python examples/data/derive_city_panel.py``. It prints
the coverage per column and year and the single-year spikes (both recorded in
SOURCE_city_panel.md) and the equal-weight top 5 of the first and last year as a sanity check.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from derive_city import (
    COLUMNS,
    INPUTS,
    ROOT,
    STATISTICS,
    add_designations,
    check_designations,
    derive,
    load,
    sanity_ranking,
)

OUT = ROOT / "examples" / "data" / "city_panel.csv"
YEARS = range(2012, 2020)
IDENTITY = ["city_code", "name", "name_zh", "province", "city_type"]
PANEL_COLUMNS = [COLUMNS[0], "year", *COLUMNS[1:]]


def derive_panel() -> pd.DataFrame:
    units = derive()  # the 296 cities of city_2019.csv and their display names
    d = load(YEARS)
    d = add_designations(d[d["city_code"].isin(units["city_code"])])
    d = units[IDENTITY].merge(d[["year", "city_code", *INPUTS]], on="city_code", how="inner", validate="1:m")
    return d[PANEL_COLUMNS].sort_values(["city_code", "year"]).reset_index(drop=True)


def coverage(d: pd.DataFrame) -> pd.DataFrame:
    """Cities with a value, per column (rows) and year (columns); ``rows`` counts the city-years."""
    cov = d.groupby("year")[INPUTS].count().T
    cov.loc["rows"] = d.groupby("year").size()
    return cov


def spikes(d: pd.DataFrame, factor: float = 3.0) -> pd.DataFrame:
    """Values at least ``factor`` times, or at most 1/``factor`` of, both neighbouring years' values."""
    out = []
    wide = {c: d.pivot(index="city_code", columns="year", values=c) for c in STATISTICS}  # not counts
    names = d.drop_duplicates("city_code").set_index("city_code")["name_zh"]
    for c, w in wide.items():
        lr = np.log(w)
        prev, nxt = lr - lr.shift(1, axis=1), lr - lr.shift(-1, axis=1)
        lim = np.log(factor)
        hit = ((prev >= lim) & (nxt >= lim)) | ((prev <= -lim) & (nxt <= -lim))
        for code, year in hit.stack().loc[lambda s: s].index:
            out.append(
                {
                    "column": c,
                    "city": names[code],
                    "year": year,
                    "before": w.at[code, year - 1],
                    "value": w.at[code, year],
                    "after": w.at[code, year + 1],
                }
            )
    return pd.DataFrame(out)


def main() -> None:
    d = derive_panel()
    check_designations(d)
    d.to_csv(OUT, index=False, lineterminator="\n")
    print(f"{OUT.name}: {len(d)} rows, {d['city_code'].nunique()} cities, years {min(YEARS)}-{max(YEARS)}")
    print("cities with a value, per column and year:")
    print(coverage(d).to_string())
    sp = spikes(d)
    print("single-year spikes (>= 3x or <= 1/3 of both neighbouring years), per column:")
    print(sp.groupby("column").size().to_string())
    print(sp.to_string(index=False))
    for year in (min(YEARS), max(YEARS)):
        top = sanity_ranking(d[d["year"] == year].reset_index(drop=True)).head(5)
        print(f"equal-weight top 5, {year}:")
        print(top.round(1).to_string(index=False))


if __name__ == "__main__":
    main()
