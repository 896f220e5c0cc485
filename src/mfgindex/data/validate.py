"""Validation of a wide table against a framework: every problem found, errors first.

Checked in order: the header (does it have any of the framework's columns?), the columns
(unit ids, indicators, denominators), the cells of each numeric column, then the rows' keys
(years, blank and duplicate unit ids, a year with a single unit).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from mfgindex.data.layout import to_wide, year_column
from mfgindex.data.numbers import MISSING_MARKERS, NOT_NUMBER, number_hint, parse_numbers
from mfgindex.data.tables import read_table_hashed
from mfgindex.errors import Problem, did_you_mean

if TYPE_CHECKING:
    import pandas as pd

    from mfgindex.framework import Framework

__all__ = ["FileCheck", "validate_file", "validate_table"]

#: Non-numeric cells named one by one per column; the rest are counted.
SHOWN_CELLS = 3


def text_cells(column: pd.Series) -> np.ndarray:
    """A column's cells as an object array of text (``column.astype(str)``), without a
    conversion when every cell is text already (one C loop looks)."""
    import pandas as pd

    if column.dtype == object and pd.api.types.infer_dtype(column, skipna=False) == "string":
        return np.array(column.to_numpy(dtype=object), dtype=object)
    if isinstance(column.dtype, pd.StringDtype) and not column.hasnans:  # Arrow text: as it is
        return np.asarray(column.to_numpy(dtype=object), dtype=object)
    return np.asarray(column.astype(str).to_numpy(dtype=object), dtype=object)


def column_cells(frame: pd.DataFrame, col: str, cells: dict[str, np.ndarray] | None) -> np.ndarray:
    """:func:`text_cells` of ``frame[col]``, made once: kept in ``cells`` (by column), if given,
    for the next caller (the checks, then the dataset, read the name columns)."""
    if cells is not None and col in cells:
        return cells[col]
    texts = text_cells(frame[col])
    if cells is not None:
        cells[col] = texts
    return texts


def unit_ids(column: pd.Series, cells: dict[str, np.ndarray] | None = None) -> np.ndarray:
    """Unit ids as compared and kept: text without surrounding spaces (a missing id stays
    missing, as ``astype(str)`` keeps it). ``cells``, if given, receives the column's
    :func:`text_cells` under its name when they are the ids themselves (Arrow text with no
    space to strip): one array of Python strings made, not two."""
    import pandas as pd

    if isinstance(column.dtype, pd.StringDtype):  # vectorised where the column is Arrow text
        # (Arrow's utf8_trim_whitespace strips what str.strip does: checked over every code point)
        stripped = column.str.strip()
        ids = np.asarray(stripped.to_numpy(dtype=object), dtype=object)
        if cells is not None and not column.hasnans and stripped.equals(column):
            cells[str(column.name)] = ids
        return ids
    if column.dtype == object:
        values = column.to_numpy(dtype=object)
        if pd.api.types.infer_dtype(values, skipna=False) == "string":  # text already
            return np.array([v.strip() for v in values], dtype=object)
    texts = text_cells(column)
    return np.array([v.strip() if isinstance(v, str) else v for v in texts], dtype=object)


def validate_table(
    frame: pd.DataFrame,
    framework: Framework,
    *,
    source: str = "<frame>",
    missing: Iterable[str] = MISSING_MARKERS,
    parsed: dict[str, np.ndarray] | None = None,
    ids: dict[str, np.ndarray] | None = None,
    cells: dict[str, np.ndarray] | None = None,
) -> list[Problem]:
    """Check a wide table against a framework; return every problem found (errors first).

    ``parsed``, if given, receives the parsed values of every numeric column checked, ``ids``
    the unit ids (:func:`unit_ids`, under the unit column's name), and ``cells`` the text
    cells made on the way (:func:`text_cells`, by column), so a caller does not compute them
    again.
    """
    header = _header_problem(frame, framework, source)
    if header is not None:
        return [header]
    problems = _column_problems(frame, framework, source)
    if any(p.level == "error" for p in problems):
        return problems
    units = unit_ids(frame[framework.unit_column], cells)
    if ids is not None:
        ids[framework.unit_column] = units
    problems += _value_problems(frame, framework, source, missing, parsed)
    problems += _key_problems(frame, framework, source, units)
    problems += _total_rows(frame, framework, source, units, cells)
    problems.sort(key=lambda p: p.level != "error")
    return problems


#: Unit ids or names of rows that are totals or averages of the others, not units.
TOTAL_ROW = re.compile(
    r"^(合计|总计|小计|共计|全国|全省|全市|全区|全县|总体|平均|均值|平均值|中位数|"
    r"(total|totals|grand total|sub-?total|sum|overall|all|average|mean|median|world)"
    r"\s*([(（:：,，\-–].*)?$)",
    re.IGNORECASE,
)


#: The first characters a stripped total or average can start with (TOTAL_ROW's words).
_TOTAL_FIRST = frozenset("合总小共全平均中tsgoamwTSGOAMW\u017f")  # ſ: IGNORECASE folds it to s


_TOTAL_FIRST_CODES = np.array(sorted(map(ord, _TOTAL_FIRST)), dtype=np.uint32)
#: The characters ``str.strip`` removes (``str.isspace``), as code points.
_SPACE_CODES = np.array([c for c in range(0x3001) if chr(c).isspace()], dtype=np.uint32)


def total_row_hits(texts: np.ndarray) -> list[int]:
    """Positions of the cells that :data:`TOTAL_ROW` matches once stripped.

    Vectorised first: a cell can match only if its first character is one that a total's
    word starts with, or is a space (stripped away); the regex runs on those cells alone.
    """
    # the first characters as code points: integers, which np.isin looks up in one pass
    first = texts.astype("U1").view(np.uint32)
    maybe = np.isin(first, _TOTAL_FIRST_CODES) | np.isin(first, _SPACE_CODES)
    return [int(i) for i in np.flatnonzero(maybe) if TOTAL_ROW.match(str(texts[i]).strip())]


def _total_rows(
    frame: pd.DataFrame,
    framework: Framework,
    source: str,
    units: np.ndarray,
    cells: dict[str, np.ndarray] | None = None,
) -> list[Problem]:
    """A warning for rows whose unit id or name is a total or an average (合计, 全国, Total,
    …): scored as a unit, such a row pushes every unit below it down a rank. ``units``: the
    unit ids (:func:`unit_ids`)."""
    columns = [
        c
        for c in (framework.unit_column, framework.name_column, framework.name_column_zh)
        if c and c in frame.columns
    ]
    texts = (units if c == framework.unit_column else column_cells(frame, c, cells) for c in columns)
    hits = sorted(set().union(*(total_row_hits(t) for t in texts)))
    if not hits:
        return []
    from mfgindex.errors import printable

    shown = ", ".join(" / ".join(printable(str(frame[c].iloc[i]).strip()) for c in columns) for i in hits[:5])
    return [
        Problem(
            "warning",
            f"{len(hits)} row(s) look like a total or an average, not a unit: {shown}",
            "delete those rows from the data (a total is not a unit, and it pushes "
            "every unit below it down a rank)",
            file=source,
            row=hits[0] + 2 if len(hits) == 1 else None,
            rows=tuple(i + 2 for i in hits[:5]) if len(hits) > 1 else (),
        )
    ]


class FileCheck(NamedTuple):
    """What :func:`validate_file` found: every problem (errors first), and the table's rows."""

    problems: list[Problem]
    rows: int


def validate_file(
    path: str | Path,
    framework: Framework,
    *,
    missing: Iterable[str] = MISSING_MARKERS,
    sheet: str | int = 0,
) -> FileCheck:
    """Read a data file (wide or long) and check it against ``framework`` — what
    ``mfgindex validate`` reports. ``sheet``: the sheet of an XLSX file, by name or number
    (0 is the first), as :func:`~mfgindex.read_data` takes it.

    Raises
    ------
    DataError
        The file cannot be read as a table (or has no such sheet), or a long table cannot be
        pivoted.
    """
    source = str(path)
    frame, _ = read_table_hashed(path, sheet=sheet, numeric=framework.indicator_columns(), missing=missing)
    table = to_wide(frame, framework, source)
    return FileCheck(validate_table(table, framework, source=source, missing=missing), len(table))


def _header_problem(frame: pd.DataFrame, framework: Framework, source: str) -> Problem | None:
    """When the header has none of the framework's columns, the header itself is wrong: say
    why, once (one cell read for a whole line, a title row above the header, other data)."""
    cols = list(frame.columns)
    needed = [framework.unit_column, *(i.column for i in framework.indicators)]
    if any(c in cols for c in needed):
        return None
    shown = ", ".join(cols[:12]) + (", …" if len(cols) > 12 else "")
    hint = f"the header read is: {shown}"
    unnamed = sum(c.startswith(("Unnamed:", "(column ")) for c in cols)
    sheets = frame.attrs.get("sheets") or []
    if len(sheets) > 1:  # a workbook: no separator to blame; the data may be on another sheet
        hint = (
            f"sheet '{frame.attrs.get('sheet')}' was read, and its header is: {shown}; the "
            f"workbook's sheets: {', '.join(sheets)} — choose the one with the data with "
            "--sheet NAME or --sheet N (1 is the first)"
        )
    elif sheets:
        hint = f"the first row of sheet '{sheets[0]}' is read as the header: {shown}"
    elif len(cols) == 1:
        seps = [s for s in ("|", ":", "/", " ") if s in cols[0]]
        hint = (
            f"the header was read as one column '{cols[0][:60]}'"
            + (f": the file seems to separate cells with '{seps[0]}'" if seps else "")
            + "; mfgindex reads commas, semicolons and tabs — export the table as CSV"
        )
    elif unnamed >= len(cols) / 2:
        hint = (
            "most header cells are empty: is there a title row above the header? Delete "
            f"the rows above the column names ({shown})"
        )
    return Problem(
        "error",
        f"missing indicator columns: the header has none of the columns framework "
        f"'{framework.id}' needs "
        f"({', '.join(needed[:6])}"
        f"{', …' if len(needed) > 6 else ''})",
        hint + f"; or is this data for another framework than '{framework.id}' (-f)?",
        file=source,
    )


def _column_problems(frame: pd.DataFrame, framework: Framework, source: str) -> list[Problem]:
    """Missing unit, indicator and denominator columns; a table without rows."""
    fw, cols = framework, list(frame.columns)
    problems: list[Problem] = []
    if fw.unit_column not in cols:
        problems.append(
            Problem(
                "error",
                f"no unit id column '{fw.unit_column}'." + did_you_mean(fw.unit_column, cols),
                f"framework '{fw.id}' reads unit ids from column "
                f"'{fw.unit_column}'; the table has: {', '.join(cols[:12])}",
                file=source,
            )
        )
    for ind in fw.indicators:
        if ind.column not in cols:
            problems.append(
                Problem(
                    "error",
                    f"missing indicator column '{ind.column}' (indicator '{ind.id}')."
                    + did_you_mean(ind.column, cols),
                    "add the column, or fix the column name in the framework",
                    file=source,
                )
            )
    # A missing denominator only matters if the run denominates (it may use --denominate none,
    # e.g. on data that is already denominated), so it is a warning here.
    dens = sorted({i.denominator for i in fw.indicators if i.denominator} - set(cols))
    if dens:
        problems.append(
            Problem(
                "warning",
                f"no denominator column(s) {', '.join(dens)}: the run must use --denominate none",
                file=source,
            )
        )
    if len(frame) == 0:
        problems.append(
            Problem("error", "the table has a header but no rows", "add one row per unit", file=source)
        )
    return problems


def _value_problems(
    frame: pd.DataFrame,
    framework: Framework,
    source: str,
    missing: Iterable[str],
    parsed: dict[str, np.ndarray] | None,
) -> list[Problem]:
    """Non-numeric cells of each data column; columns entirely missing, or constant."""
    problems: list[Problem] = []
    # A constant raw column is only a problem when it is scored as it is: divided by a varying
    # denominator it is not constant any more (and constant denominators are harmless).
    plain = {i.column for i in framework.indicators if not i.denominator}
    for col in framework.indicator_columns():
        if col not in frame.columns:
            continue
        column = frame[col]
        spread = _float_spread(column)
        bad: list[int] = []
        if spread is not None:  # floats, none infinite: nothing to parse, no cell to name
            values = column.to_numpy()
        else:
            values, bad = parse_numbers(column, missing=missing, copy=False)  # read, not written
        if parsed is not None:
            parsed[col] = values
        for i in bad[:SHOWN_CELLS]:
            cell = frame[col].iloc[i]
            problems.append(
                Problem(
                    "error",
                    f"'{cell}' is not a number",
                    number_hint(cell, missing=missing) or NOT_NUMBER,
                    file=source,
                    row=i + 2,
                    column=col,
                )
            )
        if len(bad) > SHOWN_CELLS:
            problems.append(
                Problem("error", f"{len(bad) - SHOWN_CELLS} more non-numeric cells", file=source, column=col)
            )
        if not bad:
            problems += _spread_problems(values, col, col in plain, source, spread)
    return problems


def _float_spread(column: pd.Series) -> tuple[float, float] | None:
    """A float column's lowest and highest values (NaN when every value is missing), when
    none is infinite; None for any other column. Two passes without a copy: an infinite
    value, the one float the policy refuses, shows as an infinite bound."""
    dtype = column.dtype
    if not (isinstance(dtype, np.dtype) and dtype == np.float64):
        return None
    values = column.to_numpy()
    if not values.size:
        return None
    # fmin/fmax skip NaN without copying the present values out
    low, high = float(np.fmin.reduce(values)), float(np.fmax.reduce(values))
    return None if np.isinf(low) or np.isinf(high) else (low, high)


def _spread_problems(
    values: np.ndarray, col: str, plain: bool, source: str, spread: tuple[float, float] | None = None
) -> list[Problem]:
    """An all-missing or constant column (``spread``: its bounds, if known)."""
    if spread is None:
        low = np.fmin.reduce(values) if values.size else np.nan
        high = np.fmax.reduce(values) if values.size else np.nan
    else:
        low, high = spread
    if np.isnan(low):
        return [
            Problem(
                "warning",
                "every value is missing",
                "fill in the column, or remove the indicator from the framework",
                file=source,
                column=col,
            )
        ]
    if plain and low == high and np.count_nonzero(values == low) > 1:
        return [
            Problem(
                "warning",
                f"constant: every unit has {low:g}, so it cannot tell units apart",
                "check the column; minmax and zscore leave a constant indicator out of its group's score",
                file=source,
                column=col,
            )
        ]
    return []


def _key_problems(frame: pd.DataFrame, framework: Framework, source: str, units: np.ndarray) -> list[Problem]:
    """Years that are not whole numbers, blank and duplicate unit ids, a lone unit. ``units``:
    the unit ids (:func:`unit_ids`)."""
    import pandas as pd

    unit_col = framework.unit_column
    year_col = year_column(frame, framework)
    problems: list[Problem] = []
    keys: dict[str, np.ndarray] = {unit_col: units}
    if year_col:
        years, bad = parse_numbers(frame[year_col], missing=())
        bad_set = set(bad)
        odd = [i for i in range(len(years)) if i not in bad_set and not float(years[i]).is_integer()]
        for i in sorted([*bad, *odd])[:SHOWN_CELLS]:
            problems.append(
                Problem(
                    "error",
                    f"'{frame[year_col].iloc[i]}' is not a year",
                    "write the year as a whole number, e.g. 2019",
                    file=source,
                    row=i + 2,
                    column=year_col,
                )
            )
        keys[year_col] = years
    blank = keys[unit_col] == ""
    for i in np.flatnonzero(blank)[:SHOWN_CELLS]:
        problems.append(
            Problem(
                "error",
                "empty unit id",
                "every row needs a unit id",
                file=source,
                row=int(i) + 2,
                column=unit_col,
            )
        )
    if year_col is None:  # one set of the ids rules out duplicates (the common case) at once
        distinct = _all_distinct(units)
        duplicate = None if distinct else _duplicate_problem(pd.DataFrame(keys), blank, year_col, source)
        per_block = [int((~blank).sum())]
    else:
        key_frame = pd.DataFrame(keys)
        duplicate = _duplicate_problem(key_frame, blank, year_col, source)
        per_block = key_frame[~blank].groupby(year_col).size().tolist()
    if duplicate is not None:
        problems.append(duplicate)
    if per_block and min(per_block) == 1:
        problems.append(
            Problem(
                "warning",
                "only one unit"
                + (" in a year" if year_col else "")
                + ": minmax, zscore and rank normalisation compare units, so they cannot score it",
                "add units, or normalise against fixed bounds: --normalize 'goalposts(low=..., high=...)'",
                file=source,
            )
        )
    return problems


def _all_distinct(units: np.ndarray) -> bool:
    """Whether no two unit ids are equal (as a ``set`` compares them). pandas' hash table
    answers first (1.8 ms for 100,000 ids, against 5.3 ms for a set); it also counts two
    missing ids as equal, so when it finds a pair the set decides."""
    import pandas as pd

    if pd.Index(units, dtype=object, copy=False).is_unique:
        return True
    return len(set(units.tolist())) == len(units)


def _duplicate_problem(
    key_frame: pd.DataFrame, blank: np.ndarray, year_col: str | None, source: str
) -> Problem | None:
    """The first duplicated unit (or unit-year), its rows, and how many keys are duplicated."""
    dup = key_frame.duplicated(keep=False).to_numpy() & ~blank
    if not dup.any():
        return None
    first = key_frame.iloc[int(np.flatnonzero(dup)[0])]
    same = np.flatnonzero((key_frame == first).all(axis=1).to_numpy())
    shown = " / ".join(f"{v:g}" if isinstance(v, float) else str(v) for v in first.tolist())
    what = "unit-year" if year_col else "unit id"
    n_dup = int(key_frame[dup].drop_duplicates().shape[0])
    more = f" ({n_dup} duplicated {what}s in all)" if n_dup > 1 else ""
    return Problem(
        "error",
        f"duplicate {what} {shown}{more}",
        "keep one row per unit"
        + (" and year" if year_col else "")
        + "; ids are compared without surrounding spaces",
        file=source,
        rows=tuple(int(r) + 2 for r in same[:4]),
    )
