"""Polymorphic tables: extension rows must match the base row's type; views join them."""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg import errors as e

from ._schema import make_observation, make_world, one, refuse

Conn = psycopg.Connection[Any]


def test_tess_row_needs_a_tess_base_row(raw_conn: Conn) -> None:
    w = make_world(raw_conn)
    hst = make_observation(raw_conn, w.ccd, type_="hst_observation")
    refuse(
        raw_conn,
        e.ForeignKeyViolation,
        "fk_tess_observation_observation",
        "INSERT INTO tess_observation (id, sector) VALUES (%s, 3)",
        (hst,),
    )
    refuse(
        raw_conn,
        e.CheckViolation,
        "ck_tess_observation_type",
        "INSERT INTO tess_observation (id, type, sector) VALUES (%s, 'hst_observation', 3)",
        (hst,),
    )
    refuse(
        raw_conn,
        e.ForeignKeyViolation,
        "fk_tess_observation_observation",
        "INSERT INTO tess_observation (id, sector) VALUES (-1, 3)",
    )
    raw_conn.execute(
        "INSERT INTO hst_observation (id, visit_id, program_id, filter_name, exposure_time) "
        "VALUES (%s, 'v01', 12345, 'F606W', 300)",
        (hst,),
    )
    refuse(raw_conn, e.UniqueViolation, "pk_hst_observation", "INSERT INTO hst_observation (id) VALUES (%s)", (hst,))


def test_hst_row_needs_an_hst_base_row(raw_conn: Conn) -> None:
    w = make_world(raw_conn)
    refuse(
        raw_conn,
        e.ForeignKeyViolation,
        "fk_hst_observation_observation",
        "INSERT INTO hst_observation (id) VALUES (%s)",
        (w.observation_id,),
    )
    refuse(
        raw_conn,
        e.CheckViolation,
        "ck_hst_observation_type",
        "INSERT INTO hst_observation (id, type) VALUES (%s, 'tess_observation')",
        (w.observation_id,),
    )
    refuse(
        raw_conn,
        e.UniqueViolation,
        "pk_tess_observation",
        "INSERT INTO tess_observation (id, sector) VALUES (%s, 9)",
        (w.observation_id,),
    )


def test_base_type_cannot_change_under_a_subtype_row(raw_conn: Conn) -> None:
    w = make_world(raw_conn)
    refuse(
        raw_conn,
        e.ForeignKeyViolation,
        "fk_tess_observation_observation",
        "UPDATE observation SET type = 'hst_observation' WHERE id = %s",
        (w.observation_id,),
    )


def test_frame_subtype(raw_conn: Conn) -> None:
    w = make_world(raw_conn)
    q = "INSERT INTO fits_frame (type, observation_id, cadence, bitpix, naxis) VALUES (%s, %s, 7, 32, 0) RETURNING id"
    base = one(raw_conn, q, ("base_fits_frame", w.observation_id))
    tess = one(raw_conn, q, ("tess_fits_frame", w.observation_id))
    refuse(
        raw_conn,
        e.ForeignKeyViolation,
        "fk_tess_fits_frame_fits_frame",
        "INSERT INTO tess_fits_frame (id, camera, ccd) VALUES (%s, 1, 1)",
        (base,),
    )
    refuse(
        raw_conn,
        e.CheckViolation,
        "ck_tess_fits_frame_type",
        "INSERT INTO tess_fits_frame (id, type, camera, ccd) VALUES (%s, 'base_fits_frame', 1, 1)",
        (base,),
    )
    raw_conn.execute("INSERT INTO tess_fits_frame (id, camera, ccd, mid_tjd) VALUES (%s, 2, 3, 1325.5)", (tess,))
    row = raw_conn.execute(
        "SELECT cadence, camera, ccd, mid_tjd FROM tess_fits_frame_view WHERE id = %s", (tess,)
    ).fetchone()
    assert row == (7, 2, 3, 1325.5)
    assert one(raw_conn, "SELECT type FROM fits_frame WHERE id = %s", (base,)) == "base_fits_frame"


def test_views_join_base_and_extension(raw_conn: Conn) -> None:
    w = make_world(raw_conn, cadences=3)
    raw_conn.execute(
        "UPDATE tess_observation SET orbit_number = 9, spacecraft_quaternion = '[1, 0, 0, 0]', "
        "cosmic_ray_mitigation = true WHERE id = %s",
        (w.observation_id,),
    )
    row = raw_conn.execute(
        "SELECT type, instrument_id, cadence_count, sector, orbit_number, spacecraft_quaternion, cosmic_ray_mitigation "
        "FROM tess_observation_view WHERE id = %s",
        (w.observation_id,),
    ).fetchone()
    assert row == ("tess_observation", w.ccd, 3, 1, 9, [1, 0, 0, 0], True)
    hst = make_observation(raw_conn, w.ccd, type_="hst_observation")
    raw_conn.execute("INSERT INTO hst_observation (id, filter_name) VALUES (%s, 'F814W')", (hst,))
    assert one(raw_conn, "SELECT filter_name FROM hst_observation_view WHERE id = %s", (hst,)) == "F814W"
    assert one(raw_conn, "SELECT count(*) FROM tess_observation_view WHERE id = %s", (hst,)) == 0


def test_with_subtypes_views_hold_every_row_with_its_extension_columns(raw_conn: Conn) -> None:
    w = make_world(raw_conn, cadences=3)
    hst = make_observation(raw_conn, w.ccd, type_="hst_observation")
    raw_conn.execute("INSERT INTO hst_observation (id, filter_name) VALUES (%s, 'F814W')", (hst,))
    base = make_observation(raw_conn, w.ccd, type_="base_observation")
    rows = raw_conn.execute(
        "SELECT id, type, tess_observation__id, tess_observation__sector, hst_observation__id, "
        "hst_observation__filter_name FROM observation_with_subtypes WHERE id = ANY(%s) ORDER BY id",
        ([w.observation_id, hst, base],),
    ).fetchall()
    assert rows == [(w.observation_id, "tess_observation", w.observation_id, 1, None, None),
                    (hst, "hst_observation", None, None, hst, "F814W"),
                    (base, "base_observation", None, None, None, None)]
    frame = one(raw_conn, "INSERT INTO fits_frame (type, observation_id, cadence, bitpix, naxis) "
                "VALUES ('tess_fits_frame', %s, 1, 16, 0) RETURNING id", (w.observation_id,))
    raw_conn.execute("INSERT INTO tess_fits_frame (id, camera, ccd) VALUES (%s, 2, 3)", (frame,))
    assert raw_conn.execute(
        "SELECT type, tess_fits_frame__id, tess_fits_frame__camera FROM fits_frame_with_subtypes WHERE id = %s",
        (frame,),
    ).fetchone() == ("tess_fits_frame", frame, 2)
