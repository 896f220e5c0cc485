"""Reproduce a result from its provenance: the recorded files (checked by SHA-256) and the
recorded choices, run through the pipeline again."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mfgindex.errors import DataError

if TYPE_CHECKING:
    from mfgindex.result import Result

__all__ = ["reproduce"]


def reproduce(
    provenance: Mapping[str, Any],
    *,
    data: str | Path | None = None,
    framework: str | Path | None = None,
) -> Result:
    """Recompute a result from its provenance (a JSON output's ``provenance``, an XLSX
    ``provenance`` sheet, or a ``.provenance.json`` sidecar).

    The framework and data files recorded (or ``framework`` / ``data`` when they have moved)
    must have the recorded SHA-256 hashes; the methods, parameters, year, coverage threshold,
    normalisation reference and stage rule recorded are used again.

    Raises
    ------
    DataError
        A file is missing or has changed since the result was made, or the recomputation did
        not use the recorded methods.
    """
    from mfgindex.data import read_data
    from mfgindex.framework import load_framework
    from mfgindex.pipeline import Choices, compute

    rec_fw = provenance.get("framework") or {}
    rec_data = provenance.get("data") or {}
    fw_source = framework if framework is not None else rec_fw.get("file") or rec_fw.get("id")
    data_source = data if data is not None else rec_data.get("file")
    if fw_source is None or data_source is None:
        raise DataError(
            "the provenance names no framework or data file", hint="pass framework= and data= to reproduce()"
        )
    fw = load_framework(str(fw_source) if not isinstance(fw_source, Path) else fw_source)
    if rec_fw.get("sha256") and fw.digest != rec_fw["sha256"]:
        raise DataError(
            "the framework file has changed since the result was made "
            "(its SHA-256 differs from the one recorded)",
            where=str(fw.path),
            hint="use the framework file the result was made with",
        )
    ds = read_data(Path(data_source), fw)
    if rec_data.get("sha256") and ds.digest != rec_data["sha256"]:
        raise DataError(
            "the data file has changed since the result was made (its SHA-256 differs from the one recorded)",
            where=ds.source,
            hint="use the data file the result was made with",
        )
    methods = provenance.get("methods") or {}
    year = provenance.get("year")
    result = compute(fw, ds, year=None if year is None else int(year), choices=Choices.from_record(methods))
    redone = result.provenance.get("methods", {})
    differ = sorted(k for k in methods if _plain(methods[k]) != _plain(redone.get(k)))
    if differ:
        raise DataError(
            f"recomputing did not use the recorded methods for: {', '.join(differ)}",
            hint="the framework's method choices may have changed",
        )
    return result


def _plain(value: Any) -> Any:
    """JSON's view of a value (tuples as lists, numbers as floats) for comparisons."""
    import json

    from mfgindex._frozen import thaw

    return json.loads(json.dumps(thaw(value), default=str))
