"""Sampling the inputs of an uncertainty or sensitivity analysis: weight factors and the
categorical level of every varied choice, per run (the *design*)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from mfgindex.robustness.engine import Engine
    from mfgindex.robustness.spec import UncertaintySpec, WeightNoise

__all__ = ["Design", "design_from_uniforms", "levels_of", "weight_factors"]


def weight_factors(
    engine: Engine, noise: WeightNoise | None, count: int, rng: np.random.Generator
) -> np.ndarray | None:
    """``count`` draws of the multiplier of every weight-carrying node: ``(count, nodes)``."""
    if noise is None or not noise.active:
        return None
    fw = engine.fw
    levels = set(noise.levels) if noise.levels else set(range(1, fw.level(fw.id)))
    perturbed = np.array([fw.level(nid) in levels for nid in engine.nodes])
    factors = np.ones((count, len(engine.nodes)))
    if noise.distribution == "uniform":
        u = rng.random((count, int(perturbed.sum())))
        factors[:, perturbed] = 1.0 + noise.noise * (2.0 * u - 1.0)
        return factors
    for g in engine.groups:
        cols = engine.cols[g]
        if not perturbed[cols].any():
            continue
        nominal = np.array([fw.nodes[engine.nodes[c]].weight for c in cols], dtype=float)
        share = nominal / nominal.sum()
        live = share > 0
        draws = rng.dirichlet(noise.concentration * share[live], size=count)
        factors[np.ix_(np.arange(count), cols[live])] = draws / share[live]
    return factors


def levels_of(u: np.ndarray, n_levels: int) -> np.ndarray:
    """Floor-of-uniform: ``u`` in [0, 1) → a level 0 … n_levels - 1, each with probability 1/L."""
    return np.minimum((u * n_levels).astype(np.int64), n_levels - 1)


@dataclass
class Design:
    """The sampled choices of every run: one integer code per categorical input, and the
    weight-factor draw of each run."""

    runs: int
    inputs: list[str]
    codes: dict[str, np.ndarray]  # input -> (runs,) level index
    weight_draw: np.ndarray | None  # (runs,) row of the factor bank
    factors: np.ndarray | None  # (draws, nodes) bank of weight factors


def design_from_uniforms(
    spec: UncertaintySpec, u: np.ndarray, bank: np.ndarray | None, draw_of_run: np.ndarray | None = None
) -> Design:
    inputs = spec.inputs()
    codes: dict[str, np.ndarray] = {}
    weight_draw = None
    for k, name in enumerate(inputs):
        if name == "weights" and bank is not None:
            weight_draw = draw_of_run if draw_of_run is not None else levels_of(u[:, k], len(bank))
        elif name != "weights":
            codes[name] = levels_of(u[:, k], len(spec.choices(name)))
    return Design(len(u), inputs, codes, weight_draw, bank)
