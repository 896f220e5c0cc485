"""`mfgindex compare / trends / target / stats / availability / explain --from --to`."""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from mfgindex.cli.app import get_app
from mfgindex.cli.panel import parse_against
from mfgindex.errors import UsageError

runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(get_app(), list(args), env={"COLUMNS": "200"})
    return result.exit_code, result.stdout, result.stderr


def csv_of(out: str) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(out), dtype={"city_code": str})


@pytest.fixture(scope="module")
def compare_top20() -> tuple[int, str, str]:
    return run("compare", "--from", "2018", "--to", "2019", "--top", "20", "--format", "table")


def test_compare_years_on_the_bundled_panel(compare_top20: tuple[int, str, str]) -> None:
    code, out, err = compare_top20
    assert code == 0, err
    assert "2018 → 2019 (top 20)" in out
    assert "entered the top 20:" in out and "left the top 20:" in out
    assert "biggest movers by dimension" in out
    assert "Traceback" not in out + err
    assert "not comparable" not in err  # pooled by default


def test_compare_years_csv_with_fit_on_each_warns() -> None:
    code, out, err = run(
        "compare", "--from", "2018", "--to", "2019", "--top", "5", "--fit-on", "each", "--format", "csv"
    )
    assert code == 0, err
    frame = csv_of(out)
    assert len(frame) == 5 and list(frame["rank_2019"]) == [1, 2, 3, 4, 5]
    assert {"score_change", "rank_change", "move"} <= set(frame.columns)
    assert "not comparable" in err


def test_explain_from_to() -> None:
    code, out, err = run("explain", "320500", "--from", "2018", "--to", "2019", "--fit-on", "pooled")
    assert code == 0, err
    assert "2018 → 2019" in out and "mainly" in out
    code, out, err = run(
        "explain", "320500", "--from", "2018", "--to", "2019", "--fit-on", "pooled", "--format", "json"
    )
    assert code == 0, err
    rows = json.loads(out)["rows"]
    table = pd.DataFrame(rows)
    leaves = table[table["is_indicator"]]
    root = table[table["depth"] == 0].iloc[0]
    assert leaves["contribution"].sum() == pytest.approx(root["change"], abs=1e-12)


def test_compare_against_another_run() -> None:
    code, out, err = run("compare", "--against", "--aggregate median", "--format", "csv")
    assert code == 0, err
    frame = csv_of(out)
    assert {"rank_a", "rank_b", "rank_diff", "score_a", "score_b", "move"} <= set(frame.columns)
    diff = frame["rank_a"] - frame["rank_b"]
    assert (diff.dropna() == frame["rank_diff"].dropna()).all()


def test_parse_against() -> None:
    assert parse_against("--aggregate geometric --normalize='minmax(low=1, high=100)'") == {
        "aggregate": "geometric",
        "normalize": "minmax(low=1, high=100)",
    }
    assert parse_against("--min-coverage 0.8") == {"min_coverage": 0.8}
    with pytest.raises(UsageError, match="not a method option"):
        parse_against("--agregate geometric")
    with pytest.raises(UsageError, match="needs a value"):
        parse_against("--aggregate")


def test_usage_errors_exit_2() -> None:
    code, _, err = run("compare", "--against", "--bogus x")
    assert code == 2 and "not a method option" in err
    code, _, err = run("compare", "--from", "2018", "--against", "--aggregate median")
    assert code == 2
    code, _, err = run("target", "320500")
    assert code == 2 and "exactly one" in err
    code, _, err = run("compare", "--from", "2030", "--to", "2019")
    assert code == 1 and "2030" in err and "Traceback" not in err


def test_target_plan_and_out_of_reach() -> None:
    code, out, err = run("target", "320500", "--rank", "1")
    assert code == 0, err
    assert "needed:" in out and "assumptions:" in out
    code, out, err = run("target", "320500", "--rank", "1", "--only", "exports")
    assert code == 0, err
    assert "out of reach" in out
    code, out, err = run("target", "320500", "--rank", "3")
    assert code == 0 and "already there" in out
    code, out, err = run("target", "320500", "--rank", "1", "--format", "csv")
    frame = pd.read_csv(io.StringIO(out))
    assert {"indicator", "value", "needed", "change_pct", "at_cap"} <= set(frame.columns)


def test_trends_stats_availability() -> None:
    code, out, err = run("trends", "--unit", "320500", "--node", "city", "--format", "csv")
    assert code == 0, err
    frame = csv_of(out)
    assert len(frame) == 1 and frame["t_first"].iloc[0] == 2012
    code, out, err = run("stats", "--format", "csv")
    assert code == 0, err
    stats = pd.read_csv(io.StringIO(out))
    assert {"node", "min", "kurtosis", "flag_skewkurt"} <= set(stats.columns)
    code, out, err = run("availability", "--by-group", "--format", "csv")
    assert code == 0, err
    avail = csv_of(out)
    assert np.all((avail["city"] >= 0) & (avail["city"] <= 1))


def test_export_workbook(tmp_path) -> None:  # type: ignore[no-untyped-def]
    openpyxl = pytest.importorskip("openpyxl")
    out = tmp_path / "all.xlsx"
    code, _, err = run("export", "-o", str(out))
    assert code == 0, err
    wb = openpyxl.load_workbook(out, read_only=True)
    assert {
        "data_raw",
        "data_normalized",
        "scores",
        "ranks",
        "weights",
        "stats_raw",
        "availability",
        "availability_groups",
        "provenance",
    } <= set(wb.sheetnames)
    code, _, err = run("export", "-o", str(tmp_path / "all.csv"))
    assert code == 2 and ".xlsx" in err
    assert not (tmp_path / "all.csv").exists()


def test_compare_against_move_is_from_run_a_to_run_b() -> None:
    code, out, err = run("compare", "--against", "--aggregate median", "--format", "csv")
    assert code == 0, err
    frame = csv_of(out).dropna(subset=["rank_diff"])
    worse = frame[frame["rank_b"] > frame["rank_a"]].iloc[0]
    assert worse["move"] == f"↓{int(worse['rank_b'] - worse['rank_a'])}"
