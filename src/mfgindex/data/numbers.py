"""The number and missing-value policy: how a cell's text reads as a float.

* Missing markers — empty, ``NA``, ``N/A``, ``n.a.``, ``NaN``, ``null``, ``none``, ``-``,
  ``--``, ``—``, ``——``, ``–``, ``…``, ``……``, ``...``, ``..``, ``无``, ``缺失``, ``暂无``,
  ``不详``, ``#N/A`` — read as missing (configurable with ``missing=``).
* Thousands separators grouping digits by three (``12,345.6``), spaces inside numbers,
  full-width digits (``１２３``), the Unicode minus (``−5``) and a trailing percent sign
  (``12.5%`` reads as 12.5, the number as written) are accepted.
* Anything else is not a number, with a hint for the usual causes: a decimal comma (``1,5``),
  a unit or currency (``2万``, ``¥2``), a bracketed negative (``(3)``), infinity.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["MISSING_MARKERS", "NOT_NUMBER", "number_hint", "parse_numbers"]

MISSING_MARKERS: frozenset[str] = frozenset(
    {
        "",
        "na",
        "n/a",
        "n.a.",
        "nan",
        "null",
        "none",
        "-",
        "--",
        "—",
        "——",
        "–",
        "…",
        "……",
        "...",
        "..",
        "无",
        "缺失",
        "暂无",
        "不详",
        "#n/a",
    }
)

_FULLWIDTH = {ord(c): ord(c) - 0xFEE0 for c in "０１２３４５６７８９．－＋，％"}
# Spaces inside numbers (1 234), the Unicode minus sign (−5, as typeset tables write it).
_SPACES = str.maketrans({" ": None, "\u00a0": None, "\u2009": None, "\u202f": None, "\u2212": "-"})
# Thousands separators must group digits by three: "1,234.5" reads, "1,5" (a decimal comma) does
# not — reading it as 15 would be silently wrong.
_GROUPED = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?([eE][+-]?\d+)?$")
_BAD_COMMA = "a comma must separate thousands (1,234,567); write decimals with a point (1.5), not a comma"
_NOT_FINITE = "infinite values are not data; leave the cell empty if the value is missing"
NOT_NUMBER = "write a number, or leave the cell empty (or NA) if the value is missing"


def _cell_number(value: Any, markers: set[str]) -> float | str:
    """One cell as a float (NaN when missing), or — when it is not a number — a hint why."""
    if isinstance(value, bool):
        return "write the number itself, not true/false"
    if isinstance(value, int | float | np.number):
        number = float(value)
        return _NOT_FINITE if math.isinf(number) else number
    text = unicodedata.normalize("NFKC", str(value)).translate(_FULLWIDTH).strip()
    if text.lower() in markers:
        return np.nan
    text = text.translate(_SPACES)
    if text.endswith("%"):
        text = text[:-1]
    if "," in text:
        if not _GROUPED.match(text):
            return _BAD_COMMA
        text = text.replace(",", "")
    try:
        number = float(text)
    except ValueError:
        return _why_not(text)
    if math.isinf(number):
        return _NOT_FINITE
    if math.isnan(number):
        return NOT_NUMBER
    return number


_UNIT_AROUND = re.compile(r"^([^\d+\-.]*)[+-]?(\d[\d,]*\.?\d*|\.\d+)([eE][+-]?\d+)?([^\d]*)$")


#: Excel's error values (#DIV/0!, #N/A, #VALUE!, #REF!, #NAME?, #NUM!, #NULL!, #SPILL!, …).
_SPREADSHEET_ERROR = re.compile(
    r"^#(DIV/0!|N/A|VALUE!|REF!|NAME\?|NUM!|NULL!|SPILL!|CALC!|"
    r"GETTING_DATA|FIELD!|BLOCKED!|CONNECT!|BUSY!|UNKNOWN!)$",
    re.IGNORECASE,
)


def _why_not(text: str) -> str:
    """A hint for text that is not a number: a unit or currency around it, brackets for a
    negative value, a spreadsheet error, or simply not a number."""
    if _SPREADSHEET_ERROR.match(text):
        return (
            "a spreadsheet error value: fix the formula that gives it, or leave the cell "
            "empty if the value is missing"
        )
    if text.startswith("(") and text.endswith(")"):
        inner = text[1:-1].strip()
        if not isinstance(_cell_number(inner, set()), str):
            return f"write a negative number with a minus sign: -{inner}"
    match = _UNIT_AROUND.match(text)
    if match and (match.group(1) or match.group(4)):
        extra = (match.group(1) + " " + match.group(4)).strip()
        if any(c in extra for c in "万亿千百"):
            return (
                f"write the number alone, without '{extra}': convert it to the indicator's "
                "unit (2万 = 20000) and name the unit in the framework"
            )
        return f"write the number alone, without '{extra}'"
    return NOT_NUMBER


def number_hint(value: Any, *, missing: Iterable[str] = MISSING_MARKERS) -> str:
    """How to fix a cell that :func:`parse_numbers` rejected (empty string if it reads)."""
    got = _cell_number(value, {m.lower() for m in missing})
    return got if isinstance(got, str) else ""


def _typed_floats(values: Any, copy: bool = True) -> np.ndarray | None:
    """The values as a new float64 array when they are already numbers — a numpy array or a
    pandas column of integers or floats (nullable ones too: ``pd.NA`` is missing) — else None.

    Booleans are not numbers here: the policy rejects them cell by cell (a column of
    true/false is a mistake to name, not 0/1 to score).
    """
    dtype = getattr(values, "dtype", None)
    if dtype is None or getattr(dtype, "kind", "O") not in "fiu":
        return None
    if isinstance(dtype, np.dtype) and dtype == np.float64 and hasattr(values, "to_numpy"):
        values = values.to_numpy()  # numpy floats: NaN is missing already (na_value would copy)
    elif not isinstance(values, np.ndarray):  # a pandas Series or extension array (Int64, Float64, Arrow)
        values = values.to_numpy(dtype=np.float64, na_value=np.nan)
    return np.array(values, dtype=np.float64, copy=True if copy else None).reshape(-1)


def _plus_signed(cells: np.ndarray) -> np.ndarray:
    """Positions of the cells whose text starts with '+' (after spaces): ``pd.to_numeric``
    rounds about one in four of them one unit in the last place off the nearest double, so
    they are read by ``float`` instead. Vectorised on the first character; the cells that
    start with a space are looked at one by one."""
    if not cells.size:
        return np.array([], dtype=np.intp)
    first = cells.astype("U1")
    plus = first == "+"
    for i in np.flatnonzero(np.char.isspace(first)).tolist():
        plus[i] = str(cells[i]).lstrip()[:1] == "+"
    return np.flatnonzero(plus)


def parse_numbers(
    values: Sequence[Any] | np.ndarray | pd.Series,
    *,
    missing: Iterable[str] = MISSING_MARKERS,
    copy: bool = True,
) -> tuple[np.ndarray, list[int]]:
    """Parse cells to float64 following the reading policy.

    Returns the values (NaN where missing or unreadable) and the positions of cells that are
    not numbers, for error messages; :func:`number_hint` says why a cell was rejected.

    Values that are numbers already (a float or integer array or column) are checked
    vectorised: NaN is missing, and an infinite value is the one cell the policy rejects
    (the same answer :func:`number_hint` gives cell by cell). With ``copy=False`` such values
    may come back as the caller's own float64 array (not to be written to) when none is
    infinite.
    """
    typed = _typed_floats(values, copy)
    if typed is not None:
        infinite = np.isinf(typed)
        bad_cells = np.flatnonzero(infinite).tolist()
        if bad_cells:
            typed = np.where(infinite, np.nan, typed)
        return typed, bad_cells
    import pandas as pd

    markers = {m.lower() for m in missing}
    # Fast path: plain numbers, vectorised by pandas; only the cells it cannot read as a
    # finite number (missing markers, separators, units, ...) go through the full policy.
    cells = np.asarray(values, dtype=object).reshape(-1)
    with np.errstate(all="ignore"):
        parsed = pd.to_numeric(pd.Series(cells, dtype=object), errors="coerce")
    fast = parsed.to_numpy(dtype=float, copy=True)
    done = np.isfinite(fast)
    if "" in markers:  # the commonest missing marker, settled without the slow path
        empty = cells == ""
        done |= empty
        fast[empty] = np.nan
    # pandas reads True/False as 1/0; the policy rejects them, so look only at those cells.
    for i in np.flatnonzero((fast == 0) | (fast == 1)).tolist():
        if isinstance(cells[i], bool | np.bool_):
            done[i] = False
    done[_plus_signed(cells)] = False
    out = np.where(done, fast, np.nan)
    bad: list[int] = []
    for i in np.flatnonzero(~done).tolist():
        got = _cell_number(cells[i], markers)
        if isinstance(got, str):
            bad.append(i)
        else:
            out[i] = got
    return out, bad
