"""The CSV fast path (``mfgindex.data.fastcsv``) against the general reader.

Reference: the general reader (the standard library's CSV reader and the number policy, cell
by cell), which the bad-input corpus pins down. Tolerance: none — the datasets must be equal
bit for bit (the matrix compared as bytes, so a -0.0 that became 0.0 fails), or both readers
must refuse the file with the same messages. The fast path must also decline (return None) on
every file whose shape it cannot check, so the general reader names the row.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mfgindex as mi
from mfgindex.data import fastcsv, numbers
from mfgindex.errors import DataError

FRAMEWORK = """
[framework]
id = "fast"
unit_column = "code"
name_column = "name"

[defaults]
normalize = "minmax"
aggregate = "arithmetic"

[[group]]
id = "g"
parent = "fast"

[[indicator]]
id = "x"
parent = "g"
direction = 1

[[indicator]]
id = "y"
parent = "g"
direction = -1

[[indicator]]
id = "z"
parent = "g"
direction = 1
denominator = "pop"
"""

COLUMNS = ["code", "name", "x", "y", "z", "pop", "note"]


@pytest.fixture(scope="module")
def fw(tmp_path_factory: pytest.TempPathFactory) -> mi.Framework:
    path = tmp_path_factory.mktemp("fw") / "fast.toml"
    path.write_text(FRAMEWORK, encoding="utf-8")
    return mi.load_framework(path)


def _general(path: Path, fw: mi.Framework, monkeypatch: pytest.MonkeyPatch) -> mi.Dataset | str:
    with monkeypatch.context() as m:
        m.setattr(fastcsv, "read_csv_fast", lambda *a, **k: None)
        return _read(path, fw)


def _read(path: Path, fw: mi.Framework) -> mi.Dataset | str:
    try:
        return mi.read_data(path, fw)
    except DataError as exc:
        return str(exc)


def _assert_same(fast: mi.Dataset | str, general: mi.Dataset | str) -> None:
    if isinstance(general, str) or isinstance(fast, str):
        assert fast == general
        return
    assert fast.columns == general.columns and fast.text_columns == general.text_columns
    assert np.ascontiguousarray(fast.matrix).tobytes() == np.ascontiguousarray(general.matrix).tobytes()
    assert fast.units.tolist() == general.units.tolist()
    assert (fast.names is None) == (general.names is None)
    if fast.names is not None and general.names is not None:
        assert fast.names.tolist() == general.names.tolist()
    assert fast.text.tolist() == general.text.tolist()
    assert fast.warnings == general.warnings
    assert fast.digest == general.digest and fast.content_digest == general.content_digest


def _taken(raw: bytes, fw: mi.Framework) -> bool:
    """Whether the fast path reads these bytes (rather than declining)."""
    numeric = frozenset(fw.indicator_columns())
    return fastcsv.read_csv_fast(raw, ".csv", numeric, numbers.MISSING_MARKERS) is not None


NUMBER_CELLS = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.floats(min_value=-1e6, max_value=1e6).map(lambda v: f"{v:.3f}"),
    st.integers(-(10**20), 10**20).map(str),
    st.sampled_from(
        ["", "  ", "0", "-0", "+0", "-0.0", "+1.5", " 2.5", "2.5 ", "1e5", "1E-3", ".5", "7.", "-07", "1_000"]
    ),
)
ODD_CELLS = st.sampled_from(
    [
        *("NA", "nan", "N/A", "-", "—", "inf", "-Infinity", "1e400", "True", "false"),
        *("１２", "12%", "−5", "2万", "x", "+7", " +1.1"),
    ]
)
TEXT_CELLS = st.sampled_from(
    [
        *("", "One", " Two", "苏州市", "a b ", "Total", "合计", "0012", "1.50", "NA"),
        *('"Korea, Rep."', '"a ""b"""', '""', '"x"', '"One"'),
    ]
)
QUOTED_NUMBERS = st.sampled_from(['"1.5"', '""', '"NA"', '"-0"', '"1,234"', '"  3"'])


@st.composite
def tables(draw: st.DrawFn) -> bytes:
    """A CSV file of the framework's columns: mostly numbers, sometimes odd cells, blank lines,
    lines of separators only, CRLF line ends, a ';' or tab separator; UTF-8 (with or without a
    byte-order mark), GB18030 or UTF-16."""
    n = draw(st.integers(1, 12))
    odd = draw(st.booleans())
    sep = draw(st.sampled_from([",", ";", "\t"]))
    lines = [sep.join(COLUMNS)]
    for i in range(n):
        cells = [f"U{i}", draw(TEXT_CELLS)]
        for _ in range(4):
            cells.append(draw(st.one_of(NUMBER_CELLS, ODD_CELLS, QUOTED_NUMBERS) if odd else NUMBER_CELLS))
        cells.append(draw(TEXT_CELLS))
        lines.append(sep.join(cells))
        extra = draw(st.sampled_from(["", "", "", "blank", "seps", "spaces"]))
        lines += {"": [], "blank": [""], "seps": [sep * (len(COLUMNS) - 1)], "spaces": ["   "]}[extra]
    end = draw(st.sampled_from(["\n", "\r\n"]))
    text = end.join(lines) + draw(st.sampled_from(["", end]))
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "utf-8-sig", "gb18030", "utf-16"]))
    return text.encode(encoding)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=tables(), by_path=st.booleans())
def test_fast_path_equals_the_general_reader(
    raw: bytes, by_path: bool, fw: mi.Framework, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``by_path``: pandas reads the bytes from an in-memory file's path, as it does a large
    file's (where it parses on every core)."""
    path = tmp_path / "t.csv"
    path.write_bytes(raw)
    with monkeypatch.context() as m:
        if by_path:
            m.setattr(fastcsv, "PARALLEL_BYTES", 0)
        fast = _read(path, fw)
    _assert_same(fast, _general(path, fw, monkeypatch))


def test_large_files_are_parsed_from_an_in_memory_file(fw: mi.Framework) -> None:
    """A file over 5 MB (pandas' threshold for its parallel reader) comes back as the same
    table from the in-memory file as from a buffer."""
    rng = np.random.default_rng(3)
    rows = [f"U{i},n,{v:.17g},{-v:.6g},{i % 7},{i + 1},t" for i, v in enumerate(rng.lognormal(0, 3, 120_000))]
    raw = ("code,name,x,y,z,pop,note\n" + "\n".join(rows) + "\n").encode()
    assert len(raw) > 5 << 20
    numeric = frozenset(fw.indicator_columns())
    by_path = fastcsv.read_csv_fast(raw, ".csv", numeric, numbers.MISSING_MARKERS)
    old = fastcsv.PARALLEL_BYTES
    try:
        fastcsv.PARALLEL_BYTES = len(raw) + 1
        by_buffer = fastcsv.read_csv_fast(raw, ".csv", numeric, numbers.MISSING_MARKERS)
    finally:
        fastcsv.PARALLEL_BYTES = old
    assert by_path is not None and by_buffer is not None and len(by_path) == 120_000
    assert by_path.equals(by_buffer)


def test_a_large_file_keeps_its_text_as_written(fw: mi.Framework, tmp_path: Path) -> None:
    """A large file is parsed in parts, each typed apart by pandas (its parallel reader, and
    the serial one in blocks): a text column of digits in the first part (``0012``) and words
    in the last must still come back cell for cell as written (a mix of numbers and strings
    would be read again as text)."""
    n = 150_000
    notes = [f"{i % 97:04d}" if i < n // 2 else f"w{i}" for i in range(n)]
    rows = "".join(f"U{i},name {i},{i}.5,,{i % 3},{i + 1},{notes[i]}\n" for i in range(n))
    path = tmp_path / "mixed.csv"
    path.write_text("code,name,x,y,z,pop,note\n" + rows, encoding="utf-8")
    assert path.stat().st_size > fastcsv.PARALLEL_BYTES
    ds = mi.read_data(path, fw)
    assert ds.text[:, ds.text_columns.index("note")].tolist() == notes
    assert ds.units[:3].tolist() == ["U0", "U1", "U2"] and len(ds) == n


def test_a_large_file_is_parsed_where_it_lies(
    fw: mi.Framework, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A large file is mapped, not copied: pandas parses the file this process opened
    (``/proc/self/fd/N``), and the digest is the file's own SHA-256."""
    import hashlib

    rows = "".join(f"U{i},n,{i}.5,,{i % 3},{i + 1},t\n" for i in range(500))
    text = "\ufeffcode,name,x,y,z,pop,note\n" + rows
    path = tmp_path / "big.csv"
    path.write_bytes(text.encode())
    seen: list[str | None] = []
    real = fastcsv.read_csv_fast

    def spy(*args: Any, **kwargs: Any) -> Any:
        seen.append(kwargs.get("path"))
        return real(*args, **kwargs)

    monkeypatch.setattr(fastcsv, "PARALLEL_BYTES", 1)
    monkeypatch.setattr(fastcsv, "read_csv_fast", spy)
    ds = mi.read_data(path, fw)
    assert seen and seen[0] is not None and seen[0].startswith("/proc/self/fd/")
    assert ds.digest == hashlib.sha256(path.read_bytes()).hexdigest()
    monkeypatch.undo()
    _assert_same(ds, _general(path, fw, monkeypatch))


def test_a_large_parquet_file_is_read_where_it_lies(
    fw: mi.Framework, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Parquet file is mapped and read by pyarrow where it lies: the same dataset and digest
    as from its bytes; a broken one gets the same message, naming the file (not
    ``/proc/self/fd/N``)."""
    import hashlib
    import mmap

    import pandas as pd

    pytest.importorskip("pyarrow")
    frame = pd.DataFrame(
        {
            "code": ["A", "B", "C"],
            "name": ["a", "b", "c"],
            "x": [1.5, None, 3.0],
            "y": [1, 2, 3],
            "z": [0.5, 0.25, 0.125],
            "pop": [10, 20, 30],
            "note": ["t", "", "u"],
        }
    )
    path = tmp_path / "t.parquet"
    frame.to_parquet(path, index=False)
    from_bytes = mi.read_data(path, fw)
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(path.read_bytes()[:-20])
    message = _read(broken, fw)
    from mfgindex.data import tables

    real = tables._read_parquet
    sources: list[object] = []

    def spy(raw: Any, where: Path) -> Any:
        sources.append(raw)
        return real(raw, where)

    monkeypatch.setattr(fastcsv, "PARALLEL_BYTES", 1)
    monkeypatch.setattr(tables, "_read_parquet", spy)
    mapped = mi.read_data(path, fw)
    assert isinstance(sources[0], mmap.mmap)
    _assert_same(mapped, from_bytes)
    assert mapped.digest == hashlib.sha256(path.read_bytes()).hexdigest()
    assert _read(broken, fw) == message and isinstance(message, str) and str(broken) in message
    assert "/proc/self" not in message


@settings(max_examples=60, deadline=None)
@given(
    lengths=st.lists(st.integers(0, 9), min_size=1, max_size=30),
    block=st.integers(1, 12),
)
def test_the_bytes_inside_quotes_are_gathered_in_groups(lengths: list[int], block: int) -> None:
    """:func:`fastcsv._inside_bytes` yields, group by group, exactly the bytes strictly inside
    each quoted span (empty spans, spans longer than a group), in order."""
    rng = np.random.default_rng(len(lengths) * 31 + block)
    opens, pos = [], 0
    for n in lengths:
        pos += int(rng.integers(0, 4))
        opens.append(pos)
        pos += n + 2
    a = rng.integers(0, 256, pos + 1).astype(np.uint8)
    o = np.array(opens)
    c = o + np.array(lengths) + 1
    old = fastcsv._INSIDE_BLOCK
    try:
        fastcsv._INSIDE_BLOCK = block
        got = list(fastcsv._inside_bytes(a, o, c))
    finally:
        fastcsv._INSIDE_BLOCK = old
    want = np.concatenate([a[i + 1 : j] for i, j in zip(o, c, strict=True)])
    joined = np.concatenate(got) if got else np.empty(0, dtype=np.uint8)
    assert joined.tobytes() == want.tobytes()
    assert all(part.size <= max(block, max(lengths)) for part in got)


MAPPED_CASES = {
    "plain": "code,name,x,y,z,pop,note\nA,a,1,2,3,4,t\nB,b,2,,4,5,t\n",
    "byte-order mark": "\ufeffcode,name,x,y,z,pop,note\nA,a,1,2,3,4,t\nB,b,2,3,4,5,t\n",
    "a short row": "code,name,x,y,z,pop,note\nA,a,1,2,3,4,t\nB,b,2,3,4\nC,c,1,2,3,4,t\n",
    "a long row": "code,name,x,y,z,pop,note\nA,a,1,2,3,4,t,extra\nB,b,2,3,4,5,t\n",
    "short and long rows": "code,name,x,y,z,pop,note\nA,a,1,2,3,4\nB,b,2,3,4,5,t,u\n",
    "a NUL byte": "code,name,x,y,z,pop,note\nA,a,1,2\x003,4,t\nB,b,2,3,4,5,t\n",
    "a lone CR": "code,name,x,y,z,pop,note\nA,a,1,2,3,4,t\rB,b,2,3,4,5,t\n",
    "CRLF": "code,name,x,y,z,pop,note\r\nA,a,1,2,3,4,t\r\nB,b,2,3,4,5,t\r\n",
    "leading spaces": "code,name,x,y,z,pop,note\nA, a,1, 2,3,4, t\nB,b,2,3,4,5,t\n",
    "quotes": 'code,name,x,y,z,pop,note\nA,"Korea, Rep.",1,2,3,4,"a ""b"""\nB,b,2,3,4,5,t\n',
    "quoted and spaced": 'code,name,x,y,z,pop,note\nA, "a",1,2,3,4,t\nB,b,2,3,4,5,t\n',
    "a blank line": "code,name,x,y,z,pop,note\nA,a,1,2,3,4,t\n\nB,b,2,3,4,5,t\n",
    "separators only": "code,name,x,y,z,pop,note\nA,a,1,2,3,4,t\n,,,,,,\nB,b,2,3,4,5,t\n",
    "a CR at the end": "code,name,x,y,z,pop,note\r\nA,a,1,2,3,4,t\r\nB,b,2,3,4,5,t\r",
    "a space first": " code,name,x,y,z,pop,note\nA,a,1,2,3,4,t\nB,b,2,3,4,5,t\n",
    "a space after the mark": "\ufeff code,name,x,y,z,pop,note\nA,a,1,2,3,4,t\n",
    "quoted spaces": 'code,name,x,y,z,pop,note\nA,"a, b",1,2,3,4," t"\nB,b,2,3,4,5,"x ,y"\n',
    "Excel's CSV UTF-8": '\ufeffcode,name,x,y,z,pop,note\r\nA,"Korea, Rep.",1,2,3,4,t u\r\nB,b,2,,4,5,t\r\n',
    "tabs, quotes, spaces, CRLF": 'code\tname\tx\ty\tz\tpop\tnote\r\nA\t"a\tb"\t1\t2\t3\t4\t u\r\n',
}


@pytest.mark.parametrize("block", [1, 7, 1 << 20])
@pytest.mark.parametrize("case", sorted(MAPPED_CASES))
def test_a_mapped_file_is_scanned_as_it_is_hashed(
    case: str, block: int, fw: mi.Framework, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A mapped file's separators, quotes, carriage returns, spaces and NUL bytes are looked
    for by the thread that hashes it, block by block while pandas parses: in blocks of one
    byte, of seven (lines and cells cut anywhere) or of a megabyte, the same dataset or the
    same message as the general reader's, and the same digest as the file's."""
    import hashlib

    path = tmp_path / "t.csv"
    path.write_bytes(MAPPED_CASES[case].encode())
    general = _general(path, fw, monkeypatch)
    seen: list[fastcsv.Counted | None] = []
    real = fastcsv.ByteScan.result

    def spy(self: fastcsv.ByteScan) -> fastcsv.Counted | None:
        seen.append(real(self))
        return seen[-1]

    monkeypatch.setattr(fastcsv, "PARALLEL_BYTES", 1)
    monkeypatch.setattr(fastcsv.ByteScan, "BLOCK", block)
    monkeypatch.setattr(fastcsv.ByteScan, "result", spy)
    fast = _read(path, fw)
    _assert_same(fast, general)
    if isinstance(fast, mi.Dataset):
        assert fast.digest == hashlib.sha256(path.read_bytes()).hexdigest()
    raw = path.read_bytes()
    body = raw[3:] if raw.startswith(b"\xef\xbb\xbf") else raw
    (got,) = seen
    assert got is not None
    sep = b"\t" if b"\t" in body.split(b"\n")[0] else b","
    assert (got.separators, got.quote, got.cr, got.space, got.nul) == (
        body.count(sep),
        b'"' in body,
        b"\r" in body,
        b" " in body,
        b"\x00" in body,
    )
    assert got.quotes.tolist() == [i for i, b in enumerate(body) if b == ord('"')]
    starts = [i for i, b in enumerate(body) if b == ord(" ") and (i == 0 or body[i - 1] in sep + b"\n\r")]
    assert got.cell_spaces.tolist() == starts
    crs = [i for i, b in enumerate(body) if b == ord("\r")]
    assert got.lone_cr == any(i + 1 == len(body) or body[i + 1] != ord("\n") for i in crs)


@pytest.mark.parametrize("compression", ["snappy", None])
def test_a_mapped_parquet_file_rewritten_after_the_read_leaves_the_dataset_alone(
    compression: str | None, fw: mi.Framework, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pyarrow reads a mapped Parquet file where it lies; the dataset must still own its
    values. An uncompressed file of plain (not dictionary) floats is the one whose bytes are
    the values themselves: rewritten in place after the read, the dataset does not change."""
    import pandas as pd

    pytest.importorskip("pyarrow")
    n = 2_000
    frame = pd.DataFrame(
        {
            "code": [f"U{i}" for i in range(n)],
            "name": ["n"] * n,
            "x": np.arange(n, dtype=float) + 0.5,
            "y": np.arange(n, dtype=float) * 2.0,
            "z": np.ones(n) * 3.0,
            "pop": np.arange(n, dtype=float) + 10.0,
            "note": ["t"] * n,
        }
    )
    path = tmp_path / "plain.parquet"
    frame.to_parquet(path, index=False, compression=compression, use_dictionary=False)
    monkeypatch.setattr(fastcsv, "PARALLEL_BYTES", 1)
    ds = mi.read_data(path, fw)
    before = ds.matrix.copy()
    raw = path.read_bytes()
    with path.open("r+b") as fh:  # the same file, every value byte changed where it lies
        fh.write(bytes(b ^ 0xFF for b in raw[4:-8]).join([raw[:4], raw[-8:]]))
    assert np.array_equal(ds.matrix, before)
    assert ds.units[:2].tolist() == ["U0", "U1"]


def test_a_file_that_cannot_be_mapped_is_read(
    fw: mi.Framework, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file system that cannot map files (some network and FUSE mounts): the file is read
    into memory as a small one is, with the same table and digest."""
    import mmap

    path = tmp_path / "t.csv"
    path.write_text("code,name,x,y,z,pop,note\nA,a,1,2,3,4,t\nB,b,2,3,4,5,t\n", encoding="utf-8")
    mapped = mi.read_data(path, fw)

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise OSError(19, "No such device")

    monkeypatch.setattr(fastcsv, "PARALLEL_BYTES", 1)
    monkeypatch.setattr(mmap, "mmap", refuse)
    _assert_same(mi.read_data(path, fw), mapped)


def test_a_file_written_while_it_is_read_is_refused(
    fw: mi.Framework, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another program appends to the file while it is parsed: the values and the digest may
    describe different bytes, so nothing is returned, and the message says why."""
    path = tmp_path / "growing.csv"
    path.write_text("code,name,x,y,z,pop,note\nA,a,1,2,3,4,t\nB,b,2,3,4,5,t\n", encoding="utf-8")
    real = fastcsv.read_csv_fast

    def writer(*args: Any, **kwargs: Any) -> Any:
        got = real(*args, **kwargs)
        with path.open("a", encoding="utf-8") as fh:
            fh.write("C,c,3,4,5,6,t\n")
        return got

    monkeypatch.setattr(fastcsv, "PARALLEL_BYTES", 1)
    monkeypatch.setattr(fastcsv, "read_csv_fast", writer)
    with pytest.raises(DataError, match="changed while it was read") as info:
        mi.read_data(path, fw)
    assert str(path) in str(info.value)


@pytest.mark.parametrize("encoding", ["gb18030", "utf-16"])
def test_other_encodings_take_the_fast_path_as_utf8(
    encoding: str, fw: mi.Framework, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A GB18030 file (Chinese Excel's CSV) or a UTF-16 one is decoded as the general reader
    decodes it, then parsed by pandas: the same dataset."""
    text = "code,name,x,y,z,pop,note\nA,苏州市,1.5,,2,10,工业\nB,南京市,NA,-3e2,4,20,\n"
    path = tmp_path / f"{encoding}.csv"
    path.write_bytes(text.encode(encoding))
    calls: list[bool] = []
    real = fastcsv.read_csv_fast

    def spy(*args: Any, **kwargs: Any) -> Any:
        got = real(*args, **kwargs)
        calls.append(got is not None)
        return got

    monkeypatch.setattr(fastcsv, "read_csv_fast", spy)
    fast = _read(path, fw)
    monkeypatch.undo()
    assert calls[-1] is True  # read by pandas' parser
    assert isinstance(fast, mi.Dataset) and fast.names is not None and fast.names[0] == "苏州市"
    _assert_same(fast, _general(path, fw, monkeypatch))


def test_plain_files_take_the_fast_path(fw: mi.Framework) -> None:
    """The checks are not so strict that nothing passes: numbers, empty cells, markers, text
    with spaces and Chinese, CRLF and a byte-order mark are all read by pandas' parser."""
    plain = "code,name,x,y,z,pop,note\nA,苏州市,1.5,,2,10,a b\nB, Two,NA,-3e2,4,20,\n"
    assert _taken(plain.encode(), fw)
    assert _taken(b"\xef\xbb\xbf" + plain.replace("\n", "\r\n").encode(), fw)
    # R's write.csv: every text quoted, the row-name column unnamed
    r_csv = '"","code","name","x","y","z","pop","note"\n"1","A","Korea, Rep.",1.5,NA,2,10,"a ""b"""\n'
    assert _taken(r_csv.encode(), fw)


@pytest.mark.parametrize(
    "text",
    [
        "code,name,x,y,z,pop,note\nA,a,1,2,3,4\n",  # a short row: pandas would pad it
        "code,name,x,y,z,pop,note\nA,a,1,2,3,4,5,6\nB,b,1,2,3,4,5,6\n",  # one cell too many
        "code,name,x,y,z,pop,note\nA,a,1,2,3,4,5,6\nB,b,1,2,3,4\n",  # long and short: same count
        'code,name,x,y,z,pop,note\nA,a "b",1,2,3,4,5\n',  # a quote inside an unquoted cell
        'code,name,x,y,z,pop,note\nA,"a\nb",1,2,3,4,5\n',  # a line break inside quotes
        'code,name,x,y,z,pop,note\nA, "a,b",1,2,3,4,5\n',  # a space before the quote
        'code,name,x,y,z,pop,note\nA,"a,1,2,3,4,5\n',  # a quote not closed
        "code,name,x,y,z,pop,note\rA,a,1,2,3,4,5\r",  # lone carriage returns
        "code,name,x,y,z,pop,note,\nA,a,1,2,3,4,5,\n",  # trailing separators
        "code,name,x,x,z,pop,note\nA,a,1,2,3,4,5\n",  # a duplicate name
        "\ncode,name,x,y,z,pop,note\nA,a,1,2,3,4,5\n",  # the header not on the first line
        "unit,indicator,value\nA,x,1\n",  # a long table
    ],
)
def test_fast_path_declines_what_it_cannot_check(text: str, fw: mi.Framework) -> None:
    assert not _taken(text.encode(), fw)


def test_declined_files_read_as_before(
    fw: mi.Framework, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A short row is an error naming the row, whichever path looked first."""
    path = tmp_path / "short.csv"
    path.write_text("code,name,x,y,z,pop,note\nA,a,1,2,3,4,5\nB,b,1,2\n", encoding="utf-8")
    got = _read(path, fw)
    assert isinstance(got, str) and "row 3" in got and "4 cells, but the header has 7" in got
    assert got == _general(path, fw, monkeypatch)


def test_numbers_pandas_reads_are_read_again_as_the_policy_reads_them(
    fw: mi.Framework, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Integers beyond 64 bits are read exactly, an infinity is refused quoting the cell as
    written, a true/false column is named as such."""
    path = tmp_path / "odd.csv"
    big = "123456789012345678901234567890"
    path.write_text(f"code,name,x,y,z,pop,note\nA,a,{big},1,3,4,\nB,b,0,2,3,5,\n", encoding="utf-8")
    ds = _read(path, fw)
    assert isinstance(ds, mi.Dataset) and ds.column("x")[0] == float(big)
    _assert_same(ds, _general(path, fw, monkeypatch))
    path.write_text("code,name,x,y,z,pop,note\nA,a,Infinity,1,3,4,\nB,b,True,2,3,5,\n", encoding="utf-8")
    got = _read(path, fw)
    assert isinstance(got, str) and "'Infinity' is not a number" in got
    path.write_text("code,name,x,y,z,pop,note\nA,a,1,True,3,4,\nB,b,2,False,3,5,\n", encoding="utf-8")
    got = _read(path, fw)
    assert isinstance(got, str) and "'True' is not a number" in got
    assert got == _general(path, fw, monkeypatch)


def _halfway(values: list[float]) -> list[str]:
    """Decimal text exactly halfway between each value and the next double (a tie, rounded to
    even), and just above it (one more digit far down the mantissa: rounded up)."""
    import decimal

    out: list[str] = []
    with decimal.localcontext(decimal.Context(prec=1200)):
        for a in values:
            mid = (decimal.Decimal(a) + decimal.Decimal(float(np.nextafter(a, np.inf)))) / 2
            mantissa, exponent = format(mid, "e").split("e")
            out += [f"{mantissa}e{exponent}", f"{mantissa}000000001e{exponent}"]
    return out


def test_decimal_text_is_rounded_as_python_rounds_it(
    fw: mi.Framework, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pandas' C parser gives the double nearest to the decimal text, as ``float`` does:
    halfway cases with long mantissas, subnormals, explicit signs and exponents."""
    rng = np.random.default_rng(7)
    x = rng.lognormal(0, 30, 400).tolist()
    cells = [repr(v) for v in x] + _halfway(x[:100]) + ["+" + repr(v) for v in x[:50]]
    cells += ["4.9406564584124654e-324", "2.2250738585072011e-308", "1.7976931348623157e308"]
    cells += [f"{v:.25e}" for v in x[:100]]
    rows = "".join(f"U{i},n,{c},1,2,3,\n" for i, c in enumerate(cells))
    path = tmp_path / "digits.csv"
    path.write_text("code,name,x,y,z,pop,note\n" + rows, encoding="utf-8")
    assert _taken(path.read_bytes(), fw)
    ds = _read(path, fw)
    assert isinstance(ds, mi.Dataset)
    expected = np.array([float(c) for c in cells])
    assert ds.column("x").tobytes() == expected.tobytes()
    _assert_same(ds, _general(path, fw, monkeypatch))


GB_TEXT = st.text(
    alphabet=st.one_of(
        st.sampled_from(list(',;\t\n\r "0123456789.-abcXYZ@~')),
        st.sampled_from(list("苏州市南京工业园区合计（）：，€£é😀𠀀")),
        st.characters(min_codepoint=0x80, max_codepoint=0x10FFFF, exclude_categories=("Cs",)),
    ),
    max_size=80,
)


@settings(max_examples=200, deadline=None)
@given(text=GB_TEXT)
def test_gb18030_is_transcoded_where_it_is_not_ascii(text: str) -> None:
    """Transcoding only the stretches that are not ASCII gives what decoding and encoding the
    whole file gives (4-byte GB18030 characters such as 😀 hold digit bytes; 2-byte ones can
    end in an ASCII letter)."""
    raw = text.encode("gb18030")
    assert fastcsv.gb18030_as_utf8(raw) == raw.decode("gb18030").encode("utf-8")


@pytest.mark.parametrize("raw", [b"a,\x81", b"\x81,b", b"x\x80y", b"ok,\xff\n", b"\x81\x30\x81"])
def test_bytes_that_are_not_gb18030_are_left_to_the_whole_decoding(raw: bytes) -> None:
    """A stretch that is not GB18030 gives None: the caller decodes the whole file, whose
    error names the byte."""
    with pytest.raises(UnicodeDecodeError):
        raw.decode("gb18030")
    assert fastcsv.gb18030_as_utf8(raw) is None


def test_a_file_of_text_more_than_table_is_transcoded_as_a_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    """Past a bound on the bytes that are not ASCII (their positions would take more memory
    than the file), the transcoding is left to decoding the whole file."""
    raw = "苏州市,南京市\n".encode("gb18030")
    assert fastcsv.gb18030_as_utf8(raw) == raw.decode("gb18030").encode("utf-8")
    monkeypatch.setattr(fastcsv, "_MAX_HIGH", 5)
    assert fastcsv.gb18030_as_utf8(raw) is None
