"""Tables on the terminal: :func:`render_table` fits a frame to the terminal's width (imported
by :func:`mfgindex.cli.common.render_table` when a table is printed, so a command writing a file
or a pipe does not compile it)."""

import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from mfgindex.cli.console import escape, out_console, safe_text

if TYPE_CHECKING:
    import pandas as pd


def _cells(frame: "pd.DataFrame", columns: list[Any], digits: int) -> dict[Any, list[str]]:
    """Each column's cells as text: numbers with ``digits`` decimals, missing values ``–``."""
    import numpy as np

    cells: dict[Any, list[str]] = {}
    for c in columns:
        col = frame[c]
        if col.dtype.kind == "f":
            values = col.to_numpy(dtype=float)
            text = [f"{v:.{digits}f}" for v in values.tolist()]
            if c == "p_value":  # a p-value is never 0.000
                text = [
                    f"<{10**-digits:.{digits}f}" if v < 0.5 * 10**-digits else t
                    for v, t in zip(values.tolist(), text, strict=True)
                ]
            cells[c] = ["–" if np.isnan(v) else t for v, t in zip(values.tolist(), text, strict=True)]
            continue
        out = []
        for v in col.tolist():
            if v is None or (isinstance(v, float) and math.isnan(v)) or str(v) == "<NA>":
                out.append("–")
            elif isinstance(v, float):
                out.append(f"{v:.{digits}f}")
            else:
                out.append(safe_text(str(v)))  # a cell can hold ESC, CR, a zero-width space
        cells[c] = out
    return cells


def _key_columns(columns: list[Any], numeric: set[Any]) -> list[Any]:
    """The leading id / year / name columns (up to the first number other than ``year``)."""
    key: list[Any] = []
    for c in columns:
        if c in numeric and c != "year":
            break
        key.append(c)
    return key or columns[:1]


def _narrowest(
    columns: list[Any], cells: dict[Any, list[str]], headers: dict[Any, str], wraps: set[Any]
) -> tuple[dict[Any, int], dict[Any, str]]:
    """Each column's narrowest width (a number or id never cut; text wrapped at its longest
    word) and its header folded to that width."""
    from rich.cells import cell_len

    minimum: dict[Any, int] = {}
    folded: dict[Any, str] = {}
    for c in columns:
        body = max(map(cell_len, cells[c]), default=1)
        if c in wraps:
            body = min(body, max((cell_len(w) for x in cells[c] for w in x.split()), default=1))
        folded[c] = _fold_header(headers[c], body)
        minimum[c] = max(body, *map(cell_len, folded[c].splitlines()))
    return minimum, folded


def _name_hidden(hidden: list[Any], headers: dict[Any, str], lang: str) -> None:
    """Say under a table which columns did not fit."""
    if not hidden:
        return
    from mfgindex.i18n import term

    names = ", ".join(headers[c] for c in hidden[:8]) + (", …" if len(hidden) > 8 else "")
    text = term("more columns", lang, n=len(hidden), cols=names)
    out_console().print(f"[dim]{escape(text)}[/]", markup=True, highlight=False)


def render_table(
    frame: "pd.DataFrame",
    *,
    title: str = "",
    digits: int = 2,
    labels: dict[str, str] | None = None,
    first: Sequence[str] = (),
    blocks_up_to: int = 15,
    lang: str = "en",
) -> None:
    """Print ``frame`` as a table that fits the terminal (the note of hidden columns in
    ``lang``).

    The leading id, year and name columns come first, then ``first`` (the index, rank and
    stage of a ranking), then the other columns. A table too wide for the terminal never cuts
    a number or an id: headers fold at ``_`` (or between Chinese characters) and names wrap.
    If it still does not fit, a short table (at most ``blocks_up_to`` rows) is split into
    blocks printed one under the other, each repeating the leading columns; a longer one shows
    the columns that fit (a ``rank_<node>`` column with its node) and names the others below
    it, rather than printing the rest a screen or more further down.
    """
    from rich.cells import cell_len

    labels = labels or {}
    columns = list(frame.columns)
    numeric = {c for c in columns if frame[c].dtype.kind in "fiu" or str(frame[c].dtype) == "Int64"}
    key = _key_columns(columns, numeric)
    lead = [c for c in first if c in columns and c not in key]
    columns = [*key, *lead, *(c for c in columns if c not in key and c not in lead)]
    cells = _cells(frame, columns, digits)
    headers = {c: safe_text(labels.get(c, str(c))) for c in columns}
    # Text with spaces (names, descriptions) may wrap; ids, numbers and labels may not.
    wraps = {c for c in columns if c not in numeric and any(" " in x for x in cells[c])}
    natural = {c: max([cell_len(headers[c]), *map(cell_len, cells[c])]) for c in columns}
    width = out_console().width

    def chrome(cols: list[Any], widths: dict[Any, int]) -> int:
        return sum(widths[c] for c in cols) + 3 * len(cols) + 1  # borders and padding

    if chrome(columns, natural) <= width:
        _print_table(len(frame), columns, cells, headers, numeric, title=title, widths=natural)
        return
    minimum, folded = _narrowest(columns, cells, headers, wraps)

    def show(cols: list[Any], heading: str) -> None:
        _print_block(len(frame), cols, cells, headers, folded, numeric, wraps, natural, minimum,
                     width, chrome, title=heading)  # fmt: skip

    while len(key) > 1 and chrome(key, minimum) > width * 2 // 3:
        key.pop()  # keep room for the numbers
    # the index, rank and stage (``first``) before a key column that had to go
    rest = [*lead, *(c for c in columns if c not in key and c not in lead)]
    if len(frame) > blocks_up_to:
        shown, hidden = _fit(key, rest, lambda cols: chrome(cols, minimum) <= width)
        show(shown, title)
        _name_hidden(hidden, headers, lang)
        return
    blocks: list[list[Any]] = [[]]
    for c in rest:
        if blocks[-1] and chrome([*key, *blocks[-1], c], minimum) > width:
            blocks.append([])
        blocks[-1].append(c)
    for k, block in enumerate(blocks):
        if k:
            out_console().print()
        show([*key, *block], title if k == 0 else "(continued)")


def _fit(key: list[Any], rest: list[Any], fits: Callable[[list[Any]], bool]) -> tuple[list[Any], list[Any]]:
    """The columns of ``rest`` that fit after ``key``, in order up to the first that does not
    (a ``rank_<c>`` column goes with ``c``: both or neither), and the ones left out."""
    units: list[list[Any]] = []
    for c in rest:
        partner = str(c)[5:] if str(c).startswith("rank_") else None
        if partner is not None and units and str(units[-1][0]) == partner:
            units[-1].append(c)
        else:
            units.append([c])
    shown, hidden = list(key), list[Any]()
    for unit in units:
        if not hidden and fits([*shown, *unit]):
            shown += unit
        else:
            hidden += unit
    return shown, hidden


def _print_block(
    n_rows: int,
    shown: list[Any],
    cells: dict[Any, list[str]],
    headers: dict[Any, str],
    folded: dict[Any, str],
    numeric: set[Any],
    wraps: set[Any],
    natural: dict[Any, int],
    minimum: dict[Any, int],
    width: int,
    chrome: Callable[[list[Any], dict[Any, int]], int],
    *,
    title: str,
) -> None:
    """Print the columns ``shown``, unfolding the headers there is room for, from the left."""
    slack, heads, widths = width - chrome(shown, minimum), dict(folded), dict(minimum)
    for c in shown:
        extra = natural[c] - minimum[c] if c not in wraps else 0
        if heads[c] != headers[c] and 0 <= extra <= slack:
            heads[c], widths[c], slack = headers[c], minimum[c] + extra, slack - extra
    for c in shown:  # what is left goes to the text that wraps (names), up to its natural width
        if c in wraps and slack > 0:
            extra = min(slack, natural[c] - widths[c])
            widths[c], slack = widths[c] + extra, slack - extra
    fits = chrome(shown, widths) <= width  # else (an id wider than the terminal) rich squeezes
    _print_table(
        n_rows,
        shown,
        cells,
        heads,
        numeric,
        wraps=wraps if fits else None,
        title=title,
        widths=widths if fits else None,
    )


def _fold_header(text: str, width: int) -> str:
    """``text`` in lines of at most ``width`` cells, broken after ``_`` or a space (or between
    any two characters of Chinese text); a part longer than ``width`` stays whole."""
    import re

    from rich.cells import cell_len

    if cell_len(text) <= width:
        return text
    if any(cell_len(ch) == 2 for ch in text):  # Chinese: at most three lines, two characters each
        width = max(width, 4, -(-cell_len(text) // 3))
        parts = list(text)
    else:
        parts = re.findall(r"[^_ ]*[_ ]|[^_ ]+$", text)
    lines = [""]
    for part in parts:
        if lines[-1] and cell_len(lines[-1] + part) > width:
            lines.append("")
        lines[-1] += part
    return "\n".join(line.rstrip() for line in lines)


def _print_table(
    n_rows: int,
    columns: list[Any],
    cells: dict[Any, list[str]],
    headers: dict[Any, str],
    numeric: set[Any],
    *,
    title: str,
    wraps: set[Any] | None = None,
    widths: dict[Any, int] | None = None,
) -> None:
    """Print the table with rich; ``widths`` (known to fit) spare rich measuring every cell,
    which is a third of the time of a 300-row table."""
    from rich.table import Table

    # Every text shown comes from the user's files: escape it, or a unit called "[/]" would be
    # read as rich markup (and crash the rendering).
    table = Table(title=escape(title) or None, header_style="bold", title_justify="left")
    for c in columns:
        table.add_column(
            escape(headers[c]),
            justify="right" if c in numeric else "left",
            no_wrap=wraps is not None and c not in wraps,
            width=None if widths is None else widths[c],
        )
    for i in range(n_rows):
        table.add_row(*(escape(cells[c][i]) for c in columns))
    out_console().print(table)
