"""Table layout: a long table (unit, [year], indicator, value) pivoted to one column per
indicator, and which column holds the year."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from mfgindex.errors import DataError

if TYPE_CHECKING:
    import pandas as pd

    from mfgindex.framework import Framework

__all__ = ["LONG_INDICATOR_COLUMNS", "LONG_VALUE_COLUMNS", "to_wide", "year_column"]

LONG_INDICATOR_COLUMNS = ("indicator", "iCode", "variable")
LONG_VALUE_COLUMNS = ("value", "Value")


def year_column(frame: pd.DataFrame, framework: Framework) -> str | None:
    """The year column: the framework's, else ``year``, ``Year`` or COINr's ``Time``."""
    for col in (framework.year_column, "year", "Year", "Time"):
        if col in frame.columns:
            return col
    return None


def to_wide(frame: pd.DataFrame, framework: Framework, source: str = "<frame>") -> pd.DataFrame:
    """The table with one column per indicator: a long table (unit, [year], indicator, value)
    pivoted, any other table returned as it is.

    A table is long when it has none of the framework's data columns but has an indicator
    column (``indicator``, ``iCode`` or ``variable``), a value column (``value``) and the unit
    column; its other columns are kept, from each unit-year's first row.

    Raises
    ------
    DataError
        The long table names indicators the framework does not read, or gives a unit, year and
        indicator twice.
    """
    needed = framework.indicator_columns()
    if any(c in frame.columns for c in needed):
        return frame
    ind_col = next((c for c in LONG_INDICATOR_COLUMNS if c in frame.columns), None)
    val_col = next((c for c in LONG_VALUE_COLUMNS if c in frame.columns), None)
    if ind_col is None or val_col is None or framework.unit_column not in frame.columns:
        return frame
    keys = [framework.unit_column]
    year_col = year_column(frame, framework)
    if year_col:
        keys.append(year_col)
    unknown = sorted(set(frame[ind_col].astype(str)) - set(needed))
    if unknown:
        # An indicator id whose values come from another column (or a ratio) is the likely slip.
        ids = {i.id: i for i in framework.indicators if i.id not in needed}
        read_from = [
            f"'{u}' from {ids[u].column}" + (f" ÷ {ids[u].denominator}" if ids[u].denominator else "")
            for u in unknown
            if u in ids
        ]
        raise DataError(
            f"long table names indicator(s) not in framework '{framework.id}': " + ", ".join(unknown[:10]),
            where=f"{source}, column '{ind_col}'",
            hint=(
                "the cells name the data columns the framework reads: "
                + ", ".join(needed[:12])
                + (", …" if len(needed) > 12 else "")
                + (f" (it reads {'; '.join(read_from[:3])})" if read_from else "")
                + "; or remove those rows"
            ),
        )
    dup = frame.duplicated([*keys, ind_col])
    if dup.any():
        row = int(np.flatnonzero(dup.to_numpy())[0]) + 2
        raise DataError(
            "the same unit, year and indicator appear twice",
            where=f"{source}, row {row}",
            hint="keep one value per cell",
        )
    wide = frame.pivot(index=keys, columns=ind_col, values=val_col).reset_index()
    wide.columns = [str(c) for c in wide.columns]
    extra = [c for c in frame.columns if c not in {*keys, ind_col, val_col}]
    if extra:
        first = frame.drop_duplicates(keys)[keys + extra]
        wide = wide.merge(first, on=keys, how="left")
    return wide.fillna("")
