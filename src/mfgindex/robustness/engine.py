"""The engine: many runs of the pipeline's :class:`~mfgindex.pipeline.Plan` under sampled
choices, each combination of categorical choices prepared and normalised once and its runs
scored together as a batch of weight vectors."""

from __future__ import annotations

from collections.abc import Callable, Mapping
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

__all__ = [
    "DEFAULT_MAX_MEMORY",
    "Combination",
    "Engine",
    "RunPlan",
    "Scored",
    "Tally",
    "add_rank_counts",
    "check_invalid",
    "finish",
    "plan_runs",
    "rank_rows",
    "run_design",
    "score_part",
]

#: The default working-memory budget of an analysis (bytes): chunks of runs, the rank counts
#: and any kept per-run table must fit in it. Well below the RAM of a laptop.
DEFAULT_MAX_MEMORY = 512 << 20


def rank_rows(scores: np.ndarray) -> np.ndarray:
    """Ranks within each row of ``(r, n)`` scores: 1 = highest, ties share the lowest rank,
    NaN stays NaN — R's ``rank(-x, ties.method = "min", na.last = "keep")`` per run
    (:func:`mfgindex.methods.base.rank_min`).
    """
    return rank_min(scores, axis=-1, descending=True)


def add_rank_counts(counts: np.ndarray, ranks: np.ndarray) -> None:
    r"""Add the ranks of a chunk of runs ``(b, n)`` to the per-unit rank counts ``(n, n)``:
    ``counts[u, k - 1]`` is the number of runs in which unit ``u`` ranked ``k``
    (NaN: unranked, not counted).

    Ranks are integers :math:`1 \dots n` (ties share the lowest), so the counts hold the
    whole distribution of every unit's rank over any number of runs in :math:`n^2` integers:
    median, quantiles and mean shifts follow exactly (:class:`UncertaintyResult`).
    """
    n = counts.shape[0]
    ok = ~np.isnan(ranks)
    if not ok.any():
        return
    unit = np.broadcast_to(np.arange(n), ranks.shape)[ok]
    cell = unit * n + (ranks[ok].astype(np.int64) - 1)
    if n * n <= 1 << 22:  # a dense bincount of n² cells (32 MB at most)
        counts.reshape(-1)[:] += np.bincount(cell, minlength=n * n).astype(counts.dtype)
    else:
        np.add.at(counts.reshape(-1), cell, 1)


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

    def __init__(
        self, fw: Framework, data: Dataset, spec: UncertaintySpec, base: Choices, year: int | None
    ) -> None:
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
            raise UsageError("uncertainty analysis scores one year at a time", hint="give year=... (--year)")
        rows = prep.blocks[0].rows
        normalized = plan.normalize(prep)
        aggregators = plan.aggregators()
        # Base weights: the weight method on this combination's nominal tree (data-driven
        # methods give different weights for different normalisations).
        used: dict[tuple[int | None, str], dict[str, float]] = {}
        year = prep.blocks[0].year
        plan.score(normalized, rows, plan.weight_functions(year, used), aggregators=aggregators, refused={})
        weights = {g: np.array([used[(year, g)][c] for c in self.fw.children(g)]) for g in self.groups}
        bad = prep.bad_cells
        reason = "; ".join(
            f"'{self.fw.indicators[int(j)].id}': {what}" for j, (_, what, _) in (prep.bad_notes or {}).items()
        )
        combo = Combination(
            key,
            rows,
            normalized.values[rows],
            aggregators,
            {g: c.spec() for g, c in plan.aggregate_calls.items()},
            weights,
            None if bad is None else bad[rows],
            reason,
        )
        self._combos[key] = combo
        return combo

    # -- scoring ------------------------------------------------------------------------------
    def score(
        self,
        key: tuple[str, ...],
        factors: np.ndarray | None,
        excluded: np.ndarray | None,
        *,
        limits: dict[str, np.ndarray] | None = None,
    ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Index scores ``(r, n)`` of ``r`` runs of one combination, and the refused masks.

        Units refused by an aggregator (a negative under a geometric mean) or with a bad cell
        (a log of 0) score NaN, run by run (docs/troubleshooting.md); the others are scored.

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
            tree = aggregate_tree(
                self.fw,
                combo.normalised,
                weights,
                combo.aggregators,
                self.threshold,
                refused=refused,
                poisoned=combo.bad_cells,
                limits=zeros if limits is not None else None,
            )
        root = np.broadcast_to(tree[self.fw.id], (r, len(combo.rows)))
        if combo.rows is not self.rows and not np.array_equal(combo.rows, self.rows):
            # screening kept other units under these choices: rank the nominal units only
            out = np.full((r, len(self.rows)), np.nan)
            take = [
                (i, self.row_pos[int(row)]) for i, row in enumerate(combo.rows) if int(row) in self.row_pos
            ]
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
    """What :func:`run_design` returns.

    ``scores`` / ``ranks``: ``(runs, n)`` per-run tables, None unless kept (``keep_runs``, or
    when the rank counts would not fit the memory budget). ``counts``: ``(n, n)`` rank counts
    of the counted runs (:func:`add_rank_counts`), None when not affordable. ``outputs``:
    ``(runs,)`` the per-run output of a sensitivity analysis, when asked for.
    """

    scores: np.ndarray | None  # (runs, n)
    ranks: np.ndarray | None  # (runs, n)
    valid: np.ndarray  # (runs,)
    invalid: pd.DataFrame
    runs: pd.DataFrame
    zeros: list[dict[str, Any]] = field(default_factory=list)  # zero-limit records per combination
    counts: np.ndarray | None = None  # (n, n) rank counts
    outputs: np.ndarray | None = None  # (runs,)


def _budget(max_memory: int | None) -> int:
    if max_memory is None:
        return DEFAULT_MAX_MEMORY
    if isinstance(max_memory, bool) or not isinstance(max_memory, int) or max_memory < 1 << 20:
        raise UsageError(
            f"max_memory must be a number of bytes of at least 1 MiB, got {max_memory!r}",
            where="max_memory",
            hint="e.g. max_memory=2**30 (--max-memory 1G)",
        )
    return max_memory


def run_design(
    engine: Engine,
    design: Design,
    *,
    chunk: int | None,
    progress: Progress | None,
    invalid: Invalid,
    keep_runs: bool = False,
    max_memory: int | None = None,
    counted: int | None = None,
    output: Callable[[np.ndarray], np.ndarray] | None = None,
) -> Scored:
    """Score every run of ``design``, chunk by chunk, in bounded memory.

    The steps are public so that another executor (the Dask path,
    :func:`mfgindex.scale.runs.run_design_dask`) goes through the same chunks with the same
    code: :func:`plan_runs`, then :func:`score_part` and :func:`check_invalid` per chunk, a
    :class:`Tally`, and :func:`finish`.

    Parameters
    ----------
    keep_runs
        Keep the ``(runs, n)`` scores and ranks (memory grows with the runs). Without it each
        chunk's ranks are added to the ``(n, n)`` rank counts and dropped.
    max_memory
        Working-memory budget in bytes (default :data:`DEFAULT_MAX_MEMORY`): the chunk size
        follows from it, and a kept table or the counts must fit in it (a
        :class:`UsageError` says which does not). When the counts do not fit (very many
        units) but the table does, the table is kept instead.
    counted
        Only runs ``0 … counted-1`` go into the counts (the A and B runs of a Sobol design);
        default every run.
    output
        Called with each chunk's ranks ``(b, n)``: its ``(b,)`` per-run outputs.
    """
    plan = plan_runs(engine, design, chunk=chunk, keep_runs=keep_runs, max_memory=max_memory)
    total = design.runs
    tally = Tally(
        total, len(engine.rows), plan.keep, plan.with_counts, total if counted is None else counted, output
    )
    problems: list[dict[str, Any]] = []
    zero_records: list[dict[str, Any]] = []
    done = 0
    for key, part in plan.chunks:
        factors, excluded = plan.inputs(design, part)
        root, zero_rec, refused_rec = score_part(engine, key, factors, excluded, len(part))
        check_invalid(zero_rec, refused_rec, invalid)
        zero_records += [zero_rec] if zero_rec is not None else []
        problems += [refused_rec] if refused_rec is not None else []
        tally.add(part, root)
        done += len(part)
        if progress is not None:
            progress(done, total)
    return finish(engine, design, plan, tally, problems, zero_records)


@dataclass
class RunPlan:
    """How a design's runs are gone through (:func:`plan_runs`): the combination key of each
    run, the indicator each leaves out, what is kept, and the chunks in order."""

    keys: np.ndarray  # (runs, stages) the categorical choices of each run, as text
    excluded_node: np.ndarray | None  # (runs,) node position left out, -1 for none
    keep: bool  # the (runs, n) tables are kept
    with_counts: bool  # the (n, n) rank counts are kept
    size: int  # runs per chunk
    chunks: list[tuple[tuple[str, ...], np.ndarray]]  # (combination key, its runs), in order

    def inputs(self, design: Design, part: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
        """The weight factors ``(b, nodes)`` and left-out nodes ``(b,)`` of the runs ``part``
        (None: no noise, nothing left out)."""
        factors = None
        if design.factors is not None and design.weight_draw is not None:
            factors = design.factors[design.weight_draw[part]]
        excluded = None if self.excluded_node is None else self.excluded_node[part]
        return factors, excluded


def plan_runs(
    engine: Engine, design: Design, *, chunk: int | None, keep_runs: bool, max_memory: int | None
) -> RunPlan:
    """The :class:`RunPlan` of ``design`` under the memory budget (:func:`run_design`'s
    parameters): each combination's runs, in text order of the combinations, cut into chunks
    of ``size`` runs."""
    spec = engine.spec
    total = design.runs
    nominal_key = engine.nominal_key()
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
    keep, with_counts, size = _memory_plan(len(engine.rows), total, kmax, keep_runs, max_memory, chunk)
    chunks = [
        (key, runs[start : start + size])
        for key, runs in _combinations(spec, design, nominal_key, total)
        for start in range(0, len(runs), size)
    ]
    return RunPlan(keys, excluded_node, keep, with_counts, size, chunks)


def score_part(
    engine: Engine,
    key: tuple[str, ...],
    factors: np.ndarray | None,
    excluded: np.ndarray | None,
    b: int,
) -> tuple[np.ndarray, dict[str, Any] | None, dict[str, Any] | None]:
    """Score ``b`` runs of the combination ``key``: their index scores ``(b, n)``, the record of
    the units a zero scored 0 and the record of the units left unscored (None: none).

    ``factors`` ``(b, nodes)`` and ``excluded`` ``(b,)``: as for :meth:`Engine.score`. Never
    raises for an invalid combination: :func:`check_invalid` applies the policy.
    """
    root, refused, limits = _score_chunk(engine, key, factors, excluded, b)
    return root, _zero_check(engine, key, limits, b), _refused_check(engine, key, refused, b)


def finish(
    engine: Engine,
    design: Design,
    plan: RunPlan,
    tally: Tally,
    problems: list[dict[str, Any]],
    zero_records: list[dict[str, Any]],
) -> Scored:
    """The :class:`Scored` of a design from its tally and the chunks' records, in chunk order
    (records of the same combination are summed)."""
    return Scored(
        tally.scores,
        tally.ranks,
        tally.valid,
        _invalid_frame(problems),
        _runs_frame(engine, design, plan.keys, plan.excluded_node, tally.valid),
        _merge_zeros(zero_records),
        tally.counts,
        tally.outputs,
    )


def _memory_plan(
    n: int, total: int, kmax: int, keep_runs: bool, max_memory: int | None, chunk: int | None
) -> tuple[bool, bool, int]:
    """Whether the per-run tables are kept, whether rank counts are, and the runs per chunk,
    under the budget ``max_memory`` (:func:`run_design`)."""
    budget = _budget(max_memory)
    counts_bytes, table_bytes = n * n * 8, total * n * 16
    keep = keep_runs
    if not keep and counts_bytes > budget // 2:
        if table_bytes > budget // 2:
            raise UsageError(
                f"{n:,} units: their rank counts need {counts_bytes / 2**30:.1f} GiB and "
                f"{total:,} runs' ranks {table_bytes / 2**30:.1f} GiB, above the memory "
                f"budget ({budget / 2**30:.2f} GiB)",
                where="max_memory",
                hint="raise --max-memory, or analyse fewer units or runs",
            )
        keep = True  # few runs of many units: the table is the smaller
    if keep and table_bytes > budget // 2:
        raise UsageError(
            f"keeping every run ({total:,} runs x {n:,} units) needs "
            f"{table_bytes / 2**30:.2f} GiB, above the memory budget ({budget / 2**30:.2f} GiB)",
            where="keep_runs",
            hint="leave out keep_runs (--keep-runs): the rank statistics need no per-run "
            "table; or raise --max-memory",
        )
    # a chunk's temporaries: about 8 arrays of (runs, n, k) floats in the aggregators
    size = chunk or max(1, min(1 << 16, (budget // 4) // max(1, 64 * n * kmax)))
    return keep, counts_bytes <= budget // 2, size


class Tally:
    """What :func:`run_design` keeps of each chunk: validity, rank counts, per-run outputs and
    (when kept) the per-run tables."""

    def __init__(
        self,
        total: int,
        n: int,
        keep: bool,
        with_counts: bool,
        counted: int,
        output: Callable[[np.ndarray], np.ndarray] | None = None,
    ) -> None:
        self.scores = np.full((total, n), np.nan) if keep else None
        self.ranks = np.full((total, n), np.nan) if keep else None
        self.counts = np.zeros((n, n), dtype=np.int64) if with_counts else None
        self.outputs = np.full(total, np.nan) if output is not None else None
        self.valid = np.ones(total, dtype=bool)
        self.counted, self.output = counted, output

    def add(self, part: np.ndarray, root: np.ndarray) -> None:
        """Tally the index scores ``root`` ``(b, n)`` of the runs ``part``: validity, ranks
        (counted, kept) and outputs."""
        self.valid[part] = ~np.isnan(root).all(axis=1)
        ranks = rank_rows(root)
        if self.scores is not None and self.ranks is not None:
            self.scores[part] = root
            self.ranks[part] = ranks
        if self.counts is not None:
            add_rank_counts(self.counts, ranks[part < self.counted])
        if self.outputs is not None and self.output is not None:
            self.outputs[part] = self.output(ranks)


def _combinations(
    spec: UncertaintySpec, design: Design, nominal_key: tuple[str, ...], total: int
) -> list[tuple[tuple[str, ...], np.ndarray]]:
    """Each combination of categorical choices (its key, in text order) and its runs. The
    key of a run is one integer from the stages' codes (not a text table: at a million runs,
    text keys were the largest array of the analysis)."""
    code = np.zeros(total, dtype=np.int64)
    level_names: list[list[str]] = []
    for s in STAGES:
        if s in design.codes:
            levels = [str(c) for c in spec.choices(s)]
            code = code * len(levels) + design.codes[s]
        else:
            levels = [str(nominal_key[STAGES.index(s)])]
        level_names.append(levels)
    unique_codes, inverse = np.unique(code, return_inverse=True)
    order = np.argsort(inverse, kind="stable")
    bounds = np.searchsorted(inverse[order], np.arange(len(unique_codes) + 1))

    def decode(value: int) -> tuple[str, ...]:
        parts = []
        for levels in reversed(level_names):
            parts.append(levels[value % len(levels)])
            value //= len(levels)
        return tuple(reversed(parts))

    combos = sorted((decode(int(c)), u) for u, c in enumerate(unique_codes))
    return [(key, order[bounds[u] : bounds[u + 1]]) for key, u in combos]


def _score_chunk(
    engine: Engine, key: tuple[str, ...], factors: np.ndarray | None, excl: np.ndarray | None, b: int
) -> tuple[np.ndarray, dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Index scores ``(b, n)`` of ``b`` runs of one combination, the refused masks and the
    zero-limit masks per group."""
    n = len(engine.rows)
    limits: dict[str, np.ndarray] = {}
    if factors is None and excl is None:  # every run the same: score once
        root, refused = engine.score(key, None, None, limits=limits)
        root = np.broadcast_to(root[0], (b, n))
        refused = {g: np.broadcast_to(m, (b, n)) for g, m in refused.items()}
        limits = {g: np.broadcast_to(m, (b, n)) for g, m in limits.items()}
    else:
        root, refused = engine.score(key, factors, excl, limits=limits)
    return root, refused, limits


def _zero_check(
    engine: Engine, key: tuple[str, ...], limits: Mapping[str, np.ndarray], b: int
) -> dict[str, Any] | None:
    """A chunk's zero-limit record (a zero under a geometric/harmonic mean scores 0, reported),
    or None."""
    if not limits:
        return None
    n = len(engine.rows)
    at_zero = np.zeros((b, n), dtype=bool)
    for m in limits.values():
        at_zero |= np.broadcast_to(m, (b, n))
    if not at_zero.any():
        return None
    return _zero_record(engine, key, limits, at_zero)


def _refused_check(
    engine: Engine, key: tuple[str, ...], refused: Mapping[str, np.ndarray], b: int
) -> dict[str, Any] | None:
    """Bad cells (docs/troubleshooting.md): the units refused in a run are NaN in that run
    (unranked), the others ranked among themselves; a run is invalid only when no unit is
    scored. The chunk's record of them, or None."""
    n = len(engine.rows)
    affected = np.broadcast_to(engine.bad_units(key), (b, n)).copy()
    for m in refused.values():
        affected |= np.broadcast_to(m, (b, n))
    if not affected.any():
        return None
    return _describe(engine, key, engine.combination(key), refused, affected)


def check_invalid(
    zero_rec: dict[str, Any] | None, refused_rec: dict[str, Any] | None, invalid: Invalid
) -> None:
    """Apply the ``invalid`` policy to a chunk's records (:func:`score_part`): with
    ``"raise"`` (``--strict``), a zero under a geometric or harmonic mean, then a unit left
    unscored, is a :class:`MethodError` naming the combination and the units.

    Raises
    ------
    MethodError
        ``invalid == "raise"`` and the chunk has a record.
    """
    if invalid != "raise":
        return
    if zero_rec is not None:
        choices = ", ".join(
            f"{s}={v}" for s, v in zero_rec["choices"].items() if v != "(base)" or s == "aggregate"
        )
        raise MethodError(
            f"invalid combination: {choices}: a child at 0 makes the "
            f"{zero_rec['methods']} mean 0 (its limit) in {zero_rec['groups']} "
            f"(units: {', '.join(list(zero_rec['unit_runs'])[:10])})",
            hint="normalise onto a positive scale (e.g. minmax(low=1, "
            "high=100)) before a geometric mean, or use invalid='drop' "
            "(--invalid drop) to score those units 0, with a warning",
        )
    if refused_rec is not None:
        raise MethodError(
            f"invalid combination: {refused_rec['choices']}: {refused_rec['reason']} "
            f"(units: {refused_rec['units']})",
            hint="choose methods that fit together (e.g. minmax(low=1, high=100) "
            "before a geometric mean), or use invalid='drop' (--invalid drop) "
            "to leave those units unscored in those runs",
        )


def _zero_record(
    engine: Engine, key: tuple[str, ...], limits: Mapping[str, np.ndarray], at_zero: np.ndarray
) -> dict[str, Any]:
    """One chunk's units scored 0 by a zero under a geometric or harmonic mean."""
    units = engine.data.units[engine.rows]
    per_unit = at_zero.sum(axis=0)
    combo = engine.combination(key)
    groups = sorted(g for g, m in limits.items() if np.asarray(m).any())
    return {
        "choices": {s: key[i] or "(base)" for i, s in enumerate(STAGES)},
        "methods": " / ".join(sorted({combo.agg_specs[g] for g in groups})),
        "groups": ", ".join(groups),
        "runs": int(at_zero.any(axis=1).sum()),
        "unit_runs": {str(units[i]): int(per_unit[i]) for i in np.flatnonzero(per_unit)},
    }


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


def _describe(
    engine: Engine,
    key: tuple[str, ...],
    combo: Combination,
    refused: Mapping[str, np.ndarray],
    affected: np.ndarray,
) -> dict[str, Any]:
    """One chunk's record of the units left unscored: the choices, how many runs, which units
    how often, which groups and why."""
    units = engine.data.units[engine.rows]
    per_unit = affected.sum(axis=0)
    hit = np.flatnonzero(per_unit)
    groups = sorted(g for g, m in refused.items() if np.asarray(m).any())
    methods = sorted({combo.agg_specs[g] for g in groups})
    reasons = []
    if groups:
        reasons.append(f"{' / '.join(methods)} refused the values of units in {', '.join(groups)}")
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
        row = merged.setdefault(
            k, {**{c: p[c] for c in (*STAGES, "groups", "reason")}, "runs": 0, "unit_runs": {}}
        )
        row["runs"] += p["runs"]
        for u, c in p["unit_runs"].items():
            row["unit_runs"][u] = row["unit_runs"].get(u, 0) + c
    rows = [
        {**r, "units": ", ".join(r["unit_runs"]), "n_units": len(r["unit_runs"])} for r in merged.values()
    ]
    return pd.DataFrame(rows)[cols]


def _runs_frame(
    engine: Engine, design: Design, keys: np.ndarray, excluded_node: np.ndarray | None, valid: np.ndarray
) -> pd.DataFrame:
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
