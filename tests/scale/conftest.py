"""One small Dask cluster for the module (threads, two workers) and a synthetic framework."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("distributed")

TOML = """
[framework]
id = "idx"
name = "Synthetic index"
unit_column = "unit"
name_column = "name"

[defaults]
normalize = "minmax(low=0, high=100)"
aggregate = "arithmetic"
min_coverage = 0.5

[stages]
method = "rank"
cuts = [100, 600]
labels = ["leading", "middle", "rest"]

[[group]]
id = "econ"
parent = "idx"
weight = 2

[[group]]
id = "green"
parent = "idx"
weight = 1

[[group]]
id = "sub"
parent = "econ"
weight = 1
"""

# (id, parent, direction, extra TOML)
INDICATORS = [
    ("gdp", "sub", 1, ""),
    ("wages", "sub", 1, 'transform = "log"'),
    ("exports", "econ", 1, 'denominator = "pop"'),
    ("debt", "econ", -1, ""),
    ("co2", "green", -1, ""),
    ("parks", "green", 1, ""),
]


def framework_text() -> str:
    lines = [TOML]
    for iid, parent, direction, extra in INDICATORS:
        lines.append(f'[[indicator]]\nid = "{iid}"\nparent = "{parent}"\ndirection = {direction}\n{extra}\n')
    return "\n".join(lines)


def synthetic(n: int, seed: int = 0) -> pd.DataFrame:
    """``n`` units: lognormal values rounded to 2 decimals (ties), 5% missing, some rows
    repeated under new ids (tied scores), a few zeros (the log's domain, geometric means)."""
    rng = np.random.default_rng(seed)
    cols: dict[str, Any] = {"unit": [f"U{i:06d}" for i in range(n)], "name": [f"Unit {i}" for i in range(n)]}
    for iid, *_ in INDICATORS:
        v = rng.lognormal(1.0, 0.8, n).round(2)
        v[rng.random(n) < 0.05] = np.nan
        cols[iid] = v
    cols["pop"] = rng.uniform(1, 100, n).round(1)
    frame = pd.DataFrame(cols)
    dup = rng.choice(n, n // 20, replace=False)
    frame.iloc[dup[1:], 2:] = frame.iloc[dup[:-1], 2:].to_numpy()  # tied units
    frame.loc[frame.index[:3], "wages"] = 0.0  # outside log's domain: NaN from there up
    return frame


@pytest.fixture(scope="session")
def client() -> Iterator[Any]:
    from distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None)
    with Client(cluster) as c:
        yield c
    cluster.close()


@pytest.fixture(scope="session")
def fw_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("scale") / "fw.toml"
    path.write_text(framework_text(), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def data() -> pd.DataFrame:
    return synthetic(1500)
