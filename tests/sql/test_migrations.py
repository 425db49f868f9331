"""apply -> rollback all -> apply on an empty database; comments and explicit names everywhere."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg
from psycopg import conninfo

Conn = psycopg.Connection[Any]


def yoyo_url(dsn: str) -> str:
    try:
        from lightcurvedb.migrate import yoyo_url as real
    except ImportError:  # pragma: no cover - before lightcurvedb.migrate existed
        params = conninfo.conninfo_to_dict(dsn)
        return (
            f"postgresql+psycopg://{params.get('user', '')}@{params.get('host', '')}:{params.get('port', 5432)}"
            f"/{params.get('dbname', '')}"
        )
    return real(dsn)


def _yoyo(dsn: str, migrations_dir: Path, action: str) -> None:
    from yoyo import get_backend, read_migrations

    backend = get_backend(yoyo_url(dsn))
    try:
        migrations = read_migrations(str(migrations_dir))
        with backend.lock():
            if action == "apply":
                backend.apply_migrations(backend.to_apply(migrations))
            else:
                backend.rollback_migrations(backend.to_rollback(migrations))
    finally:
        backend.connection.close()


def _objects(dsn: str) -> set[str]:
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            "SELECT 'rel ' || relname FROM pg_class WHERE relnamespace = 'public'::regnamespace "
            "AND relname NOT LIKE '%yoyo%' "
            "UNION ALL SELECT 'fn ' || proname FROM pg_proc WHERE pronamespace = 'public'::regnamespace "
            "UNION ALL SELECT 'type ' || typname FROM pg_type WHERE typnamespace = 'public'::regnamespace "
            "AND typname NOT LIKE '%yoyo%'"
        ).fetchall()
    return {r[0] for r in rows}


def test_apply_rollback_apply(empty_dsn: str, migrations_dir: Path) -> None:
    _yoyo(empty_dsn, migrations_dir, "apply")
    with psycopg.connect(empty_dsn) as conn:  # some data, so that rollback also meets partitions
        conn.execute("INSERT INTO instrument (name) VALUES ('TESS')")
        conn.execute("INSERT INTO observation (instrument_id, cadence_reference) SELECT id, '{1,2,3}' FROM instrument")
        conn.execute("ALTER TABLE dataset DETACH PARTITION dataset_o1")  # a DBA kept a sector aside
    assert "rel dataset_o1" in _objects(empty_dsn)
    _yoyo(empty_dsn, migrations_dir, "rollback")
    assert _objects(empty_dsn) == set()
    _yoyo(empty_dsn, migrations_dir, "apply")
    assert "rel dataset" in _objects(empty_dsn)
    with psycopg.connect(empty_dsn) as conn:  # roles still there / again (the session database keeps using them)
        assert conn.execute("SELECT count(*) FROM pg_roles "
                            "WHERE rolname IN ('lcdb_owner', 'lcdb_reader', 'lcdb_writer')").fetchone() == (3,)


def test_every_table_view_and_column_is_commented(raw_conn: Conn) -> None:
    missing = raw_conn.execute(
        "SELECT c.relname || coalesce('.' || a.attname, '') FROM pg_class c "
        "LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped "
        "WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'v') "
        "AND NOT c.relispartition AND c.relname NOT LIKE '%%yoyo%%' "
        "AND (obj_description(c.oid, 'pg_class') IS NULL "
        "     OR (a.attname IS NOT NULL AND col_description(c.oid, a.attnum) IS NULL)) "
        "AND (a.attname IS NOT NULL OR obj_description(c.oid, 'pg_class') IS NULL)"
    ).fetchall()
    assert missing == []
    functions = raw_conn.execute(
        "SELECT proname FROM pg_proc WHERE pronamespace = 'public'::regnamespace "
        "AND obj_description(oid, 'pg_proc') IS NULL"
    ).fetchall()
    assert functions == []


def test_every_constraint_and_index_is_named_explicitly(raw_conn: Conn) -> None:
    rows = raw_conn.execute(
        "SELECT conname FROM pg_constraint WHERE connamespace = 'public'::regnamespace AND contype <> 'n' "
        "AND conparentid = 0 AND conislocal AND conrelid::regclass::text NOT LIKE '%%yoyo%%' "
        "AND conname !~ '^(pk|uq|fk|ck)_'"
    ).fetchall()
    assert rows == []
    indexes = raw_conn.execute(
        "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
        "JOIN pg_class t ON t.oid = i.indrelid WHERE c.relnamespace = 'public'::regnamespace "
        "AND NOT t.relispartition AND t.relname NOT LIKE '%%yoyo%%' AND c.relname !~ '^(pk|uq|ix)_'"
    ).fetchall()
    assert indexes == []
