"""Parallel ingest of files that each create a new observation (a new sector arriving): no deadlock, no retry."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import numpy as np
import psycopg
import pytest

from lightcurvedb.tess.ingest import ingest_paths
from lightcurvedb.tess.synthetic import SyntheticTarget, write_file


@pytest.fixture(scope="module")
def new_observation_files(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """24 files, each of its own observation (three sectors × eight CCDs), so every file creates partitions."""
    out = tmp_path_factory.mktemp("new_observations")
    rng = np.random.default_rng(24)
    return [write_file(SyntheticTarget(810_000_000 + 100 * sector + 10 * camera + ccd, (sector,), camera, ccd,
                                       1000.0 + ccd), sector, out, rng)
            for sector in (30, 31, 32) for camera in (1, 2) for ccd in (1, 2, 3, 4)]


def _deadlocks(dsn: str) -> int:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("SELECT pg_stat_clear_snapshot()")
        row = conn.execute("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()").fetchone()
    return int(row[0]) if row else 0


@pytest.mark.parametrize("jobs", [2, 4])
def test_workers_creating_observations_at_once_never_deadlock(
        clone_db: Callable[[str], AbstractContextManager[str]], new_observation_files: list[Path], jobs: int) -> None:
    with clone_db("lcdb_parallel") as dsn:
        before = _deadlocks(dsn)
        summary = ingest_paths(dsn, new_observation_files, jobs=jobs)
        assert summary.failed == [], [(r.path.name, r.error) for r in summary.failed]
        assert summary.count("added") == len(new_observation_files)
        assert sum(r.retries for r in summary.results) == 0
        assert sum(r.new_observation for r in summary.results) == len(new_observation_files)
        with psycopg.connect(dsn) as conn:
            assert conn.execute("SELECT count(*) FROM observation").fetchone() == (len(new_observation_files),)
        assert _deadlocks(dsn) == before
