"""Reading unit data: CSV (UTF-8, UTF-8 with BOM, GB18030/GBK), XLSX and Parquet, wide or long.

Reading policy (documented in docs/troubleshooting.md, "Data files"):

* Cells are read as text and parsed here, so every problem can name its row and column. CSV rows
  are checked cell by cell: a row with more or fewer cells than the header is an error (pandas
  would pad it, or shift every value when all rows have one extra cell); empty trailing cells
  are dropped.
* Missing markers — empty, ``NA``, ``N/A``, ``n.a.``, ``NaN``, ``null``, ``none``, ``-``,
  ``--``, ``—``, ``——``, ``–``, ``…``, ``……``, ``...``, ``..``, ``无``, ``缺失``, ``暂无``,
  ``不详``, ``#N/A`` — read as missing (configurable with ``missing=``).
* Thousands separators grouping digits by three (``12,345.6``), spaces inside numbers,
  full-width digits (``１２３``), the Unicode minus (``−5``) and a trailing percent sign
  (``12.5%`` reads as 12.5, the number as written) are accepted.
* Anything else is an error naming the cell, with a hint for the usual causes: a decimal comma
  (``1,5``), a unit or currency (``2万``, ``¥2``), a bracketed negative (``(3)``), infinity.
* Encodings: a byte-order mark decides (UTF-8, UTF-16, UTF-32); else UTF-8, then GB18030 (a
  superset of GBK/GB2312, what Chinese Excel writes); anything else is an error naming the line
  and byte it could not read.
"""

from __future__ import annotations

import hashlib
import io
import math
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from mfgindex.errors import DataError, did_you_mean

if TYPE_CHECKING:
    import pandas as pd

    from mfgindex.framework import Framework

__all__ = [
    "MISSING_MARKERS",
    "Dataset",
    "Problem",
    "number_hint",
    "parse_numbers",
    "read_data",
    "read_table",
    "validate_table",
]

MISSING_MARKERS: frozenset[str] = frozenset(
    {"", "na", "n/a", "n.a.", "nan", "null", "none", "-", "--", "—", "——", "–", "…", "……", "...",
     "..", "无", "缺失", "暂无", "不详", "#n/a"}
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


def problems_error(problems: Sequence[Problem], source: str, *, limit: int = 8) -> DataError:
    """One :class:`DataError` for ``problems``: the problem itself when there is one, else a
    summary listing each (its place relative to ``source``) with its hint."""
    if len(problems) == 1:
        only = problems[0]
        return DataError(only.what, where=only.where, hint=only.hint or None)
    lines: list[str] = []
    last_hint = ""
    for p in problems[:limit]:
        place = p.where[len(source):].lstrip(", ") if p.where.startswith(source) else p.where
        line = f"{place}: {p.what}" if place else p.what
        if p.hint and p.hint != last_hint:
            line += f"\n    hint: {p.hint}"
            last_hint = p.hint
        lines.append(line)
    if len(problems) > limit:
        lines.append(f"(and {len(problems) - limit} more)")
    return DataError(f"{len(problems)} problems", where=source, problems=lines)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


_BOMS = (
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)


def _decode(raw: bytes, path: Path) -> str:
    """Decode a text table: a BOM decides (UTF-8, UTF-16/32 as Excel's "Unicode text"), else
    UTF-8, else GB18030 (a superset of GBK and GB2312)."""
    for bom, encoding in _BOMS:
        if raw.startswith(bom):
            try:
                return raw.decode(encoding)
            except UnicodeDecodeError as exc:
                raise DataError(
                    f"the file starts with a {encoding.upper()} byte-order mark but byte "
                    f"{exc.start} is not {encoding.upper()}",
                    where=str(path),
                    hint="save the file again as CSV UTF-8",
                ) from None
    if b"\x00" in raw[:4096]:
        raise DataError(
            "this is a binary file, not a CSV table",
            where=str(path),
            hint="export the sheet as CSV (UTF-8), or give the .xlsx/.parquet file itself",
        )
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        utf8_error = exc
    try:
        return raw.decode("gb18030")
    except UnicodeDecodeError:
        pass
    line = raw.count(b"\n", 0, utf8_error.start) + 1
    byte = raw[utf8_error.start]
    guess = ""
    try:
        raw.decode("cp1252")
        guess = " It may be Latin-1 / Windows-1252 (Western European Excel)."
    except UnicodeDecodeError:
        pass
    raise DataError(
        f"cannot read the text: line {line} has byte 0x{byte:02X}, which is neither UTF-8 nor "
        f"GB18030 (GBK).{guess}",
        where=str(path),
        hint="save the file as UTF-8 CSV (Excel: 'CSV UTF-8 (Comma delimited)'), or as .xlsx",
    )


def _read_csv_text(text: str, sep: str, path: Path) -> pd.DataFrame:
    """Split CSV text into a DataFrame of text cells, checking every row's cell count.

    The standard library's reader is used rather than pandas' so that a row with too few or too
    many cells is an error naming the row; pandas would pad short rows with blanks, and when
    every row has one cell more than the header it silently turns the first column into the
    index — shifting every value one column to the left. Blank lines are skipped, and empty
    cells after the last header column (trailing separators) are ignored.
    """
    import csv

    import pandas as pd

    csv.field_size_limit(1 << 24)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep, skipinitialspace=True,
                        strict=False)
    rows: list[tuple[int, int, list[str]]] = []  # (first line, last line, cells)
    try:
        for row in reader:
            first = rows[-1][1] + 1 if rows else 1
            rows.append((first, reader.line_num, row))
    except csv.Error as exc:
        raise DataError(f"malformed CSV at line {reader.line_num}: {exc}", where=str(path),
                        hint="check the quotes on that line: a cell that contains the separator "
                             "must be quoted, and every opening quote needs a closing one"
                        ) from None
    rows = [(n, m, r) for n, m, r in rows if any(c.strip() for c in r)]
    if not rows:
        raise DataError("the file is empty", where=str(path),
                        hint="a data file needs a header row and one row per unit")
    header = rows[0][2]
    while header and not header[-1].strip() and len(header) > 1:
        header = header[:-1]
    width = len(header)
    cells: list[list[str]] = []
    for line, last, row in rows[1:]:
        if len(row) > width and not any(c.strip() for c in row[width:]):
            row = row[:width]
        if len(row) != width:
            shown = "separator" if sep != "\t" else "tab"
            if last > line:
                raise DataError(
                    f"a quoted cell opened on row {line} runs on to row {last}",
                    where=f"{path}, row {line}",
                    hint='close the quote ("...") on that row, or remove the stray quote mark',
                )
            hint = (f"every row needs one cell per header column; check for a missing or extra "
                    f"{shown} ('{sep}'), and quote cells that contain it")
            if line == rows[1][0] and len(row) > width and width <= len(row) / 2:
                hint = (f"the header (row {rows[0][0]}) has only {width} named cell"
                        f"{'s' if width != 1 else ''}: is there a title row above the header? "
                        "Delete the rows above the column names")
            raise DataError(f"{len(row)} cells, but the header has {width}",
                            where=f"{path}, row {line}", hint=hint)
        cells.append(row)
    names = [c.strip() or f"(column {k + 1}, no name)" for k, c in enumerate(header)]
    return pd.DataFrame(cells, columns=names, dtype=object)


def read_table(path: str | Path, *, all_text: bool = True, sheet: str | int = 0) -> pd.DataFrame:
    """Read a table file into a DataFrame of text cells (``all_text``) with the header as given.

    Raises
    ------
    DataError
        Missing file, unknown format, undecodable or malformed content, empty table.
    """
    import pandas as pd

    path = Path(path)
    if str(path) == "-":
        raise DataError("reading data from standard input is not supported", where="-",
                        hint="save the data to a file and give its path")
    if not path.exists():
        raise DataError("file not found", where=str(path), hint="check the path and its spelling")
    if path.is_dir():
        raise DataError("is a folder, not a data file", where=str(path),
                        hint=f"give the data file itself, e.g. {path / 'data.csv'}")
    suffix = path.suffix.lower()
    try:
        if suffix in {".csv", ".txt", ".tsv", ""}:
            text = _decode(path.read_bytes(), path)
            if not text.strip():
                raise DataError("the file is empty", where=str(path),
                                hint="a data file needs a header row and one row per unit")
            sep = "\t" if suffix == ".tsv" else _sniff_separator(text)
            frame = _read_csv_text(text, sep, path)
        elif suffix == ".xls":
            raise DataError("the old Excel 97-2003 format (.xls) is not read", where=str(path),
                            hint="open it in Excel and save as .xlsx, or as CSV UTF-8")
        elif suffix in {".xlsx", ".xlsm"}:
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
    except (ValueError, OSError, KeyError, ImportError, zipfile.BadZipFile, EOFError) as exc:
        what = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
        raise DataError(f"cannot read the file: {what}", where=str(path),
                        hint="check that the file is a complete, uncorrupted "
                             f"{suffix.lstrip('.') or 'CSV'} file") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    if frame.shape[1] == 0 or (len(frame) == 0 and suffix not in {".csv", ".txt", ".tsv", ""}):
        raise DataError("the table is empty", where=str(path))
    dup = sorted({c for c in frame.columns if list(frame.columns).count(c) > 1})
    if dup:
        raise DataError(f"duplicate column name(s): {', '.join(dup)}", where=str(path),
                        hint="rename the columns so each name appears once")
    if all_text:
        frame = frame.astype(object)
        if suffix not in {".csv", ".txt", ".tsv", ""}:  # CSV cells are text already
            frame = frame.where(frame.notna(), "")  # None / NaN from Excel or Parquet: empty
    return frame


def _sniff_separator(text: str) -> str:
    header = text.lstrip("\ufeff").splitlines()[0]
    counts = {sep: header.count(sep) for sep in (",", ";", "\t")}
    best = max(counts, key=lambda s: counts[s])
    return best if counts[best] > 0 else ","


_FULLWIDTH = {ord(c): ord(c) - 0xFEE0 for c in "０１２３４５６７８９．－＋，％"}
# Spaces inside numbers (1 234), the Unicode minus sign (−5, as typeset tables write it).
_SPACES = str.maketrans({" ": None, "\u00a0": None, "\u2009": None, "\u202f": None,
                         "\u2212": "-"})
# Thousands separators must group digits by three: "1,234.5" reads, "1,5" (a decimal comma) does
# not — reading it as 15 would be silently wrong.
_GROUPED = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?([eE][+-]?\d+)?$")
_BAD_COMMA = (
    "a comma must separate thousands (1,234,567); write decimals with a point (1.5), not a "
    "comma"
)
_NOT_FINITE = "infinite values are not data; leave the cell empty if the value is missing"
_NOT_NUMBER = "write a number, or leave the cell empty (or NA) if the value is missing"


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
        return _NOT_NUMBER
    return number


_UNIT_AROUND = re.compile(r"^([^\d+\-.]*)[+-]?(\d[\d,]*\.?\d*|\.\d+)([eE][+-]?\d+)?([^\d]*)$")


def _why_not(text: str) -> str:
    """A hint for text that is not a number: a unit or currency around it, brackets for a
    negative value, or simply not a number."""
    if text.startswith("(") and text.endswith(")"):
        inner = text[1:-1].strip()
        if not isinstance(_cell_number(inner, set()), str):
            return f"write a negative number with a minus sign: -{inner}"
    match = _UNIT_AROUND.match(text)
    if match and (match.group(1) or match.group(4)):
        extra = (match.group(1) + " " + match.group(4)).strip()
        if any(c in extra for c in "万亿千百"):
            return (f"write the number alone, without '{extra}': convert it to the indicator's "
                    "unit (2万 = 20000) and name the unit in the framework")
        return f"write the number alone, without '{extra}'"
    return _NOT_NUMBER


def number_hint(value: Any, *, missing: Iterable[str] = MISSING_MARKERS) -> str:
    """How to fix a cell that :func:`parse_numbers` rejected (empty string if it reads)."""
    got = _cell_number(value, {m.lower() for m in missing})
    return got if isinstance(got, str) else ""


def parse_numbers(
    values: Sequence[Any], *, missing: Iterable[str] = MISSING_MARKERS
) -> tuple[np.ndarray, list[int]]:
    """Parse cells to float64 following the reading policy.

    Returns the values (NaN where missing or unreadable) and the positions of cells that are
    not numbers, for error messages; :func:`number_hint` says why a cell was rejected.
    """
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
    out = np.where(done, fast, np.nan)
    bad: list[int] = []
    for i in np.flatnonzero(~done).tolist():
        got = _cell_number(cells[i], markers)
        if isinstance(got, str):
            bad.append(i)
        else:
            out[i] = got
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
        parsed: dict[str, np.ndarray] = {}
        problems = validate_table(frame, framework, source=source, missing=missing,
                                  parsed=parsed)
        errors = [p for p in problems if p.level == "error"]
        if errors:
            raise problems_error(errors, source)
        values = {}
        for col in framework.indicator_columns():
            if col in frame.columns:
                values[col] = (parsed[col] if col in parsed
                               else parse_numbers(frame[col].tolist(), missing=missing)[0])
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
        # An indicator id whose values come from another column (or a ratio) is the likely slip.
        ids = {i.id: i for i in framework.indicators if i.id not in needed}
        read_from = [f"'{u}' from {ids[u].column}" + (f" ÷ {ids[u].denominator}"
                                                      if ids[u].denominator else "")
                     for u in unknown if u in ids]
        raise DataError(
            f"long table names indicator(s) not in framework '{framework.id}': "
            + ", ".join(unknown[:10]),
            where=f"{source}, column '{ind_col}'",
            hint=("the cells name the data columns the framework reads: "
                  + ", ".join(needed[:12]) + (", …" if len(needed) > 12 else "")
                  + (f" (it reads {'; '.join(read_from[:3])})" if read_from else "")
                  + "; or remove those rows"),
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
    parsed: dict[str, np.ndarray] | None = None,
) -> list[Problem]:
    """Check a wide table against a framework; return every problem found (errors first).

    ``parsed``, if given, receives the parsed values of every numeric column checked, so a
    caller does not parse them again.
    """
    problems: list[Problem] = []
    cols = list(frame.columns)
    needed = [framework.unit_column, *(i.column for i in framework.indicators)]
    if not any(c in cols for c in needed):
        # Not one of the framework's columns: the header itself is wrong — say why, once.
        shown = ", ".join(cols[:12]) + (", …" if len(cols) > 12 else "")
        hint = f"the header read is: {shown}"
        unnamed = sum(c.startswith(("Unnamed:", "(column ")) for c in cols)
        if len(cols) == 1:
            seps = [s for s in ("|", ":", "/", " ") if s in cols[0]]
            hint = (f"the header was read as one column '{cols[0][:60]}'"
                    + (f": the file seems to separate cells with '{seps[0]}'" if seps else "")
                    + "; mfgindex reads commas, semicolons and tabs — export the table as CSV")
        elif unnamed >= len(cols) / 2:
            hint = ("most header cells are empty: is there a title row above the header? Delete "
                    f"the rows above the column names ({shown})")
        problems.append(Problem(
            "error", source,
            f"missing indicator columns: the header has none of the columns framework "
            f"'{framework.id}' needs "
            f"({', '.join(needed[:6])}"
            f"{', …' if len(needed) > 6 else ''})",
            hint + f"; or is this data for another framework than '{framework.id}' (-f)?",
        ))
        return problems
    if framework.unit_column not in cols:
        problems.append(Problem(
            "error", source,
            f"no unit id column '{framework.unit_column}'." + did_you_mean(framework.unit_column, cols),
            f"framework '{framework.id}' reads unit ids from column "
            f"'{framework.unit_column}'; the table has: {', '.join(cols[:12])}",
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
    # A constant raw column is only a problem when it is scored as it is: divided by a varying
    # denominator it is not constant any more (and constant denominators are harmless).
    plain = {i.column for i in framework.indicators if not i.denominator}
    for col in framework.indicator_columns():
        if col not in frame.columns:
            continue
        values, bad = parse_numbers(frame[col].tolist(), missing=missing)
        if parsed is not None:
            parsed[col] = values
        for i in bad[:3]:
            cell = frame[col].iloc[i]
            problems.append(Problem(
                "error", f"{source}, row {i + 2}, column '{col}'",
                f"'{cell}' is not a number",
                number_hint(cell, missing=missing) or _NOT_NUMBER,
            ))
        if len(bad) > 3:
            problems.append(Problem("error", f"{source}, column '{col}'",
                                    f"{len(bad) - 3} more non-numeric cells"))
        if not bad:
            finite = values[~np.isnan(values)]
            if finite.size == 0:
                problems.append(Problem(
                    "warning", f"{source}, column '{col}'", "every value is missing",
                    "fill in the column, or remove the indicator from the framework",
                ))
            elif col in plain and finite.size > 1 and np.all(finite == finite[0]):
                problems.append(Problem(
                    "warning", f"{source}, column '{col}'",
                    f"constant: every unit has {finite[0]:g}, so it cannot tell units apart",
                    "check the column; minmax and zscore leave a constant indicator out of its "
                    "group's score",
                ))
    year_col = _year_column(frame, framework)
    keys: dict[str, np.ndarray] = {
        framework.unit_column: frame[framework.unit_column].astype(str).str.strip().to_numpy()
    }
    if year_col:
        years, bad = parse_numbers(frame[year_col].tolist(), missing=())
        odd = [i for i in range(len(years))
               if i not in set(bad) and not float(years[i]).is_integer()]
        for i in sorted([*bad, *odd])[:3]:
            problems.append(Problem("error", f"{source}, row {i + 2}, column '{year_col}'",
                                    f"'{frame[year_col].iloc[i]}' is not a year",
                                    "write the year as a whole number, e.g. 2019"))
        keys[year_col] = years
    blank = keys[framework.unit_column] == ""
    for i in np.flatnonzero(blank)[:3]:
        problems.append(Problem("error", f"{source}, row {i + 2}, column '{framework.unit_column}'",
                                "empty unit id", "every row needs a unit id"))
    import pandas as pd

    key_frame = pd.DataFrame(keys)
    dup = key_frame.duplicated(keep=False).to_numpy() & ~blank
    if dup.any():
        first = key_frame.iloc[int(np.flatnonzero(dup)[0])]
        same = np.flatnonzero((key_frame == first).all(axis=1).to_numpy())
        shown = " / ".join(f"{v:g}" if isinstance(v, float) else str(v) for v in first.tolist())
        what = "unit-year" if year_col else "unit id"
        n_dup = int(key_frame[dup].drop_duplicates().shape[0])
        more = f" ({n_dup} duplicated {what}s in all)" if n_dup > 1 else ""
        problems.append(Problem(
            "error", f"{source}, rows {', '.join(str(r + 2) for r in same[:4])}",
            f"duplicate {what} {shown}{more}",
            "keep one row per unit" + (" and year" if year_col else "")
            + "; ids are compared without surrounding spaces",
        ))
    per_block = (key_frame[~blank].groupby(year_col).size() if year_col
                 else pd.Series([int((~blank).sum())]))
    if len(per_block) and int(per_block.min()) == 1:
        problems.append(Problem(
            "warning", source,
            "only one unit" + (" in a year" if year_col else "")
            + ": minmax, zscore and rank normalisation compare units, so they cannot score it",
            "add units, or normalise against fixed bounds: --normalize 'goalposts(low=..., "
            "high=...)'",
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
