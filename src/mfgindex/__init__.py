"""mfgindex: composite development indices — scores, ranks, stages, explanations.

>>> import mfgindex as mi
>>> fw = mi.load_framework("city")
>>> res = mi.compute(fw, mi.read_data(None, fw))
>>> res.to_frame(sort=True, top=10)  # doctest: +SKIP
"""

from mfgindex._version import __version__
from mfgindex.data import Dataset, read_data, read_table
from mfgindex.errors import DataError, FrameworkError, MethodError, MfgIndexError, UsageError
from mfgindex.framework import Framework, Indicator, Node, builtin_frameworks, load_framework
from mfgindex.io import write_table
from mfgindex.methods.registry import methods, register
from mfgindex.pipeline import compute
from mfgindex.result import Explanation, Result

__all__ = [
    "DataError",
    "Dataset",
    "Explanation",
    "Framework",
    "FrameworkError",
    "Indicator",
    "MethodError",
    "MfgIndexError",
    "Node",
    "Result",
    "UsageError",
    "__version__",
    "builtin_frameworks",
    "compute",
    "load_framework",
    "methods",
    "read_data",
    "read_table",
    "register",
    "write",
    "write_table",
]


def write(result: Result, path: str, *, fmt: str | None = None, lang: str = "en",
          indicators: bool = False) -> None:
    """Write ``result``'s table (with provenance) to ``path``; the format follows the suffix."""
    protect = [p for p in (result.data.source, result.framework.path) if p]
    from pathlib import Path

    write_table(result.to_frame(lang=lang, indicators=indicators), path, fmt=fmt,
                provenance=result.provenance, protect=[Path(str(p)) for p in protect])
