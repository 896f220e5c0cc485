"""Screening: COINr's Screen() rules (>= on data availability, zeros among observed values),
forced keeps/drops, reasons, and the degenerate-input policy. The scenarios of COINr's own
tests/testthat/test-Screen.R are reproduced in test_coinr_testthat_scenarios."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mfgindex.errors import MethodError
from mfgindex.methods import registry
from mfgindex.methods import screen as S
from mfgindex.methods.base import UnitContext

nan = np.nan
ASEM = Path(__file__).resolve().parent.parent / "golden" / "asem"


def ctx(units: list[str], years: list[int] | None = None) -> UnitContext:
    return UnitContext(
        units=np.array(units),
        years=None if years is None else np.array(years, dtype=np.int64),
        groups={},
        ids=(),
    )


def coinr_frame() -> tuple[np.ndarray, UnitContext]:
    # COINr test-Screen.R: 10 units × 10 indicators of runif(); row 1 has 50 % data, row 2
    # 90 %, row 3 50 % zeros, row 4 10 % zeros
    x = np.random.default_rng(7).uniform(0.01, 1, size=(10, 10))
    x[0, 0:5] = nan
    x[1, 0] = nan
    x[2, 0:5] = 0
    x[3, 0] = 0
    return x, ctx(list("abcdefghij"))


def test_coinr_testthat_scenarios() -> None:
    x, c = coinr_frame()
    keep = S.coverage(x, c, min=0.75).keep
    np.testing.assert_array_equal(np.flatnonzero(~keep), [0])
    np.testing.assert_array_equal(np.flatnonzero(~S.coverage(x, c, min=1.0).keep), [0, 1])
    # byzeros with nonzero_thresh = 0.75 is max zero share 0.25
    np.testing.assert_array_equal(np.flatnonzero(~S.zeros(x, c, max=0.25).keep), [2])
    forced = S.coverage(x, c, min=1.0, drop=["f"]).keep
    np.testing.assert_array_equal(np.flatnonzero(~forced), [0, 1, 5])


def test_threshold_is_inclusive_like_coinr() -> None:
    # COINr flags Dat_Avail < dat_thresh: exactly 90 % is kept
    x = np.ones((2, 10))
    x[0, 0] = nan  # 9 of 10 = 0.9
    x[1, :2] = nan  # 0.8
    s = S.coverage(x, ctx(["A", "B"]), min=0.9)
    np.testing.assert_array_equal(s.keep, [True, False])
    assert s.reasons == {1: "coverage 0.8 < 0.9 (2 of 10 indicators missing)"}


def test_asem_coverage_on_49_indicators() -> None:
    # 5 of 49 missing is 0.898 < 0.9; 4 of 49 is 0.918
    x = np.ones((2, 49))
    x[0, :5] = nan
    x[1, :4] = nan
    np.testing.assert_array_equal(S.coverage(x, ctx(["A", "B"]), min=0.9).keep, [False, True])


def test_golden_asem_screen_keeps_every_imputed_unit() -> None:
    # COINr: Screen(dset = "Imputed", dat_thresh = 0.9, unit_screen = "byNA") removes no unit
    imputed = pd.read_csv(ASEM / "example_dset_Imputed.csv")
    screened = pd.read_csv(ASEM / "example_dset_Screened.csv")
    x = imputed.drop(columns="uCode").to_numpy(float)
    s = registry.resolve("screen", "coverage(min=0.9)")(x, ctx(list(imputed["uCode"])))
    assert list(imputed.loc[s.keep, "uCode"]) == list(screened["uCode"])
    assert s.reasons == {}


def test_zeros_counts_among_observed_values() -> None:
    x = np.array(
        [
            [0.0, 0.0, 0.0, nan],  # 3 of 3 observed are zero -> share 1
            [0.0, 1.0, nan, nan],  # 1 of 2 -> 0.5
            [-1.0, 2.0, 3.0, 0.0],  # negatives are not zeros -> 0.25
        ]
    )
    s = S.zeros(x, ctx(["A", "B", "C"]), max=0.5)
    np.testing.assert_array_equal(s.keep, [False, True, True])
    assert s.reasons[0] == "zero share 1 > 0.5 (3 of 3 observed indicators are 0)"
    np.testing.assert_array_equal(S.zeros(x, ctx(["A", "B", "C"])).keep, [False, True, True])
    np.testing.assert_array_equal(S.zeros(x, ctx(["A", "B", "C"]), max=1.0).keep, [True] * 3)


def test_keep_and_drop_lists_override_the_rule() -> None:
    x = np.array([[nan, nan], [1.0, 2.0], [3.0, nan]])
    c = ctx(["A", "B", "C"])
    s = S.coverage(x, c, min=0.9, keep=["A"], drop=["B"])
    np.testing.assert_array_equal(s.keep, [True, False, False])
    assert s.reasons[1] == "dropped by the drop list"
    assert s.reasons[2].startswith("coverage 0.5 < 0.9")
    z = S.zeros(np.zeros((2, 2)), ctx(["A", "B"]), keep=["B"])
    np.testing.assert_array_equal(z.keep, [False, True])


def test_keep_drop_errors() -> None:
    x = np.ones((2, 2))
    with pytest.raises(MethodError, match=r"'Z'.*not in the data"):
        S.coverage(x, ctx(["A", "B"]), keep=["Z"])
    with pytest.raises(MethodError, match="both keep and drop"):
        S.zeros(x, ctx(["A", "B"]), keep=["A"], drop=["A"])
    with pytest.raises(MethodError, match="between 0 and 1"):
        S.coverage(x, ctx(["A", "B"]), min=90)
    with pytest.raises(MethodError, match="between 0 and 1"):
        S.zeros(x, ctx(["A", "B"]), max=-0.1)


def test_panel_rows_are_screened_per_year_and_lists_apply_to_all_years() -> None:
    x = np.array([[1.0, 1.0], [nan, nan], [1.0, 1.0], [1.0, 1.0]])
    c = ctx(["A", "A", "B", "B"], years=[2020, 2021, 2020, 2021])
    s = S.coverage(x, c, min=0.5, drop=["B"])
    np.testing.assert_array_equal(s.keep, [True, False, False, False])
    assert s.reasons[1] == "coverage 0 < 0.5 in 2021 (2 of 2 indicators missing)"


def test_degenerate_input() -> None:
    # all missing: coverage 0 -> dropped; kept by zeros (no zero share), screen it by coverage
    x = np.array([[nan, nan], [0.0, 5.0]])
    c = ctx(["A", "B"])
    np.testing.assert_array_equal(S.coverage(x, c).keep, [False, True])
    np.testing.assert_array_equal(S.zeros(x, c).keep, [True, True])
    # single unit, constant values, negatives: ordinary data
    np.testing.assert_array_equal(S.coverage(np.array([[-3.0, -3.0]]), ctx(["A"])).keep, [True])
    # no indicators: every unit kept
    assert S.coverage(np.zeros((2, 0)), c).keep.all()
    assert S.zeros(np.zeros((2, 0)), c).keep.all()


def test_registered_with_list_parameters() -> None:
    call = registry.resolve("screen", "coverage(min=0.9, keep=[A], drop=['B'])")
    assert call.kwargs == {"min": 0.9, "keep": ["A"], "drop": ["B"]}
    assert {"coverage", "zeros"} <= {m.name for m in registry.methods("screen")}
