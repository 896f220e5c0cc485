"""The Plan: the one stage chain that compute, uncertainty, sensitivity and analysis all run.

``Plan(framework, data, choices, year=...)`` resolves every method once (an unknown method or a
bad parameter fails here, before any work), then runs in three steps:

* :meth:`Plan.prepare` — denominate → transform → impute → screen → treat: :class:`Prepared`;
* :meth:`Plan.normalize` — orient by direction, fit then apply normalisation: :class:`Normalized`;
* :meth:`Plan.score` — aggregate a block of units up the tree with given weights (``(k,)`` or a
  batch ``(r, k)`` per group).

:func:`mfgindex.compute` is :meth:`Plan.run`: the three steps once, per year block, then ranks
and stages. The robustness engine runs the same steps, caching :class:`Prepared` and
:class:`Normalized` per combination of choices and scoring many weight vectors at once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from mfgindex.errors import DataError, MethodError, UsageError
from mfgindex.methods.base import ColumnContext, UnitContext, flag_codes, flag_labels
from mfgindex.methods.registry import MethodCall, is_none, resolve, stage_info
from mfgindex.pipeline.choices import Choices, FitOn
from mfgindex.pipeline.tree import (
    AggregateStep,
    WeightsFor,
    _rows,
    aggregate_tree,
    run_method,
)
from mfgindex.years import Block, year_blocks

if TYPE_CHECKING:
    from mfgindex.data import Dataset
    from mfgindex.framework import Framework

__all__ = ["Normalized", "Plan", "Prepared"]


@dataclass
class Prepared:
    """Indicator values ready to normalise: the output of :meth:`Plan.prepare`.

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
        Intermediate datasets (``denominated``, ``imputed``, …: the stages that ran; the raw
        values are the dataset's) and the methods used, by stage. A step may be ``x`` itself
        until a later stage changes ``x`` (copy on write).
    imputed
        ``(N, m)`` cells filled by imputation: a read-only broadcast of False (no memory)
        while nothing is imputed.
    treat_codes, treat_labels
        The treatment flags, compactly: ``(N, m)`` small integer codes into ``treat_labels``
        (``treat_labels[0] == ""``: untouched; :func:`~mfgindex.methods.base.flag_codes`), a
        read-only broadcast of 0 (no memory) while nothing is treated. :attr:`treated` is
        the labels themselves.
    treat_details, removed
        Treatment details per indicator (and year); screened-out units and why.
    bad_cells
        ``(N, m)`` cells outside their transform's domain (a log of a zero): NaN, and their
        units score NaN on every node above (docs/troubleshooting.md); None when there are none.
    bad_notes
        Per indicator with bad cells (keyed by its position, as text): ``(method, what,
        hint)`` for the warning.
    """

    x: np.ndarray
    blocks: list[Block]
    transforms: list[MethodCall | None]
    steps: dict[str, np.ndarray]
    record: dict[str, Any]
    imputed: np.ndarray
    treat_codes: np.ndarray
    treat_details: dict[str, Any]
    removed: dict[str, str]
    bad_cells: np.ndarray | None = None
    bad_notes: dict[str, tuple[str, str, str]] | None = None
    treat_labels: list[Any] = field(default_factory=lambda: [""])

    @property
    def treated(self) -> np.ndarray:
        """``(N, m)`` treatment labels of every cell ("" = untouched), an object array."""
        return flag_labels(self.treat_codes, self.treat_labels)


@dataclass(frozen=True)
class Normalized:
    """Normalised indicators: the output of :meth:`Plan.normalize`.

    ``values`` is ``(N, m)`` (NaN outside the scored blocks); ``fitted`` the parameters learnt
    per indicator; ``specs`` the method string used for each indicator. With ``columns``,
    ``values`` is a wider matrix (the run's score matrix, :meth:`Plan.normalize` ``into=``)
    and indicator ``j`` is its column ``columns[j]``.
    """

    prepared: Prepared
    values: np.ndarray
    fitted: dict[str, Any]
    specs: dict[str, str]
    columns: tuple[int, ...] | None = None

    @property
    def blocks(self) -> list[Block]:
        return self.prepared.blocks


def _call(stage: str, spec: str | MethodCall | None) -> MethodCall | None:
    if spec is None or is_none(spec):
        return None
    return resolve(stage, spec)


class Plan:
    """The stage chain of one framework and dataset under one set of :class:`Choices`.

    Parameters
    ----------
    framework, data
        The framework and a dataset read against it.
    choices
        The run's choices (None: the framework's own everywhere).
    year
        Score only this year of a panel; without it a panel is scored year by year.

    Notes
    -----
    A choice given here wins over the framework's per-node settings and its ``[defaults]``,
    except an indicator's own ``treat`` (so ``treat = "none"`` exclusions always hold).
    """

    def __init__(
        self, framework: Framework, data: Dataset, choices: Choices | None = None, *, year: int | None = None
    ) -> None:
        # A run's ahp(file=...) judgements are read here, once (a method never reads files).
        framework = framework.with_judgements(choices.weights if choices else None)
        self.framework = framework
        self.data = data
        self.choices = choices or Choices()
        self.year = year
        self.blocks = _blocks(data, year)
        fw, ch = framework, self.choices
        self.threshold = framework.min_coverage if ch.min_coverage is None else ch.min_coverage
        self.aggregate_calls = _aggregators(fw, ch.aggregate)
        self.weight_calls = _weight_methods(fw, ch.weights)
        self.stage_call = _stage_rule(fw, ch.stages)
        #: the floating-point type of the values, normalised values and scores (Choices.dtype)
        self.dtype = np.dtype(ch.dtype or "float64")

    def with_choices(self, **changes: Any) -> Plan:
        """The same framework, data and year with some choices changed."""
        return Plan(self.framework, self.data, self.choices.replace(**changes), year=self.year)

    # -- prepare ------------------------------------------------------------------------------
    def prepare(self) -> Prepared:
        """Denominate → transform → impute → screen → treat, on every row of the dataset."""
        fw, data = self.framework, self.data
        # one (N, m) copy in column-major order (each indicator contiguous: the stages work
        # indicator by indicator), filled column by column (no column_stack temporaries)
        x = np.empty((len(data), len(fw.indicators)), dtype=self.dtype, order="F")
        with np.errstate(over="ignore"):  # a float32 overflow is refused just below
            for j, ind in enumerate(fw.indicators):
                x[:, j] = data.column(ind.column)  # a view of the dataset's matrix: no frame
        if x.dtype != np.float64:
            _check_range(x, fw.indicators, data.source, "the data")
        prep = Prepared(
            x=x,
            blocks=list(self.blocks),
            transforms=[],
            steps={},
            record={},
            imputed=_constant(x.shape, False),
            treat_codes=_constant(x.shape, np.int8(0)),
            treat_details={},
            removed={},
        )
        self._denominate(prep)
        self._transform(prep)
        ids = tuple(i.id for i in fw.indicators)
        # the text columns as held (Dataset.unit_columns would build a frame per column)
        groups = {c: np.array(data.text[:, k], dtype=object) for k, c in enumerate(data.text_columns)}
        ctx = UnitContext(units=data.units, years=data.years, groups=groups, ids=ids)
        self._impute(prep, ctx)
        self._screen(prep, ctx)
        self._treat(prep)
        return prep

    def _denominate(self, prep: Prepared) -> None:
        fw, data = self.framework, self.data
        indicators = fw.indicators
        has_denominators = any(i.denominator for i in indicators)
        spec = self.choices.denominate or fw.default("denominate")
        if spec is None and has_denominators:
            spec = "ratio"
        call = _call("denominate", spec) if has_denominators else None
        prep.record["denominate"] = call.spec() if call else "none"
        if call is None:
            return
        absent = sorted({i.denominator for i in indicators if i.denominator} - set(data.columns))
        if absent:
            raise DataError(
                f"no denominator column(s) {', '.join(absent)} in the data",
                where=data.source,
                hint="add the columns, or skip the stage with --denominate none "
                "if the data is already denominated",
            )
        dens = np.column_stack(
            [data.column(i.denominator) if i.denominator else np.full(len(data), np.nan) for i in indicators]
        )
        before = prep.x
        prep.x = _fresh(prep, call(prep.x, dens))
        prep.steps["denominated"] = prep.x  # copied before the next change (_own)
        # Bad cells (docs/troubleshooting.md): a value over a zero denominator is no measurement; that unit
        # is NaN from the indicator up, with a warning naming it (not a silent missing value).
        has = ~np.isnan(dens).all(axis=0)
        zero = (dens == 0) & ~np.isnan(before) & has[None, :]
        for j in np.flatnonzero(zero.any(axis=0)):
            ind = indicators[j]
            self._bad(
                prep,
                int(j),
                zero[:, j],
                call.spec(),
                f"its denominator '{ind.denominator}' is 0",
                f"check the {ind.denominator} cells of those units (0 may stand for a "
                "missing value: leave the cell empty), or skip the stage with "
                "--denominate none if the data is already denominated",
            )

    @staticmethod
    def _bad(prep: Prepared, j: int, mask: np.ndarray, spec: str, what: str, hint: str) -> None:
        """Mark the cells ``mask`` of indicator ``j`` as bad cells: NaN, and their units NaN
        on every node above (docs/architecture.md); ``what`` and ``hint`` make the warning."""
        if prep.bad_cells is None:
            prep.bad_cells = np.zeros(prep.x.shape, dtype=bool)
        prep.bad_cells[:, j] |= mask
        _own(prep)
        prep.x[mask, j] = np.nan
        notes = dict(prep.bad_notes or {})
        key = str(j)
        notes[key] = (
            (notes[key][0] + "; " + spec) if key in notes else spec,
            (notes[key][1] + "; " + what) if key in notes else what,
            (notes[key][2] + "; " + hint) if key in notes else hint,
        )
        prep.bad_notes = notes

    def _transform(self, prep: Prepared) -> None:
        # per indicator, from the framework only: a transform is part of what is measured
        indicators = self.framework.indicators
        from mfgindex.methods.transform import outside_domain

        prep.transforms = [_call("transform", i.transform) for i in indicators]
        for j, t in enumerate(prep.transforms):
            if t is not None:
                # Bad cells (docs/troubleshooting.md): a value outside the domain (a log of 0) makes that
                # unit's indicator NaN, and every node above it, with a warning -- not an error.
                outside = outside_domain(t.name, prep.x[:, j])
                if outside is not None:
                    mask, domain, hint = outside
                    self._bad(prep, j, mask, t.spec(), f"transform '{t.spec()}' needs values {domain}", hint)
                values = run_method(t, f"indicator '{indicators[j].id}'", prep.x[:, j])
                _own(prep)
                prep.x[:, j] = values
        if any(prep.transforms):
            prep.steps["transformed"] = prep.x
        prep.record["transform"] = {indicators[j].id: t.spec() for j, t in enumerate(prep.transforms) if t}

    def _impute(self, prep: Prepared, ctx: UnitContext) -> None:
        # the whole panel at once: 'latest' and 'interpolate' need every year
        call = _call("impute", self.choices.impute or self.framework.default("impute"))
        prep.record["impute"] = call.spec() if call else "none"
        if call is None:
            return
        before = np.isnan(prep.x)
        prep.x = _fresh(prep, run_method(call, "impute", prep.x, ctx))  # writable, our own
        if prep.bad_cells is not None:  # a bad cell is not a missing value: it stays NaN
            prep.x[prep.bad_cells] = np.nan
        prep.imputed = before & ~np.isnan(prep.x)
        prep.steps["imputed"] = prep.x

    def _screen(self, prep: Prepared, ctx: UnitContext) -> None:
        call = _call("screen", self.choices.screen or self.framework.default("screen"))
        prep.record["screen"] = call.spec() if call else "none"
        if call is None:
            return
        keep = np.zeros(len(self.data), dtype=bool)
        for b in prep.blocks:
            keep[b.rows] = True
        for b in prep.blocks:
            outcome = run_method(call, "screen", prep.x[b.rows], _sub_context(ctx, b.rows))
            for local, reason in outcome.reasons.items():
                label = str(self.data.units[b.rows[local]]) + (f" ({b.year})" if b.year else "")
                prep.removed[label] = reason
            keep[b.rows[~outcome.keep]] = False
        prep.blocks = [Block(b.year, b.rows[keep[b.rows]]) for b in prep.blocks]
        prep.steps["screened"] = prep.x

    def _treat(self, prep: Prepared) -> None:
        # An indicator's own `treat` setting wins (so `treat = "none"` exclusions always hold);
        # the others take the run's choice, else the framework's default.
        indicators = self.framework.indicators
        run_treat = self.choices.treat or self.framework.default("treat")
        calls = [_call("treat", ind.treat if ind.treat is not None else run_treat) for ind in indicators]
        for j, call in enumerate(calls):
            if call is None:
                continue
            iid = indicators[j].id
            positive_only = call.name == "boxcox" or (call.name == "log" and call.kwargs.get("rule") == "ln")
            for b in prep.blocks:
                sel = _rows(b.rows, len(prep.x))
                if positive_only:  # bad cells, as under transform = "log" (docs/troubleshooting.md)
                    col = prep.x[sel, j]
                    bad = np.zeros(len(prep.x), dtype=bool)
                    bad[sel] = ~np.isnan(col) & (col <= 0)
                    if bad.any():
                        self._bad(
                            prep,
                            j,
                            bad,
                            call.spec(),
                            f"treatment '{call.spec()}' needs values > 0",
                            "shift the data so every value is positive, or treat with "
                            "log(rule=log_CT), which shifts the values first (COINr's "
                            "rule)",
                        )
                outcome = run_method(call, f"indicator '{iid}'", prep.x[sel, j])
                _own(prep)
                prep.x[sel, j] = outcome.values
                codes = flag_codes(outcome.flags, prep.treat_labels)
                if codes is not None:  # the first flag: the code table is made now
                    if not prep.treat_codes.flags.writeable or codes.itemsize > prep.treat_codes.itemsize:
                        prep.treat_codes = np.array(prep.treat_codes, dtype=codes.dtype, order="F")
                    prep.treat_codes[sel, j] = codes
                prep.treat_details[iid if b.year is None else f"{iid} ({b.year})"] = dict(outcome.details)
        if any(calls):
            prep.steps["treated"] = prep.x
        specs = {indicators[j].id: c.spec() if c else "none" for j, c in enumerate(calls)}
        prep.record["treat"] = next(iter(specs.values())) if len(set(specs.values())) == 1 else specs

    # -- normalize ----------------------------------------------------------------------------
    def normalization_specs(self) -> list[str]:
        """The normalisation method string of each indicator (framework order)."""
        fw = self.framework
        default = fw.default("normalize") or f"minmax(low={fw.scale[0]:g}, high={fw.scale[1]:g})"
        return [self.choices.normalize or ind.normalize or default for ind in fw.indicators]

    def normalize(
        self, prepared: Prepared, *, into: np.ndarray | None = None, columns: tuple[int, ...] | None = None
    ) -> Normalized:
        """Orient (multiply by direction) and normalise, fitted as ``choices.fit_on`` says.

        Indicators sharing a method string are normalised together, one fit per reference.
        ``prepared.x`` is not changed (the robustness engine normalises one :class:`Prepared`
        under several methods).

        ``into`` (with ``columns``): write indicator ``j`` into column ``columns[j]`` of this
        ``(N, ·)`` matrix of NaN — the run's score matrix — instead of a new ``(N, m)`` array,
        so the normalised values and the scores are one table (:func:`~mfgindex.pipeline.run.run_once`).

        Memory: a method that fits each column on its own (registered with ``reduce``:
        min-max, z-scores, goalposts, …) is fitted and applied on blocks of columns of at most
        :data:`BLOCK_BYTES`, so the oriented copy is a block, never the whole ``(N, m)``
        table; other methods see all their columns at once. A block of every row is a slice
        of columns, not a fancy-index copy of rows.
        """
        indicators = self.framework.indicators
        ids = tuple(i.id for i in indicators)
        x = prepared.x
        direction = np.array([i.direction for i in indicators], dtype=np.float64)
        _check_magnitudes(x, prepared.blocks, indicators, self.data.source)
        specs = self.normalization_specs()
        if into is None:
            values = np.full(x.shape, np.nan, dtype=x.dtype, order="F")
            place = np.arange(len(indicators))
        else:
            values, place = into, np.asarray(columns)
        fitted: dict[str, Any] = {}
        by_spec: dict[str, list[int]] = {}
        for j, spec in enumerate(specs):
            by_spec.setdefault(spec, []).append(j)
        n_rows = len(x)
        for spec, cols_list in by_spec.items():
            if is_none(spec):
                for c in cols_list:
                    values[:, place[c]] = x[:, c] * direction[c]
                continue
            call = resolve("normalize", spec)
            width = len(cols_list)
            if call.method.reduce is not None:  # column by column: blocks of columns
                width = max(1, min(width, BLOCK_BYTES // max(1, n_rows * 8)))  # float64 blocks
            for at in range(0, len(cols_list), width):
                cols = np.array(cols_list[at : at + width])
                ctx = _column_context(indicators, cols, prepared.transforms)
                for ref_rows, apply_blocks in _fit_plan(prepared.blocks, self.choices.fit_on):
                    ref = _oriented(x, ref_rows, cols, direction)
                    fit = run_method(call, f"normalize '{spec}'", ref, ctx)
                    for b in apply_blocks:
                        same = b.rows is ref_rows
                        block = ref if same else _oriented(x, b.rows, cols, direction)
                        out = fit.apply(block)
                        del block
                        _put(values, b.rows, place[cols], out)
                        del out
                    del ref
                    for key, vals in fit.fitted.items():
                        for c, v in zip(cols, np.atleast_1d(vals), strict=False):
                            fitted.setdefault(ids[c], {})[key] = float(v)
        return Normalized(prepared, values, fitted, dict(zip(ids, specs, strict=True)), columns)

    # -- weights and scores -------------------------------------------------------------------
    def aggregators(self) -> dict[str, AggregateStep]:
        """Each group's aggregation method, ready for :func:`aggregate_tree`."""
        return {g: AggregateStep(call, g) for g, call in self.aggregate_calls.items()}

    def weight_functions(
        self, year: int | None, used: dict[tuple[int | None, str], dict[str, float]]
    ) -> dict[str, WeightsFor]:
        """Each group's weight method as a function of its children's values ``(n, k)``; the
        weights it returns for the block of ``year`` are recorded in ``used[(year, group)]``."""
        return {
            g.id: _weight_function(self.framework, g.id, self.weight_calls[g.id], (year, g.id), used)
            for g in self.framework.groups
        }

    def score(
        self,
        normalized: Normalized,
        rows: np.ndarray,
        weights: Mapping[str, WeightsFor],
        *,
        aggregators: Mapping[str, AggregateStep] | None = None,
        refused: dict[str, np.ndarray] | None = None,
        reasons: dict[str, MethodError] | None = None,
        limits: dict[str, np.ndarray] | None = None,
    ) -> dict[str, np.ndarray]:
        """Scores of every node for the units ``rows`` (one block), by :func:`aggregate_tree`
        (its ``refused``, ``reasons`` and ``limits``); bad cells of :meth:`prepare` make their
        units NaN on every node above them."""
        bad = normalized.prepared.bad_cells
        sel = _rows(rows, len(normalized.values))  # every row: a view, not a copy
        return aggregate_tree(
            self.framework,
            normalized.values[sel],
            weights,
            aggregators or self.aggregators(),
            self.threshold,
            refused=refused,
            reasons=reasons,
            limits=limits,
            poisoned=None if bad is None else bad[sel],
            columns=normalized.columns,
            row_block=None if normalized.values.dtype == np.float64 else ROW_BLOCK,
        )

    def run(self) -> Any:
        """The whole chain once: a :class:`~mfgindex.result.Result` (what ``compute`` returns)."""
        from mfgindex.pipeline.run import run_once

        return run_once(self)


def _constant(shape: tuple[int, ...], value: Any) -> np.ndarray:
    """A read-only ``shape`` array of one ``value`` that takes no memory (a broadcast view):
    the imputed flags / treatment codes of a run that imputes or treats nothing."""
    one = np.array(value, dtype=object if isinstance(value, str) else type(value))
    one.flags.writeable = False
    return np.broadcast_to(one, shape)


def _own(prep: Prepared) -> None:
    """Copy ``prep.x`` before changing it in place if a recorded step holds it (copy on
    write: a stage that changes nothing costs no copy)."""
    if any(v is prep.x for v in prep.steps.values()):
        prep.x = prep.x.copy(order="K")


def _fresh(prep: Prepared, out: Any) -> np.ndarray:
    """A method's ``(N, m)`` output as ``prep.x``: as it is when it is a new writable array of
    the run's type (``prep.x.dtype``), else a copy (a method may hand back its input)."""
    dtype = prep.x.dtype
    arr = np.asarray(out, dtype=dtype)
    if (
        arr is prep.x
        or not arr.flags.writeable
        or not arr.flags.f_contiguous
        or (arr.base is not None and np.may_share_memory(arr, prep.x))
        or any(np.may_share_memory(arr, v) for v in prep.steps.values())
    ):
        arr = np.array(arr, dtype=dtype, order="F")
    if dtype != np.float64:
        _check_range(arr, None, "", "a stage's output")
    return arr


def _check_range(x: np.ndarray, indicators: tuple[Any, ...] | None, source: str, what: str) -> None:
    """In a float32 run, refuse values beyond float32's range (about 3.4e38), which become
    infinite when stored: the data are checked as they are read in, a stage's output after
    it (:func:`_fresh`); the data hold no infinities, so one here is an overflow."""
    for j in range(x.shape[1]):
        col = x[:, j]
        if np.isinf(col).any():
            name = f"indicator '{indicators[j].id}'" if indicators else f"column {j + 1}"
            raise DataError(
                f"{what}: {name} has values beyond float32's range (about 3.4e38)",
                where=source or None,
                hint="score with dtype float64 (the default), or rescale the column first",
            )


#: Normalisation works on blocks of columns of at most this many bytes (a method that fits
#: each column on its own): the oriented copy it is given stays small at any size.
BLOCK_BYTES = 8 << 20
#: A float32 run aggregates row-wise methods on blocks of this many units, each in float64
#: (a float64 run aggregates all its units at once: blocks would change the last bit of its
#: sums, which BLAS adds up in an order that depends on the number of rows).
ROW_BLOCK = 1 << 16


def _oriented(x: np.ndarray, rows: np.ndarray, cols: np.ndarray, direction: np.ndarray) -> np.ndarray:
    """``x[rows][:, cols] * direction[cols]``: one column-major float64 copy (also of a
    float32 ``x``: normalisation is fitted and applied in float64), filled and oriented column
    by column (no ``np.ix_`` temporary, no pass over the other columns)."""
    sel = _rows(rows, len(x))
    n = len(x) if isinstance(sel, slice) else len(sel)
    block = np.empty((n, len(cols)), dtype=np.float64, order="F")
    for k, c in enumerate(cols):
        np.multiply(x[sel, c], direction[c], out=block[:, k])
    return block


def _put(values: np.ndarray, rows: np.ndarray, cols: np.ndarray, out: np.ndarray) -> None:
    """``values[rows, cols] = out``, column by column (no ``np.ix_`` temporary)."""
    sel = _rows(rows, len(values))
    for k, c in enumerate(cols):
        values[sel, c] = out[:, k]


def _blocks(data: Dataset, year: int | None) -> list[Block]:
    blocks = year_blocks(data.years, len(data))
    if year is None:
        return blocks
    if data.years is None:
        raise UsageError(
            f"--year {year} given, but the data has no year column",
            hint="drop --year, or add a 'year' column to the data",
        )
    chosen = [b for b in blocks if b.year == year]
    if not chosen:
        raise DataError(
            f"no rows for year {year}",
            where=data.source,
            hint=f"years in the data: {', '.join(str(b.year) for b in blocks)}",
        )
    return chosen


def _aggregators(framework: Framework, aggregate: str | None) -> dict[str, MethodCall]:
    """Each group's aggregation method: ``aggregate`` if given, else the group's, else the
    default."""
    if is_none(aggregate) and not stage_info("aggregate").skippable:
        raise UsageError(
            "the aggregate stage cannot be skipped: it makes the group scores",
            hint="choose a method, e.g. --aggregate arithmetic",
        )
    fw = framework
    return {
        g.id: resolve("aggregate", aggregate or g.aggregate or fw.default("aggregate") or "arithmetic")
        for g in fw.groups
    }


def _stage_rule(framework: Framework, stages: str | None) -> MethodCall | None:
    """The classify method: ``stages`` if given (``"none"``: no stages), else the framework's
    rule; a :class:`UsageError` when a method is given but the framework has no stages."""
    if is_none(stages):
        return None
    rule = framework.stages
    if rule is None:
        if stages is not None:
            raise UsageError(
                f"stages '{stages}' given, but framework '{framework.id}' has no "
                "[stages] table: its labels are what a stage method assigns",
                where="stages",
                hint="add a [stages] table with labels to the framework, or drop the stages option",
            )
        return None
    return resolve("classify", stages if stages is not None else rule.method)


def _weight_methods(framework: Framework, weights: str | None) -> dict[str, MethodCall]:
    """Each group's weight method: ``weights`` if given, else the group's, else the default."""
    fw = framework
    if is_none(weights):
        weights = stage_info("weight").none_means
    return {
        g.id: resolve("weight", weights or g.weights or fw.default("weights") or "framework")
        for g in fw.groups
    }


def _weight_function(
    framework: Framework,
    group: str,
    call: MethodCall,
    key: tuple[int | None, str],
    used: dict[tuple[int | None, str], dict[str, float]],
) -> Callable[[np.ndarray], np.ndarray]:
    children = framework.children(group)
    ctx = framework.weight_context(group, call)

    def derive(values: np.ndarray) -> np.ndarray:
        w = np.asarray(run_method(call, f"weights of '{group}'", values, ctx), dtype=float)
        used[key] = {c: float(v) for c, v in zip(children, w, strict=True)}
        return w

    return derive


def _check_magnitudes(x: np.ndarray, blocks: list[Block], indicators: tuple[Any, ...], source: str) -> None:
    """Refuse values so large that normalising overflows floating point (a spread or a sum of
    squares beyond 1.8e308): min-max would score every unit 0, z-scores 0 or NaN — a wrong
    answer without a word. Values near 1e308 are placeholders or unit errors, not data.

    ``x`` is the prepared values in the indicators' own direction (spread and squares do not
    depend on it). Columns whose magnitudes stay below 1e100 cannot overflow (a sum of
    squares of ``n`` such values is below ``4e200 n``): two reductions, no copy."""
    rows = np.concatenate([b.rows for b in blocks]) if blocks else np.array([], dtype=int)
    sel = _rows(np.sort(rows), len(x)) if len(blocks) > 1 else (_rows(rows, len(x)) if blocks else rows)
    with np.errstate(over="ignore", invalid="ignore"):
        part = x[sel]
        # one pass over the rows for every column (NaN ignored, quietly)
        lo, hi = np.fmin.reduce(part, axis=0), np.fmax.reduce(part, axis=0)
        if x.dtype != np.float64 and (np.isinf(lo) | np.isinf(hi)).any():  # a float32 overflow
            _check_range(part, indicators, source, "the prepared values")
        small = (lo > -1e100) & (hi < 1e100)
        for j, ind in enumerate(indicators):
            if small[j] or len(part) < 2:
                continue
            col = part[:, j]
            col = col[np.isfinite(col)]
            if col.size < 2:
                continue
            spread = float(col.max() - col.min())
            squares = float(np.sum((col - col.mean()) ** 2))
            if np.isfinite(spread) and np.isfinite(squares):
                continue
            big = col[np.argmax(np.abs(col))]
            raise DataError(
                f"values too large to normalise: indicator '{ind.id}' has {big:.6g}, and its "
                "spread (or sum of squares) overflows floating-point numbers, so every unit "
                "would score the same",
                where=source,
                hint="check the column for a placeholder (9.99e307, 1e308) or a unit error; "
                "if the values are real, rescale the column (e.g. to millions) first",
            )


def _fit_plan(blocks: list[Block], fit_on: FitOn) -> list[tuple[np.ndarray, list[Block]]]:
    """Which rows each normaliser is fitted on, and which blocks that fit is applied to."""
    if fit_on == "each" or (len(blocks) == 1 and fit_on == "pooled"):
        return [(b.rows, [b]) for b in blocks]
    if fit_on == "pooled":
        return [(np.concatenate([b.rows for b in blocks]), blocks)]
    ref = [b for b in blocks if b.year == fit_on]
    if not ref:
        raise UsageError(
            f"cannot fit normalisation on year {fit_on}: it is not being scored",
            hint="score a panel without --year, or choose one of its years",
        )
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
    target = np.array([np.nan if indicators[c].target is None else indicators[c].target for c in cols])
    col_transforms: list[Callable[[np.ndarray], np.ndarray] | None] = [transforms[c] for c in cols]

    def orient(values: np.ndarray) -> np.ndarray:
        values = np.asarray(values, dtype=float).copy()
        for k, t in enumerate(col_transforms):
            if t is not None:
                values[k] = t(values[k : k + 1])[0]
        oriented: np.ndarray = values * direction
        return oriented

    return ColumnContext(
        direction=direction, target=target, orient=orient, ids=tuple(indicators[c].id for c in cols)
    )
