"""``mfgindex score PARTS --engine dask -o FOLDER``: a round trip through Parquet files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import mfgindex as mi
from mfgindex.cli.app import get_app

pytest.importorskip("distributed")
runner = CliRunner()


def _parts(data: pd.DataFrame, folder: Path, n: int = 3) -> list[str]:
    folder.mkdir()
    size = -(-len(data) // n)
    paths = []
    for i in range(n):
        p = folder / f"part{i}.parquet"
        data.iloc[i * size : (i + 1) * size].to_parquet(p, index=False)
        paths.append(str(p))
    return paths


def test_round_trip(client: Any, fw_path: Path, data: pd.DataFrame, tmp_path: Path) -> None:
    paths = _parts(data, tmp_path / "data")
    out = tmp_path / "out"
    args = [
        "score",
        *paths,
        "-f",
        str(fw_path),
        "--engine",
        "dask",
        "-o",
        str(out),
        "--normalize",
        "zscore",
        "--ranks",
    ]
    result = runner.invoke(get_app(), args)
    assert result.exit_code == 0, result.output
    got = pd.read_parquet(out).set_index("unit")
    fw = mi.load_framework(fw_path)
    expected = mi.compute(fw, mi.read_data(data, fw), normalize="zscore").to_frame()
    for c in ("econ", "green", "idx", "rank"):
        np.testing.assert_allclose(
            got.loc[expected["unit"], c].to_numpy(float, na_value=np.nan),
            expected[c].to_numpy(float, na_value=np.nan),
            atol=1e-12,
            rtol=0,
        )
    assert str(got["rank"].dtype) == "Int64"
    ranked = mi.compute(fw, mi.read_data(data, fw), normalize="zscore").to_frame(ranks=True)
    assert list(got.loc[ranked["unit"], "rank_econ"]) == list(ranked["rank_econ"])
    prov = json.loads((out / "_provenance.json").read_text(encoding="utf-8"))
    assert prov["methods"]["normalize"]["gdp"] == "zscore"
    assert [f["file"] for f in prov["data"]["files"]] == paths
    assert all(len(f["sha256"]) == 64 for f in prov["data"]["files"])
    assert prov["engine"]["name"] == "dask"
    # a folder argument, and a second run replaces the first output atomically
    again = runner.invoke(
        get_app(), ["score", str(tmp_path / "data"), "-f", str(fw_path), "--engine", "dask", "-o", str(out)]
    )
    assert again.exit_code == 0, again.output
    assert json.loads((out / "_provenance.json").read_text())["methods"]["normalize"]["gdp"].startswith(
        "minmax"
    )
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out.")]


def test_bundled_dataset_and_csv(client: Any, tmp_path: Path) -> None:
    """Without DATA, the framework's bundled dataset (a CSV): as the in-memory scores."""
    out = tmp_path / "hdi"
    result = runner.invoke(get_app(), ["score", "-f", "hdi", "--engine", "dask", "-o", str(out)])
    assert result.exit_code == 0, result.output
    fw = mi.load_framework("hdi")
    expected = mi.compute(fw, mi.read_data(None, fw)).to_frame()
    got = pd.read_parquet(out)
    assert list(got[fw.unit_column]) == list(expected[fw.unit_column])
    np.testing.assert_allclose(got["hdi"], expected["hdi"], atol=1e-12, rtol=0)
    assert list(got["rank"]) == list(expected["rank"])


def test_cli_errors(client: Any, fw_path: Path, data: pd.DataFrame, tmp_path: Path) -> None:
    paths = _parts(data, tmp_path / "data", n=2)
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me")
    base = ["score", *paths, "-f", str(fw_path)]
    cases = [
        (["--engine", "dask", "-o", str(foreign)], 2, "not empty"),
        (["--engine", "dask"], 2, "-o FOLDER"),
        (["-o", str(tmp_path / "x")], 2, "only --engine dask reads several files"),
        (["--engine", "dask", "-o", str(tmp_path / "y"), "--aggregate", "vikor"], 1, "aggregate 'vikor"),
        (
            ["--engine", "dask", "-o", str(tmp_path / "y"), "--round", "2", "--unit", "U1"],
            2,
            "--unit, --round: not available with --engine dask",
        ),
    ]
    for extra, code, text in cases:
        result = runner.invoke(get_app(), base + extra)
        assert result.exit_code == code, result.output
        assert text in result.output
    assert (foreign / "notes.txt").read_text() == "keep me"
    assert not (tmp_path / "y").exists()


def test_scheduler_address(client: Any, fw_path: Path, data: pd.DataFrame, tmp_path: Path) -> None:
    """--scheduler ADDRESS connects to that scheduler (here the session's cluster)."""
    paths = _parts(data.iloc[:300], tmp_path / "data", n=2)
    out = tmp_path / "out"
    result = runner.invoke(
        get_app(),
        [
            "score",
            *paths,
            "-f",
            str(fw_path),
            "--engine",
            "dask",
            "--scheduler",
            client.scheduler.address,
            "-o",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert len(pd.read_parquet(out)) == 300
    assert client.status == "running"  # the session's own client is left alone


def test_malformed_scheduler_address_is_a_usage_error(
    fw_path: Path, data: pd.DataFrame, tmp_path: Path
) -> None:
    """An address without a port is named, with a hint, and no traceback (exit 2)."""
    paths = _parts(data.iloc[:50], tmp_path / "data", n=1)
    args = ["score", *paths, "-f", str(fw_path), "--engine", "dask", "--scheduler", "nonsense"]
    result = runner.invoke(get_app(), [*args, "-o", str(tmp_path / "out")])
    assert result.exit_code == 2, result.output
    assert "cannot reach the Dask scheduler at 'nonsense'" in result.output
    assert "Traceback" not in result.output and not (tmp_path / "out").exists()


def test_paths_files_folders_globs(tmp_path: Path) -> None:
    from mfgindex.errors import DataError
    from mfgindex.scale.engine import _paths

    folder = tmp_path / "d"
    folder.mkdir()
    for name in ("b.parquet", "a.parquet", "notes.txt"):
        (folder / name).write_bytes(b"")
    expected = [str(folder / "a.parquet"), str(folder / "b.parquet")]
    assert _paths(folder) == expected
    assert _paths(str(folder / "*.parquet")) == expected
    assert _paths([folder / "b.parquet"]) == [str(folder / "b.parquet")]
    with pytest.raises(DataError, match="no data file"):
        _paths(tmp_path / "nothing*.parquet")
