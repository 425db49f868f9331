"""Bulk writers: datasets, target times, quality flags, FITS frames by binary COPY, merged on natural keys."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import psycopg

from lightcurvedb.bulk._engine import Mode, WriteResult, write
from lightcurvedb.bulk._spec import DATASET, FITS_FRAME, QUALITY_FLAGS, SPECS, TARGET_TIME, TableSpec
from lightcurvedb.errors import BulkWriteError

DEFAULT_BATCH_SIZE = 200
"""Rows per batch: 200 datasets of 13,000 cadences are ~42 MB of arrays held by the client at once."""

_DOC_MODES = """
    Records are any objects with the table's column attributes (generated pydantic ``*Insert`` records,
    dataclasses, mappings) or positional tuples in the table's column order. ``mode``: "insert" (a duplicate
    natural key raises the typed ``Duplicate*`` error), "skip" (existing keys are left alone) or "replace"
    (existing rows are updated in place, ids kept). Rows are consumed lazily, ``batch_size`` at a time, sorted
    by natural key within each batch (the lock order), so client memory is bounded by one batch.
"""


def _spec(table: str) -> TableSpec:
    try:
        return SPECS[table]
    except KeyError:
        raise BulkWriteError(f"no bulk writer for table {table!r}; known: {sorted(SPECS)}") from None


def write_rows(conn: psycopg.Connection[Any], table: str, rows: Iterable[Any], *, mode: Mode = "insert",
               batch_size: int = DEFAULT_BATCH_SIZE, staged: bool = False, max_retries: int = 5) -> WriteResult:
    """Write `rows` into `table` inside the caller's transaction; commits nothing.

    The whole call runs in one savepoint: on error nothing of it remains and the caller's transaction stays
    usable. ``staged=True`` forces the staging-table merge (slower; kept for comparison). With an autocommit
    connection the call is one transaction of its own.
    """
    return write(conn, _spec(table), rows, mode=mode, batch_size=batch_size, staged=staged,
                 max_retries=max_retries, commit=False)


def ingest_rows_committing(conn: psycopg.Connection[Any], table: str, rows: Iterable[Any], *,
                           mode: Mode = "insert", batch_size: int = DEFAULT_BATCH_SIZE, staged: bool = False,
                           max_retries: int = 5) -> WriteResult:
    """Write `rows` into `table`, COMMITTING ONCE PER BATCH (needs a connection with no open transaction).

    A failing batch is rolled back whole and raised (typed); the batches before it stay committed, so re-run
    with mode="skip" to resume. Deadlocks and serialization failures are retried with back-off.
    """
    return write(conn, _spec(table), rows, mode=mode, batch_size=batch_size, staged=staged,
                 max_retries=max_retries, commit=True)


def write_datasets(conn: psycopg.Connection[Any], rows: Iterable[Any], *, mode: Mode = "insert",
                   batch_size: int = DEFAULT_BATCH_SIZE, staged: bool = False) -> WriteResult:
    """Write datasets (processing_group_id, target_id, observation_id, values, errors) in the caller's
    transaction; commits nothing."""
    return write(conn, DATASET, rows, mode=mode, batch_size=batch_size, staged=staged)


def ingest_datasets_committing(conn: psycopg.Connection[Any], rows: Iterable[Any], *, mode: Mode = "insert",
                               batch_size: int = DEFAULT_BATCH_SIZE, staged: bool = False) -> WriteResult:
    """Write datasets, COMMITTING ONCE PER BATCH (see `ingest_rows_committing`)."""
    return write(conn, DATASET, rows, mode=mode, batch_size=batch_size, staged=staged, commit=True)


def write_target_times(conn: psycopg.Connection[Any], rows: Iterable[Any], *, mode: Mode = "insert",
                       batch_size: int = DEFAULT_BATCH_SIZE) -> WriteResult:
    """Write target-specific times (target_id, observation_id, barycentric_julian_dates); commits nothing."""
    return write(conn, TARGET_TIME, rows, mode=mode, batch_size=batch_size)


def ingest_target_times_committing(conn: psycopg.Connection[Any], rows: Iterable[Any], *, mode: Mode = "insert",
                                   batch_size: int = DEFAULT_BATCH_SIZE) -> WriteResult:
    """Write target-specific times, COMMITTING ONCE PER BATCH."""
    return write(conn, TARGET_TIME, rows, mode=mode, batch_size=batch_size, commit=True)


def write_quality_flags(conn: psycopg.Connection[Any], rows: Iterable[Any], *, mode: Mode = "insert",
                        batch_size: int = DEFAULT_BATCH_SIZE) -> WriteResult:
    """Write quality flags (type, observation_id, target_id or None, quality_flags int32); commits nothing."""
    return write(conn, QUALITY_FLAGS, rows, mode=mode, batch_size=batch_size)


def ingest_quality_flags_committing(conn: psycopg.Connection[Any], rows: Iterable[Any], *,
                                    mode: Mode = "insert", batch_size: int = DEFAULT_BATCH_SIZE) -> WriteResult:
    """Write quality flags, COMMITTING ONCE PER BATCH."""
    return write(conn, QUALITY_FLAGS, rows, mode=mode, batch_size=batch_size, commit=True)


def write_fits_frames(conn: psycopg.Connection[Any], rows: Iterable[Any], *, mode: Mode = "insert",
                      batch_size: int = 5000) -> WriteResult:
    """Write FITS frames (fits_frame columns; frames of type 'tess_fits_frame' also get their tess_fits_frame
    row from camera, ccd, start_tjd, mid_tjd, end_tjd, exposure_time, quality_bit); commits nothing."""
    return write(conn, FITS_FRAME, rows, mode=mode, batch_size=batch_size)


def ingest_fits_frames_committing(conn: psycopg.Connection[Any], rows: Iterable[Any], *, mode: Mode = "insert",
                                  batch_size: int = 5000) -> WriteResult:
    """Write FITS frames, COMMITTING ONCE PER BATCH."""
    return write(conn, FITS_FRAME, rows, mode=mode, batch_size=batch_size, commit=True)


for _f in (write_datasets, write_target_times, write_quality_flags, write_fits_frames, ingest_datasets_committing,
           ingest_target_times_committing, ingest_quality_flags_committing, ingest_fits_frames_committing):
    _f.__doc__ = (_f.__doc__ or "") + "\n" + _DOC_MODES
del _f
