"""Fixtures of the reliability suite: the synthetic sample, a clean reference ingest, extra databases."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import conninfo, sql

from lightcurvedb.tess.synthetic import write_sample

from . import _harness


def _with_db(dsn: str, dbname: str) -> str:
    params = conninfo.conninfo_to_dict(dsn)
    params["dbname"] = dbname
    return conninfo.make_conninfo(**params)


@pytest.fixture(scope="session")
def make_db(server_dsn: str, template_db: str) -> Iterator[Callable[[], str]]:
    """A factory of migrated databases (cloned from the template); all dropped at the end of the session."""
    names: list[str] = []

    def make() -> str:
        name = f"lcdb_rel_{os.getpid()}_{secrets.token_hex(4)}"
        with psycopg.connect(server_dsn, autocommit=True) as admin:
            admin.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(name),
                                                                         sql.Identifier(template_db)))
        names.append(name)
        return _with_db(server_dsn, name)

    yield make
    with psycopg.connect(server_dsn, autocommit=True) as admin:
        for name in names:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture(scope="session")
def sample_files(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """The synthetic sample (6 SPOC-layout files, 3 targets, shared observations)."""
    return write_sample(tmp_path_factory.mktemp("rel-synthetic"))


@pytest.fixture(scope="session")
def reference(make_db: Callable[[], str], sample_files: list[Path]) -> tuple[dict[str, int], str]:
    """Counts and digest of a clean, sequential ingest of the synthetic sample."""
    from lightcurvedb.tess.ingest import ingest_paths

    dsn = make_db()
    summary = ingest_paths(dsn, sample_files)
    assert not summary.failed, summary.failed
    return _harness.fingerprint(dsn)
