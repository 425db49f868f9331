"""Helpers for the SQL-level schema tests: a small world of rows, and refusal assertions."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

import psycopg
import pytest

Conn = psycopg.Connection[Any]


def one(conn: Conn, query: str, params: Any = None) -> Any:
    """The first column of the single row the query returns."""
    row = conn.execute(query, params).fetchone()
    assert row is not None
    return row[0]


def refuse(
    conn: Conn, error: type[psycopg.Error], constraint: str | None, query: str, params: Any = None
) -> psycopg.Error:
    """Run the statement in a savepoint; assert it fails with `error` naming `constraint`."""
    with pytest.raises(error) as info, conn.transaction():
        conn.execute(query, params)
    if constraint is not None:
        assert info.value.diag.constraint_name == constraint, info.value.diag.message_primary
    return info.value


def tag() -> str:
    return secrets.token_hex(4)


@dataclass
class World:
    mission_id: Any
    catalog_id: Any
    target_id: int
    instrument_root: int
    camera: int
    ccd: int
    observation_id: int
    cadences: int
    source_id: int
    method_id: int
    group_id: int


def make_mission(conn: Conn) -> Any:
    t = tag()
    return one(
        conn,
        "INSERT INTO mission (name, time_epoch, time_epoch_scale, time_epoch_format, time_format_name) "
        "VALUES (%s, 2457000, 'tdb', 'jd', %s) RETURNING id",
        (f"TESS-{t}", f"btjd_{t}"),
    )


def make_catalog(conn: Conn, mission_id: Any) -> Any:
    return one(
        conn, "INSERT INTO mission_catalog (host_mission_id, name) VALUES (%s, %s) RETURNING id", (mission_id, tag())
    )


def make_target(conn: Conn, catalog_id: Any, name: int | None = None) -> int:
    number = name if name is not None else secrets.randbelow(10**10) + 1
    return int(one(conn, "INSERT INTO target (catalog_id, name) VALUES (%s, %s) RETURNING id", (catalog_id, number)))


def make_instrument(conn: Conn, name: str, parent: int | None = None) -> int:
    return int(one(conn, "INSERT INTO instrument (name, parent_id) VALUES (%s, %s) RETURNING id", (name, parent)))


def make_observation(
    conn: Conn, instrument_id: int, cadences: int = 5, type_: str = "tess_observation", sector: int | None = 1
) -> int:
    obs = int(
        one(
            conn,
            "INSERT INTO observation (type, instrument_id, cadence_reference) "
            "VALUES (%s, %s, ARRAY(SELECT generate_series(100, 99 + %s))::bigint[]) RETURNING id",
            (type_, instrument_id, cadences),
        )
    )
    if type_ == "tess_observation" and sector is not None:
        conn.execute("INSERT INTO tess_observation (id, sector) VALUES (%s, %s)", (obs, sector))
    return obs


def make_group(conn: Conn) -> tuple[int, int, int]:
    source = int(one(conn, "INSERT INTO photometric_source (name) VALUES (%s) RETURNING id", (f"SAP-{tag()}",)))
    method = int(one(conn, "INSERT INTO detrending_method (name) VALUES (%s) RETURNING id", (f"PDC-{tag()}",)))
    group = int(
        one(
            conn,
            "INSERT INTO processing_group (name, photometric_source_id, detrending_method_id) "
            "VALUES ('g', %s, %s) RETURNING id",
            (source, method),
        )
    )
    return source, method, group


def make_dataset(conn: Conn, group: int, target: int, observation: int, n: int) -> int:
    return int(
        one(
            conn,
            'INSERT INTO dataset (processing_group_id, target_id, observation_id, "values", errors) '
            "VALUES (%s, %s, %s, array_fill(1.5::float8, ARRAY[%s]), array_fill(0.1::float8, ARRAY[%s])) "
            "RETURNING id",
            (group, target, observation, n, n),
        )
    )


def make_times(conn: Conn, target: int, observation: int, n: int) -> int:
    return int(
        one(
            conn,
            "INSERT INTO target_specific_time (target_id, observation_id, barycentric_julian_dates) "
            "VALUES (%s, %s, array_fill(1000.5::float8, ARRAY[%s])) RETURNING id",
            (target, observation, n),
        )
    )


def make_flags(conn: Conn, target: int | None, observation: int, n: int) -> int:
    return int(
        one(
            conn,
            "INSERT INTO quality_flag_array (target_id, observation_id, quality_flags) "
            "VALUES (%s, %s, array_fill(0, ARRAY[%s])) RETURNING id",
            (target, observation, n),
        )
    )


def make_world(conn: Conn, cadences: int = 5) -> World:
    mission = make_mission(conn)
    catalog = make_catalog(conn, mission)
    target = make_target(conn, catalog)
    root = make_instrument(conn, f"TESS-{tag()}")
    camera = make_instrument(conn, "Camera 1", root)
    ccd = make_instrument(conn, "CCD 1", camera)
    obs = make_observation(conn, ccd, cadences)
    source, method, group = make_group(conn)
    return World(mission, catalog, target, root, camera, ccd, obs, cadences, source, method, group)
