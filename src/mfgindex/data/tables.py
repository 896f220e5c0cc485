"""Table files: CSV/TSV/TXT (any encoding :mod:`.decode` reads), XLSX and Parquet, as text cells.

Each file is read once: its bytes are parsed and hashed (SHA-256, for provenance) together
(:func:`read_table_hashed`), so the digest describes exactly the bytes the values came from.
"""

from __future__ import annotations

import hashlib
import io
import os
import stat
import threading
import zipfile
from collections import Counter
from collections.abc import Callable, Collection, Iterable
from contextlib import suppress
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from mfgindex.data.decode import decode_text, sniff_separator, split_csv
from mfgindex.errors import DataError, MfgIndexError

if TYPE_CHECKING:
    import mmap

    import pandas as pd

    from mfgindex.data import fastcsv

__all__ = [
    "MAX_INPUT_BYTES",
    "check_input_file",
    "file_sha256",
    "read_input_bytes",
    "read_table",
    "read_table_digest",
    "read_table_hashed",
]

#: Largest input file read (2 GiB), settable with the environment variable
#: ``MFGINDEX_MAX_INPUT_MB``: a file named by mistake (a disk image, ``/dev/zero`` through a
#: pipe) is refused with a message instead of reading until memory runs out.
MAX_INPUT_BYTES = 2 << 30


def _max_input_bytes() -> int:
    env = os.environ.get("MFGINDEX_MAX_INPUT_MB", "").strip()
    try:
        return max(1, int(float(env) * (1 << 20))) if env else MAX_INPUT_BYTES
    except ValueError:
        return MAX_INPUT_BYTES


def _size_text(n: int) -> str:
    return f"{n / (1 << 20):,.0f} MB" if n >= 1 << 20 else f"{n:,} bytes"


_BIG_HINT = (
    "check that this is the right file; to read a larger one, set MFGINDEX_MAX_INPUT_MB "
    "(e.g. MFGINDEX_MAX_INPUT_MB=8000)"
)


def _kind(mode: int) -> str:
    if stat.S_ISCHR(mode):
        return "a device or terminal"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISFIFO(mode):
        return "a pipe (FIFO)"
    return "not a regular file"


def check_input_file(
    path: Path, what: str = "data file", *, named: bool = True, error: type[MfgIndexError] | None = None
) -> os.stat_result:
    """Check that ``path`` can be read as an input: a regular file within the size limit, or
    (when the user ``named`` it on the command line) a pipe such as ``/dev/stdin``, read once.

    A file named by a framework (its ``dataset``) must be a regular file: a framework written
    by someone else cannot make a run read a device (``/dev/zero``) or wait on a pipe.

    Raises
    ------
    DataError (or ``error``)
        A missing file, a folder, a device, a socket, a pipe not named by the user, or a
        file larger than the limit.
    """
    cls = error or DataError

    def fail(what_: str, hint: str) -> MfgIndexError:
        return cls(what_, where=str(path), hint=hint)

    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise fail("file not found", "check the path and its spelling") from None
    except OSError as exc:
        raise fail(
            f"cannot read the file: {exc.strerror or exc}", "check the path and that you may read it"
        ) from None
    if stat.S_ISDIR(st.st_mode):
        raise fail(f"is a folder, not a {what}", f"give the {what} itself")
    if stat.S_ISREG(st.st_mode):
        limit = _max_input_bytes()
        if st.st_size > limit:
            raise fail(
                f"the {what} is {_size_text(st.st_size)}, larger than the limit of "
                f"{_size_text(limit)}; it is not read",
                _BIG_HINT,
            )
        return st
    if stat.S_ISFIFO(st.st_mode) and named:
        return st
    if stat.S_ISFIFO(st.st_mode):
        raise fail(
            "is a pipe (FIFO), not a regular file; a file named by a framework must be a regular file",
            "give the data file on the command line, or point the framework at a regular file",
        )
    by = "" if named else "; a file named by a framework must be a regular file"
    raise fail(
        f"is {_kind(st.st_mode)}, not a {what}{by}",
        f"give the path of a regular {what} (.csv, .xlsx, .parquet, .toml)",
    )


def read_input_bytes(
    path: Path, what: str = "data file", *, named: bool = True, error: type[MfgIndexError] | None = None
) -> bytes:
    """The bytes of an input file, read once (a pipe is read to its end, within the size
    limit): :func:`check_input_file`, then one read.

    Raises
    ------
    DataError (or ``error``)
        As :func:`check_input_file`; a pipe that delivers more than the limit.
    """
    st = check_input_file(path, what, named=named, error=error)
    limit = _max_input_bytes()
    with path.open("rb") as fh:
        if stat.S_ISREG(st.st_mode):
            raw = fh.read(limit + 1)
        else:
            parts: list[bytes] = []
            total = 0
            while total <= limit:
                chunk = fh.read(min(1 << 20, limit + 1 - total))
                if not chunk:
                    break
                parts.append(chunk)
                total += len(chunk)
            raw = b"".join(parts)
    if len(raw) > limit:  # a file that grew while read, or a pipe that does not end
        cls = error or DataError
        raise cls(
            f"the {what} is larger than the limit of {_size_text(limit)}; it is not read",
            where=str(path),
            hint=_BIG_HINT,
        )
    return raw


#: Suffixes read as delimited text (a file without a suffix is tried as CSV).
TEXT_SUFFIXES = frozenset({".csv", ".txt", ".tsv", ""})
#: Suffixes read as Parquet.
PARQUET_SUFFIXES = frozenset({".parquet", ".pq"})


def file_sha256(path: Path) -> str:
    """SHA-256 of the file's bytes, read in 1 MiB chunks."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _check_path(path: Path) -> None:
    if str(path) == "-":
        raise DataError(
            "reading data from standard input is not supported",
            where="-",
            hint="save the data to a file and give its path",
        )
    if path.is_dir():
        raise DataError(
            "is a folder, not a data file",
            where=str(path),
            hint=f"give the data file itself, e.g. {path / 'data.csv'}",
        )


def _read_text_file(raw: bytes, path: Path, suffix: str) -> pd.DataFrame:
    import pandas as pd

    text = decode_text(raw, path)
    if not text.strip():
        raise DataError(
            "the file is empty", where=str(path), hint="a data file needs a header row and one row per unit"
        )
    sep = "\t" if suffix == ".tsv" else sniff_separator(text)
    names, cells = split_csv(text, sep, path)
    return pd.DataFrame(cells, columns=names, dtype=object)


def _read_excel(raw: bytes, path: Path, sheet: str | int) -> pd.DataFrame:
    import pandas as pd

    try:
        import openpyxl  # noqa: F401
    except ImportError:
        raise DataError(
            "reading Excel files needs openpyxl", where=str(path), hint="pip install 'mfgindex[excel]'"
        ) from None
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
                raise DataError(
                    f"no sheet number {sheet + 1}; the workbook's sheets: {', '.join(names)}",
                    where=str(path),
                    hint="--sheet takes a sheet's name or number (1 is the first)",
                )
            ws = book[names[sheet]]
        elif sheet in names:
            ws = book[sheet]
        else:
            from mfgindex.errors import did_you_mean

            raise DataError(
                f"no sheet '{sheet}'; the workbook's sheets: {', '.join(names)}."
                + did_you_mean(sheet, names),
                where=str(path),
                hint="--sheet takes a sheet's name or number (1 is the first)",
            )
        chosen = ws.title
        rows = [["" if v is None else v for v in row] for row in ws.iter_rows(values_only=True)]
    finally:
        book.close()
    rows = [r for r in rows if any(not (isinstance(v, str) and not v.strip()) for v in r)]
    if not rows:
        if len(names) > 1:
            raise DataError(
                f"sheet '{chosen}' is empty; the workbook's sheets: {', '.join(names)}",
                where=str(path),
                hint="choose the sheet that holds the data with --sheet NAME or --sheet N (1 is the first)",
            )
        return pd.DataFrame()
    header = rows[0]
    while header and header[-1] == "":
        header = header[:-1]
    width = len(header)
    body = [(r + [""] * width)[:width] for r in rows[1:]]
    columns = [str(c) if c != "" else f"(column {k + 1}, no name)" for k, c in enumerate(header)]
    frame = pd.DataFrame(body, columns=columns, dtype=object)
    frame.attrs["sheets"], frame.attrs["sheet"] = list(names), chosen  # for the messages
    return frame


def _read_parquet(raw: bytes | mmap.mmap, path: Path) -> pd.DataFrame:
    """A Parquet file's table, from its bytes or its mapping. pyarrow reads a mapping where it
    lies (30 ms at 100k x 50, against 38-41 ms for ``pandas.read_parquet`` of the file's
    path) and decodes every column into memory of its own: the table holds no reference to
    the mapping (``tests/test_fastcsv.py`` rewrites the file after the read)."""
    import pandas as pd

    try:
        if isinstance(raw, bytes):
            frame = pd.read_parquet(io.BytesIO(raw))
        else:
            import pyarrow as pa

            frame = pd.read_parquet(pa.BufferReader(pa.py_buffer(raw)))
    except ImportError:
        raise DataError(
            "reading Parquet files needs pyarrow", where=str(path), hint="pip install 'mfgindex[parquet]'"
        ) from None
    _check_scalar_columns(frame, path)
    return frame


def _check_scalar_columns(frame: pd.DataFrame, path: Path) -> None:
    """Refuse a column of lists, structs, maps or raw bytes (Parquet's nested and binary
    types): a cell must be one number or one text."""
    import numpy as np

    bad: list[str] = []
    for name in frame.columns:
        col = frame[name]
        if col.dtype != object:
            continue
        for v in col.tolist():
            if isinstance(v, list | tuple | dict | set | np.ndarray | bytes | bytearray):
                kind = (
                    "raw bytes"
                    if isinstance(v, bytes | bytearray)
                    else "records (a struct or map)"
                    if isinstance(v, dict)
                    else "lists"
                )
                bad.append(f"'{name}' ({kind})")
                break
    if bad:
        raise DataError(
            f"column{'s' if len(bad) > 1 else ''} {', '.join(bad[:10])}"
            f"{' and more' if len(bad) > 10 else ''} hold{'s' if len(bad) == 1 else ''} "
            "nested or binary values, not one number or text per cell",
            where=str(path),
            hint="flatten the table first (one column per value, e.g. pandas' explode or "
            "json_normalize), or cast the column to numbers or text",
        )


def _read_any(raw: bytes, path: Path, suffix: str, sheet: str | int, fast: _Fast | None) -> pd.DataFrame:
    """The file's bytes as a DataFrame, by the file's suffix (a CSV file through
    :func:`~mfgindex.data.fastcsv.read_csv_fast` first when ``fast`` names data columns)."""
    if suffix in TEXT_SUFFIXES:
        if fast is not None and fast.numeric:
            frame = _read_text_fast(raw, path, suffix, fast)
            if frame is not None:
                return frame
        return _read_text_file(raw, path, suffix)
    if suffix == ".xls":
        raise DataError(
            "the old Excel 97-2003 format (.xls) is not read",
            where=str(path),
            hint="open it in Excel and save as .xlsx, or as CSV UTF-8",
        )
    if suffix in {".xlsx", ".xlsm"}:
        return _read_excel(raw, path, sheet)
    if suffix in PARQUET_SUFFIXES:
        return _read_parquet(raw, path)
    raise DataError(
        f"unknown file type '{suffix}'", where=str(path), hint="data files are .csv, .xlsx or .parquet"
    )


def _read_text_fast(raw: bytes, path: Path, suffix: str, fast: _Fast) -> pd.DataFrame | None:
    """A text table through :func:`~mfgindex.data.fastcsv.read_csv_fast`: its bytes when they
    are UTF-8, else (GB18030, UTF-16 with a byte-order mark) its text as :func:`decode_text`
    reads it, in UTF-8. None when the fast path declines."""
    from mfgindex.data.fastcsv import read_csv_fast

    utf8 = raw.isascii()
    if not utf8:
        try:
            raw.decode("utf-8")
            utf8 = True
        except UnicodeDecodeError:
            pass
    if utf8:
        try:
            return read_csv_fast(raw, suffix, fast.numeric, fast.markers)
        except Exception:  # an oddity the checks did not foresee: the general reader
            return None  # reads the file, and names its problem if it has one
    encoded = _gb18030_fast(raw, path)
    if encoded is None:
        encoded = decode_text(raw, path).encode("utf-8")  # the general reader's decoding, and its errors
    try:
        return read_csv_fast(encoded, suffix, fast.numeric, fast.markers)
    except Exception:  # as above
        return None


def _gb18030_fast(raw: bytes, path: Path) -> bytes | None:
    """A file that is not UTF-8 in UTF-8, as :func:`decode_text` reads it, when it reads it as
    GB18030 (no byte-order mark, not binary, not UTF-8 with some other lines): transcoded
    where it is not ASCII only (:func:`~mfgindex.data.fastcsv.gb18030_as_utf8`). None for
    any other file, or bytes that are not GB18030 (:func:`decode_text` then says so)."""
    from mfgindex.data import decode, fastcsv

    if any(raw.startswith(bom) for bom, _ in decode.BOMS) or b"\x00" in raw[:4096]:
        return None
    decode.check_mixed(raw, path)  # as decode_text would, before GB18030
    return fastcsv.gb18030_as_utf8(raw)


class _Fast(NamedTuple):
    """What a reader may parse as numbers: the data columns, and the missing markers in force
    (lower case)."""

    numeric: frozenset[str]
    markers: frozenset[str]


def _read_guarded(
    path: Path, suffix: str, sheet: str | int, named: bool = True, fast: _Fast | None = None
) -> tuple[pd.DataFrame, Digest]:
    """:func:`_read_any` of the file's bytes (read once) and their SHA-256, with the readers'
    own exceptions turned into a :class:`DataError`. The bytes are hashed in a thread while
    they are parsed (hashlib releases the GIL)."""
    from concurrent.futures import ThreadPoolExecutor

    import pandas as pd

    try:
        if suffix in PARQUET_SUFFIXES or (fast is not None and fast.numeric and suffix in TEXT_SUFFIXES):
            mapped = _read_mapped(path, suffix, None if suffix in PARQUET_SUFFIXES else fast, named)
            if mapped is not None:
                return mapped
        raw = read_input_bytes(path, named=named)
        with ThreadPoolExecutor(max_workers=1) as pool:
            digest = pool.submit(lambda: hashlib.sha256(raw).hexdigest())
            frame = _read_any(raw, path, suffix, sheet, fast)
            hexdigest = digest.result()
        return frame, lambda: hexdigest
    except DataError:
        raise
    except pd.errors.ParserError as exc:
        raise DataError(
            f"malformed CSV: {exc}".strip(),
            where=str(path),
            hint="every row needs as many cells as the header; quote cells that contain the separator",
        ) from None
    except (ValueError, OSError, KeyError, ImportError, zipfile.BadZipFile, EOFError) as exc:
        what = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
        # The readers parse the bytes read (one read); name the file, not their buffer.
        what = what.replace("'<Buffer>'", f"'{path}'")
        raise DataError(
            f"cannot read the file: {what}",
            where=str(path),
            hint=f"check that the file is a complete, uncorrupted {suffix.lstrip('.') or 'CSV'} file",
        ) from None


def _read_mapped(
    path: Path, suffix: str, fast: _Fast | None, named: bool
) -> tuple[pd.DataFrame, Digest] | None:
    """A large CSV file (through the fast path) or Parquet file without a copy of its bytes:
    mapped into memory (``mmap``) and parsed by pandas from ``/proc/self/fd/N`` (a CSV file,
    on every core: the file this process opened, so a file renamed or replaced meanwhile is
    not the one read), or by pyarrow from the mapping (a Parquet file). The mapping is hashed
    in a thread (:class:`_Hasher`) that goes on while the table is parsed and checked — a CSV
    file's from when its header is read, the same thread counting the bytes the fast path
    looks at (:class:`~.fastcsv.ByteScan`), block by block as it hashes them; the digest is
    asked for at the end. A file written to while it is read (its size or times changed) is
    refused.

    None when the file is small, not a regular file, the system has no ``/proc/self/fd``, or
    the reader declines or fails (then the caller reads the bytes again, as usual, and names
    the problem if there is one: a decline costs one more read, not a wrong table).

    A mapped file that another program truncates meanwhile ends the process with SIGBUS;
    pandas' own reader maps a large file too, so nothing new is risked.
    """
    from mfgindex.data import fastcsv

    opened = _open_large(path, named)
    if opened is None:
        return None
    fd, before = opened
    hasher: _Hasher | None = None
    handed = False
    try:
        by_fd = f"/proc/self/fd/{fd}"
        frame: pd.DataFrame | None = None
        mapped = _map(fd)
        if mapped is None:  # a file system that cannot map files: read it instead
            return None
        hasher = _Hasher(mapped, fd, before, str(path))
        if fast is None:  # Parquet: hashed while pyarrow parses (on every core) and after,
            hasher.start()  # while the table is checked: 100k x 50, 92-100 ms -> 82-84 ms
            try:  # against the hash started after the parse
                frame = _read_parquet(mapped, path)
            except Exception:  # a broken file: the bytes are read again, and the reader
                return None  # names the problem
        else:  # hashed from when the header is read, the bytes scanned by the same thread
            try:
                frame = fastcsv.read_csv_fast(
                    mapped, suffix, fast.numeric, fast.markers, path=by_fd, begin=hasher.start_with
                )
            except Exception:  # an oddity the checks did not foresee: the general reader
                frame = None  # reads the file, and names its problem if it has one
        if frame is None:
            return None
        if hasher.ident is None:  # (a reader that did not call begin: hashed from here)
            hasher.start()
        if _changed(before, os.fstat(fd)):
            raise _changed_error(str(path))
        handed = True
        return frame, hasher.result
    finally:
        if hasher is None:
            os.close(fd)
        else:
            if not handed:
                hasher.abandon()
            hasher.release()  # done with the mapping here: the thread closes it when it is done


def _open_large(path: Path, named: bool) -> tuple[int, os.stat_result] | None:
    """A large regular file opened for :func:`_read_mapped`, and its ``fstat``; None when the
    file is small, not a regular file, empty, or the system has no ``/proc/self/fd``."""
    from mfgindex.data import fastcsv

    st = check_input_file(path, named=named)
    if not stat.S_ISREG(st.st_mode) or st.st_size < max(fastcsv.PARALLEL_BYTES, 1):
        return None
    if not os.path.isdir("/proc/self/fd"):
        return None
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    before = os.fstat(fd)
    if not stat.S_ISREG(before.st_mode) or before.st_size == 0:
        os.close(fd)
        return None
    return fd, before


def _map(fd: int) -> mmap.mmap | None:
    """The file read-only in memory, its pages mapped at once (``MAP_POPULATE`` on Linux: not
    one fault per page on first touch); None where the file system cannot map files."""
    import mmap

    flags = mmap.MAP_SHARED | getattr(mmap, "MAP_POPULATE", 0)
    try:
        return mmap.mmap(fd, 0, flags=flags, prot=mmap.PROT_READ)
    except (OSError, ValueError):
        return None


#: A digest to come: called, it returns the SHA-256 (hex) of the bytes read, or raises
#: :class:`DataError` if the file changed before they were all hashed.
Digest = Callable[[], str]


class _Hasher(threading.Thread):
    """SHA-256 of a mapped file in a thread, block by block (so that :meth:`cancel` stops it
    between blocks), started with :meth:`start` or, to scan each block too,
    :meth:`start_with`. When done it checks that the file did not change since
    ``before``. The mapping and the file are closed by whichever is done last, the thread or
    the caller (:meth:`release`).

    (Pausing the hash while pandas parses on both cores, or running it at the lowest
    priority, was measured: no faster; the time it takes is the time its bytes take.)"""

    #: bytes hashed between looks at :meth:`cancel` (about 0.15 s). Large on purpose: after
    #: each block the thread needs the GIL back, and while the main thread runs Python it gets
    #: it only at the interpreter's switch interval (5 ms), so small blocks stall the hash.
    BLOCK = 256 << 20

    def __init__(self, mapped: mmap.mmap, fd: int, before: os.stat_result, where: str) -> None:
        super().__init__(name="mfgindex-sha256")
        self.mapped, self._fd, self._before, self._where = mapped, fd, before, where
        self._lock = threading.Lock()
        self._users = 2  # the thread and the caller
        self._cancelled = self._changed = False
        self._digest = ""
        self._error: BaseException | None = None
        self._scan: fastcsv.ByteScan | None = None

    def start_with(self, scan: fastcsv.ByteScan) -> None:
        """Start, and run ``scan`` on each block once it is hashed."""
        self._scan = scan
        self.start()

    def run(self) -> None:
        scan, complete = self._scan, False
        # with a scan, blocks that stay in the cache between the hash and the scan
        block = scan.BLOCK if scan is not None else self.BLOCK
        try:
            h = hashlib.sha256()
            with memoryview(self.mapped) as view:
                for lo in range(0, len(view), block):
                    if self._cancelled:
                        return
                    h.update(view[lo : lo + block])  # releases the GIL
                    if scan is not None:
                        scan.feed(lo, min(lo + block, len(view)))
            complete = True
            self._digest = h.hexdigest()
            self._changed = _changed(self._before, os.fstat(self._fd))
        except BaseException as exc:  # handed to the caller by result()
            self._error = exc
        finally:
            if scan is not None:
                scan.finish(complete)
            self.release()

    def release(self) -> None:
        """One user (the thread, or the caller) is done with the mapping; the last one closes
        it and the file."""
        with self._lock:
            self._users -= 1
            if self._users:
                return
        with suppress(BufferError):  # a view of it is still alive: unmapped with the view
            self.mapped.close()
        os.close(self._fd)

    def cancel(self) -> None:
        """Stop hashing."""
        self._cancelled = True

    def abandon(self) -> None:
        """Stop hashing, and wait for the thread (or, if it never started, give up its share
        of the mapping)."""
        self.cancel()
        if self.ident is not None:
            self.join()
        else:
            self.release()

    def result(self) -> str:
        """The digest, once every byte is hashed.

        Raises
        ------
        DataError
            The file changed before every byte was hashed, or could not be read.
        """
        self.join()
        if isinstance(self._error, OSError):
            raise DataError(
                f"cannot read the file: {self._error.strerror or self._error}",
                where=self._where,
                hint="check that the file is on a working disk and that you may read it",
            )
        if self._error is not None:
            raise self._error
        if self._changed:
            raise _changed_error(self._where)
        return self._digest


def _changed_error(where: str) -> DataError:
    return DataError(
        "the file changed while it was read; nothing was computed from it",
        where=where,
        hint="read it again once the program writing it has finished",
    )


def _changed(before: os.stat_result, after: os.stat_result) -> bool:
    """Whether a file's size or modification times differ between two ``fstat`` calls."""
    return (before.st_size, before.st_mtime_ns, before.st_ctime_ns) != (
        after.st_size,
        after.st_mtime_ns,
        after.st_ctime_ns,
    )


def _as_text(frame: pd.DataFrame, suffix: str, numeric: set[str]) -> pd.DataFrame:
    """Every column as text cells, but the ``numeric`` ones that hold numbers (floats or
    integers); None and NaN from Excel or Parquet become empty cells. With ``numeric``, a
    column of pandas' ``str`` dtype (Arrow text: Parquet's, the CSV fast path's) stays one,
    its missing cells empty, so the checks after read it without a Python string per cell."""
    import pandas as pd

    dtypes = dict(zip(frame.columns, frame.dtypes, strict=True))  # one look, not one per column
    keep = {c for c, t in dtypes.items() if c in numeric and t.kind in "fiu"}
    if not keep:
        frame = frame.astype(object)
        return frame if suffix in TEXT_SUFFIXES else frame.where(frame.notna(), "")
    for col, dtype in dtypes.items():
        if col in keep or (suffix in TEXT_SUFFIXES and dtype.kind == "O"):
            continue  # numbers as they are; CSV cells are text already
        source = frame[col]
        # (asked of the column as read: an Arrow column knows its count of missing cells)
        missing = suffix not in TEXT_SUFFIXES and source.hasnans
        if isinstance(dtype, pd.StringDtype):
            frame[col] = source.fillna("") if missing else source
            continue
        column = source.astype(object)
        frame[col] = column.where(column.notna(), "") if missing else column
    return frame


def read_table(
    path: str | Path, *, all_text: bool = True, sheet: str | int = 0, named: bool = True
) -> pd.DataFrame:
    """Read a table file into a DataFrame of text cells (``all_text``) with the header as given.

    Raises
    ------
    DataError
        Missing file, unknown format, undecodable or malformed content, empty table, duplicate
        column names.
    """
    return read_table_hashed(path, all_text=all_text, sheet=sheet, named=named)[0]


def read_table_hashed(
    path: str | Path,
    *,
    all_text: bool = True,
    sheet: str | int = 0,
    named: bool = True,
    numeric: Collection[str] = (),
    missing: Iterable[str] = (),
) -> tuple[pd.DataFrame, str]:
    """:func:`read_table`, and the SHA-256 of the bytes the table was read from (one read).

    ``named``: the user named the file (a pipe such as ``/dev/stdin`` is read once); False for
    a file a framework names, which must be a regular file (:func:`check_input_file`).

    ``numeric``: columns that may stay numbers where the file holds plain numbers (``all_text``
    applies to the others): a Parquet column of floats or integers as it is, and a CSV file
    read by pandas' C parser when its cells allow it (:mod:`mfgindex.data.fastcsv`), given the
    missing markers in force (``missing``). The cells are those the number policy reads, so
    a caller's checks and messages are the same either way.

    Raises
    ------
    DataError
        As :func:`read_table`.
    """
    frame, digest = read_table_digest(
        path, all_text=all_text, sheet=sheet, named=named, numeric=numeric, missing=missing
    )
    return frame, digest()


def read_table_digest(
    path: str | Path,
    *,
    all_text: bool = True,
    sheet: str | int = 0,
    named: bool = True,
    numeric: Collection[str] = (),
    missing: Iterable[str] = (),
) -> tuple[pd.DataFrame, Digest]:
    """:func:`read_table_hashed` with the digest to come (:data:`Digest`): a large CSV file's
    bytes may still be being hashed when the table is returned, so a caller checks the table
    meanwhile and asks for the digest last. Asking raises :class:`DataError` if the file
    changed before its bytes were all hashed."""
    path = Path(path)
    _check_path(path)
    suffix = path.suffix.lower()
    fast = _Fast(frozenset(numeric), frozenset(m.lower() for m in missing)) if numeric else None
    frame, digest = _read_guarded(path, suffix, sheet, named, fast)
    attrs = dict(frame.attrs)
    frame.columns = [str(c).strip() for c in frame.columns]
    if frame.shape[1] == 0 or (len(frame) == 0 and suffix not in TEXT_SUFFIXES):
        raise DataError("the table is empty", where=str(path))
    counts = Counter(frame.columns)  # linear: 10,000 columns are checked at once
    dup = sorted(c for c, n in counts.items() if n > 1)
    if dup:
        raise DataError(
            f"duplicate column name(s): {', '.join(dup)}",
            where=str(path),
            hint="rename the columns so each name appears once",
        )
    if all_text:
        frame = _as_text(frame, suffix, set(numeric))
    frame.attrs.update(attrs)
    return frame, digest
