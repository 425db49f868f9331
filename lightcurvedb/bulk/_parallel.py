"""Worker threads of `bulk.write(dsn, …, workers=N)`: each has its own connection and commits its batches."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any

import psycopg

from lightcurvedb.adapters import register
from lightcurvedb.bulk._engine import WriteResult, batches, prepare, run_batch
from lightcurvedb.bulk._tables import BulkTable
from lightcurvedb.connection import session_dsn
from lightcurvedb.errors import BulkWriteError


def connect(dsn: str) -> psycopg.Connection[Any]:
    """An autocommit connection with the NumPy adapters: each batch's transaction block is a transaction."""
    conn = psycopg.connect(session_dsn(dsn), autocommit=True)
    register(conn)
    return conn


class _Connections(threading.local):
    """One connection per worker thread, opened on its first batch; all closed when the write ends."""

    def __init__(self, dsn: str, opened: list[psycopg.Connection[Any]]) -> None:
        self.conn = connect(dsn)
        opened.append(self.conn)


def write(dsn: str, tbl: BulkTable, rows: Iterable[Any], *, mode: str, workers: int, batch_size: int,
          max_retries: int) -> WriteResult:
    """Prepare batches here (sorted by natural key), write them from `workers` threads, one connection each.

    Threads, not processes: the arrays reach a worker without being pickled through a pipe, and the work that
    counts runs outside the GIL (NumPy's encoding copies, libpq's sends, the server's backends).
    """
    if workers < 1:
        raise BulkWriteError(f"workers must be >= 1, got {workers}")
    total = WriteResult()
    opened: list[psycopg.Connection[Any]] = []
    local = _Connections(dsn, opened)  # the calling thread's connection checks the DSN before any batch
    lock = threading.Lock()

    def write_batch(prepared: list[tuple[Any, ...]], dropped: int) -> WriteResult:
        with lock:
            conn = local.conn  # threading.local runs __init__ (connect) on a worker's first access
        return run_batch(conn, tbl, prepared, mode, max_retries=max_retries, dropped=dropped)

    try:
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="lcdb-bulk") as pool:
            pending: set[Future[WriteResult]] = set()
            try:
                for chunk in batches(rows, batch_size):
                    prepared, dropped = prepare(tbl, chunk, mode)
                    del chunk
                    while len(pending) >= 2 * workers:
                        done, pending = wait(pending, return_when=FIRST_COMPLETED)
                        for fut in done:
                            total.add(fut.result())
                    pending.add(pool.submit(write_batch, prepared, dropped))
                for fut in pending:
                    total.add(fut.result())
            except BaseException:
                for fut in pending:
                    fut.cancel()
                raise
    finally:
        for conn in opened:
            conn.close()
    return total
