"""Year blocks: the rows of a panel scored together, one block per year.

Normalisation, weights, ranks and stages are computed block by block (docs/architecture.md); the pipeline
and a result's diagnostics find the blocks here, in one way.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Block", "year_blocks"]


@dataclass(frozen=True)
class Block:
    """Rows of one year (or the whole cross-section) scored together."""

    year: int | None
    rows: np.ndarray  # indices into the dataset


def year_blocks(years: np.ndarray | None, n: int) -> list[Block]:
    """The rows of each year, years ascending; one block of all ``n`` rows without years."""
    if years is None:
        return [Block(None, np.arange(n))]
    return [Block(int(y), np.flatnonzero(years == y)) for y in sorted(set(years.tolist()))]
