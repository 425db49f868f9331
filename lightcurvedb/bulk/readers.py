"""Streaming readers: datasets of targets, an observation or a processing group, by binary COPY out."""

from __future__ import annotations

from collections.abc import Generator, Iterator, Sequence
from typing import Any

import psycopg
from psycopg import sql

from lightcurvedb.adapters import register
from lightcurvedb.bulk.rows import DatasetRow
from lightcurvedb.errors import BulkWriteError

_DATASET_COLUMNS = ("id", "processing_group_id", "target_id", "observation_id", "values", "errors")
_DATASET_TYPES = ["int8", "int8", "int8", "int8", "float8[]", "float8[]"]
_TARGET_CHUNK = 10_000
DatasetStream = Generator[DatasetRow, None, None]
"""What the dataset readers return: an iterator of rows that `close()` ends early (cancelling the COPY)."""


def _where(target_ids: Sequence[int] | None, observation_id: int | None,
           processing_group_id: int | None) -> sql.Composable:
    conds: list[sql.Composable] = []
    if target_ids is not None:
        ids = sorted({int(t) for t in target_ids})
        conds.append(sql.SQL("target_id = ANY({}::int8[])").format(sql.Literal(ids)))
    if observation_id is not None:
        conds.append(sql.SQL("observation_id = {}").format(sql.Literal(int(observation_id))))
    if processing_group_id is not None:
        conds.append(sql.SQL("processing_group_id = {}").format(sql.Literal(int(processing_group_id))))
    if not conds:
        return sql.SQL("")
    return sql.SQL(" WHERE ") + sql.SQL(" AND ").join(conds)


def _copy_rows(conn: psycopg.Connection[Any], query: sql.Composable, types: list[str]) -> Iterator[tuple[Any, ...]]:
    register(conn)  # harmless if already registered; binary COPY rows load as ndarrays
    with conn.cursor() as cur, cur.copy(sql.SQL("COPY ({}) TO STDOUT (FORMAT BINARY)").format(query)) as copy:
        copy.set_types(types)
        yield from copy.rows()


def iter_datasets(conn: psycopg.Connection[Any], *, target_ids: Sequence[int] | None = None,
                  observation_id: int | None = None, processing_group_id: int | None = None,
                  ordered: bool = True) -> DatasetStream:
    """Stream the datasets matching every given filter as `DatasetRow`s with float64 ndarrays.

    One binary ``COPY (SELECT …) TO STDOUT`` per call (per 10,000 targets): the server streams, the client
    holds one row at a time, so memory stays bounded whatever the result size. The connection is busy until
    the iterator is exhausted or closed (leaving early cancels the COPY). With no filter, every dataset.
    ``ordered`` sorts by (observation, processing group, target); pass False for the fastest scan.
    """
    if target_ids is not None and len(target_ids) > _TARGET_CHUNK:
        ids = sorted({int(t) for t in target_ids})
        for i in range(0, len(ids), _TARGET_CHUNK):
            yield from iter_datasets(conn, target_ids=ids[i:i + _TARGET_CHUNK], observation_id=observation_id,
                                     processing_group_id=processing_group_id, ordered=ordered)
        return
    if target_ids is not None and len(target_ids) == 0:
        return
    query = sql.SQL("SELECT {} FROM dataset{}").format(
        sql.SQL(", ").join(map(sql.Identifier, _DATASET_COLUMNS)),
        _where(target_ids, observation_id, processing_group_id))
    if ordered:
        query += sql.SQL(" ORDER BY observation_id, processing_group_id, target_id")
    for row in _copy_rows(conn, query, _DATASET_TYPES):
        yield DatasetRow(*row)


def iter_datasets_of_targets(conn: psycopg.Connection[Any], target_ids: Sequence[int]) -> DatasetStream:
    """Stream every dataset of the given targets (see `iter_datasets`)."""
    return iter_datasets(conn, target_ids=target_ids)


def iter_datasets_of_observation(conn: psycopg.Connection[Any], observation_id: int) -> DatasetStream:
    """Stream every dataset of one observation (one partition scan; see `iter_datasets`)."""
    return iter_datasets(conn, observation_id=observation_id)


def iter_datasets_of_group(conn: psycopg.Connection[Any], processing_group_id: int) -> DatasetStream:
    """Stream every dataset of one processing group (see `iter_datasets`)."""
    return iter_datasets(conn, processing_group_id=processing_group_id)


def iter_table(conn: psycopg.Connection[Any], table: str, columns: Sequence[str], types: Sequence[str], *,
               observation_id: int | None = None) -> Generator[tuple[Any, ...], None, None]:
    """Stream raw tuples of `columns` of `table` (e.g. target_specific_time, quality_flag_array) by binary COPY."""
    if len(columns) != len(types):
        raise BulkWriteError("columns and types must have the same length")
    query = sql.SQL("SELECT {} FROM {}").format(sql.SQL(", ").join(map(sql.Identifier, columns)),
                                               sql.Identifier(table))
    if observation_id is not None:
        query += sql.SQL(" WHERE observation_id = {}").format(sql.Literal(int(observation_id)))
    yield from _copy_rows(conn, query, list(types))
