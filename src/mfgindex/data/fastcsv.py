"""The fast path of reading a CSV file: pandas' C parser, then the reading policy as vectorised
checks on what it parsed.

The general reader (:func:`mfgindex.data.decode.split_csv`) turns every cell into a Python
string: at 100,000 rows x 50 columns that is five million strings, and 20-30x the time of
pandas' C parser. Most files need none of it: their cells are plain numbers, empty cells and
text. This module parses such a file once with pandas' C engine — the framework's data columns
as numbers, every other column as text — and checks, vectorised, that what it parsed is what the
general reader and the number policy (:mod:`mfgindex.data.numbers`) would give:

* **The shape.** No lone carriage return, a header on the first line with distinct names,
  quoted cells that both readers read alike (quotes that open at the start of a cell and close
  at its end, doubled inside, no line break inside), and exactly
  ``(header cells - 1) x (rows + 1)`` separators outside quotes: so no row has too few cells
  (pandas would pad it with blanks) or too many (pandas would shift it into the index). Rows
  whose cells are all blank are dropped, and spaces at the start of a text cell removed, as
  the general reader does.
* **The cells.** A data column pandas read as floats holds plain numbers and empty cells only
  (missing markers such as ``NA`` or ``nan``, thousands separators, full-width digits, percent
  signs, units and true/false all make pandas keep the column as text), and pandas' C parser
  rounds decimal text to the nearest double, as Python's ``float`` does. The columns it kept as
  text go through the number policy as text, like every column of the general reader. Read
  again as text, to be safe, are a column where pandas read an infinity (the policy refuses
  it, quoting the cell), a column of true/false or of integers beyond 64 bits, and a column
  with a zero when the file may hold a ``-0`` (whose sign pandas keeps or not depending on
  whether it reads the column as integers).

When a check fails, :func:`read_csv_fast` returns None and the file is read by the general
reader, whose messages name the row and the cell; when it succeeds, the table equals the general
reader's — data columns as the floats the policy gives, bit for bit (``tests/test_fastcsv.py``
compares both on generated files).
"""

from __future__ import annotations

import codecs
import csv
import io
import mmap
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from mfgindex.data.decode import sniff_separator

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["read_csv_fast"]

#: Byte-order marks of the encodings pandas is not given here (UTF-16 and UTF-32 files).
_WIDE_BOMS = (b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")
_CR, _LF, _SPACE, _QUOTE, _MINUS, _ZERO = 13, 10, 32, ord('"'), ord("-"), ord("0")
#: the bytes whose positions a :class:`ByteScan` keeps (where they occur), as ``find`` takes them
_POSITIONED = (b'"', b" ", b"\r")
#: what may follow "-0" in a number that is not zero
_NONZERO_AFTER = np.frombuffer(b".123456789eE", dtype=np.uint8)


def read_csv_fast(
    raw: bytes | mmap.mmap,
    suffix: str,
    numeric: Collection[str],
    markers: Collection[str],
    *,
    path: str | None = None,
    begin: Callable[[ByteScan], None] | None = None,
) -> pd.DataFrame | None:
    """Read a CSV file's bytes with pandas' C parser when the checks above allow it.

    Parameters
    ----------
    raw
        The file's bytes, read once or mapped (the caller hashes the same bytes).
    suffix
        The file's suffix: ``.tsv`` is tab-separated, else the header's separator is sniffed.
    numeric
        The columns to parse as numbers (the framework's indicator and denominator columns).
    markers
        The missing markers in force, lower case; the fast path needs the empty cell among
        them (it is the one pandas is told to read as missing).
    path
        A path whose file holds exactly ``raw`` (``/proc/self/fd/N`` of the file ``raw`` maps),
        for pandas to parse, on every core when it is large; without it pandas is given the
        bytes (see :func:`_in_memory_file`).
    begin
        Called with a :class:`ByteScan` of the bytes once the header is read, by a caller that
        hashes them in a thread: the thread runs the scan on each block it has hashed, while
        pandas parses. Without it the bytes are looked at here, before the parse.

    Returns
    -------
    DataFrame or None
        The header's columns (stripped names) in order: data columns as float64 where every
        cell is a plain number or empty, the others as text (``object``, ``""`` for an empty
        cell), one row per non-blank line; None when the file must be read by the general
        reader.
    """
    if "" not in markers:
        return None
    # the bytes after a UTF-8 byte-order mark, as an offset (a slice would copy them)
    body = _Body(raw, len(codecs.BOM_UTF8) if raw[:3] == codecs.BOM_UTF8 else 0, path)
    if len(raw) == body.start or raw[body.start : body.start + 4].startswith(_WIDE_BOMS):
        return None
    if begin is None and body.has(b"\x00"):
        return None
    header = _header(body, suffix)
    if header is None:
        return None
    names, sep = header
    present = [n for n in names if n in numeric]
    if not present:  # a long table, or another framework's data: the general reader's job
        return None
    if begin is None:  # the shape first (a file that needs the general reader is not parsed)
        got = _shape(body, sep)
        if not _fits_shape(got):
            return None
        frame = _parse(body, sep, names, present, infer_text=True)
    else:  # the parse at once; the shape is counted meanwhile by the thread that hashes
        scan = ByteScan(body, sep)
        begin(scan)
        frame = _parse(body, sep, names, present, infer_text=True)
        counted = scan.result()
        if counted is None or counted.nul:  # (None: the hash stopped; its error comes with it)
            return None
        got = _shape(body, sep, counted)
        if not _fits_shape(got):
            return None
    if frame is None or not frame.index.equals(_range(len(frame))) or not _fits(frame, got, len(names)):
        return None
    return _as_policy_reads(frame, body, sep, names, present, got)


#: Bytes below ``0`` (0x30) are single characters in GB18030: no multibyte sequence holds one
#: (a 2-byte sequence's second byte is 0x40-0xFE, a 4-byte one's second and fourth 0x30-0x39).
_GB_SINGLE_BELOW = 0x30


def gb18030_as_utf8(raw: bytes) -> bytes | None:
    """``raw.decode("gb18030").encode("utf-8")``, transcoding only the stretches of the file
    that are not ASCII; None when a stretch is not GB18030 (the caller decodes the whole
    file, which names the byte).

    A stretch runs from the last byte below ``0`` before a non-ASCII byte to the first one
    after it — in a table, a cell with Chinese text, such as ``苏州市``. Those bytes (commas,
    quotes, line breaks, spaces) are characters of their own in GB18030, so the file's
    decoding is the stretches' decodings with the ASCII between them unchanged. All the
    stretches are decoded and encoded in one call, joined by line breaks. Measured on a
    100,000 x 50 file with a column of Chinese names (90 MB): 0.17 s against 0.34 s for the
    whole file decoded and encoded (most of the 0.17 s is copying the ASCII between).
    """
    a = np.frombuffer(raw, dtype=np.uint8)
    high = _high_positions(a, _MAX_HIGH)
    if high is None:  # text more than a table: decoded as a whole
        return None
    if not high.size:
        return raw
    # runs of consecutive non-ASCII bytes, then each widened to its stretch
    cut = np.flatnonzero(np.diff(high) > 1)
    starts = np.concatenate(([high[0]], high[cut + 1]))
    ends = np.concatenate((high[cut], [high[-1]])) + 1
    for _ in range(256):  # back to the byte after a single one (or the file's start)
        open_ = starts > 0
        open_[open_] = a[starts[open_] - 1] >= _GB_SINGLE_BELOW
        if not open_.any():
            break
        starts[open_] -= 1
    else:
        return None  # stretches of 256 ASCII bytes and more: not a table's cells
    for _ in range(256):
        open_ = ends < a.size
        open_[open_] = a[ends[open_]] >= _GB_SINGLE_BELOW
        if not open_.any():
            break
        ends[open_] += 1
    else:
        return None
    keep = np.concatenate(([True], starts[1:] != starts[:-1]))  # runs of one stretch: once
    starts, ends = starts[keep].tolist(), ends[keep].tolist()
    stretches = [raw[lo:hi] for lo, hi in zip(starts, ends, strict=True)]
    try:
        utf8 = b"\n".join(stretches).decode("gb18030").encode("utf-8").split(b"\n")
    except UnicodeDecodeError:
        return None
    # (bytes slices: slices of a memoryview were measured no faster, the copy being join's)
    pieces: list[bytes] = [b""] * (2 * len(starts) + 1)
    pieces[0::2] = [raw[lo:hi] for lo, hi in zip([0, *ends], [*starts, len(raw)], strict=True)]
    pieces[1::2] = utf8
    return b"".join(pieces)


#: Above this many bytes that are not ASCII (their positions take 8 bytes each), a file is
#: transcoded as a whole.
_MAX_HIGH = 1 << 24


def _high_positions(a: np.ndarray, most: int) -> np.ndarray | None:
    """The positions of the bytes 0x80 and above (not ASCII), in order; None when there are
    more than ``most``."""
    flags = np.empty(min(a.size, _SCAN_BLOCK), dtype=bool)
    parts, found = [], 0
    for lo in range(0, a.size, _SCAN_BLOCK):
        part = a[lo : lo + _SCAN_BLOCK]
        out = flags[: part.size]
        np.greater_equal(part, 0x80, out=out)
        parts.append(np.flatnonzero(out) + lo)
        found += parts[-1].size
        if found > most:
            return None
    return np.concatenate(parts) if parts else np.empty(0, dtype=np.intp)


class Counted(NamedTuple):
    """What a :class:`ByteScan` found: the separators; which bytes occur; and, where they
    occur, the positions (from the body's start) of the quote marks and of the spaces that
    start a cell (after a separator or a line break), and whether a carriage return stands
    alone."""

    separators: int
    quote: bool
    cr: bool
    space: bool
    nul: bool
    quotes: np.ndarray
    cell_spaces: np.ndarray
    lone_cr: bool


class ByteScan:
    """The looks of :func:`_shape` at a file's bytes — the separators counted, the quote
    marks, the spaces that start a cell and the carriage returns found, and whether a NUL
    byte occurs — taken block by block by the thread that hashes the bytes, each block right
    after it was hashed, while it is still in the processor's cache (measured at 100k x 50:
    hash and scan 99 ms, against 85 ms for the hash alone and 27 ms for the scan's passes
    over the file on their own; a file with a quoted column and spaces, 0.17 s less).

    The thread calls :meth:`feed` for each block in order and :meth:`finish` at the end (or
    when it stops early); :meth:`result` waits for it.
    """

    #: bytes per block: a block and its flags stay in a core's 2 MB cache (512 KB to 2 MB
    #: measured alike)
    BLOCK = 1 << 20

    def __init__(self, body: _Body, sep: str) -> None:
        import threading

        self._body, self._sep = body, ord(sep)
        self._flags = np.empty(0, dtype=bool)
        self._separators = 0
        self._nul = self._lone_cr = False
        self._quotes: list[np.ndarray] = []
        self._spaces: list[np.ndarray] = []
        self._crs = 0
        self._complete = False
        self._done = threading.Event()

    def feed(self, lo: int, hi: int) -> None:
        """Scan the bytes ``[lo, hi)`` of the file (those before the body's start are skipped)."""
        start = self._body.start
        lo = max(lo, start)
        if hi <= lo:
            return
        data = self._body.data
        if self._flags.size < hi - lo:
            self._flags = np.empty(hi - lo, dtype=bool)
        flags = self._flags[: hi - lo]
        # (a view of the block that lives until the call returns: the mapping may be closed)
        block = np.frombuffer(data, dtype=np.uint8, count=hi - lo, offset=lo)
        np.equal(block, self._sep, out=flags)
        self._separators += int(np.count_nonzero(flags))
        self._nul = self._nul or data.find(b"\x00", lo, hi) >= 0
        at = self._positions(block, flags, [b for b in _POSITIONED if data.find(b, lo, hi) >= 0])
        if _QUOTE in at:
            self._quotes.append(at[_QUOTE] + (lo - start))
        if _SPACE in at:
            spaces = at[_SPACE]
            before = block[np.maximum(spaces - 1, 0)]
            if spaces[0] == 0:  # the byte before the block (the body's start starts a cell)
                before[0] = data[lo - 1] if lo > start else _LF
            starts = (before == self._sep) | (before == _LF) | (before == _CR)
            self._spaces.append(spaces[starts] + (lo - start))
        if _CR in at:
            crs = at[_CR]
            self._crs += crs.size
            after = block[np.minimum(crs + 1, block.size - 1)]
            if crs[-1] == block.size - 1:  # the byte after the block (none: the file ends)
                after[-1] = data[hi] if hi < len(data) else _CR
            self._lone_cr = self._lone_cr or bool(np.any(after != _LF))

    def _positions(self, block: np.ndarray, flags: np.ndarray, found: list[bytes]) -> dict[int, np.ndarray]:
        """The positions in ``block`` of each byte ``found`` in it (a quote, a space, a CR).
        Two or more are found in one pass over the bytes up to the quote mark, sorted out
        after: a pass costs about as much as the positions it yields are few (measured on a
        file with quoted names, spaces and CRLF: 24 ms a pass, three passes against one).
        Each comparison goes into the one flag buffer."""
        codes = [b[0] for b in found]
        if len(codes) > 1 and self._sep > _QUOTE:  # (a tab would be among the low bytes)
            low = np.flatnonzero(np.less_equal(block, _QUOTE, out=flags))
            kind = block[low]
            return {code: low[kind == code] for code in codes}
        return {code: np.flatnonzero(np.equal(block, code, out=flags)) for code in codes}

    def finish(self, complete: bool) -> None:
        """Every block was fed (``complete``), or the thread stopped before the end."""
        self._complete = complete
        self._flags = np.empty(0, dtype=bool)
        self._done.set()

    def result(self) -> Counted | None:
        """What the scan found, once it is done; None when it stopped before the end."""
        self._done.wait()
        if not self._complete:
            return None
        empty = np.empty(0, dtype=np.intp)
        quotes = np.concatenate(self._quotes) if self._quotes else empty
        spaces = np.concatenate(self._spaces) if self._spaces else empty
        return Counted(
            self._separators,
            bool(self._quotes),
            bool(self._crs),
            bool(self._spaces),
            self._nul,
            quotes,
            spaces,
            self._lone_cr,
        )


class _Body(NamedTuple):
    """A file's bytes as the fast path reads them: ``data[start:]`` (after a byte-order mark),
    and the path of a file holding exactly ``data``, if there is one (see
    :func:`read_csv_fast`)."""

    data: bytes | mmap.mmap
    start: int
    path: str | None

    def has(self, sub: bytes) -> bool:
        """Whether ``sub`` occurs in the bytes (a memchr, no copy)."""
        return self.data.find(sub, self.start) >= 0

    def array(self) -> np.ndarray:
        """The bytes as a read-only ``uint8`` array (a view, not a copy)."""
        return np.frombuffer(self.data, dtype=np.uint8, offset=self.start)


def _fits_shape(got: _Shape) -> bool:
    """Whether the lines split and the quoted cells read as the general reader's do."""
    # (a space before a quote: the general reader skips it, pandas keeps it)
    return not (got.lone_cr or not got.quotes_ok or (got.quoted and got.leading_space))


def _fits(frame: pd.DataFrame, got: _Shape, width: int) -> bool:
    """Whether every row pandas read had ``width`` cells."""
    return got.separators == (width - 1) * (len(frame) + 1)


def _as_policy_reads(
    frame: pd.DataFrame, body: _Body, sep: str, names: list[str], present: list[str], got: _Shape
) -> pd.DataFrame | None:
    """The parsed frame made what the general reader gives: columns read again as text where
    pandas' numbers may differ from the policy's, leading spaces of text cells removed, blank
    rows dropped."""
    again = _columns_to_read_again(frame, present, lambda: _minus_zero(body))
    again += _text_read_as_numbers(frame, present)
    if again:
        text = _parse(body, sep, names, [], usecols=again)
        if text is None or len(text) != len(frame):
            return None
        for col in again:
            frame[col] = text[col]
    if got.leading_space:  # the general reader skips spaces at the start of a cell
        for col, dtype in zip(frame.columns, frame.dtypes, strict=True):
            if dtype.kind == "O":  # object, or pandas' str
                frame[col] = frame[col].str.lstrip(" ")
    return _without_blank_rows(frame)


def _text_read_as_numbers(frame: pd.DataFrame, present: list[str]) -> list[str]:
    """The other columns (text) that pandas read as numbers or true/false (ids such as
    ``0012``, a column of ``1.50``) in whole or in part, to be read again as text. The ones it
    read as text stay pandas' own ``str`` columns (Arrow text, empty cells ``""``: none is
    missing, as no marker is given for them), which the checks after read without making
    a Python string of each cell first. In part: pandas' parallel reader infers each part of a
    large file on its own, so a column of digits in one part and words in another comes back
    as a mix of numbers and strings."""
    import pandas as pd

    again: list[str] = []
    for col, dtype in zip(frame.columns, frame.dtypes, strict=True):
        if col in present or _is_arrow_text(dtype):
            continue
        if dtype.kind != "O" or pd.api.types.infer_dtype(frame[col], skipna=False) != "string":
            again.append(col)
    return again


def _is_arrow_text(dtype: Any) -> bool:
    """Whether a column's dtype is pandas' ``str`` (or ``string``) dtype."""
    import pandas as pd

    return isinstance(dtype, pd.StringDtype)


def _range(n: int) -> Any:
    import pandas as pd

    return pd.RangeIndex(n)


def _header(body: _Body, suffix: str) -> tuple[list[str], str] | None:
    """The header's names and the separator, or None when the header needs the general reader
    (not UTF-8, blank, a duplicate name, an empty cell after the last name). Unnamed cells
    are named as the general reader names them (R's ``write.csv`` leaves the first empty)."""
    end = body.data.find(b"\n", body.start)
    line = body.data[body.start :] if end < 0 else body.data[body.start : end]
    try:
        text = line.decode("utf-8").rstrip("\r")
    except UnicodeDecodeError:
        return None
    if not text.strip() or "\r" in text:  # a lone carriage return: the general reader's job
        return None
    sep = "\t" if suffix == ".tsv" else sniff_separator(text)
    cells = text.split(sep)
    if '"' in text:  # read as the general reader reads it
        try:
            cells = next(csv.reader([text], delimiter=sep, skipinitialspace=True))
        except csv.Error:
            return None
    if not cells[-1].strip():  # the general reader trims empty cells after the last name
        return None
    names = [c.strip() or f"(column {k + 1}, no name)" for k, c in enumerate(cells)]
    if len(set(names)) != len(names):
        return None
    return names, sep


class _Shape(NamedTuple):
    """What :func:`_shape` counts on the bytes."""

    #: the number of separators
    separators: int
    #: a carriage return stands alone: a line break the readers could split differently
    lone_cr: bool
    #: a cell starts with a space (after a separator or a line break)
    leading_space: bool
    #: the file has quote marks
    quoted: bool
    #: every quoted cell is simple: its quotes open at the start of a cell and close at its
    #: end (doubled inside, as ``""``), and it holds no line break
    quotes_ok: bool


def _shape(body: _Body, sep: str, counted: Counted | None = None) -> _Shape:
    """Counts on the file's bytes: see :class:`_Shape`; ``counted``: what a :class:`ByteScan`
    found already. Without it, a byte that does not occur is ruled out by one ``in`` (a
    memchr), before any pass of numpy over the bytes."""
    a = body.array()
    if counted is not None:
        return _counted_shape(a, ord(sep), counted)
    quoted = body.has(b'"')
    quotes_ok, spans = True, None
    if quoted:
        separators, spans = _outside_quotes(a, ord(sep))
        quotes_ok = spans is not None
    else:
        separators = _count(a, ord(sep))
    lone_cr = leading_space = False
    if body.has(b"\r"):  # every carriage return must start a CRLF pair
        cr = _positions(a, _CR)
        lone_cr = bool(cr[-1] == a.size - 1 or np.any(a[np.minimum(cr + 1, a.size - 1)] != _LF))
    if body.has(b" "):
        spaces = _positions(a, _SPACE)
        if spans is not None:  # spaces inside quotes are the cell's own
            spaces = spaces[~_inside(spaces, *spans)]
        before = a[np.maximum(spaces - 1, 0)]
        starts = (before == ord(sep)) | (before == _LF) | (before == _CR)
        leading_space = bool(spaces.size) and bool(spaces[0] == 0 or np.any(starts))
    return _Shape(separators, lone_cr, leading_space, quoted, quotes_ok)


def _counted_shape(a: np.ndarray, sep: int, counted: Counted) -> _Shape:
    """:func:`_shape` from a :class:`ByteScan`'s findings (``a``: the body's bytes)."""
    spans = None
    if counted.quote:
        separators, spans = _outside_quotes(a, sep, counted.separators, counted.quotes)
    else:
        separators = counted.separators
    spaces = counted.cell_spaces
    if spans is not None and spaces.size:  # spaces inside quotes are the cell's own
        spaces = spaces[~_inside(spaces, *spans)]
    return _Shape(
        separators, counted.lone_cr, bool(spaces.size), counted.quote, not counted.quote or spans is not None
    )


def _minus_zero(body: _Body) -> bool:
    """Whether a cell may be a negative zero (``-0``, ``-00``, ``-0.0``): whether pandas keeps
    its sign depends on whether it reads the column (or a part of it) as integers, so a column
    with a zero is read again as text when the file holds one. Asked only when a data column
    has a zero (a file of negative rates, say, has many ``-`` to look at)."""
    if not body.has(b"-"):
        return False
    a = body.array()
    minus = _positions(a, _MINUS)
    minus = minus[minus < a.size - 1]
    minus = minus[a[minus + 1] == _ZERO]
    if not minus.size:
        return False
    # "-0" not followed by more of a nonzero number (-0.5, -07 are not zeros)
    at = np.minimum(minus + 2, a.size - 1)
    after = np.where(minus + 2 < a.size, a[at], _LF)
    return bool(np.any(~np.isin(after, _NONZERO_AFTER)))


#: Bytes compared at a time by :func:`_count` and :func:`_positions` (a block's flags stay in
#: the cache: twice as fast as ``a == byte`` over the whole file, which writes a flag array as
#: large as the file).
_SCAN_BLOCK = 1 << 18


def _blocks(a: np.ndarray, byte: int) -> Iterator[tuple[int, np.ndarray]]:
    """``(offset, a[offset : offset + block] == byte)`` block by block, into one reused flag
    buffer (valid until the next block)."""
    flags = np.empty(min(a.size, _SCAN_BLOCK), dtype=bool)
    for lo in range(0, a.size, _SCAN_BLOCK):
        part = a[lo : lo + _SCAN_BLOCK]
        out = flags[: part.size]
        np.equal(part, byte, out=out)
        yield lo, out


def _count(a: np.ndarray, byte: int) -> int:
    """How often ``byte`` occurs in ``a``."""
    return sum(int(np.count_nonzero(flags)) for _, flags in _blocks(a, byte))


def _positions(a: np.ndarray, byte: int) -> np.ndarray:
    """The positions of ``byte`` in ``a``, in order (``np.flatnonzero(a == byte)``)."""
    parts = [np.flatnonzero(flags) + lo for lo, flags in _blocks(a, byte)]
    return np.concatenate(parts) if parts else np.empty(0, dtype=np.intp)


def _inside(at: np.ndarray, opens: np.ndarray, closes: np.ndarray) -> np.ndarray:
    """Which positions ``at`` lie strictly inside a quoted span (``opens[k] < at < closes[k]``)."""
    k = np.searchsorted(opens, at) - 1
    return (k >= 0) & (at < closes[np.maximum(k, 0)])


def _outside_quotes(
    a: np.ndarray, sep: int, separators: int | None = None, quotes: np.ndarray | None = None
) -> tuple[int, tuple[np.ndarray, np.ndarray] | None]:
    """The separators outside quoted cells, and the quoted spans (their opening and closing
    quotes' positions) when every quoted cell is simple (see :class:`_Shape`) — then the
    standard library's reader and pandas' read them alike — else None. ``separators``: all
    of them, and ``quotes``: the quote marks' positions, if counted already.

    Quote marks pair up in order, each pair enclosing a cell's text or, back to back, a
    doubled quote inside it (``"a""b"``: pairs 0-2 and 3-5). Only the bytes inside the pairs
    are looked at again: the separators among them are the cells' own, and a line break
    among them is one the readers could split differently. (Positions of every separator and
    line break, as a first version took, cost 0.17 s on a 100k x 50 file with one quoted
    column; the bytes inside its quotes are 1% of the file.)
    """
    q = quotes if quotes is not None else _positions(a, _QUOTE)
    if q.size % 2:
        return 0, None
    opens, closes = q[0::2], q[1::2]
    before = a[np.maximum(opens - 1, 0)]
    after = a[np.minimum(closes + 1, a.size - 1)]
    starts = (opens == 0) | (before == sep) | (before == _LF) | (before == _CR)
    starts[1:] |= opens[1:] == closes[:-1] + 1  # a doubled quote continues the cell
    ends = (closes == a.size - 1) | (after == sep) | (after == _LF) | (after == _CR)
    ends[:-1] |= closes[:-1] + 1 == opens[1:]
    if not (starts.all() and ends.all()):
        return 0, None
    inside_seps = 0
    for inside in _inside_bytes(a, opens, closes):
        if bool(np.any(inside == _LF)):
            return 0, None  # a line break inside a quoted cell
        inside_seps += int(np.count_nonzero(inside == sep))
    total = separators if separators is not None else _count(a, sep)
    return total - inside_seps, (opens, closes)


#: Bytes gathered at a time by :func:`_inside_bytes` (their positions take 8 bytes each).
_INSIDE_BLOCK = 1 << 22


def _inside_bytes(a: np.ndarray, opens: np.ndarray, closes: np.ndarray) -> Iterator[np.ndarray]:
    """The bytes strictly inside each quoted span ``(opens[k], closes[k])``, gathered span
    group by span group (about :data:`_INSIDE_BLOCK` bytes at a time, so that a file of long
    quoted texts needs no position array as large as itself)."""
    lengths = closes - opens - 1
    ends = np.cumsum(lengths)
    lo = 0
    while lo < lengths.size:
        base = int(ends[lo - 1]) if lo else 0
        hi = max(int(np.searchsorted(ends, base + _INSIDE_BLOCK, side="right")), lo + 1)
        group = lengths[lo:hi]
        n = int(group.sum())
        if n:
            # position of each inside byte: its span's first inside byte, plus its offset
            first = opens[lo:hi] + 1
            offsets = np.arange(n) - np.repeat(np.cumsum(group) - group, group)
            yield a[np.repeat(first, group) + offsets]
        lo = hi


def _parse(
    body: _Body,
    sep: str,
    names: list[str],
    present: list[str],
    usecols: list[str] | None = None,
    header: bool = True,
    infer_text: bool = False,
) -> pd.DataFrame | None:
    """pandas' C parser on the bytes: ``present`` columns with the empty cell as the one
    missing value (so they come back as floats when every other cell is a number), the others
    as text (``object``) — or, with ``infer_text``, as pandas infers them (no missing value:
    its ``str``, or numbers where every cell is one); None when pandas cannot parse the file.

    ``infer_text`` is the fast way: a column given as ``object`` costs pandas a third more
    time (measured on a 100k x 50 file: 0.21 s against 0.15 s), so the main parse leaves
    the text columns to pandas and the few it reads as numbers are read again as text."""
    import pandas as pd

    text = [] if infer_text else [n for n in (usecols or names) if n not in present]
    try:
        if body.path is not None:  # the file itself (pandas skips a byte-order mark)
            return _read_csv(body.path, sep, header, names, usecols, text, present)
        with _in_memory_file(memoryview(body.data)[body.start :]) as source:
            return _read_csv(source, sep, header, names, usecols, text, present)
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError):
        return None


#: Below this size a file is parsed from a buffer; above, from an in-memory file's path, which
#: pandas (3.1 and later) parses in parallel threads.
PARALLEL_BYTES = 5 << 20


@contextmanager
def _in_memory_file(body: memoryview) -> Iterator[str | io.BytesIO]:
    """The bytes as something pandas reads: a large file as the path of an anonymous
    in-memory file (Linux's ``memfd_create``; ``/proc/self/fd/N``), because pandas parses a
    file given by path on every core, a buffer on one; else (small, or another system) a
    buffer. Either way pandas parses exactly these bytes, the ones hashed."""
    import os

    create = getattr(os, "memfd_create", None)
    fd = -1
    if create is not None and len(body) >= PARALLEL_BYTES and os.path.isdir("/proc/self/fd"):
        try:
            fd = create("mfgindex-csv")
            done = 0
            while done < len(body):
                done += os.write(fd, body[done:])
        except OSError:
            if fd >= 0:
                os.close(fd)
            fd = -1
    try:
        yield f"/proc/self/fd/{fd}" if fd >= 0 else io.BytesIO(body)
    finally:
        if fd >= 0:
            os.close(fd)


def _read_csv(
    source: str | io.BytesIO,
    sep: str,
    header: bool,
    names: list[str],
    usecols: list[str] | None,
    text: list[str],
    present: list[str],
) -> pd.DataFrame:
    import pandas as pd

    return pd.read_csv(
        source,
        sep=sep,
        header=0 if header else None,
        names=names,
        usecols=usecols,
        # (no dict when there is no text column to name: given a dict, even an empty one,
        # pandas' parallel reader wraps every column as a Series and concatenates them,
        # instead of gathering the float columns into one block: 0.127 s against 0.111 s at
        # 100k x 50, and the block is then the dataset's matrix without a copy)
        dtype=dict.fromkeys(text, object) if text else None,
        keep_default_na=False,
        na_values={n: [""] for n in present},
        quoting=csv.QUOTE_MINIMAL,
        quotechar='"',
        doublequote=True,
        engine="c",
        encoding="utf-8",
        encoding_errors="strict",
    )


def _columns_to_read_again(
    frame: pd.DataFrame, present: list[str], minus_zero: Callable[[], bool]
) -> list[str]:
    """Data columns whose parsed values may differ from the policy's, to be read as text: an
    infinity, true/false, integers beyond 64 bits, a mix, a zero that may be a ``-0``. The
    columns pandas kept as text become text cells (``""`` for empty) in place, and integer
    columns floats. ``minus_zero`` (whether the file may hold a ``-0``) is asked once, at the
    first column with a zero."""
    import functools

    import pandas as pd

    signed_zero = functools.cache(minus_zero)
    again: list[str] = []
    for col in present:
        column = frame[col]
        kind = column.dtype.kind
        if kind == "f":  # two passes, no copy: an infinity shows in the bounds, a zero may
            values = column.to_numpy()  # lie between them (then the zeros are counted)
            if not values.size:
                continue
            low, high = np.fmin.reduce(values), np.fmax.reduce(values)
            infinite = bool(np.isinf(low) or np.isinf(high))
            if infinite or (low <= 0 <= high and np.count_nonzero(values) < values.size and signed_zero()):
                again.append(col)
        elif kind in "iu" and bool((column.to_numpy() == 0).any()) and signed_zero():
            again.append(col)
        elif kind in "iu":
            frame[col] = column.to_numpy(dtype=np.float64)
        elif isinstance(column.dtype, pd.StringDtype):  # all text: the policy reads it
            frame[col] = column.where(column.notna(), "").astype(object)
        else:  # true/false, integers beyond 64 bits, or a mix
            again.append(col)
    return again


def _without_blank_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame without rows whose every cell is blank (a line of separators only), which the
    general reader skips; the index is renumbered 0..n-1 as it is there. The float columns
    are looked at first, the text of the rows still blank after them."""
    blank = np.ones(len(frame), dtype=bool)
    floats = [c for c, t in zip(frame.columns, frame.dtypes, strict=True) if t.kind == "f"]
    for col in [*floats, *(c for c in frame.columns if c not in floats)]:
        if not blank.any():
            return frame
        values = frame[col].to_numpy()
        if values.dtype.kind == "f":
            blank &= np.isnan(values)
        else:
            rows = np.flatnonzero(blank)
            blank[rows] = [not str(v).strip() for v in values[rows]]
    return frame[~blank].reset_index(drop=True) if blank.any() else frame
