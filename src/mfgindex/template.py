"""Empty data templates: the columns a framework reads, for a researcher to fill from yearbooks.

A template has the unit columns (id, names and, for built-in frameworks, the bundled dataset's
descriptive columns such as province) and one column per data column the framework reads: each
indicator's ``column`` and its ``denominator``, in tree order, each once. For a built-in
framework the unit rows are pre-filled from its bundled dataset (or, when it has none, from the
dataset of a built-in framework with the same unit and id column: ``city-ccid`` lists the cities
of ``city``), so the researcher only types numbers.

* **XLSX**: sheet ``data`` (read by ``mfgindex`` — the first sheet, header in row 1, so a filled
  template validates unchanged) with a bilingual note on every header cell (a cell comment: name,
  unit, direction, what it measures, source); sheet ``indicators`` with one row per indicator
  (its group, column, denominator, unit, direction, weight, transform, source, note); sheet
  ``columns`` with one row per data column and the indicators that read it.
* **CSV**: the same header and unit rows, UTF-8 with a byte-order mark so Excel (also in Chinese
  locales) opens it with the right encoding.

Files are written atomically (:func:`mfgindex.io.atomic_path`); the framework and unit files are
never overwritten.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mfgindex.errors import DataError, UsageError

if TYPE_CHECKING:
    import pandas as pd

    from mfgindex.framework import Framework, Indicator

__all__ = [
    "TemplateColumn",
    "template_columns",
    "template_csv_text",
    "template_frame",
    "template_units",
    "write_template",
]

_FORMATS = {".xlsx": "xlsx", ".csv": "csv"}


@dataclass(frozen=True)
class TemplateColumn:
    """One data column of a template and the indicators that read it.

    ``role`` is ``"value"`` (an indicator's ``column``), ``"denominator"``, or ``"value and
    denominator"`` when one column is both (GDP: an indicator and the denominator of others).
    """

    name: str
    role: str
    indicators: tuple[Indicator, ...]
    denominator_of: tuple[Indicator, ...]

    def note(self) -> str:
        """The bilingual header note: name, unit, direction and what each reading indicator measures."""
        lines: list[str] = []
        for ind in self.indicators:
            arrow = "higher is better / 越高越好" if ind.direction > 0 else "lower is better / 越低越好"
            lines.append(f"{ind.name}" + (f" / {ind.name_zh}" if ind.name_zh else ""))
            if ind.denominator:
                lines.append(f"  value = {self.name} / {ind.denominator}")
            if ind.unit:
                lines.append(f"  unit 单位: {ind.unit}")
            lines.append(f"  direction 方向: {arrow}")
            if ind.transform:
                lines.append(f"  transform 变换: {ind.transform}")
            if ind.note:
                lines.append(f"  what it measures 含义: {ind.note}")
            if ind.source:
                lines.append(f"  source 来源: {ind.source}")
        for ind in self.denominator_of:
            lines.append(
                f"denominator of 分母: {ind.id} ({ind.name_zh or ind.name}), "
                f"value = {ind.column} / {self.name}"
            )
        return "\n".join(lines)


def template_columns(framework: Framework) -> list[TemplateColumn]:
    """The data columns ``framework`` reads, in tree order, each once (values before denominators
    of the same indicator)."""
    order: list[str] = []
    values: dict[str, list[Indicator]] = {}
    denominators: dict[str, list[Indicator]] = {}
    for ind in framework.indicators:
        for name, book in ((ind.column, values), (ind.denominator, denominators)):
            if not name:
                continue
            if name not in order:
                order.append(name)
            book.setdefault(name, []).append(ind)
    out = []
    for name in order:
        roles = [r for r, book in (("value", values), ("denominator", denominators)) if name in book]
        out.append(
            TemplateColumn(
                name, " and ".join(roles), tuple(values.get(name, ())), tuple(denominators.get(name, ()))
            )
        )
    return out


def _unit_headers(framework: Framework) -> list[str]:
    cols = [framework.unit_column]
    for c in (framework.name_column, framework.name_column_zh):
        if c and c not in cols:
            cols.append(c)
    return cols


def _default_units_file(framework: Framework) -> Path | None:
    """The bundled dataset of a built-in framework, or of a built-in sibling with the same units."""
    from mfgindex.framework import builtin_frameworks, load_framework

    builtin = builtin_frameworks()
    is_builtin = framework.path is not None and any(
        framework.path.resolve() == p.resolve() for p in builtin.values()
    )
    if not is_builtin:
        return None
    if framework.dataset is not None:
        return framework.dataset
    for fid in builtin:
        other = load_framework(fid)
        if (
            other.dataset is not None
            and other.unit == framework.unit
            and other.unit_column == framework.unit_column
        ):
            return other.dataset
    return None


def template_units(framework: Framework, source: str | Path | pd.DataFrame) -> pd.DataFrame:
    """The unit rows of a template, from a data file or table ``source``.

    Keeps the framework's id and name columns and every other descriptive column of ``source``
    (text such as province or zone type, and code columns whose name ends in ``code``), drops
    the data columns, the year and any other numeric column, and keeps one row per unit (the
    last, i.e. the latest year of a panel).

    Raises
    ------
    DataError
        ``source`` cannot be read or has no column ``framework.unit_column``.
    """
    import pandas as pd

    from mfgindex.data import read_table

    frame = source.astype(object).fillna("") if isinstance(source, pd.DataFrame) else read_table(source)
    where = "<frame>" if isinstance(source, pd.DataFrame) else str(source)
    if framework.unit_column not in frame.columns:
        raise DataError(
            f"no unit id column '{framework.unit_column}' to take the units from",
            where=where,
            hint="give a file with the framework's unit id column",
        )
    keep = _unit_headers(framework)
    data_cols = {c.name for c in template_columns(framework)}
    for col in frame.columns:
        if col in keep or col in data_cols or col in {framework.year_column, "year", "Year", "Time"}:
            continue
        text = frame[col].astype(str).str.strip()
        numeric = pd.to_numeric(text[text != ""], errors="coerce").notna().all()
        if not numeric or col.lower().endswith("code"):
            keep.append(col)
    present = [c for c in keep if c in frame.columns]
    units = frame[present].astype(str)
    units[framework.unit_column] = units[framework.unit_column].str.strip()
    return units.drop_duplicates(framework.unit_column, keep="last").reset_index(drop=True)


def template_frame(
    framework: Framework, units: str | Path | pd.DataFrame | bool | None = None
) -> pd.DataFrame:
    """The template as a table: unit columns (pre-filled) and empty data columns.

    ``units``: a data file or table to take the unit rows from; ``None`` for the default (a
    built-in framework's bundled units, else no rows); ``False`` for no rows.
    """
    import pandas as pd

    if units is None or units is True:
        units = _default_units_file(framework)
    heads = _unit_headers(framework)
    if units is None or units is False:
        frame = pd.DataFrame({c: pd.Series(dtype=object) for c in heads})
    else:
        frame = template_units(framework, units)
    for col in template_columns(framework):
        if col.name in frame.columns:
            raise DataError(
                f"data column '{col.name}' is also a unit column of the framework",
                where=str(framework.path or framework.id),
            )
        frame[col.name] = pd.Series([None] * len(frame), dtype=object)
    return frame


def _definitions(framework: Framework) -> list[list[Any]]:
    rows: list[list[Any]] = [
        [
            "indicator",
            "name",
            "name_zh",
            "group",
            "group_zh",
            "column",
            "denominator",
            "unit",
            "direction",
            "weight",
            "transform",
            "normalize",
            "source",
            "note",
        ]
    ]
    for ind in framework.indicators:
        group = framework.nodes[ind.parent] if ind.parent else None
        rows.append(
            [
                ind.id,
                ind.name,
                ind.name_zh,
                group.id if group else "",
                group.name_zh if group else "",
                ind.column,
                ind.denominator or "",
                ind.unit,
                ind.direction,
                ind.weight,
                ind.transform or "",
                ind.normalize or "",
                ind.source,
                ind.note,
            ]
        )
    return rows


def _write_xlsx(framework: Framework, frame: pd.DataFrame, path: Path) -> None:
    try:
        from openpyxl import Workbook
    except ImportError:
        raise DataError("writing Excel files needs openpyxl", hint="pip install 'mfgindex[excel]'") from None
    from mfgindex.io import _readable_sheet

    wb = Workbook()
    ws = wb.active
    ws.title = "data"
    ws.append(list(frame.columns))
    for row in frame.itertuples(index=False):
        ws.append([None if v is None or v == "" else v for v in row])
    # ids such as 110000 or G111001 stay text (leading zeros, no number formatting)
    _strings_as_text(ws)
    columns = {c.name: c for c in template_columns(framework)}
    _header_notes(ws, framework, columns)
    _readable_sheet(ws)

    defs = wb.create_sheet("indicators")
    for definition in _definitions(framework):
        defs.append(definition)
    cols = wb.create_sheet("columns")
    cols.append(["column", "role", "read by (indicators)", "denominator of", "unit"])
    for col in columns.values():
        cols.append(
            [
                col.name,
                col.role,
                ", ".join(i.id for i in col.indicators),
                ", ".join(i.id for i in col.denominator_of),
                "; ".join(dict.fromkeys(i.unit for i in col.indicators if i.unit)),
            ]
        )
    for sheet in (defs, cols):
        _strings_as_text(sheet)
        _readable_sheet(sheet, max_width=60)
    wb.properties.title = f"mfgindex data template: {framework.id}"
    wb.save(path)


def _strings_as_text(ws: Any) -> None:
    """Store every string cell of the worksheet ``ws`` as text (never a number or formula)."""
    for row in ws.iter_rows(min_row=1):
        for cell in row:
            if isinstance(cell.value, str):
                cell.data_type = "s"


def _header_notes(ws: Any, framework: Framework, columns: Mapping[str, Any]) -> None:
    """A comment on each header of the data sheet: what the column holds (an indicator's
    definition from ``columns``, or the unit id, name or attribute)."""
    from openpyxl.comments import Comment

    unit_notes = {framework.unit_column: f"unit id 单位编号 ({framework.unit}); read as text"}
    for c in (framework.name_column, framework.name_column_zh):
        if c:
            unit_notes[c] = "display name 名称"
    for cell in ws[1]:
        name = str(cell.value)
        text = columns[name].note() if name in columns else unit_notes.get(name, "unit column 单位属性")
        lines = text.count("\n") + 1
        cell.comment = Comment(text, "mfgindex", width=420, height=min(40 + 16 * lines, 600))


def write_template(
    framework: Framework,
    path: str | Path,
    *,
    fmt: str | None = None,
    units: str | Path | pd.DataFrame | bool | None = None,
    protect: tuple[Path, ...] = (),
) -> Path:
    """Write an empty data template for ``framework`` to ``path`` (XLSX or CSV), atomically.

    Parameters
    ----------
    framework
        The framework whose data columns the template holds.
    path
        The file to write; its suffix gives the format unless ``fmt`` is given.
    fmt
        ``"xlsx"`` or ``"csv"``.
    units
        Where the unit rows come from (see :func:`template_frame`).
    protect
        Files never to overwrite, besides the framework file and the units file.

    Raises
    ------
    UsageError
        Unknown format, or ``path`` is one of the inputs.
    DataError
        The file cannot be written, or the units cannot be read.
    """
    from mfgindex.io import atomic_path

    path = Path(path)
    if fmt is None:
        fmt = _FORMATS.get(path.suffix.lower())
        if fmt is None:
            raise UsageError(
                f"cannot tell the template format from '{path}'",
                hint="use a .xlsx or .csv file name, or give --format",
            )
    if fmt not in {"xlsx", "csv"}:
        raise UsageError(f"a template is xlsx or csv, got '{fmt}'")
    inputs = [*protect]
    if framework.path is not None:
        inputs.append(framework.path)
    default = _default_units_file(framework) if units is None else None
    for p in (units, default):
        if isinstance(p, str | Path):
            inputs.append(Path(p))
    frame = template_frame(framework, units)
    with atomic_path(path, protect=inputs) as tmp:
        if fmt == "csv":
            frame.to_csv(tmp, index=False, encoding="utf-8-sig", lineterminator="\n")
        else:
            _write_xlsx(framework, frame, tmp)
    return path


def template_csv_text(framework: Framework, units: str | Path | pd.DataFrame | bool | None = None) -> str:
    """The CSV template as text (no byte-order mark), for standard output."""
    return template_frame(framework, units).to_csv(index=False, lineterminator="\n")
