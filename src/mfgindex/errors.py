"""The error model: every user-facing failure is an :class:`MfgIndexError`.

Each error carries *where* (a file, a row, a column or a key path), *what* went wrong and a
*hint* on how to fix it. The CLI prints ``str(error)`` and exits 1; the library raises.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


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
        text += "".join(f"\n  - {p}" for p in self.problems)
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


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """Return ``" Did you mean 'x'?"`` for the closest choice, or ``""`` when none is close."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" Did you mean '{close[0]}'?" if close else ""
