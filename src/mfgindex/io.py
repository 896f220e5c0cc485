"""Writing results: CSV, JSON, XLSX, Parquet — atomically, with provenance.

Every write goes to a temporary file in the target folder and is renamed into place only when
complete, so a failed run leaves no partial file. Provenance travels with the result: inline
in JSON, a ``provenance`` sheet in XLSX, a ``<file>.provenance.json`` sidecar beside CSV and
Parquet.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mfgindex.errors import DataError, UsageError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["FORMATS", "atomic_path", "format_from_path", "to_json_text", "write_table"]

FORMATS = ("table", "csv", "json", "xlsx", "parquet")
_SUFFIX = {".csv": "csv", ".json": "json", ".xlsx": "xlsx", ".parquet": "parquet", ".pq": "parquet"}


def format_from_path(path: str | Path) -> str:
    """The output format implied by a file's suffix."""
    suffix = Path(path).suffix.lower()
    if suffix not in _SUFFIX:
        raise UsageError(f"cannot tell the output format from '{path}'",
                         hint="use a .csv, .json, .xlsx or .parquet file, or give --format")
    return _SUFFIX[suffix]


@contextlib.contextmanager
def atomic_path(target: Path, *, protect: Iterable[Path] = ()) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it onto ``target`` on success.

    Refuses to overwrite any of ``protect`` (the run's input files).
    """
    target = Path(target)
    for p in protect:
        with contextlib.suppress(OSError):
            if target.exists() and target.resolve() == Path(p).resolve():
                raise UsageError(f"refusing to overwrite the input file {target}",
                                 hint="choose another output file with -o")
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise DataError("the output folder does not exist", where=str(folder),
                        hint="create the folder first, or choose another -o path")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise DataError(f"cannot write here: {exc.strerror}", where=str(target),
                        hint="choose a folder you can write to") from None
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.replace(tmp_path, target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp_path.unlink()
        raise


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if hasattr(value, "item"):  # numpy scalars
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _records(frame: pd.DataFrame) -> list[dict[Any, Any]]:
    import pandas as pd

    out = []
    for row in frame.to_dict("records"):
        out.append({k: (None if v is pd.NA or (isinstance(v, float) and math.isnan(v)) else
                        _jsonable(v)) for k, v in row.items()})
    return out


def to_json_text(frame: pd.DataFrame, provenance: Mapping[str, Any] | None) -> str:
    doc: dict[str, Any] = {"rows": _records(frame)}
    if provenance is not None:
        doc = {"provenance": _jsonable(provenance), **doc}
    return json.dumps(doc, ensure_ascii=False, indent=2)


def write_table(
    frame: pd.DataFrame,
    path: str | Path,
    *,
    fmt: str | None = None,
    provenance: Mapping[str, Any] | None = None,
    protect: Iterable[Path] = (),
) -> list[Path]:
    """Write ``frame`` to ``path`` atomically in ``fmt`` (default: from the suffix).

    Returns the files written (the table, and a provenance sidecar for CSV/Parquet).
    """
    path = Path(path)
    fmt = fmt or format_from_path(path)
    protect = list(protect)
    written = [path]
    with atomic_path(path, protect=protect) as tmp:
        if fmt == "csv":
            frame.to_csv(tmp, index=False, float_format="%.17g", encoding="utf-8")
        elif fmt == "json":
            tmp.write_text(to_json_text(frame, provenance), encoding="utf-8")
        elif fmt == "xlsx":
            _write_xlsx(frame, tmp, provenance)
        elif fmt == "parquet":
            try:
                frame.to_parquet(tmp, index=False)
            except ImportError:
                raise DataError("writing Parquet needs pyarrow",
                                hint="pip install 'mfgindex[parquet]'") from None
        else:
            raise UsageError(f"unknown format '{fmt}'", hint=f"formats: {', '.join(FORMATS[1:])}")
    if provenance is not None and fmt in {"csv", "parquet"}:
        side = path.with_name(path.name + ".provenance.json")
        with atomic_path(side, protect=protect) as tmp:
            tmp.write_text(json.dumps(_jsonable(provenance), ensure_ascii=False, indent=2),
                           encoding="utf-8")
        written.append(side)
    return written


def _write_xlsx(frame: pd.DataFrame, path: Path, provenance: Mapping[str, Any] | None) -> None:
    try:
        from openpyxl import Workbook
    except ImportError:
        raise DataError("writing Excel files needs openpyxl",
                        hint="pip install 'mfgindex[excel]'") from None
    import pandas as pd

    wb = Workbook()
    ws = wb.active
    ws.title = "scores"
    ws.append([str(c) for c in frame.columns])
    for row in frame.itertuples(index=False):
        cells: list[Any] = []
        for v in row:
            if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
                cells.append(None)
            elif hasattr(v, "item"):
                cells.append(v.item())
            else:
                cells.append(v)
        ws.append(cells)
    # Text that starts with = + - @ would become a formula: force every text cell to a string.
    for row in ws.iter_rows(min_row=1):
        for cell in row:
            if isinstance(cell.value, str):
                cell.data_type = "s"
    if provenance is not None:
        prov = wb.create_sheet("provenance")
        prov.append(["key", "value"])
        for key, value in _jsonable(provenance).items():
            prov.append([key, json.dumps(value, ensure_ascii=False)])
        for row in prov.iter_rows():
            for cell in row:
                cell.data_type = "s"
    wb.save(path)
