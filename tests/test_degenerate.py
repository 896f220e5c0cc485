"""The degenerate-data policy (docs/troubleshooting.md, "Methods and degenerate data"), through
the library: what happens with a constant or all-missing indicator, one unit, values a mean or
a transform cannot take, zero weights and duplicates — and the warnings ``--strict`` turns into
errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import mfgindex as mi
from mfgindex.errors import DataError, FrameworkError
from tests.conftest import MINI_TOML

FILES = Path(__file__).resolve().parent / "bad_inputs" / "files"
BASE = pd.read_csv(FILES / "base.csv", dtype=str)


@pytest.fixture
def fw() -> mi.Framework:
    return mi.load_framework(FILES / "base.toml")


def run(fw: mi.Framework, frame: pd.DataFrame, **options: object) -> mi.Result:
    return mi.compute(fw, mi.Dataset.from_frame(frame, fw), **options)  # type: ignore[arg-type]


def whats(res: mi.Result) -> list[str]:
    return [f"{p.where}: {p.what}" for p in res.diagnostics()]


def test_clean_data_has_no_warnings(fw: mi.Framework) -> None:
    assert run(fw, BASE).diagnostics() == []


def test_constant_indicator_is_left_out_of_its_group(fw: mi.Framework) -> None:
    frame = BASE.assign(x1="7")
    res = run(fw, frame)
    assert np.isnan(res.scores["x1"]).all()
    # Group a is then x2 alone (renormalised weights): its score is x2's normalised value.
    np.testing.assert_array_equal(res.scores["a"], res.scores["x2"])
    assert any("indicator 'x1': constant: every unit has 7" in w for w in whats(res))
    # Goalposts do not compare units: a constant indicator still scores.
    res = run(fw, frame, normalize="goalposts(low=0, high=500)")
    assert np.isfinite(res.scores["x1"]).all()


def test_all_missing_indicator_is_left_out(fw: mi.Framework) -> None:
    res = run(fw, BASE.assign(x2="NA"))
    np.testing.assert_array_equal(res.scores["a"], res.scores["x1"])
    assert any("indicator 'x2': every value is missing" in w for w in whats(res))


def test_one_unit(fw: mi.Framework) -> None:
    res = run(fw, BASE.iloc[:1])
    assert np.isnan(res.scores["mini"]).all()
    with pytest.raises(DataError) as info:
        res.require_scores()
    assert "only one unit (U1)" in str(info.value) and "goalposts" in str(info.value)
    res = run(fw, BASE.iloc[:1], normalize="goalposts(low=0, high=500)")
    res.require_scores()
    assert res.diagnostics() == []


@pytest.mark.parametrize("aggregate", ["geometric", "harmonic"])
def test_zero_under_geometric_or_harmonic_is_zero_with_a_warning(fw: mi.Framework, aggregate: str) -> None:
    # minmax to [0, 100] gives zeros: the mean is 0, its limit (DESIGN §5), with a warning
    res = run(fw, BASE, aggregate=aggregate)
    res.require_scores()
    zero = [p for p in res.diagnostics() if "(its limit)" in p.what]
    assert zero and "minmax(low=1, high=100)" in zero[0].hint
    run(fw, BASE, aggregate=aggregate, normalize="minmax(low=1, high=100)").require_scores()


def test_negative_under_geometric_is_nan_for_those_units(fw: mi.Framework) -> None:
    res = run(fw, BASE, aggregate="geometric", normalize="zscore")
    refused = [p for p in res.diagnostics() if "negative" in p.what]
    assert refused and "no score" in refused[0].what


def test_zero_under_log_transform_is_nan_for_that_unit_with_a_warning() -> None:
    fw = mi.load_framework(FILES / "log_transform.toml")
    res = run(fw, BASE.assign(x1=["0", "1", "2", "3", "4"]))
    res.require_scores()
    assert np.isnan(res.scores.loc["U1", ["x1", "a", "mini"]].to_numpy(dtype=float)).all()
    assert not np.isnan(res.scores.loc["U2", "mini"])
    (warning,) = [p for p in res.diagnostics() if "transform" in p.what]
    assert "U1 (One)" in warning.what and "log1p" in warning.hint and "shift" in warning.hint
    run(fw, BASE).require_scores()


def test_weights_all_zero_among_siblings(tmp_path: Path) -> None:
    path = tmp_path / "zero.toml"
    path.write_text(
        MINI_TOML.replace("direction = -1", "direction = -1\nweight = 0").replace(
            'id = "x1"\nparent = "a"', 'id = "x1"\nparent = "a"\nweight = 0'
        ),
        encoding="utf-8",
    )
    with pytest.raises(FrameworkError, match="group 'a': the weights of all its children are 0"):
        mi.load_framework(path)


def test_duplicates(fw: mi.Framework) -> None:
    dup = pd.concat([BASE, BASE.iloc[[1]].assign(code=" U2 ")], ignore_index=True)
    with pytest.raises(DataError, match="duplicate unit id U2"):
        mi.Dataset.from_frame(dup, fw)
    panel = pd.concat(
        [BASE.assign(year="2019"), BASE.assign(year="2020"), BASE.iloc[[0]].assign(year="2020.0")],
        ignore_index=True,
    )
    with pytest.raises(DataError, match="duplicate unit-year U1 / 2020"):
        mi.Dataset.from_frame(panel, fw)


def test_low_coverage_and_imputed_share(fw: mi.Framework) -> None:
    frame = BASE.assign(x3=["", "", "200", "", "250"])
    res = run(fw, frame)
    got = whats(res)
    assert any("indicator 'x3': low coverage: data for 2 of 5 units (40%)" in w for w in got)
    assert any("group 'b': low coverage: 3 unit(s) have no score" in w and "U1, U2, U4" in w for w in got)
    res = run(fw, frame, impute="mean")
    assert any("indicator 'x3': 60% of the values were imputed" in w for w in whats(res))


def test_panel_diagnostics_name_the_year(fw: mi.Framework) -> None:
    panel = pd.concat([BASE.assign(year="2019"), BASE.assign(year="2020", x1="3")], ignore_index=True)
    got = whats(run(fw, panel))
    assert got == ["indicator 'x1', year 2020: constant: every unit has 3, so it cannot tell units apart"]
