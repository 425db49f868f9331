"""A target's read through lcdb_packed: the same arrays, bit for bit, as stored, in either form of the function."""

from __future__ import annotations

from typing import Any

import numpy as np
import psycopg

from lightcurvedb import bulk
from lightcurvedb.lightcurve import load_lightcurves
from lightcurvedb.queries import observations, processing, times_flags

from .conftest import CADENCES, World

PORTABLE = ("CREATE OR REPLACE FUNCTION lcdb_packed(anyarray) RETURNS bytea LANGUAGE sql IMMUTABLE STRICT "
            "PARALLEL SAFE AS 'SELECT pg_catalog.array_send($1)'")
"""What migration 0013 installs when it does not run as a superuser on a little-endian server."""


def _same(a: np.ndarray[Any, Any], b: np.ndarray[Any, Any]) -> bool:
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def test_a_target_reads_the_same_through_both_forms(conn: psycopg.Connection[Any], world: World) -> None:
    rng = np.random.default_rng(13)
    n = CADENCES.size
    wide = processing.get_or_create_processing_group(conn, source_name="SAP", method_name="raw", name="SAP wide")
    obs = [world.observation.id] + [observations.create_tess_observation(
        conn, instrument_id=world.ccd.id, cadence_reference=CADENCES, sector=6 + i).id for i in range(2)]
    stored: dict[tuple[int, str], np.ndarray[Any, Any]] = {}
    rows = []
    for i, o in enumerate(obs):
        narrow = rng.standard_normal(n).astype(np.float32)
        narrow[::7] = np.nan
        narrow[1] = -0.0
        stored[(o, "SPOC PDCSAP")] = narrow
        stored[(o, "SAP wide")] = rng.standard_normal(n)
        rows += [{"processing_group_id": world.group.id, "target_id": world.target.id, "observation_id": o,
                  "values": narrow, "errors": np.abs(narrow)},
                 {"processing_group_id": wide.id, "target_id": world.target.id, "observation_id": o,
                  "values": stored[(o, "SAP wide")], "errors": np.ones(n)}]
        times_flags.upsert_target_time(conn, target_id=world.target.id, observation_id=o,
                                       barycentric_julian_dates=1325.0 + 30 * i + rng.random(n).cumsum() / n)
        times_flags.create_quality_flags(conn, observation_id=o, target_id=world.target.id,
                                         quality_flags=rng.integers(0, 1 << 12, n, dtype=np.int32))
    bulk.write(conn, "dataset", rows)

    fast = load_lightcurves(conn, world.target.id).as_numpy()
    conn.execute(PORTABLE)
    portable = load_lightcurves(conn, world.target.id).as_numpy()

    assert fast.keys() == portable.keys()
    for name in fast:
        assert _same(fast[name], portable[name]), name
    assert fast["SPOC PDCSAP"].dtype == np.float32 and fast["SAP wide"].dtype == np.float64
    for group in ("SPOC PDCSAP", "SAP wide"):
        expected = np.concatenate([stored[(o, group)] for o in obs])
        assert _same(fast[group], expected), group
    plain = conn.execute("SELECT barycentric_julian_dates FROM target_specific_time WHERE target_id = %s "
                         "ORDER BY observation_id", [world.target.id], binary=True).fetchall()
    assert _same(fast["time"], np.concatenate([r[0] for r in plain]))
