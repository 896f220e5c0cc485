"""Figures of an index: each function takes a result object and returns a matplotlib Figure.

>>> import mfgindex as mi, mfgindex.plot as mp
>>> res = mi.compute(mi.load_framework("city"), mi.read_data(None, mi.load_framework("city")))
>>> fig = mp.bar(res, top=10)                      # doctest: +SKIP
>>> mp.save(fig, "top10.png")                      # doctest: +SKIP

=============  ============================================  ==========================
function       shows                                         COINr
=============  ============================================  ==========================
bar            top-N units stacked by child contributions    ``plot_bar``
framework      the tree with effective weights               ``plot_framework``
corr           correlation heatmap, group boxes, flags       ``plot_corr``
dist           box plots / violins of nodes                  ``plot_dist``
scatter        one node against another, outliers named      ``plot_scatter``
profile        one unit against the median and the best      ``plot_bar`` (one unit)
stages         the index by stage, with the cut points       –
groups         top-N units per province / zone type          –
uncertainty    nominal rank, median, 5–95 % interval         ``plot_uncertainty``
sensitivity    first-order and total Sobol indices           ``plot_sensitivity``
trend          a unit's score and rank over the years        –
=============  ============================================  ==========================

Needs the ``[plot]`` extra (``pip install "mfgindex[plot]"``). matplotlib is imported only
when a figure is drawn, so importing this module is cheap.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mfgindex.plot._style import CJKFontWarning as CJKFontWarning
    from mfgindex.plot._style import cjk_font as cjk_font
    from mfgindex.plot._style import require as require
    from mfgindex.plot._style import save as save
    from mfgindex.plot._style import to_svg as to_svg
    from mfgindex.plot.figures import bar as bar
    from mfgindex.plot.figures import corr as corr
    from mfgindex.plot.figures import dist as dist
    from mfgindex.plot.figures import effective_weights as effective_weights
    from mfgindex.plot.figures import framework as framework
    from mfgindex.plot.figures import groups as groups
    from mfgindex.plot.figures import profile as profile
    from mfgindex.plot.figures import scatter as scatter
    from mfgindex.plot.figures import sensitivity as sensitivity
    from mfgindex.plot.figures import stage_cuts as stage_cuts
    from mfgindex.plot.figures import stages as stages
    from mfgindex.plot.figures import trend as trend
    from mfgindex.plot.figures import uncertainty as uncertainty

#: The kinds ``mfgindex plot KIND`` draws, in the order its help lists them.
KINDS = (
    "bar",
    "framework",
    "corr",
    "dist",
    "scatter",
    "profile",
    "stages",
    "groups",
    "uncertainty",
    "sensitivity",
    "trend",
)

_STYLE = ("CJKFontWarning", "cjk_font", "require", "save", "to_svg")
_FIGURES = (*KINDS, "effective_weights", "stage_cuts")

__all__ = ["KINDS", *_STYLE, *_FIGURES]


def __getattr__(name: str) -> Any:
    if name in _STYLE:
        value = getattr(import_module("mfgindex.plot._style"), name)
    elif name in _FIGURES:
        value = getattr(import_module("mfgindex.plot.figures"), name)
    else:
        raise AttributeError(f"module 'mfgindex.plot' has no attribute {name!r}")
    globals()[name] = value
    return value
