"""The ingest log: every file tried leaves one row (added, skipped with the path of the same bytes, refused with
the reason), and a file refused after its observation was created leaves nothing else behind."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path
from typing import Any

import psycopg
import pytest

import lightcurvedb
from lightcurvedb import bulk
from lightcurvedb.queries import ingest_log
from lightcurvedb.tess import synthetic
from lightcurvedb.tess.ingest import ingest_file, ingest_paths

STAR = synthetic.SyntheticTarget(910000001, (21,), 2, 3, 9000.0)


def _tables(conn: psycopg.Connection[Any]) -> dict[str, int]:
    """Every table of schema public (partitions too) with its row count: what a refused file must not change."""
    names = [r[0] for r in conn.execute(
        "SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind = 'r' ORDER BY 1")]
    return {n: int(conn.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0]) for n in names}  # type: ignore[index]


def test_added_skipped_and_refused_files_each_leave_one_row(fresh_dsn: str, tmp_path: Path) -> None:
    [original] = synthetic.write_sample(tmp_path / "a", sample=(STAR,))
    copy = tmp_path / "b" / original.name
    copy.parent.mkdir()
    shutil.copyfile(original, copy)
    broken = tmp_path / "broken.fits"
    broken.write_bytes(original.read_bytes()[:5000])
    summary = ingest_paths(fresh_dsn, [original, copy, broken, tmp_path / "missing.fits"])
    assert [r.status for r in summary.results] == ["added", "skipped", "failed", "failed"]
    with lightcurvedb.connect(fresh_dsn) as conn:
        rows = list(reversed(ingest_log.list_ingest_log(conn, limit=10)))
        release = conn.execute("SELECT id FROM release").fetchall()
        login = conn.execute("SELECT session_user").fetchone()
    assert [r.outcome for r in rows] == ["added", "skipped", "refused", "refused"]
    added, skipped, refused, missing = rows
    digest = hashlib.sha256(original.read_bytes()).hexdigest()
    assert (added.path, added.size_bytes, added.sha256) == (str(original.absolute()), original.stat().st_size, digest)
    assert (added.tic_id, added.sector, added.product, added.reason) == (STAR.tic_id, 21, "spoc", None)
    assert release == [(added.release_id,)]
    assert (skipped.path, skipped.sha256, skipped.same_as_path) == (str(copy.absolute()), digest,
                                                                    str(original.resolve()))
    assert skipped.release_id == added.release_id
    assert (refused.size_bytes, refused.sha256) == (5000, hashlib.sha256(broken.read_bytes()).hexdigest())
    assert refused.reason and "\n" not in refused.reason and refused.same_as_path is None
    assert (missing.size_bytes, missing.sha256) == (None, None) and missing.reason
    assert login is not None and {r.role for r in rows} == {login[0]}


def test_a_file_refused_after_its_observation_was_created_leaves_only_its_log_row(
        fresh_dsn: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    [path] = synthetic.write_sample(tmp_path, sample=(STAR,))

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise psycopg.errors.CheckViolation("refused by the database (test)")

    with lightcurvedb.connect(fresh_dsn) as conn:
        before = _tables(conn)
        monkeypatch.setattr(bulk, "write", refuse)
        result = ingest_file(conn, path)
        monkeypatch.undo()
        assert result.status == "failed" and result.error_type == "CheckViolation"
        after = _tables(conn)
        assert after.pop("ingest_log") == before.pop("ingest_log") + 1
        # the target and groups of the short keys transaction may stay (shared reference rows); the observation,
        # its subtype row and its partitions do not
        assert {t: n for t, n in after.items() if t.startswith(("observation", "tess_observation", "dataset_o",
                                                                "target_specific_time_o", "quality_flag_array_o"))} \
            == {t: n for t, n in before.items() if t.startswith(("observation", "tess_observation", "dataset_o",
                                                                 "target_specific_time_o", "quality_flag_array_o"))}
        assert set(after) == set(before)
        # and the same file then ingests
        assert ingest_file(conn, path).status == "added"
        assert _tables(conn)["release"] == before["release"] + 1
