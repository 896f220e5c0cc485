"""Derive the HDI 1990–2022 panel fixture from UNDP's complete time series.

Reads ``../shared/data/hdi/HDR23-24_Composite_indices_complete_time_series.csv`` (relative to
the repository root; UNDP HDRO, HDR 2023/24, CC BY 3.0 IGO) and writes
``tests/golden/hdi/hdi_1990_2022_panel.csv``: one row per country and year, columns ``iso3,
country, year, le, eys, mys, gnipc`` (the HDI's inputs) and ``hdi_published`` (the published
HDI, 3 dp, empty where UNDP publishes none; not named ``hdi``, the index's id). The ``ZZ*``
aggregates are dropped, and so are country-years with none of the four inputs. Values are
written with Python's shortest round-trip representation, so each is bit-identical to the
upstream CSV.

Run from anywhere, without arguments: ``python tests/golden/hdi/derive_hdi_panel.py``.
Deterministic and re-runnable. See SOURCE.md.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[3]
SRC = ROOT.parent / "shared" / "data" / "hdi" / "HDR23-24_Composite_indices_complete_time_series.csv"
OUT = Path(__file__).resolve().parent / "hdi_1990_2022_panel.csv"
COLUMNS = ["le", "eys", "mys", "gnipc", "hdi"]
PUBLISHED = "hdi_published"  # not "hdi": that is the index id, an output column
YEARS = range(1990, 2023)


def main() -> None:
    raw = pd.read_csv(SRC, encoding="utf-8-sig")
    raw = raw[~raw["iso3"].str.startswith("ZZ")]
    parts = []
    for year in YEARS:
        part = raw[["iso3", "country"] + [f"{c}_{year}" for c in COLUMNS]].copy()
        part.columns = ["iso3", "country", *COLUMNS]
        part.insert(2, "year", year)
        parts.append(part)
    panel = pd.concat(parts, ignore_index=True)
    panel = panel.dropna(subset=COLUMNS[:4], how="all")
    panel = panel.sort_values(["iso3", "year"]).reset_index(drop=True)
    panel = panel.rename(columns={"hdi": PUBLISHED})
    panel.to_csv(OUT, index=False, lineterminator="\n")
    print(
        f"wrote {OUT} ({len(panel)} rows, {panel['iso3'].nunique()} countries, "
        f"{panel[PUBLISHED].notna().sum()} published HDI values)"
    )


if __name__ == "__main__":
    main()
