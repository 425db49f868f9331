"""Fixtures of the bulk tests: reference rows (mission, catalog, targets, observations, groups) to write against."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import psycopg
import pytest


@dataclass(frozen=True)
class World:
    """Ids of reference rows."""

    targets: list[int]
    observations: list[int]
    group: int
    other_group: int
    grid: np.ndarray


def make_world(conn: psycopg.Connection[Any], *, targets: int = 6, observations: int = 3, cadences: int = 40,
               grid: np.ndarray | None = None) -> World:
    """Insert TESS, TIC, `targets` targets, `observations` observations on one grid, two processing groups."""
    mission = conn.execute(
        "INSERT INTO mission (name, time_unit, time_epoch, time_epoch_scale, time_epoch_format, time_format_name)"
        " VALUES ('TESS', 'd', 2457000, 'tdb', 'jd', 'btjd') RETURNING id").fetchone()
    assert mission is not None
    catalog = conn.execute("INSERT INTO mission_catalog (host_mission_id, name) VALUES (%s, 'TIC') RETURNING id",
                           [mission[0]]).fetchone()
    assert catalog is not None
    tids = [r[0] for r in conn.execute(
        "INSERT INTO target (catalog_id, name) SELECT %s, 261136679 + g FROM generate_series(1, %s) AS g "
        "ORDER BY g RETURNING id", [catalog[0], targets]).fetchall()]
    instrument = conn.execute("INSERT INTO instrument (name) VALUES ('TESS') RETURNING id").fetchone()
    assert instrument is not None
    g = np.arange(100, 100 + cadences, dtype=np.int64) if grid is None else np.asarray(grid, dtype=np.int64)
    oids = [conn.execute("INSERT INTO observation (instrument_id, cadence_reference) VALUES (%s, %s) RETURNING id",
                         [instrument[0], (g + 10_000 * i).tolist()]).fetchone()[0]  # type: ignore[index]
            for i in range(observations)]
    source = conn.execute("INSERT INTO photometric_source (name) VALUES ('SPOC') RETURNING id").fetchone()
    sap = conn.execute("INSERT INTO detrending_method (name) VALUES ('SAP') RETURNING id").fetchone()
    pdc = conn.execute("INSERT INTO detrending_method (name) VALUES ('PDC') RETURNING id").fetchone()
    assert source is not None and sap is not None and pdc is not None
    groups = [conn.execute("INSERT INTO processing_group (name, photometric_source_id, detrending_method_id) "
                           "VALUES (%s, %s, %s) RETURNING id", [name, source[0], m]).fetchone()[0]  # type: ignore[index]
              for name, m in (("SPOC PDC", pdc[0]), ("SPOC SAP", sap[0]))]
    return World(tids, oids, groups[0], groups[1], g)


@pytest.fixture
def world(conn: psycopg.Connection[Any]) -> World:
    """Reference rows inside the test's rolled-back transaction."""
    return make_world(conn)
