"""``mfgindex report``: a self-contained HTML report of an index."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Register the report command (filled in below)."""
