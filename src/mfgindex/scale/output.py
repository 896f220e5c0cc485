"""Writing the Dask path's scores: partitioned Parquet with provenance, atomically.

The folder is written beside its target under a temporary name, then renamed into place, so a
failed run leaves no partial output. It holds ``part.N.parquet`` files (the provenance also in
each file's schema metadata, key ``mfgindex``) and ``_provenance.json``.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

from mfgindex.errors import UsageError

if TYPE_CHECKING:
    from mfgindex.scale.engine import ScaleResult

__all__ = ["PROVENANCE_FILE", "write_parquet"]

#: The provenance file inside an output folder; its presence marks a folder this wrote.
PROVENANCE_FILE = "_provenance.json"


def write_parquet(result: ScaleResult, folder: str | Path) -> Path:
    """Write ``result`` to ``folder`` (partitioned Parquet + ``_provenance.json``) atomically.

    An existing folder is replaced only when it is empty or a previous output (it holds
    ``_provenance.json``); any other folder or a file there is an error, never deleted.

    Returns
    -------
    Path
        The folder written.
    """
    from mfgindex.io import _jsonable

    target = Path(folder)
    if target.exists():
        if not target.is_dir():
            raise UsageError(
                f"'{target}' is a file: the Dask path writes a folder of Parquet files",
                where="--output",
                hint="give a folder, e.g. -o out/",
            )
        if any(target.iterdir()) and not (target / PROVENANCE_FILE).is_file():
            raise UsageError(
                f"'{target}' is a folder that is not empty and was not written by mfgindex: it is left alone",
                where="--output",
                hint="give a new or empty folder",
            )
    parent = target.resolve().parent
    if not parent.is_dir():
        raise UsageError(f"no folder '{parent}' to write '{target.name}' in", where="--output")
    temp = parent / f".{target.name}.tmp-{uuid.uuid4().hex[:8]}"
    text = json.dumps(_jsonable(result.provenance), ensure_ascii=False, indent=2)
    try:
        result.frame.to_parquet(
            str(temp), write_index=False, custom_metadata={"mfgindex": text.encode("utf-8")}
        )
        (temp / PROVENANCE_FILE).write_text(text + "\n", encoding="utf-8")
        if target.exists():
            old = parent / f".{target.name}.old-{uuid.uuid4().hex[:8]}"
            os.replace(target, old)
            os.replace(temp, target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(temp, target)
    finally:
        if temp.exists():
            shutil.rmtree(temp, ignore_errors=True)
    return target
