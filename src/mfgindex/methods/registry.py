"""The method registry: the single source of truth for method names, parameters and docs.

Every method of every pipeline stage is a plain function registered under its name::

    @register("minmax", stage="normalize")
    def minmax(ref, ctx, *, low: float = 0.0, high: float = 100.0) -> Fit: ...

The function's **keyword-only** arguments are the method's parameters: their names, defaults
and annotations drive validation of method strings, ``mfgindex methods`` and the docs. The
positional arguments are the stage's data contract (see each stage module).

Method strings (DESIGN §6) are ``name`` or ``name(key=value, ...)``; values are literals
(numbers, strings, booleans, lists) parsed with :func:`ast.literal_eval` on each value alone —
never evaluated as code.
"""

from __future__ import annotations

import ast
import inspect
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from mfgindex.errors import MethodError, did_you_mean

STAGES = (
    "denominate",
    "transform",
    "impute",
    "screen",
    "treat",
    "normalize",
    "weight",
    "aggregate",
    "classify",
)

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Method:
    """A registered method: its stage, name, function and parameter signature."""

    stage: str
    name: str
    func: Callable[..., Any]
    params: Mapping[str, inspect.Parameter]
    summary: str

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


def register(name: str, *, stage: str) -> Callable[[F], F]:
    """Register ``func`` as method ``name`` of pipeline ``stage``."""
    if stage not in _REGISTRY:
        raise ValueError(f"unknown stage {stage!r}; stages are {STAGES}")

    def decorator(func: F) -> F:
        if name in _REGISTRY[stage]:
            raise ValueError(f"method {name!r} registered twice for stage {stage!r}")
        sig = inspect.signature(func)
        params = {
            p.name: p for p in sig.parameters.values() if p.kind is inspect.Parameter.KEYWORD_ONLY
        }
        doc = inspect.getdoc(func) or ""
        summary = doc.strip().splitlines()[0] if doc.strip() else ""
        _REGISTRY[stage][name] = Method(stage, name, func, params, summary)
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
    if not isinstance(call, ast.Call) or call.args:
        raise MethodError(
            f"method string {text!r} has a parameter without a name",
            hint="give every parameter as key=value, e.g. genmean(p=2)",
        )
    params: dict[str, Any] = {}
    for kw in call.keywords:
        if kw.arg is None:
            raise MethodError(f"method string {text!r}: '**' is not allowed")
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
    return MethodCall(method, params)


def _check_type(method: Method, key: str, value: Any) -> None:
    default = method.params[key].default
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
            f"method '{method.name}': parameter '{key}' must be {type(default).__name__}, "
            f"got {value!r}",
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
        "file, on the command line (`--normalize \"minmax(low=1, high=100)\"`) or in Python.",
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
                "```text",
                inspect.getdoc(m.func) or m.summary,
                "```",
                "",
            ]
    return "\n".join(lines).rstrip() + "\n"
