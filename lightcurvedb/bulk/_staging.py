"""The fits_frame staging table (binary COPY target) and the INSERT … ON CONFLICT merges out of it.

fits_frame is the one bulk table written through a stage: a TESS frame's tess_fits_frame row needs the id its
base row gets in the merge. The other tables are COPied straight into their partitions (`_engine.copy_direct`).
"""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg import sql

from lightcurvedb.bulk import _copybin
from lightcurvedb.bulk._tables import TESS_FRAME_COLUMNS, BulkTable, lock_order


def stage_name(tbl: BulkTable) -> str:
    """Name of the session's temp staging table for `tbl`."""
    return f"lcdb_stage_{tbl.name}"


def create_stage(cur: psycopg.Cursor[Any], tbl: BulkTable) -> sql.Identifier:
    """(Re)create the temp staging table of `tbl` plus the TESS frame columns for this transaction (ON COMMIT
    DROP), array columns STORAGE EXTERNAL: the insert into the target table compresses them (0020), once."""
    name = sql.Identifier(stage_name(tbl))
    cols = sql.SQL(", ").join([*(sql.SQL("t.{}").format(sql.Identifier(c)) for c in tbl.columns),
                               *(sql.SQL("x.{}").format(sql.Identifier(c)) for c in TESS_FRAME_COLUMNS)])
    source = sql.SQL("{} AS t CROSS JOIN tess_fits_frame AS x").format(sql.Identifier(tbl.name))
    cur.execute(sql.SQL("DROP TABLE IF EXISTS pg_temp.{}").format(name))
    cur.execute(sql.SQL("CREATE TEMP TABLE {} ON COMMIT DROP AS SELECT {} FROM {} WITH NO DATA").format(
        name, cols, source))
    for col, typ in zip(tbl.columns, tbl.types, strict=True):
        if typ.endswith("[]"):
            cur.execute(sql.SQL("ALTER TABLE {} ALTER COLUMN {} SET STORAGE EXTERNAL").format(
                name, sql.Identifier(col)))
    return name


def copy_into(cur: psycopg.Cursor[Any], table: sql.Composable, columns: tuple[str, ...], types: tuple[str, ...],
              rows: list[tuple[Any, ...]]) -> None:
    """Binary COPY `rows` into `table` (ndarrays dumped as the declared array types)."""
    query = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT BINARY)").format(
        table, sql.SQL(", ").join(map(sql.Identifier, columns)))
    with cur.copy(query) as copy:
        _copybin.write_rows(copy, types, rows)


def merge(cur: psycopg.Cursor[Any], tbl: BulkTable, mode: str) -> tuple[int, int]:
    """Merge the staging table into `tbl.name`; return (inserted, replaced)."""
    cols = sql.SQL(", ").join(map(sql.Identifier, tbl.columns))
    key = sql.SQL(", ").join(map(sql.Identifier, tbl.key))
    order = sql.SQL(", ").join(sql.SQL("{} NULLS FIRST").format(sql.Identifier(c)) for c in lock_order(tbl))
    query = sql.SQL("INSERT INTO {} AS t ({}) SELECT {} FROM pg_temp.{} ORDER BY {}").format(
        sql.Identifier(tbl.name), cols, cols, sql.Identifier(stage_name(tbl)), order)
    if mode == "insert":
        cur.execute(query)
        return cur.rowcount, 0
    if mode == "skip":
        cur.execute(query + sql.SQL(" ON CONFLICT ({}) DO NOTHING").format(key))
        return cur.rowcount, 0
    # RETURNING xmax is refused on partitioned tables: count the staged keys that exist first.
    on = sql.SQL(" AND ").join(
        sql.SQL("t.{0} IS NOT DISTINCT FROM s.{0}").format(sql.Identifier(c)) if c in tbl.nullable_key
        else sql.SQL("t.{0} = s.{0}").format(sql.Identifier(c)) for c in tbl.key)
    cur.execute(sql.SQL("SELECT count(*) FROM pg_temp.{} AS s JOIN {} AS t ON {}").format(
        sql.Identifier(stage_name(tbl)), sql.Identifier(tbl.name), on))
    row = cur.fetchone()
    existing = int(row[0]) if row else 0
    sets = sql.SQL(", ").join(sql.SQL("{0} = EXCLUDED.{0}").format(sql.Identifier(c)) for c in tbl.payload)
    cur.execute(query + sql.SQL(" ON CONFLICT ({}) DO UPDATE SET {}").format(key, sets))
    replaced = min(existing, cur.rowcount)
    return cur.rowcount - replaced, replaced


def merge_tess_frames(cur: psycopg.Cursor[Any], tbl: BulkTable, mode: str) -> None:
    """After the base fits_frame merge: write the tess_fits_frame rows of staged 'tess_fits_frame' frames."""
    ext = sql.SQL(", ").join(map(sql.Identifier, TESS_FRAME_COLUMNS))
    sel = sql.SQL(", ").join(sql.SQL("s.{}").format(sql.Identifier(c)) for c in TESS_FRAME_COLUMNS)
    query = sql.SQL(
        "INSERT INTO tess_fits_frame (id, type, {}) SELECT f.id, f.type, {} FROM pg_temp.{} AS s "
        "JOIN fits_frame AS f ON f.type = s.type AND f.observation_id = s.observation_id AND f.cadence = s.cadence "
        "WHERE s.type = 'tess_fits_frame' ORDER BY f.id"
    ).format(ext, sel, sql.Identifier(stage_name(tbl)))
    if mode == "skip":
        query += sql.SQL(" ON CONFLICT (id) DO NOTHING")
    elif mode == "replace":
        sets = sql.SQL(", ").join(sql.SQL("{0} = EXCLUDED.{0}").format(sql.Identifier(c)) for c in TESS_FRAME_COLUMNS)
        query += sql.SQL(" ON CONFLICT (id) DO UPDATE SET {}").format(sets)
    cur.execute(query)


__all__ = ["copy_into", "create_stage", "merge", "merge_tess_frames", "stage_name"]
