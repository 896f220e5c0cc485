"""Adding a method is one decorated function: a new aggregator registered here, in a test
module, works in compute, in uncertainty (on the row-wise fast path, as declared), in explain,
in ``mfgindex methods`` and in the generated docs — with no other edit anywhere."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
from typer.testing import CliRunner

import mfgindex as mi
from mfgindex.methods import registry
from mfgindex.methods.registry import Interval, register
from mfgindex.robustness import uncertainty

SHAPES: list[tuple[int, ...]] = []


@pytest.fixture
def power_sum() -> Iterator[str]:
    """Registers ``power_sum``: a weighted arithmetic mean of ``x ** q`` (q=1: the arithmetic
    mean; at q=1 the decomposition declared — additive — is exact)."""

    @register(
        "power_sum",
        stage="aggregate",
        row_wise=True,
        decomposition="additive",
        params={"q": Interval(0, closed="neither")},
    )
    def power_sum(values: np.ndarray, weights: np.ndarray, *, q: float = 1.0) -> np.ndarray:
        """Weighted mean of the children's values raised to ``q``: Σ w_i x_i^q / Σ w_i."""
        SHAPES.append(values.shape)
        present = ~np.isnan(values)
        x = np.where(present, values, 0.0) ** q
        w = np.atleast_2d(weights)
        num = (x @ w.T).T
        den = (present.astype(float) @ w.T).T
        out = num / den
        return out if weights.ndim == 2 else out[0]

    SHAPES.clear()
    yield "power_sum"
    registry._REGISTRY["aggregate"].pop("power_sum")


def _asem() -> tuple[mi.Framework, mi.Dataset]:
    from tests.conftest import ASEM

    fw = mi.load_framework(ASEM / "ASEM_iMeta.csv")
    return fw, mi.read_data(ASEM / "ASEM_iData.csv", fw)


def test_a_new_aggregator_works_everywhere(power_sum: str) -> None:
    fw, ds = _asem()
    options = {"denominate": "none", "normalize": "minmax(low=0, high=100)"}
    # compute: at q=1 it is the arithmetic mean, to rounding
    ours = mi.compute(fw, ds, aggregate=power_sum, **options)
    ref = mi.compute(fw, ds, aggregate="arithmetic", **options)
    np.testing.assert_allclose(ours.score_matrix, ref.score_matrix, atol=1e-10, rtol=0)
    assert ours.provenance["methods"]["aggregate"][fw.id] == "power_sum"
    # its parameter constraint is checked when the method string is read
    with pytest.raises(mi.MethodError, match="parameter 'q' must be in"):
        mi.compute(fw, ds, aggregate="power_sum(q=-1)", **options)

    # explain: the declared additive decomposition gives contributions summing to the score
    unit = str(ours.units[0])
    table = ours.explain(unit).table
    root_children = table[table["parent"] == fw.id]
    assert root_children["contribution"].notna().all()
    assert root_children["contribution"].sum() == pytest.approx(float(ours.scores[fw.id].iloc[0]), abs=1e-9)

    # uncertainty: row-wise, so runs are stacked — the method sees batches of b·n units
    SHAPES.clear()
    res = uncertainty(fw, ds, {"weights": 0.2}, runs=40, seed=3, aggregate=power_sum, **options)
    n = len(ours.units)
    assert max(s[0] for s in SHAPES) > n, "the row-wise fast path stacks runs"
    np.testing.assert_allclose(res.nominal_scores, ours.scores[fw.id], atol=1e-10, rtol=0)
    assert res.valid.all()


def test_a_new_aggregator_is_listed_and_documented(power_sum: str) -> None:
    from mfgindex.cli.app import get_app

    listed = CliRunner().invoke(get_app(), ["methods"], env={"COLUMNS": "200"})
    assert listed.exit_code == 0, listed.output
    assert "power_sum" in listed.output
    doc = registry.reference_markdown()
    assert "### `power_sum(q=1.0)`" in doc
    section = doc[doc.index("### `power_sum(q=1.0)`") :]
    assert "* row-wise: yes" in section.splitlines()[2]
    assert "* `q`: (0, inf)" in section


def test_a_result_cannot_be_changed_after_it_is_made() -> None:
    """Provenance certifies a result's values, so they are read-only: arrays, mappings, the
    dataclass fields; the labelled tables handed out are copies a user may edit."""
    import dataclasses

    fw = mi.load_framework("city")
    res = mi.compute(fw, mi.read_data(None, fw))
    with pytest.raises(ValueError, match="read-only"):
        res.score_matrix[0, 0] = 1.0
    with pytest.raises(ValueError, match="read-only"):
        res.steps["raw"][0, 0] = 1.0
    with pytest.raises(TypeError):
        res.provenance["methods"]["normalize"] = "zscore"  # type: ignore[index]
    with pytest.raises(TypeError):
        res.weights[(None, "innovation")]["st_expenditure"] = 9.0  # type: ignore[index]
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.rows = res.rows[:1]  # type: ignore[misc]
    table = res.scores
    table.iloc[0, 0] = -1.0  # a copy: the result is unchanged
    assert res.score_matrix[0, 0] != -1.0
