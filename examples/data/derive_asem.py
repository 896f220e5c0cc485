"""Derive the bundled ASEM dataset/framework and the COINr golden fixtures.

Reads (relative to the repository root)::

    ../shared/data/asem/ASEM_iData.csv, ASEM_iMeta.csv        COINr's ASEM example inputs
    ../shared/data/asem/coinr_reference/*.csv                 outputs of running COINr 1.1.14

(COINr, GitHub bluefoxr/COINr, by the EU JRC composite-indicator team, MIT licence) and writes::

    examples/data/asem_2018.csv       uCode, uName, 4 group columns, year, 4 denominators, 49 indicators
    indicators/asem.toml              the framework (tree, directions, weights, denominators, targets)
    tests/golden/asem/*.csv           re-written copies of the COINr inputs and reference outputs
    examples/data/ASEM_i{Data,Meta}.csv   the COINr inputs again, shipped for users (same bytes)

Every file is re-written through pandas with ``float_format="%.17g"`` (17 significant digits),
so every number round-trips bit-exactly; the script checks this against the originals (parsed
independently with Python's ``float``) and fails loudly otherwise. R's logical TRUE/FALSE is kept
as written. Column names of the COINr inputs are kept exactly (the CLI must read COINr's own
iData/iMeta format).

Run without arguments: ``python examples/data/derive_asem.py``. Deterministic and re-runnable.
See examples/data/SOURCE_asem.md and tests/golden/asem/SOURCE.md.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "data" / "asem"
REF = SHARED / "coinr_reference"
OUT_DATA = ROOT / "examples" / "data" / "asem_2018.csv"
OUT_TOML = ROOT / "indicators" / "asem.toml"
OUT_GOLDEN = ROOT / "tests" / "golden" / "asem"

FLOAT = "%.17g"
GROUP_COLUMNS = ["GDP_group", "GDPpc_group", "Pop_group", "EurAsia_group"]
DENOMINATORS = ["Area", "Energy", "GDP", "Population"]

GOLDEN_FROM_REF = [
    "example_dset_Raw.csv",
    "example_dset_Denominated.csv",
    "example_dset_Imputed.csv",
    "example_dset_Screened.csv",
    "example_dset_Treated.csv",
    "example_dset_Normalised.csv",
    "example_dset_Aggregated.csv",
    "example_treat_points.csv",
    "example_treat_details.csv",
    "simple_minmax_amean_scores.csv",
    "simple_minmax_amean_ranks.csv",
    "simple_zscore_amean_scores.csv",
    "simple_zscore_amean_ranks.csv",
    "agg_gmean_minmax1to100_scores.csv",
    "agg_gmean_minmax1to100_ranks.csv",
    "norm_minmax_0_100.csv",
    "norm_zscore_0_1.csv",
    "norm_rank.csv",
    "norm_rank_amean_scores.csv",
    "example_minmax_amean_scores.csv",
    "example_minmax_amean_ranks.csv",
    "example_weights_original.csv",
]


def read(path: Path) -> pd.DataFrame:
    # "" is the only missing-value marker (no "NA" guessing); the bit-exactness of the
    # numbers is checked afterwards against Python's own float parser (check_round_trip).
    return pd.read_csv(path, keep_default_na=False, na_values=[""])


def write(df: pd.DataFrame, path: Path) -> None:
    out = df.copy()
    for col in out.columns:
        values = set(out[col].dropna().unique().tolist()) if out[col].dtype != float else set()
        if values and values <= {True, False} and all(isinstance(v, bool) for v in values):
            # keep R's spelling of logicals
            out[col] = out[col].map({True: "TRUE", False: "FALSE"})
    path.parent.mkdir(parents=True, exist_ok=True)
    out.to_csv(path, index=False, float_format=FLOAT, lineterminator="\n")


def cells(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


def as_number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def same_cell(a: str, b: str) -> bool:
    if a == b:
        return True
    x, y = as_number(a), as_number(b)
    if x is not None and y is not None:
        if math.isnan(x) and math.isnan(y):
            return True
        return x == y and math.copysign(1, x) == math.copysign(1, y)
    return False


def check_round_trip(
    original: Path, copy: Path, renames: dict[str, str] | None = None, columns: list[str] | None = None
) -> None:
    """Every cell of ``copy`` equals the original bit-exactly (numbers) or textually."""
    a, b = cells(original), cells(copy)
    head_a = [renames.get(h, h) if renames else h for h in a[0]]
    idx = {h: i for i, h in enumerate(head_a)}
    if columns is None and head_a != b[0]:
        raise SystemExit(f"{copy.name}: header differs from {original.name}")
    if len(a) != len(b):
        raise SystemExit(f"{copy.name}: {len(b)} rows, original {len(a)}")
    for r, (row_a, row_b) in enumerate(zip(a[1:], b[1:], strict=True), start=2):
        for j, h in enumerate(b[0]):
            if not same_cell(row_a[idx[h]], row_b[j]):
                raise SystemExit(f"{copy.name}: row {r} column {h}: {row_a[idx[h]]!r} -> {row_b[j]!r}")


def toml_value(v: object) -> str:
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return repr(v)


def write_toml(meta: pd.DataFrame) -> None:
    index = meta[meta["Level"] == meta["Level"].max()].iloc[0]
    lines = [
        "# COINr's ASEM Sustainable Connectivity example (COINr 1.1.14, EU JRC, MIT licence),",
        "# converted from ASEM_iMeta by examples/data/derive_asem.py -- do not edit by hand.",
        "# 49 indicators -> 8 pillars -> 2 sub-indices (Conn, Sust) -> Index.",
        "# The framework id is the root node id, which COINr calls `Index`.",
        "# `denominator` = COINr's iMeta Denominator column: Denominate divides the indicator",
        "# by that data column (Area, Energy, GDP, Population are kept in asem_2018.csv).",
        "# Targets are COINr's iMeta Target column (for distance-to-target normalisation).",
        "",
        "[framework]",
        f"id = {toml_value(index['iCode'])}",
        f"name = {toml_value('ASEM ' + index['iName'] + ' Index')}",
        'name_zh = "亚欧会议可持续互联互通指数"',
        'version = "COINr-1.1.14-ASEM-2018"',
        'unit = "country"',
        'unit_column = "uCode"',
        'name_column = "uName"',
        "scale = [0, 100]",
        f'dataset = "{OUT_DATA.name}"',
        "",
        "[defaults]",
        'normalize = "minmax(low=0, high=100)"',
        'aggregate = "arithmetic"',
        "min_coverage = 0.0             # COINr's a_amean scores a unit if any child is present",
        "",
    ]
    aggregates = meta[meta["Type"] == "Aggregate"].sort_values("Level", ascending=False, kind="stable")
    for _, row in aggregates.iterrows():
        if row["iCode"] == index["iCode"]:
            continue
        lines += [
            "[[group]]",
            f"id = {toml_value(row['iCode'])}",
            f"parent = {toml_value(row['Parent'])}",
            f"name = {toml_value(row['iName'])}",
            f"weight = {toml_value(row['Weight'])}",
            "",
        ]
    for _, row in meta[meta["Type"] == "Indicator"].iterrows():
        lines += [
            "[[indicator]]",
            f"id = {toml_value(row['iCode'])}",
            f"parent = {toml_value(row['Parent'])}",
            f"name = {toml_value(row['iName'])}",
            f"unit = {toml_value(row['Unit'])}",
            f"direction = {toml_value(row['Direction'])}",
            f"weight = {toml_value(row['Weight'])}",
        ]
        if isinstance(row["Denominator"], str):
            lines.append(f"denominator = {toml_value(row['Denominator'])}")
        if not pd.isna(row["Target"]):
            lines.append(f"target = {toml_value(float(row['Target']))}")
        lines += ['source = "COINr ASEM example data (ASEM_iData), 2018"', ""]
    OUT_TOML.write_text("\n".join(lines), encoding="utf-8")


def main() -> None:
    data = read(SHARED / "ASEM_iData.csv")
    meta = read(SHARED / "ASEM_iMeta.csv")
    indicators = meta.loc[meta["Type"] == "Indicator", "iCode"].tolist()
    if len(indicators) != 49:
        raise SystemExit(f"expected 49 indicators, got {len(indicators)}")

    # 1. bundled dataset
    cols = ["uCode", "uName", *GROUP_COLUMNS, "Time", *DENOMINATORS, *indicators]
    ds = data[cols].rename(columns={"Time": "year"})
    write(ds, OUT_DATA)
    check_round_trip(SHARED / "ASEM_iData.csv", OUT_DATA, renames={"Time": "year"}, columns=cols)

    # 2. framework
    write_toml(meta)

    # 3. golden fixtures
    for name, src in [
        ("ASEM_iData.csv", SHARED / "ASEM_iData.csv"),
        ("ASEM_iMeta.csv", SHARED / "ASEM_iMeta.csv"),
        *[(n, REF / n) for n in GOLDEN_FROM_REF],
    ]:
        dst = OUT_GOLDEN / name
        write(read(src), dst)
        check_round_trip(src, dst)

    # 4. COINr's input tables as users get them (`mfgindex examples`): the golden copies' bytes
    for name in ("ASEM_iData.csv", "ASEM_iMeta.csv"):
        (OUT_DATA.parent / name).write_bytes((OUT_GOLDEN / name).read_bytes())
    print(
        f"{OUT_DATA.name}: {len(ds)} units x {len(indicators)} indicators; "
        f"{OUT_TOML.name}; {2 + len(GOLDEN_FROM_REF)} golden files, all round-trip bit-exactly"
    )


if __name__ == "__main__":
    main()
