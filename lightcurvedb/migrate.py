"""Apply and inspect the schema migrations (`sql/migrations`) through yoyo's Python API."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

import psycopg
from psycopg import conninfo

from lightcurvedb.errors import SchemaAhead, SchemaBehind, SchemaError

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
    """A yoyo database URL (`postgresql+psycopg://…`) for a libpq DSN, every part escaped."""
    params: dict[str, Any] = conninfo.conninfo_to_dict(dsn)
    user = params.pop("user", None)
    password = params.pop("password", None)
    host = str(params.pop("host", "") or "")
    port = params.pop("port", None)
    dbname = str(params.pop("dbname", None) or "")
    if quote(dbname, safe="") != dbname:
        params["dbname"] = dbname  # yoyo does not unescape the URL path; its query args override it
        dbname = ""
    auth = ""
    if user:
        auth = quote(str(user), safe="")
        if password:
            auth += ":" + quote(str(password), safe="")
        auth += "@"
    netloc = ""
    if host and not host.startswith("/") and "," not in host:
        netloc = quote(host, safe="") + (f":{port}" if port else "")
    else:
        if host:
            params["host"] = host
        if port:
            params["port"] = port
    query = "&".join(f"{quote(k, safe='')}={quote(str(v), safe='')}" for k, v in params.items() if v is not None)
    return f"postgresql+psycopg://{auth}{netloc}/{dbname}" + (f"?{query}" if query else "")


def apply(dsn: str) -> list[str]:
    """Apply every pending migration (each in its own transaction); return the ids applied."""
    from yoyo import get_backend, read_migrations

    backend = get_backend(yoyo_url(dsn))
    try:
        migrations = read_migrations(str(migrations_dir()))
        with backend.lock():
            pending = backend.to_apply(migrations)
            backend.apply_migrations(pending)
    finally:
        backend.connection.close()
    return [m.id for m in pending]


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
