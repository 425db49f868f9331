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
        assert _unattached_tables(dsn) == []
        assert _deadlocks(dsn) == before


def _unattached_tables(dsn: str) -> list[str]:
    """Tables named like an observation's partition that are not partitions (built for an observation another
    worker created first, and not discarded)."""
    with psycopg.connect(dsn) as conn:
        rows = conn.execute("SELECT relname FROM pg_class WHERE relkind = 'r' AND NOT relispartition "
                            "AND relname ~ '^(dataset|target_specific_time|quality_flag_array)_o[0-9]+$'").fetchall()
    return [r[0] for r in rows]


def test_workers_racing_for_the_same_new_observations_leave_one_each_and_nothing_else(
        clone_db: Callable[[str], AbstractContextManager[str]], tmp_path: Path) -> None:
    """Four workers, twelve files of six new observations (two stars on each CCD): each observation is created
    once, the partitions a losing worker built are dropped again, and nothing deadlocks."""
    rng = np.random.default_rng(33)
    files = [write_file(SyntheticTarget(820_000_000 + 100 * sector + 10 * ccd + star, (sector,), 1, ccd,
                                        1000.0 + star), sector, tmp_path, rng)
             for sector in (33, 34) for ccd in (1, 2, 3) for star in (1, 2)]
    with clone_db("lcdb_parallel_race") as dsn:
        before = _deadlocks(dsn)
        summary = ingest_paths(dsn, files, jobs=4)
        assert summary.failed == [], [(r.path.name, r.error) for r in summary.failed]
        assert summary.count("added") == len(files)
        assert sum(r.new_observation for r in summary.results) == 6
        assert len({r.observation_id for r in summary.results}) == 6
        assert _unattached_tables(dsn) == []
        assert _deadlocks(dsn) == before
