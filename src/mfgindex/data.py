"""Reading unit data: CSV (UTF-8, UTF-8 with BOM, GB18030/GBK), XLSX and Parquet, wide or long.

Reading policy (documented in the README's "Data files" section):

* Cells are read as text and parsed here, so every problem can name its row and column.
* Missing markers — empty, ``NA``, ``N/A``, ``NaN``, ``null``, ``-``, ``—``, ``–``, ``…``,
  ``...``, ``无``, ``缺失`` — read as missing (configurable with ``missing=``).
* Thousands separators (``12,345.6``), full-width digits (``１２３``), surrounding spaces and a
  trailing percent sign (``12.5%`` reads as 12.5, the number as written) are accepted.
* Anything else non-numeric in an indicator column is an error naming the cell.
* Encodings: UTF-8 (with or without BOM), then GB18030 (a superset of GBK/GB2312, what Chinese
  Excel writes); anything else is an error.
"""

from __future__ import annotations

import hashlib
import io
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from mfgindex.errors import DataError, did_you_mean

if TYPE_CHECKING:
    import pandas as pd

    from mfgindex.framework import Framework

__all__ = ["MISSING_MARKERS", "Dataset", "Problem", "read_data", "read_table", "validate_table"]

MISSING_MARKERS: frozenset[str] = frozenset(
    {"", "na", "n/a", "nan", "null", "none", "-", "--", "—", "–", "…", "...", "无", "缺失", "#n/a"}
)
LONG_INDICATOR_COLUMNS = ("indicator", "iCode", "variable")
LONG_VALUE_COLUMNS = ("value", "Value")


@dataclass(frozen=True)
class Problem:
    """One finding of :func:`validate_table`: an ``error`` makes the data unusable."""

    level: str  # "error" | "warning"
    where: str
    what: str
    hint: str = ""

    def __str__(self) -> str:
        text = f"{self.level}: {self.where}: {self.what}"
        return f"{text} (hint: {self.hint})" if self.hint else text


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _decode(raw: bytes, path: Path) -> str:
    if b"\x00" in raw[:4096]:
        raise DataError(
            "this is a binary file, not a CSV table",
            where=str(path),
            hint="export the sheet as CSV (UTF-8), or give the .xlsx/.parquet file itself",
        )
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise DataError(
        "cannot decode the file as UTF-8 or GB18030 (GBK)",
        where=str(path),
        hint="save the file as UTF-8 CSV (Excel: 'CSV UTF-8'), or as .xlsx",
    )


def read_table(path: str | Path, *, all_text: bool = True, sheet: str | int = 0) -> pd.DataFrame:
    """Read a table file into a DataFrame of text cells (``all_text``) with the header as given.

    Raises
    ------
    DataError
        Missing file, unknown format, undecodable or malformed content, empty table.
    """
    import pandas as pd

    path = Path(path)
    if not path.exists():
        raise DataError("file not found", where=str(path), hint="check the path and its spelling")
    if path.is_dir():
        raise DataError("is a folder, not a data file", where=str(path))
    suffix = path.suffix.lower()
    try:
        if suffix in {".csv", ".txt", ".tsv", ""}:
            text = _decode(path.read_bytes(), path)
            if not text.strip():
                raise DataError("the file is empty", where=str(path),
                                hint="a data file needs a header row and one row per unit")
            sep = "\t" if suffix == ".tsv" else _sniff_separator(text)
            frame = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False,
                                skipinitialspace=True)
        elif suffix in {".xlsx", ".xlsm", ".xls"}:
            try:
                import openpyxl  # noqa: F401
            except ImportError:
                raise DataError("reading Excel files needs openpyxl", where=str(path),
                                hint="pip install 'mfgindex[excel]'") from None
            frame = pd.read_excel(path, sheet_name=sheet, dtype=object)
            frame = frame.map(lambda v: "" if v is None or (isinstance(v, float) and np.isnan(v))
                              else v)
        elif suffix in {".parquet", ".pq"}:
            try:
                frame = pd.read_parquet(path)
            except ImportError:
                raise DataError("reading Parquet files needs pyarrow", where=str(path),
                                hint="pip install 'mfgindex[parquet]'") from None
        else:
            raise DataError(f"unknown file type '{suffix}'", where=str(path),
                            hint="data files are .csv, .xlsx or .parquet")
    except DataError:
        raise
    except pd.errors.ParserError as exc:
        raise DataError(f"malformed CSV: {exc}".strip(), where=str(path),
                        hint="every row needs as many cells as the header; quote cells that "
                             "contain the separator") from None
    except (ValueError, OSError, KeyError) as exc:
        raise DataError(f"cannot read the file: {exc}", where=str(path)) from None
    frame.columns = [str(c).strip() for c in frame.columns]
    if frame.shape[1] == 0 or (len(frame) == 0 and suffix not in {".csv", ".txt", ".tsv", ""}):
        raise DataError("the table is empty", where=str(path))
    dup = sorted({c for c in frame.columns if list(frame.columns).count(c) > 1})
    if dup:
        raise DataError(f"duplicate column name(s): {', '.join(dup)}", where=str(path),
                        hint="rename the columns so each name appears once")
    if all_text:
        frame = frame.astype(object).map(lambda v: "" if v is None else v)
    return frame


def _sniff_separator(text: str) -> str:
    header = text.lstrip("\ufeff").splitlines()[0]
    counts = {sep: header.count(sep) for sep in (",", ";", "\t")}
    best = max(counts, key=lambda s: counts[s])
    return best if counts[best] > 0 else ","


_FULLWIDTH = {ord(c): ord(c) - 0xFEE0 for c in "０１２３４５６７８９．－＋，％"}


def parse_numbers(
    values: Sequence[Any], *, missing: Iterable[str] = MISSING_MARKERS
) -> tuple[np.ndarray, list[int]]:
    """Parse cells to float64 following the reading policy.

    Returns the values and the positions of cells that are not numbers (for error messages).
    """
    markers = {m.lower() for m in missing}
    out = np.full(len(values), np.nan)
    bad: list[int] = []
    for i, v in enumerate(values):
        if isinstance(v, int | float | np.number) and not isinstance(v, bool):
            out[i] = float(v)
            continue
        s = unicodedata.normalize("NFKC", str(v)).translate(_FULLWIDTH).strip()
        if s.lower() in markers:
            continue
        s = s.replace(",", "").replace(" ", "").replace("\u00a0", "")
        if s.endswith("%"):
            s = s[:-1]
        try:
            out[i] = float(s)
        except ValueError:
            bad.append(i)
    return out, bad


@dataclass(frozen=True)
class Dataset:
    """Values of a framework's indicators for units (optionally per year), plus unit columns.

    Attributes
    ----------
    units
        ``(n,)`` unit ids as strings.
    years
        ``(n,)`` int years, or None for a cross-section.
    names
        ``(n,)`` display names (the framework's name column), or None.
    values
        DataFrame ``(n, c)`` of float64: every column the framework needs (indicators and
        denominators), by column name.
    unit_columns
        Every other column, as text (names, provinces, groups).
    """

    units: np.ndarray
    years: np.ndarray | None
    names: np.ndarray | None
    values: pd.DataFrame
    unit_columns: pd.DataFrame
    source: str = "<frame>"
    digest: str = ""
    warnings: tuple[str, ...] = field(default_factory=tuple)

    def __len__(self) -> int:
        return len(self.units)

    @property
    def year_list(self) -> list[int]:
        return sorted({int(y) for y in self.years}) if self.years is not None else []

    def names_zh(self, framework: Framework) -> np.ndarray | None:
        col = framework.name_column_zh
        if col and col in self.unit_columns:
            return self.unit_columns[col].to_numpy(dtype=object)
        return None

    def select(self, mask: np.ndarray) -> Dataset:
        """The rows where ``mask`` is true."""
        return Dataset(
            units=self.units[mask],
            years=None if self.years is None else self.years[mask],
            names=None if self.names is None else self.names[mask],
            values=self.values.loc[mask].reset_index(drop=True),
            unit_columns=self.unit_columns.loc[mask].reset_index(drop=True),
            source=self.source,
            digest=self.digest,
            warnings=self.warnings,
        )

    @classmethod
    def from_frame(
        cls,
        frame: pd.DataFrame,
        framework: Framework,
        *,
        source: str = "<frame>",
        digest: str = "",
        missing: Iterable[str] = MISSING_MARKERS,
    ) -> Dataset:
        """Build a dataset from a DataFrame (wide or long), validating it against ``framework``.

        Raises
        ------
        DataError
            With every error found (missing columns, non-numeric cells, duplicates, …).
        """
        frame = _to_wide(frame, framework, source)
        problems = validate_table(frame, framework, source=source, missing=missing)
        errors = [p for p in problems if p.level == "error"]
        if errors:
            first = errors[0]
            more = [f"{p.where}: {p.what}" for p in errors[1:6]]
            extra = f" (and {len(errors) - 6} more)" if len(errors) > 6 else ""
            text = first.what + "".join(f"\n  - {m}" for m in more) + extra
            raise DataError(text, where=first.where, hint=first.hint or None)
        values = {}
        for col in framework.indicator_columns():
            if col in frame.columns:
                values[col], _ = parse_numbers(frame[col].tolist(), missing=missing)
        import pandas as pd

        year_col = _year_column(frame, framework)
        years = None
        if year_col is not None:
            years = parse_numbers(frame[year_col].tolist())[0].astype(np.int64)
        units = frame[framework.unit_column].astype(str).str.strip().to_numpy(dtype=object)
        names = None
        if framework.name_column and framework.name_column in frame:
            names = frame[framework.name_column].astype(str).to_numpy(dtype=object)
        used = set(framework.indicator_columns())
        others = [c for c in frame.columns if c not in used]
        return cls(
            units=units,
            years=years,
            names=names,
            values=pd.DataFrame(values),
            unit_columns=frame[others].astype(str).reset_index(drop=True),
            source=source,
            digest=digest,
            warnings=tuple(str(p) for p in problems if p.level == "warning"),
        )


def _year_column(frame: pd.DataFrame, framework: Framework) -> str | None:
    for col in (framework.year_column, "year", "Year", "Time"):
        if col in frame.columns:
            return col
    return None


def _to_wide(frame: pd.DataFrame, framework: Framework, source: str) -> pd.DataFrame:
    """Pivot a long table (unit, [year], indicator, value) to one column per indicator."""
    needed = framework.indicator_columns()
    if any(c in frame.columns for c in needed):
        return frame
    ind_col = next((c for c in LONG_INDICATOR_COLUMNS if c in frame.columns), None)
    val_col = next((c for c in LONG_VALUE_COLUMNS if c in frame.columns), None)
    if ind_col is None or val_col is None or framework.unit_column not in frame.columns:
        return frame
    keys = [framework.unit_column]
    year_col = _year_column(frame, framework)
    if year_col:
        keys.append(year_col)
    unknown = sorted(set(frame[ind_col].astype(str)) - set(needed))
    if unknown:
        raise DataError(
            f"long table names indicator(s) not in framework '{framework.id}': "
            + ", ".join(unknown[:10]),
            where=f"{source}, column '{ind_col}'",
            hint="use the framework's indicator columns, or remove those rows",
        )
    dup = frame.duplicated([*keys, ind_col])
    if dup.any():
        row = int(np.flatnonzero(dup.to_numpy())[0]) + 2
        raise DataError("the same unit, year and indicator appear twice",
                        where=f"{source}, row {row}", hint="keep one value per cell")
    wide = frame.pivot(index=keys, columns=ind_col, values=val_col).reset_index()
    wide.columns = [str(c) for c in wide.columns]
    extra = [c for c in frame.columns if c not in {*keys, ind_col, val_col}]
    if extra:
        first = frame.drop_duplicates(keys)[keys + extra]
        wide = wide.merge(first, on=keys, how="left")
    return wide.fillna("")


def validate_table(
    frame: pd.DataFrame,
    framework: Framework,
    *,
    source: str = "<frame>",
    missing: Iterable[str] = MISSING_MARKERS,
) -> list[Problem]:
    """Check a wide table against a framework; return every problem found (errors first)."""
    problems: list[Problem] = []
    cols = list(frame.columns)
    if framework.unit_column not in cols:
        problems.append(Problem(
            "error", source,
            f"no unit id column '{framework.unit_column}'." + did_you_mean(framework.unit_column, cols),
            f"framework '{framework.id}' reads unit ids from column '{framework.unit_column}'; "
            f"the table has: {', '.join(cols[:12])}",
        ))
    for ind in framework.indicators:
        if ind.column not in cols:
            problems.append(Problem(
                "error", source,
                f"missing indicator column '{ind.column}' (indicator '{ind.id}')."
                + did_you_mean(ind.column, cols),
                "add the column, or fix the column name in the framework",
            ))
    # A missing denominator only matters if the run denominates (it may use --denominate none,
    # e.g. on data that is already denominated), so it is a warning here.
    dens = sorted({i.denominator for i in framework.indicators if i.denominator} - set(cols))
    if dens:
        problems.append(Problem(
            "warning", source,
            f"no denominator column(s) {', '.join(dens)}: the run must use --denominate none",
        ))
    if len(frame) == 0:
        problems.append(Problem("error", source, "the table has a header but no rows",
                                "add one row per unit"))
    if any(p.level == "error" for p in problems):
        return problems
    for col in framework.indicator_columns():
        if col not in frame.columns:
            continue
        values, bad = parse_numbers(frame[col].tolist(), missing=missing)
        for i in bad[:3]:
            problems.append(Problem(
                "error", f"{source}, row {i + 2}, column '{col}'",
                f"'{frame[col].iloc[i]}' is not a number",
                "write a number, or leave the cell empty (or NA) if the value is missing",
            ))
        if len(bad) > 3:
            problems.append(Problem("error", f"{source}, column '{col}'",
                                    f"{len(bad) - 3} more non-numeric cells"))
        if not bad:
            finite = values[~np.isnan(values)]
            if finite.size == 0:
                problems.append(Problem("warning", f"{source}, column '{col}'",
                                        "every value is missing"))
            elif np.all(finite == finite[0]) and finite.size > 1:
                problems.append(Problem("warning", f"{source}, column '{col}'",
                                        f"constant: every value is {finite[0]:g}"))
    year_col = _year_column(frame, framework)
    keys = [framework.unit_column] + ([year_col] if year_col else [])
    if year_col:
        _, bad = parse_numbers(frame[year_col].tolist())
        for i in bad[:3]:
            problems.append(Problem("error", f"{source}, row {i + 2}, column '{year_col}'",
                                    f"'{frame[year_col].iloc[i]}' is not a year"))
    blank = frame[framework.unit_column].astype(str).str.strip() == ""
    for i in np.flatnonzero(blank.to_numpy())[:3]:
        problems.append(Problem("error", f"{source}, row {i + 2}, column '{framework.unit_column}'",
                                "empty unit id", "every row needs a unit id"))
    dup = frame.duplicated(keys, keep=False)
    if dup.any():
        rows = np.flatnonzero(dup.to_numpy())
        first = frame.iloc[rows[0]][keys].tolist()
        what = "unit-year" if year_col else "unit id"
        problems.append(Problem(
            "error", f"{source}, rows {', '.join(str(r + 2) for r in rows[:4])}",
            f"duplicate {what} {' / '.join(map(str, first))}",
            "keep one row per unit" + (" and year" if year_col else ""),
        ))
    problems.sort(key=lambda p: p.level != "error")
    return problems


def read_data(
    source: str | Path | pd.DataFrame | None,
    framework: Framework,
    *,
    missing: Iterable[str] = MISSING_MARKERS,
) -> Dataset:
    """Read ``source`` (a file, a DataFrame, or None for the framework's bundled dataset).

    Raises
    ------
    DataError
        Unreadable file, or data that does not fit ``framework`` (every error listed).
    """
    import pandas as pd

    if isinstance(source, pd.DataFrame):
        return Dataset.from_frame(source, framework, missing=missing)
    if source is None:
        if framework.dataset is None:
            raise DataError(
                f"framework '{framework.id}' has no bundled dataset",
                hint="give a data file: mfgindex score DATA.csv -f ...",
            )
        source = framework.dataset
    path = Path(source)
    frame = read_table(path)
    return Dataset.from_frame(frame, framework, source=str(path), digest=_sha256(path),
                              missing=missing)
