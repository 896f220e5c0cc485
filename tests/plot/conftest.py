"""Results shared by the figure and report tests, each computed once per test session."""

from __future__ import annotations

import functools
import os
from typing import Any

import pytest

pytest.importorskip("matplotlib")
pytest.importorskip("jinja2")

import mfgindex as mi
from tests.conftest import ROOT

CITY_PANEL = ROOT / "examples" / "data" / "city_panel.csv"


@functools.cache
def city_result() -> Any:
    fw = mi.load_framework("city")
    return mi.compute(fw, mi.read_data(None, fw))


@functools.cache
def panel_result() -> Any:
    fw = mi.load_framework("city")
    return mi.compute(fw, mi.read_data(CITY_PANEL, fw))


@functools.cache
def uncertainty_result() -> Any:
    fw = mi.load_framework("city")
    return mi.uncertainty(fw, mi.read_data(None, fw), {"weights": {"noise": 0.25}}, runs=40, seed=1)


@functools.cache
def sensitivity_result() -> Any:
    fw = mi.load_framework("city")
    spec = {"weights": {"noise": 0.25}, "normalize": ["minmax(low=0, high=100)", "zscore(mean=50, sd=10)"]}
    return mi.sensitivity(fw, mi.read_data(None, fw), spec, n=16, n_boot=20, seed=1)


@pytest.fixture
def city() -> Any:
    return city_result()


@pytest.fixture
def city_panel() -> Any:
    return panel_result()


@pytest.fixture
def city_uncertainty() -> Any:
    return uncertainty_result()


@pytest.fixture
def city_sensitivity() -> Any:
    return sensitivity_result()


@pytest.fixture
def cjk() -> str:
    """The CJK font's family; the test is skipped where none is installed (CI installs one)."""
    from mfgindex.plot import cjk_font

    font = cjk_font()
    if font is None and os.environ.get("CI"):  # .ci/run installs one: never skipped there
        pytest.fail("no CJK font in CI: .ci/run should have installed fonts-noto-cjk")
    if font is None:
        pytest.skip("no CJK font installed (apt-get install fonts-noto-cjk)")
    return font
