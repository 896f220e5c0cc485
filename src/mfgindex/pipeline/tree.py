"""Aggregation up the tree: children before parents, one block of units, batches of weights.

:func:`aggregate_tree` is the scoring step of the :class:`~mfgindex.pipeline.Plan`: it turns
normalised indicators into group and index scores, for one weight vector per group ``(k,)`` or
a batch of ``r`` of them ``(r, k)`` (uncertainty runs), in one numpy pass per group.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from mfgindex.errors import DataError, MethodError, MfgIndexError, UsageError
from mfgindex.methods.base import rank_min
from mfgindex.methods.registry import MethodCall

if TYPE_CHECKING:
    from mfgindex.framework import Framework

__all__ = ["AggregateStep", "WeightsFor", "aggregate_tree", "rank_desc", "run_method"]


def run_method(call: MethodCall, what: str, *args: Any) -> Any:
    """Run a method; numpy warnings are silenced and non-mfgindex errors get context.

    ``what`` names what the method was applied to (``"indicator 'x1'"``), for the message.
    """
    try:
        with np.errstate(all="ignore"):
            return call(*args)
    except MfgIndexError as exc:
        if exc.where is None:
            exc.where = f"{call.name} ({what})"
        raise
    except (ValueError, ZeroDivisionError, FloatingPointError) as exc:
        raise DataError(f"method '{call.spec()}' failed on {what}: {exc}") from exc


@dataclass(frozen=True)
class AggregateStep:
    """A group's aggregation method as :func:`aggregate_tree` calls it: through
    :func:`run_method`, so numpy's warnings are silenced and an error names the group."""

    call: MethodCall
    group: str

    @property
    def row_wise(self) -> bool:
        """The method's registered trait (:class:`~mfgindex.methods.registry.Method`)."""
        return self.call.method.row_wise

    def __call__(self, values: np.ndarray, w: np.ndarray) -> np.ndarray:
        return np.asarray(run_method(self.call, f"aggregating '{self.group}'", values, w), dtype=float)


Aggregator = AggregateStep | MethodCall
WeightsFor = np.ndarray | Callable[[np.ndarray], np.ndarray]


def _row_wise(agg: Aggregator) -> bool:
    return agg.row_wise if isinstance(agg, AggregateStep) else agg.method.row_wise


def rank_desc(scores: np.ndarray) -> np.ndarray:
    """Ranks within each column: 1 = highest, ties share the lowest rank, NaN stays NaN.

    Equivalent to R's ``rank(-x, ties.method = "min", na.last = "keep")``
    (:func:`mfgindex.methods.base.rank_min`).
    """
    return rank_min(scores, axis=0, descending=True)


def _all_rows(rows: np.ndarray, n: int) -> bool:
    """Whether ``rows`` is every row ``0 … n-1`` in order (then a slice serves, not a copy)."""
    return bool(
        len(rows) == n and (n == 0 or (rows[0] == 0 and rows[-1] == n - 1 and np.all(np.diff(rows) == 1)))
    )


def _rows(rows: np.ndarray, n: int) -> slice | np.ndarray:
    """``rows`` as an index: a slice when it is every row (a view, no copy)."""
    return slice(None) if _all_rows(rows, n) else rows


def aggregate_tree(
    framework: Framework,
    normalised: np.ndarray,
    weights: Mapping[str, WeightsFor],
    aggregators: Mapping[str, Aggregator],
    min_coverage: float,
    *,
    refused: dict[str, np.ndarray] | None = None,
    reasons: dict[str, MethodError] | None = None,
    limits: dict[str, np.ndarray] | None = None,
    poisoned: np.ndarray | None = None,
    columns: tuple[int, ...] | None = None,
    row_block: int | None = None,
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
        Per group: its aggregation method, an :class:`AggregateStep` (or a bare
        :class:`~mfgindex.methods.registry.MethodCall`).
    min_coverage
        A group scores NaN for a unit whose present children carry less than this share of
        the weight (:func:`mfgindex.methods.aggregate.coverage`).
    refused
        None (default): a method that refuses its input (:class:`MethodError`, e.g. a
        geometric mean of a negative value) raises. A dict: it does not; the units it refuses
        score NaN on that group **and every ancestor** (never renormalised around), and
        ``refused[group]`` receives the boolean mask of refused units, ``(n,)`` or ``(r, n)``.
    reasons
        With ``refused``: ``reasons[group]`` receives the method's error for the first refusal
        (what it refused and the fix, e.g. "the geometric mean needs non-negative values").
    limits
        A dict: ``limits[group]`` receives the mask of units the group's mean scored 0 because
        a child of positive weight is 0 — the limit of a geometric or harmonic mean
        (:func:`mfgindex.methods.aggregate.zero_is_limit`) — while another child is positive:
        the zero vetoes it, a warning for the pipeline. A child that is 0 as such a limit
        itself is reported at its own level, not again above.
    poisoned
        ``(n, m)`` cells of bad indicator values (e.g. outside a transform's domain): NaN
        already, and, as a refused unit, NaN on **every ancestor** too (never renormalised
        around).
    columns
        Indicator ``j``'s column of ``normalised`` (default ``j``): ``normalised`` may be a
        wider matrix, e.g. the run's score matrix whose indicator columns were normalised in
        place.
    row_block
        Aggregate a row-wise method (``row_wise=True``) on blocks of this many units (a
        float32 run: each block converted to float64 on its own); None: all units at once.

    Returns
    -------
    dict
        Node id → scores: ``(n,)``, or ``(r, n)`` once a batch of weights is involved. A batch
        at a lower level makes the parents' children differ per run; those parents are
        aggregated run by run (``values[i]`` with ``weights[i]``).
    """
    fw = framework
    place = range(len(fw.indicators)) if columns is None else columns
    column = {i.id: place[j] for j, i in enumerate(fw.indicators)}
    scores: dict[str, np.ndarray] = {i.id: normalised[:, column[i.id]] for i in fw.indicators}
    bad: dict[str, np.ndarray] = {}
    if poisoned is not None and poisoned.any():
        for j, i in enumerate(fw.indicators):
            if poisoned[:, j].any():
                bad[i.id] = poisoned[:, j]
    for group in fw.groups:
        children = fw.children(group.id)
        agg = aggregators[group.id]
        values, w, score, mask, cover, why = _group_scores(
            group.id,
            [scores[c] for c in children],
            weights[group.id],
            agg,
            normalised,
            column,
            children,
            refused is not None,
            row_block,
        )
        score = np.where(cover + 1e-12 >= min_coverage, score, np.nan)
        if limits is not None and _zero_is_limit(agg):
            at_zero = _vetoing_zeros(values, w, score, mask, children, limits)
            if at_zero.any():
                limits[group.id] = at_zero
        gone = mask  # refused here, or below: then the child's NaN must not be renormalised away
        for c in children:
            if c in bad:
                gone = gone | bad[c]
        if refused is not None and mask.any():
            refused[group.id] = mask
            if reasons is not None and why:
                reasons[group.id] = why
        if gone.any():
            bad[group.id] = gone
            score = np.where(gone, np.nan, score)
        scores[group.id] = score
    return scores


def _group_scores(
    group: str,
    kids: list[np.ndarray],
    w: WeightsFor,
    agg: Aggregator,
    normalised: np.ndarray,
    column: Mapping[str, int],
    children: list[str] | tuple[str, ...],
    tolerate: bool,
    row_block: int | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, MethodError | None]:
    """One group's children's values, its weights (as used), scores, refused mask, coverage
    and the method's error about refused units: a single pass for ``(n,)`` children (on
    blocks of ``row_block`` units, :func:`_by_rows`), run by run once a batch of weights below
    made them ``(r, n)``."""
    from mfgindex.methods.aggregate import coverage

    if all(k.ndim == 1 for k in kids):
        values = _children(normalised, column, children, kids)
        wv = np.asarray(w(values) if callable(w) else w, dtype=float)
        rows = row_block if _row_wise(agg) else None
        score, mask, why = _aggregate(agg, values, wv, tolerate, rows)
        return values, wv, score, mask, _by_rows(coverage, values, wv, row_block), why
    if callable(w):
        raise UsageError(
            f"data-driven weights of '{group}' cannot be combined with batches of weights below it",
            hint="use the framework's weights for uncertainty analysis",
        )
    r = max(k.shape[0] for k in kids if k.ndim == 2)
    values = np.stack([np.broadcast_to(k, (r, k.shape[-1])) for k in kids], axis=-1)
    wv = np.broadcast_to(np.asarray(w, dtype=float), (r, len(children)))
    score, mask, cover, why = _aggregate_paired(agg, values, wv, tolerate)
    return values, wv, score, mask, cover, why


def _vetoing_zeros(
    values: np.ndarray,
    w: np.ndarray,
    score: np.ndarray,
    mask: np.ndarray,
    children: list[str] | tuple[str, ...],
    limits: Mapping[str, np.ndarray],
) -> np.ndarray:
    """Units a zero child of positive weight scored 0 (the limit of the group's mean) while
    a sibling is positive; a child that is 0 as the limit of its own mean was reported
    there, not again."""
    inherited = [(k, limits[c]) for k, c in enumerate(children) if c in limits]
    own = values
    if inherited:
        own = values.copy()
        for k, m in inherited:
            own[..., k] = np.where(m, np.nan, own[..., k])
    hit: np.ndarray = _any_child(own == 0, w) & _any_child(values > 0, w) & ~mask & ~np.isnan(score)
    return hit


def _children(
    normalised: np.ndarray,
    column: Mapping[str, int],
    children: list[str] | tuple[str, ...],
    kids: list[np.ndarray],
) -> np.ndarray:
    """``(n, k)`` values of a group's children: a view of ``normalised`` when they are
    consecutive indicator columns (no copy; a million units × 10 children is 80 MB), else a
    new array."""
    js = [column.get(c, -1) for c in children]
    if js and js[0] >= 0 and js == list(range(js[0], js[0] + len(js))):
        view: np.ndarray = normalised[:, js[0] : js[0] + len(js)]
        return view
    return np.column_stack(kids)


def _known_domain(agg: Aggregator, values: np.ndarray) -> np.ndarray | None:
    """``(n,)`` the units a geometric or harmonic mean refuses (a present negative child:
    their domain is the non-negative values), or None for another method (found by
    bisection)."""
    name, _ = _call_name(agg)
    if name not in ("geometric", "harmonic"):
        return None
    with np.errstate(invalid="ignore"):
        hit: np.ndarray = np.any(values < 0, axis=1)  # NaN < 0 is False: missing is not refused
    return hit


def _call_name(agg: Aggregator) -> tuple[str, Mapping[str, Any]]:
    call = agg.call if isinstance(agg, AggregateStep) else agg
    return call.name, call.kwargs


def _zero_is_limit(agg: Aggregator) -> bool:
    from mfgindex.methods.aggregate import zero_is_limit

    return zero_is_limit(*_call_name(agg))


def _any_child(hit: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Units with a child of positive weight where ``hit`` (``(n, k)`` or ``(r, n, k)``): ``(n,)``
    for ``hit (n, k)`` and ``w (k,)``; ``(r, n)`` for ``w (r, k)`` or ``hit (r, n, k)``."""
    out: np.ndarray
    if hit.ndim == 2 and np.ndim(w) == 1:  # the same answer without (n, k) floats
        out = np.logical_and(hit, np.asarray(w) > 0).any(axis=1)
        return out
    mark = hit.astype(float)
    positive = (np.asarray(w) > 0).astype(float)
    if mark.ndim == 3:  # run i's values with run i's weights
        out = np.einsum("rnk,rk->rn", mark, np.broadcast_to(positive, (mark.shape[0], mark.shape[2]))) > 0
    else:
        out = (mark @ positive.T).T > 0 if positive.ndim == 2 else mark @ positive > 0
    return out


def _by_rows(func: Callable[..., Any], values: np.ndarray, w: np.ndarray, rows: int | None) -> np.ndarray:
    """``func(values, w)`` of a row-wise function (scores or coverage: ``(n,)`` or ``(r, n)``),
    computed on blocks of ``rows`` units (None: at once) — what a block of a float32 run
    holds in float64 stays small."""
    n = values.shape[0]
    if rows is None or n <= rows:
        whole: np.ndarray = np.asarray(func(values, w))
        return whole
    out: np.ndarray | None = None
    for at in range(0, n, rows):
        part = np.asarray(func(values[at : at + rows], w))
        if out is None:
            out = np.empty((*part.shape[:-1], n), dtype=part.dtype)
        out[..., at : at + rows] = part
    assert out is not None
    return out


def _aggregate(
    agg: Aggregator, values: np.ndarray, w: np.ndarray, tolerate: bool, block: int | None = None
) -> tuple[np.ndarray, np.ndarray, MethodError | None]:
    """Scores of one group, the mask of units the method refused (all False unless
    ``tolerate``) and the method's error about them (None when none was refused). ``block``:
    score blocks of that many units (a row-wise method, :func:`_by_rows`)."""
    out_shape = (w.shape[0], values.shape[0]) if w.ndim == 2 else (values.shape[0],)
    try:
        return _by_rows(agg, values, w, block), np.zeros(out_shape, dtype=bool), None
    except MethodError as exc:
        if not tolerate:
            raise
        error = exc
    # Find the refused units by bisection: a method's domain (e.g. positive values for a
    # geometric mean) is a property of each unit's values, whatever the weights, so a block of
    # units passes exactly when none of them is refused. ~2·b·log2(n) calls for b refused units.
    refused = np.zeros(values.shape[0], dtype=bool)
    known = _known_domain(agg, values)
    if known is not None and known.any():
        # the geometric and harmonic means refuse exactly the units with a negative child
        # (methods.aggregate._check_positive(strict=False)): one vectorised test instead of
        # thousands of calls, checked by scoring the others once
        refused = known
        score = np.full(out_shape, np.nan)
        if not refused.all():
            score[..., ~refused] = _by_rows(agg, values[~refused], w, block)
        return score, np.broadcast_to(refused, out_shape).copy(), _kept(error)
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
        score[..., ~refused] = _by_rows(agg, values[~refused], w, block)
    return score, np.broadcast_to(refused, out_shape).copy(), _kept(error)


def _kept(error: MethodError) -> MethodError:
    """A handled error kept for its message (``reasons``) without its traceback, whose frames
    would hold the method's arrays and this frame (a reference cycle) until a collection."""
    return error.with_traceback(None)


def _aggregate_paired(
    agg: Aggregator, values: np.ndarray, w: np.ndarray, tolerate: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray, MethodError | None]:
    """Run ``i`` of ``values (r, n, k)`` aggregated with ``w[i]``: scores, refused masks and
    coverage, each ``(r, n)``.

    The aggregators score a batch of weights against *one* set of values. For a row-wise
    aggregator (registered with ``row_wise=True``), ``b`` runs are stacked as ``b·n`` units and scored against
    their ``b`` weight vectors in one call, keeping the diagonal blocks (run ``i``'s units with
    weights ``i``): ``b`` times the arithmetic, but a ``b``-th of the Python calls. Other
    aggregators (Copeland, TOPSIS, … compare units with each other) are called run by run.
    """
    from mfgindex.methods.aggregate import coverage

    r, n, k = values.shape
    step = 16 if _row_wise(agg) else 1
    score, mask, cover = np.empty((r, n)), np.empty((r, n), dtype=bool), np.empty((r, n))
    reason: MethodError | None = None
    for start in range(0, r, step):
        part = slice(start, min(start + step, r))
        b = part.stop - start
        flat = values[part].reshape(b * n, k)
        s, m, why = _aggregate(agg, flat, w[part], tolerate)
        reason = reason or why
        c = coverage(flat, w[part])
        diag = np.arange(b)
        # (b, b·n) -> (b, b, n); keep [i, i, :]
        score[part] = s.reshape(b, b, n)[diag, diag]
        mask[part] = m.reshape(b, b, n)[diag, diag]
        cover[part] = c.reshape(b, b, n)[diag, diag]
    return score, mask, cover, reason
