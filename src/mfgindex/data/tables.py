"""Table files: CSV/TSV/TXT (any encoding :mod:`.decode` reads), XLSX and Parquet, as text cells.

Each file is read once; its SHA-256 (:func:`file_sha256`) is taken from the file's bytes for
provenance.
"""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from mfgindex.data.decode import decode_text, sniff_separator, split_csv
from mfgindex.errors import DataError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["file_sha256", "read_table"]

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


def _read_text_file(path: Path, suffix: str) -> pd.DataFrame:
    import pandas as pd

    text = decode_text(path.read_bytes(), path)
    if not text.strip():
        raise DataError("the file is empty", where=str(path),
                        hint="a data file needs a header row and one row per unit")
    sep = "\t" if suffix == ".tsv" else sniff_separator(text)
    names, cells = split_csv(text, sep, path)
    return pd.DataFrame(cells, columns=names, dtype=object)


def _read_excel(path: Path, sheet: str | int) -> pd.DataFrame:
    import pandas as pd

    try:
        import openpyxl  # noqa: F401
    except ImportError:
        raise DataError("reading Excel files needs openpyxl", where=str(path),
                        hint="pip install 'mfgindex[excel]'") from None
    frame = pd.read_excel(path, sheet_name=sheet, dtype=object)
    return frame.map(lambda v: "" if v is None or (isinstance(v, float) and np.isnan(v)) else v)


def _read_parquet(path: Path) -> pd.DataFrame:
    import pandas as pd

    try:
        return pd.read_parquet(path)
    except ImportError:
        raise DataError("reading Parquet files needs pyarrow", where=str(path),
                        hint="pip install 'mfgindex[parquet]'") from None


def _read_any(path: Path, suffix: str, sheet: str | int) -> pd.DataFrame:
    """The file as a DataFrame, by its suffix."""
    if suffix in TEXT_SUFFIXES:
        return _read_text_file(path, suffix)
    if suffix == ".xls":
        raise DataError("the old Excel 97-2003 format (.xls) is not read", where=str(path),
                        hint="open it in Excel and save as .xlsx, or as CSV UTF-8")
    if suffix in {".xlsx", ".xlsm"}:
        return _read_excel(path, sheet)
    if suffix in {".parquet", ".pq"}:
        return _read_parquet(path)
    raise DataError(f"unknown file type '{suffix}'", where=str(path),
                    hint="data files are .csv, .xlsx or .parquet")


def _read_guarded(path: Path, suffix: str, sheet: str | int) -> pd.DataFrame:
    """:func:`_read_any`, with the readers' own exceptions turned into a :class:`DataError`."""
    import pandas as pd

    try:
        return _read_any(path, suffix, sheet)
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


def read_table(path: str | Path, *, all_text: bool = True, sheet: str | int = 0) -> pd.DataFrame:
    """Read a table file into a DataFrame of text cells (``all_text``) with the header as given.

    Raises
    ------
    DataError
        Missing file, unknown format, undecodable or malformed content, empty table, duplicate
        column names.
    """
    path = Path(path)
    _check_path(path)
    suffix = path.suffix.lower()
    frame = _read_guarded(path, suffix, sheet)
    frame.columns = [str(c).strip() for c in frame.columns]
    if frame.shape[1] == 0 or (len(frame) == 0 and suffix not in TEXT_SUFFIXES):
        raise DataError("the table is empty", where=str(path))
    dup = sorted({c for c in frame.columns if list(frame.columns).count(c) > 1})
    if dup:
        raise DataError(f"duplicate column name(s): {', '.join(dup)}", where=str(path),
                        hint="rename the columns so each name appears once")
    if all_text:
        frame = frame.astype(object)
        if suffix not in TEXT_SUFFIXES:  # CSV cells are text already
            frame = frame.where(frame.notna(), "")  # None / NaN from Excel or Parquet: empty
    return frame
