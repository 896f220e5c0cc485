"""docs/methods.md is generated from the registry and must be current."""

from __future__ import annotations

from mfgindex.methods.registry import methods, reference_markdown
from tests.conftest import ROOT


def test_methods_reference_is_current() -> None:
    committed = (ROOT / "docs" / "methods.md").read_text(encoding="utf-8")
    assert committed == reference_markdown(), "run: python docs/make_methods.py"


def test_every_method_is_documented() -> None:
    page = reference_markdown()
    for m in methods():
        assert f'<a id="{m.stage}-{m.name}"></a>' in page
        assert m.summary, f"{m.stage}.{m.name} has no docstring summary"
