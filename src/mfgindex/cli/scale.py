"""``mfgindex score --engine dask``: score partitioned Parquet with the Dask path.

Thin, like every command module: parse, call :mod:`mfgindex.scale`, report. Imports nothing
heavy at module level (the option types below are read by ``score``'s signature).
"""

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

__all__ = ["DataFilesArg", "Engine", "EngineOpt", "SchedulerOpt", "score_dask"]


class Engine(StrEnum):
    memory = "memory"
    dask = "dask"


DataFilesArg = Annotated[
    list[Path] | None,
    typer.Argument(
        help="Data file (.csv, .xlsx, .parquet); default: the framework's bundled "
        "dataset. With --engine dask: Parquet files or a folder of them.",
        show_default=False,
    ),
]
EngineOpt = Annotated[
    Engine,
    typer.Option(
        "--engine",
        help="memory (default), or dask: partitioned Parquet in, a folder "
        "of Parquet out (-o), for data that does not fit in memory "
        '(needs pip install "mfgindex[scale]").',
        rich_help_panel="Scale",
    ),
]
SchedulerOpt = Annotated[
    str | None,
    typer.Option(
        "--scheduler",
        help="With --engine dask: a Dask scheduler's address "
        "(tcp://host:8786); default: threads on this machine.",
        rich_help_panel="Scale",
        show_default=False,
    ),
]


def score_dask(
    data: list[Path] | None,
    *,
    framework: str,
    year: int | None,
    output: Path | None,
    fmt: str | None = None,
    indicators: bool = False,
    ranks: bool = False,
    strict: bool = False,
    scheduler: str | None = None,
    engine: str = "dask",
    options: dict[str, Any] | None = None,
    unsupported: dict[str, Any] | None = None,
) -> None:
    """Score Parquet ``data`` on the Dask path and write the folder ``output``.

    ``unsupported``: the in-memory command's options the Dask path does not take (option →
    value; None or False when not given): any given is a usage error, never silently ignored.
    Call inside :func:`mfgindex.cli.common.user_errors`: errors are the library's.
    """
    from mfgindex.cli.common import check_options, err_console
    from mfgindex.framework import load_framework
    from mfgindex.pipeline import Choices

    output = _check_dask_options(
        data, output=output, fmt=fmt, scheduler=scheduler, engine=engine, unsupported=unsupported
    )
    options = dict(options or {})
    check_options(options)
    from mfgindex.examples import bundled_or_given
    from mfgindex.scale import score, write_parquet
    from mfgindex.scale._deps import require_dask

    require_dask()
    fw = load_framework(bundled_or_given(framework))
    files = _data_files(fw, data)
    client = _connect(scheduler) if scheduler else None
    try:
        res = score(
            fw,
            [str(p) for p in files],
            choices=Choices.from_mapping(options),
            year=year,
            ranks=ranks,
            indicators=indicators,
        )
        con = err_console()
        bad = _say_warnings(res.provenance, con)
        if strict and bad:
            from mfgindex.errors import DataError

            raise DataError(f"--strict: {len(bad)} warning(s) above; nothing written")
        folder = write_parquet(res, output)
        n = res.provenance["data"]["rows"]
        parts = res.provenance["engine"]["partitions"]
        con.print(
            f"scored {n:,} units in {parts} partition{'s' if parts != 1 else ''} -> {folder}/",
            markup=False,
            highlight=False,
        )
    finally:
        if client is not None:
            client.close()


def _check_dask_options(
    data: list[Path] | None,
    *,
    output: Path | None,
    fmt: str | None,
    scheduler: str | None,
    engine: str,
    unsupported: dict[str, Any] | None,
) -> Path:
    """The usage errors of ``score --engine dask``, before any work; the output folder."""
    from mfgindex.errors import UsageError

    if engine != "dask":
        what = "--scheduler" if scheduler else f"{len(data or [])} data files"
        raise UsageError(
            f"{what}: only --engine dask reads several files or uses a scheduler",
            hint="add --engine dask (Parquet files), or give one data file",
        )
    given = [k for k, v in (unsupported or {}).items() if v not in (None, False, (), [])]
    if given:
        hint = (
            "the Dask path writes every unit's scores with node ids as headers; filter or "
            "relabel the Parquet output afterwards, or score in memory"
        )
        if given == ["--dtype"]:
            hint = (
                "the Dask path scores in float64, one partition at a time (its memory is "
                "bounded already): drop --dtype, or score in memory"
            )
        raise UsageError(f"{', '.join(given)}: not available with --engine dask", hint=hint)
    if output is None:
        raise UsageError(
            "--engine dask writes a folder of Parquet files: give -o FOLDER",
            where="--output",
            hint="e.g. -o scores/",
        )
    if fmt not in (None, "parquet"):
        raise UsageError(
            f"--engine dask writes Parquet, not {fmt}",
            where="--format",
            hint="drop --format; read the folder with pandas.read_parquet",
        )
    return output


def _data_files(fw: Any, data: list[Path] | None) -> list[Path]:
    """The files to score: ``data``, or the framework's bundled dataset (an example's bare
    name works too)."""
    from mfgindex.errors import UsageError
    from mfgindex.examples import bundled_or_given

    if not data:
        if fw.dataset is None:
            raise UsageError(
                "--engine dask needs data: Parquet (or CSV) files, or a folder",
                hint="mfgindex score data/*.parquet -f fw.toml --engine dask -o out/",
            )
        data = [Path(fw.dataset)]
    return [Path(bundled_or_given(p)) for p in data]


def _connect(scheduler: str) -> Any:
    """A ``distributed.Client`` of the scheduler at ``scheduler`` (a usage error when it cannot
    be reached in 10 s)."""
    from mfgindex.errors import UsageError
    from mfgindex.scale._deps import require_distributed

    distributed = require_distributed()
    import gc

    from distributed.comm import resolve_address

    try:
        # a malformed address is refused before a Client is built: a half-built one complains
        # when collected, at exit, in a traceback
        resolve_address(scheduler)
        return distributed.Client(scheduler, timeout="10s")
    except (OSError, TimeoutError, ValueError, TypeError) as exc:
        gc.collect()  # a Client that timed out closes now, quietly, not at exit
        raise UsageError(
            f"cannot reach the Dask scheduler at '{scheduler}': {exc}",
            where="--scheduler",
            hint="start one (dask scheduler; dask worker ADDRESS) or drop "
            "--scheduler to use this machine's threads",
        ) from None


#: What a Dask run's bad cells mean, by kind (provenance ``bad_cells``).
_BAD_CELL_WORDS = {
    "domain": "outside its transform's domain: NaN from the indicator up",
    "refused": "refused by the aggregator: NaN from the group up",
    "zero": "at 0 under a geometric or harmonic mean: the group scores 0",
}


def _say_warnings(provenance: Any, con: Any) -> list[Any]:
    """Print a Dask run's bad cells, unscored units and skipped stages on ``con``; return
    the bad cells (``--strict`` refuses to write when there are any)."""
    bad: list[Any] = provenance.get("bad_cells") or []
    for item in bad:
        con.print(
            f"warning: {item['units']} unit(s) on '{item['node']}': "
            f"{_BAD_CELL_WORDS.get(item['kind'], item['kind'])}",
            markup=False,
            highlight=False,
        )
    for node, count in (provenance.get("unscored") or {}).items():
        if count:
            con.print(
                f"note: {count:,} unit(s) have no score on '{node}' (less than "
                f"min_coverage of its weight has data, or a bad cell below it)",
                markup=False,
                highlight=False,
            )
    stages = str(provenance["methods"].get("stages", ""))
    if stages.startswith("none:"):
        con.print(f"note: stages {stages}", markup=False, highlight=False)
    return bad
