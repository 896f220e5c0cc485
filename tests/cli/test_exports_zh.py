"""Chinese exports that open in Chinese tools, tables that fit a terminal, formats for papers."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pytest
from rich.cells import cell_len
from typer.testing import CliRunner

from mfgindex.cli.app import get_app

runner = CliRunner()
BOM = b"\xef\xbb\xbf"


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = runner.invoke(get_app(), list(args), env=env)
    return result.exit_code, result.stdout, result.stderr


def run_bytes(*args: str) -> tuple[int, bytes, str]:
    result = runner.invoke(get_app(), list(args))
    return result.exit_code, result.stdout_bytes, result.stderr


# -- Chinese CSV / XLSX / JSON ---------------------------------------------------------------


def test_zh_csv_file_has_bom_and_chinese_headers(tmp_path: Path) -> None:
    out = tmp_path / "rank.csv"
    code, _, err = run("rank", "--lang", "zh", "--top", "5", "-o", str(out))
    assert code == 0, err
    assert out.read_bytes().startswith(BOM)
    frame = pd.read_csv(out, encoding="utf-8-sig", dtype={"城市代码": str})
    assert list(frame.columns[:3]) == ["城市代码", "名称", "创新能力"]
    for col in ("综合指数", "排名", "发展阶段"):
        assert col in frame.columns
    assert frame["名称"].iloc[0] == "深圳市" and frame["发展阶段"].iloc[0] == "跃升期"
    assert frame["城市代码"].iloc[0] == "440300"
    assert "已写入" in err


def test_zh_csv_stdout_has_bom_and_headers_ids_keeps_ids() -> None:
    code, raw, err = run_bytes("rank", "--lang", "zh", "--top", "3", "--format", "csv")
    assert code == 0, err
    assert raw.startswith(BOM)
    frame = pd.read_csv(io.BytesIO(raw), encoding="utf-8-sig")
    assert "综合指数" in frame.columns
    code, raw, err = run_bytes("rank", "--lang", "zh", "--top", "3", "--format", "csv", "--headers", "ids")
    assert code == 0, err
    frame = pd.read_csv(io.BytesIO(raw), encoding="utf-8-sig")
    assert list(frame.columns[:2]) == ["city_code", "name_zh"]
    assert frame["name_zh"].iloc[0] == "深圳市"
    # English stays plain UTF-8 without a BOM unless asked
    code, raw, _ = run_bytes("rank", "--top", "3", "--format", "csv")
    assert not raw.startswith(BOM) and raw.startswith(b"city_code,")
    code, raw, _ = run_bytes("rank", "--top", "3", "--format", "csv", "--encoding", "utf-8-sig")
    assert raw.startswith(BOM + b"city_code,")


def test_gb18030_csv(tmp_path: Path) -> None:
    out = tmp_path / "rank.csv"
    code, _, err = run("rank", "--lang", "zh", "--top", "3", "--encoding", "gb18030", "-o", str(out))
    assert code == 0, err
    raw = out.read_bytes()
    assert not raw.startswith(BOM)
    frame = pd.read_csv(out, encoding="gb18030")
    assert frame.columns[0] == "城市代码" and frame["名称"].iloc[0] == "深圳市"


def test_zh_xlsx_headers_are_chinese(tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    out = tmp_path / "rank.xlsx"
    code, _, err = run("rank", "--lang", "zh", "--top", "3", "--ranks", "-o", str(out))
    assert code == 0, err
    ws = openpyxl.load_workbook(out)["scores"]
    header = [c.value for c in ws[1]]
    assert header[:3] == ["城市代码", "名称", "创新能力"]
    assert "创新能力排名" in header and "综合指数" in header and "发展阶段" in header


def test_zh_json_keys(tmp_path: Path) -> None:
    code, out, err = run("rank", "--lang", "zh", "--top", "2", "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["rows"][0]["名称"] == "深圳市" and doc["rows"][0]["排名"] == 1
    assert "methods" in doc["provenance"]  # provenance keys stay machine-stable
    code, out, err = run("weights", "--lang", "zh", "--format", "json")
    row = json.loads(out)["rows"][0]
    assert "综合权重" in row and "框架权重" in row


def test_weights_and_explain_export_headers_zh() -> None:
    code, raw, err = run_bytes("weights", "--lang", "zh", "--format", "csv")
    assert code == 0, err
    frame = pd.read_csv(io.BytesIO(raw), encoding="utf-8-sig")
    assert {"上级", "节点", "权重", "综合权重"} <= set(frame.columns)
    code, raw, err = run_bytes("explain", "110000", "--lang", "zh", "--format", "csv")
    assert code == 0, err
    frame = pd.read_csv(io.BytesIO(raw), encoding="utf-8-sig")
    assert {"节点", "得分", "排名", "权重", "贡献"} <= set(frame.columns)


# -- messages in Chinese ------------------------------------------------------------------------


def test_messages_translated_under_zh() -> None:
    code, _, err = run("rank", "--lang", "zh", "--top", "1", "--format", "csv")
    assert code == 0
    assert "警告：指标 'exports'：覆盖率低：296 个单元中只有 186 个有数据（63%）" in err
    assert "提示：补全缺失值" in err and "warning" not in err
    code, _, err = run("rank", "--lang", "zh", "--level", "nosuch", "--format", "csv")
    assert code == 2 and "用法错误：" in err and "不是指标体系 'city' 的节点" in err
    code, _, err = run("rank", "-f", "nosuch", "--lang", "zh")
    assert code == 1 and "错误：没有名为 'nosuch' 的指标体系文件或内置指标体系" in err
    assert "提示：内置指标体系：" in err
    # the next command is in English again
    code, _, err = run("rank", "--top", "1", "--format", "csv")
    assert "warning: indicator 'exports'" in err


def test_strict_with_a_value_is_a_usage_error() -> None:
    code, _, err = run("rank", "--strict", "true")
    assert code == 2 and "'true' was read as the DATA file" in err and "--strict alone" in err


# -- choices checked by typer, one message style -----------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["rank", "--format", "xml"],
        ["rank", "--lang", "fr"],
        ["rank", "--headers", "labels"],
        ["rank", "--encoding", "latin-1"],
        ["uncertainty", "--invalid", "skip", "--vary", "weights=0.1"],
        ["analyze", "--table", "pair"],
        ["analyze", "--method", "kendall"],
        ["methods", "--stage", "normalise"],
    ],
)
def test_choice_options_fail_alike(argv: list[str]) -> None:
    code, _, err = run(*argv)
    assert code == 2
    assert "Invalid value for" in err and "is not one of" in err, err


def test_help_shows_no_bool_metavar_and_spec_tables() -> None:
    code, out, _ = run("rank", "--help", env={"COLUMNS": "120"})
    assert code == 0
    strict = next(line for line in out.splitlines() if "--strict" in line)
    assert "<bool>" not in strict
    assert "markdown or latex" in out and "gb18030" in out
    code, out, _ = run("uncertainty", "--help", env={"COLUMNS": "120"})
    assert "[weights]" in out and "[exclude]" in out
    code, out, _ = run("score", "--help", env={"COLUMNS": "120"})
    weights = " ".join(out[out.index("--weights") : out.index("--aggregate")].split())
    assert "skips" not in weights and "keeps the framework's" in weights


# -- tables that fit -----------------------------------------------------------------------------


@pytest.mark.parametrize("width", [80, 100])
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_rank_first_screen_shows_unit_index_rank_stage(width: int, lang: str) -> None:
    code, out, err = run("rank", "--format", "table", "--lang", lang, env={"COLUMNS": str(width)})
    assert code == 0, err
    lines = out.splitlines()
    assert max(cell_len(line) for line in lines) <= width
    assert "(continued)" not in out and "…" not in out
    assert len(lines) < 2 * 296 + 20  # one table, not a second block 300 lines below
    # the first row of numbers, within the first screen: id, name, index, rank, stage
    body = next(k for k, line in enumerate(lines) if "440300" in line)
    assert body < 12
    cells = [c.strip() for c in lines[body].strip("│").split("│")]
    name, stage = ("Shenzhen", "leaping") if lang == "en" else ("深圳市", "跃升期")
    assert cells[:5] == ["440300", name, "83.48", "1", stage]
    header = "".join(lines[1:body])
    first_dim = "innovation" if lang == "en" else "创新"
    assert first_dim in header
    # what does not fit is named under the table
    shown = sum(1 for dim in ("86.36", "65.20", "97.90", "95.99", "71.93") if dim in lines[body])
    if shown < 5:
        assert ("not shown" if lang == "en" else "未显示") in "".join(lines[-3:])


def test_wide_terminal_shows_every_dimension() -> None:
    code, out, _ = run("rank", "--format", "table", "--ranks", env={"COLUMNS": "240"})
    assert code == 0
    for word in ("economic_drive", "green", "rank_green"):
        assert word in out
    assert "not shown" not in out


def test_rank_columns_pair_with_their_dimension() -> None:
    code, out, _ = run("rank", "--format", "table", "--ranks", "--lang", "zh", env={"COLUMNS": "100"})
    assert code == 0
    lines = out.splitlines()
    row = next(line for line in lines if "440300" in line)
    cells = [c.strip() for c in row.strip("│").split("│")]
    # the key columns first, then each dimension shown with its rank column
    assert cells[:7] == ["440300", "深圳市", "83.48", "1", "跃升期", "86.36", "1"]


# -- --ranks, --round, markdown, latex -----------------------------------------------------------


def test_ranks_and_round_in_csv() -> None:
    code, out, err = run("rank", "--ranks", "--round", "1", "--top", "10", "--format", "csv")
    assert code == 0, err
    frame = pd.read_csv(io.StringIO(out))
    cols = list(frame.columns)
    assert cols[cols.index("innovation") + 1] == "rank_innovation"
    assert frame["rank_innovation"].min() >= 1 and frame["rank_innovation"].dtype.kind == "i"
    text = out.splitlines()[1].split(",")
    assert all(len(x.split(".")[1]) <= 1 for x in text if "." in x)


def test_markdown_and_latex(tmp_path: Path) -> None:
    code, out, err = run("rank", "--top", "3", "--format", "markdown")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("| city_code | name |") and set(lines[1]) <= set("|:-")
    assert "| 440300 | Shenzhen |" in lines[2] and "83.48" in lines[2]
    code, out, err = run("rank", "--top", "3", "--format", "latex", "--round", "1", "--lang", "zh")
    assert code == 0, err
    assert "\\begin{tabular}" in out and "\\toprule" in out and "深圳市" in out and "83.5" in out
    assert "城市代码" in out
    md = tmp_path / "rank.md"
    code, _, err = run("rank", "--top", "3", "-o", str(md))
    assert code == 0, err
    assert md.read_text(encoding="utf-8").startswith("| city_code |")
    tex = tmp_path / "rank.tex"
    code, _, err = run("rank", "--top", "3", "-o", str(tex))
    assert code == 0 and "\\end{tabular}" in tex.read_text(encoding="utf-8")


# -- one --by/--top implementation ----------------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        {"top": 5},
        {"by": "province", "top": 1},
        {"by": "province", "top": 2},
        {"by": "city_type"},
        {"level": "green", "top": 7},
    ],
)
def test_cli_rank_agrees_with_to_frame(argv: dict[str, object]) -> None:
    import mfgindex as mi

    fw = mi.load_framework("city")
    res = mi.compute(fw, mi.read_data(fw.dataset, fw))
    ours = res.to_frame(sort=True, **argv)  # type: ignore[arg-type]
    args = ["rank", "--format", "csv"]
    for key, value in argv.items():
        args += [f"--{key}", str(value)]
    code, out, err = run(*args)
    assert code == 0, err
    cli = pd.read_csv(io.StringIO(out), dtype={"city_code": str})
    assert list(cli["city_code"]) == list(ours["city_code"].astype(str))
    assert list(cli["rank"]) == [int(r) for r in ours["rank"]]
