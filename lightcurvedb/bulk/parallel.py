"""Parallel bulk ingest: N worker processes, each with its own connection, committing one batch at a time."""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Any

import psycopg

from lightcurvedb.bulk._engine import Mode, WriteResult, batches, check_mode, prepare, run_batch
from lightcurvedb.bulk._spec import SPECS
from lightcurvedb.errors import BulkWriteError

_CONN: psycopg.Connection[Any] | None = None


def _init_worker(dsn: str) -> None:
    global _CONN
    from lightcurvedb.adapters import register

    _CONN = psycopg.connect(dsn, autocommit=True)
    register(_CONN)


def _write_batch(table: str, rows: list[tuple[Any, ...]], mode: str, staged: bool, max_retries: int,
                 dropped: int) -> WriteResult:
    if _CONN is None:
        raise BulkWriteError("parallel worker has no connection")
    return run_batch(_CONN, SPECS[table], rows, mode, staged=staged, max_retries=max_retries, dropped=dropped)


def ingest_parallel_committing(dsn: str, table: str, rows: Iterable[Any], *, mode: Mode = "insert",
                               workers: int = 2, batch_size: int = 200, staged: bool = False,
                               max_retries: int = 8, start_method: str = "spawn") -> WriteResult:
    """Write `rows` into `table` with `workers` processes, COMMITTING ONCE PER BATCH in each worker.

    The parent consumes `rows` lazily, turns each batch into COPY rows sorted by natural key and hands it to
    a worker; at most 2 × `workers` batches are in flight, so memory stays bounded. Every batch takes its
    row locks in natural-key order, so two workers cannot deadlock on each other; a deadlock or serialization
    failure with another writer (or a unique race in skip/replace mode) is retried with bounded exponential
    back-off, then raised (typed). On error no new batch is started; batches already committed stay.
    """
    check_mode(mode)
    if workers < 1:
        raise BulkWriteError(f"workers must be >= 1, got {workers}")
    if table not in SPECS:
        raise BulkWriteError(f"no bulk writer for table {table!r}")
    spec = SPECS[table]
    total = WriteResult()
    ctx = multiprocessing.get_context(start_method)
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_init_worker,
                             initargs=(dsn,)) as pool:
        pending: set[Future[WriteResult]] = set()
        try:
            for chunk in batches(rows, batch_size):
                prepared, dropped = prepare(spec, chunk, mode)
                del chunk
                while len(pending) >= 2 * workers:
                    done, pending = wait(pending, return_when=FIRST_COMPLETED)
                    for fut in done:
                        total.add(fut.result())
                pending.add(pool.submit(_write_batch, table, prepared, mode, staged, max_retries, dropped))
            for fut in pending:
                total.add(fut.result())
        except BaseException:
            for fut in pending:
                fut.cancel()
            raise
    return total


def ingest_datasets_parallel_committing(dsn: str, rows: Iterable[Any], *, mode: Mode = "insert", workers: int = 2,
                                        batch_size: int = 200) -> WriteResult:
    """Write datasets with `workers` processes, COMMITTING ONCE PER BATCH (see `ingest_parallel_committing`)."""
    return ingest_parallel_committing(dsn, "dataset", rows, mode=mode, workers=workers, batch_size=batch_size)
