"""The command line through typer's runner, and one real run of the installed console script."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from mfgindex.cli.app import get_app
from tests.conftest import ASEM, GOLDEN, ROOT

runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(get_app(), list(args))
    return result.exit_code, result.stdout, result.stderr


def test_version_and_help() -> None:
    code, out, _ = run("--version")
    assert code == 0 and out.startswith("mfgindex ")
    code, out, _ = run("--help")
    assert code == 0 and "rank" in out and "explain" in out


def test_rank_default_city_csv() -> None:
    code, out, err = run("rank", "--top", "20", "--format", "csv")
    assert code == 0, err
    frame = pd.read_csv(io.StringIO(out), dtype={"city_code": str})
    assert list(frame.columns[:2]) == ["city_code", "name"]
    for col in (
        "innovation",
        "integration",
        "economic_drive",
        "brand_quality",
        "green",
        "city",
        "rank",
        "stage",
    ):
        assert col in frame.columns
    assert len(frame) == 20 and list(frame["rank"]) == sorted(frame["rank"])
    assert frame["stage"].iloc[0] == "leaping"
    assert frame["city"].is_monotonic_decreasing


def test_rank_table_zh_and_level() -> None:
    code, out, err = run("rank", "--top", "5", "--format", "table", "--lang", "zh")
    assert code == 0, err
    assert "跃升期" in out
    code, out, err = run("rank", "--level", "innovation", "--top", "3", "--format", "csv")
    assert code == 0, err
    frame = pd.read_csv(io.StringIO(out))
    assert frame["innovation"].is_monotonic_decreasing and "stage" not in frame


def test_rank_by_province() -> None:
    code, out, err = run("rank", "--by", "province", "--top", "1", "--format", "csv")
    assert code == 0, err
    frame = pd.read_csv(io.StringIO(out))
    assert (frame["rank"] == 1).all() and frame["province"].is_unique
    assert frame["city"].is_monotonic_decreasing  # the provinces strongest first
    code, out, err = run("rank", "--by", "province", "--top", "2", "--format", "csv")
    frame = pd.read_csv(io.StringIO(out))
    assert list(frame["province"][:3]) == ["广东省", "广东省", "上海市"]
    assert list(frame["rank"][:3]) == [1, 2, 1]


def test_rank_park_and_show_zh() -> None:
    code, out, err = run("rank", "-f", "park", "--top", "3", "--format", "csv")
    assert code == 0, err
    assert len(pd.read_csv(io.StringIO(out))) == 3
    code, out, err = run("show", "city", "--lang", "zh")
    assert code == 0, err
    assert "创新能力" in out and "跃升期" in out
    assert "权重 1" in out and "↑ 正向指标" in out and "↓ 逆向指标" in out and "默认方法" in out
    assert "weight" not in out and "better" not in out
    code, out, err = run("show", "hdi")
    assert code == 0 and "(hdi) HDR2023-24" in out and "↑ higher is better" in out


def test_explain_city() -> None:
    code, out, err = run("rank", "--top", "1", "--format", "csv")
    top = str(pd.read_csv(io.StringIO(out), dtype={"city_code": str})["city_code"].iloc[0])
    code, out, err = run("explain", top)
    assert code == 0, err
    assert "rank #1" in out and "strengths" in out
    code, out, err = run("explain", top, "--format", "csv")
    table = pd.read_csv(io.StringIO(out))
    # contributions of an arithmetic node add up to its score
    groups = table[table["parent"] == "city"]
    total = table.loc[table["node"] == "city", "score"].iloc[0]
    assert abs(groups["contribution"].sum() - total) < 1e-9


def test_score_hdi_csv_matches_published() -> None:
    code, out, err = run("score", "-f", "hdi", "--format", "csv")
    assert code == 0, err
    ours = pd.read_csv(io.StringIO(out)).set_index("iso3")["hdi"]
    published = pd.read_csv(GOLDEN / "hdi" / "hdi_2022_published.csv").set_index("iso3")["hdi"]
    assert ((ours.reindex(published.index).round(3) - published).abs() < 1e-9).all()


def test_score_asem_imeta_matches_coinr() -> None:
    code, out, err = run(
        "score",
        str(ASEM / "ASEM_iData.csv"),
        "-f",
        str(ASEM / "ASEM_iMeta.csv"),
        "--denominate",
        "none",
        "--normalize",
        "minmax(low=0, high=100)",
        "--aggregate",
        "arithmetic",
        "--format",
        "csv",
    )
    assert code == 0, err
    ours = pd.read_csv(io.StringIO(out)).set_index("uCode")
    ref = pd.read_csv(ASEM / "simple_minmax_amean_scores.csv").set_index("uCode")
    for col in ("Physical", "ConEcFin", "Conn", "Sust", "Index"):
        assert (ours[col] - ref.loc[ours.index, col]).abs().max() < 1e-9


def test_outputs_written_atomically_with_provenance(tmp_path: Path) -> None:
    for suffix in ("csv", "json", "xlsx", "parquet"):
        out = tmp_path / f"scores.{suffix}"
        code, _, err = run("score", "-o", str(out))
        assert code == 0, err
        assert out.exists()
    prov = json.loads((tmp_path / "scores.csv.provenance.json").read_text())
    assert prov["framework"]["id"] == "city" and len(prov["data"]["sha256"]) == 64
    doc = json.loads((tmp_path / "scores.json").read_text())
    assert doc["provenance"]["methods"]["normalize"]
    assert not list(tmp_path.glob(".*tmp"))


def test_user_errors_exit_1_usage_errors_exit_2(tmp_path: Path) -> None:
    code, _, err = run("rank", "-f", "nosuch")
    assert code == 1 and "no framework" in err and "Traceback" not in err
    code, _, err = run("rank", "--normalize", "minmx")
    assert code == 1 and "Did you mean 'minmax'" in err
    code, _, err = run("rank", "--format", "xml")
    assert code == 2
    code, _, err = run("rank", "--level", "nosuch", "--format", "csv")
    assert code == 2
    bad = tmp_path / "out.csv"
    code, _, err = run("score", "-f", "asem", "--weights", "ahp", "-o", str(bad))
    assert code == 1 and not bad.exists() and "no pairwise comparison matrix" in err


def test_validate() -> None:
    code, out, err = run("validate")
    assert code == 0 and "ok" in out
    code, out, err = run("validate", str(ASEM / "ASEM_iData.csv"), "-f", "city")
    assert code == 1 and "missing indicator column" in err


def test_frameworks_and_methods() -> None:
    code, out, _ = run("frameworks")
    assert code == 0 and "city" in out and "hdi" in out
    code, out, _ = run("methods")
    assert code == 0 and "minmax" in out and "geometric" in out


def test_year_by_year_panel(tmp_path: Path) -> None:
    """A table with several years and no --year is scored year by year."""
    frame = pd.read_csv(GOLDEN / "asem" / "ASEM_iData.csv")
    two = pd.concat([frame, frame.assign(Time=2019)])
    path = tmp_path / "panel.csv"
    two.to_csv(path, index=False)
    code, out, err = run("score", str(path), "-f", str(ASEM / "ASEM_iMeta.csv"), "--format", "csv")
    assert code == 0, err
    res = pd.read_csv(io.StringIO(out))
    assert len(res) == 2 * len(frame) and set(res["year"]) == {2018, 2019}
    code, out, err = run(
        "score", str(path), "-f", str(ASEM / "ASEM_iMeta.csv"), "--year", "2019", "--format", "csv"
    )
    assert code == 0 and len(pd.read_csv(io.StringIO(out))) == len(frame)


_SCRIPT = shutil.which("mfgindex") or str(Path(sys.executable).parent / "mfgindex")


@pytest.mark.skipif(not Path(_SCRIPT).exists(), reason="console script not installed")
def test_installed_console_script_subprocess() -> None:
    exe = _SCRIPT
    proc = subprocess.run(
        [exe, "rank", "--top", "3", "--format", "csv"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert len(pd.read_csv(io.StringIO(proc.stdout))) == 3
    proc = subprocess.run(
        [exe, "rank", "-f", "nosuch"], capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.returncode == 1 and "Traceback" not in proc.stderr


def test_screening_note_lists_removed_units() -> None:
    code, out, err = run(
        "score",
        str(ASEM / "ASEM_iData.csv"),
        "-f",
        str(ASEM / "ASEM_iMeta.csv"),
        "--screen",
        "coverage(min=0.97)",
        "--format",
        "csv",
    )
    assert code == 0, err
    assert "note: screening removed 11 unit(s): BGD (2018): coverage 0.878 < 0.97" in err
    assert "BGD" not in pd.read_csv(io.StringIO(out))["uCode"].tolist()


def test_table_fits_a_narrow_terminal() -> None:
    """On 80 columns no number, id or label is cut: headers fold, wide tables split in blocks."""
    from rich.cells import cell_len

    result = runner.invoke(get_app(), ["rank", "--top", "5", "--format", "table"], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert max(cell_len(line) for line in out.splitlines()) <= 80
    assert "…" not in out
    for text in ("440300", "Shenzhen", "83.48", "economic_", "leaping", "(continued)"):
        assert text in out
    result = runner.invoke(
        get_app(), ["rank", "--top", "5", "--format", "table", "--lang", "zh"], env={"COLUMNS": "80"}
    )
    assert result.exit_code == 0 and "…" not in result.stdout and "排名" in result.stdout
    result = runner.invoke(get_app(), ["rank", "--top", "5", "--format", "table"], env={"COLUMNS": "200"})
    assert "(continued)" not in result.stdout and "economic_drive" in result.stdout


def test_csv_numbers_shortest_round_trip(tmp_path: Path) -> None:
    """CSV numbers are written as Python prints them — the shortest text that reads back to the
    same float (66.66666666666667, not 66.666666666666657) — on stdout and with -o."""
    import csv

    code, out, err = run("score", "-f", "park-fiveforces", "--format", "csv")
    assert code == 0, err
    path = tmp_path / "park.csv"
    code, _, err = run("score", "-f", "park-fiveforces", "-o", str(path))
    assert code == 0, err
    assert path.read_text(encoding="utf-8") == out
    rows = list(csv.reader(io.StringIO(out)))[1:]
    floats = [cell for row in rows for cell in row[1:-2] if cell]
    assert floats and all(repr(float(cell)) == cell for cell in floats)


def test_explain_by_chinese_name_in_chinese() -> None:
    code, out, err = run("explain", "北京市", "--lang", "zh")
    assert code == 0, err
    assert out.startswith("北京市 (110000)：先进制造业城市发展指数")
    assert "第4名（共296个）" in out and "发展阶段" in out and "权重" in out
    assert "优势：" in out and "短板：" in out
    assert "weight" not in out and "strengths" not in out
    code, _, err = run("explain", "北京", "--lang", "zh")
    assert code == 1 and "您是否要找 '北京市'？" in err and "错误：结果中没有单元 '北京'" in err
    code, _, err = run("explain", "北京")
    assert code == 1 and "Did you mean '北京市'?" in err


def test_panel_warnings_merged_across_years() -> None:
    """A panel's warning repeated year after year is printed once with its years; a hint once."""
    code, _, err = run(
        "rank", str(ROOT / "examples" / "data" / "city_panel.csv"), "--top", "1", "--format", "csv"
    )
    assert code == 0, err
    assert "warning: indicator 'green_factories', years 2012–2016: constant" in err
    assert "warning: group 'brand_quality', years 2013–2016: low coverage: 5 unit(s)" in err
    lines = err.splitlines()
    hints = [line for line in lines if line.startswith("  hint:")]
    assert len(hints) == len(set(hints)) and len(lines) < 25


def test_years_text() -> None:
    from mfgindex.cli.common import _years

    assert _years([]) == ""
    assert _years([2019]) == ", year 2019"
    assert _years([2012, 2013, 2014, 2016, 2018, 2019]) == ", years 2012–2014, 2016, 2018, 2019"


def test_methods_help_and_validate_wording(tmp_path: Path) -> None:
    code, out, _ = run("methods")
    assert code == 0 and "``" not in out and "times scale." in out
    code, out, _ = run("rank", "--help")
    aggregate = out[out.index("--aggregate") : out.index("--min-coverage")]
    assert code == 0 and "skips" not in aggregate
    from tests.conftest import MINI_CSV, MINI_TOML

    (tmp_path / "one.toml").write_text(
        MINI_TOML.split("[[group]]")[0]
        + ('[[group]]\nid = "a"\nparent = "mini"\n\n[[indicator]]\nid = "x1"\nparent = "a"\ndirection = 1\n'),
        encoding="utf-8",
    )
    (tmp_path / "d.csv").write_text(MINI_CSV, encoding="utf-8")
    code, out, err = run("validate", str(tmp_path / "d.csv"), "-f", str(tmp_path / "one.toml"))
    assert code == 0, err
    assert "(3 rows, 1 indicator, 0 warnings)" in out


def test_render_table_never_wider_than_the_terminal(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from rich.cells import cell_len

    from mfgindex.cli.common import render_table

    monkeypatch.setenv("COLUMNS", "30")
    frames = [
        pd.DataFrame({"a_very_long_name": [], "b_other_long_one": [], "c": []}),
        pd.DataFrame({"x": ["a" * 50], "y": [1.0]}),  # an id wider than the terminal
        pd.DataFrame({"x": ["a b " * 20], "y": [1.0], "z_long_header_here": [2.0]}),
    ]
    for frame in frames:
        render_table(frame, title="t")
        out = capsys.readouterr().out
        assert max(cell_len(line) for line in out.splitlines()) <= 30, out
