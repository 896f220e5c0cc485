"""mfgindex.panel: change between years, its decomposition, trends, compare runs, targets.

Hand-computed examples (COINr's definitions, R/trends.R and R/compare.R, for trends and
compare); the decomposition must add up exactly (1e-12) for arithmetic and geometric trees.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import mfgindex as mi
from mfgindex import panel
from mfgindex.errors import DataError, MethodError, UsageError

PANEL_TOML = """
[framework]
id = "p"
name = "Panel index"
unit_column = "code"
name_column = "name"

[defaults]
normalize = "minmax(low=0, high=100)"
aggregate = "{agg}"
min_coverage = 0.5

[[group]]
id = "g1"
parent = "p"
name = "Group one"
weight = 2

[[group]]
id = "g2"
parent = "p"
name = "Group two"
weight = 1

[[indicator]]
id = "i1"
parent = "g1"
direction = 1

[[indicator]]
id = "i2"
parent = "g1"
direction = 1
transform = "log"

[[indicator]]
id = "i3"
parent = "g2"
direction = 1
weight = 3

[[indicator]]
id = "i4"
parent = "g2"
direction = -1
"""


def _panel_csv() -> str:
    rng = np.random.default_rng(7)
    rows = ["code,year,name,i1,i2,i3,i4"]
    for u in range(8):
        for k, year in enumerate((2017, 2018, 2019)):
            vals = [
                10 + u * 3 + k * (u % 3) + rng.uniform(0, 2),
                50 * (1 + u) * (1.1**k),
                5 + rng.uniform(0, 10),
                20 - u + rng.uniform(0, 3),
            ]
            if u == 2 and year == 2019:
                vals[0] = math.nan  # coverage changes between years
            if u == 5 and year == 2018:
                vals[3] = math.nan
            cells = ["" if math.isnan(v) else f"{v:.6f}" for v in vals]
            rows.append(f"U{u},{year},Unit {u},{','.join(cells)}")
    return "\n".join(rows) + "\n"


def _load(tmp_path: Path, agg: str = "arithmetic") -> tuple[mi.Framework, mi.Dataset]:
    fw_path = tmp_path / f"p_{agg}.toml"
    fw_path.write_text(PANEL_TOML.replace("{agg}", agg), encoding="utf-8")
    data = tmp_path / "p.csv"
    data.write_text(_panel_csv(), encoding="utf-8")
    fw = mi.load_framework(fw_path)
    return fw, mi.read_data(data, fw)


@pytest.fixture
def pooled(tmp_path: Path) -> mi.Result:
    fw, ds = _load(tmp_path)
    return mi.compute(fw, ds, fit_on="pooled")


# ---------------------------------------------------------------------------------------------
# change
# ---------------------------------------------------------------------------------------------


def test_change_table_matches_scores_and_ranks(pooled: mi.Result) -> None:
    table = pooled.change(2018, 2019)
    s, r = pooled.scores["p"], pooled.ranks["p"]
    for row in table.itertuples():
        assert row.score_2019 == pytest.approx(s[(row.code, 2019)], abs=0)
        assert row.score_change == pytest.approx(s[(row.code, 2019)] - s[(row.code, 2018)])
        assert row.rank_change == int(r[(row.code, 2018)] - r[(row.code, 2019)])
        assert row.move == panel.movement(row.rank_change)
    assert list(table["rank_2019"]) == sorted(table["rank_2019"])  # best first
    assert table.attrs["warnings"] == []  # pooled: comparable


def test_change_defaults_to_the_last_two_years(pooled: mi.Result) -> None:
    assert pooled.change().attrs["years"] == (2018, 2019)


def test_movement_labels() -> None:
    assert [panel.movement(v) for v in (3, -5, 0, float("nan"))] == ["↑3", "↓5", "=", "–"]


def test_fit_on_each_warns_that_years_are_not_comparable(tmp_path: Path) -> None:
    fw, ds = _load(tmp_path)
    res = mi.compute(fw, ds)  # fit_on="each"
    with pytest.warns(panel.ComparabilityWarning, match="not comparable"):
        table = res.change(2018, 2019)
    assert table.attrs["warnings"][0].hint.startswith("fit normalisation on all years")
    fixed = mi.compute(fw, ds, normalize="goalposts(low=1, high=1000)")
    assert panel.comparability(fixed) == []


def test_top_turnover_and_new_units() -> None:
    table = pd.DataFrame(
        {"code": ["A", "B", "C", "D"], "rank_2018": [3, 1, 2, pd.NA], "rank_2019": [1, 2, pd.NA, 3]}
    ).astype({"rank_2018": "Int64", "rank_2019": "Int64"})
    table.attrs["years"] = (2018, 2019)
    entered, left = panel.top_turnover(table, 2)
    assert entered == ["A"] and left == ["C"]


def test_change_needs_a_panel_and_known_years(pooled: mi.Result, tmp_path: Path) -> None:
    with pytest.raises(DataError, match="year 2030"):
        pooled.change(2018, 2030)
    with pytest.raises(UsageError, match="same year"):
        pooled.change(2019, 2019)
    fw, ds = _load(tmp_path)
    one = mi.compute(fw, ds, year=2019)
    with pytest.raises(UsageError):
        one.change()


# ---------------------------------------------------------------------------------------------
# decomposition
# ---------------------------------------------------------------------------------------------


def _check_sums(fw: mi.Framework, contrib: pd.DataFrame, tol: float) -> None:
    leaves = [i.id for i in fw.indicators]
    ok = contrib[fw.id].notna()
    c = contrib[ok]
    assert np.max(np.abs(c[leaves].sum(axis=1) - c[fw.id])) < tol
    for g in fw.groups:
        kids = list(fw.children(g.id))
        assert np.max(np.abs(c[kids].sum(axis=1) - c[g.id])) < tol, g.id


def test_arithmetic_decomposition_is_exact(pooled: mi.Result) -> None:
    fw = pooled.framework
    contrib = panel.decompose_all(pooled, 2018, 2019)
    assert contrib["exact"].all()
    delta = pooled.scores["p"].xs(2019, level="year") - pooled.scores["p"].xs(2018, level="year")
    assert np.max(np.abs(contrib["p"] - delta.reindex(contrib.index))) < 1e-12
    _check_sums(fw, contrib, 1e-12)
    # U2 lost i1 in 2019 and U5 i4 in 2018: the renormalisation is part of the contributions
    assert contrib.loc[["U2", "U5"], "p"].notna().all()


def test_arithmetic_decomposition_with_fixed_weights_is_weight_times_change(pooled: mi.Result) -> None:
    dec = panel.decompose(pooled, "U1", 2018, 2019)
    t = dec.table.set_index("node")
    # effective weights: g1 2/3 × 1/2 per indicator; g2 1/3 × (3/4, 1/4)
    eff = {"i1": 1 / 3, "i2": 1 / 3, "i3": 1 / 4, "i4": 1 / 12}
    for i, e in eff.items():
        assert t.at[i, "contribution"] == pytest.approx(e * t.at[i, "change"], abs=1e-12)
    assert t["share"]["p"] == pytest.approx(1.0)
    assert dec.score_change == pytest.approx(t.at["p", "change"], abs=0)
    assert dec.rank_change == dec.rank_from - dec.rank_to
    assert dec.drivers(2)[0][0] in eff


def test_geometric_decomposition_is_exact_log_additive(tmp_path: Path) -> None:
    fw, ds = _load(tmp_path, "geometric")
    res = mi.compute(fw, ds, normalize="minmax(low=1, high=100)", fit_on="pooled")
    contrib = panel.decompose_all(res, 2017, 2019)
    assert contrib["exact"].all()
    _check_sums(fw, contrib, 1e-10)
    # one group: contributions are L(y1, y0) · Δ(w ln x)
    dec = panel.decompose(res, "U3", 2017, 2019)
    t = dec.table.set_index("node")
    y0, y1 = t.at["g2", "score_from"], t.at["g2", "score_to"]
    lm = (y1 - y0) / (math.log(y1) - math.log(y0))
    share_g2 = t.at["g2", "contribution"] / (y1 - y0)
    expect = share_g2 * lm * 0.75 * (math.log(t.at["i3", "score_to"]) - math.log(t.at["i3", "score_from"]))
    assert t.at["i3", "contribution"] == pytest.approx(expect, rel=1e-10)


def test_other_aggregators_are_flagged_approximate_but_still_add_up(tmp_path: Path) -> None:
    fw, ds = _load(tmp_path, "harmonic")
    res = mi.compute(fw, ds, normalize="minmax(low=1, high=100)", fit_on="pooled")
    contrib = panel.decompose_all(res, 2018, 2019)
    assert not contrib["exact"].all()
    _check_sums(fw, contrib, 1e-10)


def test_decompose_unknown_unit(pooled: mi.Result) -> None:
    with pytest.raises(DataError, match="no unit"):
        panel.decompose(pooled, "nowhere", 2018, 2019)


# ---------------------------------------------------------------------------------------------
# trends (COINr R/trends.R: CAGR, prc_change; hand-computed)
# ---------------------------------------------------------------------------------------------


def test_cagr_pct_change_slope_by_hand() -> None:
    x = np.array([2015.0, 2016, 2017, 2018])
    y = np.array([100.0, np.nan, 121, 133.1])
    assert panel.cagr(y, x) == pytest.approx((133.1 / 100) ** (1 / 3) - 1, rel=1e-14)
    # 3 points: lm(y ~ x), b·per/(a + b·x_first)·100
    xs, ys = np.array([2015.0, 2017, 2018]), np.array([100.0, 121, 133.1])
    b, a = np.polyfit(xs, ys, 1)
    assert panel.pct_change(y, x) == pytest.approx(b / (a + b * 2015) * 100, rel=1e-10)
    assert panel.slope(y, x) == pytest.approx(b, rel=1e-10)
    # 2 points: percent change per year
    assert panel.pct_change(np.array([50.0, 60]), np.array([2010.0, 2012])) == pytest.approx(10)
    # COINr's special cases
    assert panel.cagr(np.array([0.0, 0.0]), np.array([1.0, 2])) == 0.0
    assert panel.pct_change(np.array([3.0, 3, 3]), np.array([1.0, 2, 3])) == 0.0
    assert math.isnan(panel.cagr(np.array([1.0, np.nan]), np.array([1.0, 2])))


def test_trends_table(pooled: mi.Result) -> None:
    table = panel.trends(pooled)
    fw = pooled.framework
    assert list(table.columns) == [
        "unit",
        "node",
        "cagr",
        "pct_change",
        "slope",
        "avail",
        "t_first",
        "t_latest",
    ]
    assert table["node"].iloc[0] == fw.id  # ordered by node (framework order), then unit
    row = table[(table.unit == "U1") & (table.node == "p")].iloc[0]
    s = pooled.scores["p"]
    assert row.cagr == pytest.approx((s[("U1", 2019)] / s[("U1", 2017)]) ** 0.5 - 1, rel=1e-13)
    assert row.avail == 1 and row.t_first == 2017 and row.t_latest == 2019
    gap = table[(table.unit == "U2") & (table.node == "i1")].iloc[0]
    assert gap.avail == pytest.approx(2 / 3) and gap.t_latest == 2018


def test_trends_use_latest_years_and_directions(pooled: mi.Result) -> None:
    raw = pooled.step("raw")
    last2 = panel.trends(pooled, dset="raw", nodes=["i4"], use_latest=2, adjust_directions=True)
    u0 = last2[last2.unit == "U0"].iloc[0]
    expect = -((raw.at[("U0", 2019), "i4"] / raw.at[("U0", 2018), "i4"]) - 1)
    assert u0.cagr == pytest.approx(expect, rel=1e-13)
    # U5 has no 2018 value of i4: its last two time points hold one value -> NaN
    assert math.isnan(last2[last2.unit == "U5"].iloc[0].cagr)
    picked = panel.trends(pooled, dset="raw", nodes=["i1"], years=[2017, 2019])
    r = picked[picked.unit == "U0"].iloc[0]
    assert r.cagr == pytest.approx(
        (raw.at[("U0", 2019), "i1"] / raw.at[("U0", 2017), "i1"]) ** 0.5 - 1, rel=1e-13
    )


def test_trends_interpolation_fills_inner_gaps_only(pooled: mi.Result) -> None:
    table = panel.trends(pooled, dset="raw", nodes=["i4"], interp_at="all", metrics=["slope"])
    u5 = table[table.unit == "U5"].iloc[0]
    raw = pooled.step("raw")["i4"]
    # 2018 interpolated halfway: the slope of three collinear points is that of the ends
    assert u5.slope == pytest.approx((raw[("U5", 2019)] - raw[("U5", 2017)]) / 2, rel=1e-12)
    with pytest.raises(UsageError, match="unknown trend metric"):
        panel.trends(pooled, metrics=["growth"])


# ---------------------------------------------------------------------------------------------
# compare runs (COINr compare_coins: Diff = coin.1 - coin.2)
# ---------------------------------------------------------------------------------------------


def test_compare_two_runs(tmp_path: Path) -> None:
    fw, ds = _load(tmp_path)
    a = mi.compute(fw, ds, year=2019)
    b = mi.compute(fw, ds, year=2019, aggregate="median")
    table = panel.compare(a, b)
    ra, rb = a.ranks["p"], b.ranks["p"]
    for row in table.itertuples():
        key = (row.code, 2019)
        assert row.run_a == ra[key] and row.run_b == rb[key]
        assert row.diff == ra[key] - rb[key] and row.abs_diff == abs(ra[key] - rb[key])
    by_score = panel.compare(a, b, by="scores", sort_by="abs_diff")
    assert by_score["abs_diff"].is_monotonic_decreasing
    summary = panel.compare_summary(a, b).set_index("node")
    assert summary.at["p", "mean_abs_rank_shift"] == pytest.approx(table["abs_diff"].mean())
    same = panel.compare_summary(a, a).set_index("node")
    assert same.at["p", "mean_abs_rank_shift"] == 0 and same.at["p", "spearman"] == pytest.approx(1)
    multi = panel.compare_multi({"base": a, "median": b}, table="diffs")
    assert (multi["base"] == 0).all()
    assert np.allclose(
        multi["median"].to_numpy(),
        (rb - ra).reindex(pd.MultiIndex.from_frame(multi[["code", "year"]])).to_numpy(),
    )


# ---------------------------------------------------------------------------------------------
# target
# ---------------------------------------------------------------------------------------------

TARGET_TOML = """
[framework]
id = "t"
name = "Target index"
unit_column = "code"

[defaults]
normalize = "goalposts(low=0, high=100)"
aggregate = "{agg}"

[[group]]
id = "a"
parent = "t"
weight = 1

[[group]]
id = "b"
parent = "t"
weight = 1

[[indicator]]
id = "x1"
parent = "a"
direction = 1
normalize = "goalposts(low=0, high=100)"

[[indicator]]
id = "x2"
parent = "a"
direction = 1
transform = "log"
normalize = "goalposts(low=1, high=1000)"

[[indicator]]
id = "x3"
parent = "b"
direction = -1
normalize = "goalposts(low=0, high=50)"
"""


def _target_setup(tmp_path: Path, agg: str = "arithmetic") -> tuple[mi.Framework, pd.DataFrame]:
    path = tmp_path / f"t_{agg}.toml"
    path.write_text(TARGET_TOML.replace("{agg}", agg), encoding="utf-8")
    rng = np.random.default_rng(3)
    frame = pd.DataFrame(
        {
            "code": [f"U{k}" for k in range(10)],
            "x1": rng.uniform(10, 90, 10),
            "x2": rng.uniform(5, 900, 10),
            "x3": rng.uniform(5, 45, 10),
        }
    )
    return mi.load_framework(path), frame


def _apply(
    fw: mi.Framework, frame: pd.DataFrame, plan: panel.TargetPlan, tmp_path: Path, **options: object
) -> mi.Result:
    new = frame.copy()
    row = new.index[new["code"] == plan.unit][0]
    for r in plan.table.itertuples():
        new.loc[row, r.indicator] = r.needed
    path = tmp_path / "applied.csv"
    new.to_csv(path, index=False, float_format="%.17g")
    return mi.compute(fw, mi.read_data(path, fw), **options)  # type: ignore[arg-type]


@pytest.mark.parametrize("agg", ["arithmetic", "geometric"])
def test_target_plan_reaches_the_rank_when_applied(tmp_path: Path, agg: str) -> None:
    fw, frame = _target_setup(tmp_path, agg)
    path = tmp_path / "t.csv"
    frame.to_csv(path, index=False, float_format="%.17g")
    res = mi.compute(fw, mi.read_data(path, fw))
    ranks = res.ranks["t"]
    unit = str(ranks.idxmax())  # the last unit
    plan = panel.target(res, unit, rank=2)
    assert plan.reachable and plan.rank == ranks.max()
    assert (plan.table["change"] * plan.table["direction"] >= -1e-12).all()  # only improvements
    again = _apply(fw, frame, plan, tmp_path)
    assert again.ranks["t"][unit] <= 2
    assert again.scores["t"][unit] == pytest.approx(plan.target_score, abs=1e-6)


def test_target_arithmetic_is_the_cheapest_plan(tmp_path: Path) -> None:
    """LP optimum: the indicator with the best index points per unit of relative change is
    used first (fractional knapsack), up to its cap."""
    fw, frame = _target_setup(tmp_path)
    path = tmp_path / "t.csv"
    frame.to_csv(path, index=False, float_format="%.17g")
    res = mi.compute(fw, mi.read_data(path, fw))
    unit = str(res.ranks["t"].idxmax())
    plan = panel.target(res, unit, score=float(res.scores["t"][unit]) + 0.5)
    moved = plan.changes()
    assert len(moved) == 1  # a small step fits within one indicator's cap
    # x2 (log): index points per log unit = 0.25 · 100/ln 1000; x1: 0.25 · 1 · x1; x3: 0.5 · 2 · x3
    row = frame.set_index("code").loc[unit]
    rate = {"x1": 0.25 * row.x1, "x2": 0.25 * 100 / math.log(1000), "x3": 0.5 * 2 * row.x3}
    assert moved.iloc[0]["indicator"] == max(rate, key=lambda k: rate[k])


def test_target_out_of_reach_is_reported(tmp_path: Path) -> None:
    fw, frame = _target_setup(tmp_path)
    path = tmp_path / "t.csv"
    frame.to_csv(path, index=False, float_format="%.17g")
    res = mi.compute(fw, mi.read_data(path, fw))
    unit = str(res.ranks["t"].idxmax())
    plan = panel.target(res, unit, rank=1, indicators=["x3"])
    assert not plan.reachable
    assert plan.best_rank > 1 and plan.best_score < plan.target_score
    assert plan.table.set_index("indicator").at["x3", "at_cap"]


def test_target_errors(tmp_path: Path) -> None:
    fw, frame = _target_setup(tmp_path)
    path = tmp_path / "t.csv"
    frame.to_csv(path, index=False, float_format="%.17g")
    ds = mi.read_data(path, fw)
    res = mi.compute(fw, ds)
    with pytest.raises(UsageError, match="exactly one"):
        panel.target(res, "U0")
    with pytest.raises(UsageError, match="between 1 and 10"):
        panel.target(res, "U0", rank=11)
    with pytest.raises(UsageError, match="no indicator"):
        panel.target(res, "U0", rank=1, indicators=["x9"])
    ranked = mi.compute(fw, ds, normalize="rank")
    with pytest.raises(MethodError, match="linear"):
        panel.target(ranked, "U0", rank=1)


def test_target_on_the_city_data_applied_to_the_data() -> None:
    """Suzhou (320500) to rank 1 in 2019 moving only indicators with a data column of their
    own; the plan written back into the data and recomputed reaches the rank."""
    fw = mi.load_framework("city")
    ds = mi.read_data(None, fw)
    res = mi.compute(fw, ds)
    shared = {}
    for i in fw.indicators:
        for col in (i.column, i.denominator):
            if col:
                shared[col] = shared.get(col, 0) + 1
    own = [i.id for i in fw.indicators if not i.denominator and shared[i.column] == 1]
    plan = panel.target(res, "320500", rank=1, indicators=own)
    if not plan.reachable:
        pytest.skip("rank 1 out of reach with these indicators")
    frame = ds.values.copy()
    frame.insert(0, fw.unit_column, ds.units)
    row = np.flatnonzero(ds.units.astype(str) == "320500")[0]
    for r in plan.changes().itertuples():
        col = fw.nodes[r.indicator].column  # type: ignore[attr-defined]
        frame.iloc[row, frame.columns.get_loc(col)] = r.needed
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        again = mi.compute(fw, mi.Dataset.from_frame(frame, fw))
    assert again.ranks["city"]["320500"] == 1


# ---------------------------------------------------------------------------------------------
# impute "constant" (COINr impute_panel(imp_type = "constant"): approx(method = "constant",
# rule = 2), by hand)
# ---------------------------------------------------------------------------------------------


def test_impute_constant_steps_to_both_ends() -> None:
    from mfgindex.methods.base import UnitContext
    from mfgindex.methods.registry import resolve

    nan = np.nan
    # unit a over 2010..2014 given out of order; unit b never observed on column 0
    years = np.array([2012, 2010, 2011, 2013, 2014, 2010, 2011])
    units = np.array(["a", "a", "a", "a", "a", "b", "b"])
    x = np.array([[5.0, nan], [nan, 1.0], [nan, nan], [nan, 3.0], [8.0, nan], [nan, 2.0], [nan, nan]])
    ctx = UnitContext(units=units, years=years, groups={}, ids=("p", "q"))
    out = resolve("impute", "constant")(x, ctx)
    # a/p: 2010, 2011 before the first value (2012) take it; 2013 takes 2012's; 2014 observed
    # a/q: 2011 takes 2010's; 2012 takes 2010's; 2014 takes 2013's
    expect = np.array([[5.0, 1.0], [5.0, 1.0], [5.0, 1.0], [5.0, 3.0], [8.0, 3.0], [nan, 2.0], [nan, 2.0]])
    np.testing.assert_array_equal(out, expect)
    latest = resolve("impute", "latest")(x, ctx)
    assert np.isnan(latest[1, 0]) and np.isnan(latest[2, 0])  # latest never fills backwards
    with pytest.raises(MethodError, match="panel"):
        resolve("impute", "constant")(x, UnitContext(units=units, years=None, groups={}, ids=("p", "q")))
