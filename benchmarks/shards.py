"""Benchmark: a coordinator with two shards (databases on the same server) against one server holding the same
lightcurves: a one-target read whose sectors are on both shards and local, ingest into a shard's partitions, moving a
sector to a shard and back (MB/s, exports compared), and a Dask read of everything."""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import numpy as np

import lightcurvedb
from benchmarks._report import Goals, Log, add_goals, arguments, measure
from lightcurvedb.cli import main as lcdb
from lightcurvedb.scale import shards
from lightcurvedb.scratch import throwaway_database
from lightcurvedb.tess import ingest_paths
from lightcurvedb.tess.synthetic import SyntheticTarget, write_sample
from lightcurvedb.tess.tic import load_tic

GOALS: Goals = {"sharded_fetch_ratio": ("<=", 1.5), "sharded_ingest_ratio": (">=", 0.7),
                "dask_sharded_read_ratio": (">=", 0.8), "move_exports_identical": ("==", True)}
FETCH_REPEATS = 21
READ_REPEATS = 7
WARM_READS = 3


def _stars(n: int, sectors: tuple[int, ...]) -> tuple[SyntheticTarget, ...]:
    rng = np.random.default_rng(26)
    return tuple(SyntheticTarget(930000000 + i, sectors, 1, 1, float(rng.uniform(500, 20000)),
                                 ra=float(rng.uniform(150, 152)), dec=float(rng.uniform(-41, -39))) for i in range(n))


def _median_pair(a: Callable[[], Any], b: Callable[[], Any], repeats: int) -> tuple[float, float]:
    """Median seconds of `a` and of `b`, run alternately."""
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeats):
        for fn, into in ((a, times[0]), (b, times[1])):
            t0 = time.perf_counter()
            fn()
            into.append(time.perf_counter() - t0)
    return statistics.median(times[0]), statistics.median(times[1])


def _export(dsn: str, out: Path, tic: int) -> bytes:
    assert lcdb(["--dsn", dsn, "export", str(tic), "-o", str(out), "--overwrite"]) == 0
    return out.read_bytes()


def run(quick: bool, server_dsn: str, log: Log) -> dict[str, Any]:
    """Build one server and a sharded coordinator with the same data, then time both; return the figures."""
    from lightcurvedb.scale.dask import lightcurves, require_distributed

    distributed = require_distributed()
    n = 150 if quick else 600
    stars = _stars(n, (10, 11, 12))
    star = stars[0].tic_id
    out: dict[str, Any] = {"quick": quick, "lightcurves": n * 3}
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="lcdb_bench_shards")))
        single = stack.enter_context(throwaway_database(server_dsn, prefix="lcdb_bench_single"))
        coord = stack.enter_context(throwaway_database(server_dsn, prefix="lcdb_bench_coord"))
        shard_dsns = {name: stack.enter_context(throwaway_database(server_dsn, prefix=f"lcdb_bench_shard_{name}"))
                      for name in ("a", "b")}
        files = write_sample(tmp / "fits", sample=stars)
        for dsn in (single, coord):
            assert not ingest_paths(dsn, files, jobs=2).failed
        with lightcurvedb.connect(coord) as conn:
            for name, dsn in shard_dsns.items():
                shards.add_shard(conn, name=name, dsn=dsn)
            shards.move(conn, sectors=[10], to="a")
            shards.move(conn, sectors=[11], to="b")
        log(f"[shards] {n * 3} lightcurves in each; sector 10 on shard a, 11 on shard b, 12 local")

        # one target, three sectors: two on shards, one local
        with lightcurvedb.connect(single) as one, lightcurvedb.connect(coord) as sharded:
            def fetch(conn: Any) -> Callable[[], Any]:
                def go() -> Any:
                    lc = load_tic(conn, star)
                    conn.rollback()
                    return lc
                return go
            assert len(fetch(one)()) == len(fetch(sharded)())
            single_s, sharded_s = _median_pair(fetch(one), fetch(sharded), FETCH_REPEATS)
        log(f"[shards] one-target read, median of {FETCH_REPEATS}: one server {single_s * 1e3:.2f} ms, "
            f"sharded {sharded_s * 1e3:.2f} ms")
        out["single_fetch_ms"], out["sharded_fetch_ms"] = round(single_s * 1e3, 3), round(sharded_s * 1e3, 3)
        out["sharded_fetch_ratio"] = round(sharded_s / single_s, 3)

        # ingest a new sector whose partitions are on a shard (the first file creates the observation, then the
        # sector moves), against the same into local partitions
        new = write_sample(tmp / "s13", sample=_stars(n, (13,)))
        for dsn in (single, coord):
            assert not ingest_paths(dsn, new[:1]).failed
        with lightcurvedb.connect(coord) as conn:
            shards.move(conn, sectors=[13], to="b")
        rates = {}
        for label, dsn in (("local", single), ("shard", coord)):
            t0 = time.perf_counter()
            summary = ingest_paths(dsn, new[1:])
            seconds = time.perf_counter() - t0
            assert not summary.failed and summary.count("added") == len(new) - 1
            rates[label] = (len(new) - 1) * 3 / seconds  # arrays: values+errors, times, flags per file
            log(f"[shards] ingest of {len(new) - 1} files into {label} partitions: {seconds:.2f} s")
        out["local_ingest_arrays_per_s"] = round(rates["local"], 1)
        out["sharded_ingest_arrays_per_s"] = round(rates["shard"], 1)
        out["sharded_ingest_ratio"] = round(rates["shard"] / rates["local"], 3)

        # a sector to a shard and back, every export compared
        before = _export(coord, tmp / "before.ecsv", star)
        with lightcurvedb.connect(coord) as conn:
            for direction, to in (("to_shard", "a"), ("to_local", "local")):
                t0 = time.perf_counter()
                moved = shards.move(conn, sectors=[12], to=to)
                seconds = time.perf_counter() - t0
                size = sum(m.bytes for m in moved)
                out[f"move_{direction}_mb_per_s"] = round(size / 1e6 / seconds, 2)
                log(f"[shards] move sector 12 {direction}: {size / 1e6:.1f} MB in {seconds:.2f} s")
                if to == "a":
                    during = _export(coord, tmp / "during.ecsv", star)
        after = _export(coord, tmp / "after.ecsv", star)
        out["move_mb_per_s"] = min(out["move_to_shard_mb_per_s"], out["move_to_local_mb_per_s"])
        out["move_exports_identical"] = before == during == after

        # everything on a 2-worker Dask cluster
        with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                      dashboard_address=None) as cluster, distributed.Client(cluster):
            def read(dsn: str) -> Callable[[], int]:
                return lambda: int(lightcurves(dsn, part_size=150).map(lambda r: r["flux"].size).sum().compute())
            for _ in range(WARM_READS):  # steady state: each worker has connected to the servers its parts are on
                assert read(single)() == read(coord)()
            single_s, sharded_s = _median_pair(read(single), read(coord), READ_REPEATS)
        log(f"[shards] Dask read of everything, median of {READ_REPEATS} after {WARM_READS}: one server "
            f"{single_s:.3f} s, sharded {sharded_s:.3f} s")
        out["dask_sharded_read_ratio"] = round(single_s / sharded_s, 3)
    add_goals(out, GOALS)
    return out


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments, run the benchmark, print the figures (with --json: one JSON object on stdout)."""
    args = arguments("python -m benchmarks.shards", __doc__,
                     quick="150 stars in 3 sectors (and 150 files ingested) instead of 600").parse_args(argv)
    return measure(args.json, lambda log: run(bool(args.quick), args.dsn, log))


if __name__ == "__main__":
    sys.exit(main())
