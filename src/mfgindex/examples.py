"""The example inputs shipped with mfgindex, addressable by file name.

The package carries the datasets of its built-in frameworks (``city_2019.csv``,
``city_panel.csv``, ``hdi_2022.csv``, …), COINr's ASEM example as COINr's own tables
(``ASEM_iData.csv``, ``ASEM_iMeta.csv``) and uncertainty specs (``asem_sensitivity.toml``), each
with a ``SOURCE_*.md`` note (origin, licence, derivation). :func:`examples` lists them,
:func:`example_path` finds one, :func:`copy_examples` copies them (with their notes) into a
folder, and :func:`bundled_or_given` lets the command line accept an example's bare file name
wherever a file is expected::

    >>> from mfgindex.examples import example_path, examples
    >>> "city_panel.csv" in [e.name for e in examples()]
    True
    >>> example_path("ASEM_iMeta.csv").name
    'ASEM_iMeta.csv'
"""

from __future__ import annotations

import difflib
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar, overload

from mfgindex.errors import UsageError

__all__ = ["Example", "bundled_or_given", "copy_examples", "example_path", "examples"]

#: File suffixes listed as examples (the derivation scripts and notes are not inputs).
_INPUT_SUFFIXES = {".csv", ".xlsx", ".parquet", ".toml"}


@dataclass(frozen=True)
class Example:
    """One bundled example file.

    ``kind`` is ``data`` (a dataset: the DATA argument), ``framework`` (a COINr iMeta table:
    ``-f``) or ``spec`` (what varies in ``uncertainty`` / ``sensitivity``: ``--spec``).
    ``source`` is its SOURCE note (origin, licence, derivation), copied along with it.
    """

    name: str
    kind: str
    description: str
    path: Path
    source: Path | None


def _folders() -> list[Path]:
    from mfgindex.framework import builtin_data_dir

    data = builtin_data_dir()
    # Installed: mfgindex/_builtin/{data,specs}; in a checkout: examples/{data,specs}.
    return [data, data.parent / "specs"]


def _notes(folder: Path) -> dict[str, tuple[str, Path]]:
    """File name → (description, note) from the first line of each ``SOURCE_*.md``:
    ``# name[, name…] — description``."""
    out: dict[str, tuple[str, Path]] = {}
    for note in sorted(folder.glob("SOURCE_*.md")):
        first = note.read_text(encoding="utf-8").splitlines()[:1]
        match = re.fullmatch(r"#\s*(.+?)\s+—\s+(.+)", first[0].strip()) if first else None
        if match:
            for name in re.split(r",\s*", match.group(1)):
                out[name.strip("` ")] = (match.group(2), note)
    return out


def _kind(path: Path) -> str:
    if path.suffix == ".toml":
        return "spec"
    if path.suffix == ".csv":
        with path.open("rb") as fh:
            header = fh.readline().decode("utf-8-sig", errors="replace")
        if "iCode" in header.split(","):
            return "framework"
    return "data"


def examples() -> list[Example]:
    """Every bundled example file, datasets first, in name order within each folder."""
    found: list[Example] = []
    for folder in _folders():
        if not folder.is_dir():
            continue
        notes = _notes(folder)
        for path in sorted(folder.iterdir(), key=lambda p: p.name.lower()):
            if path.is_file() and path.suffix in _INPUT_SUFFIXES:
                description, note = notes.get(path.name, ("", None))
                found.append(Example(path.name, _kind(path), description, path, note))
    return found


def example_path(name: str) -> Path:
    """The bundled file called ``name`` (e.g. ``"city_panel.csv"``).

    Raises
    ------
    UsageError
        No example has that name; the message suggests the closest names.
    """
    table = {e.name: e.path for e in examples()}
    if name in table:
        return table[name]
    close = difflib.get_close_matches(name, table, n=3, cutoff=0.6)
    raise UsageError(
        f"no bundled example called '{name}'"
        + (f". Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""),
        hint=f"bundled examples: {', '.join(table)} (`mfgindex examples` lists them)",
    )


def copy_examples(
    folder: str | Path, names: list[str] | None = None, *, overwrite: bool = False
) -> list[Path]:
    """Copy bundled examples (default: all) and their SOURCE notes into ``folder``.

    The folder is created if needed. A file already there with the same content is left as it
    is, so copying twice is harmless; a *different* file of the same name is never replaced
    unless ``overwrite`` is true.

    Returns
    -------
    list of Path
        The files of ``folder`` that now hold the examples and notes, in copy order.

    Raises
    ------
    UsageError
        An unknown name, or a different file of the same name in ``folder``.
    """
    by_name = {e.name: e for e in examples()}
    chosen = [
        by_name[n] if n in by_name else by_name[example_path(n).name]
        for n in (names if names else list(by_name))
    ]
    sources = [p for e in chosen for p in (e.path, e.source) if p is not None]
    sources = list(dict.fromkeys(sources))
    dest = Path(folder)
    if dest.exists() and not dest.is_dir():
        raise UsageError(f"'{dest}' is a file, not a folder", hint="give a folder to copy into")
    clashes = [
        dest / s.name
        for s in sources
        if (dest / s.name).exists() and (dest / s.name).read_bytes() != s.read_bytes()
    ]
    if clashes and not overwrite:
        raise UsageError(
            f"{dest / clashes[0].name} exists and differs from the bundled example"
            + (f" (and {len(clashes) - 1} more)" if len(clashes) > 1 else ""),
            hint="copy into another folder, or overwrite them (--force)",
        )
    dest.mkdir(parents=True, exist_ok=True)
    out = []
    for src in sources:
        target = dest / src.name
        if not target.exists() or target.read_bytes() != src.read_bytes():
            shutil.copyfile(src, target)
        out.append(target)
    return out


T = TypeVar("T", str, Path)


@overload
def bundled_or_given(value: None) -> None: ...
@overload
def bundled_or_given(value: T) -> T: ...


def bundled_or_given(value: str | Path | None) -> str | Path | None:
    """``value``, or the bundled example it names.

    A bare file name (no folder) that does not exist in the working folder but is the name of a
    bundled example (``city_panel.csv``, ``ASEM_iMeta.csv``) becomes that example's path, so the
    README's commands run in any folder. Anything else — a path, an existing file, a built-in
    framework id such as ``city`` — is returned unchanged.
    """
    if value is None:
        return None
    path = Path(value)
    if path.exists() or path.name != str(value) or not path.suffix:
        return value
    for e in examples():
        if e.name == path.name:
            return str(e.path) if isinstance(value, str) else e.path
    return value
