"""Classification methods: bands (stages) by rank, score, rank share and natural breaks."""

from __future__ import annotations

import numpy as np
import pytest

from mfgindex.errors import MethodError
from mfgindex.methods import classify as C

nan = np.nan


def test_rank_cuts_ccid() -> None:
    # CCID: ranks 1-3 leaping, 4-29 expansion, 30-58 development, 59+ initial
    ranks = np.array([1, 3, 4, 29, 30, 58, 59, 100, nan])
    scores = np.where(np.isnan(ranks), nan, 100 - ranks)
    out = C.rank(scores, ranks, 4, cuts=[3, 29, 58])
    np.testing.assert_array_equal(out, [0, 0, 1, 1, 2, 2, 3, 3, -1])
    assert out.dtype == np.int64


def test_rank_cuts_errors() -> None:
    s, r = np.array([1.0]), np.array([1.0])
    with pytest.raises(MethodError, match="needs 'cuts'"):
        C.rank(s, r, 4)
    with pytest.raises(MethodError, match="2 cuts make 3 bands, but there are 4"):
        C.rank(s, r, 4, cuts=[3, 29])
    with pytest.raises(MethodError, match="increase strictly"):
        C.rank(s, r, 3, cuts=[29, 3])
    with pytest.raises(MethodError, match="positive integer"):
        C.rank(s, r, 0, cuts=[])


def test_score_cuts_any_order() -> None:
    scores = np.array([80, 79.9, 60, 40, 39, nan, 100])
    out = C.score(scores, np.ones(7), 4, cuts=[40, 80, 60])
    # >= 80 band 0; [60, 80) band 1; [40, 60) band 2; < 40 band 3
    np.testing.assert_array_equal(out, [0, 1, 1, 2, 3, -1, 0])
    with pytest.raises(MethodError, match="distinct"):
        C.score(scores, np.ones(7), 3, cuts=[50, 50])


def test_quantile_default_equal_shares() -> None:
    ranks = np.arange(1.0, 9.0)
    np.testing.assert_array_equal(C.quantile(ranks, ranks, 4), [0, 0, 1, 1, 2, 2, 3, 3])


def test_quantile_probs_ties_and_missing() -> None:
    ranks = np.array([1, 2, 5, 6, 10, nan, 1, 3, 4, 7, 8])
    scores = np.where(np.isnan(ranks), nan, -ranks)
    # N = 10 ranked: top 10% is rank <= 1, top 50% rank <= 5
    out = C.quantile(scores, ranks, 3, probs=[0.1, 0.5])
    np.testing.assert_array_equal(out, [0, 1, 1, 2, 2, -1, 0, 1, 1, 2, 2])
    # thirds of 3 units are exact; tied units share a band
    np.testing.assert_array_equal(C.quantile(np.zeros(3), np.array([1.0, 1, 3]), 3), [0, 0, 2])


def test_quantile_errors() -> None:
    s = np.ones(4)
    with pytest.raises(MethodError, match="within"):
        C.quantile(s, s, 3, probs=[0.5, 1.0])
    with pytest.raises(MethodError, match="1 probs make 2 bands"):
        C.quantile(s, s, 3, probs=[0.5])


def test_breaks_jenks() -> None:
    # jenkspy's documented example: breaks [1.2, 2.3, 5.0, 7.8]
    values = [1.3, 7.1, 7.3, 2.3, 3.9, 4.1, 7.8, 1.2, 4.3, 7.3, 5.0, 4.3]
    scores = np.array([*values, nan])
    out = C.breaks(scores, np.ones(13), 3)
    expected = [0 if v > 5.0 else 1 if v > 2.3 else 2 for v in values] + [-1]
    np.testing.assert_array_equal(out, expected)


def test_breaks_degenerate() -> None:
    with pytest.raises(MethodError, match="2 distinct"):
        C.breaks(np.array([1.0, 1, 2, nan]), np.ones(4), 3)
    np.testing.assert_array_equal(C.breaks(np.array([1.0, nan]), np.ones(2), 1), [0, -1])


def test_shape_check() -> None:
    with pytest.raises(MethodError, match="same 1-D shape"):
        C.score(np.ones(3), np.ones(2), 2, cuts=[1])


def test_cuts_must_be_numbers() -> None:
    with pytest.raises(MethodError, match="list of numbers"):
        C.score(np.ones(2), np.ones(2), 2, cuts=["high"])  # type: ignore[list-item]
