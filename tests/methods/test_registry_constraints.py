"""Parameter constraints are declared at registration and checked when a method string is
read — so a framework with a bad parameter fails to load, naming the key and the fix."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

import mfgindex as mi
from mfgindex.methods.registry import Interval, OneOf, methods, resolve

ROOT = Path(__file__).resolve().parents[2]


def test_every_default_satisfies_its_constraint() -> None:
    for m in methods():
        for key, constraint in m.constraints.items():
            default = m.params[key].default
            if default is inspect.Parameter.empty or default is None:
                continue
            assert constraint.check(default) is None, f"{m.stage}.{m.name}: default {key}={default!r}"


def test_every_allowed_value_resolves_and_others_do_not() -> None:
    for m in methods():
        for key, constraint in m.constraints.items():
            if isinstance(constraint, OneOf):
                for value in constraint.values:
                    resolve(m.stage, f"{m.name}({key}={value!r})")
                with pytest.raises(mi.MethodError, match=f"parameter '{key}' must be one of"):
                    resolve(m.stage, f"{m.name}({key}='not-a-choice')")


def test_intervals() -> None:
    closed = Interval(0, 1)
    assert closed.check(0) is None and closed.check(1) is None
    assert closed.check(1.5) is not None
    open_low = Interval(0, closed="neither")
    assert open_low.check(0) is not None and open_low.check(1e-9) is None
    assert Interval(0, integer=True).check(2.5) is not None
    assert open_low.describe() == "(0, inf)"


def test_a_bad_parameter_fails_when_the_framework_is_loaded(tmp_path: Path) -> None:
    src = (ROOT / "examples" / "custom" / "yrd_innovation.toml").read_text(encoding="utf-8")
    bad = re.sub(r"(?m)^aggregate = .*$", 'aggregate = "topsis(normalize=vectr)"', src, count=1)
    bad = re.sub(r"(?m)^\[defaults\]$", '[defaults]\nweights = "entropy(basis=rawx)"', bad, count=1)
    path = tmp_path / "bad.toml"
    path.write_text(bad, encoding="utf-8")
    with pytest.raises(mi.FrameworkError) as caught:
        mi.load_framework(path)
    text = str(caught.value)
    assert "defaults.aggregate" in text and "Did you mean 'vector'?" in text
    assert "defaults.weights" in text and "Did you mean 'raw'?" in text
