"""Aggregation methods on hand-computed arrays, NaN handling, the (r, k) weight batch, and golden
tests against COINr 1.1.14 on its ASEM example."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from mfgindex.errors import MethodError
from mfgindex.methods import aggregate as A
from mfgindex.methods import normalize as N
from mfgindex.methods.base import ColumnContext, FloatArray

nan = np.nan
GOLDEN = Path(__file__).resolve().parent.parent / "golden" / "asem"


def row(*values: float) -> FloatArray:
    return np.asarray([values], dtype=float)


# --------------------------------------------------------------------------- means


def test_arithmetic() -> None:
    # (1*1 + 2*1 + 3*2) / 4 = 2.25
    assert A.arithmetic(row(1, 2, 3), np.array([1.0, 1, 2]))[0] == pytest.approx(2.25)


def test_arithmetic_drops_missing_and_renormalises() -> None:
    x = np.array([[1, nan, 3], [nan, nan, nan], [4, 5, nan]])
    # (1*1 + 3*2) / 3 = 7/3; all missing -> NaN; (4 + 5) / 2
    np.testing.assert_allclose(A.arithmetic(x, np.array([1.0, 1, 2])), [7 / 3, nan, 4.5])


def test_zero_weight_children_only_is_nan() -> None:
    x = np.array([[nan, 5.0]])
    assert np.isnan(A.arithmetic(x, np.array([1.0, 0.0]))[0])


def test_geometric() -> None:
    # (1 * 4) ^ (1/2) = 2; (2^1 * 8^2) ^ (1/3) = 128^(1/3)
    np.testing.assert_allclose(A.geometric(row(1, 4), np.array([1.0, 1])), [2])
    np.testing.assert_allclose(A.geometric(row(2, 8), np.array([1.0, 2])), [128 ** (1 / 3)])
    np.testing.assert_allclose(A.geometric(row(2, nan, 8), np.array([1.0, 5, 2])), [128 ** (1 / 3)])


def test_geometric_rejects_negative_with_hint() -> None:
    with pytest.raises(MethodError, match=r"1 value\(s\) are negative") as exc:
        A.geometric(np.array([[1.0, -1.0], [nan, 2.0]]), np.array([1.0, 1]))
    assert "minmax(low=1, high=100)" in str(exc.value)


@pytest.mark.parametrize("mean", [A.geometric, A.harmonic, lambda x, w: A.genmean(x, w, p=-2)])
def test_a_zero_child_gives_the_limit_zero(mean) -> None:  # type: ignore[no-untyped-def]
    x = np.array([[1.0, 0.0], [4.0, 4.0], [0.0, nan]])
    np.testing.assert_allclose(mean(x, np.array([1.0, 1])), [0, 4, 0])
    # a zero of weight 0 does not count; a batch of weights scores each row alone
    np.testing.assert_allclose(mean(x[:1], np.array([1.0, 0])), [1])
    w = np.array([[1.0, 0], [1.0, 1]])
    np.testing.assert_allclose(mean(x, w), [[1, 4, 0], [0, 4, 0]])


def test_harmonic() -> None:
    # 2 / (1/1 + 1/4) = 1.6; (1 + 3) / (1/2 + 3/6) = 4
    np.testing.assert_allclose(A.harmonic(row(1, 4), np.array([1.0, 1])), [1.6])
    np.testing.assert_allclose(A.harmonic(row(2, 6, nan), np.array([1.0, 3, 9])), [4])
    with pytest.raises(MethodError, match="positive"):
        A.harmonic(row(-1, 2), np.array([1.0, 1]))


def test_genmean() -> None:
    w = np.array([1.0, 1])
    # p = 2: sqrt((1 + 49) / 2) = 5
    np.testing.assert_allclose(A.genmean(row(1, 7), w, p=2), [5])
    # COINr's a_genmean returns NA here (a missing child); we drop it as the other means do
    np.testing.assert_allclose(A.genmean(row(1, nan, 7), np.array([1.0, 1, 1]), p=2), [5])


def test_genmean_special_orders() -> None:
    rng = np.random.default_rng(1)
    x = rng.uniform(1, 100, (20, 5))
    x[rng.random(x.shape) < 0.2] = nan
    w = rng.uniform(0.1, 2, 5)
    np.testing.assert_allclose(A.genmean(x, w, p=1), A.arithmetic(x, w))
    np.testing.assert_allclose(A.genmean(x, w, p=0), A.geometric(x, w))
    np.testing.assert_allclose(A.genmean(x, w, p=-1), A.harmonic(x, w))
    # p -> 0 approaches the geometric mean
    np.testing.assert_allclose(A.genmean(x, w, p=1e-7), A.geometric(x, w), rtol=1e-5)


def test_genmean_domain() -> None:
    w = np.array([1.0, 1])
    np.testing.assert_allclose(A.genmean(row(0, 2), w, p=2), [np.sqrt(2)])
    with pytest.raises(MethodError, match="non-negative"):
        A.genmean(row(-1, 2), w, p=2)
    np.testing.assert_allclose(A.genmean(row(0, 2), w, p=-1), [0])  # the limit


# --------------------------------------------------------------------------- median


def test_median_equal_weights_is_ordinary_median() -> None:
    np.testing.assert_allclose(A.median(row(3, 1, 2), np.ones(3)), [2])
    np.testing.assert_allclose(A.median(row(4, 1, 3, 2), np.ones(4)), [2.5])
    np.testing.assert_allclose(A.median(row(1, nan, 3, 10), np.ones(4)), [3])


def test_median_weighted() -> None:
    # weights 3,1,1 (0.6, 0.2, 0.2): the first value already holds half -> 1
    np.testing.assert_allclose(A.median(row(1, 2, 3), np.array([3.0, 1, 1])), [1])
    # weights 1,1,2: cumulative 0.25, 0.5 exactly at 2 -> mean of 2 and 3
    np.testing.assert_allclose(A.median(row(1, 2, 3), np.array([1.0, 1, 2])), [2.5])
    # 0.1 + 0.2 against 0.3: an exact half despite rounding
    np.testing.assert_allclose(A.median(row(1, 2, 3), np.array([0.1, 0.2, 0.3])), [2.5])
    # weight-0 children are ignored
    np.testing.assert_allclose(A.median(row(1, 100, 3), np.array([1.0, 0, 1])), [2])
    assert np.isnan(A.median(row(nan, nan), np.ones(2))[0])


def test_median_matches_numpy_with_equal_weights() -> None:
    rng = np.random.default_rng(2)
    x = rng.normal(size=(50, 7))
    x[rng.random(x.shape) < 0.3] = nan
    x[0] = nan
    with np.errstate(all="ignore"), pytest.warns(RuntimeWarning):
        expected = np.nanmedian(x, axis=1)
    np.testing.assert_allclose(A.median(x, np.full(7, 2.0)), expected)


# --------------------------------------------------------------------------- copeland


def test_copeland() -> None:
    x = np.array([[3.0, 3.0], [2.0, 1.0], [1.0, 2.0]])
    # A beats B and C; B vs C: one child each -> e = 1/2, a draw
    np.testing.assert_array_equal(A.copeland(x, np.array([1.0, 1])), [2, -1, -1])
    # weight 2 on the first child: B beats C (e_BC = 2/3)
    np.testing.assert_array_equal(A.copeland(x, np.array([2.0, 1])), [2, 0, -2])


def test_copeland_identical_units_draw_whatever_the_weights() -> None:
    x = np.array([[0.0, 2.0, 2.0, 3.0], [0.0, 2.0, 2.0, 3.0], [1.0, 1.0, 1.0, 1.0]])
    out = A.copeland(x, np.array([3.0, 1, 1, 1]))
    assert out[0] == out[1]


def test_copeland_ties_and_missing() -> None:
    x = np.array([[1.0, 5.0], [1.0, nan], [0.0, nan], [nan, nan]])
    # pairs judged on children both have: A=B on child 0 (draw); A>C, B>C; D not compared
    np.testing.assert_array_equal(A.copeland(x, np.array([1.0, 1])), [1, 1, -2, nan])


def _copeland_by_definition(x: FloatArray, w: FloatArray) -> FloatArray:
    """COINr's documented a_copeland on complete data, pair by pair: weights normalised to
    sum 1; e_ab = weight where a > b plus half the weight where a == b; score = number of
    e_ab > 1/2 minus number of e_ab < 1/2. Exact halves are compared with a 1e-12 allowance:
    COINr compares exactly, so e.g. two identical units under weights (3, 1, 1, 1) get
    e = 0.49999999999999994 and 1 - e, and one "beats" the other by rounding."""
    n = x.shape[0]
    w = w / w.sum()
    scores = np.zeros(n)
    for a in range(n):
        for b in range(n):
            if a != b:
                e = w[x[a] > x[b]].sum() + w[x[a] == x[b]].sum() / 2
                scores[a] += 0 if abs(e - 0.5) <= 1e-12 else 1 if e > 0.5 else -1
    return scores


def test_copeland_matches_coinr_definition_on_complete_data() -> None:
    rng = np.random.default_rng(4)
    x = rng.integers(0, 5, (25, 4)).astype(float)  # many ties
    for w in (np.ones(4), np.array([1.0, 2, 3, 4]), np.array([3.0, 1, 1, 1])):
        np.testing.assert_array_equal(A.copeland(x, w), _copeland_by_definition(x, w))


# --------------------------------------------------------------------------- coverage


def test_coverage() -> None:
    x = np.array([[1, nan, 3], [nan, nan, nan], [1, 2, 3]])
    np.testing.assert_allclose(A.coverage(x, np.array([1.0, 1, 2])), [0.75, 0, 1])
    w = np.array([[1.0, 1, 2], [0, 1, 0]])
    np.testing.assert_allclose(A.coverage(x, w), [[0.75, 0, 1], [0, 0, 1]])


# --------------------------------------------------------------------------- batch and errors

AGGREGATORS: dict[str, Callable[..., FloatArray]] = {
    "arithmetic": A.arithmetic,
    "geometric": A.geometric,
    "harmonic": A.harmonic,
    "genmean": A.genmean,
    "genmean_p-2": lambda x, w: A.genmean(x, w, p=-2.0),
    "median": A.median,
    "copeland": A.copeland,
    "coverage": A.coverage,
}


@pytest.mark.parametrize("name", sorted(AGGREGATORS))
def test_batch_equals_loop(name: str) -> None:
    f = AGGREGATORS[name]
    rng = np.random.default_rng(3)
    x = rng.uniform(1, 100, (30, 6)).round(0)  # rounding makes ties, for median and copeland
    x[rng.random(x.shape) < 0.25] = nan
    x[4] = nan
    w = rng.uniform(0, 3, (9, 6))
    w[2, :3] = 0.0
    batch = f(x, w)
    assert batch.shape == (9, 30)
    loop = np.stack([f(x, w[i]) for i in range(w.shape[0])])
    np.testing.assert_allclose(batch, loop, rtol=1e-12, atol=1e-12)


def test_weight_errors() -> None:
    x = np.ones((2, 3))
    with pytest.raises(MethodError, match="do not fit 3 children"):
        A.arithmetic(x, np.ones(2))
    with pytest.raises(MethodError, match="non-negative"):
        A.arithmetic(x, np.array([1.0, -1, 1]))
    with pytest.raises(MethodError, match="2-D"):
        A.arithmetic(np.ones(3), np.ones(3))


# --------------------------------------------------------------------------- properties

value_rows = arrays(
    np.float64,
    st.tuples(st.integers(1, 8), st.integers(1, 5)),
    elements=st.floats(0.5, 1e4, allow_nan=False) | st.just(nan),
)


@settings(max_examples=80, deadline=None)
@given(value_rows, st.data())
def test_means_lie_between_min_and_max(x: FloatArray, data: st.DataObject) -> None:
    k = x.shape[1]
    w = np.asarray(data.draw(st.lists(st.floats(0.01, 10), min_size=k, max_size=k)))
    lo, hi = (
        np.nanmin(np.where(np.isnan(x), np.inf, x), axis=1),
        np.nanmax(np.where(np.isnan(x), -np.inf, x), axis=1),
    )
    for f in (A.arithmetic, A.geometric, A.harmonic, A.median, A.genmean):
        y = f(x, w)
        empty = np.isnan(x).all(axis=1)
        assert np.isnan(y[empty]).all()
        assert (y[~empty] >= lo[~empty] * (1 - 1e-12)).all()
        assert (y[~empty] <= hi[~empty] * (1 + 1e-12)).all()


@settings(max_examples=60, deadline=None)
@given(value_rows, st.data())
def test_child_order_does_not_matter(x: FloatArray, data: st.DataObject) -> None:
    k = x.shape[1]
    w = np.asarray(data.draw(st.lists(st.floats(0.01, 10), min_size=k, max_size=k)))
    perm = np.asarray(data.draw(st.permutations(range(k))))
    for f in (A.arithmetic, A.geometric, A.harmonic, A.median, A.copeland):
        np.testing.assert_allclose(f(x, w), f(x[:, perm], w[perm]), rtol=1e-10)


# --------------------------------------------------------------------------- golden: COINr


def _asem_tree_scores(
    normalise: Callable[[FloatArray, ColumnContext], N.Fit],
    aggregate: Callable[[FloatArray, FloatArray], FloatArray],
) -> pd.DataFrame:
    data = pd.read_csv(GOLDEN / "example_dset_Treated.csv").set_index("uCode")
    meta = pd.read_csv(GOLDEN / "ASEM_iMeta.csv")
    ind = meta[meta["Type"] == "Indicator"].set_index("iCode")
    direction = ind.loc[data.columns, "Direction"].to_numpy(dtype=float)
    x = data.to_numpy(dtype=float) * direction
    ctx = ColumnContext(
        direction=direction,
        target=np.full(x.shape[1], nan),
        orient=lambda v: v * direction,
        ids=tuple(data.columns),
    )
    scores = pd.DataFrame(normalise(x, ctx).apply(x), index=data.index, columns=data.columns)
    for level in sorted(meta["Level"].dropna().unique())[1:]:
        children = meta[meta["Level"] == level - 1]
        for parent, group in children.groupby("Parent", sort=False):
            values = scores[list(group["iCode"])].to_numpy(dtype=float)
            scores[parent] = aggregate(values, group["Weight"].to_numpy(dtype=float))
    return scores


def _compare(ours: pd.DataFrame, fixture: str) -> None:
    ref = pd.read_csv(GOLDEN / fixture).set_index("uCode").loc[ours.index]
    cols = [c for c in ours.columns if c in ref.columns]
    assert len(cols) == 49 + 8 + 2 + 1
    np.testing.assert_allclose(
        ours[cols].to_numpy(dtype=float), ref[cols].to_numpy(dtype=float), rtol=0, atol=1e-9
    )


def test_golden_rank_arithmetic() -> None:
    """COINr 1.1.14: Treated ASEM data -> ``n_rank`` -> ``a_amean`` at every level.

    SOURCE: tests/golden/asem/norm_rank_amean_scores.csv (see SOURCE.md there); tree, weights
    and directions from tests/golden/asem/ASEM_iMeta.csv. Tolerance: 1e-9 absolute.
    """
    _compare(_asem_tree_scores(N.rank, A.arithmetic), "norm_rank_amean_scores.csv")


def test_golden_minmax_1_100_geometric() -> None:
    """COINr 1.1.14: Treated ASEM data -> ``n_minmax(l_u = c(1, 100))`` -> ``a_gmean``.

    SOURCE: tests/golden/asem/agg_gmean_minmax1to100_scores.csv (see SOURCE.md there); tree,
    weights and directions from tests/golden/asem/ASEM_iMeta.csv. Tolerance: 1e-9 absolute.
    """

    def normalise(x: FloatArray, ctx: ColumnContext) -> N.Fit:
        return N.minmax(x, ctx, low=1, high=100)

    _compare(_asem_tree_scores(normalise, A.geometric), "agg_gmean_minmax1to100_scores.csv")


@pytest.mark.parametrize("name", ["arithmetic", "geometric", "harmonic", "genmean"])
def test_a_units_score_does_not_depend_on_the_other_units(name: str) -> None:
    """Bit for bit, a unit scores the same in the whole table, in a part of it (a Dask
    partition, a year, a subset) and in a batch of weights: the weighted sums add the children
    in order, where a BLAS product's blocking by the number of rows moved the last bit (one
    unit in 200,000 changed; two units tying to the last bit could swap ranks). Reference:
    the same sums written out one unit at a time."""
    from mfgindex.methods.aggregate import weighted_sums
    from mfgindex.methods.registry import get

    rng = np.random.default_rng(11)
    x = rng.lognormal(0.0, 1.0, (70_000, 9))
    x[rng.random(x.shape) < 0.05] = np.nan
    w = rng.random(9) + 0.1
    run = get("aggregate", name).func
    whole = run(x, w)
    for rows in (slice(0, 1), slice(5, 12), slice(1_000, 9_000), slice(3, 70_000)):
        part = run(x[rows], w)
        assert part.tobytes() == whole[rows].tobytes(), rows
    batch = run(x[:500], np.vstack([w, w[::-1]]))
    assert batch[0].tobytes() == whole[:500].tobytes()
    filled = np.where(np.isnan(x[:50]), 0.0, x[:50])
    by_hand = [sum(w[i] * row[i] for i in range(9)) for row in filled.tolist()]
    sums = weighted_sums(w[None, :], filled)[0]
    assert sums.tolist() == [float(v) for v in by_hand]
