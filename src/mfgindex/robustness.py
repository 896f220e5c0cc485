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
chunks so that memory stays bounded, and every random number comes from
``numpy.random.default_rng(seed)``, so a seed gives identical output.

**Invalid combinations.** Some combinations cannot be computed for some units — a z-score feeds
negative values into a geometric mean, a min-max to [0, 100] feeds a zero. COINr silently
discards such runs. Here the policy (``invalid``) is explicit:

* ``"drop"`` (default): a run in which any unit's score is refused is *invalid*; it is left out
  of every unit's rank statistics (so each statistic is computed over valid runs only), counted,
  and reported — which choices, how many runs, which groups and which units — in
  :attr:`UncertaintyResult.invalid` and :attr:`UncertaintyResult.warnings`. Ranking only the
  units that could be scored would flatter them (the refused units are the weak ones), so a
  partial run is never used. In a sensitivity analysis the output of an invalid run is
  undefined; the estimators drop each Monte Carlo tuple (row of A, B and every AB matrix) that
  contains one, and say so.
* ``"raise"``: stop with a :class:`~mfgindex.errors.MethodError` naming the combination.

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

import tomllib
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from mfgindex._version import __version__
from mfgindex.errors import MethodError, MfgIndexError, UsageError, did_you_mean
from mfgindex.methods.base import rank_min

if TYPE_CHECKING:
    import pandas as pd

    from mfgindex.data import Dataset
    from mfgindex.framework import Framework
    from mfgindex.methods.registry import MethodCall
    from mfgindex.pipeline import Aggregator, Prepared

__all__ = [
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

#: Categorical stages a spec may vary, in pipeline order.
STAGES = ("impute", "treat", "normalize", "aggregate")
#: Every input a spec may vary, in the order they appear in outputs.
INPUTS = ("weights", *STAGES, "exclude")
Invalid = Literal["drop", "raise"]
Progress = Callable[[int, int], None]

_NONE = "none"


class SpecError(MfgIndexError):
    """An uncertainty spec (TOML file, mapping or ``--vary`` option) is invalid.

    ``problems`` lists every problem found, each with its key path, so all are fixed in one pass.
    """


# ---------------------------------------------------------------------------------------------
# The spec
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WeightNoise:
    r"""How weights vary.

    Attributes
    ----------
    noise
        ``"uniform"``: each perturbed weight is multiplied by an independent factor
        :math:`1 + \text{noise}\,(2u - 1)`, :math:`u \sim U(0, 1)` — COINr's
        ``get_noisy_weights`` (``w + (2u - 1) · NoiseFactor · w``). In ``[0, 1)``.
    levels
        COINr levels whose nodes' weights are perturbed (indicators are level 1, the index the
        highest level, which has no weight to vary). Default: every level below the index.
    distribution
        ``"uniform"`` (above) or ``"dirichlet"``: the weights of the children of a group, as
        shares :math:`s`, are drawn from :math:`\operatorname{Dir}(c\,s)` with
        :math:`c` = ``concentration`` (mean :math:`s`, variance :math:`s_i(1 - s_i)/(c + 1)`:
        larger is tighter). All children of a group are perturbed together. :math:`s` are the
        framework's weights; with a data-driven weight method the draws, as factors
        :math:`D_i / s_i`, multiply its weights instead.
    concentration
        Dirichlet concentration :math:`c > 0` (default 100).
    """

    noise: float = 0.0
    levels: tuple[int, ...] | None = None
    distribution: Literal["uniform", "dirichlet"] = "uniform"
    concentration: float = 100.0

    @property
    def active(self) -> bool:
        return self.distribution == "dirichlet" or self.noise > 0


@dataclass(frozen=True)
class UncertaintySpec:
    """What an uncertainty or sensitivity analysis varies.

    Attributes
    ----------
    weights
        Weight noise, or None.
    impute, treat, normalize, aggregate
        Method strings to choose from, each with equal probability (``"none"`` skips the stage
        where the stage may be skipped). An empty tuple keeps the base choice.
    exclude
        Indicators that may be left out: each run leaves out none or one of them, with equal
        probability (leave-one-out). A left-out indicator gets weight 0 in its group, whose
        other children are renormalised, as if it were removed from the framework (screening
        and normalisation still see it).
    source
        Where the spec came from (for messages and provenance).
    """

    weights: WeightNoise | None = None
    impute: tuple[str, ...] = ()
    treat: tuple[str, ...] = ()
    normalize: tuple[str, ...] = ()
    aggregate: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    source: str = "<spec>"

    def inputs(self) -> list[str]:
        """The inputs that actually vary, in :data:`INPUTS` order."""
        out = []
        if self.weights is not None and self.weights.active:
            out.append("weights")
        out += [s for s in STAGES if len(getattr(self, s)) > 1]
        if self.exclude:
            out.append("exclude")
        return out

    def choices(self, name: str) -> tuple[str, ...]:
        """The levels of a categorical input (``exclude``: ``"none"`` then each indicator)."""
        if name == "exclude":
            return (_NONE, *self.exclude)
        return tuple(getattr(self, name))

    def to_dict(self) -> dict[str, Any]:
        """The spec as a TOML-like mapping (for provenance)."""
        out: dict[str, Any] = {}
        if self.weights is not None:
            w = self.weights
            table: dict[str, Any] = {"distribution": w.distribution}
            if w.distribution == "dirichlet":
                table["concentration"] = w.concentration
            else:
                table["noise"] = w.noise
            if w.levels is not None:
                table["levels"] = list(w.levels)
            out["weights"] = table
        for s in STAGES:
            if getattr(self, s):
                out[s] = {"choices": list(getattr(self, s))}
        if self.exclude:
            out["exclude"] = {"indicators": list(self.exclude)}
        return out


_TABLE_KEYS: dict[str, set[str]] = {
    "weights": {"noise", "levels", "distribution", "concentration"},
    "exclude": {"indicators"},
    **{s: {"choices"} for s in STAGES},
}
_SKIPPABLE = {"impute", "treat", "normalize"}


def read_spec(
    source: UncertaintySpec | Mapping[str, Any] | str | Path | None,
    framework: Framework,
    *,
    overrides: Sequence[str] = (),
) -> UncertaintySpec:
    """Read and validate an uncertainty spec against ``framework``.

    Parameters
    ----------
    source
        A TOML file, a mapping with the same structure, an :class:`UncertaintySpec`
        (validated again), or None (only ``overrides``).
    overrides
        ``KEY=VALUE`` items (the CLI's ``--vary``) merged over the file: ``KEY`` is a dotted
        key of the TOML (``weights.noise=0.25``, ``normalize.choices=["minmax", "rank"]``) or a
        shorthand — ``weights=0.25`` (noise), ``aggregate=arithmetic|geometric`` (choices,
        separated by ``|``), ``exclude=all``, ``weights.levels=2,3``.

    Raises
    ------
    SpecError
        Listing every problem with its key path: unknown tables and keys (with a suggestion),
        method strings that do not resolve, indicators or levels the framework does not have.
    """
    where = "<spec>"
    doc: dict[str, Any]
    if isinstance(source, UncertaintySpec):
        where = source.source
        doc = source.to_dict()
    elif isinstance(source, Mapping):
        doc = _deep_copy(source)
    elif source is None:
        doc = {}
    else:
        path = Path(source)
        where = str(path)
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise SpecError(f"cannot read the spec file: {exc.strerror or exc}", where=where,
                            hint="give the path of a TOML file") from None
        try:
            doc = tomllib.loads(raw.decode("utf-8-sig"))
        except UnicodeDecodeError:
            raise SpecError("the spec file is not UTF-8 text", where=where) from None
        except tomllib.TOMLDecodeError as exc:
            raise SpecError(f"TOML syntax error: {exc}", where=where,
                            hint="see docs/robustness.md for the format") from None
    if overrides:
        where = where if where != "<spec>" else "--vary"
        for item in overrides:
            _merge(doc, _parse_override(item))
    return _build_spec(doc, framework, where)


def _deep_copy(doc: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _deep_copy(v) if isinstance(v, Mapping) else v for k, v in doc.items()}


def _merge(doc: dict[str, Any], extra: Mapping[str, Any]) -> None:
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(doc.get(key), Mapping):
            _merge(doc[key], value)
        elif isinstance(value, Mapping) and key in doc and not isinstance(doc[key], Mapping):
            # a shorthand in the file (`weights = 0.25`) refined by a dotted override
            doc[key] = {**_expand(key, doc[key]), **value}
        else:
            doc[key] = value


def _parse_override(item: str) -> dict[str, Any]:
    key, sep, value = item.partition("=")
    key, value = key.strip(), value.strip()
    if not sep or not key:
        raise SpecError(f"cannot read --vary {item!r}", where="--vary",
                        hint="write KEY=VALUE, e.g. --vary 'aggregate=arithmetic|geometric' "
                             "or --vary weights.noise=0.25")
    try:
        parsed = tomllib.loads(f"{key} = {value}")
    except tomllib.TOMLDecodeError:
        parts = key.split(".")
        if parts[-1] == "levels":
            items: Any = [_int_or_text(v) for v in value.split(",") if v.strip()]
        else:
            items = [v.strip() for v in value.split("|") if v.strip()]
            if parts[0] == "exclude" and items == ["all"]:
                items = "all"
        parsed = {}
        node = parsed
        for p in parts[:-1]:
            node = node.setdefault(p, {})
        node[parts[-1]] = items
    return parsed


def _int_or_text(text: str) -> int | str:
    try:
        return int(text)
    except ValueError:
        return text.strip()


def _expand(name: str, value: Any) -> dict[str, Any]:
    """Shorthands: ``weights = 0.25``, ``normalize = [...]``, ``exclude = [...]`` or ``"all"``."""
    if name == "weights":
        return {"noise": value}
    if name == "exclude":
        return {"indicators": value}
    return {"choices": value}


def _build_spec(doc: Mapping[str, Any], fw: Framework, where: str) -> UncertaintySpec:
    from mfgindex.methods.registry import resolve

    problems: list[str] = []
    tables: dict[str, Mapping[str, Any]] = {}
    for name, value in doc.items():
        if name not in _TABLE_KEYS:
            problems.append(f"{name}: unknown table." + did_you_mean(name, _TABLE_KEYS)
                            + f" Tables: {', '.join(INPUTS)}")
            continue
        table = value if isinstance(value, Mapping) else _expand(name, value)
        for key in table:
            if key not in _TABLE_KEYS[name]:
                problems.append(f"{name}.{key}: unknown key." + did_you_mean(key, _TABLE_KEYS[name])
                                + f" Keys: {', '.join(sorted(_TABLE_KEYS[name]))}")
        tables[name] = table

    weights = _weights_spec(tables.get("weights"), fw, problems)
    stages: dict[str, tuple[str, ...]] = {}
    for stage in STAGES:
        if stage not in tables or "choices" not in tables[stage]:
            continue
        raw = tables[stage]["choices"]
        key = f"{stage}.choices"
        if isinstance(raw, str):
            raw = [raw]
        if not isinstance(raw, list) or not raw:
            problems.append(f"{key}: must be a non-empty list of method strings, got {raw!r}")
            continue
        choices: list[str] = []
        for k, choice in enumerate(raw):
            if not isinstance(choice, str) or not choice.strip():
                problems.append(f"{key}[{k}]: must be a method string, got {choice!r}")
                continue
            if choice.strip().lower() == _NONE:
                if stage not in _SKIPPABLE:
                    problems.append(f"{key}[{k}]: the {stage} stage cannot be skipped")
                    continue
                text = _NONE
            else:
                try:
                    text = resolve("weight" if stage == "weights" else stage, choice).spec()
                except MfgIndexError as exc:
                    problems.append(f"{key}[{k}]: {exc.what}")
                    continue
            if text in choices:
                problems.append(f"{key}[{k}]: '{choice}' is listed twice")
                continue
            choices.append(text)
        if len(raw) == 1:
            problems.append(f"{key}: one choice does not vary the {stage} stage: list two or "
                            f"more, or set the method itself with the {stage} option")
        stages[stage] = tuple(choices)

    exclude: tuple[str, ...] = ()
    if "exclude" in tables and "indicators" in tables["exclude"]:
        raw = tables["exclude"]["indicators"]
        ids = [i.id for i in fw.indicators]
        if raw == "all":
            exclude = tuple(ids)
        elif isinstance(raw, list) and raw:
            good = []
            for k, ind in enumerate(raw):
                if ind not in ids:
                    problems.append(f"exclude.indicators[{k}]: '{ind}' is not an indicator of "
                                    f"framework '{fw.id}'." + did_you_mean(str(ind), ids))
                elif ind in good:
                    problems.append(f"exclude.indicators[{k}]: '{ind}' is listed twice")
                else:
                    good.append(ind)
            exclude = tuple(good)
        else:
            problems.append(f"exclude.indicators: must be a non-empty list of indicator ids or "
                            f"\"all\", got {raw!r}")

    spec = UncertaintySpec(weights=weights, exclude=exclude, source=where, **stages)
    if not problems and not spec.inputs():
        problems.append("nothing varies: give weight noise, two or more choices for a stage, or "
                        "indicators to exclude")
    if problems:
        n = len(problems)
        raise SpecError(f"invalid uncertainty spec ({n} problem{'s' if n > 1 else ''})",
                        where=where, problems=problems,
                        hint="the format is described in docs/robustness.md")
    return spec


def _weights_spec(table: Mapping[str, Any] | None, fw: Framework,
                  problems: list[str]) -> WeightNoise | None:
    if table is None:
        return None
    top = fw.level(fw.id)
    noise = table.get("noise", 0.0)
    if isinstance(noise, bool) or not isinstance(noise, int | float) or not 0 <= noise < 1:
        problems.append(f"weights.noise: must be a number in [0, 1), got {noise!r}")
        noise = 0.0
    distribution = table.get("distribution", "uniform")
    if distribution not in ("uniform", "dirichlet"):
        problems.append(f"weights.distribution: must be \"uniform\" or \"dirichlet\", got "
                        f"{distribution!r}." + did_you_mean(str(distribution), ["uniform", "dirichlet"]))
        distribution = "uniform"
    conc = table.get("concentration", 100.0)
    if isinstance(conc, bool) or not isinstance(conc, int | float) or not conc > 0:
        problems.append(f"weights.concentration: must be a positive number, got {conc!r}")
        conc = 100.0
    if "concentration" in table and distribution != "dirichlet":
        problems.append("weights.concentration: only used with distribution = \"dirichlet\"")
    if "noise" in table and distribution == "dirichlet":
        problems.append("weights.noise: not used with distribution = \"dirichlet\" (its "
                        "spread is set by concentration)")
    levels_raw = table.get("levels")
    levels: tuple[int, ...] | None = None
    if levels_raw is not None:
        if isinstance(levels_raw, int) and not isinstance(levels_raw, bool):
            levels_raw = [levels_raw]
        ok = isinstance(levels_raw, list) and bool(levels_raw)
        ok = ok and all(isinstance(v, int) and not isinstance(v, bool) for v in levels_raw)
        if not ok:
            problems.append(f"weights.levels: must be a list of levels (integers), got {levels_raw!r}")
        else:
            for k, lev in enumerate(levels_raw):
                if lev == top:
                    problems.append(f"weights.levels[{k}]: level {lev} is the index, which has no "
                                    f"weight to vary (levels with weights: 1 to {top - 1})")
                elif not 1 <= lev < top:
                    problems.append(f"weights.levels[{k}]: framework '{fw.id}' has levels 1 "
                                    f"(indicators) to {top} (the index); got {lev}")
            levels = tuple(sorted(set(levels_raw)))
    return WeightNoise(noise=float(noise), levels=levels, distribution=distribution,
                       concentration=float(conc))


# ---------------------------------------------------------------------------------------------
# Ranks
# ---------------------------------------------------------------------------------------------


def rank_rows(scores: np.ndarray) -> np.ndarray:
    """Ranks within each row of ``(r, n)`` scores: 1 = highest, ties share the lowest rank,
    NaN stays NaN — R's ``rank(-x, ties.method = "min", na.last = "keep")`` per run
    (:func:`mfgindex.methods.base.rank_min`).
    """
    return rank_min(scores, axis=-1, descending=True)


# ---------------------------------------------------------------------------------------------
# The engine: score many runs of a framework under sampled choices
# ---------------------------------------------------------------------------------------------


@dataclass
class _Combination:
    """One combination of categorical choices, prepared and normalised once."""

    key: tuple[str, ...]
    rows: np.ndarray  # dataset rows scored (screening may differ between combinations)
    normalised: np.ndarray  # (len(rows), m)
    aggregators: dict[str, Aggregator]
    agg_specs: dict[str, str]
    weights: dict[str, np.ndarray]  # base weights per group, (k,)


class _Engine:
    """Scores runs: categorical choices per run plus weight factors per weight-carrying node."""

    def __init__(self, fw: Framework, data: Dataset, spec: UncertaintySpec,
                 base: Mapping[str, Any], year: int | None) -> None:
        from mfgindex.pipeline import coverage_threshold, weight_methods

        self.fw, self.data, self.spec, self.base, self.year = fw, data, spec, dict(base), year
        self.threshold = coverage_threshold(fw, base.get("min_coverage"))
        self.weight_calls = weight_methods(fw, base.get("weights"))
        self.groups = [g.id for g in fw.groups]
        # weight-carrying nodes (every node but the index), in a fixed order
        self.nodes = [n.id for n in fw.walk() if n.parent is not None]
        self.node_pos = {nid: i for i, nid in enumerate(self.nodes)}
        self.cols = {g: np.array([self.node_pos[c] for c in fw.children(g)]) for g in self.groups}
        self._prepared: dict[tuple[str, str], Prepared] = {}
        self._combos: dict[tuple[str, ...], _Combination] = {}
        nominal = self.combination(self.nominal_key())
        self.rows = nominal.rows
        self.row_pos = {int(r): i for i, r in enumerate(self.rows)}

    # -- combinations -----------------------------------------------------------------------
    def nominal_key(self) -> tuple[str, ...]:
        """The base choice of each categorical stage (None → the framework's own choice)."""
        return tuple(self.base.get(s) or "" for s in STAGES)

    def combination(self, key: tuple[str, ...]) -> _Combination:
        if key in self._combos:
            return self._combos[key]
        from mfgindex.pipeline import (
            aggregate_tree,
            aggregators,
            normalise,
            prepare,
            weight_function,
        )

        imp, trt, norm, agg = (k or None for k in key)
        base = self.base
        pkey = (imp or "", trt or "")
        if pkey not in self._prepared:
            self._prepared[pkey] = prepare(self.fw, self.data, year=self.year,
                                           denominate=base.get("denominate"), impute=imp,
                                           screen=base.get("screen"), treat=trt)
        prep = self._prepared[pkey]
        if len(prep.blocks) != 1:
            raise UsageError("uncertainty analysis scores one year at a time",
                             hint="give year=... (--year)")
        rows = prep.blocks[0].rows
        normalised, _, _ = normalise(self.fw, prep, normalize=norm,
                                     fit_on=base.get("fit_on", "each"))
        normalised = normalised[rows]
        calls = aggregators(self.fw, agg)
        funcs = {g: _quiet(c) for g, c in calls.items()}
        # Base weights: the weight method on this combination's nominal tree (data-driven
        # methods give different weights for different normalisations).
        used: dict[str, dict[str, float]] = {}
        fns = {g: weight_function(self.fw, g, self.weight_calls[g], g, used) for g in self.groups}
        aggregate_tree(self.fw, normalised, fns, funcs, self.threshold, refused={})
        weights = {g: np.array([used[g][c] for c in self.fw.children(g)]) for g in self.groups}
        combo = _Combination(key, rows, normalised, funcs, {g: c.spec() for g, c in calls.items()},
                             weights)
        self._combos[key] = combo
        return combo

    # -- scoring ------------------------------------------------------------------------------
    def score(self, key: tuple[str, ...], factors: np.ndarray | None,
              excluded: np.ndarray | None) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Index scores ``(r, n)`` of ``r`` runs of one combination, and the refused masks.

        ``factors`` ``(r, nodes)`` multiply the base weights (None: no noise); ``excluded``
        ``(r,)`` is the node position of the indicator left out, or -1 (None: nothing left out).
        """
        from mfgindex.pipeline import aggregate_tree

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
        with np.errstate(all="ignore"):
            tree = aggregate_tree(self.fw, combo.normalised, weights, combo.aggregators,
                                  self.threshold, refused=refused)
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
        return np.array(root), refused


def _remap(mask: np.ndarray, rows: np.ndarray, pos: Mapping[int, int], n: int) -> np.ndarray:
    out = np.zeros((*mask.shape[:-1], n), dtype=bool)
    for i, row in enumerate(rows):
        if int(row) in pos:
            out[..., pos[int(row)]] = mask[..., i]
    return out


def _quiet(call: MethodCall) -> Aggregator:
    """``call`` without numpy's warnings, marked row-wise when it is (see
    :func:`mfgindex.pipeline.aggregate_tree`)."""
    from mfgindex.pipeline import ROW_WISE

    def run(values: np.ndarray, w: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            return np.asarray(call(values, w), dtype=float)

    run.row_wise = call.name in ROW_WISE  # type: ignore[attr-defined]
    return run


# ---------------------------------------------------------------------------------------------
# Sampling the inputs
# ---------------------------------------------------------------------------------------------


def _weight_factors(engine: _Engine, noise: WeightNoise | None, count: int,
                    rng: np.random.Generator) -> np.ndarray | None:
    """``count`` draws of the multiplier of every weight-carrying node: ``(count, nodes)``."""
    if noise is None or not noise.active:
        return None
    fw = engine.fw
    levels = set(noise.levels) if noise.levels else set(range(1, fw.level(fw.id)))
    perturbed = np.array([fw.level(nid) in levels for nid in engine.nodes])
    factors = np.ones((count, len(engine.nodes)))
    if noise.distribution == "uniform":
        u = rng.random((count, int(perturbed.sum())))
        factors[:, perturbed] = 1.0 + noise.noise * (2.0 * u - 1.0)
        return factors
    for g in engine.groups:
        cols = engine.cols[g]
        if not perturbed[cols].any():
            continue
        nominal = np.array([fw.nodes[engine.nodes[c]].weight for c in cols], dtype=float)
        share = nominal / nominal.sum()
        live = share > 0
        draws = rng.dirichlet(noise.concentration * share[live], size=count)
        factors[np.ix_(np.arange(count), cols[live])] = draws / share[live]
    return factors


def _levels_of(u: np.ndarray, n_levels: int) -> np.ndarray:
    """Floor-of-uniform: ``u`` in [0, 1) → a level 0 … n_levels - 1, each with probability 1/L."""
    return np.minimum((u * n_levels).astype(np.int64), n_levels - 1)


@dataclass
class _Design:
    """The sampled choices of every run: one integer code per categorical input, and the
    weight-factor draw of each run."""

    runs: int
    inputs: list[str]
    codes: dict[str, np.ndarray]  # input -> (runs,) level index
    weight_draw: np.ndarray | None  # (runs,) row of the factor bank
    factors: np.ndarray | None  # (draws, nodes) bank of weight factors


def _design_from_uniforms(spec: UncertaintySpec, u: np.ndarray, bank: np.ndarray | None,
                          draw_of_run: np.ndarray | None = None) -> _Design:
    inputs = spec.inputs()
    codes: dict[str, np.ndarray] = {}
    weight_draw = None
    for k, name in enumerate(inputs):
        if name == "weights" and bank is not None:
            weight_draw = draw_of_run if draw_of_run is not None else _levels_of(u[:, k], len(bank))
        elif name != "weights":
            codes[name] = _levels_of(u[:, k], len(spec.choices(name)))
    return _Design(len(u), inputs, codes, weight_draw, bank)


# ---------------------------------------------------------------------------------------------
# Running a design
# ---------------------------------------------------------------------------------------------


@dataclass
class _Scored:
    scores: np.ndarray  # (runs, n)
    ranks: np.ndarray  # (runs, n)
    valid: np.ndarray  # (runs,)
    invalid: pd.DataFrame
    runs: pd.DataFrame


def _run_design(engine: _Engine, design: _Design, *, chunk: int | None,
                progress: Progress | None, invalid: Invalid) -> _Scored:
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
            if factors is None and excl is None:
                root, refused = engine.score(key, None, None)
                root = np.broadcast_to(root[0], (len(part), n))
                refused = {g: np.broadcast_to(m, (len(part), n)) for g, m in refused.items()}
            else:
                root, refused = engine.score(key, factors, excl)
            if refused:
                bad_cells = np.zeros((len(part), n), dtype=bool)
                for m in refused.values():
                    bad_cells |= np.broadcast_to(m, (len(part), n))
                bad_runs = np.asarray(bad_cells.any(axis=1), dtype=bool)
                if bad_runs.any():
                    combo = engine.combination(key)
                    record = _describe(engine, key, combo, part[bad_runs], refused,
                                       bad_cells[bad_runs])
                    if invalid == "raise":
                        raise MethodError(
                            f"invalid combination: {record['choices']}: "
                            f"{record['reason']} (units: {record['units']})",
                            hint="choose methods that fit together (e.g. minmax(low=1, high=100) "
                                 "before a geometric mean), or use invalid='drop'")
                    problems.append(record)
                    valid[part[bad_runs]] = False
                    root = np.where(bad_runs[:, None], np.nan, root)
            scores[part] = root
            done += len(part)
            if progress is not None:
                progress(done, total)
    ranks = rank_rows(scores)
    runs_frame = _runs_frame(engine, design, keys, excluded_node, valid)
    invalid_frame = _invalid_frame(problems)
    return _Scored(scores, ranks, valid, invalid_frame, runs_frame)


def _describe(engine: _Engine, key: tuple[str, ...], combo: _Combination, runs: np.ndarray,
              refused: Mapping[str, np.ndarray], cells: np.ndarray) -> dict[str, Any]:
    units = engine.data.units[engine.rows]
    who = units[cells.any(axis=0)]
    groups = sorted(g for g, m in refused.items() if np.asarray(m).any())
    methods = sorted({combo.agg_specs[g] for g in groups})
    choices = {s: key[i] or "(base)" for i, s in enumerate(STAGES)}
    text = ", ".join(f"{s}={v}" for s, v in choices.items() if v != "(base)" or s == "aggregate")
    return {
        **choices,
        "runs": len(runs),
        "groups": ", ".join(groups),
        "n_units": len(who),
        "units": ", ".join(map(str, who)),
        "reason": f"{' / '.join(methods)} refused the values of units in {', '.join(groups)}",
        "choices": text,
    }


def _invalid_frame(problems: list[dict[str, Any]]) -> pd.DataFrame:
    import pandas as pd

    cols = [*STAGES, "runs", "groups", "n_units", "units", "reason"]
    if not problems:
        return pd.DataFrame(columns=cols)
    frame = pd.DataFrame(problems)
    keys = [*STAGES, "groups", "reason"]
    # one row per combination: chunks of the same combination are summed
    agg = frame.groupby(keys, sort=False, dropna=False).agg(
        runs=("runs", "sum"),
        units=("units", lambda s: ", ".join(dict.fromkeys(", ".join(s).split(", ")))),
    ).reset_index()
    agg["n_units"] = agg["units"].map(lambda t: len(t.split(", ")) if t else 0)
    return agg[cols]


def _runs_frame(engine: _Engine, design: _Design, keys: np.ndarray,
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


# ---------------------------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UncertaintyResult:
    """Rank distributions of every unit over the Monte Carlo runs.

    Attributes
    ----------
    units, names
        ``(n,)`` unit ids and names (None when the data has no name column).
    nominal_scores, nominal_ranks
        ``(n,)`` the index under the base choices (equal to :func:`mfgindex.compute`'s).
    scores, ranks
        ``(runs, n)`` the index and its rank in every run (NaN: unranked, or an invalid run).
    runs
        One row per run: the sampled choice of each varied input (``weights`` is the number of
        the weight draw, see ``weight_factors``), and ``valid``.
    weight_factors
        One row per weight draw, one column per weight-carrying node: the factor its weight was
        multiplied by (1 where not perturbed). None when weights do not vary.
    invalid
        One row per combination with invalid runs: its choices, how many runs, the groups and
        units refused and why. Empty when every run is valid.
    warnings
        Human-readable notes: invalid runs, the year analysed, …
    provenance
        Everything needed to reproduce the analysis (spec, seed, base methods, versions).
    """

    framework: Framework
    units: np.ndarray
    names: np.ndarray | None
    nominal_scores: np.ndarray
    nominal_ranks: np.ndarray
    scores: np.ndarray
    ranks: np.ndarray
    runs: pd.DataFrame
    weight_factors: pd.DataFrame | None
    invalid: pd.DataFrame
    warnings: tuple[str, ...]
    provenance: Mapping[str, Any]

    @property
    def valid(self) -> np.ndarray:
        return self.runs["valid"].to_numpy(dtype=bool)

    def summary(self) -> pd.DataFrame:
        """Per unit: ``nominal_rank``, ``median_rank``, ``q05_rank``, ``q95_rank``,
        ``mean_abs_shift`` over the valid runs.

        Quantiles interpolate linearly between order statistics (R's default, type 7, as COINr's
        ``RankStats``); the shift is :math:`\\frac{1}{R}\\sum_r |\\text{rank}_r - \\text{rank}_0|`
        over the runs where the unit is ranked.
        """
        import pandas as pd

        ranks = self.ranks[self.valid]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # units never ranked: NaN, quietly
            median = np.nanmedian(ranks, axis=0) if len(ranks) else np.full(len(self.units), np.nan)
            q = (np.nanquantile(ranks, [0.05, 0.95], axis=0) if len(ranks)
                 else np.full((2, len(self.units)), np.nan))
            shift = (np.nanmean(np.abs(ranks - self.nominal_ranks), axis=0) if len(ranks)
                     else np.full(len(self.units), np.nan))
        fw = self.framework
        out = pd.DataFrame({fw.unit_column: self.units})
        if self.names is not None:
            out[fw.name_column or "name"] = self.names
        out["nominal_rank"] = pd.array(self.nominal_ranks, dtype="Float64").astype("Int64")
        out["median_rank"] = median
        out["q05_rank"] = q[0]
        out["q95_rank"] = q[1]
        out["mean_abs_shift"] = shift
        return out

    def to_frame(self) -> pd.DataFrame:
        """The summary, sorted by nominal rank (the output table of ``mfgindex uncertainty``)."""
        frame = self.summary()
        return frame.sort_values("nominal_rank", na_position="last", kind="stable").reset_index(drop=True)


@dataclass(frozen=True)
class SensitivityResult:
    """Sobol sensitivity indices of an output to each uncertain input.

    Attributes
    ----------
    indices
        One row per input: ``first_order`` (Saltelli 2010), ``total_order`` (Jansen 1999) and
        their bootstrap bounds ``_low`` / ``_high``.
    outputs
        ``(N (d + 2),)`` the output of every run, in the order A, B, AB₁ … AB_d.
    ranks
        ``(N (d + 2), n)`` every run's ranks (NaN: unranked, or an invalid run), same order.
    variance
        The output's variance over the A and B runs.
    n
        Base sample size N; ``n_valid`` tuples were usable.
    output
        What the indices explain (e.g. "mean absolute rank shift").
    runs
        Every run: its ``matrix`` (A, B or AB:input), sampled choices, ``valid`` and ``output``.
    uncertainty
        Rank statistics from the 2N independent runs (A and B), as COINr reports them.
    """

    indices: pd.DataFrame
    outputs: np.ndarray
    ranks: np.ndarray
    variance: float
    n: int
    n_valid: int
    output: str
    runs: pd.DataFrame
    uncertainty: UncertaintyResult
    warnings: tuple[str, ...]
    provenance: Mapping[str, Any]

    def to_frame(self) -> pd.DataFrame:
        """The indices table (the output of ``mfgindex sensitivity``)."""
        return self.indices.copy()


# ---------------------------------------------------------------------------------------------
# Public entry points
# ---------------------------------------------------------------------------------------------


#: The base choices ``uncertainty`` and ``sensitivity`` accept: :func:`mfgindex.compute`'s options.
_BASE_OPTIONS = ("denominate", "impute", "screen", "treat", "normalize", "weights", "aggregate",
                 "min_coverage", "fit_on")


def _setup(framework: Framework, data: Dataset, vary: Any, year: int | None,
           base: Mapping[str, Any]) -> tuple[_Engine, UncertaintySpec, int | None, list[str]]:
    unknown = set(base) - set(_BASE_OPTIONS)
    if unknown:
        name = sorted(unknown)[0]
        raise UsageError(f"unknown option '{name}'." + did_you_mean(name, _BASE_OPTIONS))
    spec = read_spec(vary, framework)  # a ready UncertaintySpec is validated too
    notes: list[str] = []
    if year is None and data.years is not None and len(set(data.years.tolist())) > 1:
        year = int(max(data.years))
        notes.append(f"the data is a panel: analysing its latest year, {year} (choose with year=)")
    engine = _Engine(framework, data, spec, base, year)
    return engine, spec, year, notes


def _nominal(engine: _Engine) -> tuple[np.ndarray, np.ndarray]:
    """The base index and ranks; refused units raise here, as :func:`mfgindex.compute` would."""
    from mfgindex.pipeline import aggregate_tree

    combo = engine.combination(engine.nominal_key())
    tree = aggregate_tree(engine.fw, combo.normalised, combo.weights, combo.aggregators,
                          engine.threshold)
    scores = np.asarray(tree[engine.fw.id], dtype=float)
    return scores, rank_rows(scores[None, :])[0]


def _invalid_notes(valid: np.ndarray, invalid: pd.DataFrame) -> list[str]:
    """Warnings about invalid runs: how many, and per combination which units and why."""
    n_bad = int((~valid).sum())
    if not n_bad:
        return []
    notes = [f"{n_bad} of {len(valid)} runs ({100 * n_bad / len(valid):.1f}%) are invalid "
             "combinations, left out of the statistics (invalid='drop'):"]
    for row in invalid.itertuples(index=False):
        choices = ", ".join(f"{s}={getattr(row, s)}" for s in STAGES
                            if getattr(row, s) and getattr(row, s) != "(base)")
        units = str(row.units).split(", ")
        shown = ", ".join(units[:10]) + (", …" if len(units) > 10 else "")
        notes.append(f"{row.runs} run(s) with {choices or 'the base choices'}: {row.reason}: "
                     f"{row.n_units} unit(s) ({shown})")
    return notes


def _result(engine: _Engine, scored: _Scored, factors: np.ndarray | None,
            notes: list[str], provenance: dict[str, Any]) -> UncertaintyResult:
    import pandas as pd

    nominal_scores, nominal_ranks = _nominal(engine)
    fw, data = engine.fw, engine.data
    weight_frame = None
    if factors is not None:
        weight_frame = pd.DataFrame(factors, columns=engine.nodes)
        weight_frame.index = pd.RangeIndex(1, len(factors) + 1, name="draw")
    names = None if data.names is None else data.names[engine.rows]
    provenance = provenance | {"invalid_runs": int((~scored.valid).sum()), "warnings": notes}
    return UncertaintyResult(
        framework=fw, units=data.units[engine.rows], names=names,
        nominal_scores=nominal_scores, nominal_ranks=nominal_ranks,
        scores=scored.scores, ranks=scored.ranks, runs=scored.runs, weight_factors=weight_frame,
        invalid=scored.invalid, warnings=tuple(notes), provenance=provenance,
    )


def _provenance(engine: _Engine, spec: UncertaintySpec, kind: str, **extra: Any) -> dict[str, Any]:
    from mfgindex.pipeline import sources

    return {
        "mfgindex": __version__,
        "analysis": kind,
        **sources(engine.fw, engine.data),
        "year": engine.year,
        "base": {k: v for k, v in engine.base.items() if v is not None},
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
        Runs scored per numpy pass (default: as many as keep one temporary array under ~32 MB).
    invalid
        ``"drop"`` or ``"raise"``: the policy for invalid combinations (module doc).
    progress
        Called as ``progress(done, total)`` after each chunk (the CLI draws a progress bar).
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
    engine, spec, year, notes = _setup(framework, data, vary, year, base)
    rng = np.random.default_rng(seed)
    inputs = spec.inputs()
    u = rng.random((runs, len(inputs)))
    factors = _weight_factors(engine, spec.weights, runs, rng)
    # plain Monte Carlo: run i uses weight draw i
    design = _design_from_uniforms(spec, u, factors, np.arange(runs) if factors is not None else None)
    scored = _run_design(engine, design, chunk=chunk, progress=progress, invalid=invalid)
    notes += _invalid_notes(scored.valid, scored.invalid)
    prov = _provenance(engine, spec, "uncertainty", runs=runs, seed=seed, inputs=inputs)
    return _result(engine, scored, factors, notes, prov)


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
    seed, year, chunk, invalid, progress, **base
        As for :func:`uncertainty`.

    Returns
    -------
    SensitivityResult
    """
    if not isinstance(n, int) or isinstance(n, bool) or n < 2:
        raise UsageError(f"n must be an integer of at least 2, got {n!r}")
    if not 0 < confidence < 1:
        raise UsageError(f"confidence must be between 0 and 1, got {confidence}")
    if invalid not in ("drop", "raise"):
        raise UsageError(f"invalid must be 'drop' or 'raise', got {invalid!r}")
    engine, spec, year, notes = _setup(framework, data, vary, year, base)
    inputs = spec.inputs()
    d = len(inputs)
    units = engine.data.units[engine.rows].astype(str)
    unit_col = None
    if output is not None:
        hits = np.flatnonzero(units == str(output))
        if hits.size == 0:
            raise UsageError(f"output: no unit '{output}' among the units analysed."
                             + did_you_mean(str(output), units.tolist()),
                             hint="give a unit id, or leave output out for the mean rank shift")
        unit_col = int(hits[0])
    seeds = np.random.SeedSequence(seed).spawn(3)
    a, b = saltelli_sample(n, d, seed=np.random.default_rng(seeds[0]))
    x = np.vstack([a, b, *[np.where(np.arange(d) == i, b, a) for i in range(d)]])
    bank = _weight_factors(engine, spec.weights, n, np.random.default_rng(seeds[1]))
    design = _design_from_uniforms(spec, x, bank)
    scored = _run_design(engine, design, chunk=chunk, progress=progress, invalid=invalid)
    _, nominal_ranks = _nominal(engine)
    if unit_col is None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            y = np.nanmean(np.abs(scored.ranks - nominal_ranks), axis=1)
        label = "mean absolute rank shift"
    else:
        y = scored.ranks[:, unit_col].copy()
        label = f"rank of {units[unit_col]}"
    y[~scored.valid] = np.nan
    y_a, y_b = y[:n], y[n : 2 * n]
    y_ab = y[2 * n :].reshape(d, n).T
    table, variance, n_valid = _estimate(y_a, y_b, y_ab, inputs, n_boot, confidence,
                                         np.random.default_rng(seeds[2]))
    notes += _invalid_notes(scored.valid, scored.invalid)
    if n_valid < n:
        notes.append(f"{n - n_valid} of {n} sample tuples contain an invalid run and were left "
                     "out of the estimators: the indices describe the valid choices only")
    if not variance > 0:
        notes.append(f"the output ({label}) does not vary: the indices are undefined (NaN)")
    prov = _provenance(engine, spec, "sensitivity", n=n, runs=len(y), seed=seed, inputs=inputs,
                       output=label, n_boot=n_boot, confidence=confidence)
    runs = scored.runs.copy()
    runs.insert(1, "matrix", ["A"] * n + ["B"] * n + [f"AB:{i}" for i in inputs for _ in range(n)])
    runs["output"] = y
    # COINr's rank statistics come from the 2N independent runs (A and B) only
    two_n = slice(0, 2 * n)
    independent = _Scored(scored.scores[two_n], scored.ranks[two_n], scored.valid[two_n],
                          scored.invalid, scored.runs.iloc[two_n].reset_index(drop=True))
    unc = _result(engine, independent, bank, notes, prov)
    return SensitivityResult(indices=table, outputs=y, ranks=scored.ranks, variance=variance,
                             n=n, n_valid=n_valid,
                             output=label, runs=runs, uncertainty=unc, warnings=tuple(notes),
                             provenance=unc.provenance)


# ---------------------------------------------------------------------------------------------
# Sobol estimators (usable on any model)
# ---------------------------------------------------------------------------------------------


def saltelli_sample(n: int, d: int, *, seed: int | np.random.Generator | None = None
                    ) -> tuple[np.ndarray, np.ndarray]:
    """The A and B matrices ``(n, d)`` of a Saltelli design: a scrambled Sobol' sequence of
    dimension ``2d`` (``scipy.stats.qmc.Sobol``), its first ``d`` columns A, the rest B.

    ``n`` need not be a power of 2 (scipy warns that the balance properties are then lost; the
    estimators stay consistent, so the warning is silenced).
    """
    from scipy.stats import qmc

    engine = qmc.Sobol(d=2 * d, scramble=True, seed=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        points = engine.random(n)
    return points[:, :d], points[:, d:]


def sobol_estimate(
    y_a: np.ndarray,
    y_b: np.ndarray,
    y_ab: np.ndarray,
    *,
    names: Sequence[str] | None = None,
    n_boot: int = 1000,
    confidence: float = 0.90,
    seed: int | np.random.Generator | None = None,
) -> pd.DataFrame:
    r"""First-order (Saltelli 2010) and total-order (Jansen 1999) Sobol indices from a Saltelli
    design, with percentile bootstrap intervals.

    Parameters
    ----------
    y_a, y_b
        ``(N,)`` model outputs on the rows of A and B.
    y_ab
        ``(N, d)``: column :math:`i` is the output on :math:`A_B^{(i)}`.
    names
        The inputs' names (default ``x1`` … ``xd``).
    n_boot, confidence
        Resamples (with replacement) of the N tuples — the same resample for A, B and every
        :math:`A_B^{(i)}`, and the variance recomputed — and the two-sided interval level.

    Returns
    -------
    DataFrame
        ``input``, ``first_order``, ``first_order_low``, ``first_order_high``,
        ``total_order``, ``total_order_low``, ``total_order_high``. Tuples with a NaN output
        are left out.
    """
    y_ab = np.asarray(y_ab, dtype=float)
    d = y_ab.shape[1]
    table, _, _ = _estimate(np.asarray(y_a, float), np.asarray(y_b, float), y_ab,
                            list(names or [f"x{i + 1}" for i in range(d)]), n_boot, confidence,
                            np.random.default_rng(seed))
    return table


def _indices(y_a: np.ndarray, y_b: np.ndarray, y_ab: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Estimates along the last-but-one axis: inputs ``(..., N)``, ``(..., N, d)``."""
    both = np.concatenate([y_a, y_b], axis=-1)
    var = np.var(both, axis=-1, ddof=1)
    # Centre the outputs first (Sobol' & Levitan 1999, as scipy.stats.sobol_indices does): the
    # first-order estimator's expectation is unchanged, but without centring its sampling
    # noise grows with the output's mean — e.g. a unit's rank of ~47 that varies by ~1.5.
    mean = np.mean(both, axis=-1, keepdims=True)
    y_a, y_b, y_ab = y_a - mean, y_b - mean, y_ab - mean[..., None]
    with np.errstate(divide="ignore", invalid="ignore"):
        first = np.mean(y_b[..., None] * (y_ab - y_a[..., None]), axis=-2) / var[..., None]
        total = 0.5 * np.mean((y_a[..., None] - y_ab) ** 2, axis=-2) / var[..., None]
    return first, total, var


def _estimate(y_a: np.ndarray, y_b: np.ndarray, y_ab: np.ndarray, names: Sequence[str],
              n_boot: int, confidence: float,
              rng: np.random.Generator) -> tuple[pd.DataFrame, float, int]:
    import pandas as pd

    ok = np.isfinite(y_a) & np.isfinite(y_b) & np.isfinite(y_ab).all(axis=1)
    y_a, y_b, y_ab = y_a[ok], y_b[ok], y_ab[ok]
    n = len(y_a)
    d = y_ab.shape[1]
    first = total = np.full(d, np.nan)
    var = float("nan")
    lo_f = hi_f = lo_t = hi_t = np.full(d, np.nan)
    if n >= 2:
        first, total, var_arr = _indices(y_a, y_b, y_ab)
        var = float(var_arr)
        if var > 0 and n_boot > 0:
            alpha = (1 - confidence) / 2
            fb, tb = [], []
            # resample in blocks so that a block's (b, N, d) temporary stays small
            block = max(1, (1 << 20) // max(1, n * d))
            for start in range(0, n_boot, block):
                idx = rng.integers(0, n, size=(min(block, n_boot - start), n))
                f, t, _ = _indices(y_a[idx], y_b[idx], y_ab[idx])
                fb.append(f)
                tb.append(t)
            fboot, tboot = np.concatenate(fb), np.concatenate(tb)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                lo_f, hi_f = np.nanquantile(fboot, [alpha, 1 - alpha], axis=0)
                lo_t, hi_t = np.nanquantile(tboot, [alpha, 1 - alpha], axis=0)
        if not var > 0:
            first = total = np.full(d, np.nan)
    table = pd.DataFrame({
        "input": list(names),
        "first_order": first,
        "first_order_low": lo_f,
        "first_order_high": hi_f,
        "total_order": total,
        "total_order_low": lo_t,
        "total_order_high": hi_t,
    })
    return table, var, n
