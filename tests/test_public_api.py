"""The public Python API: runnable examples in the docstrings (doctested here), and
``load_framework`` on an iMeta table in memory."""

from __future__ import annotations

import doctest
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import mfgindex as mi
from mfgindex import framework, result

ROOT = Path(__file__).resolve().parents[1]
ASEM = ROOT / "examples" / "data"


@pytest.mark.parametrize("module", [framework, result], ids=lambda m: m.__name__)
def test_docstring_examples_run(module: object) -> None:
    failed, _ = doctest.testmod(module)  # type: ignore[arg-type]
    assert failed == 0


def test_an_imeta_table_in_memory_is_a_framework() -> None:
    from_file = mi.load_framework(ASEM / "ASEM_iMeta.csv")
    from_frame = mi.load_framework(pd.read_csv(ASEM / "ASEM_iMeta.csv"))
    assert [i.id for i in from_frame.indicators] == [i.id for i in from_file.indicators]
    assert from_frame.path is None and len(from_frame.digest) == 64
    ds = mi.read_data(ASEM / "ASEM_iData.csv", from_file)
    np.testing.assert_array_equal(
        mi.compute(from_frame, mi.read_data(ASEM / "ASEM_iData.csv", from_frame)).score_matrix,
        mi.compute(from_file, ds).score_matrix,
    )


def test_a_wrong_kind_of_source_is_a_clear_error() -> None:
    with pytest.raises(mi.UsageError, match="takes a built-in id, a file path or a DataFrame"):
        mi.load_framework(3)  # type: ignore[arg-type]
    with pytest.raises(mi.FrameworkError, match="missing column"):
        mi.load_framework(pd.DataFrame({"iCode": ["a"]}))
