"""Many writers at once, readers streaming meanwhile: exact counts, no duplicates, only complete datasets.

Every writer is a separate process (tests/reliability/_harness.py). Writers start at the same instant so that
their get-or-create of the mission, catalog, CCD, targets, processing groups and observations race.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import psycopg
import pytest

from . import _harness

pytestmark = pytest.mark.slow

WRITERS = 4
TARGETS, SECTORS, GROUPS, CADENCES, BATCH = 6, 3, 3, 400, 9


def _run_writers(dsn: str, mode: str, tmp_path: Path, *, reader: bool = True) -> tuple[list[dict[str, Any]],
                                                                                     dict[str, Any] | None]:
    start_at = time.time() + 2.5  # after every interpreter has imported lightcurvedb
    procs = [_harness.popen(["bulk-writer", dsn, str(w), mode, str(TARGETS), str(SECTORS), str(GROUPS),
                             str(CADENCES), str(BATCH), str(start_at)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE) for w in range(WRITERS)]
    stop = tmp_path / f"stop-{mode}"
    rd = _harness.popen(["reader", dsn, str(stop), "bulk"], stdout=subprocess.PIPE,
                        stderr=subprocess.PIPE) if reader else None
    results = []
    for p in procs:
        out, err = p.communicate(timeout=240)
        assert p.returncode == 0, err[-3000:]
        results.append(json.loads(out.strip().splitlines()[-1]))
    read = None
    if rd is not None:
        stop.touch()
        out, err = rd.communicate(timeout=120)
        assert rd.returncode == 0, err[-3000:]
        read = json.loads(out.strip().splitlines()[-1])
    return results, read


def _stored(dsn: str) -> dict[tuple[int, int, int], tuple[np.ndarray, np.ndarray]]:
    import lightcurvedb
    from lightcurvedb import bulk

    with lightcurvedb.connect(dsn) as conn:
        return {(r.processing_group_id, r.target_id, r.observation_id): (r.values, r.errors)
                for r in bulk.iter_datasets(conn)}


def _reference_rows_exact(dsn: str) -> None:
    """The get-or-create races left exactly one of every reference row."""
    with psycopg.connect(dsn) as conn:
        def count(q: str) -> int:
            row = conn.execute(q).fetchone()  # type: ignore[arg-type]
            assert row is not None
            return int(row[0])
        assert count("SELECT count(*) FROM mission") == 1
        assert count("SELECT count(*) FROM mission_catalog") == 1
        assert count("SELECT count(*) FROM target") == TARGETS
        assert count("SELECT count(*) FROM instrument") == 3  # TESS → Camera 1 → CCD 1
        assert count("SELECT count(*) FROM processing_group") == GROUPS
        assert count("SELECT count(*) FROM photometric_source") == min(GROUPS, 2)
        assert count("SELECT count(*) FROM observation") == SECTORS
        assert count("SELECT count(*) FROM tess_observation") == SECTORS


@pytest.mark.parametrize("mode", ["skip", "replace"])
def test_four_bulk_writers_with_overlapping_batches(fresh_dsn: str, tmp_path: Path, mode: str) -> None:
    results, read = _run_writers(fresh_dsn, mode, tmp_path)
    keys = {tuple(k) for k in results[0]["keys"]}
    assert all({tuple(k) for k in r["keys"]} == keys for r in results)  # every worker got the same ids
    assert len(keys) == TARGETS * SECTORS * GROUPS
    assert [r["errors"] for r in results] == [[]] * WRITERS  # no deadlock/serialization error reached a caller
    assert all(r["duplicates"] == 0 for r in results)
    for r in results:
        assert r["inserted"] + r["skipped"] + r["replaced"] == r["mine"]
    assert sum(r["inserted"] for r in results) == len(keys)  # each key inserted exactly once
    stored = _stored(fresh_dsn)
    assert set(stored) == keys
    with psycopg.connect(fresh_dsn) as conn:
        cadence = dict(conn.execute("SELECT id, cadence_count FROM observation").fetchall())
    for key, (values, errors) in stored.items():
        assert values.size == errors.size == cadence[key[2]]
        assert np.array_equal(errors, values / 2)  # one writer's row, whole
        if mode == "skip":
            assert np.array_equal(values, _harness.dataset_arrays(key, cadence[key[2]], 0)[0])
        else:  # the last writer's version: one of the three writers that had the key
            assert any(np.array_equal(values, _harness.dataset_arrays(key, cadence[key[2]], w)[0])
                       for w in range(WRITERS))
    _reference_rows_exact(fresh_dsn)
    report = _harness.integrity(fresh_dsn, fits_pairs=False)
    assert _harness.problems(report, allow_keys_only=False) == {}
    assert read is not None and read["bad"] == [] and read["scans"] >= 1


def test_four_bulk_writers_in_insert_mode_lose_whole_batches_with_typed_errors(fresh_dsn: str,
                                                                               tmp_path: Path) -> None:
    results, read = _run_writers(fresh_dsn, "insert", tmp_path)
    keys = {tuple(k) for k in results[0]["keys"]}
    assert [r["errors"] for r in results] == [[]] * WRITERS  # losers saw DuplicateKey, nothing else
    assert sum(r["duplicates"] for r in results) > 0  # the overlap did collide
    committed = [tuple(k) for r in results for chunk in r["committed"] for k in chunk]
    stored = _stored(fresh_dsn)
    assert len(committed) == len(set(committed))  # no key committed twice
    assert set(stored) == set(committed) <= keys  # exactly the winners' batches, nothing of a loser's
    assert sum(r["inserted"] for r in results) == len(stored)
    _reference_rows_exact(fresh_dsn)
    assert _harness.problems(_harness.integrity(fresh_dsn, fits_pairs=False), allow_keys_only=False) == {}
    assert read is not None and read["bad"] == []


def _ingest_concurrently(dsn: str, files: list[Path], tmp_path: Path, *, lcdb_jobs: int = 0) -> list[dict[str, Any]]:
    """WRITERS ingest processes over the same files (each in its own order), a reader streaming meanwhile;
    with `lcdb_jobs`, one of the writers is the `lcdb ingest --jobs N` command instead."""
    start_at = time.time() + 2.5
    procs = []
    for w in range(WRITERS):
        order = list(files)
        np.random.default_rng(w).shuffle(order)  # type: ignore[arg-type]
        if w == 0 and lcdb_jobs:
            procs.append(subprocess.Popen(
                [sys.executable, "-m", "lightcurvedb", "--dsn", dsn, "ingest", "--jobs", str(lcdb_jobs),
                 *map(str, order)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
            continue
        procs.append(_harness.popen(["ingest", dsn, "1", str(start_at), "0", *map(str, order)],
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE))
    stop = tmp_path / "stop-ingest"
    rd = _harness.popen(["reader", dsn, str(stop), "any"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    results = []
    for i, p in enumerate(procs):
        out, err = p.communicate(timeout=240)
        if i == 0 and lcdb_jobs:
            assert p.returncode == 0, (out, err)
            assert "0 failed" in out, out
            continue
        assert p.returncode == 0, err[-3000:]
        results.append(json.loads(out.strip().splitlines()[-1]))
    stop.touch()
    out, err = rd.communicate(timeout=120)
    assert rd.returncode == 0, err[-3000:]
    read = json.loads(out.strip().splitlines()[-1])
    assert read["bad"] == []
    return results


def test_four_fits_ingests_of_the_same_files(fresh_dsn: str, sample_files: list[Path], tmp_path: Path,
                                             reference: tuple[dict[str, int], str]) -> None:
    results = _ingest_concurrently(fresh_dsn, sample_files, tmp_path)
    assert [r["failed"] for r in results] == [[]] * len(results)
    assert _harness.fingerprint(fresh_dsn) == reference
    assert _harness.problems(_harness.integrity(fresh_dsn), allow_keys_only=False) == {}


def test_lcdb_ingest_jobs_4_racing_other_ingests(fresh_dsn: str, sample_files: list[Path], tmp_path: Path,
                                                 reference: tuple[dict[str, int], str]) -> None:
    results = _ingest_concurrently(fresh_dsn, sample_files, tmp_path, lcdb_jobs=4)
    assert [r["failed"] for r in results] == [[]] * len(results)
    assert _harness.fingerprint(fresh_dsn) == reference
    assert _harness.problems(_harness.integrity(fresh_dsn), allow_keys_only=False) == {}


def test_four_ingests_of_the_real_files_and_the_sample(fresh_dsn: str, tess_files: list[Path],
                                                       sample_files: list[Path], tmp_path: Path,
                                                       make_db: Callable[[], str]) -> None:
    from lightcurvedb.tess.ingest import ingest_paths

    files = tess_files + sample_files
    clean = make_db()
    assert not ingest_paths(clean, files).failed
    results = _ingest_concurrently(fresh_dsn, files, tmp_path)
    assert [r["failed"] for r in results] == [[]] * len(results)
    assert _harness.fingerprint(fresh_dsn) == _harness.fingerprint(clean)
    assert _harness.problems(_harness.integrity(fresh_dsn), allow_keys_only=False) == {}
