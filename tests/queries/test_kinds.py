"""Every query kind against a real server: :one :opt :many :iter :scalar :exec :execrows."""

from __future__ import annotations

import types
from typing import Any

import numpy as np
import psycopg
import pytest

from lightcurvedb import bulk, errors
from lightcurvedb.queries import datasets, instruments, missions, observations, processing, targets, times_flags
from lightcurvedb.records.datasets import DatasetInsert, DatasetRecord
from lightcurvedb.records.times_flags import QualityFlagArrayInsert, TargetSpecificTimeInsert
from tests.queries.conftest import CADENCES, World


def test_one_returns_the_record(conn: psycopg.Connection[Any], world: World) -> None:
    got = missions.get_mission_by_name(conn, name="TESS")
    assert got == world.mission
    assert got.time_format_name == "btjd"
    assert targets.get_target_by_name(conn, catalog_name="TIC", name=261136679) == world.target


def test_one_raises_not_found(conn: psycopg.Connection[Any], world: World) -> None:
    with pytest.raises(errors.NotFound, match="get_mission_by_name"):
        missions.get_mission_by_name(conn, name="Kepler")
    with pytest.raises(LookupError):
        targets.get_target(conn, id=-1)


def test_opt(conn: psycopg.Connection[Any], world: World) -> None:
    assert missions.find_mission_by_time_format(conn, time_format_name="btjd") == world.mission
    assert missions.find_mission_by_time_format(conn, time_format_name="nope") is None


def test_many_and_scalar(conn: psycopg.Connection[Any], world: World) -> None:
    for n in (1, 2, 3):
        targets.create_target(conn, catalog_id=world.tic.id, name=n)
    assert targets.count_targets_of_catalog(conn, catalog_id=world.tic.id) == 4
    assert targets.find_target_id(conn, catalog_id=world.tic.id, name=261136679) == world.target.id
    with pytest.raises(errors.NotFound):
        targets.find_target_id(conn, catalog_id=world.tic.id, name=999)
    assert [c.name for c in missions.list_catalogs_of_mission(conn, mission_id=world.mission.id)] == ["TIC"]


def test_iter_streams(conn: psycopg.Connection[Any], world: World) -> None:
    for n in range(1, 6):
        targets.create_target(conn, catalog_id=world.tic.id, name=n)
    it = targets.list_targets_of_catalog(conn, catalog_id=world.tic.id)
    assert isinstance(it, types.GeneratorType)
    assert [t.name for t in it] == [1, 2, 3, 4, 5, 261136679]


def test_exec_and_execrows(conn: psycopg.Connection[Any], world: World) -> None:
    times = np.linspace(1.0, 2.0, CADENCES.size)
    assert times_flags.upsert_target_time(conn, target_id=world.target.id, observation_id=world.observation.id,
                                          barycentric_julian_dates=times) is None
    times_flags.upsert_target_time(conn, target_id=world.target.id, observation_id=world.observation.id,
                                   barycentric_julian_dates=times + 1)
    got = times_flags.get_target_times(conn, target_id=world.target.id, observation_id=world.observation.id)
    assert got is not None
    np.testing.assert_array_equal(got.barycentric_julian_dates, times + 1)
    assert missions.delete_mission(conn, name="nope") == 0
    assert missions.delete_mission(conn, name="TESS") == 1


def test_bulk_written_datasets_read_back_as_ndarrays(conn: psycopg.Connection[Any], world: World) -> None:
    other = processing.get_or_create_processing_group(conn, source_name="SAP", method_name="none", name="SPOC SAP")
    values = np.arange(CADENCES.size, dtype=np.float64)
    rows = [DatasetInsert(processing_group_id=g.id, target_id=world.target.id, observation_id=world.observation.id,
                          values=values * (i + 1), errors=np.full(CADENCES.size, 0.1)) for i, g in
            enumerate([world.group, other])]
    assert bulk.write(conn, "dataset", rows).inserted == 2
    got = datasets.get_dataset(conn, processing_group_id=other.id, target_id=world.target.id,
                               observation_id=world.observation.id)
    assert isinstance(got, DatasetRecord)
    assert got.values.dtype == np.float64
    np.testing.assert_array_equal(got.values, values * 2)
    streamed = list(datasets.iter_datasets_of_sector(conn, sector=5, processing_group_id=world.group.id))
    assert [d.processing_group_id for d in streamed] == [world.group.id]


def test_bulk_written_times_and_flags_read_back(conn: psycopg.Connection[Any], world: World) -> None:
    n = CADENCES.size
    assert bulk.write(conn, "target_specific_time", [TargetSpecificTimeInsert(
        target_id=world.target.id, observation_id=world.observation.id,
        barycentric_julian_dates=np.linspace(0, 1, n))]).inserted == 1
    flags = np.zeros(n, dtype=np.int32)
    flags[3] = 1
    assert bulk.write(conn, "quality_flag_array", [
        QualityFlagArrayInsert(type="base_quality_flag", observation_id=world.observation.id, target_id=None,
                               quality_flags=flags)]).inserted == 1
    got = times_flags.get_quality_flags(conn, observation_id=world.observation.id, target_id=world.target.id)
    assert got is not None and got.target_id is None
    assert got.quality_flags.dtype == np.int32
    np.testing.assert_array_equal(got.quality_flags, flags)


def test_scalar_counts_frames(conn: psycopg.Connection[Any], world: World) -> None:
    assert instruments.list_child_instruments(conn, parent_id=world.tess.id)[0].name == "Camera 1"
    assert observations.delete_observation(conn, id=world.observation.id) == 1
