"""AHP judgements files: pairwise comparisons read once, with the framework, and hashed.

A weight method never reads files (docs/architecture.md): ``ahp(file='judgements.csv')`` names a file that
is read here — when the framework is loaded (:func:`mfgindex.framework.load_framework` reads
every file its method strings name) or when a run's options name one
(:meth:`mfgindex.framework.Framework.with_judgements`). Its SHA-256 goes into the provenance,
and each group's matrix is handed to :func:`mfgindex.methods.weight.ahp` as an array.

The file has one row per judgement, columns ``parent, row, column, value``: "``row`` is
``value`` times as important as ``column``" (Saaty's 1–9 scale; fractions such as ``1/3`` are
read exactly). Only one of each pair is needed: the other is filled with the reciprocal, the
diagonal with 1. A pair given both ways must be reciprocal (checked by
:func:`mfgindex.methods.weight.ahp_weights`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from mfgindex.errors import DataError, MethodError

__all__ = ["COLUMNS", "Judgement", "Judgements", "judgement_files", "read_judgements"]

COLUMNS = ("parent", "row", "column", "value")


@dataclass(frozen=True)
class Judgement:
    """One row of a judgements file: ``row`` is ``value`` times as important as ``column``."""

    parent: str
    row: str
    column: str
    value: str
    line: int  # the file row (the header is row 1), for messages


@dataclass(frozen=True)
class Judgements:
    """The judgements of one file, as read; the matrix of a group is built on demand.

    Only the rows of the groups that use the file are checked (a file may hold judgements for
    groups weighted another way), so problems in a group's rows are reported when its matrix
    is built — by the run — with the same messages as before.
    """

    file: str
    digest: str
    rows: tuple[Judgement, ...]

    def matrix(self, parent: str, children: Sequence[str]) -> np.ndarray | None:
        """The ``(k, k)`` comparison matrix of ``parent``'s children (in that order), or None
        when the file has no row for ``parent``.

        Raises
        ------
        MethodError
            A value that is not a number, a name that is not a child of ``parent``, a missing
            pair.
        """
        from mfgindex.data import parse_numbers

        rows = [r for r in self.rows if r.parent == parent]
        if not rows:
            return None
        values, bad = parse_numbers([_fraction(r.value) for r in rows])
        if bad:
            raise MethodError(
                f"ahp: '{rows[bad[0]].value}' is not a number",
                where=f"{self.file}, row {rows[bad[0]].line}, column 'value'",
            )
        k = len(children)
        pos = {c: i for i, c in enumerate(children)}
        a = np.full((k, k), np.nan)
        np.fill_diagonal(a, 1.0)
        for r, v in zip(rows, values, strict=True):
            for name in (r.row, r.column):
                if name not in pos:
                    raise MethodError(
                        f"ahp: '{name}' is not a child of group '{parent}'",
                        where=f"{self.file}, row {r.line}",
                        hint=f"children of '{parent}': {', '.join(children)}",
                    )
            a[pos[r.row], pos[r.column]] = v
        with np.errstate(divide="ignore"):
            a = np.where(np.isnan(a), 1.0 / a.T, a)
        if np.isnan(a).any():
            i, j = map(int, np.argwhere(np.isnan(a))[0])
            raise MethodError(
                f"ahp: no judgement between '{children[i]}' and '{children[j]}' of group '{parent}'",
                where=self.file,
                hint="give every pair once (the reciprocal is filled in)",
            )
        return a


def _fraction(cell: str) -> object:
    """Judgements are often written as fractions ("1/3"): read those exactly."""
    text = cell.strip()
    if "/" in text:
        try:
            return float(Fraction(text))
        except (ValueError, ZeroDivisionError):
            return cell
    return cell


def read_judgements(file: str) -> Judgements:
    """Read a judgements file (path relative to the working folder), once, with its SHA-256.

    Raises
    ------
    MethodError
        The file cannot be read as a table, or lacks one of the columns
        ``parent, row, column, value``.
    """
    from mfgindex.data import read_table_hashed

    try:
        table, digest = read_table_hashed(Path(file))  # one read: parsed and hashed
    except DataError as exc:
        raise MethodError(
            f"ahp: cannot read the judgements file: {exc.what}", where=file, hint=exc.hint
        ) from None
    missing = [c for c in COLUMNS if c not in table.columns]
    if missing:
        raise MethodError(
            f"ahp: the judgements file has no column(s) {', '.join(missing)}",
            where=file,
            hint="columns: parent, row, column, value",
        )
    cells = table[list(COLUMNS)].astype(str).to_numpy().tolist()
    rows = tuple(
        Judgement(parent.strip(), row.strip(), column.strip(), value, line=i + 2)
        for i, (parent, row, column, value) in enumerate(cells)
    )
    return Judgements(file=file, digest=digest, rows=rows)


def judgement_files(specs: Iterable[object]) -> list[str]:
    """The judgements files named by ``ahp(file=...)`` among weight method strings (in order,
    each once); other strings and non-strings are skipped (validation reports those)."""
    from mfgindex.errors import MfgIndexError
    from mfgindex.methods.registry import resolve

    files: list[str] = []
    for spec in specs:
        if not isinstance(spec, str) or "ahp" not in spec:
            continue
        try:
            call = resolve("weight", spec)
        except MfgIndexError:
            continue
        file = call.kwargs.get("file") if call.name == "ahp" else None
        if isinstance(file, str) and file not in files:
            files.append(file)
    return files
