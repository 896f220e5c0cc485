"""Uncertainty and sensitivity analysis (mfgindex.robustness) and the pipeline steps it reuses.

The reference for the vectorised engine is the obvious, slow computation: :func:`mfgindex.compute`
called once per run with that run's choices and weights (``naive`` below). Every comparison of
scores uses an absolute tolerance of 1e-9 (the engine sums in a different order); ranks must be
equal.

Sobol estimators: the Ishigami function (Ishigami & Homma 1990; analytic indices in Saltelli et
al. 2010, "Variance based sensitivity analysis of model output", CPC 181) with a = 7, b = 0.1.
Tolerance 0.02 absolute on every first- and total-order index at N = 2^13 scrambled Sobol'
points (the observed error is below 0.01).
"""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import mfgindex as mi
from mfgindex.errors import MethodError, UsageError
from mfgindex.methods.registry import methods
from mfgindex.pipeline import aggregate_tree, rank_desc
from mfgindex.robustness import (
    SpecError,
    rank_rows,
    read_spec,
    saltelli_sample,
    sensitivity,
    sobol_estimate,
    uncertainty,
)

ATOL = 1e-9

ASEM_SPEC = {
    "weights": {"noise": 0.25, "levels": [2, 3]},
    "normalize": {"choices": ["minmax(low=1, high=100)", "zscore(mean=10, sd=2)"]},
    "aggregate": {"choices": ["arithmetic", "geometric"]},
}


@pytest.fixture(scope="module")
def asem() -> tuple[mi.Framework, mi.Dataset]:
    fw = mi.load_framework("asem")
    return fw, mi.read_data(None, fw)


@pytest.fixture(scope="module")
def city() -> tuple[mi.Framework, mi.Dataset]:
    fw = mi.load_framework("city")
    return fw, mi.read_data(None, fw)


@pytest.fixture
def mini_fw(mini: tuple[Path, Path]) -> tuple[mi.Framework, mi.Dataset]:
    fw = mi.load_framework(mini[0])
    return fw, mi.read_data(mini[1], fw)


def has(stage: str, name: str) -> bool:
    return any(m.name == name for m in methods(stage))


# ---------------------------------------------------------------------------------------------
# the naive reference: compute() per run
# ---------------------------------------------------------------------------------------------


def naive(fw: mi.Framework, ds: mi.Dataset, res: mi.UncertaintyResult, base: dict[str, Any]) -> np.ndarray:
    """Index scores ``(runs, n)`` of every run by calling compute() with the run's choices."""
    out = np.full(res.scores.shape, np.nan)
    units = pd.Index(res.units.astype(str))
    for i, row in res.runs.iterrows():
        weights = {nid: node.weight for nid, node in fw.nodes.items()}
        if res.weight_factors is not None:
            factors = res.weight_factors.loc[int(row["weights"])]
            for nid, f in factors.items():
                weights[str(nid)] *= float(f)
        nodes = {nid: replace(node, weight=weights[nid]) for nid, node in fw.nodes.items()}
        if "exclude" in row and row["exclude"] != "none":
            # leave the indicator out of the framework, and any group left without children
            gone = str(row["exclude"])
            while gone:
                parent = nodes.pop(gone).parent
                gone = parent if parent and not any(n.parent == parent for n in nodes.values()) else ""
        fw_run = replace(fw, nodes=nodes)
        options = dict(base)
        for stage in ("impute", "treat", "normalize", "aggregate"):
            if stage in row:
                options[stage] = row[stage]
        try:
            result = mi.compute(fw_run, ds, **options)
        except MethodError:
            continue  # invalid run: stays NaN
        scores = pd.Series(result.scores[fw.id].to_numpy(), index=result.units.astype(str))
        out[int(i)] = scores.reindex(units).to_numpy()
    return out


def assert_matches_naive(
    fw: mi.Framework, ds: mi.Dataset, res: mi.UncertaintyResult, base: dict[str, Any]
) -> None:
    expected = naive(fw, ds, res, base)
    valid = res.valid
    np.testing.assert_allclose(res.scores[valid], expected[valid], atol=ATOL, rtol=0)
    np.testing.assert_array_equal(res.ranks[valid], rank_rows(expected[valid]))
    assert np.isnan(res.scores[~valid]).all()


# ---------------------------------------------------------------------------------------------
# ranks
# ---------------------------------------------------------------------------------------------


def test_rank_rows_equals_scipy_rankdata_min() -> None:
    from scipy.stats import rankdata

    rng = np.random.default_rng(3)
    s = rng.integers(0, 6, size=(50, 40)).astype(float)  # many ties
    s[rng.random(s.shape) < 0.1] = np.nan
    ours = rank_rows(s)
    for i in range(len(s)):
        row = s[i]
        keep = ~np.isnan(row)
        expected = np.full(row.shape, np.nan)
        expected[keep] = rankdata(-row[keep], method="min")
        np.testing.assert_array_equal(ours[i], expected)
    # one row, and the pipeline's column ranks
    np.testing.assert_array_equal(rank_rows(np.array([3.0, 1.0, 3.0, np.nan, 2.0])), [1, 4, 1, np.nan, 3])
    np.testing.assert_array_equal(rank_rows(s.T.copy()).T, rank_desc(s))


# ---------------------------------------------------------------------------------------------
# the pipeline steps
# ---------------------------------------------------------------------------------------------


def test_aggregate_tree_batch_equals_one_by_one(asem: tuple[mi.Framework, mi.Dataset]) -> None:
    from mfgindex.pipeline import Choices, Plan

    fw, ds = asem
    plan = Plan(fw, ds, Choices(normalize="minmax(low=1, high=100)"))
    normalised = plan.normalize(plan.prepare()).values
    rng = np.random.default_rng(0)
    r = 7
    batch = {g.id: rng.uniform(0.5, 1.5, size=(r, len(fw.children(g.id)))) for g in fw.groups}
    for method in ("arithmetic", "geometric", "median", "copeland"):
        calls = plan.with_choices(aggregate=method).aggregators()
        tree = aggregate_tree(fw, normalised, batch, calls, 0.0)
        for i in range(r):
            one = aggregate_tree(fw, normalised, {g: w[i] for g, w in batch.items()}, calls, 0.0)
            for g in fw.groups:
                np.testing.assert_allclose(
                    tree[g.id][i], one[g.id], atol=ATOL, rtol=0, err_msg=f"{method} {g.id}"
                )


def test_aggregate_tree_refused_units_are_nan_up_the_tree(mini_fw: tuple[mi.Framework, mi.Dataset]) -> None:
    from mfgindex.pipeline import Choices, Plan

    fw, ds = mini_fw
    # z-scores: negative values, which the geometric mean refuses (a zero would give 0)
    plan = Plan(fw, ds, Choices(aggregate="geometric", normalize="zscore(mean=0.5, sd=1)"))
    normalised = plan.normalize(plan.prepare()).values
    weights = {g.id: np.ones(len(fw.children(g.id))) for g in fw.groups}
    calls = plan.aggregators()
    with pytest.raises(MethodError):
        aggregate_tree(fw, normalised, weights, calls, 0.0)
    refused: dict[str, np.ndarray] = {}
    tree = aggregate_tree(fw, normalised, weights, calls, 0.0, refused=refused)
    neg = normalised < 0
    expected_a = neg[:, [0, 1]].any(axis=1)
    np.testing.assert_array_equal(refused["a"], expected_a)
    # refused in 'a' (or 'b'): NaN on the index too, never the renormalised score of the other
    gone = expected_a | neg[:, 2]
    assert gone.any() and np.isnan(tree["mini"][gone]).all()
    assert np.isfinite(tree["mini"][~gone]).all()
    # zeros: the limit 0, reported in `limits`, never refused
    plan = Plan(fw, ds, Choices(aggregate="geometric"))
    normalised = plan.normalize(plan.prepare()).values
    refused, limits = {}, {}
    tree = aggregate_tree(fw, normalised, weights, calls, 0.0, refused=refused, limits=limits)
    assert not refused and limits["a"].any()
    np.testing.assert_array_equal(tree["a"][limits["a"]], 0.0)
    a = math.sqrt(100 / 3 * 50)  # U2: x1 = 33.3, x2 = 50; b = x3 = 100; equal weights here
    assert tree["mini"][1] == pytest.approx(math.sqrt(a * 100), abs=ATOL)


def test_nominal_equals_compute(
    asem: tuple[mi.Framework, mi.Dataset], city: tuple[mi.Framework, mi.Dataset]
) -> None:
    for (fw, ds), base in ((asem, {}), (city, {"normalize": "zscore", "aggregate": "arithmetic"})):
        res = uncertainty(fw, ds, {"weights": 0.1}, runs=3, seed=1, **base)
        nominal = mi.compute(fw, ds, **base)
        np.testing.assert_allclose(res.nominal_scores, nominal.scores[fw.id], atol=ATOL, rtol=0)
        np.testing.assert_array_equal(res.nominal_ranks, nominal.ranks[fw.id])


# ---------------------------------------------------------------------------------------------
# uncertainty: the engine against compute() run by run
# ---------------------------------------------------------------------------------------------


def test_asem_spec_matches_naive_loop(asem: tuple[mi.Framework, mi.Dataset]) -> None:
    fw, ds = asem
    res = uncertainty(fw, ds, ASEM_SPEC, runs=24, keep_runs=True, seed=5)
    assert list(res.runs.columns) == ["run", "weights", "normalize", "aggregate", "valid"]
    assert set(res.runs["aggregate"]) == {"arithmetic", "geometric"}
    assert_matches_naive(fw, ds, res, {})


def test_every_input_at_once_matches_naive_loop(asem: tuple[mi.Framework, mi.Dataset]) -> None:
    fw, ds = asem
    spec = {
        "weights": {"noise": 0.4},  # every level, indicators included
        "impute": {"choices": ["none", "mean", "median"]},
        "normalize": {"choices": ["minmax(low=1, high=100)", "rank", "zscore(mean=50, sd=10)"]},
        "aggregate": {"choices": ["arithmetic", "geometric", "median"]},
        "exclude": {"indicators": ["LPI", "Flights", "CO2"]},
    }
    res = uncertainty(fw, ds, spec, runs=30, keep_runs=True, seed=11)
    assert {"impute", "exclude"} <= set(res.runs.columns)
    assert_matches_naive(fw, ds, res, {})


def test_full_coinr_pipeline_matches_naive_loop(asem: tuple[mi.Framework, mi.Dataset]) -> None:
    if not (has("impute", "group_mean") and has("screen", "coverage") and has("treat", "winsorize")):
        pytest.skip("COINr's full example pipeline needs group_mean, coverage and winsorize")
    fw, ds = asem
    base = {
        "impute": "group_mean(group=EurAsia_group)",
        "screen": "coverage(min=0.9)",
        "treat": "winsorize(max_points=5)",
    }
    spec = dict(ASEM_SPEC) | {"treat": {"choices": ["none", "winsorize(max_points=5)"]}}
    res = uncertainty(fw, ds, spec, runs=16, keep_runs=True, seed=2, **base)
    assert_matches_naive(fw, ds, res, base)
    nominal = mi.compute(fw, ds, **base)
    np.testing.assert_array_equal(res.nominal_ranks, nominal.ranks[fw.id])


def test_screening_that_depends_on_the_choices(asem: tuple[mi.Framework, mi.Dataset]) -> None:
    if not has("screen", "coverage"):
        pytest.skip("needs the coverage screen")
    fw, ds = asem
    # without imputation the coverage screen drops units that imputation would keep: those
    # units are unranked in such runs, the others ranked among themselves
    base = {"impute": "mean", "screen": "coverage(min=0.95)"}
    res = uncertainty(
        fw, ds, {"impute": {"choices": ["none", "mean"]}}, runs=6, keep_runs=True, seed=0, **base
    )
    none_runs = (res.runs["impute"] == "none").to_numpy()
    assert none_runs.any() and (~none_runs).any()
    dropped = np.isnan(res.ranks[none_runs][0])
    assert dropped.any() and not np.isnan(res.ranks[~none_runs]).any()
    assert_matches_naive(fw, ds, res, base)


def test_same_seed_same_output_and_chunks_do_not_matter(asem: tuple[mi.Framework, mi.Dataset]) -> None:
    fw, ds = asem
    a = uncertainty(fw, ds, ASEM_SPEC, runs=40, keep_runs=True, seed=7)
    b = uncertainty(fw, ds, ASEM_SPEC, runs=40, keep_runs=True, seed=7, chunk=3)
    pd.testing.assert_frame_equal(a.to_frame(), b.to_frame())
    pd.testing.assert_frame_equal(a.runs, b.runs)
    np.testing.assert_array_equal(a.ranks, b.ranks)
    np.testing.assert_allclose(a.scores, b.scores, atol=ATOL, rtol=0)
    c = uncertainty(fw, ds, ASEM_SPEC, runs=40, keep_runs=True, seed=8)
    assert not np.array_equal(a.ranks, c.ranks)


def test_summary_statistics(asem: tuple[mi.Framework, mi.Dataset]) -> None:
    fw, ds = asem
    res = uncertainty(fw, ds, ASEM_SPEC, runs=50, keep_runs=True, seed=3)
    out = res.summary()
    assert list(out.columns) == [
        "uCode",
        "uName",
        "nominal_rank",
        "median_rank",
        "q05_rank",
        "q95_rank",
        "mean_abs_shift",
    ]
    ranks = pd.DataFrame(res.ranks)  # pandas' quantile (linear, R type 7) as the second path
    np.testing.assert_allclose(out["median_rank"], ranks.median(), atol=ATOL)
    np.testing.assert_allclose(out["q05_rank"], ranks.quantile(0.05), atol=ATOL)
    np.testing.assert_allclose(out["q95_rank"], ranks.quantile(0.95), atol=ATOL)
    shift = ranks.sub(res.nominal_ranks, axis=1).abs().mean()
    np.testing.assert_allclose(out["mean_abs_shift"], shift, atol=ATOL)
    assert (out["q05_rank"] <= out["median_rank"]).all()
    assert (out["median_rank"] <= out["q95_rank"]).all()
    table = res.to_frame()
    assert table["nominal_rank"].is_monotonic_increasing


def test_weight_noise_levels_and_bounds(asem: tuple[mi.Framework, mi.Dataset]) -> None:
    fw, ds = asem
    res = uncertainty(fw, ds, {"weights": {"noise": 0.25, "levels": [2]}}, runs=200, seed=4)
    factors = res.weight_factors
    assert factors is not None and len(factors) == 200
    level2 = [c for c in factors.columns if fw.level(c) == 2]
    others = [c for c in factors.columns if fw.level(c) != 2]
    assert len(level2) == 8
    assert ((factors[level2] >= 0.75) & (factors[level2] <= 1.25)).all().all()
    assert factors[level2].std().min() > 0.1  # uniform on ±25 %: sd 0.144
    assert (factors[others] == 1.0).all().all()


def test_dirichlet_weights(asem: tuple[mi.Framework, mi.Dataset]) -> None:
    fw, ds = asem
    spec = {"weights": {"distribution": "dirichlet", "concentration": 50, "levels": [3]}}
    res = uncertainty(fw, ds, spec, runs=400, seed=4)
    f = res.weight_factors
    assert f is not None
    # Conn and Sust have weight 1 each: shares are 0.5 × factor, a Dirichlet draw summing to 1
    shares = 0.5 * f[["Conn", "Sust"]]
    np.testing.assert_allclose(shares.sum(axis=1), 1.0, atol=1e-12)
    assert shares["Conn"].mean() == pytest.approx(0.5, abs=0.02)
    # Var = s(1 - s)/(c + 1) = 0.25 / 51
    assert shares["Conn"].var() == pytest.approx(0.25 / 51, rel=0.25)


def test_exclusion_is_leave_one_out(mini_fw: tuple[mi.Framework, mi.Dataset]) -> None:
    fw, ds = mini_fw
    res = uncertainty(fw, ds, {"exclude": "all"}, runs=40, keep_runs=True, seed=0)
    assert set(res.runs["exclude"]) == {"none", "x1", "x2", "x3"}
    assert_matches_naive(fw, ds, res, {})
    # leaving x3 out leaves group b without children: U1, U2 are then scored on a alone
    x3 = (res.runs["exclude"] == "x3").to_numpy()
    np.testing.assert_allclose(res.scores[x3][0], [50, 125 / 3, 50], atol=ATOL)


# ---------------------------------------------------------------------------------------------
# invalid combinations
# ---------------------------------------------------------------------------------------------


def test_invalid_runs_are_counted_reported_and_left_out(city: tuple[mi.Framework, mi.Dataset]) -> None:
    fw, ds = city
    spec = {
        "normalize": {"choices": ["minmax(low=1, high=100)", "zscore"]},
        "aggregate": {"choices": ["arithmetic", "geometric"]},
    }
    res = uncertainty(fw, ds, spec, runs=60, keep_runs=True, seed=1)
    bad = (res.runs["normalize"] == "zscore") & (res.runs["aggregate"] == "geometric")
    # zscore + geometric runs leave the units with a negative z-score unscored (DESIGN §5):
    # NaN in those runs, the others ranked; no run is invalid (each scores some units)
    assert res.valid.all() and bad.sum() > 0
    assert len(res.invalid) == 1
    row = res.invalid.iloc[0]
    assert row["normalize"] == "zscore" and row["aggregate"] == "geometric"
    assert row["runs"] == bad.sum()
    # the units named are exactly those with a negative z-score on some indicator, each in
    # every such run
    z = mi.compute(fw, ds, normalize="zscore").scores[[i.id for i in fw.indicators]]
    expected = set(z.index[(z < 0).any(axis=1)].astype(str))
    assert set(row["units"].split(", ")) == expected
    assert set(row["unit_runs"].values()) == {bad.sum()}
    assert res.warnings and f"{bad.sum()} of 60 runs" in res.warnings[0]
    assert f"{len(expected)} unit(s)" in res.warnings[1]
    col = np.isin(res.units.astype(str), list(expected))
    assert np.isnan(res.ranks[np.ix_(bad.to_numpy(), col)]).all()
    assert np.isfinite(res.ranks[np.ix_(bad.to_numpy(), ~col)]).all()
    assert_matches_naive(fw, ds, res, {})
    with pytest.raises(MethodError, match="invalid combination"):
        uncertainty(fw, ds, spec, runs=60, seed=1, invalid="raise")


def test_refusals_above_the_indicator_level(mini: tuple[Path, Path], tmp_path: Path) -> None:
    # arithmetic groups, geometric index: with z-scores a group score can be negative, so the
    # index refuses units run by run (the groups' scores differ per run under indicator noise)
    from tests.conftest import MINI_TOML

    text = MINI_TOML.replace('aggregate = "arithmetic"', 'aggregate = "geometric"')
    text = text.replace("weight = 2\n", 'weight = 2\naggregate = "arithmetic"\n')
    text = text.replace(
        'name = "Group B"\nweight = 1\n', 'name = "Group B"\nweight = 1\naggregate = "arithmetic"\n'
    )
    path = tmp_path / "mixed.toml"
    path.write_text(text, encoding="utf-8")
    fw = mi.load_framework(path)
    ds = mi.read_data(mini[1], fw)
    spec = {
        "weights": {"noise": 0.9, "levels": [1]},
        "normalize": {"choices": ["zscore(mean=0.75, sd=1)", "minmax(low=1, high=100)"]},
    }
    res = uncertainty(fw, ds, spec, runs=40, keep_runs=True, seed=2, normalize="minmax(low=1, high=100)")
    z = (res.runs["normalize"] != "minmax(low=1, high=100)").to_numpy()
    unscored = np.isnan(res.ranks).any(axis=1)
    assert unscored.any() and not unscored[~z].any()
    assert 0 < unscored[z].sum() < z.sum()  # depends on the run's weights
    assert_matches_naive(fw, ds, res, {"normalize": "minmax(low=1, high=100)"})


def test_nominal_with_bad_cells_scores_the_others(city: tuple[mi.Framework, mi.Dataset]) -> None:
    fw, ds = city
    res = uncertainty(fw, ds, {"weights": 0.1}, runs=5, normalize="zscore", aggregate="geometric")
    nominal = mi.compute(fw, ds, normalize="zscore", aggregate="geometric")
    np.testing.assert_array_equal(np.isnan(res.nominal_scores), np.isnan(nominal.scores[fw.id].to_numpy()))
    assert np.isnan(res.nominal_scores).any() and not np.isnan(res.nominal_scores).all()
    with pytest.raises(MethodError, match="invalid combination"):  # strict
        uncertainty(
            fw, ds, {"weights": 0.1}, runs=5, normalize="zscore", aggregate="geometric", invalid="raise"
        )


# ---------------------------------------------------------------------------------------------
# the spec
# ---------------------------------------------------------------------------------------------


def test_spec_file_and_overrides(tmp_path: Path, asem: tuple[mi.Framework, mi.Dataset]) -> None:
    fw, _ = asem
    path = tmp_path / "spec.toml"
    path.write_text(
        "[weights]\nnoise = 0.25\nlevels = [2, 3]\n"
        '[normalize]\nchoices = ["minmax(low=1, high=100)", "zscore(mean=10, sd=2)"]\n'
        '[aggregate]\nchoices = ["arithmetic", "geometric"]\n',
        encoding="utf-8",
    )
    spec = read_spec(path, fw)
    assert spec.inputs() == ["weights", "normalize", "aggregate"]
    assert spec.weights is not None and spec.weights.levels == (2, 3)
    assert spec.normalize == ("minmax(low=1, high=100)", "zscore(mean=10, sd=2)")
    spec = read_spec(
        path,
        fw,
        overrides=["weights.noise=0.1", "aggregate=arithmetic|median", "exclude=all", "impute=mean|none"],
    )
    assert spec.weights is not None and spec.weights.noise == 0.1 and spec.weights.levels == (2, 3)
    assert spec.aggregate == ("arithmetic", "median")
    assert spec.exclude == tuple(i.id for i in fw.indicators)
    assert spec.impute == ("mean", "none")
    spec = read_spec(
        None, fw, overrides=["weights=0.2", "weights.levels=1,2", 'normalize.choices=["rank", "minmax"]']
    )
    assert spec.weights is not None and spec.weights.levels == (1, 2)
    assert spec.normalize == ("rank", "minmax")


def test_spec_objects_are_validated_too(asem: tuple[mi.Framework, mi.Dataset]) -> None:
    from mfgindex.robustness import UncertaintySpec, WeightNoise

    fw, ds = asem
    spec = UncertaintySpec(weights=WeightNoise(noise=0.2), aggregate=("arithmetic", "median"))
    assert read_spec(spec, fw).to_dict() == {
        "weights": {"distribution": "uniform", "noise": 0.2},
        "aggregate": {"choices": ["arithmetic", "median"]},
    }
    assert len(uncertainty(fw, ds, spec, runs=3).runs) == 3
    with pytest.raises(SpecError, match="'Flight' is not an indicator"):
        uncertainty(fw, ds, UncertaintySpec(exclude=("Flight",)), runs=3)


def test_spec_problems_are_all_reported(tmp_path: Path, asem: tuple[mi.Framework, mi.Dataset]) -> None:
    fw, _ = asem
    path = tmp_path / "bad.toml"
    path.write_text(
        "[weigths]\nnoise = 0.2\n"
        '[normalize]\nchoices = ["minmx", "zscore(men=1)"]\n'
        '[aggregate]\nchoice = ["geometric"]\n'
        '[exclude]\nindicators = ["LPII"]\n',
        encoding="utf-8",
    )
    with pytest.raises(SpecError) as info:
        read_spec(path, fw)
    err = info.value
    text = str(err)
    assert str(path) in text
    assert "weigths: unknown table. Did you mean 'weights'?" in text
    assert "normalize.choices[0]" in text and "minmx" in text and "Did you mean 'minmax'?" in text
    assert "normalize.choices[1]" in text and "men" in text
    assert "aggregate.choice: unknown key. Did you mean 'choices'?" in text
    assert "exclude.indicators[0]: 'LPII' is not an indicator" in text and "'LPI'" in text
    assert len(err.problems) == 5


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        ({"weights": {"noise": 1.5}}, "weights.noise: must be a number in [0, 1)"),
        ({"weights": {"noise": 0.1, "levels": [4]}}, "weights.levels[0]: level 4 is the index"),
        ({"weights": {"noise": 0.1, "levels": [0]}}, "levels 1 (indicators) to 4"),
        (
            {"weights": {"noise": 0.1, "distribution": "dirichlet", "concentration": -1}},
            "weights.concentration: must be a positive number",
        ),
        ({"weights": {"noise": 0.1, "concentration": 5}}, "only used with distribution"),
        ({"aggregate": {"choices": ["none", "arithmetic"]}}, "the aggregate stage cannot be skipped"),
        ({"aggregate": {"choices": ["geometric"]}}, "one choice does not vary"),
        ({"aggregate": {"choices": ["geometric", "geometric"]}}, "listed twice"),
        ({"weights": {"noise": 0.0}}, "nothing varies"),
        ({}, "nothing varies"),
    ],
)
def test_spec_rules(doc: dict[str, Any], expected: str, asem: tuple[mi.Framework, mi.Dataset]) -> None:
    with pytest.raises(SpecError) as info:
        read_spec(doc, asem[0])
    assert expected in str(info.value)


def test_spec_file_errors(tmp_path: Path, asem: tuple[mi.Framework, mi.Dataset]) -> None:
    fw, _ = asem
    broken = tmp_path / "broken.toml"
    broken.write_text("[weights\nnoise = 0.2\n", encoding="utf-8")
    with pytest.raises(SpecError, match="TOML syntax error"):
        read_spec(broken, fw)
    with pytest.raises(SpecError, match="cannot read the spec file"):
        read_spec(tmp_path / "missing.toml", fw)
    with pytest.raises(SpecError, match="cannot read --vary"):
        read_spec(None, fw, overrides=["weights"])


def test_bad_arguments(asem: tuple[mi.Framework, mi.Dataset]) -> None:
    fw, ds = asem
    with pytest.raises(UsageError, match="runs must be a positive integer"):
        uncertainty(fw, ds, {"weights": 0.1}, runs=0)
    with pytest.raises(UsageError, match=r"unknown option 'normalise'\. Did you mean 'normalize'"):
        uncertainty(fw, ds, {"weights": 0.1}, runs=2, normalise="rank")
    with pytest.raises(UsageError, match="no unit 'CHN1'"):
        sensitivity(fw, ds, ASEM_SPEC, n=4, output="CHN1")


def test_panel_analyses_one_year(mini: tuple[Path, Path], tmp_path: Path) -> None:
    fw = mi.load_framework(mini[0])
    frame = pd.read_csv(mini[1], dtype=str)
    panel = pd.concat([frame.assign(year="2020"), frame.assign(year="2021")])
    ds = mi.Dataset.from_frame(panel, fw)
    res = uncertainty(fw, ds, {"weights": 0.2}, runs=5, seed=0)
    assert any("latest year, 2021" in w for w in res.warnings)
    assert len(res.units) == 3
    res = uncertainty(fw, ds, {"weights": 0.2}, runs=5, seed=0, year=2020)
    assert res.provenance["year"] == 2020


# ---------------------------------------------------------------------------------------------
# Sobol estimators
# ---------------------------------------------------------------------------------------------


def ishigami(x: np.ndarray, a: float = 7.0, b: float = 0.1) -> np.ndarray:
    x = -math.pi + 2 * math.pi * x  # U(0, 1) -> U(-pi, pi)
    return np.sin(x[:, 0]) + a * np.sin(x[:, 1]) ** 2 + b * x[:, 2] ** 4 * np.sin(x[:, 0])


def ishigami_analytic(a: float = 7.0, b: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    pi4, pi8 = math.pi**4, math.pi**8
    v1 = 0.5 * (1 + b * pi4 / 5) ** 2
    v2 = a**2 / 8
    v13 = b**2 * pi8 * (1 / 18 - 1 / 50)
    v = v1 + v2 + v13
    return np.array([v1, v2, 0.0]) / v, np.array([v1 + v13, v2, v13]) / v


def test_sobol_estimators_reproduce_ishigami() -> None:
    n = 2**13
    a, b = saltelli_sample(n, 3, seed=42)
    y_ab = np.column_stack([ishigami(np.where(np.arange(3) == i, b, a)) for i in range(3)])
    table = sobol_estimate(
        ishigami(a), ishigami(b), y_ab, names=["x1", "x2", "x3"], n_boot=200, confidence=0.99, seed=1
    )
    first, total = ishigami_analytic()
    # analytic: S = (0.3139, 0.4424, 0), ST = (0.5576, 0.4424, 0.2437)
    np.testing.assert_allclose(first, [0.3139, 0.4424, 0.0], atol=1e-4)
    np.testing.assert_allclose(table["first_order"], first, atol=0.02)
    np.testing.assert_allclose(table["total_order"], total, atol=0.02)
    assert (table["first_order_low"] <= table["first_order"]).all()
    assert (table["total_order"] <= table["total_order_high"]).all()
    inside = (table["total_order_low"] - 0.01 <= total) & (total <= table["total_order_high"] + 0.01)
    assert inside.all()


def test_sobol_estimators_agree_with_scipy() -> None:
    from scipy.stats import sobol_indices, uniform

    n = 2**12
    ours_a, ours_b = saltelli_sample(n, 3, seed=7)
    y_ab = np.column_stack([ishigami(np.where(np.arange(3) == i, ours_b, ours_a)) for i in range(3)])
    ours = sobol_estimate(ishigami(ours_a), ishigami(ours_b), y_ab, n_boot=0)

    def func(x: np.ndarray) -> np.ndarray:  # scipy passes (d, n)
        return ishigami(x.T)

    theirs = sobol_indices(func=func, n=n, dists=[uniform(0, 1)] * 3, rng=7)
    np.testing.assert_allclose(ours["first_order"], theirs.first_order, atol=0.03)
    np.testing.assert_allclose(ours["total_order"], theirs.total_order, atol=0.03)


def test_sobol_estimate_drops_tuples_with_nan() -> None:
    rng = np.random.default_rng(0)
    y_a, y_b = rng.random(100), rng.random(100)
    y_ab = rng.random((100, 2))
    full = sobol_estimate(y_a[:90], y_b[:90], y_ab[:90], n_boot=0)
    y_a[95] = np.nan
    y_ab[92, 1] = np.nan
    y_b[97] = np.nan
    dropped = sobol_estimate(np.r_[y_a[:90], y_a[90:]], y_b, y_ab, n_boot=0)
    # tuples 90..99 minus the three with a NaN: compare with the explicit subset
    keep = np.r_[np.arange(90), [90, 91, 93, 94, 96, 98, 99]]
    explicit = sobol_estimate(y_a[keep], y_b[keep], y_ab[keep], n_boot=0)
    pd.testing.assert_frame_equal(dropped, explicit)
    assert not full.equals(dropped)


# ---------------------------------------------------------------------------------------------
# sensitivity on an index
# ---------------------------------------------------------------------------------------------


def test_sensitivity_on_asem(asem: tuple[mi.Framework, mi.Dataset]) -> None:
    fw, ds = asem
    n = 64
    res = sensitivity(fw, ds, ASEM_SPEC, n=n, keep_runs=True, seed=3, n_boot=100)
    table = res.to_frame()
    assert list(table.columns) == [
        "input",
        "first_order",
        "first_order_low",
        "first_order_high",
        "total_order",
        "total_order_low",
        "total_order_high",
    ]
    assert list(table["input"]) == ["weights", "normalize", "aggregate"]
    assert len(res.outputs) == n * 5 and res.n_valid == n
    assert list(res.runs["matrix"].unique()) == ["A", "B", "AB:weights", "AB:normalize", "AB:aggregate"]
    # A and AB:i share every column but i; the output is COINr's mean absolute rank shift
    runs = res.runs
    a, ab = runs[runs["matrix"] == "A"], runs[runs["matrix"] == "AB:normalize"]
    np.testing.assert_array_equal(a["aggregate"].to_numpy(), ab["aggregate"].to_numpy())
    np.testing.assert_array_equal(a["weights"].to_numpy(), ab["weights"].to_numpy())
    unc = res.uncertainty
    assert len(unc.runs) == 2 * n
    y = np.nanmean(np.abs(unc.ranks - unc.nominal_ranks), axis=1)
    np.testing.assert_allclose(res.outputs[: 2 * n], y, atol=ATOL)
    # the aggregation method drives the ranks most (total order), as in the full-size run
    assert table.set_index("input")["total_order"].idxmax() == "aggregate"
    again = sensitivity(fw, ds, ASEM_SPEC, n=n, seed=3, n_boot=100)
    pd.testing.assert_frame_equal(table, again.to_frame())


def test_sensitivity_of_one_unit_and_invalid_tuples(city: tuple[mi.Framework, mi.Dataset]) -> None:
    fw, ds = city
    spec = {
        "weights": 0.3,
        "normalize": {"choices": ["minmax(low=1, high=100)", "zscore"]},
        "aggregate": {"choices": ["arithmetic", "geometric"]},
    }
    res = sensitivity(fw, ds, spec, n=32, keep_runs=True, seed=0, n_boot=50, output="320500")
    assert res.output == "rank of 320500"
    col = list(res.uncertainty.units.astype(str)).index("320500")
    np.testing.assert_array_equal(
        res.outputs[:64], np.where(res.uncertainty.valid, res.uncertainty.ranks[:, col], np.nan)
    )
    # zscore + geometric runs leave the units with a negative z-score unscored (DESIGN §5), and
    # say so; 320500 is not one of them, so every tuple has an output
    assert any("left some units unscored" in w for w in res.warnings)
    assert res.n_valid == 32 and np.isfinite(res.outputs).all()
    assert np.isfinite(res.indices["total_order"]).all()


def test_progress_and_public_names(asem: tuple[mi.Framework, mi.Dataset]) -> None:
    import mfgindex.robustness  # importing the module must not shadow mi.uncertainty

    fw, ds = asem
    calls: list[tuple[int, int]] = []
    res = mi.uncertainty(
        fw, ds, ASEM_SPEC, runs=50, seed=0, chunk=7, progress=lambda done, total: calls.append((done, total))
    )
    assert calls[-1] == (50, 50) and len(calls) >= 50 // 7
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)
    assert isinstance(res, mi.UncertaintyResult)
    assert mfgindex.robustness.uncertainty is mi.uncertainty


def test_sobol_estimates_do_not_depend_on_the_output_mean() -> None:
    """Centred estimators: adding a constant (e.g. a unit's rank ~47) changes nothing."""
    from mfgindex.robustness.estimators import _indices

    rng = np.random.default_rng(3)
    y_a, y_b = rng.normal(size=500), rng.normal(size=500)
    y_ab = rng.normal(size=(500, 3))
    base = _indices(y_a, y_b, y_ab)
    shifted = _indices(y_a + 1000.0, y_b + 1000.0, y_ab + 1000.0)
    for a, b in zip(base, shifted, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-9)


# ---------------------------------------------------------------------------------------------
# bounded memory: rank counts instead of the (runs, n) table
# ---------------------------------------------------------------------------------------------


def test_rank_statistics_from_counts_equal_the_table_exactly() -> None:
    """Random rank tables (ties, unranked units, a unit never ranked, one run): the counts give
    numpy's nanmedian / nanquantile (linear) / nanmean to the last bit."""
    from mfgindex.robustness.engine import add_rank_counts
    from mfgindex.robustness.results import rank_statistics, rank_statistics_from_counts

    rng = np.random.default_rng(0)
    for runs, n in ((1, 5), (2, 7), (37, 12), (1000, 30), (4001, 9)):
        ranks = rng.integers(1, n + 1, size=(runs, n)).astype(float)
        ranks[rng.random(ranks.shape) < 0.2] = np.nan
        ranks[:, 0] = np.nan  # never ranked
        nominal = rng.integers(1, n + 1, size=n).astype(float)
        nominal[1] = np.nan  # no nominal rank
        counts = np.zeros((n, n), dtype=np.int64)
        for part in np.array_split(np.arange(runs), 3):
            add_rank_counts(counts, ranks[part])
        got = rank_statistics_from_counts(counts, nominal)
        want = rank_statistics(ranks, nominal)
        for g, w in zip(got, want, strict=True):
            np.testing.assert_array_equal(g, w)


@pytest.mark.parametrize(
    "spec, base",
    [
        (ASEM_SPEC, {}),
        (
            {
                "weights": 0.3,
                "normalize": {"choices": ["minmax(low=1, high=100)", "zscore"]},
                "aggregate": {"choices": ["arithmetic", "geometric"]},
            },
            {},
        ),  # units unscored in runs
    ],
)
def test_summary_without_the_table_equals_the_table(
    asem: tuple[mi.Framework, mi.Dataset],
    city: tuple[mi.Framework, mi.Dataset],
    spec: dict[str, Any],
    base: dict[str, Any],
) -> None:
    fw, ds = asem if spec is ASEM_SPEC else city
    kept = uncertainty(fw, ds, spec, runs=300, seed=4, keep_runs=True, **base)
    lean = uncertainty(fw, ds, spec, runs=300, seed=4, chunk=17, **base)
    assert kept.rank_counts is not None and lean.rank_counts is not None
    np.testing.assert_array_equal(kept.rank_counts, lean.rank_counts)
    pd.testing.assert_frame_equal(lean.summary(), kept.summary())
    # and the table's own statistics (numpy on (runs, n)) are the counts' to the last bit
    from mfgindex.robustness.results import rank_statistics, rank_statistics_from_counts

    for g, w in zip(
        rank_statistics_from_counts(kept.rank_counts, kept.nominal_ranks),
        rank_statistics(kept.ranks[kept.valid], kept.nominal_ranks),
        strict=True,
    ):
        np.testing.assert_array_equal(g, w)
    with pytest.raises(UsageError, match="keep_runs=True"):
        _ = lean.ranks
    with pytest.raises(UsageError, match="keep_runs=True"):
        _ = lean.scores
    assert lean.to_frame().equals(kept.to_frame())


def test_memory_budget(asem: tuple[mi.Framework, mi.Dataset]) -> None:
    fw, ds = asem
    with pytest.raises(UsageError, match="memory budget"):
        uncertainty(fw, ds, {"weights": 0.1}, runs=20_000, keep_runs=True, max_memory=2 << 20)
    with pytest.raises(UsageError, match="max_memory"):
        uncertainty(fw, ds, {"weights": 0.1}, runs=10, max_memory=1000)
    # a small budget only makes the chunks smaller: the same numbers
    small = uncertainty(fw, ds, ASEM_SPEC, runs=60, seed=2, max_memory=1 << 20)
    default = uncertainty(fw, ds, ASEM_SPEC, runs=60, seed=2)
    pd.testing.assert_frame_equal(small.summary(), default.summary())


def test_sensitivity_outputs_without_the_table(asem: tuple[mi.Framework, mi.Dataset]) -> None:
    fw, ds = asem
    kept = sensitivity(fw, ds, ASEM_SPEC, n=16, seed=3, n_boot=20, keep_runs=True)
    lean = sensitivity(fw, ds, ASEM_SPEC, n=16, seed=3, n_boot=20)
    np.testing.assert_array_equal(lean.outputs, kept.outputs)
    pd.testing.assert_frame_equal(lean.indices, kept.indices)
    pd.testing.assert_frame_equal(lean.uncertainty.summary(), kept.uncertainty.summary())
    with pytest.raises(UsageError, match="keep_runs=True"):
        _ = lean.ranks
    assert kept.ranks.shape == (16 * 5, len(kept.uncertainty.units))
