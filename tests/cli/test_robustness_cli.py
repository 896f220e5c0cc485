"""``mfgindex uncertainty``, ``sensitivity`` and ``analyze`` through typer's runner (small runs)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import mfgindex as mi
from mfgindex.cli.app import get_app

runner = CliRunner()

SPEC = """\
[weights]
noise = 0.25
levels = [2, 3]
[normalize]
choices = ["minmax(low=1, high=100)", "zscore(mean=10, sd=2)"]
[aggregate]
choices = ["arithmetic", "geometric"]
"""


def run(*args: str) -> tuple[int, str, str]:
    # a wide terminal: tables show every column whatever the terminal running the tests
    result = runner.invoke(get_app(), list(args), env={"COLUMNS": "200"})
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def spec(tmp_path: Path) -> Path:
    path = tmp_path / "spec.toml"
    path.write_text(SPEC, encoding="utf-8")
    return path


def test_uncertainty_csv_equals_library(spec: Path) -> None:
    code, out, err = run(
        "uncertainty", "-f", "asem", "--spec", str(spec), "--runs", "40", "--seed", "3", "--format", "csv"
    )
    assert code == 0, err
    frame = pd.read_csv(io.StringIO(out))
    assert list(frame.columns) == [
        "uCode",
        "uName",
        "nominal_rank",
        "median_rank",
        "q05_rank",
        "q95_rank",
        "mean_abs_shift",
    ]
    fw = mi.load_framework("asem")
    expected = mi.uncertainty(fw, mi.read_data(None, fw), spec, runs=40, seed=3).to_frame()
    pd.testing.assert_frame_equal(frame, expected.astype({"nominal_rank": "int64"}), check_dtype=False)


def test_uncertainty_vary_flags_table_and_invalid_notes() -> None:
    code, out, err = run(
        "uncertainty",
        "--vary",
        "weights=0.2",
        "--vary",
        "normalize=minmax|zscore",
        "--vary",
        "aggregate=arithmetic|geometric",
        "--runs",
        "40",
        "--top",
        "5",
        "--format",
        "table",
    )
    assert code == 0, err
    assert "rank uncertainty" in out and "Beijing" in out
    # z-scores feed negative values into the geometric mean: those units are unscored in
    # those runs, and named (minmax onto [0, 100] feeds zeros: the limit 0)
    assert "runs" in err and "unscored" in err and "geometric" in err


def test_uncertainty_json_and_xlsx(spec: Path, tmp_path: Path) -> None:
    code, out, err = run("uncertainty", "-f", "asem", "--spec", str(spec), "--runs", "10", "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["provenance"]["analysis"] == "uncertainty"
    assert doc["provenance"]["spec"]["aggregate"]["choices"] == ["arithmetic", "geometric"]
    target = tmp_path / "ua.xlsx"
    code, _, err = run("uncertainty", "-f", "asem", "--spec", str(spec), "--runs", "10", "-o", str(target))
    assert code == 0, err
    assert target.exists()
    assert "nominal_rank" in pd.read_excel(target).columns


def test_sensitivity_csv(spec: Path) -> None:
    code, out, err = run(
        "sensitivity", "-f", "asem", "--spec", str(spec), "--n", "32", "--boot", "50", "--format", "csv"
    )
    assert code == 0, err
    frame = pd.read_csv(io.StringIO(out))
    assert list(frame.columns) == [
        "input",
        "first_order",
        "first_order_low",
        "first_order_high",
        "total_order",
        "total_order_low",
        "total_order_high",
    ]
    assert list(frame["input"]) == ["weights", "normalize", "aggregate"]
    code, out, err = run(
        "sensitivity",
        "-f",
        "asem",
        "--spec",
        str(spec),
        "--n",
        "16",
        "--boot",
        "20",
        "--target",
        "CHN",
        "--format",
        "table",
    )
    assert code == 0, err
    assert "rank of CHN" in out


def test_spec_errors_name_the_file_and_key(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(
        '[aggregate]\nchoices = ["arithmetic", "geometirc"]\n[weight]\nnoise = 0.1\n', encoding="utf-8"
    )
    code, _, err = run("uncertainty", "-f", "asem", "--spec", str(bad), "--runs", "5")
    assert code == 1
    assert "bad.toml" in err and "aggregate.choices[1]" in err and "geometric" in err
    assert "weight: unknown table" in err and "weights" in err
    assert "Traceback" not in err
    code, _, err = run("uncertainty", "-f", "asem", "--runs", "5")
    assert code == 2 and "--spec" in err
    code, _, err = run("uncertainty", "-f", "asem", "--vary", "weights=0.2", "--runs", "0")
    assert code == 2 and "runs must be a positive integer" in err


def test_analyze_tables() -> None:
    code, out, err = run("analyze", "-f", "asem", "--format", "csv")
    assert code == 0, err
    groups = pd.read_csv(io.StringIO(out))
    assert {"group", "cronbach_alpha", "pc1_share", "negative", "collinear"} <= set(groups.columns)
    assert len(groups) == 11
    code, out, err = run("analyze", "-f", "asem", "--table", "pairs", "--format", "csv")
    assert code == 0, err
    assert {"node_1", "node_2", "pearson", "spearman", "flag"} <= set(pd.read_csv(io.StringIO(out)))
    code, out, err = run(
        "analyze",
        "-f",
        "asem",
        "--table",
        "matrix",
        "--levels",
        "2,3",
        "--method",
        "spearman",
        "--format",
        "csv",
    )
    assert code == 0, err
    matrix = pd.read_csv(io.StringIO(out))
    assert list(matrix.columns) == ["node", "Conn", "Sust"] and len(matrix) == 8
    code, out, err = run("analyze", "--format", "table")
    assert code == 0, err
    assert "Cronbach" in out
    code, _, err = run("analyze", "-f", "asem", "--table", "pair")
    assert code == 2 and "'pair' is not one of" in err and "'pairs'" in err
    code, _, err = run("analyze", "-f", "asem", "--table", "matrix", "--levels", "x")
    assert code == 2 and "--levels" in err


def test_pairs_table_p_values_and_single_input_note() -> None:
    code, out, err = run("analyze", "--table", "pairs", "--format", "table")
    assert code == 0, err
    assert "<0.001" in out and " 0.000 " not in out
    code, out, err = run(
        "sensitivity", "--vary", "weights=0.2", "--n", "64", "--boot", "50", "--format", "csv"
    )
    assert code == 0, err
    assert "note: only one input varies (weights)" in err
    code, out, err = run(
        "sensitivity",
        "-f",
        "asem",
        "--vary",
        "weights=0.2",
        "--vary",
        "aggregate=arithmetic|geometric",
        "--n",
        "64",
        "--boot",
        "50",
        "--format",
        "csv",
    )
    assert code == 0 and "only one input" not in err


def test_uncertainty_and_weights_in_chinese() -> None:
    code, out, err = run(
        "uncertainty",
        "--vary",
        "weights=0.25",
        "--runs",
        "50",
        "--top",
        "3",
        "--lang",
        "zh",
        "--format",
        "table",
    )
    assert code == 0, err
    assert "排名不确定性" in out and "基准排名" in out and "深圳市" in out and "nominal" not in out
    code, out, err = run(
        "uncertainty",
        "--vary",
        "weights=0.25",
        "--runs",
        "50",
        "--top",
        "3",
        "--lang",
        "zh",
        "--format",
        "csv",
    )
    # a Chinese CSV for Excel: a BOM and Chinese headers; --headers ids keeps the ids
    assert code == 0 and out.startswith("\ufeff城市代码,名称,基准排名") and "深圳市" in out
    code, out, err = run(
        "uncertainty",
        "--vary",
        "weights=0.25",
        "--runs",
        "50",
        "--top",
        "3",
        "--lang",
        "zh",
        "--format",
        "csv",
        "--headers",
        "ids",
    )
    assert code == 0 and out.startswith("\ufeffcity_code,name,nominal_rank") and "深圳市" in out
    code, out, err = run("weights", "--lang", "zh", "--format", "table")
    assert code == 0 and "先进制造业城市发展指数 — 权重" in out
