"""Named unique, foreign-key and CHECK constraints of the schema, and server-side id defaults."""

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
    tag,
)

Conn = psycopg.Connection[Any]
MISSION = (
    "INSERT INTO mission (name, time_epoch, time_epoch_scale, time_epoch_format, time_format_name) "
    "VALUES (%s, 2457000, 'tdb', 'jd', %s)"
)


def test_every_id_has_a_server_default(raw_conn: Conn) -> None:
    w = make_world(raw_conn)
    assert isinstance(w.mission_id, type(w.catalog_id))  # uuids from gen_random_uuid()
    assert str(w.mission_id).count("-") == 4
    assert all(isinstance(i, int) for i in (w.target_id, w.ccd, w.observation_id, w.group_id))
    assert make_dataset(raw_conn, w.group_id, w.target_id, w.observation_id, w.cadences) > 0
    assert make_times(raw_conn, w.target_id, w.observation_id, w.cadences) > 0
    assert make_flags(raw_conn, None, w.observation_id, w.cadences) > 0
    assert one(raw_conn, "SELECT time_unit FROM mission WHERE id = %s", (w.mission_id,)) == "d"


def test_mission_name_unique(raw_conn: Conn) -> None:
    t = tag()
    raw_conn.execute(MISSION, (f"M{t}", f"f{t}"))
    refuse(raw_conn, e.UniqueViolation, "uq_mission_name", MISSION, (f"M{t}", f"g{t}"))


def test_mission_time_format_name_unique(raw_conn: Conn) -> None:
    t = tag()
    raw_conn.execute(MISSION, (f"M{t}", f"f{t}"))
    refuse(raw_conn, e.UniqueViolation, "uq_mission_time_format_name", MISSION, (f"N{t}", f"f{t}"))


def test_mission_catalog_name_unique_and_mission_must_exist(raw_conn: Conn) -> None:
    mission = make_mission(raw_conn)
    t = tag()
    q = "INSERT INTO mission_catalog (host_mission_id, name) VALUES (%s, %s)"
    raw_conn.execute(q, (mission, t))
    refuse(raw_conn, e.UniqueViolation, "uq_mission_catalog_name", q, (mission, t))
    refuse(
        raw_conn,
        e.ForeignKeyViolation,
        "fk_mission_catalog_mission",
        q,
        ("00000000-0000-0000-0000-000000000000", tag()),
    )


def test_target_unique_per_catalog(raw_conn: Conn) -> None:
    mission = make_mission(raw_conn)
    cat_a, cat_b = make_catalog(raw_conn, mission), make_catalog(raw_conn, mission)
    make_target(raw_conn, cat_a, 261136679)
    make_target(raw_conn, cat_b, 261136679)  # same number, other catalog: fine
    refuse(
        raw_conn,
        e.UniqueViolation,
        "uq_target_catalog_name",
        "INSERT INTO target (catalog_id, name) VALUES (%s, 261136679)",
        (cat_a,),
    )
    refuse(
        raw_conn,
        e.ForeignKeyViolation,
        "fk_target_catalog",
        "INSERT INTO target (catalog_id, name) VALUES ('00000000-0000-0000-0000-000000000000', 1)",
    )


def test_target_name_is_bigint(raw_conn: Conn) -> None:
    catalog = make_catalog(raw_conn, make_mission(raw_conn))
    tid = make_target(raw_conn, catalog, 9_876_543_210)
    assert one(raw_conn, "SELECT name FROM target WHERE id = %s", (tid,)) == 9_876_543_210
    types = raw_conn.execute(
        "SELECT table_name, column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = 'public' AND column_name IN ('target_id', 'alias_target_id')"
    ).fetchall()
    assert types and all(t[2] == "bigint" for t in types), types


def test_photometric_source_and_detrending_method_names_unique(raw_conn: Conn) -> None:
    t = tag()
    raw_conn.execute("INSERT INTO photometric_source (name) VALUES (%s)", (t,))
    refuse(
        raw_conn,
        e.UniqueViolation,
        "uq_photometric_source_name",
        "INSERT INTO photometric_source (name) VALUES (%s)",
        (t,),
    )
    raw_conn.execute("INSERT INTO detrending_method (name) VALUES (%s)", (t,))
    refuse(
        raw_conn,
        e.UniqueViolation,
        "uq_detrending_method_name",
        "INSERT INTO detrending_method (name) VALUES (%s)",
        (t,),
    )


def test_processing_group_pair_unique_and_not_null(raw_conn: Conn) -> None:
    source, method, _ = make_group(raw_conn)
    q = "INSERT INTO processing_group (name, photometric_source_id, detrending_method_id) VALUES ('x', %s, %s)"
    refuse(raw_conn, e.UniqueViolation, "uq_processing_group_source_method", q, (source, method))
    for params in ((None, method), (source, None)):
        exc = refuse(raw_conn, e.NotNullViolation, None, q, params)
        assert exc.diag.column_name in {"photometric_source_id", "detrending_method_id"}
    refuse(raw_conn, e.ForeignKeyViolation, "fk_processing_group_photometric_source", q, (-1, method))
    refuse(raw_conn, e.ForeignKeyViolation, "fk_processing_group_detrending_method", q, (source, -1))


def test_instrument_tree_constraints(raw_conn: Conn) -> None:
    root_name = f"TESS-{tag()}"
    root = make_instrument(raw_conn, root_name)
    make_instrument(raw_conn, "Camera 1", root)
    q = "INSERT INTO instrument (name, parent_id) VALUES (%s, %s)"
    refuse(raw_conn, e.UniqueViolation, "uq_instrument_parent_name", q, ("Camera 1", root))
    refuse(raw_conn, e.UniqueViolation, "uq_instrument_parent_name", q, (root_name, None))  # roots too
    refuse(raw_conn, e.ForeignKeyViolation, "fk_instrument_parent", q, ("x", -1))
    refuse(
        raw_conn,
        e.CheckViolation,
        "ck_instrument_not_own_parent",
        "UPDATE instrument SET parent_id = id WHERE id = %s",
        (root,),
    )


def test_observation_instrument_must_exist(raw_conn: Conn) -> None:
    refuse(
        raw_conn,
        e.ForeignKeyViolation,
        "fk_observation_instrument",
        "INSERT INTO observation (instrument_id, cadence_reference) VALUES (-1, '{1,2}')",
    )


def test_fits_frame_unique_per_type_observation_cadence(raw_conn: Conn) -> None:
    w = make_world(raw_conn)
    other_ccd = make_instrument(raw_conn, "CCD 2", w.camera)
    other_obs = make_observation(raw_conn, other_ccd)
    q = (
        "INSERT INTO fits_frame (observation_id, cadence, bitpix, naxis, naxis_values) "
        "VALUES (%s, %s, 32, 2, '{10,20}')"
    )
    raw_conn.execute(q, (w.observation_id, 100))
    raw_conn.execute(q, (other_obs, 100))  # 16 CCDs share a cadence
    raw_conn.execute(
        "INSERT INTO fits_frame (type, observation_id, cadence, bitpix, naxis) "
        "VALUES ('tess_fits_frame', %s, 100, 8, 0)",
        (w.observation_id,),
    )
    refuse(raw_conn, e.UniqueViolation, "uq_fits_frame_type_observation_cadence", q, (w.observation_id, 100))
    refuse(raw_conn, e.ForeignKeyViolation, "fk_fits_frame_observation", q, (-1, 100))
    refuse(
        raw_conn,
        e.CheckViolation,
        "ck_fits_frame_bitpix",
        "INSERT INTO fits_frame (observation_id, cadence, bitpix, naxis) VALUES (%s, 1, 12, 0)",
        (w.observation_id,),
    )


def test_tess_checks(raw_conn: Conn) -> None:
    w = make_world(raw_conn)
    obs = make_observation(raw_conn, w.ccd, sector=None)
    refuse(
        raw_conn,
        e.CheckViolation,
        "ck_tess_observation_sector_positive",
        "INSERT INTO tess_observation (id, sector) VALUES (%s, 0)",
        (obs,),
    )
    frame = one(
        raw_conn,
        "INSERT INTO fits_frame (type, observation_id, cadence, bitpix, naxis) "
        "VALUES ('tess_fits_frame', %s, 1, 32, 0) RETURNING id",
        (w.observation_id,),
    )
    q = "INSERT INTO tess_fits_frame (id, camera, ccd) VALUES (%s, %s, %s)"
    refuse(raw_conn, e.CheckViolation, "ck_tess_fits_frame_camera", q, (frame, 5, 1))
    refuse(raw_conn, e.CheckViolation, "ck_tess_fits_frame_ccd", q, (frame, 1, 0))
    raw_conn.execute(q, (frame, 4, 4))
    refuse(raw_conn, e.UniqueViolation, "pk_tess_fits_frame", q, (frame, 1, 1))


def test_dataset_natural_key_and_references(raw_conn: Conn) -> None:
    w = make_world(raw_conn)
    make_dataset(raw_conn, w.group_id, w.target_id, w.observation_id, w.cadences)
    q = (
        'INSERT INTO dataset (processing_group_id, target_id, observation_id, "values", errors) '
        "VALUES (%s, %s, %s, '{1,2,3,4,5}', '{1,2,3,4,5}')"
    )
    suffix = f"_o{w.observation_id}"  # partition keys are named <constraint>_o<observation id>
    refuse(
        raw_conn,
        e.UniqueViolation,
        "uq_dataset_group_target_observation" + suffix,
        q,
        (w.group_id, w.target_id, w.observation_id),
    )
    refuse(raw_conn, e.ForeignKeyViolation, "fk_dataset_processing_group", q, (-1, w.target_id, w.observation_id))
    refuse(raw_conn, e.ForeignKeyViolation, "fk_dataset_target", q, (w.group_id, -1, w.observation_id))
    # an unknown observation has no partition: the default partition's trigger reports the foreign key
    exc = refuse(raw_conn, e.ForeignKeyViolation, "fk_dataset_observation", q, (w.group_id, w.target_id, -1))
    assert exc.diag.table_name == "dataset"


def test_observation_key_cannot_change_under_its_datasets(raw_conn: Conn) -> None:
    w = make_world(raw_conn)
    obs = make_observation(raw_conn, w.ccd, type_="base_observation")
    make_dataset(raw_conn, w.group_id, w.target_id, obs, w.cadences)
    raw_conn.execute("DELETE FROM target_observation WHERE observation_id = %s", (obs,))  # only the dataset's key
    refuse(
        raw_conn,
        e.ForeignKeyViolation,
        "fk_dataset_observation",
        "UPDATE observation SET id = -id WHERE id = %s",
        (obs,),
    )


def test_target_specific_time_unique_and_references(raw_conn: Conn) -> None:
    w = make_world(raw_conn)
    make_times(raw_conn, w.target_id, w.observation_id, w.cadences)
    q = "INSERT INTO target_specific_time (target_id, observation_id, barycentric_julian_dates) VALUES (%s, %s, %s)"
    arr = [1.0] * w.cadences
    refuse(
        raw_conn,
        e.UniqueViolation,
        f"uq_target_specific_time_target_observation_o{w.observation_id}",
        q,
        (w.target_id, w.observation_id, arr),
    )
    refuse(raw_conn, e.ForeignKeyViolation, "fk_target_specific_time_target", q, (-1, w.observation_id, arr))
    refuse(raw_conn, e.ForeignKeyViolation, "fk_target_specific_time_observation", q, (w.target_id, -1, arr))


def test_quality_flags_unique_with_null_targets_equal(raw_conn: Conn) -> None:
    w = make_world(raw_conn)
    make_flags(raw_conn, None, w.observation_id, w.cadences)
    make_flags(raw_conn, w.target_id, w.observation_id, w.cadences)
    q = "INSERT INTO quality_flag_array (target_id, observation_id, quality_flags) VALUES (%s, %s, %s)"
    arr = [0] * w.cadences
    name = f"uq_quality_flag_array_type_observation_target_o{w.observation_id}"
    refuse(raw_conn, e.UniqueViolation, name, q, (None, w.observation_id, arr))
    refuse(raw_conn, e.UniqueViolation, name, q, (w.target_id, w.observation_id, arr))
    raw_conn.execute(  # another type is another key
        "INSERT INTO quality_flag_array (type, target_id, observation_id, quality_flags) "
        "VALUES ('other', NULL, %s, %s)",
        (w.observation_id, arr),
    )
    assert one(raw_conn, "SELECT type FROM quality_flag_array WHERE target_id IS NULL ORDER BY id LIMIT 1") == (
        "base_quality_flag"
    )
    refuse(raw_conn, e.ForeignKeyViolation, "fk_quality_flag_array_target", q, (-1, w.observation_id, arr))
    refuse(raw_conn, e.ForeignKeyViolation, "fk_quality_flag_array_observation", q, (None, -1, arr))


def test_target_alias_rules(raw_conn: Conn) -> None:
    mission = make_mission(raw_conn)
    tic, gaia = make_catalog(raw_conn, mission), make_catalog(raw_conn, mission)
    a, b = make_target(raw_conn, tic), make_target(raw_conn, gaia)
    a2 = make_target(raw_conn, tic)
    q = "INSERT INTO target_alias (target_id, alias_target_id) VALUES (%s, %s)"
    raw_conn.execute(q, (a, b))
    refuse(raw_conn, e.UniqueViolation, "uq_target_alias_pair", q, (a, b))
    refuse(raw_conn, e.UniqueViolation, "uq_target_alias_pair", q, (b, a))  # either order
    refuse(raw_conn, e.CheckViolation, "ck_target_alias_not_self", q, (a, a))
    exc = refuse(raw_conn, e.CheckViolation, "ck_target_alias_different_catalogs", q, (a, a2))
    assert exc.diag.table_name == "target_alias"
    refuse(raw_conn, e.ForeignKeyViolation, "fk_target_alias_target", q, (-1, b))
    refuse(raw_conn, e.ForeignKeyViolation, "fk_target_alias_alias_target", q, (a2, -1))
    raw_conn.execute(q, (b, a2))  # a target may have several aliases


def test_quality_flags_have_created_on_and_no_blank_type(raw_conn: Conn) -> None:
    w = make_world(raw_conn)
    before = one(raw_conn, "SELECT now()")
    flags = make_flags(raw_conn, w.target_id, w.observation_id, w.cadences)
    assert one(raw_conn, "SELECT created_on FROM quality_flag_array WHERE id = %s", (flags,)) == before
    q = "INSERT INTO quality_flag_array (type, observation_id, quality_flags) VALUES (%s, %s, %s)"
    for blank in ("", " ", "\t\n"):
        refuse(raw_conn, e.CheckViolation, "ck_quality_flag_array_type_not_blank", q,
               (blank, w.observation_id, [0] * w.cadences))
