"""Test fixtures in one place: a real PostgreSQL server, a migrated template, per-test isolation.

Server choice: `LCDB_TEST_DSN` (a superuser DSN; fresh databases are created and dropped on it) >
testcontainers' PostgreSQL when a Docker engine answers > a private embedded PostgreSQL 18.
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import conninfo, sql

from lightcurvedb import migrate

REPO = Path(__file__).resolve().parents[1]
SHARED_TESS = REPO.parent / "shared" / "data" / "tess"


def _docker_answers() -> bool:
    """True only when a Docker engine really answers (the client alone is not enough)."""
    try:
        import docker

        docker.from_env(timeout=3).ping()
    except Exception:
        return False
    return True


def _with_db(dsn: str, dbname: str) -> str:
    params = conninfo.conninfo_to_dict(dsn)
    params["dbname"] = dbname
    return conninfo.make_conninfo(**params)


@pytest.fixture(scope="session")
def server_dsn() -> Iterator[str]:
    """A superuser DSN (database `postgres`) on the server under test."""
    explicit = os.environ.get("LCDB_TEST_DSN")
    if explicit:
        yield explicit
        return
    if _docker_answers():
        from testcontainers.postgres import PostgresContainer

        with PostgresContainer("postgres:18", driver=None) as pg:
            yield pg.get_connection_url()
        return
    from lightcurvedb import embedded
    from lightcurvedb.config import EmbeddedSettings

    # Not under pytest's 0700 basetemp: as root the server runs as a service user who must enter it.
    home = Path(tempfile.mkdtemp(prefix="lcdb-test-pg-"))
    home.chmod(0o755)
    lay = embedded.layout(EmbeddedSettings(), home=home / "home")
    embedded.start(lay)
    try:
        yield lay.dsn("postgres")
    finally:
        embedded.stop(lay)
        shutil.rmtree(home, ignore_errors=True)


def _create_db(server: str, name: str, template: str | None = None) -> str:
    with psycopg.connect(server, autocommit=True) as admin:
        query = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template:
            query = sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(name), sql.Identifier(template))
        admin.execute(query)
    return _with_db(server, name)


def _drop_db(server: str, name: str) -> None:
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def _unique(prefix: str) -> str:
    return f"{prefix}_{os.getpid()}_{secrets.token_hex(4)}"


@pytest.fixture(scope="session")
def template_db(server_dsn: str) -> Iterator[str]:
    """Name of a migrated template database (nobody stays connected to it)."""
    name = _unique("lcdb_tpl")
    dsn = _create_db(server_dsn, name)
    try:
        migrate.apply(dsn)
        yield name
    finally:
        _drop_db(server_dsn, name)


@pytest.fixture(scope="session")
def migrated_dsn(server_dsn: str, template_db: str) -> Iterator[str]:
    """DSN of the session's migrated database, shared by the rolled-back-transaction fixtures."""
    name = _unique("lcdb_test")
    dsn = _create_db(server_dsn, name, template=template_db)
    try:
        yield dsn
    finally:
        _drop_db(server_dsn, name)


@pytest.fixture
def conn(migrated_dsn: str) -> Iterator[psycopg.Connection[Any]]:
    """A `lightcurvedb.connect()` connection; everything the test does is rolled back."""
    import lightcurvedb

    connection = lightcurvedb.connect(migrated_dsn)
    try:
        yield connection
    finally:
        connection.rollback()
        connection.close()


@pytest.fixture
def raw_conn(migrated_dsn: str) -> Iterator[psycopg.Connection[Any]]:
    """A plain psycopg connection (no lightcurvedb adapters); rolled back after the test."""
    connection = psycopg.connect(migrated_dsn)
    try:
        yield connection
    finally:
        connection.rollback()
        connection.close()


@pytest.fixture
def fresh_dsn(server_dsn: str, template_db: str) -> Iterator[str]:
    """DSN of a migrated database of this test's own (for committed data, several connections)."""
    name = _unique("lcdb_fresh")
    dsn = _create_db(server_dsn, name, template=template_db)
    try:
        yield dsn
    finally:
        _drop_db(server_dsn, name)


@pytest.fixture
def empty_dsn(server_dsn: str) -> Iterator[str]:
    """DSN of a new, empty (unmigrated) database of this test's own."""
    name = _unique("lcdb_empty")
    dsn = _create_db(server_dsn, name)
    try:
        yield dsn
    finally:
        _drop_db(server_dsn, name)


@pytest.fixture(scope="session")
def migrations_dir() -> Path:
    """The repository's sql/migrations."""
    return migrate.migrations_dir()


@pytest.fixture(scope="session")
def tess_dir() -> Path:
    """The shared real TESS files; the test is skipped cleanly when ../shared is absent."""
    if not SHARED_TESS.is_dir():
        pytest.skip("../shared/data/tess is not present on this machine")
    return SHARED_TESS
