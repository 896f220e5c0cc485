"""One run of the :class:`~mfgindex.pipeline.Plan`: scores, ranks, stages and provenance."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from mfgindex._version import __version__
from mfgindex.errors import MethodError
from mfgindex.methods.registry import MethodCall
from mfgindex.pipeline.tree import _rows, rank_desc, run_method

if TYPE_CHECKING:
    from mfgindex.data import Dataset
    from mfgindex.framework import Framework
    from mfgindex.pipeline.plan import Normalized, Plan
    from mfgindex.result import Result
    from mfgindex.years import Block

__all__ = ["bad_cell_records", "run_once", "sources"]


def sources(framework: Framework, data: Dataset) -> dict[str, dict[str, Any]]:
    """The provenance record of the framework and the data: file, SHA-256, …"""
    fw = framework
    return {
        "framework": {
            "id": fw.id,
            "version": fw.version,
            "file": str(fw.path) if fw.path else None,
            "sha256": fw.digest,
            **({"judgements": {f: j.digest for f, j in fw.judgements.items()}} if fw.judgements else {}),
        },
        "data": {"file": data.source, "sha256": data.digest, "rows": len(data)},
    }


def run_once(plan: Plan) -> Result:
    """prepare → normalize → weight and score each block (year) → rank → classify.

    Memory (issue 13): the indicators are normalised straight into the score matrix's columns
    (the result reads them from there), the prepared values are dropped once normalised unless
    a step keeps them (``treated``), treatment flags are int8 codes, and only the index and the
    groups are ranked here — :meth:`Result.rank_of` ranks an indicator when it is asked for. At
    a million units × 50 indicators the peak is 2.2x the input array (minmax + arithmetic),
    2.9x with winsorize + zscore + geometric; about half that with ``dtype="float32"``
    (docs/scale.md).
    """
    from mfgindex.result import Result

    fw, data = plan.framework, plan.data
    prep = plan.prepare()
    node_ids = [n.id for n in fw.walk()]
    pos = {n: k for k, n in enumerate(node_ids)}
    # column-major: each node's scores contiguous (ranked and classified column by column);
    # the indicators are normalised straight into their columns (one table, not two)
    scores = np.full((len(data), len(node_ids)), np.nan, dtype=prep.x.dtype, order="F")
    normalized = plan.normalize(prep, into=scores, columns=tuple(pos[i.id] for i in fw.indicators))
    if not any(v is prep.x for v in prep.steps.values()):
        prep.x = np.empty((0, prep.x.shape[1]))  # not needed any more (nor kept by a step)
    record = prep.record | {"normalize": normalized.specs, "fit_on": plan.choices.fit_on}
    used_weights, bad_cells = _score_blocks(plan, normalized, scores, pos)
    fitted = normalized.fitted
    del normalized  # its values are the indicator columns of ``scores``
    record["aggregate"] = {g: c.spec() for g, c in plan.aggregate_calls.items()}
    record["weights"] = {g: c.spec() for g, c in plan.weight_calls.items()}
    record["min_coverage"] = plan.threshold
    if plan.dtype != np.float64:  # recorded only when not the default (reproduce reads it)
        record["dtype"] = plan.dtype.name

    blocks = prep.blocks
    rows = np.concatenate([b.rows for b in blocks]) if blocks else np.array([], dtype=int)
    rows.sort()
    take = _rows(rows, len(scores))
    ranks = _rank_nodes(scores, [pos[n] for n in [fw.id, *(g.id for g in fw.groups)]], node_ids, blocks)
    stage_call, stage_codes = _classify(plan, blocks, scores[:, pos[fw.id]], ranks[fw.id])
    record["stages"] = stage_call.spec() if stage_call else "none"
    provenance = {
        "mfgindex": __version__,
        **sources(fw, data),
        "year": plan.year,
        "years": [b.year for b in blocks if b.year is not None],
        "methods": record,
        "fitted": fitted,
        "weights": [
            {"year": year, "group": group, "weights": w} for (year, group), w in used_weights.items()
        ],
        "removed_units": prep.removed,
        "treatment": prep.treat_details,
        "imputed_cells": int(prep.imputed[take].sum()),
        "bad_cells": bad_cells,
    }
    return Result(
        framework=fw,
        data=data,
        rows=rows,
        node_ids=tuple(node_ids),
        score_matrix=_take(scores, take),
        ranked={n: _take(r, take) for n, r in ranks.items()},
        stage_codes=_take(stage_codes, take),
        steps={k: _take(v, take) for k, v in prep.steps.items()},
        imputed=_take(prep.imputed, take),
        treat_codes=_take(prep.treat_codes, take),
        treat_labels=tuple(prep.treat_labels),
        weights=used_weights,
        provenance=provenance,
    )


def _rank_nodes(
    scores: np.ndarray, columns: list[int], node_ids: list[str], blocks: list[Block]
) -> dict[str, np.ndarray]:
    """Ranks of the nodes in ``columns`` of ``scores`` within each block (year): 1 = best."""
    ranks = {}
    for k in columns:
        col = np.full(len(scores), np.nan)
        for b in blocks:
            sel = _rows(b.rows, len(scores))
            col[sel] = rank_desc(scores[sel, k])
        ranks[node_ids[k]] = col
    return ranks


def _take(a: np.ndarray, take: slice | np.ndarray) -> np.ndarray:
    """The result's rows of ``a``: ``a`` itself when they are every row (no copy); a constant
    broadcast (flags of a stage that did nothing) stays a broadcast."""
    if isinstance(take, slice):
        return a
    out: np.ndarray
    if a.ndim and not a.flags.writeable and all(st == 0 for st in a.strides):
        out = np.broadcast_to(a.reshape(-1)[:1].reshape(()), (len(take), *a.shape[1:]))
    else:
        out = a[take]
    return out


def _score_blocks(
    plan: Plan, normalized: Normalized, out: np.ndarray, pos: dict[str, int]
) -> tuple[dict[tuple[int | None, str], dict[str, float]], list[dict[str, Any]]]:
    """The group scores of ``out`` (``(N, nodes)``, column ``pos[node]``; its indicator
    columns hold the normalised values, ``normalized.values`` is ``out``), each block weighted
    and aggregated on its own. Returns the weights used, keyed ``(year, group)`` (year None
    for a cross-section), and the bad cells found (:func:`bad_cell_records`)."""
    fw = plan.framework
    blocks = normalized.blocks
    used: dict[tuple[int | None, str], dict[str, float]] = {}
    records: list[dict[str, Any]] = []
    aggregators = plan.aggregators()
    for b in blocks:
        weights = plan.weight_functions(b.year, used)
        refused: dict[str, np.ndarray] = {}
        reasons: dict[str, MethodError] = {}
        limits: dict[str, np.ndarray] = {}
        tree = plan.score(
            normalized,
            b.rows,
            weights,
            aggregators=aggregators,
            refused=refused,
            reasons=reasons,
            limits=limits,
        )
        for g in fw.groups:
            out[b.rows, pos[g.id]] = tree[g.id]
        records += bad_cell_records(plan, normalized, b, refused, reasons, limits)
    return used, records


def bad_cell_records(
    plan: Plan,
    normalized: Normalized,
    block: Block,
    refused: dict[str, np.ndarray],
    reasons: dict[str, MethodError],
    limits: dict[str, np.ndarray],
) -> list[dict[str, Any]]:
    """The bad cells of one block (docs/troubleshooting.md), as provenance records for the warnings.

    Each record: ``kind`` (``"domain"``: a value outside its transform's domain, the unit NaN
    from that indicator up; ``"refused"``: a value the group's aggregator cannot take, e.g. a
    negative under a geometric mean, the unit NaN from that group up; ``"zero"``: a zero under a
    geometric or harmonic mean, which scores 0, its limit), ``node``, ``method``, ``what``,
    ``hint``, ``year`` and ``rows`` (dataset rows).
    """
    fw = plan.framework
    out: list[dict[str, Any]] = []
    bad = normalized.prepared.bad_cells
    notes = normalized.prepared.bad_notes or {}
    if bad is not None:
        for j, ind in enumerate(fw.indicators):
            hit = block.rows[bad[block.rows, j]]
            if hit.size and str(j) in notes:
                spec, what, hint = notes[str(j)]
                out.append(
                    {
                        "kind": "domain",
                        "node": ind.id,
                        "method": spec,
                        "what": what,
                        "hint": hint,
                        "year": block.year,
                        "rows": hit.tolist(),
                    }
                )
    for g in fw.groups:
        mask = refused.get(g.id)
        if mask is not None and np.asarray(mask).any():
            hit = block.rows[np.asarray(mask).reshape(-1, len(block.rows)).any(axis=0)]
            err = reasons.get(g.id)
            out.append(
                {
                    "kind": "refused",
                    "node": g.id,
                    "method": plan.aggregate_calls[g.id].spec(),
                    "what": err.what if err else "the aggregation method refused the values",
                    "hint": (
                        err.hint
                        if err and err.hint
                        else "normalise onto a positive scale, e.g. --normalize "
                        "'minmax(low=1, high=100)', or aggregate with 'arithmetic'"
                    ),
                    "year": block.year,
                    "rows": hit.tolist(),
                }
            )
        zero = limits.get(g.id)
        if zero is not None and np.asarray(zero).any():
            hit = block.rows[np.asarray(zero).reshape(-1, len(block.rows)).any(axis=0)]
            spec = plan.aggregate_calls[g.id].spec()
            out.append(
                {
                    "kind": "zero",
                    "node": g.id,
                    "method": spec,
                    "what": f"a child at 0 makes the {spec} mean 0 (its limit), whatever the other children",
                    "hint": "if a 0 is not meant to veto the group, normalise onto a "
                    "positive scale, e.g. --normalize 'minmax(low=1, high=100)', "
                    "or aggregate with 'arithmetic'",
                    "year": block.year,
                    "rows": hit.tolist(),
                }
            )
    return out


def _classify(
    plan: Plan, blocks: list[Block], index: np.ndarray, index_ranks: np.ndarray
) -> tuple[MethodCall | None, np.ndarray]:
    """Stage codes of every row (-1: none), by the framework's rule or ``choices.stages``."""
    codes = np.full(len(plan.data), -1, dtype=int)
    rule, call = plan.framework.stages, plan.stage_call
    if rule is None or call is None:
        return None, codes
    for b in blocks:
        codes[b.rows] = run_method(call, "stages", index[b.rows], index_ranks[b.rows], len(rule.labels))
    return call, codes
