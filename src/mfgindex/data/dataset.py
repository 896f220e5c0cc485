"""The dataset: a framework's indicator values for units (optionally per year), read-only.

A :class:`Dataset` cannot change after it is built: its arrays are read-only numpy arrays, and
:attr:`Dataset.values` / :attr:`Dataset.unit_columns` hand out new DataFrames over them (with
pandas' copy-on-write, writing to one copies it and never reaches the dataset).

Its digest describes the values it holds: :attr:`Dataset.content_digest` hashes them, and
:attr:`Dataset.digest` — the SHA-256 of the file they were read from, what provenance records
and ``reproduce`` checks — is given only while the values are those read: a dataset derived
from another (``dataclasses.replace`` with other values, :meth:`Dataset.select`) has none.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from mfgindex.data.layout import to_wide, year_column
from mfgindex.data.numbers import MISSING_MARKERS, parse_numbers
from mfgindex.data.tables import Digest, check_input_file, read_table_digest
from mfgindex.data.validate import column_cells, text_cells, validate_table
from mfgindex.errors import DataError, problems_error

if TYPE_CHECKING:
    import pandas as pd

    from mfgindex.framework import Framework

__all__ = ["Dataset", "read_data"]


class _Owned(np.ndarray):
    """An array :meth:`Dataset.from_frame` has just built and hands over: nobody else holds
    it, so the dataset takes it without a copy."""


def _frozen(values: Any, dtype: Any) -> np.ndarray:
    """A read-only copy of ``values``: nothing the caller keeps can change it afterwards (an
    array built for the dataset, :class:`_Owned`, is taken as it is)."""
    if type(values) is _Owned and values.dtype == dtype:
        out = values.view(np.ndarray)
    else:
        out = np.array(values, dtype=dtype, copy=True)
    out.flags.writeable = False
    return out


def _content_digest(parts: tuple[Any, ...]) -> str:
    """SHA-256 of a dataset's values (:meth:`Dataset._parts`): ids, years, names, column names
    and text as text, the matrix as its C-order float64 bytes."""
    h = hashlib.sha256()
    *texts, matrix = parts
    labels = ("units", "years", "names", "columns", "text_columns", "text")
    for label, part in zip(labels, texts, strict=True):
        h.update(label.encode())
        if part is not None:
            cells = part if isinstance(part, tuple) else part.ravel().tolist()
            h.update("\x1f".join(map(str, cells)).encode("utf-8"))
    h.update(np.ascontiguousarray(matrix).data.cast("B"))  # the bytes, without a copy
    return h.hexdigest()


class _Certificate:
    """The values a dataset's file digest was given with: its own read-only arrays when it was
    made, hashed only when needed.

    A dataset holds its file's digest while its values are these: at once when it holds these
    very arrays (nothing can change a read-only array the dataset owns), else — a dataset
    derived with ``dataclasses.replace`` carries the certificate along — when its content
    digest equals theirs. Certifying costs nothing at reading time, where hashing 40 MB of
    values cost as much as parsing them.
    """

    __slots__ = ("_digest", "parts")

    def __init__(self, parts: tuple[Any, ...]) -> None:
        self.parts = parts
        self._digest = ""

    def holds(self, dataset: Dataset) -> bool:
        """Whether ``dataset`` holds the certified values."""
        held = dataset._parts()
        if all(a is b for a, b in zip(self.parts, held, strict=True)):
            return True
        if not self._digest:
            self._digest = _content_digest(self.parts)
        return self._digest == dataset.content_digest

    def __getstate__(self) -> tuple[tuple[Any, ...], str]:
        return self.parts, self._digest

    def __setstate__(self, state: tuple[tuple[Any, ...], str]) -> None:
        self.parts, self._digest = state


@dataclass(frozen=True, eq=False)
class Dataset:
    """Values of a framework's indicators for units (optionally per year), plus unit columns.

    Immutable: every array is read-only, and the DataFrames handed out are new objects each
    time, so the dataset — and what its digest says about it — never changes.

    Attributes
    ----------
    units
        ``(n,)`` unit ids as strings.
    years
        ``(n,)`` int years, or None for a cross-section.
    names
        ``(n,)`` display names (the framework's name column), or None.
    matrix, columns
        ``(n, c)`` float64 values of every data column the framework needs (indicators and
        denominators), and those columns' names; :attr:`values` is the same as a DataFrame.
    text, text_columns
        ``(n, k)`` every other column, as text (names, provinces, groups), and their names;
        :attr:`unit_columns` is the same as a DataFrame.
    source
        The file read, or ``"<frame>"``.
    file_digest
        SHA-256 of the bytes of the file the values were read from (``""`` for a DataFrame);
        :attr:`digest` gives it while the values held are the file's.
    warnings
        The warnings found when the data was validated, as text.
    """

    units: np.ndarray
    years: np.ndarray | None
    names: np.ndarray | None
    matrix: np.ndarray
    columns: tuple[str, ...]
    text: np.ndarray
    text_columns: tuple[str, ...]
    source: str = "<frame>"
    file_digest: str = ""
    warnings: tuple[str, ...] = field(default_factory=tuple)
    #: the values the file_digest was given with (set on construction; see :class:`_Certificate`).
    certified: _Certificate | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        # frozen: object.__setattr__ is the one way in, used once here to make the arrays
        # read-only copies, so a caller's arrays or frames never alias the dataset's.
        n = len(self.units)
        set_ = object.__setattr__
        set_(self, "units", _frozen(self.units, object))
        set_(self, "years", None if self.years is None else _frozen(self.years, np.int64))
        set_(self, "names", None if self.names is None else _frozen(self.names, object))
        set_(self, "matrix", _frozen(self.matrix, np.float64).reshape(n, len(self.columns)))
        set_(self, "text", _frozen(self.text, object).reshape(n, len(self.text_columns)))
        set_(self, "columns", tuple(map(str, self.columns)))
        set_(self, "text_columns", tuple(map(str, self.text_columns)))
        set_(self, "warnings", tuple(self.warnings))
        for name in ("years", "names"):
            got = getattr(self, name)
            if got is not None and got.shape != (n,):
                raise ValueError(f"Dataset.{name} has shape {got.shape}, expected ({n},)")
        if self.file_digest and self.certified is None:
            set_(self, "certified", _Certificate(self._parts()))

    def _parts(self) -> tuple[Any, ...]:
        """Everything :attr:`content_digest` hashes, as held."""
        return (self.units, self.years, self.names, self.columns, self.text_columns, self.text, self.matrix)

    def __setstate__(self, state: dict[str, Any]) -> None:
        # Unpickled arrays (Dask workers, process pools) arrive writeable: read-only again.
        self.__dict__.update(state)
        for name in ("units", "years", "names", "matrix", "text"):
            array = state.get(name)
            if isinstance(array, np.ndarray):
                array.flags.writeable = False

    @property
    def digest(self) -> str:
        """SHA-256 of the file the values were read from, or ``""`` when the values held are not
        that file's (read from a DataFrame, derived with other values or a row selection)."""
        if self.file_digest and self.certified is not None and self.certified.holds(self):
            return self.file_digest
        return ""

    def __len__(self) -> int:
        return len(self.units)

    @property
    def values(self) -> pd.DataFrame:
        """``(n, c)`` float64 DataFrame of the data columns (a new object over read-only data)."""
        import pandas as pd

        return pd.DataFrame(self.matrix, columns=list(self.columns), copy=False)

    @property
    def unit_columns(self) -> pd.DataFrame:
        """The other columns as text (a new DataFrame each time)."""
        import pandas as pd

        return pd.DataFrame(self.text, columns=list(self.text_columns)).astype(str)

    @cached_property
    def content_digest(self) -> str:
        """SHA-256 of the values held (ids, years, names, every column), whatever their source."""
        return _content_digest(self._parts())

    @property
    def year_list(self) -> list[int]:
        return sorted({int(y) for y in self.years}) if self.years is not None else []

    def column(self, name: str) -> np.ndarray:
        """The read-only ``(n,)`` float64 values of data column ``name``."""
        return self.matrix[:, self.columns.index(name)]

    def names_zh(self, framework: Framework) -> np.ndarray | None:
        col = framework.name_column_zh
        if col and col in self.text_columns:
            return np.array(self.text[:, self.text_columns.index(col)], dtype=object)
        return None

    def select(self, mask: np.ndarray) -> Dataset:
        """The rows where ``mask`` is true (not the file's content, so without its digest)."""
        return Dataset(
            units=self.units[mask],
            years=None if self.years is None else self.years[mask],
            names=None if self.names is None else self.names[mask],
            matrix=self.matrix[mask],
            columns=self.columns,
            text=self.text[mask],
            text_columns=self.text_columns,
            source=self.source,
            warnings=self.warnings,
        )

    @classmethod
    def from_frame(
        cls,
        frame: pd.DataFrame,
        framework: Framework,
        *,
        source: str = "<frame>",
        digest: str = "",
        missing: Iterable[str] = MISSING_MARKERS,
    ) -> Dataset:
        """Build a dataset from a DataFrame (wide or long), validating it against ``framework``.

        Raises
        ------
        DataError
            With every error found (missing columns, non-numeric cells, duplicates, …).
        """
        return _from_frame(cls, frame, framework, source=source, digest=digest, missing=missing)


def _from_frame(
    cls: type[Dataset],
    frame: pd.DataFrame,
    framework: Framework,
    *,
    source: str,
    digest: str | Digest,
    missing: Iterable[str],
    private: bool = False,
) -> Dataset:
    """:meth:`Dataset.from_frame`; ``private``: nobody else holds ``frame`` (it was just read
    from a file), so the dataset may take its float columns' memory instead of a copy.
    ``digest`` may be one to come (:data:`~mfgindex.data.tables.Digest`): it is asked for
    last, so the file's bytes are hashed while the table is checked."""
    frame = to_wide(frame, framework, source)
    parsed: dict[str, np.ndarray] = {}
    ids: dict[str, np.ndarray] = {}
    cells: dict[str, np.ndarray] = {}
    problems = validate_table(
        frame, framework, source=source, missing=missing, parsed=parsed, ids=ids, cells=cells
    )
    errors = [p for p in problems if p.level == "error"]
    if errors:
        raise problems_error(errors, source)
    values = _data_columns(frame, framework, parsed, missing)
    year_col = year_column(frame, framework)
    years = None
    if year_col is not None:
        years = parse_numbers(frame[year_col])[0].astype(np.int64)
    names = None
    if framework.name_column and framework.name_column in frame:
        names = column_cells(frame, framework.name_column, cells)
    used = set(framework.indicator_columns())
    others = [c for c in frame.columns if c not in used]
    return cls(
        units=ids[framework.unit_column],
        years=years,
        names=names,
        matrix=_matrix(frame, values, private),
        columns=tuple(values),
        text=_text(frame, others, cells),
        text_columns=tuple(others),
        source=source,
        file_digest=digest if isinstance(digest, str) else digest(),
        warnings=tuple(str(p) for p in problems if p.level == "warning"),
    )


def _text(frame: pd.DataFrame, columns: list[str], made: Mapping[str, np.ndarray]) -> np.ndarray:
    """The ``(n, k)`` object array of ``columns`` as text (``frame[columns].astype(str)``),
    column by column without a conversion where a column is text already, or its cells were
    ``made`` already (by the checks)."""
    out = np.empty((len(frame), len(columns)), dtype=object)
    for j, col in enumerate(columns):
        out[:, j] = made[col] if col in made else text_cells(frame[col])  # (each column once)
    return out


def _matrix(frame: pd.DataFrame, values: dict[str, np.ndarray], private: bool) -> _Owned:
    """The ``(n, c)`` matrix of the data columns, column-major (the pipeline reads it column by
    column): a private frame's float block as it is when it is one, else one copy."""
    columns = list(values)
    dtypes = dict(zip(frame.columns, frame.dtypes, strict=True))
    if private and columns and all(dtypes[c] == np.float64 for c in columns):
        block = frame[columns].to_numpy(dtype=np.float64)
        if block.flags.f_contiguous:  # the values validated: the same memory, not a copy
            return block.view(_Owned)
    out = np.empty((len(frame), len(columns)), dtype=np.float64, order="F")
    for j, column in enumerate(values.values()):
        out[:, j] = column
    return out.view(_Owned)


def _data_columns(
    frame: pd.DataFrame, framework: Framework, parsed: Mapping[str, np.ndarray], missing: Iterable[str]
) -> dict[str, np.ndarray]:
    """The framework's data columns present in ``frame``, as floats (parsed once)."""
    values: dict[str, np.ndarray] = {}
    for col in framework.indicator_columns():
        if col in frame.columns:
            values[col] = parsed[col] if col in parsed else parse_numbers(frame[col], missing=missing)[0]
    return values


def read_data(
    source: str | Path | pd.DataFrame | None,
    framework: Framework,
    *,
    missing: Iterable[str] = MISSING_MARKERS,
    sheet: str | int = 0,
) -> Dataset:
    """Read ``source`` (a file, a DataFrame, or None for the framework's bundled dataset).

    ``sheet``: the sheet of an XLSX file, by name or number (0 is the first).

    Raises
    ------
    DataError
        Unreadable file, or data that does not fit ``framework`` (every error listed).
    """
    import pandas as pd

    if isinstance(source, pd.DataFrame):
        return Dataset.from_frame(source, framework, missing=missing)
    if source is None:
        if framework.dataset is None:
            raise DataError(
                f"framework '{framework.id}' has no bundled dataset",
                hint="give a data file: mfgindex score DATA.csv -f ...",
            )
        return _framework_dataset(Path(framework.dataset), framework, missing, sheet)
    else:
        path = Path(source)
        # one read: parsed and hashed; data columns that hold plain numbers stay numbers
        frame, digest = read_table_digest(
            path, sheet=sheet, numeric=framework.indicator_columns(), missing=missing
        )
    return _from_frame(
        Dataset, frame, framework, source=str(path), digest=digest, missing=missing, private=True
    )


#: Suffixes a framework's ``dataset`` may have: a data file, never a suffix-less file (``.env``,
#: ``id_rsa``) whose first line an error message would quote.
DATA_SUFFIXES = frozenset({".csv", ".tsv", ".txt", ".xlsx", ".xlsm", ".parquet", ".pq"})


def _bundled_data_dirs() -> set[Path]:
    """The folders of the bundled datasets (an installed wheel's, or the source checkout's),
    as :func:`mfgindex.framework.builtin_data_dir` finds them (not imported: the framework
    module imports this package)."""
    from importlib import resources

    packaged = Path(str(resources.files("mfgindex"))) / "_builtin"
    checkout = Path(__file__).resolve().parents[3]
    return {(root / sub).resolve() for root in (packaged, checkout) for sub in ("data", "examples/data")}


def _framework_dataset(path: Path, framework: Framework, missing: Iterable[str], sheet: str | int) -> Dataset:
    """The dataset a framework names. The user did not name this file, so it must be a regular
    data file (no device, no pipe, a data suffix), and a message about it quotes none of its
    content — a framework from a stranger could point at a secret (``~/.aws/credentials``);
    ``mfgindex validate FILE -f FRAMEWORK``, naming the file, shows the problems themselves.
    The bundled datasets are trusted."""
    check_input_file(path, named=False)  # a device, a pipe, a folder, too large: said as such
    bundled = path.resolve().parent in _bundled_data_dirs()
    if not bundled and path.suffix.lower() not in DATA_SUFFIXES:
        raise DataError(
            f"framework '{framework.id}' names a dataset that is not a data file "
            f"(suffix '{path.suffix or 'none'}'); it is not read",
            where=str(path),
            hint="a framework's dataset must be a .csv, .xlsx or .parquet file; or give the data "
            "file on the command line",
        )
    try:
        frame, digest = read_table_digest(
            path, sheet=sheet, named=False, numeric=framework.indicator_columns(), missing=missing
        )
        return _from_frame(
            Dataset, frame, framework, source=str(path), digest=digest, missing=missing, private=True
        )
    except DataError as exc:
        if bundled:
            raise
        n = 1 + len(exc.problems) if exc.problems else 1
        raise DataError(
            f"cannot use the dataset framework '{framework.id}' names "
            f"({n} problem{'s' if n > 1 else ''}); its content is not shown, because the file "
            "was not named on the command line",
            where=str(path),
            hint=f"to see the problems, name the file yourself: mfgindex validate {path} -f FRAMEWORK",
        ) from None
