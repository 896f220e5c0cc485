"""COINr's ASEM example, end to end, in mfgindex (see docs/coming-from-coinr.md).

Run: python examples/asem_coinr.py [OUTPUT_FOLDER]

The steps of COINr's ``build_example_coin()`` and of its vignettes, one by one, on COINr's own
iData / iMeta tables (bundled: ``mfgindex examples`` lists them). The scores equal COINr 1.1.14's
``coin$Data$Aggregated`` to 1e-9 (the test suite checks the file this script writes).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import mfgindex as mi
from mfgindex import analysis, panel
from mfgindex.examples import example_path
from mfgindex.weights_report import weight_shares

#: COINr's build_example_coin(): Denominate(dset = "Raw") with the iMeta denominators (the
#: framework's default here), then:
BUILD_EXAMPLE_COIN = {
    "impute": "group_mean(group=EurAsia_group)",  # Impute(f_i = "i_mean_grp", use_group = ...)
    "screen": "coverage(min=0.9)",  # Screen(dat_thresh = 0.9, unit_screen = "byNA")
    "treat": "winsorize(max_points=5)",  # Treat(global_specs = list(f1_para = list(winmax = 5)))
    "normalize": "minmax(low=0, high=100)",  # Normalise(global_specs = n_minmax, l_u = c(0, 100))
    "aggregate": "arithmetic",  # Aggregate(f_ag = "a_amean")
}


def main(out_dir: Path) -> None:
    # new_coin(iData = ASEM_iData, iMeta = ASEM_iMeta)
    fw = mi.load_framework(example_path("ASEM_iMeta.csv"))
    data = mi.read_data(example_path("ASEM_iData.csv"), fw)
    print(f"{fw.describe()}; {len(data)} rows")

    # Denominate -> Impute -> Screen -> Treat -> Normalise -> Aggregate
    coin = mi.compute(fw, data, **BUILD_EXAMPLE_COIN)

    # get_dset(coin, "Treated"), and the other stages: coin.step(...)
    treated = coin.step("treated")
    print(f"datasets: {', '.join(coin.steps)}; treated is {treated.shape[0]} x {treated.shape[1]}")
    removed = coin.provenance.get("removed_units") or {}
    print(f"Screen removed {len(removed)} unit(s)")

    # get_results(coin, dset = "Aggregated", tab_type = "Summ")
    top = coin.to_frame(sort=True, top=10)
    print(top[[fw.unit_column, fw.name_column or fw.unit_column, fw.id, "rank"]].to_string(index=False))

    # get_unit_summary / get_str_weak: explain
    best = str(top[fw.unit_column].iloc[0])
    ex = coin.explain(best)
    print(f"{ex.name}: strengths {ex.strengths}, weaknesses {ex.weaknesses}")

    # get_stats(coin, dset = "Raw") and get_data_avail(coin, dset = "Raw")
    stats = analysis.stats(coin, "raw")
    units, by_group = analysis.data_availability(coin, "raw")
    print(
        f"stats of {len(stats)} indicators; availability of {len(units)} units, and per "
        f"unit and node ({by_group.shape[1] - 2} nodes)"
    )

    # get_corr / get_cronbach / get_PCA: the coherence tables
    co = mi.analyze(fw, data, **BUILD_EXAMPLE_COIN)
    print(co.groups.head(3).to_string(index=False))

    # get_eff_weights: the share of the index each node carries
    shares = weight_shares(coin)
    print(
        f"effective weights of {len(shares)} nodes, summing to "
        f"{shares[shares['group'] == fw.id]['global'].sum():.3f} at the top"
    )

    # compare_coins: the same data aggregated geometrically (values must be positive)
    geo = mi.compute(
        fw, data, **(BUILD_EXAMPLE_COIN | {"normalize": "minmax(low=1, high=100)", "aggregate": "geometric"})
    )
    moved = panel.compare(coin, geo)
    print(f"compare_coins: {len(moved)} units compared")

    # get_sensitivity(SA_type = "UA"): rank intervals under noisy weights (few runs here)
    ua = mi.uncertainty(fw, data, {"weights": {"noise": 0.25}}, runs=100, seed=1, **BUILD_EXAMPLE_COIN)
    print(ua.to_frame().head(3).to_string(index=False))

    # export_to_excel(coin): every table, a sheet each (needs openpyxl)
    try:
        import openpyxl  # noqa: F401
    except ImportError:
        print("openpyxl not installed: no workbook")
    else:
        analysis.export_workbook(coin, out_dir / "asem_coin.xlsx")

    # the scores, as COINr's coin$Data$Aggregated (with a provenance sidecar)
    written = mi.write(coin, str(out_dir / "asem_aggregated.csv"), indicators=True)
    print("wrote", ", ".join(map(str, written)))


if __name__ == "__main__":
    if len(sys.argv) > 1:
        folder = Path(sys.argv[1])
        folder.mkdir(parents=True, exist_ok=True)
        main(folder)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            main(Path(tmp))
