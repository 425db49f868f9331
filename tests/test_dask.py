"""Distributed reads and work on a real dask.distributed LocalCluster: the bag equals the serial reader, BLS results
from two worker processes equal one process's, a killed worker is retried with nothing stored twice, and the demo's
transiting star comes back at its period."""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any

import numpy as np
import psycopg
import pytest

import lightcurvedb
from lightcurvedb.cli import main
from lightcurvedb.errors import InvalidInput, MissingDependency, NotFound
from lightcurvedb.queries import periodograms
from lightcurvedb.scale.bls import METHOD, BlsParameters, code_version, search
from lightcurvedb.tess import ingest_paths
from lightcurvedb.tess.synthetic import SAMPLE, write_sample
from lightcurvedb.tess.tic import load_tic

distributed = pytest.importorskip("distributed", reason="Dask is the [scale] extra (in [dev])")
from lightcurvedb.scale.commands import run_bls  # noqa: E402
from lightcurvedb.scale.dask import lightcurves, map_lightcurves  # noqa: E402

pytestmark = pytest.mark.slow
TRANSITING = next(t for t in SAMPLE if t.period is not None and abs(t.period - 3.1415) < 1e-9)
QUICK = BlsParameters(min_period=0.8, max_period=5.0)
N = sum(len(t.sectors) for t in SAMPLE)  # lightcurves: one per star and sector


@pytest.fixture(scope="module")
def sample_dsn(clone_db: Callable[[str], AbstractContextManager[str]], tmp_path_factory: pytest.TempPathFactory
               ) -> Iterator[str]:
    """A database holding the synthetic sample (three stars, six lightcurves in sectors 10-12)."""
    out = tmp_path_factory.mktemp("sample")
    write_sample(out)
    with clone_db("lcdb_dask") as dsn:
        assert not ingest_paths(dsn, [out]).failed
        yield dsn


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    """A LocalCluster of two worker processes (one thread each), as `lcdb bls --workers 2` starts."""
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as c, \
            distributed.Client(c) as cl:
        yield cl


def _results(dsn: str) -> dict[int, tuple[Any, ...]]:
    with lightcurvedb.connect(dsn) as conn:
        rows = conn.execute("SELECT dataset_id, period, epoch, duration, depth, depth_snr, power, n_points, "
                            "method, parameters, code_version FROM periodogram_result").fetchall()
    return {int(r[0]): tuple(r[1:]) for r in rows}


def _count(dsn: str) -> int:
    with lightcurvedb.connect(dsn) as conn:
        row = conn.execute("SELECT count(*) FROM periodogram_result").fetchone()
    return int(row[0]) if row else 0


def _clear(dsn: str) -> None:
    with lightcurvedb.connect(dsn) as conn:
        conn.execute("DELETE FROM periodogram_result")
        conn.commit()


def test_bag_equals_the_serial_reader(sample_dsn: str, client: Any) -> None:
    bag = lightcurves(sample_dsn)
    records = bag.compute()
    split = lightcurves(sample_dsn, part_size=1)
    assert split.npartitions == len(records) > bag.npartitions  # one per observation, split when asked
    assert sorted((r["tic"], r["sector"]) for r in split.compute()) == sorted((r["tic"], r["sector"])
                                                                              for r in records)
    assert {(r["tic"], r["sector"]) for r in records} == {(t.tic_id, s) for t in SAMPLE for s in t.sectors}
    with lightcurvedb.connect(sample_dsn) as conn:
        for r in records:
            lcs = load_tic(conn, r["tic"], product=r["product"], sectors=[r["sector"]])
            flux, flux_err, groups = lcs.flux()
            assert groups == [r["flux_group"]]
            assert np.array_equal(r["time"], lcs.columns["time"], equal_nan=True)
            assert np.array_equal(r["flux"], flux, equal_nan=True) and r["flux"].dtype == flux.dtype
            assert np.array_equal(r["flux_err"], flux_err, equal_nan=True)
            assert np.array_equal(r["quality"], lcs.columns["quality"])
            assert np.array_equal(r["cadenceno"], lcs.columns["cadenceno"])
            assert (r["camera"], r["ccd"], r["release"]) == (lcs.observations[0].camera, lcs.observations[0].ccd, 1)
    only = lightcurves(sample_dsn, sectors=[11], processing_group="SAP").compute()
    assert {r["sector"] for r in only} == {11} and {r["flux_group"] for r in only} == {"SPOC SAP"}
    in_10 = sorted(t.tic_id for t in SAMPLE if 10 in t.sectors)
    assert sorted(map_lightcurves(lambda r: r["tic"], sample_dsn, sectors=[10]).compute()) == in_10
    with pytest.raises(NotFound, match="sector"):
        lightcurves(sample_dsn, sectors=[99])
    few = lightcurves(sample_dsn, sectors=[11], columns=["time", "flux"]).compute()
    whole = {(r["tic"], r["sector"]): r for r in lightcurves(sample_dsn, sectors=[11]).compute()}
    for r in few:  # only the arrays asked for are read and carried; they equal the full read's
        assert not {"flux_err", "quality", "cadenceno"} & set(r)
        full = whole[(r["tic"], r["sector"])]
        assert np.array_equal(r["time"], full["time"], equal_nan=True)
        assert np.array_equal(r["flux"], full["flux"], equal_nan=True) and r["cadences"] == full["cadences"]
    with pytest.raises(InvalidInput, match="'pdcsap_flux'"):
        lightcurves(sample_dsn, columns=["time", "pdcsap_flux"])


def test_bls_on_two_workers_equals_one_process_and_is_stored_once(sample_dsn: str, client: Any) -> None:
    _clear(sample_dsn)
    totals = run_bls(sample_dsn, params=QUICK, client=client)
    assert totals == {"searched": N, "stored": N, "skipped": 0}
    stored = _results(sample_dsn)
    serial = {r["dataset_id"]: search(r, QUICK) for r in lightcurves(sample_dsn).compute(scheduler="sync")}
    assert stored.keys() == serial.keys()
    for dataset_id, row in stored.items():
        s = serial[dataset_id]
        assert row[:7] == (s["period"], s["epoch"], s["duration"], s["depth"], s["depth_snr"], s["power"],
                           int(s["n_points"]))
        assert row[7:] == (METHOD, QUICK.as_json(), code_version())
    assert run_bls(sample_dsn, params=QUICK, client=client) == {"searched": 0, "stored": 0, "skipped": N}
    other = BlsParameters(min_period=0.8, max_period=4.0)
    assert run_bls(sample_dsn, params=other, client=client, sectors=[12])["stored"] == 1  # a new key
    assert _count(sample_dsn) == N + 1


def test_the_demo_transit_period_is_recovered(sample_dsn: str, client: Any) -> None:
    _clear(sample_dsn)
    run_bls(sample_dsn, params=BlsParameters(), client=client)
    with lightcurvedb.connect(sample_dsn) as conn:
        target = conn.execute("SELECT id FROM target WHERE name = %s", [TRANSITING.tic_id]).fetchone()
        assert target is not None
        rows = periodograms.list_periodogram_results_of_target(conn, target_id=target[0])
    assert [r.sector for r in rows] == list(TRANSITING.sectors)
    for r in rows:
        assert r.period is not None and abs(r.period - 3.1415) / 3.1415 < 0.005, r.period


def test_a_killed_worker_is_retried_and_nothing_is_stored_twice(sample_dsn: str) -> None:
    _clear(sample_dsn)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as c, \
            distributed.Client(c) as cl:
        slow = BlsParameters(min_period=0.5, max_period=8.0, frequency_factor=0.25)  # a few seconds a lightcurve
        bag = map_lightcurves(_searcher(sample_dsn, slow), sample_dsn, per_partition=True, part_size=1)
        futures = cl.compute(bag.to_delayed())
        deadline = time.monotonic() + 120
        while not _results(sample_dsn) and time.monotonic() < deadline:
            time.sleep(0.2)
        busy = [w for w, tasks in cl.processing().items() if tasks]
        assert busy, "no worker was busy when a result was stored"
        with contextlib.suppress(distributed.comm.CommClosedError, OSError):  # it dies before answering
            cl.run(os._exit, 1, workers=busy[:1])  # the worker process dies mid-task; its nanny starts another
        distributed.wait(futures, timeout=240)
        assert all(f.status == "finished" for f in futures)
    assert len(_results(sample_dsn)) == _count(sample_dsn) == N  # every lightcurve once (uq_periodogram_result_key)


def _searcher(dsn: str, params: BlsParameters) -> Any:
    from lightcurvedb.scale.bls import searcher

    return searcher(dsn=dsn, params=params)


def test_cli_bls_on_a_running_scheduler(sample_dsn: str, client: Any, capsys: pytest.CaptureFixture[str]) -> None:
    _clear(sample_dsn)
    address = client.scheduler.address
    assert main(["--dsn", sample_dsn, "bls", "--scheduler", address, "--sectors", "12", "--min-period", "1",
                 "--max-period", "4"]) == 0
    assert "1 lightcurve(s) searched, 1 result(s) stored" in capsys.readouterr().out
    assert main(["--dsn", sample_dsn, "bls", "--scheduler", address, "--sectors", "12", "--min-period", "1",
                 "--max-period", "4"]) == 0
    assert "0 lightcurve(s) searched, 0 result(s) stored, 1 already stored" in capsys.readouterr().out


def test_cli_bls_and_show(sample_dsn: str, capsys: pytest.CaptureFixture[str]) -> None:
    _clear(sample_dsn)
    assert main(["--dsn", sample_dsn, "bls", "--workers", "1", "--sectors", "10,11", "--min-period", "1",
                 "--max-period", "4"]) == 0
    out = capsys.readouterr().out
    n = sum(len({10, 11} & set(t.sectors)) for t in SAMPLE)
    assert f"{n} lightcurve(s) searched, {n} result(s) stored, 0 already stored" in out
    assert main(["--dsn", sample_dsn, "bls", "--show", str(TRANSITING.tic_id), "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert [r["sector"] for r in shown] == [10, 11]
    assert all(abs(r["period"] - 3.1415) < 0.016 and r["product"] == "spoc" for r in shown)
    assert main(["--dsn", sample_dsn, "bls", "--show", str(TRANSITING.tic_id)]) == 0
    assert "stored period search result(s)" in capsys.readouterr().out
    assert main(["--dsn", sample_dsn, "bls", "--min-period", "5", "--max-period", "2"]) == 2
    err = capsys.readouterr().err
    assert "min-period < max-period" in err and "Traceback" not in err
    with pytest.raises(InvalidInput):
        BlsParameters(durations=(0.5,), min_period=0.4)


def test_results_go_with_their_release(sample_dsn: str, client: Any) -> None:
    _clear(sample_dsn)
    run_bls(sample_dsn, params=QUICK, client=client, sectors=[12])
    with lightcurvedb.connect(sample_dsn) as conn:
        before = conn.execute("SELECT count(*) FROM periodogram_result").fetchone()
        assert before is not None and before[0] == 1
        release = conn.execute("SELECT release_id FROM periodogram_result").fetchone()
        assert release is not None
        with conn.transaction():
            conn.execute("SELECT lcdb_delete_release(%s)", [release[0]])
            after = conn.execute("SELECT count(*) FROM periodogram_result").fetchone()
            assert after is not None and after[0] == 0
            raise psycopg.Rollback()  # undo the deletion: the module's database is shared


def test_without_dask_a_typed_error_names_the_extra(sample_dsn: str, monkeypatch: pytest.MonkeyPatch) -> None:
    for module in [m for m in sys.modules if m == "dask" or m.startswith("dask.")]:
        monkeypatch.delitem(sys.modules, module)
    monkeypatch.setitem(sys.modules, "dask", None)
    with pytest.raises(MissingDependency, match=r"tess-lightcurvedb\[scale\]"):
        lightcurves(sample_dsn)
    for module in [m for m in sys.modules if m == "distributed" or m.startswith("distributed.")]:
        monkeypatch.delitem(sys.modules, module)
    monkeypatch.setitem(sys.modules, "distributed", None)
    assert main(["--dsn", sample_dsn, "bls", "--workers", "1"]) == 2
