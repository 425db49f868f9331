"""Nullability (LEFT JOINs), polymorphic dispatch, record reuse and typed errors of the generated API."""

from __future__ import annotations

import typing
from typing import Any

import numpy as np
import psycopg
import pytest

from lightcurvedb import bulk, errors
from lightcurvedb.queries import aliases_lineage, datasets, frames, observations, processing, targets
from lightcurvedb.records.frames import FitsFrameInsert, FitsFrameRecord, TessFitsFrameRecord
from lightcurvedb.records.observations import (
    HstObservationRecord,
    ListTessObservationsOfTargetRow,
    ObservationRecord,
    TessObservationRecord,
)
from tests.queries.conftest import CADENCES, World


def test_left_join_columns_are_optional_and_none(conn: psycopg.Connection[Any], world: World) -> None:
    hints = typing.get_type_hints(ListTessObservationsOfTargetRow)
    assert hints["derived_cadence_seconds"] == float | None  # LEFT JOIN side, detected from the query
    assert hints["sector"] is int  # inner join, NOT NULL column
    n = CADENCES.size
    assert observations.list_tess_observations_of_target(conn, target_id=world.target.id) == []
    datasets.create_dataset(conn, processing_group_id=world.group.id, target_id=world.target.id,
                            observation_id=world.observation.id, values=np.ones(n), errors=np.zeros(n))
    [row] = observations.list_tess_observations_of_target(conn, target_id=world.target.id)  # the lookup knows it
    assert (row.id, row.sector) == (world.observation.id, 5)
    assert row.derived_cadence_seconds is None  # no derived grid: the LEFT JOIN yields NULL


def test_polymorphic_get_returns_the_subtype(conn: psycopg.Connection[Any], world: World) -> None:
    got = observations.get_observation(conn, id=world.observation.id)
    assert type(got) is TessObservationRecord
    assert got == world.observation and got.sector == 5 and got.orbit_number == 17
    np.testing.assert_array_equal(got.cadence_reference, CADENCES)
    hst = observations.create_hst_observation(conn, instrument_id=world.ccd.id, cadence_reference=CADENCES,
                                              filter_name="F606W")
    base = observations.create_observation(conn, instrument_id=world.ccd.id, cadence_reference=CADENCES)
    assert type(observations.get_observation(conn, id=hst.id)) is HstObservationRecord
    assert type(observations.get_observation(conn, id=base.id)) is ObservationRecord
    listed = observations.list_observations_of_instrument(conn, instrument_id=world.tess.id)
    assert [type(o) for o in listed] == [TessObservationRecord, HstObservationRecord, ObservationRecord]
    assert [o.id for o in observations.list_tess_observations_of_sector(conn, sector=5)] == [world.observation.id]
    assert observations.find_tess_observation(conn, sector=5, instrument_id=world.ccd.id,
                                              cadence_reference=CADENCES) == world.observation
    with pytest.raises(errors.NotFound):
        observations.get_observation(conn, id=-1)


def test_polymorphic_frames(conn: psycopg.Connection[Any], world: World) -> None:
    obs = world.observation.id
    bulk.write(conn, "fits_frame", [FitsFrameInsert(observation_id=obs, cadence=100, simple=True, bitpix=16,
                                                    naxis=2, naxis_values=np.array([10, 20], dtype=np.int32),
                                                    extended=False, bscale=1.0, bzero=0.0, file_path=None)])
    frames.create_tess_fits_frame(conn, observation_id=obs, cadence=101, simple=True, bitpix=-32, naxis=0,
                                  naxis_values=np.array([], dtype=np.int32), extended=False, bscale=1.0, bzero=0.0,
                                  camera=1, ccd=2, mid_tjd=1.5)
    got = frames.list_frames_of_observation(conn, observation_id=obs)
    assert [type(f) for f in got] == [FitsFrameRecord, TessFitsFrameRecord]
    assert isinstance(got[1], TessFitsFrameRecord) and got[1].camera == 1 and got[1].mid_tjd == 1.5
    assert frames.count_frames_of_observation(conn, observation_id=obs) == 2


def test_duplicate_insert_raises_typed_chained_error(conn: psycopg.Connection[Any], world: World) -> None:
    with pytest.raises(errors.LightcurveDBError) as info:
        targets.create_target(conn, catalog_id=world.tic.id, name=261136679)
    assert isinstance(info.value, errors.DuplicateKey) and info.value.constraint == "uq_target_catalog_name"
    assert isinstance(info.value.__cause__, psycopg.errors.UniqueViolation)


def test_duplicate_raises_typed_error(conn: psycopg.Connection[Any], world: World) -> None:
    n = CADENCES.size
    kw: dict[str, Any] = dict(processing_group_id=world.group.id, target_id=world.target.id,
                              observation_id=world.observation.id, values=np.ones(n), errors=np.ones(n))
    datasets.create_dataset(conn, **kw)
    with pytest.raises(errors.LightcurveDBError) as info:
        datasets.create_dataset(conn, **kw)
    assert isinstance(info.value, errors.DuplicateKey)
    assert info.value.constraint == "uq_dataset_group_target_observation"
    assert isinstance(info.value.__cause__, psycopg.errors.IntegrityError)


def test_trigger_errors_are_translated(conn: psycopg.Connection[Any], world: World) -> None:
    with pytest.raises(errors.LightcurveDBError) as info:  # wrong length: raised by a trigger
        datasets.create_dataset(conn, processing_group_id=world.group.id, target_id=world.target.id,
                                observation_id=world.observation.id, values=np.ones(3), errors=np.ones(3))
    assert isinstance(info.value, errors.InvalidData)
    assert info.value.constraint == "ck_dataset_length_matches_observation"


def test_get_or_create_is_idempotent(conn: psycopg.Connection[Any], world: World) -> None:
    again = processing.get_or_create_processing_group(conn, source_name="SAP", method_name="PDC", name="x")
    assert again == world.group
    assert targets.get_or_create_target(conn, catalog_id=world.tic.id, name=261136679) == world.target
    new = targets.get_or_create_target(conn, catalog_id=world.tic.id, name=5)
    assert new.name == 5
    assert processing.get_processing_group_by_names(conn, source_name="SAP", method_name="nope") is None
    assert [g.name for g in processing.list_processing_groups(conn)] == ["SPOC PDCSAP"]


def test_aliases_and_lineage(conn: psycopg.Connection[Any], world: World) -> None:
    from lightcurvedb.queries import missions

    gaia = missions.create_catalog(conn, host_mission_id=world.mission.id, name="Gaia DR3")
    other = targets.create_target(conn, catalog_id=gaia.id, name=42)
    aliases_lineage.create_target_alias(conn, target_id=other.id, alias_target_id=world.target.id)
    [alias] = aliases_lineage.list_target_aliases(conn, target_id=world.target.id)
    assert (alias.catalog_name, alias.name) == ("Gaia DR3", 42)
    n = CADENCES.size
    ids = []
    for name in ("a", "b", "c"):
        g = processing.get_or_create_processing_group(conn, source_name=name, method_name="m", name=name)
        ids.append(datasets.create_dataset(conn, processing_group_id=g.id, target_id=world.target.id,
                                           observation_id=world.observation.id, values=np.ones(n),
                                           errors=np.ones(n)).id)
    o = world.observation.id
    aliases_lineage.add_lineage(conn, child_id=ids[2], child_observation_id=o, parent_id=ids[1],
                                parent_observation_id=o)
    aliases_lineage.add_lineage(conn, child_id=ids[1], child_observation_id=o, parent_id=ids[0],
                                parent_observation_id=o)
    parents = aliases_lineage.list_dataset_parents(conn, dataset_id=ids[2], observation_id=o)
    assert [p.dataset_id for p in parents] == [ids[1]]
    ancestors = aliases_lineage.list_dataset_ancestors(conn, dataset_id=ids[2], observation_id=o)
    assert [(a.dataset_id, a.distance) for a in ancestors] == [(ids[1], 1), (ids[0], 2)]
    with pytest.raises(errors.LightcurveDBError) as info:
        aliases_lineage.add_lineage(conn, child_id=ids[0], child_observation_id=o, parent_id=ids[2],
                                    parent_observation_id=o)
    assert isinstance(info.value, errors.InvalidData) and info.value.constraint == "ck_dataset_lineage_acyclic"
