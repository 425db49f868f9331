"""Apply and inspect the schema migrations (`sql/migrations`) through yoyo's Python API."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg
from psycopg import conninfo

from lightcurvedb.config import to_url
from lightcurvedb.errors import PermissionDenied, SchemaAhead, SchemaBehind, SchemaError

_PACKAGE = Path(__file__).resolve().parent


def migrations_dir() -> Path:
    """The migrations shipped with this package (wheel: `lightcurvedb/_sql`; checkout: `sql/`)."""
    for candidate in (_PACKAGE / "_sql" / "migrations", _PACKAGE.parent / "sql" / "migrations"):
        if candidate.is_dir() and any(candidate.glob("*.sql")):
            return candidate
    raise SchemaError("the lightcurvedb migrations are missing from this installation (sql/migrations)")


def package_migration_ids() -> list[str]:
    """Ids (file stems) of the package's migrations, in apply order."""
    return sorted(p.stem for p in migrations_dir().glob("*.sql") if not p.name.endswith(".rollback.sql"))


def yoyo_url(dsn: str) -> str:
    """A yoyo database URL (`postgresql+psycopg://…`, password included) for a libpq DSN."""
    return to_url(conninfo.conninfo_to_dict(dsn), scheme="postgresql+psycopg", with_password=True)


def apply(dsn: str) -> list[str]:
    """Apply every pending migration (each in its own transaction); return the ids applied.

    Nothing pending: returns at once without taking yoyo's lock (a read-only role may call it). A role that
    may not change the schema gets PermissionDenied at once, not after yoyo's lock timeout.
    """
    from yoyo import get_backend, read_migrations

    with psycopg.connect(dsn, autocommit=True) as conn:
        if not pending_ids(conn):
            return []
        check_may_migrate(conn)
    backend = get_backend(yoyo_url(dsn))
    try:
        migrations = read_migrations(str(migrations_dir()))
        with backend.lock():
            pending = backend.to_apply(migrations)
            backend.apply_migrations(pending)
    finally:
        backend.connection.close()
    return [m.id for m in pending]


def check_may_migrate(conn: psycopg.Connection[Any]) -> None:
    """Raise PermissionDenied unless the connected role may create in schema public and owns the schema's tables
    (migrations ALTER them; yoyo writes its bookkeeping tables)."""
    row = conn.execute(
        "SELECT current_user, current_database(), has_schema_privilege('public', 'CREATE'), "
        "       coalesce(bool_and(pg_has_role(c.relowner, 'USAGE')), true) "
        "FROM pg_class AS c "
        "WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p') AND NOT c.relispartition"
    ).fetchone()
    assert row is not None
    role, database, may_create, owns_tables = row
    problem = ("it has no CREATE privilege on schema public" if not may_create else
               "it does not own the schema's tables" if not owns_tables else None)
    if problem:
        raise PermissionDenied(
            f'role "{role}" may not change the schema of database "{database}": {problem}; '
            "run `lcdb migrate` as the database owner (lcdb_reader and lcdb_writer members only read and write data)")


def rollback_all(dsn: str) -> list[str]:
    """Roll back every applied migration (removes the whole schema); return the ids rolled back."""
    from yoyo import get_backend, read_migrations

    backend = get_backend(yoyo_url(dsn))
    try:
        migrations = read_migrations(str(migrations_dir()))
        with backend.lock():
            applied = backend.to_rollback(migrations)
            backend.rollback_migrations(applied)
    finally:
        backend.connection.close()
    return [m.id for m in applied]


def applied_ids(conn: psycopg.Connection[Any]) -> list[str]:
    """Migration ids recorded in the database (empty when yoyo never ran there)."""
    row = conn.execute("SELECT to_regclass('_yoyo_migration') IS NOT NULL").fetchone()
    if not row or not row[0]:
        return []
    return sorted(r[0] for r in conn.execute("SELECT migration_id FROM _yoyo_migration").fetchall())


def pending_ids(conn: psycopg.Connection[Any]) -> list[str]:
    """The package's migrations that this database has not applied yet."""
    done = set(applied_ids(conn))
    return [m for m in package_migration_ids() if m not in done]


def check_schema(conn: psycopg.Connection[Any]) -> None:
    """Raise SchemaBehind (run `lcdb migrate`) or SchemaAhead (upgrade the package) on a mismatch."""
    done = applied_ids(conn)
    ours = package_migration_ids()
    applied, known = set(done), set(ours)
    missing = [m for m in ours if m not in applied]
    if missing:
        raise SchemaBehind(missing)
    unknown = [m for m in done if m not in known]
    if unknown:
        raise SchemaAhead(unknown)
