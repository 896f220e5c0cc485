"""TOPSIS, VIKOR and benefit of the doubt: golden tests against published examples and peer
libraries (tests/golden/mcdm, see SOURCE.md there), the missing-value and degenerate-input
policies on hand-computed arrays, the (r, k) batch, and properties."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from mfgindex.errors import MethodError
from mfgindex.methods import aggregate as A
from mfgindex.methods.base import FloatArray
from mfgindex.methods.registry import resolve

nan = np.nan
GOLDEN = Path(__file__).resolve().parent.parent / "golden"
MCDM = GOLDEN / "mcdm"
PUBLISHED: dict[str, dict[str, Any]] = json.loads((MCDM / "published.json").read_text("utf-8"))


def arr(*rows: list[float]) -> FloatArray:
    return np.asarray(rows, dtype=float)


# --------------------------------------------------------------------------- golden


@pytest.mark.parametrize("key", sorted(PUBLISHED))
def test_published_examples(key: str) -> None:
    case = PUBLISHED[key]
    matrix = case["matrix"]
    if isinstance(matrix, str):  # shares the matrix of another example
        matrix = PUBLISHED[matrix]["matrix"]
    x = np.array([[nan if v is None else v for v in row] for row in matrix], dtype=float)
    x = x * np.asarray(case["directions"], dtype=float)  # oriented: higher is better
    got = resolve("aggregate", case["method"])(x, np.asarray(case["weights"], dtype=float))
    if case["output"].startswith("Q"):
        got = 1.0 - got  # VIKOR's Q (lower is better) is 1 - our score
    np.testing.assert_allclose(got, case["expected"], rtol=0, atol=case["tolerance"])


PEER = pd.read_csv(MCDM / "peer_asem.csv")
PHYSICAL = ["LPI", "Flights", "Ship", "Bord", "Elec", "Gas", "ConSpeed", "Cov4G"]
PEER_WEIGHTS = np.array([1, 2, 1, 0.5, 1, 1.5, 2, 1])


def _peer_spec(column: str) -> tuple[str, bool]:
    """``topsis_vector__pymcdm`` -> ``topsis(normalize=vector)``; VIKOR columns hold Q."""
    method = column.split("__")[0]
    if method.startswith("topsis_"):
        return f"topsis(normalize={method.removeprefix('topsis_')})", False
    return f"vikor(v={method.removeprefix('vikor_q_v')})", True


@pytest.mark.parametrize("column", [c for c in PEER.columns if c != "uCode"])
def test_peer_libraries_on_asem(column: str) -> None:
    frame = pd.read_csv(GOLDEN / "asem" / "example_dset_Normalised.csv")
    assert list(frame["uCode"]) == list(PEER["uCode"])
    spec, is_q = _peer_spec(column)
    got = resolve("aggregate", spec)(frame[PHYSICAL].to_numpy(float), PEER_WEIGHTS)
    expected = PEER[column].to_numpy(float)
    np.testing.assert_allclose(1.0 - got if is_q else got, expected, rtol=0, atol=1e-12)


def _bod_envelopment(x: FloatArray) -> FloatArray:
    """The dual (envelopment) form, one programme per unit: min sum(lambda) subject to
    sum_v lambda_v x_v >= x_u on the unit's present children, lambda >= 0 — an independent
    formulation with the same optimum (LP duality); missing values count 0 for benchmarks."""
    from scipy.optimize import linprog

    filled = np.nan_to_num(x)
    out = np.full(x.shape[0], nan)
    for u in range(x.shape[0]):
        cols = np.flatnonzero(~np.isnan(x[u]))
        if cols.size == 0:
            continue
        res = linprog(
            np.ones(x.shape[0]),
            A_ub=-filled[:, cols].T,
            b_ub=-filled[u, cols],
            bounds=(0, None),
            method="highs",
        )
        out[u] = res.fun
    return out


def test_bod_agrees_with_its_dual_on_asem_with_gaps() -> None:
    frame = pd.read_csv(GOLDEN / "asem" / "example_dset_Normalised.csv")
    x = frame[PHYSICAL].to_numpy(float)
    x[np.random.default_rng(3).random(x.shape) < 0.1] = nan
    np.testing.assert_allclose(A.bod(x, np.ones(8)), _bod_envelopment(x), rtol=0, atol=1e-9)


# --------------------------------------------------------------------------- TOPSIS policies


def test_topsis_missing_child_by_hand() -> None:
    # min-max over the units present: child 1 spans 1..3, child 2 spans 2..4 (units 0 and 2).
    # unit 0 is worst on both (C = 0); unit 1 is best on the one child it has (C = 1);
    # unit 2: gaps to the ideal (0.5, 0), to the anti-ideal (0.5, 1).
    x = arr([1, 2], [3, nan], [2, 4])
    c2 = np.sqrt(1.25) / (0.5 + np.sqrt(1.25))
    np.testing.assert_allclose(A.topsis(x, np.array([1.0, 1.0]), normalize="minmax"), [0, 1, c2])


def test_topsis_weights_scale_free_so_per_unit_renormalisation_is_implicit() -> None:
    x = arr([1, 2, nan], [3, nan, 5], [2, 4, 1], [0.5, 3, 2])
    w = np.array([1.0, 2.0, 0.5])
    for norm in A.TOPSIS_NORMALIZATIONS:
        np.testing.assert_allclose(A.topsis(x, 7 * w, normalize=norm), A.topsis(x, w, normalize=norm))


@pytest.mark.filterwarnings("error")
def test_topsis_constant_child_adds_nothing_and_alone_gives_nan() -> None:
    x = arr([1, 5], [3, 5], [2, 5])
    for norm in A.TOPSIS_NORMALIZATIONS:
        np.testing.assert_allclose(
            A.topsis(x, np.array([1.0, 3.0]), normalize=norm),
            A.topsis(x[:, :1], np.array([1.0]), normalize=norm),
        )
    # a unit whose only child present is constant: 0/0 -> NaN; a lone unit too
    y = arr([1, 5], [nan, 5], [2, 5])
    assert np.isnan(A.topsis(y, np.ones(2))[1])
    assert np.isnan(A.topsis(arr([3, 4]), np.ones(2))[0])
    # all zeros (vector norm 0) is constant too
    assert np.isnan(A.topsis(arr([0, 0], [0, 0]), np.ones(2))).all()


def test_topsis_zero_weight_only_is_nan_and_negatives_are_accepted() -> None:
    x = arr([1, nan], [nan, 2], [3, 4])
    out = A.topsis(x, np.array([1.0, 0.0]))
    assert np.isnan(out[1]) and out[0] == 0 and out[2] == 1
    neg = A.topsis(arr([-1, 2], [-3, 4], [2, -1]), np.ones(2))
    assert np.isfinite(neg).all() and ((neg >= 0) & (neg <= 1)).all()


def test_topsis_rejects_unknown_normalisation() -> None:
    with pytest.raises(MethodError, match=r"must be one of \{vector, minmax\}. Got 'sum'"):
        A.topsis(arr([1, 2]), np.ones(2), normalize="sum")


# --------------------------------------------------------------------------- VIKOR policies


def test_vikor_missing_child_by_hand() -> None:
    # regrets (f* - x) / (f* - f-): unit 0 (1, 1), unit 1 (0, -), unit 2 (0.5, 0).
    # weights 1/2 each, renormalised over present children: unit 1 has weight 1 on child 1.
    # S = (1, 0, 0.25), R = (0.5, 0, 0.25); Q = 0.5 S/1 + 0.5 R/0.5 = (1, 0, 0.375).
    x = arr([1, 2], [3, nan], [2, 4])
    np.testing.assert_allclose(A.vikor(x, np.array([1.0, 1.0])), [0, 1, 0.625])


@pytest.mark.filterwarnings("error")
def test_vikor_constant_child_is_left_out() -> None:
    x = arr([5, 8, 4], [7, 6, 8], [8, 8, 6], [7, 4, 6])
    w = np.array([0.3, 0.4, 0.3])
    with_constant = np.column_stack([x, np.full(4, 2.0)])
    np.testing.assert_allclose(A.vikor(with_constant, np.append(w, 5.0)), A.vikor(x, w))
    # a unit with only the constant child present has no regret to measure: NaN
    y = with_constant.copy()
    y[1, :3] = nan
    out = A.vikor(y, np.append(w, 1.0))
    assert np.isnan(out[1]) and np.isfinite(np.delete(out, 1)).all()
    assert np.isnan(A.vikor(arr([1, 2]), np.ones(2))).all()  # a lone unit


def test_vikor_ties_are_all_best_on_the_tied_term() -> None:
    # mirrored units tie on S and on R: Q = 0 for both (scikit-criteria's convention)
    np.testing.assert_allclose(A.vikor(arr([1, 0], [0, 1]), np.ones(2)), [1, 1])
    # regrets (1, 0), (0.5, 0.5), (0, 1): S = 0.5 for all (tied: term 0), R = (0.5, 0.25, 0.5)
    # -> R term (1, 0, 1); Q = 0.5 * 0 + 0.5 * R term
    np.testing.assert_allclose(A.vikor(arr([0, 2], [1, 1], [2, 0]), np.ones(2)), [0.5, 1, 0.5])


def test_vikor_v_selects_the_strategy() -> None:
    x = arr([5, 8, 4], [7, 6, 8], [8, 8, 6], [7, 4, 6])
    w = np.array([0.3, 0.4, 0.3])
    s = np.array([0.6, 0.3, 0.15, 0.65])
    r = np.array([0.3, 0.2, 0.15, 0.4])
    np.testing.assert_allclose(1 - A.vikor(x, w, v=1.0), (s - s.min()) / np.ptp(s))
    np.testing.assert_allclose(1 - A.vikor(x, w, v=0.0), (r - r.min()) / np.ptp(r))
    with pytest.raises(MethodError, match="between 0 and 1"):
        A.vikor(x, w, v=1.5)


# --------------------------------------------------------------------------- BoD policies


def test_bod_missing_values_count_zero_as_benchmarks() -> None:
    # D (3, missing) is scored on its one child; as a benchmark it constrains nothing on the
    # child it lacks, so A, B, C score as without it (SOURCE.md works this example by hand).
    x = arr([4, 1], [1, 4], [2, 2], [3, nan])
    np.testing.assert_allclose(A.bod(x, np.ones(2)), [1, 1, 0.8, 0.75], atol=1e-9)
    np.testing.assert_allclose(A.bod(x[:3], np.ones(2)), [1, 1, 0.8], atol=1e-9)


def test_bod_ignores_weight_sizes_but_drops_zero_weight_children() -> None:
    x = arr([4, 1], [1, 4], [2, 2])
    np.testing.assert_allclose(A.bod(x, np.array([5.0, 0.1])), A.bod(x, np.ones(2)))
    # weight 0 on child 2: only child 1 counts -> x1 / max x1
    np.testing.assert_allclose(A.bod(x, np.array([1.0, 0.0])), [1, 0.25, 0.5], atol=1e-9)
    batch = A.bod(x, np.array([[1.0, 1.0], [1.0, 0.0], [2.0, 3.0]]))
    np.testing.assert_allclose(batch, [[1, 1, 0.8], [1, 0.25, 0.5], [1, 1, 0.8]], atol=1e-9)


def test_bod_degenerate_rows() -> None:
    x = arr([0, 0], [1, 2], [nan, nan], [2, 1])
    out = A.bod(x, np.ones(2))
    assert out[0] == 0 and np.isnan(out[2])
    # a child 0 for every unit adds nothing
    zero_child = np.array([0.0, 0.0, nan, 0.0])
    np.testing.assert_allclose(A.bod(np.column_stack([x, zero_child]), np.ones(3)), out, atol=1e-12)
    # lower > 0: a present 0 forces the unit's score to 0 (its share can only be 0)
    y = arr([4, 0], [1, 4], [2, 2])
    assert A.bod(y, np.ones(2), lower=0.2)[0] == pytest.approx(0, abs=1e-12)
    # too few children present to meet the share bounds: NaN (1 child cannot be <= 60 %)
    z = arr([4, 1], [1, 4], [2, nan])
    out = A.bod(z, np.ones(2), lower=0.4, upper=0.6)
    assert np.isnan(out[2]) and np.isfinite(out[:2]).all()


def test_bod_ties_are_exact() -> None:
    # solver noise must decide no rank: the frontier scores exactly 1, twins score the same
    rng = np.random.default_rng(9)
    x = rng.uniform(0, 100, (40, 5))
    x[20:] = x[:20] * rng.uniform(0.5, 1.0, (20, 1))  # scaled copies: same shares, lower score
    x = np.vstack([x, x[:10]])  # exact twins
    for spec in ["bod", "bod(lower=0.05, upper=0.5)"]:
        out = resolve("aggregate", spec)(x, np.ones(5))
        np.testing.assert_array_equal(out[40:], out[:10])
        assert (out == 1.0).sum() >= 2
        assert out.max() == 1.0


def test_bod_rejects_negative_values_and_impossible_bounds() -> None:
    with pytest.raises(MethodError, match="non-negative"):
        A.bod(arr([1, -2], [2, 1]), np.ones(2))
    with pytest.raises(MethodError, match="0 <= lower <= upper <= 1"):
        A.bod(arr([1, 2], [2, 1]), np.ones(2), lower=0.6, upper=0.4)
    with pytest.raises(MethodError, match="cannot all lie in"):
        A.bod(arr([1, 2, 3], [2, 1, 3]), np.ones(3), lower=0.4)
    with pytest.raises(MethodError, match="cannot all lie in"):
        A.bod(arr([1, 2, 3], [2, 1, 3]), np.ones(3), upper=0.3)


def test_bod_share_bounds_hold_at_the_optimum() -> None:
    # equal shares forced: lower = upper = 1/k makes every child carry the same share, so the
    # score is the best common-share index, below the free score
    rng = np.random.default_rng(5)
    x = rng.uniform(1, 10, (12, 3))
    free = A.bod(x, np.ones(3))
    tight = A.bod(x, np.ones(3), lower=1 / 3, upper=1 / 3)
    assert (tight <= free + 1e-9).all() and (tight < free - 1e-6).any()


# --------------------------------------------------------------------------- properties

value_rows = arrays(
    np.float64,
    st.tuples(st.integers(2, 7), st.integers(1, 4)),
    elements=st.floats(0.5, 1e3, allow_nan=False) | st.just(nan),
)
MCDM_SPECS = [
    "topsis",
    "topsis(normalize=minmax)",
    "vikor",
    "vikor(v=0.2)",
    "bod",
    "bod(lower=0.1, upper=0.9)",
]


def _weights(data: st.DataObject, k: int) -> FloatArray:
    return np.asarray(data.draw(st.lists(st.floats(0.05, 10), min_size=k, max_size=k)))


@settings(max_examples=25, deadline=None)
@given(value_rows, st.data())
def test_scores_in_unit_interval_and_units_permute(x: FloatArray, data: st.DataObject) -> None:
    k = x.shape[1]
    w = _weights(data, k)
    perm = np.asarray(data.draw(st.permutations(range(x.shape[0]))))
    for spec in MCDM_SPECS:
        if spec.startswith("bod(") and k * 0.9 < 1:
            continue
        call = resolve("aggregate", spec)
        out = call(x, w)
        finite = out[~np.isnan(out)]
        assert ((finite >= -1e-12) & (finite <= 1 + 1e-12)).all(), spec
        assert np.isnan(out[np.isnan(x).all(axis=1)]).all(), spec
        np.testing.assert_allclose(call(x[perm], w), out[perm], atol=1e-9, err_msg=spec)


@settings(max_examples=25, deadline=None)
@given(value_rows, st.data())
def test_rescaling_a_child_changes_nothing(x: FloatArray, data: st.DataObject) -> None:
    k = x.shape[1]
    w = _weights(data, k)
    factor = np.asarray(data.draw(st.lists(st.floats(0.01, 100), min_size=k, max_size=k)))
    for spec in ["topsis", "topsis(normalize=minmax)", "vikor", "bod"]:
        call = resolve("aggregate", spec)
        np.testing.assert_allclose(call(x * factor, w), call(x, w), atol=1e-9, err_msg=spec)


@settings(max_examples=25, deadline=None)
@given(value_rows, st.data())
def test_raising_a_value_never_lowers_the_unit(x: FloatArray, data: st.DataObject) -> None:
    k = x.shape[1]
    w = _weights(data, k)
    u = data.draw(st.integers(0, x.shape[0] - 1))
    j = data.draw(st.integers(0, k - 1))
    if np.isnan(x[u, j]):
        return
    better = x.copy()
    better[u, j] *= data.draw(st.floats(1.0, 5.0))
    for spec in ["topsis", "topsis(normalize=minmax)", "bod"]:
        call = resolve("aggregate", spec)
        before, after = call(x, w)[u], call(better, w)[u]
        if np.isnan(before):
            continue
        assert after >= before - 1e-9, spec


def test_batch_rows_match_single_vectors_with_gaps() -> None:
    rng = np.random.default_rng(11)
    x = rng.uniform(0, 100, (9, 4))
    x[rng.random(x.shape) < 0.2] = nan
    w = rng.uniform(0, 1, (6, 4))
    w[2, 1] = 0.0
    for spec in ["topsis", "topsis(normalize=minmax)", "vikor(v=0.3)", "bod"]:
        call = resolve("aggregate", spec)
        batch = call(x, w)
        assert batch.shape == (6, 9)
        for i in range(6):
            np.testing.assert_allclose(batch[i], call(x, w[i]), rtol=1e-12, atol=1e-12, err_msg=spec)


def test_different_methods_for_sibling_groups_in_the_pipeline(tmp_path: Path) -> None:
    import mfgindex as mi
    from tests.conftest import MINI_CSV, MINI_TOML

    toml = MINI_TOML.replace(
        'name = "Group A"\n', 'name = "Group A"\naggregate = "topsis(normalize=minmax)"\n'
    )
    toml = toml.replace('name = "Group B"\n', 'name = "Group B"\naggregate = "bod"\n')
    (tmp_path / "fw.toml").write_text(toml, encoding="utf-8")
    (tmp_path / "d.csv").write_text(MINI_CSV, encoding="utf-8")
    fw = mi.load_framework(tmp_path / "fw.toml")
    res = mi.compute(fw, mi.read_data(tmp_path / "d.csv", fw))
    assert res.provenance["methods"]["aggregate"]["a"] == "topsis(normalize='minmax')"
    assert res.provenance["methods"]["aggregate"]["b"] == "bod"
    scores = res.scores
    # group a (min-max 0-100): x1 -> 0, 1/3, 1 and x2 (lower is better) -> 1, 1/2, 0 as shares
    # of the range. U1 and U3 are each ideal on one child and anti-ideal on the other: 1/2.
    # U2: distances sqrt(4/9 + 1/4) = 5/6 to the ideal, sqrt(1/9 + 1/4) to the anti-ideal.
    u2 = np.sqrt(13 / 36) / (5 / 6 + np.sqrt(13 / 36))
    np.testing.assert_allclose(scores["a"], [0.5, u2, 0.5], atol=1e-12)
    # group b: one child (x3 / pop, min-max 0 and 100), BoD = value / best; U3 has none
    np.testing.assert_allclose(scores["b"], [0, 1, nan], atol=1e-9)
