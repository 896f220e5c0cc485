"""A tour of the mfgindex library: load, compute, rank, explain, compare a choice, export.

Run: python examples/library_tour.py [OUTPUT_FOLDER]
Uses the bundled `city` framework and its real 2019 data (see examples/data/SOURCE_city.md).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import mfgindex as mi


def main(out_dir: Path) -> None:
    fw = mi.load_framework("city")  # a built-in id, or a path to your own .toml / COINr iMeta
    data = mi.read_data(None, fw)  # None = the framework's bundled dataset
    print(f"{fw.describe()}; {len(data)} cities")

    # The framework's own methods: min-max to [0, 100], equal weights, arithmetic means.
    res = mi.compute(fw, data)
    top = res.to_frame(sort=True, top=10)
    print(top[["city_code", "name", "city", "rank", "stage"]].to_string(index=False))

    # Why does the top city score what it scores?
    best = str(top["city_code"].iloc[0])
    ex = res.explain(best)
    print(f"\n{ex.name}: {ex.score:.2f}, rank {int(ex.rank)} of {ex.n_units}, stage {ex.stage}")
    dims = ex.table[ex.table["parent"] == fw.id]
    for row in dims.itertuples():
        print(f"  {row.label:<35} score {row.score:6.2f}  contributes {row.contribution:6.2f}")
    print("  strengths:", ", ".join(f"{i} (#{r})" for i, r in ex.strengths))

    # Change one choice and compare: geometric instead of arithmetic aggregation.
    geo = mi.compute(fw, data, normalize="minmax(low=1, high=100)", aggregate="geometric")
    shift = (geo.ranks[fw.id] - res.ranks[fw.id]).abs()
    print(f"\ngeometric vs arithmetic: mean |rank shift| {shift.mean():.1f}, largest {shift.max():.0f}")

    # Export with provenance (a sidecar .provenance.json beside CSV; a sheet in XLSX).
    out_dir.mkdir(parents=True, exist_ok=True)
    mi.write(res, str(out_dir / "city_2019.csv"))
    mi.write(res, str(out_dir / "city_2019.xlsx"), lang="zh")
    print(f"\nwrote {out_dir / 'city_2019.csv'} and {out_dir / 'city_2019.xlsx'}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="mfgindex-")))
