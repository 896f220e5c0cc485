"""One run of the :class:`~mfgindex.pipeline.Plan`: scores, ranks, stages and provenance."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from mfgindex._version import __version__
from mfgindex.methods.registry import MethodCall, is_none, resolve
from mfgindex.pipeline.tree import rank_desc, run_method

if TYPE_CHECKING:
    from mfgindex.data import Dataset
    from mfgindex.framework import Framework
    from mfgindex.pipeline.plan import Normalized, Plan
    from mfgindex.years import Block
    from mfgindex.result import Result

__all__ = ["run_once", "sources"]


def sources(framework: Framework, data: Dataset) -> dict[str, dict[str, Any]]:
    """The provenance record of the framework and the data: file, SHA-256, …"""
    fw = framework
    return {
        "framework": {"id": fw.id, "version": fw.version,
                      "file": str(fw.path) if fw.path else None, "sha256": fw.digest},
        "data": {"file": data.source, "sha256": data.digest, "rows": len(data)},
    }


def run_once(plan: Plan) -> Result:
    """prepare → normalize → weight and score each block (year) → rank → classify."""
    from mfgindex.result import Result

    fw, data = plan.framework, plan.data
    prep = plan.prepare()
    normalized = plan.normalize(prep)
    record = prep.record | {"normalize": normalized.specs, "fit_on": plan.choices.fit_on}
    node_ids = [n.id for n in fw.walk()]
    scores, used_weights = _score_blocks(plan, normalized, node_ids)
    record["aggregate"] = {g: c.spec() for g, c in plan.aggregate_calls.items()}
    record["weights"] = {g: c.spec() for g, c in plan.weight_calls.items()}
    record["min_coverage"] = plan.threshold

    blocks = prep.blocks
    rows = np.concatenate([b.rows for b in blocks]) if blocks else np.array([], dtype=int)
    rows.sort()
    ranks = np.full(scores.shape, np.nan)
    for b in blocks:
        ranks[b.rows] = rank_desc(scores[b.rows])
    stage_call, stage_codes = _classify(plan, blocks, scores[:, node_ids.index(fw.id)],
                                        ranks[:, node_ids.index(fw.id)])
    record["stages"] = stage_call.spec() if stage_call else "none"
    provenance = {
        "mfgindex": __version__,
        **sources(fw, data),
        "year": plan.year,
        "years": [b.year for b in blocks if b.year is not None],
        "methods": record,
        "fitted": normalized.fitted,
        "weights": [{"year": year, "group": group, "weights": w}
                    for (year, group), w in used_weights.items()],
        "removed_units": prep.removed,
        "treatment": prep.treat_details,
        "imputed_cells": int(prep.imputed[rows].sum()),
    }
    return Result(
        framework=fw,
        data=data,
        rows=rows,
        node_ids=tuple(node_ids),
        score_matrix=scores[rows],
        rank_matrix=ranks[rows],
        stage_codes=stage_codes[rows],
        steps={k: v[rows] for k, v in prep.steps.items()} | {"normalized": normalized.values[rows]},
        imputed=prep.imputed[rows],
        treated=prep.treated[rows],
        weights=used_weights,
        provenance=provenance,
    )


def _score_blocks(
    plan: Plan, normalized: Normalized, node_ids: list[str]
) -> tuple[np.ndarray, dict[tuple[int | None, str], dict[str, float]]]:
    """``(N, nodes)`` scores, each block weighted and aggregated on its own; the weights used,
    keyed ``(year, group)`` (year None for a cross-section)."""
    fw = plan.framework
    blocks = normalized.blocks
    out = np.full((len(plan.data), len(node_ids)), np.nan)
    pos = {n: k for k, n in enumerate(node_ids)}
    for j, ind in enumerate(fw.indicators):
        out[:, pos[ind.id]] = normalized.values[:, j]
    used: dict[tuple[int | None, str], dict[str, float]] = {}
    aggregators = plan.aggregators()
    for b in blocks:
        weights = plan.weight_functions(b.year, used)
        tree = plan.score(normalized, b.rows, weights, aggregators=aggregators)
        for g in fw.groups:
            out[b.rows, pos[g.id]] = tree[g.id]
    return out, used


def _classify(plan: Plan, blocks: list[Block], index: np.ndarray,
              index_ranks: np.ndarray) -> tuple[MethodCall | None, np.ndarray]:
    """Stage codes of every row (-1: none), by the framework's rule or ``choices.stages``."""
    codes = np.full(len(plan.data), -1, dtype=int)
    rule = plan.framework.stages
    chosen = plan.choices.stages
    if rule is None or is_none(chosen):
        return None, codes
    call = resolve("classify", chosen if chosen is not None else rule.method)
    for b in blocks:
        codes[b.rows] = run_method(call, "stages", index[b.rows], index_ranks[b.rows],
                                   len(rule.labels))
    return call, codes
