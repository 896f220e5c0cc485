r"""Uncertainty and sensitivity analysis of an index's ranks (Monte Carlo and Sobol).

An index is a set of choices — weights, normalisation, aggregation, imputation, treatment,
which indicators to use. The JRC/OECD *Handbook on Constructing Composite Indicators* (2008,
section 7) asks every index to show how much its ranks depend on them:

* :func:`uncertainty` samples the uncertain choices ``runs`` times and reports, per unit, the
  nominal rank, the median rank, the 5–95 % rank interval and the mean absolute rank shift;
* :func:`sensitivity` apportions the variance of an output (by default the mean absolute rank
  shift against the nominal ranking, as COINr) to each uncertain input: Sobol first-order and
  total-order indices (Saltelli et al. 2010; Jansen 1999) with bootstrap confidence intervals.

What varies is described by a **spec** (a TOML file, a mapping, or :class:`UncertaintySpec`)::

    [weights]
    noise = 0.25          # each weight times a uniform factor in [1 - 0.25, 1 + 0.25]
    levels = [2, 3]       # COINr's numbering: indicators are level 1
    [normalize]
    choices = ["minmax(low=1, high=100)", "zscore(mean=10, sd=2)"]
    [aggregate]
    choices = ["arithmetic", "geometric"]
    [impute]
    choices = ["mean", "median"]
    [treat]
    choices = ["none", "winsorize(max_points=5)"]
    [exclude]
    indicators = ["Flights", "Ship"]   # or "all": leave one of them out (or none)

**Why it is fast.** COINr rebuilds the whole index for every run. Here the stages before the
first uncertain one run once (:func:`mfgindex.pipeline.prepare`); each combination of the
categorical choices (imputation × treatment × normalisation × aggregation) is prepared and
normalised once; all of its runs — which differ only in their weights (noise, and a zero for an
indicator left out) — are scored together, a batch of weight vectors ``(r, k)`` going through the
aggregators in one numpy pass (:func:`mfgindex.pipeline.aggregate_tree`). Runs are processed in
chunks that fit a memory budget (``max_memory``), and every random number comes from
``numpy.random.default_rng(seed)``, so a seed gives identical output.

**Why memory does not grow with the runs.** Ranks are integers :math:`1 \dots n`, so each
chunk's ranks are added to per-unit rank counts, an :math:`n \times n` integer matrix
(:attr:`UncertaintyResult.rank_counts`), and dropped: the median, the quantiles and the mean
rank shift follow from the counts exactly (the same floating-point numbers as from the
:math:`r \times n` table). A million runs of the city data (296 units) need 0.7 MB of counts
instead of 4.7 GB of tables. ``keep_runs=True`` keeps the per-run tables too; a sensitivity
analysis computes each run's output from its chunk and keeps a ``(runs,)`` vector.

**Invalid combinations.** Some combinations cannot be computed for some units — a z-score feeds
negative values into a geometric mean, a min-max to [0, 100] feeds a zero. COINr silently
discards such runs. Here the policy (``invalid``) is explicit:

* ``"drop"`` (default): the policy of :func:`mfgindex.compute` (docs/troubleshooting.md, "one bad cell never
  sinks a run"), run by run. A zero under a geometric or harmonic mean gives 0, its limit. A
  unit whose values a method refuses (a negative under a geometric mean, a log of 0) is NaN in
  that run — unranked — and the other units are ranked among themselves; which units, in how
  many runs and under which choices is reported in :attr:`UncertaintyResult.invalid` (one row
  per combination, ``unit_runs`` counting each unit's unscored runs) and
  :attr:`UncertaintyResult.warnings`. A unit's rank statistics come from the runs that scored
  it; read them beside its count, since the units left out are usually the weak ones. A run is
  *invalid* only when it scores no unit at all: it is left out. In a sensitivity analysis the
  output of an invalid run is undefined; the estimators drop each Monte Carlo tuple (row of A,
  B and every AB matrix) that contains one, and say so.
* ``"raise"`` (``--strict``): stop with a :class:`~mfgindex.errors.MethodError` naming the
  combination and the units at the first unit left unscored.

References
----------
Saltelli, A., Annoni, P., Azzini, I., Campolongo, F., Ratto, M., Tarantola, S. (2010),
"Variance based sensitivity analysis of model output. Design and estimator for the total
sensitivity index", *Computer Physics Communications* 181(2), 259–270.
Jansen, M. J. W. (1999), "Analysis of variance designs for model output", *Computer Physics
Communications* 117(1–2), 35–43.
Saisana, M., Saltelli, A., Tarantola, S. (2005), "Uncertainty and sensitivity analysis techniques
as tools for the quality assessment of composite indicators", *J. R. Stat. Soc. A* 168(2).
COINr (EU JRC), R source ``R/sensitivity.R``: ``get_sensitivity``, ``SA_sample``,
``SA_estimate``, ``get_noisy_weights``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from mfgindex._version import __version__
from mfgindex.errors import UsageError, did_you_mean
from mfgindex.robustness.design import Design, design_from_uniforms, weight_factors
from mfgindex.robustness.engine import Engine, Scored, rank_rows, run_design
from mfgindex.robustness.estimators import estimate, saltelli_sample, sobol_estimate
from mfgindex.robustness.results import SensitivityResult, UncertaintyResult
from mfgindex.robustness.spec import (
    INPUTS,
    STAGES,
    Invalid,
    Progress,
    SpecError,
    UncertaintySpec,
    WeightNoise,
    read_spec,
)

if TYPE_CHECKING:
    import pandas as pd

    from mfgindex.data import Dataset
    from mfgindex.framework import Framework

__all__ = [
    "INPUTS",
    "STAGES",
    "SensitivityResult",
    "SpecError",
    "UncertaintyResult",
    "UncertaintySpec",
    "WeightNoise",
    "rank_rows",
    "read_spec",
    "saltelli_sample",
    "sensitivity",
    "sobol_estimate",
    "uncertainty",
]


def _setup(
    framework: Framework, data: Dataset, vary: Any, year: int | None, base: Mapping[str, Any]
) -> tuple[Engine, UncertaintySpec, int | None, list[str]]:
    from mfgindex.pipeline import Choices

    choices = Choices.from_mapping(base)  # the base choices: compute()'s options
    spec = read_spec(vary, framework)  # a ready UncertaintySpec is validated too
    notes: list[str] = []
    if year is None and data.years is not None and len(set(data.years.tolist())) > 1:
        year = int(max(data.years))
        notes.append(f"the data is a panel: analysing its latest year, {year} (choose with year=)")
    engine = Engine(framework, data, spec, choices, year)
    return engine, spec, year, notes


def _nominal(engine: Engine) -> tuple[np.ndarray, np.ndarray]:
    """The base index and ranks, as :func:`mfgindex.compute` gives them: units with a bad cell
    (docs/troubleshooting.md) unscored; raises only when no unit can be scored."""
    from mfgindex.errors import MethodError

    root, refused = engine.score(engine.nominal_key(), None, None)
    scores = np.asarray(root[0], dtype=float)
    if scores.size and np.isnan(scores).all() and (refused or engine.bad_units(engine.nominal_key()).any()):
        raise MethodError(
            "no unit can be scored under the base choices",
            hint="choose methods that fit together, e.g. minmax(low=1, high=100) "
            "before a geometric mean (`mfgindex score` lists the units)",
        )
    return scores, rank_rows(scores[None, :])[0]


def _invalid_notes(valid: np.ndarray, invalid: pd.DataFrame) -> list[str]:
    """Warnings about the units left unscored (docs/troubleshooting.md): in how many runs, and per
    combination which units how often and why; and the runs that scored no unit at all."""
    notes: list[str] = []
    if len(invalid):
        n_runs = int(invalid["runs"].sum())
        notes.append(
            f"{n_runs} of {len(valid)} runs ({100 * n_runs / len(valid):.1f}%) left "
            "some units unscored (unranked in that run; the others are ranked among "
            "themselves):"
        )
        for row in invalid.itertuples(index=False):
            choices = ", ".join(
                f"{s}={getattr(row, s)}" for s in STAGES if getattr(row, s) and getattr(row, s) != "(base)"
            )
            unit_runs: dict[str, int] = row.unit_runs  # type: ignore[assignment]
            counts = sorted(unit_runs.items(), key=lambda kv: -kv[1])
            shown = ", ".join(f"{u} in {c}" for u, c in counts[:10]) + (", …" if len(counts) > 10 else "")
            notes.append(
                f"{row.runs} run(s) with {choices or 'the base choices'}: {row.reason}: "
                f"{row.n_units} unit(s) ({shown})"
            )
    n_bad = int((~valid).sum())
    if n_bad:
        notes.append(f"{n_bad} of {len(valid)} runs scored no unit at all and are left out of the statistics")
    return notes


def _zero_notes(scored: Scored) -> list[str]:
    """Warnings about the units a zero scored 0 (the limit of a geometric or harmonic mean,
    docs/architecture.md): in how many runs, under which choices, which units how often."""
    notes: list[str] = []
    for rec in scored.zeros:
        choices = ", ".join(f"{s}={v}" for s, v in rec["choices"].items() if v and v != "(base)")
        counts = sorted(rec["unit_runs"].items(), key=lambda kv: -kv[1])
        shown = ", ".join(f"{u} in {c}" for u, c in counts[:10]) + (", …" if len(counts) > 10 else "")
        notes.append(
            f"{rec['runs']} run(s) with {choices or 'the base choices'}: a child at 0 "
            f"makes the {rec['methods']} mean 0 (its limit) in {rec['groups']}, "
            f"whatever the other children: {len(counts)} unit(s) ({shown})"
        )
    return notes


def _result(
    engine: Engine, scored: Scored, factors: np.ndarray | None, notes: list[str], provenance: dict[str, Any]
) -> UncertaintyResult:
    import pandas as pd

    nominal_scores, nominal_ranks = _nominal(engine)
    fw, data = engine.fw, engine.data
    weight_frame = None
    if factors is not None:  # a view of the bank, not a copy (a million draws are 168 MB)
        weight_frame = pd.DataFrame(factors, columns=engine.nodes, copy=False)
        weight_frame.index = pd.RangeIndex(1, len(factors) + 1, name="draw")
    names = None if data.names is None else data.names[engine.rows]
    provenance = provenance | {"invalid_runs": int((~scored.valid).sum()), "warnings": notes}
    return UncertaintyResult(
        framework=fw,
        units=data.units[engine.rows],
        names=names,
        nominal_scores=nominal_scores,
        nominal_ranks=nominal_ranks,
        runs=scored.runs,
        weight_factors=weight_frame,
        invalid=scored.invalid,
        warnings=tuple(notes),
        provenance=provenance,
        rank_counts=scored.counts,
        run_scores=scored.scores,
        run_ranks=scored.ranks,
    )


def _provenance(engine: Engine, spec: UncertaintySpec, kind: str, **extra: Any) -> dict[str, Any]:
    from mfgindex.pipeline import sources

    return {
        "mfgindex": __version__,
        "analysis": kind,
        **sources(engine.fw, engine.data),
        "year": engine.year,
        "base": engine.base.to_dict(),
        "spec": spec.to_dict(),
        "spec_source": spec.source,
        **extra,
    }


def uncertainty(
    framework: Framework,
    data: Dataset,
    vary: UncertaintySpec | Mapping[str, Any] | str | Path,
    *,
    runs: int = 1000,
    seed: int | None = 0,
    year: int | None = None,
    chunk: int | None = None,
    invalid: Invalid = "drop",
    progress: Progress | None = None,
    keep_runs: bool = False,
    max_memory: int | None = None,
    engine: Literal["memory", "dask"] = "memory",
    scheduler: str | None = None,
    **base: Any,
) -> UncertaintyResult:
    r"""Monte Carlo uncertainty analysis of the index ranks.

    Each run samples every varied input independently and uniformly (categorical inputs: each
    choice with probability 1/L; weights: :class:`WeightNoise`, a fresh draw per run where
    COINr samples a list of pre-drawn weight sets), scores the index and ranks the units. Per
    unit the result reports its nominal rank, median rank, 5 % and 95 % rank quantiles and mean
    absolute rank shift :math:`\frac1R\sum_r|\text{rank}_r - \text{rank}_0|`.

    Parameters
    ----------
    framework, data
        As for :func:`mfgindex.compute`.
    vary
        The spec: a TOML file, a mapping or an :class:`UncertaintySpec` (see the module doc).
    runs
        Number of Monte Carlo runs :math:`R`.
    seed
        Seed of ``numpy.random.default_rng``; the same seed gives the same output.
    year
        The year to analyse (default: a cross-section's only year, a panel's latest).
    chunk
        Runs scored per numpy pass (default: as many as fit a quarter of ``max_memory``).
    invalid
        ``"drop"`` or ``"raise"``: the policy for invalid combinations (module doc).
    progress
        Called as ``progress(done, total)`` after each chunk (the CLI draws a progress bar).
    keep_runs
        Keep every run's index and rank (:attr:`UncertaintyResult.scores` / ``ranks``,
        ``(runs, n)``). Without it (default) each chunk's ranks go into per-unit rank counts
        ``(n, n)`` and are dropped: the summary is the same to the last bit, and memory does
        not grow with the runs (a million runs of the city data stay well under 1 GiB).
    max_memory
        Working-memory budget in bytes (default 512 MiB,
        :data:`mfgindex.robustness.engine.DEFAULT_MAX_MEMORY`): it sets the chunk size, and a
        kept table must fit in it.
    engine
        ``"memory"`` (default): the runs are scored here; ``"dask"`` (the ``[scale]`` extra):
        the same chunks of runs are scored on Dask workers, each task returning its runs' rank
        counts, which are added up here (:mod:`mfgindex.scale.runs`). The design is drawn
        here from ``seed`` either way, so the result is the same, number for number; the
        provenance's ``engine`` says where it ran.
    scheduler
        With ``engine="dask"``: a Dask scheduler's address (``tcp://host:8786``); default the
        active ``distributed.Client``, else dask's threads.
    **base
        The base choices, as :func:`mfgindex.compute`'s keyword arguments (``impute``,
        ``normalize``, ``aggregate``, ``min_coverage``, …): the nominal index, and what every
        input that does not vary keeps.

    Returns
    -------
    UncertaintyResult
    """
    if not isinstance(runs, int) or isinstance(runs, bool) or runs < 1:
        raise UsageError(f"runs must be a positive integer, got {runs!r}")
    if invalid not in ("drop", "raise"):
        raise UsageError(f"invalid must be 'drop' or 'raise', got {invalid!r}")
    execute = _executor(engine, scheduler)
    eng, spec, year, notes = _setup(framework, data, vary, year, base)
    rng = np.random.default_rng(seed)
    inputs = spec.inputs()
    u = rng.random((runs, len(inputs)))
    factors = weight_factors(eng, spec.weights, runs, rng)
    # plain Monte Carlo: run i uses weight draw i
    design = design_from_uniforms(spec, u, factors, np.arange(runs) if factors is not None else None)
    scored, where = execute(
        eng,
        design,
        chunk=chunk,
        progress=progress,
        invalid=invalid,
        keep_runs=keep_runs,
        max_memory=max_memory,
    )
    notes += _invalid_notes(scored.valid, scored.invalid) + _zero_notes(scored)
    prov = _provenance(eng, spec, "uncertainty", runs=runs, seed=seed, inputs=inputs) | where
    return _result(eng, scored, factors, notes, prov)


def _executor(engine: Any, scheduler: str | None) -> Callable[..., tuple[Scored, dict[str, Any]]]:
    """What scores an uncertainty analysis's design, checked before any work: the in-memory
    :func:`~mfgindex.robustness.engine.run_design`, or its Dask twin
    (:func:`mfgindex.scale.runs.run_design_dask`, needing the ``[scale]`` extra).

    Parameters
    ----------
    engine : Any
        ``"memory"`` or ``"dask"`` (:func:`uncertainty`'s ``engine``).
    scheduler : str or None
        A Dask scheduler's address (``engine="dask"`` only).

    Returns
    -------
    callable
        Called as :func:`~mfgindex.robustness.engine.run_design` is; returns the runs and the
        provenance's extra entries (``{"engine": {...}}`` on Dask, none in memory).

    Raises
    ------
    UsageError
        An unknown engine, or a scheduler without ``engine="dask"``.
    MfgIndexError
        ``engine="dask"`` without the ``[scale]`` extra.
    """
    if engine not in ("memory", "dask"):
        raise UsageError(
            f"engine must be 'memory' or 'dask', got {engine!r}"
            + did_you_mean(str(engine), ["memory", "dask"])
        )
    if engine == "memory":
        if scheduler is not None:
            raise UsageError(
                "scheduler: only engine='dask' uses a Dask scheduler",
                hint="add engine='dask' (--engine dask), or drop the scheduler",
            )

        def in_memory(*args: Any, **options: Any) -> tuple[Scored, dict[str, Any]]:
            return run_design(*args, **options), {}

        return in_memory
    from mfgindex.scale.runs import require_engine, run_design_dask

    require_engine(scheduler)

    def on_dask(*args: Any, **options: Any) -> tuple[Scored, dict[str, Any]]:
        scored, record = run_design_dask(*args, scheduler=scheduler, **options)
        return scored, {"engine": record}

    return on_dask


def _check_sensitivity_options(n: Any, confidence: float, invalid: str) -> None:
    """Refuse a bad ``n``, ``confidence`` or ``invalid`` of :func:`sensitivity` before any work.

    Parameters
    ----------
    n : Any
        The base sample size (an integer of at least 2).
    confidence : float
        The bootstrap interval's level (strictly between 0 and 1).
    invalid : str
        ``"drop"`` or ``"raise"``.

    Raises
    ------
    UsageError
        Naming the option and the value given.
    """
    if not isinstance(n, int) or isinstance(n, bool) or n < 2:
        raise UsageError(f"n must be an integer of at least 2, got {n!r}")
    if not 0 < confidence < 1:
        raise UsageError(f"confidence must be between 0 and 1, got {confidence}")
    if invalid not in ("drop", "raise"):
        raise UsageError(f"invalid must be 'drop' or 'raise', got {invalid!r}")


def _output_column(units: np.ndarray, output: str | None) -> int | None:
    """The column of the unit whose rank :func:`sensitivity` explains.

    Parameters
    ----------
    units : numpy.ndarray
        The ids of the units analysed (strings).
    output : str or None
        A unit id, or None for the mean absolute rank shift.

    Returns
    -------
    int or None
        The unit's position among ``units``, None when ``output`` is None.

    Raises
    ------
    UsageError
        When no unit analysed has the id ``output``.
    """
    if output is None:
        return None
    hits = np.flatnonzero(units == str(output))
    if hits.size == 0:
        raise UsageError(
            f"output: no unit '{output}' among the units analysed."
            + did_you_mean(str(output), units.tolist()),
            hint="give a unit id, or leave output out for the mean rank shift",
        )
    return int(hits[0])


def _output_function(
    units: np.ndarray, unit_col: int | None, nominal_ranks: np.ndarray
) -> tuple[Callable[[np.ndarray], np.ndarray], str]:
    """The output the Sobol indices explain, computed from a chunk of runs' ranks, and its label.

    Parameters
    ----------
    units : numpy.ndarray
        The ids of the units analysed (strings).
    unit_col : int or None
        The unit whose rank is the output, None for the mean absolute rank shift.
    nominal_ranks : numpy.ndarray
        The ranks under the base choices.

    Returns
    -------
    tuple
        ``(per_run, label)``: a function of a ``(runs, units)`` rank matrix giving a ``(runs,)``
        vector, and the output's name for notes and provenance.
    """
    if unit_col is None:

        def per_run(ranks: np.ndarray) -> np.ndarray:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # a run scoring no unit: NaN
                out: np.ndarray = np.nanmean(np.abs(ranks - nominal_ranks), axis=1)
            return out

        return per_run, "mean absolute rank shift"
    col = unit_col

    def unit_rank(ranks: np.ndarray) -> np.ndarray:
        return ranks[:, col].copy()

    return unit_rank, f"rank of {units[unit_col]}"


def _sensitivity_notes(scored: Scored, n: int, n_valid: int, variance: float, label: str) -> list[str]:
    """Warnings about a sensitivity analysis: unscored units, tuples left out, a constant output.

    Parameters
    ----------
    scored : Scored
        The runs of the design.
    n : int
        The base sample size.
    n_valid : int
        How many of the ``n`` sample tuples entered the estimators.
    variance : float
        The output's variance over A and B.
    label : str
        The output's name.

    Returns
    -------
    list of str
        The notes, in the order they are reported.
    """
    notes = _invalid_notes(scored.valid, scored.invalid) + _zero_notes(scored)
    if n_valid < n:
        notes.append(
            f"{n - n_valid} of {n} sample tuples contain a run without an output (no "
            "unit scored, or the unit analysed unscored) and were left out of the "
            "estimators: the indices describe the other choices only"
        )
    if not variance > 0:
        notes.append(f"the output ({label}) does not vary: the indices are undefined (NaN)")
    return notes


def _saltelli_design(
    engine: Engine, spec: UncertaintySpec, n: int, seeds: list[np.random.SeedSequence]
) -> tuple[Design, np.ndarray | None]:
    """The runs of a Saltelli design: A, B, then each :math:`A_B^{(i)}`, and the weight draws.

    Parameters
    ----------
    engine : Engine
        The analysis' engine.
    spec : UncertaintySpec
        The uncertain inputs.
    n : int
        The base sample size.
    seeds : list of numpy.random.SeedSequence
        The analysis' seeds: the first for the Sobol' points, the second for the weight draws.

    Returns
    -------
    tuple
        ``(design, bank)``: the design for :func:`run_design` and the weight draws.
    """
    d = len(spec.inputs())
    a, b = saltelli_sample(n, d, seed=np.random.default_rng(seeds[0]))
    x = np.vstack([a, b, *[np.where(np.arange(d) == i, b, a) for i in range(d)]])
    bank = weight_factors(engine, spec.weights, n, np.random.default_rng(seeds[1]))
    return design_from_uniforms(spec, x, bank), bank


def _tagged_runs(scored: Scored, y: np.ndarray, inputs: list[str], n: int) -> pd.DataFrame:
    """The table of runs with the matrix each came from (A, B or ``AB:<input>``) and its output.

    Parameters
    ----------
    scored : Scored
        Every run of the design, in design order.
    y : numpy.ndarray
        Each run's output (NaN for an invalid run).
    inputs : list of str
        The uncertain inputs, in design order.
    n : int
        The base sample size.

    Returns
    -------
    pandas.DataFrame
        A copy of the runs table with a ``matrix`` column second and an ``output`` column.
    """
    runs = scored.runs.copy()
    runs.insert(1, "matrix", ["A"] * n + ["B"] * n + [f"AB:{i}" for i in inputs for _ in range(n)])
    runs["output"] = y
    return runs


def _independent_runs(scored: Scored, n: int) -> Scored:
    """The 2N independent runs (matrices A and B) of a Saltelli design.

    Parameters
    ----------
    scored : Scored
        Every run of the design, A and B first.
    n : int
        The base sample size.

    Returns
    -------
    Scored
        The first ``2 * n`` runs, with the design's invalid table and counts.
    """
    # COINr's rank statistics come from the 2N independent runs (A and B) only
    two_n = slice(0, 2 * n)
    return Scored(
        None if scored.scores is None else scored.scores[two_n],
        None if scored.ranks is None else scored.ranks[two_n],
        scored.valid[two_n],
        scored.invalid,
        scored.runs.iloc[two_n].reset_index(drop=True),
        counts=scored.counts,
    )


def sensitivity(
    framework: Framework,
    data: Dataset,
    vary: UncertaintySpec | Mapping[str, Any] | str | Path,
    *,
    n: int = 1000,
    seed: int | None = 0,
    output: str | None = None,
    n_boot: int = 1000,
    confidence: float = 0.90,
    year: int | None = None,
    chunk: int | None = None,
    invalid: Invalid = "drop",
    progress: Progress | None = None,
    keep_runs: bool = False,
    max_memory: int | None = None,
    **base: Any,
) -> SensitivityResult:
    r"""Sobol sensitivity indices of the ranks to each uncertain input.

    Design (Saltelli et al. 2010): two :math:`N \times d` matrices A and B of scrambled Sobol'
    quasi-random points (``scipy.stats.qmc.Sobol``, one :math:`2d`-dimensional sequence split in
    two), and for each input :math:`i` the matrix :math:`A_B^{(i)}` — A with column :math:`i`
    from B: :math:`N(d + 2)` runs in all. Categorical inputs take level
    :math:`\lfloor uL \rfloor`; the weights input picks one of :math:`N` weight draws the same
    way (COINr's design, where the weights are one input with a list of noisy weight sets).

    With :math:`f` the output and :math:`V = \operatorname{Var}[f(A), f(B)]`:

    .. math::
        S_i = \frac{\frac1N\sum_j f(B)_j\,\bigl(f(A_B^{(i)})_j - f(A)_j\bigr)}{V}
        \qquad
        S_{Ti} = \frac{\frac1{2N}\sum_j \bigl(f(A)_j - f(A_B^{(i)})_j\bigr)^2}{V}

    (Saltelli 2010, table 2 (b); Jansen 1999, table 2 (f)) — COINr's ``SA_estimate``.

    Differences from COINr's ``get_sensitivity(SA_type = "SA")``: A and B are quasi-random
    (COINr: ``runif``), which lowers the estimators' variance at equal N; the bootstrap resamples
    whole tuples (rows of A, B and every :math:`A_B^{(i)}` together) and recomputes :math:`V`
    (COINr resamples each index's terms on their own, :math:`V` fixed); a failed run makes
    COINr's indices NA, here its tuple is left out and reported.

    Parameters
    ----------
    n
        Base sample size :math:`N` (runs: :math:`N(d + 2)`).
    output
        What the indices explain: None (default) the mean absolute rank shift against the
        nominal ranking over the units, :math:`\frac1n\sum_u|\text{rank}_u - \text{rank}_{0,u}|`
        (COINr's choice); or a unit id, for that unit's rank.
    n_boot, confidence
        Bootstrap resamples of the N tuples and the two-sided level of the percentile interval
        (0.90: the 5th and 95th percentiles, as COINr).
    seed, year, chunk, invalid, progress, keep_runs, max_memory, **base
        As for :func:`uncertainty`: without ``keep_runs`` each run's output is computed from
        its ranks chunk by chunk (a ``(runs,)`` vector), and :attr:`SensitivityResult.ranks`
        is not kept.

    Returns
    -------
    SensitivityResult
    """
    _check_sensitivity_options(n, confidence, invalid)
    engine, spec, year, notes = _setup(framework, data, vary, year, base)
    inputs = spec.inputs()
    d = len(inputs)
    units = engine.data.units[engine.rows].astype(str)
    unit_col = _output_column(units, output)
    seeds = np.random.SeedSequence(seed).spawn(3)
    design, bank = _saltelli_design(engine, spec, n, seeds)
    _, nominal_ranks = _nominal(engine)
    per_run, label = _output_function(units, unit_col, nominal_ranks)
    scored = run_design(
        engine,
        design,
        chunk=chunk,
        progress=progress,
        invalid=invalid,
        keep_runs=keep_runs,
        max_memory=max_memory,
        counted=2 * n,
        output=per_run,
    )
    assert scored.outputs is not None
    y = scored.outputs
    y[~scored.valid] = np.nan
    y_a, y_b = y[:n], y[n : 2 * n]
    y_ab = y[2 * n :].reshape(d, n).T
    table, variance, n_valid = estimate(
        y_a, y_b, y_ab, inputs, n_boot, confidence, np.random.default_rng(seeds[2])
    )
    notes += _sensitivity_notes(scored, n, n_valid, variance, label)
    prov = _provenance(
        engine,
        spec,
        "sensitivity",
        n=n,
        runs=len(y),
        seed=seed,
        inputs=inputs,
        output=label,
        n_boot=n_boot,
        confidence=confidence,
    )
    runs = _tagged_runs(scored, y, inputs, n)
    unc = _result(engine, _independent_runs(scored, n), bank, notes, prov)
    return SensitivityResult(
        indices=table,
        outputs=y,
        run_ranks=scored.ranks,
        variance=variance,
        n=n,
        n_valid=n_valid,
        output=label,
        runs=runs,
        uncertainty=unc,
        warnings=tuple(notes),
        provenance=unc.provenance,
    )
