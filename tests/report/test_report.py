"""The HTML report: its sections and tables, escaping of data text, the CLI, and a real browser."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

import mfgindex as mi
from mfgindex import report
from mfgindex.cli.app import get_app
from mfgindex.errors import UsageError
from tests.conftest import MINI_TOML

SECTIONS = ("headline", "ranking", "stages", "distribution", "leaders", "profiles", "coherence", "methods")


class _Dom(HTMLParser):
    """Ids of the elements, the rows of each table body, and every src/href."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.rows: dict[str, int] = {}
        self.links: list[str] = []
        self.tags: list[str] = []
        self._table: str | None = None
        self._in_body = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.tags.append(tag)
        if a.get("id"):
            self.ids.add(str(a["id"]))
        for key in ("src", "href", "xlink:href"):
            if a.get(key):
                self.links.append(str(a[key]))
        if tag == "table":
            self._table = a.get("id") or ""
        elif tag == "tbody":
            self._in_body = True
        elif tag == "tr" and self._in_body and self._table:
            self.rows[self._table] = self.rows.get(self._table, 0) + 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "tbody":
            self._in_body = False


def _dom(html: str) -> _Dom:
    dom = _Dom()
    dom.feed(html)
    return dom


@pytest.fixture(scope="module")
def html_en() -> str:
    from tests.plot.conftest import city_result, uncertainty_result

    return report.build(city_result(), top=25, units=["320500"], uncertainty=uncertainty_result())


def test_report_has_every_section_and_the_ranked_table(html_en: str, city: Any) -> None:
    dom = _dom(html_en)
    for section in (*SECTIONS, "robustness"):
        assert section in dom.ids, section
    assert dom.rows["ranking-table"] == 25
    assert dom.rows["stage-table"] == len(city.framework.stages.labels)
    assert dom.rows["robustness-table"] == 25
    # the top unit of the index heads the table, and the headline lists ten
    best = city.to_frame(sort=True).iloc[0]
    assert re.search(r'<td class="num rank">1</td><td>' + re.escape(best["name"]), html_en)
    assert html_en.count("<li><strong>") == 10
    assert html_en.count("<svg") >= 7  # bar, stages, groups, dist, profile, corr, framework, uncertainty
    assert city.provenance["data"]["sha256"] in html_en


def test_report_is_self_contained(html_en: str) -> None:
    dom = _dom(html_en)
    assert "script" not in dom.tags
    external = [link for link in dom.links if not link.startswith(("#", "data:"))]
    assert external == []
    assert "Content-Security-Policy" in html_en and "default-src 'none'" in html_en
    assert not re.search(r"(?:src|href)\s*=\s*[\"']?(?:https?:)?//", html_en)


@pytest.fixture(scope="module")
def html_zh() -> str:
    from tests.plot.conftest import city_result

    return report.build(city_result(), lang="zh", top=40, units=["北京市"])


def test_report_in_chinese(html_zh: str, cjk: str) -> None:
    assert '<html lang="zh-CN">' in html_zh
    for word in ("先进制造业城市发展指数", "跃升期", "创新能力", "省份", "方法与来源", "优势", "短板"):
        assert word in html_zh
    dom = _dom(html_zh)
    assert dom.rows["ranking-table"] == 40
    assert "<text" in html_zh and "创新能力</text>" in html_zh  # figure labels in Chinese, as text


def test_unit_names_with_html_are_escaped(tmp_path: Path) -> None:
    fw_path = tmp_path / "mini.toml"
    fw_path.write_text(MINI_TOML, encoding="utf-8")
    data = tmp_path / "mini.csv"
    data.write_text(
        "code,name,province,x1,x2,x3,pop\n"
        'U1,<script>alert(1)</script>,"<b>bold</b>",1,10,100,10\n'
        'U2,"<img src=x onerror=alert(2)>",P,2,20,300,10\n'
        'U3,"Three & {{ 7*7 }}",P,4,30,200,10\n',
        encoding="utf-8",
    )
    fw = mi.load_framework(fw_path)
    res = mi.compute(fw, mi.read_data(data, fw))
    html = report.build(res, units=["U1"])
    dom = _dom(html)
    assert "script" not in dom.tags and "img" not in dom.tags and "b" not in dom.tags
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(2)&gt;" in html
    assert "{{ 7*7 }}" in html and "Three &amp;" in html  # not evaluated as a template
    assert "<script" not in html and "<img" not in html
    assert res._repr_html_().count("&lt;script&gt;") == 1
    assert "<script" not in res._repr_html_()


def test_no_cjk_font_keeps_the_html_chinese_and_the_figures_english(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mfgindex.plot import _style

    fw_path = tmp_path / "mini.toml"
    fw_path.write_text(MINI_TOML, encoding="utf-8")
    data = tmp_path / "mini.csv"
    data.write_text(
        "code,name,x1,x2,x3,pop\nU1,One,1,10,100,10\nU2,Two,2,20,300,10\nU3,Three,4,30,200,10\n",
        encoding="utf-8",
    )
    fw = mi.load_framework(fw_path)
    res = mi.compute(fw, mi.read_data(data, fw))
    monkeypatch.setattr(_style, "_cjk_cache", [None])
    with pytest.warns(_style.CJKFontWarning):
        html = report.build(res, lang="zh")
    assert "<h1>迷你指数</h1>" in html and "排名" in html  # the browser has its own fonts
    svg_text = re.findall(r"<text[^>]*>([^<]*)</text>", html)
    assert svg_text and all(t.isascii() for t in svg_text)  # never tofu in the figures


def test_write_protects_inputs_and_needs_html(tmp_path: Path) -> None:
    out = report.write("<html></html>", tmp_path / "r.html")
    assert out.read_text(encoding="utf-8") == "<html></html>"
    with pytest.raises(UsageError, match="HTML"):
        report.write("x", tmp_path / "r.pdf")
    with pytest.raises(UsageError, match="input"):
        report.write("x", out, protect=[out])


def test_repr_html_is_a_compact_summary(city: Any, city_panel: Any) -> None:
    html = city._repr_html_()
    assert len(html) < 8000
    assert html.count("<tr>") == 11  # header and the top 10
    assert city.framework.name in html and "296 units" in html
    panel = city_panel._repr_html_()
    assert "top 10 of 2019" in panel and panel.count("<tr>") == 11


def test_notebook_summaries_of_other_results(city_uncertainty: Any) -> None:
    from mfgindex.report import uncertainty_html

    html = uncertainty_html(city_uncertainty)
    assert "40 of 40 runs valid" in html and html.count("<tr>") == 11


runner = CliRunner()


def test_cli_report_writes_one_file(tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    result = runner.invoke(
        get_app(), ["report", "-o", str(out), "--top", "30", "--no-figures", "--unit", "Beijing"]
    )
    assert result.exit_code == 0, result.stderr
    assert "wrote" in result.stderr and "KB" in result.stderr
    dom = _dom(out.read_text(encoding="utf-8"))
    assert dom.rows["ranking-table"] == 30 and "profiles" in dom.ids
    assert [p.name for p in tmp_path.iterdir()] == ["r.html"]
    bad = runner.invoke(get_app(), ["report", "-o", str(tmp_path / "r.txt")])
    assert bad.exit_code == 2 and "HTML" in bad.stderr
    missing = runner.invoke(get_app(), ["report", "-o", str(out), "--unit", "Atlantis"])
    assert missing.exit_code == 1 and "no unit 'Atlantis'" in missing.stderr


def test_cli_plot_kinds(tmp_path: Path) -> None:
    out = tmp_path / "bar.svg"
    ok = runner.invoke(get_app(), ["plot", "bar", "--top", "5", "-o", str(out)])
    assert ok.exit_code == 0, ok.stderr
    assert out.read_text(encoding="utf-8").count("<text") > 5
    wrong = runner.invoke(get_app(), ["plot", "bars"])
    assert wrong.exit_code == 2 and "Did you mean 'bar'" in wrong.stderr
    no_unit = runner.invoke(get_app(), ["plot", "profile", "-o", str(tmp_path / "p.png")])
    assert no_unit.exit_code == 2 and "--unit" in no_unit.stderr
    suffix = runner.invoke(get_app(), ["plot", "stages", "-o", str(tmp_path / "s.jpg")])
    assert suffix.exit_code == 2 and ".png" in suffix.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bar.svg"]


def test_cli_plot_robustness_and_trend(tmp_path: Path) -> None:
    out = tmp_path / "u.png"
    done = runner.invoke(
        get_app(),
        ["plot", "uncertainty", "--vary", "weights=0.25", "--runs", "20", "--top", "10", "-o", str(out)],
    )
    assert done.exit_code == 0, done.stderr
    assert out.read_bytes().startswith(b"\x89PNG")
    nothing = runner.invoke(get_app(), ["plot", "sensitivity", "-o", str(tmp_path / "s.png")])
    assert nothing.exit_code == 2 and "--vary" in nothing.stderr
    trend = runner.invoke(
        get_app(), ["plot", "trend", "city_panel.csv", "--unit", "110000", "-o", str(tmp_path / "t.svg")]
    )
    assert trend.exit_code == 0, trend.stderr
    one_year = runner.invoke(get_app(), ["plot", "trend", "--unit", "110000", "-o", str(tmp_path / "t2.svg")])
    assert one_year.exit_code == 2 and "several years" in one_year.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.svg", "u.png"]


def test_cli_without_the_extra_says_what_to_install(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "matplotlib", None)
    for args in (["plot", "bar", "-o", str(tmp_path / "b.png")], ["report", "-o", str(tmp_path / "r.html")]):
        result = runner.invoke(get_app(), args)
        assert result.exit_code == 1
        assert 'pip install "mfgindex[plot]"' in result.stderr
    assert list(tmp_path.iterdir()) == []


# -- a real browser ---------------------------------------------------------------------------


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        found = shutil.which(name)
        if found:
            return found
    if os.environ.get("CI"):  # .ci/run installs it: never skipped there
        pytest.fail("no Chromium in CI: .ci/run should have installed it")
    pytest.skip("no Chromium installed (apt-get install chromium)")


def _browse(path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    args = [
        _chromium(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--no-first-run",
        "--disable-extensions",
        "--enable-logging=stderr",
        "--v=0",
        "--user-data-dir=" + str(path.parent / "profile"),
        *extra,
        path.resolve().as_uri(),
    ]
    return subprocess.run(args, capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.parametrize(("lang", "rows"), [("en", 25), ("zh", 40)])
def test_chromium_renders_the_report(
    lang: str, rows: int, html_en: str, html_zh: str, tmp_path: Path
) -> None:
    html = html_en if lang == "en" else html_zh
    page = tmp_path / f"report-{lang}.html"
    report.write(html, page)
    shot = tmp_path / "shot.png"
    done = _browse(page, "--dump-dom", f"--screenshot={shot}", "--window-size=1200,1800")
    assert done.returncode == 0, done.stderr[-2000:]
    console = [line for line in done.stderr.splitlines() if ":CONSOLE" in line]
    assert console == []  # no script error, no request refused by the CSP
    dom = _dom(done.stdout)
    assert dom.rows["ranking-table"] == rows
    for section in SECTIONS:
        assert section in dom.ids, section
    import matplotlib.image

    pixels = matplotlib.image.imread(shot)
    assert pixels.shape[0] >= 1000 and pixels.shape[1] >= 1000
    grey = pixels[..., :3].mean(axis=2)
    assert grey.std() > 0.05  # not blank: text, tables and figures
    assert (grey < 0.5).mean() > 0.01  # some dark ink
    assert np.isclose(grey.max(), 1.0)  # a white page


def test_the_full_provenance_is_json_that_reproduces_the_result(html_en: str, city: Any) -> None:
    """The appendix holds the provenance as JSON (the result's read-only mappings as objects),
    and that JSON is what ``mfgindex.reproduce`` takes."""
    import html
    import json

    import numpy as np

    import mfgindex as mi

    block = re.search(r'<pre id="provenance">(.*?)</pre>', html_en, flags=re.DOTALL)
    assert block is not None
    doc = json.loads(html.unescape(block.group(1)))
    assert doc["data"]["sha256"] == city.provenance["data"]["sha256"]
    assert doc["methods"]["aggregate"]["city"] == "arithmetic"
    again = mi.reproduce(doc)
    np.testing.assert_array_equal(again.score_matrix, city.score_matrix)
