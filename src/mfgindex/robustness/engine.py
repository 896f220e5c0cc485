"""The engine: many runs of the pipeline's :class:`~mfgindex.pipeline.Plan` under sampled
choices, each combination of categorical choices prepared and normalised once and its runs
scored together as a batch of weight vectors."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from mfgindex.errors import MethodError, UsageError
from mfgindex.methods.base import rank_min
from mfgindex.pipeline.tree import AggregateStep, aggregate_tree
from mfgindex.robustness.spec import STAGES, Invalid, Progress, UncertaintySpec

if TYPE_CHECKING:
    import pandas as pd

    from mfgindex.data import Dataset
    from mfgindex.framework import Framework
    from mfgindex.pipeline import Choices, Prepared
    from mfgindex.robustness.design import Design

__all__ = ["Combination", "Engine", "Scored", "rank_rows", "run_design"]


def rank_rows(scores: np.ndarray) -> np.ndarray:
    """Ranks within each row of ``(r, n)`` scores: 1 = highest, ties share the lowest rank,
    NaN stays NaN — R's ``rank(-x, ties.method = "min", na.last = "keep")`` per run
    (:func:`mfgindex.methods.base.rank_min`).
    """
    return rank_min(scores, axis=-1, descending=True)




@dataclass
class Combination:
    """One combination of categorical choices, prepared and normalised once."""

    key: tuple[str, ...]
    rows: np.ndarray  # dataset rows scored (screening may differ between combinations)
    normalised: np.ndarray  # (len(rows), m)
    aggregators: dict[str, AggregateStep]
    agg_specs: dict[str, str]
    weights: dict[str, np.ndarray]  # base weights per group, (k,)
    bad_cells: np.ndarray | None = None  # (len(rows), m) cells outside a transform's domain
    bad_reason: str = ""  # what those cells are, for the report


class Engine:
    """Scores runs: categorical choices per run plus weight factors per weight-carrying node.

    The stage chain is the pipeline's :class:`~mfgindex.pipeline.Plan`: each combination of
    the varied stages is the base plan with those choices changed, prepared (cached per
    imputation × treatment) and normalised once.
    """

    def __init__(self, fw: Framework, data: Dataset, spec: UncertaintySpec,
                 base: Choices, year: int | None) -> None:
        from mfgindex.pipeline import Plan

        self.fw, self.data, self.spec, self.base, self.year = fw, data, spec, base, year
        self.plan = Plan(fw, data, base, year=year)
        self.threshold = self.plan.threshold
        self.groups = [g.id for g in fw.groups]
        # weight-carrying nodes (every node but the index), in a fixed order
        self.nodes = [n.id for n in fw.walk() if n.parent is not None]
        self.node_pos = {nid: i for i, nid in enumerate(self.nodes)}
        self.cols = {g: np.array([self.node_pos[c] for c in fw.children(g)]) for g in self.groups}
        self._prepared: dict[tuple[str, str], Prepared] = {}
        self._combos: dict[tuple[str, ...], Combination] = {}
        nominal = self.combination(self.nominal_key())
        self.rows = nominal.rows
        self.row_pos = {int(r): i for i, r in enumerate(self.rows)}

    # -- combinations -----------------------------------------------------------------------
    def nominal_key(self) -> tuple[str, ...]:
        """The base choice of each varied stage ("" → the framework's own choice)."""
        return tuple(self.base.method(s) or "" for s in STAGES)

    def combination(self, key: tuple[str, ...]) -> Combination:
        if key in self._combos:
            return self._combos[key]
        plan = self.plan.with_choices(**{s: k or None for s, k in zip(STAGES, key, strict=True)})
        pkey = (plan.choices.impute or "", plan.choices.treat or "")
        if pkey not in self._prepared:
            self._prepared[pkey] = plan.prepare()
        prep = self._prepared[pkey]
        if len(prep.blocks) != 1:
            raise UsageError("uncertainty analysis scores one year at a time",
                             hint="give year=... (--year)")
        rows = prep.blocks[0].rows
        normalized = plan.normalize(prep)
        aggregators = plan.aggregators()
        # Base weights: the weight method on this combination's nominal tree (data-driven
        # methods give different weights for different normalisations).
        used: dict[tuple[int | None, str], dict[str, float]] = {}
        year = prep.blocks[0].year
        plan.score(normalized, rows, plan.weight_functions(year, used), aggregators=aggregators,
                   refused={})
        weights = {g: np.array([used[(year, g)][c] for c in self.fw.children(g)])
                   for g in self.groups}
        bad = prep.bad_cells
        reason = "; ".join(f"'{self.fw.indicators[int(j)].id}': {what}"
                           for j, (_, what, _) in (prep.bad_notes or {}).items())
        combo = Combination(key, rows, normalized.values[rows], aggregators,
                            {g: c.spec() for g, c in plan.aggregate_calls.items()}, weights,
                            None if bad is None else bad[rows], reason)
        self._combos[key] = combo
        return combo

    # -- scoring ------------------------------------------------------------------------------
    def score(self, key: tuple[str, ...], factors: np.ndarray | None,
              excluded: np.ndarray | None, *, limits: dict[str, np.ndarray] | None = None,
              ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Index scores ``(r, n)`` of ``r`` runs of one combination, and the refused masks.

        Units refused by an aggregator (a negative under a geometric mean) or with a bad cell
        (a log of 0) score NaN, run by run (DESIGN §5); the others are scored.

        ``factors`` ``(r, nodes)`` multiply the base weights (None: no noise); ``excluded``
        ``(r,)`` is the node position of the indicator left out, or -1 (None: nothing left out).
        ``limits``, a dict, receives per group the units a zero scored 0 (the limit of a
        geometric or harmonic mean; :func:`~mfgindex.pipeline.aggregate_tree`), as the
        nominal units.
        """
        combo = self.combination(key)
        r = len(factors) if factors is not None else len(excluded) if excluded is not None else 1
        weights: dict[str, np.ndarray] = {}
        for g in self.groups:
            base = combo.weights[g]
            cols = self.cols[g]
            w: np.ndarray = base
            if factors is not None and not np.all(factors[:, cols] == 1.0):
                w = base * factors[:, cols]
            if excluded is not None:
                hit = excluded[:, None] == cols[None, :]
                if hit.any():
                    w = np.where(hit, 0.0, np.broadcast_to(w, (r, len(cols))))
            weights[g] = w
        refused: dict[str, np.ndarray] = {}
        zeros: dict[str, np.ndarray] = {}
        with np.errstate(all="ignore"):
            tree = aggregate_tree(self.fw, combo.normalised, weights, combo.aggregators,
                                  self.threshold, refused=refused, poisoned=combo.bad_cells,
                                  limits=zeros if limits is not None else None)
        root = np.broadcast_to(tree[self.fw.id], (r, len(combo.rows)))
        if combo.rows is not self.rows and not np.array_equal(combo.rows, self.rows):
            # screening kept other units under these choices: rank the nominal units only
            out = np.full((r, len(self.rows)), np.nan)
            take = [(i, self.row_pos[int(row)]) for i, row in enumerate(combo.rows)
                    if int(row) in self.row_pos]
            if take:
                src, dst = map(np.array, zip(*take, strict=True))
                out[:, dst] = root[:, src]
            root = out
            refused = {g: _remap(m, combo.rows, self.row_pos, len(self.rows)) for g, m in refused.items()}
            zeros = {g: _remap(m, combo.rows, self.row_pos, len(self.rows)) for g, m in zeros.items()}
        if limits is not None:
            limits.update(zeros)
        return np.array(root), refused

    def bad_units(self, key: tuple[str, ...]) -> np.ndarray:
        """``(n,)`` the nominal units with a bad cell (outside a transform's domain) under the
        combination ``key``: NaN in every run of it."""
        combo = self.combination(key)
        if combo.bad_cells is None:
            return np.zeros(len(self.rows), dtype=bool)
        return _remap(np.asarray(combo.bad_cells.any(axis=1)), combo.rows, self.row_pos, len(self.rows))


def _remap(mask: np.ndarray, rows: np.ndarray, pos: Mapping[int, int], n: int) -> np.ndarray:
    out = np.zeros((*mask.shape[:-1], n), dtype=bool)
    for i, row in enumerate(rows):
        if int(row) in pos:
            out[..., pos[int(row)]] = mask[..., i]
    return out



@dataclass
class Scored:
    scores: np.ndarray  # (runs, n)
    ranks: np.ndarray  # (runs, n)
    valid: np.ndarray  # (runs,)
    invalid: pd.DataFrame
    runs: pd.DataFrame
    zeros: list[dict[str, Any]] = field(default_factory=list)  # zero-limit records per combination


def run_design(engine: Engine, design: Design, *, chunk: int | None,
                progress: Progress | None, invalid: Invalid) -> Scored:
    spec = engine.spec
    total = design.runs
    n = len(engine.rows)
    nominal_key = engine.nominal_key()
    # the categorical key of each run
    key_cols = []
    for s in STAGES:
        if s in design.codes:
            key_cols.append(np.array(spec.choices(s), dtype=object)[design.codes[s]])
        else:
            key_cols.append(np.full(total, nominal_key[STAGES.index(s)], dtype=object))
    keys = np.stack(key_cols, axis=1) if total else np.empty((0, len(STAGES)), dtype=object)
    excluded_node = None
    if "exclude" in design.codes:
        lookup = np.array([-1] + [engine.node_pos[i] for i in spec.exclude])
        excluded_node = lookup[design.codes["exclude"]]

    kmax = max(len(engine.fw.children(g)) for g in engine.groups)
    size = chunk or max(1, min(4096, (1 << 22) // max(1, n * kmax)))
    scores = np.full((total, n), np.nan)
    valid = np.ones(total, dtype=bool)
    problems: list[dict[str, Any]] = []
    zero_records: list[dict[str, Any]] = []
    done = 0
    unique_keys, inverse = np.unique(keys.astype(str), axis=0, return_inverse=True)
    for u, ukey in enumerate(unique_keys):
        runs = np.flatnonzero(inverse.ravel() == u)
        key = tuple(str(k) for k in ukey)
        for start in range(0, len(runs), size):
            part = runs[start : start + size]
            factors = None
            if design.factors is not None and design.weight_draw is not None:
                factors = design.factors[design.weight_draw[part]]
            excl = None if excluded_node is None else excluded_node[part]
            limits: dict[str, np.ndarray] = {}
            if factors is None and excl is None:
                root, refused = engine.score(key, None, None, limits=limits)
                root = np.broadcast_to(root[0], (len(part), n))
                refused = {g: np.broadcast_to(m, (len(part), n)) for g, m in refused.items()}
                limits = {g: np.broadcast_to(m, (len(part), n)) for g, m in limits.items()}
            else:
                root, refused = engine.score(key, factors, excl, limits=limits)
            if limits:  # a zero under a geometric/harmonic mean: 0, the limit (reported)
                at_zero = np.zeros((len(part), n), dtype=bool)
                for m in limits.values():
                    at_zero |= np.broadcast_to(m, (len(part), n))
                if at_zero.any():
                    rec = _zero_record(engine, key, limits, at_zero)
                    if invalid == "raise":  # strict: a zero veto is an error, as with --strict
                        choices = ", ".join(f"{s}={v}" for s, v in rec["choices"].items()
                                            if v != "(base)" or s == "aggregate")
                        raise MethodError(
                            f"invalid combination: {choices}: a child at 0 makes the "
                            f"{rec['methods']} mean 0 (its limit) in {rec['groups']} "
                            f"(units: {', '.join(list(rec['unit_runs'])[:10])})",
                            hint="normalise onto a positive scale (e.g. minmax(low=1, "
                                 "high=100)) before a geometric mean, or use invalid='drop' "
                                 "(--invalid drop) to score those units 0, with a warning")
                    zero_records.append(rec)
            # Bad cells (DESIGN §5): the units refused in a run are NaN in that run (unranked),
            # the others ranked among themselves; a run is invalid only when no unit is scored.
            affected = np.broadcast_to(engine.bad_units(key), (len(part), n)).copy()
            for m in refused.values():
                affected |= np.broadcast_to(m, (len(part), n))
            if affected.any():
                combo = engine.combination(key)
                record = _describe(engine, key, combo, refused, affected)
                if invalid == "raise":
                    raise MethodError(
                        f"invalid combination: {record['choices']}: "
                        f"{record['reason']} (units: {record['units']})",
                        hint="choose methods that fit together (e.g. minmax(low=1, high=100) "
                             "before a geometric mean), or use invalid='drop' (--invalid drop) "
                             "to leave those units unscored in those runs")
                problems.append(record)
            valid[part] = ~np.isnan(root).all(axis=1)
            scores[part] = root
            done += len(part)
            if progress is not None:
                progress(done, total)
    ranks = rank_rows(scores)
    runs_frame = _runs_frame(engine, design, keys, excluded_node, valid)
    invalid_frame = _invalid_frame(problems)
    return Scored(scores, ranks, valid, invalid_frame, runs_frame, _merge_zeros(zero_records))


def _zero_record(engine: Engine, key: tuple[str, ...], limits: Mapping[str, np.ndarray],
                 at_zero: np.ndarray) -> dict[str, Any]:
    """One chunk's units scored 0 by a zero under a geometric or harmonic mean."""
    units = engine.data.units[engine.rows]
    per_unit = at_zero.sum(axis=0)
    combo = engine.combination(key)
    groups = sorted(g for g, m in limits.items() if np.asarray(m).any())
    return {"choices": {s: key[i] or "(base)" for i, s in enumerate(STAGES)},
            "methods": " / ".join(sorted({combo.agg_specs[g] for g in groups})),
            "groups": ", ".join(groups), "runs": int(at_zero.any(axis=1).sum()),
            "unit_runs": {str(units[i]): int(per_unit[i]) for i in np.flatnonzero(per_unit)}}


def _merge_zeros(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The zero-limit records of each combination (and groups) summed over its chunks."""
    merged: dict[tuple[Any, ...], dict[str, Any]] = {}
    for rec in records:
        k = (*rec["choices"].values(), rec["groups"])
        row = merged.setdefault(k, {**rec, "runs": 0, "unit_runs": {}})
        row["runs"] += rec["runs"]
        for u, c in rec["unit_runs"].items():
            row["unit_runs"][u] = row["unit_runs"].get(u, 0) + c
    return list(merged.values())


def _describe(engine: Engine, key: tuple[str, ...], combo: Combination,
              refused: Mapping[str, np.ndarray], affected: np.ndarray) -> dict[str, Any]:
    """One chunk's record of the units left unscored: the choices, how many runs, which units
    how often, which groups and why."""
    units = engine.data.units[engine.rows]
    per_unit = affected.sum(axis=0)
    hit = np.flatnonzero(per_unit)
    groups = sorted(g for g, m in refused.items() if np.asarray(m).any())
    methods = sorted({combo.agg_specs[g] for g in groups})
    reasons = []
    if groups:
        reasons.append(f"{' / '.join(methods)} refused the values of units in "
                       f"{', '.join(groups)}")
    if combo.bad_reason and engine.bad_units(key).any():
        reasons.append(combo.bad_reason)
    choices = {s: key[i] or "(base)" for i, s in enumerate(STAGES)}
    text = ", ".join(f"{s}={v}" for s, v in choices.items() if v != "(base)" or s == "aggregate")
    return {
        **choices,
        "runs": int(affected.any(axis=1).sum()),
        "groups": ", ".join(groups),
        "n_units": len(hit),
        "units": ", ".join(str(units[i]) for i in hit),
        "unit_runs": {str(units[i]): int(per_unit[i]) for i in hit},
        "reason": "; ".join(reasons),
        "choices": text,
    }


def _invalid_frame(problems: list[dict[str, Any]]) -> pd.DataFrame:
    """One row per combination in which some units were left unscored: its choices, in how
    many runs, which units (``unit_runs``: unit → runs unscored), the groups and why."""
    import pandas as pd

    cols = [*STAGES, "runs", "groups", "n_units", "units", "unit_runs", "reason"]
    if not problems:
        return pd.DataFrame(columns=cols)
    merged: dict[tuple[Any, ...], dict[str, Any]] = {}
    for p in problems:  # chunks of the same combination are summed
        k = tuple(p[c] for c in (*STAGES, "groups", "reason"))
        row = merged.setdefault(k, {**{c: p[c] for c in (*STAGES, "groups", "reason")},
                                    "runs": 0, "unit_runs": {}})
        row["runs"] += p["runs"]
        for u, c in p["unit_runs"].items():
            row["unit_runs"][u] = row["unit_runs"].get(u, 0) + c
    rows = [{**r, "units": ", ".join(r["unit_runs"]), "n_units": len(r["unit_runs"])}
            for r in merged.values()]
    return pd.DataFrame(rows)[cols]


def _runs_frame(engine: Engine, design: Design, keys: np.ndarray,
                excluded_node: np.ndarray | None, valid: np.ndarray) -> pd.DataFrame:
    import pandas as pd

    out = pd.DataFrame({"run": np.arange(1, len(valid) + 1)})
    for name in design.inputs:
        if name == "weights" and design.weight_draw is not None:
            out["weights"] = design.weight_draw + 1
        elif name == "exclude":
            out["exclude"] = np.array(engine.spec.choices("exclude"), dtype=object)[design.codes[name]]
        else:
            out[name] = keys[:, STAGES.index(name)]
    out["valid"] = valid
    return out


