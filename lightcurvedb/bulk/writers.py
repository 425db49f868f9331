"""The one bulk writer: binary COPY into dataset, target_specific_time, quality_flag_array, fits_frame."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import psycopg
from psycopg.pq import TransactionStatus

from lightcurvedb.bulk import _parallel
from lightcurvedb.bulk._engine import Mode, WriteResult, batches, check_mode, copy_direct, prepare, run_batch
from lightcurvedb.bulk._tables import BULK_TABLES, BulkTable, extractor
from lightcurvedb.errors import BulkWriteError


def _bulk_table(table: str) -> BulkTable:
    try:
        return BULK_TABLES[table]
    except KeyError:
        raise BulkWriteError(f"no bulk writer for table {table!r}; known: {sorted(BULK_TABLES)}") from None


def write(conn: psycopg.Connection[Any] | str, table: str, rows: Iterable[Any], *, mode: Mode = "insert",
          commit: bool = False, workers: int | None = None, batch_size: int | None = None,
          max_retries: int = 8) -> WriteResult:
    """Write `rows` into `table` ("dataset", "target_specific_time", "quality_flag_array" or "fits_frame").

    Rows are the generated ``*Insert`` records (``DatasetInsert``, ``TargetSpecificTimeInsert``,
    ``QualityFlagArrayInsert``, ``FitsFrameInsert``; ``model_construct`` builds them without validation, the
    fast path for big loads: the COPY encoder checks every array anyway), mappings or any object with the
    column attributes, or positional tuples in the table's column order. TESS frames (type
    'tess_fits_frame') also carry camera, ccd, start_tjd, mid_tjd, end_tjd, exposure_time, quality_bit, which
    go to their tess_fits_frame row.

    ``mode``: "insert" (a duplicate natural key raises the typed ``DuplicateKey`` error), "skip" (existing keys
    are left alone) or "replace" (existing rows are updated in place, ids kept). Rows are consumed lazily,
    ``batch_size`` at a time (default: the table's, 200 datasets ≈ 42 MB of 13,000-cadence arrays), sorted by
    natural key within each batch (the lock order), so client memory is bounded by one batch. Deadlocks,
    serialization failures and (skip/replace) unique races with concurrent writers are retried up to
    ``max_retries`` times with back-off; every other error is raised typed.

    Transactions:

    - ``commit=False`` (default): inside the caller's transaction, which is never committed. The whole call runs
      in one savepoint: on error nothing of it remains and the caller's transaction stays usable.
    - ``commit=True``: COMMITS ONCE PER BATCH. `conn` must have no transaction open (or be a DSN, for which one
      connection is opened). A failing batch is rolled back whole and raised; the batches before it stay
      committed, so re-run with mode="skip" to resume.
    - ``workers=N`` (needs a DSN and ``commit=True``): N worker threads, each with its own connection,
      COMMITTING ONCE PER BATCH. The calling thread prepares the batches (at most 2 × N in flight); on error
      no new batch is started, and batches already committed stay.
    """
    check_mode(mode)
    tbl = _bulk_table(table)
    size = tbl.batch_size if batch_size is None else batch_size
    if workers is not None:
        if not isinstance(conn, str):
            raise BulkWriteError("workers need a DSN: each worker opens its own connection")
        if not commit:
            raise BulkWriteError("workers commit once per batch: pass commit=True")
        return _parallel.write(conn, tbl, rows, mode=mode, workers=workers, batch_size=size,
                               max_retries=max_retries)
    if isinstance(conn, str):
        if not commit:
            raise BulkWriteError("a DSN opens a connection of its own: pass commit=True (commits once per batch)")
        with _parallel.connect(conn) as own:
            return _committing(own, tbl, rows, mode=mode, batch_size=size, max_retries=max_retries)
    if commit:
        return _committing(conn, tbl, rows, mode=mode, batch_size=size, max_retries=max_retries)
    total = WriteResult()
    if not conn.autocommit and conn.info.transaction_status == TransactionStatus.IDLE:
        conn.execute("SELECT 1")  # open the caller's implicit transaction: transaction() below is then a savepoint
    with conn.transaction():  # one block around the whole call: a failure leaves nothing of it behind
        for chunk in batches(rows, size):
            prepared, dropped = prepare(tbl, chunk, mode)
            del chunk
            total.add(run_batch(conn, tbl, prepared, mode, max_retries=max_retries, dropped=dropped))
    return total


def _committing(conn: psycopg.Connection[Any], tbl: BulkTable, rows: Iterable[Any], *, mode: str, batch_size: int,
                max_retries: int) -> WriteResult:
    """One transaction per batch (`run_batch`'s transaction block is a real transaction on an idle connection)."""
    if conn.info.transaction_status != TransactionStatus.IDLE:
        raise BulkWriteError(
            "commit=True commits once per batch: call it on a connection with no transaction open "
            "(or write inside your transaction with commit=False)")
    total = WriteResult()
    for chunk in batches(rows, batch_size):
        prepared, dropped = prepare(tbl, chunk, mode)
        del chunk
        total.add(run_batch(conn, tbl, prepared, mode, max_retries=max_retries, dropped=dropped))
    return total


def write_with_ids(conn: psycopg.Connection[Any], table: str, rows: Sequence[Mapping[str, Any]], *,
                   ids: Sequence[int]) -> int:
    """Insert `rows` (mappings of `table`'s bulk columns) into their partitions on `conn` under the given `ids`,
    inside the caller's transaction: how an ingest writes a sharded observation's arrays straight to the shard,
    with ids the coordinator reserved (`lcdb_reserve_data_ids`). Returns the rows written."""
    base = _bulk_table(table)
    if len(ids) != len(rows):
        raise BulkWriteError(f"{len(rows)} {table} rows need as many ids, got {len(ids)}")
    tbl = dataclasses.replace(base, columns=("id", *base.columns), types=("int8", *base.types))
    extract = extractor(tbl)
    encoded = [extract({**row, "id": int(i)}) for row, i in zip(rows, ids, strict=True)]
    with conn.cursor() as cur:
        copy_direct(cur, tbl, encoded)
    return len(encoded)
