"""Denomination (ratio) and per-indicator transforms (log, log1p, log10, sqrt)."""

from __future__ import annotations

import numpy as np
import pytest

from mfgindex.errors import MethodError
from mfgindex.methods import denominate as D
from mfgindex.methods import transform as T

nan = np.nan


# --------------------------------------------------------------------------- ratio


def test_ratio() -> None:
    x = np.array([[10.0, 5.0, 3.0], [20.0, 6.0, 4.0], [nan, 7.0, 5.0]])
    d = np.array([[2.0, nan, 4.0], [0.0, nan, nan], [1.0, nan, 2.0]])
    out = D.ratio(x, d)
    # column 0: 10/2, 20/0 -> NaN (COINr: Inf), NaN/1; column 1: no denominator, unchanged;
    # column 2: 3/4, a missing denominator -> NaN, 5/2
    np.testing.assert_allclose(out, [[5, 5, 0.75], [nan, 6, nan], [nan, 7, 2.5]])


def test_ratio_scale_does_not_touch_columns_without_denominator() -> None:
    x = np.array([[3.0, 9.0]])
    d = np.array([[1000.0, nan]])
    np.testing.assert_allclose(D.ratio(x, d, scale=10000), [[30, 9]])


@pytest.mark.filterwarnings("error")
def test_ratio_no_warnings_and_errors() -> None:
    D.ratio(np.zeros((2, 1)), np.zeros((2, 1)))  # 0/0: NaN, silently
    with pytest.raises(MethodError, match="same 2-D shape"):
        D.ratio(np.ones((2, 2)), np.ones((2, 1)))
    with pytest.raises(MethodError, match="non-zero"):
        D.ratio(np.ones((1, 1)), np.ones((1, 1)), scale=0)


# --------------------------------------------------------------------------- transforms


def test_log() -> None:
    np.testing.assert_allclose(T.log(np.array([1, np.e, nan])), [0, 1, nan])


def test_log_counts_bad_values() -> None:
    with pytest.raises(MethodError, match=r"2 value\(s\) are not \(smallest -1\)") as exc:
        T.log(np.array([0.0, -1.0, 2.0, nan]))
    assert "log1p" in str(exc.value)


def test_log1p_log10_sqrt() -> None:
    np.testing.assert_allclose(T.log1p(np.array([0, np.e - 1, nan])), [0, 1, nan])
    np.testing.assert_allclose(T.log10(np.array([1, 1000, nan])), [0, 3, nan])
    np.testing.assert_allclose(T.sqrt(np.array([0, 9, nan])), [0, 3, nan])
    with pytest.raises(MethodError, match=r"1 value\(s\)"):
        T.log1p(np.array([-1.0, 0.0]))
    with pytest.raises(MethodError, match=r"1 value\(s\)"):
        T.log10(np.array([0.0, 1.0]))
    with pytest.raises(MethodError, match=r"1 value\(s\)"):
        T.sqrt(np.array([-0.5, 1.0]))


def test_transform_takes_one_column() -> None:
    with pytest.raises(MethodError, match="1-D"):
        T.log(np.ones((2, 2)))
