"""Worker processes of `bulk.write(dsn, …, workers=N)`: each has its own connection and commits its batches."""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Any

import psycopg

from lightcurvedb.adapters import register
from lightcurvedb.bulk._engine import WriteResult, batches, prepare, run_batch
from lightcurvedb.bulk._tables import BULK_TABLES, BulkTable
from lightcurvedb.errors import BulkWriteError

_CONN: psycopg.Connection[Any] | None = None


def connect(dsn: str) -> psycopg.Connection[Any]:
    """An autocommit connection with the NumPy adapters: each batch's transaction block is a transaction."""
    conn = psycopg.connect(dsn, autocommit=True)
    register(conn)
    return conn


def _init_worker(dsn: str) -> None:
    global _CONN
    _CONN = connect(dsn)


def _write_batch(table: str, rows: list[tuple[Any, ...]], mode: str, max_retries: int, dropped: int) -> WriteResult:
    if _CONN is None:
        raise BulkWriteError("parallel worker has no connection")
    return run_batch(_CONN, BULK_TABLES[table], rows, mode, max_retries=max_retries, dropped=dropped)


def write(dsn: str, tbl: BulkTable, rows: Iterable[Any], *, mode: str, workers: int, batch_size: int,
          max_retries: int) -> WriteResult:
    """Prepare batches here (sorted by natural key), write them in `workers` spawned processes."""
    if workers < 1:
        raise BulkWriteError(f"workers must be >= 1, got {workers}")
    total = WriteResult()
    ctx = multiprocessing.get_context("spawn")  # no inherited sockets: each worker opens its own connection
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_init_worker,
                             initargs=(dsn,)) as pool:
        pending: set[Future[WriteResult]] = set()
        try:
            for chunk in batches(rows, batch_size):
                prepared, dropped = prepare(tbl, chunk, mode)
                del chunk
                while len(pending) >= 2 * workers:
                    done, pending = wait(pending, return_when=FIRST_COMPLETED)
                    for fut in done:
                        total.add(fut.result())
                pending.add(pool.submit(_write_batch, tbl.name, prepared, mode, max_retries, dropped))
            for fut in pending:
                total.add(fut.result())
        except BaseException:
            for fut in pending:
                fut.cancel()
            raise
    return total
