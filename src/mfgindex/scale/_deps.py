"""The ``[scale]`` extra: dask is imported here, lazily, with a clear message when it is missing."""

from __future__ import annotations

from types import ModuleType

from mfgindex.errors import UsageError

__all__ = ["require_dask", "require_distributed"]

_HINT = 'install the scale extra: pip install "mfgindex[scale]"'


def require_dask() -> ModuleType:
    """``dask`` itself, or a :class:`UsageError` saying which extra to install."""
    try:
        import dask
        import dask.dataframe  # dask[dataframe] comes with dask[distributed]
    except ImportError as exc:
        raise UsageError(
            f"the Dask path needs dask[distributed], which is not installed ({exc})", hint=_HINT
        ) from None
    module: ModuleType = dask
    return module


def require_distributed() -> ModuleType:
    """``dask.distributed`` (for ``--scheduler`` and clusters), or a :class:`UsageError`."""
    require_dask()
    try:
        import distributed
    except ImportError as exc:
        raise UsageError(
            f"a Dask scheduler needs dask.distributed, which is not installed ({exc})", hint=_HINT
        ) from None
    module: ModuleType = distributed
    return module
