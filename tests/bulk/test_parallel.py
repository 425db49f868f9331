"""Parallel ingest: same rows and counts as the serial writer; merge modes across worker processes."""

from __future__ import annotations

from typing import Any

import numpy as np
import psycopg
import pytest

import lightcurvedb
from lightcurvedb import errors
from lightcurvedb.bulk import write
from tests.bulk.conftest import make_world


def _content(conn: psycopg.Connection[Any], obs: int) -> dict[int, list[float]]:
    cur = conn.execute('SELECT target_id, "values" FROM dataset WHERE observation_id = %s', [obs], binary=True)
    return {t: v.tolist() for t, v in cur.fetchall()}


def test_parallel_equals_serial(fresh_dsn: str) -> None:
    with lightcurvedb.connect(fresh_dsn) as conn:
        w = make_world(conn, targets=11, observations=2, cadences=30)
        conn.commit()
        serial_obs, parallel_obs = w.observations
        rng = np.random.default_rng(1)
        data = {t: rng.standard_normal(30) for t in w.targets}
        # unsorted input with a repeated key: skip mode keeps the first occurrence in both paths
        order = [*reversed(w.targets), w.targets[0]]

        def rows(obs: int) -> list[tuple[Any, ...]]:
            return [(w.group, t, obs, data[t], np.ones(30)) for t in order]

        serial = write(conn, "dataset", rows(serial_obs), mode="skip", batch_size=3, commit=True)
        parallel = write(fresh_dsn, "dataset", rows(parallel_obs), mode="skip", workers=2, batch_size=3, commit=True)
        assert (parallel.inserted, parallel.skipped, parallel.batches) == (
            serial.inserted, serial.skipped, serial.batches)
        assert _content(conn, serial_obs) == _content(conn, parallel_obs)
        again = write(fresh_dsn, "dataset", rows(parallel_obs), mode="replace", workers=2, batch_size=4,
                      commit=True)
        assert (again.inserted, again.replaced) == (0, 12)
        by_dsn = write(fresh_dsn, "dataset", rows(parallel_obs), mode="skip", commit=True)  # one own connection
        assert (by_dsn.inserted, by_dsn.skipped, by_dsn.batches) == (0, 12, 1)
        with pytest.raises(errors.BulkWriteError, match="workers need a DSN"):
            write(conn, "dataset", rows(parallel_obs), workers=2, commit=True)
        with pytest.raises(errors.BulkWriteError, match="pass commit=True"):
            write(fresh_dsn, "dataset", rows(parallel_obs), workers=2)
        with pytest.raises(errors.BulkWriteError, match="pass commit=True"):
            write(fresh_dsn, "dataset", rows(parallel_obs))
        assert (serial.inserted, serial.skipped) == (11, 1)
        with pytest.raises(errors.DuplicateKey) as info:  # typed errors cross the process boundary
            write(fresh_dsn, "dataset", rows(parallel_obs)[:2], workers=1, commit=True)
        assert (info.value.constraint, info.value.table) == ("uq_dataset_group_target_observation", "dataset")
        assert _content(conn, serial_obs) == _content(conn, parallel_obs)
