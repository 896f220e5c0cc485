"""Matplotlib set-up shared by every figure: the import guard, the house style, CJK fonts, labels
and saving.

matplotlib is imported here lazily, inside functions, so ``import mfgindex`` and the command
line's ``--help`` never pay for it.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mfgindex.errors import DataError, UsageError

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from mfgindex.framework import Framework

#: The install command named by every "missing extra" message.
INSTALL_HINT = 'pip install "mfgindex[plot]"'

#: Okabe & Ito (2008), "Color Universal Design": distinguishable under the common forms of
#: colour blindness, and in greyscale print by their lightness. Black is left out (text colour).
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#999999")

#: Width of one column of a journal page (80 mm) in inches; figures are drawn at this width
#: with type large enough to read there.
WIDTH_IN = 80 / 25.4

#: CJK font families tried in this order (the first installed one is used).
CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Noto Sans CJK JP",
    "Noto Sans CJK TC",
    "Noto Sans CJK KR",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "Source Han Sans",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "SimHei",
    "Microsoft YaHei",
    "PingFang SC",
    "Heiti SC",
    "Noto Serif CJK SC",
    "Noto Serif CJK JP",
    "Source Han Serif SC",
    "AR PL UMing CN",
)
# File-name fragments of CJK fonts, for fonts installed after matplotlib built its font cache.
_CJK_FILES = (
    "notosanscjk",
    "notoserifcjk",
    "sourcehan",
    "wqy",
    "simhei",
    "msyh",
    "pingfang",
    "notosanssc",
    "uming",
    "ukai",
)

_FORMATS = {".png": "png", ".svg": "svg", ".pdf": "pdf"}


class CJKFontWarning(UserWarning):
    """No CJK font is installed: Chinese labels fall back to English (never empty boxes)."""


def require() -> None:
    """Raise a clear error when the ``[plot]`` extra (matplotlib, jinja2) is not installed.

    Raises
    ------
    DataError
        Naming the missing package and ``pip install "mfgindex[plot]"``.
    """
    missing = []
    for module in ("matplotlib", "jinja2"):
        try:
            __import__(module)
        except ImportError:
            missing.append(module)
    if missing:
        raise DataError(
            f"figures and reports need {' and '.join(missing)}, which is not installed",
            hint=f"install mfgindex[plot]: {INSTALL_HINT}",
        )


def _pyplot() -> Any:
    require()
    import matplotlib

    # Agg: no display needed (servers, CI); set before pyplot is first imported.
    if matplotlib.get_backend().lower() not in {
        "agg",
        "svg",
        "pdf",
        "module://matplotlib_inline.backend_inline",
    }:
        with contextlib.suppress(Exception):
            matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


_cjk_cache: list[str | None] = []


def cjk_font() -> str | None:
    """The family name of an installed CJK font, or None (looked up once per process)."""
    if _cjk_cache:
        return _cjk_cache[0]
    require()
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    found = next((f for f in CJK_FAMILIES if f in installed), None)
    if found is None:
        # Installed after matplotlib cached its font list: add the files we recognise.
        for path in font_manager.findSystemFonts():
            if any(part in Path(path).name.lower() for part in _CJK_FILES):
                with contextlib.suppress(Exception):
                    font_manager.fontManager.addfont(path)
        installed = {f.name for f in font_manager.fontManager.ttflist}
        found = next((f for f in CJK_FAMILIES if f in installed), None)
    _cjk_cache.append(found)
    return found


def resolve_lang(lang: str) -> str:
    """``lang`` if it can be drawn: ``zh`` needs a CJK font, else a warning and ``en``."""
    if lang not in {"en", "zh"}:
        raise UsageError(f"lang must be en or zh, got '{lang}'")
    if lang == "zh" and cjk_font() is None:
        warnings.warn(
            "no CJK font is installed, so the labels are in English (Chinese would show as empty "
            "boxes); install one, e.g. apt-get install fonts-noto-cjk, or Noto Sans CJK / Source "
            "Han Sans / WenQuanYi",
            CJKFontWarning,
            stacklevel=3,
        )
        return "en"
    return lang


def rc(lang: str = "en", *, fmt: str = "png") -> dict[str, Any]:
    """The house style: small, clean, readable at 80 mm; text kept as text in SVG."""
    # Concrete families (not "sans-serif"), so text drawn later, outside this style, keeps them;
    # DejaVu Sans after the CJK font gives the Latin glyphs it may lack.
    # In English a CJK font still comes second: data text (province names) may be Chinese.
    font = cjk_font()
    family = (
        ["DejaVu Sans"]
        if font is None
        else ([font, "DejaVu Sans"] if lang == "zh" else ["DejaVu Sans", font])
    )
    return {
        "font.family": family,
        "font.size": 7,
        "axes.titlesize": 8,
        "axes.titleweight": "bold",
        "axes.labelsize": 7,
        "xtick.labelsize": 6.5,
        "ytick.labelsize": 6.5,
        "legend.fontsize": 6.5,
        "legend.frameon": False,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.linewidth": 0.6,
        "xtick.major.width": 0.6,
        "ytick.major.width": 0.6,
        "axes.prop_cycle": __import__("cycler").cycler(color=list(PALETTE)),
        "figure.dpi": 100,
        "text.parse_math": False,  # a unit called "$x$" is text, not mathtext
        **SAVE_RC,
    }


#: Settings read when a figure is written (not when it is drawn), applied by :func:`save`.
SAVE_RC: dict[str, Any] = {
    "savefig.dpi": 300,
    "savefig.bbox": "tight",
    "savefig.pad_inches": 0.03,
    "svg.fonttype": "none",  # text stays text: selectable, and the browser renders CJK
    "pdf.fonttype": 42,  # TrueType in PDF: editable text
    "axes.unicode_minus": False,  # read by the tick formatters when drawing, not at creation
}


@contextlib.contextmanager
def style(lang: str = "en") -> Iterator[None]:
    plt = _pyplot()
    with plt.rc_context(rc(lang)):
        yield


def new_figure(height_in: float, *, width_in: float = WIDTH_IN) -> Figure:
    """A figure ``WIDTH_IN`` wide, not managed by pyplot (so it is freed when dropped)."""
    _pyplot()
    from matplotlib.figure import Figure

    return Figure(figsize=(width_in, height_in), layout="constrained")


@dataclass(frozen=True)
class Labels:
    """Display text in one language: node names from the framework, fixed words translated."""

    framework: Framework
    lang: str

    def node(self, node_id: str) -> str:
        node = self.framework.nodes.get(node_id)
        return node.label(self.lang) if node is not None else node_id

    def word(self, en: str) -> str:
        return _ZH.get(en, en) if self.lang == "zh" else en


#: Chinese names of common unit columns (the data's own headers are column ids).
COLUMNS_ZH = {
    "province": "省份",
    "zone_type": "园区类型",
    "region": "地区",
    "city_type": "城市类型",
    "group": "分组",
}

_ZH = {
    "Score": "得分",
    "Rank": "排名",
    "Effective weight": "有效权重",
    "Units": "单位数",
    "Number of units": "数量",
    "Median": "中位数",
    "Best": "最佳",
    "Nominal rank": "名义排名",
    "Median rank": "排名中位数",
    "5–95 % interval": "5–95% 区间",
    "First order": "一阶指数",
    "Total order": "总效应指数",
    "Sobol index": "Sobol 指数",
    "Year": "年份",
    "Contribution to the score": "对得分的贡献",
    "Correlation": "相关系数",
    "top": "前",
    "Stage cut": "阶段分界",
    "Score distribution": "得分分布",
    "Development stages": "发展阶段",
    "Rank uncertainty": "排名不确定性",
    "Sensitivity": "敏感性",
    "Correlations": "相关性",
    "Framework": "指标体系",
    "Distribution": "分布",
    "Profile": "概况",
    "Trend": "趋势",
    "Weight": "权重",
    "Units per": "单位分布：",
    "Other": "其他",
    "flagged": "标记",
    "negative": "负相关",
    "collinear": "高度共线",
}


def unit_names(result: Any, lang: str) -> list[str]:
    """Display names of a result's units (rows), falling back to their ids."""
    names = result._names(lang)
    ids = result.units.astype(str)
    if names is None:
        return list(ids)
    return [
        str(n) if n is not None and str(n) not in {"", "nan", "None"} else i
        for n, i in zip(names, ids, strict=True)
    ]


def format_of(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in _FORMATS:
        raise UsageError(
            f"cannot tell the figure format from '{path}'", hint="give a file ending in .png, .svg or .pdf"
        )
    return _FORMATS[suffix]


def save(fig: Figure, path: str | Path, *, protect: Sequence[Path] = ()) -> Path:
    """Write ``fig`` to ``path`` (PNG, SVG or PDF by its suffix) atomically.

    A failed write leaves no partial file; ``protect`` (the run's inputs) are never overwritten.

    Returns
    -------
    Path
        The file written.
    """
    from mfgindex.io import atomic_path

    target = Path(path)
    fmt = format_of(target)
    plt = _pyplot()
    with atomic_path(target, protect=protect) as tmp, open(tmp, "wb") as fh, plt.rc_context(SAVE_RC):
        fig.savefig(fh, format=fmt, metadata=_metadata(fmt))
        readable(tmp)
    return target


def readable(path: Path) -> None:
    """Give a new file the usual permissions (the umask's, e.g. 0644): a temporary file is
    created private (0600), and a figure or report is meant to be shared."""
    import os

    mask = os.umask(0)
    os.umask(mask)
    os.chmod(path, 0o666 & ~mask)


def _metadata(fmt: str) -> dict[str, Any] | None:
    # Reproducible files: no creation date in SVG/PDF, no software version noise in PNG.
    if fmt == "svg":
        return {"Date": None}
    if fmt == "pdf":
        return {"CreationDate": None}
    return None


def to_svg(fig: Figure, *, salt: str) -> str:
    """``fig`` as an SVG element (no XML prolog) for inlining in HTML; ``salt`` keeps the ids of
    several figures in one page apart."""
    import io

    plt = _pyplot()
    buf = io.StringIO()
    with plt.rc_context({**SAVE_RC, "svg.hashsalt": salt}):
        fig.savefig(buf, format="svg", metadata={"Date": None})
    text = buf.getvalue()
    start = text.find("<svg")
    return text[start:] if start >= 0 else text


def wrap(text: str, width: int) -> str:
    """Break a long label into lines of about ``width`` characters (Chinese: half as many)."""
    import textwrap

    if any(ord(ch) > 0x2E7F for ch in text):
        w = max(2, width // 2)
        return "\n".join(text[i : i + w] for i in range(0, len(text), w))
    return "\n".join(textwrap.wrap(text, width)) or text


def short(text: str, width: int) -> str:
    """``text`` cut to about ``width`` characters (Chinese: half as many) with an ellipsis."""
    limit = width // 2 if any(ord(ch) > 0x2E7F for ch in text) else width
    return text if len(text) <= limit else text[: max(limit - 1, 1)].rstrip() + "…"
