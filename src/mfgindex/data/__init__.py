"""Reading unit data: CSV (UTF-8, UTF-8 with BOM, GB18030/GBK), XLSX and Parquet, wide or long.

Reading policy (documented in docs/troubleshooting.md, "Data files"):

* Cells are read as text and parsed here, so every problem can name its row and column. CSV rows
  are checked cell by cell: a row with more or fewer cells than the header is an error (pandas
  would pad it, or shift every value when all rows have one extra cell); empty trailing cells
  are dropped.
* Missing markers, thousands separators, full-width digits, the Unicode minus and a trailing
  percent sign are read as :mod:`mfgindex.data.numbers` says; anything else is an error naming
  the cell, with a hint for the usual causes.
* Encodings: a byte-order mark decides (UTF-8, UTF-16, UTF-32); else UTF-8, then GB18030 (a
  superset of GBK/GB2312, what Chinese Excel writes); anything else is an error naming the line
  and byte it could not read.

Modules, one job each:

========== ===================================================================================
decode     bytes → text (BOMs, UTF-8, GB18030); CSV text → checked rows of cells
tables     a table file (CSV/TSV, XLSX, Parquet) → DataFrame of text cells; file SHA-256
numbers    the number / missing-value policy: cells → float64, and why a cell is not a number
layout     long (unit, year, indicator, value) → wide; which column holds the year
validate   a wide table against a framework → every :class:`~mfgindex.errors.Problem`
dataset    the immutable :class:`Dataset`, and :func:`read_data`
========== ===================================================================================
"""

from mfgindex.data.dataset import Dataset, read_data
from mfgindex.data.layout import to_wide, year_column
from mfgindex.data.numbers import MISSING_MARKERS, number_hint, parse_numbers
from mfgindex.data.tables import file_sha256, read_table, read_table_hashed
from mfgindex.data.validate import FileCheck, validate_file, validate_table
from mfgindex.errors import Problem, problems_error

__all__ = [
    "MISSING_MARKERS",
    "Dataset",
    "FileCheck",
    "Problem",
    "file_sha256",
    "number_hint",
    "parse_numbers",
    "problems_error",
    "read_data",
    "read_table",
    "read_table_hashed",
    "to_wide",
    "validate_file",
    "validate_table",
    "year_column",
]
