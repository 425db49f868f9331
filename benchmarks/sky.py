"""Benchmark: cone searches over 100,000 and 1,000,000 synthetic targets (HEALPix ranges vs a scan of every row)."""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import astropy.units as u
import numpy as np
import psycopg
from astropy.coordinates import SkyCoord
from astropy.table import Table

import lightcurvedb
from benchmarks._report import Goals, Log, add_goals, arguments, measure
from lightcurvedb import sky
from lightcurvedb.queries import sky as sky_queries
from lightcurvedb.scratch import throwaway_database
from lightcurvedb.tess.reference import ensure_reference

GOALS: Goals = {
    "cone_1arcmin_p50_ms": ("<=", 5.0),
    "cone_growth_100k_to_1m": ("<=", 1.5),
    "seqscan_ratio": (">=", 100.0),
    "cone_results_match_bruteforce": ("==", True),
}


def _sphere(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """`n` positions uniform over the sphere (degrees)."""
    return rng.uniform(0, 360, n), np.degrees(np.arcsin(rng.uniform(-1, 1, n)))


def _load(conn: psycopg.Connection[Any], first_tic: int, ra: np.ndarray, dec: np.ndarray, tmp: Path) -> float:
    """Load positions through `lightcurvedb.sky.load_positions` (an ECSV target list); seconds taken."""
    path = tmp / f"targets_{first_tic}.ecsv"
    Table({"TIC": np.arange(first_tic, first_tic + ra.size), "RA": ra, "DEC": dec,
           "Tmag": np.full(ra.size, 12.0)}).write(path, overwrite=True)
    t0 = time.perf_counter()
    with conn.transaction():
        sky.load_positions(conn, path=path, catalog_id=ensure_reference(conn).catalog_id)
    conn.execute("ANALYZE target_position")
    conn.execute("ANALYZE target")
    return time.perf_counter() - t0


def _p50_ms(conn: psycopg.Connection[Any], centres: list[tuple[float, float]], radius: u.Quantity) -> float:
    times = []
    for ra, dec in centres:
        t0 = time.perf_counter()
        sky.cone_search(conn, ra=ra, dec=dec, radius=radius)
        times.append(time.perf_counter() - t0)
    return round(1000 * statistics.median(times), 3)


def _match(conn: psycopg.Connection[Any], centres: list[tuple[float, float]], radius: u.Quantity,
           tics: np.ndarray, coords: SkyCoord) -> tuple[bool, int]:
    """Does every cone return exactly the TICs astropy's separation finds over all rows (ignoring targets within
    1e-8 deg of the radius, where float rounding decides)? Also the number of targets found in all."""
    found = 0
    limit = radius.to_value(u.deg)
    for ra, dec in centres:
        got = {r.tic for r in sky.cone_search(conn, ra=ra, dec=dec, radius=radius)}
        sep = coords.separation(SkyCoord(ra * u.deg, dec * u.deg)).deg
        edge = set(tics[np.abs(sep - limit) < 1e-8].tolist())
        if got - edge != set(tics[sep <= limit].tolist()) - edge:
            return False, found
        found += len(got)
    return True, found


def run(quick: bool, server_dsn: str, log: Log) -> dict[str, Any]:
    """Both stages on one throwaway database; return the figures."""
    rng = np.random.default_rng(2026)
    queries = 100 if quick else 400
    out: dict[str, Any] = {"quick": quick, "queries_per_size": queries}
    centres = list(zip(*_sphere(np.random.default_rng(7), queries), strict=True))
    ra_all, dec_all = _sphere(rng, 1_000_000)
    with throwaway_database(server_dsn, prefix="lcdb_bench_sky") as dsn, \
            tempfile.TemporaryDirectory(prefix="lcdb_bench_sky") as tmp, lightcurvedb.connect(dsn) as conn:
        conn.autocommit = True
        conn.execute("SET max_parallel_workers_per_gather = 0")  # one core per query, like the searches
        stages = {}
        loaded = 0
        for size in (100_000, 1_000_000):
            seconds = _load(conn, 1 + loaded, ra_all[loaded:size], dec_all[loaded:size], Path(tmp))
            log(f"[sky] loaded {size - loaded:,} positions in {seconds:.1f} s ({(size - loaded) / seconds:,.0f}/s)")
            loaded = size
            for radius, key in ((1 * u.arcmin, "1arcmin"), (1 * u.deg, "1deg")):
                sky.cone_search(conn, ra=10.0, dec=10.0, radius=radius)  # warm
                stages[(size, key)] = _p50_ms(conn, centres, radius)
                log(f"[sky] {size:,} targets: cone {key} p50 {stages[(size, key)]} ms")
        tics = np.arange(1, loaded + 1)
        coords = SkyCoord(ra_all * u.deg, dec_all * u.deg)
        match_arcmin, found_arcmin = _match(conn, centres, 1 * u.arcmin, tics, coords)
        match_deg, found_deg = _match(conn, centres[: max(20, queries // 5)], 1 * u.deg, tics, coords)
        log(f"[sky] brute force (astropy SkyCoord.separation over all 1,000,000): 1 arcmin {match_arcmin} "
            f"({found_arcmin} found), 1 deg {match_deg} ({found_deg} found)")
        scan = []
        for ra, dec in centres[:5]:  # the same query with one range covering every cell: a scan of all rows
            t0 = time.perf_counter()
            sky_queries.cone_search(conn, lo=np.zeros(1, np.int64), hi=np.full(1, 12 << 58, np.int64), ra=ra,
                                    dec=dec, radius=1 / 60)
            scan.append(time.perf_counter() - t0)
        scan_ms = round(1000 * statistics.median(scan), 3)
        log(f"[sky] plain distance over every row (1 arcmin): p50 {scan_ms} ms")
    out.update({
        "targets": loaded,
        "cone_1arcmin_p50_ms_100k": stages[(100_000, "1arcmin")],
        "cone_1deg_p50_ms_100k": stages[(100_000, "1deg")],
        "cone_1arcmin_p50_ms": stages[(1_000_000, "1arcmin")],
        "cone_1deg_p50_ms": stages[(1_000_000, "1deg")],
        "cone_growth_100k_to_1m": round(stages[(1_000_000, "1arcmin")] / stages[(100_000, "1arcmin")], 3),
        "seqscan_p50_ms": scan_ms,
        "seqscan_ratio": round(scan_ms / stages[(1_000_000, "1arcmin")], 1),
        "cone_results_match_bruteforce": match_arcmin and match_deg,
        "bruteforce_targets_found": {"1arcmin": found_arcmin, "1deg": found_deg},
    })
    add_goals(out, GOALS)
    return out


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments, run the benchmark, print the figures (with --json: one JSON object on stdout)."""
    args = arguments("python -m benchmarks.sky", __doc__, quick="100 query centres per size instead of 400").parse_args(
        argv)
    return measure(args.json, lambda log: run(bool(args.quick), args.dsn, log))

if __name__ == "__main__":
    sys.exit(main())
