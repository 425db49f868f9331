"""Bulk writers: merge modes, typed duplicate errors, batch boundaries, committing variants, other tables."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import psycopg
import pytest

import lightcurvedb
from lightcurvedb import errors
from lightcurvedb.bulk import write
from lightcurvedb.records.datasets import DatasetInsert
from lightcurvedb.records.times_flags import QualityFlagArrayInsert, TargetSpecificTimeInsert
from tests.bulk.conftest import World, make_world


def rows_for(w: World, obs: int, targets: list[int], scale: float = 1.0) -> list[DatasetInsert]:
    n = w.grid.shape[0]
    return [DatasetInsert(processing_group_id=w.group, target_id=t, observation_id=obs,
                          values=np.arange(n, dtype=np.float64) * scale + t, errors=np.full(n, 0.5))
            for t in targets]


def frame(obs: int, cadence: int, bitpix: int, naxis: int, **more: Any) -> dict[str, Any]:
    return {"observation_id": obs, "cadence": cadence, "bitpix": bitpix, "naxis": naxis, **more}


def stored(conn: psycopg.Connection[Any], obs: int) -> dict[int, np.ndarray]:
    cur = conn.execute('SELECT target_id, "values" FROM dataset WHERE observation_id = %s', [obs], binary=True)
    return {t: v for t, v in cur.fetchall()}


def test_partition_exists_before_rows_arrive(conn: psycopg.Connection[Any], world: World) -> None:
    obs = world.observations[0]
    for table in ("dataset", "target_specific_time", "quality_flag_array"):
        assert conn.execute("SELECT to_regclass(%s)", [f"public.{table}_o{obs}"]).fetchone() == (f"{table}_o{obs}",)
    o2 = world.observations[2]
    write(conn, "dataset", rows_for(world, o2, world.targets[:1]) + rows_for(world, obs, world.targets[:2]))
    parts = conn.execute("SELECT DISTINCT observation_id, tableoid::regclass::text FROM dataset ORDER BY 1").fetchall()
    assert parts == sorted([(obs, f"dataset_o{obs}"), (o2, f"dataset_o{o2}")])
    assert conn.execute("SELECT count(*) FROM dataset_default").fetchone() == (0,)


def test_deadlock_is_retried(conn: psycopg.Connection[Any], world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    from lightcurvedb.bulk import _engine

    real = _engine.write_batch_direct
    calls: list[int] = []

    def flaky(*args: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            real(*args)  # written, then rolled back with the savepoint
            raise psycopg.errors.DeadlockDetected("deadlock detected (simulated)")
        return real(*args)

    monkeypatch.setattr(_engine, "write_batch_direct", flaky)
    result = write(conn, "dataset", rows_for(world, world.observations[0], world.targets))
    assert (result.inserted, result.retries, len(calls)) == (6, 1, 2)
    assert sorted(stored(conn, world.observations[0])) == sorted(world.targets)


def test_insert_mode(conn: psycopg.Connection[Any], world: World) -> None:
    obs = world.observations[0]
    result = write(conn, "dataset", rows_for(world, obs, world.targets))
    assert (result.inserted, result.skipped, result.replaced) == (len(world.targets), 0, 0)
    got = stored(conn, obs)
    assert sorted(got) == sorted(world.targets)
    np.testing.assert_array_equal(got[world.targets[0]], np.arange(40.0) + world.targets[0])
    assert got[world.targets[0]].dtype == np.float64


def test_insert_duplicate_raises_typed_and_writes_nothing(conn: psycopg.Connection[Any], world: World) -> None:
    obs = world.observations[0]
    write(conn, "dataset", rows_for(world, obs, world.targets[:2]))
    batch = rows_for(world, obs, world.targets[2:], scale=3.0) + rows_for(world, obs, world.targets[:1], scale=3.0)
    with pytest.raises(errors.DuplicateKey) as info:
        write(conn, "dataset", batch, batch_size=2)
    assert isinstance(info.value.__cause__, psycopg.errors.UniqueViolation)
    assert info.value.constraint == "uq_dataset_group_target_observation"
    assert sorted(stored(conn, obs)) == sorted(world.targets[:2])  # nothing of the failed call, earlier kept
    np.testing.assert_array_equal(stored(conn, obs)[world.targets[0]], np.arange(40.0) + world.targets[0])


def test_insert_duplicate_within_input(conn: psycopg.Connection[Any], world: World) -> None:
    obs = world.observations[0]
    with pytest.raises(errors.DuplicateKey, match="uq_dataset_group_target_observation"):
        write(conn, "dataset", rows_for(world, obs, [world.targets[0], world.targets[0]]))
    assert stored(conn, obs) == {}


def test_skip_mode(conn: psycopg.Connection[Any], world: World) -> None:
    obs = world.observations[0]
    write(conn, "dataset", rows_for(world, obs, world.targets[:3]))
    result = write(conn, "dataset", rows_for(world, obs, world.targets, scale=9.0), mode="skip",
                            batch_size=4)
    assert (result.inserted, result.skipped, result.replaced) == (3, 3, 0)
    got = stored(conn, obs)
    t_old, t_new = world.targets[0], world.targets[5]
    np.testing.assert_array_equal(got[t_old], np.arange(40.0) + t_old)  # untouched
    np.testing.assert_array_equal(got[t_new], np.arange(40.0) * 9 + t_new)


def test_replace_mode_changes_values_keeps_ids(conn: psycopg.Connection[Any], world: World) -> None:
    obs = world.observations[0]
    write(conn, "dataset", rows_for(world, obs, world.targets[:3]))
    ids = dict(conn.execute("SELECT target_id, id FROM dataset WHERE observation_id = %s", [obs]).fetchall())
    result = write(conn, "dataset", rows_for(world, obs, world.targets, scale=-2.0), mode="replace")
    assert (result.inserted, result.skipped, result.replaced) == (3, 0, 3)
    got = stored(conn, obs)
    for t in world.targets:
        np.testing.assert_array_equal(got[t], np.arange(40.0) * -2 + t)
    after = dict(conn.execute("SELECT target_id, id FROM dataset WHERE observation_id = %s", [obs]).fetchall())
    assert all(after[t] == ids[t] for t in ids)


def test_replace_duplicate_in_input_last_wins(conn: psycopg.Connection[Any], world: World) -> None:
    obs, t = world.observations[0], world.targets[0]
    rows = rows_for(world, obs, [t], scale=1.0) + rows_for(world, obs, [t], scale=5.0)
    result = write(conn, "dataset", rows, mode="replace")
    assert (result.inserted, result.replaced, result.total) == (1, 1, 2)
    np.testing.assert_array_equal(stored(conn, obs)[t], np.arange(40.0) * 5 + t)


@pytest.mark.parametrize(("batch_size", "batches"), [(1, 6), (3, 2), (4, 2), (6, 1), (100, 1)])
def test_batch_boundaries(conn: psycopg.Connection[Any], world: World, batch_size: int, batches: int) -> None:
    obs = world.observations[1]
    result = write(conn, "dataset", iter(rows_for(world, obs, world.targets)), batch_size=batch_size)
    assert (result.inserted, result.batches) == (6, batches)
    assert sorted(stored(conn, obs)) == sorted(world.targets)


def test_record_shapes(conn: psycopg.Connection[Any], world: World) -> None:
    @dataclass(frozen=True)
    class Mine:
        processing_group_id: int
        target_id: int
        observation_id: int
        values: list[float]
        errors: np.ndarray

    obs, n = world.observations[0], 40
    rows: list[Any] = [
        (world.group, world.targets[0], obs, np.zeros(n, dtype=np.float32), np.zeros(n)),
        {"processing_group_id": world.group, "target_id": world.targets[1], "observation_id": obs,
         "values": np.ones(n), "errors": np.ones(n)},
        Mine(world.group, world.targets[2], obs, [2.0] * n, np.ones(n)),
    ]
    assert write(conn, "dataset", rows).inserted == 3
    assert stored(conn, obs)[world.targets[2]].tolist() == [2.0] * n


def test_bad_input_is_typed(conn: psycopg.Connection[Any], world: World) -> None:
    obs = world.observations[0]
    with pytest.raises(errors.BulkWriteError):
        write(conn, "dataset", rows_for(world, obs, world.targets[:1]), mode="upsert")  # type: ignore[arg-type]
    with pytest.raises(errors.BulkWriteError):
        write(conn, "dataset", [(1, 2)])
    with pytest.raises(errors.InvalidData) as short:
        write(conn, "dataset", [(world.group, world.targets[0], obs, np.zeros(3), np.zeros(3))])
    assert short.value.constraint == "ck_dataset_length_matches_observation"
    with pytest.raises(errors.UnknownReference) as unknown:
        write(conn, "dataset", [(world.group, world.targets[0], 999_999, np.zeros(40), np.zeros(40))])
    assert (unknown.value.constraint, unknown.value.table) == ("fk_dataset_observation", "dataset")
    with pytest.raises(errors.BulkWriteError, match="cannot encode"):
        write(conn, "dataset", [(world.group, "x", obs, np.zeros(40), np.zeros(40))])
    with pytest.raises(errors.ArrayDtypeError):
        write(conn, "target_specific_time", [(world.targets[0], obs, np.zeros(40, dtype=complex))])
    with pytest.raises(errors.ArrayDimensionError):
        write(conn, "dataset", [(world.group, world.targets[0], obs, np.zeros((2, 20)), np.zeros(40))])
    assert conn.execute("SELECT 1").fetchone() == (1,)  # the caller's transaction is still usable
    assert stored(conn, obs) == {}


def test_committing_commits_per_batch(fresh_dsn: str) -> None:
    with lightcurvedb.connect(fresh_dsn) as setup:
        w = make_world(setup)
        setup.commit()
    obs = w.observations[0]
    rows = rows_for(w, obs, w.targets[:4]) + rows_for(w, obs, w.targets[:1])  # 3rd batch fails
    with lightcurvedb.connect(fresh_dsn) as conn:
        with pytest.raises(errors.DuplicateKey, match="uq_dataset_group_target_observation"):
            write(conn, "dataset", rows, batch_size=2, commit=True)
        conn.rollback()
        conn.execute("SELECT 1")
        with pytest.raises(errors.BulkWriteError, match="commits once per batch"):
            write(conn, "dataset", rows, batch_size=2, commit=True)
        conn.rollback()
        result = write(conn, "dataset", rows_for(w, obs, w.targets), mode="skip", batch_size=4, commit=True)
        assert (result.inserted, result.skipped, result.batches) == (2, 4, 2)
    with psycopg.connect(fresh_dsn) as other:
        assert other.execute("SELECT count(*) FROM dataset").fetchone() == (6,)


def test_target_times(conn: psycopg.Connection[Any], world: World) -> None:
    obs = world.observations[0]
    times = [TargetSpecificTimeInsert(target_id=t, observation_id=obs,
                                      barycentric_julian_dates=1325.0 + np.arange(40) / 720) for t in world.targets[:3]]
    assert write(conn, "target_specific_time", times).inserted == 3
    with pytest.raises(errors.DuplicateKey, match="uq_target_specific_time_target_observation"):
        write(conn, "target_specific_time", times[:1])
    result = write(conn, "target_specific_time", [TargetSpecificTimeInsert(
        target_id=world.targets[0], observation_id=obs, barycentric_julian_dates=np.full(40, np.nan))], mode="replace")
    assert result.replaced == 1
    got = conn.execute("SELECT barycentric_julian_dates FROM target_specific_time WHERE target_id = %s",
                       [world.targets[0]], binary=True).fetchone()
    assert got is not None and np.isnan(got[0]).all()


def test_quality_flags_with_observation_wide_rows(conn: psycopg.Connection[Any], world: World) -> None:
    obs = world.observations[0]
    flags = [QualityFlagArrayInsert(observation_id=obs, quality_flags=np.arange(40, dtype=np.int32)),
             QualityFlagArrayInsert(observation_id=obs, quality_flags=np.ones(40, dtype=np.int32),
                                    target_id=world.targets[0])]
    assert write(conn, "quality_flag_array", flags).inserted == 2
    with pytest.raises(errors.DuplicateKey, match="uq_quality_flag_array_type_observation_target"):
        write(conn, "quality_flag_array", flags[:1])  # NULL targets count as equal
    result = write(conn, "quality_flag_array", [QualityFlagArrayInsert(
        observation_id=obs, quality_flags=np.full(40, 4, dtype=np.int64))], mode="replace")
    assert (result.replaced, result.inserted) == (1, 0)
    assert write(conn, "quality_flag_array", flags, mode="skip").skipped == 2
    got = conn.execute("SELECT quality_flags FROM quality_flag_array WHERE target_id IS NULL", binary=True).fetchone()
    assert got is not None and got[0].dtype == np.int32 and (got[0] == 4).all()


def test_fits_frames_with_tess_extension(conn: psycopg.Connection[Any], world: World) -> None:
    obs = world.observations[0]
    frames = [frame(obs, int(c), bitpix=-32, naxis=2, naxis_values=(2048, 2048), type="tess_fits_frame",
                        camera=1, ccd=2, mid_tjd=1325.0 + i, file_path="/data/x.fits")
              for i, c in enumerate(world.grid[:5])]
    assert write(conn, "fits_frame", frames).inserted == 5
    with pytest.raises(errors.DuplicateKey, match="uq_fits_frame_type_observation_cadence"):
        write(conn, "fits_frame", frames[:1])
    moved = [frame(obs, int(world.grid[0]), bitpix=16, naxis=0, type="tess_fits_frame", camera=3, ccd=4)]
    assert write(conn, "fits_frame", moved, mode="replace").replaced == 1
    row = conn.execute("SELECT bitpix, naxis_values, camera FROM tess_fits_frame_view WHERE cadence = %s",
                       [int(world.grid[0])]).fetchone()
    assert row == (16, [], 3)
    assert conn.execute("SELECT count(*) FROM tess_fits_frame").fetchone() == (5,)


def test_generated_pydantic_insert_records(conn: psycopg.Connection[Any], world: World) -> None:
    datasets = pytest.importorskip("lightcurvedb.records.datasets")
    times_flags = pytest.importorskip("lightcurvedb.records.times_flags")
    frames = pytest.importorskip("lightcurvedb.records.frames")
    obs, t = world.observations[0], world.targets[0]
    n = world.grid.size
    assert write(conn, "dataset", [datasets.DatasetInsert(processing_group_id=world.group, target_id=t,
                                                        observation_id=obs, values=np.ones(n),
                                                        errors=np.ones(n))]).inserted == 1
    assert write(conn, "target_specific_time", [times_flags.TargetSpecificTimeInsert(
        target_id=t, observation_id=obs, barycentric_julian_dates=np.arange(n, dtype=np.float64))]).inserted == 1
    assert write(conn, "quality_flag_array", [times_flags.QualityFlagArrayInsert(
        observation_id=obs, quality_flags=np.zeros(n, dtype=np.int32))]).inserted == 1
    assert write(conn, "fits_frame", [frames.FitsFrameInsert(observation_id=obs, cadence=int(world.grid[0]),
                                                           bitpix=8, naxis=0)]).inserted == 1
    assert conn.execute("SELECT type FROM quality_flag_array").fetchone() == ("base_quality_flag",)
    assert conn.execute("SELECT type, simple, bscale FROM fits_frame").fetchone() == ("base_fits_frame", True, 1.0)
