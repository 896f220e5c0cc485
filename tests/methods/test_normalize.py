"""Normalisation methods on hand-computed arrays, their degenerate-input policies, and golden
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
from mfgindex.methods import normalize as N
from mfgindex.methods.base import ColumnContext, FloatArray

nan = np.nan
GOLDEN = Path(__file__).resolve().parent.parent / "golden" / "asem"


def make_ctx(
    m: int,
    direction: list[float] | None = None,
    target: list[float] | None = None,
    transform: Callable[[FloatArray], FloatArray] | None = None,
) -> ColumnContext:
    d = np.ones(m) if direction is None else np.asarray(direction, dtype=float)
    t = np.full(m, nan) if target is None else np.asarray(target, dtype=float)
    f = transform or (lambda v: v)
    return ColumnContext(
        direction=d, target=t, orient=lambda v: f(v) * d, ids=tuple(f"i{j}" for j in range(m))
    )


def col(*values: float) -> FloatArray:
    return np.asarray(values, dtype=float)[:, None]


def run(method: Callable[..., N.Fit], x: FloatArray, ctx: ColumnContext | None = None, **kw):
    ctx = ctx or make_ctx(x.shape[1])
    return method(x, ctx, **kw).apply(x)


# --------------------------------------------------------------------------- minmax


def test_minmax_hand_computed() -> None:
    # min 1, max 4: (x - 1) / 3 * 100
    out = run(N.minmax, col(1, 2, 4))
    np.testing.assert_allclose(out[:, 0], [0, 100 / 3, 100])


def test_minmax_low_high() -> None:
    # (2 - 1) / 3 * (100 - 1) + 1 = 34
    out = run(N.minmax, col(1, 2, 4), low=1, high=100)
    np.testing.assert_allclose(out[:, 0], [1, 34, 100])


def test_minmax_nan_ignored_in_fit_kept_in_apply() -> None:
    fit = N.minmax(col(1, nan, 2, 4), make_ctx(1))
    np.testing.assert_allclose(fit.fitted["min"], [1])
    np.testing.assert_allclose(fit.fitted["max"], [4])
    out = fit.apply(col(1, nan, 2, 4))
    np.testing.assert_allclose(out[:, 0], [0, nan, 100 / 3, 100])


def test_minmax_apply_outside_fitted_range_is_not_clipped() -> None:
    fit = N.minmax(col(1, 4), make_ctx(1))
    # (0 - 1) / 3 * 100 = -33.3; (5 - 1) / 3 * 100 = 133.3
    np.testing.assert_allclose(fit.apply(col(0, 5))[:, 0], [-100 / 3, 400 / 3])


@pytest.mark.filterwarnings("error")
def test_minmax_constant_and_empty_columns_are_nan() -> None:
    x = np.array([[5.0, nan, 1.0], [5.0, nan, 3.0], [nan, nan, 2.0]])
    out = run(N.minmax, x)
    assert np.isnan(out[:, :2]).all()  # COINr: 0/0 = NaN for the whole column
    np.testing.assert_allclose(out[:, 2], [0, 100, 50])


def test_minmax_rejects_reversed_interval() -> None:
    with pytest.raises(MethodError, match="greater than"):
        N.minmax(col(1, 2), make_ctx(1), low=100, high=0)


def test_minmax_apply_checks_columns() -> None:
    fit = N.minmax(np.ones((2, 2)) * [[1], [2]], make_ctx(2))
    with pytest.raises(MethodError, match="fitted on 2"):
        fit.apply(np.ones((2, 3)))


# --------------------------------------------------------------------------- zscore


def test_zscore_hand_computed() -> None:
    # mean 2, sample sd 1
    np.testing.assert_allclose(run(N.zscore, col(1, 2, 3))[:, 0], [-1, 0, 1])
    # [1, 2, 4]: mean 7/3, sample variance ((4/3)^2 + (1/3)^2 + (5/3)^2) / 2 = 7/3
    sd = np.sqrt(7 / 3)
    expected = (np.array([1, 2, 4]) - 7 / 3) / sd * 2 + 10
    np.testing.assert_allclose(run(N.zscore, col(1, 2, 4), mean=10, sd=2)[:, 0], expected)


def test_zscore_nan() -> None:
    out = run(N.zscore, col(1, nan, 3))
    np.testing.assert_allclose(out[:, 0], [-1 / np.sqrt(2), nan, 1 / np.sqrt(2)])


@pytest.mark.filterwarnings("error")
def test_zscore_degenerate_columns_are_nan() -> None:
    # constant (0.1 three times: a naive mean leaves a rounding residue), one value, no value
    x = np.array([[0.1, 7.0, nan], [0.1, nan, nan], [0.1, nan, nan]])
    assert np.isnan(run(N.zscore, x)).all()


def test_zscore_rejects_nonpositive_sd() -> None:
    with pytest.raises(MethodError, match="positive"):
        N.zscore(col(1, 2), make_ctx(1), sd=0)


# --------------------------------------------------------------------------- rank-based


def test_rank_percentile_borda() -> None:
    x = col(3, 1, 3, nan, 2)
    # ranks ascending, ties share the lowest (R rank(ties.method = "min", na.last = "keep"))
    np.testing.assert_array_equal(run(N.rank, x)[:, 0], [3, 1, 3, nan, 2])
    # (rank - 1) / (N - 1), N = 4 non-missing
    np.testing.assert_allclose(run(N.percentile, x)[:, 0], [2 / 3, 0, 2 / 3, nan, 1 / 3])
    np.testing.assert_allclose(run(N.percentile, x, scale=100)[:, 0], [200 / 3, 0, 200 / 3, nan, 100 / 3])
    np.testing.assert_array_equal(run(N.borda, x)[:, 0], [2, 0, 2, nan, 1])


def test_rank_methods_are_not_fitted() -> None:
    fit = N.rank(col(100, 200, 300), make_ctx(1))
    assert dict(fit.fitted) == {}
    # ranks the data it is given, whatever it was fitted on
    np.testing.assert_array_equal(fit.apply(col(5, 4))[:, 0], [2, 1])


@pytest.mark.filterwarnings("error")
def test_rank_methods_degenerate() -> None:
    x = np.array([[4.0, 2.0], [4.0, nan]])
    np.testing.assert_array_equal(run(N.rank, x), [[1, 1], [1, nan]])
    # constant column: all 0; a single value: 0/0 = NaN (COINr)
    np.testing.assert_array_equal(run(N.percentile, x), [[0, nan], [0, nan]])
    np.testing.assert_array_equal(run(N.borda, x), [[0, 0], [0, nan]])


# --------------------------------------------------------------------------- goalposts


def test_goalposts_direction_plus() -> None:
    x = col(-5, 0, 2.5, 10, 20)
    np.testing.assert_allclose(run(N.goalposts, x, low=0, high=10)[:, 0], [0, 0, 25, 100, 100])
    np.testing.assert_allclose(
        run(N.goalposts, x, low=0, high=10, clip=False, scale=1)[:, 0], [-0.5, 0, 0.25, 1, 2]
    )


def test_goalposts_direction_minus_swaps_oriented_bounds() -> None:
    raw = np.array([0, 2.5, 10, 12.0])
    ctx = make_ctx(1, direction=[-1])
    x = (raw * -1)[:, None]  # the pipeline hands oriented data
    # oriented bounds -0 and -10 -> L = -10, U = 0: y = (10 - raw) / 10 * 100, clipped
    out = N.goalposts(x, ctx, low=0, high=10).apply(x)
    np.testing.assert_allclose(out[:, 0], [100, 75, 0, 0])


def test_goalposts_pass_through_the_transform() -> None:
    ctx = make_ctx(1, transform=np.log)
    raw = np.array([1, np.e, np.e**2])
    x = np.log(raw)[:, None]
    out = N.goalposts(x, ctx, low=1, high=np.e**2).apply(x)  # ln 1 = 0 ... ln e^2 = 2
    np.testing.assert_allclose(out[:, 0], [0, 50, 100])
    with pytest.raises(MethodError, match="not finite"):
        N.goalposts(x, ctx, low=0, high=10)


def test_goalposts_a_bound_the_transform_refuses_is_named_as_a_bound() -> None:
    """In the pipeline a log transform raises on 0 rather than returning -inf: the message says
    that a goalpost, not the data, is outside the transform's domain."""
    from mfgindex.methods.registry import resolve

    ctx = make_ctx(1, transform=resolve("transform", "log"))
    x = np.log(np.array([[1.0], [2.0]]))
    with pytest.raises(MethodError, match="the bounds go through the indicator's transform too"):
        N.goalposts(x, ctx, low=0, high=10)


def test_goalposts_per_indicator_bounds_and_errors() -> None:
    x = np.array([[1.0, 10.0], [3.0, 30.0]])
    out = run(N.goalposts, x, low=[0, 0], high=[4, 40])
    np.testing.assert_allclose(out, [[25, 25], [75, 75]])
    with pytest.raises(MethodError, match="needs both"):
        N.goalposts(x, make_ctx(2), low=0)
    with pytest.raises(MethodError, match="equal"):
        N.goalposts(x, make_ctx(2), low=1, high=1)
    with pytest.raises(MethodError, match="3 values for 2"):
        N.goalposts(x, make_ctx(2), low=[0, 0, 0], high=1)


def test_goalposts_nan_kept() -> None:
    np.testing.assert_allclose(run(N.goalposts, col(nan, 5), low=0, high=10)[:, 0], [nan, 50])


# --------------------------------------------------------------------------- dist2max, fracmax


def test_dist2max() -> None:
    # 1 - (4 - x) / (4 - 1)
    np.testing.assert_allclose(run(N.dist2max, col(1, 2, 4, nan))[:, 0], [0, 1 / 3, 1, nan])
    np.testing.assert_allclose(run(N.dist2max, col(1, 2, 4), scale=100)[:, 0], [0, 100 / 3, 100])
    assert np.isnan(run(N.dist2max, col(2, 2))).all()


def test_fracmax_direction_plus_is_coinr() -> None:
    np.testing.assert_allclose(run(N.fracmax, col(1, 2, 4, nan))[:, 0], [0.25, 0.5, 1, nan])


def test_fracmax_direction_minus_is_fraction_of_the_best() -> None:
    raw = np.array([2.0, 4.0, 8.0])
    x = (-raw)[:, None]
    out = N.fracmax(x, make_ctx(1, direction=[-1])).apply(x)
    # best is the smallest raw value: min / raw = [1, 0.5, 0.25]. COINr: x / max x on the
    # oriented data = raw / min = [1, 2, 4] (worse values score higher).
    np.testing.assert_allclose(out[:, 0], [1, 0.5, 0.25])


def test_fracmax_needs_a_positive_best() -> None:
    with pytest.raises(MethodError, match="positive best"):
        N.fracmax(col(-3, -1), make_ctx(1))
    raw = np.array([0.0, 4.0])
    with pytest.raises(MethodError, match="i0"):
        N.fracmax((-raw)[:, None], make_ctx(1, direction=[-1]))


# --------------------------------------------------------------------------- dist2ref, dist2target


def test_dist2ref() -> None:
    x = col(1, 2, 4, 3)
    # reference row 1 (value 2), min 1: 1 - (2 - x) / (2 - 1) = x - 1
    np.testing.assert_allclose(run(N.dist2ref, x, row=1)[:, 0], [0, 1, 3, 2])
    np.testing.assert_allclose(run(N.dist2ref, x, row=1, cap=True)[:, 0], [0, 1, 1, 1])
    with pytest.raises(MethodError, match="needs 'row'"):
        N.dist2ref(x, make_ctx(1))
    with pytest.raises(MethodError, match="0 to 3"):
        N.dist2ref(x, make_ctx(1), row=4)
    # reference value missing, or equal to the minimum: NaN column
    assert np.isnan(run(N.dist2ref, col(nan, 1, 2), row=0)).all()
    assert np.isnan(run(N.dist2ref, col(1, 2), row=0)).all()


def test_dist2target_direction_plus() -> None:
    ctx = make_ctx(1, target=[3])
    x = col(1, 2, 4, nan)
    # (x - 1) / (3 - 1)
    np.testing.assert_allclose(N.dist2target(x, ctx).apply(x)[:, 0], [0, 0.5, 1.5, nan])
    np.testing.assert_allclose(N.dist2target(x, ctx, cap=True).apply(x)[:, 0], [0, 0.5, 1, nan])


def test_dist2target_direction_minus_uses_oriented_target() -> None:
    raw = np.array([1.0, 2.0, 4.0])
    x = (-raw)[:, None]
    ctx = make_ctx(1, direction=[-1], target=[2])
    # (max - v) / (max - target) = (4 - v) / 2, as COINr's n_dist2targ with direction = -1
    np.testing.assert_allclose(N.dist2target(x, ctx).apply(x)[:, 0], [1.5, 1, 0])
    capped = N.dist2target(x, ctx, cap=True, scale=100).apply(x)
    np.testing.assert_allclose(capped[:, 0], [100, 100, 0])


def test_dist2target_degenerate() -> None:
    with pytest.raises(MethodError, match="no target"):
        N.dist2target(col(1, 2), make_ctx(1))
    x = col(3, 5)
    assert np.isnan(N.dist2target(x, make_ctx(1, target=[3])).apply(x)).all()


# --------------------------------------------------------------------------- properties


finite_cols = arrays(
    np.float64,
    st.tuples(st.integers(2, 12), st.integers(1, 4)),
    elements=st.floats(-1e6, 1e6, allow_nan=False),
)


@settings(max_examples=60, deadline=None)
@given(finite_cols, st.floats(-50, 50), st.floats(1, 100))
def test_minmax_bounds_and_monotone(x: FloatArray, low: float, width: float) -> None:
    out = run(N.minmax, x, low=low, high=low + width)
    for j in range(x.shape[1]):
        c, o = x[:, j], out[:, j]
        if c.max() == c.min():
            assert np.isnan(o).all()
            continue
        assert np.nanmin(o) == pytest.approx(low, abs=1e-6 * width)
        assert np.nanmax(o) == pytest.approx(low + width, abs=1e-6 * width)
        order = np.argsort(c, kind="stable")
        assert (np.diff(o[order]) >= -1e-9 * width).all()


@settings(max_examples=60, deadline=None)
@given(finite_cols, st.permutations(range(12)))
def test_rank_permutation_equivariant(x: FloatArray, perm: list[int]) -> None:
    p = np.array([i for i in perm if i < x.shape[0]])
    np.testing.assert_array_equal(run(N.rank, x)[p], run(N.rank, x[p]))


# --------------------------------------------------------------------------- golden: COINr


def _asem_treated() -> tuple[pd.DataFrame, FloatArray]:
    data = pd.read_csv(GOLDEN / "example_dset_Treated.csv").set_index("uCode")
    meta = pd.read_csv(GOLDEN / "ASEM_iMeta.csv")
    meta = meta[meta["Type"] == "Indicator"].set_index("iCode")
    return data, meta.loc[data.columns, "Direction"].to_numpy(dtype=float)


def _golden(fixture: str, method: Callable[..., N.Fit], exact: bool = False, **params: float) -> float:
    data, direction = _asem_treated()
    x = data.to_numpy(dtype=float) * direction  # COINr: multiply by direction, then normalise
    ctx = ColumnContext(
        direction=direction,
        target=np.full(x.shape[1], nan),
        orient=lambda v: v * direction,
        ids=tuple(data.columns),
    )
    ours = method(x, ctx, **params).apply(x)
    ref = pd.read_csv(GOLDEN / fixture).set_index("uCode").loc[data.index, data.columns]
    expected = ref.to_numpy(dtype=float)
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(expected))
    if exact:
        np.testing.assert_array_equal(ours, expected)
    else:
        np.testing.assert_allclose(ours, expected, rtol=0, atol=1e-9)
    return float(np.nanmax(np.abs(ours - expected)))


def test_golden_minmax_0_100() -> None:
    """COINr 1.1.14 ``n_minmax(l_u = c(0, 100))`` on the ASEM example's Treated data.

    SOURCE: tests/golden/asem/norm_minmax_0_100.csv (see SOURCE.md there); directions from
    tests/golden/asem/ASEM_iMeta.csv. Tolerance: 1e-9 absolute.
    """
    _golden("norm_minmax_0_100.csv", N.minmax, low=0, high=100)


def test_golden_zscore_0_1() -> None:
    """COINr 1.1.14 ``n_zscore(m_sd = c(0, 1))`` on the ASEM example's Treated data.

    SOURCE: tests/golden/asem/norm_zscore_0_1.csv (see SOURCE.md there); directions from
    tests/golden/asem/ASEM_iMeta.csv. Tolerance: 1e-9 absolute.
    """
    _golden("norm_zscore_0_1.csv", N.zscore, mean=0, sd=1)


def test_golden_rank() -> None:
    """COINr 1.1.14 ``n_rank`` (R ``rank(ties.method = "min")``) on the ASEM Treated data.

    SOURCE: tests/golden/asem/norm_rank.csv (see SOURCE.md there); directions from
    tests/golden/asem/ASEM_iMeta.csv. Tolerance: exact (ranks are integers; values one ulp
    apart, e.g. TolMin GRC/JPN, must not tie).
    """
    _golden("norm_rank.csv", N.rank, exact=True)


def test_goalposts_must_be_numbers() -> None:
    with pytest.raises(MethodError, match="number or a list"):
        N.goalposts(col(1, 2), make_ctx(1), low="zero", high=1)  # type: ignore[arg-type]
