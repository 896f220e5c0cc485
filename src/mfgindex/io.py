"""Writing results: CSV, JSON, XLSX, Parquet, Markdown, LaTeX — atomically, with provenance.

Every write goes to a temporary file in the target folder and is renamed into place only when
complete, so a failed run leaves no partial file. Provenance travels with the result: inline
in JSON, a ``provenance`` sheet in XLSX, a ``<file>.provenance.json`` sidecar beside CSV and
Parquet.
"""

from __future__ import annotations

import contextlib
import errno
import json
import math
import os
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mfgindex.errors import DataError, UsageError

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "FORMATS",
    "atomic_path",
    "atomic_paths",
    "check_not_input",
    "check_target",
    "encode_csv",
    "forget_inputs",
    "format_from_path",
    "note_input",
    "run_inputs",
    "text_table",
    "to_json_text",
    "write_table",
]

FORMATS = ("table", "csv", "json", "xlsx", "parquet", "markdown", "latex")
#: CSV encodings: utf-8-sig (UTF-8 with a byte-order mark) and gb18030 open in Chinese Excel;
#: plain UTF-8 shows there as 乱码.
ENCODINGS = ("utf-8", "utf-8-sig", "gb18030")
_SUFFIX = {
    ".csv": "csv",
    ".json": "json",
    ".xlsx": "xlsx",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".md": "markdown",
    ".markdown": "markdown",
    ".tex": "latex",
}


def format_from_path(path: str | Path) -> str:
    """The output format implied by a file's suffix."""
    suffix = Path(path).suffix.lower()
    if suffix not in _SUFFIX:
        raise UsageError(
            f"cannot tell the output format from '{path}'",
            hint="use a .csv, .json, .xlsx, .parquet, .md or .tex file, or give --format",
        )
    return _SUFFIX[suffix]


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def _os_hint(exc: OSError) -> str:
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "you may not write in this folder: choose another -o path"
    if exc.errno == errno.EROFS:
        return "the file system is read-only: choose another -o path"
    if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return "the disk is full: free some space or choose another -o path"
    return "choose another -o path"


def _temp_beside(target: Path, folder: Path) -> Path:
    """Create an empty temporary file in ``folder`` (hidden, named after ``target``)."""
    try:
        fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise DataError(
            f"cannot create a file in folder '{folder}': {exc.strerror or exc}",
            where=str(target),
            hint=_os_hint(exc),
        ) from None
    try:
        # mkstemp creates the file 0600; the output gets the mode open() would give it: the
        # existing file's, else 0666 less the umask.
        if hasattr(os, "fchmod"):
            os.fchmod(fd, _target_mode(target))
    finally:
        os.close(fd)
    return Path(name)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _target_mode(target: Path) -> int:
    """The permission bits a file written at ``target`` gets: those of the file it replaces,
    else ``0o666 & ~umask`` (what ``open()`` creates)."""
    import stat

    try:
        return stat.S_IMODE(os.stat(target).st_mode)
    except OSError:
        return 0o666 & ~_umask()


# -- inputs are never overwritten ---------------------------------------------------------------

#: The files this process has read as inputs of a run (resolved path -> what it is), noted by
#: :func:`note_input`: every write refuses them, whatever the caller passes as ``protect``.
_INPUTS: dict[str, str] = {}
#: What each file :func:`run_inputs` met is (resolved path -> "data", "framework", …), so a
#: refusal can name it; a label alone protects nothing.
_LABELS: dict[str, str] = {}
SIDECAR = ".provenance.json"


def _key(path: str | os.PathLike[str]) -> str:
    """One spelling of a path: absolute, symbolic links resolved, case folded where the file
    system folds case (``os.path.normcase``)."""
    return os.path.normcase(os.path.realpath(os.fspath(path)))


def note_input(path: str | os.PathLike[str] | None, what: str = "input") -> None:
    """Note ``path`` (and its provenance sidecar) as an input of the run, so that no output
    of this process can replace it (:func:`check_not_input`). ``what`` names it in the message
    ("data", "framework", "AHP judgements", "uncertainty spec", …). None and ``"<frame>"``
    (data given as a DataFrame) are ignored."""
    if path is None or str(path) in ("", "<frame>", "-"):
        return
    _INPUTS.setdefault(_key(path), what)


def forget_inputs() -> None:
    """Forget the inputs noted so far (a long-lived process starting another run; tests)."""
    _INPUTS.clear()
    _LABELS.clear()


def run_inputs(
    framework: Any = None,
    data: Any = None,
    *extra: str | os.PathLike[str] | tuple[Any, str] | None,
    note: bool = True,
) -> list[Path]:
    """Every file a run reads, noted as inputs (:func:`note_input`) and returned: the data
    file, the framework file, its bundled dataset, the AHP judgements files it read, and
    ``extra`` (an uncertainty spec, a weights file, …; a path, or ``(path, what)`` to name it
    in the message). ``framework`` and ``data`` are a
    :class:`~mfgindex.framework.Framework` and a :class:`~mfgindex.data.Dataset` (or None).

    This is the one list of inputs every command passes to its writes (``protect=``); the
    writes also refuse every input noted before, and the provenance sidecar of each. With
    ``note=False`` the files are only returned, not noted: a library call (``mfgindex.write``)
    protects its own run's inputs without marking them for the rest of a long-lived process.
    """
    found: list[tuple[Any, str]] = []
    if data is not None:
        found.append((getattr(data, "source", None), "data"))
    if framework is not None:
        found.append((getattr(framework, "path", None), "framework"))
        found.append((getattr(framework, "dataset", None), "dataset"))
        for name, judgements in (getattr(framework, "judgements", None) or {}).items():
            found.append((getattr(judgements, "path", None) or name, "AHP judgements"))
    found += [p if isinstance(p, tuple) else (p, "input") for p in extra]
    out: list[Path] = []
    for path, what in found:
        if path is None or str(path) in ("", "<frame>", "-"):
            continue
        if note:
            note_input(path, what)
        _LABELS.setdefault(_key(path), what)
        out.append(Path(os.fspath(path)))
    return out


def check_not_input(target: str | os.PathLike[str], protect: Iterable[Any] = ()) -> None:
    """Refuse to write ``target`` when it is an input of the run: one of ``protect``, an input
    noted with :func:`note_input`, or the provenance sidecar (``<input>.provenance.json``) of
    one. Paths are compared as the file system sees them: relative or absolute, through
    symbolic and hard links, and without case where the file system ignores case.

    Raises
    ------
    UsageError
        ``target`` is an input (CLI exit code 2), naming which.
    """
    target = Path(os.fspath(target))
    candidates: dict[str, str] = dict(_INPUTS)
    for p in protect:
        if p is not None and str(p) not in ("", "<frame>", "-"):
            candidates.setdefault(_key(p), _LABELS.get(_key(p), "input"))
    key = _key(target)
    hit: str | None = None
    for path, what in candidates.items():
        name = f"the {what} file" if what != "input" else "an input file"
        if key in (path, _key(path + SIDECAR)):
            hit = name if key == path else f"the provenance sidecar of {name}"
            break
        if target.exists() and _same_file(target, Path(path)):
            hit = name
            break
    if hit is None:
        return
    raise UsageError(
        f"this is an input of the run ({hit}); refusing to overwrite it",
        where=str(target),
        hint="choose another output file with -o",
    )


def check_target(target: Path, *, protect: Iterable[Path] = (), probe: bool = False) -> Path:
    """Check that ``target`` can be written: not an input, not a folder, in an existing folder.

    With ``probe``, also create and remove a temporary file beside it, so a folder that cannot
    be written in fails before a long computation rather than after. Returns the folder the file
    goes in.

    Raises
    ------
    UsageError
        ``target`` is an input of the run: one of ``protect``, a file noted with
        :func:`note_input`, or the provenance sidecar of one (:func:`check_not_input`).
    DataError
        ``target`` is a folder, or its folder is missing or is a file.
    """
    if str(target) == "-":
        raise UsageError(
            "'-' means standard output, and this output is a file",
            where="-o -",
            hint="give a file name, e.g. -o result.xlsx",
        )
    check_not_input(target, protect)
    if target.is_dir():
        raise DataError(
            "is a folder, not a file",
            where=str(target),
            hint=f"give a file name, e.g. -o {target / 'scores.csv'}",
        )
    if target.exists() and not target.is_file():
        # A device, pipe or socket (/dev/stdout, /dev/null): renaming over it would replace it.
        raise DataError(
            "is not a regular file (a device, pipe or socket)",
            where=str(target),
            hint="to print the result, leave out -o (and give --format); else choose a file name",
        )
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.exists():
        raise DataError(
            "the output folder does not exist",
            where=str(folder),
            hint="create the folder first, or choose another -o path",
        )
    if not folder.is_dir():
        raise DataError(
            "is a file, so it cannot hold the output file",
            where=str(folder),
            hint="choose an -o path inside a folder",
        )
    if probe:
        _temp_beside(target, folder).unlink()
    return folder


@contextlib.contextmanager
def _terminate_as_exit() -> Iterator[None]:
    """While a file is written, SIGTERM (``kill``, a job scheduler's timeout) ends the process
    as SIGINT does, by an exception, so the ``finally`` of the write removes its hidden
    temporary file; the default would end the process at once and leave it. The previous
    handler comes back after the write. Only the main thread can set a handler: elsewhere
    (and on systems without SIGTERM) nothing changes."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "SIGTERM"):
        yield
        return
    previous = signal.getsignal(signal.SIGTERM)
    if previous not in (signal.SIG_DFL, None):  # the caller handles SIGTERM itself
        yield
        return

    def terminate(signum: int, frame: Any) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextlib.contextmanager
def atomic_paths(targets: Sequence[Path], *, protect: Iterable[Path] = ()) -> Iterator[list[Path]]:
    """Yield temporary paths beside ``targets``; rename each onto its target only when the
    whole block succeeds, so a failed run leaves neither a partial file nor a temporary one.

    Refuses to overwrite any of ``protect`` (the run's input files). Operating-system errors
    (permission denied, read-only or full disk) become :class:`DataError`.
    """
    # Write through a symbolic link to the file it names, rather than replacing the link.
    targets = [Path(os.path.realpath(t)) if Path(t).is_symlink() else Path(t) for t in targets]
    protect = list(protect)
    folders = [check_target(t, protect=protect) for t in targets]
    temps: list[Path] = []
    try:
        with _terminate_as_exit():
            for target, folder in zip(targets, folders, strict=True):
                temps.append(_temp_beside(target, folder))
            yield list(temps)
            for tmp, target in zip(temps, targets, strict=True):
                os.replace(tmp, target)
    except OSError as exc:
        where = str(getattr(exc, "filename", None) or targets[0])
        # a hidden temporary file is named by the file it was to become
        where = {str(t): str(g) for t, g in zip(temps, targets, strict=False)}.get(where, where)
        raise DataError(f"writing failed: {exc.strerror or exc}", where=where, hint=_os_hint(exc)) from None
    finally:
        for tmp in temps:
            with contextlib.suppress(OSError):
                tmp.unlink()


@contextlib.contextmanager
def atomic_path(target: Path, *, protect: Iterable[Path] = ()) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it onto ``target`` on success.

    Refuses to overwrite any of ``protect`` (the run's input files). See :func:`atomic_paths`.
    """
    with atomic_paths([Path(target)], protect=protect) as temps:
        yield temps[0]


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
        out.append(
            {
                k: (None if v is pd.NA or (isinstance(v, float) and math.isnan(v)) else _jsonable(v))
                for k, v in row.items()
            }
        )
    return out


def to_json_text(frame: pd.DataFrame, provenance: Mapping[str, Any] | None) -> str:
    doc: dict[str, Any] = {"rows": _records(frame)}
    if provenance is not None:
        doc = {"provenance": _jsonable(provenance), **doc}
    return json.dumps(doc, ensure_ascii=False, indent=2)


def encode_csv(frame: pd.DataFrame, encoding: str = "utf-8") -> bytes:
    """``frame`` as CSV bytes in ``encoding`` (``utf-8-sig`` starts with the BOM ``EF BB BF``).

    Raises
    ------
    DataError
        A cell cannot be written in ``encoding`` (gb18030 covers all of Unicode, so only a
        lone surrogate fails).
    """
    text = frame.to_csv(index=False)
    try:
        return text.encode(encoding)
    except UnicodeEncodeError as exc:
        raise DataError(
            f"a cell cannot be written in {encoding}: {exc.reason}", hint="use --encoding utf-8-sig"
        ) from None


def text_table(
    frame: pd.DataFrame,
    fmt: str,
    *,
    provenance: Mapping[str, Any] | None = None,
    digits: int = 2,
    caption: str = "",
) -> str:
    """``frame`` as JSON, a Markdown (GitHub) table or a LaTeX ``tabular`` (booktabs rules).

    Markdown and LaTeX are for papers: numbers with ``digits`` decimals, right-aligned;
    missing values as ``–``; text escaped (``|`` in Markdown; ``& % $ # _ { } ~ ^ \\`` in
    LaTeX). JSON keeps full precision and the provenance.
    """
    if fmt == "json":
        return to_json_text(frame, provenance)
    if fmt not in {"markdown", "latex"}:
        raise UsageError(f"unknown text format '{fmt}'", hint="json, markdown or latex")
    import pandas as pd

    numeric = [frame[c].dtype.kind in "fiu" or str(frame[c].dtype) == "Int64" for c in frame.columns]

    def cell(v: Any) -> str:
        if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
            return "–"
        if isinstance(v, float):
            return f"{v:.{digits}f}"
        return str(v)

    rows = [[cell(v) for v in row] for row in frame.itertuples(index=False)]
    heads = [str(c) for c in frame.columns]
    if fmt == "markdown":

        def md(text: str) -> str:
            return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")

        lines = [
            "| " + " | ".join(md(h) for h in heads) + " |",
            "|" + "|".join("---:" if n else ":---" for n in numeric) + "|",
        ]
        lines += ["| " + " | ".join(md(c) for c in row) + " |" for row in rows]
        return "\n".join(lines)
    spec = "".join("r" if n else "l" for n in numeric)
    lines = [
        f"\\begin{{tabular}}{{{spec}}}",
        "\\toprule",
        " & ".join(_latex(h) for h in heads) + " \\\\",
        "\\midrule",
    ]
    lines += [" & ".join(_latex(c) for c in row) + " \\\\" for row in rows]
    lines += ["\\bottomrule", "\\end{tabular}"]
    if caption:
        lines = [f"% {caption}", *lines]
    return "\n".join(lines)


_LATEX = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "–": "--",
}


def _latex(text: str) -> str:
    """``text`` with LaTeX's special characters escaped."""
    return "".join(_LATEX.get(ch, ch) for ch in text.replace("\n", " "))


def write_table(
    frame: pd.DataFrame,
    path: str | Path,
    *,
    fmt: str | None = None,
    provenance: Mapping[str, Any] | None = None,
    protect: Iterable[Path] = (),
    encoding: str = "utf-8",
    digits: int = 2,
) -> list[Path]:
    """Write ``frame`` to ``path`` atomically in ``fmt`` (default: from the suffix).

    ``encoding`` is the CSV's (:data:`ENCODINGS`; ``utf-8-sig`` writes a byte-order mark, so
    Excel reads Chinese text right); ``digits`` the decimals of Markdown and LaTeX tables.
    Returns the files written (the table, and a provenance sidecar for CSV, Parquet, Markdown
    and LaTeX).
    """
    path = Path(path)
    fmt = str(fmt or format_from_path(path))
    if fmt not in FORMATS[1:]:
        raise UsageError(f"unknown format '{fmt}'", hint=f"formats: {', '.join(FORMATS[1:])}")
    if encoding not in ENCODINGS:
        raise UsageError(f"unknown CSV encoding '{encoding}'", hint=f"encodings: {', '.join(ENCODINGS)}")
    targets = [path]
    if provenance is not None and fmt in {"csv", "parquet", "markdown", "latex"}:
        targets.append(path.with_name(path.name + ".provenance.json"))
    with atomic_paths(targets, protect=protect) as temps:
        tmp = temps[0]
        if fmt == "csv":
            try:
                frame.to_csv(tmp, index=False, encoding=encoding)
            except UnicodeEncodeError as exc:
                raise DataError(
                    f"a cell cannot be written in {encoding}: {exc.reason}", hint="use --encoding utf-8-sig"
                ) from None
        elif fmt in {"json", "markdown", "latex"}:
            tmp.write_text(
                text_table(frame, fmt, provenance=provenance, digits=digits) + "\n", encoding="utf-8"
            )
        elif fmt == "xlsx":
            _write_xlsx(frame, tmp, provenance)
        else:
            try:
                frame.to_parquet(tmp, index=False)
            except ImportError:
                raise DataError(
                    "writing Parquet needs pyarrow", hint="pip install 'mfgindex[parquet]'"
                ) from None
        if len(temps) > 1:
            temps[1].write_text(
                json.dumps(_jsonable(provenance), ensure_ascii=False, indent=2), encoding="utf-8"
            )
    return targets


def _write_xlsx(frame: pd.DataFrame, path: Path, provenance: Mapping[str, Any] | None) -> None:
    try:
        from openpyxl import Workbook
    except ImportError:
        raise DataError("writing Excel files needs openpyxl", hint="pip install 'mfgindex[excel]'") from None
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
    _readable_sheet(ws)
    if provenance is not None:
        _provenance_sheet(wb, provenance)
    _save_workbook(wb, path)


def _provenance_sheet(wb: Any, provenance: Mapping[str, Any]) -> None:
    prov = wb.create_sheet("provenance")
    prov.append(["key", "value"])
    for key, value in _jsonable(provenance).items():
        prov.append([key, json.dumps(value, ensure_ascii=False)])
    for row in prov.iter_rows():
        for cell in row:
            cell.data_type = "s"
    _readable_sheet(prov, max_width=100)


def _ignore_unraisable(_: Any) -> None:
    return None


def _save_workbook(wb: Any, path: Path) -> None:
    """``wb.save(path)``, with a failure (a full disk) raised once, cleanly: openpyxl streams
    each sheet through a generator that, when a write fails, raises again as the generator is
    collected — a second traceback ("Exception ignored in …") after the clean message. The
    workbook is built in memory, and the failed generators are collected here, silenced."""
    import gc
    import io as _io
    import sys

    buffer = _io.BytesIO()
    failure: tuple[int, str, str] | None = None
    hook = sys.unraisablehook
    sys.unraisablehook = _ignore_unraisable
    try:
        try:
            wb.save(buffer)
        except OSError as exc:
            failure = (exc.errno or errno.EIO, exc.strerror or str(exc), str(path))
        gc.collect()  # the failed writer's generators, while their second raise is silenced
    finally:
        sys.unraisablehook = hook
    if failure is not None:
        raise OSError(*failure)
    with path.open("wb") as fh:
        fh.write(buffer.getbuffer())


def _readable_sheet(ws: Any, *, max_width: int = 40) -> None:
    """Bold header row kept in view, columns wide enough for their header and text cells."""
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    ws.freeze_panes = "A2"
    for k, column in enumerate(ws.iter_cols(), start=1):
        column[0].font = Font(bold=True)
        # numbers are shown by Excel to fit; headers and text decide the width
        texts = [str(c.value) for c in column if isinstance(c.value, str)]
        widest = max((len(t) + sum(ord(ch) > 0x2E7F for ch in t) for t in texts), default=8)
        ws.column_dimensions[get_column_letter(k)].width = min(max(widest + 2, 10), max_width)
