"""Derive the bundled HDI dataset and the HDI golden fixture.

Reads (relative to the repository root)::

    ../shared/data/hdi/HDR23-24_Composite_indices_complete_time_series.csv

(UNDP Human Development Report Office, HDR 2023/24 "Composite indices complete time
series", CC BY 3.0 IGO) and writes::

    examples/data/hdi_2022.csv                  iso3, country, region, le, eys, mys, gnipc
    tests/golden/hdi/hdi_2022_published.csv     iso3, hdi, hdicode  (published 2022 HDI, 3 dp,
                                                and UNDP's human-development group)

Only the 195 countries/territories are kept (the ``ZZ*`` aggregates are dropped); a
country without a 2022 HDI is still listed in the dataset (its missing components stay
empty) but not in the golden file. Numbers are written with Python's shortest
round-trip representation, so every value is bit-identical to the upstream CSV.

Run from anywhere, without arguments: ``python examples/data/derive_hdi.py``.
Deterministic and re-runnable. See examples/data/SOURCE_hdi.md.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "data" / "hdi"
SRC = SHARED / "HDR23-24_Composite_indices_complete_time_series.csv"
OUT_DATA = ROOT / "examples" / "data" / "hdi_2022.csv"
OUT_GOLDEN = ROOT / "tests" / "golden" / "hdi" / "hdi_2022_published.csv"

COMPONENTS = ["le", "eys", "mys", "gnipc"]


def main() -> None:
    raw = pd.read_csv(SRC, encoding="utf-8-sig")
    raw = raw[~raw["iso3"].str.startswith("ZZ")]
    cols = ["iso3", "country", "region"] + [f"{c}_2022" for c in COMPONENTS]
    data = raw[cols].rename(columns={f"{c}_2022": c for c in COMPONENTS})
    data = data.sort_values("iso3").reset_index(drop=True)
    if len(data) != 195:
        raise SystemExit(f"expected 195 countries, got {len(data)}")
    data.to_csv(OUT_DATA, index=False, lineterminator="\n")

    golden = raw[["iso3", "hdi_2022", "hdicode"]].rename(columns={"hdi_2022": "hdi"})
    golden = golden.dropna(subset=["hdi"]).sort_values("iso3").reset_index(drop=True)
    OUT_GOLDEN.parent.mkdir(parents=True, exist_ok=True)
    golden.to_csv(OUT_GOLDEN, index=False, lineterminator="\n")

    # Self-check: UNDP's formula (technical notes) reproduces every published value.
    m = data.merge(golden, on="iso3")
    health = np.clip((m["le"] - 20) / (85 - 20), 0, 1)
    edu = (np.clip(m["eys"] / 18, 0, 1) + np.clip(m["mys"] / 15, 0, 1)) / 2
    income = np.clip((np.log(m["gnipc"]) - np.log(100)) / (np.log(75000) - np.log(100)), 0, 1)
    hdi = np.cbrt(health * edu * income)
    bad = m[(hdi.round(3) - m["hdi"]).abs() > 1e-9]
    if len(bad):
        raise SystemExit(f"HDI does not reproduce for {bad['iso3'].tolist()}")
    print(
        f"{OUT_DATA.name}: {len(data)} countries; golden: {len(golden)} published HDI values, "
        "all reproduced at 3 dp"
    )


if __name__ == "__main__":
    main()
