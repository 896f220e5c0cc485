"""Text and consoles of the command line: rich markup escaped, control characters made
visible, and the consoles of stdout and stderr (rich imported only when something is printed)."""

import functools
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console


def escape(text: str) -> str:
    """``text`` with rich markup escaped (rich imported only when something is printed)."""
    from rich.markup import escape as rich_escape

    return rich_escape(text)


def safe_text(text: str) -> str:
    """``text`` with every control character (the ESC of an ANSI sequence, a carriage return,
    a bell) and invisible format character written as an escape (``\\x1b``), line by line
    (:func:`mfgindex.errors.printable`): a data cell can neither drive the terminal nor hide
    in a message; the message's own line breaks are kept."""
    from mfgindex.errors import printable

    return "\n".join(printable(line) for line in text.split("\n"))


@functools.cache
def _safe_console_class() -> type:
    from rich.console import Console

    class SafeConsole(Console):
        """A console whose printed text cannot carry control characters (:func:`safe_text`)."""

        def print(self, *objects: Any, **kwargs: Any) -> None:
            super().print(*(safe_text(o) if isinstance(o, str) else o for o in objects), **kwargs)

    return SafeConsole


def err_console() -> "Console":
    console: Console = _safe_console_class()(stderr=True, highlight=False, soft_wrap=True)
    return console


def out_console() -> "Console":
    import os

    # Off a terminal (a pipe, a file, a test runner) there is no width to respect unless
    # COLUMNS gives one: keep tables whole rather than truncating cells.
    columns = os.environ.get("COLUMNS", "")
    width = None if sys.stdout.isatty() else int(columns) if columns.isdigit() else 240
    console: Console = _safe_console_class()(highlight=False, width=width)
    return console
