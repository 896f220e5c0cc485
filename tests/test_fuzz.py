"""Fuzzing the readers: random and mutated CSV bytes and TOML text.

Every input must either be read or raise :class:`~mfgindex.errors.MfgIndexError` — never another
exception (a traceback for the user). Inputs are written to real files, as a user would give
them, and go through :func:`read_table`, :func:`read_data` and :func:`load_framework`.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mfgindex as mi
from mfgindex.data import read_table
from mfgindex.errors import MfgIndexError
from tests.conftest import MINI_CSV, MINI_TOML

# FUZZ_EXAMPLES=3000 for a deeper run; 150 keeps the suite fast.
FUZZ = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

_TMP = Path(tempfile.mkdtemp(prefix="mfgindex-fuzz-"))
_MINI_FW_PATH = _TMP / "mini.toml"
_MINI_FW_PATH.write_text(MINI_TOML, encoding="utf-8")
_MINI_FW = mi.load_framework(_MINI_FW_PATH)


def _expect_clean(func: Callable[[Path], Any], path: Path) -> None:
    """Run ``func(path)``: success or an MfgIndexError with a non-empty message are fine."""
    try:
        func(path)
    except MfgIndexError as exc:
        assert str(exc).strip(), "an error must say something"
        assert "Traceback" not in str(exc)


def _write(name: str, data: bytes) -> Path:
    path = _TMP / name
    path.write_bytes(data)
    return path


# -- building blocks of plausible-but-broken files ----------------------------------------------

CELL = st.one_of(
    st.sampled_from(
        [
            "",
            "NA",
            "-",
            "—",
            "…",
            "无",
            "1,234",
            "１２３",
            "12.5%",
            "1e400",
            "nan",
            "inf",
            "-inf",
            "0x1F",
            "'5",
            '"7"',
            "=1+1",
            "1,5",
            "1.2.3",
            "%",
            ",",
            ";",
            "\t",
            '"',
            "\r",
            "\x00",
            "U1",
            "2019",
            "1e-400",
            "+",
            "٣",
            "½",
            "Ⅳ",
        ]
    ),
    st.text(max_size=6),
    st.integers(-(10**20), 10**20).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)
SEP = st.sampled_from([",", ";", "\t", "|", " ", ",,"])


@st.composite
def csv_text(draw: st.DrawFn) -> str:
    sep = draw(SEP)
    header = draw(
        st.one_of(
            st.just(["code", "name", "x1", "x2", "x3", "pop"]),
            st.just(["code", "year", "indicator", "value"]),
            st.lists(
                st.sampled_from(
                    [
                        "code",
                        "name",
                        "x1",
                        "x2",
                        "x3",
                        "pop",
                        "year",
                        "",
                        "x1 ",
                        "Code",
                        "indicator",
                        "value",
                        "iCode",
                        "Time",
                    ]
                ),
                min_size=0,
                max_size=8,
            ),
        )
    )
    rows = draw(st.lists(st.lists(CELL, min_size=0, max_size=len(header) + 2), max_size=6))
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    lines = [sep.join(header)] + [sep.join(r) for r in rows]
    return newline.join(lines) + draw(st.sampled_from(["", newline]))


@st.composite
def mutated(draw: st.DrawFn, base: bytes) -> bytes:
    """``base`` with a few random byte-level edits (flip, insert, delete, truncate)."""
    data = bytearray(base)
    for _ in range(draw(st.integers(1, 6))):
        if not data:
            break
        op = draw(st.sampled_from(["flip", "insert", "delete", "truncate", "dup"]))
        i = draw(st.integers(0, len(data) - 1))
        if op == "flip":
            data[i] = draw(st.integers(0, 255))
        elif op == "insert":
            data[i:i] = draw(st.binary(min_size=1, max_size=4))
        elif op == "delete":
            del data[i]
        elif op == "truncate":
            del data[i:]
        else:
            j = draw(st.integers(i, min(len(data), i + 20)))
            data[i:i] = data[i:j]
    return bytes(data)


# -- CSV ------------------------------------------------------------------------------------------


@FUZZ
@given(st.binary(max_size=300), st.sampled_from(["d.csv", "d.tsv", "d.txt", "d", "d.xlsx", "d.parquet"]))
def test_random_bytes_into_read_table(data: bytes, name: str) -> None:
    _expect_clean(read_table, _write(name, data))


@FUZZ
@given(csv_text(), st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "utf-16"]))
def test_generated_csv_into_read_data(text: str, encoding: str) -> None:
    try:
        raw = text.encode(encoding)
    except UnicodeEncodeError:
        raw = text.encode("utf-8", "surrogatepass")
    path = _write("g.csv", raw)
    _expect_clean(lambda p: mi.read_data(p, _MINI_FW), path)


@FUZZ
@given(mutated(MINI_CSV.encode("utf-8")))
def test_mutated_csv_into_read_data(data: bytes) -> None:
    path = _write("m.csv", data)
    _expect_clean(lambda p: mi.read_data(p, _MINI_FW), path)


@FUZZ
@given(mutated(MINI_CSV.encode("utf-8")))
def test_mutated_csv_scores_or_fails_cleanly(data: bytes) -> None:
    """Whatever reads must also compute (or fail with an MfgIndexError)."""
    path = _write("c.csv", data)

    def run(p: Path) -> None:
        ds = mi.read_data(p, _MINI_FW)
        res = mi.compute(_MINI_FW, ds)
        res.to_frame()
        res.diagnostics()
        res.require_scores()

    _expect_clean(run, path)


# -- TOML -----------------------------------------------------------------------------------------

TOML_VALUE = st.one_of(
    st.integers(-3, 3).map(str),
    st.sampled_from(
        [
            '"x"',
            '""',
            "true",
            "inf",
            "nan",
            "-0.0",
            "1e308",
            "[]",
            "[1, 2]",
            '["a", "b"]',
            "{}",
            "{ a = 1 }",
            '"mini"',
            '"a"',
            '"b"',
            '"x1"',
            '"minmax"',
            '"minmax(low=1, high=100)"',
            '"geometric"',
            '"log"',
            '"zscore(mean=__import__(1))"',
            '"rank(cuts=[1])"',
            "1979-05-27",
            '"minmax(low=1"',
            '"genmean(p=0)"',
            '"goalposts(low=0)"',
        ]
    ),
)
TOML_KEY = st.sampled_from(
    [
        "id",
        "parent",
        "name",
        "weight",
        "direction",
        "column",
        "denominator",
        "transform",
        "normalize",
        "aggregate",
        "weights",
        "target",
        "unit_column",
        "scale",
        "dataset",
        "min_coverage",
        "method",
        "cuts",
        "labels",
        "labels_zh",
        "children",
        "matrix",
        "direcion",
    ]
)
TABLE = st.sampled_from(
    ["[framework]", "[defaults]", "[stages]", "[[group]]", "[[indicator]]", "[[comparisons]]", "[extra]"]
)


@st.composite
def toml_text(draw: st.DrawFn) -> str:
    lines: list[str] = []
    for _ in range(draw(st.integers(0, 8))):
        lines.append(draw(TABLE))
        for _ in range(draw(st.integers(0, 5))):
            lines.append(f"{draw(TOML_KEY)} = {draw(TOML_VALUE)}")
    return "\n".join(lines) + "\n"


@st.composite
def edited_mini(draw: st.DrawFn) -> str:
    """The mini framework with some of its values replaced by plausible wrong ones."""
    lines = MINI_TOML.splitlines()
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(lines) - 1))
        if "=" in lines[i]:
            key = lines[i].split("=")[0].strip()
            lines[i] = f"{key} = {draw(TOML_VALUE)}"
        else:
            lines[i] = draw(st.one_of(TABLE, st.just("")))
    return "\n".join(lines)


def _load_and_score(path: Path) -> None:
    fw = mi.load_framework(path)
    fw.describe()
    if {i.column for i in fw.indicators} <= {"x1", "x2", "x3"}:
        ds = mi.read_data(_TMP / "mini_data.csv", fw)
        mi.compute(fw, ds).to_frame()


(_TMP / "mini_data.csv").write_text(MINI_CSV, encoding="utf-8")


@FUZZ
@given(toml_text())
def test_generated_toml_into_load_framework(text: str) -> None:
    _expect_clean(_load_and_score, _write("g.toml", text.encode("utf-8")))


@FUZZ
@given(edited_mini())
def test_edited_framework_loads_and_scores_or_fails_cleanly(text: str) -> None:
    _expect_clean(_load_and_score, _write("e.toml", text.encode("utf-8")))


@FUZZ
@given(mutated(MINI_TOML.encode("utf-8")))
def test_mutated_toml_bytes(data: bytes) -> None:
    _expect_clean(_load_and_score, _write("m.toml", data))


@FUZZ
@given(st.text(max_size=200))
def test_random_text_as_toml(text: str) -> None:
    _expect_clean(mi.load_framework, _write("t.toml", text.encode("utf-8", "surrogatepass")))


@FUZZ
@given(st.text(max_size=60))
def test_random_method_strings(text: str) -> None:
    from mfgindex.methods.registry import STAGES, resolve

    for stage in STAGES:
        with contextlib.suppress(MfgIndexError):
            resolve(stage, text)


@pytest.mark.parametrize(
    "inner",
    [
        "1" + "+1" * 100_000,
        "-" * 100_000 + "1",
        "not " * 50_000 + "1",
        "[1," * 5_000 + "]" * 5_000,
        "(" * 1_000 + "1" + ")" * 1_000,
        "9" * 5_000,
    ],
)
def test_pathological_method_strings(inner: str) -> None:
    """Deeply nested or huge parameters exhaust Python's parser: still one clean error."""
    from mfgindex.errors import MethodError
    from mfgindex.methods.registry import resolve

    with pytest.raises(MethodError):
        resolve("normalize", f"minmax(low={inner})")


def test_pathological_frameworks(tmp_path: Path) -> None:
    """Deeply nested TOML, and a tree thousands of levels deep: clean errors, not recursion."""
    from mfgindex.errors import FrameworkError

    deep = tmp_path / "deep.toml"
    deep.write_text("a = " + "[" * 100_000 + "]" * 100_000 + "\n", encoding="utf-8")
    with pytest.raises(FrameworkError, match="nests arrays or tables too deeply"):
        mi.load_framework(deep)
    lines = ["[framework]", 'id = "r"', 'unit_column = "code"']
    parent = "r"
    for i in range(3000):
        lines += ["[[group]]", f'id = "g{i}"', f'parent = "{parent}"']
        parent = f"g{i}"
    lines += ["[[indicator]]", 'id = "x1"', f'parent = "{parent}"', "direction = 1"]
    chain = tmp_path / "chain.toml"
    chain.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(FrameworkError, match="more than 64 levels deep"):
        mi.load_framework(chain)
