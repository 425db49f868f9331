"""The views and the function for psql (migration 0019), each compared with the package's own reads of every real
file of ../shared and a fixture of each documented layout, and read as lcdb_reader."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import psycopg
import pytest

import lightcurvedb
from lightcurvedb.tess.tic import load_tic

Products = tuple[str, list[Path]]


@pytest.fixture(scope="module")
def db(products: Products) -> Any:
    with lightcurvedb.connect(products[0]) as conn:
        yield conn


def _tics(db: psycopg.Connection[Any]) -> list[int]:
    return [r[0] for r in db.execute("SELECT DISTINCT tic FROM lcdb_lightcurve_summary ORDER BY tic")]


def test_summary_has_one_row_per_stored_lightcurve_as_the_package_reads_it(db: psycopg.Connection[Any],
                                                                           products: Products) -> None:
    rows = db.execute("SELECT tic, sector, camera, ccd, product, release, cadences, time_start, time_stop, "
                      "flux_columns, file_path, sha256, ingested_on FROM lcdb_lightcurve_summary").fetchall()
    assert len(rows) == len(products[1])
    assert sorted(r[10] for r in rows) == sorted(str(p) for p in products[1])
    for tic in _tics(db):
        lcs = load_tic(db, tic, every_product=True)
        ours = sorted((o.sector, o.camera, o.ccd, o.product, o.release, o.cadences) for o in lcs.observations)
        assert sorted(r[1:7] for r in rows if r[0] == tic) == ours, tic
        for r in rows:
            if r[0] == tic and r[7] is not None:  # the file's TSTART/TSTOP: its cadences' span, within a cadence
                o = next(o for o in lcs.observations if (o.sector, o.product, o.release) == (r[1], r[4], r[5]))
                assert abs(r[7] - o.time_start) < 0.05 and abs(r[8] - o.time_stop) < 0.05, (tic, r[1], r[4])


def test_lightcurves_function_returns_the_package_arrays_bit_for_bit(db: psycopg.Connection[Any]) -> None:
    checked = 0
    for tic in _tics(db):
        rows = db.execute('SELECT sector, product, release, cadences, "time", quality, columns, "values", errors '
                          "FROM lcdb_lightcurves(%s)", [tic]).fetchall()
        assert rows, tic
        for sector, product, release, cadences, time, quality, columns, values, errors in rows:
            lcs = load_tic(db, tic, sectors=[sector], product=product, release=release)
            assert np.array_equal(np.asarray(time, np.float64), lcs.columns["time"], equal_nan=True)
            assert len(time) == cadences
            if quality is not None:
                assert np.array_equal(np.asarray(quality), lcs.columns["quality"])
            for k, name in enumerate(columns):
                stored = lcs.columns[name].astype(np.float64)
                assert np.array_equal(np.asarray(values[k], np.float64), stored, equal_nan=True), (tic, name)
                if f"{name}_err" in lcs.columns:
                    err = lcs.columns[f"{name}_err"].astype(np.float64)
                    assert np.array_equal(np.asarray(errors[k], np.float64), err, equal_nan=True), (tic, name)
                checked += 1
    assert checked > 50


def test_lightcurves_function_reads_only_the_targets_partitions(db: psycopg.Connection[Any],
                                                                products: Products) -> None:
    for tic in _tics(db):
        with psycopg.connect(products[0]) as fresh:  # a transaction of its own: only this call's locks
            fresh.execute("SELECT count(*) FROM lcdb_lightcurves(%s)", [tic])
            locked = {r[0] for r in fresh.execute(
                "SELECT c.relname FROM pg_locks AS l JOIN pg_class AS c ON c.oid = l.relation "
                "WHERE l.pid = pg_backend_pid() AND c.relname ~ '^(dataset|target_specific_time|quality_flag_array)_'")}
        mine = {r[0] for r in db.execute("SELECT observation_id FROM lcdb_lightcurve_summary WHERE tic = %s", [tic])}
        assert locked and {int(name.rsplit("_o", 1)[1]) for name in locked} <= mine, (tic, locked)
    assert db.execute("SELECT count(*) FROM lcdb_lightcurves(1)").fetchone() == (0,)


def test_storage_by_sector_counts_what_the_summary_lists(db: psycopg.Connection[Any]) -> None:
    storage = {(s, p): (n, b) for s, p, n, b in db.execute(
        "SELECT sector, product, lightcurves, bytes FROM lcdb_storage_by_sector")}
    summary = Counter((s, p) for s, p in db.execute("SELECT sector, product FROM lcdb_lightcurve_summary"))
    assert {k: n for k, (n, _) in storage.items()} == dict(summary)
    on_disk = db.execute("SELECT sum(bytes) FROM lcdb_partitions").fetchone()
    assert on_disk is not None and all(b > 0 for _, b in storage.values())
    assert sum(b for _, b in storage.values()) <= on_disk[0]


def test_partitions_say_which_sector_camera_and_ccd_they_hold(db: psycopg.Connection[Any]) -> None:
    parts = db.execute("SELECT partition::text, parent_table, observation_id, sector, camera, ccd, products "
                       "FROM lcdb_partitions WHERE observation_id IS NOT NULL").fetchall()
    held = {(o, s, c, d) for o, s, c, d in db.execute(
        "SELECT DISTINCT observation_id, sector, camera, ccd FROM lcdb_lightcurve_summary")}
    assert {(o, s, c, d) for _, _, o, s, c, d, _ in parts} == held
    assert Counter(parent for _, parent, *_ in parts) == {p: len(held) for p in
                                                          ("dataset", "target_specific_time", "quality_flag_array")}
    for name, parent, observation, sector, *_ in parts:
        assert name == f"{parent}_o{observation}"
        comment = db.execute("SELECT obj_description(%s::regclass, 'pg_class')", [name]).fetchone()
        assert comment and f"TESS sector {sector}," in comment[0]


def test_ingest_log_view_lists_every_file_tried(db: psycopg.Connection[Any], products: Products) -> None:
    rows = db.execute("SELECT outcome, path, tic, sector, product, release FROM lcdb_ingest_log").fetchall()
    assert sorted(r[1] for r in rows) == sorted(str(p) for p in products[1])
    assert {r[0] for r in rows} == {"added"}
    listed = set(db.execute("SELECT tic, sector, product, release FROM lcdb_lightcurve_summary").fetchall())
    assert {r[2:] for r in rows} == listed


@pytest.mark.parametrize("query", [
    "SELECT count(*) FROM lcdb_lightcurve_summary",
    "SELECT count(*) FROM lcdb_storage_by_sector",
    "SELECT count(*) FROM lcdb_partitions",
    "SELECT count(*) FROM lcdb_ingest_log",
    "SELECT count(*) FROM lcdb_lightcurves((SELECT min(tic) FROM lcdb_lightcurve_summary))",
])
def test_a_reader_answers_each_question_with_one_select(db: psycopg.Connection[Any], query: str) -> None:
    with db.transaction(force_rollback=True):
        db.execute("SET LOCAL ROLE lcdb_reader")
        row = db.execute(query).fetchone()
    assert row is not None and row[0] > 0


def _guide_questions() -> list[str]:
    """The statements of the operations guide's "Questions from psql" block, one per question."""
    text = (Path(__file__).resolve().parents[2] / "docs" / "guides" / "operations.md").read_text(encoding="utf-8")
    block = text.split("## Questions from psql", 1)[1].split("```sql\n", 1)[1].split("```", 1)[0]
    return [line for line in block.splitlines() if line and not line.startswith("--")]


def test_the_guide_questions_are_answered_by_a_reader(db: psycopg.Connection[Any]) -> None:
    questions = _guide_questions()
    assert len(questions) >= 8
    for statement in questions:
        with db.transaction(force_rollback=True):
            # the session's files were all added: one refused try, so that every question has an answer
            db.execute("INSERT INTO ingest_log (path, outcome, reason) VALUES ('/data/x.fits', 'refused', 'test')")
            db.execute("SET LOCAL ROLE lcdb_reader")
            assert db.execute(statement).fetchall(), statement  # type: ignore[arg-type]
