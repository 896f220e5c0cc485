"""The scoring pipeline (DESIGN §5).

``denominate → transform → impute → screen → treat → normalize → weight → aggregate → rank →
classify``, each stage a registered method chosen by a method string. :func:`compute` is pure:
it reads a framework and a dataset and returns a :class:`~mfgindex.result.Result` that records
every choice in its provenance.

Choosing methods: an argument given to :func:`compute` (or a CLI option) wins over the
framework's per-node settings and its ``[defaults]``; ``"none"`` skips a stage.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from mfgindex._version import __version__
from mfgindex.errors import DataError, MfgIndexError, UsageError
from mfgindex.methods.base import ColumnContext, UnitContext, WeightContext
from mfgindex.methods.registry import MethodCall, resolve

if TYPE_CHECKING:
    from mfgindex.data import Dataset
    from mfgindex.framework import Framework
    from mfgindex.result import Result

__all__ = ["compute"]

Spec = str | MethodCall | None

_STAGE_OF_OPTION = {"weights": "weight"}


def _skip(spec: Spec) -> bool:
    return isinstance(spec, str) and spec.strip().lower() == "none"


def _call(stage: str, spec: Spec) -> MethodCall | None:
    if spec is None or _skip(spec):
        return None
    return resolve(stage, spec)


@dataclass(frozen=True)
class _Block:
    """Rows of one year (or the whole cross-section) scored together."""

    year: int | None
    rows: np.ndarray  # indices into the dataset


def compute(
    framework: Framework,
    data: Dataset,
    *,
    year: int | None = None,
    denominate: Spec = None,
    impute: Spec = None,
    screen: Spec = None,
    treat: Spec = None,
    normalize: Spec = None,
    weights: Spec = None,
    aggregate: Spec = None,
    min_coverage: float | None = None,
    stages: Spec = None,
    fit_on: str | int = "each",
) -> Result:
    """Score every unit (and year) on every node of ``framework``.

    Parameters
    ----------
    framework, data
        The framework and a dataset read against it.
    year
        Score only this year of a panel. Without it, a panel is scored year by year.
    denominate, impute, screen, treat, normalize, weights, aggregate
        Method strings (``"name(key=value)"``) overriding the framework's choices for every
        node; ``"none"`` skips the stage. None keeps the framework's choices.
    min_coverage
        Share of a node's weight whose children must be present for a score (else NaN).
    stages
        A classify method string overriding the framework's stage rule (labels are kept).
    fit_on
        What normalisation learns its parameters from: ``"each"`` year on its own (default),
        ``"pooled"`` all years together (scores comparable across years), or one year.

    Returns
    -------
    Result
        Scores, ranks, stages, intermediate datasets and provenance.
    """
    from mfgindex.result import Result

    fw = framework
    indicators = fw.indicators
    ids = tuple(i.id for i in indicators)
    m = len(indicators)
    x = np.column_stack([data.values[i.column].to_numpy(dtype=float) for i in indicators])
    steps: dict[str, np.ndarray] = {"raw": x.copy()}
    record: dict[str, Any] = {}

    # -- denominate -----------------------------------------------------------------------
    has_denominators = any(i.denominator for i in indicators)
    den_spec = denominate if denominate is not None else fw.default("denominate")
    if den_spec is None and has_denominators:
        den_spec = "ratio"
    den_call = _call("denominate", den_spec) if has_denominators else None
    if den_call is not None:
        absent = sorted({i.denominator for i in indicators if i.denominator}
                        - set(data.values.columns))
        if absent:
            raise DataError(f"no denominator column(s) {', '.join(absent)} in the data",
                            where=data.source,
                            hint="add the columns, or skip the stage with --denominate none "
                                 "if the data is already denominated")
        dens = np.column_stack([
            data.values[i.denominator].to_numpy(dtype=float) if i.denominator
            else np.full(len(data), np.nan)
            for i in indicators
        ])
        x = den_call(x, dens)
        steps["denominated"] = x.copy()
    record["denominate"] = den_call.spec() if den_call else "none"

    # -- transform (per indicator, from the framework) --------------------------------------
    transforms = [_call("transform", i.transform) for i in indicators]
    for j, t in enumerate(transforms):
        if t is not None:
            x[:, j] = _run(t, f"indicator '{ids[j]}'", x[:, j])
    if any(transforms):
        steps["transformed"] = x.copy()
    record["transform"] = {ids[j]: t.spec() for j, t in enumerate(transforms) if t}

    groups = {c: data.unit_columns[c].to_numpy(dtype=object) for c in data.unit_columns.columns}
    unit_ctx = UnitContext(units=data.units, years=data.years, groups=groups, ids=ids)

    # -- impute (whole panel: 'latest' and 'interpolate' need every year) ------------------
    imp_call = _call("impute", impute if impute is not None else fw.default("impute"))
    imputed = np.zeros_like(x, dtype=bool)
    if imp_call is not None:
        before = np.isnan(x)
        x = _run(imp_call, "impute", x, unit_ctx)
        imputed = before & ~np.isnan(x)
        steps["imputed"] = x.copy()
    record["impute"] = imp_call.spec() if imp_call else "none"

    # -- years ------------------------------------------------------------------------------
    blocks = _blocks(data, year)
    keep = np.zeros(len(data), dtype=bool)
    for b in blocks:
        keep[b.rows] = True

    # -- screen -----------------------------------------------------------------------------
    scr_call = _call("screen", screen if screen is not None else fw.default("screen"))
    removed: dict[str, str] = {}
    if scr_call is not None:
        for b in blocks:
            sub_ctx = _sub_context(unit_ctx, b.rows)
            outcome = _run(scr_call, "screen", x[b.rows], sub_ctx)
            for local, reason in outcome.reasons.items():
                label = str(data.units[b.rows[local]]) + (f" ({b.year})" if b.year else "")
                removed[label] = reason
            keep[b.rows[~outcome.keep]] = False
        blocks = [_Block(b.year, b.rows[keep[b.rows]]) for b in blocks]
        steps["screened"] = x.copy()
    record["screen"] = scr_call.spec() if scr_call else "none"

    # -- treat (each indicator, each year) -----------------------------------------------
    trt_call = _call("treat", treat if treat is not None else fw.default("treat"))
    treated_flags = np.full(x.shape, "", dtype=object)
    treat_details: dict[str, Any] = {}
    if trt_call is not None:
        for b in blocks:
            for j in range(m):
                outcome = _run(trt_call, f"indicator '{ids[j]}'", x[b.rows, j])
                x[b.rows, j] = outcome.values
                treated_flags[b.rows, j] = outcome.flags
                key = ids[j] if b.year is None else f"{ids[j]} ({b.year})"
                treat_details[key] = dict(outcome.details)
        steps["treated"] = x.copy()
    record["treat"] = trt_call.spec() if trt_call else "none"

    # -- normalize ----------------------------------------------------------------------------
    direction = np.array([i.direction for i in indicators], dtype=float)
    oriented = x * direction
    default_norm = fw.default("normalize") or f"minmax(low={fw.scale[0]:g}, high={fw.scale[1]:g})"
    norm_specs: list[str] = []
    for ind in indicators:
        spec = normalize if normalize is not None else (ind.normalize or default_norm)
        norm_specs.append(spec.spec() if isinstance(spec, MethodCall) else str(spec))
    normalised = np.full(x.shape, np.nan)
    fitted: dict[str, Any] = {}
    by_spec: dict[str, list[int]] = {}
    for j, spec in enumerate(norm_specs):
        by_spec.setdefault(spec, []).append(j)
    for spec, cols_list in by_spec.items():
        cols = np.array(cols_list)
        if _skip(spec):
            normalised[:, cols] = oriented[:, cols]
            continue
        call = resolve("normalize", spec)
        ctx = _column_context(indicators, cols, transforms)
        for ref_rows, apply_blocks in _fit_plan(blocks, fit_on):
            fit = _run(call, f"normalize '{spec}'", oriented[np.ix_(ref_rows, cols)], ctx)
            for b in apply_blocks:
                normalised[np.ix_(b.rows, cols)] = fit.apply(oriented[np.ix_(b.rows, cols)])
            for key, vals in fit.fitted.items():
                for c, v in zip(cols, np.atleast_1d(vals), strict=False):
                    fitted.setdefault(ids[c], {})[key] = float(v)
    record["normalize"] = {ids[j]: s for j, s in enumerate(norm_specs)}
    record["fit_on"] = fit_on

    # -- weight + aggregate, children before parents -----------------------------------------
    cov_threshold = fw.min_coverage if min_coverage is None else float(min_coverage)
    if not 0 <= cov_threshold <= 1:
        raise UsageError(f"min_coverage must be between 0 and 1, got {cov_threshold}")
    if _skip(aggregate):
        raise UsageError("the aggregate stage cannot be skipped: it makes the group scores",
                         hint="choose a method, e.g. --aggregate arithmetic")
    if _skip(weights):
        weights = "framework"
    node_scores: dict[str, np.ndarray] = {ids[j]: normalised[:, j] for j in range(m)}
    used_weights: dict[str, dict[str, float]] = {}
    agg_specs: dict[str, str] = {}
    weight_specs: dict[str, str] = {}
    from mfgindex.methods.aggregate import coverage as coverage_of

    for group in fw.groups:
        children = fw.children(group.id)
        values = np.column_stack([node_scores[c] for c in children])
        agg_spec = aggregate or group.aggregate or fw.default("aggregate") or "arithmetic"
        w_spec = weights or group.weights or fw.default("weights") or "framework"
        agg_call = resolve("aggregate", agg_spec)
        w_call = resolve("weight", w_spec)
        wctx = WeightContext(
            parent=group.id,
            children=children,
            weights=np.array([fw.nodes[c].weight for c in children], dtype=float),
            direction=np.ones(len(children)),
            comparisons=_comparison_matrix(fw, group.id, children),
        )
        score = np.full(len(data), np.nan)
        for b in blocks:
            w = np.asarray(_run(w_call, f"weights of '{group.id}'", values[b.rows], wctx), float)
            s = _run(agg_call, f"aggregating '{group.id}'", values[b.rows], w)
            cov = coverage_of(values[b.rows], w)
            s = np.where(cov + 1e-12 >= cov_threshold, s, np.nan)
            score[b.rows] = s
            label = group.id if b.year is None or len(blocks) == 1 else f"{group.id} ({b.year})"
            used_weights[label] = {c: float(v) for c, v in zip(children, w, strict=True)}
        node_scores[group.id] = score
        agg_specs[group.id] = agg_call.spec()
        weight_specs[group.id] = w_call.spec()
    record["aggregate"] = agg_specs
    record["weights"] = weight_specs
    record["min_coverage"] = cov_threshold

    # -- ranks and stages -----------------------------------------------------------------------
    rows = np.concatenate([b.rows for b in blocks]) if blocks else np.array([], dtype=int)
    rows.sort()
    node_ids = [n.id for n in fw.walk()]
    score_matrix = np.column_stack([node_scores[n] for n in node_ids])
    rank_matrix = np.full(score_matrix.shape, np.nan)
    for b in blocks:
        rank_matrix[b.rows] = rank_desc(score_matrix[b.rows])
    stage_codes = np.full(len(data), -1, dtype=int)
    stage_call = None
    rule = fw.stages
    if rule is not None and not _skip(stages):
        stage_call = resolve("classify", stages if stages is not None else rule.method)
        root_col = node_ids.index(fw.id)
        for b in blocks:
            codes = _run(stage_call, "stages", score_matrix[b.rows, root_col],
                         rank_matrix[b.rows, root_col], len(rule.labels))
            stage_codes[b.rows] = codes
    record["stages"] = stage_call.spec() if stage_call else "none"

    provenance = {
        "mfgindex": __version__,
        "framework": {"id": fw.id, "version": fw.version,
                      "file": str(fw.path) if fw.path else None, "sha256": fw.digest},
        "data": {"file": data.source, "sha256": data.digest, "rows": len(data)},
        "year": year,
        "years": [b.year for b in blocks if b.year is not None],
        "methods": record,
        "fitted": fitted,
        "weights": used_weights,
        "removed_units": removed,
        "treatment": treat_details,
        "imputed_cells": int(imputed[rows].sum()),
    }
    return Result(
        framework=fw,
        data=data,
        rows=rows,
        node_ids=tuple(node_ids),
        score_matrix=score_matrix[rows],
        rank_matrix=rank_matrix[rows],
        stage_codes=stage_codes[rows],
        steps={k: v[rows] for k, v in steps.items()} | {"normalised": normalised[rows]},
        imputed=imputed[rows],
        treated=treated_flags[rows],
        weights=used_weights,
        provenance=provenance,
    )


def rank_desc(scores: np.ndarray) -> np.ndarray:
    """Ranks within each column: 1 = highest, ties share the lowest rank, NaN stays NaN.

    Equivalent to R's ``rank(-x, ties.method = "min", na.last = "keep")``.
    """
    import pandas as pd  # not scipy.stats.rankdata: importing scipy.stats costs ~1 s

    scores = np.asarray(scores, dtype=float)
    if scores.size == 0:
        return scores.copy()
    frame = pd.DataFrame(scores.reshape(len(scores), -1))
    out = frame.rank(method="min", ascending=False).to_numpy(dtype=float)
    return out.reshape(scores.shape)


def _run(call: MethodCall, what: str, *args: Any) -> Any:
    """Run a method; numpy warnings are silenced and non-mfgindex errors get context."""
    try:
        with np.errstate(all="ignore"):
            return call(*args)
    except MfgIndexError as exc:
        if exc.where is None:
            exc.where = f"{call.name} ({what})"
        raise
    except (ValueError, ZeroDivisionError, FloatingPointError) as exc:
        raise DataError(f"method '{call.spec()}' failed on {what}: {exc}") from exc


def _blocks(data: Dataset, year: int | None) -> list[_Block]:
    n = len(data)
    if data.years is None:
        if year is not None:
            raise UsageError(f"--year {year} given, but the data has no year column",
                             hint="drop --year, or add a 'year' column to the data")
        return [_Block(None, np.arange(n))]
    years = data.years
    available = sorted(set(years.tolist()))
    if year is not None:
        if year not in available:
            raise DataError(f"no rows for year {year}",
                            where=data.source,
                            hint=f"years in the data: {', '.join(map(str, available))}")
        return [_Block(year, np.flatnonzero(years == year))]
    return [_Block(int(y), np.flatnonzero(years == y)) for y in available]


def _fit_plan(
    blocks: list[_Block], fit_on: str | int
) -> list[tuple[np.ndarray, list[_Block]]]:
    """Which rows each normaliser is fitted on, and which blocks that fit is applied to."""
    if fit_on == "each" or (len(blocks) == 1 and fit_on == "pooled"):
        return [(b.rows, [b]) for b in blocks]
    if fit_on == "pooled":
        return [(np.concatenate([b.rows for b in blocks]), blocks)]
    try:
        ref_year = int(fit_on)
    except (TypeError, ValueError):
        raise UsageError(f"fit_on must be 'each', 'pooled' or a year, got {fit_on!r}") from None
    ref = [b for b in blocks if b.year == ref_year]
    if not ref:
        raise UsageError(f"cannot fit normalisation on year {ref_year}: it is not being scored",
                         hint="score a panel without --year, or choose one of its years")
    return [(ref[0].rows, blocks)]


def _sub_context(ctx: UnitContext, rows: np.ndarray) -> UnitContext:
    return UnitContext(
        units=ctx.units[rows],
        years=None if ctx.years is None else ctx.years[rows],
        groups={k: v[rows] for k, v in ctx.groups.items()},
        ids=ctx.ids,
    )


def _column_context(
    indicators: tuple[Any, ...], cols: np.ndarray, transforms: list[MethodCall | None]
) -> ColumnContext:
    direction = np.array([indicators[c].direction for c in cols], dtype=float)
    target = np.array(
        [np.nan if indicators[c].target is None else indicators[c].target for c in cols]
    )
    col_transforms: list[Callable[[np.ndarray], np.ndarray] | None] = [transforms[c] for c in cols]

    def orient(values: np.ndarray) -> np.ndarray:
        values = np.asarray(values, dtype=float).copy()
        for k, t in enumerate(col_transforms):
            if t is not None:
                values[k] = t(values[k : k + 1])[0]
        return values * direction

    return ColumnContext(direction=direction, target=target, orient=orient,
                         ids=tuple(indicators[c].id for c in cols))


def _comparison_matrix(
    fw: Framework, parent: str, children: tuple[str, ...]
) -> np.ndarray | None:
    if parent not in fw.comparisons:
        return None
    order, matrix = fw.comparisons[parent]
    a = np.array(matrix, dtype=float)
    idx = [order.index(c) for c in children]
    return a[np.ix_(idx, idx)]
