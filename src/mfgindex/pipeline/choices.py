"""The run's choices: one frozen object parsed once, shared by compute, the engine, provenance.

A run of the pipeline is decided by seven method options (``denominate`` … ``aggregate``, and
``stages`` for the classify rule), ``min_coverage`` and ``fit_on``. :class:`Choices` holds them;
it is read from keyword arguments, a CLI's options, a mapping (TOML) or a provenance record,
and validated on construction, so every layer sees the same canonical values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any, cast

from mfgindex.errors import UsageError, did_you_mean
from mfgindex.methods.registry import OPTIONS, MethodCall

__all__ = ["CHOICE_NAMES", "DTYPES", "Choices", "FitOn", "parse_dtype", "parse_fit_on"]

FitOn = str | int
#: The names a :class:`Choices` accepts, in pipeline order.
CHOICE_NAMES = (*OPTIONS, "min_coverage", "fit_on", "dtype")
#: The floating-point types the numeric pipeline runs in (docs/scale.md: float32's cost).
DTYPES = ("float64", "float32")


def parse_dtype(value: object, *, where: str = "dtype") -> str | None:
    """``"float32"`` (also ``numpy.float32`` or its dtype), or None for the default float64
    (``"float64"``, None) — else a :class:`UsageError` naming ``where``."""
    if value is None:
        return None
    if isinstance(value, str):
        name = value.strip().lower()
    else:
        import numpy as np

        try:
            name = np.dtype(cast(Any, value)).name
        except TypeError:
            name = repr(value)
    if name in ("float64", "double", "f8"):
        return None
    if name in ("float32", "single", "f4"):
        return "float32"
    raise UsageError(
        f"must be float64 or float32, got {value!r}",
        where=where,
        hint="float32 halves the memory of very large runs, at a precision cost (docs/scale.md)",
    )


def parse_fit_on(value: object, *, where: str = "fit_on") -> FitOn:
    """``"each"``, ``"pooled"`` or a year (an int, or text of digits) — else a
    :class:`UsageError` naming ``where``."""
    if isinstance(value, bool):
        raise UsageError(f"must be each, pooled or a year, got {value!r}", where=where)
    if isinstance(value, int):
        return value
    text = str(value).strip()
    if text in ("each", "pooled"):
        return text
    if text.isdigit():
        return int(text)
    raise UsageError(
        f"must be each, pooled or a year, got '{text}'",
        where=where,
        hint="each: fit every year on its own; pooled: all years together; or a reference year such as 2019",
    )


def _method_text(value: object, name: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, MethodCall):
        return value.spec()
    if isinstance(value, str):
        text = value.strip()
        if not text:
            raise UsageError(
                f"{name}: an empty method string",
                where=name,
                hint="give a method, e.g. minmax, or 'none' to skip the stage",
            )
        return text
    raise UsageError(f"{name}: a method string is text, got {value!r}", where=name)


@dataclass(frozen=True)
class Choices:
    """What a run chooses over the framework's own settings (None: keep the framework's).

    Attributes
    ----------
    denominate, impute, screen, treat, normalize, weights, aggregate
        Method strings for every node (``"name(key=value)"``); ``"none"`` skips a stage that
        can be skipped (:data:`mfgindex.methods.registry.STAGE_TABLE`).
    stages
        A classify method string replacing the framework's stage rule (its labels are kept).
    min_coverage
        Share of a group's weight whose children must have data for a score, in [0, 1].
    fit_on
        What normalisation learns its parameters from: ``"each"`` year, ``"pooled"`` years, or
        one reference year.
    dtype
        ``"float32"``: hold the values, normalised values and scores in single precision —
        half the memory of a very large run; each block is still computed in float64, so the
        cost is float32's rounding of what is stored (docs/scale.md). None: float64.
    """

    denominate: str | None = None
    impute: str | None = None
    screen: str | None = None
    treat: str | None = None
    normalize: str | None = None
    weights: str | None = None
    aggregate: str | None = None
    stages: str | None = None
    min_coverage: float | None = None
    fit_on: FitOn = "each"
    dtype: str | None = None

    def __post_init__(self) -> None:
        for option in OPTIONS:
            object.__setattr__(self, option, _method_text(getattr(self, option), option))
        object.__setattr__(self, "fit_on", parse_fit_on(self.fit_on))
        object.__setattr__(self, "dtype", parse_dtype(self.dtype))
        cov = self.min_coverage
        if cov is not None:
            if isinstance(cov, bool) or not isinstance(cov, int | float) or not 0 <= cov <= 1:
                raise UsageError(f"min_coverage must be between 0 and 1, got {cov!r}", where="min_coverage")
            object.__setattr__(self, "min_coverage", float(cov))

    @classmethod
    def from_mapping(cls, options: Mapping[str, Any] | None, *, where: str = "options") -> Choices:
        """Choices from a mapping (keyword arguments, CLI options, a TOML table); None values
        are left out. An unknown name is a :class:`UsageError` with a suggestion."""
        options = dict(options or {})
        unknown = sorted(set(options) - set(CHOICE_NAMES))
        if unknown:
            name = unknown[0]
            raise UsageError(
                f"unknown option '{name}'." + did_you_mean(name, CHOICE_NAMES),
                where=where,
                hint=f"the options are {', '.join(CHOICE_NAMES)}",
            )
        return cls(**{k: v for k, v in options.items() if v is not None})

    @classmethod
    def from_record(cls, methods: Mapping[str, Any]) -> Choices:
        """The choices a provenance ``methods`` record was made with."""

        def single(value: Any) -> str | None:
            # a per-node record ({"x1": "minmax", ...}) is one choice when every node used the
            # same method; when they differ, the framework's per-node settings made them
            if isinstance(value, Mapping):
                distinct = set(map(str, value.values()))
                return distinct.pop() if len(distinct) == 1 else None
            return None if value is None else str(value)

        known = {f.name for f in fields(cls)}
        picked: dict[str, Any] = {k: single(v) for k, v in methods.items() if k in OPTIONS and k in known}
        if methods.get("min_coverage") is not None:
            picked["min_coverage"] = methods["min_coverage"]
        picked["fit_on"] = methods.get("fit_on", "each")
        picked["dtype"] = methods.get("dtype")  # recorded only when not float64
        return cls(**picked)

    def replace(self, **changes: Any) -> Choices:
        """A copy with some choices changed (validated like the original)."""
        unknown = sorted(set(changes) - set(CHOICE_NAMES))
        if unknown:
            raise UsageError(f"unknown option '{unknown[0]}'." + did_you_mean(unknown[0], CHOICE_NAMES))
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """The choices that are set (not None), in pipeline order."""
        return {name: getattr(self, name) for name in CHOICE_NAMES if getattr(self, name) is not None}

    def method(self, option: str) -> str | None:
        """The method string chosen for ``option`` (``"weights"``, …), or None."""
        if option not in OPTIONS:
            raise UsageError(f"unknown method option '{option}'." + did_you_mean(option, OPTIONS))
        value: str | None = getattr(self, option)
        return value
