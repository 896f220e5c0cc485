"""Weighting methods: golden tests against Saaty's published AHP example and peer libraries
(pymcdm, scikit-criteria, scikit-learn — numbers hard-coded in tests/golden), hand-computed
cases, properties, and the degenerate-input policy of every method."""

from __future__ import annotations

import csv
import statistics
from collections.abc import Callable
from dataclasses import replace
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from mfgindex.errors import MethodError
from mfgindex.methods import registry
from mfgindex.methods import weight as W
from mfgindex.methods.base import FloatArray, WeightContext

nan = np.nan
GOLDEN = Path(__file__).resolve().parent.parent / "golden"


def wctx(k: int, comparisons: Any = None, weights: Any = None) -> WeightContext:
    return WeightContext(
        parent="g",
        children=tuple(f"c{j}" for j in range(k)),
        weights=np.ones(k) if weights is None else np.asarray(weights, dtype=float),
        direction=np.ones(k),
        comparisons=None if comparisons is None else np.asarray(comparisons, dtype=float),
    )


DATA_DRIVEN: dict[str, Callable[..., FloatArray]] = {
    "entropy": W.entropy,
    "critic": W.critic,
    "cv": W.cv,
    "std": W.std,
    "pca": W.pca,
    "optimize": W.optimize,
}

RNG = np.random.default_rng(11)
SAMPLE = RNG.uniform(1, 100, size=(25, 4)) + np.outer(RNG.uniform(0, 50, 25), [1, 0.5, 0, -0.3])


# --------------------------------------------------------------------------- framework, equal


def test_framework_and_equal() -> None:
    framework = W.framework(SAMPLE, wctx(4, weights=[1, 1, 2, 0]))
    np.testing.assert_allclose(framework, [0.25, 0.25, 0.5, 0])
    np.testing.assert_allclose(W.equal(SAMPLE, wctx(4)), [0.25] * 4)
    # values are not used: missing or single-unit data do not matter
    np.testing.assert_allclose(W.equal(np.full((1, 4), nan), wctx(4)), [0.25] * 4)


def test_framework_degenerate() -> None:
    for bad in ([0, 0, 0, 0], [1, -1, 1, 1], [1, nan, 1, 1]):
        with pytest.raises(MethodError):
            W.framework(SAMPLE, wctx(4, weights=bad))
    with pytest.raises(MethodError, match="no children"):
        W.equal(np.zeros((3, 0)), wctx(0))


# --------------------------------------------------------------------------- AHP


def _house() -> tuple[list[str], np.ndarray, dict[str, tuple[float, float]]]:
    path = GOLDEN / "ahp_saaty1990"
    with open(path / "house_criteria.csv") as fh:
        rows = list(csv.reader(fh))
    names = rows[0][1:]
    a = np.array([[float(Fraction(v)) for v in r[1:]] for r in rows[1:]])
    expected = {}
    with open(path / "expected.csv") as fh:
        for r in csv.DictReader(fh):
            peer = float(r["pymcdm_1.4.0"]) if r["pymcdm_1.4.0"] else nan
            expected[r["quantity"]] = (float(r["saaty_1990_published"]), peer)
    return names, a, expected


def test_ahp_reproduces_saaty_1990_house_example() -> None:
    names, a, expected = _house()
    w, lam, ci, cr = W.ahp_weights(a)
    published = np.array([expected[f"weight_{n}"][0] for n in names])
    peer = np.array([expected[f"weight_{n}"][1] for n in names])
    assert np.max(np.abs(w - published)) <= 5e-4  # 3 printed decimals
    assert np.max(np.abs(w - peer)) <= 1e-12  # pymcdm 1.4.0
    assert lam == pytest.approx(expected["lambda_max"][0], abs=5e-4)
    assert lam == pytest.approx(expected["lambda_max"][1], abs=1e-12)
    assert ci == pytest.approx(expected["ci"][0], abs=5e-4)
    assert ci == pytest.approx(expected["ci"][1], abs=1e-12)
    assert cr == pytest.approx(expected["cr"][0], abs=5e-4)


def test_ahp_max_cr_rejects_the_inconsistent_house_matrix_unless_raised() -> None:
    names, a, _ = _house()
    ctx = WeightContext("goal", tuple(names), np.ones(8), np.ones(8), a)
    with pytest.raises(MethodError, match=r"CR = 0\.169 > max_cr = 0\.1"):
        W.ahp(np.zeros((3, 8)), ctx)
    w = registry.resolve("weight", "ahp(max_cr=0.2)")(np.zeros((3, 8)), ctx)
    assert w.sum() == pytest.approx(1.0)


def test_ahp_geometric_mean_method() -> None:
    _, a, _ = _house()
    w, _, _, cr = W.ahp_weights(a, "geometric")
    rows = [statistics.geometric_mean(r) for r in a.tolist()]
    np.testing.assert_allclose(w, np.array(rows) / sum(rows), rtol=1e-12)
    assert cr == pytest.approx(0.169, abs=5e-4)  # consistency is a property of the matrix


def test_ahp_consistent_matrix_recovers_its_weights() -> None:
    true = np.array([0.5, 0.3, 0.15, 0.05])
    a = true[:, None] / true[None, :]
    for method in ("eigenvector", "geometric"):
        w, lam, _, cr = W.ahp_weights(a, method)
        np.testing.assert_allclose(w, true, rtol=1e-12)
        assert lam == pytest.approx(4.0) and abs(cr) < 1e-12


def test_ahp_small_matrices() -> None:
    assert W.ahp_weights(np.array([[1.0]])) == (pytest.approx([1.0]), 1.0, 0.0, 0.0)
    w, _, ci, cr = W.ahp_weights(np.array([[1, 3], [1 / 3, 1]]))
    np.testing.assert_allclose(w, [0.75, 0.25])
    assert ci == 0.0 and cr == 0.0


def test_ahp_rounded_reciprocals_are_accepted() -> None:
    w, *_ = W.ahp_weights(np.array([[1, 3, 8], [0.33, 1, 2], [0.13, 0.5, 1]]))
    assert w.sum() == pytest.approx(1.0)
    with pytest.raises(MethodError, match="not reciprocal"):
        W.ahp_weights(np.array([[1, 3, 8], [0.5, 1, 2], [0.13, 0.5, 1]]))


@pytest.mark.parametrize(
    ("matrix", "message"),
    [
        ([[1, 3], [0.5, 1]], r"not reciprocal: the entry at row 'c0', column 'c1' is 3"),
        ([[1, 0], [0, 1]], r"row 'c0', column 'c1' is 0; every entry must be a positive"),
        ([[1, -2], [-0.5, 1]], "positive"),
        ([[1, nan], [nan, 1]], "positive"),
        ([[2, 3], [1 / 3, 1]], r"diagonal entry at row 'c0', column 'c0'"),
    ],
)
def test_ahp_matrix_errors_name_the_cell(matrix: list[list[float]], message: str) -> None:
    with pytest.raises(MethodError, match=message):
        W.ahp(np.zeros((2, 2)), wctx(2, comparisons=matrix))


def test_ahp_context_errors() -> None:
    with pytest.raises(MethodError, match="no pairwise comparison matrix"):
        W.ahp(SAMPLE, wctx(4))
    with pytest.raises(MethodError, match="4 children but its comparison matrix is 2x2"):
        W.ahp(SAMPLE, wctx(4, comparisons=np.ones((2, 2))))
    with pytest.raises(MethodError, match="method"):
        W.ahp_weights(np.ones((2, 2)), "power")
    with pytest.raises(MethodError, match="covers n ≤ 10"):
        W.ahp_weights(np.ones((11, 11)))
    with pytest.raises(MethodError, match="square"):
        W.ahp_weights(np.ones((2, 3)))


# --------------------------------------------------------------------------- golden: peers


def _peer() -> tuple[FloatArray, WeightContext, dict[tuple[str, str], FloatArray]]:
    ref = pd.read_csv(GOLDEN / "weights_peer" / "reference_weights.csv")
    cols = ["Goods", "Services", "FDI", "PRemit", "ForPort"]
    x = pd.read_csv(GOLDEN / "asem" / "example_dset_Treated.csv")[cols].to_numpy(float)
    ctx = WeightContext("ConEcFin", tuple(cols), np.ones(5), np.ones(5))
    table = {
        (str(m), str(lib)): row
        for m, lib, row in zip(ref["method"], ref["library"], ref[cols].to_numpy(float), strict=True)
    }
    return x, ctx, table


@pytest.mark.parametrize(
    ("spec", "library"),
    [
        ("entropy(basis=raw)", "pymcdm 1.4.0"),
        ("entropy(basis=raw)", "scikit-criteria 0.10"),
        ("entropy", "scikit-criteria 0.10"),
        ("critic", "pymcdm 1.4.0"),
        ("critic(correlation=spearman)", "scikit-criteria 0.10"),
        ("critic(correlation=kendall)", "scikit-criteria 0.10"),
        ("std", "pymcdm 1.4.0"),
        ("pca", "scikit-learn 1.9.1"),
    ],
)
def test_weights_match_peer_libraries(spec: str, library: str) -> None:
    x, ctx, ref = _peer()
    w = registry.resolve("weight", spec)(x, ctx)
    assert np.max(np.abs(w - ref[(spec, library)])) <= 1e-12


# --------------------------------------------------------------------------- entropy


def test_entropy_by_hand() -> None:
    # raw basis, n = 2: a = [1, 3] -> p = (1/4, 3/4); b constant -> d = 0; c = [0, 4] -> p = (0, 1),
    # 0 ln 0 = 0, e = 0, d = 1
    x = np.array([[1.0, 2.0, 0.0], [3.0, 2.0, 4.0]])
    e_a = -(0.25 * np.log(0.25) + 0.75 * np.log(0.75)) / np.log(2)
    d = np.array([1 - e_a, 0.0, 1.0])
    np.testing.assert_allclose(W.entropy(x, wctx(3), basis="raw"), d / d.sum(), rtol=1e-14)


def test_entropy_shift_and_zero_log() -> None:
    x = SAMPLE
    y = (x - x.min(axis=0)) / (x.max(axis=0) - x.min(axis=0)) + 0.01
    p = y / y.sum(axis=0)
    d = 1 + (p * np.log(p)).sum(axis=0) / np.log(len(x))
    np.testing.assert_allclose(W.entropy(x, wctx(4), shift=0.01), d / d.sum(), rtol=1e-12)
    with pytest.raises(MethodError, match="zero proportion"):
        W.entropy(x, wctx(4), zero_log="error")  # min-max gives each column a 0
    w = W.entropy(x, wctx(4), zero_log="error", shift=0.0001)
    assert w.sum() == pytest.approx(1.0)


def test_entropy_missing_values_are_dropped_per_child() -> None:
    x = SAMPLE + 100
    x[:5, 0] = nan
    w = W.entropy(x, wctx(4), basis="raw")

    def d(col: FloatArray) -> float:
        col = col[~np.isnan(col)]
        p = col / col.sum()
        return float(1 + (p * np.log(p)).sum() / np.log(col.size))

    ds = np.array([d(x[:, j]) for j in range(4)])
    np.testing.assert_allclose(w, ds / ds.sum(), rtol=1e-12)


def test_entropy_degenerate() -> None:
    x = SAMPLE.copy()
    x[:, 2] = 7.0
    for basis in ("minmax", "raw"):
        assert W.entropy(x + 100, wctx(4), basis=basis)[2] == 0.0  # constant child
    with pytest.raises(MethodError, match="negative"):
        W.entropy(SAMPLE - 500, wctx(4), basis="raw")
    assert W.entropy(SAMPLE - 50, wctx(4)).sum() == pytest.approx(1.0)  # minmax copes
    x[:, 1] = nan
    with pytest.raises(MethodError, match="'c1' \\(0 values\\)"):
        W.entropy(x, wctx(4))
    with pytest.raises(MethodError, match="at least 2 units"):
        W.entropy(SAMPLE[:1], wctx(4))
    with pytest.raises(MethodError, match="no child varies"):
        W.entropy(np.ones((5, 3)), wctx(3))
    for bad in ({"basis": "sum"}, {"zero_log": "skip"}, {"shift": -1.0}):
        with pytest.raises(MethodError):
            W.entropy(SAMPLE, wctx(4), **bad)


# --------------------------------------------------------------------------- CRITIC


def test_critic_constant_child_is_left_out() -> None:
    x = np.column_stack([SAMPLE, np.full(25, 3.0)])
    w = W.critic(x, wctx(5))
    assert w[4] == 0.0
    np.testing.assert_allclose(w[:4], W.critic(SAMPLE, wctx(4)), rtol=1e-12)
    one = np.column_stack([SAMPLE[:, 0], np.full(25, 3.0)])
    np.testing.assert_allclose(W.critic(one, wctx(2)), [1.0, 0.0])


def test_critic_uses_complete_cases_and_is_affine_invariant() -> None:
    x = SAMPLE.copy()
    x[3, 1] = nan
    x[7, 3] = nan
    keep = ~np.isnan(x).any(axis=1)
    np.testing.assert_allclose(W.critic(x, wctx(4)), W.critic(x[keep], wctx(4)), rtol=1e-12)
    # min-max makes it invariant to shifting (negatives fine) and positive scaling of a child
    moved = SAMPLE * np.array([1, 1000, 0.01, 1]) - 500
    np.testing.assert_allclose(W.critic(moved, wctx(4)), W.critic(SAMPLE, wctx(4)), rtol=1e-10)


def test_critic_degenerate() -> None:
    with pytest.raises(MethodError, match="at least 2 units"):
        W.critic(SAMPLE[:1], wctx(4))
    x = SAMPLE.copy()
    x[::2, 0] = nan
    x[1::2, 1] = nan  # no complete case left
    with pytest.raises(MethodError, match="0 have"):
        W.critic(x, wctx(4))
    with pytest.raises(MethodError, match="no child varies"):
        W.critic(np.zeros((4, 3)), wctx(3))
    with pytest.raises(MethodError, match="correlation"):
        W.critic(SAMPLE, wctx(4), correlation="distance")


# --------------------------------------------------------------------------- CV, std


def test_cv_by_hand() -> None:
    # sd 1 for both; means 2 and 11: CV 1/2 and 1/11 -> 11/13, 2/13
    x = np.array([[1.0, 10.0], [2.0, 11.0], [3.0, 12.0]])
    np.testing.assert_allclose(W.cv(x, wctx(2)), [11 / 13, 2 / 13], rtol=1e-14)
    x[0, 1] = nan  # per-child: [11, 12] has sd 0.7071, mean 11.5
    cv = np.array([0.5, np.std([11, 12], ddof=1) / 11.5])
    np.testing.assert_allclose(W.cv(x, wctx(2)), cv / cv.sum(), rtol=1e-14)


def test_cv_std_degenerate() -> None:
    x = np.array([[1.0, 5.0, 0.0], [3.0, 5.0, -2.0], [5.0, 5.0, 1.0]])
    with pytest.raises(MethodError, match=r"'c2'.*positive mean"):
        W.cv(x, wctx(3))
    np.testing.assert_allclose(W.cv(x[:, :2], wctx(2)), [1.0, 0.0])  # constant child
    s = W.std(x, wctx(3))  # negatives and zeros are fine for std
    sd = np.std(x, axis=0, ddof=1)
    np.testing.assert_allclose(s, sd / sd.sum())
    assert s[1] == 0.0
    for f in (W.cv, W.std):
        with pytest.raises(MethodError, match="at least 2 units"):
            f(x[:1], wctx(3))
        with pytest.raises(MethodError, match="no child varies"):
            f(np.ones((4, 2)), wctx(2))


# --------------------------------------------------------------------------- PCA


def test_pca_degenerate_and_single_factor() -> None:
    # two perfectly correlated children and one independent: loadings split accordingly
    x = np.column_stack([SAMPLE[:, 0], 2 * SAMPLE[:, 0] + 1, np.full(25, 4.0)])
    np.testing.assert_allclose(W.pca(x, wctx(3)), [0.5, 0.5, 0.0], atol=1e-12)
    np.testing.assert_allclose(W.pca(x[:, [0, 2]], wctx(2)), [1.0, 0.0])
    with pytest.raises(MethodError, match="at least 2 units"):
        W.pca(SAMPLE[:1], wctx(4))
    with pytest.raises(MethodError, match="no child varies"):
        W.pca(np.ones((5, 2)), wctx(2))


# --------------------------------------------------------------------------- optimize


def test_optimize_balances_correlations_to_target() -> None:
    rng = np.random.default_rng(5)
    common = rng.normal(size=200)
    x = np.column_stack([common + rng.normal(scale=s, size=200) for s in (0.5, 1.0, 2.0)])
    for target in ([1.0, 1.0, 1.0], [1.0, 1.0, 2.0]):
        r = W.optimize_weights(x, target)
        assert r.converged
        np.testing.assert_allclose(r.shares, r.target, atol=1e-6)
        assert r.weights.sum() == pytest.approx(1.0) and (r.weights >= 0).all()
        np.testing.assert_allclose(W.optimize(x, wctx(3), target=target), r.weights)
    sp = W.optimize_weights(x, [], correlation="spearman")
    # rank correlations move in steps, so the balance is only as fine as the steps
    np.testing.assert_allclose(sp.shares, [1 / 3] * 3, atol=1e-4)


def test_optimize_degenerate() -> None:
    np.testing.assert_allclose(W.optimize(SAMPLE[:, :1], wctx(1)), [1.0])
    x = np.column_stack([SAMPLE[:, :2], np.full(25, 1.0)])
    with pytest.raises(MethodError, match=r"'c2'.*constant"):
        W.optimize(x, wctx(3))
    with pytest.raises(MethodError, match="target has 2 entries for 4"):
        W.optimize(SAMPLE, wctx(4), target=[1, 2])
    with pytest.raises(MethodError, match="target"):
        W.optimize(SAMPLE, wctx(4), target=[1, -1, 1, 1])
    with pytest.raises(MethodError, match="at least 2 units"):
        W.optimize(SAMPLE[:1], wctx(4))


# --------------------------------------------------------------------------- combine


def test_combine_weights() -> None:
    a, b = np.array([0.5, 0.3, 0.2]), np.array([2.0, 1.0, 1.0])  # b normalised: .5 .25 .25
    prod = np.array([0.25, 0.075, 0.05])
    np.testing.assert_allclose(W.combine_weights(a, b), prod / prod.sum())
    np.testing.assert_allclose(
        W.combine_weights(a, b, "linear", alpha=0.2), 0.2 * a + 0.8 * np.array([0.5, 0.25, 0.25])
    )
    with pytest.raises(MethodError, match="all zero"):
        W.combine_weights([1, 0], [0, 1])
    with pytest.raises(MethodError, match="length"):
        W.combine_weights([1, 1], [1, 1, 1])
    with pytest.raises(MethodError, match="alpha"):
        W.combine_weights(a, b, "linear", alpha=1.5)
    with pytest.raises(MethodError, match=">= 0"):
        W.combine_weights([1, -1], [1, 1])
    with pytest.raises(MethodError, match="method"):
        W.combine_weights(a, b, "harmonic")


# --------------------------------------------------------------------------- contract, properties


@pytest.mark.parametrize("method", registry.methods("weight"), ids=lambda m: m.name)
def test_contract(method: registry.Method) -> None:
    doc = method.func.__doc__ or ""
    assert method.summary and len(method.summary) <= 100
    assert "Degenerate input" in doc
    assert "References" in doc or method.name == "equal"
    k = 4
    a = np.array([[1, 2, 3, 4], [1 / 2, 1, 2, 3], [1 / 3, 1 / 2, 1, 2], [1 / 4, 1 / 3, 1 / 2, 1]])
    w = method.func(SAMPLE, wctx(k, comparisons=a))
    assert w.shape == (k,) and np.all(w >= 0) and w.sum() == pytest.approx(1.0)
    x = SAMPLE.copy()
    x[[0, 5], [1, 2]] = nan  # missing cells are handled, never propagated
    assert np.all(np.isfinite(method.func(x, wctx(k, comparisons=a))))


finite = st.floats(min_value=-1e3, max_value=1e3, allow_nan=False, allow_infinity=False)


@settings(max_examples=40, deadline=None)
@given(arrays(np.float64, (8, 3), elements=finite), st.permutations([0, 1, 2]))
def test_permuting_children_permutes_weights(x: FloatArray, perm: list[int]) -> None:
    x = x + np.arange(8)[:, None] * np.array([1.0, -0.5, 0.25])  # make every child vary
    for name in ("entropy", "critic", "std", "pca"):
        f = DATA_DRIVEN[name]
        w = f(x, wctx(3))
        np.testing.assert_allclose(f(x[:, perm], wctx(3)), w[perm], atol=1e-9)


# --------------------------------------------------------------------------- AHP from a CSV, combine


def test_ahp_judgements_file_equals_the_matrix(tmp_path: Path) -> None:
    """Saaty's house example given as a long CSV (upper triangle only, fractions as written):
    the file is read once by :mod:`mfgindex.judgements`, the method gets the matrix."""
    from mfgindex.judgements import read_judgements

    names, a, _ = _house()
    with open(GOLDEN / "ahp_saaty1990" / "house_criteria.csv") as fh:
        raw = list(csv.reader(fh))
    lines = ["parent,row,column,value"]
    for i in range(len(names)):
        for j in range(i + 1, len(names)):
            lines.append(f"house,{names[i]},{names[j]},{raw[i + 1][j + 1]}")
    path = tmp_path / "judgements.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    base = wctx(len(names))
    judgements = read_judgements(str(path))
    assert len(judgements.digest) == 64
    ctx = WeightContext(
        parent="house",
        children=tuple(names),
        weights=base.weights,
        direction=base.direction,
        comparisons=judgements.matrix("house", names),
        comparisons_from=str(path),
    )
    got = registry.resolve("weight", f"ahp(file='{path}', max_cr=0.2)")(np.zeros((3, 8)), ctx)
    np.testing.assert_allclose(got, W.ahp_weights(a)[0], rtol=0, atol=1e-12)
    # the method never reads the file: a matrix not read from it is refused, not used
    with pytest.raises(MethodError, match="was not read for group 'house'"):
        W.ahp(np.zeros((3, 8)), replace(ctx, comparisons_from=None), file=str(path), max_cr=0.2)
    # a missing pair is named
    path.write_text("\n".join(lines[:-1]) + "\n", encoding="utf-8")
    with pytest.raises(MethodError, match=f"no judgement between '{names[-2]}' and '{names[-1]}'"):
        read_judgements(str(path)).matrix("house", names)
    path.write_text("parent,row,column,value\nhouse,size,garden,3\n", encoding="utf-8")
    with pytest.raises(MethodError, match="'garden' is not a child of group 'house'"):
        read_judgements(str(path)).matrix("house", names)
    assert read_judgements(str(path)).matrix("other", names) is None


def test_combine_registered() -> None:
    """Linear and multiplicative combination of framework and equal weights, by hand."""
    ctx = wctx(4, weights=[4, 3, 2, 1])
    lin = registry.resolve(
        "weight", "combine(first='framework', second='equal', method='linear', alpha=0.5)"
    )(SAMPLE, ctx)
    np.testing.assert_allclose(
        lin, [0.5 * 0.4 + 0.125, 0.5 * 0.3 + 0.125, 0.5 * 0.2 + 0.125, 0.5 * 0.1 + 0.125]
    )
    mult = registry.resolve("weight", "combine(first='framework', second='equal')")(SAMPLE, ctx)
    np.testing.assert_allclose(mult, [0.4, 0.3, 0.2, 0.1])  # × equal leaves the shares
    with pytest.raises(MethodError, match="cannot itself be 'combine'"):
        registry.resolve("weight", "combine(first='combine')")(SAMPLE, ctx)
