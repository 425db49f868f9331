"""Streaming readers: filters, early exit, bounded client memory on large streams (tracemalloc, not timing)."""

from __future__ import annotations

import tracemalloc
from collections.abc import Iterator
from typing import Any

import numpy as np
import psycopg

import lightcurvedb
from lightcurvedb.bulk import iter_datasets, write
from lightcurvedb.records.datasets import DatasetRecord
from tests.bulk.conftest import World, make_world


def _fill(conn: psycopg.Connection[Any], w: World) -> None:
    rows = [(g, t, o, np.full(40, float(t * 100 + o)), np.zeros(40))
            for g in (w.group, w.other_group) for o in w.observations[:2] for t in w.targets]
    write(conn, "dataset", rows)


def test_filters(conn: psycopg.Connection[Any], world: World) -> None:
    _fill(conn, world)
    by_target = list(iter_datasets(conn, target_ids=world.targets[:2]))
    assert len(by_target) == 2 * 2 * 2
    assert all(isinstance(r, DatasetRecord) and r.values.dtype == np.float64 for r in by_target)
    assert {r.target_id for r in by_target} == set(world.targets[:2])
    by_obs = list(iter_datasets(conn, observation_id=world.observations[1]))
    assert len(by_obs) == 12 and {r.observation_id for r in by_obs} == {world.observations[1]}
    assert all(r.values[0] == r.target_id * 100 + r.observation_id for r in by_obs)
    assert len(list(iter_datasets(conn, processing_group_id=world.other_group))) == 12
    both = list(iter_datasets(conn, target_ids=world.targets[:1], processing_group_id=world.group,
                              observation_id=world.observations[0]))
    assert len(both) == 1
    assert list(iter_datasets(conn, target_ids=[])) == []
    assert len(list(iter_datasets(conn))) == 24
    assert not by_obs[0].values.flags.writeable  # read-only like every record's arrays


def test_leaving_early_keeps_connection_usable(conn: psycopg.Connection[Any], world: World) -> None:
    _fill(conn, world)
    it = iter_datasets(conn)
    first = next(it)
    assert first.values.shape == (40,)
    it.close()
    assert conn.execute("SELECT count(*) FROM dataset").fetchone() == (24,)


def _big_stream(w: World, obs: int, n: int, cadences: int) -> Iterator[tuple[Any, ...]]:
    for i in range(n):
        yield w.group, w.targets[i], obs, np.full(cadences, float(i)), np.zeros(cadences)


def test_bounded_memory_write_and_read(fresh_dsn: str) -> None:
    cadences, n, batch = 13_000, 120, 8  # 120 lightcurves of 13,000 cadences: a 25 MB stream
    with lightcurvedb.connect(fresh_dsn) as conn:
        w = make_world(conn, targets=n, observations=1, cadences=cadences)
        conn.commit()
        tracemalloc.start()
        try:
            result = write(conn, "dataset", _big_stream(w, w.observations[0], n, cadences), batch_size=batch,
                           commit=True)
            _, write_peak = tracemalloc.get_traced_memory()
            tracemalloc.reset_peak()
            total = 0.0
            for row in iter_datasets(conn, observation_id=w.observations[0], ordered=False):
                total += row.values[0]
            _, read_peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert result.inserted == n
    assert total == sum(range(n))
    one = 2 * cadences * 8
    # a batch (its arrays, their packed bytes, the INSERT's parameter buffer), not the 120-row stream
    assert write_peak < 4 * batch * one
    assert read_peak < 20 * one


def test_leaving_a_long_stream_early_keeps_the_callers_transaction(conn: psycopg.Connection[Any]) -> None:
    """A stream still sending when closed is cancelled; the caller's transaction (and what it wrote) goes on."""
    from psycopg import sql

    from lightcurvedb.bulk.readers import _copy_rows

    conn.execute("CREATE TEMP TABLE kept (x int)")
    conn.execute("INSERT INTO kept VALUES (1)")
    long = sql.SQL("SELECT g::int8, lcdb_packed(array_fill(1.0::float8, ARRAY[100000])) "
                   "FROM generate_series(1, 2000) AS g")
    stream = _copy_rows(conn, long, ("int8", "bytea"))
    assert next(stream)[0] == 1
    stream.close()
    assert conn.execute("SELECT x FROM kept").fetchone() == (1,)
