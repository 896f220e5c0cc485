"""Whole-pipeline golden tests against independent references.

* UNDP HDI 2022 — SOURCE: tests/golden/hdi/SOURCE.md (UNDP HDRO, HDR 2023/24); every published
  value must be reproduced at 3 decimals.
* COINr 1.1.14 ASEM example — SOURCE: tests/golden/asem/SOURCE.md (outputs produced by running
  COINr); tolerance 1e-9 on every unit and node.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import mfgindex as mi
from tests.conftest import ASEM, GOLDEN

TOL = 1e-9


def test_hdi_2022_reproduces_every_published_value() -> None:
    fw = mi.load_framework("hdi")
    res = mi.compute(fw, mi.read_data(None, fw))
    ours = res.scores["hdi"]
    published = pd.read_csv(GOLDEN / "hdi" / "hdi_2022_published.csv").set_index("iso3")["hdi"]
    assert len(published) >= 190
    got = ours.reindex(published.index)
    assert got.notna().all(), f"no score for {list(got[got.isna()].index)}"
    diff = (got.round(3) - published).abs()
    assert (diff < 1e-9).all(), diff[diff >= 1e-9]


def _coinr_scores(name: str) -> pd.DataFrame:
    return pd.read_csv(ASEM / name).set_index("uCode")


def _compare(res: mi.Result, ref: pd.DataFrame, columns: list[str] | None = None) -> float:
    ours = res.scores
    if isinstance(ours.index, pd.MultiIndex):  # COINr's iData has a Time column
        ours = ours.droplevel("year")
    cols = columns or [c for c in ref.columns if c != "uName"]
    ref = ref[cols]
    got = ours.reindex(ref.index)[cols]
    both_nan = got.isna() & ref.isna()
    assert (got.isna() == ref.isna()).all().all(), "missing values differ from COINr"
    worst = float(np.nanmax(np.abs(got.to_numpy() - ref.to_numpy())[~both_nan.to_numpy()]))
    return worst


def _asem(data: str = "ASEM_iData.csv") -> tuple[mi.Framework, mi.Dataset]:
    fw = mi.load_framework(ASEM / "ASEM_iMeta.csv")
    return fw, mi.read_data(ASEM / data, fw)


@pytest.mark.parametrize(
    ("normalize", "reference"),
    [
        ("minmax(low=0, high=100)", "simple_minmax_amean_scores.csv"),
        ("zscore(mean=0, sd=1)", "simple_zscore_amean_scores.csv"),
    ],
)
def test_asem_simple_pipelines_match_coinr(normalize: str, reference: str) -> None:
    fw, ds = _asem()
    res = mi.compute(fw, ds, denominate="none", normalize=normalize, aggregate="arithmetic")
    assert _compare(res, _coinr_scores(reference)) < TOL


def test_asem_simple_ranks_match_coinr() -> None:
    fw, ds = _asem()
    res = mi.compute(fw, ds, denominate="none", normalize="minmax(low=0, high=100)", aggregate="arithmetic")
    ref = _coinr_scores("simple_minmax_amean_ranks.csv")
    cols = [c for c in ref.columns if c != "uName" and not fw.nodes[c].is_indicator]
    got = res.ranks.droplevel("year").reindex(ref.index)[cols]
    pd.testing.assert_frame_equal(got, ref[cols].astype(float), check_names=False)


def test_asem_geometric_on_treated_matches_coinr(tmp_path: Path) -> None:
    """COINr's Treated stage, n_minmax to [1, 100], then a_gmean."""
    treated = pd.read_csv(ASEM / "example_dset_Treated.csv")
    path = tmp_path / "treated.csv"
    treated.to_csv(path, index=False, float_format="%.17g")
    fw = mi.load_framework(ASEM / "ASEM_iMeta.csv")
    res = mi.compute(
        fw,
        mi.read_data(path, fw),
        denominate="none",
        normalize="minmax(low=1, high=100)",
        aggregate="geometric",
    )
    assert _compare(res, _coinr_scores("agg_gmean_minmax1to100_scores.csv")) < TOL


def test_hdi_2022_groups_match_undp() -> None:
    """UNDP's four human-development groups (the `hdi` framework's stage rule) for every country.

    SOURCE: tests/golden/hdi/SOURCE.md (column hdicode of the HDR 2023/24 file). Exact.
    """
    fw = mi.load_framework("hdi")
    res = mi.compute(fw, mi.read_data(None, fw))
    published = pd.read_csv(GOLDEN / "hdi" / "hdi_2022_published.csv").set_index("iso3")
    ours = res.stages.reindex(published.index)
    expected = published["hdicode"].str.lower().str.replace(" ", "_")
    assert (ours == expected).all(), ours[ours != expected]


FULL = {
    "impute": "group_mean(group=EurAsia_group)",
    "screen": "coverage(min=0.9)",
    "treat": "winsorize(max_points=5)",
    "normalize": "minmax(low=0, high=100)",
    "aggregate": "arithmetic",
}


@pytest.fixture(scope="module")
def asem_full() -> mi.Result:
    """COINr's build_example_coin(): Denominate, Impute, Screen, Treat, Normalise, Aggregate."""
    fw, ds = _asem()
    return mi.compute(fw, ds, **FULL)


@pytest.mark.parametrize(
    ("step", "stage_file"),
    [
        ("raw", "Raw"),
        ("denominated", "Denominated"),
        ("imputed", "Imputed"),
        ("screened", "Screened"),
        ("treated", "Treated"),
        ("normalized", "Normalised"),
    ],
)
def test_asem_full_pipeline_every_stage_matches_coinr(
    asem_full: mi.Result, step: str, stage_file: str
) -> None:
    """Each intermediate dataset equals COINr's ``coin$Data$<stage>`` within 1e-9."""
    ref = pd.read_csv(ASEM / f"example_dset_{stage_file}.csv").set_index("uCode")
    got = asem_full.step(step).droplevel("year").reindex(ref.index)[ref.columns]
    assert (got.isna() == ref.isna()).all().all()
    assert np.nanmax(np.abs(got.to_numpy() - ref.to_numpy())) < TOL


def test_asem_full_pipeline_scores_ranks_and_treated_cells(asem_full: mi.Result) -> None:
    assert _compare(asem_full, pd.read_csv(ASEM / "example_dset_Aggregated.csv").set_index("uCode")) < TOL
    ref = _coinr_scores("example_minmax_amean_ranks.csv")
    cols = [c for c in ref.columns if c != "uName"]
    got = asem_full.ranks.droplevel("year").reindex(ref.index)[cols]
    assert (got.to_numpy() == ref[cols].to_numpy()).all()
    # the winsorised cells, exactly as COINr's Treat details (rows in uCode order)
    points = pd.read_csv(ASEM / "example_treat_points.csv", dtype=str).fillna("")
    ids = [i.id for i in asem_full.framework.indicators]
    order = np.argsort(asem_full.units)
    flags = pd.DataFrame(asem_full.treated[order], columns=ids)[points.columns]
    assert (flags.to_numpy() == points.to_numpy()).all()
    assert (flags != "").sum().sum() == 35
    assert asem_full.provenance["removed_units"] == {}


def test_asem_full_pipeline_cli_command() -> None:
    """The issue's command, through the CLI, against COINr's aggregated stage."""
    from typer.testing import CliRunner

    from mfgindex.cli.app import get_app

    args = ["score", str(ASEM / "ASEM_iData.csv"), "-f", str(ASEM / "ASEM_iMeta.csv")]
    for key, value in FULL.items():
        args += [f"--{key}", value]
    result = CliRunner().invoke(get_app(), [*args, "--format", "csv"])
    assert result.exit_code == 0, result.stderr
    import io

    ours = pd.read_csv(io.StringIO(result.stdout)).set_index("uCode")
    ref = pd.read_csv(ASEM / "example_dset_Aggregated.csv").set_index("uCode")
    cols = [
        "Physical",
        "ConEcFin",
        "Political",
        "Instit",
        "P2P",
        "Environ",
        "Social",
        "SusEcFin",
        "Conn",
        "Sust",
        "Index",
    ]
    assert np.abs(ours.loc[ref.index, cols].to_numpy() - ref[cols].to_numpy()).max() < TOL
