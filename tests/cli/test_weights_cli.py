"""`mfgindex weights`: derived weights per node, through typer's runner."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import mfgindex as mi
from mfgindex.cli.app import get_app
from tests.conftest import ASEM, MINI_CSV, MINI_TOML

runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    # a wide terminal: tables show every column whatever the terminal running the tests
    result = runner.invoke(get_app(), list(args), env={"COLUMNS": "200"})
    return result.exit_code, result.stdout, result.stderr


def csv_of(out: str) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(out))


def test_framework_weights_of_the_city_index() -> None:
    code, out, err = run("weights", "--format", "csv")
    assert code == 0, err
    frame = csv_of(out)
    assert list(frame.columns) == ["group", "node", "name", "framework", "weight", "global", "method"]
    assert set(frame["method"]) == {"framework"}
    np.testing.assert_allclose(frame["weight"], frame["framework"])
    # shares sum to 1 within every group; global shares of the indicators sum to 1
    np.testing.assert_allclose(frame.groupby("group")["weight"].sum(), 1.0)
    leaves = frame[~frame["node"].isin(frame["group"])]
    assert leaves["global"].sum() == pytest.approx(1.0)
    assert frame["group"].iloc[0] == "city"  # the index first, then down the tree


def test_entropy_weights_are_those_the_pipeline_uses() -> None:
    code, out, err = run(
        "weights",
        "-f",
        str(ASEM / "ASEM_iMeta.csv"),
        str(ASEM / "ASEM_iData.csv"),
        "--method",
        "entropy",
        "--format",
        "csv",
    )
    assert code == 0, err
    frame = csv_of(out)
    fw = mi.load_framework(ASEM / "ASEM_iMeta.csv")
    res = mi.compute(fw, mi.read_data(ASEM / "ASEM_iData.csv", fw), weights="entropy")
    for (_, group), derived in res.weights.items():
        got = frame[frame["group"] == group].set_index("node")["weight"]
        total = sum(derived.values())
        for child, w in derived.items():
            assert got[child] == pytest.approx(w / total, abs=1e-12)
    assert not np.allclose(frame["weight"], frame["framework"])  # data-driven: not all equal
    # a child's global share is its share times its parent's global share
    glob = dict(zip(frame["node"], frame["global"], strict=True))
    for _, row in frame.iterrows():
        assert row["global"] == pytest.approx(row["weight"] * glob.get(row["group"], 1.0))


AHP_TOML = (
    MINI_TOML
    + """
[[comparisons]]
parent = "a"
children = ["x1", "x2"]
matrix = [[1, 3], [0.3333333333333333, 1]]

[[comparisons]]
parent = "mini"
children = ["a", "b"]
matrix = [[1, 0.5], [2, 1]]

[[comparisons]]
parent = "b"
children = ["x3"]
matrix = [[1]]
"""
)

# Saaty's 3 x 3 example: weights 0.637 / 0.258 / 0.105, lambda_max 3.039, CR 0.033 (RI 0.58)
SAATY3 = """
[framework]
id = "s3"
name = "Three criteria"
unit_column = "code"

[[group]]
id = "g"
parent = "s3"
weight = 1

[[indicator]]
id = "c1"
direction = 1
parent = "g"

[[indicator]]
id = "c2"
direction = 1
parent = "g"

[[indicator]]
id = "c3"
direction = 1
parent = "g"

[[indicator]]
id = "c4"
direction = 1
parent = "s3"

[[comparisons]]
parent = "g"
children = ["c1", "c2", "c3"]
matrix = [[1, 3, 5], [0.3333333333333333, 1, 3], [0.2, 0.3333333333333333, 1]]
"""
SAATY3_CSV = "code,c1,c2,c3,c4\nU1,1,2,3,4\nU2,2,3,1,5\nU3,3,1,2,6\n"


@pytest.fixture
def ahp_mini(tmp_path: Path) -> tuple[Path, Path]:
    fw = tmp_path / "ahp.toml"
    fw.write_text(AHP_TOML, encoding="utf-8")
    data = tmp_path / "mini.csv"
    data.write_text(MINI_CSV, encoding="utf-8")
    return fw, data


def test_ahp_weights_with_consistency(tmp_path: Path) -> None:
    fw = tmp_path / "s3.toml"
    fw.write_text(SAATY3, encoding="utf-8")
    data = tmp_path / "s3.csv"
    data.write_text(SAATY3_CSV, encoding="utf-8")
    code, out, err = run("weights", str(data), "-f", str(fw), "-m", "ahp(max_cr=0.2)", "--format", "csv")
    # group 's3' has no comparison matrix: AHP cannot weigh it
    assert code == 1 and "no pairwise comparison matrix" in err
    # AHP on the group that has one, the framework's weights elsewhere (per-group choice)
    toml = SAATY3.replace('parent = "s3"\nweight = 1', 'parent = "s3"\nweight = 1\nweights = "ahp"')
    fw.write_text(toml, encoding="utf-8")
    code, out, err = run("weights", str(data), "-f", str(fw), "--format", "csv")
    assert code == 0, err
    frame = csv_of(out).set_index("node")
    np.testing.assert_allclose(frame.loc[["c1", "c2", "c3"], "weight"], [0.637, 0.258, 0.105], atol=5e-4)
    assert frame.loc["c1", "lambda_max"] == pytest.approx(3.039, abs=5e-4)
    assert frame.loc["c1", "cr"] == pytest.approx(0.033, abs=5e-4)
    assert frame.loc["c1", "ci"] == pytest.approx((3.0385 - 3) / 2, abs=1e-4)
    assert np.isnan(frame.loc["g", "cr"])  # the root's framework weights: no consistency


def test_ahp_two_levels_and_global_weights(ahp_mini: tuple[Path, Path]) -> None:
    fw, data = ahp_mini
    code, out, err = run("weights", str(data), "-f", str(fw), "-m", "ahp", "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["provenance"]["methods"]["weights"] == {"a": "ahp", "b": "ahp", "mini": "ahp"}
    rows = {r["node"]: r for r in doc["rows"]}
    assert rows["a"]["weight"] == pytest.approx(1 / 3) and rows["b"]["weight"] == pytest.approx(2 / 3)
    assert rows["x1"]["weight"] == pytest.approx(0.75)
    assert rows["x1"]["global"] == pytest.approx(0.25)  # local 3/4 x parent 1/3
    assert rows["x3"]["global"] == pytest.approx(2 / 3)
    assert rows["x1"]["cr"] == 0 and rows["x1"]["lambda_max"] == pytest.approx(2)


def test_inconsistent_ahp_is_a_user_error(ahp_mini: tuple[Path, Path]) -> None:
    fw, data = ahp_mini
    # a group of one child needs no matrix (its weight is 1) ...
    fw.write_text(AHP_TOML.split('[[comparisons]]\nparent = "b"')[0], encoding="utf-8")
    code, _, err = run("weights", str(data), "-f", str(fw), "-m", "ahp", "--format", "csv")
    assert code == 0, err
    # ... but a group of two does
    mini = '[[comparisons]]\nparent = "mini"\nchildren = ["a", "b"]\nmatrix = [[1, 0.5], [2, 1]]\n'
    assert mini in AHP_TOML
    fw.write_text(AHP_TOML.replace(mini, ""), encoding="utf-8")
    code, _, err = run("weights", str(data), "-f", str(fw), "-m", "ahp", "--format", "csv")
    assert code == 1 and "group 'mini' has no pairwise comparison matrix" in err
    bad = AHP_TOML.replace("[[1, 0.5], [2, 1]]", "[[1, 0.5], [3, 1]]")  # not reciprocal
    fw.write_text(bad, encoding="utf-8")
    code, _, err = run("weights", str(data), "-f", str(fw), "-m", "ahp", "--format", "csv")
    assert code == 1 and "reciprocal" in err and "Traceback" not in err


def test_panel_has_a_year_column_and_weights_per_year(tmp_path: Path) -> None:
    frame = pd.read_csv(ASEM / "ASEM_iData.csv")
    later = frame.assign(Time=2019)
    num = later.select_dtypes("number").columns.drop("Time")
    later[num] = later[num] * np.random.default_rng(1).uniform(0.5, 2.0, later[num].shape)
    path = tmp_path / "panel.csv"
    pd.concat([frame, later]).to_csv(path, index=False)
    code, out, err = run(
        "weights", str(path), "-f", str(ASEM / "ASEM_iMeta.csv"), "-m", "cv", "--format", "csv"
    )
    assert code == 0, err
    res = csv_of(out)
    assert list(res.columns[:3]) == ["year", "group", "node"]
    assert set(res["year"]) == {2018, 2019}
    by_year = res.pivot_table(index="node", columns="year", values="weight")
    assert not np.allclose(by_year[2018], by_year[2019])
    code, out, err = run(
        "weights",
        str(path),
        "-f",
        str(ASEM / "ASEM_iMeta.csv"),
        "-m",
        "cv",
        "--year",
        "2019",
        "--format",
        "csv",
    )
    assert code == 0, err
    one = csv_of(out)
    assert set(one["year"]) == {2019}  # like `score`: the year column whenever the data has years
    np.testing.assert_allclose(one["weight"], res[res["year"] == 2019]["weight"], rtol=1e-12)


def test_table_zh_output_file_and_errors(tmp_path: Path) -> None:
    code, out, err = run("weights", "--format", "table", "--lang", "zh")
    assert code == 0, err
    assert "权重" in out and "创新能力" in out
    target = tmp_path / "w.csv"
    code, _, err = run("weights", "-m", "equal", "-o", str(target))
    assert code == 0 and target.exists()
    assert json.loads((tmp_path / "w.csv.provenance.json").read_text())["methods"]["weights"]
    code, _, err = run("weights", "-m", "entrpy", "--format", "csv")
    assert code == 1 and "Did you mean 'entropy'" in err
    code, _, err = run("weights", "--format", "xml")
    assert code == 2
