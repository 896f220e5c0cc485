"""Generate ``examples/data/park_fiveforces_synthetic_demo.csv``: SYNTHETIC demo data.

For ``indicators/park-fiveforces.toml``, CCID's full 15-indicator park model.

No open source publishes the statistics of China's national development zones that CCID's park
index ("five forces" model) uses, so the bundled park dataset is made up — and says so: the file
name ends in ``synthetic_demo``, every row has ``synthetic = true``, and parks are identified only
by codes ``P0001`` … ``P0200``, never by a real name.

What is real: the mix of zone types and provinces, and the spread of zone areas. Each synthetic
park draws its (province, zone type) pair from the 375 national zones of the 2018 official
catalogue (《中国开发区审核公告目录》2018年版: 219 ETDZ 经济技术开发区, 156 HTZ 高新技术产业开发区),
read from ``../shared/data/china_zones/china_national_etdz_htz_2018_catalog.csv`` (relative to
the repository root), and its area from a lognormal fitted to the catalogue's approved areas. No
other value of the catalogue is used and no park is matched to a catalogue entry.

Everything else is simulated with plausible magnitudes: a latent "size" z ~ N(0, 1), shifted by
region (east +0.4, west -0.3) and zone type, drives lognormal money amounts (GDP median about
350 亿元) and overdispersed (gamma-Poisson) counts, each with its own noise, so indicators are
positively correlated but not collinear. High-tech zones get higher R&D intensity and more
high-tech firms, ETDZs more trade and a larger industrial share. About 1 % of indicator cells
are blanked at random to exercise missing-value handling.

No arguments; ``numpy.random.default_rng(seed=20201)``; deterministic and re-runnable:
``python examples/data/make_park_synthetic.py``. See SOURCE_park_fiveforces.md.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
CATALOG = ROOT.parent / "shared" / "data" / "china_zones" / "china_national_etdz_htz_2018_catalog.csv"
OUT = ROOT / "examples" / "data" / "park_fiveforces_synthetic_demo.csv"

SEED = 20201
N_PARKS = 200

ZONE_TYPE = {"经济技术开发区": "ETDZ", "高新技术产业开发区": "HTZ"}
EAST = {
    "北京市",
    "天津市",
    "河北省",
    "辽宁省",
    "上海市",
    "江苏省",
    "浙江省",
    "福建省",
    "山东省",
    "广东省",
    "海南省",
}
CENTRAL = {"山西省", "吉林省", "黑龙江省", "安徽省", "江西省", "河南省", "湖北省", "湖南省"}

COUNT_COLUMNS = [
    "hightech_firms",
    "universities_institutes",
    "smart_factories",
    "digital_pilots",
    "services_pilots",
    "clusters",
    "champion_firms",
    "green_factories",
    "green_designations",
]
# Cells blanked at random (columns that a real park survey most often lacks).
MAY_BE_MISSING = [
    "trade_100m_yuan",
    "rd_expenditure_100m_yuan",
    "universities_institutes",
    "adv_mfg_output_100m_yuan",
    "energy_10k_tce",
    "green_factories",
]


def region_of(province: str) -> str:
    return "east" if province in EAST else "central" if province in CENTRAL else "west"


def main() -> None:
    rng = np.random.default_rng(seed=SEED)
    cat = pd.read_csv(CATALOG, dtype={"approval_date": str})
    pairs = cat[["province", "zone_type"]].to_numpy()
    log_area = np.log(cat["approved_area_ha"].to_numpy() / 100.0)  # ha -> km2
    area_mu, area_sd = float(log_area.mean()), float(log_area.std(ddof=1))

    n = N_PARKS
    pick = rng.integers(0, len(pairs), size=n)
    province = pairs[pick, 0]
    zone_type = np.array([ZONE_TYPE[t] for t in pairs[pick, 1]])
    region = np.array([region_of(p) for p in province])
    htz = (zone_type == "HTZ").astype(float)

    def noise(sd: float) -> np.ndarray:
        return rng.normal(0.0, sd, n)

    def counts(log_mean: np.ndarray, k: float = 2.0) -> np.ndarray:
        """Overdispersed counts: Poisson with a gamma(k) multiplier on the mean."""
        return rng.poisson(np.exp(log_mean) * rng.gamma(k, 1.0 / k, n))

    z = rng.normal(0.0, 1.0, n) + np.select([region == "east", region == "west"], [0.4, -0.3], 0.0)

    # economic strength 经济实力
    gdp = np.exp(np.log(350.0) + 0.9 * z + noise(0.3))  # 亿元
    ind_share = np.clip(0.50 - 0.08 * htz + noise(0.10), 0.10, 0.85)
    industrial_va = gdp * ind_share  # 亿元
    trade = np.exp(np.log(gdp) - 0.2 + 0.4 * (1 - htz) + 0.3 * (region == "east") + noise(0.6))

    # innovation potential 创新潜力
    rd_intensity = np.exp(np.log(0.022) + 0.15 * z + 0.35 * htz + noise(0.35))
    rd_expenditure = rd_intensity * gdp  # 亿元
    hightech_firms = counts(np.log(120.0) + 0.9 * z + 0.5 * htz + noise(0.2), k=4.0)
    universities = counts(np.log(3.0) + 0.8 * z + 0.4 * htz, k=1.5)

    # integration 融合能力
    smart_factories = counts(np.log(2.0) + 0.7 * z + 0.2 * htz)
    digital_pilots = counts(np.log(1.5) + 0.6 * z + 0.2 * htz)
    services_pilots = np.minimum(counts(np.log(0.6) + 0.5 * z, k=3.0), 8)

    # agglomeration 产业聚力
    area_km2 = np.exp(area_mu + 0.3 * area_sd * z + np.sqrt(1 - 0.09) * area_sd * rng.normal(0, 1, n))
    adv_share = np.clip(0.45 + 0.10 * htz + 0.05 * z + noise(0.12), 0.05, 0.95)
    adv_mfg_output = industrial_va * 3.5 * adv_share * np.exp(noise(0.2))  # 亿元 (gross output)
    clusters = np.minimum(counts(np.log(0.2) + 0.7 * z, k=4.0), 3)  # 45 clusters nationwide
    champion_firms = counts(np.log(1.0) + 0.8 * z)

    # green drive 绿色动力 (inferred indicators)
    green_factories = counts(np.log(3.0) + 0.6 * z, k=3.0)
    green_designations = rng.binomial(3, 1.0 / (1.0 + np.exp(0.8 - 0.6 * z)))
    energy_intensity = np.exp(np.log(0.5) - 0.2 * z - 0.3 * htz + noise(0.45))  # tce per 万元 VA
    energy = energy_intensity * industrial_va  # 万tce

    df = pd.DataFrame(
        {
            "park_code": [f"P{i:04d}" for i in range(1, n + 1)],
            "zone_type": zone_type,
            "province": province,
            "region": region,
            "synthetic": True,
            "gdp_100m_yuan": gdp.round(2),
            "industrial_va_100m_yuan": industrial_va.round(2),
            "trade_100m_yuan": trade.round(2),
            "rd_expenditure_100m_yuan": rd_expenditure.round(3),
            "hightech_firms": hightech_firms,
            "universities_institutes": universities,
            "smart_factories": smart_factories,
            "digital_pilots": digital_pilots,
            "services_pilots": services_pilots,
            "area_km2": area_km2.round(2),
            "adv_mfg_output_100m_yuan": adv_mfg_output.round(2),
            "clusters": clusters,
            "champion_firms": champion_firms,
            "green_factories": green_factories,
            "green_designations": green_designations,
            "energy_10k_tce": energy.round(2),
        }
    )

    # blank ~1 % of the indicator cells, only in the columns above
    n_missing = 12
    rows = rng.choice(n, size=n_missing, replace=False)
    cols = rng.choice(MAY_BE_MISSING, size=n_missing)
    for r, c in zip(rows, cols, strict=True):
        df.loc[r, c] = np.nan
    for c in COUNT_COLUMNS:
        df[c] = df[c].astype("Int64")  # integers, empty where missing

    df.to_csv(OUT, index=False, lineterminator="\n")
    print(f"{OUT.name}: {len(df)} synthetic parks, {int(df.isna().sum().sum())} missing cells")


if __name__ == "__main__":
    main()
