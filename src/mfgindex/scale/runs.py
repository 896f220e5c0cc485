r"""Uncertainty runs over Dask workers (``uncertainty(..., engine="dask")``).

The in-memory path (:func:`mfgindex.robustness.engine.run_design`) goes through a design's runs
in chunks: each chunk is one combination of categorical choices and up to ``size`` runs, scored
as a batch of weight vectors, ranked, and added to the per-unit rank counts. Here the same
chunks — cut by the same :func:`~mfgindex.robustness.engine.plan_runs`, so of the same runs —
are grouped into tasks of consecutive chunks and scored on Dask workers by the same code
(:func:`~mfgindex.robustness.engine.score_part`). Each task returns what the estimators need of
its runs:

* the rank counts of its runs, an :math:`n \times n` integer matrix
  :math:`C^{(t)}_{uk}` (runs in which unit :math:`u` ranked :math:`k`);
* which of its runs are valid (score some unit), and, with ``keep_runs``, their scores and
  ranks;
* per chunk, the record of the units a zero scored 0 and of the units left unscored.

The client adds them up: :math:`C = \sum_t C^{(t)}`, the records summed per combination as the
in-memory path sums its chunks' records. The design (every run's choices and weight factors) is
drawn once on the client, from the seed, before any task, so the result does not depend on the
number of workers or tasks, and the rank counts are integers, so their sum does not depend on
the order in which tasks finish: every rank statistic equals the in-memory path's exactly.

Every combination is prepared and normalised once on the client (it is needed there for the
nominal index anyway); the workers only score. The engine is sent to each worker once
(``scatter(..., broadcast=True)``); a task carries only its runs' weight factors.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Any

import numpy as np

from mfgindex.errors import MfgIndexError, UsageError
from mfgindex.robustness.engine import Tally, check_invalid, finish, plan_runs, score_part

if TYPE_CHECKING:
    from mfgindex.robustness.design import Design
    from mfgindex.robustness.engine import Engine, Scored
    from mfgindex.robustness.spec import Invalid, Progress

__all__ = ["CONNECT_TIMEOUT", "TASKS_PER_THREAD", "require_engine", "run_design_dask"]

#: Seconds to wait for a scheduler given by address before giving up.
CONNECT_TIMEOUT = 10.0

#: Tasks per worker thread: enough for the load to balance, few enough that the ``(n, n)`` rank
#: counts each task returns stay a small share of the transfers.
TASKS_PER_THREAD = 4

_HINT = 'install the scale extra: pip install "mfgindex[scale]"'

#: One chunk of a task: its combination key, weight factors ``(b, nodes)`` or None, left-out
#: nodes ``(b,)`` or None, and its number of runs ``b``.
_Chunk = tuple[tuple[str, ...], np.ndarray | None, np.ndarray | None, int]


def require_engine(scheduler: str | None = None) -> ModuleType:
    """``dask`` (and ``distributed`` when ``scheduler`` is given), or an error naming the extra.

    A missing package is not a misuse of the options, so the error is a plain
    :class:`~mfgindex.errors.MfgIndexError` (exit 1 on the command line).

    Parameters
    ----------
    scheduler : str or None
        A scheduler's address: ``distributed`` is needed too.

    Returns
    -------
    types.ModuleType
        The ``dask`` module.

    Raises
    ------
    MfgIndexError
        The ``[scale]`` extra is not installed; the hint says ``pip install "mfgindex[scale]"``.
    """
    from mfgindex.scale._deps import require_dask, require_distributed

    try:
        dask = require_dask()
        if scheduler is not None:
            require_distributed()
    except UsageError as exc:
        raise MfgIndexError(exc.what, hint=_HINT) from None
    return dask


@dataclass(frozen=True)
class _Batch:
    """One task: consecutive chunks of the design, and what to keep of them."""

    chunks: list[_Chunk]
    keep: bool
    with_counts: bool


@dataclass(frozen=True)
class _Part:
    """What a task returns of its runs (in the order of its chunks)."""

    runs: int
    valid: np.ndarray  # (runs,)
    counts: np.ndarray | None  # (n, n) rank counts
    scores: np.ndarray | None  # (runs, n), kept only
    ranks: np.ndarray | None  # (runs, n), kept only
    records: list[tuple[dict[str, Any] | None, dict[str, Any] | None]]  # per chunk: zero, unscored


def _run_batch(engine: Engine, batch: _Batch) -> _Part:
    """Score a task's chunks (on a worker): the in-memory path's loop body, without the policy.

    Parameters
    ----------
    engine : Engine
        The analysis's engine, every combination of the batch already prepared.
    batch : _Batch
        The chunks.

    Returns
    -------
    _Part
        Validity, rank counts, kept tables and the chunks' records.
    """
    total = sum(chunk[3] for chunk in batch.chunks)
    tally = Tally(total, len(engine.rows), batch.keep, batch.with_counts, total)
    records = []
    start = 0
    for key, factors, excluded, b in batch.chunks:
        root, zero_rec, refused_rec = score_part(engine, key, factors, excluded, b)
        tally.add(np.arange(start, start + b), root)
        records.append((zero_rec, refused_rec))
        start += b
    return _Part(total, tally.valid, tally.counts, tally.scores, tally.ranks, records)


def _groups(
    chunks: list[tuple[tuple[str, ...], np.ndarray]], tasks: int
) -> list[list[tuple[tuple[str, ...], np.ndarray]]]:
    """Consecutive chunks grouped into at most about ``tasks`` groups of similar numbers of runs.

    Parameters
    ----------
    chunks : list of (key, runs)
        The chunks of :func:`~mfgindex.robustness.engine.plan_runs`, in order.
    tasks : int
        The number of groups aimed at.

    Returns
    -------
    list of lists
        The chunks, in order, cut into groups (none empty).
    """
    per = sum(len(runs) for _, runs in chunks) / max(1, tasks)
    out: list[list[tuple[tuple[str, ...], np.ndarray]]] = [[]]
    filled = 0
    for item in chunks:
        if out[-1] and filled >= per:
            out.append([])
            filled = 0
        out[-1].append(item)
        filled += len(item[1])
    return [g for g in out if g]


@contextmanager
def _client(scheduler: str | None) -> Iterator[Any]:
    """The ``distributed.Client`` to run on: one connected to ``scheduler`` (closed afterwards),
    else the active client, else None (dask's local scheduler, threads by default).

    Raises
    ------
    MfgIndexError
        The scheduler at ``scheduler`` cannot be reached within :data:`CONNECT_TIMEOUT`.
    """
    if scheduler is None:
        active = None
        try:
            from distributed import default_client

            active = default_client()
        except (ImportError, ValueError):  # no distributed, or no client active
            pass
        yield active
        return
    import gc

    import distributed
    from distributed.comm import resolve_address

    try:
        # a malformed address is refused before a Client is built: a half-built one complains
        # when collected, at exit, in a traceback
        resolve_address(scheduler)
        client = distributed.Client(scheduler, timeout=CONNECT_TIMEOUT, set_as_default=False)
    except (OSError, TimeoutError, ValueError, TypeError) as exc:
        gc.collect()  # a Client that timed out closes now, quietly, not at exit
        raise MfgIndexError(
            f"cannot reach the Dask scheduler at '{scheduler}': {exc}",
            where="scheduler",
            hint="check the address (tcp://host:8786), start one (dask scheduler; dask worker "
            "ADDRESS), or leave the scheduler out (--scheduler) to use this machine's threads",
        ) from None
    try:
        yield client
    finally:
        client.close()


def _threads(client: Any, dask: ModuleType) -> int:
    """The worker threads available: the cluster's, or the local scheduler's."""
    if client is not None:
        return max(1, int(sum(client.nthreads().values())))
    return int(dask.config.get("num_workers", None) or os.cpu_count() or 1)


def _on_cluster(client: Any, engine: Engine, batches: list[_Batch], progress: Progress | None) -> list[_Part]:
    """Run the batches on a distributed cluster: the engine sent to every worker once, each
    batch scattered, results collected as they finish (``progress`` after each) and put back
    in order."""
    from distributed import as_completed

    total = sum(sum(c[3] for c in b.chunks) for b in batches)
    shipped = client.scatter(engine, broadcast=True, hash=False)
    inputs = client.scatter(batches, hash=False)  # the weight factors go to the workers as data
    futures = [client.submit(_run_batch, shipped, b, pure=False) for b in inputs]
    position = {f.key: i for i, f in enumerate(futures)}
    parts: list[_Part | None] = [None] * len(futures)
    done = 0
    try:
        for future in as_completed(futures):
            part: _Part = future.result()
            parts[position[future.key]] = part
            future.release()
            done += part.runs
            if progress is not None:
                progress(done, total)
    finally:
        client.cancel([*futures, *inputs, shipped])
    return [p for p in parts if p is not None]


def _on_local(
    dask: ModuleType, engine: Engine, batches: list[_Batch], progress: Progress | None
) -> list[_Part]:
    """Run the batches on dask's local scheduler (threads unless configured otherwise),
    ``progress`` after each task."""
    from dask.callbacks import Callback

    total = sum(sum(c[3] for c in b.chunks) for b in batches)
    done = 0

    def posttask(key: Any, result: Any, dsk: Any, state: Any, worker_id: Any) -> None:
        nonlocal done
        if isinstance(result, _Part) and progress is not None:
            done += result.runs
            progress(done, total)

    run = dask.delayed(_run_batch, pure=False)
    with Callback(posttask=posttask):
        parts: tuple[_Part, ...] = dask.compute(*[run(engine, b) for b in batches])
    return list(parts)


def _for_workers(engine: Engine) -> Engine:
    """A shallow copy of ``engine`` without the prepared stages (each combination, already
    prepared and normalised, is all the workers need to score)."""
    shipped = copy.copy(engine)
    shipped._prepared = {}  # the combinations are cached; the prepared stages are not needed
    return shipped


def run_design_dask(
    engine: Engine,
    design: Design,
    *,
    chunk: int | None,
    progress: Progress | None,
    invalid: Invalid,
    keep_runs: bool = False,
    max_memory: int | None = None,
    scheduler: str | None = None,
) -> tuple[Scored, dict[str, Any]]:
    """:func:`~mfgindex.robustness.engine.run_design` with the chunks scored on Dask workers.

    Parameters
    ----------
    engine, design, chunk, progress, invalid, keep_runs, max_memory
        As for :func:`~mfgindex.robustness.engine.run_design`: the chunks are the same, and
        ``max_memory`` is each worker's budget as well as the client's. With
        ``invalid="raise"`` the error is the in-memory path's (the first chunk, in design
        order, with a unit left unscored or scored 0 by a zero), raised once every task is done.
    scheduler
        A Dask scheduler's address (``tcp://host:8786``); default the active
        ``distributed.Client``, else dask's local scheduler (threads).

    Returns
    -------
    tuple
        ``(scored, record)``: the runs, equal to the in-memory path's (the same rank counts,
        validity, records and kept tables), and the engine's provenance record.

    Raises
    ------
    MfgIndexError
        The ``[scale]`` extra is missing, or the scheduler cannot be reached.
    """
    dask = require_engine(scheduler)
    plan = plan_runs(engine, design, chunk=chunk, keep_runs=keep_runs, max_memory=max_memory)
    for key, _ in plan.chunks:
        engine.combination(key)  # prepared and normalised once, here: the workers only score
    with _client(scheduler) as client:
        threads = _threads(client, dask)
        groups = _groups(plan.chunks, TASKS_PER_THREAD * threads)
        batches = [
            _Batch(
                [(key, *plan.inputs(design, runs), len(runs)) for key, runs in g], plan.keep, plan.with_counts
            )
            for g in groups
        ]
        shipped = _for_workers(engine)
        if client is not None:
            parts = _on_cluster(client, shipped, batches, progress)
            where = str(client.scheduler.address)
        else:
            parts = _on_local(dask, shipped, batches, progress)
            where = str(dask.config.get("scheduler", None) or "threads")
    tally = Tally(design.runs, len(engine.rows), plan.keep, plan.with_counts, design.runs)
    problems: list[dict[str, Any]] = []
    zero_records: list[dict[str, Any]] = []
    for group, part in zip(groups, parts, strict=True):
        _absorb(tally, np.concatenate([runs for _, runs in group]), part)
        for zero_rec, refused_rec in part.records:  # in design order, as in memory
            check_invalid(zero_rec, refused_rec, invalid)
            zero_records += [zero_rec] if zero_rec is not None else []
            problems += [refused_rec] if refused_rec is not None else []
    record = {"name": "dask", "dask": dask.__version__, "scheduler": where, "threads": threads}
    record |= {"tasks": len(batches), "chunks": len(plan.chunks), "chunk_runs": plan.size}
    return finish(engine, design, plan, tally, problems, zero_records), record


def _absorb(tally: Tally, runs: np.ndarray, part: _Part) -> None:
    """Add a task's results to the analysis's tally: ``runs`` are the design's run numbers of
    the task's runs, in its order."""
    tally.valid[runs] = part.valid
    if tally.counts is not None and part.counts is not None:
        tally.counts += part.counts
    if tally.scores is not None and tally.ranks is not None and part.scores is not None:
        tally.scores[runs] = part.scores
        tally.ranks[runs] = part.ranks
