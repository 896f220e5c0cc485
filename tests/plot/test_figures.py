"""Figures: their structure (bars, labels, stacked segments, lines), not their pixels."""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import mfgindex.plot as mp
from mfgindex.errors import DataError, UsageError
from tests.conftest import ROOT


def _names(res: Any, rows: np.ndarray, lang: str = "en") -> list[str]:
    names = res._names(lang)
    return [str(names[r]) for r in rows]


def _top(res: Any, node: str, n: int) -> np.ndarray:
    ranks = res.ranks[node].to_numpy()
    order = np.argsort(np.where(np.isnan(ranks), np.inf, ranks), kind="stable")
    return order[:n]


def _ticks(labels: list[Any]) -> list[str]:
    return [t.get_text() for t in labels]


def test_bar_stacks_contributions_that_sum_to_the_score(city: Any) -> None:
    fig = mp.bar(city, top=12)
    ax = fig.axes[0]
    fw = city.framework
    dims = list(fw.children(fw.id))
    assert len(ax.containers) == len(dims)  # one stacked series per dimension
    assert all(len(c.patches) == 12 for c in ax.containers)  # one bar per unit
    top = _top(city, fw.id, 12)
    assert _ticks(ax.get_yticklabels()) == _names(city, top)
    widths = np.array([[p.get_width() for p in c.patches] for c in ax.containers]).sum(axis=0)
    np.testing.assert_allclose(widths, city.scores[fw.id].to_numpy()[top], rtol=0, atol=1e-9)
    legend = fig.legends[0]
    assert [t.get_text().replace("\n", " ") for t in legend.get_texts()] == [fw.nodes[d].name for d in dims]
    assert fig.get_suptitle().startswith(fw.name)


def test_bar_of_a_group_and_errors(city: Any) -> None:
    fig = mp.bar(city, top=5, node="innovation")
    ax = fig.axes[0]
    kids = city.framework.children("innovation")
    assert len(ax.containers) == len(kids)
    widths = np.array([[p.get_width() for p in c.patches] for c in ax.containers]).sum(axis=0)
    top = _top(city, "innovation", 5)
    np.testing.assert_allclose(widths, city.scores["innovation"].to_numpy()[top], atol=1e-9)
    with pytest.raises(UsageError, match="indicator"):
        mp.bar(city, node=city.framework.indicators[0].id)
    with pytest.raises(UsageError, match="Did you mean 'innovation'"):
        mp.bar(city, node="inovation")
    with pytest.raises(UsageError, match="positive"):
        mp.bar(city, top=0)


def test_bar_in_chinese(city: Any, cjk: str) -> None:
    fig = mp.bar(city, top=5, lang="zh")
    fw = city.framework
    assert _ticks(fig.axes[0].get_yticklabels()) == _names(city, _top(city, fw.id, 5), "zh")
    assert [t.get_text() for t in fig.legends[0].get_texts()] == [
        fw.nodes[d].name_zh for d in fw.children(fw.id)
    ]
    assert fw.name_zh in fig.get_suptitle()
    assert fig.get_suptitle().isascii() is False


def test_framework_tree_has_every_node_and_effective_weights(city: Any) -> None:
    fw = city.framework
    fig = mp.framework(city)
    left, right = fig.axes
    texts = [t.get_text() for t in left.texts]
    assert len(texts) == len(fw.nodes)
    for text, node in zip(texts, fw.walk(), strict=True):
        assert node.name.startswith(text.rstrip("…"))
    weights = mp.effective_weights(city)
    widths = [p.get_width() for p in right.patches]
    np.testing.assert_allclose(widths, [weights[n.id] for n in fw.walk()])
    assert sum(weights[i.id] for i in fw.indicators) == pytest.approx(1.0)
    assert weights[fw.id] == 1.0
    # the framework alone (no data): its own weights, renormalised among siblings
    alone = mp.effective_weights(fw)
    assert sum(alone[d] for d in fw.children(fw.id)) == pytest.approx(1.0)


def test_framework_sunburst_angles_are_effective_weights(city: Any) -> None:
    fw = city.framework
    fig = mp.framework(city, style="sunburst")
    wedges = {p.get_gid(): p for p in fig.axes[0].patches if (p.get_gid() or "").startswith("node:")}
    assert set(wedges) == {f"node:{n}" for n in fw.nodes}
    weights = mp.effective_weights(city)
    for node in fw.walk():
        if node.parent is not None:
            assert wedges[f"node:{node.id}"].get_width() == pytest.approx(2 * np.pi * weights[node.id])
    with pytest.raises(UsageError, match="tree or sunburst"):
        mp.framework(city, style="pie")


def test_corr_matrix_group_boxes_and_flags(city: Any) -> None:
    fw = city.framework
    fig = mp.corr(city, level=1)
    ax = fig.axes[0]
    r = fig.mfgindex_matrix
    k = len(fw.indicators)
    assert r.shape == (k, k)
    np.testing.assert_allclose(np.diag(r), 1.0)
    np.testing.assert_allclose(r, r.T)
    boxes = [p for p in ax.patches if (p.get_gid() or "").startswith("group:")]
    assert sorted(b.get_gid() for b in boxes) == sorted(f"group:{d}" for d in fw.children(fw.id))
    labels = _ticks(ax.get_yticklabels())
    assert [lab.rstrip("…") for lab in labels] == [
        i.name[: len(lab.rstrip("…"))] for lab, i in zip(labels, fw.indicators, strict=True)
    ]
    # a flag outlines each sibling pair above the collinearity threshold (both halves)
    flags = [p for p in ax.patches if p.get_gid() == "flag"]
    parents = [i.parent for i in fw.indicators]
    expected = sum(
        1
        for a in range(k)
        for b in range(k)
        if a != b and parents[a] == parents[b] and (r[a, b] > 0.9 or r[a, b] < -0.4)
    )
    assert len(flags) == expected
    level2 = mp.corr(city, level=2).mfgindex_matrix
    assert level2.shape == (len(fw.children(fw.id)),) * 2
    with pytest.raises(UsageError, match="levels 1"):
        mp.corr(city, level=9)


def test_dist_boxes_and_violins(city: Any) -> None:
    fw = city.framework
    dims = list(fw.children(fw.id))
    fig = mp.dist(city)
    ax = fig.axes[0]
    assert [t.replace("\n", " ") for t in _ticks(ax.get_yticklabels())] == [fw.nodes[d].name for d in dims]
    medians = [line.get_xdata()[0] for line in ax.lines if line.get_gid() == "median"]
    np.testing.assert_allclose(medians, [np.nanmedian(city.scores[d]) for d in dims])
    fig = mp.dist(city, nodes=["gdp", "fdi"], kind="violin")
    assert len(fig.axes[0].collections) >= 2
    with pytest.raises(UsageError, match="box or violin"):
        mp.dist(city, kind="bars")


def test_scatter_names_the_outliers(city: Any) -> None:
    fig = mp.scatter(city, "innovation", "green", n_labels=4)
    ax = fig.axes[0]
    both = city.scores[["innovation", "green"]].dropna()
    assert len(ax.collections[0].get_offsets()) == len(both)
    notes = [t.get_text() for t in ax.texts if t.get_gid() == "outlier"]
    assert len(notes) == 4
    assert set(notes) <= set(map(str, city.data.names))
    assert ax.get_xlabel() == city.framework.nodes["innovation"].name


def test_profile_is_the_units_scores(city: Any) -> None:
    fw = city.framework
    fig = mp.profile(city, "320500")
    ax = fig.axes[0]
    dims = list(fw.children(fw.id))
    row = list(city.units).index("320500")
    bars = [p.get_width() for p in ax.patches]
    np.testing.assert_allclose(bars, city.scores[dims].to_numpy()[row])
    assert [t.replace("\n", " ") for t in _ticks(ax.get_yticklabels())] == [fw.nodes[d].name for d in dims]
    assert "Suzhou" in fig.get_suptitle()
    # by Chinese name too
    assert "Suzhou" in mp.profile(city, "苏州市").get_suptitle()


def test_stages_cut_points_between_bands(city: Any) -> None:
    fw = city.framework
    fig = mp.stages(city)
    ax = fig.axes[0]
    cuts = [line.get_xdata()[0] for line in ax.lines if line.get_gid() == "stage-cut"]
    assert len(cuts) == len(fw.stages.labels) - 1
    score, codes = city.scores[fw.id].to_numpy(), city.stage_codes
    for band, cut in enumerate(cuts):  # every unit of a better band scores above the cut
        assert score[codes == band].min() > cut > score[codes == band + 1].max()
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert [lab.split(" (")[0] for lab in labels] == list(fw.stages.labels)
    assert sum(int(lab.split("(")[1].rstrip(")")) for lab in labels) == len(city.units)


def test_groups_counts_the_top_units(city: Any) -> None:
    fig = mp.groups(city, "province", top=50)
    ax = fig.axes[0]
    totals = np.zeros(len(ax.get_yticks()))
    for c in ax.containers:
        totals += [p.get_width() for p in c.patches]
    assert totals.sum() == 50
    top = _top(city, city.framework.id, 50)
    provinces = city.data.unit_columns["province"].to_numpy()[top]
    first = _ticks(ax.get_yticklabels())[0]
    assert totals[0] == max(np.sum(provinces == p) for p in set(provinces)) == np.sum(provinces == first)
    with pytest.raises(UsageError, match="no unit column"):
        mp.groups(city, "provinse")


def test_uncertainty_intervals(city_uncertainty: Any) -> None:
    fig = mp.uncertainty(city_uncertainty, top=15)
    ax = fig.axes[0]
    frame = city_uncertainty.to_frame().head(15)
    intervals = next(c for c in ax.collections if c.get_gid() == "interval")
    segments = intervals.get_segments()
    assert len(segments) == 15
    np.testing.assert_allclose([s[0][0] for s in segments], frame["q05_rank"])
    np.testing.assert_allclose([s[1][0] for s in segments], frame["q95_rank"])
    nominal = ax.collections[-1].get_offsets()[:, 0]
    np.testing.assert_allclose(nominal, frame["nominal_rank"].astype(float))
    assert _ticks(ax.get_yticklabels()) == list(frame["name"])


def test_sensitivity_bars(city_sensitivity: Any) -> None:
    fig = mp.sensitivity(city_sensitivity)
    ax = fig.axes[0]
    table = city_sensitivity.indices
    from matplotlib.container import BarContainer

    first, total = [c for c in ax.containers if isinstance(c, BarContainer)]
    np.testing.assert_allclose([p.get_width() for p in first.patches], table["first_order"])
    np.testing.assert_allclose([p.get_width() for p in total.patches], table["total_order"])
    assert _ticks(ax.get_yticklabels()) == list(table["input"])


def test_trend_follows_units_over_the_years(city_panel: Any, city: Any) -> None:
    fw = city_panel.framework
    fig = mp.trend(city_panel, ["110000", "Shanghai"])
    top, bottom = fig.axes
    assert len(top.lines) == len(bottom.lines) == 2
    years = sorted(set(city_panel.years.tolist()))
    np.testing.assert_array_equal(top.lines[0].get_xdata(), years)
    frame = city_panel.scores[fw.id].xs("110000", level=0).sort_index()
    np.testing.assert_allclose(top.lines[0].get_ydata(), frame.to_numpy())
    assert bottom.yaxis_inverted()
    assert [t.get_text() for t in top.get_legend().get_texts()] == ["Beijing", "Shanghai"]
    with pytest.raises(UsageError, match="several years"):
        mp.trend(city, ["110000"])


def test_no_cjk_font_warns_and_falls_back_to_english(city: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from mfgindex.plot import _style

    monkeypatch.setattr(_style, "_cjk_cache", [None])
    with pytest.warns(_style.CJKFontWarning, match="no CJK font"):
        fig = mp.bar(city, top=3, lang="zh")
    assert fig.get_suptitle().startswith(city.framework.name)  # English, not tofu
    assert all(t.get_text().isascii() for t in fig.axes[0].get_yticklabels())


def test_cjk_font_is_used_for_chinese(cjk: str, city: Any) -> None:
    fig = mp.profile(city, "320500", lang="zh")
    title = fig._suptitle
    assert title.get_fontfamily()[0] == cjk
    assert "苏州市" in title.get_text()


def test_save_formats_atomically_and_protects_inputs(city: Any, tmp_path: Path) -> None:
    fig = mp.stages(city)
    for suffix, magic in ((".png", b"\x89PNG"), (".svg", b"<?xml"), (".pdf", b"%PDF")):
        out = mp.save(fig, tmp_path / f"s{suffix}")
        assert out.read_bytes().startswith(magic)
    import os
    import stat

    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(out.stat().st_mode) == 0o666 & ~mask  # not a private temp file's 0600
    svg = (tmp_path / "s.svg").read_text(encoding="utf-8")
    assert "<text" in svg and "Development stages" in svg  # text kept as text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.pdf", "s.png", "s.svg"]  # no temp files
    with pytest.raises(UsageError, match=r"\.png, \.svg or \.pdf"):
        mp.save(fig, tmp_path / "s.jpg")
    data = tmp_path / "data.png"
    data.write_bytes(b"input")
    with pytest.raises(UsageError, match="input"):
        mp.save(fig, data, protect=[data])
    assert data.read_bytes() == b"input"


def test_unit_names_are_text_not_mathtext(city: Any) -> None:
    from mfgindex.plot._style import rc

    assert rc()["text.parse_math"] is False


def test_missing_extra_names_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "jinja2", None)
    with pytest.raises(DataError, match=r'pip install "mfgindex\[plot\]"'):
        mp.require()


def test_importing_mfgindex_does_not_import_matplotlib() -> None:
    code = (
        "import sys, mfgindex, mfgindex.plot, mfgindex.report, mfgindex.cli.app as a; "
        "a.get_app(); print('matplotlib' in sys.modules, 'jinja2' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.split() == ["False", "False"]


def test_no_figure_is_left_registered_with_pyplot(city: Any) -> None:
    import matplotlib.pyplot as plt

    before = len(plt.get_fignums())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mp.dist(city)
    assert len(plt.get_fignums()) == before


def test_figures_fit_one_column(city: Any, city_uncertainty: Any) -> None:
    """80 mm wide once drawn: labels, titles and legends inside (a 3 % margin)."""
    from mfgindex.plot._style import WIDTH_IN

    for fig in (
        mp.bar(city, top=5),
        mp.framework(city),
        mp.stages(city),
        mp.profile(city, "320500"),
        mp.dist(city),
        mp.corr(city, level=2),
        mp.uncertainty(city_uncertainty, top=5),
    ):
        fig.draw_without_rendering()
        box = fig.get_tightbbox()
        assert box.width <= WIDTH_IN * 1.03, (fig.get_suptitle(), box.width)
