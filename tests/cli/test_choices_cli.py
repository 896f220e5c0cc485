"""Every choice from the command line: --stages, --dataset, --where/--unit, show --format toml."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from mfgindex.cli.app import get_app

runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(get_app(), list(args))
    return result.exit_code, result.stdout, result.stderr


def csv(out: str) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(out.lstrip("\ufeff")), dtype={"city_code": str})


def test_stages_option() -> None:
    code, out, err = run("rank", "--stages", "quantile(probs=[0.1, 0.3, 0.6])", "--format", "csv")
    assert code == 0, err
    frame = csv(out)
    counts = frame["stage"].value_counts()
    assert counts["leaping"] == round(0.1 * len(frame)) or abs(counts["leaping"] - 30) <= 1
    code, _, err = run("rank", "--stages", "quantil")
    assert code == 1 and "Did you mean 'quantile'" in err and "--stages" in err
    code, _, err = run("rank", "-f", "asem", "--stages", "breaks")
    assert code == 2 and "no [stages] table" in err
    code, out, err = run("rank", "--stages", "none", "--top", "2", "--format", "csv")
    assert code == 0 and csv(out)["stage"].isna().all()


def test_dataset_exports_an_intermediate_step() -> None:
    import mfgindex as mi

    fw = mi.load_framework("city")
    res = mi.compute(fw, mi.read_data(fw.dataset, fw))
    code, out, err = run("score", "--dataset", "normalized", "--format", "csv")
    assert code == 0, err
    frame = csv(out).set_index("city_code")
    ids = [i.id for i in fw.indicators]
    assert list(frame.columns) == ["name", *ids] and "rank" not in frame
    ours = res.step("normalized")
    ours.index = ours.index.astype(str)
    assert (frame[ids] - ours.loc[frame.index, ids]).abs().max().max() < 1e-9
    code, _, err = run("score", "--dataset", "treatd")
    assert code == 2 and "no step 'treatd'" in err and "steps recorded" in err


def test_where_and_unit_filter_the_display() -> None:
    code, out, err = run("rank", "--where", "province=江苏省", "--format", "csv")
    assert code == 0, err
    frame = csv(out)
    assert list(frame["rank"][:2]) == [3, 5]  # national ranks kept
    assert len(frame) == 13
    code, out, _ = run("rank", "--where", "province=江苏省,浙江省", "--top", "10", "--format", "csv")
    assert set(csv(out)["city_code"]) == {"320500", "320100", "330100", "330200"}
    code, out, _ = run("rank", "--unit", "320500", "--unit", "北京市", "--format", "csv")
    assert list(csv(out)["city_code"]) == ["320500", "110000"]
    code, _, err = run("rank", "--where", "province=江苏")
    assert code == 2 and "Did you mean '江苏省'" in err
    code, _, err = run("rank", "--where", "province")
    assert code == 2 and "COLUMN=VALUE" in err


def test_show_format_toml_writes_a_working_framework(tmp_path: Path) -> None:
    code, out, err = run("show", "city", "--format", "toml")
    assert code == 0, err
    path = tmp_path / "my_city.toml"
    path.write_text(out, encoding="utf-8")
    code, out, err = run("rank", "-f", str(path), "--top", "3", "--format", "csv")
    assert code == 0, err
    assert list(csv(out)["city_code"]) == ["440300", "310000", "320500"]


@pytest.mark.parametrize("framework", ["hdi", "park"])
def test_show_format_toml_of_every_builtin(framework: str) -> None:
    import tomllib

    code, out, err = run("show", framework, "--format", "toml")
    assert code == 0, err
    assert tomllib.loads(out)


def test_explain_offers_both_suzhous() -> None:
    code, _, err = run("explain", "Suzhou")
    assert code == 1 and "'Suzhou' is the name of 2 units" in err
    assert "320500 (Suzhou (Jiangsu), 苏州市)" in err and "341300 (Suzhou (Anhui), 宿州市)" in err
    assert "Suizhou" not in err
    code, out, err = run("explain", "suzhou (anhui)")
    assert code == 0 and out.startswith("Suzhou (Anhui) (341300)")
