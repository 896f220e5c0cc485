"""COINr interoperability: read a COINr ``iMeta`` table as a framework document.

COINr (Becker et al., JRC) describes an index in an ``iMeta`` table with columns ``iCode``,
``iName``, ``Level`` (1 = indicator … highest = index), ``Parent``, ``Direction``, ``Weight``,
``Type`` (Indicator, Aggregate, Group, Denominator, Other), ``Denominator`` and ``Target``; its
data table ``iData`` has ``uCode``, ``uName``, optional ``Time`` and group columns. Both are read
unchanged, so COINr users bring their work over as it is.

This module turns the table into the document a TOML framework file parses to;
:func:`mfgindex.framework.load_framework` validates it like any framework (so this module does
not import the framework module, which imports it).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mfgindex.errors import FrameworkError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["IMETA_COLUMNS", "REQUIRED", "ROWS_KEY", "imeta_document"]

REQUIRED = ("iCode", "Level", "Parent", "Direction", "Weight", "Type")
ROWS_KEY = "_imeta_rows"
_KINDS = ("Indicator", "Aggregate", "Group", "Denominator", "Other")


#: What R's ``write.csv`` writes for a missing value (``NA``), and its spellings: read as empty,
#: as the data reader does, except in the iCode column (an indicator may be coded "NA").
_R_MISSING = frozenset({"NA", "<NA>", "NaN"})


def _cell(value: Any, *, code: bool = False) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, str) and (not value.strip() or (not code and value.strip() in _R_MISSING)):
        return None
    return value


class _Rows:
    """The rows of an iMeta table sorted into the root, groups and indicators; problems kept."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        self.groups: list[dict[str, Any]] = []
        self.indicators: list[dict[str, Any]] = []
        self.root: str | None = None
        self.root_name = ""
        #: The CSV row ("row 5") of each group and indicator, in document order: a problem
        #: found in the document (``indicator[2].direction``) is reported by its row.
        self.group_rows: list[str] = []
        self.indicator_rows: list[str] = []

    def number(self, row: Mapping[Any, Any], col: str, default: float | None, line: str) -> Any:
        v = _cell(row.get(col))
        if v is None:
            return default
        try:
            return float(v)
        except ValueError:
            self.problems.append(f"{line}, column {col}: '{v}' is not a number")
            return default

    def add(self, row: Mapping[Any, Any], line: str) -> None:
        kind = str(_cell(row.get("Type")) or "").strip()
        code = _cell(row.get("iCode"), code=True)
        if kind not in _KINDS:
            self.problems.append(f"{line}, column Type: '{kind}' is not one of {', '.join(_KINDS)}")
            return
        if kind in {"Group", "Denominator", "Other"}:
            return
        if code is None:
            self.problems.append(f"{line}, column iCode: missing")
            return
        parent = _cell(row.get("Parent"))
        name = str(_cell(row.get("iName")) or code)
        weight = self.number(row, "Weight", 1.0, line)
        if kind == "Aggregate" and parent is None:
            if self.root is not None:
                self.problems.append(f"{line}: a second top-level aggregate '{code}' (root is '{self.root}')")
            self.root, self.root_name = str(code), name
            return
        entry: dict[str, Any] = {"id": str(code), "parent": parent, "name": name, "weight": weight}
        if kind == "Aggregate":
            self.groups.append(entry)
            self.group_rows.append(line)
        else:
            self.indicators.append(self._indicator(row, entry, line))
            self.indicator_rows.append(line)

    def _indicator(self, row: Mapping[Any, Any], entry: dict[str, Any], line: str) -> dict[str, Any]:
        direction = self.number(row, "Direction", None, line)
        entry["direction"] = int(direction) if direction in (1.0, -1.0) else direction
        if _cell(row.get("Denominator")) is not None:
            entry["denominator"] = str(row["Denominator"]).strip()
        target = self.number(row, "Target", None, line)
        if target is not None:
            entry["target"] = target
        if _cell(row.get("Unit")) is not None:
            entry["unit"] = str(row["Unit"]).strip()
        return entry


def imeta_document(path: Path) -> tuple[dict[str, Any], str]:
    """Read a COINr iMeta table (CSV or XLSX) as a framework document (the TOML structure),
    with the SHA-256 of the bytes read (the file is read once).

    The defaults are COINr's: ``n_minmax`` to [0, 100], ``a_amean``, and no coverage threshold
    (COINr's ``Aggregate`` has none by default: any child present gives a score).

    Raises
    ------
    FrameworkError
        Missing columns, or rows that are not valid iMeta rows (every problem listed).
    """
    from mfgindex.data import read_table_hashed

    table, digest = read_table_hashed(path, all_text=True)
    return imeta_from_table(table, str(path)), digest


def imeta_from_table(table: pd.DataFrame, where: str) -> dict[str, Any]:
    """An iMeta table already read as text cells (a file's, or a DataFrame in memory) as a
    framework document; ``where`` names it in messages."""
    missing = [c for c in REQUIRED if c not in table.columns]
    if missing:
        raise FrameworkError(
            f"not a COINr iMeta table: missing column(s) {', '.join(missing)}",
            where=where,
            hint="an iMeta table has iCode, iName, Level, Parent, Direction, Weight, Type "
            "(and optionally Denominator, Target)",
        )
    rows = _Rows()
    for i, row in enumerate(table.to_dict("records")):
        rows.add(row, f"row {i + 2}")
    if rows.root is None:
        rows.problems.append(
            "no top-level Aggregate row (Type Aggregate with an empty Parent): COINr's index row"
        )
    if rows.problems:
        n = len(rows.problems)
        shown = rows.problems[:30] + ([f"(and {n - 30} more)"] if n > 30 else [])
        raise FrameworkError(
            f"invalid COINr iMeta table ({n} problem{'s' if n > 1 else ''})",
            where=where,
            problems=shown,
            hint="fix the rows listed; COINr's iMeta format: one row per "
            "indicator and aggregate, Level 1 = indicators, the index row "
            "has Type Aggregate and an empty Parent",
        )
    document = {
        "framework": {
            "id": rows.root,
            "name": rows.root_name,
            "unit_column": "uCode",
            "name_column": "uName",
            "year_column": "Time",
        },
        "defaults": {
            "normalize": "minmax(low=0, high=100)",
            "aggregate": "arithmetic",
            "min_coverage": 0.0,
        },
        "group": rows.groups,
        "indicator": rows.indicators,
        # not a framework key: the CSV row of each group and indicator, for the messages
        # (popped by mfgindex.framework before the document is validated)
        ROWS_KEY: {"group": rows.group_rows, "indicator": rows.indicator_rows},
    }
    return document


#: iMeta column of each framework key, to report a problem by row and column.
IMETA_COLUMNS = {
    "id": "iCode",
    "name": "iName",
    "parent": "Parent",
    "weight": "Weight",
    "direction": "Direction",
    "denominator": "Denominator",
    "target": "Target",
    "unit": "Unit",
}
