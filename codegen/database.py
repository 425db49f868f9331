"""The database side of codegen: a throwaway migrated database, the catalog, and prepared-statement describe."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import pq

from lightcurvedb import scratch

ENV_DSN = "LCDB_CODEGEN_DSN"


class DescribeError(Exception):
    """The database refused to prepare a query, or the schema is not what codegen expects."""


@dataclass(frozen=True)
class PgType:
    """A type as codegen sees it: name (array: element name + '[]'), schema, kind."""

    oid: int
    name: str  # e.g. "int8", "float8[]", "jsonb"
    schema: str
    typtype: str  # b base, e enum, d domain, c composite...
    enum_labels: tuple[str, ...] = ()


@dataclass(frozen=True)
class Column:
    """A table column."""

    table: str
    name: str
    attnum: int
    type_oid: int
    not_null: bool
    has_default: bool
    identity: str  # '', 'a' (always), 'd' (by default)
    generated: str  # '', 's' (stored)
    comment: str | None


@dataclass(frozen=True)
class ForeignKey:
    """A foreign key of `table` (columns) to `ref_table` (ref_columns)."""

    name: str
    table: str
    columns: tuple[str, ...]
    ref_table: str
    ref_columns: tuple[str, ...]


@dataclass
class Table:
    """A table (or view) of schema public with its columns and comment."""

    oid: int
    name: str
    kind: str  # r, p, v
    comment: str | None
    columns: list[Column]
    foreign_keys: list[ForeignKey]
    discriminator: str | None = None  # the literal default of a "type" column, e.g. 'tess_observation'


@dataclass(frozen=True)
class Field:
    """One result column of a described query."""

    name: str
    type_oid: int
    table_oid: int
    table_col: int


@dataclass(frozen=True)
class Described:
    """What libpq's PQdescribePrepared reports for one statement."""

    fields: tuple[Field, ...]
    param_types: tuple[int, ...]


@dataclass
class Catalog:
    """Tables by name and by OID, plus the types seen so far."""

    tables: dict[str, Table]
    types: dict[int, PgType]

    def table_by_oid(self, oid: int) -> Table | None:
        return next((t for t in self.tables.values() if t.oid == oid), None)


@contextmanager
def throwaway_database(server_dsn: str | None = None) -> Iterator[str]:
    """Yield the DSN of a freshly migrated database that is dropped afterwards: on the server of `server_dsn`
    (or $LCDB_CODEGEN_DSN; a superuser DSN), else on a private embedded PostgreSQL removed afterwards."""
    with scratch.throwaway_database(server_dsn or os.environ.get(ENV_DSN) or None, prefix="lcdb_codegen") as dsn:
        yield dsn


_TABLES = """
SELECT c.oid::int8, c.relname, c.relkind::text, obj_description(c.oid, 'pg_class')
FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v') AND NOT c.relispartition
  AND c.relname NOT LIKE '\\_yoyo%' AND c.relname NOT LIKE 'yoyo\\_%'
ORDER BY c.relname
"""
_COLUMNS = """
SELECT c.relname, a.attname, a.attnum::int, a.atttypid::int8, a.attnotnull, a.atthasdef,
       a.attidentity::text, a.attgenerated::text, col_description(c.oid, a.attnum),
       pg_get_expr(d.adbin, d.adrelid)
FROM pg_attribute AS a
JOIN pg_class AS c ON c.oid = a.attrelid
LEFT JOIN pg_attrdef AS d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE c.oid = ANY(%s) AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY c.relname, a.attnum
"""
_FKEYS = """
SELECT con.conname, c.relname, r.relname,
       ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY AS k(n, i)
             JOIN pg_attribute AS a ON a.attrelid = con.conrelid AND a.attnum = k.n ORDER BY k.i),
       ARRAY(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY AS k(n, i)
             JOIN pg_attribute AS a ON a.attrelid = con.confrelid AND a.attnum = k.n ORDER BY k.i)
FROM pg_constraint AS con
JOIN pg_class AS c ON c.oid = con.conrelid
JOIN pg_class AS r ON r.oid = con.confrelid
WHERE con.contype = 'f' AND c.oid = ANY(%s) AND con.conparentid = 0
ORDER BY c.relname, con.conname
"""
_TYPES = """
SELECT t.oid::int8, t.typname, n.nspname, t.typtype::text, e.typname,
       ARRAY(SELECT enumlabel::text FROM pg_enum WHERE enumtypid = coalesce(e.oid, t.oid) ORDER BY enumsortorder)
FROM pg_type AS t
JOIN pg_namespace AS n ON n.oid = t.typnamespace
LEFT JOIN pg_type AS e ON e.oid = t.typelem AND t.typcategory = 'A'
WHERE t.oid = ANY(%s)
"""


def read_catalog(conn: psycopg.Connection[Any]) -> Catalog:
    """Tables, views, columns (nullability, defaults, comments) and foreign keys of schema public."""
    tables: dict[str, Table] = {}
    for oid, name, kind, comment in conn.execute(_TABLES).fetchall():
        tables[name] = Table(oid, name, kind, comment, [], [])
    oids = [t.oid for t in tables.values()]
    for row in conn.execute(_COLUMNS, (oids,)).fetchall():
        table, name, attnum, typ, notnull, hasdef, ident, gen, comment, default = row
        tables[table].columns.append(Column(table, name, attnum, typ, notnull, hasdef, ident, gen, comment))
        if name == "type" and default and default.startswith("'"):
            tables[table].discriminator = default[1:].split("'")[0]
    for name, table, ref, cols, ref_cols in conn.execute(_FKEYS, (oids,)).fetchall():
        tables[table].foreign_keys.append(ForeignKey(name, table, tuple(cols), ref, tuple(ref_cols)))
    catalog = Catalog(tables, {})
    load_types(conn, catalog, {c.type_oid for t in tables.values() for c in t.columns})
    return catalog


def load_types(conn: psycopg.Connection[Any], catalog: Catalog, oids: set[int]) -> None:
    """Resolve type OIDs into names (cached in the catalog)."""
    missing = sorted(o for o in oids if o not in catalog.types)
    if not missing:
        return
    for oid, name, schema, typtype, elem, labels in conn.execute(_TYPES, (missing,)).fetchall():
        full = f"{elem}[]" if elem else name
        catalog.types[oid] = PgType(oid, full, schema, typtype, tuple(labels))


def describe(conn: psycopg.Connection[Any], name: str, statement: str, source: str) -> Described:
    """Prepare `statement` ($n placeholders) and describe its parameters and result columns."""
    pgconn = conn.pgconn
    stmt = f"lcdb_codegen_{name}".encode()
    res = pgconn.prepare(stmt, statement.encode())
    if res.status != pq.ExecStatus.COMMAND_OK:
        message = res.error_message.decode(errors="replace").strip()
        raise DescribeError(f"{source}: PostgreSQL refuses query {name}: {message}")
    desc = pgconn.describe_prepared(stmt)
    if desc.status != pq.ExecStatus.COMMAND_OK:
        raise DescribeError(f"{source}: cannot describe {name}: {desc.error_message.decode(errors='replace')}")
    fields = tuple(
        Field((desc.fname(i) or b"?column?").decode(), desc.ftype(i), desc.ftable(i), desc.ftablecol(i))
        for i in range(desc.nfields)
    )
    params = tuple(desc.param_type(i) for i in range(desc.nparams))
    pgconn.exec_(b"DEALLOCATE " + stmt)
    return Described(fields, params)
