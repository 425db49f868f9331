"""Benchmark: one-target fetch latency (p50/p90) as the database grows from 10k to 100k targets."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
import psycopg
from psycopg import sql

import lightcurvedb
from benchmarks._setup import populate
from lightcurvedb.bulk import write
from lightcurvedb.lightcurve import load_lightcurves
from lightcurvedb.queries.datasets import _LIST_LIGHTCURVE_DATASETS
from lightcurvedb.scratch import throwaway_database

DEFAULT_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"
GOAL_P50_MS = 5.0
GOAL_GROWTH = 1.5
NOTE = ("arrays are SHORTER than TESS's ~13,000 cadences (full-length arrays for 100k targets would need ~37 GB "
        "here); the growth ratios measure how fetch latency scales with the number of stored targets, the "
        "absolute p50 values are NOT the 13,000-cadence figures of `python -m benchmarks`")


@dataclass(frozen=True)
class Config:
    """Workload size."""

    cadences: int
    sizes: tuple[int, ...]
    fetches: int
    rounds: int
    warmup: int
    scenarios: tuple[str, ...]
    batch_size: int


def _percentile(xs: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(xs), q))


def _arrays(targets: list[int], obs: int, pool: list[tuple[np.ndarray, np.ndarray]],
            pg: int) -> Iterator[tuple[Any, ...]]:
    """(group, target, observation, values, errors) rows cycling through a pool of pre-generated arrays."""
    for i, t in enumerate(targets):
        values, errors = pool[i % len(pool)]
        yield pg, t, obs, values, errors


def _ingest(conn: psycopg.Connection[Any], pg: int, obs: int, targets: list[int], cadences: int, seed: int,
            batch_size: int) -> float:
    """Write values+errors datasets and target times of `targets` in observation `obs`; seconds taken."""
    rng = np.random.default_rng(seed)
    pool = [(rng.standard_normal(cadences), rng.random(cadences)) for _ in range(16)]
    times = 1325.0 + 27.0 * seed + np.arange(cadences) / 720.0
    t0 = time.perf_counter()
    write(conn, "dataset", _arrays(targets, obs, pool, pg), batch_size=batch_size, commit=True)
    write(conn, "target_specific_time", ((t, obs, times) for t in targets), batch_size=batch_size, commit=True)
    return time.perf_counter() - t0


def _new_observation(conn: psycopg.Connection[Any], cadences: int, index: int) -> int:
    """One more observation (its partitions are created by the schema's trigger) with observation-wide flags."""
    instrument = conn.execute("SELECT id FROM instrument WHERE name = 'TESS'").fetchone()
    assert instrument is not None
    grid = np.arange(1000 + index * cadences, 1000 + (index + 1) * cadences, dtype=np.int64)
    row = conn.execute("INSERT INTO observation (instrument_id, cadence_reference) VALUES (%s, %s::int8[]) "
                       "RETURNING id", [instrument[0], grid.tolist()]).fetchone()
    assert row is not None
    _flags(conn, int(row[0]), cadences, index)
    return int(row[0])


def _flags(conn: psycopg.Connection[Any], obs: int, cadences: int, seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    write(conn, "quality_flag_array", [(None, obs, None, rng.integers(0, 4, cadences, dtype=np.int32))], commit=True)


def _settle(conn: psycopg.Connection[Any]) -> None:
    """VACUUM ANALYZE the data tables (fresh statistics and visibility map) and CHECKPOINT before timing."""
    for table in ("dataset", "target_specific_time", "quality_flag_array", "observation", "target"):
        conn.execute(f"VACUUM (ANALYZE) {table}")
    with contextlib.suppress(psycopg.Error):
        conn.execute("CHECKPOINT")


def _timed(fn: Callable[[], Any]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def _server_side(dsn: str, targets: list[int]) -> dict[str, float]:
    """EXPLAIN (ANALYZE, BUFFERS) EXECUTE of the fetch query's custom plan for the target's own observations
    (what the client's unnamed statement runs): p50 of the planning ms, execution ms, buffers touched, and the
    index scan nodes of the plan.

    EXPLAIN does not send (or detoast) the arrays, so this isolates the index probes and joins.
    """
    plan_ms, exec_ms, buffers, scans = [], [], [], []
    query = (_LIST_LIGHTCURVE_DATASETS.replace("%(target_id)s", "$1").replace("%(processing_group_id)s", "$2")
             .replace("%(observation_ids)s", "$3"))
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("SET plan_cache_mode = force_custom_plan")  # what the client's unnamed statements get
        conn.execute(sql.SQL("PREPARE lcdb_fetch_scaling (int8, int8, int8[]) AS {}").format(
            sql.SQL(query)))
        docs = []
        explain = sql.SQL("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) EXECUTE lcdb_fetch_scaling ({}, NULL, {})")
        for t in targets:
            held = [r[0] for r in conn.execute(
                "SELECT observation_id FROM target_observation WHERE target_id = %s", [t])]
            row = conn.execute(explain.format(sql.Literal(t), sql.Literal(held))).fetchone()
            assert row is not None
            docs.append(row[0][0])
    for doc in docs:
        plan_ms.append(doc["Planning Time"])
        exec_ms.append(doc["Execution Time"])
        top = doc["Plan"]
        buffers.append(top.get("Shared Hit Blocks", 0) + top.get("Shared Read Blocks", 0))
        scans.append(_count_index_scans(top))
    return {"planning_p50_ms": round(_percentile(plan_ms, 50), 3),
            "execution_p50_ms": round(_percentile(exec_ms, 50), 3),
            "buffers_p50": _percentile(buffers, 50), "index_scan_nodes": _percentile(scans, 50)}


def _count_index_scans(node: dict[str, Any]) -> int:
    own = 1 if "Index" in node.get("Node Type", "") else 0
    return own + sum(_count_index_scans(child) for child in node.get("Plans", []))


def _timeseries(conn: psycopg.Connection[Any], target_id: int) -> Any:
    return load_lightcurves(conn, target_id).to_timeseries()


def _measure(conn: psycopg.Connection[Any], dsn: str, population: list[int], cfg: Config, seed: int) -> dict[str, Any]:
    """p50/p90 of load_lightcurves (as a TimeSeries and as NumPy) after a warm-up.

    Every timed fetch is of a distinct random target (none fetched before, so its rows are not hot in shared
    buffers); the two paths alternate in `rounds` rounds of `fetches` targets each, to spread drift evenly.
    """
    rng = np.random.default_rng(seed)
    n = cfg.fetches
    picks = [int(t) for t in rng.choice(population, size=cfg.warmup + 2 * n * cfg.rounds, replace=False)]
    warm, timed = picks[:cfg.warmup], picks[cfg.warmup:]
    for t in warm:
        _timeseries(conn, t)
        load_lightcurves(conn, t)
    assert len(load_lightcurves(conn, warm[0])) == cfg.cadences
    ts: list[float] = []
    arrays: list[float] = []
    for r in range(cfg.rounds):
        chunk = timed[2 * n * r:2 * n * (r + 1)]
        ts += [_timed(partial(_timeseries, conn, t)) for t in chunk[:n]]
        arrays += [_timed(partial(load_lightcurves, conn, t)) for t in chunk[n:]]
    plans = conn.execute("SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement LIKE %s "
                         "AND statement NOT LIKE 'EXPLAIN%%'", ["%FROM dataset AS d%"]).fetchone()
    out: dict[str, Any] = {
        "prepared_generic_plans": int(plans[0]) if plans else None,
        "prepared_custom_plans": int(plans[1]) if plans else None,
        "timeseries_p50_ms": round(1000 * _percentile(ts, 50), 3),
        "timeseries_p90_ms": round(1000 * _percentile(ts, 90), 3),
        "numpy_p50_ms": round(1000 * _percentile(arrays, 50), 3),
        "numpy_p90_ms": round(1000 * _percentile(arrays, 90), 3),
    }
    out["server"] = _server_side(dsn, [int(t) for t in rng.choice(population, size=50, replace=False)])
    return out


def _scenario(name: str, server_dsn: str, cfg: Config, log: Callable[[str], None]) -> dict[str, Any]:
    """Grow one database through cfg.sizes; `name` "one_observation" or "split" (an observation per sizes[0])."""
    per_obs = cfg.sizes[0]
    c = cfg.cadences
    stages: list[dict[str, Any]] = []
    with throwaway_database(server_dsn, prefix=f"lcdb_fetch_{name}") as dsn:
        conn = lightcurvedb.connect(dsn)
        w = populate(conn, targets=max(cfg.sizes), observations=1, cadences=c)
        conn.commit()
        conn.autocommit = True
        pg, all_targets = w["processing_group_id"], w["target_ids"]
        observations = [int(w["observation_ids"][0])]
        _flags(conn, observations[0], c, 0)
        stored = 0
        for size in cfg.sizes:
            ingest_s = 0.0
            while stored < size:
                if name == "one_observation":
                    obs, chunk = observations[0], min(size - stored, per_obs)
                else:
                    if stored >= per_obs * len(observations):
                        observations.append(_new_observation(conn, c, len(observations)))
                    obs, chunk = observations[-1], min(size - stored, per_obs * len(observations) - stored)
                ingest_s += _ingest(conn, pg, obs, all_targets[stored:stored + chunk], c, len(observations),
                                    cfg.batch_size)
                stored += chunk
            added = stored - (stages[-1]["targets"] if stages else 0)
            log(f"[{name}] {stored:,} targets in {len(observations)} observation(s): ingested {added:,} in "
                f"{ingest_s:.1f} s ({3 * added / max(ingest_s, 1e-9):.0f} arrays/s: values, errors, times)")
            t0 = time.perf_counter()
            _settle(conn)
            settle_s = time.perf_counter() - t0
            m = _measure(conn, dsn, all_targets[:stored], cfg, seed=size)
            size_row = conn.execute("SELECT sum(pg_total_relation_size(inhrelid)) FROM pg_inherits "
                                    "WHERE inhparent IN ('dataset'::regclass, 'target_specific_time'::regclass)"
                                    ).fetchone()
            assert size_row is not None
            stage = {"targets": stored, "observations": len(observations), "ingest_s": round(ingest_s, 1),
                     "vacuum_analyze_s": round(settle_s, 1), "data_mb": round(int(size_row[0]) / 2**20, 1), **m}
            stages.append(stage)
            log(f"[{name}] {stored:,} targets: TimeSeries p50 {m['timeseries_p50_ms']:.3f} ms "
                f"(p90 {m['timeseries_p90_ms']:.3f}), NumPy p50 {m['numpy_p50_ms']:.3f} ms "
                f"(p90 {m['numpy_p90_ms']:.3f}); server generic plan: cache+locks "
                f"{m['server']['planning_p50_ms']:.3f} ms, "
                f"exec {m['server']['execution_p50_ms']:.3f} ms, {m['server']['buffers_p50']:.0f} buffers, "
                f"{m['server']['index_scan_nodes']:.0f} index scan nodes")
        conn.close()
    first, last = stages[0], stages[-1]
    growth = {
        "timeseries_p50_growth": round(last["timeseries_p50_ms"] / first["timeseries_p50_ms"], 3),
        "numpy_p50_growth": round(last["numpy_p50_ms"] / first["numpy_p50_ms"], 3),
        "server_execution_p50_growth": round(last["server"]["execution_p50_ms"]
                                             / first["server"]["execution_p50_ms"], 3),
    }
    log(f"[{name}] growth {first['targets']:,} -> {last['targets']:,} targets (p50 ratio): "
        f"TimeSeries {growth['timeseries_p50_growth']:.3f}x, NumPy {growth['numpy_p50_growth']:.3f}x "
        f"(goal <= {GOAL_GROWTH}x)")
    return {"stages": stages, **growth}


def run(cfg: Config, server_dsn: str, log: Callable[[str], None]) -> dict[str, Any]:
    """Run every scenario on its own throwaway database; return the figures."""
    log(f"NOTE: {cfg.cadences:,} cadences per array: {NOTE}")
    out: dict[str, Any] = {"cadences": cfg.cadences, "sizes": list(cfg.sizes), "fetches": cfg.fetches,
                           "rounds": cfg.rounds, "warmup": cfg.warmup, "note": NOTE, "scenarios": {}}
    for name in cfg.scenarios:
        out["scenarios"][name] = _scenario(name, server_dsn, cfg, log)
    return out


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments, run the benchmark on a throwaway database of LCDB_BENCH_DSN's server, print figures."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.fetch_scaling", description=__doc__)
    parser.add_argument("--json", action="store_true", help="end with one JSON object on the last line")
    parser.add_argument("--cadences", type=int, default=1000,
                        help="cadences per array (default 1000, shorter than TESS's ~13,000 to fit 100k targets)")
    parser.add_argument("--sizes", default="10000,100000",
                        help="comma-separated target counts to measure at (default 10000,100000)")
    parser.add_argument("--fetches", type=int, default=200, help="timed fetches per path and size (default 200)")
    parser.add_argument("--rounds", type=int, default=3,
                        help="rounds of --fetches distinct targets per path, alternating paths (default 3)")
    parser.add_argument("--warmup", type=int, default=20, help="untimed warm-up fetches (default 20)")
    parser.add_argument("--scenarios", default="one_observation,split",
                        help="one_observation (all targets in one observation) and/or split (one observation "
                             "per first-size targets, each a partition); default both")
    parser.add_argument("--batch-size", type=int, default=500, help="bulk ingest batch size (default 500)")
    args = parser.parse_args(argv)
    sizes = tuple(sorted(int(s) for s in args.sizes.split(",") if s.strip()))
    scenarios = tuple(s.strip() for s in args.scenarios.split(",") if s.strip())
    wanted = args.warmup + 2 * args.fetches * args.rounds
    if not sizes or sizes[0] < wanted:
        parser.error(f"the smallest size must be >= warmup + 2 * fetches * rounds = {wanted}")
    if unknown := set(scenarios) - {"one_observation", "split"}:
        parser.error(f"unknown scenarios: {sorted(unknown)}")
    cfg = Config(cadences=args.cadences, sizes=sizes, fetches=args.fetches, rounds=args.rounds, warmup=args.warmup,
                 scenarios=scenarios, batch_size=args.batch_size)
    dsn = os.environ.get("LCDB_BENCH_DSN", DEFAULT_DSN)
    t0 = time.perf_counter()
    result = run(cfg, dsn, lambda line: print(line, flush=True))
    result["elapsed_s"] = round(time.perf_counter() - t0, 1)
    result["machine"] = f"{platform.machine()} {os.cpu_count()} cpu, Python {platform.python_version()}"
    result["goal"] = f"one-target fetch p50 <= {GOAL_P50_MS} ms and growth <= {GOAL_GROWTH}x from first to last size"
    print(f"elapsed {result['elapsed_s']} s ({result['machine']})")
    if args.json:
        print(json.dumps(result, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
