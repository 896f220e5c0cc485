"""Invariants of the pipeline, proven on random data with hypothesis.

* scores stay within the framework's scale (minmax);
* permuting the units changes nothing;
* rescaling an indicator (a positive factor: a change of unit) changes nothing under
  minmax, zscore and rank normalisation;
* multiplying sibling weights by a constant changes nothing;
* improving a higher-is-better indicator (or lowering a lower-is-better one) never lowers that
  unit's score under arithmetic or geometric aggregation;
* one seed gives one result (Monte Carlo uncertainty analysis).

The framework is the two-level tree of ``tests/conftest.py``'s mini framework with four
indicators (one lower-is-better): index ← groups a (x1, x2), b (x3, x4).
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import mfgindex as mi
from mfgindex.framework import Framework, build_framework

# PROP_EXAMPLES=1000 for a deeper run; 50 keeps the suite fast.
PROPS = settings(
    max_examples=int(os.environ.get("PROP_EXAMPLES", "50")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
IDS = ("x1", "x2", "x3", "x4")
DIRECTIONS = (1, -1, 1, 1)
RTOL = 1e-9


def framework(
    weights: tuple[float, float, float, float, float, float] = (2, 1, 1, 1, 1, 3),
    scale: tuple[float, float] = (0, 100),
) -> Framework:
    """Index 'idx' ← a (x1, x2), b (x3, x4); ``weights`` = (a, b, x1, x2, x3, x4)."""
    wa, wb, *wi = weights
    doc: dict[str, Any] = {
        "framework": {"id": "idx", "unit_column": "code", "scale": list(scale)},
        "defaults": {"min_coverage": 0.0},
        "group": [{"id": "a", "parent": "idx", "weight": wa}, {"id": "b", "parent": "idx", "weight": wb}],
        "indicator": [
            {"id": i, "parent": p, "direction": d, "weight": w}
            for i, p, d, w in zip(IDS, "aabb", DIRECTIONS, wi, strict=True)
        ],
    }
    return build_framework(doc)


FW = framework()

# Values: positive, within a range where sums and products stay well away from overflow, with
# some cells missing.
VALUE = st.one_of(st.floats(0.01, 1e6, allow_nan=False), st.just(np.nan))


@st.composite
def table(draw: st.DrawFn, min_units: int = 3, max_units: int = 12, missing: bool = True) -> np.ndarray:
    """``(n, 4)`` positive values, some missing; every indicator varies.

    Two units of each column get two distinct values by construction: a constant indicator is
    left out by minmax (a documented policy, tested elsewhere) and would blur the properties.
    """
    n = draw(st.integers(min_units, max_units))
    elements = VALUE if missing else st.floats(0.01, 1e6, allow_nan=False)
    x = draw(arrays(np.float64, (n, len(IDS)), elements=elements))
    for j in range(len(IDS)):
        first, second = draw(st.lists(st.integers(0, n - 1), min_size=2, max_size=2, unique=True))
        low = draw(st.floats(0.01, 1e5))
        x[first, j] = low
        x[second, j] = low * draw(st.floats(1.01, 10.0))
    return x


def dataset(x: np.ndarray, fw: Framework = FW, units: list[str] | None = None) -> mi.Dataset:
    units = units or [f"U{i}" for i in range(len(x))]
    frame = pd.DataFrame(x, columns=list(IDS)).astype(object)
    frame.insert(0, "code", units)
    return mi.Dataset.from_frame(frame, fw)


def scores(x: np.ndarray, fw: Framework = FW, **options: Any) -> pd.DataFrame:
    return mi.compute(fw, dataset(x, fw), **options).scores


def same(a: pd.DataFrame | np.ndarray, b: pd.DataFrame | np.ndarray) -> None:
    np.testing.assert_allclose(np.asarray(a, float), np.asarray(b, float), rtol=RTOL, atol=1e-9)


# -- bounds ------------------------------------------------------------------------------------


@PROPS
@given(
    table(),
    st.sampled_from(["arithmetic", "geometric", "harmonic", "median", "genmean(p=2)", "genmean(p=-1)"]),
    st.sampled_from([(0.0, 100.0), (1.0, 100.0), (0.0, 1.0), (-5.0, 5.0)]),
)
def test_scores_stay_within_the_scale(x: np.ndarray, aggregate: str, scale: tuple[float, float]) -> None:
    low, high = scale
    # Only the arithmetic mean and the median take any sign; the others need positive values.
    if aggregate not in {"arithmetic", "median"} and low <= 0:
        low = 1.0 if high > 1 else 0.01
    fw = framework(scale=(low, high))
    got = scores(x, fw, normalize=f"minmax(low={low}, high={high})", aggregate=aggregate)
    finite = got.to_numpy()[np.isfinite(got.to_numpy())]
    slack = 1e-9 * (high - low)
    assert finite.size and finite.min() >= low - slack and finite.max() <= high + slack


# -- permutation -------------------------------------------------------------------------------


@PROPS
@given(
    table(),
    st.randoms(use_true_random=False),
    st.sampled_from(["minmax", "zscore", "rank", "percentile"]),
    st.sampled_from(["arithmetic", "median", "copeland"]),
)
def test_permuting_units_changes_nothing(x: np.ndarray, rnd: Any, normalize: str, aggregate: str) -> None:
    units = [f"U{i}" for i in range(len(x))]
    order = list(range(len(x)))
    rnd.shuffle(order)
    base = mi.compute(FW, dataset(x, FW, units), normalize=normalize, aggregate=aggregate)
    perm = mi.compute(
        FW, dataset(x[order], FW, [units[i] for i in order]), normalize=normalize, aggregate=aggregate
    )
    same(perm.scores.loc[units], base.scores.loc[units])
    # Ranks are compared on scores rounded to 9 decimals: two mathematically equal scores can
    # differ in the last bit when the units come in another order (sums are taken in another
    # order), and ranking then breaks their tie. Genuinely different scores rank the same.
    from mfgindex.pipeline import rank_desc

    def ranks(res: mi.Result) -> np.ndarray:
        return rank_desc(np.round(res.scores.loc[units].to_numpy(), 9))

    same(ranks(perm), ranks(base))


# -- change of unit ----------------------------------------------------------------------------


@PROPS
@given(
    table(),
    st.sampled_from(range(len(IDS))),
    st.floats(1e-3, 1e3),
    st.sampled_from(["minmax", "zscore", "rank", "minmax(low=1, high=100)"]),
    st.sampled_from(["arithmetic", "geometric"]),
)
def test_rescaling_an_indicator_changes_nothing(
    x: np.ndarray, j: int, factor: float, normalize: str, aggregate: str
) -> None:
    if aggregate == "geometric" and normalize != "minmax(low=1, high=100)":
        normalize = "minmax(low=1, high=100)"  # the geometric mean needs positive values
    y = x.copy()
    y[:, j] *= factor
    same(
        scores(y, normalize=normalize, aggregate=aggregate),
        scores(x, normalize=normalize, aggregate=aggregate),
    )


# -- weights -----------------------------------------------------------------------------------


@PROPS
@given(
    table(),
    st.sampled_from(["idx", "a", "b"]),
    st.floats(1e-3, 1e3),
    st.sampled_from(["arithmetic", "geometric", "harmonic", "median", "genmean(p=3)"]),
)
def test_scaling_sibling_weights_changes_nothing(
    x: np.ndarray, parent: str, factor: float, aggregate: str
) -> None:
    base = [2.0, 1.0, 1.0, 1.0, 1.0, 3.0]
    children = {"idx": (0, 1), "a": (2, 3), "b": (4, 5)}[parent]
    scaled = list(base)
    for k in children:
        scaled[k] *= factor
    options = {"normalize": "minmax(low=1, high=100)", "aggregate": aggregate}
    same(
        scores(x, framework(tuple(scaled)), **options),  # type: ignore[arg-type]
        scores(x, framework(tuple(base)), **options),
    )  # type: ignore[arg-type]


# -- monotonicity ------------------------------------------------------------------------------


@PROPS
@given(
    table(missing=False),
    st.data(),
    st.sampled_from(["arithmetic", "geometric"]),
    st.sampled_from(["minmax(low=1, high=100)", "zscore(mean=100, sd=10)", "rank"]),
)
def test_improving_an_indicator_never_lowers_the_score(
    x: np.ndarray, data: st.DataObject, aggregate: str, normalize: str
) -> None:
    i = data.draw(st.integers(0, len(x) - 1), label="unit")
    j = data.draw(st.integers(0, len(IDS) - 1), label="indicator")
    step = data.draw(st.floats(0.01, 1e6), label="improvement")
    better = x.copy()
    # Improving: up for a higher-is-better indicator, down (staying positive) for x2.
    better[i, j] = x[i, j] + step if DIRECTIONS[j] > 0 else x[i, j] * 0.5
    before = scores(x, normalize=normalize, aggregate=aggregate)
    after = scores(better, normalize=normalize, aggregate=aggregate)
    unit = f"U{i}"
    for node in ("a" if j < 2 else "b", "idx"):
        old, new = before.loc[unit, node], after.loc[unit, node]
        if np.isnan(old):
            continue  # e.g. zscore pushed a value below zero under the geometric mean: NaN
        assert new >= old - 1e-9 * max(1.0, abs(old)), (node, old, new)


# -- reproducibility ---------------------------------------------------------------------------


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(table(missing=False), st.integers(0, 2**32 - 1))
def test_one_seed_gives_one_result(x: np.ndarray, seed: int) -> None:
    from mfgindex.robustness import uncertainty

    ds = dataset(x)
    vary = {
        "weights": {"noise": 0.3},
        "normalize": {"choices": ["minmax(low=1, high=100)", "zscore(mean=100, sd=10)"]},
        "aggregate": {"choices": ["arithmetic", "geometric"]},
    }
    first = uncertainty(FW, ds, vary, runs=40, seed=seed, keep_runs=True)
    again = uncertainty(FW, ds, vary, runs=40, seed=seed, keep_runs=True)
    np.testing.assert_array_equal(first.scores, again.scores)
    np.testing.assert_array_equal(first.ranks, again.ranks)
    pd.testing.assert_frame_equal(first.runs, again.runs)
