"""Frameworks: the tree of nodes (index → groups → indicators) and its default methods.

A framework is read from a TOML file (DESIGN §4) or from a COINr ``iMeta`` table, validated once
— every problem is collected and reported together, each with the file and the key path — and
held in frozen dataclasses.
"""

from __future__ import annotations

import hashlib
import math
import re
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from mfgindex.errors import FrameworkError, MfgIndexError, UsageError, closest, did_you_mean

if TYPE_CHECKING:
    import pandas as pd

    from mfgindex.judgements import Judgements
    from mfgindex.methods.base import WeightContext
    from mfgindex.methods.registry import MethodCall

__all__ = [
    "Framework",
    "Indicator",
    "Node",
    "StageRule",
    "builtin_frameworks",
    "load_framework",
]


@dataclass(frozen=True)
class Node:
    """A node of the tree: the index (root), a group, or — as :class:`Indicator` — a leaf.

    ``weight`` is relative to the node's siblings (renormalised within each parent).
    ``aggregate`` optionally overrides the framework's default aggregation for this node's
    children.
    """

    id: str
    parent: str | None
    name: str
    name_zh: str = ""
    weight: float = 1.0
    aggregate: str | None = None
    weights: str | None = None

    @property
    def is_indicator(self) -> bool:
        return False

    def label(self, lang: str = "en") -> str:
        """The display name in ``lang`` ("en" or "zh"), falling back to the other, then the id."""
        if lang == "zh":
            return self.name_zh or self.name or self.id
        return self.name or self.name_zh or self.id


@dataclass(frozen=True)
class Indicator(Node):
    """A leaf: one measured variable, read from ``column`` of the data.

    ``value = column / denominator`` when a denominator is set; ``transform`` (e.g. ``log``) is
    applied next; ``direction`` is +1 when higher is better, −1 when lower is better.
    ``normalize`` and ``treat`` override the run's methods for this indicator; ``treat = "none"``
    excludes it from outlier treatment (and, unlike other per-node settings, holds even when a
    treatment is chosen for the run, so exclusions are never lost).
    """

    direction: int = 1
    column: str = ""
    unit: str = ""
    denominator: str | None = None
    transform: str | None = None
    normalize: str | None = None
    treat: str | None = None
    target: float | None = None
    source: str = ""
    note: str = ""

    @property
    def is_indicator(self) -> bool:
        return True


@dataclass(frozen=True)
class StageRule:
    """How units are classified into development stages (CCID's 跃升期 … 起步期).

    ``method`` is a classify method string (e.g. ``rank(cuts=[3, 29, 58])``); ``labels`` are
    ordered from the best band to the worst.
    """

    method: str
    labels: tuple[str, ...]
    labels_zh: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # Tuples whatever sequence was given, so the rule stays immutable and hashable.
        object.__setattr__(self, "labels", tuple(self.labels))
        object.__setattr__(self, "labels_zh", tuple(self.labels_zh))

    def label(self, band: int, lang: str = "en") -> str:
        if band < 0:
            return ""
        if lang == "zh" and self.labels_zh:
            return self.labels_zh[band]
        return self.labels[band]


#: A group's AHP comparisons as written in ``[[comparisons]]``: the children's order and the
#: matrix in that order.
Comparison = tuple[tuple[str, ...], tuple[tuple[float, ...], ...]]


def _read_only(mapping: Mapping[str, Any]) -> Mapping[str, Any]:
    """A read-only view of a private copy: neither the caller nor a user can change it."""
    return MappingProxyType(dict(mapping))


@dataclass(frozen=True)
class Framework:
    """A validated framework: nodes in file order, defaults, stage rule and metadata.

    Immutable: its mappings (``nodes``, ``defaults``, ``comparisons``, ``judgements``) are
    read-only views of private copies, its nodes frozen, so a framework is hashable and what its
    ``digest`` certifies cannot be edited in memory. :func:`dataclasses.replace` gives a
    changed copy.

    ``judgements`` holds the AHP judgements files (``ahp(file=...)``) read for it, by file name
    as written in the method string; each carries its SHA-256 for provenance.
    """

    id: str
    name: str
    nodes: Mapping[str, Node]
    name_zh: str = ""
    version: str = ""
    unit: str = "unit"
    unit_column: str = "unit"
    name_column: str | None = None
    name_column_zh: str | None = None
    year_column: str = "year"
    scale: tuple[float, float] = (0.0, 100.0)
    dataset: Path | None = None
    defaults: Mapping[str, Any] = field(default_factory=dict)
    stages: StageRule | None = None
    comparisons: Mapping[str, Comparison] = field(default_factory=dict)
    path: Path | None = None
    digest: str = ""
    judgements: Mapping[str, Judgements] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # frozen: object.__setattr__ is the one way in, used here once to make the mappings
        # read-only (whatever mapping the caller gave, e.g. through dataclasses.replace).
        for name in self._MAPPINGS:
            object.__setattr__(self, name, _read_only(getattr(self, name)))
        object.__setattr__(self, "scale", (float(self.scale[0]), float(self.scale[1])))

    # Pickling (Dask's distributed workers, multiprocessing) cannot take mapping proxies: the
    # state travels as plain dicts and is made read-only again on arrival.
    _MAPPINGS = ("nodes", "defaults", "comparisons", "judgements")

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        for name in self._MAPPINGS:
            state[name] = dict(state[name])
        state.pop("_children", None)  # a cache, rebuilt on demand
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        for name in self._MAPPINGS:
            state[name] = MappingProxyType(dict(state[name]))
        self.__dict__.update(state)

    def __hash__(self) -> int:
        # The generated hash would hash the mappings, which are not hashable; their items are.
        return hash(
            (
                self.id,
                self.digest,
                tuple(self.nodes.items()),
                tuple(self.defaults.items()),
                self.stages,
                tuple(self.comparisons.items()),
                tuple(self.judgements.items()),
                self.path,
                self.dataset,
                self.scale,
            )
        )

    # -- tree navigation ---------------------------------------------------------------------
    @property
    def root(self) -> Node:
        return self.nodes[self.id]

    @cached_property
    def _children(self) -> Mapping[str, tuple[str, ...]]:
        out: dict[str, list[str]] = {nid: [] for nid in self.nodes}
        for node in self.nodes.values():
            if node.parent is not None:
                out[node.parent].append(node.id)
        return MappingProxyType({k: tuple(v) for k, v in out.items()})

    def children(self, node_id: str) -> tuple[str, ...]:
        """Ids of ``node_id``'s children, in file order."""
        return self._children[node_id]

    @cached_property
    def indicators(self) -> tuple[Indicator, ...]:
        """The leaves, in tree order (depth first, file order among siblings)."""
        return tuple(n for n in self.walk() if isinstance(n, Indicator))

    @cached_property
    def groups(self) -> tuple[Node, ...]:
        """Every inner node (groups and the index), children before parents.

        This is the order aggregation must follow.
        """
        order = [n for n in self.walk() if not n.is_indicator]
        return tuple(sorted(order, key=lambda n: -self.depth(n.id)))

    def walk(self, node_id: str | None = None) -> Iterator[Node]:
        """Nodes depth-first from ``node_id`` (default: the root), parents before children."""
        start = self.nodes[node_id or self.id]
        yield start
        for child in self.children(start.id):
            yield from self.walk(child)

    def depth(self, node_id: str) -> int:
        """0 for the root, 1 for its children, …"""
        d, node = 0, self.nodes[node_id]
        while node.parent is not None:
            d, node = d + 1, self.nodes[node.parent]
        return d

    def level(self, node_id: str) -> int:
        """COINr's level numbering: indicators are level 1, the index the highest level."""
        height = max(self.depth(i.id) for i in self.indicators)
        if self.nodes[node_id].is_indicator:
            return 1
        return height - self.depth(node_id) + 1

    def indicator_columns(self) -> list[str]:
        """The data columns the framework needs: indicator columns then denominators."""
        cols = [i.column for i in self.indicators]
        dens = [i.denominator for i in self.indicators if i.denominator]
        return list(dict.fromkeys(cols + dens))

    def default(self, stage: str) -> str | None:
        value = self.defaults.get(stage)
        return str(value) if value is not None else None

    @property
    def min_coverage(self) -> float:
        return float(self.defaults.get("min_coverage", 0.5))

    def describe(self) -> str:
        return f"{self.id} ({self.name}), {len(self.indicators)} indicators"

    # -- AHP comparisons ---------------------------------------------------------------------
    def weight_specs(self) -> list[str]:
        """The weight method strings the framework itself names (default, then per group)."""
        specs = [self.defaults.get("weights"), *(g.weights for g in self.groups)]
        return [s for s in specs if isinstance(s, str)]

    def with_judgements(self, *specs: object) -> Framework:
        """This framework with the AHP judgements files named by ``specs`` (weight method
        strings such as ``"ahp(file='j.csv')"``) read; the same framework when there are none.

        This is where a run's ``--weights`` option has its judgements file read (once, hashed
        into the provenance): the method receives the matrices as arrays.

        Raises
        ------
        MethodError
            A named file cannot be read, or lacks its columns.
        """
        if not any(isinstance(s, str) and "ahp" in s for s in specs):
            return self  # no AHP method named: the judgements module is not even imported
        from mfgindex.judgements import judgement_files, read_judgements

        files = [f for f in judgement_files(specs) if f not in self.judgements]
        if not files:
            return self
        read = {f: read_judgements(f) for f in files}
        return replace(self, judgements={**self.judgements, **read})

    def comparison_matrix(self, group: str, file: str | None = None) -> Any:
        """The ``(k, k)`` AHP comparison matrix of ``group``'s children in tree order — from
        judgements file ``file`` if given (read with :meth:`with_judgements`), else from the
        framework's ``[[comparisons]]`` — or None when there is none for the group.

        Raises
        ------
        MethodError
            ``file`` was not read for this framework, or its rows for ``group`` are invalid.
        """
        import numpy as np

        children = self.children(group)
        if file is not None:
            if file not in self.judgements:
                from mfgindex.errors import MethodError

                raise MethodError(
                    f"ahp: the judgements file '{file}' was not read with framework '{self.id}'",
                    hint="read it first: framework.with_judgements(\"ahp(file='...')\") "
                    "(load_framework and compute do this for the method strings they are given)",
                )
            return self.judgements[file].matrix(group, children)
        if group not in self.comparisons:
            return None
        order, matrix = self.comparisons[group]
        a = np.array(matrix, dtype=float)
        idx = [order.index(c) for c in children]
        return a[np.ix_(idx, idx)]

    def weight_context(self, group: str, call: MethodCall | None = None) -> WeightContext:
        """What a weight method may know about ``group`` (its children, their framework weights,
        its AHP comparisons — from the judgements file ``call`` names, if any)."""
        import numpy as np

        from mfgindex.methods.base import WeightContext

        file = call.kwargs.get("file") if call is not None and call.name == "ahp" else None
        children = self.children(group)
        return WeightContext(
            parent=group,
            children=children,
            weights=np.array([self.nodes[c].weight for c in children], dtype=float),
            direction=np.ones(len(children)),
            comparisons=self.comparison_matrix(group, file),
            comparisons_from=file,
        )


# ---------------------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------------------


def _builtin_root() -> Path:
    """Folder holding the built-in frameworks (installed wheel, or the source checkout)."""
    packaged = Path(str(resources.files("mfgindex"))) / "_builtin"
    if (packaged / "indicators").is_dir():
        return packaged
    return Path(__file__).resolve().parents[2]


def builtin_indicator_dir() -> Path:
    return _builtin_root() / "indicators"


def builtin_data_dir() -> Path:
    root = _builtin_root()
    return root / "data" if (root / "data").is_dir() else root / "examples" / "data"


def builtin_frameworks() -> dict[str, Path]:
    """Built-in framework ids and their files."""
    return {p.stem: p for p in sorted(builtin_indicator_dir().glob("*.toml"))}


def load_framework(source: str | Path | pd.DataFrame) -> Framework:
    """Load a framework: a built-in id (``"city"``), a ``.toml`` file, a COINr iMeta table, or
    an iMeta table in memory (a DataFrame with COINr's iMeta columns).

    Raises
    ------
    FrameworkError
        The file is missing, unreadable or invalid; the message lists every problem.
    UsageError
        ``source`` is neither a name, a path nor a DataFrame.

    Examples
    --------
    >>> import mfgindex as mi
    >>> fw = mi.load_framework("city")
    >>> fw.id, len(fw.indicators) > 10
    ('city', True)
    """
    if not isinstance(source, str | Path):
        return _from_frame(source)
    builtin = builtin_frameworks()
    # A bare id (no suffix) names a built-in framework even if a folder of that name exists here.
    if isinstance(source, str) and source in builtin and not Path(source).suffix:
        path = builtin[source]
    else:
        path = Path(source)
        if not path.exists():
            names = ", ".join(builtin)
            raise FrameworkError(
                f"no framework file or built-in framework called '{source}'."
                + did_you_mean(str(source), builtin),
                hint=f"built-in frameworks: {names}; or give the path of a .toml or COINr iMeta file",
            )
    if path.is_dir():
        raise FrameworkError(
            "is a folder, not a framework file", where=str(path), hint="give the .toml file itself"
        )
    suffix = path.suffix.lower()
    if suffix == ".toml":
        fw = _from_toml(path)
    elif suffix in {".csv", ".xlsx", ".xls", ".tsv"}:
        fw = _from_imeta(path)
    else:
        raise _unknown_suffix(path, suffix)
    # The judgements files the framework's own method strings name are read now, once.
    return fw.with_judgements(*fw.weight_specs())


def _unknown_suffix(path: Path, suffix: str) -> FrameworkError:
    return FrameworkError(
        f"cannot read a framework from a '{suffix or 'suffix-less'}' file",
        where=str(path),
        hint="frameworks are .toml files, or COINr iMeta tables (.csv, .xlsx)",
    )


_FRAMEWORK_KEYS = {
    "id",
    "name",
    "name_zh",
    "version",
    "unit",
    "unit_column",
    "name_column",
    "name_column_zh",
    "year_column",
    "scale",
    "dataset",
    "description",
    "source",
    "note",
}
_DEFAULT_KEYS = {
    "denominate",
    "impute",
    "screen",
    "treat",
    "normalize",
    "weights",
    "aggregate",
    "min_coverage",
}
_STAGE_KEYS = {"method", "labels", "labels_zh"}
_GROUP_KEYS = {"id", "parent", "name", "name_zh", "weight", "aggregate", "weights", "note", "description"}
_INDICATOR_KEYS = {
    "id",
    "parent",
    "name",
    "name_zh",
    "weight",
    "direction",
    "column",
    "unit",
    "denominator",
    "transform",
    "normalize",
    "treat",
    "target",
    "source",
    "note",
    "description",
}
_COMPARISON_KEYS = {"parent", "children", "matrix"}
_TOP_KEYS = {"framework", "defaults", "stages", "group", "indicator", "comparisons"}


#: Deepest tree accepted: real indices have 2-5 levels; a limit keeps recursion (walking the
#: tree) safe on a malformed or malicious file.
MAX_DEPTH = 64


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _from_toml(path: Path) -> Framework:
    from mfgindex.data.tables import read_input_bytes

    raw = read_input_bytes(path, "framework file", error=FrameworkError)  # one read, bounded
    try:
        doc = tomllib.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        try:
            raw.decode("gb18030")
            guess = " (it looks like GBK / GB18030)"
        except UnicodeDecodeError:
            guess = ""
        raise FrameworkError(
            f"the file is not UTF-8 text: line {line} has byte 0x{raw[exc.start]:02X}{guess}",
            where=str(path),
            hint="save the framework as UTF-8 (TOML files are always UTF-8)",
        ) from None
    except RecursionError:
        raise FrameworkError(
            "the file nests arrays or tables too deeply to read",
            where=str(path),
            hint="a framework needs no nested arrays",
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise FrameworkError(
            f"TOML syntax error: {exc}",
            where=str(path),
            hint="check quotes, brackets and '=' on the line named (strings need double quotes, "
            "tables [name], lists [1, 2]); docs/troubleshooting.md shows a working framework",
        ) from None
    return build_framework(doc, where=str(path), path=path, digest=_digest(raw))


def _from_frame(frame: Any) -> Framework:
    """A COINr iMeta table given as a DataFrame; its digest is the SHA-256 of its CSV text."""
    import hashlib

    import pandas as pd

    from mfgindex.coinr import ROWS_KEY, imeta_from_table

    if not isinstance(frame, pd.DataFrame):
        raise UsageError(
            f"load_framework takes a built-in id, a file path or a DataFrame (an iMeta table), "
            f"got {type(frame).__name__}",
            hint="e.g. mi.load_framework('city'), mi.load_framework('my.toml') or "
            "mi.load_framework(imeta_frame)",
        )
    text = frame.astype(object).where(frame.notna(), "").astype(str)
    text.columns = [str(c) for c in frame.columns]
    digest = hashlib.sha256(text.to_csv(index=False).encode("utf-8")).hexdigest()
    doc = imeta_from_table(text, "<DataFrame>")
    doc.pop(ROWS_KEY, {})
    return build_framework(doc, where="<DataFrame>", digest=digest)


def _from_imeta(path: Path) -> Framework:
    """A COINr iMeta table (read by :mod:`mfgindex.coinr`), validated as any framework."""
    from mfgindex.coinr import ROWS_KEY, imeta_document

    doc, digest = imeta_document(path)
    rows = doc.pop(ROWS_KEY, {})
    try:
        return build_framework(doc, where=str(path), path=path, digest=digest)
    except FrameworkError as exc:
        # The document's key paths (indicator[2].direction) mean nothing in a table: each
        # problem is said by the iMeta row and column it comes from.
        exc.problems = [_imeta_place(p, rows, doc) for p in exc.problems]
        exc.hint = (
            "fix the rows listed (row 1 is the header); COINr's iMeta format: one row "
            "per indicator and aggregate, Level 1 = indicators, the index row has Type "
            "Aggregate and an empty Parent"
        )
        raise


_KEY_PATH = re.compile(r"^(indicator|group)\[(\d+)\](?:\.(\w+))?")


def _imeta_place(problem: str, rows: Mapping[str, list[str]], doc: Mapping[str, Any]) -> str:
    """``indicator[2].direction: …`` as ``row 5 (iCode 'x2'), column Direction: …``."""
    from mfgindex.coinr import IMETA_COLUMNS

    m = _KEY_PATH.match(problem)
    if m is None:
        return problem
    kind, k, key = m.group(1), int(m.group(2)), m.group(3)
    places, entries = rows.get(kind, []), doc.get(kind, [])
    if k >= len(places):
        return problem
    code = entries[k].get("id") if k < len(entries) else None
    place = places[k] + (f" (iCode '{code}')" if code else "")
    if key:
        place += f", column {IMETA_COLUMNS.get(key, key)}"
    return place + problem[m.end() :]


#: Largest weight accepted: weights are relative, and weight × score summed over a group must
#: stay finite (a weight of 1e308 would overflow to infinity and no unit could be scored).
MAX_WEIGHT = 1e15

#: Most problems listed in one message (the rest are counted): a framework with 50,000 unknown
#: tables gets a screenful, not megabytes.
MAX_PROBLEMS = 30


class _Problems:
    """Collects validation problems so all are reported together."""

    def __init__(self, where: str) -> None:
        self.where = where
        self.items: list[str] = []
        # Key paths a misspelt key was matched to ("indicator[1].direction" for "direcion"):
        # reporting that key as missing too would only repeat the problem.
        self.misspelt: set[str] = set()

    def add(self, key: str, what: str) -> None:
        if what.startswith("missing") and key in self.misspelt:
            return
        self.items.append(f"{key}: {what}" if key else what)

    def unknown_keys(self, table: Mapping[str, Any], allowed: set[str], prefix: str) -> None:
        for key in table:
            if key not in allowed:
                # the sentence only for a problem that is shown (a file of thousands of
                # unknown tables would otherwise spend seconds in difflib)
                hint = did_you_mean(key, allowed) if len(self.items) < MAX_PROBLEMS else ""
                close = closest(key, allowed)
                if close is not None and close not in table:
                    self.misspelt.add(f"{prefix}.{close}" if prefix else close)
                what = (
                    "unknown key."
                    if prefix or not isinstance(table[key], Mapping | list)
                    else f"unknown table [{key}]."
                )
                self.add(f"{prefix}.{key}" if prefix else key, what + hint)

    def raise_if_any(self) -> None:
        if self.items:
            n = len(self.items)
            shown = self.items[:MAX_PROBLEMS]
            if n > MAX_PROBLEMS:
                shown.append(f"(and {n - MAX_PROBLEMS} more)")
            raise FrameworkError(
                f"invalid framework ({n} problem{'s' if n > 1 else ''})",
                where=self.where,
                problems=shown,
                hint="fix each key listed (its place in the file: table[position].key); "
                "`mfgindex show city` prints a working framework, and docs/troubleshooting.md "
                "explains each message",
            )


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _number(problems: _Problems, key: str, value: Any, default: float | None) -> float | None:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
        problems.add(key, f"must be a number, got {value!r}")
        return default
    return float(value)


def build_framework(
    doc: Mapping[str, Any],
    *,
    where: str = "<framework>",
    path: Path | None = None,
    digest: str = "",
) -> Framework:
    """Validate a parsed framework document (the TOML structure) and build a :class:`Framework`.

    Every rule of DESIGN §4 is checked and all problems are reported in one
    :class:`FrameworkError`. The checks run in file order (framework table, defaults, groups,
    indicators, tree, comparisons, stages, dataset), so the problems are listed in that order.

    Raises
    ------
    FrameworkError
        Listing every problem found.
    """
    p = _Problems(where)
    p.unknown_keys(doc, _TOP_KEYS, "")
    meta, fields = _framework_table(p, doc)
    defaults = _defaults(p, doc)
    nodes = _nodes(p, doc, fields["id"], fields["name"], fields["name_zh"])
    _check_tree(p, nodes, fields["id"], doc)
    _check_reserved(p, nodes, fields, doc)
    comparisons = _comparisons(p, doc, nodes)
    stages = _stages(p, doc.get("stages"))
    dataset = _dataset(p, meta.get("dataset"), path)
    p.raise_if_any()
    return Framework(
        **fields,
        dataset=dataset,
        defaults=defaults,
        stages=stages,
        nodes=nodes,
        comparisons=comparisons,
        path=path,
        digest=digest,
    )


def _framework_table(p: _Problems, doc: Mapping[str, Any]) -> tuple[Mapping[str, Any], dict[str, Any]]:
    """The ``[framework]`` table, checked, and the :class:`Framework` fields it gives."""
    meta = doc.get("framework")
    if not isinstance(meta, Mapping):
        p.add("framework", "missing [framework] table (it needs at least id and unit_column)")
        meta = {}
    p.unknown_keys(meta, _FRAMEWORK_KEYS, "framework")
    fid = meta.get("id")
    if not isinstance(fid, str) or not fid:
        p.add("framework.id", "missing: the framework's id, which is also the root node's id")
        fid = "index"
    unit_column = meta.get("unit_column")
    if not isinstance(unit_column, str) or not unit_column:
        p.add("framework.unit_column", "missing: the data column holding unit ids")
        unit_column = "unit"
    for key in ("name", "name_zh", "version", "unit", "name_column", "name_column_zh", "year_column"):
        if key in meta and not isinstance(meta[key], str):
            p.add(f"framework.{key}", f"must be text, got {meta[key]!r}")
    texts = {k: v for k, v in meta.items() if isinstance(v, str)}
    fields: dict[str, Any] = {
        "id": fid,
        "name": _text(meta.get("name")) or fid,
        "name_zh": _text(meta.get("name_zh")),
        "version": _text(meta.get("version")),
        "unit": _text(meta.get("unit")) or "unit",
        "unit_column": unit_column,
        "name_column": texts.get("name_column") or None,
        "name_column_zh": texts.get("name_column_zh") or None,
        "year_column": texts.get("year_column") or "year",
        "scale": _scale(p, meta.get("scale", [0, 100])),
    }
    return meta, fields


def _scale(p: _Problems, raw: Any) -> tuple[float, float]:
    if (
        isinstance(raw, list)
        and len(raw) == 2
        and all(isinstance(v, int | float) and not isinstance(v, bool) for v in raw)
        and raw[0] < raw[1]
    ):
        return (float(raw[0]), float(raw[1]))
    p.add("framework.scale", f"must be [low, high] with low < high, got {raw!r}")
    return (0.0, 100.0)


#: The registry stage each ``[defaults]`` method key names (the others are their own stage).
_STAGE_OF_DEFAULT = {"weights": "weight"}


def _defaults(p: _Problems, doc: Mapping[str, Any]) -> dict[str, Any]:
    """The ``[defaults]`` table: known keys, a coverage share in [0, 1], valid method strings."""
    raw = doc.get("defaults", {})
    if not isinstance(raw, Mapping):
        p.add("defaults", "must be a [defaults] table")
        raw = {}
    defaults = dict(raw)
    p.unknown_keys(defaults, _DEFAULT_KEYS, "defaults")
    if "min_coverage" in defaults:
        mc = _number(p, "defaults.min_coverage", defaults["min_coverage"], 0.5)
        if mc is not None and not 0 <= mc <= 1:
            p.add("defaults.min_coverage", f"must be between 0 and 1, got {mc}")
    for key in ("denominate", "impute", "screen", "treat", "normalize", "weights", "aggregate"):
        if key in defaults:
            _check_method(
                p, f"defaults.{key}", _STAGE_OF_DEFAULT.get(key, key), defaults[key], allow_none=True
            )
    return defaults


def _nodes(p: _Problems, doc: Mapping[str, Any], fid: str, name: str, name_zh: str) -> dict[str, Node]:
    """Every node in file order: the root, then ``[[group]]`` and ``[[indicator]]`` tables."""
    nodes: dict[str, Node] = {fid: Node(id=fid, parent=None, name=name, name_zh=name_zh)}
    for kind, build in (("group", _group), ("indicator", _indicator)):
        for i, table in enumerate(_table_list(p, doc, kind)):
            key = f"{kind}[{i}]"
            p.unknown_keys(table, _GROUP_KEYS if kind == "group" else _INDICATOR_KEYS, key)
            nid = _node_id(p, table, key)
            if nid is None:
                continue
            if nid in nodes:
                p.add(f"{key}.id", f"duplicate id '{nid}'")
                continue
            nodes[nid] = build(p, table, key, nid)
    return nodes


def _group(p: _Problems, g: Mapping[str, Any], key: str, gid: str) -> Node:
    weight = _weight(p, g, key)
    if "aggregate" in g:
        _check_method(p, f"{key}.aggregate", "aggregate", g["aggregate"])
    if "weights" in g:
        _check_method(p, f"{key}.weights", "weight", g["weights"])
    return Node(
        id=gid,
        parent=_parent(p, g, key),
        name=_text(g.get("name")) or gid,
        name_zh=_text(g.get("name_zh")),
        weight=weight,
        aggregate=g.get("aggregate"),
        weights=g.get("weights"),
    )


def _direction(p: _Problems, key: str, direction: Any) -> int:
    if direction is None:
        p.add(f"{key}.direction", "missing: 1 if higher is better, -1 if lower is better")
        return 1
    if isinstance(direction, bool) or direction not in (1, -1):
        p.add(f"{key}.direction", f"must be 1 or -1, got {direction!r}")
        return 1
    return int(direction)


def _indicator(p: _Problems, ind: Mapping[str, Any], key: str, iid: str) -> Indicator:
    direction = _direction(p, key, ind.get("direction"))
    for mkey in ("normalize", "transform"):
        if mkey in ind:
            _check_method(p, f"{key}.{mkey}", mkey, ind[mkey])
    if "treat" in ind:
        _check_method(p, f"{key}.treat", "treat", ind["treat"], allow_none=True)
    target = _number(p, f"{key}.target", ind.get("target"), None)
    column = ind.get("column", iid)
    denominator = ind.get("denominator")
    for ckey, cval in (("column", column), ("denominator", denominator)):
        if cval is not None and (not isinstance(cval, str) or not cval):
            p.add(f"{key}.{ckey}", f"must be a column name, got {cval!r}")
    return Indicator(
        id=iid,
        parent=_parent(p, ind, key),
        name=_text(ind.get("name")) or iid,
        name_zh=_text(ind.get("name_zh")),
        weight=_weight(p, ind, key),
        direction=direction,
        column=str(column),
        unit=_text(ind.get("unit")),
        denominator=denominator if isinstance(denominator, str) else None,
        transform=ind.get("transform"),
        normalize=ind.get("normalize"),
        treat=ind.get("treat"),
        target=target,
        source=_text(ind.get("source")),
        note=_text(ind.get("note")),
    )


def _dataset(p: _Problems, dataset: Any, path: Path | None) -> Path | None:
    if dataset is None:
        return None
    if not isinstance(dataset, str) or not dataset:
        p.add("framework.dataset", f"must be a file name, got {dataset!r}")
        return None
    return _resolve_dataset(dataset, path)


def _resolve_dataset(name: str, path: Path | None) -> Path:
    candidates = []
    if path is not None:
        candidates.append(path.parent / name)
    candidates.append(builtin_data_dir() / name)
    for c in candidates:
        if c.exists():
            return c
    return candidates[0]


def _table_list(p: _Problems, doc: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    value = doc.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
        p.add(key, f"must be written as [[{key}]] tables")
        return []
    return value


def _node_id(p: _Problems, table: Mapping[str, Any], key: str) -> str | None:
    nid = table.get("id")
    if not isinstance(nid, str) or not nid:
        p.add(f"{key}.id", "missing: every node needs a unique id")
        return None
    return nid


def _parent(p: _Problems, table: Mapping[str, Any], key: str) -> str | None:
    parent = table.get("parent")
    if not isinstance(parent, str) or not parent:
        p.add(f"{key}.parent", "missing: the id of the group this node belongs to")
        return None
    return parent


def _weight(p: _Problems, table: Mapping[str, Any], key: str) -> float:
    w = _number(p, f"{key}.weight", table.get("weight"), 1.0)
    if w is None:
        return 1.0
    if w < 0 or math.isinf(w):
        p.add(f"{key}.weight", f"must be a finite number ≥ 0, got {w:g}")
        return 1.0
    if w > MAX_WEIGHT:
        p.add(
            f"{key}.weight",
            f"{w:g} is too large: a weight above {MAX_WEIGHT:g} overflows "
            "when a group adds its children's weighted scores (every unit "
            "would be left unscored, as if data were missing); weights are "
            "relative: divide the group's weights by a common factor",
        )
        return 1.0
    return w


def _check_method(p: _Problems, key: str, stage: str, spec: Any, allow_none: bool = False) -> None:
    from mfgindex.methods.registry import resolve

    if not isinstance(spec, str):
        p.add(key, f'must be a method string such as "name(key=value)", got {spec!r}')
        return
    if allow_none and spec.strip() == "none":
        return
    try:
        resolve(stage, spec)
    except MfgIndexError as exc:
        p.add(key, exc.what)


def _check_tree(p: _Problems, nodes: dict[str, Node], root: str, doc: Mapping[str, Any]) -> None:
    """The tree rules: parents exist and are groups, no cycles, at most :data:`MAX_DEPTH` levels,
    every group has children, siblings' weights are not all zero.

    Every check is linear in the number of nodes, so a malformed file of thousands of levels is
    rejected at once.
    """
    known = len(p.items)
    where = _key_paths(doc)
    _check_parents(p, nodes, root, where)
    if _check_cycles(p, nodes, root, where):
        return  # the tree checks below would only repeat the cycle
    if len(p.items) == known and _check_depth(p, nodes, root, where):  # parents must be sound
        return
    has_children = {n.parent for n in nodes.values() if n.parent}
    for node in nodes.values():
        if (
            not node.is_indicator
            and node.id not in has_children
            and not ("indicator" in p.misspelt and node.id != root)
        ):
            what = "the framework has no indicators" if node.id == root else "has no children"
            p.add(
                where.get(node.id, "framework") + ("" if node.id == root else ".id"),
                f"group '{node.id}' {what}" if node.id != root else what,
            )
    siblings: dict[str, list[Node]] = {}
    for node in nodes.values():
        if node.parent:
            siblings.setdefault(node.parent, []).append(node)
    for parent, kids in siblings.items():
        if kids and all(k.weight == 0 for k in kids):
            p.add(
                f"group '{parent}'", "the weights of all its children are 0; give at least one a weight > 0"
            )


def _check_reserved(
    p: _Problems, nodes: Mapping[str, Node], fields: Mapping[str, Any], doc: Mapping[str, Any]
) -> None:
    """No node id may be an output column of the result tables (DESIGN §8): the unit and
    name columns, ``year``, ``rank``, ``stage``, ``missing_groups``, ``rank_<group>``: its
    scores would overwrite that column, a wrong table without a word."""
    reserved = {
        "year": "the year column",
        "rank": "the rank column",
        "stage": "the stage column",
        "missing_groups": "the missing-groups column",
    }
    for key in ("year_column", "unit_column", "name_column", "name_column_zh"):
        if fields.get(key):
            reserved[fields[key]] = f"the {key.replace('_', ' ')} ({key} = '{fields[key]}')"
    groups = [n.id for n in nodes.values() if not n.is_indicator]
    reserved |= {f"rank_{g}": f"the rank column of group '{g}' (--ranks)" for g in groups}
    where = _key_paths(doc)
    for nid, node in nodes.items():
        if nid in reserved:
            kind = "indicator" if node.is_indicator else "group" if node.parent else "index"
            p.add(
                where.get(nid, "framework") + ".id",
                f"{kind} id '{nid}' is {reserved[nid]} of every result table, so its scores "
                "would overwrite it: rename the node (ids are the output column names)",
            )


def _key_paths(doc: Mapping[str, Any]) -> dict[str, str]:
    """Each node id's place in the file (``group[3]``), for messages; the first wins."""
    where: dict[str, str] = {}
    for kind in ("group", "indicator"):
        tables = doc.get(kind)
        for i, t in enumerate(tables if isinstance(tables, list) else []):
            if isinstance(t, Mapping) and isinstance(t.get("id"), str):
                where.setdefault(t["id"], f"{kind}[{i}]")
    return where


def _check_parents(p: _Problems, nodes: Mapping[str, Node], root: str, where: Mapping[str, str]) -> None:
    """Every parent is a node of the framework, and a group."""
    for node in nodes.values():
        if node.parent is None or node.id == root:
            continue
        if node.parent not in nodes:
            groups = [n.id for n in nodes.values() if not n.is_indicator]
            p.add(
                f"{where.get(node.id, node.id)}.parent",
                f"'{node.parent}' is not a node of this framework."
                + (did_you_mean(node.parent, nodes) or f" Groups: {', '.join(groups)}."),
            )
        elif nodes[node.parent].is_indicator:
            p.add(
                f"{where.get(node.id, node.id)}.parent",
                f"'{node.parent}' is an indicator; only groups can have children",
            )


def _check_cycles(p: _Problems, nodes: Mapping[str, Node], root: str, where: Mapping[str, str]) -> bool:
    """Report each cycle of parent links once; True if there is one.

    Each node has one parent, so following parents from a node is a path that ends at the root,
    at a missing parent, or in a cycle. Nodes are started from in file order and every node is
    walked through once (three colours: unseen, on the current path, done), so the check is
    linear; a cycle is reported as first met, from the node where the walk entered it.
    """
    done: set[str] = set()
    found = False
    for node in nodes.values():
        if node.parent is not None and node.parent in nodes and nodes[node.parent].is_indicator:
            continue  # already reported: an indicator cannot be a parent
        path: dict[str, int] = {}  # the current walk, node → position (insertion ordered)
        cur: str | None = node.id
        while cur is not None and cur in nodes and cur != root and cur not in done:
            if cur in path:
                members = list(path)[path[cur] :]
                cycle = " → ".join([*members, cur])
                p.add(
                    f"{where.get(members[0], members[0])}.parent",
                    f"cycle: {cycle}; a group cannot be its own ancestor",
                )
                found = True
                break
            path[cur] = len(path)
            cur = nodes[cur].parent
        done.update(path)
    return found


def _check_depth(p: _Problems, nodes: Mapping[str, Node], root: str, where: Mapping[str, str]) -> bool:
    """Report a tree deeper than :data:`MAX_DEPTH` (at its first node too deep); True if so.

    Depths are memoised along each walk up the (acyclic, sound) tree, so each node is counted
    once.
    """
    depth: dict[str, int] = {}
    for node in nodes.values():
        path: list[str] = []
        cur: str | None = node.id
        while cur is not None and cur in nodes and cur not in depth:
            path.append(cur)
            cur = nodes[cur].parent
        d = depth.get(cur, -1) if cur is not None else -1
        for nid in reversed(path):
            d += 1
            depth[nid] = d
        if depth[node.id] > MAX_DEPTH:
            p.add(
                f"{where.get(node.id, node.id)}.parent",
                f"the tree is more than {MAX_DEPTH} levels deep below '{root}'; a composite "
                "index has a handful (indicators, groups, sub-indices, index)",
            )
            return True
    return False


def _comparisons(
    p: _Problems, doc: Mapping[str, Any], nodes: Mapping[str, Node]
) -> dict[str, tuple[tuple[str, ...], tuple[tuple[float, ...], ...]]]:
    out: dict[str, tuple[tuple[str, ...], tuple[tuple[float, ...], ...]]] = {}
    for i, c in enumerate(_table_list(p, doc, "comparisons")):
        key = f"comparisons[{i}]"
        p.unknown_keys(c, _COMPARISON_KEYS, key)
        parent, children, matrix = c.get("parent"), c.get("children"), c.get("matrix")
        if not isinstance(parent, str) or parent not in nodes:
            p.add(f"{key}.parent", f"'{parent}' is not a group of this framework")
            continue
        actual = [n.id for n in nodes.values() if n.parent == parent]
        if not isinstance(children, list) or sorted(map(str, children)) != sorted(actual):
            p.add(f"{key}.children", f"must list the children of '{parent}' ({', '.join(actual)})")
            continue
        k = len(children)
        if (
            not isinstance(matrix, list)
            or len(matrix) != k
            or not all(isinstance(r, list) and len(r) == k for r in matrix)
            or not all(isinstance(v, int | float) and v > 0 for r in matrix for v in r)
        ):
            p.add(f"{key}.matrix", f"must be a {k}×{k} matrix of positive numbers")
            continue
        out[parent] = (tuple(children), tuple(tuple(float(v) for v in r) for r in matrix))
    return out


def _stages(p: _Problems, table: Any) -> StageRule | None:
    if table is None:
        return None
    if not isinstance(table, Mapping):
        p.add("stages", "must be a [stages] table")
        return None
    labels = table.get("labels")
    if not isinstance(labels, list) or not labels or not all(isinstance(v, str) for v in labels):
        p.add("stages.labels", "missing: a list of band names, best first")
        return None
    labels_zh = table.get("labels_zh", [])
    if (
        not isinstance(labels_zh, list)
        or not all(isinstance(v, str) for v in labels_zh)
        or (labels_zh and len(labels_zh) != len(labels))
    ):
        p.add(
            "stages.labels_zh",
            f"must be a list of as many names as stages.labels ({len(labels)}), got {labels_zh!r}",
        )
        labels_zh = []
    method = table.get("method", "rank")
    params = {k: v for k, v in table.items() if k not in _STAGE_KEYS}
    spec = method if not params else f"{method}({', '.join(f'{k}={v!r}' for k, v in params.items())})"
    if isinstance(method, str) and "(" in method:
        spec = method
    try:
        from mfgindex.methods.registry import resolve

        call = resolve("classify", spec)
    except MfgIndexError as exc:
        p.add("stages", exc.what)
        return None
    cuts = call.kwargs.get("cuts")
    if isinstance(cuts, list) and len(cuts) != len(labels) - 1:
        need = len(labels) - 1
        p.add(
            "stages.cuts", f"{len(labels)} labels need {need} cut{'s' if need != 1 else ''}, got {len(cuts)}"
        )
    return StageRule(method=call.spec(), labels=tuple(labels), labels_zh=tuple(labels_zh))
