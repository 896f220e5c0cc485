"""Table files: CSV/TSV/TXT (any encoding :mod:`.decode` reads), XLSX and Parquet, as text cells.

Each file is read once: its bytes are parsed and hashed (SHA-256, for provenance) together
(:func:`read_table_hashed`), so the digest describes exactly the bytes the values came from.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

from mfgindex.data.decode import decode_text, sniff_separator, split_csv
from mfgindex.errors import DataError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["file_sha256", "read_table", "read_table_hashed"]

#: Suffixes read as delimited text (a file without a suffix is tried as CSV).
TEXT_SUFFIXES = frozenset({".csv", ".txt", ".tsv", ""})


def file_sha256(path: Path) -> str:
    """SHA-256 of the file's bytes, read in 1 MiB chunks."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _check_path(path: Path) -> None:
    if str(path) == "-":
        raise DataError("reading data from standard input is not supported", where="-",
                        hint="save the data to a file and give its path")
    if not path.exists():
        raise DataError("file not found", where=str(path), hint="check the path and its spelling")
    if path.is_dir():
        raise DataError("is a folder, not a data file", where=str(path),
                        hint=f"give the data file itself, e.g. {path / 'data.csv'}")


def _read_text_file(raw: bytes, path: Path, suffix: str) -> pd.DataFrame:
    import pandas as pd

    text = decode_text(raw, path)
    if not text.strip():
        raise DataError("the file is empty", where=str(path),
                        hint="a data file needs a header row and one row per unit")
    sep = "\t" if suffix == ".tsv" else sniff_separator(text)
    names, cells = split_csv(text, sep, path)
    return pd.DataFrame(cells, columns=names, dtype=object)


def _read_excel(raw: bytes, path: Path, sheet: str | int) -> pd.DataFrame:
    import pandas as pd

    try:
        import openpyxl  # noqa: F401
    except ImportError:
        raise DataError("reading Excel files needs openpyxl", where=str(path),
                        hint="pip install 'mfgindex[excel]'") from None
    # openpyxl directly, not pandas' read_excel: the reading policy must be the CSV one
    # (DESIGN §5, issue 12): read_excel renames a duplicate header ("x1.1") and turns error
    # cells (#DIV/0!, #N/A, #VALUE!) into NaN silently; here the header is kept as written, so
    # the duplicate check sees it, and an error cell stays the text Excel shows, which the
    # number parser refuses naming its row and column, as in a CSV file.
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    try:
        names = book.sheetnames
        if isinstance(sheet, int):
            if not 0 <= sheet < len(names):
                raise ValueError(f"no sheet number {sheet + 1}; the sheets: {', '.join(names)}")
            ws = book[names[sheet]]
        elif sheet in names:
            ws = book[sheet]
        else:
            raise ValueError(f"no sheet '{sheet}'; the sheets: {', '.join(names)}")
        rows = [["" if v is None else v for v in row] for row in ws.iter_rows(values_only=True)]
    finally:
        book.close()
    rows = [r for r in rows if any(not (isinstance(v, str) and not v.strip()) for v in r)]
    if not rows:
        return pd.DataFrame()
    header = rows[0]
    while header and header[-1] == "":
        header = header[:-1]
    width = len(header)
    body = [(r + [""] * width)[:width] for r in rows[1:]]
    columns = [str(c) if c != "" else f"(column {k + 1}, no name)" for k, c in enumerate(header)]
    return pd.DataFrame(body, columns=columns, dtype=object)


def _read_parquet(raw: bytes, path: Path) -> pd.DataFrame:
    import pandas as pd

    try:
        return pd.read_parquet(io.BytesIO(raw))
    except ImportError:
        raise DataError("reading Parquet files needs pyarrow", where=str(path),
                        hint="pip install 'mfgindex[parquet]'") from None


def _read_any(raw: bytes, path: Path, suffix: str, sheet: str | int) -> pd.DataFrame:
    """The file's bytes as a DataFrame, by the file's suffix."""
    if suffix in TEXT_SUFFIXES:
        return _read_text_file(raw, path, suffix)
    if suffix == ".xls":
        raise DataError("the old Excel 97-2003 format (.xls) is not read", where=str(path),
                        hint="open it in Excel and save as .xlsx, or as CSV UTF-8")
    if suffix in {".xlsx", ".xlsm"}:
        return _read_excel(raw, path, sheet)
    if suffix in {".parquet", ".pq"}:
        return _read_parquet(raw, path)
    raise DataError(f"unknown file type '{suffix}'", where=str(path),
                    hint="data files are .csv, .xlsx or .parquet")


def _read_guarded(path: Path, suffix: str, sheet: str | int) -> tuple[pd.DataFrame, bytes]:
    """The file's bytes (read once) and :func:`_read_any` of them, with the readers' own
    exceptions turned into a :class:`DataError`."""
    import pandas as pd

    try:
        raw = path.read_bytes()
        return _read_any(raw, path, suffix, sheet), raw
    except DataError:
        raise
    except pd.errors.ParserError as exc:
        raise DataError(f"malformed CSV: {exc}".strip(), where=str(path),
                        hint="every row needs as many cells as the header; quote cells that "
                             "contain the separator") from None
    except (ValueError, OSError, KeyError, ImportError, zipfile.BadZipFile, EOFError) as exc:
        what = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
        # The readers parse the bytes read (one read); name the file, not their buffer.
        what = what.replace("'<Buffer>'", f"'{path}'")
        raise DataError(f"cannot read the file: {what}", where=str(path),
                        hint="check that the file is a complete, uncorrupted "
                             f"{suffix.lstrip('.') or 'CSV'} file") from None


def read_table(path: str | Path, *, all_text: bool = True, sheet: str | int = 0) -> pd.DataFrame:
    """Read a table file into a DataFrame of text cells (``all_text``) with the header as given.

    Raises
    ------
    DataError
        Missing file, unknown format, undecodable or malformed content, empty table, duplicate
        column names.
    """
    return read_table_hashed(path, all_text=all_text, sheet=sheet)[0]


def read_table_hashed(
    path: str | Path, *, all_text: bool = True, sheet: str | int = 0
) -> tuple[pd.DataFrame, str]:
    """:func:`read_table`, and the SHA-256 of the bytes the table was read from (one read).

    Raises
    ------
    DataError
        As :func:`read_table`.
    """
    path = Path(path)
    _check_path(path)
    suffix = path.suffix.lower()
    frame, raw = _read_guarded(path, suffix, sheet)
    frame.columns = [str(c).strip() for c in frame.columns]
    if frame.shape[1] == 0 or (len(frame) == 0 and suffix not in TEXT_SUFFIXES):
        raise DataError("the table is empty", where=str(path))
    counts = Counter(frame.columns)  # linear: 10,000 columns are checked at once
    dup = sorted(c for c, n in counts.items() if n > 1)
    if dup:
        raise DataError(f"duplicate column name(s): {', '.join(dup)}", where=str(path),
                        hint="rename the columns so each name appears once")
    if all_text:
        frame = frame.astype(object)
        if suffix not in TEXT_SUFFIXES:  # CSV cells are text already
            frame = frame.where(frame.notna(), "")  # None / NaN from Excel or Parquet: empty
    return frame, hashlib.sha256(raw).hexdigest()
