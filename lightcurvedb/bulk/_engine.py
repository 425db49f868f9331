"""The batch engine of the bulk writers: pre-check, direct binary COPY or staging merge, retries, counts."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import Any, Literal

import psycopg
from psycopg import errors as pg_errors
from psycopg import sql

from lightcurvedb._retry import backoff
from lightcurvedb.bulk import _packed, _staging
from lightcurvedb.bulk._tables import (
    FITS_FRAME,
    TESS_FRAME_COLUMNS,
    TESS_FRAME_TYPES,
    BulkTable,
    extractor,
    row_key,
    sort_key,
)
from lightcurvedb.errors import BulkWriteError
from lightcurvedb.queries import observations
from lightcurvedb.query_runtime import translate

Mode = Literal["insert", "skip", "replace"]
MODES: tuple[str, ...] = ("insert", "skip", "replace")
RETRYABLE = (pg_errors.DeadlockDetected, pg_errors.SerializationFailure)


@dataclass
class WriteResult:
    """Counts of one bulk write: rows inserted, skipped (already there), replaced (updated in place)."""

    inserted: int = 0
    skipped: int = 0
    replaced: int = 0
    batches: int = 0
    retries: int = 0

    @property
    def total(self) -> int:
        """Rows consumed from the input."""
        return self.inserted + self.skipped + self.replaced

    def add(self, other: WriteResult) -> None:
        """Accumulate `other` into this result."""
        self.inserted += other.inserted
        self.skipped += other.skipped
        self.replaced += other.replaced
        self.batches += other.batches
        self.retries += other.retries


def batches(rows: Iterable[Any], size: int) -> Iterator[list[Any]]:
    """Consume `rows` lazily, `size` at a time."""
    if size < 1:
        raise BulkWriteError(f"batch_size must be >= 1, got {size}")
    it = iter(rows)
    while chunk := list(islice(it, size)):
        yield chunk


def check_mode(mode: str) -> None:
    """Refuse an unknown merge mode."""
    if mode not in MODES:
        raise BulkWriteError(f"mode must be one of {MODES}, got {mode!r}")


def prepare(tbl: BulkTable, records: list[Any], mode: str) -> tuple[list[tuple[Any, ...]], int]:
    """Records → (COPY rows sorted by natural key, number of in-batch duplicates dropped).

    In-batch duplicates: skip keeps the first (the others count as skipped), replace the last (the earlier
    ones count as replaced); insert keeps them all so that the unique index refuses them."""
    extra = TESS_FRAME_COLUMNS if tbl is FITS_FRAME else ()
    extract = extractor(tbl, extra)
    rows = [extract(r) for r in records]
    if mode != "insert":  # insert lets the unique index refuse them (typed DuplicateKey, nothing written)
        keyf = row_key(tbl)
        seen: dict[tuple[Any, ...], tuple[Any, ...]] = {}
        for row in rows:
            k = keyf(row)
            if mode == "replace" or k not in seen:
                seen[k] = row
        dropped = len(rows) - len(seen)
        rows = list(seen.values())
    else:
        dropped = 0
    rows.sort(key=sort_key(tbl))
    return rows, dropped


def existing_keys(cur: psycopg.Cursor[Any], tbl: BulkTable, rows: list[tuple[Any, ...]]) -> set[tuple[Any, ...]]:
    """Natural keys of `rows` already in the table (one indexed join against the batch's keys)."""
    idx = tbl.key_index()
    key_types = [tbl.types[i] for i in idx]
    cond = []
    for col in tbl.key:
        c = sql.Identifier(col)
        if col in tbl.nullable_key:
            cond.append(sql.SQL("(t.{0} = k.{0} OR (t.{0} IS NULL AND k.{0} IS NULL))").format(c))
        else:
            cond.append(sql.SQL("t.{0} = k.{0}").format(c))
    query = sql.SQL(
        "SELECT {} FROM {} AS t JOIN unnest({}) AS k({}) ON {} WHERE t.observation_id = ANY(%s::int8[])"
    ).format(
        sql.SQL(", ").join(sql.SQL("t.{}").format(sql.Identifier(c)) for c in tbl.key),
        sql.Identifier(tbl.name),
        sql.SQL(", ").join(sql.SQL("%s::{}[]").format(sql.SQL(t)) for t in key_types),
        sql.SQL(", ").join(map(sql.Identifier, tbl.key)),
        sql.SQL(" AND ").join(cond),
    )
    params: list[Any] = [[row[i] for row in rows] for i in idx]
    params.append(sorted({row[tbl.columns.index("observation_id")] for row in rows}))
    cur.execute(query, params)
    return {tuple(r) for r in cur.fetchall()}


def update_existing(cur: psycopg.Cursor[Any], tbl: BulkTable, rows: list[tuple[Any, ...]]) -> None:
    """Overwrite the payload columns of existing rows in place (ids kept, so lineage survives)."""
    payload = tbl.payload
    pidx = [tbl.columns.index(c) for c in payload]
    sets = sql.SQL(", ").join(sql.SQL("{} = %s").format(sql.Identifier(c)) for c in payload)
    groups: dict[tuple[bool, ...], list[tuple[Any, ...]]] = {}
    for row in rows:
        nulls = tuple(row[i] is None for i in tbl.key_index())
        groups.setdefault(nulls, []).append(row)
    for nulls, group in groups.items():
        where = sql.SQL(" AND ").join(
            sql.SQL("{} IS NULL").format(sql.Identifier(c)) if n else sql.SQL("{} = %s").format(sql.Identifier(c))
            for c, n in zip(tbl.key, nulls, strict=True))
        query = sql.SQL("UPDATE {} SET {} WHERE {}").format(sql.Identifier(tbl.name), sets, where)
        kidx = [i for i, n in zip(tbl.key_index(), nulls, strict=True) if not n]
        cur.executemany(query, [[row[i] for i in pidx] + [row[i] for i in kidx] for row in group])


def copy_direct(cur: psycopg.Cursor[Any], tbl: BulkTable, rows: list[tuple[Any, ...]]) -> None:
    """Write `rows` (sorted by observation) straight into each observation's partition: as packed arrays
    (`_packed.insert_packed`) where the server has lcdb_unpacked, else by binary COPY.

    Packed arrays skip the server's per-element receive calls (benchmarks.archive); writing into the partition
    was measured ~5-15% faster than through the parent's tuple routing. A row whose observation has no
    partition `<table>_o<id>` (unknown observation, or a partition a DBA detached) goes through the parent,
    which routes it or raises the typed error (UnknownReference).
    """
    obs_at = tbl.columns.index("observation_id")
    groups: dict[int, list[tuple[Any, ...]]] = {}
    for row in rows:
        groups.setdefault(int(row[obs_at]), []).append(row)
    names = {o: f"{tbl.name}_o{o}" for o in groups}
    found = observations.list_existing_partitions(cur.connection, parent_table=f"public.{tbl.name}",
                                                  names=list(names.values()))
    partitions = {r.partition_name for r in found}
    write = _packed.insert_packed if observations.packed_writes_available(cur.connection) else _staging.copy_into
    for obs, group in groups.items():
        name = names[obs] if names[obs] in partitions else tbl.name
        write(cur, sql.Identifier(name), tbl.columns, tbl.types, group)


def write_batch_direct(cur: psycopg.Cursor[Any], tbl: BulkTable, rows: list[tuple[Any, ...]],
                       mode: str) -> WriteResult:
    """Insert mode: straight binary COPY into the partitions (the unique indexes refuse duplicates).

    Skip/replace: pre-check which keys exist, COPY only the new rows, UPDATE the existing ones in place.
    """
    if mode == "insert":
        copy_direct(cur, tbl, rows)
        return WriteResult(inserted=len(rows), batches=1)
    existing = existing_keys(cur, tbl, rows)
    keyf = row_key(tbl)
    new = [r for r in rows if keyf(r) not in existing]
    old = [r for r in rows if keyf(r) in existing]
    if new:
        copy_direct(cur, tbl, new)
    if mode == "replace" and old:
        update_existing(cur, tbl, old)
        return WriteResult(inserted=len(new), replaced=len(old), batches=1)
    return WriteResult(inserted=len(new), skipped=len(old), batches=1)


def write_batch_frames(cur: psycopg.Cursor[Any], tbl: BulkTable, rows: list[tuple[Any, ...]],
                       mode: str) -> WriteResult:
    """fits_frame: binary COPY into a temp staging table, INSERT … SELECT … ON CONFLICT on the natural key, then
    the tess_fits_frame rows of the staged TESS frames (they need the ids of the merged base rows)."""
    stage = _staging.create_stage(cur, tbl)
    _staging.copy_into(cur, stage, tbl.columns + TESS_FRAME_COLUMNS, tbl.types + TESS_FRAME_TYPES, rows)
    inserted, replaced = _staging.merge(cur, tbl, mode)
    _staging.merge_tess_frames(cur, tbl, mode)
    skipped = len(rows) - inserted - replaced
    return WriteResult(inserted=inserted, skipped=skipped, replaced=replaced, batches=1)


def run_batch(conn: psycopg.Connection[Any], tbl: BulkTable, rows: list[tuple[Any, ...]], mode: str, *,
              max_retries: int, dropped: int = 0) -> WriteResult:
    """One batch in one transaction block (a savepoint inside the caller's transaction), retried on
    deadlock/serialization failure — and, in skip/replace mode, on a unique violation caused by a concurrent
    writer between the pre-check and the COPY — with bounded exponential back-off and jitter."""
    attempt = 0
    while True:
        try:
            with conn.transaction(), conn.cursor() as cur:
                if tbl is FITS_FRAME:
                    result = write_batch_frames(cur, tbl, rows, mode)
                else:
                    result = write_batch_direct(cur, tbl, rows, mode)
            result.retries = attempt
            if mode == "replace":
                result.replaced += dropped
            else:
                result.skipped += dropped
            return result
        except psycopg.Error as exc:
            race = mode != "insert" and isinstance(exc, pg_errors.UniqueViolation)
            if (isinstance(exc, RETRYABLE) or race) and attempt < max_retries:
                attempt += 1
                backoff(attempt, base=0.01)
                continue
            typed = translate(exc)
            if typed is not None:
                raise typed from exc
            raise
