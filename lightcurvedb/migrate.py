"""Apply and inspect the schema migrations (`sql/migrations`) through yoyo's Python API."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path
from typing import Any

import psycopg
from psycopg import conninfo

from lightcurvedb.config import to_url
from lightcurvedb.errors import PermissionDenied, SchemaAhead, SchemaBehind, SchemaDamaged, SchemaError

_PACKAGE = Path(__file__).resolve().parent
OWNER_ROLE = "lcdb_owner"
OWNER_MIGRATION = "0017.owner_role"
"""From this migration on, every object belongs to OWNER_ROLE; every later migration (and its rollback) starts
with `SET LOCAL ROLE lcdb_owner;`, so it runs as the owner whatever tool or role applies it."""


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
        with backend.lock(), contextlib.redirect_stdout(io.StringIO()):  # yoyo prints a SELECT's rows
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
        with backend.lock(), contextlib.redirect_stdout(io.StringIO()):
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
    row = conn.execute("SELECT to_regprocedure('public.lcdb_packed(anyarray)') IS NOT NULL").fetchone()
    if row is not None and not row[0]:
        raise SchemaDamaged(["function lcdb_packed(anyarray)"])


_ARRAY_FUNCTIONS = ("lcdb_packed(anyarray)", "lcdb_raw_array(bytea,anyarray)", "lcdb_unpacked(bytea,anyarray)")

_CATALOG = """
SELECT
  ARRAY(SELECT c.relname::text FROM pg_class AS c
        WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm') AND NOT c.relispartition),
  ARRAY(SELECT replace(p.oid::regprocedure::text, ' ', '') FROM pg_proc AS p
        WHERE p.pronamespace = 'public'::regnamespace),
  ARRAY(SELECT c.conname::text FROM pg_constraint AS c
        WHERE c.connamespace = 'public'::regnamespace AND c.conparentid = 0
        UNION ALL
        SELECT i.relname::text FROM pg_class AS i
        WHERE i.relnamespace = 'public'::regnamespace AND i.relkind IN ('i', 'I')),
  coalesce((SELECT l.lanname = 'internal' FROM pg_proc AS p JOIN pg_language AS l ON l.oid = p.prolang
            WHERE p.oid = to_regprocedure('public.lcdb_packed(anyarray)')), false),
  (SELECT rolsuper FROM pg_roles WHERE rolname = current_user),
  ARRAY(SELECT o.id FROM observation AS o
        WHERE to_regclass(format('public.dataset_o%s', o.id)) IS NULL
           OR to_regclass(format('public.target_specific_time_o%s', o.id)) IS NULL
           OR to_regclass(format('public.quality_flag_array_o%s', o.id)) IS NULL ORDER BY o.id)
"""

_NOT_OWNED = """
SELECT pg_get_userbyid(owner), count(*) FROM (
    SELECT c.relowner AS owner FROM pg_class AS c
    WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
    UNION ALL
    SELECT p.proowner FROM pg_proc AS p WHERE p.pronamespace = 'public'::regnamespace
) AS o
WHERE owner <> %s::regrole
GROUP BY 1 ORDER BY 1
"""


def repair(dsn: str) -> list[str]:
    """Check a migrated database against the package's schema (`lightcurvedb.schema`) and repair what can be
    repaired: the array functions (missing after a restore by an ordinary role), missing (empty) partitions of an
    observation, objects not owned by lcdb_owner. Returns one line per finding, each saying what was done or what
    the DBA must do; empty when all is well. Missing tables, views, constraints or other functions cannot be
    recreated from here (restore them from a backup) and are reported."""
    from lightcurvedb import schema

    found: list[str] = []
    with psycopg.connect(dsn, autocommit=True) as conn:
        if OWNER_MIGRATION not in applied_ids(conn):
            return found
        row = conn.execute(_CATALOG).fetchone()
        assert row is not None
        relations, routines, constraints, fast, superuser, unpartitioned = row
        routines = set(routines)
        lost = [f"table {t}" for t in schema.TABLES if t not in relations]
        lost += [f"view {v}" for v in schema.VIEWS if v not in relations]
        lost += [f"constraint {c}" for c, fact in schema.CONSTRAINTS.items()
                 if fact.kind != "trigger" and c not in constraints]
        lost += [f"function {r}" for r in schema.ROUTINES
                 if r.replace(" ", "") not in routines and r.replace(" ", "") not in _ARRAY_FUNCTIONS]
        found += [f"damaged: {what} is missing (restore it from a backup)" for what in lost]
        others = conn.execute(_NOT_OWNED, [OWNER_ROLE]).fetchall()
        if others:
            member = conn.execute("SELECT pg_has_role(current_user, %s, 'USAGE')", [OWNER_ROLE]).fetchone()
            if member and member[0]:
                handed = conn.execute("SELECT public.lcdb_hand_to_owner()").fetchone()
                found.append(f"repaired: {handed[0] if handed else 0} object(s) owned by "
                             f"{', '.join(o for o, _ in others)} handed to {OWNER_ROLE}")
            else:
                owners = ", ".join(o for o, _ in others)
                found.append(f"not repaired: {sum(n for _, n in others)} object(s) are owned by {owners}, "
                             f"not {OWNER_ROLE}: GRANT {OWNER_ROLE} TO the migrating role and run `lcdb migrate` "
                             "again")
        dangling = "lcdb_unpacked(bytea,anyarray)" in routines and "lcdb_raw_array(bytea,anyarray)" not in routines
        if "lcdb_packed(anyarray)" not in routines or dangling or (superuser and not fast):
            form = conn.execute("SELECT public.lcdb_install_array_functions()").fetchone()
            assert form is not None
            why = ("missing" if "lcdb_packed(anyarray)" not in routines or dangling
                   else "in their portable form")
            found.append(f"repaired: the array functions were {why}; installed their {form[0]} form")
        if unpartitioned:
            for observation_id in unpartitioned:
                conn.execute("SELECT public.lcdb_create_observation_partitions(%s)", [observation_id])
            found.append(f"repaired: recreated the missing (empty) partitions of {len(unpartitioned)} "
                         f"observation(s): {', '.join(map(str, unpartitioned[:10]))}"
                         + (" …" if len(unpartitioned) > 10 else ""))
    return found
