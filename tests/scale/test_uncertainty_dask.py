"""``uncertainty(..., engine="dask")`` and ``mfgindex uncertainty --engine dask``: the runs on
Dask workers give the in-memory result exactly (rank counts, statistics, invalid runs, notes)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import mfgindex as mi
from mfgindex.cli.app import get_app
from mfgindex.errors import MethodError, MfgIndexError, UsageError
from mfgindex.robustness import UncertaintyResult, uncertainty

pytest.importorskip("distributed")
runner = CliRunner()

#: Weights, normalisation and aggregation vary: z-scores under a geometric mean leave most city
#: units unscored, a min-max onto [0, 100] under it scores some 0 (both recorded per run).
CITY_SPEC = {
    "weights": {"noise": 0.25},
    "normalize": {"choices": ["minmax(low=1, high=100)", "zscore", "minmax"]},
    "aggregate": {"choices": ["arithmetic", "geometric"]},
    "exclude": {"indicators": "all"},
}

#: Two indicators in opposite order: every unit has a negative z-score, so a z-score run under a
#: geometric mean scores no unit at all (an invalid run, left out).
TWO = """
[framework]
id = "two"
name = "Two indicators"
unit_column = "unit"

[defaults]
normalize = "minmax(low=1, high=100)"
aggregate = "arithmetic"

[[indicator]]
id = "a"
parent = "two"
direction = 1

[[indicator]]
id = "b"
parent = "two"
direction = 1
"""


def _same(a: UncertaintyResult, b: UncertaintyResult) -> None:
    """Everything but the provenance's engine record is equal, exactly."""
    assert a.rank_counts is not None and b.rank_counts is not None
    np.testing.assert_array_equal(a.rank_counts, b.rank_counts)
    pd.testing.assert_frame_equal(a.summary(), b.summary(), check_exact=True)
    pd.testing.assert_frame_equal(a.runs, b.runs, check_exact=True)
    pd.testing.assert_frame_equal(a.invalid, b.invalid, check_exact=True)
    assert a.warnings == b.warnings
    np.testing.assert_array_equal(a.nominal_ranks, b.nominal_ranks)
    assert {k: v for k, v in b.provenance.items() if k != "engine"} == dict(a.provenance)


@pytest.fixture(scope="module")
def city() -> tuple[Any, Any]:
    fw = mi.load_framework("city")
    return fw, mi.read_data(None, fw)


@pytest.fixture(scope="module")
def city_memory(city: tuple[Any, Any]) -> UncertaintyResult:
    return uncertainty(*city, CITY_SPEC, runs=600, seed=7, chunk=40)


def test_city_on_a_cluster_equals_in_memory(
    client: Any, city: tuple[Any, Any], city_memory: UncertaintyResult
) -> None:
    res = uncertainty(*city, CITY_SPEC, runs=600, seed=7, chunk=40, engine="dask")
    _same(city_memory, res)
    assert len(city_memory.invalid) and any("limit" in w for w in city_memory.warnings)  # both kinds
    engine = res.provenance["engine"]
    assert engine["name"] == "dask" and engine["scheduler"] == client.scheduler.address
    assert engine["threads"] == 2 and engine["tasks"] > 2 and engine["chunk_runs"] == 40
    assert "engine" not in city_memory.provenance


def test_the_number_of_tasks_does_not_matter(
    client: Any, city: tuple[Any, Any], city_memory: UncertaintyResult, monkeypatch: pytest.MonkeyPatch
) -> None:
    import mfgindex.scale.runs as runs

    for per_thread in (1, 50):
        monkeypatch.setattr(runs, "TASKS_PER_THREAD", per_thread)
        res = uncertainty(*city, CITY_SPEC, runs=600, seed=7, chunk=40, engine="dask")
        _same(city_memory, res)
    assert res.provenance["engine"]["tasks"] == res.provenance["engine"]["chunks"]  # one per chunk


def test_kept_runs_and_the_scheduler_address(client: Any, city: tuple[Any, Any]) -> None:
    spec = {"weights": {"noise": 0.3}, "aggregate": {"choices": ["arithmetic", "harmonic"]}}
    memory = uncertainty(*city, spec, runs=200, seed=1, chunk=30, keep_runs=True)
    res = uncertainty(
        *city,
        spec,
        runs=200,
        seed=1,
        chunk=30,
        keep_runs=True,
        engine="dask",
        scheduler=client.scheduler.address,
    )
    _same(memory, res)
    np.testing.assert_array_equal(memory.scores, res.scores)
    np.testing.assert_array_equal(memory.ranks, res.ranks)
    assert client.status == "running"  # the session's own client is left alone


def test_threads_without_a_client(city: tuple[Any, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    """No distributed client active: dask's threads, and progress is reported."""
    import dask
    import distributed

    def no_client() -> None:
        raise ValueError("no client")

    monkeypatch.setattr(distributed, "default_client", no_client)
    spec = {"weights": {"noise": 0.25}, "normalize": {"choices": ["minmax(low=1, high=100)", "zscore"]}}
    seen: list[tuple[int, int]] = []
    with dask.config.set(scheduler="threads"):  # as without the session's cluster
        res = uncertainty(
            *city, spec, runs=300, seed=2, chunk=25, engine="dask", progress=lambda d, t: seen.append((d, t))
        )
    _same(uncertainty(*city, spec, runs=300, seed=2, chunk=25), res)
    assert res.provenance["engine"]["scheduler"] == "threads"
    assert seen[-1] == (300, 300) and len(seen) == res.provenance["engine"]["tasks"]


def _two(tmp_path: Path) -> tuple[Any, Any]:
    path = tmp_path / "two.toml"
    path.write_text(TWO, encoding="utf-8")
    fw = mi.load_framework(path)
    frame = pd.DataFrame(
        {"unit": ["u1", "u2", "u3", "u4", "u5"], "a": [1.0, 2, 3, 4, 6], "b": [6.0, 4, 3, 2, 1]}
    )
    return fw, mi.Dataset.from_frame(frame, fw)


def test_invalid_runs_are_left_out_alike(client: Any, tmp_path: Path) -> None:
    fw, ds = _two(tmp_path)
    spec = {
        "weights": {"noise": 0.2},
        "normalize": {"choices": ["minmax(low=1, high=100)", "zscore"]},
        "aggregate": {"choices": ["arithmetic", "geometric"]},
    }
    memory = uncertainty(fw, ds, spec, runs=400, seed=5, chunk=16)
    res = uncertainty(fw, ds, spec, runs=400, seed=5, chunk=16, engine="dask")
    _same(memory, res)
    assert 0 < (~res.valid).sum() < 400 and res.provenance["invalid_runs"] == (~memory.valid).sum()
    # the strict policy: the same first invalid combination, the same message
    errors = []
    for engine in ("memory", "dask"):
        with pytest.raises(MethodError) as err:
            uncertainty(fw, ds, spec, runs=400, seed=5, chunk=16, invalid="raise", engine=engine)
        errors.append(str(err.value))
    assert errors[0] == errors[1] and "invalid combination" in errors[0]


def test_library_errors(city: tuple[Any, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(UsageError, match="engine must be 'memory' or 'dask'"):
        uncertainty(*city, CITY_SPEC, runs=5, engine="spark")  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="only engine='dask' uses a Dask scheduler"):
        uncertainty(*city, CITY_SPEC, runs=5, scheduler="tcp://127.0.0.1:8786")
    monkeypatch.setitem(sys.modules, "dask", None)
    with pytest.raises(MfgIndexError) as err:
        uncertainty(*city, CITY_SPEC, runs=5, engine="dask")
    assert not isinstance(err.value, UsageError)  # not a misuse: exit 1
    assert 'pip install "mfgindex[scale]"' in str(err.value)


CLI = ["uncertainty", "-f", "city", "--vary", "weights=0.25", "--vary", "aggregate=arithmetic|geometric"]


def test_cli_engine_dask_writes_the_same_table(client: Any, tmp_path: Path) -> None:
    out = {}
    for engine in ("memory", "dask"):
        path = tmp_path / f"{engine}.csv"
        result = runner.invoke(get_app(), [*CLI, "--runs", "300", "--engine", engine, "-o", str(path)])
        assert result.exit_code == 0, result.output
        out[engine] = path.read_text(encoding="utf-8")
    assert out["memory"] == out["dask"]
    # --keep-runs works on Dask too (the tables come back from the workers)
    kept = runner.invoke(
        get_app(), [*CLI, "--runs", "50", "--engine", "dask", "--keep-runs", "--format", "csv"]
    )
    assert kept.exit_code == 0, kept.output


def test_cli_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    import mfgindex.scale.runs as runs

    monkeypatch.setattr(runs, "CONNECT_TIMEOUT", 0.2)
    cases = [
        (["--scheduler", "tcp://127.0.0.1:9"], 2, "only --engine dask uses a Dask scheduler"),
        (["--engine", "dask", "--scheduler", "tcp://127.0.0.1:9"], 1, "cannot reach the Dask scheduler"),
        (["--engine", "dask", "--scheduler", "nonsense"], 1, "cannot reach the Dask scheduler at 'nonsense'"),
    ]
    for extra, code, text in cases:
        result = runner.invoke(get_app(), [*CLI, "--runs", "5", *extra])
        assert result.exit_code == code, result.output
        assert text in result.output and "Traceback" not in result.output
    monkeypatch.setitem(sys.modules, "dask", None)
    result = runner.invoke(get_app(), [*CLI, "--runs", "5", "--engine", "dask"])
    assert result.exit_code == 1, result.output
    assert 'pip install "mfgindex[scale]"' in result.output
