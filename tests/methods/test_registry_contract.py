"""Contract tests run over every registered method of the normalize, aggregate, classify,
denominate and transform stages: documentation, signature, shapes and NaN handling.

A new method joins these tests by being registered; one that needs parameters to run gives an
example in ``EXAMPLE_PARAMS``.
"""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np
import pytest

from mfgindex.methods import registry
from mfgindex.methods.base import ColumnContext, Fit

nan = np.nan

# Positional (data) arguments of each stage's contract, in order (see methods/base.py).
CONTRACT = {
    "normalize": ("ref", "ctx"),
    "aggregate": ("values", "weights"),
    "classify": ("scores", "ranks", "n_bands"),
    "denominate": ("x", "denominators"),
    "transform": ("x",),
}

# Methods that cannot run on their defaults alone (a required choice defaults to None).
EXAMPLE_PARAMS: dict[tuple[str, str], dict[str, Any]] = {
    ("normalize", "goalposts"): {"low": 0, "high": 10},
    ("normalize", "dist2ref"): {"row": 0},
    ("classify", "rank"): {"cuts": [2, 5]},
    ("classify", "score"): {"cuts": [3, 6]},
}


def _all(stage: str) -> list[registry.Method]:
    found = registry.methods(stage)
    assert found, f"no {stage} method registered"
    return found


ALL = [m for stage in CONTRACT for m in _all(stage)]


def _id(m: registry.Method) -> str:
    return f"{m.stage}:{m.name}"


@pytest.mark.parametrize("method", ALL, ids=_id)
def test_documented(method: registry.Method) -> None:
    doc = inspect.getdoc(method.func) or ""
    assert method.summary, "needs a one-line docstring summary"
    assert len(method.summary) <= 100, "the summary is one short line (it is listed by the CLI)"
    assert "Degenerate input" in doc, "the docstring states the degenerate-input policy"


@pytest.mark.parametrize("method", ALL, ids=_id)
def test_signature(method: registry.Method) -> None:
    sig = inspect.signature(method.func)
    positional = [p for p in sig.parameters.values() if p.kind is not inspect.Parameter.KEYWORD_ONLY]
    assert tuple(p.name for p in positional) == CONTRACT[method.stage]
    assert all(p.default is inspect.Parameter.empty for p in positional)
    assert sig.return_annotation is not inspect.Signature.empty
    for p in sig.parameters.values():
        assert p.annotation is not inspect.Parameter.empty, f"'{p.name}' needs a type hint"
    for p in method.params.values():
        assert p.kind is inspect.Parameter.KEYWORD_ONLY
        assert p.default is not inspect.Parameter.empty, f"'{p.name}' needs a default"
    # every method resolves from its method string (with example parameters if it needs them)
    params = EXAMPLE_PARAMS.get((method.stage, method.name), {})
    call = registry.resolve(method.stage, method.name, **params)
    assert call.name == method.name


# --------------------------------------------------------------------------- normalize


def _normalize_data() -> tuple[np.ndarray, ColumnContext]:
    rng = np.random.default_rng(7)
    ref = rng.uniform(1, 10, (8, 3))
    ref[0] = [9.5, 9.8, 9.9]  # reference row for dist2ref: above each column's minimum
    ref[3, 1] = nan
    ref[5, 2] = nan
    ctx = ColumnContext(
        direction=np.ones(3),
        target=np.array([8.0, 8.0, 8.0]),
        orient=lambda v: v,
        ids=("a", "b", "c"),
    )
    return ref, ctx


@pytest.mark.parametrize("method", _all("normalize"), ids=_id)
def test_normalize_contract(method: registry.Method) -> None:
    ref, ctx = _normalize_data()
    call = registry.resolve("normalize", method.name, **EXAMPLE_PARAMS.get(("normalize", method.name), {}))
    fit = call(ref, ctx)
    assert isinstance(fit, Fit)
    for key, value in fit.fitted.items():
        assert np.shape(value) == (3,), f"fitted '{key}' is one value per indicator"

    # NaN disregarded in fit, maintained in apply; shapes preserved
    own = fit.apply(ref)
    assert own.shape == ref.shape and own.dtype == np.float64
    np.testing.assert_array_equal(np.isnan(own), np.isnan(ref))

    new = np.array([[2.0, nan, 5.0], [nan, 3.0, 7.0], [4.0, 6.0, nan], [5.0, 5.0, 5.0], [1, 2, 3]])
    out = fit.apply(new)
    assert out.shape == new.shape
    np.testing.assert_array_equal(np.isnan(out), np.isnan(new))
    assert np.isfinite(out[~np.isnan(new)]).all()


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("method", _all("normalize"), ids=_id)
def test_normalize_constant_column_is_silent(method: registry.Method) -> None:
    """Whatever a method does with a constant column, it does it without numpy warnings,
    and only that column is affected."""
    ref, ctx = _normalize_data()
    ref[:, 1] = 4.0
    call = registry.resolve("normalize", method.name, **EXAMPLE_PARAMS.get(("normalize", method.name), {}))
    out = call(ref, ctx).apply(ref)
    assert out.shape == ref.shape
    np.testing.assert_array_equal(np.isnan(out[:, [0, 2]]), np.isnan(ref[:, [0, 2]]))
    assert np.isnan(out[:, 1]).all() or np.isfinite(out[:, 1]).all()


# --------------------------------------------------------------------------- aggregate


@pytest.mark.parametrize("method", _all("aggregate"), ids=_id)
def test_aggregate_contract(method: registry.Method) -> None:
    rng = np.random.default_rng(8)
    values = rng.uniform(1, 100, (6, 4))
    values[1, 2] = nan
    values[3] = nan  # a unit with no child present
    call = registry.resolve("aggregate", method.name)

    single = call(values, np.array([1.0, 2.0, 1.0, 0.5]))
    assert single.shape == (6,) and single.dtype == np.float64
    assert np.isnan(single[3])
    assert np.isfinite(np.delete(single, 3)).all()

    weights = rng.uniform(0.1, 1, (5, 4))
    batch = call(values, weights)
    assert batch.shape == (5, 6)
    assert np.isnan(batch[:, 3]).all()
    np.testing.assert_allclose(batch[2], call(values, weights[2]), rtol=1e-12)


# --------------------------------------------------------------------------- the others


@pytest.mark.parametrize("method", _all("classify"), ids=_id)
def test_classify_contract(method: registry.Method) -> None:
    scores = np.array([9.0, 8, 7, nan, 5, 4, 3, 2])
    ranks = np.array([1.0, 2, 3, nan, 4, 5, 6, 7])
    call = registry.resolve("classify", method.name, **EXAMPLE_PARAMS.get(("classify", method.name), {}))
    codes = call(scores, ranks, 3)
    assert codes.shape == (8,) and np.issubdtype(codes.dtype, np.integer)
    assert codes[3] == -1
    valid = np.delete(codes, 3)
    assert ((valid >= 0) & (valid < 3)).all()
    # better scores never get a worse band
    assert (np.diff(valid) >= 0).all()


@pytest.mark.parametrize("method", _all("transform"), ids=_id)
def test_transform_contract(method: registry.Method) -> None:
    x = np.array([1.0, nan, 4.0, 9.0])
    out = registry.resolve("transform", method.name)(x)
    assert out.shape == (4,)
    np.testing.assert_array_equal(np.isnan(out), np.isnan(x))
    assert (np.diff(out[[0, 2, 3]]) > 0).all(), "transforms keep the order of values"


@pytest.mark.parametrize("method", _all("denominate"), ids=_id)
def test_denominate_contract(method: registry.Method) -> None:
    x = np.array([[2.0, 3.0], [nan, 5.0]])
    d = np.array([[4.0, nan], [2.0, nan]])
    out = registry.resolve("denominate", method.name)(x, d)
    assert out.shape == (2, 2)
    np.testing.assert_array_equal(out[:, 1], x[:, 1])  # no denominator: unchanged
    assert np.isnan(out[1, 0])
