"""Reliability harness shared by the tests of tests/reliability and its full run (python -m tests.reliability).

Workers run as separate processes (`python _harness.py <command> …`, JSON on the last stdout line) so that
they can be SIGKILLed. The checks read the database only through SQL and compare with a clean reference.

What "consistent" means here (checked by `integrity`):

* every dataset / target_specific_time / quality_flag_array array has its observation's `cadence_count`
  elements and `errors` has the length of `values`;
* no natural key is stored twice; nothing sits in a `_default` partition;
* no orphans: a `tess_observation` without its `observation`, an `observation` of type 'tess_observation'
  without its `tess_observation` row, an observation without its three partitions;
* no half-written file: for a (target, observation) pair, datasets, target times and base quality flags are
  written in one transaction, so either all three exist or none does.

Accepted (reported as `keys_only_observations`, not a failure): an observation created by the short "keys"
transaction whose data transaction never committed (the writer died between the two). It holds no data, and
re-running the ingest finds it (natural key: sector, CCD, cadence grid) and completes it; after a completed
re-run there must be none left (`keys_only_observations == 0` is then checked).
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import psycopg

HERE = Path(__file__).resolve()

# --- integrity and fingerprints -------------------------------------------------------------------------

_PROBLEMS: dict[str, str] = {
    "dataset_length": """
        SELECT count(*) FROM dataset d JOIN observation o ON o.id = d.observation_id
        WHERE cardinality(d."values") <> o.cadence_count OR cardinality(d.errors) <> cardinality(d."values")""",
    "time_length": """
        SELECT count(*) FROM target_specific_time t JOIN observation o ON o.id = t.observation_id
        WHERE cardinality(t.barycentric_julian_dates) <> o.cadence_count""",
    "flag_length": """
        SELECT count(*) FROM quality_flag_array q JOIN observation o ON o.id = q.observation_id
        WHERE cardinality(q.quality_flags) <> o.cadence_count""",
    "duplicate_dataset": """
        SELECT count(*) FROM (SELECT 1 FROM dataset GROUP BY processing_group_id, target_id, observation_id
                              HAVING count(*) > 1) x""",
    "duplicate_time": """
        SELECT count(*) FROM (SELECT 1 FROM target_specific_time GROUP BY target_id, observation_id
                              HAVING count(*) > 1) x""",
    "duplicate_flags": """
        SELECT count(*) FROM (SELECT 1 FROM quality_flag_array GROUP BY type, observation_id, target_id
                              HAVING count(*) > 1) x""",
    "duplicate_target": """
        SELECT count(*) FROM (SELECT 1 FROM target GROUP BY catalog_id, name HAVING count(*) > 1) x""",
    "duplicate_tess_observation": """
        SELECT count(*) FROM (SELECT 1 FROM observation o JOIN tess_observation t ON t.id = o.id
                              GROUP BY t.sector, o.instrument_id, o.cadence_reference HAVING count(*) > 1) x""",
    "default_partition_rows": """
        SELECT (SELECT count(*) FROM dataset_default) + (SELECT count(*) FROM target_specific_time_default)
             + (SELECT count(*) FROM quality_flag_array_default)""",
    "tess_observation_without_observation": """
        SELECT count(*) FROM tess_observation t LEFT JOIN observation o ON o.id = t.id WHERE o.id IS NULL""",
    "observation_without_subtype_row": """
        SELECT count(*) FROM observation o LEFT JOIN tess_observation t ON t.id = o.id
        WHERE o.type = 'tess_observation' AND t.id IS NULL""",
    "observation_without_partitions": """
        SELECT count(*) FROM observation o
        WHERE (SELECT count(*) FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace AND c.relname IN
               ('dataset_o' || o.id, 'target_specific_time_o' || o.id, 'quality_flag_array_o' || o.id)) <> 3""",
    "half_written_pair": """
        WITH p AS (SELECT target_id, observation_id FROM dataset
                   UNION SELECT target_id, observation_id FROM target_specific_time
                   UNION SELECT target_id, observation_id FROM quality_flag_array WHERE target_id IS NOT NULL)
        SELECT count(*) FROM p
        WHERE NOT EXISTS (SELECT 1 FROM dataset d WHERE d.target_id = p.target_id
                          AND d.observation_id = p.observation_id)
           OR NOT EXISTS (SELECT 1 FROM target_specific_time t WHERE t.target_id = p.target_id
                          AND t.observation_id = p.observation_id)
           OR NOT EXISTS (SELECT 1 FROM quality_flag_array q WHERE q.target_id = p.target_id
                          AND q.observation_id = p.observation_id AND q.type = 'base_quality_flag')""",
}

_KEYS_ONLY = """
    SELECT count(*) FROM observation o
    WHERE NOT EXISTS (SELECT 1 FROM dataset d WHERE d.observation_id = o.id)
      AND NOT EXISTS (SELECT 1 FROM target_specific_time t WHERE t.observation_id = o.id)"""


def integrity(dsn: str, *, fits_pairs: bool = True) -> dict[str, int]:
    """Counts of every kind of inconsistency (all must be 0), plus `keys_only_observations` and `rows_checked`.

    `fits_pairs=False` skips the all-or-nothing check of (target, observation) pairs (bulk-API workloads
    write datasets alone)."""
    out: dict[str, int] = {}
    with psycopg.connect(dsn, autocommit=True) as conn:
        for name, query in _PROBLEMS.items():
            if name == "half_written_pair" and not fits_pairs:
                continue
            row = conn.execute(query).fetchone()  # type: ignore[arg-type]
            out[name] = int(row[0]) if row else -1
        row = conn.execute(_KEYS_ONLY).fetchone()
        out["keys_only_observations"] = int(row[0]) if row else -1
        row = conn.execute("SELECT (SELECT count(*) FROM dataset) + (SELECT count(*) FROM target_specific_time)"
                           " + (SELECT count(*) FROM quality_flag_array)").fetchone()
        out["rows_checked"] = int(row[0]) if row else 0
    return out


def problems(report: dict[str, int], *, allow_keys_only: bool) -> dict[str, int]:
    """The nonzero failure counts of an `integrity` report."""
    bad = {k: v for k, v in report.items() if k not in ("rows_checked", "keys_only_observations") and v != 0}
    if not allow_keys_only and report.get("keys_only_observations", 0) != 0:
        bad["keys_only_observations"] = report["keys_only_observations"]
    return bad


_FINGERPRINT = """
SELECT 'D', t.name, x.sector, i.name, o.cadence_count, g.name, md5(d."values"::text), md5(d.errors::text)
FROM dataset d JOIN target t ON t.id = d.target_id JOIN observation o ON o.id = d.observation_id
JOIN tess_observation x ON x.id = o.id JOIN instrument i ON i.id = o.instrument_id
JOIN processing_group g ON g.id = d.processing_group_id
UNION ALL
SELECT 'T', t.name, x.sector, i.name, o.cadence_count, '', md5(s.barycentric_julian_dates::text), ''
FROM target_specific_time s JOIN target t ON t.id = s.target_id JOIN observation o ON o.id = s.observation_id
JOIN tess_observation x ON x.id = o.id JOIN instrument i ON i.id = o.instrument_id
UNION ALL
SELECT 'Q', t.name, x.sector, i.name, o.cadence_count, q.type, md5(q.quality_flags::text), ''
FROM quality_flag_array q LEFT JOIN target t ON t.id = q.target_id JOIN observation o ON o.id = q.observation_id
JOIN tess_observation x ON x.id = o.id JOIN instrument i ON i.id = o.instrument_id
UNION ALL
SELECT 'O', NULL, x.sector, i.name, o.cadence_count, md5(o.cadence_reference::text), '', ''
FROM observation o JOIN tess_observation x ON x.id = o.id JOIN instrument i ON i.id = o.instrument_id
UNION ALL
SELECT 'G', NULL, NULL, g.name, NULL, s.name, m.name, ''
FROM processing_group g JOIN photometric_source s ON s.id = g.photometric_source_id
JOIN detrending_method m ON m.id = g.detrending_method_id
UNION ALL
SELECT 'I', NULL, NULL, name, NULL, properties::text, '', '' FROM instrument
UNION ALL
SELECT 'M', NULL, NULL, name, NULL, '', '', '' FROM mission
"""


def fingerprint(dsn: str) -> tuple[dict[str, int], str]:
    """Row counts per kind and a digest of every stored lightcurve by natural key (ids excluded)."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        rows = sorted(tuple("" if v is None else str(v) for v in r) for r in conn.execute(_FINGERPRINT))
        counts = {}
        for table in ("mission", "mission_catalog", "target", "instrument", "photometric_source",
                      "detrending_method", "processing_group", "observation", "tess_observation", "dataset",
                      "target_specific_time", "quality_flag_array"):
            row = conn.execute(f"SELECT count(*) FROM {table}").fetchone()
            counts[table] = int(row[0]) if row else -1
    digest = hashlib.sha256(repr(rows).encode()).hexdigest()
    return counts, digest


# --- bulk-API workload -----------------------------------------------------------------------------------

def dataset_arrays(key: tuple[int, int, int], n: int, writer: int) -> tuple[np.ndarray, np.ndarray]:
    """Values of key × writer, errors = values / 2 exactly (a reader can check a row is not mixed)."""
    g, t, o = key
    values = np.arange(n, dtype=np.float64) * 1e-3 + (g * 1_000_000 + t * 1000 + o) + writer * 0.125
    return values, values / 2


def bulk_keys(conn: psycopg.Connection[Any], *, targets: int, sectors: int, groups: int,
              cadences: int) -> tuple[list[tuple[int, int, int]], dict[int, int]]:
    """Get or create the reference rows the way concurrent pipeline workers do; return dataset keys.

    Every worker calls this at the same time: mission/catalog/instrument go through tess.reference's get-or-create,
    targets through `get_or_create_target`, processing groups through `get_or_create_processing_group`, the
    observations (sector s, CCD 1.1, one grid) through ingest's advisory-locked find-or-create."""
    from lightcurvedb.queries import processing
    from lightcurvedb.queries import targets as target_queries
    from lightcurvedb.tess import ingest, reference

    with conn.transaction():
        ref = reference.ensure_reference(conn)
    tids = []
    for i in range(targets):
        with conn.transaction():
            tids.append(int(target_queries.get_or_create_target(
                conn, catalog_id=ref.catalog_id, name=700_000_000 + i).id))
    gids = []
    for j in range(groups):
        with conn.transaction():
            gids.append(int(processing.get_or_create_processing_group(
                conn, source_name=f"rel source {j % 2}", method_name=f"rel method {j}", name=f"rel group {j}").id))
    oids: dict[int, int] = {}
    for s in range(sectors):
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s, 0)", [ingest.LOCK_NAMESPACE])
            ccd = reference.ensure_ccd(conn, ref, 1, 1)
            grid = np.arange(cadences, dtype=np.int64) + 10_000 * (s + 1)
            class _LC:  # the attributes ingest._observation reads
                sector = 100 + s
                cadences = grid
                derived_cadence_seconds = None
            oid, _new = ingest._observation(conn, _LC, ccd)  # type: ignore[arg-type]
            oids[oid] = cadences
    keys = [(g, t, o) for g in gids for t in tids for o in oids]
    return keys, oids


def _wait_until(start_at: float) -> None:
    delay = start_at - time.time()
    if delay > 0:
        time.sleep(delay)


def cmd_bulk_writer(dsn: str, writer: int, mode: str, targets: int, sectors: int, groups: int, cadences: int,
                    batch: int, start_at: float) -> dict[str, Any]:
    """One pipeline worker: get-or-create the keys, then write its overlapping share of datasets."""
    import lightcurvedb
    from lightcurvedb import bulk
    from lightcurvedb.errors import DuplicateKey, LightcurveDBError

    _wait_until(start_at)
    out: dict[str, Any] = {"writer": writer, "mode": mode, "inserted": 0, "skipped": 0, "replaced": 0,
                           "retries": 0, "committed": [], "duplicates": 0, "errors": []}
    with lightcurvedb.connect(dsn, check_schema=False) as conn:
        keys, cadence_of = bulk_keys(conn, targets=targets, sectors=sectors, groups=groups, cadences=cadences)
        conn.commit()
        mine = [k for i, k in enumerate(keys) if (i + writer) % 4 != 0]  # each key: 3 of 4 writers
        if mode != "insert":
            random.Random(writer).shuffle(mine)
        offset = (writer * batch) // 3  # batches of different writers overlap partially
        chunks = [mine[:offset]] if offset else []
        chunks += [mine[i:i + batch] for i in range(offset, len(mine), batch)]
        for chunk in chunks:
            rows = [(*k, *dataset_arrays(k, cadence_of[k[2]], writer if mode == "replace" else 0)) for k in chunk]
            try:
                r = bulk.write(conn, "dataset", rows, mode=mode, batch_size=len(rows) or 1, commit=True)  # type: ignore[arg-type]
            except DuplicateKey:
                out["duplicates"] += 1
                conn.rollback()
                continue
            except (LightcurveDBError, psycopg.Error) as exc:
                out["errors"].append(f"{type(exc).__name__}: {exc}")
                conn.rollback()
                continue
            out["inserted"] += r.inserted
            out["skipped"] += r.skipped
            out["replaced"] += r.replaced
            out["retries"] += r.retries
            out["committed"].append([list(k) for k in chunk])
        out["keys"] = [list(k) for k in keys]
        out["mine"] = len(mine)
    return out


def cmd_reader(dsn: str, stop_file: str, bulk_family: bool) -> dict[str, Any]:
    """Stream every dataset over and over until `stop_file` exists; check each row is complete (and, for the
    bulk workload's rows, that errors == values / 2: values and errors of one writer, never mixed)."""
    import lightcurvedb
    from lightcurvedb import bulk

    out: dict[str, Any] = {"scans": 0, "rows": 0, "bad": []}
    with lightcurvedb.connect(dsn, check_schema=False, autocommit=True) as conn:
        while True:
            last = os.path.exists(stop_file)
            with conn.transaction():  # one snapshot for the cadence counts and the stream
                conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                counts = dict(conn.execute("SELECT id, cadence_count FROM observation").fetchall())
                seen = set()
                for row in bulk.iter_datasets(conn, ordered=False):
                    out["rows"] += 1
                    key = (row.processing_group_id, row.target_id, row.observation_id)
                    n = counts.get(row.observation_id)
                    if key in seen:
                        out["bad"].append(f"duplicate {key}")
                    seen.add(key)
                    values = row.values if row.values is not None else row.values_f4  # float8 or real[]
                    errors = row.errors if row.errors is not None else row.errors_f4
                    if values is None or errors is None:
                        out["bad"].append(f"no values or errors {key}")
                    elif n is None or values.size != n or errors.size != n:
                        out["bad"].append(f"length {key}: {values.size}/{errors.size} vs {n}")
                    elif bulk_family and not np.array_equal(errors, values / 2):
                        out["bad"].append(f"mixed values/errors {key}")
            out["scans"] += 1
            if last:
                break
    return out


def cmd_ingest(dsn: str, files: Sequence[str], jobs: int, start_at: float, ready: bool = False) -> dict[str, Any]:
    """Ingest `files` (lightcurvedb.tess.ingest.ingest_paths) and report per-status counts."""
    from lightcurvedb.tess import ingest

    if ready:
        print("READY", flush=True)
    _wait_until(start_at)
    summary = ingest.ingest_paths(dsn, files, jobs=jobs)
    return {"added": summary.count("added"), "skipped": summary.count("skipped"),
            "retries": sum(r.retries for r in summary.results),
            "failed": [f"{r.path.name}: [{r.error_type}] {r.error}" for r in summary.failed]}


def run_json(argv: list[str], timeout: float = 300) -> dict[str, Any]:
    """Run a harness command in a new Python process; its result (last stdout line, JSON)."""
    import subprocess

    done = subprocess.run([sys.executable, str(HERE), *argv], capture_output=True, text=True, timeout=timeout,
                          check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{argv[0]} exited {done.returncode}: {done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def popen(argv: list[str], **kwargs: Any) -> Any:
    """Start a harness command in a new process (its own session, so a kill reaches its pool workers)."""
    import subprocess

    return subprocess.Popen([sys.executable, str(HERE), *argv], start_new_session=True, text=True, **kwargs)


# --- faults -------------------------------------------------------------------------------------------

def _start_ingest(dsn: str, files: Sequence[Path], jobs: int) -> Any:
    import subprocess

    proc = popen(["ingest", dsn, str(jobs), "0", "1", *map(str, files)], stdout=subprocess.PIPE,
                 stderr=subprocess.DEVNULL)
    line = proc.stdout.readline()  # "READY": the interpreter has imported everything, the ingest starts now
    if line.strip() != "READY":
        raise RuntimeError(f"ingest worker did not start: {line!r}")
    return proc


def _complete_and_compare(dsn: str, files: Sequence[Path], reference: tuple[dict[str, int], str],
                          run: dict[str, Any]) -> dict[str, Any]:
    from lightcurvedb.tess.ingest import ingest_paths

    after = integrity(dsn)
    run["after_kill"] = {k: v for k, v in after.items() if v}
    run["keys_only_observations"] = after["keys_only_observations"]
    run["rows_checked"] = after["rows_checked"]
    run["failures"] = [f"after kill: {k}={v}" for k, v in problems(after, allow_keys_only=True).items()]
    summary = ingest_paths(dsn, files)  # re-run the same ingest to completion
    run["rerun_failed"] = [f"{r.path.name}: [{r.error_type}] {r.error}" for r in summary.failed]
    run["failures"] += [f"re-run: {f}" for f in run["rerun_failed"]]
    final = integrity(dsn)
    run["rows_checked"] += final["rows_checked"]
    run["failures"] += [f"after re-run: {k}={v}" for k, v in problems(final, allow_keys_only=False).items()]
    counts, digest = fingerprint(dsn)
    if (counts, digest) != reference:
        diff = {k: (counts.get(k), reference[0].get(k)) for k in reference[0] if counts.get(k) != reference[0][k]}
        run["failures"].append(f"re-run differs from the clean reference: counts {diff}, digest equal "
                               f"{digest == reference[1]}")
    return run


def kill_client_run(dsn: str, files: Sequence[Path], reference: tuple[dict[str, int], str], *, delay: float,
                    jobs: int = 1) -> dict[str, Any]:
    """SIGKILL an ingest process (and its pool workers) `delay` s after it starts; check; re-run; compare."""
    import signal

    proc = _start_ingest(dsn, files, jobs)
    time.sleep(delay)
    alive = proc.poll() is None
    if alive:
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)
    run: dict[str, Any] = {"kind": "client", "delay": round(delay, 3), "jobs": jobs, "killed": alive}
    return _complete_and_compare(dsn, files, reference, run)


def postmaster_pid(data: Path) -> int:
    """The postmaster's pid from its data directory's postmaster.pid."""
    return int((data / "postmaster.pid").read_text().splitlines()[0])


def kill_server_run(lay: Any, dsn: str, files: Sequence[Path], reference: tuple[dict[str, int], str], *,
                    delay: float, jobs: int = 1) -> dict[str, Any]:
    """SIGKILL the embedded server's postmaster `delay` s into an ingest; `embedded.start` it again; check;
    re-run the ingest; compare with the clean reference."""
    import signal
    import subprocess

    from lightcurvedb import embedded

    proc = _start_ingest(dsn, files, jobs)
    time.sleep(delay)
    ingest_alive = proc.poll() is None
    os.kill(postmaster_pid(lay.data), signal.SIGKILL)
    try:
        proc.wait(timeout=60)  # its connection is gone: the ingest reports failed files and ends
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    started = time.monotonic()
    embedded.start(lay)
    run: dict[str, Any] = {"kind": "server", "delay": round(delay, 3), "jobs": jobs, "killed": ingest_alive,
                           "restart_seconds": round(time.monotonic() - started, 2)}
    return _complete_and_compare(dsn, files, reference, run)


def main(argv: list[str]) -> int:
    cmd, args = argv[0], argv[1:]
    if cmd == "bulk-writer":
        dsn, writer, mode, targets, sectors, groups, cadences, batch, start_at = args
        result = cmd_bulk_writer(dsn, int(writer), mode, int(targets), int(sectors), int(groups), int(cadences),
                                 int(batch), float(start_at))
    elif cmd == "reader":
        result = cmd_reader(args[0], args[1], args[2] == "bulk")
    elif cmd == "ingest":
        dsn, jobs, start_at, ready, *files = args
        result = cmd_ingest(dsn, files, int(jobs), float(start_at), ready == "1")
    else:
        raise SystemExit(f"unknown command {cmd}")
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
