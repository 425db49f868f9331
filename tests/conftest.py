"""Test fixtures in one place: a real PostgreSQL server, a migrated template, per-test isolation.

Server choice: `LCDB_TEST_DSN` (a superuser DSN; fresh databases are created and dropped on it) >
testcontainers' PostgreSQL when a Docker engine answers > a private embedded PostgreSQL 18.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import conninfo, sql

from lightcurvedb import migrate, scratch

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
    with scratch.private_server() as dsn:
        yield dsn


@pytest.fixture(scope="session")
def template_db(server_dsn: str) -> Iterator[str]:
    """Name of a migrated template database (nobody stays connected to it)."""
    with scratch.throwaway_database(server_dsn, prefix="lcdb_tpl") as dsn:
        yield str(conninfo.conninfo_to_dict(dsn)["dbname"])


@pytest.fixture(scope="session")
def clone_db(server_dsn: str, template_db: str) -> Callable[[str], AbstractContextManager[str]]:
    """`with clone_db(prefix) as dsn:` a database cloned from the migrated template, dropped afterwards."""
    return lambda prefix: scratch.throwaway_database(server_dsn, prefix=prefix, template=template_db,
                                                     migrated=False)


@pytest.fixture(scope="session")
def migrated_dsn(clone_db: Callable[[str], AbstractContextManager[str]]) -> Iterator[str]:
    """DSN of the session's migrated database, shared by the rolled-back-transaction fixtures."""
    with clone_db("lcdb_test") as dsn:
        yield dsn


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
def fresh_dsn(clone_db: Callable[[str], AbstractContextManager[str]]) -> Iterator[str]:
    """DSN of a migrated database of this test's own (for committed data, several connections)."""
    with clone_db("lcdb_fresh") as dsn:
        yield dsn


@pytest.fixture
def empty_dsn(server_dsn: str) -> Iterator[str]:
    """DSN of a new, empty (unmigrated) database of this test's own."""
    with scratch.throwaway_database(server_dsn, prefix="lcdb_empty", migrated=False) as dsn:
        yield dsn


LOGIN_PASSWORD = "lcdb-test-Pa55:word@/#"
"""Password of the LOGIN roles `login_as` makes (URL metacharacters on purpose)."""


@pytest.fixture
def login_as(server_dsn: str) -> Iterator[Callable[[str, str], str]]:
    """`login_as(dsn, group)`: the DSN of a new LOGIN role of this test's own, member of `group` (lcdb_reader,
    lcdb_writer), on the database of `dsn` (a real session as the role: unlike SET ROLE, it cannot RESET ROLE
    back to a superuser). The roles are dropped after the test; skipped if the server refuses such logins."""
    made: list[str] = []

    def make(dsn: str, group: str) -> str:
        name = f"{group}_t_{secrets.token_hex(4)}"
        with psycopg.connect(server_dsn, autocommit=True) as admin:
            admin.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD {} IN ROLE {}").format(
                sql.Identifier(name), sql.Literal(LOGIN_PASSWORD), sql.Identifier(group)))
        made.append(name)
        login = conninfo.make_conninfo(dsn, user=name, password=LOGIN_PASSWORD)
        try:
            psycopg.connect(login).close()
        except psycopg.OperationalError as exc:
            pytest.skip(f"the test server does not let a new LOGIN role connect: {exc}")
        return login

    try:
        yield make
    finally:
        with psycopg.connect(server_dsn, autocommit=True) as admin:
            for name in made:
                admin.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(name)))


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


FIRST_SET = (
    "tess2018206045859-s0001-0000000358108509-0120-s_lc.fits",
    "hlsp_tess-data-alerts_tess_phot_00025155310-s01_tess_v1_lc.fits",
    "hlsp_tess-data-alerts_tess_phot_00055652896-s01_tess_v1_lc.fits",
    "hlsp_tess-data-alerts_tess_phot_00160148385-s02_tess_v1_lc.fits",
    "tic55525572_lc.fits",
    "hlsp_tglc_tess_ffi_gaiaid-6399196263939178880-s0001-cam2-ccd1_tess_v1_llc.fits",
)
"""The first six real files of ../shared/data/tess (SPOC 2-min, data-alerts HLSP, TGLC v1); the README's
"Second set" (TESS-SPOC, TGLC from the tglc package, later SPOC sectors, two files to refuse) needs the product
model of the products issue and is not in this list."""


@pytest.fixture(scope="session")
def tess_files(tess_dir: Path) -> list[Path]:
    """The first six real TESS files (see FIRST_SET), sorted by name."""
    return sorted(tess_dir / name for name in FIRST_SET)
