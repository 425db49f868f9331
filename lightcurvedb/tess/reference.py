"""The rows every TESS file refers to: the mission (time system BTJD), the TIC catalog, TESS → camera → CCD."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psycopg

from lightcurvedb.errors import DuplicateKey, NotFound
from lightcurvedb.queries import instruments, missions
from lightcurvedb.tess import mapping


@dataclass(frozen=True)
class Reference:
    """Ids of the rows every TESS file refers to: the mission, the TIC catalog and the root instrument."""

    mission_id: uuid.UUID
    catalog_id: uuid.UUID
    instrument_id: int


def _get_or_create(get: Callable[[], Any], create: Callable[[], Any], conn: psycopg.Connection[Any]) -> Any:
    """Look a row up, else create it in a savepoint; a concurrent creator's row is looked up again."""
    try:
        return get()
    except NotFound:
        pass
    try:
        with conn.transaction():
            return create()
    except DuplicateKey:
        return get()


def ensure_reference(conn: psycopg.Connection[Any]) -> Reference:
    """Get or create the TESS mission (time system BTJD), the TIC catalog and the 'TESS' root instrument."""
    ts = mapping.TIME_SYSTEM
    mission = _get_or_create(
        lambda: missions.get_mission_by_name(conn, name=mapping.MISSION),
        lambda: missions.create_mission(
            conn, name=mapping.MISSION, description=mapping.MISSION_DESCRIPTION, time_unit=ts.time_unit,
            time_epoch=float(ts.time_epoch), time_epoch_scale=ts.time_epoch_scale,
            time_epoch_format=ts.time_epoch_format, time_format_name=ts.time_format_name),
        conn)
    catalog = _get_or_create(
        lambda: missions.get_catalog_by_name(conn, name=mapping.CATALOG),
        lambda: missions.create_catalog(conn, host_mission_id=mission.id, name=mapping.CATALOG,
                                        description=mapping.CATALOG_DESCRIPTION),
        conn)
    root = _get_or_create(
        lambda: instruments.get_root_instrument(conn, name=mapping.INSTRUMENT),
        lambda: instruments.create_instrument(conn, name=mapping.INSTRUMENT, properties={"mission": "TESS"}),
        conn)
    return Reference(mission.id, catalog.id, int(root.id))


def find_ccd(conn: psycopg.Connection[Any], ref: Reference, camera: int, ccd: int) -> int | None:
    """The instrument id of TESS → Camera n → CCD m, None while it does not exist (nothing is created)."""
    try:
        cam = instruments.get_child_instrument(conn, parent_id=ref.instrument_id, name=mapping.camera_name(camera))
        return int(instruments.get_child_instrument(conn, parent_id=cam.id, name=mapping.ccd_name(ccd)).id)
    except NotFound:
        return None


def ensure_ccd(conn: psycopg.Connection[Any], ref: Reference, camera: int, ccd: int) -> int:
    """Get or create TESS → Camera n → CCD m; returns the CCD's instrument id."""
    cam = _get_or_create(
        lambda: instruments.get_child_instrument(conn, parent_id=ref.instrument_id, name=mapping.camera_name(camera)),
        lambda: instruments.create_instrument(conn, name=mapping.camera_name(camera), properties={"camera": camera},
                                              parent_id=ref.instrument_id),
        conn)
    chip = _get_or_create(
        lambda: instruments.get_child_instrument(conn, parent_id=cam.id, name=mapping.ccd_name(ccd)),
        lambda: instruments.create_instrument(conn, name=mapping.ccd_name(ccd), parent_id=cam.id,
                                              properties={"camera": camera, "ccd": ccd}),
        conn)
    return int(chip.id)
