"""The scoring pipeline (docs/architecture.md): one stage chain, the :class:`Plan`.

``denominate → transform → impute → screen → treat → normalize → weight → aggregate → rank →
classify``, each stage a registered method chosen by a method string. :func:`compute` is the
plan run once; :mod:`mfgindex.robustness` runs the same plan for many choices at once.

Modules: :mod:`~mfgindex.pipeline.choices` (the run's :class:`Choices`),
:mod:`~mfgindex.pipeline.plan` (the :class:`Plan`: prepare → normalize → score),
:mod:`~mfgindex.pipeline.tree` (aggregation up the tree, batches of weights),
:mod:`~mfgindex.pipeline.run` (one run: ranks, stages, provenance).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mfgindex.pipeline.choices import CHOICE_NAMES, DTYPES, Choices, FitOn, parse_dtype, parse_fit_on
from mfgindex.pipeline.plan import Normalized, Plan, Prepared
from mfgindex.pipeline.reproduce import reproduce
from mfgindex.pipeline.run import sources
from mfgindex.pipeline.tree import AggregateStep, aggregate_tree, rank_desc, run_method
from mfgindex.years import Block, year_blocks

if TYPE_CHECKING:
    from mfgindex.data import Dataset
    from mfgindex.framework import Framework
    from mfgindex.methods.registry import MethodCall
    from mfgindex.result import Result

__all__ = [
    "CHOICE_NAMES",
    "DTYPES",
    "AggregateStep",
    "Block",
    "Choices",
    "FitOn",
    "Normalized",
    "Plan",
    "Prepared",
    "aggregate_tree",
    "compute",
    "parse_dtype",
    "parse_fit_on",
    "rank_desc",
    "reproduce",
    "run_method",
    "sources",
    "year_blocks",
]


def compute(
    framework: Framework,
    data: Dataset,
    *,
    year: int | None = None,
    choices: Choices | None = None,
    denominate: str | MethodCall | None = None,
    impute: str | MethodCall | None = None,
    screen: str | MethodCall | None = None,
    treat: str | MethodCall | None = None,
    normalize: str | MethodCall | None = None,
    weights: str | MethodCall | None = None,
    aggregate: str | MethodCall | None = None,
    min_coverage: float | None = None,
    stages: str | MethodCall | None = None,
    fit_on: FitOn | None = None,
    dtype: str | None = None,
) -> Result:
    """Score every unit (and year) on every node of ``framework``: the :class:`Plan` run once.

    Parameters
    ----------
    framework, data
        The framework and a dataset read against it.
    year
        Score only this year of a panel. Without it, a panel is scored year by year.
    choices
        The run's choices as one object; the keywords below, when given, change it.
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
    dtype
        ``"float32"`` runs the numeric pipeline in single precision: half the memory of a very
        large run, scores within about 1e-5 of float64's on a 0–100 scale, and units whose
        scores differ by less than that may swap ranks or tie (docs/scale.md). Default float64.

    Returns
    -------
    Result
        Scores, ranks, stages, intermediate datasets and provenance.
    """
    given = {
        "denominate": denominate,
        "impute": impute,
        "screen": screen,
        "treat": treat,
        "normalize": normalize,
        "weights": weights,
        "aggregate": aggregate,
        "min_coverage": min_coverage,
        "stages": stages,
        "fit_on": fit_on,
        "dtype": dtype,
    }
    changes = {k: v for k, v in given.items() if v is not None}
    run_choices = (choices or Choices()).replace(**changes) if changes else (choices or Choices())
    result: Result = Plan(framework, data, run_choices, year=year).run()
    return result
