"""The Dask path: the :class:`~mfgindex.pipeline.Plan` fitted by reductions, applied per partition.

:func:`score` runs, over the partitions of a dask DataFrame:

1. **prepare + reduce** — each partition is read into a :class:`~mfgindex.data.Dataset` and
   prepared by the Plan itself (denominate, transform; row-local), oriented by direction, and
   summarised (:func:`mfgindex.scale.fit.partition_stats`); the summaries are merged.
2. **fit** — every normaliser is fitted from the merged summaries
   (:func:`mfgindex.scale.fit.fit_normaliser`), the weights once (methods that learn nothing
   from the data).
3. **apply + aggregate** — each partition again: prepared, normalised with the fits,
   aggregated up the tree by :meth:`Plan.score` (row-wise aggregators: a unit's score depends
   on its own values only). The score frames are persisted (a few columns per unit).
4. **rank** — exact ranks over every partition (:func:`mfgindex.scale.ranks.exact_ranks`).

Every choice is checked first (:func:`mfgindex.scale.fit.check_plan`): a method that cannot
run partition-wise is an error naming it, before any work.
"""

from __future__ import annotations

import operator
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from mfgindex._version import __version__
from mfgindex.errors import DataError, MethodError, UsageError
from mfgindex.methods.registry import MethodCall, is_none, resolve
from mfgindex.pipeline.choices import Choices
from mfgindex.pipeline.tree import run_method
from mfgindex.scale._deps import require_dask
from mfgindex.scale.fit import ColumnStats, check_plan, fit_normaliser, merge_all, partition_stats

if TYPE_CHECKING:
    import pandas as pd

    from mfgindex.data import Dataset
    from mfgindex.framework import Framework, StageRule
    from mfgindex.pipeline.plan import Plan, Prepared

__all__ = ["ScaleResult", "read_files", "score"]


@dataclass(frozen=True)
class _Layout:
    """Where a partition's columns are: what every task needs to read one (picklable)."""

    unit: str
    name: str | None
    year: str | None
    data: tuple[str, ...]


@dataclass(frozen=True)
class _Job:
    """Everything a partition task needs (picklable: no fitted closures, they are rebuilt)."""

    framework: Framework
    choices: Choices
    layout: _Layout
    year: int | None
    stats: ColumnStats | None = None
    weights: Mapping[str, np.ndarray] = field(default_factory=dict)
    indicators: bool = False


@dataclass(frozen=True)
class ScaleResult:
    """The scores of the Dask path.

    Attributes
    ----------
    frame
        A dask DataFrame, one row per unit: the unit column, ``year`` (when the data has one),
        the name column (when present), [the normalised indicators], each group, the index,
        ``rank`` (of the index), ``rank_<group>`` with ``ranks``, and ``stage`` when the
        framework's stage rule is by rank or score.
    provenance
        What the in-memory path records (versions, framework and data hashes, methods, fitted
        parameters, weights) plus the engine (``{"name": "dask", "partitions": …}``).
    """

    frame: Any
    provenance: dict[str, Any]

    def compute(self) -> pd.DataFrame:
        """The whole table as one pandas DataFrame (only for data that fits in memory)."""
        out: pd.DataFrame = self.frame.compute()
        return out.reset_index(drop=True)


# -- reading ---------------------------------------------------------------------------------


def read_files(source: str | Path | Sequence[str | Path], framework: Framework) -> Any:
    """Partitioned Parquet or CSV (files, a folder, or a glob) as a lazy dask DataFrame of the
    columns ``framework`` needs (unit, name, year, indicators, denominators).

    Values are read as the files store them: Parquet's numbers as they are, CSV's by pandas
    (the in-memory reading policy — missing markers, thousands separators, full-width digits —
    is not applied: a column that does not read as numbers is an error naming it).

    Raises
    ------
    DataError
        No file matches, files of another kind, or files lacking a column the framework needs.
    """
    require_dask()
    import dask.dataframe as dd

    paths = _paths(source)
    kinds = {Path(p).suffix.lower() for p in paths}
    if kinds == {".parquet"}:
        frame = dd.read_parquet(paths if len(paths) > 1 else paths[0])
    elif kinds == {".csv"}:
        frame = dd.read_csv(paths, dtype={framework.unit_column: str}, blocksize="64MB")
    else:
        raise DataError(
            f"the Dask path reads .parquet or .csv files, of one kind; got {', '.join(sorted(kinds))}",
            hint="convert the files to Parquet (pandas.DataFrame.to_parquet)",
        )
    return select_columns(
        frame,
        framework,
        source=", ".join(paths[:3]) + (f" and {len(paths) - 3} more" if len(paths) > 3 else ""),
    )


def _paths(source: str | Path | Sequence[str | Path]) -> list[str]:
    import glob

    items = [source] if isinstance(source, str | Path) else list(source)
    out: list[str] = []
    for item in items:
        p = Path(item)
        if p.is_dir():
            found = sorted(str(f) for f in p.glob("*.parquet")) or sorted(str(f) for f in p.glob("*.csv"))
        elif any(ch in str(item) for ch in "*?["):
            found = sorted(glob.glob(str(item)))
        else:
            found = [str(p)] if p.is_file() else []
        if not found:
            raise DataError(
                f"no data file at '{item}'",
                hint="give .parquet (or .csv) files, a folder of them, or a quoted "
                "glob such as 'data/*.parquet'",
            )
        out += found
    return out


def select_columns(frame: Any, framework: Framework, *, source: str = "<frame>") -> Any:
    """``frame`` (a dask DataFrame) cut to the columns ``framework`` reads, checked: every data
    column present and numeric."""
    import pandas as pd

    from mfgindex.data import year_column

    fw = framework
    meta = frame._meta
    needed = fw.indicator_columns()
    missing = [c for c in [fw.unit_column, *needed] if c not in meta.columns]
    if missing:
        raise DataError(
            f"no column(s) {', '.join(map(repr, missing))} in the data",
            where=source,
            hint=f"framework '{fw.id}' reads the unit column '{fw.unit_column}' and "
            "one column per indicator (and denominator)",
        )
    text = [
        c
        for c in needed
        if not (pd.api.types.is_numeric_dtype(meta[c]) and not pd.api.types.is_bool_dtype(meta[c]))
    ]
    if text:
        raise DataError(
            f"column(s) {', '.join(map(repr, text))} are not stored as numbers",
            where=source,
            hint="the Dask path reads values as Parquet stores them: write the "
            "columns as float64; the in-memory reader (--engine memory) "
            "parses text cells",
        )
    name = fw.name_column if fw.name_column and fw.name_column in meta.columns else None
    year = year_column(meta, fw)
    keep = list(dict.fromkeys([fw.unit_column, *(c for c in (year, name) if c), *needed]))
    return frame[keep]


# -- per partition ---------------------------------------------------------------------------


def _dataset(frame: pd.DataFrame, job: _Job) -> Dataset:
    from mfgindex.data import Dataset

    lay = job.layout
    if job.year is not None and lay.year is not None:
        frame = frame[frame[lay.year] == job.year]
    units = frame[lay.unit].astype(str).str.strip().to_numpy(dtype=object)
    return Dataset(
        units=units,
        years=None,
        names=None if lay.name is None else frame[lay.name].astype(str).to_numpy(dtype=object),
        matrix=(frame[list(lay.data)].to_numpy(dtype=np.float64) if lay.data else np.empty((len(frame), 0))),
        columns=lay.data,
        text=np.empty((len(frame), 0), dtype=object),
        text_columns=(),
        source="<partition>",
    )


def _prepared(frame: pd.DataFrame, job: _Job) -> tuple[Plan, Prepared, np.ndarray]:
    from mfgindex.pipeline.plan import Plan

    plan = Plan(job.framework, _dataset(frame, job), job.choices)
    prep = plan.prepare()
    direction = np.array([i.direction for i in job.framework.indicators], dtype=float)
    return plan, prep, prep.x * direction


def _stats_task(frame: pd.DataFrame, job: _Job) -> tuple[ColumnStats, int, np.ndarray]:
    """A partition's summaries, its number of rows and its bad (out-of-domain) cells per
    indicator."""
    _, prep, oriented = _prepared(frame, job)
    bad = (
        np.zeros(oriented.shape[1], dtype=np.int64) if prep.bad_cells is None else prep.bad_cells.sum(axis=0)
    )
    return partition_stats(oriented), len(oriented), bad


def _fits(plan: Plan, stats: ColumnStats) -> list[tuple[np.ndarray, Any, str]]:
    """``(columns, fit or None, spec)`` per normalisation method string."""
    from mfgindex.pipeline.plan import _column_context

    indicators = plan.framework.indicators
    transforms = [None if i.transform is None else resolve("transform", i.transform) for i in indicators]
    by_spec: dict[str, list[int]] = {}
    for j, spec in enumerate(plan.normalization_specs()):
        by_spec.setdefault(spec, []).append(j)
    out: list[tuple[np.ndarray, Any, str]] = []
    for spec, cols_list in by_spec.items():
        cols = np.array(cols_list)
        if is_none(spec):
            out.append((cols, None, spec))
            continue
        call = resolve("normalize", spec)
        ctx = _column_context(indicators, cols, transforms)
        sub = ColumnStats(
            stats.count[cols], stats.mean[cols], stats.m2[cols], stats.low[cols], stats.high[cols]
        )
        out.append((cols, fit_normaliser(call, sub, ctx, f"normalize '{spec}'"), spec))
    return out


def _score_task(frame: pd.DataFrame, job: _Job) -> tuple[pd.DataFrame, dict[str, int]]:
    """A partition's scores (the output columns but the ranks) and its bad-cell counts."""
    import pandas as pd

    from mfgindex.pipeline.plan import Normalized

    if job.stats is None:
        raise ValueError("the score pass needs the fitted summaries")
    fw, lay = job.framework, job.layout
    plan, prep, oriented = _prepared(frame, job)
    values = np.full(oriented.shape, np.nan)
    for cols, fit, _ in _fits(plan, job.stats):
        values[:, cols] = oriented[:, cols] if fit is None else fit.apply(oriented[:, cols])
    normalized = Normalized(prep, values, {}, {})
    refused: dict[str, np.ndarray] = {}
    reasons: dict[str, MethodError] = {}
    limits: dict[str, np.ndarray] = {}
    n = len(oriented)
    tree = plan.score(
        normalized, np.arange(n), dict(job.weights), refused=refused, reasons=reasons, limits=limits
    )
    if job.year is not None and lay.year is not None:
        frame = frame[frame[lay.year] == job.year]
    out: dict[str, Any] = {lay.unit: plan.data.units}
    if lay.year is not None:
        out[lay.year] = frame[lay.year].to_numpy()
    if lay.name is not None:
        out[lay.name] = plan.data.names
    if job.indicators:
        out |= {i.id: values[:, j] for j, i in enumerate(fw.indicators)}
    out |= {g: tree[g] for g in _group_ids(fw)}
    out[fw.id] = tree[fw.id]
    counts = {f"unscored:{g}": int(np.isnan(tree[g]).sum()) for g in [*_group_ids(fw), fw.id]}
    counts |= {f"refused:{g}": int(np.asarray(m).sum()) for g, m in refused.items()}
    counts |= {f"zero:{g}": int(np.asarray(m).sum()) for g, m in limits.items()}
    if prep.bad_cells is not None:
        counts |= {
            f"domain:{i.id}": int(prep.bad_cells[:, j].sum())
            for j, i in enumerate(fw.indicators)
            if prep.bad_cells[:, j].any()
        }
    return pd.DataFrame(out), counts


def _with_ranks(
    frame: pd.DataFrame,
    ranks: np.ndarray,
    names: Sequence[str],
    after: Sequence[str],
    stages: tuple[MethodCall, StageRule] | None = None,
) -> pd.DataFrame:
    """``frame`` with rank columns inserted: ``names[i]`` right after column ``after[i]``
    (integers, missing for an unscored unit, as :meth:`Result.to_frame`), then ``stage``: the
    row-wise stage rule applied to the index's scores and exact ranks (``after[0]``)."""
    import pandas as pd

    frame = frame.copy()
    for i, (name, col) in enumerate(zip(names, after, strict=True)):
        at = len(frame.columns) if name == "rank" else list(frame.columns).index(col) + 1
        column = pd.Series(ranks[:, i], index=frame.index, dtype="Float64").astype("Int64")
        frame.insert(at, name, column)
    if stages is not None:
        call, rule = stages
        codes = run_method(
            call, "stages", frame[after[0]].to_numpy(dtype=float), ranks[:, 0], len(rule.labels)
        )
        frame["stage"] = np.array([rule.label(int(c), "en") for c in codes], dtype=object)
    return frame


def _stage_rule(plan: Plan) -> tuple[tuple[MethodCall, StageRule] | None, str]:
    """The stage rule the Dask path applies, and what the provenance says of it: a rule by
    rank or score (``row_wise`` classify methods) runs per partition on the exact ranks; one
    that needs every unit's score (quantiles, natural breaks) is not computed."""
    rule, chosen = plan.framework.stages, plan.choices.stages
    if rule is None or is_none(chosen):
        return None, "none"
    call = resolve("classify", chosen if chosen is not None else rule.method)
    if not call.method.row_wise:
        return None, (
            f"none: '{call.spec()}' needs every unit's score at once, so the Dask path "
            "does not classify (rank or score cuts do)"
        )
    return (call, rule), call.spec()


def _group_ids(fw: Framework) -> list[str]:
    return [n.id for n in fw.walk() if not n.is_indicator and n.id != fw.id]


# -- the run ---------------------------------------------------------------------------------


def score(
    framework: Framework,
    data: Any,
    *,
    choices: Choices | None = None,
    year: int | None = None,
    ranks: bool = False,
    indicators: bool = False,
    npartitions: int | None = None,
) -> ScaleResult:
    """Score every unit of ``data`` on every node of ``framework`` with Dask.

    Runs on dask's current scheduler: a ``distributed.Client`` if one is active (a
    ``LocalCluster`` or ``--scheduler ADDRESS``), else dask's threads.

    Parameters
    ----------
    framework
        The framework.
    data
        A dask DataFrame (e.g. :func:`read_files`), Parquet or CSV paths (files, a folder, a glob),
        or a pandas DataFrame (split into ``npartitions``).
    choices
        The run's choices, as for :func:`mfgindex.compute`; every one must run partition-wise
        (:func:`mfgindex.scale.fit.check_plan`).
    year
        Score this year of a panel (the data must have a year column). A panel with several
        years needs it: the Dask path scores one cross-section.
    ranks
        Also rank every group (``rank_<group>`` after its column); the index is always ranked.
    indicators
        Add the normalised indicator columns.
    npartitions
        For a pandas DataFrame: the number of partitions (default: about 100,000 rows each).

    Returns
    -------
    ScaleResult
        A dask DataFrame of scores and exact ranks (persisted), and the provenance.

    Raises
    ------
    MethodError
        A choice that cannot run partition-wise (all of them listed).
    DataError, UsageError
        Missing or text columns; several years without ``year``; no unit to score.
    """
    dask = require_dask()
    from dask.delayed import delayed

    from mfgindex.pipeline.plan import Plan

    fw = framework
    ch = choices or Choices()
    frame, source, digests = _source_frame(data, fw, npartitions)
    meta = frame._meta
    layout, ycol = _layout(meta, fw)
    _check_year(frame, ycol, year, ch)
    job = _Job(fw, ch, layout, year, indicators=indicators)
    # the Plan on no rows: resolves every method (a bad method string fails here) and checks
    # that each can run partition-wise, before any work
    template = Plan(fw, _dataset(meta, job), ch)
    check_plan(template)
    weights = _weights(template)

    parts = frame.to_delayed()
    tasks = [delayed(_stats_task)(p, job) for p in parts]
    hashes = [delayed(_sha256)(p) for p in digests] if digests else []
    results = dask.compute(*tasks, *hashes)
    part_stats = results[: len(tasks)]
    stats = merge_all([s for s, _, _ in part_stats])
    n_units = int(sum(n for _, n, _ in part_stats))
    if n_units == 0:
        raise DataError("no units to score" + (f" in year {year}" if year is not None else ""), where=source)
    fits = _fits(template, stats)  # fitted once here: errors now, and the provenance
    job = _Job(fw, ch, layout, year, stats=stats, weights=weights, indicators=indicators)

    scored = dask.persist(*[delayed(_score_task)(p, job) for p in parts])
    frames = [delayed(operator.itemgetter(0))(s) for s in scored]
    counts = dask.compute(*[delayed(operator.itemgetter(1))(s) for s in scored])
    stages, stage_record = _stage_rule(template)
    out = _ranked(frames, fw, ranks, stages)

    bad = np.sum([b for _, _, b in part_stats], axis=0)
    totals: dict[str, int] = {}
    for c in counts:
        for k, v in c.items():
            totals[k] = totals.get(k, 0) + v
    provenance = _provenance(
        template,
        fits,
        weights,
        source=source,
        files=digests,
        hashes=results[len(tasks) :],
        n_units=n_units,
        year=year,
        partitions=len(parts),
        bad=bad,
        counts=totals,
        stages=stage_record,
    )
    return ScaleResult(out, provenance)


def _source_frame(data: Any, fw: Framework, npartitions: int | None) -> tuple[Any, str, list[str] | None]:
    """``data`` as a dask DataFrame of the framework's columns, the source the provenance
    names, and the files to hash (None for a DataFrame given in memory)."""
    import dask.dataframe as dd

    if isinstance(data, str | Path) or (isinstance(data, Sequence) and not hasattr(data, "columns")):
        paths = _paths(data)
        return read_files(paths, fw), paths[0] if len(paths) == 1 else f"{len(paths)} files", paths
    if isinstance(data, dd.DataFrame):
        return select_columns(data, fw), "<frame>", None
    import pandas as pd

    if not isinstance(data, pd.DataFrame):
        raise UsageError(f"data must be Parquet paths or a (dask) DataFrame, got {type(data).__name__}")
    parts = npartitions or max(1, -(-len(data) // 100_000))
    frame = dd.from_pandas(data, npartitions=parts, sort=False)
    return select_columns(frame, fw), "<frame>", None


def _layout(meta: pd.DataFrame, fw: Framework) -> tuple[_Layout, str | None]:
    """Where the partitions' columns are (from the frame's ``meta``), and the year column."""
    from mfgindex.data import year_column

    ycol = year_column(meta, fw)
    layout = _Layout(
        unit=fw.unit_column,
        name=fw.name_column if fw.name_column in meta.columns else None,
        year=ycol,
        data=tuple(c for c in fw.indicator_columns() if c in meta.columns),
    )
    return layout, ycol


def _check_year(frame: Any, ycol: str | None, year: int | None, ch: Choices) -> None:
    """The Dask path scores one cross-section: ``year`` needs a year column, several years
    need ``year``, and normalisation is fitted on the year scored."""
    if year is not None and ycol is None:
        raise UsageError(
            f"--year {year} given, but the data has no year column",
            hint="drop --year, or add a 'year' column to the data",
        )
    if year is None and ycol is not None:
        years = sorted(int(y) for y in frame[ycol].dropna().unique().compute())
        if len(years) > 1:
            raise UsageError(
                f"the data has {len(years)} years ({_years(years)}): the Dask path scores one year at a time",
                hint=f"give --year, e.g. --year {years[-1]}",
            )
    if isinstance(ch.fit_on, int) and ch.fit_on != year:
        raise UsageError(
            f"--fit-on {ch.fit_on}: the Dask path fits normalisation on the year it scores",
            where="--fit-on",
            hint="score that year (--year), or fit with fixed goalposts to compare years",
        )


def _ranked(
    frames: list[Any], fw: Framework, ranks: bool, stages: tuple[MethodCall, StageRule] | None
) -> Any:
    """The scored partitions with exact ranks of the index (and of every group with
    ``ranks``) and the stages, as one persisted dask DataFrame."""
    import dask.dataframe as dd
    from dask.delayed import delayed

    from mfgindex.scale.ranks import exact_ranks

    groups = _group_ids(fw)
    ranked = [fw.id, *(groups if ranks else [])]
    names = ["rank", *(f"rank_{g}" for g in (groups if ranks else []))]
    rank_parts = exact_ranks(frames, ranked)
    out_meta = _with_ranks(frames[0].compute().iloc[:0], np.empty((0, len(ranked))), names, ranked, stages)
    out = dd.from_delayed(
        [delayed(_with_ranks)(f, r, names, ranked, stages) for f, r in zip(frames, rank_parts, strict=True)],
        meta=out_meta,
        verify_meta=False,
    )
    return out.persist()


def _years(years: list[int]) -> str:
    return ", ".join(map(str, years[:5])) + (" …" if len(years) > 5 else "")


def _sha256(path: str) -> str:
    from mfgindex.data import file_sha256

    return str(file_sha256(Path(path)))


def _weights(plan: Plan) -> dict[str, np.ndarray]:
    """Each group's weights: the methods learn nothing from the data (``reduce="none"``), so
    they are called once on no rows."""
    used: dict[tuple[int | None, str], dict[str, float]] = {}
    funcs = plan.weight_functions(None, used)
    out = {}
    for g in plan.framework.groups:
        k = len(plan.framework.children(g.id))
        out[g.id] = np.asarray(funcs[g.id](np.empty((0, k))), dtype=float)  # type: ignore[operator]
    return out


def _provenance(
    plan: Plan,
    fits: list[tuple[np.ndarray, Any, str]],
    weights: Mapping[str, np.ndarray],
    *,
    source: str,
    files: list[str] | None,
    hashes: Sequence[str],
    n_units: int,
    year: int | None,
    partitions: int,
    bad: np.ndarray,
    counts: Mapping[str, int],
    stages: str,
) -> dict[str, Any]:
    """The provenance of a Dask run, in the shape of :attr:`Result.provenance` plus the
    ``engine`` it ran on and the ``unscored`` units per group."""
    import dask

    from mfgindex.pipeline.run import sources

    fw = plan.framework
    ids = [i.id for i in fw.indicators]
    unscored = {k.split(":", 1)[1]: v for k, v in counts.items() if k.startswith("unscored:")}
    return {
        "mfgindex": __version__,
        **sources(fw, plan.data),
        "data": _data_record(source, n_units, files, hashes),
        "year": year,
        "years": [year] if year is not None else [],
        "methods": _methods_record(plan, stages),
        "fitted": _fitted_record(fits, ids),
        "weights": [
            {"year": year, "group": g, "weights": dict(zip(fw.children(g), map(float, w), strict=True))}
            for g, w in weights.items()
        ],
        "bad_cells": _bad_cells(ids, bad, counts),
        "unscored": {g: unscored.get(g, 0) for g in [*_group_ids(fw), fw.id]},
        "engine": {
            "name": "dask",
            "dask": dask.__version__,
            "partitions": partitions,
            "ranks": "exact (sample sort over partitions)",
        },
    }


def _fitted_record(fits: list[tuple[np.ndarray, Any, str]], ids: list[str]) -> dict[str, dict[str, float]]:
    """Each indicator's fitted normalisation parameters (indicators of a method that fits
    nothing are left out)."""
    fitted: dict[str, dict[str, float]] = {}
    for cols, fit, _ in fits:
        if fit is None:
            continue
        for key, vals in fit.fitted.items():
            for c, v in zip(cols, np.atleast_1d(vals), strict=False):
                fitted.setdefault(ids[c], {})[key] = float(v)
    return fitted


def _data_record(source: str, n_units: int, files: list[str] | None, hashes: Sequence[str]) -> dict[str, Any]:
    """The data read: its source and rows, and for files each one's SHA-256 and one digest of
    them all (over their names and digests, so the folder they are in does not matter)."""
    import hashlib

    data: dict[str, Any] = {"file": source, "rows": n_units}
    if files:
        listing = [{"file": f, "sha256": h} for f, h in zip(files, hashes, strict=True)]
        combined = hashlib.sha256(
            "\n".join(f"{Path(f).name} {h}" for f, h in zip(files, hashes, strict=True)).encode()
        ).hexdigest()
        data |= {"sha256": combined, "files": listing}
    return data


def _methods_record(plan: Plan, stages: str) -> dict[str, Any]:
    """The method of every step, as :attr:`Result.provenance` records them (the Dask path
    neither imputes, screens nor treats)."""
    fw = plan.framework
    ids = [i.id for i in fw.indicators]
    specs = plan.normalization_specs()
    record: dict[str, Any] = {
        "denominate": "ratio" if any(i.denominator for i in fw.indicators) else "none",
        "transform": {i.id: i.transform for i in fw.indicators if i.transform},
        "impute": "none",
        "screen": "none",
        "treat": "none",
        "normalize": dict(zip(ids, specs, strict=True)),
        "fit_on": plan.choices.fit_on,
        "aggregate": {g: c.spec() for g, c in plan.aggregate_calls.items()},
        "weights": {g: c.spec() for g, c in plan.weight_calls.items()},
        "min_coverage": plan.threshold,
        "stages": stages,
    }
    den = plan.choices.denominate or fw.default("denominate")
    if den is not None and any(i.denominator for i in fw.indicators):
        record["denominate"] = resolve("denominate", den).spec() if not is_none(den) else "none"
    return record


def _bad_cells(ids: list[str], bad: np.ndarray, counts: Mapping[str, int]) -> list[dict[str, Any]]:
    """Cells outside a transform's domain per indicator, then the units an aggregator refused
    or scored 0, per group (the partitions' ``counts``)."""
    cells = [{"kind": "domain", "node": i, "units": int(n)} for i, n in zip(ids, bad, strict=True) if n]
    cells += [
        {"kind": k.split(":", 1)[0], "node": k.split(":", 1)[1], "units": v}
        for k, v in sorted(counts.items())
        if v and not k.startswith(("domain:", "unscored:"))
    ]
    return cells
