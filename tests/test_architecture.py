"""docs/architecture.md lists every module of the package, so the map cannot drift from the
code: each top-level module and package, and each module of the core packages (data, methods,
pipeline, robustness), has a row in its module table."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "mfgindex"
#: Packages whose modules are listed one by one; the others (cli, plot, report, scale) by name.
DETAILED = ("data", "methods", "pipeline", "robustness")


def _listed() -> set[str]:
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    table = text[text.index("## Module map") :]
    return set(re.findall(r"^\| `([A-Za-z0-9_.]+)` \|", table, flags=re.MULTILINE))


def _expected() -> set[str]:
    names = {p.stem for p in PACKAGE.glob("*.py")}
    names |= {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()}
    for pkg in DETAILED:
        names |= {f"{pkg}.{p.stem}" for p in (PACKAGE / pkg).glob("*.py") if p.stem != "__init__"}
    return names


def test_every_module_is_on_the_map() -> None:
    missing = sorted(_expected() - _listed())
    assert not missing, f"add these modules to docs/architecture.md's module map: {missing}"


def test_the_map_lists_no_module_that_is_gone() -> None:
    gone = sorted(_listed() - _expected())
    assert not gone, f"docs/architecture.md lists modules that no longer exist: {gone}"
