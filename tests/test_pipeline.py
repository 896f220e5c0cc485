"""The pipeline on a hand-computed example (tests/conftest.py MINI_TOML / MINI_CSV).

By hand, min-max to [0, 100]:
  x1 = [1, 2, 4]                      → [0, 33.33, 100]
  x2 = [10, 20, 30], direction −1     → [100, 50, 0]
  x3 = [100, 300, NA] / pop 10        → [10, 30, NA] → [0, 100, NA]
  a (weight 2) = mean(x1, x2)         → [50, 41.67, 50]
  b (weight 1) = x3                   → [0, 100, NA]  (U3: coverage 0 < 0.5)
  index = (2a + b) / 3 over present   → [33.33, 61.11, 50]  (U3: a only, coverage 2/3)
  ranks → U2 1, U3 2, U1 3; stage rule rank(cuts=[1]) → U2 "top", others "rest".
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import mfgindex as mi
from mfgindex.errors import DataError, UsageError


@pytest.fixture
def run(mini: tuple[Path, Path]):  # type: ignore[no-untyped-def]
    fw_path, data = mini
    fw = mi.load_framework(fw_path)
    ds = mi.read_data(data, fw)

    def _run(**options):  # type: ignore[no-untyped-def]
        return mi.compute(fw, ds, **options)

    return _run


def test_hand_computed_scores(run) -> None:  # type: ignore[no-untyped-def]
    res = run()
    s = res.scores
    np.testing.assert_allclose(s["x1"], [0, 100 / 3, 100])
    np.testing.assert_allclose(s["x2"], [100, 50, 0])
    np.testing.assert_allclose(s["x3"], [0, 100, np.nan])
    np.testing.assert_allclose(s["a"], [50, 125 / 3, 50])
    np.testing.assert_allclose(s["b"], [0, 100, np.nan])
    np.testing.assert_allclose(s["mini"], [100 / 3, (250 / 3 + 100) / 3, 50])
    np.testing.assert_array_equal(res.ranks["mini"], [3, 1, 2])
    assert list(res.stages) == ["rest", "top", "rest"]
    np.testing.assert_allclose(res.step("denominated")["x3"], [10, 30, np.nan])


def test_min_coverage_controls_missing(run) -> None:  # type: ignore[no-untyped-def]
    # U3 has 2/3 of the index's weight present: scored at 0.5, not at 0.9
    assert np.isnan(run(min_coverage=0.9).scores.loc["U3", "mini"])
    assert run(min_coverage=0.5).scores.loc["U3", "mini"] == pytest.approx(50)
    # a group with no child present has no score, whatever the threshold
    assert np.isnan(run(min_coverage=0.0).scores.loc["U3", "b"])


def test_denominate_none_and_equal_weights(run) -> None:  # type: ignore[no-untyped-def]
    res = run(denominate="none", weights="equal")
    np.testing.assert_allclose(res.step("raw")["x3"], [100, 300, np.nan])
    np.testing.assert_allclose(res.scores["mini"], [(50 + 0) / 2, (125 / 3 + 100) / 2, 50])
    assert res.provenance["methods"]["denominate"] == "none"


def test_override_wins_over_framework(run) -> None:  # type: ignore[no-untyped-def]
    res = run(normalize="minmax(low=1, high=100)", aggregate="geometric")
    a = np.sqrt(np.array([1.0, 1 + 99 / 3, 100]) * np.array([100.0, 50.5, 1]))
    np.testing.assert_allclose(res.scores["a"], a)
    assert set(res.provenance["methods"]["aggregate"].values()) == {"geometric"}


def test_explain_contributions_sum(run) -> None:  # type: ignore[no-untyped-def]
    for options in ({}, {"normalize": "minmax(low=1, high=100)", "aggregate": "geometric"}):
        res = run(**options)
        ex = res.explain("U2")
        t = ex.table.set_index("node")
        for parent in ("mini", "a", "b"):
            kids = t[t["parent"] == parent]
            assert kids["contribution"].sum() == pytest.approx(t.loc[parent, "score"])
        assert ex.rank == 1 and ex.stage == "top"
    # explain by exact name, and an unknown unit suggests the closest id
    assert run().explain("Two").unit == "U2"
    with pytest.raises(DataError, match="Did you mean 'U2'"):
        run().explain("U22")


def test_explain_by_chinese_name_and_ambiguous_name(mini: tuple[Path, Path], tmp_path: Path) -> None:
    from tests.conftest import MINI_TOML

    fw_path = tmp_path / "zh.toml"
    fw_path.write_text(
        MINI_TOML.replace('name_column = "name"', 'name_column = "name"\nname_column_zh = "name_zh"'),
        encoding="utf-8",
    )
    fw = mi.load_framework(fw_path)
    frame = pd.read_csv(mini[1]).assign(name_zh=["一", "二", "三"])
    res = mi.compute(fw, mi.Dataset.from_frame(frame, fw))
    assert res.explain("二").unit == "U2"
    with pytest.raises(DataError, match="Did you mean '二'") as err:
        res.explain("二号")
    assert "or a unit's exact name" in str(err.value)
    twins = mi.compute(fw, mi.Dataset.from_frame(frame.assign(name=["One", "Two", "Two"]), fw))
    with pytest.raises(DataError, match=r"'Two' is the name of 2 units: U2 \(Two, 二\); U3 \(Two, 三\)"):
        twins.explain("Two")


def test_ties_share_lowest_rank() -> None:
    from mfgindex.pipeline import rank_desc

    np.testing.assert_array_equal(rank_desc(np.array([5.0, 7, 7, np.nan, 1])), [3, 1, 1, np.nan, 4])


def test_panel_year_by_year_and_pooled(mini: tuple[Path, Path], tmp_path: Path) -> None:
    fw_path, data = mini
    fw = mi.load_framework(fw_path)
    frame = pd.read_csv(data)
    later = frame.assign(x1=frame["x1"] * 2)
    panel = pd.concat([frame.assign(year=2020), later.assign(year=2021)])
    ds = mi.Dataset.from_frame(panel, fw)
    each = mi.compute(fw, ds)
    # fitted year by year, doubling x1 changes nothing
    np.testing.assert_allclose(
        each.scores.xs(2020, level="year")["x1"], each.scores.xs(2021, level="year")["x1"]
    )
    pooled = mi.compute(fw, ds, fit_on="pooled")
    # pooled: x1 in [1, 8] → 2020 values [1, 2, 4] map to [0, 14.29, 42.86]
    np.testing.assert_allclose(pooled.scores.xs(2020, level="year")["x1"], [0, 100 / 7, 300 / 7])
    assert mi.compute(fw, ds, year=2021).scores.shape[0] == 3
    with pytest.raises(DataError, match="years in the data: 2020, 2021"):
        mi.compute(fw, ds, year=1999)
    with pytest.raises(UsageError):
        mi.compute(fw, ds, fit_on="sometimes")


def test_to_frame_layout(run) -> None:  # type: ignore[no-untyped-def]
    frame = run().to_frame(indicators=True, sort=True)
    # U3 has no x3, so no score on group b: the missing_groups column flags it
    assert list(frame.columns) == [
        "code",
        "name",
        "x1",
        "x2",
        "x3",
        "a",
        "b",
        "mini",
        "rank",
        "stage",
        "missing_groups",
    ]
    assert list(frame["code"]) == ["U2", "U3", "U1"]
    zh = run().to_frame(lang="zh")
    assert list(zh["stage"]) == ["其余", "前列", "其余"]


def test_per_indicator_treatment_and_exclusion(tmp_path: Path) -> None:
    """An indicator's own `treat` wins over the run's choice; `treat = "none"` excludes it."""
    from tests.conftest import MINI_TOML

    text = MINI_TOML.replace(
        'id = "x2"\nparent = "a"\ndirection = -1', 'id = "x2"\nparent = "a"\ndirection = -1\ntreat = "none"'
    )
    fw_path = tmp_path / "t.toml"
    fw_path.write_text(text, encoding="utf-8")
    fw = mi.load_framework(fw_path)
    assert fw.nodes["x2"].treat == "none"  # type: ignore[attr-defined]
    # two indicators with the same extreme outlier: x1 is treated, x2 (excluded) is not
    rng = np.random.default_rng(1)
    base = rng.normal(10, 1, 30)
    base[0] = 1000
    frame = pd.DataFrame(
        {"code": [f"U{i}" for i in range(30)], "name": "n", "x1": base, "x2": base, "x3": 1.0, "pop": 1.0}
    )
    res = mi.compute(fw, mi.Dataset.from_frame(frame, fw), treat="winsorize(max_points=5)")
    flags = pd.DataFrame(res.treated, columns=["x1", "x2", "x3"])
    assert (flags["x1"] != "").any() and (flags["x2"] == "").all()
    assert res.step("treated")["x1"].max() < 1000 == res.step("treated")["x2"].max()
    assert res.provenance["methods"]["treat"]["x2"] == "none"
    bad = text.replace('treat = "none"', 'treat = "winsorise"')
    fw_path.write_text(bad, encoding="utf-8")
    with pytest.raises(mi.FrameworkError, match="Did you mean 'winsorize'"):
        mi.load_framework(fw_path)


def test_a_runs_ahp_judgements_file_is_read_once_and_recorded(
    mini: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--weights "ahp(file=...)"``: the Plan reads the file once (the method gets a matrix),
    its SHA-256 goes into the provenance, and the weights are the AHP weights of the file."""
    import hashlib

    fw_path, data_path = mini
    monkeypatch.chdir(tmp_path)
    judgements = tmp_path / "j.csv"
    judgements.write_text("parent,row,column,value\nmini,a,b,3\na,x1,x2,1\n", encoding="utf-8")
    fw = mi.load_framework(fw_path)
    res = mi.compute(fw, mi.read_data(data_path, fw), weights="ahp(file='j.csv')")
    assert res.weights_of("mini") == pytest.approx({"a": 0.75, "b": 0.25})
    assert res.weights_of("a") == pytest.approx({"x1": 0.5, "x2": 0.5})
    recorded = res.provenance["framework"]["judgements"]
    assert recorded == {"j.csv": hashlib.sha256(judgements.read_bytes()).hexdigest()}


def test_a_stage_method_is_checked_when_the_plan_is_made(mini: tuple[Path, Path], tmp_path: Path) -> None:
    """``stages=`` is resolved with the other choices (an unknown method fails before any
    work), and given to a framework without a ``[stages]`` table it is an error, not ignored."""
    from mfgindex.pipeline import Choices, Plan

    fw_path, data_path = mini
    fw = mi.load_framework(fw_path)
    ds = mi.read_data(data_path, fw)
    with pytest.raises(mi.MethodError, match="Got 'jenks' instead"):
        Plan(fw, ds, Choices(stages="jenks(k=4)"))
    text = fw_path.read_text(encoding="utf-8")
    plain = tmp_path / "plain.toml"
    plain.write_text(text[: text.index("[stages]")] + text[text.index("[[group]]") :], encoding="utf-8")
    fw2 = mi.load_framework(plain)
    with pytest.raises(mi.UsageError, match="has no \\[stages\\] table"):
        mi.compute(fw2, mi.read_data(data_path, fw2), stages="quantile")
    assert (mi.compute(fw2, mi.read_data(data_path, fw2), stages="none").stage_codes == -1).all()
