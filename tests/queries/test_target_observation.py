"""The target → observations lookup (target_observation, kept by triggers): right for a target in no, one and
many observations, after deletes, for every write path; and a one-target read plans and locks only its partitions."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import psycopg

import lightcurvedb
from lightcurvedb import bulk
from lightcurvedb.lightcurve import load_lightcurves
from lightcurvedb.queries import datasets, observations, targets, times_flags

from .conftest import CADENCES, World, make_world

OTHERS = 40  # observations of other targets in the database


def _held(conn: psycopg.Connection[Any], target_id: int) -> list[int]:
    return [r.observation_id for r in observations.list_target_observations(conn, target_id=target_id)]


def _observations(conn: psycopg.Connection[Any], world: World, n: int) -> list[int]:
    return [observations.create_tess_observation(conn, instrument_id=world.ccd.id, cadence_reference=CADENCES,
                                                 sector=10 + i).id for i in range(n)]


def _dataset(conn: psycopg.Connection[Any], world: World, target_id: int, observation_id: int) -> None:
    n = CADENCES.size
    bulk.write(conn, "dataset", [{"processing_group_id": world.group.id, "target_id": target_id,
                                  "observation_id": observation_id, "values": np.ones(n), "errors": np.zeros(n)}])


def test_no_one_and_many_observations(conn: psycopg.Connection[Any], world: World) -> None:
    star = world.target.id
    assert _held(conn, star) == [] and len(load_lightcurves(conn, star)) == 0
    _dataset(conn, world, star, world.observation.id)  # binary COPY straight into the partition
    assert _held(conn, star) == [world.observation.id]
    more = _observations(conn, world, 3)
    _dataset(conn, world, star, more[0])
    datasets.create_dataset(conn, processing_group_id=world.group.id, target_id=star, observation_id=more[1],
                            values=np.ones(CADENCES.size), errors=np.zeros(CADENCES.size))  # plain INSERT
    times_flags.upsert_target_time(conn, target_id=star, observation_id=more[2],
                                   barycentric_julian_dates=np.linspace(1, 2, CADENCES.size))  # times only
    times_flags.create_quality_flags(conn, observation_id=more[2], target_id=None,
                                     quality_flags=np.zeros(CADENCES.size, np.int32))  # observation-wide: no one's
    assert _held(conn, star) == sorted([world.observation.id, *more])
    other = targets.create_target(conn, catalog_id=world.tic.id, name=1).id
    assert _held(conn, other) == []
    lcs = load_lightcurves(conn, star)
    assert sorted(s.observation_id for s in lcs.observations) == sorted([world.observation.id, *more[:2]])


def test_after_deletes(conn: psycopg.Connection[Any], world: World) -> None:
    star = world.target.id
    more = _observations(conn, world, 2)
    for oid in (world.observation.id, *more):
        _dataset(conn, world, star, oid)
    conn.execute("DELETE FROM observation WHERE id = %s", [more[0]])
    assert _held(conn, star) == [world.observation.id, more[1]]
    conn.execute("DELETE FROM dataset WHERE observation_id = %s", [more[1]])
    assert more[1] in _held(conn, star)  # the pair outlives its rows: a read finds nothing there
    assert [s.observation_id for s in load_lightcurves(conn, star).observations] == [world.observation.id]
    conn.execute("DELETE FROM target WHERE id = %s", [star])
    assert conn.execute("SELECT count(*) FROM target_observation").fetchone() == (0,)


def test_a_one_target_read_touches_only_its_partitions(fresh_dsn: str) -> None:
    with lightcurvedb.connect(fresh_dsn) as conn:  # its own database: the test commits
        _touches_only_its_partitions(conn, make_world(conn))


def _touches_only_its_partitions(conn: psycopg.Connection[Any], world: World) -> None:
    star = world.target.id
    crowd = targets.create_target(conn, catalog_id=world.tic.id, name=2).id
    others = _observations(conn, world, OTHERS)
    for oid in others:
        _dataset(conn, world, crowd, oid)
    mine = [world.observation.id, others[7]]
    for oid in mine:
        _dataset(conn, world, star, oid)
    conn.commit()
    with conn.transaction():
        lcs = load_lightcurves(conn, star)
        locked = {r[0] for r in conn.execute(
            "SELECT c.relname FROM pg_locks AS l JOIN pg_class AS c ON c.oid = l.relation "
            "WHERE l.pid = pg_backend_pid() AND c.relname ~ '_o[0-9]+$'")}
    assert sorted(s.observation_id for s in lcs.observations) == sorted(mine)
    touched = {int(m) for name in locked for m in re.findall(r"_o([0-9]+)$", name)}
    assert touched == set(mine), f"locked partitions of observations {sorted(touched)}"
    held = np.array(mine, dtype=np.int64)
    plan = "\n".join(r[0] for r in conn.execute(
        "EXPLAIN SELECT count(*) FROM dataset AS d LEFT JOIN target_specific_time AS t "
        "ON t.target_id = d.target_id AND t.observation_id = d.observation_id AND t.observation_id = ANY(%s) "
        "WHERE d.target_id = %s AND d.observation_id = ANY(%s)", [held, star, held]))
    assert {int(m) for m in re.findall(r"_o([0-9]+)", plan)} == set(mine)
