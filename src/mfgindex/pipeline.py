"""The scoring pipeline (DESIGN §5).

``denominate → transform → impute → screen → treat → normalize → weight → aggregate → rank →
classify``, each stage a registered method chosen by a method string. :func:`compute` is pure:
it reads a framework and a dataset and returns a :class:`~mfgindex.result.Result` that records
every choice in its provenance.

Choosing methods: an argument given to :func:`compute` (or a CLI option) wins over the
framework's per-node settings and its ``[defaults]``; ``"none"`` skips a stage.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from mfgindex._version import __version__
from mfgindex.errors import DataError, MethodError, MfgIndexError, UsageError
from mfgindex.methods.base import ColumnContext, UnitContext, WeightContext, rank_min
from mfgindex.methods.registry import MethodCall, resolve

if TYPE_CHECKING:
    from mfgindex.data import Dataset
    from mfgindex.framework import Framework
    from mfgindex.result import Result

__all__ = [
    "ROW_WISE",
    "Prepared",
    "aggregate_tree",
    "aggregators",
    "compute",
    "coverage_threshold",
    "normalise",
    "prepare",
    "rank_desc",
    "sources",
    "weight_function",
    "weight_methods",
    "year_blocks",
]

Spec = str | MethodCall | None


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

    Notes
    -----
    The work is done by three reusable steps — :func:`prepare` (denominate → treat),
    :func:`normalise` and :func:`aggregate_tree` — which :mod:`mfgindex.robustness` calls
    separately to reuse every stage before the first uncertain one.
    """
    from mfgindex.result import Result

    fw = framework
    prep = prepare(fw, data, year=year, denominate=denominate, impute=impute, screen=screen,
                   treat=treat)
    blocks, record = prep.blocks, prep.record
    normalised, fitted, norm_specs = normalise(fw, prep, normalize=normalize, fit_on=fit_on)
    record["normalize"] = norm_specs
    record["fit_on"] = fit_on

    # -- weight + aggregate, each block (year) on its own ------------------------------------
    cov_threshold = coverage_threshold(fw, min_coverage)
    agg_calls = aggregators(fw, aggregate)
    agg_funcs = {g: _in_context(c, f"aggregating '{g}'") for g, c in agg_calls.items()}
    w_calls = weight_methods(fw, weights)
    ids = [i.id for i in fw.indicators]
    node_scores = {i: normalised[:, j] for j, i in enumerate(ids)}
    node_scores |= {g.id: np.full(len(data), np.nan) for g in fw.groups}
    used_weights: dict[str, dict[str, float]] = {}
    for b in blocks:
        suffix = "" if b.year is None or len(blocks) == 1 else f" ({b.year})"
        block_weights = {g.id: weight_function(fw, g.id, w_calls[g.id], g.id + suffix, used_weights)
                         for g in fw.groups}
        tree = aggregate_tree(fw, normalised[b.rows], block_weights, agg_funcs, cov_threshold)
        for g in fw.groups:
            node_scores[g.id][b.rows] = tree[g.id]
    record["aggregate"] = {g: c.spec() for g, c in agg_calls.items()}
    record["weights"] = {g: c.spec() for g, c in w_calls.items()}
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
        **sources(fw, data),
        "year": year,
        "years": [b.year for b in blocks if b.year is not None],
        "methods": record,
        "fitted": fitted,
        "weights": used_weights,
        "removed_units": prep.removed,
        "treatment": prep.treat_details,
        "imputed_cells": int(prep.imputed[rows].sum()),
    }
    return Result(
        framework=fw,
        data=data,
        rows=rows,
        node_ids=tuple(node_ids),
        score_matrix=score_matrix[rows],
        rank_matrix=rank_matrix[rows],
        stage_codes=stage_codes[rows],
        steps={k: v[rows] for k, v in prep.steps.items()} | {"normalised": normalised[rows]},
        imputed=prep.imputed[rows],
        treated=prep.treated[rows],
        weights=used_weights,
        provenance=provenance,
    )


def sources(framework: Framework, data: Dataset) -> dict[str, dict[str, Any]]:
    """The provenance record of the framework and the data: file, SHA-256, …"""
    fw = framework
    return {
        "framework": {"id": fw.id, "version": fw.version,
                      "file": str(fw.path) if fw.path else None, "sha256": fw.digest},
        "data": {"file": data.source, "sha256": data.digest, "rows": len(data)},
    }


@dataclass
class Prepared:
    """Indicator values ready to normalise: the output of :func:`prepare`.

    Attributes
    ----------
    x
        ``(N, m)`` values of every row of the dataset (units × indicators, framework order)
        after denominate → transform → impute → screen → treat. Rows screened out or outside
        the scored year(s) are still there; ``blocks`` says which rows are scored.
    blocks
        The rows scored together (one block per year of a panel), screened rows removed.
    transforms
        Each indicator's transform (or None): normalisers orient goalposts through it.
    steps, record
        Intermediate datasets (``raw``, ``denominated``, …) and the methods used, by stage.
    imputed, treated
        ``(N, m)`` flags: cells filled by imputation; treatment labels ("" = untouched).
    treat_details, removed
        Treatment details per indicator (and year); screened-out units and why.
    """

    x: np.ndarray
    blocks: list[_Block]
    transforms: list[MethodCall | None]
    steps: dict[str, np.ndarray]
    record: dict[str, Any]
    imputed: np.ndarray
    treated: np.ndarray
    treat_details: dict[str, Any]
    removed: dict[str, str]


def prepare(
    framework: Framework,
    data: Dataset,
    *,
    year: int | None = None,
    denominate: Spec = None,
    impute: Spec = None,
    screen: Spec = None,
    treat: Spec = None,
) -> Prepared:
    """Run the stages before normalisation: denominate → transform → impute → screen → treat.

    Arguments as :func:`compute`. The result is everything normalisation needs; uncertainty
    analysis calls this once per combination of imputation and treatment choices.
    """
    fw = framework
    indicators = fw.indicators
    ids = tuple(i.id for i in indicators)
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
        x = np.array(_run(imp_call, "impute", x, unit_ctx), dtype=float)  # a writable copy
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
    # An indicator's own `treat` setting wins (so `treat = "none"` exclusions always hold);
    # the others take the run's choice, else the framework's default.
    run_treat = treat if treat is not None else fw.default("treat")
    trt_calls = [_call("treat", ind.treat if ind.treat is not None else run_treat)
                 for ind in indicators]
    treated_flags = np.full(x.shape, "", dtype=object)
    treat_details: dict[str, Any] = {}
    for j, trt_call in enumerate(trt_calls):
        if trt_call is None:
            continue
        for b in blocks:
            outcome = _run(trt_call, f"indicator '{ids[j]}'", x[b.rows, j])
            x[b.rows, j] = outcome.values
            treated_flags[b.rows, j] = outcome.flags
            key = ids[j] if b.year is None else f"{ids[j]} ({b.year})"
            treat_details[key] = dict(outcome.details)
    if any(trt_calls):
        steps["treated"] = x.copy()
    specs = {ids[j]: c.spec() if c else "none" for j, c in enumerate(trt_calls)}
    record["treat"] = (next(iter(specs.values())) if len(set(specs.values())) == 1 else specs)

    return Prepared(x=x, blocks=blocks, transforms=transforms, steps=steps, record=record,
                    imputed=imputed, treated=treated_flags, treat_details=treat_details,
                    removed=removed)


def normalise(
    framework: Framework,
    prepared: Prepared,
    *,
    normalize: Spec = None,
    fit_on: str | int = "each",
) -> tuple[np.ndarray, dict[str, Any], dict[str, str]]:
    """Orient (multiply by direction) and normalise the prepared values, block by block.

    Returns the ``(N, m)`` normalised values (NaN outside the scored blocks), the fitted
    parameters per indicator and the method string used for each indicator.
    """
    fw = framework
    indicators = fw.indicators
    ids = tuple(i.id for i in indicators)
    x, blocks, transforms = prepared.x, prepared.blocks, prepared.transforms
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
    return normalised, fitted, {ids[j]: s for j, s in enumerate(norm_specs)}


def coverage_threshold(framework: Framework, min_coverage: float | None) -> float:
    """``min_coverage``, or the framework's default; a :class:`UsageError` outside [0, 1]."""
    threshold = framework.min_coverage if min_coverage is None else float(min_coverage)
    if not 0 <= threshold <= 1:
        raise UsageError(f"min_coverage must be between 0 and 1, got {threshold}")
    return threshold


def aggregators(framework: Framework, aggregate: Spec = None) -> dict[str, MethodCall]:
    """Each group's aggregation method: ``aggregate`` if given, else the group's, else the
    default."""
    if _skip(aggregate):
        raise UsageError("the aggregate stage cannot be skipped: it makes the group scores",
                         hint="choose a method, e.g. --aggregate arithmetic")
    fw = framework
    return {g.id: resolve("aggregate", aggregate or g.aggregate or fw.default("aggregate")
                          or "arithmetic")
            for g in fw.groups}


Aggregator = Callable[[np.ndarray, np.ndarray], np.ndarray]
WeightsFor = np.ndarray | Callable[[np.ndarray], np.ndarray]


def aggregate_tree(
    framework: Framework,
    normalised: np.ndarray,
    weights: Mapping[str, WeightsFor],
    aggregators: Mapping[str, Aggregator],
    min_coverage: float,
    *,
    refused: dict[str, np.ndarray] | None = None,
) -> dict[str, np.ndarray]:
    r"""Aggregate normalised indicators up the tree, children before parents.

    Parameters
    ----------
    framework
        The tree.
    normalised
        ``(n, m)`` normalised indicator values of the units scored together (one block).
    weights
        Per group: the children's weights, ``(k,)`` or a batch ``(r, k)`` of ``r`` weight
        vectors (e.g. Monte Carlo runs), or a function of the children's values ``(n, k)``
        returning ``(k,)`` (data-driven weights; the children must not be batched).
    aggregators
        Per group: an aggregation method (a resolved method string or any function with the
        aggregate contract of :mod:`mfgindex.methods.base`).
    min_coverage
        A group scores NaN for a unit whose present children carry less than this share of
        the weight (:func:`mfgindex.methods.aggregate.coverage`).
    refused
        None (default): a method that refuses its input (:class:`MethodError`, e.g. a
        geometric mean of a zero) raises. A dict: it does not; the units it refuses score NaN
        on that group **and every ancestor** (never renormalised around), and
        ``refused[group]`` receives the boolean mask of refused units, ``(n,)`` or ``(r, n)``.

    Returns
    -------
    dict
        Node id → scores: ``(n,)``, or ``(r, n)`` once a batch of weights is involved. A batch
        at a lower level makes the parents' children differ per run; those parents are
        aggregated run by run (``values[i]`` with ``weights[i]``).
    """
    from mfgindex.methods.aggregate import coverage

    fw = framework
    scores: dict[str, np.ndarray] = {i.id: normalised[:, j] for j, i in enumerate(fw.indicators)}
    bad: dict[str, np.ndarray] = {}
    for group in fw.groups:
        children = fw.children(group.id)
        kids = [scores[c] for c in children]
        w = weights[group.id]
        agg = aggregators[group.id]
        if all(k.ndim == 1 for k in kids):
            values = np.column_stack(kids)
            w = np.asarray(w(values) if callable(w) else w, dtype=float)
            score, mask = _aggregate(agg, values, w, refused is not None)
            cover = coverage(values, w)
        else:
            if callable(w):
                raise UsageError(f"data-driven weights of '{group.id}' cannot be combined with "
                                 "batches of weights below it",
                                 hint="use the framework's weights for uncertainty analysis")
            r = max(k.shape[0] for k in kids if k.ndim == 2)
            values = np.stack([np.broadcast_to(k, (r, k.shape[-1])) for k in kids], axis=-1)
            w = np.broadcast_to(np.asarray(w, dtype=float), (r, len(children)))
            score, mask, cover = _aggregate_paired(agg, values, w, refused is not None)
        score = np.where(cover + 1e-12 >= min_coverage, score, np.nan)
        if refused is not None:
            gone = mask  # refused here, or below: then the child's NaN must not be renormalised away
            for c in children:
                if c in bad:
                    gone = gone | bad[c]
            if mask.any():
                refused[group.id] = mask
            if gone.any():
                bad[group.id] = gone
                score = np.where(gone, np.nan, score)
        scores[group.id] = score
    return scores


def _aggregate(agg: Aggregator, values: np.ndarray, w: np.ndarray,
               tolerate: bool) -> tuple[np.ndarray, np.ndarray]:
    """Scores of one group and the mask of units the method refused (all False unless
    ``tolerate``)."""
    out_shape = (w.shape[0], values.shape[0]) if w.ndim == 2 else (values.shape[0],)
    try:
        return agg(values, w), np.zeros(out_shape, dtype=bool)
    except MethodError as exc:
        if not tolerate:
            raise
        error = exc
    # Find the refused units by bisection: a method's domain (e.g. positive values for a
    # geometric mean) is a property of each unit's values, whatever the weights, so a block of
    # units passes exactly when none of them is refused. ~2·b·log2(n) calls for b refused units.
    refused = np.zeros(values.shape[0], dtype=bool)
    blocks = [np.arange(values.shape[0])]
    while blocks:
        rows = blocks.pop()
        try:
            agg(values[rows], w)
        except MethodError:
            if len(rows) == 1:
                refused[rows[0]] = True
            else:
                blocks += [rows[: len(rows) // 2], rows[len(rows) // 2 :]]
    if not refused.any():
        raise error  # the failure is not about particular units: a genuine error
    score = np.full(out_shape, np.nan)
    if not refused.all():
        score[..., ~refused] = agg(values[~refused], w)
    return score, np.broadcast_to(refused, out_shape).copy()


#: Aggregators whose score of a unit depends on that unit's values only (not on other units).
ROW_WISE = frozenset({"arithmetic", "geometric", "harmonic", "genmean", "median"})


def _aggregate_paired(agg: Aggregator, values: np.ndarray, w: np.ndarray,
                      tolerate: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Run ``i`` of ``values (r, n, k)`` aggregated with ``w[i]``: scores, refused masks and
    coverage, each ``(r, n)``.

    The aggregators score a batch of weights against *one* set of values. For a row-wise
    aggregator (``agg.row_wise``), ``b`` runs are stacked as ``b·n`` units and scored against
    their ``b`` weight vectors in one call, keeping the diagonal blocks (run ``i``'s units with
    weights ``i``): ``b`` times the arithmetic, but a ``b``-th of the Python calls. Other
    aggregators (Copeland, TOPSIS, … compare units with each other) are called run by run.
    """
    from mfgindex.methods.aggregate import coverage

    r, n, k = values.shape
    step = 16 if getattr(agg, "row_wise", False) else 1
    score, mask, cover = np.empty((r, n)), np.empty((r, n), dtype=bool), np.empty((r, n))
    for start in range(0, r, step):
        part = slice(start, min(start + step, r))
        b = part.stop - start
        flat = values[part].reshape(b * n, k)
        s, m = _aggregate(agg, flat, w[part], tolerate)
        c = coverage(flat, w[part])
        diag = np.arange(b)
        # (b, b·n) -> (b, b, n); keep [i, i, :]
        score[part] = s.reshape(b, b, n)[diag, diag]
        mask[part] = m.reshape(b, b, n)[diag, diag]
        cover[part] = c.reshape(b, b, n)[diag, diag]
    return score, mask, cover


def _in_context(call: MethodCall, what: str) -> Aggregator:
    """``call`` run through :func:`_run`, so its errors say which group failed."""

    def run(values: np.ndarray, w: np.ndarray) -> np.ndarray:
        return np.asarray(_run(call, what, values, w), dtype=float)

    run.row_wise = call.name in ROW_WISE  # type: ignore[attr-defined]
    return run


def weight_methods(framework: Framework, weights: Spec = None) -> dict[str, MethodCall]:
    """Each group's weight method: ``weights`` if given, else the group's, else the default."""
    fw = framework
    if _skip(weights):
        weights = "framework"
    return {g.id: resolve("weight", weights or g.weights or fw.default("weights") or "framework")
            for g in fw.groups}


def weight_function(framework: Framework, group: str, call: MethodCall, label: str,
                    used: dict[str, dict[str, float]]) -> Callable[[np.ndarray], np.ndarray]:
    """The weight method of ``group`` as a function of its children's values ``(n, k)``, for
    :func:`aggregate_tree`; it records the weights it returns in ``used[label]``."""
    fw = framework
    children = fw.children(group)
    ctx = WeightContext(
        parent=group,
        children=children,
        weights=np.array([fw.nodes[c].weight for c in children], dtype=float),
        direction=np.ones(len(children)),
        comparisons=_comparison_matrix(fw, group, children),
    )

    def derive(values: np.ndarray) -> np.ndarray:
        w = np.asarray(_run(call, f"weights of '{group}'", values, ctx), dtype=float)
        used[label] = {c: float(v) for c, v in zip(children, w, strict=True)}
        return w

    return derive


def rank_desc(scores: np.ndarray) -> np.ndarray:
    """Ranks within each column: 1 = highest, ties share the lowest rank, NaN stays NaN.

    Equivalent to R's ``rank(-x, ties.method = "min", na.last = "keep")``
    (:func:`mfgindex.methods.base.rank_min`).
    """
    return rank_min(scores, axis=0, descending=True)


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


def year_blocks(years: np.ndarray | None, n: int) -> list[_Block]:
    """The rows of each year, years ascending; one block of all ``n`` rows without years."""
    if years is None:
        return [_Block(None, np.arange(n))]
    return [_Block(int(y), np.flatnonzero(years == y)) for y in sorted(set(years.tolist()))]


def _blocks(data: Dataset, year: int | None) -> list[_Block]:
    blocks = year_blocks(data.years, len(data))
    if year is None:
        return blocks
    if data.years is None:
        raise UsageError(f"--year {year} given, but the data has no year column",
                         hint="drop --year, or add a 'year' column to the data")
    chosen = [b for b in blocks if b.year == year]
    if not chosen:
        raise DataError(f"no rows for year {year}",
                        where=data.source,
                        hint=f"years in the data: {', '.join(str(b.year) for b in blocks)}")
    return chosen


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
