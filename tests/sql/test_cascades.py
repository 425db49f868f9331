"""Deletes: cascades enforced by the database, and the refusals."""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg import errors as e

from ._schema import (
    make_catalog,
    make_dataset,
    make_flags,
    make_group,
    make_instrument,
    make_mission,
    make_observation,
    make_target,
    make_times,
    make_world,
    one,
    refuse,
)

Conn = psycopg.Connection[Any]


def count(conn: Conn, table: str, where: str, value: Any) -> int:
    return int(one(conn, f"SELECT count(*) FROM {table} WHERE {where} = %s", (value,)))


def test_deleting_an_observation_deletes_everything_of_it(raw_conn: Conn) -> None:
    w = make_world(raw_conn)
    obs = w.observation_id
    ds = make_dataset(raw_conn, w.group_id, w.target_id, obs, w.cadences)
    other_obs = make_observation(raw_conn, w.ccd, sector=2)
    other_ds = make_dataset(raw_conn, w.group_id, w.target_id, other_obs, w.cadences)
    raw_conn.execute(
        "INSERT INTO dataset_lineage (child_dataset_id, child_observation_id, parent_dataset_id, parent_observation_id)"
        " VALUES (%s, %s, %s, %s)",
        (other_ds, other_obs, ds, obs),
    )
    make_times(raw_conn, w.target_id, obs, w.cadences)
    make_flags(raw_conn, None, obs, w.cadences)
    make_flags(raw_conn, w.target_id, obs, w.cadences)
    frame = one(
        raw_conn,
        "INSERT INTO fits_frame (type, observation_id, cadence, bitpix, naxis) "
        "VALUES ('tess_fits_frame', %s, 100, 32, 0) RETURNING id",
        (obs,),
    )
    raw_conn.execute("INSERT INTO tess_fits_frame (id, camera, ccd) VALUES (%s, 1, 1)", (frame,))

    raw_conn.execute("DELETE FROM observation WHERE id = %s", (obs,))

    assert count(raw_conn, "tess_observation", "id", obs) == 0
    assert count(raw_conn, "fits_frame", "observation_id", obs) == 0
    assert count(raw_conn, "tess_fits_frame", "id", frame) == 0
    assert count(raw_conn, "dataset", "observation_id", obs) == 0
    assert count(raw_conn, "target_specific_time", "observation_id", obs) == 0
    assert count(raw_conn, "quality_flag_array", "observation_id", obs) == 0
    assert count(raw_conn, "dataset_lineage", "parent_dataset_id", ds) == 0
    assert count(raw_conn, "dataset", "observation_id", other_obs) == 1  # the derived dataset itself stays
    assert count(raw_conn, "target", "id", w.target_id) == 1


def test_deleting_a_processing_group_deletes_its_datasets(raw_conn: Conn) -> None:
    w = make_world(raw_conn)
    _, _, other_group = make_group(raw_conn)
    make_dataset(raw_conn, w.group_id, w.target_id, w.observation_id, w.cadences)
    make_dataset(raw_conn, other_group, w.target_id, w.observation_id, w.cadences)
    raw_conn.execute("DELETE FROM processing_group WHERE id = %s", (w.group_id,))
    assert count(raw_conn, "dataset", "processing_group_id", w.group_id) == 0
    assert count(raw_conn, "dataset", "processing_group_id", other_group) == 1


def test_deleting_a_target_deletes_its_datasets_times_flags_and_aliases(raw_conn: Conn) -> None:
    w = make_world(raw_conn)
    other_catalog = make_catalog(raw_conn, w.mission_id)
    alias = make_target(raw_conn, other_catalog)
    raw_conn.execute("INSERT INTO target_alias (target_id, alias_target_id) VALUES (%s, %s)", (alias, w.target_id))
    make_dataset(raw_conn, w.group_id, w.target_id, w.observation_id, w.cadences)
    make_times(raw_conn, w.target_id, w.observation_id, w.cadences)
    make_flags(raw_conn, w.target_id, w.observation_id, w.cadences)
    make_flags(raw_conn, None, w.observation_id, w.cadences)
    raw_conn.execute("DELETE FROM target WHERE id = %s", (w.target_id,))
    for table in ("dataset", "target_specific_time", "quality_flag_array"):
        assert count(raw_conn, table, "target_id", w.target_id) == 0, table
    assert count(raw_conn, "target_alias", "alias_target_id", w.target_id) == 0
    assert count(raw_conn, "quality_flag_array", "observation_id", w.observation_id) == 1  # observation-wide flags


def test_deleting_a_mission_deletes_its_catalogs_targets_and_their_data(raw_conn: Conn) -> None:
    w = make_world(raw_conn)
    make_dataset(raw_conn, w.group_id, w.target_id, w.observation_id, w.cadences)
    raw_conn.execute("DELETE FROM mission WHERE id = %s", (w.mission_id,))
    assert count(raw_conn, "mission_catalog", "host_mission_id", w.mission_id) == 0
    assert count(raw_conn, "target", "id", w.target_id) == 0
    assert count(raw_conn, "dataset", "target_id", w.target_id) == 0
    assert count(raw_conn, "observation", "id", w.observation_id) == 1


def test_deleting_an_instrument_with_observations_is_refused(raw_conn: Conn) -> None:
    # ON DELETE RESTRICT: a foreign-key refusal with its own SQLSTATE (23001), also when the subtree cascade of an
    # ancestor reaches the CCD.
    assert issubclass(e.RestrictViolation, e.IntegrityError)
    w = make_world(raw_conn)
    for instrument in (w.ccd, w.camera, w.instrument_root):  # the CCD itself, its parent, the root
        refuse(
            raw_conn,
            e.RestrictViolation,
            "fk_observation_instrument",
            "DELETE FROM instrument WHERE id = %s",
            (instrument,),
        )
    assert count(raw_conn, "instrument", "id", w.ccd) == 1


def test_deleting_an_observation_free_subtree_works(raw_conn: Conn) -> None:
    w = make_world(raw_conn)
    camera2 = make_instrument(raw_conn, "Camera 2", w.instrument_root)
    ccds = [make_instrument(raw_conn, f"CCD {i}", camera2) for i in range(1, 5)]
    lone = make_instrument(raw_conn, "CCD 2", w.camera)
    raw_conn.execute("DELETE FROM instrument WHERE id = %s", (lone,))  # childless
    raw_conn.execute("DELETE FROM instrument WHERE id = %s", (camera2,))  # subtree without observations
    assert int(one(raw_conn, "SELECT count(*) FROM instrument WHERE id = ANY(%s)", ([camera2, lone, *ccds],))) == 0
    assert count(raw_conn, "instrument", "id", w.ccd) == 1


def test_deleting_a_used_photometric_source_or_method_is_refused(raw_conn: Conn) -> None:
    w = make_world(raw_conn)
    refuse(
        raw_conn,
        e.RestrictViolation,
        "fk_processing_group_photometric_source",
        "DELETE FROM photometric_source WHERE id = %s",
        (w.source_id,),
    )
    refuse(
        raw_conn,
        e.RestrictViolation,
        "fk_processing_group_detrending_method",
        "DELETE FROM detrending_method WHERE id = %s",
        (w.method_id,),
    )


def test_deleting_a_catalog_deletes_its_targets(raw_conn: Conn) -> None:
    mission = make_mission(raw_conn)
    catalog = make_catalog(raw_conn, mission)
    target = make_target(raw_conn, catalog)
    raw_conn.execute("DELETE FROM mission_catalog WHERE id = %s", (catalog,))
    assert count(raw_conn, "target", "id", target) == 0
