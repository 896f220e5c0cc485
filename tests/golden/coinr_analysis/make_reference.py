"""Reference tables for tests/test_stats.py, written from COINr 1.1.14's definitions.

Independent of mfgindex: pandas and scipy only, following R/stats.R (``get_stats``),
R/screen_units.R (``get_data_avail``) and R/compare.R (``compare_coins``) line by line.
Inputs are COINr's own outputs in tests/golden/asem (``example_dset_Raw.csv``,
``example_dset_Treated.csv``, ``simple_*_ranks.csv``). Run from the repository root:

    python tests/golden/coinr_analysis/make_reference.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

HERE = Path(__file__).resolve().parent
ASEM = HERE.parent / "asem"


def get_stats(df: pd.DataFrame, t_skew=2.0, t_kurt=3.5, t_avail=0.65, t_zero=0.5, t_unq=0.5):
    n = len(df)
    rows = []
    for col in df.columns:
        x = df[col].dropna().to_numpy(dtype=float)
        n_avail = x.size
        nzero = int((x != 0).sum())
        nunq = len(np.unique(x))
        nsame = int(pd.Series(x).value_counts().max())
        # e1071 type 2 = the bias-corrected sample skewness / excess kurtosis
        sk = float(stats.skew(x, bias=False))
        kt = float(stats.kurtosis(x, fisher=True, bias=False))
        rows.append(
            {
                "iCode": col,
                "Min": x.min(),
                "Max": x.max(),
                "Mean": x.mean(),
                "Median": np.median(x),
                "Std": x.std(ddof=1),
                "Skew": sk,
                "Kurt": kt,
                "N.Avail": n_avail,
                "N.NonZero": nzero,
                "N.Unique": nunq,
                "N.Same": nsame,
                "Frc.Avail": n_avail / n,
                "Frc.NonZero": nzero / n_avail,
                "Frc.Unique": nunq / n_avail,
                "Frc.Same": nsame / n_avail,
                "Flag.Avail": "ok" if n_avail / n >= t_avail else "LOW",
                "Flag.NonZero": "ok" if nzero / n >= t_zero else "LOW",
                "Flag.Unique": "ok" if nunq / n >= t_unq else "LOW",
                "Flag.SkewKurt": "OUT" if abs(sk) > t_skew and kt > t_kurt else "ok",
            }
        )
    return pd.DataFrame(rows)


def get_data_avail(df: pd.DataFrame) -> pd.DataFrame:
    x = df.drop(columns="uCode")
    nas = x.isna().sum(axis=1)
    zeros = (x == 0).sum(axis=1)
    return pd.DataFrame(
        {
            "uCode": df["uCode"],
            "N_missing": nas,
            "N_zero": zeros,
            "N_miss_or_zero": nas + zeros,
            "Dat_Avail": 1 - nas / x.shape[1],
            "Non_Zero": 1 - zeros / (x.shape[1] - nas),
        }
    )


def by_group(df: pd.DataFrame, meta: pd.DataFrame) -> pd.DataFrame:
    """COINr's ByGroup table: per unit, the share of each aggregate's indicators present."""
    parent = dict(zip(meta["iCode"], meta["Parent"], strict=True))
    inds = [c for c in df.columns if c != "uCode"]
    lineage = {}
    for i in inds:
        chain, node = [], parent.get(i)
        while isinstance(node, str) and node:
            chain.append(node)
            node = parent.get(node)
        lineage[i] = chain
    groups = list(dict.fromkeys(g for i in inds for g in lineage[i]))
    out = {"uCode": df["uCode"]}
    for g in groups:
        cols = [i for i in inds if g in lineage[i]]
        out[g] = 1 - df[cols].isna().mean(axis=1)
    return pd.DataFrame(out)


def cagr(y, x):
    """COINr's CAGR: first and last non-missing points."""
    ok = ~np.isnan(y)
    y, x = y[ok], x[ok]
    if y.size < 2:
        return np.nan
    return 0.0 if y[-1] == y[0] else (y[-1] / y[0]) ** (1 / (x[-1] - x[0])) - 1


def prc_change(y, x, per=1):
    """COINr's prc_change: first/last with 2 points, else stats::lm (here numpy lstsq)."""
    ok = ~np.isnan(y)
    y, x = y[ok], x[ok]
    if y.size < 2:
        return np.nan
    if len(np.unique(y)) == 1:
        return 0.0
    if y.size < 3:
        return (y[-1] - y[0]) * 100 / y[0] * (per / (x[-1] - x[0]))
    design = np.column_stack([np.ones_like(x), x])
    (icpt, slop), *_ = np.linalg.lstsq(design, y, rcond=None)
    return slop * per / (icpt + slop * x[0]) * 100


def get_trends(panel: pd.DataFrame, f_trend, use_latest=None) -> pd.DataFrame:
    inds = [c for c in panel.columns if c not in ("uCode", "Time")]
    rows = []
    for u, block in panel.groupby("uCode", sort=True):
        block = block.sort_values("Time")
        t = block["Time"].to_numpy(dtype=float)
        for i in inds:
            y = block[i].to_numpy(dtype=float)
            if (~np.isnan(y)).sum() < 2:
                rows.append({"uCode": u, "iCode": i, "value": np.nan})
                continue
            if use_latest is not None:
                last = np.flatnonzero(~np.isnan(y)).max()
                first = last - use_latest + 1  # 0-based; COINr's 1-based test is i_first > 1
                y, tt = (y[first : last + 1], t[first : last + 1]) if first >= 1 else (y[:0], t[:0])
            else:
                tt = t
            rows.append({"uCode": u, "iCode": i, "value": f_trend(y, tt)})
    return pd.DataFrame(rows).sort_values(["iCode", "uCode"])


def main() -> None:
    meta = pd.read_csv(ASEM / "ASEM_iMeta.csv")
    for stage in ("Raw", "Treated"):
        dset = pd.read_csv(ASEM / f"example_dset_{stage}.csv")
        get_stats(dset.drop(columns="uCode")).to_csv(
            HERE / f"get_stats_{stage}.csv", index=False, float_format="%.17g"
        )
    raw = pd.read_csv(ASEM / "example_dset_Raw.csv")
    get_data_avail(raw).to_csv(HERE / "get_data_avail_Raw_summary.csv", index=False, float_format="%.17g")
    by_group(raw, meta).to_csv(HERE / "get_data_avail_Raw_bygroup.csv", index=False, float_format="%.17g")
    a = pd.read_csv(ASEM / "simple_minmax_amean_ranks.csv").set_index("uCode")["Index"]
    b = pd.read_csv(ASEM / "simple_zscore_amean_ranks.csv").set_index("uCode")["Index"]
    pd.DataFrame(
        {
            "uCode": a.index,
            "coin.1": a.to_numpy(),
            "coin.2": b.reindex(a.index),
            "Diff": a.to_numpy() - b.reindex(a.index).to_numpy(),
            "Abs.diff": np.abs(a.to_numpy() - b.reindex(a.index).to_numpy()),
        }
    ).to_csv(HERE / "compare_coins_minmax_vs_zscore.csv", index=False)
    panel = pd.read_csv(HERE / "ASEM_iData_p_subset.csv")
    panel = panel.drop(
        columns=[
            c
            for c in (
                "uName",
                "GDP_group",
                "GDPpc_group",
                "Pop_group",
                "EurAsia_group",
                "Area",
                "Energy",
                "GDP",
                "Population",
            )
            if c in panel.columns
        ]
    )
    np.seterr(all="ignore")  # R: x/0 = Inf, (-x)^(1/k) = NaN, silently
    out = get_trends(panel, cagr).rename(columns={"value": "CAGR"})
    out["prc_change"] = get_trends(panel, prc_change)["value"].to_numpy()
    out["CAGR_latest3"] = get_trends(panel, cagr, use_latest=3)["value"].to_numpy()
    out.to_csv(HERE / "get_trends_Raw.csv", index=False, float_format="%.17g")


if __name__ == "__main__":
    main()
