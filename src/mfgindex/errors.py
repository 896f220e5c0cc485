"""The error model: every user-facing failure is an :class:`MfgIndexError`.

Each error carries *where* (a file, a row, a column or a key path), *what* went wrong and a
*hint* on how to fix it. The CLI prints ``str(error)`` and exits 1; the library raises.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Literal

#: Most further problems one message lists (the rest are counted).
MAX_LISTED = 40


class MfgIndexError(Exception):
    """Base class of every error mfgindex raises on purpose.

    The message reads ``where: what``, then one line per further problem, then ``hint: how``::

        cities.csv, row 7, column 'gdp': '1,5' is not a number
          hint: a comma must separate thousands (1,234,567); write decimals with a point

    Parameters
    ----------
    what
        One sentence saying what is wrong.
    where
        The place: a file name, ``file, row 7, column 'gdp'`` or a key path such as
        ``city.toml: indicator[7].direction``.
    hint
        How to fix it.
    problems
        Further problems found at the same time (each ``where: what``, optionally followed by
        ``"\n    hint: ..."``), so a user fixes them all in one pass.
    """

    def __init__(
        self,
        what: str,
        *,
        where: str | None = None,
        hint: str | None = None,
        problems: list[str] | None = None,
    ) -> None:
        self.what = what
        self.where = where
        self.hint = hint
        # A subclass may have set ``problems`` before calling this initialiser: keep them.
        self.problems = list(problems if problems is not None else getattr(self, "problems", []))
        super().__init__(what)

    @property
    def message(self) -> str:
        text = f"{self.where}: {self.what}" if self.where else self.what
        shown = self.problems[:MAX_LISTED]
        if len(self.problems) > MAX_LISTED:  # every list is capped: a screenful, not megabytes
            shown = [*shown, f"(and {len(self.problems) - MAX_LISTED} more)"]
        text += "".join(f"\n  - {p}" for p in shown)
        return f"{text}\n  hint: {self.hint}" if self.hint else text

    def __str__(self) -> str:
        return self.message


class FrameworkError(MfgIndexError):
    """A framework file (TOML or COINr iMeta) is unreadable or invalid.

    ``problems`` lists every problem found, so a user fixes them all in one pass.
    """


class DataError(MfgIndexError):
    """A data table is unreadable or does not fit its framework."""


class MethodError(MfgIndexError):
    """A method string names an unknown method or parameter, or a method cannot run on the data."""


class UsageError(MfgIndexError):
    """The caller combined options that cannot work together (CLI exit code 2)."""


def _is_invisible(ch: str) -> bool:
    """A character that shows as nothing or as a plain space: a control or format character
    (a BOM, a zero-width space or joiner, ESC) or a space other than U+0020 (a no-break space)."""
    import unicodedata

    return ch != " " and unicodedata.category(ch) in ("Cc", "Cf", "Zs", "Zl", "Zp")


def visible(text: str) -> str:
    """``text`` as it looks: invisible characters (:func:`_is_invisible`) removed, a no-break
    or other space read as a space, surrounding spaces stripped."""
    import unicodedata

    out = "".join(" " if unicodedata.category(ch) == "Zs" else "" if _is_invisible(ch) else ch for ch in text)
    return out.strip()


def invisible_characters(text: str) -> str:
    """The invisible characters of ``text`` named, with their positions:
    ``"U+200B ZERO WIDTH SPACE at position 4"``; ``""`` when there is none."""
    import unicodedata

    found = [
        f"U+{ord(ch):04X} {unicodedata.name(ch, 'control character')} at position {k + 1}"
        for k, ch in enumerate(text)
        if _is_invisible(ch)
    ]
    return ", ".join(found[:3]) + (f" and {len(found) - 3} more" if len(found) > 3 else "")


def _invisible_match(word: str, choices: list[str]) -> str | None:
    """When ``word`` and a choice look the same but differ by invisible characters, say which
    characters (in whichever of the two has them)."""
    if not any(_is_invisible(ch) for ch in word) and not any(_is_invisible(ch) for c in choices for ch in c):
        return None
    seen = visible(word)
    for choice in choices:
        if choice != word and visible(choice) == seen and seen:
            if invisible_characters(word):
                return (
                    f" '{printable(word)}' contains an invisible character "
                    f"({invisible_characters(word)}): it looks like '{choice}' but is not the "
                    "same name; delete that character"
                )
            return (
                f" The name '{choice}' found contains an invisible character "
                f"({invisible_characters(choice)}): '{printable(choice)}' looks like "
                f"'{word}' but is not the same name; retype the name without it"
            )
    return None


def closest(word: str, choices: Iterable[str]) -> str | None:
    """The choice closest to ``word`` (difflib's ratio ≥ 0.6), or None when none is close."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return close[0] if close else None


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """Return ``" Did you mean 'x'?"`` for the closest choice (:func:`closest`), or ``""``.

    When ``word`` and a choice look identical and differ only by invisible characters (a BOM
    in the middle, a zero-width space, a no-break space), the sentence names the character
    instead: "Did you mean 'iso3'?" for a name that reads 'iso3' would mislead.
    """
    choices = list(choices)
    invisible = _invisible_match(word, choices)
    if invisible is not None:
        return invisible
    match = closest(word, choices)
    if match is None:
        return ""
    hidden = invisible_characters(match)
    return f" Did you mean '{printable(match)}'?" + (f" (it contains {hidden})" if hidden else "")


@dataclass(frozen=True)
class Problem:
    """One finding about data or a result: an ``error`` makes the data unusable, a ``warning``
    does not (``--strict`` makes warnings errors).

    The place is kept in typed fields, not in text, so callers can group and filter problems
    (the CLI prints a warning repeated over a panel's years once, with its years);
    :attr:`where` renders them as ``file, indicator 'x', row 7, column 'gdp', year 2019``.

    Attributes
    ----------
    level
        ``"error"`` or ``"warning"``.
    what, hint
        What is wrong, and how to fix it (may be empty).
    file
        The data file (or ``"<frame>"``), when the problem is in it.
    row, rows
        The file row (the header is row 1), or several rows (a duplicated unit).
    column
        The data column.
    node, node_kind
        The framework node, and what it is (``"indicator"``, ``"group"``, ``"index"``).
    year
        The year of a panel the problem is found in.
    """

    level: Literal["error", "warning"]
    what: str
    hint: str = ""
    file: str | None = None
    row: int | None = None
    rows: tuple[int, ...] = ()
    column: str | None = None
    node: str | None = None
    node_kind: str = ""
    year: int | None = None

    def place(self, relative_to: str | None = None) -> str:
        """:attr:`where`, without the file when it is ``relative_to``."""
        parts: list[str] = []
        if self.file is not None and self.file != relative_to:
            parts.append(self.file)
        if self.node is not None:
            parts.append(f"{self.node_kind} '{self.node}'" if self.node_kind else f"'{self.node}'")
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.rows:
            parts.append(f"rows {', '.join(map(str, self.rows))}")
        if self.column is not None:
            parts.append(f"column '{self.column}'")
        if self.year is not None:
            parts.append(f"year {self.year}")
        return ", ".join(parts)

    @property
    def where(self) -> str:
        """The place as text: ``file, row 7, column 'gdp'``, ``indicator 'x', year 2019``."""
        return self.place()

    def without_year(self) -> Problem:
        """The same problem, not tied to a year (to merge a warning repeated over years)."""
        return replace(self, year=None)

    def __str__(self) -> str:
        text = f"{self.level}: {self.where}: {self.what}"
        return f"{text} (hint: {self.hint})" if self.hint else text


def problems_error(problems: Sequence[Problem], source: str, *, limit: int = 8) -> DataError:
    """One :class:`DataError` for ``problems``: the problem itself when there is one, else a
    summary listing each (its place relative to ``source``) with its hint."""
    if len(problems) == 1:
        only = problems[0]
        return DataError(only.what, where=only.where, hint=only.hint or None)
    lines: list[str] = []
    last_hint = ""
    for p in problems[:limit]:
        place = p.place(relative_to=source)
        line = f"{place}: {p.what}" if place else p.what
        if p.hint and p.hint != last_hint:
            line += f"\n    hint: {p.hint}"
            last_hint = p.hint
        lines.append(line)
    if len(problems) > limit:
        lines.append(f"(and {len(problems) - limit} more)")
    return DataError(f"{len(problems)} problems", where=source, problems=lines)


def printable(text: object) -> str:
    """``text`` safe to show on a terminal: control characters (ESC of an ANSI sequence, a
    carriage return, a bell, …) and invisible format characters (a zero-width space, a BOM)
    written as escapes (``\\x1b``, ``\\u200b``), so a data cell can neither drive the
    terminal nor hide in a message."""
    import unicodedata

    out = []
    for ch in str(text):
        if ch != " " and unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp"):
            out.append(ch.encode("unicode_escape").decode("ascii"))
        else:
            out.append(ch)
    return "".join(out)
