"""COINr interoperability: read a COINr ``iMeta`` table as a framework.

COINr (Becker et al., JRC) describes an index in an ``iMeta`` table with columns ``iCode``,
``iName``, ``Level`` (1 = indicator … highest = index), ``Parent``, ``Direction``, ``Weight``,
``Type`` (Indicator, Aggregate, Group, Denominator, Other), ``Denominator`` and ``Target``; its
data table ``iData`` has ``uCode``, ``uName``, optional ``Time`` and group columns. Both are read
unchanged, so COINr users bring their work over as it is.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from mfgindex.errors import FrameworkError
from mfgindex.framework import Framework, _digest, build_framework

REQUIRED = ("iCode", "Level", "Parent", "Direction", "Weight", "Type")


def _cell(value: Any) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, str) and not value.strip():
        return None
    return value


def framework_from_imeta(path: Path) -> Framework:
    """Read a COINr iMeta table (CSV or XLSX) as a :class:`Framework`.

    The defaults are COINr's: ``n_minmax`` to [0, 100], ``a_amean``, and no coverage threshold
    (COINr's ``Aggregate`` has none by default: any child present gives a score).
    """
    from mfgindex.data import read_table

    table = read_table(path, all_text=True)
    missing = [c for c in REQUIRED if c not in table.columns]
    if missing:
        raise FrameworkError(
            f"not a COINr iMeta table: missing column(s) {', '.join(missing)}",
            where=str(path),
            hint="an iMeta table has iCode, iName, Level, Parent, Direction, Weight, Type "
            "(and optionally Denominator, Target)",
        )
    problems: list[str] = []
    rows = table.to_dict("records")
    groups, indicators = [], []
    root: str | None = None
    root_name = ""
    for i, row in enumerate(rows):
        line = f"row {i + 2}"
        kind = str(_cell(row.get("Type")) or "").strip()
        code = _cell(row.get("iCode"))
        if kind not in {"Indicator", "Aggregate", "Group", "Denominator", "Other"}:
            problems.append(f"{line}, column Type: '{kind}' is not one of Indicator, Aggregate, "
                            "Group, Denominator, Other")
            continue
        if kind in {"Group", "Denominator", "Other"}:
            continue
        if code is None:
            problems.append(f"{line}, column iCode: missing")
            continue

        def num(col: str, default: float | None, row: Any = row, line: str = line) -> Any:
            v = _cell(row.get(col))
            if v is None:
                return default
            try:
                return float(v)
            except ValueError:
                problems.append(f"{line}, column {col}: '{v}' is not a number")
                return default

        parent = _cell(row.get("Parent"))
        name = str(_cell(row.get("iName")) or code)
        weight = num("Weight", 1.0)
        if kind == "Aggregate" and parent is None:
            if root is not None:
                problems.append(f"{line}: a second top-level aggregate '{code}' (root is '{root}')")
            root, root_name = str(code), name
            continue
        entry: dict[str, Any] = {"id": str(code), "parent": parent, "name": name, "weight": weight}
        if kind == "Aggregate":
            groups.append(entry)
        else:
            direction = num("Direction", None)
            entry["direction"] = int(direction) if direction in (1.0, -1.0) else direction
            if _cell(row.get("Denominator")) is not None:
                entry["denominator"] = str(row["Denominator"])
            target = num("Target", None)
            if target is not None:
                entry["target"] = target
            if _cell(row.get("Unit")) is not None:
                entry["unit"] = str(row["Unit"])
            indicators.append(entry)
    if root is None:
        problems.append("no top-level Aggregate row (Type Aggregate with an empty Parent): "
                        "COINr's index row")
    if problems:
        n = len(problems)
        raise FrameworkError(f"invalid COINr iMeta table ({n} problem{'s' if n > 1 else ''})",
                             where=str(path), problems=problems,
                             hint="fix the rows listed; COINr's iMeta format: one row per "
                                  "indicator and aggregate, Level 1 = indicators, the index row "
                                  "has Type Aggregate and an empty Parent")
    doc: dict[str, Any] = {
        "framework": {
            "id": root,
            "name": root_name,
            "unit_column": "uCode",
            "name_column": "uName",
            "year_column": "Time",
        },
        "defaults": {
            "normalize": "minmax(low=0, high=100)",
            "aggregate": "arithmetic",
            "min_coverage": 0.0,
        },
        "group": groups,
        "indicator": indicators,
    }
    return build_framework(doc, where=str(path), path=path, digest=_digest(path.read_bytes()))
