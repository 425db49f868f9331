"""Benchmark: lightcurves read on a 2-worker Dask LocalCluster vs one process (the same partitions, one connection),
BLS per second in one process and on the cluster (sector 11), and a HATS publication of everything (lightcurves per
second, bytes per stored value: time, flux, flux_err and quality of each cadence)."""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

import lightcurvedb
from benchmarks._report import Goals, Log, add_goals, arguments, measure
from lightcurvedb.scale.bls import BlsParameters, search
from lightcurvedb.scale.partitions import plan_partitions, read_partition
from lightcurvedb.scratch import throwaway_database
from lightcurvedb.tess import ingest_paths
from lightcurvedb.tess.synthetic import SyntheticTarget, write_sample

GOALS: Goals = {"dask_read_ratio_to_single_reader": (">=", 0.8)}
ARRAYS_PER_LIGHTCURVE = 5  # time, flux, flux_err, quality, cadenceno
READ_REPEATS = 7


def _stars(n: int, searched: int) -> tuple[SyntheticTarget, ...]:
    """`n` stars on one CCD in sector 10, the first `searched` also in sector 11 (the BLS runs), every tenth with a
    transit, spread over a few square degrees."""
    rng = np.random.default_rng(16)
    return tuple(SyntheticTarget(920000000 + i, (10, 11) if i < searched else (10,), 1, 1,
                                 float(rng.uniform(500, 20000)), period=float(rng.uniform(1, 4)) if i % 10 == 0
                                 else None, depth=0.01, duration=0.1, epoch=1500.0, ra=float(rng.uniform(150, 152)),
                                 dec=float(rng.uniform(-41, -39))) for i in range(n))


def _seconds(fn: Callable[[], int]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def _arrays(record: dict[str, Any]) -> int:
    """What a read is measured by: the record's arrays, touched (their sizes summed) where they were read."""
    return ARRAYS_PER_LIGHTCURVE if all(record[k].size for k in ("time", "flux", "flux_err", "quality")) else 0


def run(quick: bool, server_dsn: str, log: Log) -> dict[str, Any]:
    """Ingest a synthetic sector, then time the reads, the BLS searches and the publication; return the figures."""
    from lightcurvedb.scale.commands import run_bls
    from lightcurvedb.scale.dask import lightcurves, require_distributed
    from lightcurvedb.scale.publish import publish_hats

    distributed = require_distributed()

    searched = 48 if quick else 192
    stars = _stars(1200 if quick else 4000, searched)
    part_size = 150 if quick else 500
    params = BlsParameters(min_period=0.8, max_period=5.0)
    out: dict[str, Any] = {"quick": quick, "workers": 2}
    with throwaway_database(server_dsn, prefix="lcdb_bench_dask") as dsn, \
            tempfile.TemporaryDirectory(prefix="lcdb_bench_dask") as tmp:
        files = write_sample(Path(tmp) / "fits", sample=stars)
        t0 = time.perf_counter()
        summary = ingest_paths(dsn, files, jobs=2)
        assert not summary.failed, summary.failed
        log(f"[dask] ingested {len(files)} lightcurves in {time.perf_counter() - t0:.1f} s")
        with lightcurvedb.connect(dsn) as conn, distributed.LocalCluster(
                n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
                distributed.Client(cluster) as client:
            parts = plan_partitions(conn, part_size=part_size)

            def one_process() -> int:
                return sum(_arrays(r) for p in parts for r in read_partition(conn, p))

            def on_the_cluster() -> int:
                return int(lightcurves(dsn, part_size=part_size).map(_arrays).sum().compute())

            serial, spread = one_process(), on_the_cluster()  # warm: caches, connections, workers' imports
            assert spread == serial
            serial_s, dask_s = (statistics.median(times) for times in zip(
                *[(_seconds(one_process), _seconds(on_the_cluster)) for _ in range(READ_REPEATS)], strict=True))
            log(f"[dask] {serial} arrays, median of {READ_REPEATS} alternating reads: one process {serial_s:.3f} s, "
                f"2-worker LocalCluster {dask_s:.3f} s")
            sample = [r for p in plan_partitions(conn, sectors=[11]) for r in read_partition(conn, p)]
            conn.rollback()  # the reads' snapshot ends here
            sample = sample[: searched // 2]  # half of sector 11 in one process, all of it on the cluster
            t0 = time.perf_counter()
            for record in sample:
                search(record, params)
            bls_serial_s = time.perf_counter() - t0
            log(f"[dask] BLS in one process: {len(sample)} lightcurves in {bls_serial_s:.1f} s")
            t0 = time.perf_counter()
            totals = run_bls(dsn, params=params, client=client, sectors=[11])
            bls_dask_s = time.perf_counter() - t0
            log(f"[dask] BLS on the cluster: {totals} in {bls_dask_s:.1f} s")
            catalog = Path(tmp) / "hats"
            t0 = time.perf_counter()
            published = publish_hats(dsn, catalog, client=client)
            hats_s = time.perf_counter() - t0
            size = sum(p.stat().st_size for p in catalog.rglob("*") if p.is_file())
            log(f"[dask] HATS: {published} in {hats_s:.1f} s, {size:,} bytes")
    out.update({
        "lightcurves": len(files),
        "cadences": published["cadences"],
        "single_reader_arrays_per_s": round(serial / serial_s, 1),
        "dask_arrays_per_s": round(spread / dask_s, 1),
        "dask_read_ratio_to_single_reader": round((spread / dask_s) / (serial / serial_s), 3),
        "bls_serial_lightcurves_per_s": round(len(sample) / bls_serial_s, 3),
        "bls_dask_lightcurves_per_s": round(totals["searched"] / bls_dask_s, 3),
        "bls_dask_ratio_to_serial": round((totals["searched"] / bls_dask_s) / (len(sample) / bls_serial_s), 3),
        "hats_publish_lightcurves_per_s": round(published["lightcurves"] / hats_s, 1),
        "hats_bytes_per_value": round(size / (published["cadences"] * 4), 3),
    })
    add_goals(out, GOALS)
    return out


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments, run the benchmark, print the figures (with --json: one JSON object on stdout)."""
    args = arguments("python -m benchmarks.dask", __doc__,
                     quick="1,248 lightcurves (48 searched by BLS) instead of 4,192 (192 searched)").parse_args(argv)
    return measure(args.json, lambda log: run(bool(args.quick), args.dsn, log))

if __name__ == "__main__":
    sys.exit(main())
