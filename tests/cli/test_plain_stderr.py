"""Messages on a stderr that is not a terminal are printed without rich (cli/common.py
``print_plain_err``), exactly as rich prints them."""

from __future__ import annotations

import io
import subprocess
import sys

import pytest

from mfgindex.cli import common

TEXTS = [
    "warning: indicator 'exports': low coverage: data for 186 of 296 units (63%)\n"
    "  hint: fill in the missing values, or impute them (--impute)",
    "警告：指标 'exports'：覆盖率低\n  提示：补齐缺失值",
    "", "x", "trailing space ", " leading", "two  spaces", "line\n", "\n\nblank lines\n",
    "tab\there", "a\rb", "esc \x1b[31mred\x1b[0m", "zero\u200bwidth", "nbsp\u00a0x", "bell\x07",
    "[red]not markup[/]", "[1, 2, 3]", "a\\b", "ends with \\", ":smile:", "10:30:00", "a::b",
    "emoji 😀 and wide 中文", "combining e\u0301", "x" * 500, "units: 320500, 110000",
]  # fmt: skip


def _printed(text: str, monkeypatch: pytest.MonkeyPatch, *, plain: bool) -> str:
    stream = io.StringIO()
    monkeypatch.setattr(sys, "stderr", stream)
    if plain:
        if not common.print_plain_err(text):
            return "<rich>"
    else:
        common.err_console().print(common.escape(text), markup=True, highlight=False)
    return stream.getvalue()


@pytest.mark.parametrize("text", TEXTS)
def test_plain_is_what_rich_prints(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.delenv("TTY_COMPATIBLE", raising=False)
    plain = _printed(text, monkeypatch, plain=True)
    if plain != "<rich>":
        assert plain == _printed(text, monkeypatch, plain=False)


def test_plain_prints_the_usual_messages(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.delenv("TTY_COMPATIBLE", raising=False)
    for text in (TEXTS[0], TEXTS[1], "error: no such file 'x.csv'\n  hint: check the path"):
        assert _printed(text, monkeypatch, plain=True) != "<rich>"


def test_a_terminal_or_forced_colour_gets_rich(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert _printed("x", monkeypatch, plain=True) == "<rich>"
    monkeypatch.delenv("FORCE_COLOR")
    monkeypatch.setenv("TTY_COMPATIBLE", "1")
    assert _printed("x", monkeypatch, plain=True) == "<rich>"


def test_rank_to_a_pipe_imports_no_rich() -> None:
    code = (
        "import sys\nsys.argv = ['mfgindex', 'rank', '--format', 'csv']\n"
        "from mfgindex.cli import main\ntry:\n    main()\nexcept SystemExit:\n    pass\n"
        "print('rich' in sys.modules, file=sys.stderr)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "low coverage" in out.stderr  # the bundled data's warning, printed plainly
    assert out.stderr.strip().splitlines()[-1] == "False"
