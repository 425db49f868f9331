"""Arrays at their own precision (0011.float32_arrays): float32 stored as real[] and read back float32,
bit-identical; float64 never narrowed; exactly one column of each pair; the rollback widens losslessly."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import psycopg
import pytest

import lightcurvedb
from lightcurvedb import bulk, errors
from lightcurvedb.lightcurve import load_lightcurves
from lightcurvedb.queries import datasets, instruments, missions, observations, processing, targets

from .test_migrations import yoyo_url

N = 64


def _world(conn: psycopg.Connection[Any]) -> tuple[int, int, int]:
    mission = missions.create_mission(conn, name="TESS", description=None, time_unit="d", time_epoch=2457000.0,
                                      time_epoch_scale="tdb", time_epoch_format="jd", time_format_name="btjd")
    tic = missions.create_catalog(conn, host_mission_id=mission.id, name="TIC")
    target = targets.create_target(conn, catalog_id=tic.id, name=7)
    ccd = instruments.create_instrument(conn, name="CCD", properties={})
    obs = observations.create_tess_observation(conn, instrument_id=ccd.id, cadence_reference=np.arange(N), sector=1)
    return target.id, obs.id, ccd.id


def _group(conn: psycopg.Connection[Any], name: str) -> int:
    return processing.get_or_create_processing_group(conn, source_name=name, method_name="none", name=name).id


def _float32(seed: int) -> np.ndarray[Any, Any]:
    rng = np.random.default_rng(seed)
    arr = rng.normal(1000, 30, N).astype(np.float32)
    arr[[3, 40]] = np.nan
    arr[5] = np.float32(1e-38)  # a subnormal-adjacent value and the extremes survive
    arr[6] = np.finfo(np.float32).max
    return arr


def test_the_dtype_picks_the_column(conn: psycopg.Connection[Any]) -> None:
    target, obs, _ = _world(conn)
    f32, f64 = _float32(1), np.linspace(0, 1, N) + 1e-12  # f64 values that float32 would round
    f16 = np.linspace(-2, 2, N).astype(np.float16)
    rows = [
        {"processing_group_id": _group(conn, "a"), "values": f32, "errors": f32},
        {"processing_group_id": _group(conn, "b"), "values": f64, "errors": f32},  # mixed precisions
        {"processing_group_id": _group(conn, "c"), "values": f16, "errors": f64},
        {"processing_group_id": _group(conn, "d"), "values_f4": f32, "errors_f4": f32},  # named explicitly
    ]
    bulk.write(conn, "dataset", [{**r, "target_id": target, "observation_id": obs} for r in rows])
    stored = {r[0]: r[1:] for r in conn.execute(
        "SELECT g.name, d.values IS NULL, d.values_f4 IS NULL, d.errors IS NULL, d.errors_f4 IS NULL "
        "FROM dataset d JOIN processing_group g ON g.id = d.processing_group_id")}
    assert stored == {"a": (True, False, True, False), "b": (False, True, True, False),
                      "c": (True, False, False, True), "d": (True, False, True, False)}
    lcs = load_lightcurves(conn, target)
    assert lcs.values["a"].dtype == np.float32 and lcs.values["a"].tobytes() == f32.tobytes()  # bit-identical
    assert lcs.errors["a"].tobytes() == f32.tobytes()
    assert lcs.values["b"].dtype == np.float64 and np.array_equal(lcs.values["b"], f64)  # never narrowed
    assert lcs.values["c"].dtype == np.float32
    assert np.array_equal(lcs.values["c"], f16.astype(np.float32))
    row = datasets.get_dataset(conn, processing_group_id=_group(conn, "a"), target_id=target, observation_id=obs)
    assert row.values is None and row.values_f4 is not None and row.values_f4.dtype == np.float32
    on_disk = conn.execute("SELECT pg_column_size(values_f4) FROM dataset WHERE processing_group_id = %s",
                           [_group(conn, "a")]).fetchone()
    assert on_disk is not None and on_disk[0] <= 4 * N + 32  # 4 bytes a value, plus the array header


def test_one_column_of_each_pair(conn: psycopg.Connection[Any]) -> None:
    target, obs, _ = _world(conn)
    group = _group(conn, "a")
    with pytest.raises(errors.MissingValue, match="once"):
        bulk.write(conn, "dataset", [{"processing_group_id": group, "target_id": target, "observation_id": obs,
                                      "values": np.ones(N), "values_f4": np.ones(N, np.float32),
                                      "errors": np.ones(N)}])
    with pytest.raises(errors.InvalidData) as info, conn.transaction():
        datasets.create_dataset(conn, processing_group_id=group, target_id=target, observation_id=obs,
                                errors=np.ones(N))
    assert info.value.constraint == "ck_dataset_values_one_precision"
    with pytest.raises(errors.InvalidData) as info, conn.transaction():
        datasets.create_dataset(conn, processing_group_id=group, target_id=target, observation_id=obs,
                                values_f4=np.ones(N, np.float32), errors=np.ones(N - 1))
    assert info.value.constraint == "ck_dataset_errors_length"
    with pytest.raises(errors.InvalidData) as info, conn.transaction():
        datasets.create_dataset(conn, processing_group_id=group, target_id=target, observation_id=obs,
                                values_f4=np.ones(N + 1, np.float32), errors_f4=np.ones(N + 1, np.float32))
    assert info.value.constraint == "ck_dataset_length_matches_observation"


def test_rollback_widens_losslessly(empty_dsn: str, migrations_dir: Path) -> None:
    from yoyo import get_backend, read_migrations

    backend = get_backend(yoyo_url(empty_dsn))
    try:
        migrations = read_migrations(str(migrations_dir))
        with backend.lock():
            backend.apply_migrations(backend.to_apply(migrations))
        f32 = _float32(2)
        with lightcurvedb.connect(empty_dsn) as conn:
            target, obs, _ = _world(conn)
            bulk.write(conn, "dataset", [{"processing_group_id": _group(conn, "a"), "target_id": target,
                                          "observation_id": obs, "values": f32, "errors": f32}])
            conn.commit()
        with backend.lock():
            # 0011 and every later one, newest first (later views read the float32 columns)
            backend.rollback_migrations(backend.to_rollback(migrations.filter(lambda m: m.id >= "0011.float32_arrays")))
        with psycopg.connect(empty_dsn) as conn:
            names = {r[0] for r in conn.execute(
                "SELECT attname FROM pg_attribute WHERE attrelid = 'dataset'::regclass AND attnum > 0 "
                "AND NOT attisdropped")}
            assert "values_f4" not in names
            row = conn.execute('SELECT "values", errors FROM dataset').fetchone()
            assert row is not None
            widened = np.asarray(row[0], dtype=np.float64)
            assert np.array_equal(widened, f32.astype(np.float64), equal_nan=True)  # exact: float32 ⊂ float64
            assert np.array_equal(np.asarray(row[1], dtype=np.float64), f32.astype(np.float64), equal_nan=True)
        with backend.lock():
            backend.apply_migrations(backend.to_apply(migrations))  # and forward again
    finally:
        backend.connection.close()
