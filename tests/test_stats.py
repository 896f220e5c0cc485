"""COINr's statistics tables: get_stats, get_data_avail, compare_coins.

SOURCE: tests/golden/coinr_analysis/ — tables written by ``make_reference.py`` from COINr
1.1.14's definitions (R/stats.R, R/screen_units.R, R/compare.R) with pandas/scipy only, on
COINr's own ASEM datasets in tests/golden/asem (SOURCE.md there: produced by running COINr).
compare_coins' reference is built from COINr's own rank tables. Tolerance 1e-12 (abs) on
numbers, 1e-9 (relative) for trends; flags and counts exact.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import mfgindex as mi
from mfgindex import panel
from mfgindex.analysis import column_stats, data_availability, stats
from mfgindex.errors import UsageError
from tests.conftest import ASEM, GOLDEN

REF = GOLDEN / "coinr_analysis"
TOL = 1e-12

#: our column -> COINr's get_stats column
STATS_COLUMNS = {
    "min": "Min",
    "max": "Max",
    "mean": "Mean",
    "median": "Median",
    "sd": "Std",
    "skew": "Skew",
    "kurtosis": "Kurt",
    "n_avail": "N.Avail",
    "n_nonzero": "N.NonZero",
    "n_unique": "N.Unique",
    "n_same": "N.Same",
    "frc_avail": "Frc.Avail",
    "frc_nonzero": "Frc.NonZero",
    "frc_unique": "Frc.Unique",
    "frc_same": "Frc.Same",
    "flag_avail": "Flag.Avail",
    "flag_nonzero": "Flag.NonZero",
    "flag_unique": "Flag.Unique",
    "flag_skewkurt": "Flag.SkewKurt",
}


def _stage_result(tmp_path: Path, stage: str) -> mi.Result:
    """A result whose raw data is COINr's ``example_dset_<stage>``."""
    frame = pd.read_csv(ASEM / f"example_dset_{stage}.csv")
    path = tmp_path / f"{stage}.csv"
    frame.to_csv(path, index=False, float_format="%.17g")
    fw = mi.load_framework(ASEM / "ASEM_iMeta.csv")
    return mi.compute(fw, mi.read_data(path, fw), denominate="none")


def _compare_stats(ours: pd.DataFrame, ref: pd.DataFrame) -> float:
    ours = ours.set_index("node").loc[ref["iCode"]]
    ref = ref.set_index("iCode")
    worst = 0.0
    for mine, theirs in STATS_COLUMNS.items():
        a, b = ours[mine], ref[theirs]
        if mine.startswith("flag"):
            assert (a.to_numpy() == b.to_numpy()).all(), mine
        else:
            d = np.abs(a.to_numpy(dtype=float) - b.to_numpy(dtype=float))
            scale = np.maximum(1.0, np.abs(b.to_numpy(dtype=float)))
            worst = max(worst, float(np.max(d / scale)))
    return worst


@pytest.mark.parametrize("stage", ["Raw", "Treated"])
def test_get_stats_matches_coinr_definitions(tmp_path: Path, stage: str) -> None:
    res = _stage_result(tmp_path, stage)
    ours = stats(res, "raw")
    assert _compare_stats(ours, pd.read_csv(REF / f"get_stats_{stage}.csv")) < TOL


def test_column_stats_by_hand() -> None:
    """COINr's quirks: N.NonZero/N.Unique flags divide by n (with missing), the fractions by
    n_avail; N.Same is the largest group of equal values."""
    x = np.array([0.0, 0.0, 1.0, 2.0, np.nan, np.nan, np.nan, np.nan])
    s = column_stats(x)
    assert (s["n_avail"], s["n_nonzero"], s["n_unique"], s["n_same"]) == (4, 2, 3, 2)
    assert s["frc_avail"] == 0.5 and s["frc_nonzero"] == 0.5 and s["frc_unique"] == 0.75
    assert s["flag_avail"] == "LOW"  # 0.5 < 0.65
    assert s["flag_nonzero"] == "LOW"  # 2/8 < 0.5, although 2/4 of the values present are
    assert s["flag_unique"] == "LOW"  # 3/8 < 0.5
    assert s["median"] == 0.5 and s["sd"] == pytest.approx(np.std([0, 0, 1, 2], ddof=1))
    short = column_stats(np.array([1.0, 2.0, 4.0]))
    assert not math.isnan(short["skew"]) and math.isnan(short["kurtosis"])  # kurt needs 4
    assert short["flag_skewkurt"] == ""  # COINr: NA


def test_stats_rounding_and_year(tmp_path: Path) -> None:
    res = _stage_result(tmp_path, "Raw")
    table = stats(res, "raw", nsignif=3)
    lpi = table.set_index("node").loc["LPI"]
    assert lpi["mean"] == 3.41  # signif(3.41187, 3)
    with pytest.raises(UsageError, match="no years"):
        stats(res, "raw", year=2018)
    fw = mi.load_framework(ASEM / "ASEM_iMeta.csv")
    panel_res = mi.compute(fw, mi.read_data(ASEM / "ASEM_iData.csv", fw), denominate="none")
    by_year = stats(panel_res, "scores", year=2018)
    assert by_year["year"].eq(2018).all() and "Index" in set(by_year["node"])


def test_get_data_avail_matches_coinr_definitions(tmp_path: Path) -> None:
    res = _stage_result(tmp_path, "Raw")
    summary, groups = data_availability(res, "raw")
    ref = pd.read_csv(REF / "get_data_avail_Raw_summary.csv").set_index("uCode")
    got = summary.set_index(res.framework.unit_column).loc[ref.index]
    pairs = {
        "n_missing": "N_missing",
        "n_zero": "N_zero",
        "n_missing_or_zero": "N_miss_or_zero",
        "avail": "Dat_Avail",
        "nonzero": "Non_Zero",
    }
    for mine, theirs in pairs.items():
        assert np.max(np.abs(got[mine].to_numpy(float) - ref[theirs].to_numpy(float))) < TOL
    ref_g = pd.read_csv(REF / "get_data_avail_Raw_bygroup.csv").set_index("uCode")
    got_g = groups.set_index(res.framework.unit_column).loc[ref_g.index]
    assert set(ref_g.columns) <= set(got_g.columns)
    assert np.max(np.abs(got_g[ref_g.columns].to_numpy() - ref_g.to_numpy())) < TOL


def test_compare_coins_matches_coinr_ranks() -> None:
    """COINr's simple minmax and zscore pipelines, compared by Index rank."""
    fw = mi.load_framework(ASEM / "ASEM_iMeta.csv")
    ds = mi.read_data(ASEM / "ASEM_iData.csv", fw)
    a = mi.compute(fw, ds, denominate="none", normalize="minmax(low=0, high=100)")
    b = mi.compute(fw, ds, denominate="none", normalize="zscore(mean=0, sd=1)")
    ours = panel.compare(a, b).set_index(fw.unit_column)
    ref = pd.read_csv(REF / "compare_coins_minmax_vs_zscore.csv").set_index("uCode")
    got = ours.loc[ref.index]
    for mine, theirs in {
        "run_a": "coin.1",
        "run_b": "coin.2",
        "diff": "Diff",
        "abs_diff": "Abs.diff",
    }.items():
        assert (got[mine].to_numpy(float) == ref[theirs].to_numpy(float)).all(), mine


def test_get_trends_matches_coinr_definitions() -> None:
    """COINr's ASEM panel (10 units, 2018–2022): CAGR, prc_change and CAGR over the latest 3
    points, on the raw indicators (``get_trends(purse, dset = "Raw", f_trend = …)``)."""
    fw = mi.load_framework(ASEM / "ASEM_iMeta.csv")
    res = mi.compute(fw, mi.read_data(REF / "ASEM_iData_p_subset.csv", fw), denominate="none")
    ref = pd.read_csv(REF / "get_trends_Raw.csv").set_index(["uCode", "iCode"])
    full = panel.trends(res, dset="raw", metrics=["cagr", "pct_change"])
    latest = panel.trends(res, dset="raw", metrics=["cagr"], use_latest=3)
    got = full.set_index(["unit", "node"]).loc[ref.index]
    got3 = latest.set_index(["unit", "node"]).loc[ref.index]
    for ours, theirs in (
        (got["cagr"], ref["CAGR"]),
        (got["pct_change"], ref["prc_change"]),
        (got3["cagr"], ref["CAGR_latest3"]),
    ):
        a, b = ours.to_numpy(float), theirs.to_numpy(float)
        assert (np.isnan(a) == np.isnan(b)).all() and (np.isinf(a) == np.isinf(b)).all()
        finite = np.isfinite(b)
        # relative 1e-9: prc_change divides by the fitted first value, which is near 0 for a
        # few series; the reference's uncentred least squares loses digits there (SOURCE.md)
        assert np.max(np.abs(a[finite] - b[finite]) / np.maximum(1, np.abs(b[finite]))) < 1e-9


# ---------------------------------------------------------------------------------------------
# leave-one-out at every level (COINr remove_elements) and optimal weights (get_opt_weights)
# ---------------------------------------------------------------------------------------------

FULL = {
    "impute": "group_mean(group=EurAsia_group)",
    "screen": "coverage(min=0.9)",
    "treat": "winsorize(max_points=5)",
    "normalize": "minmax(low=0, high=100)",
}


@pytest.fixture(scope="module")
def asem_full() -> mi.Result:
    fw = mi.load_framework(ASEM / "ASEM_iMeta.csv")
    return mi.compute(fw, mi.read_data(ASEM / "ASEM_iData.csv", fw), **FULL)


@pytest.mark.parametrize(("level", "node"), [(1, "Flights"), (2, "ConEcFin"), (3, "Sust")])
def test_remove_elements_equals_a_framework_with_weight_zero(
    tmp_path: Path, asem_full: mi.Result, level: int, node: str
) -> None:
    """COINr removes an element by setting its weight to 0 and regenerating: the same as
    scoring with an iMeta whose weight for that node is 0 (an independent route)."""
    from mfgindex.analysis import remove_elements

    out = remove_elements(asem_full, level)
    meta = pd.read_csv(ASEM / "ASEM_iMeta.csv")
    meta.loc[meta["iCode"] == node, "Weight"] = 0
    path = tmp_path / "iMeta_removed.csv"
    meta.to_csv(path, index=False)
    fw0 = mi.load_framework(path)
    ref = mi.compute(fw0, mi.read_data(ASEM / "ASEM_iData.csv", fw0), **FULL)
    got = out["scores"][node].to_numpy()
    assert np.max(np.abs(got - ref.scores["Index"].to_numpy())) < 1e-12
    assert (out["rank_diffs"][node] == out["ranks"]["nominal"] - out["ranks"][node]).all()
    assert list(out["mean_abs_diff"].index) == [
        n for n in asem_full.node_ids if n != "Index" and asem_full.framework.level(n) == level
    ]
    assert out["mean_abs_diff"].at[node, "mean_abs_diff"] == pytest.approx(out["rank_abs_diffs"][node].mean())


def test_remove_elements_level_errors(asem_full: mi.Result) -> None:
    from mfgindex.analysis import remove_elements

    with pytest.raises(UsageError, match="level must be between 1"):
        remove_elements(asem_full, 4)


def test_optimal_weights_against_the_index(asem_full: mi.Result) -> None:
    from mfgindex.analysis import optimal_weights

    info = optimal_weights(asem_full, 2, optype="infomax")
    assert info["weight"].sum() == pytest.approx(1)
    assert info["corr"].sum() >= info["corr_before"].sum() - 1e-9  # never worse than the start
    bal = optimal_weights(asem_full, 3, optype="balance", target="equal")
    share = bal["corr"] / bal["corr"].sum()
    assert np.allclose(share, 0.5, atol=1e-4)  # two sub-indices: equal influence reachable
    with pytest.raises(UsageError, match="optype"):
        optimal_weights(asem_full, 2, optype="maxinfo")


def test_infomax_weight_method_against_the_parent() -> None:
    """The per-group variant: no other weights give a larger total correlation with the
    (arithmetic) parent; a constant child is refused."""
    from mfgindex.methods.base import WeightContext
    from mfgindex.methods.registry import resolve

    rng = np.random.default_rng(11)
    base = rng.normal(size=200)
    x = np.column_stack([base + rng.normal(scale=s, size=200) for s in (0.2, 0.5, 2.0)])
    ctx = WeightContext(
        parent="g", children=("a", "b", "c"), weights=np.ones(3), direction=np.ones(3), comparisons=None
    )
    w = resolve("weight", "infomax")(x, ctx)
    assert w.sum() == pytest.approx(1) and (w >= 0).all()

    def total(v: np.ndarray) -> float:
        p = x @ (v / v.sum())
        return float(sum(np.corrcoef(x[:, j], p)[0, 1] for j in range(3)))

    for v in rng.dirichlet(np.ones(3), size=200):
        assert total(w) >= total(v) - 1e-9
    with pytest.raises(mi.MethodError if hasattr(mi, "MethodError") else Exception, match="constant"):
        resolve("weight", "infomax")(np.column_stack([x[:, :2], np.ones(200)]), ctx)


def test_the_workbooks_provenance_sheet_is_json(tmp_path: Path) -> None:
    """Each provenance value in the exported workbook is JSON (objects, not Python reprs)."""
    import json

    from openpyxl import load_workbook

    from mfgindex.analysis import export_workbook

    fw = mi.load_framework("city")
    res = mi.compute(fw, mi.read_data(None, fw))
    target = tmp_path / "all.xlsx"
    export_workbook(res, target)
    rows = {r[0]: r[1] for r in load_workbook(target)["provenance"].iter_rows(min_row=2, values_only=True)}
    assert json.loads(rows["methods"])["aggregate"]["city"] == "arithmetic"
    assert json.loads(rows["data"])["sha256"] == res.provenance["data"]["sha256"]
