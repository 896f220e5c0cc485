"""mfgindex: composite development indices — scores, ranks, stages, explanations.

>>> import mfgindex as mi
>>> fw = mi.load_framework("city")
>>> res = mi.compute(fw, mi.read_data(None, fw))
>>> res.to_frame(sort=True, top=10)  # doctest: +SKIP

The public names are imported lazily (PEP 562), so ``import mfgindex`` — and the command
line's ``--help`` — do not pay for numpy and pandas until they are used.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from mfgindex._version import __version__

if TYPE_CHECKING:
    from mfgindex.analysis import Coherence, analyze
    from mfgindex.data import Dataset, read_data, read_table
    from mfgindex.errors import (
        DataError,
        FrameworkError,
        MethodError,
        MfgIndexError,
        UsageError,
    )
    from mfgindex.framework import (
        Framework,
        Indicator,
        Node,
        builtin_frameworks,
        load_framework,
    )
    from mfgindex.io import write_table
    from mfgindex.methods.registry import methods as list_methods
    from mfgindex.methods.registry import register
    from mfgindex.pipeline import compute
    from mfgindex.result import Explanation, Result
    from mfgindex.robustness import (
        SensitivityResult,
        SpecError,
        UncertaintyResult,
        UncertaintySpec,
        read_spec,
        sensitivity,
        uncertainty,
    )

_EXPORTS = {
    "Coherence": "mfgindex.analysis",
    "analyze": "mfgindex.analysis",
    "Dataset": "mfgindex.data",
    "read_data": "mfgindex.data",
    "read_table": "mfgindex.data",
    "DataError": "mfgindex.errors",
    "FrameworkError": "mfgindex.errors",
    "MethodError": "mfgindex.errors",
    "MfgIndexError": "mfgindex.errors",
    "UsageError": "mfgindex.errors",
    "Framework": "mfgindex.framework",
    "Indicator": "mfgindex.framework",
    "Node": "mfgindex.framework",
    "builtin_frameworks": "mfgindex.framework",
    "load_framework": "mfgindex.framework",
    "write_table": "mfgindex.io",
    "register": "mfgindex.methods.registry",
    "compute": "mfgindex.pipeline",
    "reproduce": "mfgindex.pipeline",
    "Explanation": "mfgindex.result",
    "Result": "mfgindex.result",
    "SensitivityResult": "mfgindex.robustness",
    "SpecError": "mfgindex.robustness",
    "UncertaintyResult": "mfgindex.robustness",
    "UncertaintySpec": "mfgindex.robustness",
    "read_spec": "mfgindex.robustness",
    "sensitivity": "mfgindex.robustness",
    "uncertainty": "mfgindex.robustness",
}

__all__ = [
    "Coherence",
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
    "SensitivityResult",
    "SpecError",
    "UncertaintyResult",
    "UncertaintySpec",
    "UsageError",
    "__version__",
    "analyze",
    "builtin_frameworks",
    "compute",
    "list_methods",
    "load_framework",
    "read_data",
    "read_spec",
    "read_table",
    "register",
    "reproduce",
    "sensitivity",
    "uncertainty",
    "write",
    "write_table",
]


#: Exports under another name: ``mfgindex.methods`` is the methods package, so the registry's
#: ``methods()`` is ``list_methods()`` here (a function of that name would be shadowed as soon
#: as the package is imported).
_RENAMED = {"list_methods": ("mfgindex.methods.registry", "methods")}


def __getattr__(name: str) -> Any:
    if name in _EXPORTS or name in _RENAMED:
        module, attr = _RENAMED.get(name, (_EXPORTS.get(name, ""), name))
        value = getattr(import_module(module), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'mfgindex' has no attribute {name!r}")


def __dir__() -> list[str]:
    # the lazy exports are listed before they are first used (tab completion, dir())
    return sorted(set(__all__) | set(globals()))


def write(
    result: Result,
    path: str,
    *,
    fmt: str | None = None,
    lang: str = "en",
    indicators: bool = False,
) -> list[Any]:
    """Write ``result``'s table (with provenance) to ``path``; the format follows the suffix.

    The run's input files (data, framework, judgements, … — :func:`mfgindex.io.run_inputs`)
    are protected: writing over them is refused.
    """
    from mfgindex.io import run_inputs, write_table

    protect = run_inputs(result.framework, result.data, note=False)
    return write_table(
        result.to_frame(lang=lang, indicators=indicators),
        path,
        fmt=fmt,
        provenance=result.provenance,
        protect=protect,
    )
