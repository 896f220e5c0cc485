"""The import graph of ``src/mfgindex``: the layers hold and no new import cycle appears.

The graph is read with :mod:`ast` from the source files (nothing is imported). An edge
``a → b`` is an import of ``b`` written in ``a``: ``import mfgindex.b``, ``from mfgindex import
b`` (``b`` a submodule) or ``from mfgindex.b import name``, and relative forms.

* **Layers** count every import, at module level, inside functions and under ``TYPE_CHECKING``:
  ``mfgindex.methods`` is the bottom layer and imports from mfgindex only other methods modules,
  ``mfgindex.errors`` and ``mfgindex._version``.
* **Cycles** are checked twice: among the imports that run when a module is imported (module
  level, inside a top-level ``if``/``try`` too; not in functions, not under ``TYPE_CHECKING``),
  where a cycle can break an import; and among every import that runs (inside functions too),
  where a cycle means two modules that cannot be understood or tested apart. A cycle is a
  strongly connected component of more than one module. :data:`KNOWN_CYCLES` and
  :data:`KNOWN_DEFERRED_CYCLES` list the cycles that existed when this test was written; they
  may only shrink — a new cycle fails, and so does an entry that is no longer a cycle.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import pytest

from tests.conftest import ROOT

SRC = ROOT / "src"
PACKAGE = "mfgindex"

#: What mfgindex.methods may import from mfgindex besides its own modules.
METHODS_MAY_IMPORT = {"mfgindex.errors", "mfgindex._version"}

#: Imports from methods/ to a module above it, known when this test was written. Remove an entry
#: when its import is gone. Never add one.
KNOWN_LAYER_BREAKS: set[tuple[str, str]] = set()

#: Import cycles (module-level) known when this test was written, each the set of modules of one
#: cycle: none. Never add one.
KNOWN_CYCLES: list[frozenset[str]] = []

#: Cycles through imports inside functions (deferred imports) known when this test was written.
#: framework ↔ coinr ↔ data and result ↔ pipeline were removed (issue 8); what remains is by
#: design: ``registry._load_all`` imports the stage modules so that their ``@register``
#: decorators run (an explicit list, no package walking), and they import the registry. An entry
#: may shrink (modules leaving the cycle) without an edit here. Never add one.
KNOWN_DEFERRED_CYCLES: list[frozenset[str]] = [
    frozenset(
        {
            f"mfgindex.methods.{m}"
            for m in (
                "registry",
                "aggregate",
                "classify",
                "denominate",
                "impute",
                "normalize",
                "screen",
                "transform",
                "treat",
                "weight",
            )
        }
    ),
]


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted((SRC / PACKAGE).rglob("*.py"))}


MODULES = _modules()


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


#: Which imports a graph counts: every one ("all": the layers); every one that runs at some point,
#: i.e. not under TYPE_CHECKING ("deferred": inside functions too); only those that run when the
#: module is imported ("runtime": module level, inside a top-level if/try/with too).
Mode = Literal["all", "deferred", "runtime"]


def _imports(tree: ast.Module, mode: Mode) -> Iterator[ast.Import | ast.ImportFrom]:
    """The import statements of a module that ``mode`` counts."""

    def visit(stmts: list[ast.stmt]) -> Iterator[ast.Import | ast.ImportFrom]:
        for stmt in stmts:
            if isinstance(stmt, ast.Import | ast.ImportFrom):
                yield stmt
            elif isinstance(stmt, ast.If):
                if mode == "all" or not _is_type_checking(stmt.test):
                    yield from visit(stmt.body)
                yield from visit(stmt.orelse)
            elif isinstance(stmt, ast.Try):
                for part in (stmt.body, *(h.body for h in stmt.handlers), stmt.orelse, stmt.finalbody):
                    yield from visit(part)
            elif isinstance(stmt, ast.With):
                yield from visit(stmt.body)
            elif mode != "runtime":  # functions, classes, loops: the statements inside
                yield from visit([c for c in ast.iter_child_nodes(stmt) if isinstance(c, ast.stmt)])

    yield from visit(tree.body)


def _targets(module: str, node: ast.Import | ast.ImportFrom) -> set[str]:
    """The mfgindex modules an import statement in ``module`` names."""
    is_package = MODULES[module].name == "__init__.py"
    if isinstance(node, ast.Import):
        names = [a.name for a in node.names]
    else:
        base = node.module or ""
        if node.level:
            parts = module.split(".")
            anchor = parts if is_package else parts[:-1]
            anchor = anchor[: len(anchor) - (node.level - 1)]
            base = ".".join([*anchor, base] if base else anchor)
        names = []
        for alias in node.names:
            sub = f"{base}.{alias.name}"
            names.append(sub if sub in MODULES else base)
    out = set()
    for name in names:
        # `import a.b.c` names a.b.c; a name inside a module (`from a.b import f`) names a.b
        while name and name not in MODULES:
            name = name.rpartition(".")[0]
        # (a module importing itself is only a submodule not written yet: ignored)
        if name.split(".")[0] == PACKAGE and name != module:
            out.add(name)
    return out


@functools.cache
def import_graph(mode: Mode) -> dict[str, set[str]]:
    """The import graph of the package (read once per mode: the files do not change)."""
    graph: dict[str, set[str]] = {}
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        edges: set[str] = set()
        for node in _imports(tree, mode):
            edges |= _targets(module, node)
        if mode == "deferred":
            # A submodule may use its package's public names inside a function (the package is
            # loaded by then): not a cycle. At module level it would be one, and counts there.
            edges = {e for e in edges if not module.startswith(e + ".")}
        graph[module] = edges
    return graph


def cycles(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """Strongly connected components of more than one module, or a module importing itself
    (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[frozenset[str]] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1 or node in graph[node]:
                    found.append(frozenset(component))
    return found


def _show(component: frozenset[str], graph: dict[str, set[str]]) -> str:
    edges = sorted(f"{a} → {b}" for a in component for b in graph[a] if b in component)
    return "{" + ", ".join(sorted(component)) + "}: " + "; ".join(edges)


def test_the_graph_is_read() -> None:
    graph = import_graph("all")
    assert "mfgindex.methods.registry" in graph
    assert "mfgindex.errors" in graph["mfgindex.methods.registry"]


@pytest.mark.parametrize("module", sorted(m for m in MODULES if m.startswith("mfgindex.methods")))
def test_methods_import_nothing_above_them(module: str) -> None:
    """The methods are the bottom layer: plain functions on arrays, which read no files and know
    nothing of frameworks, data, the pipeline or the CLI."""
    above = _layer_breaks(import_graph("all"), module) - KNOWN_LAYER_BREAKS
    assert not above, (
        f"{module} imports {sorted(b for _, b in above)} (methods may import only "
        f"mfgindex.methods.*, {', '.join(sorted(METHODS_MAY_IMPORT))})"
    )


def _layer_breaks(graph: dict[str, set[str]], module: str) -> set[tuple[str, str]]:
    return {
        (module, m)
        for m in graph[module]
        if not (m == "mfgindex.methods" or m.startswith("mfgindex.methods.")) and m not in METHODS_MAY_IMPORT
    }


def test_known_layer_breaks_still_exist() -> None:
    """The allow-list only shrinks: an import that was removed leaves the list too."""
    graph = import_graph("all")
    found = {b for m in graph if m.startswith("mfgindex.methods") for b in _layer_breaks(graph, m)}
    gone = KNOWN_LAYER_BREAKS - found
    assert not gone, (
        "these imports are gone — delete them from KNOWN_LAYER_BREAKS in "
        f"tests/test_import_graph.py: {sorted(gone)}"
    )


#: The allow-list of each graph that is checked for cycles.
ALLOWED = {"runtime": KNOWN_CYCLES, "deferred": KNOWN_DEFERRED_CYCLES}


@pytest.mark.parametrize("mode", ["runtime", "deferred"])
def test_no_new_import_cycle(mode: Mode) -> None:
    """Every cycle is inside a known one (a known cycle may shrink without an edit here)."""
    graph = import_graph(mode)
    new = [c for c in cycles(graph) if not any(c <= known for known in ALLOWED[mode])]
    where = "module-level imports" if mode == "runtime" else "imports, inside functions too"
    assert not new, (
        f"new import cycle(s) among {where} (move the shared code down a layer, or pass what is "
        "needed as an argument):\n" + "\n".join(_show(c, graph) for c in new)
    )


@pytest.mark.parametrize("mode", ["runtime", "deferred"])
def test_known_cycles_still_exist(mode: Mode) -> None:
    """The allow-list only shrinks: an entry none of whose modules are still in one cycle
    together leaves the list."""
    found = cycles(import_graph(mode))
    gone = [known for known in ALLOWED[mode] if not any(len(c & known) >= 2 for c in found)]
    assert not gone, (
        f"these import cycles are gone — delete them from the {mode} allow-list in "
        f"tests/test_import_graph.py: {[sorted(g) for g in gone]}"
    )


def test_cycle_finder() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": {"e"}, "f": set()}
    assert sorted(map(sorted, cycles(graph))) == [["a", "b", "c"], ["e"]]
