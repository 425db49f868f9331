"""Benchmark: archive scale — fetch growth and planning, busy-target fetch, float32 storage, sector ingest vs COPY."""

from __future__ import annotations

import contextlib
import resource
import statistics
import struct
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import psycopg
from numpy.typing import NDArray
from psycopg import sql

import lightcurvedb
from benchmarks._report import Goals, Log, add_goals, arguments, measure
from benchmarks._setup import populate
from lightcurvedb import schema
from lightcurvedb.adapters import dump_array
from lightcurvedb.bulk import iter_datasets, write
from lightcurvedb.lightcurve import load_lightcurves
from lightcurvedb.queries.observations import create_tess_observation, list_target_observations
from lightcurvedb.queries.reads import _FETCH_TARGET_ARRAYS
from lightcurvedb.records.datasets import DatasetInsert
from lightcurvedb.scratch import throwaway_database

OBSERVATIONS_PER_COMMIT = 50  # each observation creates 3 partitions: one transaction cannot lock thousands
GOALS: Goals = {
    "fetch_growth_20_to_2000_observations": ("<=", 1.5),
    "busy_target_ratio_to_wire_floor": ("<=", 1.3),
    "plan_ms_at_2000_observations": ("<=", 2.0),
    "bytes_per_value_float32": ("<=", 4.3),
    "float32_ingest_speedup": (">=", 1.6),
    "float32_read_speedup": (">=", 1.6),
    "float32_roundtrip_exact": ("==", True),
    "sector_ingest_ratio_to_copy_limit": (">=", 0.9),
    "ingest_jobs2_ratio": (">=", 1.0),
    "ingest_jobs2_new_sector_ratio": (">=", 1.5),
    "ingest_jobs2_new_sector_deadlocks": ("<=", 0),
    "bulk_workers2_ratio": (">=", 1.0),
}
_COLUMNS = ("processing_group_id", "target_id", "observation_id", "values_f4", "errors_f4", "release_id")
"""The columns the sector's float32 rows land in (real[]: stored at their own precision)."""
_SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
_TRAILER = b"\xff\xff"


Conn = psycopg.Connection[Any]
Pair = tuple[NDArray[Any], NDArray[Any]]


@dataclass(frozen=True)
class Config:
    """Workload size."""

    observations_small: int
    observations_large: int
    target_observations: int
    target_cadences: int
    fetches: int
    plan_reps: int
    busy_groups: int
    busy_cadences: int
    busy_fetches: int
    float32_rows: int
    float32_cadences: int
    float32_rounds: int
    sector_targets: int
    sector_series: int
    sector_cadences: int
    sector_rounds: int
    jobs_files: int = 160
    jobs_rounds: int = 2
    workers_targets: int = 3_000

    @classmethod
    def make(cls, quick: bool) -> Config:
        """The --quick (a few minutes) or the full workload (20,000-target sector: ~42 GB, hours)."""
        if quick:
            return cls(observations_small=20, observations_large=500, target_observations=17, target_cadences=200,
                       fetches=200, plan_reps=50, busy_groups=10, busy_cadences=13_000, busy_fetches=15,
                       float32_rows=200, float32_cadences=13_000, float32_rounds=4, sector_targets=2_000,
                       sector_series=1, sector_cadences=13_000, sector_rounds=2, jobs_files=160, jobs_rounds=2,
                       workers_targets=3_000)
        return cls(observations_small=20, observations_large=2_000, target_observations=17, target_cadences=200,
                   fetches=500, plan_reps=200, busy_groups=10, busy_cadences=13_000, busy_fetches=50,
                   float32_rows=1_000, float32_cadences=13_000, float32_rounds=3, sector_targets=20_000,
                   sector_series=10, sector_cadences=13_000, sector_rounds=1, jobs_files=2_000, jobs_rounds=1,
                   workers_targets=20_000)


def _timed(fn: Callable[[], Any]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def _ms(xs: list[float]) -> float:
    return round(1000 * statistics.median(xs), 3)


def _checkpoint(conn: Conn) -> None:
    with contextlib.suppress(psycopg.Error):
        conn.execute("CHECKPOINT")


def _one(conn: Conn, query: str | sql.Composed, params: list[Any] | None = None) -> Any:
    row = conn.execute(query, params).fetchone()
    assert row is not None
    return row[0]


def _observations(conn: Conn, instrument_id: int, count: int, *, first_sector: int, cadences: int) -> list[int]:
    """`count` TESS observations (3 partitions each, by trigger), committed every OBSERVATIONS_PER_COMMIT."""
    out: list[int] = []
    for start in range(0, count, OBSERVATIONS_PER_COMMIT):
        with conn.transaction():
            for i in range(start, min(count, start + OBSERVATIONS_PER_COMMIT)):
                sector = first_sector + i
                grid = np.arange(cadences, dtype=np.int64) + 1_000_000 * sector
                out.append(create_tess_observation(conn, instrument_id=instrument_id, cadence_reference=grid,
                                                   sector=sector).id)
    return out


def _setup(conn: Conn, targets: int, groups: int) -> tuple[int, list[int], list[int]]:
    """Reference rows (populate) plus `groups` - 1 more processing groups; (instrument, targets, groups)."""
    w = populate(conn, targets=targets, observations=0, cadences=1)
    source = _one(conn, "SELECT photometric_source_id FROM processing_group WHERE id = %s", [w["processing_group_id"]])
    group_ids = [int(w["processing_group_id"])]
    for g in range(1, groups):
        method = _one(conn, "INSERT INTO detrending_method (name) VALUES (%s) RETURNING id", [f"bench-{g}"])
        group_ids.append(int(_one(conn, "INSERT INTO processing_group (name, photometric_source_id, "
                                        "detrending_method_id) VALUES (%s, %s, %s) RETURNING id",
                                  [f"bench group {g}", source, method])))
    conn.commit()
    conn.autocommit = True
    instrument = int(_one(conn, "SELECT id FROM instrument WHERE name = 'TESS'"))
    return instrument, [int(t) for t in w["target_ids"]], group_ids


def _fill(conn: Conn, groups: list[int], pairs: list[tuple[int, int]], cadences: int, seed: int,
          target_flags: bool) -> None:
    """Datasets of every group (float32, like the TESS products' fluxes: stored as real[]), times (float64) and
    (observation-wide, optionally target) flags of (target, observation)."""
    rng = np.random.default_rng(seed)
    pool = [(rng.standard_normal(cadences).astype(np.float32), rng.random(cadences).astype(np.float32))
            for _ in range(16)]
    write(conn, "dataset", ((g, t, o, *pool[(i + j) % 16]) for i, (t, o) in enumerate(pairs)
                            for j, g in enumerate(groups)), commit=True)
    write(conn, "target_specific_time", ((t, o, 1325.0 + np.arange(cadences) / 720.0) for t, o in pairs),
          commit=True)
    flags = rng.integers(0, 4, cadences, dtype=np.int32)
    obs = sorted({o for _, o in pairs})
    write(conn, "quality_flag_array", [(None, o, None, flags) for o in obs], commit=True)
    if target_flags:
        write(conn, "quality_flag_array", [(None, o, t, flags) for t, o in pairs], commit=True)


def _explained_query(conn: Conn, target_id: int) -> bytes:
    """load_lightcurves's array statement with its parameters bound as literals (the text planned as a custom plan)."""
    held = [r.observation_id for r in list_target_observations(conn, target_id=target_id)]
    params = {"target_id": target_id, "observation_ids": held, "release_ids": None, "bare_observation_ids": [],
              "value_group_ids": None, "error_group_ids": None, "flag_types": None, "time": True, "grid_ids": [],
              "datasets": True}
    text = psycopg.ClientCursor(conn).mogrify(_FETCH_TARGET_ARRAYS, params)
    return b"EXPLAIN (ANALYZE, SUMMARY, FORMAT JSON) " + text.encode()


def _fetch_stage(conn: Conn, target_id: int, cfg: Config, log: Log, label: str) -> dict[str, Any]:
    """Fetch p50 of one target (load_lightcurves, NumPy) and the planning time of its dataset query."""
    for table in ("target_observation", "observation", "tess_observation", "target", "processing_group"):
        conn.execute(sql.SQL("VACUUM (ANALYZE) {}").format(sql.Identifier(table)))  # leave autovacuum nothing
    _checkpoint(conn)
    for _ in range(50):
        lc = load_lightcurves(conn, target_id)
    assert len(lc) == cfg.target_observations * cfg.target_cadences, len(lc)
    fetch = [_timed(lambda: load_lightcurves(conn, target_id)) for _ in range(cfg.fetches)]
    query = _explained_query(conn, target_id)
    plan, execute = [], []
    for _ in range(cfg.plan_reps):
        doc = conn.execute(query, prepare=False).fetchone()
        assert doc is not None
        plan.append(float(doc[0][0]["Planning Time"]))
        execute.append(float(doc[0][0]["Execution Time"]))
    with conn.transaction():
        conn.execute(query, prepare=False)
        locks = int(_one(conn, "SELECT count(*) FROM pg_locks WHERE pid = pg_backend_pid() "
                               "AND locktype = 'relation'"))
    out = {"fetch_p50_ms": _ms(fetch), "plan_p50_ms": round(statistics.median(plan), 3),
           "exec_p50_ms": round(statistics.median(execute), 3), "relation_locks": locks}
    log(f"[growth] {label}: fetch p50 {out['fetch_p50_ms']:.3f} ms, plan p50 {out['plan_p50_ms']:.3f} ms, "
        f"execution p50 {out['exec_p50_ms']:.3f} ms, {locks} relation locks held by the query")
    return out


def _growth(server_dsn: str, cfg: Config, log: Log) -> dict[str, Any]:
    """One target (17 observations of short arrays) fetched with few, then many observations in the database."""
    n_small, n_large, mine = cfg.observations_small, cfg.observations_large, cfg.target_observations
    c = cfg.target_cadences
    with throwaway_database(server_dsn, prefix="lcdb_archive_growth") as dsn, \
            contextlib.closing(lightcurvedb.connect(dsn)) as conn:
        instrument, targets, groups = _setup(conn, n_large - mine + 1, 1)
        me, others = targets[0], iter(targets[1:])
        t0 = time.perf_counter()
        obs = _observations(conn, instrument, n_small, first_sector=1, cadences=c)
        _fill(conn, groups, [(me, o) for o in obs[:mine]], c, 1, target_flags=True)
        _fill(conn, groups, [(next(others), o) for o in obs[mine:]], c, 2, target_flags=False)
        log(f"[growth] {n_small} observations written in {time.perf_counter() - t0:.1f} s")
        small = _fetch_stage(conn, me, cfg, log, f"{n_small} observations")
        t0 = time.perf_counter()
        more = _observations(conn, instrument, n_large - n_small, first_sector=n_small + 1, cadences=c)
        create_s = time.perf_counter() - t0
        _fill(conn, groups, [(next(others), o) for o in more], c, 3, target_flags=False)
        partitions = int(_one(conn, "SELECT count(*) FROM pg_inherits WHERE inhparent IN ('dataset'::regclass, "
                                    "'target_specific_time'::regclass, 'quality_flag_array'::regclass)"))
        log(f"[growth] {n_large} observations ({partitions} data partitions): {len(more)} created in "
            f"{create_s:.1f} s ({1000 * create_s / max(len(more), 1):.1f} ms each)")
        large = _fetch_stage(conn, me, cfg, log, f"{n_large} observations")
    return {
        "observations_small": n_small, "observations_large": n_large, "target_observations": mine,
        "target_cadences": c, "data_partitions_large": partitions,
        "observation_create_ms": round(1000 * create_s / max(len(more), 1), 1),
        "fetch_p50_ms_small": small["fetch_p50_ms"], "fetch_p50_ms_large": large["fetch_p50_ms"],
        "fetch_growth_20_to_2000_observations": round(large["fetch_p50_ms"] / small["fetch_p50_ms"], 3),
        "plan_ms_small": small["plan_p50_ms"], "plan_ms_at_2000_observations": large["plan_p50_ms"],
        "execution_ms_small": small["exec_p50_ms"], "execution_ms_large": large["exec_p50_ms"],
        "fetch_relation_locks_small": small["relation_locks"], "fetch_relation_locks_large": large["relation_locks"],
    }


_FLOOR = ("SELECT lcdb_packed(values_f4), lcdb_packed(errors_f4) FROM dataset "
          "WHERE target_id = %(t)s AND observation_id = ANY(%(o)s::int8[]) "
          "UNION ALL SELECT lcdb_packed(barycentric_julian_dates), NULL FROM target_specific_time "
          "WHERE target_id = %(t)s AND observation_id = ANY(%(o)s::int8[]) "
          "UNION ALL SELECT lcdb_packed(quality_flags), NULL FROM quality_flag_array "
          "WHERE (target_id = %(t)s OR target_id IS NULL) AND observation_id = ANY(%(o)s::int8[])")
"""Every array the busy target's fetch returns but the cached grids (float32 values and errors, times, its own and
the observations' flags) as bytea, nothing decoded: what any reader of this storage must at least receive."""


def _busy(conn: Conn, instrument: int, me: int, groups: list[int], cfg: Config, log: Log) -> dict[str, Any]:
    """A target with 17 full-length observations, every series: load_lightcurves p50."""
    c, n = cfg.busy_cadences, cfg.target_observations
    obs = _observations(conn, instrument, n, first_sector=1, cadences=c)
    _fill(conn, groups, [(me, o) for o in obs], c, 4, target_flags=True)
    _checkpoint(conn)
    for _ in range(3):
        lc = load_lightcurves(conn, me)
    assert len(lc) == n * c and len(lc.values) == len(groups), (len(lc), len(lc.values))
    arrays = n * (2 * len(groups) + 1 + 2)  # values and errors per group, times, two flag arrays
    held = [r.observation_id for r in list_target_observations(conn, target_id=me)]
    fetch: list[float] = []
    floor: list[float] = []
    with conn.cursor(binary=True) as cur:  # the floor: the same arrays as raw bytes, nothing decoded
        def raw() -> None:
            cur.execute(_FLOOR, {"t": me, "o": held}).fetchall()
            cur.execute("SELECT 1")  # let the 18 MB result go, as a read that returns does
        # In blocks, twice each (fetch, floor, fetch, floor), each after one untimed warm-up: interleaving single
        # calls makes each pay for the page faults of memory the other just gave back to the system.
        for _ in range(2):
            for timings, fn in ((fetch, lambda: load_lightcurves(conn, me)), (floor, raw)):
                fn()
                timings += [_timed(fn) for _ in range(cfg.busy_fetches)]
    out = {"busy_target_fetch_p50_ms": _ms(fetch), "busy_target_wire_floor_ms": _ms(floor),
           "busy_target_ratio_to_wire_floor": round(_ms(fetch) / _ms(floor), 3),
           "busy_target_observations": n, "busy_target_cadences": c,
           "busy_target_groups": len(groups), "busy_target_arrays": arrays,
           "busy_target_dtype": "float32 values and errors, float64 times",
           "busy_target_mb": round(n * c * (2 * len(groups) * 4 + 8) / 2**20, 1)}
    log(f"[busy] {n} observations x {c:,} cadences x {len(groups)} groups ({arrays} arrays, "
        f"{out['busy_target_mb']} MB): fetch p50 {out['busy_target_fetch_p50_ms']:.1f} ms; its arrays as "
        f"raw bytes (the wire floor) {out['busy_target_wire_floor_ms']:.1f} ms; ratio "
        f"{out['busy_target_ratio_to_wire_floor']}")
    return out


def _float32_pool(cadences: int, seed: int) -> list[Pair]:
    """16 (values, errors) float32 pairs with NaNs (~1 %), ±inf, -0.0, subnormals and the extremes."""
    rng = np.random.default_rng(seed)
    specials = np.array([np.nan, np.inf, -np.inf, -0.0, np.finfo(np.float32).smallest_subnormal,
                         np.finfo(np.float32).max, np.finfo(np.float32).min, np.finfo(np.float32).tiny],
                        dtype=np.float32)
    pool = []
    for _ in range(16):
        values = (5e4 + 300 * rng.standard_normal(cadences)).astype(np.float32)
        errors = rng.random(cadences, dtype=np.float32)
        for arr in (values, errors):
            arr[rng.random(cadences) < 0.01] = np.nan
            arr[:specials.size] = specials
        pool.append((values, errors))
    return pool


def _dataset_rows(pool: list[Pair], group: int, targets: list[int], obs: int) -> Iterator[DatasetInsert]:
    for i, t in enumerate(targets):
        values, errors = pool[i % len(pool)]
        yield DatasetInsert.model_construct(processing_group_id=group, target_id=t, observation_id=obs,
                                            values=values, errors=errors, release_id=None)


def _partition_bytes(conn: Conn, obs: int) -> int:
    return int(_one(conn, "SELECT pg_total_relation_size(%s::regclass)", [f"dataset_o{obs}"]))


def _float32(conn: Conn, instrument: int, targets: list[int], group: int, cfg: Config, log: Log) -> dict[str, Any]:
    """The same arrays written and read as float32 and as float64: storage, speed, bit-exact round trip."""
    c, n, rounds = cfg.float32_cadences, cfg.float32_rows, cfg.float32_rounds
    targets = targets[:n]
    pool32 = _float32_pool(c, 5)
    pools = {"float32": pool32, "float64": [(v.astype(np.float64), e.astype(np.float64)) for v, e in pool32]}
    obs = _observations(conn, instrument, 2 * rounds, first_sector=100, cadences=c)
    where: dict[str, list[int]] = {"float32": obs[0::2], "float64": obs[1::2]}
    ingest: dict[str, list[float]] = {"float32": [], "float64": []}
    read: dict[str, list[float]] = {"float32": [], "float64": []}
    for r in range(rounds):
        for kind in (("float32", "float64") if r % 2 == 0 else ("float64", "float32")):
            _checkpoint(conn)
            rows = _dataset_rows(pools[kind], group, targets, where[kind][r])
            ingest[kind].append(_timed(lambda: write(conn, "dataset", rows, commit=True)))  # noqa: B023
            log(f"[float32] round {r}: write {kind} {2 * n / ingest[kind][-1]:8.0f} arrays/s")
    for r in range(rounds):
        for kind in (("float32", "float64") if r % 2 == 0 else ("float64", "float32")):
            o = where[kind][r]
            read[kind].append(_timed(lambda: sum(1 for _ in iter_datasets(conn, observation_id=o,  # noqa: B023
                                                                          ordered=False))))
            log(f"[float32] round {r}: read {kind} {2 * n / read[kind][-1]:8.0f} arrays/s")
    pos = {t: i % len(pool32) for i, t in enumerate(targets)}
    exact, checked = True, 0
    for rec in iter_datasets(conn, observation_id=where["float32"][0], ordered=False):
        stored_pair = (rec.values if rec.values is not None else rec.values_f4,
                       rec.errors if rec.errors is not None else rec.errors_f4)
        for got, want in zip(stored_pair, pool32[pos[rec.target_id]], strict=True):
            back = np.asarray(got)
            exact = exact and back.dtype == np.float32 and back.shape == want.shape and bool(
                np.array_equal(back.view(np.uint32), want.view(np.uint32))
                and np.array_equal(np.isnan(back), np.isnan(want)))
            checked += 1
    assert checked == 2 * n, checked
    stored = 2 * n * c
    b32, b64 = _partition_bytes(conn, where["float32"][0]), _partition_bytes(conn, where["float64"][0])
    med = statistics.median
    out = {
        "float32_rows": n, "float32_cadences": c, "float32_rounds": rounds,
        "float32_nan_values": sum(int(np.isnan(pool32[i]).sum()) for i in pos.values()),
        "bytes_per_value_float32": round(b32 / stored, 3), "bytes_per_value_float64": round(b64 / stored, 3),
        "float32_ingest_arrays_per_s": round(2 * n / med(ingest["float32"]), 1),
        "float64_ingest_arrays_per_s": round(2 * n / med(ingest["float64"]), 1),
        "float32_ingest_speedup": round(med(ingest["float64"]) / med(ingest["float32"]), 3),
        "float32_read_arrays_per_s": round(2 * n / med(read["float32"]), 1),
        "float64_read_arrays_per_s": round(2 * n / med(read["float64"]), 1),
        "float32_read_speedup": round(med(read["float64"]) / med(read["float32"]), 3),
        "float32_roundtrip_exact": exact,
    }
    log(f"[float32] {out['bytes_per_value_float32']} bytes per float32 value ({out['bytes_per_value_float64']} "
        f"per float64), ingest speedup {out['float32_ingest_speedup']}, read speedup {out['float32_read_speedup']},"
        f" round trip exact: {exact}")
    return out


def _limit_rows(pool: list[Pair], groups: list[int], targets: list[int], obs: int) -> Iterator[bytes]:
    """The sector's rows as binary COPY tuples (the column types of dataset), arrays pre-encoded once."""
    types = [schema.TABLES["dataset"].column(col).type for col in _COLUMNS]
    assert types[:3] == ["int8"] * 3 and types[5] == "int8", types
    blobs = [(dump_array(v, types[3]), dump_array(e, types[4])) for v, e in pool]
    length = struct.Struct(">i").pack
    enc = [(length(len(v)) + v + length(len(e)) + e + struct.pack(">i", -1)) for v, e in blobs]
    head = struct.Struct(">hiqiqiq")
    for g in groups:
        for i, t in enumerate(targets):
            yield head.pack(6, 8, g, 8, t, 8, obs) + enc[i % len(enc)]


def _sector_rows(pool: list[Pair], groups: list[int], targets: list[int], obs: int) -> Iterator[DatasetInsert]:
    for g in groups:
        yield from _dataset_rows(pool, g, targets, obs)


def _digest(conn: Conn, obs: int, sample: list[tuple[int, int]]) -> list[tuple[Any, ...]]:
    query = sql.SQL("SELECT processing_group_id, target_id, md5(array_send(values_f4) || array_send(errors_f4)) "
                    "FROM {} "
                    "WHERE (processing_group_id, target_id) IN (SELECT * FROM unnest(%s::int8[], %s::int8[])) "
                    "ORDER BY 1, 2").format(sql.Identifier(f"dataset_o{obs}"))
    return [tuple(r) for r in conn.execute(query, [[g for g, _ in sample], [t for _, t in sample]]).fetchall()]


def _sector(conn: Conn, instrument: int, targets: list[int], groups: list[int], cfg: Config,
            log: Log) -> dict[str, Any]:
    """A synthetic sector through bulk.write and through a pre-encoded binary COPY straight into its partition."""
    c, n, groups = cfg.sector_cadences, cfg.sector_targets, groups[:cfg.sector_series]
    targets = targets[:n]
    arrays = 2 * n * len(groups)
    rng = np.random.default_rng(7)
    pool = [((5e4 + 300 * rng.standard_normal(c)).astype(np.float32), rng.random(c, dtype=np.float32))
            for _ in range(16)]
    (obs,) = _observations(conn, instrument, 1, first_sector=200, cadences=c)
    partition = sql.Identifier(f"dataset_o{obs}")
    sample = [(groups[0], targets[0]), (groups[-1], targets[-1]), *((groups[i % len(groups)], targets[i * 37 % n])
                                                                    for i in range(18))]
    copy_sql = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT BINARY)").format(
        partition, sql.SQL(", ").join(map(sql.Identifier, _COLUMNS)))

    def reset() -> None:
        conn.execute(sql.SQL("TRUNCATE {} CASCADE").format(partition))  # CASCADE: dataset_lineage references it
        conn.execute("DELETE FROM target_observation WHERE observation_id = %s", [obs])
        _checkpoint(conn)

    def bulk() -> None:
        write(conn, "dataset", _sector_rows(pool, groups, targets, obs), commit=True)

    def limit() -> None:
        with conn.transaction(), conn.cursor() as cur, cur.copy(copy_sql) as copy:
            copy.write(_SIGNATURE)
            for row in _limit_rows(pool, groups, targets, obs):
                copy.write(row)
            copy.write(_TRAILER)

    times: dict[str, list[float]] = {"bulk": [], "limit": []}
    digests: dict[str, list[tuple[Any, ...]]] = {}
    matches_server = False
    for r in range(cfg.sector_rounds):
        for kind in (("bulk", "limit") if r % 2 == 0 else ("limit", "bulk")):
            reset()
            times[kind].append(_timed(bulk if kind == "bulk" else limit))
            log(f"[sector] round {r}: {kind:5} {arrays / times[kind][-1]:8.0f} arrays/s "
                f"({times[kind][-1]:.1f} s, peak client RSS {_rss_mb():.0f} MB)")
            digests[kind] = _digest(conn, obs, sample)
            if kind == "bulk" and not matches_server:  # the limit's bytes are what the server itself sends
                g, t = groups[0], targets[0]
                out_sql = sql.SQL("COPY (SELECT {} FROM {} WHERE processing_group_id = {} AND target_id = {}) "
                                  "TO STDOUT (FORMAT BINARY)").format(
                    sql.SQL(", ").join(map(sql.Identifier, _COLUMNS)), partition, sql.Literal(g), sql.Literal(t))
                with conn.cursor() as cur, cur.copy(out_sql) as copy:
                    server = b"".join(bytes(block) for block in copy)
                ours = _SIGNATURE + next(_limit_rows(pool, [g], [t], obs)) + _TRAILER
                matches_server = server == ours
    count = int(_one(conn, sql.SQL("SELECT count(*) FROM {}").format(partition)))
    on_disk = _partition_bytes(conn, obs)
    reset()
    med = statistics.median
    out = {
        "sector_targets": n, "sector_series": len(groups), "sector_cadences": c, "sector_dtype": "float32",
        "sector_arrays": arrays, "sector_rounds": cfg.sector_rounds, "sector_rows_counted": count,
        "sector_bytes_per_value": round(on_disk / (arrays * c), 3),
        "sector_ingest_arrays_per_s": round(arrays / med(times["bulk"]), 1),
        "sector_copy_limit_arrays_per_s": round(arrays / med(times["limit"]), 1),
        "sector_ingest_ratio_to_copy_limit": round(med(times["limit"]) / med(times["bulk"]), 3),
        "sector_limit_matches_server_copy_out": matches_server,
        "sector_limit_rows_identical": digests["bulk"] == digests["limit"] and len(digests["bulk"]) > 0,
    }
    log(f"[sector] {n:,} targets x {len(groups)} series x {c:,} cadences: ours {out['sector_ingest_arrays_per_s']:.0f}"
        f" arrays/s, COPY limit {out['sector_copy_limit_arrays_per_s']:.0f} arrays/s, ratio "
        f"{out['sector_ingest_ratio_to_copy_limit']}")
    return out


def _jobs_ratio(server_dsn: str, files: list[Path], rounds: int, label: str, log: Log) -> dict[str, float]:
    """`ingest_paths(…, jobs=1)` and `jobs=2` of `files`, each run into a fresh database, alternating 1, 2, 2, 1:
    files per second of each, their ratio, and the deadlocks the server counted in the runs at two jobs."""
    from lightcurvedb.tess.ingest import ingest_paths

    times: dict[int, list[float]] = {1: [], 2: []}
    deadlocks = 0
    for r in range(rounds):
        for jobs in ((1, 2) if r % 2 == 0 else (2, 1)):
            with throwaway_database(server_dsn, prefix="lcdb_archive_jobs") as dsn:
                t0 = time.perf_counter()
                summary = ingest_paths(dsn, files, jobs=jobs)
                times[jobs].append(time.perf_counter() - t0)
                with psycopg.connect(dsn, autocommit=True) as conn:
                    conn.execute("SELECT pg_stat_clear_snapshot()")
                    if jobs == 2:
                        deadlocks += int(_one(conn, "SELECT deadlocks FROM pg_stat_database "
                                                    "WHERE datname = current_database()"))
            assert summary.count("added") == len(files), [(x.path.name, x.error) for x in summary.failed]
            log(f"[{label}] round {r}: --jobs {jobs}: {len(files) / times[jobs][-1]:6.1f} files/s")
    rate = {j: len(files) / statistics.median(ts) for j, ts in times.items()}
    return {"jobs1_files_per_s": round(rate[1], 1), "jobs2_files_per_s": round(rate[2], 1),
            "ratio": round(rate[2] / rate[1], 3), "deadlocks": deadlocks}


def _ingest_jobs(server_dsn: str, cfg: Config, log: Log) -> dict[str, Any]:
    """`lcdb ingest --jobs 1` vs `--jobs 2` (lightcurvedb.tess.ingest.ingest_paths), each run into a fresh database:
    of the same synthetic SPOC-layout files of one sector and CCD (10-minute cadence: ~3,900 rows and 10 series
    each, one observation for all), and of 64 files that each create a new observation (four sectors × 16 CCDs: a
    sector's worth of CCDs and products arriving), where every file's partitions are created while the other
    worker writes."""
    from lightcurvedb.tess.synthetic import SyntheticTarget, write_file

    rng = np.random.default_rng(11)
    with tempfile.TemporaryDirectory(prefix="lcdb_archive_jobs") as tmp:
        files = [write_file(SyntheticTarget(700_000_000 + i, (20,), 1, 1, 1000.0 + i), 20, Path(tmp), rng)
                 for i in range(cfg.jobs_files)]
        one = _jobs_ratio(server_dsn, files, cfg.jobs_rounds, "jobs", log)
        (Path(tmp) / "new").mkdir()
        fresh = [write_file(SyntheticTarget(720_000_000 + 100 * sector + 10 * camera + ccd, (sector,), camera, ccd,
                                            1000.0 + ccd), sector, Path(tmp) / "new", rng)
                 for sector in (21, 22, 23, 24) for camera in (1, 2, 3, 4) for ccd in (1, 2, 3, 4)]
        new = _jobs_ratio(server_dsn, fresh, max(2, cfg.jobs_rounds), "new sector", log)
    return {"ingest_jobs_files": len(files), "ingest_jobs1_files_per_s": one["jobs1_files_per_s"],
            "ingest_jobs2_files_per_s": one["jobs2_files_per_s"], "ingest_jobs2_ratio": one["ratio"],
            "ingest_new_sector_files": len(fresh), "ingest_new_sector_jobs1_files_per_s": new["jobs1_files_per_s"],
            "ingest_new_sector_jobs2_files_per_s": new["jobs2_files_per_s"],
            "ingest_jobs2_new_sector_ratio": new["ratio"], "ingest_jobs2_new_sector_deadlocks": new["deadlocks"]}


def _bulk_workers(server_dsn: str, cfg: Config, log: Log) -> dict[str, Any]:
    """`bulk.write(dsn, "dataset", rows, workers=2)` vs one writer (workers=None) of the same float32 rows (values
    and errors of 13,000 cadences per target, one observation each run), alternating one, two, two, one: arrays
    per second with two worker processes ÷ with one writer."""
    with throwaway_database(server_dsn, prefix="lcdb_archive_workers") as dsn:
        with contextlib.closing(lightcurvedb.connect(dsn)) as conn:
            instrument, targets, groups = _setup(conn, cfg.workers_targets, 1)
            obs = _observations(conn, instrument, 4, first_sector=1, cadences=13_000)
        rng = np.random.default_rng(5)
        pool = [(rng.standard_normal(13_000).astype(np.float32), rng.random(13_000).astype(np.float32))
                for _ in range(8)]
        times: dict[str, list[float]] = {"one": [], "two": []}
        for o, kind in zip(obs, ("one", "two", "two", "one"), strict=True):
            rows = ({"processing_group_id": groups[0], "target_id": t, "observation_id": o,
                     "values": pool[i % 8][0], "errors": pool[i % 8][1]} for i, t in enumerate(targets))
            workers = 2 if kind == "two" else None
            times[kind].append(_timed(lambda: write(dsn, "dataset", rows, commit=True,  # noqa: B023
                                                    workers=workers)))  # noqa: B023
            log(f"[workers] {kind}: {2 * len(targets) / times[kind][-1]:7.0f} arrays/s")
    rate = {k: 2 * len(targets) / statistics.median(ts) for k, ts in times.items()}
    return {"bulk_workers_arrays": 2 * len(targets), "bulk_workers1_arrays_per_s": round(rate["one"], 1),
            "bulk_workers2_arrays_per_s": round(rate["two"], 1),
            "bulk_workers2_ratio": round(rate["two"] / rate["one"], 3)}


def _data(server_dsn: str, cfg: Config, log: Log) -> dict[str, Any]:
    """Busy target, float32 and sector measurements in one throwaway database of full-length observations."""
    with throwaway_database(server_dsn, prefix="lcdb_archive_data") as dsn, \
            contextlib.closing(lightcurvedb.connect(dsn)) as conn:
        n = max(cfg.sector_targets, cfg.float32_rows) + 1
        instrument, targets, groups = _setup(conn, n, max(cfg.busy_groups, cfg.sector_series))
        out = _sector(conn, instrument, targets[1:], groups, cfg, log)
        out["sector_peak_client_rss_mb"] = round(_rss_mb(), 1)  # first in this process to write full arrays
        out.update(_busy(conn, instrument, targets[0], groups[:cfg.busy_groups], cfg, log))
        out.update(_float32(conn, instrument, targets[1:], groups[0], cfg, log))
    return out


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def run(cfg: Config, quick: bool, server_dsn: str, log: Log) -> dict[str, Any]:
    """Run every measurement on throwaway databases of `server_dsn`'s server; return the figures."""
    with psycopg.connect(server_dsn) as conn:
        server_version = str(_one(conn, "SHOW server_version"))
        locks = int(_one(conn, "SHOW max_locks_per_transaction"))
    out: dict[str, Any] = {"quick": quick, "server_version": server_version,
                           "server_max_locks_per_transaction": locks}
    log(f"PostgreSQL {server_version}, max_locks_per_transaction = {locks}; sizes {asdict(cfg)}")
    out.update(_growth(server_dsn, cfg, log))
    out.update(_data(server_dsn, cfg, log))
    out.update(_ingest_jobs(server_dsn, cfg, log))
    out.update(_bulk_workers(server_dsn, cfg, log))
    out["peak_client_rss_mb"] = round(_rss_mb(), 1)
    add_goals(out, GOALS)
    return out


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments, run the benchmark, print the figures (with --json: one JSON object on stdout)."""
    parser = arguments("python -m benchmarks.archive", __doc__,
                       quick="20 -> 500 observations, a 2,000-target single-series sector (a few minutes)")
    parser.add_argument("--observations-large", type=int, help="observations at the large stage (quick 500, full 2000)")
    parser.add_argument("--sector-targets", type=int, help="targets of the synthetic sector (quick 2000, full 20000)")
    parser.add_argument("--sector-series", type=int, help="processing groups per sector target (quick 1, full 10)")
    parser.add_argument("--sector-cadences", type=int, help="cadences of the sector (default 13000)")
    args = parser.parse_args(argv)
    cfg = Config.make(args.quick)
    overrides = {"observations_large": args.observations_large, "sector_targets": args.sector_targets,
                 "sector_series": args.sector_series, "sector_cadences": args.sector_cadences}
    cfg = Config(**{**asdict(cfg), **{k: v for k, v in overrides.items() if v is not None}})
    if cfg.observations_large <= cfg.observations_small or not 1 <= cfg.sector_series <= 10:
        parser.error("need observations_large > 20 and 1 <= sector_series <= 10")

    return measure(args.json, lambda log: run(cfg, bool(args.quick), args.dsn, log))

if __name__ == "__main__":
    sys.exit(main())
