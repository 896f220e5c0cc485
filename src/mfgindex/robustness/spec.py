"""The uncertainty spec: what an uncertainty or sensitivity analysis varies (TOML, mapping,
``--vary`` items), read and validated against a framework with every problem at once."""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from mfgindex.errors import MfgIndexError, did_you_mean
from mfgindex.methods.registry import stage_info, varied_stages

if TYPE_CHECKING:
    from mfgindex.framework import Framework

__all__ = ["INPUTS", "STAGES", "SpecError", "UncertaintySpec", "WeightNoise", "read_spec"]

#: Categorical stages a spec may vary, in pipeline order (the registry's varied stages).
STAGES = tuple(str(s.option) for s in varied_stages())
#: Every input a spec may vary, in the order they appear in outputs.
INPUTS = ("weights", *STAGES, "exclude")
Invalid = Literal["drop", "raise"]
Progress = Callable[[int, int], None]

_NONE = "none"


class SpecError(MfgIndexError):
    """An uncertainty spec (TOML file, mapping or ``--vary`` option) is invalid.

    ``problems`` lists every problem found, each with its key path, so all are fixed in one pass.
    """


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
            raise SpecError(
                f"cannot read the spec file: {exc.strerror or exc}",
                where=where,
                hint="give the path of a TOML file",
            ) from None
        try:
            doc = tomllib.loads(raw.decode("utf-8-sig"))
        except UnicodeDecodeError:
            raise SpecError("the spec file is not UTF-8 text", where=where) from None
        except tomllib.TOMLDecodeError as exc:
            raise SpecError(
                f"TOML syntax error: {exc}", where=where, hint="see docs/robustness.md for the format"
            ) from None
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
        raise SpecError(
            f"cannot read --vary {item!r}",
            where="--vary",
            hint="write KEY=VALUE, e.g. --vary 'aggregate=arithmetic|geometric' or --vary weights.noise=0.25",
        )
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
    problems: list[str] = []
    tables = _tables(doc, problems)
    weights = _weights_spec(tables.get("weights"), fw, problems)
    stages: dict[str, tuple[str, ...]] = {}
    for stage in STAGES:
        if stage in tables and "choices" in tables[stage]:
            found = _stage_choices(stage, tables[stage]["choices"], problems)
            if found is not None:
                stages[stage] = found
    exclude: tuple[str, ...] = ()
    if "exclude" in tables and "indicators" in tables["exclude"]:
        exclude = _exclude(tables["exclude"]["indicators"], fw, problems)
    spec = UncertaintySpec(weights=weights, exclude=exclude, source=where, **stages)
    if not problems and not spec.inputs():
        problems.append(
            "nothing varies: give weight noise, two or more choices for a stage, or indicators to exclude"
        )
    if problems:
        n = len(problems)
        raise SpecError(
            f"invalid uncertainty spec ({n} problem{'s' if n > 1 else ''})",
            where=where,
            problems=problems,
            hint="the format is described in docs/robustness.md",
        )
    return spec


def _tables(doc: Mapping[str, Any], problems: list[str]) -> dict[str, Mapping[str, Any]]:
    """The spec's tables (shorthands expanded); unknown tables and keys go to ``problems``."""
    tables: dict[str, Mapping[str, Any]] = {}
    for name, value in doc.items():
        if name not in _TABLE_KEYS:
            problems.append(
                f"{name}: unknown table." + did_you_mean(name, _TABLE_KEYS) + f" Tables: {', '.join(INPUTS)}"
            )
            continue
        table = value if isinstance(value, Mapping) else _expand(name, value)
        for key in table:
            if key not in _TABLE_KEYS[name]:
                problems.append(
                    f"{name}.{key}: unknown key."
                    + did_you_mean(key, _TABLE_KEYS[name])
                    + f" Keys: {', '.join(sorted(_TABLE_KEYS[name]))}"
                )
        tables[name] = table
    return tables


def _stage_choices(stage: str, raw: Any, problems: list[str]) -> tuple[str, ...] | None:
    """The canonical method strings a varied stage chooses from (``none`` where the stage can
    be skipped, by the registry's stage table)."""
    from mfgindex.methods.registry import resolve

    key = f"{stage}.choices"
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list) or not raw:
        problems.append(f"{key}: must be a non-empty list of method strings, got {raw!r}")
        return None
    choices: list[str] = []
    for k, choice in enumerate(raw):
        if not isinstance(choice, str) or not choice.strip():
            problems.append(f"{key}[{k}]: must be a method string, got {choice!r}")
            continue
        if choice.strip().lower() == _NONE:
            if not stage_info(stage).skippable:
                problems.append(f"{key}[{k}]: the {stage} stage cannot be skipped")
                continue
            text = _NONE
        else:
            try:
                text = resolve(stage_info(stage).name, choice).spec()
            except MfgIndexError as exc:
                problems.append(f"{key}[{k}]: {exc.what}")
                continue
        if text in choices:
            problems.append(f"{key}[{k}]: '{choice}' is listed twice")
            continue
        choices.append(text)
    if len(raw) == 1:
        problems.append(
            f"{key}: one choice does not vary the {stage} stage: list two or "
            f"more, or set the method itself with the {stage} option"
        )
    return tuple(choices)


def _exclude(raw: Any, fw: Framework, problems: list[str]) -> tuple[str, ...]:
    """The indicators that may be left out (``"all"``: every indicator)."""
    ids = [i.id for i in fw.indicators]
    if raw == "all":
        return tuple(ids)
    if not isinstance(raw, list) or not raw:
        problems.append(
            f'exclude.indicators: must be a non-empty list of indicator ids or "all", got {raw!r}'
        )
        return ()
    good: list[str] = []
    for k, ind in enumerate(raw):
        if ind not in ids:
            problems.append(
                f"exclude.indicators[{k}]: '{ind}' is not an indicator of "
                f"framework '{fw.id}'." + did_you_mean(str(ind), ids)
            )
        elif ind in good:
            problems.append(f"exclude.indicators[{k}]: '{ind}' is listed twice")
        else:
            good.append(ind)
    return tuple(good)


def _weights_spec(table: Mapping[str, Any] | None, fw: Framework, problems: list[str]) -> WeightNoise | None:
    if table is None:
        return None
    noise = table.get("noise", 0.0)
    if isinstance(noise, bool) or not isinstance(noise, int | float) or not 0 <= noise < 1:
        problems.append(f"weights.noise: must be a number in [0, 1), got {noise!r}")
        noise = 0.0
    distribution = table.get("distribution", "uniform")
    if distribution not in ("uniform", "dirichlet"):
        problems.append(
            f'weights.distribution: must be "uniform" or "dirichlet", got '
            f"{distribution!r}." + did_you_mean(str(distribution), ["uniform", "dirichlet"])
        )
        distribution = "uniform"
    conc = table.get("concentration", 100.0)
    if isinstance(conc, bool) or not isinstance(conc, int | float) or not conc > 0:
        problems.append(f"weights.concentration: must be a positive number, got {conc!r}")
        conc = 100.0
    if "concentration" in table and distribution != "dirichlet":
        problems.append('weights.concentration: only used with distribution = "dirichlet"')
    if "noise" in table and distribution == "dirichlet":
        problems.append(
            'weights.noise: not used with distribution = "dirichlet" (its spread is set by concentration)'
        )
    levels = _weight_levels(table.get("levels"), fw, problems)
    return WeightNoise(
        noise=float(noise), levels=levels, distribution=distribution, concentration=float(conc)
    )


def _weight_levels(raw: Any, fw: Framework, problems: list[str]) -> tuple[int, ...] | None:
    """The COINr levels whose weights vary (None: every level below the index)."""
    if raw is None:
        return None
    top = fw.level(fw.id)
    if isinstance(raw, int) and not isinstance(raw, bool):
        raw = [raw]
    ok = isinstance(raw, list) and bool(raw)
    if not (ok and all(isinstance(v, int) and not isinstance(v, bool) for v in raw)):
        problems.append(f"weights.levels: must be a list of levels (integers), got {raw!r}")
        return None
    for k, lev in enumerate(raw):
        if lev == top:
            problems.append(
                f"weights.levels[{k}]: level {lev} is the index, which has no "
                f"weight to vary (levels with weights: 1 to {top - 1})"
            )
        elif not 1 <= lev < top:
            problems.append(
                f"weights.levels[{k}]: framework '{fw.id}' has levels 1 "
                f"(indicators) to {top} (the index); got {lev}"
            )
    return tuple(sorted(set(raw)))
