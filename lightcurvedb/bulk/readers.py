"""The streaming dataset reader: binary COPY out, rows as `DatasetRecord` objects built without re-validation."""

from __future__ import annotations

from collections.abc import Generator, Sequence
from typing import Any

import numpy as np
import psycopg
from numpy.typing import NDArray
from psycopg import sql
from psycopg.pq import TransactionStatus

from lightcurvedb.adapters.loaders import PackedArrayLoader
from lightcurvedb.records.datasets import DatasetRecord

_COLUMNS = ("id", "processing_group_id", "target_id", "observation_id", "values", "errors", "release_id",
            "values_f4", "errors_f4")
_ARRAYS = frozenset({"values", "errors", "values_f4", "errors_f4"})


def _select(arrays: frozenset[str]) -> sql.Composable:
    """The columns of a dataset row; the arrays in `arrays` ("values", "errors") go through lcdb_packed (migration
    0013: no per-element work on the server), the others are left out (NULL: not read, not sent)."""
    def column(c: str) -> sql.Composable:
        if c not in _ARRAYS:
            return sql.Identifier(c)
        if c.removesuffix("_f4") not in arrays:
            return sql.SQL("NULL::bytea")
        return sql.SQL("lcdb_packed({})").format(sql.Identifier(c))
    return sql.SQL(", ").join(column(c) for c in _COLUMNS)


_BOTH = frozenset({"values", "errors"})
_TYPES = ["bytea" if c in _ARRAYS else "int8" for c in _COLUMNS]
_TARGET_CHUNK = 10_000
DatasetStream = Generator[DatasetRecord, None, None]
"""What `iter_datasets` returns: an iterator of records that `close()` ends early (cancelling the COPY)."""


def _where(target_ids: Sequence[int] | None, observation_id: int | None, processing_group_id: int | None,
           release_ids: Sequence[int] | None = None) -> sql.Composable:
    conds: list[sql.Composable] = []
    for column, ids in (("target_id", target_ids), ("release_id", release_ids)):
        if ids is not None:
            wanted = sorted({int(t) for t in ids})
            conds.append(sql.SQL("{} = ANY({}::int8[])").format(sql.Identifier(column), sql.Literal(wanted)))
    if observation_id is not None:
        conds.append(sql.SQL("observation_id = {}").format(sql.Literal(int(observation_id))))
    if processing_group_id is not None:
        conds.append(sql.SQL("processing_group_id = {}").format(sql.Literal(int(processing_group_id))))
    if not conds:
        return sql.SQL("")
    return sql.SQL(" WHERE ") + sql.SQL(" AND ").join(conds)


def _copy_rows(conn: psycopg.Connection[Any], query: sql.Composable,
               types: Sequence[str]) -> Generator[tuple[Any, ...], None, None]:
    """The rows of one binary ``COPY (query) TO STDOUT``, arrays (lcdb_packed bytea) as read-only ndarrays.

    Closed early, the COPY is cancelled; inside the caller's transaction it runs in a savepoint, rolled back to when
    the cancel aborted it, so that the caller's transaction goes on."""
    in_transaction = conn.info.transaction_status == TransactionStatus.INTRANS
    if in_transaction:
        conn.execute("SAVEPOINT lcdb_copy_out")
    try:
        with conn.cursor() as cur, cur.copy(sql.SQL("COPY ({}) TO STDOUT (FORMAT BINARY)").format(query)) as copy:
            cur.adapters.register_loader("bytea", PackedArrayLoader)
            copy.set_types(list(types))
            for row in copy.rows():
                for value in row:
                    if isinstance(value, np.ndarray):
                        value.flags.writeable = False
                yield row
    finally:
        if in_transaction:
            if conn.info.transaction_status == TransactionStatus.INERROR:
                conn.execute("ROLLBACK TO SAVEPOINT lcdb_copy_out")
            conn.execute("RELEASE SAVEPOINT lcdb_copy_out")


def iter_release_times(conn: psycopg.Connection[Any], *, observation_id: int,
                       release_ids: Sequence[int]) -> Generator[tuple[int, NDArray[np.float64]], None, None]:
    """(release_id, times) of the given releases in one observation, streamed over one binary COPY."""
    query = sql.SQL("SELECT release_id, lcdb_packed(barycentric_julian_dates) FROM target_specific_time{}").format(
        _where(None, observation_id, None, release_ids))
    for release_id, times in _copy_rows(conn, query, ("int8", "bytea")):
        yield int(release_id), times


def iter_release_flags(conn: psycopg.Connection[Any], *, observation_id: int, release_ids: Sequence[int],
                       flag_type: str) -> Generator[tuple[int | None, NDArray[np.int32]], None, None]:
    """(release_id, flags) of one flag type for the given releases in one observation, and (None, flags) for the
    observation's flags of every target, streamed over one binary COPY."""
    ids = sorted({int(r) for r in release_ids})
    query = sql.SQL("SELECT CASE WHEN target_id IS NULL THEN NULL ELSE release_id END, lcdb_packed(quality_flags) "
                    "FROM quality_flag_array WHERE observation_id = {} AND type = {} "
                    "AND (release_id = ANY({}::int8[]) OR target_id IS NULL)").format(
        sql.Literal(int(observation_id)), sql.Literal(flag_type), sql.Literal(ids))
    for release_id, flags in _copy_rows(conn, query, ("int8", "bytea")):
        yield (None if release_id is None else int(release_id)), flags


def iter_datasets(conn: psycopg.Connection[Any], *, target_ids: Sequence[int] | None = None,
                  observation_id: int | None = None, processing_group_id: int | None = None,
                  release_ids: Sequence[int] | None = None, ordered: bool = True,
                  arrays: frozenset[str] = _BOTH) -> DatasetStream:
    """Stream the datasets matching every given filter as `DatasetRecord` objects with ndarrays at stored precision.

    One binary ``COPY (SELECT …) TO STDOUT`` per call (per 10,000 targets): the server streams, the client
    holds one row at a time, so memory stays bounded whatever the result size. ``release_ids`` keeps the
    datasets of those releases. The connection is busy until
    the iterator is exhausted or closed (leaving early cancels the COPY). With no filter, every dataset.
    ``ordered`` sorts by (observation, processing group, target); pass False for the fastest scan. ``arrays``
    ("values", "errors") says which arrays are read (the others come as None). Records are
    built with ``model_construct`` (rows from the database are trusted; per-row validation would cost more
    than the COPY), their arrays read-only like every record's.
    """
    if target_ids is not None and len(target_ids) > _TARGET_CHUNK:
        ids = sorted({int(t) for t in target_ids})
        for i in range(0, len(ids), _TARGET_CHUNK):
            yield from iter_datasets(conn, target_ids=ids[i:i + _TARGET_CHUNK], observation_id=observation_id,
                                     processing_group_id=processing_group_id, release_ids=release_ids,
                                     ordered=ordered, arrays=arrays)
        return
    if (target_ids is not None and len(target_ids) == 0) or (release_ids is not None and len(release_ids) == 0):
        return
    query = sql.SQL("SELECT {} FROM dataset{}").format(_select(arrays), _where(target_ids, observation_id,
                                                                         processing_group_id, release_ids))
    if ordered:
        query += sql.SQL(" ORDER BY observation_id, processing_group_id, target_id")
    construct = DatasetRecord.model_construct
    for rid, group, target, obs, values, errors, release, values_f4, errors_f4 in _copy_rows(conn, query, _TYPES):
        yield construct(id=rid, processing_group_id=group, target_id=target, observation_id=obs, values=values,
                        errors=errors, release_id=release, values_f4=values_f4, errors_f4=errors_f4)
