"""Parallel ingest: same rows and counts as the serial writer; merge modes across worker processes."""

from __future__ import annotations

from typing import Any

import numpy as np
import psycopg
import pytest

import lightcurvedb
from lightcurvedb import errors
from lightcurvedb.bulk import ingest_datasets_committing, ingest_parallel_committing
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

        serial = ingest_datasets_committing(conn, rows(serial_obs), mode="skip", batch_size=3)
        parallel = ingest_parallel_committing(fresh_dsn, "dataset", rows(parallel_obs), mode="skip", workers=2,
                                              batch_size=3)
        assert (parallel.inserted, parallel.skipped, parallel.batches) == (
            serial.inserted, serial.skipped, serial.batches)
        assert _content(conn, serial_obs) == _content(conn, parallel_obs)
        again = ingest_parallel_committing(fresh_dsn, "dataset", rows(parallel_obs), mode="replace", workers=2,
                                           batch_size=4)
        assert (again.inserted, again.replaced) == (0, 12)
        assert (serial.inserted, serial.skipped) == (11, 1)
        with pytest.raises(errors.DuplicateDataset):  # typed errors cross the process boundary
            ingest_parallel_committing(fresh_dsn, "dataset", rows(parallel_obs)[:2], workers=1)
        assert _content(conn, serial_obs) == _content(conn, parallel_obs)
