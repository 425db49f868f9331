"""Benchmark fixtures: a TESS mission, targets, observations and a group in a throwaway database."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import psycopg


@dataclass(frozen=True)
class World:
    """Ids of the reference rows a benchmark writes against."""

    dsn: str
    target_ids: list[int]
    observation_ids: list[int]
    processing_group_id: int
    cadences: np.ndarray


def populate(conn: psycopg.Connection[Any], *, targets: int, observations: int, cadences: int) -> dict[str, Any]:
    """Insert a TESS mission, TIC catalog, `targets` targets, `observations` observations and a SPOC group."""
    mission_id = conn.execute(
        "INSERT INTO mission (name, time_unit, time_epoch, time_epoch_scale, time_epoch_format, time_format_name)"
        " VALUES ('TESS', 'd', 2457000, 'tdb', 'jd', 'btjd') RETURNING id").fetchone()
    assert mission_id is not None
    catalog = conn.execute("INSERT INTO mission_catalog (host_mission_id, name) VALUES (%s, 'TIC') RETURNING id",
                           [mission_id[0]]).fetchone()
    assert catalog is not None
    target_ids = [r[0] for r in conn.execute(
        "INSERT INTO target (catalog_id, name) SELECT %s, 100000000 + g FROM generate_series(1, %s) AS g "
        "ORDER BY g RETURNING id", [catalog[0], targets]).fetchall()]
    instrument = conn.execute("INSERT INTO instrument (name) VALUES ('TESS') RETURNING id").fetchone()
    assert instrument is not None
    grid = np.arange(1000, 1000 + cadences, dtype=np.int64)
    observation_ids = [r[0] for r in conn.execute(
        "INSERT INTO observation (instrument_id, cadence_reference) SELECT %s, %s::int8[] "
        "FROM generate_series(1, %s) RETURNING id", [instrument[0], grid.tolist(), observations]).fetchall()]
    source = conn.execute("INSERT INTO photometric_source (name) VALUES ('SPOC') RETURNING id").fetchone()
    method = conn.execute("INSERT INTO detrending_method (name) VALUES ('PDC') RETURNING id").fetchone()
    assert source is not None and method is not None
    group = conn.execute("INSERT INTO processing_group (name, photometric_source_id, detrending_method_id) "
                         "VALUES ('SPOC PDC', %s, %s) RETURNING id", [source[0], method[0]]).fetchone()
    assert group is not None
    return {"mission_id": mission_id[0], "target_ids": target_ids, "observation_ids": observation_ids,
            "processing_group_id": group[0], "cadences": grid}
