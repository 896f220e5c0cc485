"""``dtype=float32`` (issue 13): half the memory of a very large run, at float32's precision.

The values, normalised values and scores are held in float32; every block is computed in
float64 (docs/scale.md). The float64 run is the reference: a float32 run stays within a stated
tolerance of it, is recorded in its provenance and reproduced from it. Its memory contract is in
``tests/test_performance_contracts.py``.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import mfgindex as mi
from mfgindex.errors import DataError, UsageError
from mfgindex.pipeline import Choices

#: A float32 run's largest score difference from float64's, as a share of the scores' range
#: (the framework's scale span, or the largest score when larger: 0-100 gives 1e-4). Measured
#: on the bundled data: at most 3.2e-7 (asem's normalised indicators).
TOLERANCE = 1e-6

HEAVY = {"treat": "winsorize", "normalize": "zscore(mean=100, sd=10)", "aggregate": "geometric"}


@pytest.mark.parametrize("framework", ["city", "park", "park-fiveforces", "hdi", "asem"])
@pytest.mark.parametrize("options", [{}, HEAVY, {"normalize": "zscore"}], ids=["default", "heavy", "zscore"])
def test_float32_scores_are_close_to_float64(framework: str, options: dict[str, str]) -> None:
    fw = mi.load_framework(framework)
    ds = mi.read_data(None, fw)
    ref = mi.compute(fw, ds, **options)
    res = mi.compute(fw, ds, dtype="float32", **options)
    assert res.score_matrix.dtype == np.float32 and ref.score_matrix.dtype == np.float64
    span = max(fw.scale[1] - fw.scale[0], float(np.nanmax(np.abs(ref.score_matrix))))
    atol = TOLERANCE * span
    np.testing.assert_allclose(res.score_matrix, ref.score_matrix, rtol=0, atol=atol, equal_nan=True)
    # the same units scored, the same cells treated; on these data no rank changes
    np.testing.assert_array_equal(np.isnan(res.score_matrix), np.isnan(ref.score_matrix))
    np.testing.assert_array_equal(res.treated, ref.treated)
    np.testing.assert_array_equal(res.ranked[fw.id], ref.ranked[fw.id])


def test_float32_arrays_and_what_stays_float64() -> None:
    fw = mi.load_framework("city")
    res = mi.compute(fw, mi.read_data(None, fw), dtype="float32", **HEAVY)
    assert res.score_matrix.dtype == np.float32
    assert res.steps["treated"].dtype == np.float32
    assert res.steps["normalized"].dtype == np.float32
    assert res.steps["raw"].dtype == np.float64  # the dataset's own values
    assert res.ranked[fw.id].dtype == np.float64
    assert all(isinstance(v, float) for f in res.provenance["fitted"].values() for v in f.values())
    assert res.scores.dtypes.eq(np.float32).all()
    assert res.explain(str(res.units[0])).table["score"].notna().all()
    assert res.provenance["methods"]["dtype"] == "float32"


def test_float64_is_the_default_and_not_recorded() -> None:
    fw = mi.load_framework("city")
    ds = mi.read_data(None, fw)
    res = mi.compute(fw, ds)
    assert res.score_matrix.dtype == np.float64
    assert "dtype" not in res.provenance["methods"]
    same = mi.compute(fw, ds, dtype="float64")
    np.testing.assert_array_equal(same.score_matrix, res.score_matrix)
    assert same.provenance["methods"] == res.provenance["methods"]


def test_reproduce_runs_float32_again(tmp_path: Path) -> None:
    fw = mi.load_framework("city")
    res = mi.compute(fw, mi.read_data(None, fw), dtype="float32", **HEAVY)
    mi.write(res, str(tmp_path / "r.json"))
    prov = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["provenance"]
    again = mi.reproduce(prov)
    assert again.score_matrix.dtype == np.float32
    np.testing.assert_array_equal(again.score_matrix, res.score_matrix)
    assert again.provenance["methods"] == res.provenance["methods"]


@pytest.mark.parametrize("value", ["float32", "FLOAT32", "single", np.float32, np.dtype("float32")])
def test_choices_dtype_spellings(value: object) -> None:
    assert Choices(dtype=value).dtype == "float32"
    assert Choices(dtype="float64").dtype is None and Choices().dtype is None
    assert Choices.from_record({"dtype": "float32"}).dtype == "float32"
    assert Choices.from_mapping({"dtype": value}).to_dict()["dtype"] == "float32"


@pytest.mark.parametrize("value", ["float16", "int8", 3])
def test_other_dtypes_are_usage_errors(value: object) -> None:
    with pytest.raises(UsageError, match="float64 or float32"):
        Choices(dtype=value)


def test_values_beyond_float32_are_refused() -> None:
    fw = mi.load_framework("city")
    assert fw.dataset is not None
    frame = pd.read_csv(fw.dataset, dtype={fw.unit_column: str})
    column = fw.indicators[0].column
    frame[column] = frame[column].astype(float)
    frame.loc[0, column] = 1e39
    ds = mi.read_data(frame, fw)
    with pytest.raises(DataError, match="float32's range"):
        mi.compute(fw, ds, dtype="float32")
    assert mi.compute(fw, ds).score_matrix.dtype == np.float64  # float64 takes them


def _cli(*args: str) -> tuple[int, str, str]:
    from mfgindex.cli.app import get_app

    result = CliRunner().invoke(get_app(), list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("command", ["score", "rank"])
def test_cli_dtype_option(command: str) -> None:
    code, out, err = _cli(command, "-f", "city", "--dtype", "float32", "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["provenance"]["methods"]["dtype"] == "float32"
    code, out, err = _cli(command, "-f", "city", "--dtype", "float32", "--format", "csv")
    assert code == 0, err
    frame = pd.read_csv(io.StringIO(out), dtype={"city_code": str}).set_index("city_code")
    fw = mi.load_framework("city")
    res = mi.compute(fw, mi.read_data(None, fw), dtype="float32")
    lib = res.scores[fw.id]
    np.testing.assert_allclose(frame.loc[lib.index, fw.id].to_numpy(), lib.to_numpy(), rtol=1e-6)
    code, _, err = _cli(command, "-f", "city", "--dtype", "float16")
    assert code == 2 and "--dtype" in err
