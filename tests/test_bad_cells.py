"""One bad cell never sinks a run (DESIGN §5; issue 12, class 2).

* a zero under a geometric or harmonic mean (or a power mean of order p < 0) gives 0, the
  mean's limit, with a warning naming the units;
* a negative value under such a mean, or a value outside a transform's domain (a log of 0),
  makes that unit's node NaN — and every node above it — with a warning naming the units and
  the fix;
* ``--strict`` makes these errors; the run fails only when no unit can be scored;
* uncertainty runs follow the same rule, run by run, and report which units, how often and
  under which choices.

The HDI panel fixture (tests/golden/hdi/hdi_1990_2022_panel.csv, derived by
derive_hdi_panel.py; SOURCE: tests/golden/hdi/SOURCE.md) holds Rwanda 1994, whose life
expectancy (14.1 years) is below the HDI goalpost of 20: its health index is 0.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import mfgindex as mi
from mfgindex.errors import DataError, MethodError
from mfgindex.pipeline import Choices, Plan, aggregate_tree

HERE = Path(__file__).resolve().parent
FILES = HERE / "bad_inputs" / "files"
PANEL = HERE / "golden" / "hdi" / "hdi_1990_2022_panel.csv"
BASE = pd.read_csv(FILES / "base.csv", dtype=str)


def mini(transform: str | None = None) -> mi.Framework:
    fw = mi.load_framework(FILES / ("log_transform.toml" if transform else "base.toml"))
    return fw


def run(fw: mi.Framework, frame: pd.DataFrame, **options: object) -> mi.Result:
    return mi.compute(fw, mi.read_data(frame, fw), **options)  # type: ignore[arg-type]


def cli(*argv: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "mfgindex", *argv],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=120,
        check=False,
    )


def flat(text: str) -> str:
    return " ".join(text.split())


# -------------------------------------------------------------------------- the HDI panel


def test_hdi_panel_1990_2022_reproduces_every_published_value() -> None:
    """SOURCE: tests/golden/hdi/SOURCE.md. Tolerance: round(score, 3) == published, exactly."""
    fw = mi.load_framework("hdi")
    ds = mi.read_data(PANEL, fw)
    res = mi.compute(fw, ds)
    res.require_scores()
    ours = res.scores["hdi"]
    published = pd.read_csv(PANEL).set_index(["iso3", "year"])["hdi_published"].dropna()
    assert len(published) == 5808 and published.index.get_level_values(0).nunique() == 193
    got = ours.reindex(published.index)
    assert got.notna().all()
    np.testing.assert_array_equal(got.round(3).to_numpy(), published.to_numpy())
    # Rwanda 1994 (life expectancy 14.1 < 20): health index 0, so the HDI is 0, its limit —
    # scored, not an error, and named in a warning (UNDP publishes no HDI for it)
    assert ours.loc[("RWA", 1994)] == 0.0
    assert res.scores.loc[("RWA", 1994), "health"] == 0.0
    zero = [p for p in res.diagnostics() if "(its limit)" in p.what]
    assert len(zero) == 1 and "RWA (Rwanda)" in zero[0].what and "year 1994" in zero[0].where
    assert int(ours.notna().sum()) == 5813  # every country-year with the four components


# -------------------------------------------------------------------------- zeros: the limit


@pytest.mark.parametrize("aggregate", ["geometric", "harmonic", "genmean(p=-1)"])
def test_zero_under_a_mean_is_its_limit_and_named(aggregate: str) -> None:
    res = run(mini(), BASE, aggregate=aggregate)  # minmax onto [0, 100]: zeros
    res.require_scores()
    s = res.scores
    # U1 has x1 = 0 (the minimum): group 'a' is 0 whatever x2 is; U3 has x2 at its worst
    assert s.loc["U1", "a"] == 0 and s.loc["U3", "a"] == 0 and s.loc["U2", "a"] > 0
    zero = [p for p in res.diagnostics() if "(its limit)" in p.what and p.where == "group 'a'"]
    assert zero and "U1 (One)" in zero[0].what and "U3 (Three)" in zero[0].what
    assert "minmax(low=1, high=100)" in zero[0].hint
    # no "low coverage" warning for units that are scored
    assert not any("low coverage" in p.what for p in res.diagnostics())


def test_zero_reported_where_it_vetoes_not_again_above() -> None:
    res = run(mini(), BASE, aggregate="geometric")
    places = {p.where for p in res.diagnostics() if "(its limit)" in p.what}
    # U1 and U3 are 0 on 'a' (reported there) and hence on the index: not reported again;
    # 'b' has one child, so its 0 vetoes nothing there, but vetoes 'a' on the index
    assert "group 'a'" in places
    text = " ".join(p.what for p in res.diagnostics() if p.where == "index 'mini'")
    assert "U3" not in text


def test_a_zero_of_weight_zero_does_not_count() -> None:
    x = np.array([[0.0, 4.0], [1.0, 9.0]])
    from mfgindex.methods.aggregate import geometric

    np.testing.assert_allclose(geometric(x, np.array([0.0, 1.0])), [4, 9])
    np.testing.assert_allclose(geometric(x, np.array([[0.0, 1.0], [1.0, 1.0]])), [[4, 9], [0, 3]])


# -------------------------------------------------------------------------- negatives: NaN


def test_negative_under_geometric_makes_the_unit_nan_up_the_tree() -> None:
    fw = mini()
    res = run(fw, BASE, aggregate="geometric", normalize="zscore(mean=0.3, sd=1)")
    z = res.scores[["x1", "x2", "x3"]]
    bad_a = (z[["x1", "x2"]] < 0).any(axis=1)
    assert bad_a.any() and not bad_a.all()
    assert res.scores.loc[bad_a, ["a", "mini"]].isna().all().all()
    # the units whose children are all positive are scored, and ranked among themselves
    good = ~bad_a & ~(z["x3"] < 0)
    assert res.scores.loc[good, "mini"].notna().all()
    assert res.ranks.loc[good, "mini"].notna().all()
    refused = [p for p in res.diagnostics() if "needs non-negative values" in p.what]
    assert refused and "every node above it" in refused[0].what
    assert "minmax(low=1, high=100)" in refused[0].hint
    # units without a score because of a bad cell are not blamed on low coverage
    assert not any("low coverage" in p.what for p in res.diagnostics())


def test_no_unit_scored_fails_naming_the_bad_cells() -> None:
    # z-scores centred on -10: every value negative, so no unit can be scored
    res = run(mini(), BASE, aggregate="geometric", normalize="zscore(mean=-10, sd=1)")
    with pytest.raises(DataError) as info:
        res.require_scores()
    text = str(info.value)
    assert "no unit could be scored" in text and "needs non-negative values" in text
    assert "U1 (One)" in text and "minmax(low=1, high=100)" in text


def test_library_raises_nothing_tree_raises_without_refused() -> None:
    fw = mini()
    plan = Plan(fw, mi.read_data(BASE, fw), Choices(aggregate="geometric", normalize="zscore"))
    values = plan.normalize(plan.prepare()).values
    weights = {g.id: np.ones(len(fw.children(g.id))) for g in fw.groups}
    with pytest.raises(MethodError, match="negative"):
        aggregate_tree(fw, values, weights, plan.aggregators(), 0.0)


# -------------------------------------------------------------------------- transforms


@pytest.mark.parametrize("value", ["0", "-3"])
def test_log_of_a_non_positive_value_is_nan_for_that_unit(value: str) -> None:
    fw = mini("log")
    res = run(fw, BASE.assign(x1=[value, "2", "4", "3", "5"]))
    res.require_scores()
    assert res.scores.loc["U1", ["x1", "a", "mini"]].isna().all()
    assert res.scores.loc[["U2", "U3", "U4", "U5"], "mini"].notna().all()
    (warning,) = [p for p in res.diagnostics() if "transform 'log'" in p.what]
    assert warning.where == "indicator 'x1'" and "U1 (One)" in warning.what
    for fix in ("shift", "log1p", "log_CT"):
        assert fix in warning.hint
    assert list(res.provenance["bad_cells"][0]["rows"]) == [0]


def test_a_bad_cell_is_not_imputed_away() -> None:
    fw = mini("log")
    res = run(fw, BASE.assign(x1=["0", "2", "4", "3", ""]), impute="mean")
    assert np.isnan(res.scores.loc["U1", "x1"]) and np.isnan(res.scores.loc["U1", "mini"])
    assert not np.isnan(res.scores.loc["U5", "x1"])  # the missing value is imputed


def test_one_city_with_a_zero_under_log_does_not_sink_296() -> None:
    from dataclasses import replace

    fw = mi.load_framework("city")
    first = fw.indicators[0]
    # the city framework with its first indicator log-transformed, and one city's value 0
    fw = replace(fw, nodes={**fw.nodes, first.id: replace(first, transform="log")})
    assert fw.dataset is not None
    frame = pd.read_csv(fw.dataset, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    before = mi.compute(fw, mi.read_data(frame, fw))
    values = pd.to_numeric(frame[first.column], errors="coerce")
    row = int(np.flatnonzero(values.to_numpy() > 0)[0])
    frame.loc[row, first.column] = "0"
    res = mi.compute(fw, mi.read_data(frame, fw))
    res.require_scores()
    unit = str(frame.loc[row, fw.unit_column])
    assert len(frame) == 296 and np.isnan(res.scores.loc[unit, first.id])
    assert np.isnan(res.scores.loc[unit, first.parent or ""])
    others = res.scores[fw.id].drop(unit)
    assert int(others.notna().sum()) == int(before.scores[fw.id].drop(unit).notna().sum())
    (warning,) = [p for p in res.diagnostics() if "transform 'log'" in p.what]
    assert unit in warning.what and "1 unit(s)" in warning.what


# -------------------------------------------------------------------------- the command line


def test_cli_warns_and_scores_strict_makes_it_an_error(tmp_path: Path) -> None:
    argv = [
        "score",
        str(FILES / "base.csv"),
        "-f",
        str(FILES / "base.toml"),
        "--aggregate",
        "geometric",
        "--format",
        "csv",
    ]
    ok = cli(*argv)
    assert ok.returncode == 0, ok.stderr
    assert "warning: group 'a'" in ok.stderr and "U1 (One), U3 (Three)" in flat(ok.stderr)
    assert ok.stdout.startswith("code,name")
    strict = cli(*argv, "--strict")
    assert strict.returncode == 1 and "(its limit)" in strict.stderr
    assert "with --strict" in strict.stderr and strict.stdout == ""


def test_uncertainty_reports_units_per_choice() -> None:
    fw = mini()
    ds = mi.read_data(BASE, fw)
    spec = {"normalize": {"choices": ["minmax(low=1, high=100)", "zscore(mean=1, sd=1)"]}, "weights": 0.2}
    res = mi.uncertainty(fw, ds, spec, runs=40, seed=3, aggregate="geometric", keep_runs=True)
    z = (res.runs["normalize"] != "minmax(low=1, high=100)").to_numpy()
    assert res.valid.all()
    unscored = np.isnan(res.ranks)
    assert unscored[z].any() and not unscored[~z].any()
    row = res.invalid.iloc[0]
    assert row["normalize"].startswith("zscore") and row["runs"] == int(z.sum())
    assert sum(row["unit_runs"].values()) == int(unscored.sum())
    assert any("left some units unscored" in w for w in res.warnings)
    with pytest.raises(MethodError, match="invalid combination"):
        mi.uncertainty(fw, ds, spec, runs=40, seed=3, aggregate="geometric", invalid="raise")


# -------------------------------------------------------------------------- the same class


def test_a_zero_denominator_is_a_bad_cell_not_a_missing_value() -> None:
    fw = mini()
    frame = BASE.assign(pop=["10", "12", "9", "0", "10"])
    res = run(fw, frame, impute="mean")
    res.require_scores()
    # not imputed, not renormalised around: U4 has no score on x3, b and the index
    assert res.scores.loc["U4", ["x3", "b", "mini"]].isna().all()
    assert res.scores.loc[["U1", "U2", "U3", "U5"], "mini"].notna().all()
    (warning,) = [p for p in res.diagnostics() if "denominator" in p.what]
    assert "its denominator 'pop' is 0" in warning.what and "U4 (Four)" in warning.what
    assert not any("low coverage" in p.what for p in res.diagnostics())


@pytest.mark.parametrize(
    ("values", "normalize"), [(["1e308", "-1e308"], "minmax"), (["1e200", "2e200"], "zscore")]
)
def test_values_that_overflow_normalisation_are_an_error(values: list[str], normalize: str) -> None:
    frame = BASE.assign(x1=[*values, "4", "3", "5"])
    with pytest.raises(DataError, match="values too large to normalise: indicator 'x1'"):
        run(mini(), frame, normalize=normalize)


@pytest.mark.parametrize("spec", ["minmax(low=1)(high=2)", "minmax(low=1, low=2)"])
def test_malformed_method_strings_are_errors(spec: str) -> None:
    from mfgindex.methods.registry import resolve

    with pytest.raises(MethodError, match=r"one pair of parentheses|twice"):
        resolve("normalize", spec)


def test_node_id_equal_to_an_output_column_is_a_framework_error(tmp_path: Path) -> None:
    from mfgindex.errors import FrameworkError

    text = (FILES / "base.toml").read_text(encoding="utf-8")
    for new in ('id = "rank"', 'id = "stage"', 'id = "code"', 'id = "year"', 'id = "rank_a"'):
        path = tmp_path / "fw.toml"
        path.write_text(text.replace('id = "x2"', new + '\ncolumn = "x2"'), encoding="utf-8")
        with pytest.raises(FrameworkError, match="of every result table"):
            mi.load_framework(path)


def test_total_rows_are_named_in_a_warning() -> None:
    frame = pd.concat(
        [
            BASE,
            pd.DataFrame(
                [{"code": "T", "name": "全国合计", "x1": "3", "x2": "20", "x3": "200", "pop": "10"}]
            ),
        ]
    )
    res = run(mini(), frame)
    (warning,) = [p for p in res.diagnostics() if "total" in p.what]
    assert "T (全国合计)" in warning.what and warning.level == "warning"
    assert not [p for p in run(mini(), BASE).diagnostics() if "total" in p.what]


def test_utf8_with_a_gbk_row_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "mixed.csv"
    path.write_bytes(
        "code,name,x1,x2,x3,pop\nU1,北京,1,10,100,10\nU2,上海,2,20,300,12\n".encode()
        + "U3,南京,4,30,200,9\n".encode("gbk")
    )
    with pytest.raises(DataError, match="line 4 is not"):
        mi.read_data(path, mini())
    gbk = tmp_path / "gbk.csv"  # GBK throughout is read as GB18030
    gbk.write_bytes("code,name,x1,x2,x3,pop\nU1,北京,1,10,100,10\nU2,上海,2,20,300,12\n".encode("gbk"))
    assert list(mi.read_data(gbk, mini()).names) == ["北京", "上海"]


def test_every_input_is_protected(tmp_path: Path) -> None:
    from mfgindex.errors import UsageError
    from mfgindex.io import check_not_input, forget_inputs, note_input, run_inputs

    data = tmp_path / "d.csv"
    data.write_text("x", encoding="utf-8")
    link = tmp_path / "link.csv"
    link.symlink_to(data)
    hard = tmp_path / "hard.csv"
    os.link(data, hard)
    forget_inputs()
    try:
        note_input(data, "data")
        for target in (data, link, hard, tmp_path / "." / "d.csv", tmp_path / "d.csv.provenance.json"):
            with pytest.raises(UsageError, match="this is an input of the run"):
                check_not_input(target)
        check_not_input(tmp_path / "other.csv")
        fw = mi.load_framework(FILES / "base.toml")
        assert [p.name for p in run_inputs(fw, None, (tmp_path / "s.toml", "spec"))] == [
            "base.toml",
            "s.toml",
        ]
        with pytest.raises(UsageError, match="the spec file"):
            check_not_input(tmp_path / "s.toml")
    finally:
        forget_inputs()


def test_uncertainty_reports_zero_limits_and_strict_refuses_them() -> None:
    fw = mini()
    ds = mi.read_data(BASE, fw)
    spec = {"aggregate": {"choices": ["arithmetic", "geometric"]}, "weights": 0.2}
    res = mi.uncertainty(fw, ds, spec, runs=30, seed=1, keep_runs=True)
    geo = (res.runs["aggregate"] == "geometric").to_numpy()
    assert geo.any() and res.valid.all() and np.isfinite(res.ranks).all()
    (note,) = [w for w in res.warnings if "(its limit)" in w]
    assert f"{int(geo.sum())} run(s) with aggregate=geometric" in note and "U1 in" in note
    with pytest.raises(MethodError, match=r"mean 0 \(its limit\)"):
        mi.uncertainty(fw, ds, spec, runs=30, seed=1, invalid="raise")


@pytest.mark.parametrize("treat", ["log(rule=ln)", "boxcox"])
def test_a_positive_only_treatment_leaves_only_that_unit_unscored(treat: str) -> None:
    res = run(mini(), BASE.assign(x1=["0", "2", "4", "3", "5"]), treat=treat)
    res.require_scores()
    assert res.scores.loc["U1", ["x1", "a", "mini"]].isna().all()
    assert res.scores.loc[["U2", "U3", "U4", "U5"], "mini"].notna().all()
    (warning,) = [p for p in res.diagnostics() if "treatment" in p.what]
    assert "U1 (One)" in warning.what and "log_CT" in warning.hint


def test_cli_scores_the_whole_hdi_panel_with_one_warning_for_rwanda() -> None:
    done = cli("score", str(PANEL), "-f", "hdi", "--format", "csv")
    assert done.returncode == 0, done.stderr
    text = flat(done.stderr)
    assert "index 'hdi', year 1994: a child at 0 makes the geometric mean 0 (its limit)" in text
    assert "RWA (Rwanda)" in text and text.count("(its limit)") == 1
    table = pd.read_csv(io.StringIO(done.stdout))
    assert len(table) == 6435 and int(table["hdi"].notna().sum()) == 5813
