"""The bulk writers' two ways in — packed arrays through lcdb_unpacked, or binary COPY where it is absent — store
the same rows, bit for bit, and route float32 to the real[] columns either way."""

from __future__ import annotations

from typing import Any

import numpy as np
import psycopg
import pytest

from lightcurvedb.bulk import write
from lightcurvedb.queries.observations import packed_writes_available

from .conftest import World

_ARRAYS = ("SELECT target_id, observation_id, lcdb_packed(\"values\"), lcdb_packed(errors), lcdb_packed(values_f4), "
           "lcdb_packed(errors_f4) FROM dataset ORDER BY target_id, observation_id")


def _rows(world: World, rng: np.random.Generator) -> list[dict[str, Any]]:
    n = world.grid.size
    out = []
    for i, t in enumerate(world.targets):
        for o in world.observations:
            dtype = np.float32 if i % 2 else np.float64
            values = rng.standard_normal(n).astype(dtype)
            values[::5] = np.nan
            out.append({"processing_group_id": world.group, "target_id": t, "observation_id": o,
                        "values": values, "errors": np.abs(values)})
    return out


def _stored(conn: psycopg.Connection[Any]) -> list[tuple[Any, ...]]:
    return [tuple(None if v is None else bytes(v) for v in row)
            for row in conn.execute(_ARRAYS, binary=True).fetchall()]


def test_packed_and_copy_store_the_same(conn: psycopg.Connection[Any], world: World) -> None:
    if not packed_writes_available(conn):
        pytest.skip("no lcdb_unpacked here: the writers COPY (the other half of this test is the suite itself)")
    rows = _rows(world, np.random.default_rng(21))
    times = [(t, o, 1325.0 + np.arange(world.grid.size) / 720.0) for t in world.targets for o in world.observations]
    with conn.transaction():
        write(conn, "dataset", rows)
        write(conn, "target_specific_time", times)
        packed = _stored(conn)
        packed_times = conn.execute("SELECT barycentric_julian_dates::text FROM target_specific_time "
                                    "ORDER BY target_id, observation_id").fetchall()
        conn.execute("DELETE FROM dataset")
        conn.execute("DELETE FROM target_specific_time")
        conn.execute("DROP FUNCTION lcdb_unpacked(bytea, anyarray)")
        assert not packed_writes_available(conn)
        write(conn, "dataset", rows)
        write(conn, "target_specific_time", times)
        copied = _stored(conn)
        copied_times = conn.execute("SELECT barycentric_julian_dates::text FROM target_specific_time "
                                    "ORDER BY target_id, observation_id").fetchall()
    assert packed == copied and len(packed) == len(rows)
    assert packed_times == copied_times
    f4 = sum(1 for r in packed if r[4] is not None)
    assert f4 == sum(1 for r in rows if r["values"].dtype == np.float32) and all(
        (r[2] is None) == (r[4] is not None) for r in packed)
