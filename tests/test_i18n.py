"""mfgindex.i18n: Chinese headers, paper terms and message translation; the library's
--top/--by and weight-share tables behind the CLI."""

from __future__ import annotations

import doctest

import numpy as np
import pytest

import mfgindex as mi
from mfgindex import i18n, weights_report


@pytest.fixture(scope="module")
def city() -> mi.Result:
    fw = mi.load_framework("city")
    return mi.compute(fw, mi.read_data(fw.dataset, fw))


def test_doctests() -> None:
    for module in (i18n, weights_report):
        failed, _ = doctest.testmod(module)
        assert failed == 0, module.__name__


def test_rank_text_in_paper_style() -> None:
    assert i18n.rank_text(8, 296, "zh") == "第8名（共296个）"
    assert i18n.rank_text(float("nan"), 296, "zh") == "未排名"
    assert i18n.rank_short(3, "zh") == "第3名" and i18n.rank_short(float("nan"), "zh") == "–"


def test_terms_chinese_papers_use() -> None:
    assert i18n.term("stage", "zh") == "发展阶段"
    assert i18n.term("nominal_rank", "zh") == "基准排名"
    assert i18n.term("global", "zh") == "综合权重"
    assert i18n.term("positive", "zh") == "正向指标" and i18n.term("negative", "zh") == "逆向指标"


def test_column_labels(city: mi.Result) -> None:
    fw = city.framework
    cols = [
        "city_code",
        "year",
        "name_zh",
        "province",
        "innovation",
        "rank_innovation",
        "city",
        "rank",
        "stage",
        "unknown_col",
    ]
    zh = i18n.column_labels(fw, cols, "zh")
    assert zh == {
        "city_code": "城市代码",
        "year": "年份",
        "name_zh": "名称",
        "province": "省份",
        "innovation": "创新能力",
        "rank_innovation": "创新能力排名",
        "city": "综合指数",
        "rank": "排名",
        "stage": "发展阶段",
        "unknown_col": "unknown_col",
    }
    en = i18n.column_labels(fw, ["city_code", "innovation", "rank_innovation"], "en")
    assert en["city_code"] == "city_code" and en["rank_innovation"].endswith(" rank")
    # two columns never share a header
    both = i18n.column_labels(fw, ["name", "name_zh"], "zh")
    assert len(set(both.values())) == 2
    park = mi.load_framework("park")
    assert i18n.unit_header(park, "zh") == "园区代码"


@pytest.mark.parametrize(
    ("english", "chinese"),
    [
        (
            "indicator 'exports': low coverage: data for 186 of 296 units (63%)",
            "指标 'exports'：覆盖率低：296 个单元中只有 186 个有数据（63%）",
        ),
        (
            "indicator 'x', years 2012–2016: constant: every unit has 0, so it cannot tell units apart",
            "指标 'x'，2012–2016年：常数列：每个单元的值都是 0，无法区分各单元",
        ),
        (
            "group 'g', year 2019: low coverage: 3 unit(s) have no score because less than 50% of the "
            "weight of its children has data: a, b, c",
            "维度 'g'，2019年：覆盖率低：3 个单元没有得分，因为其下级指标中有数据的权重不足 50%：a, b, c",
        ),
        (
            "The 'normalize' method must be one of {minmax, zscore}. Got 'minmx' instead. "
            "Did you mean 'minmax'?",
            "'normalize' 方法必须是 {minmax, zscore} 之一，而不是 'minmx'。 您是否要找 'minmax'？",
        ),
        ("a sentence without a translation", "a sentence without a translation"),
    ],
)
def test_translate(english: str, chinese: str) -> None:
    assert i18n.translate(english, "zh") == chinese
    assert i18n.translate(english, "en") == english


def test_diagnostics_all_translated(city: mi.Result) -> None:
    """Every diagnostic of the bundled city data reads in Chinese (no English sentence left)."""
    for p in city.diagnostics():
        text = i18n.translate(f"{p.where}: {p.what}", "zh")
        hint = i18n.translate(p.hint, "zh")
        for word in ("coverage", "missing", "constant", "imputed"):
            assert word not in text and word not in hint, (text, hint)


def test_to_frame_top_is_rank_at_most_n(city: mi.Result) -> None:
    top = city.to_frame(top=10)
    assert list(top["rank"]) == list(range(1, 11))
    by = city.to_frame(by="province", top=2)
    assert by.groupby("province")["rank"].max().le(2).all()
    assert by.groupby("province").size().le(2).all()
    # the groups strongest first, each group's best unit first
    firsts = by.drop_duplicates("province")
    assert firsts["city"].is_monotonic_decreasing and (firsts["rank"] == 1).all()
    with pytest.raises(mi.UsageError):
        city.to_frame(top=0)


def test_to_frame_ties_at_the_cut_are_kept() -> None:
    import pandas as pd

    from tests.conftest import MINI_CSV, MINI_TOML

    del MINI_CSV  # the mini framework, with data made to tie
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        toml = Path(tmp) / "mini.toml"
        toml.write_text(MINI_TOML, encoding="utf-8")
        fw = mi.load_framework(toml)
        ids = [i.column for i in fw.indicators]
        frame = pd.DataFrame({fw.unit_column: ["a", "b", "c", "d"]} | {c: [3.0, 2.0, 2.0, 1.0] for c in ids})
        res = mi.compute(fw, mi.Dataset.from_frame(frame, fw), denominate="none")
    out = res.to_frame(top=2)
    assert list(out["rank"]) == [1, 2, 2]


def test_to_frame_ranks_and_headers(city: mi.Result) -> None:
    out = city.to_frame(ranks=True, sort=True)
    for g in city.group_ids():
        col = out[f"rank_{g}"]
        assert col.min() == 1
        best = out.loc[col == 1, g].iloc[0]
        assert best == np.nanmax(out[g].to_numpy(dtype=float))
    zh = city.to_frame(lang="zh", headers="names", ranks=True, top=1)
    assert {"城市代码", "名称", "创新能力排名", "综合指数", "排名", "发展阶段"} <= set(zh.columns)
    assert zh["发展阶段"].iloc[0] == "跃升期"
    with pytest.raises(mi.UsageError):
        city.to_frame(headers="labels")


def test_weight_shares(city: mi.Result) -> None:
    table = weights_report.weight_shares(city, lang="zh")
    assert table.groupby("group")["weight"].sum().round(12).eq(1).all()
    leaves = table[table["node"].isin([i.id for i in city.framework.indicators])]
    assert abs(leaves["global"].sum() - 1) < 1e-12
    assert table.loc[table["node"] == "innovation", "name"].iloc[0] == "创新能力"


def test_units_scored_with_a_whole_group_missing_are_flagged_and_warned() -> None:
    from mfgindex.examples import bundled_or_given

    fw = mi.load_framework("city")
    res = mi.compute(fw, mi.read_data(bundled_or_given("city_panel.csv"), fw), year=2014)
    gaps = res.missing_groups()
    flagged = [str(u) for u, g in zip(res.units, gaps, strict=True) if g]
    assert "540200" in flagged and gaps[list(res.units.astype(str)).index("540200")] == (
        "innovation",
        "brand_quality",
    )
    frame = res.to_frame(sort=True)
    row = frame[frame["city_code"].astype(str) == "540200"].iloc[0]
    assert row["missing_groups"] == "innovation, brand_quality" and not np.isnan(row["city"])
    assert frame.loc[frame["city_code"].astype(str) == "440300", "missing_groups"].iloc[0] == ""
    warned = [p for p in res.diagnostics() if "whole group missing" in p.what]
    assert len(warned) == 1 and warned[0].node == "city" and "540200 (Rikaze)" in warned[0].what
    zh = res.to_frame(lang="zh", headers="names")
    assert "缺失维度" in zh.columns
    # a complete cross-section has no such column
    full = mi.compute(fw, mi.read_data(fw.dataset, fw))
    assert "missing_groups" not in full.to_frame().columns
