"""Text tables: bytes to text (byte-order marks, UTF-8, GB18030) and CSV text to cells.

The standard library's CSV reader is used rather than pandas' so that a row with too few or too
many cells is an error naming the row: pandas would pad short rows with blanks, and when every
row has one cell more than the header it silently turns the first column into the index —
shifting every value one column to the left.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from mfgindex.errors import DataError

__all__ = ["decode_text", "sniff_separator", "split_csv"]

BOMS = (
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)

#: Largest CSV cell read (16 MiB): the standard library's default (128 KiB) rejects long text
#: cells (notes, sources) that spreadsheets write without complaint.
FIELD_SIZE_LIMIT = 1 << 24


def decode_text(raw: bytes, path: Path) -> str:
    """Decode a text table: a BOM decides (UTF-8, UTF-16/32 as Excel's "Unicode text"), else
    UTF-8, else GB18030 (a superset of GBK and GB2312).

    Raises
    ------
    DataError
        A binary file, or bytes that are neither UTF-8 nor GB18030 (naming the line and byte).
    """
    for bom, encoding in BOMS:
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
    check_mixed(raw, path)
    try:
        return raw.decode("gb18030")
    except UnicodeDecodeError:
        pass
    raise _undecodable(raw, utf8_error, path)


def check_mixed(raw: bytes, path: Path) -> None:
    """Refuse a file that is UTF-8 except for some lines (a row pasted from a GBK file): read
    as GB18030, its UTF-8 lines would turn into mojibake; read as UTF-8, the others would.
    The file counts as UTF-8 when most of its non-ASCII lines are valid UTF-8."""
    good, bad = 0, []
    lines = raw.split(b"\n")
    for number, line in enumerate(lines, start=1):
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
            good += 1
        except UnicodeDecodeError:
            bad.append(number)
            if good + len(lines) - number < len(bad):  # the rest cannot make UTF-8 the most
                return
    if good and good >= len(bad):
        shown = ", ".join(map(str, bad[:5])) + (f" and {len(bad) - 5} more" if len(bad) > 5 else "")
        raise DataError(
            f"the file mixes text encodings: it is UTF-8, but line{'s' if len(bad) > 1 else ''} "
            f"{shown} {'are' if len(bad) > 1 else 'is'} not (GBK / GB18030, or another "
            "encoding); read either way, some rows would turn into mojibake",
            where=str(path),
            hint="re-type or re-paste those rows as UTF-8, or save the whole file again as "
            "'CSV UTF-8' (Excel) or .xlsx",
        )


def _undecodable(raw: bytes, utf8_error: UnicodeDecodeError, path: Path) -> DataError:
    line = raw.count(b"\n", 0, utf8_error.start) + 1
    byte = raw[utf8_error.start]
    guess = ""
    try:
        raw.decode("cp1252")
        guess = " It may be Latin-1 / Windows-1252 (Western European Excel)."
    except UnicodeDecodeError:
        pass
    return DataError(
        f"cannot read the text: line {line} has byte 0x{byte:02X}, which is neither UTF-8 nor "
        f"GB18030 (GBK).{guess}",
        where=str(path),
        hint="save the file as UTF-8 CSV (Excel: 'CSV UTF-8 (Comma delimited)'), or as .xlsx",
    )


def sniff_separator(text: str) -> str:
    """The separator of the header line: the commonest of comma, semicolon and tab."""
    header = text.lstrip("\ufeff").splitlines()[0]
    counts = {sep: header.count(sep) for sep in (",", ";", "\t")}
    best = max(counts, key=lambda s: counts[s])
    return best if counts[best] > 0 else ","


@contextmanager
def _field_size_limit(limit: int) -> Iterator[None]:
    """Raise the CSV reader's cell size limit for one read, then restore it: the limit is
    process-wide state, and a library must not change it for its caller."""
    old = csv.field_size_limit(limit)
    try:
        yield
    finally:
        csv.field_size_limit(old)


def _rows(text: str, sep: str, path: Path) -> list[tuple[int, int, list[str]]]:
    """Every non-blank row as (first line, last line, cells): a quoted cell may span lines."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep, skipinitialspace=True, strict=False)
    rows: list[tuple[int, int, list[str]]] = []
    try:
        with _field_size_limit(FIELD_SIZE_LIMIT):
            for row in reader:
                first = rows[-1][1] + 1 if rows else 1
                rows.append((first, reader.line_num, row))
    except csv.Error as exc:
        raise DataError(
            f"malformed CSV at line {reader.line_num}: {exc}",
            where=str(path),
            hint="check the quotes on that line: a cell that contains the separator "
            "must be quoted, and every opening quote needs a closing one",
        ) from None
    return [(n, m, r) for n, m, r in rows if any(c.strip() for c in r)]


def _width_error(
    rows: list[tuple[int, int, list[str]]], k: int, width: int, sep: str, path: Path
) -> DataError:
    """Why row ``rows[k]`` has the wrong number of cells, with the likely cause."""
    line, last, row = rows[k]
    if last > line:
        return DataError(
            f"a quoted cell opened on row {line} runs on to row {last}",
            where=f"{path}, row {line}",
            hint='close the quote ("...") on that row, or remove the stray quote mark',
        )
    shown = "separator" if sep != "\t" else "tab"
    hint = (
        f"every row needs one cell per header column; check for a missing or extra "
        f"{shown} ('{sep}'), and quote cells that contain it"
    )
    if k == 1 and len(row) > width and width <= len(row) / 2:
        hint = (
            f"the header (row {rows[0][0]}) has only {width} named cell"
            f"{'s' if width != 1 else ''}: is there a title row above the header? "
            "Delete the rows above the column names"
        )
    return DataError(f"{len(row)} cells, but the header has {width}", where=f"{path}, row {line}", hint=hint)


def split_csv(text: str, sep: str, path: Path) -> tuple[list[str], list[list[str]]]:
    """Split CSV text into column names and rows of text cells, checking every row's width.

    Blank lines are skipped, and empty cells after the last header column (trailing
    separators) are ignored; an unnamed header cell is named ``(column k, no name)``.

    Raises
    ------
    DataError
        Malformed quoting, an empty file, or a row whose cell count differs from the header's.
    """
    rows = _rows(text, sep, path)
    if not rows:
        raise DataError(
            "the file is empty", where=str(path), hint="a data file needs a header row and one row per unit"
        )
    header = rows[0][2]
    while header and not header[-1].strip() and len(header) > 1:
        header = header[:-1]
    width = len(header)
    cells: list[list[str]] = []
    for k in range(1, len(rows)):
        row = rows[k][2]
        if len(row) > width and not any(c.strip() for c in row[width:]):
            row = row[:width]
        if len(row) != width:
            raise _width_error(rows, k, width, sep, path)
        cells.append(row)
    names = [c.strip() or f"(column {k + 1}, no name)" for k, c in enumerate(header)]
    return names, cells
