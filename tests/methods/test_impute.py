"""Imputation: COINr's group-mean imputation on its ASEM example (golden), hand-computed
cross-sections and panels, and the degenerate-input policy."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mfgindex.errors import MethodError
from mfgindex.methods import impute as I
from mfgindex.methods import registry
from mfgindex.methods.base import FloatArray, UnitContext

nan = np.nan
ASEM = Path(__file__).resolve().parent.parent / "golden" / "asem"
TOL = 1e-9  # tests/golden/asem/SOURCE.md


def ctx(
    n: int,
    groups: Mapping[str, Sequence[object]] | None = None,
    years: list[int] | None = None,
    units: list[str] | None = None,
) -> UnitContext:
    return UnitContext(
        units=np.array(units if units is not None else [f"U{i}" for i in range(n)]),
        years=None if years is None else np.array(years, dtype=np.int64),
        groups={k: np.array(v, dtype=object) for k, v in (groups or {}).items()},
        ids=(),
    )


# --------------------------------------------------------------------------- golden: COINr


def test_group_mean_reproduces_coinr_impute_on_asem() -> None:
    denominated = pd.read_csv(ASEM / "example_dset_Denominated.csv")
    imputed = pd.read_csv(ASEM / "example_dset_Imputed.csv")
    meta = pd.read_csv(ASEM / "ASEM_iData.csv").set_index("uCode")
    assert list(denominated["uCode"]) == list(imputed["uCode"])
    codes = list(denominated.columns[1:])
    x = denominated[codes].to_numpy(float)
    assert np.isnan(x).sum() > 0
    c = UnitContext(
        units=denominated["uCode"].to_numpy(str),
        years=None,
        groups={"EurAsia_group": meta.loc[denominated["uCode"], "EurAsia_group"].to_numpy(object)},
        ids=tuple(codes),
    )
    call = registry.resolve("impute", "group_mean(group=EurAsia_group)")
    out = call(x, c)
    expected = imputed[codes].to_numpy(float)
    assert not np.isnan(out).any() and not np.isnan(expected).any()
    assert np.max(np.abs(out - expected)) <= TOL
    observed = ~np.isnan(x)
    np.testing.assert_array_equal(out[observed], x[observed])  # bit for bit


# --------------------------------------------------------------------------- cross-section


X = np.array(
    [
        [1.0, nan, 5.0],
        [3.0, 10.0, nan],
        [nan, 20.0, 7.0],
        [8.0, 60.0, nan],
    ]
)


def test_mean_and_median() -> None:
    out = I.mean(X, ctx(4))
    np.testing.assert_allclose(out[:, 0], [1, 3, 4, 8])  # (1 + 3 + 8) / 3
    np.testing.assert_allclose(out[:, 1], [30, 10, 20, 60])  # (10 + 20 + 60) / 3
    np.testing.assert_allclose(out[:, 2], [5, 6, 7, 6])
    med = I.median(X, ctx(4))
    np.testing.assert_allclose(med[:, 0], [1, 3, 3, 8])
    np.testing.assert_allclose(med[:, 1], [20, 10, 20, 60])
    np.testing.assert_allclose(med[:, 2], [5, 6, 7, 6])  # even count: average of the middle two


def test_group_mean_and_median() -> None:
    g = {"region": ["a", "a", "b", "b"]}
    out = I.group_mean(X, ctx(4, g), group="region")
    # group a rows 0-1, group b rows 2-3
    np.testing.assert_allclose(out, [[1, 10, 5], [3, 10, 5], [8, 20, 7], [8, 60, 7]])
    x = np.array([[1.0], [2.0], [9.0], [nan], [0.0], [5.0], [nan]])
    g2 = {"region": ["a", "a", "a", "a", "b", "b", "b"]}
    med = I.group_median(x, ctx(7, g2), group="region")
    np.testing.assert_allclose(med.ravel(), [1, 2, 9, 2, 0, 5, 2.5])


def test_group_with_no_data_stays_missing_as_in_coinr() -> None:
    # COINr i_mean_grp: mean(numeric(0)) is NaN, so the group's gaps are not filled
    x = np.array([[1.0], [3.0], [nan], [nan]])
    out = I.group_mean(x, ctx(4, {"g": ["a", "a", "b", "b"]}), group="g")
    np.testing.assert_array_equal(out.ravel(), [1, 3, nan, nan])


def test_units_without_a_group_are_left_alone() -> None:
    x = np.array([[1.0], [3.0], [nan], [nan], [nan]])
    g = {"g": ["a", "a", "a", None, ""]}
    out = I.group_mean(x, ctx(5, g), group="g")
    np.testing.assert_array_equal(out.ravel(), [1, 3, 2, nan, nan])


def test_unknown_or_missing_group_column() -> None:
    with pytest.raises(MethodError, match=r"'Region' not found.*EurAsia_group, GDP_group"):
        I.group_mean(X, ctx(4, {"GDP_group": [1] * 4, "EurAsia_group": [1] * 4}), group="Region")
    with pytest.raises(MethodError, match="needs group=COLUMN"):
        I.group_median(X, ctx(4, {"g": [1] * 4}))


@pytest.mark.parametrize("method", [I.mean, I.median])
def test_degenerate_cross_section(method: Callable[..., FloatArray]) -> None:
    f = method
    x = np.array([[nan, 2.0, 0.0], [nan, 2.0, -4.0], [nan, nan, nan]])
    out = f(x, ctx(3))
    assert np.isnan(out[:, 0]).all()  # all missing: nothing to average
    np.testing.assert_array_equal(out[:, 1], [2, 2, 2])  # constant
    assert out[2, 2] == -2.0  # zeros and negatives are ordinary values
    single = f(np.array([[1.0, nan]]), ctx(1))
    np.testing.assert_array_equal(single, [[1.0, nan]])


def test_results_are_new_writable_arrays() -> None:
    # later stages write into the imputed array in place
    x = X.copy()
    c = ctx(4, {"g": ["a", "a", "b", "b"]}, years=[2020, 2021, 2020, 2021], units=list("AABB"))
    for out in (
        I.mean(x, ctx(4)),
        I.median(x, ctx(4)),
        I.group_mean(x, c, group="g"),
        I.group_median(x, c, group="g"),
        I.latest(x, c),
        I.interpolate(x, c),
    ):
        assert out.flags.writeable and not np.shares_memory(out, x)
    np.testing.assert_array_equal(x, X, strict=True)  # input untouched


def test_observed_values_never_change() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(30, 5))
    x[rng.random(x.shape) < 0.3] = nan
    c = ctx(30, {"g": list("abc" * 10)})
    for out in (I.mean(x, c), I.median(x, c), I.group_mean(x, c, group="g")):
        obs = ~np.isnan(x)
        np.testing.assert_array_equal(out[obs], x[obs])
        assert not np.isnan(out).any()


# --------------------------------------------------------------------------- panels

UNITS = ["A", "A", "A", "A", "B", "B", "B", "B"]
YEARS = [2019, 2020, 2021, 2022, 2019, 2020, 2021, 2022]
P = np.array(
    [
        [nan, 1.0],
        [10.0, nan],
        [nan, nan],
        [16.0, 4.0],
        [5.0, nan],
        [nan, nan],
        [7.0, 3.0],
        [nan, nan],
    ]
)


def test_mean_in_a_panel_is_taken_within_each_year() -> None:
    out = I.mean(P, ctx(8, years=YEARS, units=UNITS))
    # 2019: column 0 has only B = 5 -> A gets 5; 2020: only A = 10 -> B gets 10
    np.testing.assert_array_equal(out[:, 0], [5, 10, 7, 16, 5, 10, 7, 16])


def test_latest_carries_forward_within_unit() -> None:
    out = I.latest(P, ctx(8, years=YEARS, units=UNITS))
    np.testing.assert_array_equal(out[:, 0], [nan, 10, 10, 16, 5, 5, 7, 7])  # no backwards
    np.testing.assert_array_equal(out[:, 1], [1, 1, 1, 4, nan, nan, 3, 3])


def test_latest_respects_max_years_and_row_order() -> None:
    c = ctx(8, years=YEARS, units=UNITS)
    out = I.latest(P, c, max_years=1)
    np.testing.assert_array_equal(out[:, 1], [1, 1, nan, 4, nan, nan, 3, 3])
    perm = np.random.default_rng(3).permutation(8)
    shuffled = ctx(8, years=list(np.array(YEARS)[perm]), units=list(np.array(UNITS)[perm]))
    np.testing.assert_array_equal(I.latest(P[perm], shuffled), I.latest(P, c)[perm])


def test_interpolate_is_linear_between_years() -> None:
    c = ctx(8, years=YEARS, units=UNITS)
    out = I.interpolate(P, c)
    # A col 0: 10 (2020) .. 16 (2022) -> 13 in 2021; 2019 before the first observation stays NaN
    np.testing.assert_array_equal(out[:4, 0], [nan, 10, 13, 16])
    # A col 1: 1 (2019) .. 4 (2022) -> 2, 3
    np.testing.assert_allclose(out[:4, 1], [1, 2, 3, 4])
    np.testing.assert_array_equal(out[4:, 0], [5, 6, 7, nan])
    ext = I.interpolate(P, c, extrapolate=True)
    np.testing.assert_array_equal(ext[:4, 0], [10, 10, 13, 16])  # constant, COINr rule = 2
    np.testing.assert_array_equal(ext[4:, 1], [3, 3, 3, 3])  # single observation


def test_interpolate_uses_year_distance_not_row_distance() -> None:
    x = np.array([[0.0], [nan], [30.0]])
    out = I.interpolate(x, ctx(3, years=[2000, 2001, 2003], units=["A", "A", "A"]))
    assert out[1, 0] == pytest.approx(10.0)


def test_panel_methods_need_a_panel_and_unique_unit_years() -> None:
    with pytest.raises(MethodError, match="panel"):
        I.latest(X, ctx(4))
    with pytest.raises(MethodError, match="panel"):
        I.interpolate(X, ctx(4))
    with pytest.raises(MethodError, match="max_years"):
        I.latest(P, ctx(8, years=YEARS, units=UNITS), max_years=-1)
    with pytest.raises(MethodError, match="twice"):
        I.latest(np.ones((2, 1)), ctx(2, years=[2020, 2020], units=["A", "A"]))


def test_panel_degenerate_input() -> None:
    x = np.array([[nan, 0.0], [nan, nan], [nan, -2.0]])
    c = ctx(3, years=[2020, 2021, 2022], units=["A", "A", "A"])
    for out in (I.latest(x, c), I.interpolate(x, c)):
        assert np.isnan(out[:, 0]).all()  # never observed
    np.testing.assert_array_equal(I.latest(x, c)[:, 1], [0, 0, -2])
    np.testing.assert_array_equal(I.interpolate(x, c)[:, 1], [0, -1, -2])
    one = ctx(1, years=[2020], units=["A"])
    np.testing.assert_array_equal(I.latest(np.array([[nan]]), one), [[nan]])


def test_registered() -> None:
    names = {m.name for m in registry.methods("impute")}
    assert {"mean", "median", "group_mean", "group_median", "latest", "interpolate"} <= names
