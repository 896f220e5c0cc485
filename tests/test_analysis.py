"""Coherence statistics (mfgindex.analysis): golden values computed by hand, and the ASEM example
checked against COINr's own data sets through a second, independent path (pandas).

Tolerances: 1e-12 absolute for the hand-computed values; 1e-9 for comparisons on COINr's data
(COINr's reference data sets agree with ours to 1e-9, tests/golden/asem/SOURCE.md).
"""

from __future__ import annotations

import math
from fractions import Fraction
from itertools import combinations

import numpy as np
import pandas as pd
import pytest

import mfgindex as mi
from mfgindex.analysis import analyze, cronbach_alpha, pairwise_corr, pc1_share
from mfgindex.errors import UsageError
from mfgindex.methods.registry import methods
from tests.conftest import ASEM

# Five respondents, three items. By hand: item variances (n - 1 = 4) 10/4, 2.8/4, 6.8/4, i.e.
# 2.5, 0.7, 1.7 (sum 4.9); totals 8, 13, 10, 14, 5 with mean 10 and variance 54/4 = 13.5.
# alpha = 3/2 · (1 - 4.9/13.5) = 12.9/13.5 = 43/45.
ITEMS = np.array([[2, 3, 3], [4, 4, 5], [3, 3, 4], [5, 4, 5], [1, 2, 2]], dtype=float)

# Columns a+b, a+c, b+c of three orthogonal, centred vectors of equal length: every variance is
# 8/3 and every covariance 4/3, so every correlation is exactly 1/2. PCA of a 3×3 correlation
# matrix with equal off-diagonal r has eigenvalues 1 + 2r and 1 - r (twice): PC1 explains
# (1 + 2r)/3 = 2/3. Cronbach: 3/2 · (1 - 8/16) = 3/4.
_a, _b, _c = np.array([1, -1, 1, -1]), np.array([1, 1, -1, -1]), np.array([1, -1, -1, 1])
EQUICORR = np.column_stack([_a + _b, _a + _c, _b + _c]).astype(float)


def test_cronbach_textbook_by_hand() -> None:
    assert cronbach_alpha(ITEMS) == pytest.approx(43 / 45, abs=1e-12)
    # the item-variance / total-variance formula in exact arithmetic, a second path
    rows = [[Fraction(int(v)) for v in r] for r in ITEMS]

    def var(xs: list[Fraction]) -> Fraction:
        m = sum(xs) / len(xs)
        return sum((x - m) ** 2 for x in xs) / (len(xs) - 1)

    k = 3
    items = sum(var([r[j] for r in rows]) for j in range(k))
    total = var([sum(r) for r in rows])
    assert Fraction(k, k - 1) * (1 - items / total) == Fraction(43, 45)


def test_equicorrelated_by_hand() -> None:
    assert cronbach_alpha(EQUICORR) == pytest.approx(0.75, abs=1e-12)
    share, n = pc1_share(EQUICORR)
    assert share == pytest.approx(2 / 3, abs=1e-12) and n == 4
    for i, j in combinations(range(3), 2):
        assert pairwise_corr(EQUICORR[:, i], EQUICORR[:, j])[0] == pytest.approx(0.5, abs=1e-12)


def test_pca_of_two_columns() -> None:
    # two standardised columns with correlation r: eigenvalues 1 ± r, PC1 explains (1 + |r|)/2
    from scipy.stats import pearsonr

    rng = np.random.default_rng(1)
    x = rng.normal(size=(40, 2))
    x[:, 1] -= 0.7 * x[:, 0]
    r = pearsonr(x[:, 0], x[:, 1]).statistic
    assert pc1_share(x)[0] == pytest.approx((1 + abs(r)) / 2, abs=1e-12)
    # rows with a missing value are left out (COINr: na.omit before prcomp)
    x[3, 0] = np.nan
    assert pc1_share(x) == (pc1_share(np.delete(x, 3, axis=0))[0], 39)


def test_degenerate_inputs() -> None:
    assert math.isnan(cronbach_alpha(ITEMS[:, :1]))  # one item
    assert math.isnan(pc1_share(np.column_stack([ITEMS[:, 0], np.ones(5)]))[0])  # constant
    assert math.isnan(pairwise_corr(np.array([1.0, np.nan, 3]), np.array([np.nan, 2.0, 1]))[0])
    assert math.isnan(pairwise_corr(np.ones(4), np.arange(4.0))[0])
    with pytest.raises(UsageError, match="Did you mean 'spearman'"):
        pairwise_corr(np.ones(3), np.ones(3), "spearmann")


def test_correlations_against_scipy() -> None:
    from scipy.stats import pearsonr, spearmanr

    rng = np.random.default_rng(2)
    x = rng.integers(0, 5, size=30).astype(float)  # ties
    y = x + rng.normal(size=30)
    x[[2, 7]] = np.nan
    y[[7, 11]] = np.nan
    keep = ~(np.isnan(x) | np.isnan(y))
    r, n = pairwise_corr(x, y, "pearson")
    assert n == 27 and r == pytest.approx(pearsonr(x[keep], y[keep]).statistic, abs=1e-12)
    rho, _ = pairwise_corr(x, y, "spearman")
    assert rho == pytest.approx(spearmanr(x[keep], y[keep]).statistic, abs=1e-12)


def test_cronbach_with_missing_values_is_pairwise() -> None:
    x = ITEMS.copy()
    x[0, 1] = np.nan
    x[3, 2] = np.nan
    cov = pd.DataFrame(x).cov().to_numpy()  # pandas: pairwise complete, n - 1
    k = 3
    expected = k * k * ((cov.sum() - np.trace(cov)) / (k * (k - 1))) / cov.sum()
    assert cronbach_alpha(x) == pytest.approx(expected, abs=1e-12)


# ---------------------------------------------------------------------------------------------
# analyze on ASEM
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def asem_coherence() -> mi.Coherence:
    fw = mi.load_framework("asem")
    return analyze(fw, mi.read_data(None, fw))


def test_analyze_tables(asem_coherence: mi.Coherence) -> None:
    co = asem_coherence
    fw = co.framework
    groups = co.groups.set_index("group")
    assert list(groups.index) == [n.id for n in fw.walk() if not n.is_indicator]
    assert list(co.groups.columns) == [
        "group",
        "level",
        "children",
        "cronbach_alpha",
        "pc1_share",
        "n_complete",
        "mean_pearson",
        "negative",
        "collinear",
    ]
    n_pairs = sum(math.comb(len(fw.children(g)), 2) for g in groups.index)
    assert len(co.pairs) == n_pairs
    flagged = co.pairs[co.pairs["flag"] != ""]
    assert (flagged["pearson"].lt(-0.4) | flagged["pearson"].gt(0.9)).all()
    unflagged = co.pairs[co.pairs["flag"] == ""]
    assert unflagged["pearson"].between(-0.4, 0.9).all()
    assert groups["negative"].sum() == (co.pairs["flag"] == "negative").sum()
    assert len(co.parents) == len(fw.nodes) - 1
    # independent path: pandas' pairwise complete correlations of the same values
    values = co.values
    for row in co.parents.itertuples(index=False):
        assert row.pearson_parent == pytest.approx(values[row.node].corr(values[row.parent]), abs=1e-12)
        assert row.spearman_index == pytest.approx(
            values[row.node].corr(values[fw.id], method="spearman"), abs=1e-12
        )


def test_pearson_p_values(asem_coherence: mi.Coherence) -> None:
    from scipy.stats import pearsonr

    values = asem_coherence.values
    for row in asem_coherence.pairs.head(20).itertuples(index=False):
        a, b = values[row.node_1].to_numpy(), values[row.node_2].to_numpy()
        keep = ~(np.isnan(a) | np.isnan(b))
        assert row.p_value == pytest.approx(pearsonr(a[keep], b[keep]).pvalue, rel=1e-9, abs=1e-15)


def test_matrix(asem_coherence: mi.Coherence) -> None:
    m = asem_coherence.matrix(1)
    assert m.shape == (49, 49)
    np.testing.assert_allclose(np.diag(m), 1.0, atol=1e-12)
    np.testing.assert_allclose(m.to_numpy(), m.to_numpy().T, atol=1e-12)
    m23 = asem_coherence.matrix(2, 3, method="spearman")
    assert m23.shape == (8, 2) and list(m23.columns) == ["Conn", "Sust"]
    with pytest.raises(UsageError, match="levels 1"):
        asem_coherence.matrix(5)


def test_thresholds_are_parameters() -> None:
    fw = mi.load_framework("asem")
    co = analyze(fw, mi.read_data(None, fw), negative=-0.9, collinear=0.5)
    assert (co.pairs.loc[co.pairs["flag"] == "collinear", "pearson"] > 0.5).all()
    assert not (co.pairs["flag"] == "negative").any()
    with pytest.raises(UsageError):
        analyze(fw, mi.read_data(None, fw), collinear=2)


def test_asem_full_pipeline_against_coinr_data_sets() -> None:
    """Our statistics on our full-pipeline ASEM index equal COINr's definitions applied (via
    pandas) to COINr's own Normalised and Aggregated data sets."""
    needed = (("impute", "group_mean"), ("screen", "coverage"), ("treat", "winsorize"))
    if not all(any(m.name == n for m in methods(s)) for s, n in needed):
        pytest.skip("COINr's full example pipeline needs group_mean, coverage and winsorize")
    fw = mi.load_framework("asem")
    co = analyze(
        fw,
        mi.read_data(None, fw),
        impute="group_mean(group=EurAsia_group)",
        screen="coverage(min=0.9)",
        treat="winsorize(max_points=5)",
    )
    normalised = pd.read_csv(ASEM / "example_dset_Normalised.csv", index_col="uCode")
    aggregated = pd.read_csv(ASEM / "example_dset_Aggregated.csv", index_col="uCode")
    values = co.values.copy()
    values.index = values.index.astype(str)
    assert sorted(values.index) == sorted(normalised.index)
    groups = co.groups.set_index("group")
    for g in ("Physical", "P2P", "Environ", "Social", "Conn"):
        kids = list(fw.children(g))
        data = (aggregated if fw.level(g) > 2 else normalised)[kids]
        cov = data.cov()  # COINr get_cronbach: cov(use = "pairwise.complete.obs")
        k = len(kids)
        alpha = k * k * ((cov.to_numpy().sum() - np.trace(cov)) / (k * (k - 1))) / cov.to_numpy().sum()
        assert groups.loc[g, "cronbach_alpha"] == pytest.approx(alpha, abs=1e-9)
        # COINr get_PCA: prcomp(na.omit(x), center = TRUE, scale = TRUE)
        complete = data.dropna()
        sdev = np.linalg.svd(((complete - complete.mean()) / complete.std()).to_numpy(), compute_uv=False)
        assert groups.loc[g, "pc1_share"] == pytest.approx(sdev[0] ** 2 / (sdev**2).sum(), abs=1e-9)
    # each indicator with its pillar (COINr get_corr(withparent = TRUE), Pearson)
    parents = co.parents.set_index("node")
    for ind in ("LPI", "CO2", "NEET"):
        parent = fw.nodes[ind].parent
        assert parent is not None
        expected = normalised[ind].corr(aggregated[parent])
        assert parents.loc[ind, "pearson_parent"] == pytest.approx(expected, abs=1e-9)
