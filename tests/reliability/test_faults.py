"""kill -9 at random points: of an ingest process, and of the embedded server under it.

After every kill: no array whose length disagrees with its observation, no duplicate, no orphan, no
half-written (target, observation) pair (see _harness.integrity for the definitions); then re-running the same
ingest completes the work and the database equals a clean reference run (counts and a digest of every array by
natural key). The full, longer run with figures: `python -m tests.reliability`.
"""

from __future__ import annotations

import random
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from lightcurvedb import embedded, migrate
from lightcurvedb.config import EmbeddedSettings

from . import _harness

pytestmark = pytest.mark.slow

CLIENT_KILLS = 20
SERVER_KILLS = 2


@pytest.fixture(scope="module")
def ingest_seconds(make_db: Callable[[], str], sample_files: list[Path]) -> float:
    """How long a clean ingest of the sample takes here (the window the kills are spread over)."""
    from lightcurvedb.tess.ingest import ingest_paths

    dsn = make_db()
    started = time.monotonic()
    assert not ingest_paths(dsn, sample_files).failed
    return time.monotonic() - started


def test_kill_9_of_an_ingest_at_random_points(make_db: Callable[[], str], sample_files: list[Path],
                                              reference: tuple[dict[str, int], str], ingest_seconds: float) -> None:
    rng = random.Random(20240501)
    runs = []
    for i in range(CLIENT_KILLS):
        dsn = make_db()
        jobs = 2 if i % 4 == 3 else 1  # some kills hit a pool (parent + spawned workers, one process group)
        window = ingest_seconds * (2.5 if jobs > 1 else 1.2)
        runs.append(_harness.kill_client_run(dsn, sample_files, reference, delay=rng.uniform(0, window),
                                             jobs=jobs))
    assert [r["failures"] for r in runs] == [[]] * CLIENT_KILLS, runs
    assert sum(r["killed"] for r in runs) >= CLIENT_KILLS // 2  # most kills landed mid-ingest


@pytest.fixture
def private_server() -> Iterator[embedded.Layout]:
    """A private embedded PostgreSQL 18 in a temp home (0755 so root's service user can enter it)."""
    base = Path(tempfile.mkdtemp(prefix="lcdb-rel-"))
    base.chmod(0o755)
    lay = embedded.start(embedded.layout(EmbeddedSettings(), home=base / "home"))
    try:
        yield lay
    finally:
        if (lay.data / "PG_VERSION").exists():
            embedded.stop(lay)
        shutil.rmtree(base, ignore_errors=True)


def test_kill_9_of_the_embedded_server_mid_ingest(private_server: embedded.Layout, sample_files: list[Path],
                                                  reference: tuple[dict[str, int], str],
                                                  ingest_seconds: float) -> None:
    lay = private_server
    migrate.apply(lay.dsn())
    rng = random.Random(7)
    runs = []
    for i in range(SERVER_KILLS):
        name = f"rel_kill_{i}"
        with psycopg.connect(lay.dsn("postgres"), autocommit=True) as admin:
            admin.execute(sql.SQL("CREATE DATABASE {} TEMPLATE lightcurvedb").format(sql.Identifier(name)))
        runs.append(_harness.kill_server_run(lay, lay.dsn(name), sample_files, reference,
                                             delay=rng.uniform(0.1, ingest_seconds), jobs=1 + i % 2))
    assert [r["failures"] for r in runs] == [[]] * SERVER_KILLS, runs
    assert embedded.is_running(lay)
