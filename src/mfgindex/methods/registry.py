"""The method registry: the single source of truth for method names, parameters and docs.

Every method of every pipeline stage is a plain function registered under its name::

    @register("minmax", stage="normalize")
    def minmax(ref, ctx, *, low: float = 0.0, high: float = 100.0) -> Fit: ...

The function's **keyword-only** arguments are the method's parameters: their names, defaults
and annotations drive validation of method strings, ``mfgindex methods`` and the docs. The
positional arguments are the stage's data contract (see each stage module).

Method strings (docs/methods.md) are ``name`` or ``name(key=value, ...)``; values are literals
(numbers, strings, booleans, lists) parsed with :func:`ast.literal_eval` on each value alone —
never evaluated as code.
"""

from __future__ import annotations

import ast
import inspect
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from mfgindex.errors import MethodError, did_you_mean


@dataclass(frozen=True)
class Stage:
    """One pipeline stage: the facts every layer (pipeline, CLI, framework defaults, uncertainty
    specs) reads from here rather than keeping its own list.

    Attributes
    ----------
    name
        The registry's name of the stage (``register(..., stage=name)``).
    option
        The name of the run's choice for this stage: the :class:`~mfgindex.pipeline.Choices`
        field, the keyword of :func:`mfgindex.compute`, the CLI option (``--weights``) and the
        ``[defaults]`` key of a framework. None: the stage is set per indicator only
        (``transform``).
    skippable
        Whether the method string ``"none"`` skips the stage.
    varied
        Whether an uncertainty spec may vary the stage's method (``[normalize] choices = …``).
    none_means
        For a stage that cannot be skipped but accepts ``"none"``: the method it stands for
        (``--weights none`` keeps the framework's weights).
    """

    name: str
    option: str | None
    skippable: bool
    varied: bool = False
    none_means: str | None = None


#: The stages in pipeline order.
STAGE_TABLE: tuple[Stage, ...] = (
    Stage("denominate", "denominate", skippable=True),
    Stage("transform", None, skippable=True),
    Stage("impute", "impute", skippable=True, varied=True),
    Stage("screen", "screen", skippable=True),
    Stage("treat", "treat", skippable=True, varied=True),
    Stage("normalize", "normalize", skippable=True, varied=True),
    Stage("weight", "weights", skippable=False, none_means="framework"),
    Stage("aggregate", "aggregate", skippable=False, varied=True),
    Stage("classify", "stages", skippable=True),
)
STAGES = tuple(s.name for s in STAGE_TABLE)
#: The run's method options, in pipeline order (``denominate`` … ``aggregate``, ``stages``).
OPTIONS = tuple(s.option for s in STAGE_TABLE if s.option is not None)
_BY_NAME = {s.name: s for s in STAGE_TABLE}
_BY_OPTION = {s.option: s for s in STAGE_TABLE if s.option is not None}


def stage_info(name: str) -> Stage:
    """The :class:`Stage` named ``name`` (a registry stage name or its option name)."""
    found = _BY_NAME.get(name) or _BY_OPTION.get(name)
    if found is None:
        raise ValueError(f"unknown stage {name!r}; stages are {STAGES}")
    return found


def varied_stages() -> tuple[Stage, ...]:
    """The stages an uncertainty spec may vary, in pipeline order."""
    return tuple(s for s in STAGE_TABLE if s.varied)


def is_none(spec: object) -> bool:
    """Whether a method string is ``"none"`` (any case, surrounding blanks ignored)."""
    return isinstance(spec, str) and spec.strip().lower() == "none"


# -- parameter constraints (declared at registration, checked when a method string is read) --


@dataclass(frozen=True)
class OneOf:
    """The parameter must be one of ``values`` (strings compared exactly)."""

    values: tuple[Any, ...]

    def check(self, value: Any) -> str | None:
        if value in self.values:
            return None
        listed = ", ".join(map(str, self.values))
        return f"must be one of {{{listed}}}. Got {value!r} instead." + did_you_mean(
            str(value), [str(v) for v in self.values]
        )

    def describe(self) -> str:
        return " | ".join(map(str, self.values))


@dataclass(frozen=True)
class Interval:
    """The parameter must be a number in an interval; None is an open end.

    ``closed`` says which ends belong to it: ``"both"``, ``"left"``, ``"right"`` or ``"neither"``.
    """

    low: float | None = None
    high: float | None = None
    closed: Literal["both", "left", "right", "neither"] = "both"
    integer: bool = False

    def check(self, value: Any) -> str | None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return None  # the type check reports it
        if self.integer and not float(value).is_integer():
            return f"must be a whole number, got {value!r}"
        lo_ok = self.low is None or (
            value >= self.low if self.closed in ("both", "left") else value > self.low
        )
        hi_ok = self.high is None or (
            value <= self.high if self.closed in ("both", "right") else value < self.high
        )
        return None if lo_ok and hi_ok else f"must be in {self.describe()}, got {value!r}"

    def describe(self) -> str:
        left = "[" if self.closed in ("both", "left") and self.low is not None else "("
        right = "]" if self.closed in ("both", "right") and self.high is not None else ")"
        lo = "-inf" if self.low is None else f"{self.low:g}"
        hi = "inf" if self.high is None else f"{self.high:g}"
        return f"{left}{lo}, {hi}{right}"


Constraint = OneOf | Interval
Decomposition = Literal["additive", "log-additive"]
#: How a method's fit reduces over partitions of the data (the Dask path, :mod:`mfgindex.scale`).
Reduce = Literal["none", "extremes", "moments"]
#: The stages whose methods may declare ``reduce``: those that learn from all units at once.
REDUCE_STAGES = ("normalize", "weight")

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Method:
    """A registered method: its stage, name, function, parameter signature and traits.

    Attributes
    ----------
    row_wise
        (aggregate) A unit's score depends on that unit's values only, not on the other units'
        (means do; Copeland, TOPSIS, VIKOR compare units). Batches of runs can then be stacked
        as one set of units (:func:`mfgindex.pipeline.aggregate_tree`). (classify) A unit's
        band depends on its own score and rank only (cuts by rank or score; not quantiles or
        natural breaks), so the Dask path can classify partition by partition.
    decomposition
        (aggregate) How ``explain`` splits a score into child contributions: ``"additive"``
        (:math:`y = \\sum_i w_i x_i`, exact), ``"log-additive"`` (:math:`\\ln y = \\sum_i w_i
        \\ln x_i`), or None (no exact decomposition).
    constraints
        Per parameter, the values it accepts (:class:`OneOf`, :class:`Interval`): checked when a
        method string is read, so a framework with ``topsis(normalize=vectr)`` fails to load.
    reduce
        (normalize, weight) What the method learns from the data it is fitted on, so that the
        Dask path (:mod:`mfgindex.scale`) can fit it by a reduction over partitions:
        ``"none"`` (nothing: goalposts, the framework's weights), ``"extremes"`` (each column's
        minimum and maximum, NaN ignored: the method fitted on the two rows ``[min; max]``
        gives the same fit as on all the data), ``"moments"`` (each column's count, mean and
        sum of squared deviations: standardisation). None: the fit needs every value at once
        (ranks, entropy, PCA), so the method cannot run partition-wise.
    """

    stage: str
    name: str
    func: Callable[..., Any]
    params: Mapping[str, inspect.Parameter]
    summary: str
    row_wise: bool = False
    decomposition: Decomposition | None = None
    constraints: Mapping[str, Constraint] = field(default_factory=dict)
    reduce: Reduce | None = None

    def describe_params(self) -> str:
        """``"low=0.0, high=100.0"`` — the parameters with their defaults."""
        parts = []
        for p in self.params.values():
            parts.append(p.name if p.default is inspect.Parameter.empty else f"{p.name}={p.default!r}")
        return ", ".join(parts)


@dataclass(frozen=True)
class MethodCall:
    """A method with bound, validated parameters — what a method string resolves to."""

    method: Method
    kwargs: Mapping[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.method.name

    def __call__(self, *args: Any, **extra: Any) -> Any:
        return self.method.func(*args, **{**self.kwargs, **extra})

    def spec(self) -> str:
        """The canonical method string, e.g. ``minmax(low=0, high=100)``."""
        if not self.kwargs:
            return self.method.name
        inner = ", ".join(f"{k}={v!r}" for k, v in self.kwargs.items())
        return f"{self.method.name}({inner})"


_REGISTRY: dict[str, dict[str, Method]] = {stage: {} for stage in STAGES}


def register(
    name: str,
    *,
    stage: str,
    row_wise: bool = False,
    decomposition: Decomposition | None = None,
    params: Mapping[str, Constraint] | None = None,
    reduce: Reduce | None = None,
) -> Callable[[F], F]:
    """Register ``func`` as method ``name`` of pipeline ``stage``, with its traits.

    ``row_wise`` describes aggregators and classify methods, ``decomposition`` aggregators,
    ``reduce`` normalisers and weight methods (see :class:`Method`); ``params`` declares
    constraints on keyword parameters, e.g. ``params={"p": Interval(low=0, closed="neither")}``.
    """
    if stage not in _REGISTRY:
        raise ValueError(f"unknown stage {stage!r}; stages are {STAGES}")
    if decomposition and stage != "aggregate":
        raise ValueError(f"{name!r}: decomposition describes aggregators only")
    if row_wise and stage not in ("aggregate", "classify"):
        raise ValueError(f"{name!r}: row_wise describes aggregators and classify methods only")
    if reduce is not None and stage not in REDUCE_STAGES:
        raise ValueError(f"{name!r}: reduce describes {' and '.join(REDUCE_STAGES)} methods only")
    if reduce not in (None, "none", "extremes", "moments"):
        raise ValueError(f"{name!r}: reduce must be 'none', 'extremes' or 'moments', got {reduce!r}")

    def decorator(func: F) -> F:
        if name in _REGISTRY[stage]:
            raise ValueError(f"method {name!r} registered twice for stage {stage!r}")
        sig = inspect.signature(func)
        keyword = {p.name: p for p in sig.parameters.values() if p.kind is inspect.Parameter.KEYWORD_ONLY}
        unknown = set(params or {}) - set(keyword)
        if unknown:
            raise ValueError(f"{name!r}: constraints for unknown parameter(s) {sorted(unknown)}")
        doc = inspect.getdoc(func) or ""
        summary = doc.strip().splitlines()[0] if doc.strip() else ""
        _REGISTRY[stage][name] = Method(
            stage, name, func, keyword, summary, row_wise, decomposition, dict(params or {}), reduce=reduce
        )
        return func

    return decorator


def _load_all() -> None:
    # Importing the stage modules runs their @register decorators. Explicit imports (no package
    # walking) keep the set of methods obvious and static.
    from mfgindex.methods import (  # noqa: F401
        aggregate,
        classify,
        denominate,
        impute,
        normalize,
        screen,
        transform,
        treat,
        weight,
    )


def methods(stage: str | None = None) -> list[Method]:
    """Every registered method, optionally of one stage, in stage then name order."""
    _load_all()
    stages = [stage] if stage else list(STAGES)
    return [m for s in stages for m in sorted(_REGISTRY[s].values(), key=lambda m: m.name)]


def get(stage: str, name: str) -> Method:
    """The method ``name`` of ``stage``; a :class:`MethodError` with a suggestion if unknown."""
    _load_all()
    table = _REGISTRY[stage]
    if name not in table:
        choices = sorted(table)
        raise MethodError(
            f"The '{stage}' method must be one of {{{', '.join(choices)}}}. Got '{name}' instead."
            + did_you_mean(name, choices),
            hint="run `mfgindex methods` to list every method and its parameters",
        )
    return table[name]


_SPEC = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:\((.*)\))?\s*$", re.DOTALL)


def parse_method_string(text: str) -> tuple[str, dict[str, Any]]:
    """Split ``"name(k=v, ...)"`` into the name and a dict of literal parameter values.

    Values must be Python/TOML-like literals: numbers, quoted or bare-word strings, ``true`` /
    ``false``, lists. Nothing is evaluated: the call is parsed by :mod:`ast` and each value must
    be a literal node.
    """
    match = _SPEC.match(text)
    if not match:
        raise MethodError(
            f"cannot read method string {text!r}",
            hint="write it as name or name(key=value, ...), e.g. minmax(low=0, high=100)",
        )
    name, inner = match.group(1), match.group(2)
    if inner is None or not inner.strip():
        return name, {}
    try:
        call = ast.parse(f"f({inner})", mode="eval").body
    except SyntaxError as exc:
        raise MethodError(
            f"cannot read the parameters of method string {text!r}: {exc.msg}",
            hint="parameters are key=value pairs separated by commas",
        ) from None
    except (RecursionError, MemoryError):
        # A pathological string (thousands of nested operators) exhausts the parser.
        raise MethodError(
            f"cannot read the parameters of method string {text[:60]!r}…: nested too deeply",
            hint="parameters are literal values: numbers, strings, true/false, lists",
        ) from None
    if not isinstance(call, ast.Call) or not isinstance(call.func, ast.Name):
        # "minmax(low=1)(high=2)" parses as a call of a call: it must not be read as minmax(high=2)
        raise MethodError(
            f"cannot read method string {text!r}: one pair of parentheses is expected",
            hint="write it as name(key=value, ...), e.g. minmax(low=1, high=2)",
        )
    if call.args:
        raise MethodError(
            f"method string {text!r} has a parameter without a name",
            hint="give every parameter as key=value, e.g. genmean(p=2)",
        )
    params: dict[str, Any] = {}
    for kw in call.keywords:
        if kw.arg is None:
            raise MethodError(f"method string {text!r}: '**' is not allowed")
        if kw.arg in params:
            raise MethodError(
                f"method string {text!r} gives parameter '{kw.arg}' twice", hint="give each parameter once"
            )
        params[kw.arg] = _literal(kw.value, text, kw.arg)
    return name, params


_BARE_WORDS = {"true": True, "false": False, "True": True, "False": False, "none": None, "None": None}


def _literal(node: ast.expr, text: str, key: str) -> Any:
    # Bare words (method=pearson) read as strings; true/false as booleans.
    if isinstance(node, ast.Name):
        return _BARE_WORDS.get(node.id, node.id)
    if isinstance(node, ast.List | ast.Tuple):
        return [_literal(e, text, key) for e in node.elts]
    try:
        return ast.literal_eval(node)
    except ValueError:
        raise MethodError(
            f"method string {text!r}: the value of '{key}' is not a literal",
            hint="values must be numbers, strings, true/false or lists; nothing is evaluated",
        ) from None


def resolve(stage: str, spec: str | MethodCall, **overrides: Any) -> MethodCall:
    """Parse ``spec`` for ``stage`` and validate its parameters against the method's signature."""
    if isinstance(spec, MethodCall):
        return spec
    name, params = parse_method_string(spec)
    params.update(overrides)
    method = get(stage, name)
    for key in params:
        if key not in method.params:
            known = sorted(method.params)
            listed = ", ".join(known) if known else "none"
            raise MethodError(
                f"method '{name}' has no parameter '{key}' (its parameters: {listed})."
                + did_you_mean(key, known),
                hint=f"run `mfgindex methods` to see what '{name}' accepts",
            )
    missing = [
        p.name
        for p in method.params.values()
        if p.default is inspect.Parameter.empty and p.name not in params
    ]
    if missing:
        raise MethodError(
            f"method '{name}' needs parameter(s) {', '.join(missing)}",
            hint=f"write it as {name}({', '.join(f'{m}=...' for m in missing)})",
        )
    for key, value in params.items():
        _check_type(method, key, value)
        constraint = method.constraints.get(key)
        problem = constraint.check(value) if constraint is not None and value is not None else None
        if problem:
            raise MethodError(
                f"method '{name}': parameter '{key}' {problem}",
                hint=f"run `mfgindex methods` to see what '{name}' accepts",
            )
    return MethodCall(method, params)


def _check_type(method: Method, key: str, value: Any) -> None:
    default = method.params[key].default
    if value is None and default is not None and "None" not in str(method.params[key].annotation):
        # ``minmax(low=None)``: None where the method needs a value would fail deep inside it
        wanted = (
            "a number" if isinstance(default, int | float) and not isinstance(default, bool) else "a value"
        )
        example = f"{key}={default!r}" if default is not inspect.Parameter.empty else f"{key}=..."
        raise MethodError(
            f"method '{method.name}': parameter '{key}' must be {wanted}, got None",
            hint=f"give a value, for example {method.name}({example}), or leave '{key}' out for its default",
        )
    if default is inspect.Parameter.empty or default is None or value is None:
        return
    ok: bool
    if isinstance(default, bool):
        ok = isinstance(value, bool)
    elif isinstance(default, int | float):
        ok = isinstance(value, int | float) and not isinstance(value, bool)
    elif isinstance(default, str):
        ok = isinstance(value, str)
    elif isinstance(default, list | tuple):
        ok = isinstance(value, list | tuple)
    else:
        ok = True
    if not ok:
        raise MethodError(
            f"method '{method.name}': parameter '{key}' must be {type(default).__name__}, got {value!r}",
            hint=f"for example {method.name}({key}={default!r})",
        )


def reference_markdown() -> str:
    """Every registered method as a Markdown reference (``docs/methods.md``), stage by stage.

    The registry is the single source of truth: this page is generated from the methods'
    names, parameters and docstrings (``python docs/make_methods.py`` rewrites it).
    """
    lines = [
        "# Methods",
        "",
        "Generated from the method registry by `python docs/make_methods.py`; do not edit by hand.",
        "Use a method by its *method string*: `name` or `name(key=value, ...)`, in a framework",
        'file, on the command line (`--normalize "minmax(low=1, high=100)"`) or in Python.',
        "",
    ]
    for stage in STAGES:
        found = methods(stage)
        if not found:
            continue
        lines += [f"## {stage}", ""]
        lines += [f"* [`{m.name}`](#{stage}-{m.name}) — {m.summary}" for m in found]
        lines.append("")
        for m in found:
            params = m.describe_params()
            lines += [
                f'<a id="{stage}-{m.name}"></a>',
                f"### `{m.name}({params})`" if params else f"### `{m.name}`",
                "",
                *_traits_markdown(m),
                "```text",
                inspect.getdoc(m.func) or m.summary,
                "```",
                "",
            ]
    return "\n".join(lines).rstrip() + "\n"


def _traits_markdown(m: Method) -> list[str]:
    """The registered traits and parameter constraints of ``m`` as Markdown lines."""
    lines = []
    if m.stage == "aggregate":
        row = "yes" if m.row_wise else "no (compares units with each other)"
        lines.append(f"* row-wise: {row}")
        lines.append(f"* explain: {m.decomposition or 'no exact decomposition'}")
    lines += [f"* `{key}`: {c.describe()}" for key, c in m.constraints.items()]
    return [*lines, ""] if lines else []
