"""Throwaway databases and private servers: the one helper of tests, benchmarks, codegen and scripts."""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from psycopg import conninfo, sql

from lightcurvedb import migrate


def database_dsn(dsn: str, dbname: str) -> str:
    """`dsn` pointing at database `dbname` (every other connection parameter kept)."""
    return conninfo.make_conninfo(dsn, dbname=dbname)


@contextmanager
def private_server() -> Iterator[str]:
    """Start a private embedded PostgreSQL in a temporary home; yield its superuser DSN (database `postgres`);
    stop it and remove every file afterwards."""
    from lightcurvedb import embedded
    from lightcurvedb.config import EmbeddedSettings

    home = Path(tempfile.mkdtemp(prefix="lcdb-private-pg-"))
    home.chmod(0o755)  # as root the server runs as a service user, who must enter it
    lay = embedded.layout(EmbeddedSettings(), home=home / "home")
    try:
        embedded.start(lay)
        yield lay.dsn("postgres")
    finally:
        try:
            embedded.stop(lay)
        finally:
            shutil.rmtree(home, ignore_errors=True)


def create_database(server_dsn: str, *, prefix: str = "lcdb_tmp", template: str | None = None,
                    migrated: bool = False) -> str:
    """Create a database with a unique name `<prefix>_<pid>_<random>` on the server of `server_dsn` (a role that
    may CREATE DATABASE), as a copy of `template` if given, migrated if asked; return its DSN."""
    name = f"{prefix}_{os.getpid()}_{secrets.token_hex(4)}"
    query = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
    if template:
        query += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
    with psycopg.connect(server_dsn, autocommit=True) as admin:
        admin.execute(query)
    dsn = database_dsn(server_dsn, name)
    if migrated:
        try:
            migrate.apply(dsn)
        except BaseException:
            drop_database(server_dsn, dsn)
            raise
    return dsn


def drop_database(server_dsn: str, dsn: str) -> None:
    """Drop the database of `dsn` (connections to it are terminated), connected through `server_dsn`."""
    name = conninfo.conninfo_to_dict(dsn)["dbname"]
    with psycopg.connect(server_dsn, autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(str(name))))


@contextmanager
def throwaway_database(server_dsn: str | None = None, *, prefix: str = "lcdb_tmp", template: str | None = None,
                       migrated: bool = True) -> Iterator[str]:
    """Yield the DSN of a new (by default migrated) database, dropped afterwards.

    On the server of `server_dsn` (a superuser DSN), or, when None, on a private embedded PostgreSQL started for
    the occasion and removed afterwards (no server needed).
    """
    if server_dsn is None:
        with private_server() as private, throwaway_database(private, prefix=prefix, template=template,
                                                             migrated=migrated) as dsn:
            yield dsn
        return
    dsn = create_database(server_dsn, prefix=prefix, template=template, migrated=migrated)
    try:
        yield dsn
    finally:
        drop_database(server_dsn, dsn)
