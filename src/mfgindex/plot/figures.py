"""The figures: each function takes a result object and returns a matplotlib ``Figure``.

Every figure is drawn 80 mm wide (:data:`~mfgindex.plot._style.WIDTH_IN`) with the Okabe–Ito
palette, and takes its title and axis labels from the framework's names (``lang="zh"``: the
``name_zh`` fields, when a CJK font is installed). Figures are not registered with pyplot, so
nothing accumulates in a long session; show one in a notebook by leaving it as a cell's value,
write one with :func:`mfgindex.plot.save`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import pairwise
from typing import TYPE_CHECKING, Any

import numpy as np

from mfgindex.errors import UsageError, did_you_mean
from mfgindex.plot._style import (
    COLUMNS_ZH,
    PALETTE,
    WIDTH_IN,
    Labels,
    new_figure,
    resolve_lang,
    short,
    unit_names,
    wrap,
)
from mfgindex.plot._style import style as style_

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from mfgindex.analysis import Coherence
    from mfgindex.framework import Framework
    from mfgindex.result import Result
    from mfgindex.robustness import SensitivityResult, UncertaintyResult

__all__ = [
    "bar",
    "corr",
    "dist",
    "framework",
    "groups",
    "profile",
    "scatter",
    "sensitivity",
    "stages",
    "trend",
    "uncertainty",
]


# -- helpers ----------------------------------------------------------------------------------


def _year_rows(result: Result, year: int | None) -> tuple[np.ndarray, int | None]:
    """Positions of the rows of ``year`` (a panel's latest year by default) and that year."""
    years = result.years
    if years is None:
        if year is not None:
            raise UsageError(
                f"the data has no years, so year {year} cannot be shown", hint="leave out --year"
            )
        return np.arange(len(result.rows)), None
    chosen = int(years.max()) if year is None else int(year)
    rows = np.flatnonzero(years == chosen)
    if rows.size == 0:
        raise UsageError(
            f"no rows for year {chosen}",
            hint=f"years in the data: {', '.join(map(str, sorted(set(years.tolist()))))}",
        )
    return rows, chosen


def _framework_of(source: Result | Framework) -> Framework:
    from mfgindex.framework import Framework

    return source if isinstance(source, Framework) else source.framework


def _check_node(result: Result | Framework, node: str, *, group: bool = False) -> str:
    fw = _framework_of(result)
    if node not in fw.nodes:
        raise UsageError(
            f"'{node}' is not a node of framework '{fw.id}'." + did_you_mean(node, fw.nodes),
            hint=f"groups: {', '.join(n.id for n in fw.groups)}",
        )
    if group and fw.nodes[node].is_indicator:
        raise UsageError(
            f"'{node}' is an indicator: it has no children to show",
            hint=f"give a group: {', '.join(n.id for n in fw.groups)}",
        )
    return node


def _column(result: Result, node: str) -> np.ndarray:
    return result.score_matrix[:, result.node_ids.index(node)]


def _rank_column(result: Result, node: str) -> np.ndarray:
    return result.rank_of(node)


def _left_title(ax: Any, text: str, **kwargs: Any) -> None:
    """The figure's title, flush with its left edge, in lines that fit its 80 mm width (an axes
    title would start right of the tick labels and push the figure wider)."""
    ax.figure.suptitle(wrap(text, 46), x=0.01, ha="left", fontsize=8, fontweight="bold")


def _year_note(year: int | None) -> str:
    return "" if year is None else f" ({year})"


def _top_rows(result: Result, rows: np.ndarray, node: str, top: int | None) -> np.ndarray:
    """``rows`` ordered by their rank on ``node`` (unranked left out), the first ``top``."""
    if top is not None and top < 1:
        raise UsageError(f"top must be a positive number of units, got {top}")
    ranks = _rank_column(result, node)[rows]
    ok = ~np.isnan(ranks)
    ordered: np.ndarray = rows[ok][np.argsort(ranks[ok], kind="stable")]
    return ordered if top is None else ordered[:top]


def _default_nodes(fw: Framework, nodes: Sequence[str] | None) -> list[str]:
    if nodes:
        return [_check_node(fw, n) for n in nodes]
    return list(fw.children(fw.id))


# -- bar: top-N units, stacked by contribution -------------------------------------------------


def bar(
    result: Result, *, top: int = 20, node: str | None = None, year: int | None = None, lang: str = "en"
) -> Figure:
    """The ``top`` units on ``node`` (default the index), each bar stacked by its children's
    contributions to the score (COINr ``plot_bar`` with ``stack_children``).

    The contributions are :meth:`Result.explain`'s: exact for arithmetic aggregation,
    log-additive for geometric (both sum to the score); under other aggregators the bars are
    not stacked.
    """
    lang = resolve_lang(lang)
    fw = result.framework
    node = _check_node(result, node or fw.id, group=True)
    rows, yr = _year_rows(result, year)
    chosen = _top_rows(result, rows, node, top)
    labels = Labels(fw, lang)
    children = list(fw.children(node))
    names = unit_names(result, lang)
    contrib = _contributions(result, chosen, node, children, yr, lang)
    scores = _column(result, node)[chosen]
    stacked = bool(len(chosen)) and bool(
        np.all(np.isfinite(contrib) | np.isnan(_matrix_of(result, children)[chosen]))
    )
    stacked = stacked and not np.isnan(contrib).all(axis=1).any()
    with style_(lang):
        fig = new_figure(0.55 + 0.13 * max(len(chosen), 3) + (0.35 if stacked else 0))
        ax = fig.subplots()
        y = np.arange(len(chosen))
        if stacked:
            _stacked_bars(fig, ax, y, contrib, children, labels)
        else:
            ax.barh(y, scores, height=0.75, color=PALETTE[0], label=labels.node(node), linewidth=0)
        ax.set_yticks(y, [names[r] for r in chosen])
        ax.set_ylim(len(chosen) - 0.5, -0.5)
        ax.tick_params(axis="y", length=0)
        ax.set_xlabel(labels.word("Contribution to the score") if stacked else labels.word("Score"))
        title = (
            f"{labels.node(node)}: {labels.word('top')} {len(chosen)}"
            if lang == "zh"
            else f"{labels.node(node)}: top {len(chosen)}"
        )
        _left_title(ax, title + _year_note(yr))
        ax.grid(axis="x", linewidth=0.3, alpha=0.5)
        ax.set_axisbelow(True)
    return fig


def _contributions(
    result: Result, chosen: np.ndarray, node: str, children: Sequence[str], yr: int | None, lang: str
) -> np.ndarray:
    """Each chosen unit's contributions of ``node``'s children to its score on ``node``.

    Parameters
    ----------
    result : Result
        The scored result.
    chosen : numpy.ndarray
        The rows of the units, in bar order.
    node : str
        The group whose score is stacked.
    children : Sequence[str]
        Its children, in framework order.
    yr : int or None
        The year shown, None outside a panel.
    lang : str
        The language of the labels.

    Returns
    -------
    numpy.ndarray
        ``(units, children)``, NaN where :meth:`Result.explain` has no contribution.
    """
    contrib = np.full((len(chosen), len(children)), np.nan)
    for k, r in enumerate(chosen):
        table = result.explain(str(result.units[r]), year=yr, lang=lang).table
        part = table[table["parent"] == node].set_index("node")["contribution"]
        contrib[k] = [float(part.get(c, np.nan)) for c in children]
    return contrib


def _stacked_bars(
    fig: Figure, ax: Any, y: np.ndarray, contrib: np.ndarray, children: Sequence[str], labels: Labels
) -> None:
    """Draw one horizontal bar per unit stacked by its children's contributions, and the legend.

    Positive contributions stack rightwards from 0 and negative ones leftwards, so that a
    negative part does not hide a positive one.

    Parameters
    ----------
    fig : Figure
        The figure (for the legend below the axes).
    ax : matplotlib.axes.Axes
        The axes drawn on.
    y : numpy.ndarray
        The bars' positions.
    contrib : numpy.ndarray
        ``(units, children)`` contributions; NaN is drawn as 0.
    children : Sequence[str]
        The children, one colour each.
    labels : Labels
        The node labels in the figure's language.
    """
    values = np.nan_to_num(contrib)
    pos_left = np.zeros(len(y))
    neg_left = np.zeros(len(y))
    for j, child in enumerate(children):
        v = values[:, j]
        left = np.where(v >= 0, pos_left, neg_left)
        ax.barh(
            y,
            v,
            left=left,
            height=0.75,
            color=PALETTE[j % len(PALETTE)],
            label=labels.node(child),
            linewidth=0,
        )
        pos_left += np.where(v >= 0, v, 0)
        neg_left += np.where(v < 0, v, 0)
    fig.legend(
        handles=list(ax.containers),
        labels=[wrap(labels.node(c), 26) for c in children],
        loc="outside lower center",
        ncol=2,
        handlelength=1,
        columnspacing=1,
    )


def _matrix_of(result: Result, nodes: Sequence[str]) -> np.ndarray:
    pos = [result.node_ids.index(n) for n in nodes]
    return result.score_matrix[:, pos]


# -- framework: the tree with effective weights ------------------------------------------------


def effective_weights(source: Result | Framework) -> dict[str, float]:
    """Each node's share of the index: the product of its weights (renormalised among its
    siblings) from the index down. A result's weights are the ones it used (its latest year)."""
    fw = _framework_of(source)
    used: dict[str, Mapping[str, float]] = {}
    if source is not fw:
        for g in fw.groups:
            found = source.weights_of(g.id)  # type: ignore[union-attr]
            if found is not None:
                used[g.id] = found
    out = {fw.id: 1.0}
    for node in fw.walk():
        kids = fw.children(node.id)
        if not kids:
            continue
        w = np.array([float(used.get(node.id, {}).get(k, fw.nodes[k].weight)) for k in kids])
        total = w.sum()
        for k, wk in zip(kids, w, strict=True):
            out[k] = out[node.id] * (wk / total if total > 0 else 0.0)
    return out


def _tint(color: str, amount: float) -> tuple[float, float, float]:
    """``color`` mixed with white: 0 the colour, 1 white."""
    from matplotlib.colors import to_rgb

    r, g, b = to_rgb(color)
    return (r + (1 - r) * amount, g + (1 - g) * amount, b + (1 - b) * amount)


def framework(source: Result | Framework, *, style: str = "tree", lang: str = "en") -> Figure:
    """The framework with each node's effective weight (its share of the index), as an indented
    tree with a bar per node (the default: every label stays readable at 80 mm) or as a sunburst
    whose angles are the effective weights (COINr ``plot_framework``)."""
    lang = resolve_lang(lang)
    if style not in {"tree", "sunburst"}:
        raise UsageError(f"the framework figure's style must be tree or sunburst, got '{style}'")
    fw = _framework_of(source)
    weights = effective_weights(source)
    labels = Labels(fw, lang)
    nodes = list(fw.walk())
    top_of: dict[str, int] = {}
    for k, child in enumerate(fw.children(fw.id)):
        for n in fw.walk(child):
            top_of[n.id] = k
    if style == "sunburst":
        return _sunburst(fw, weights, labels, top_of, lang)
    with style_(lang):
        fig = new_figure(0.45 + 0.125 * len(nodes))
        left, right = fig.subplots(1, 2, width_ratios=[2.3, 1], sharey=True)
        y = np.arange(len(nodes))
        for k, node in enumerate(nodes):
            depth = fw.depth(node.id)
            left.text(
                0.01 + 0.05 * depth,
                k,
                short(labels.node(node.id), 40 - 3 * depth),
                va="center",
                ha="left",
                fontsize=6.5 if node.is_indicator else 7,
                fontweight="normal" if node.is_indicator else "bold",
                transform=left.get_yaxis_transform(),
                gid=f"node:{node.id}",
            )
        left.set_ylim(len(nodes) - 0.5, -0.5)
        left.axis("off")
        colors = [PALETTE[top_of[n.id] % len(PALETTE)] if n.id in top_of else "#555555" for n in nodes]
        widths = [weights[n.id] for n in nodes]
        right.barh(y, widths, height=0.62, color=colors, linewidth=0)
        for k, w in enumerate(widths):
            right.text(w + 0.015, k, f"{w:.0%}" if w >= 0.1 else f"{w:.1%}", va="center", fontsize=5.5)
        right.set_xlim(0, 1.45)
        right.set_xticks([0, 1], ["0", "100%"])
        right.tick_params(axis="y", left=False, labelleft=False)
        right.spines["left"].set_visible(False)
        right.set_xlabel(labels.word("Effective weight"))
        title = f"{labels.word('Framework')}: {fw.root.label(lang)}"
        fig.suptitle(wrap(title, 46), x=0.01, ha="left", fontsize=8, fontweight="bold")
    return fig


def _sunburst(
    fw: Framework, weights: Mapping[str, float], labels: Labels, top_of: Mapping[str, int], lang: str
) -> Figure:
    """Rings from the index outwards, one per depth; each node's angle is its effective weight.
    The outer ring is wider, for the indicators' names (written radially)."""
    depth = max(fw.depth(n.id) for n in fw.walk())
    outer = 1.9
    with style_(lang):
        fig = new_figure(WIDTH_IN + 0.3)
        ax: Any = fig.add_subplot(projection="polar")
        ax.set_theta_zero_location("N")
        ax.set_theta_direction(-1)
        start: dict[int, float] = {}
        for node in fw.walk():
            d = fw.depth(node.id)
            if d == 0:
                _sunburst_centre(ax, node.id, labels)
                continue
            width = 2 * np.pi * weights[node.id]
            theta = start.get(d, 0.0)
            start[d] = theta + width
            color = PALETTE[top_of[node.id] % len(PALETTE)]
            ax.bar(
                theta + width / 2,
                outer if d == depth else 1,
                width=width,
                bottom=d,
                linewidth=0.5,
                edgecolor="white",
                color=_tint(color, 0.35 * (d - 1) / max(depth - 1, 1)),
                gid=f"node:{node.id}",
            )
            if width < 0.1:  # too narrow for text
                continue
            angle = float(np.degrees(theta + width / 2)) % 360
            _sunburst_label(ax, labels.node(node.id), angle, d, outermost=d == depth)
        ax.set_ylim(0, depth + outer)
        ax.set_axis_off()
        fig.suptitle(
            wrap(f"{labels.word('Framework')}: {fw.root.label(lang)}", 46),
            x=0.01,
            ha="left",
            fontsize=8,
            fontweight="bold",
        )
    return fig


def _sunburst_centre(ax: Any, node: str, labels: Labels) -> None:
    """Draw the sunburst's centre: the index as a grey disc with its name.

    Parameters
    ----------
    ax : matplotlib.projections.polar.PolarAxes
        The polar axes drawn on.
    node : str
        The index's id.
    labels : Labels
        The node labels in the figure's language.
    """
    ax.bar(0, 1, width=2 * np.pi, bottom=0, color="#555555", linewidth=0, gid=f"node:{node}")
    ax.text(
        0,
        0,
        wrap(short(labels.node(node), 40), 14),
        ha="center",
        va="center",
        fontsize=5.5,
        color="white",
        fontweight="bold",
    )


def _sunburst_label(ax: Any, label: str, angle: float, d: int, *, outermost: bool) -> None:
    """Write a node's name on its sunburst segment.

    Parameters
    ----------
    ax : matplotlib.projections.polar.PolarAxes
        The polar axes drawn on.
    label : str
        The node's label.
    angle : float
        The segment's middle, in degrees clockwise from north (0 to 360).
    d : int
        The node's depth (its ring).
    outermost : bool
        True on the outer ring, whose names are written radially.
    """
    if outermost:  # radial, from the ring's inner edge outwards
        right = angle <= 180
        ax.text(
            np.radians(angle),
            d + 0.08,
            short(label, 24),
            rotation=90 - angle if right else 270 - angle,
            rotation_mode="anchor",
            ha="left" if right else "right",
            va="center",
            fontsize=4.6,
        )
    else:  # along the ring, upright
        rotation = -angle + (180 if 90 < angle < 270 else 0)
        ax.text(
            np.radians(angle),
            d + 0.5,
            wrap(short(label, 30), 16),
            rotation=rotation,
            rotation_mode="anchor",
            ha="center",
            va="center",
            fontsize=5.2,
        )


# -- corr: correlation heatmap ----------------------------------------------------------------


def corr(
    source: Result | Coherence,
    *,
    level: int = 1,
    method: str = "pearson",
    negative: float = -0.4,
    collinear: float = 0.9,
    year: int | None = None,
    lang: str = "en",
) -> Figure:
    """Correlations between the nodes of COINr level ``level`` (1 = indicators), with a box
    around each group of siblings and flagged sibling pairs (r below ``negative`` or above
    ``collinear``) outlined (COINr ``plot_corr`` with ``grouplev`` and ``flagcolours``)."""
    lang = resolve_lang(lang)
    if method not in {"pearson", "spearman"}:
        raise UsageError(f"method must be pearson or spearman, got '{method}'")
    if hasattr(source, "pairs"):  # a Coherence: its result and its thresholds
        result = source.result  # type: ignore[union-attr]
        negative, collinear = source.negative, source.collinear  # type: ignore[union-attr]
    else:
        result = source
    fw = result.framework
    top_level = fw.level(fw.id)
    if not 1 <= level <= top_level:
        raise UsageError(
            f"framework '{fw.id}' has levels 1 (indicators) to {top_level} (the index); got {level}"
        )
    rows, yr = _year_rows(result, year)
    nodes = [n.id for n in fw.walk() if fw.level(n.id) == level]
    r = _corr_matrix(_matrix_of(result, nodes)[rows], method)
    k = len(nodes)
    labels = Labels(fw, lang)
    parents = [fw.nodes[n].parent for n in nodes]
    with style_(lang):
        width = WIDTH_IN if k <= 8 else 2 * WIDTH_IN  # a full page width for many nodes
        fig = new_figure(width * 0.92, width_in=width)
        ax = fig.subplots()
        image = ax.imshow(r, cmap="RdBu", vmin=-1, vmax=1, interpolation="nearest")
        names = [short(labels.node(n), 34 if k > 8 else 24) for n in nodes]
        ax.set_xticks(range(k), names, rotation=90)
        ax.set_yticks(range(k), names)
        ax.tick_params(length=0)
        for spine in ax.spines.values():
            spine.set_visible(False)
        _box_siblings(ax, parents)
        _mark_pairs(ax, r, parents, negative, collinear)
        bar_ = fig.colorbar(image, ax=ax, shrink=0.5, pad=0.02, aspect=15)
        bar_.ax.tick_params(labelsize=5.5)
        bar_.set_label(labels.word("Correlation") + f" ({method})", fontsize=6)
        n_flags = sum(1 for p in ax.patches if p.get_gid() == "flag") // 2
        if n_flags:
            note = (
                f"outlined: {n_flags} sibling pair(s) with r < {negative:g} or r > {collinear:g}"
                if lang == "en"
                else f"橙框：{n_flags} 对同级指标 r < {negative:g} 或 r > {collinear:g}"
            )
            fig.supxlabel(note, x=0.02, ha="left", fontsize=6, color="#D55E00")
        fig.suptitle(
            wrap(
                f"{labels.word('Correlations')}: {fw.root.label(lang)}" + _year_note(yr), 46 if k <= 8 else 92
            ),
            x=0.01,
            ha="left",
            fontsize=8,
            fontweight="bold",
        )
    fig.mfgindex_matrix = r  # type: ignore[attr-defined]
    return fig


def _corr_matrix(x: np.ndarray, method: str) -> np.ndarray:
    """The ``k × k`` matrix of pairwise correlations of the columns of ``x`` (each pair over
    the rows where both have a value), 1 on the diagonal."""
    from mfgindex.analysis import pairwise_corr

    k = x.shape[1]
    r = np.ones((k, k))
    for i in range(k):
        for j in range(i + 1, k):
            r[i, j] = r[j, i] = pairwise_corr(x[:, i], x[:, j], method)[0]
    return r


def _box_siblings(ax: Any, parents: Sequence[str | None]) -> None:
    """A box around each run of siblings (nodes of one parent) on the heatmap's diagonal."""
    from matplotlib.patches import Rectangle

    k = len(parents)
    start = 0
    for i in range(1, k + 1):
        if i == k or parents[i] != parents[start]:
            ax.add_patch(
                Rectangle(
                    (start - 0.5, start - 0.5),
                    i - start,
                    i - start,
                    fill=False,
                    edgecolor="black",
                    linewidth=0.9,
                    gid=f"group:{parents[start]}",
                )
            )
            start = i


def _mark_pairs(
    ax: Any, r: np.ndarray, parents: Sequence[str | None], negative: float, collinear: float
) -> None:
    """Outline the flagged sibling pairs (r below ``negative`` or above ``collinear``) and, for
    at most 12 nodes, print every r in its cell (flagged ones in bold)."""
    from matplotlib.patches import Rectangle

    k = len(parents)
    for i in range(k):
        for j in range(k):
            if i == j or not np.isfinite(r[i, j]):
                continue
            flagged = parents[i] == parents[j] and (r[i, j] < negative or r[i, j] > collinear)
            if flagged:
                ax.add_patch(
                    Rectangle(
                        (j - 0.45, i - 0.45),
                        0.9,
                        0.9,
                        fill=False,
                        edgecolor="#D55E00",
                        linewidth=1.1,
                        gid="flag",
                    )
                )
            if k <= 12:
                ax.text(
                    j,
                    i,
                    f"{r[i, j]:.2f}".replace("0.", ".", 1),
                    ha="center",
                    va="center",
                    fontsize=4.8 if k > 10 else 5.5,
                    color="white" if abs(r[i, j]) > 0.6 else "black",
                    fontweight="bold" if flagged else "normal",
                )


# -- dist: distributions ----------------------------------------------------------------------


def dist(
    result: Result,
    *,
    nodes: Sequence[str] | None = None,
    kind: str = "box",
    year: int | None = None,
    lang: str = "en",
) -> Figure:
    """The distribution of each of ``nodes`` (default the index's children) over the units, as
    box plots or violins (COINr ``plot_dist``)."""
    lang = resolve_lang(lang)
    if kind not in {"box", "violin"}:
        raise UsageError(f"kind must be box or violin, got '{kind}'")
    fw = result.framework
    chosen = _default_nodes(fw, nodes)
    rows, yr = _year_rows(result, year)
    data = [v[~np.isnan(v)] for v in _matrix_of(result, chosen)[rows].T]
    labels = Labels(fw, lang)
    with style_(lang):
        fig = new_figure(0.6 + 0.3 * len(chosen))
        ax = fig.subplots()
        pos = np.arange(1, len(chosen) + 1)
        if kind == "box":
            parts = ax.boxplot(
                data,
                positions=pos,
                orientation="horizontal",
                widths=0.6,
                patch_artist=True,
                boxprops={"facecolor": PALETTE[4], "linewidth": 0.6},
                medianprops={"color": "black", "linewidth": 0.9},
                whiskerprops={"linewidth": 0.6},
                capprops={"linewidth": 0.6},
                flierprops={"marker": "o", "markersize": 1.5, "markeredgewidth": 0.3},
            )
            for line in parts["medians"]:
                line.set_gid("median")
        else:
            violins = ax.violinplot(
                [d if d.size else np.array([np.nan]) for d in data],
                positions=pos,
                orientation="horizontal",
                widths=0.8,
                showmedians=True,
            )
            for body in list(violins["bodies"]):  # type: ignore[call-overload]
                body.set_facecolor(PALETTE[4])
                body.set_alpha(0.8)
        ax.set_yticks(pos, [wrap(labels.node(n), 30) for n in chosen])
        ax.set_ylim(len(chosen) + 0.5, 0.5)
        ax.set_xlabel(labels.word("Score"))
        _left_title(ax, f"{labels.word('Distribution')}: {fw.root.label(lang)}" + _year_note(yr))
        ax.grid(axis="x", linewidth=0.3, alpha=0.5)
        ax.set_axisbelow(True)
    return fig


# -- scatter: one node against another ---------------------------------------------------------


def scatter(
    result: Result, x: str, y: str, *, n_labels: int = 5, year: int | None = None, lang: str = "en"
) -> Figure:
    """``y`` against ``x`` over the units, with the ``n_labels`` units farthest from the
    least-squares line named (COINr ``plot_scatter``)."""
    lang = resolve_lang(lang)
    fw = result.framework
    _check_node(result, x)
    _check_node(result, y)
    rows, yr = _year_rows(result, year)
    xs, ys = _column(result, x)[rows], _column(result, y)[rows]
    ok = ~(np.isnan(xs) | np.isnan(ys))
    xs, ys, kept = xs[ok], ys[ok], rows[ok]
    names = unit_names(result, lang)
    labels = Labels(fw, lang)
    labelled: list[int] = []
    r = float("nan")
    if xs.size >= 3 and np.ptp(xs) > 0:
        slope, intercept = np.polyfit(xs, ys, 1)
        resid = np.abs(ys - (slope * xs + intercept))
        labelled = list(np.argsort(-resid, kind="stable")[: max(n_labels, 0)])
        if np.ptp(ys) > 0:
            r = float(np.corrcoef(xs, ys)[0, 1])
    with style_(lang):
        fig = new_figure(2.9)
        ax = fig.subplots()
        ax.scatter(xs, ys, s=6, color=PALETTE[0], alpha=0.75, linewidths=0)
        if xs.size >= 3 and np.ptp(xs) > 0:
            grid = np.linspace(xs.min(), xs.max(), 2)
            ax.plot(grid, slope * grid + intercept, color="#555555", linewidth=0.6, linestyle="--")
        for i in labelled:
            ax.annotate(
                names[kept[i]],
                (xs[i], ys[i]),
                xytext=(3, 2),
                textcoords="offset points",
                fontsize=5.5,
                gid="outlier",
            )
        ax.set_xlabel(wrap(labels.node(x), 50))
        ax.set_ylabel(wrap(labels.node(y), 40))
        if np.isfinite(r):
            ax.text(0.02, 0.98, f"r = {r:.2f}, n = {xs.size}", transform=ax.transAxes, va="top", fontsize=6)
        _left_title(ax, f"{labels.node(y)} / {labels.node(x)}" + _year_note(yr))
    return fig


# -- profile: one unit against the median and the best ---------------------------------------


def profile(
    result: Result,
    unit: str,
    *,
    nodes: Sequence[str] | None = None,
    year: int | None = None,
    lang: str = "en",
) -> Figure:
    """``unit``'s scores on ``nodes`` (default the index's children) as bars, with the median
    and the best unit's score of each node marked (COINr ``plot_bar`` of one unit with its
    group's median, as a bar chart rather than a radar: lengths read better than angles)."""
    lang = resolve_lang(lang)
    fw = result.framework
    chosen = _default_nodes(fw, nodes)
    rows, yr = _year_rows(result, year)
    exp = result.explain(unit, year=yr, lang=lang)
    r = int(
        np.flatnonzero((result.units.astype(str) == exp.unit) & (True if yr is None else result.years == yr))[
            0
        ]
    )
    values = _matrix_of(result, chosen)
    mine = values[r]
    with np.errstate(all="ignore"):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            median = np.nanmedian(values[rows], axis=0)
            best = np.nanmax(values[rows], axis=0)
    labels = Labels(fw, lang)
    name = exp.name or exp.unit
    with style_(lang):
        fig = new_figure(0.75 + 0.27 * len(chosen))
        ax = fig.subplots()
        y = np.arange(len(chosen))
        ax.barh(y, np.nan_to_num(mine), height=0.6, color=PALETTE[0], label=name, linewidth=0)
        ax.scatter(
            median, y, marker="|", s=90, color="black", linewidths=1.2, label=labels.word("Median"), zorder=3
        )
        ax.scatter(best, y, marker="D", s=10, color=PALETTE[1], label=labels.word("Best"), zorder=3)
        ax.set_yticks(y, [wrap(labels.node(n), 30) for n in chosen])
        ax.set_ylim(len(chosen) - 0.5, -0.5)
        ax.set_xlabel(labels.word("Score"))
        lo, hi = fw.scale
        ax.set_xlim(
            min(lo, float(np.nanmin(np.r_[mine, median, lo]))), max(hi, float(np.nanmax(np.r_[best, hi])))
        )
        rank = "–" if np.isnan(exp.rank) else f"{int(exp.rank)}/{exp.n_units}"
        stage = f", {exp.stage}" if exp.stage else ""
        _left_title(
            ax,
            f"{name}: {labels.word('Rank').lower() if lang == 'en' else '排名'} {rank}{stage}"
            + _year_note(yr),
        )
        fig.legend(loc="outside lower center", ncol=3, handlelength=1)
        ax.grid(axis="x", linewidth=0.3, alpha=0.5)
        ax.set_axisbelow(True)
    return fig


# -- stages: the score distribution with the stage cut points ---------------------------------


def stage_cuts(result: Result, year: int | None = None) -> list[float]:
    """Scores between adjacent stages: midway between the lowest score of a stage and the
    highest of the next."""
    rows, _ = _year_rows(result, year)
    codes = result.stage_codes[rows]
    score = _column(result, result.framework.id)[rows]
    cuts = []
    bands = sorted({int(c) for c in codes if c >= 0})
    for a, b in pairwise(bands):
        cuts.append(float((np.nanmin(score[codes == a]) + np.nanmax(score[codes == b])) / 2))
    return cuts


def stages(result: Result, *, year: int | None = None, bins: int = 30, lang: str = "en") -> Figure:
    """A histogram of the index, stacked by development stage, with the cut points between
    stages as dashed lines."""
    lang = resolve_lang(lang)
    fw = result.framework
    rule = fw.stages
    if rule is None:
        raise UsageError(
            f"framework '{fw.id}' has no development stages",
            hint="add a [stages] table to the framework (see docs/framework-format.md)",
        )
    rows, yr = _year_rows(result, year)
    score = _column(result, fw.id)[rows]
    codes = result.stage_codes[rows]
    labels = Labels(fw, lang)
    ok = ~np.isnan(score)
    edges = list(np.histogram_bin_edges(score[ok], bins=bins) if ok.any() else np.linspace(0, 1, bins + 1))
    with style_(lang):
        fig = new_figure(2.3)
        ax = fig.subplots()
        groups, names, colors = [], [], []
        for band in range(len(rule.labels)):
            sel = ok & (codes == band)
            groups.append(score[sel])
            names.append(f"{rule.label(band, lang)} ({int(sel.sum())})")
            colors.append(PALETTE[band % len(PALETTE)])
        ax.hist(groups, bins=edges, stacked=True, color=colors, label=names, linewidth=0)
        for cut in stage_cuts(result, year):
            ax.axvline(cut, color="black", linestyle="--", linewidth=0.7, gid="stage-cut")
            ax.text(
                cut,
                1.0,
                f"{cut:.1f}",
                transform=ax.get_xaxis_transform(),
                ha="center",
                va="bottom",
                fontsize=5.5,
            )
        ax.set_xlabel(wrap(labels.word("Score") + f" ({fw.root.label(lang)})", 50))
        ax.set_ylabel(labels.word("Number of units"))
        wide = sum(len(n) for n in names) > 44
        fig.legend(
            loc="outside lower center",
            ncol=2 if wide else min(len(names), 4),
            handlelength=1,
            columnspacing=1,
        )
        _left_title(ax, labels.word("Development stages") + _year_note(yr))
    return fig


# -- groups: units per group column (province, zone type), stacked by stage -----------------


def groups(
    result: Result,
    by: str,
    *,
    top: int | None = 100,
    year: int | None = None,
    max_groups: int = 20,
    lang: str = "en",
) -> Figure:
    """How many of the ``top`` units fall in each value of the unit column ``by`` (e.g. the
    top-100 cities per province), stacked by stage; the ``max_groups`` largest values shown,
    the rest together as "other"."""
    lang = resolve_lang(lang)
    fw = result.framework
    if by not in result.data.unit_columns:
        raise UsageError(
            f"no unit column '{by}' in the data." + did_you_mean(by, result.data.unit_columns.columns),
            hint="unit columns: " + ", ".join(map(str, result.data.unit_columns.columns)),
        )
    rows, yr = _year_rows(result, year)
    chosen = _top_rows(result, rows, fw.id, top)
    values = result.data.unit_columns[by].to_numpy(dtype=object)[result.rows][chosen]
    values = np.array(["–" if v is None or str(v) in {"", "nan"} else str(v) for v in values], dtype=object)
    keys, counts = np.unique(values, return_counts=True)
    order = sorted(range(len(keys)), key=lambda i: (-counts[i], str(keys[i])))
    shown = [str(keys[i]) for i in order[:max_groups]]
    labels = Labels(fw, lang)
    other = labels.word("Other")
    if len(order) > max_groups:
        values = np.array([v if v in shown else other for v in values], dtype=object)
        shown.append(other)
    rule = fw.stages
    codes = result.stage_codes[chosen]
    bands = range(len(rule.labels)) if rule is not None else [None]
    with style_(lang):
        fig = new_figure(0.7 + 0.14 * len(shown))
        ax = fig.subplots()
        y = np.arange(len(shown))
        left = np.zeros(len(shown))
        for band in bands:
            sel = codes == band if band is not None else np.ones(len(chosen), dtype=bool)
            n = np.array([np.sum(sel & (values == g)) for g in shown], dtype=float)
            ax.barh(
                y,
                n,
                left=left,
                height=0.7,
                linewidth=0,
                color=PALETTE[(band or 0) % len(PALETTE)],
                label=rule.label(band, lang) if rule is not None and band is not None else None,
            )
            left += n
        for k, total in enumerate(left):
            ax.text(total + 0.2, k, f"{int(total)}", va="center", fontsize=5.5)
        ax.set_yticks(y, shown)
        ax.set_ylim(len(shown) - 0.5, -0.5)
        ax.tick_params(axis="y", length=0)
        ax.set_xlabel(labels.word("Number of units"))
        from matplotlib.ticker import MaxNLocator

        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        if rule is not None:
            fig.legend(loc="outside lower center", ncol=min(len(rule.labels), 4), handlelength=1)
        n_top = len(chosen)
        title = (
            f"{labels.word('top')} {n_top}：{COLUMNS_ZH.get(by, by)}"
            if lang == "zh"
            else f"Top {n_top} by {by}"
        )
        _left_title(ax, title + _year_note(yr))
    return fig


# -- uncertainty: rank intervals ---------------------------------------------------------------


def uncertainty(
    res: UncertaintyResult, *, top: int | None = 30, names: Mapping[str, str] | None = None, lang: str = "en"
) -> Figure:
    """Each unit's nominal rank, median rank and 5–95 % rank interval over the Monte Carlo
    runs, units in nominal order (COINr ``plot_uncertainty``). ``names`` maps unit ids to
    display names (e.g. Chinese names), default the result's names."""
    lang = resolve_lang(lang)
    fw = res.framework
    frame = res.to_frame()
    frame = frame[frame["nominal_rank"].notna()]
    if top is not None:
        frame = frame.head(top)
    ids = frame[fw.unit_column].astype(str).tolist()
    name_col = fw.name_column or "name"
    shown = [
        (names or {}).get(i) or (str(frame[name_col].iloc[k]) if name_col in frame else i)
        for k, i in enumerate(ids)
    ]
    labels = Labels(fw, lang)
    with style_(lang):
        fig = new_figure(0.7 + 0.12 * max(len(ids), 3))
        ax = fig.subplots()
        y = np.arange(len(ids))
        lo = frame["q05_rank"].to_numpy(dtype=float)
        hi = frame["q95_rank"].to_numpy(dtype=float)
        ax.hlines(
            y, lo, hi, color=PALETTE[4], linewidth=2.2, label=labels.word("5–95 % interval"), gid="interval"
        )
        ax.scatter(
            frame["median_rank"].to_numpy(dtype=float),
            y,
            s=9,
            color=PALETTE[0],
            label=labels.word("Median rank"),
            zorder=3,
        )
        ax.scatter(
            frame["nominal_rank"].to_numpy(dtype=float),
            y,
            s=12,
            marker="x",
            color=PALETTE[5],
            linewidths=0.8,
            label=labels.word("Nominal rank"),
            zorder=4,
        )
        ax.set_yticks(y, shown)
        ax.set_ylim(len(ids) - 0.5, -0.5)
        ax.tick_params(axis="y", length=0)
        ax.set_xlabel(labels.word("Rank"))
        ax.grid(axis="x", linewidth=0.3, alpha=0.5)
        ax.set_axisbelow(True)
        fig.legend(loc="outside lower center", ncol=3, handlelength=1)
        runs = int(res.valid.sum())
        _left_title(
            ax,
            f"{labels.word('Rank uncertainty')}: {fw.root.label(lang)} ({runs} runs)"
            if lang == "en"
            else f"排名不确定性：{fw.root.label(lang)}（{runs} 次）",
        )
    return fig


# -- sensitivity: Sobol indices ----------------------------------------------------------------


def sensitivity(res: SensitivityResult, *, lang: str = "en") -> Figure:
    """First-order and total Sobol indices of each varied input, with their bootstrap intervals
    (COINr ``plot_sensitivity``, bar type)."""
    lang = resolve_lang(lang)
    fw = res.uncertainty.framework
    table = res.indices
    labels = Labels(fw, lang)
    inputs = table["input"].astype(str).tolist()
    with style_(lang):
        fig = new_figure(0.9 + 0.3 * len(inputs))
        ax = fig.subplots()
        y = np.arange(len(inputs))
        for k, (col, word) in enumerate((("first_order", "First order"), ("total_order", "Total order"))):
            v = table[col].to_numpy(dtype=float)
            err = np.vstack(
                [
                    np.clip(v - table[f"{col}_low"].to_numpy(dtype=float), 0, None),
                    np.clip(table[f"{col}_high"].to_numpy(dtype=float) - v, 0, None),
                ]
            )
            ax.barh(
                y + (k - 0.5) * 0.38,
                v,
                height=0.36,
                xerr=err,
                color=PALETTE[k],
                label=labels.word(word),
                linewidth=0,
                error_kw={"elinewidth": 0.6, "capsize": 1.5, "capthick": 0.6},
            )
        ax.set_yticks(y, inputs)
        ax.set_ylim(len(inputs) - 0.5, -0.5)
        ax.axvline(0, color="black", linewidth=0.5)
        ax.set_xlabel(labels.word("Sobol index"))
        fig.legend(loc="outside lower center", ncol=2, handlelength=1)
        _left_title(ax, f"{labels.word('Sensitivity')}: {res.output} (N = {res.n})")
    return fig


# -- trend: scores and ranks over the years of a panel ----------------------------------------


def trend(result: Result, units: Sequence[str], *, node: str | None = None, lang: str = "en") -> Figure:
    """``units``' scores (top) and ranks (bottom) on ``node`` (default the index) over the
    years of a panel."""
    lang = resolve_lang(lang)
    fw = result.framework
    node = _check_node(result, node or fw.id)
    if result.years is None or len(set(result.years.tolist())) < 2:
        raise UsageError(
            "a trend needs data for several years (a panel)",
            hint="e.g. examples/data/city_panel.csv; do not restrict it with --year",
        )
    if not units:
        raise UsageError("name the units to follow", hint="e.g. --unit 110000 --unit 310000")
    labels = Labels(fw, lang)
    names = unit_names(result, lang)
    score, rank = _column(result, node), _rank_column(result, node)
    with style_(lang):
        fig = new_figure(3.4)
        top_ax, bottom_ax = fig.subplots(2, 1, sharex=True, height_ratios=[1.2, 1])
        for k, unit in enumerate(units):
            exp = result.explain(unit)  # resolves an id or a name; the latest year
            rows = np.flatnonzero(result.units.astype(str) == exp.unit)
            rows = rows[np.argsort(result.years[rows], kind="stable")]
            years = result.years[rows]
            color = PALETTE[k % len(PALETTE)]
            top_ax.plot(
                years,
                score[rows],
                marker="o",
                markersize=2.2,
                linewidth=1,
                color=color,
                label=names[rows[-1]],
            )
            bottom_ax.plot(years, rank[rows], marker="o", markersize=2.2, linewidth=1, color=color)
        bottom_ax.invert_yaxis()
        top_ax.set_ylabel(labels.word("Score"))
        bottom_ax.set_ylabel(labels.word("Rank"))
        bottom_ax.set_xlabel(labels.word("Year"))
        from matplotlib.ticker import MaxNLocator

        bottom_ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        for a in (top_ax, bottom_ax):
            a.grid(linewidth=0.3, alpha=0.5)
        top_ax.legend(loc="best", ncol=2 if len(units) > 3 else 1)
        _left_title(top_ax, f"{labels.word('Trend')}: {labels.node(node)}")
    return fig
