"""Benchmark: bulk ingest and streaming reads of 13,000-cadence lightcurves against PostgreSQL's own binary COPY."""

from __future__ import annotations

import contextlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import psycopg

import lightcurvedb
from benchmarks._setup import populate
from lightcurvedb.bulk import iter_datasets, write
from lightcurvedb.lightcurve import load_lightcurves
from lightcurvedb.scratch import throwaway_database

DEFAULT_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"


@dataclass(frozen=True)
class Config:
    """Workload size."""

    targets: int
    cadences: int
    rounds: int
    list_rows: int
    fetches: int

    @classmethod
    def make(cls, quick: bool) -> Config:
        """The --quick (< 60 s) or the full workload."""
        if quick:
            return cls(targets=300, cadences=13_000, rounds=4, list_rows=40, fetches=200)
        return cls(targets=2_000, cadences=13_000, rounds=3, list_rows=100, fetches=500)


def _lightcurves(pg: int, targets: list[int], obs: int, cadences: int, seed: int) -> Iterator[tuple[Any, ...]]:
    """A lazy stream of (group, target, observation, values, errors) rows of random float64 data.

    The arrays cycle through a pool of 16 pre-generated ones, so that the timed writer pays for writing,
    not for generating random numbers (~0.3 ms per row, which the COPY baselines do not pay either).
    """
    rng = np.random.default_rng(seed)
    pool = [(rng.standard_normal(cadences), rng.random(cadences)) for _ in range(16)]
    for i, t in enumerate(targets):
        values, errors = pool[i % len(pool)]
        yield pg, t, obs, values, errors


def _timed(fn: Callable[[], Any]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def _psql(dsn: str, command: str) -> float:
    """Wall time of one psql meta-command (\\copy), psql start-up included (a few ms)."""
    t0 = time.perf_counter()
    subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", dsn, "-c", command], check=True,
                   stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


def _checkpoint(conn: psycopg.Connection[Any]) -> None:
    """Flush dirty buffers so that no timed phase pays for an earlier phase's checkpoint."""
    with contextlib.suppress(psycopg.Error):
        conn.execute("CHECKPOINT")


def _list_path(dsn: str, pg: int, targets: list[int], obs: int, cadences: int) -> float:
    """psycopg executemany with Python lists (no NumPy adapters): seconds for len(targets) rows."""
    rows = [(pg, t, obs, v.tolist(), e.tolist()) for pg, t, obs, v, e in _lightcurves(pg, targets, obs, cadences, 9)]
    with psycopg.connect(dsn) as raw:
        t0 = time.perf_counter()
        with raw.cursor() as cur:
            cur.executemany("INSERT INTO dataset (processing_group_id, target_id, observation_id, \"values\", errors)"
                            " VALUES (%s, %s, %s, %s, %s)", rows)
        raw.commit()
        return time.perf_counter() - t0


def _list_copy_path(dsn: str, pg: int, targets: list[int], obs: int, cadences: int) -> float:
    """Binary COPY of Python lists (psycopg's best list path, for reference): seconds for len(targets) rows."""
    rows = [(pg, t, obs, v.tolist(), e.tolist()) for pg, t, obs, v, e in _lightcurves(pg, targets, obs, cadences, 9)]
    with psycopg.connect(dsn) as raw:
        t0 = time.perf_counter()
        with raw.cursor() as cur, cur.copy("COPY dataset (processing_group_id, target_id, observation_id, "
                                           "\"values\", errors) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(["int8", "int8", "int8", "float8[]", "float8[]"])
            for row in rows:
                copy.write_row(row)
        raw.commit()
        return time.perf_counter() - t0


_STREAM_RSS = """
import resource, sys
import lightcurvedb
from lightcurvedb.bulk import iter_datasets

def peak_mb():
    # VmHWM: this process's own peak RSS (ru_maxrss would inherit the parent's peak across fork+exec)
    try:
        with open("/proc/self/status") as f:
            return next(int(l.split()[1]) for l in f if l.startswith("VmHWM:")) / 1024
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

with lightcurvedb.connect(sys.argv[1]) as conn:
    base = peak_mb()
    n = 0
    for row in iter_datasets(conn, ordered=False):
        n += row.values.shape[0] > 0
    peak = peak_mb()
print(n, f"{peak:.1f}", f"{base:.1f}")
"""
"""Subprocess: stream every dataset (importing only what a reader needs); print rows, peak and baseline RSS."""


def run(quick: bool, server_dsn: str, log: Callable[[str], None]) -> dict[str, Any]:
    """Run the whole benchmark on a throwaway database; return the figures."""
    cfg = Config.make(quick)
    n, c = cfg.targets, cfg.cadences
    out: dict[str, Any] = {"targets": n, "cadences": c, "rounds": cfg.rounds}
    tmp = Path(tempfile.mkdtemp(prefix="lcdb-bench-"))
    tmp.chmod(0o755)  # the server-side COPY baseline reads its file as the server's user
    with contextlib.ExitStack() as cleanup:
        cleanup.callback(shutil.rmtree, tmp, ignore_errors=True)
        return _run(cfg, server_dsn, tmp, out, log)


def _run(cfg: Config, server_dsn: str, tmp: Path, out: dict[str, Any], log: Callable[[str], None]) -> dict[str, Any]:
    n, c = cfg.targets, cfg.cadences
    with throwaway_database(server_dsn, prefix="lcdb_bench") as dsn:
        conn = lightcurvedb.connect(dsn)
        w = populate(conn, targets=n + 50, observations=3 * cfg.rounds + 4, cadences=c)
        conn.commit()
        conn.autocommit = True
        pg, obs = w["processing_group_id"], list(w["observation_ids"])
        targets, single = w["target_ids"][:n], w["target_ids"][n:]  # `single`: one observation each (typical)
        ours: list[float] = []
        copy_in: list[float] = []
        server_in: list[float] = []
        first_obs = obs[0]
        for r in range(cfg.rounds):
            o_ours, o_copy, o_srv = obs.pop(0), obs.pop(0), obs.pop(0)
            _checkpoint(conn)
            ours.append(_timed(partial(write, conn, "dataset", _lightcurves(pg, targets, o_ours, c, r),
                                       mode="insert", commit=True)))
            log(f"round {r}: ours (direct binary COPY) {2 * n / ours[-1]:8.0f} arrays/s")
            path, spath = tmp / f"in{r}.bin", tmp / f"srv{r}.bin"
            for target_obs, file in ((o_copy, path), (o_srv, spath)):
                subprocess.run(["psql", "-X", "-q", dsn, "-c",
                                f"\\copy (SELECT processing_group_id, target_id, {target_obs}::int8, \"values\", "
                                f"errors FROM dataset WHERE observation_id = {o_ours}) TO '{file}' "
                                "WITH (FORMAT binary)"],
                               check=True, stdout=subprocess.DEVNULL)
            _checkpoint(conn)
            copy_in.append(_psql(dsn, "\\copy dataset (processing_group_id, target_id, observation_id, \"values\", "
                                      f"errors) FROM '{path}' WITH (FORMAT binary)"))
            log(f"round {r}: psql binary \\copy FROM file (client) {2 * n / copy_in[-1]:8.0f} arrays/s")
            _checkpoint(conn)
            try:  # the server reads the file itself, straight into the partition: no client, no routing
                server_in.append(_psql(dsn, f"COPY dataset_o{o_srv} (processing_group_id, target_id, observation_id,"
                                            f" \"values\", errors) FROM '{spath}' WITH (FORMAT binary)"))
                log(f"round {r}: server-side COPY FROM file {2 * n / server_in[-1]:8.0f} arrays/s")
            except subprocess.CalledProcessError:
                log("server-side COPY FROM file not possible (remote server or no file access): skipped")
            path.unlink()
            spath.unlink()
        t_rerun = _timed(partial(write, conn, "dataset", _lightcurves(pg, targets, first_obs, c, 0),
                                 mode="skip", commit=True))
        log(f"idempotent re-run (mode='skip', all rows present) {2 * n / t_rerun:8.0f} arrays/s")
        o_par = obs.pop(0)
        _checkpoint(conn)
        t_par = _timed(lambda: write(dsn, "dataset", _lightcurves(pg, targets, o_par, c, 7), workers=2,
                                     commit=True))
        log(f"parallel (2 workers, spawn start-up included) {2 * n / t_par:8.0f} arrays/s")
        _checkpoint(conn)
        o_list = obs.pop(0)
        t_list = _list_path(dsn, pg, targets[:cfg.list_rows], o_list, c)
        log(f"psycopg executemany with Python lists {2 * cfg.list_rows / t_list:8.0f} arrays/s")
        t_list_copy = _list_copy_path(dsn, pg, targets[:cfg.list_rows], obs.pop(0), c)
        log(f"psycopg binary COPY with Python lists {2 * cfg.list_rows / t_list_copy:8.0f} arrays/s")
        # times and flags for the fetch benchmark
        rng = np.random.default_rng(3)
        write(conn, "dataset", _lightcurves(pg, single, first_obs, c, 11), commit=True)
        write(conn, "target_specific_time", ((t, first_obs, 1325.0 + np.arange(c) / 720.0) for t in targets + single),
              commit=True)
        write(conn, "quality_flag_array", [(None, first_obs, None, rng.integers(0, 4, c, dtype=np.int32))],
              commit=True)
        reads, copy_out = [], []
        for r in range(cfg.rounds):
            reads.append(_timed(lambda: sum(1 for _ in iter_datasets(conn, observation_id=first_obs, ordered=False))))
            path = tmp / "out.bin"
            copy_out.append(_psql(dsn, "\\copy (SELECT id, processing_group_id, target_id, observation_id, "
                                       f"\"values\", errors FROM dataset WHERE observation_id = {first_obs}) "
                                       f"TO '{path}' WITH (FORMAT binary)"))
            path.unlink()
            log(f"round {r}: read ours {2 * n / reads[-1]:8.0f} arrays/s, psql \\copy TO {2 * n / copy_out[-1]:8.0f}")
        sizes = conn.execute(
            "SELECT sum(pg_total_relation_size(inhrelid)), (SELECT count(*) FROM dataset) FROM pg_inherits "
            "WHERE inhparent = 'dataset'::regclass").fetchone()
        assert sizes is not None
        stored_values = int(sizes[1]) * 2 * c
        pick = np.random.default_rng(5).choice(single, size=cfg.fetches)
        many = np.random.default_rng(6).choice(targets, size=cfg.fetches // 4)
        def fetch_ts_once(t: int) -> Any:
            return load_lightcurves(conn, t).to_timeseries()

        fetch_ts_once(int(pick[0]))
        fetch_ts = [_timed(partial(fetch_ts_once, int(t))) for t in pick]
        fetch_np = [_timed(partial(load_lightcurves, conn, int(t))) for t in pick]
        fetch_many = [_timed(partial(fetch_ts_once, int(t))) for t in many]
        loaded = [load_lightcurves(conn, int(t)) for t in pick[:50]]
        astropy_only = [_timed(lcs.to_timeseries) for lcs in loaded]  # the TimeSeries of arrays already read
        lc = fetch_ts_once(int(many[0]))
        n_obs_many = len(set(lc["observation_id"]))
        log(f"one target: {len(fetch_ts_once(int(pick[0])))} cadences (1 observation); "
            f"busy target: {len(lc)} cadences over {n_obs_many} observations")
        conn.close()
        proc = subprocess.run([sys.executable, "-c", _STREAM_RSS, dsn], check=True,
                              capture_output=True, text=True, cwd=Path(__file__).resolve().parents[1])
        streamed, peak, base = proc.stdout.split()
    med = statistics.median
    limit_in = min(med(copy_in), med(server_in)) if server_in else med(copy_in)  # the faster COPY is the limit
    out.update({
        "ingest_arrays_per_s": round(2 * n / med(ours), 1),
        "copy_in_client_arrays_per_s": round(2 * n / med(copy_in), 1),
        "copy_in_server_side_arrays_per_s": round(2 * n / med(server_in), 1) if server_in else None,
        "copy_in_limit_arrays_per_s": round(2 * n / limit_in, 1),
        "ingest_ratio_to_copy_limit": round(limit_in / med(ours), 3),
        "ingest_parallel2_ratio_to_copy_limit": round(limit_in / t_par, 3),
        "skip_rerun_arrays_per_s": round(2 * n / t_rerun, 1),
        "list_path_arrays_per_s": round(2 * cfg.list_rows / t_list, 1),
        "ingest_speedup_vs_list_path": round((2 * n / med(ours)) / (2 * cfg.list_rows / t_list), 2),
        "list_copy_path_arrays_per_s": round(2 * cfg.list_rows / t_list_copy, 1),
        "ingest_speedup_vs_list_copy_path": round((2 * n / med(ours)) / (2 * cfg.list_rows / t_list_copy), 2),
        "read_arrays_per_s": round(2 * n / med(reads), 1),
        "copy_out_limit_arrays_per_s": round(2 * n / med(copy_out), 1),
        "read_ratio_to_copy_limit": round(med(copy_out) / med(reads), 3),
        "bytes_per_value": round(int(sizes[0]) / stored_values, 3),
        "target_fetch_p50_ms": round(1000 * med(fetch_ts), 3),
        "target_timeseries_astropy_p50_ms": round(1000 * med(astropy_only), 3),
        "target_fetch_numpy_p50_ms": round(1000 * med(fetch_np), 3),
        "target_fetch_observations": 1,
        "busy_target_fetch_p50_ms": round(1000 * med(fetch_many), 3),
        "busy_target_observations": n_obs_many,
        "stream_rows": int(streamed),
        "stream_peak_rss_mb": float(peak),
        "stream_baseline_rss_mb": float(base),
    })
    return out
