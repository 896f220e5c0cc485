"""Outlier treatment: COINr's default Treat() reproduced on its ASEM example (golden), the
skew/kurtosis estimators against scipy, the log fallback, log rules, Box-Cox, and the
degenerate-input policy."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from mfgindex.errors import MethodError
from mfgindex.methods import registry
from mfgindex.methods import treat as T

nan = np.nan
ASEM = Path(__file__).resolve().parent.parent / "golden" / "asem"
TOL = 1e-9  # tests/golden/asem/SOURCE.md

# 60 ordinary values and a geometric tail of 8: winsorising 5 points is not enough, so COINr's
# rule falls back to log_CT on the original values.
HEAVY = np.concatenate([np.arange(1.0, 61.0), 60 * 2.0 ** np.arange(8)])


# --------------------------------------------------------------------------- estimators


@pytest.mark.parametrize(
    "x",
    [
        [1.0, 2, 3, 4, 10],
        [0.5, -1, 7, 7, 3, 2, 100, -40],
        list(np.random.default_rng(1).lognormal(size=50)),
    ],
)
def test_skew_kurtosis_are_the_bias_adjusted_sample_estimators(x: list[float]) -> None:
    # COINr's skew()/kurt() = e1071 type 2 = G1 and excess G2, which scipy gives with bias=False
    assert T.skew(np.array(x)) == pytest.approx(stats.skew(x, bias=False), rel=1e-12)
    assert T.kurtosis(np.array(x)) == pytest.approx(stats.kurtosis(x, fisher=True, bias=False), rel=1e-12)


def test_skew_kurtosis_ignore_missing_and_need_enough_points() -> None:
    x = np.array([1.0, nan, 2, 3, 4, 10])
    assert T.skew(x) == pytest.approx(T.skew(np.array([1.0, 2, 3, 4, 10])))
    assert np.isnan(T.skew(np.array([1.0, 2])))
    assert np.isnan(T.kurtosis(np.array([1.0, 2, 3])))
    assert np.isnan(T.skew(np.full(5, 3.0)))  # constant: 0/0 as in R


# --------------------------------------------------------------------------- golden: COINr


def test_winsorize_reproduces_coinr_treat_on_asem() -> None:
    screened = pd.read_csv(ASEM / "example_dset_Screened.csv")
    treated = pd.read_csv(ASEM / "example_dset_Treated.csv")
    points = pd.read_csv(ASEM / "example_treat_points.csv", keep_default_na=False, dtype=str)
    raw = pd.read_csv(ASEM / "example_dset_Raw.csv")
    # example_treat_points.csv rows are in example_dset_Raw order
    assert list(raw["uCode"]) == list(screened["uCode"]) == list(treated["uCode"])
    call = registry.resolve("treat", "winsorize(max_points=5)")
    worst = 0.0
    for code in screened.columns[1:]:
        result = call(screened[code].to_numpy(float))
        expected = treated[code].to_numpy(float)
        worst = max(worst, float(np.nanmax(np.abs(result.values - expected))))
        assert list(result.flags) == list(points[code]), code
    assert worst <= TOL


def test_winsorize_details_match_coinr_dets_table() -> None:
    screened = pd.read_csv(ASEM / "example_dset_Screened.csv")
    details = pd.read_csv(ASEM / "example_treat_details.csv").set_index("iCode")
    for code, row in details.iterrows():
        d = T.winsorize(screened[str(code)].to_numpy(float)).details
        assert d["passed_before"] == bool(row["check_SkewKurt0.Pass"])
        assert d["skew_before"] == pytest.approx(row["check_SkewKurt0.Skew"], abs=TOL)
        assert d["kurtosis_before"] == pytest.approx(row["check_SkewKurt0.Kurt"], abs=TOL)
        if d["passed_before"]:
            assert np.isnan(row["winsorise.nwin"])
            assert d["points_winsorised"] == 0
            continue
        assert d["points_winsorised"] == int(row["winsorise.nwin"])
        assert d["passed_winsorised"] == bool(row["check_SkewKurt1.Pass"])
        assert d["skew_winsorised"] == pytest.approx(row["check_SkewKurt1.Skew"], abs=TOL)
        assert d["kurtosis_winsorised"] == pytest.approx(row["check_SkewKurt1.Kurt"], abs=TOL)
        assert d["transform"] is None and d["passed"] is True


# --------------------------------------------------------------------------- the rule by hand


def test_passing_indicator_is_untouched() -> None:
    x = np.arange(1.0, 13.0)
    r = T.winsorize(x)
    np.testing.assert_array_equal(r.values, x)
    assert set(r.flags) == {""}
    assert r.details["passed_before"] is True and r.details["points_winsorised"] == 0


def test_high_outlier_is_set_to_the_next_value_in() -> None:
    x = np.concatenate([np.arange(1.0, 15.0), [1000.0]])
    r = T.winsorize(x)
    assert r.values[-1] == 14.0  # the next highest value
    assert r.flags[-1] == "winhi" and set(r.flags[:-1]) == {""}
    assert r.details["points_winsorised"] == 1 and r.details["passed"] is True


def test_negative_skew_winsorises_the_low_end() -> None:
    x = -np.concatenate([np.arange(1.0, 15.0), [1000.0]])
    r = T.winsorize(x)
    assert r.values[-1] == -14.0
    assert r.flags[-1] == "winlo"


def test_ties_are_winsorised_together_and_may_overshoot_max_points() -> None:
    # COINr: which(x == max(x)) takes every tied maximum at once
    x = np.concatenate([np.arange(1.0, 21.0), [500.0, 500.0]])
    r = T.winsorize(x, max_points=1)
    assert r.details["points_winsorised"] == 2
    assert list(r.flags[-2:]) == ["winhi", "winhi"]
    np.testing.assert_array_equal(r.values[-2:], [20.0, 20.0])


def test_failing_winsorisation_falls_back_to_log_ct_of_the_original() -> None:
    r = T.winsorize(HEAVY)
    assert r.details["passed_before"] is False
    assert r.details["points_winsorised"] == 5 and r.details["passed_winsorised"] is False
    assert r.details["transform"] == "log_CT"
    lo, hi = HEAVY.min(), HEAVY.max()
    np.testing.assert_allclose(r.values, np.log(HEAVY - lo + 0.01 * (hi - lo)), rtol=1e-15)
    assert set(r.flags) == {"log_CT"}
    assert r.details["skew_after"] == pytest.approx(T.skew(r.values))


def test_combine_logs_the_winsorised_values() -> None:
    r = T.winsorize(HEAVY, combine=True)
    w = T.winsorize(HEAVY, fallback="none")
    lo, hi = np.min(w.values), np.max(w.values)
    np.testing.assert_allclose(r.values, np.log(w.values - lo + 0.01 * (hi - lo)), rtol=1e-15)
    assert (r.flags == "winhi+log_CT").sum() == 5
    assert (r.flags == "log_CT").sum() == HEAVY.size - 5


def test_fallback_none_keeps_the_winsorised_values() -> None:
    r = T.winsorize(HEAVY, fallback="none")
    assert r.details["transform"] is None and r.details["passed"] is False
    assert (r.flags == "winhi").sum() == 5
    assert np.sort(HEAVY)[-6] == r.values.max()


def test_max_points_none_means_no_limit() -> None:
    r = T.winsorize(HEAVY, max_points=None, fallback="none")
    assert r.details["points_winsorised"] > 5 and r.details["passed"] is True


def test_force_winsorises_max_points_even_when_passing() -> None:
    # symmetric data: skew 0 -> the high end first (COINr: skew >= 0); then the skew is
    # negative, so the low end (COINr warns that force_win can switch sides)
    x = np.arange(1.0, 13.0)
    r = T.winsorize(x, max_points=2, force=True)
    assert r.details["points_winsorised"] == 2
    assert r.values[-1] == 11.0 and r.flags[-1] == "winhi"
    assert r.values[0] == 2.0 and r.flags[0] == "winlo"
    assert set(r.flags[1:-1]) == {""}


def test_missing_values_stay_missing_and_unflagged() -> None:
    x = np.concatenate([np.arange(1.0, 15.0), [nan, 1000.0, nan]])
    r = T.winsorize(x)
    assert np.isnan(r.values[[14, 16]]).all()
    assert r.flags[14] == "" and r.flags[16] == ""
    assert r.values[15] == 14.0 and r.flags[15] == "winhi"
    h = T.winsorize(np.append(HEAVY, nan))
    assert np.isnan(h.values[-1]) and h.flags[-1] == ""


@pytest.mark.parametrize(
    "x",
    [np.full(6, 2.0), np.array([1.0, 50, 3]), np.full(5, nan), np.array([0.0, 0, 0, 0, 0])],
    ids=["constant", "three-values", "all-missing", "all-zero"],
)
def test_degenerate_input_is_returned_untreated(x: np.ndarray) -> None:
    r = T.winsorize(x)
    np.testing.assert_array_equal(r.values, x)
    assert set(r.flags) == {""}
    assert r.details["passed"] is None and r.details["note"]


def test_zeros_and_negatives_are_ordinary_values() -> None:
    x = np.concatenate([np.zeros(8), np.arange(-5.0, 5.0), [-400.0]])
    r = T.winsorize(x)
    assert r.flags[-1] == "winlo" and r.values[-1] == -5.0


def test_bad_parameters() -> None:
    with pytest.raises(MethodError, match="fallback"):
        T.winsorize(HEAVY, fallback="boxcox")
    with pytest.raises(MethodError, match="max_points"):
        T.winsorize(HEAVY, max_points=-1)
    with pytest.raises(MethodError, match="force"):
        T.winsorize(HEAVY, max_points=None, force=True)
    with pytest.raises(MethodError, match="max_points"):
        T.winsorize(HEAVY, max_points="five")  # type: ignore[arg-type]
    with pytest.raises(MethodError, match="lmbda"):
        T.boxcox(HEAVY, lmbda="auto")  # type: ignore[arg-type]
    with pytest.raises(MethodError, match="1-d"):
        T.winsorize(np.ones((3, 3)))


# --------------------------------------------------------------------------- log, boxcox


def test_log_rules() -> None:
    x = np.array([-2.0, 0.0, 3.0, 8.0, nan])
    lo, hi = -2.0, 8.0
    ct = T.log(x)
    np.testing.assert_allclose(ct.values, np.log(x - lo + 0.01 * (hi - lo)))
    assert list(ct.flags) == ["log_CT"] * 4 + [""]
    orig = T.log(x, rule="log_CT_orig")
    np.testing.assert_allclose(orig.values, np.log(x - lo + 1))
    assert orig.flags[0] == "log_CT_orig"
    pos = np.array([1.0, 10.0, 100.0])
    np.testing.assert_allclose(T.log(pos, rule="ln").values, np.log(pos))
    assert T.log(pos, rule="ln").flags[0] == "log"


def test_log_ct_plus_mirrors_negative_skew() -> None:
    x = np.array([1.0, 2.0, 3.0, 50.0])  # skew > 0
    np.testing.assert_allclose(T.log(x, rule="log_CT_plus").values, T.log(x).values)
    y = -x  # skew < 0: -log(max + a - x)
    a = 0.01 * (y.max() - y.min())
    r = T.log(y, rule="log_CT_plus")
    np.testing.assert_allclose(r.values, -np.log(y.max() + a - y))
    assert r.flags[0] == "log_CT_neg"


def test_log_degenerate_and_errors() -> None:
    c = T.log(np.full(4, 7.0))
    np.testing.assert_array_equal(c.values, np.full(4, 7.0))
    assert set(c.flags) == {""} and c.details["note"]
    assert np.isnan(T.log(np.full(3, nan)).values).all()
    with pytest.raises(MethodError, match="positive"):
        T.log(np.array([0.0, 1.0, 2.0]), rule="ln")
    with pytest.raises(MethodError, match="rule"):
        T.log(np.array([1.0, 2.0]), rule="log10")


def test_boxcox_matches_scipy() -> None:
    x = np.array([1.0, 2.0, 2.5, 4.0, 9.0, 30.0, nan])
    r = T.boxcox(x)
    expected, lmbda = stats.boxcox(x[:-1])
    np.testing.assert_allclose(r.values[:-1], expected, rtol=1e-12)
    assert np.isnan(r.values[-1]) and r.flags[-1] == ""
    assert r.details["lmbda"] == pytest.approx(lmbda)
    assert set(r.flags[:-1]) == {"boxcox"}
    fixed = T.boxcox(x, lmbda=0.5)
    np.testing.assert_allclose(fixed.values[:-1], (x[:-1] ** 0.5 - 1) / 0.5)
    np.testing.assert_allclose(T.boxcox(x, lmbda=0.0).values[:-1], np.log(x[:-1]))


def test_boxcox_positive_only_and_degenerate() -> None:
    with pytest.raises(MethodError, match="positive"):
        T.boxcox(np.array([0.0, 1.0, 2.0]))
    with pytest.raises(MethodError, match="positive"):
        T.boxcox(np.array([-1.0, 1.0, 2.0]))
    c = T.boxcox(np.full(4, 3.0))
    np.testing.assert_array_equal(c.values, np.full(4, 3.0))
    assert c.details["note"]
    assert np.isnan(T.boxcox(np.full(3, nan)).values).all()


def test_registered_and_parameterised_from_method_strings() -> None:
    names = {m.name for m in registry.methods("treat")}
    assert {"winsorize", "log", "boxcox"} <= names
    call = registry.resolve("treat", "winsorize(max_points=3, skew=2.25, fallback=none)")
    assert call.kwargs == {"max_points": 3, "skew": 2.25, "fallback": None}
    assert call(HEAVY).details["transform"] is None  # `none` reads as None: no fallback
    assert registry.resolve("treat", "log(rule=log_CT_orig)").kwargs["rule"] == "log_CT_orig"
