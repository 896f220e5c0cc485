"""Deep freezing for the model objects: read-only mappings, tuples and read-only arrays.

A :class:`~mfgindex.result.Result` (and the specs it is made from) must not change after it is
made: its provenance certifies the values it holds. ``freeze`` turns nested dicts into
:class:`types.MappingProxyType`, lists into tuples and numpy arrays into read-only arrays, so an
attempt to change one raises instead of silently editing what provenance describes.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import numpy as np

__all__ = ["freeze", "read_only", "thaw"]


def read_only(array: np.ndarray) -> np.ndarray:
    """``array`` marked read-only (``flags.writeable = False``); a view that owns nothing is
    copied first, so no writable base is left to change it through."""
    if array.base is not None and array.base.flags.writeable:
        array = array.copy()
    array.flags.writeable = False
    return array


def freeze(value: Any) -> Any:
    """``value`` with every mapping read-only, every list a tuple, every array read-only."""
    if isinstance(value, np.ndarray):
        return read_only(value)
    if isinstance(value, Mapping):
        return MappingProxyType({k: freeze(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return tuple(freeze(v) for v in value)
    return value


def thaw(value: Any) -> Any:
    """Plain dicts and lists again (for JSON, or an editable copy)."""
    if isinstance(value, Mapping):
        return {k: thaw(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [thaw(v) for v in value]
    return value
