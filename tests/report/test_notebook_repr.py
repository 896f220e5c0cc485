"""Notebook display: every result object renders as a compact HTML table, and a Result's plain
repr is one line, not its arrays."""

from __future__ import annotations

import mfgindex as mi
from mfgindex.robustness import sensitivity, uncertainty


def test_results_render_in_notebooks() -> None:
    fw = mi.load_framework("city")
    res = mi.compute(fw, mi.read_data(None, fw))
    text = repr(res)
    assert text.startswith("<Result city: 296 rows") and len(text) < 200
    assert "<table" in res._repr_html_()
    unc = uncertainty(fw, res.data, {"weights": 0.1}, runs=20, seed=1)
    assert "<table" in unc._repr_html_()
    sens = sensitivity(
        fw,
        res.data,
        {"weights": 0.1, "aggregate": ["arithmetic", "geometric"]},
        n=8,
        n_boot=10,
        seed=1,
        normalize="minmax(low=1, high=100)",
    )
    assert "<table" in sens._repr_html_()
    assert "<table" in mi.analyze(fw, res.data)._repr_html_()
