"""The Dask path equals the in-memory path (1e-12), on a LocalCluster with a few partitions."""

from __future__ import annotations

import pickle
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import mfgindex as mi
from mfgindex.errors import DataError, MethodError, UsageError
from mfgindex.methods.base import ColumnContext, rank_min
from mfgindex.methods.registry import methods, resolve
from mfgindex.pipeline import Choices

ms = pytest.importorskip("mfgindex.scale")

NODES = ["sub", "econ", "green", "idx"]
COMBINATIONS = [
    {},
    {"normalize": "zscore(mean=50, sd=10)"},
    {"normalize": "goalposts(low=0.5, high=20)", "aggregate": "geometric"},
    {"normalize": "dist2max", "aggregate": "harmonic", "weights": "equal", "min_coverage": 0.9},
]


def _same(got: pd.DataFrame, expected: pd.DataFrame, columns: list[str]) -> None:
    got = got.set_index("unit").loc[expected["unit"]]
    for c in columns:
        a = got[c].to_numpy(dtype=float, na_value=np.nan)
        b = expected[c].to_numpy(dtype=float, na_value=np.nan)
        assert np.array_equal(np.isnan(a), np.isnan(b)), c
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-12, equal_nan=True, err_msg=c)


@pytest.mark.parametrize("options", COMBINATIONS, ids=lambda o: ",".join(map(str, o.values())) or "default")
def test_equals_in_memory(client: Any, fw_path: Path, data: pd.DataFrame, options: dict[str, Any]) -> None:
    fw = mi.load_framework(fw_path)
    expected = mi.compute(fw, mi.read_data(data, fw), **options)
    res = ms.score(fw, data, choices=Choices(**options), npartitions=4, ranks=True)
    got = res.compute()
    table = expected.to_frame(ranks=True)
    _same(got, table, [*NODES, "rank", "rank_econ", "rank_green"])
    assert list(got.set_index("unit").loc[table["unit"], "stage"]) == list(table["stage"])
    assert list(got.columns[:2]) == ["unit", "name"]
    assert res.provenance["engine"]["partitions"] == 4
    for ind, fitted in expected.provenance["fitted"].items():
        for key, value in fitted.items():
            assert res.provenance["fitted"][ind][key] == pytest.approx(value, rel=1e-13, nan_ok=True)


def test_stages_by_score_and_not_by_quantile(client: Any, fw_path: Path, data: pd.DataFrame) -> None:
    fw = mi.load_framework(fw_path)
    ds = mi.read_data(data, fw)
    by_score = "score(cuts=[60, 45])"
    expected = mi.compute(fw, ds, stages=by_score).to_frame()
    got = ms.score(fw, data, choices=Choices(stages=by_score), npartitions=3).compute()
    assert list(got.set_index("unit").loc[expected["unit"], "stage"]) == list(expected["stage"])
    res = ms.score(fw, data, choices=Choices(stages="quantile"), npartitions=3)
    assert "stage" not in res.frame.columns
    assert "needs every unit's score" in res.provenance["methods"]["stages"]


def test_indicators_and_bad_cells(client: Any, fw_path: Path, data: pd.DataFrame) -> None:
    fw = mi.load_framework(fw_path)
    expected = mi.compute(fw, mi.read_data(data, fw), aggregate="geometric").to_frame(indicators=True)
    res = ms.score(fw, data, choices=Choices(aggregate="geometric"), npartitions=3, indicators=True)
    _same(res.compute(), expected, [i.id for i in fw.indicators] + NODES)
    kinds = {(b["kind"], b["node"]): b["units"] for b in res.provenance["bad_cells"]}
    assert kinds[("domain", "wages")] == 3  # the three zeros under log
    table = res.compute()
    assert res.provenance["unscored"] == {n: int(table[n].isna().sum()) for n in NODES}


def test_exact_ranks_with_ties_and_missing(client: Any) -> None:
    import dask
    import dask.dataframe as dd

    rng = np.random.default_rng(3)
    x = rng.integers(0, 40, 2000).astype(float)  # heavy ties
    x[rng.random(2000) < 0.1] = np.nan
    frame = dd.from_pandas(pd.DataFrame({"s": x, "t": -x}), npartitions=5, sort=False)
    parts = list(dask.persist(*frame.to_delayed()))
    ranks = np.vstack(dask.compute(*ms.exact_ranks(parts, ["s", "t"])))
    np.testing.assert_array_equal(ranks[:, 0], rank_min(x, descending=True))
    np.testing.assert_array_equal(ranks[:, 1], rank_min(-x, descending=True))
    up = np.vstack(dask.compute(*ms.exact_ranks(parts, ["s"], descending=False)))
    np.testing.assert_array_equal(up[:, 0], rank_min(x))


@pytest.mark.parametrize("name", [m.name for m in methods("normalize") if m.reduce == "extremes"])
def test_extremes_trait_holds(name: str) -> None:
    """The registry's contract: fitted on its two rows [min; max], an 'extremes' normaliser
    is the same fit as on all the data."""
    rng = np.random.default_rng(1)
    direction = np.array([1.0, -1.0, 1.0])
    ref = rng.lognormal(0, 1, (200, 3)) * direction  # oriented, as normalisers see it
    ref[rng.random(ref.shape) < 0.1] = np.nan
    ref[:, 2] = np.nan  # a column without data
    ctx = ColumnContext(
        direction=direction, target=np.full(3, 30.0), orient=lambda v: v * direction, ids=("a", "b", "c")
    )
    call = resolve("normalize", name)
    summary = np.vstack([np.nanmin(ref, axis=0), np.nanmax(ref, axis=0)])
    np.testing.assert_array_equal(call(summary, ctx).apply(ref), call(ref, ctx).apply(ref))


def test_cannot_run_partition_wise_names_the_methods(client: Any, fw_path: Path, data: pd.DataFrame) -> None:
    fw = mi.load_framework(fw_path)
    with pytest.raises(MethodError) as err:
        ms.score(
            fw,
            data,
            choices=Choices(
                normalize="rank", aggregate="topsis", treat="winsorize", weights="entropy", impute="mean"
            ),
        )
    text = str(err.value)
    for name in (
        "normalize 'rank'",
        "aggregate 'topsis'",
        "treat 'winsorize",
        "weights 'entropy'",
        "impute 'mean'",
    ):
        assert name in text
    for name in ("copeland", "vikor", "bod"):
        with pytest.raises(MethodError, match=f"aggregate '{name}"):
            ms.score(fw, data, choices=Choices(aggregate=name))
    with pytest.raises(MethodError, match="dtype 'float32': the Dask path scores in float64"):
        ms.score(fw, data, choices=Choices(dtype="float32"))


def test_panel_needs_a_year(client: Any, fw_path: Path, data: pd.DataFrame) -> None:
    fw = mi.load_framework(fw_path)
    data = data.iloc[:500]
    panel = pd.concat([data.assign(year=2019), synthetic_year(data)], ignore_index=True)
    with pytest.raises(UsageError, match="scores one year at a time"):
        ms.score(fw, panel)
    with pytest.raises(UsageError, match="fits normalisation on the year it scores"):
        ms.score(fw, panel, year=2020, choices=Choices(fit_on=2019))
    expected = mi.compute(fw, mi.read_data(panel, fw), year=2020).to_frame()
    got = ms.score(fw, panel, year=2020, npartitions=4).compute()
    assert set(got["year"]) == {2020}
    _same(got, expected, [*NODES, "rank"])


def synthetic_year(data: pd.DataFrame) -> pd.DataFrame:
    later = data.copy()
    later["gdp"] = later["gdp"] * 1.1 + 0.5
    return later.assign(year=2020)


def test_missing_columns_and_text_columns(fw_path: Path, data: pd.DataFrame) -> None:
    fw = mi.load_framework(fw_path)
    with pytest.raises(DataError, match="'co2'"):
        ms.score(fw, data.drop(columns=["co2"]))
    with pytest.raises(DataError, match="not stored as numbers"):
        ms.score(fw, data.assign(parks=data["parks"].astype(str)))


def test_job_pickles_for_process_workers(fw_path: Path) -> None:
    from mfgindex.scale.engine import _Job, _Layout

    fw = mi.load_framework(fw_path)
    job = _Job(fw, Choices(normalize="zscore"), _Layout("unit", "name", None, ("gdp",)), None)
    assert pickle.loads(pickle.dumps(job)).choices == job.choices


def test_missing_extra_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    from mfgindex.scale._deps import require_dask

    monkeypatch.setitem(sys.modules, "dask", None)
    with pytest.raises(UsageError) as err:
        require_dask()
    assert 'pip install "mfgindex[scale]"' in str(err.value)


def test_docs_table_of_reduce_traits_is_the_registry() -> None:
    """docs/scale.md's table lists, per ``reduce`` value, exactly the registered methods."""
    import re

    from tests.conftest import ROOT

    page = (ROOT / "docs" / "scale.md").read_text(encoding="utf-8")
    for value in ("none", "extremes", "moments", None):
        label = "None" if value is None else f'`"{value}"`'
        line = next(r for r in page.splitlines() if r.startswith(f"| {label} |"))
        cell = line.split("|")[3]
        listed = {
            (stage.strip(), name.strip())
            for part in cell.split(";")
            for stage, names in [part.split(":")]
            for name in names.split(",")
        }
        stages = {"normalize": "normalize", "weights": "weight"}
        expected = {(s, m.name) for s, st in stages.items() for m in methods(st) if m.reduce == value}
        assert listed == expected, (value, re.escape(cell))
