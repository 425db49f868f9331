"""The full reliability run: concurrent writers and readers, kill -9 of ingests and of the server; figures.

From the repository root:

    python -m tests.reliability                                    # private embedded PostgreSQL 18
    python -m tests.reliability --kills 50 --server-kills 5 --rounds 3 --writers 4
    python -m tests.reliability --dsn postgresql://postgres@127.0.0.1:5432/postgres   # an existing server

With --dsn (a superuser DSN) every run gets a database of its own, dropped at the end; server kills need the
private embedded server and are skipped then. The bounded version of the same checks runs in CI:
`python -m pytest tests/reliability`. Exit status 1 when any failure was found.
"""

from __future__ import annotations

import argparse
import json
import random
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psycopg
from psycopg import conninfo

from lightcurvedb import embedded, scratch
from lightcurvedb.config import EmbeddedSettings
from lightcurvedb.tess.ingest import ingest_paths
from lightcurvedb.tess.synthetic import write_sample
from tests.conftest import FIRST_SET, SHARED_TESS
from tests.reliability import _harness


class Server:
    """Databases cloned from a migrated template on one server."""

    def __init__(self, admin_dsn: str) -> None:
        self.admin = admin_dsn
        self.template = scratch.create_database(admin_dsn, prefix="lcdb_relrun", migrated=True)
        self.dsns = [self.template]

    def new_db(self) -> str:
        template = str(conninfo.conninfo_to_dict(self.template)["dbname"])
        self.dsns.append(scratch.create_database(self.admin, prefix="lcdb_relrun", template=template))
        return self.dsns[-1]

    def drop_all(self) -> None:
        for dsn in self.dsns:
            scratch.drop_database(self.admin, dsn)


def bulk_round(server: Server, mode: str, writers: int, tmp: Path, figures: dict[str, Any]) -> list[str]:
    dsn = server.new_db()
    t, s, g, n, batch = 8, 3, 3, 2000, 10
    start_at = time.time() + 2.5
    procs = [_harness.popen(["bulk-writer", dsn, str(w), mode, str(t), str(s), str(g), str(n), str(batch),
                             str(start_at)], stdout=subprocess.PIPE, stderr=subprocess.PIPE) for w in range(writers)]
    stop = tmp / f"stop-{secrets.token_hex(3)}"
    rd = _harness.popen(["reader", dsn, str(stop), "bulk"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    failures, results = [], []
    for p in procs:
        out, err = p.communicate(timeout=600)
        if p.returncode:
            failures.append(f"bulk {mode}: writer exited {p.returncode}: {err[-500:]}")
            continue
        results.append(json.loads(out.strip().splitlines()[-1]))
    stop.touch()
    out, err = rd.communicate(timeout=300)
    read = json.loads(out.strip().splitlines()[-1])
    figures["reader_rows_checked"] += read["rows"]
    failures += [f"bulk {mode}: reader: {b}" for b in read["bad"]]
    for r in results:
        failures += [f"bulk {mode}: writer {r['writer']}: {e}" for e in r["errors"]]
        figures["retries_observed"] += r["retries"]
        figures["typed_duplicate_errors"] += r["duplicates"]
    with psycopg.connect(dsn) as conn:
        stored = {tuple(x) for x in conn.execute(
            "SELECT processing_group_id, target_id, observation_id FROM dataset").fetchall()}
    keys = {tuple(k) for k in results[0]["keys"]} if results else set()
    if mode == "insert":
        committed = [tuple(k) for r in results for c in r["committed"] for k in c]
        if len(committed) != len(set(committed)) or set(committed) != stored:
            failures.append(f"bulk insert: stored rows {len(stored)} != committed batches {len(committed)}")
    elif stored != keys or sum(r["inserted"] for r in results) != len(keys):
        failures.append(f"bulk {mode}: {len(stored)} rows stored, {len(keys)} keys")
    report = _harness.integrity(dsn, fits_pairs=False)
    figures["rows_checked"] += report["rows_checked"]
    failures += [f"bulk {mode}: {k}={v}" for k, v in _harness.problems(report, allow_keys_only=False).items()]
    figures["runs"] += 1
    return failures


def ingest_round(server: Server, files: list[Path], reference: Any, writers: int, tmp: Path,
                 figures: dict[str, Any]) -> list[str]:
    dsn = server.new_db()
    start_at = time.time() + 2.5
    procs = []
    for w in range(writers):
        order = list(files)
        random.Random(w).shuffle(order)
        procs.append(_harness.popen(["ingest", dsn, "1" if w else "4", str(start_at), "0", *map(str, order)],
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE))
    stop = tmp / f"stop-{secrets.token_hex(3)}"
    rd = _harness.popen(["reader", dsn, str(stop), "any"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    failures = []
    for p in procs:
        out, err = p.communicate(timeout=600)
        if p.returncode:
            failures.append(f"ingest: exited {p.returncode}: {err[-500:]}")
            continue
        r = json.loads(out.strip().splitlines()[-1])
        failures += [f"ingest: {f}" for f in r["failed"]]
        figures["retries_observed"] += r["retries"]
    stop.touch()
    out, _ = rd.communicate(timeout=300)
    read = json.loads(out.strip().splitlines()[-1])
    figures["reader_rows_checked"] += read["rows"]
    failures += [f"ingest: reader: {b}" for b in read["bad"]]
    if _harness.fingerprint(dsn) != reference:
        failures.append("ingest: concurrent result differs from the clean reference")
    report = _harness.integrity(dsn)
    figures["rows_checked"] += report["rows_checked"]
    failures += [f"ingest: {k}={v}" for k, v in _harness.problems(report, allow_keys_only=False).items()]
    figures["runs"] += 1
    return failures


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dsn", help="superuser DSN of an existing server (default: a private embedded PG18)")
    ap.add_argument("--kills", type=int, default=50, help="kill -9 of an ingest process (default 50)")
    ap.add_argument("--server-kills", type=int, default=5, help="kill -9 of the embedded postmaster (default 5)")
    ap.add_argument("--rounds", type=int, default=2, help="concurrency rounds per workload (default 2)")
    ap.add_argument("--writers", type=int, default=4, help="concurrent writer processes (default 4)")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    started = time.monotonic()
    tmp = Path(tempfile.mkdtemp(prefix="lcdb-reliability-"))
    tmp.chmod(0o755)
    lay = None
    if args.dsn:
        admin = args.dsn
    else:
        lay = embedded.start(embedded.layout(EmbeddedSettings(), home=tmp / "home"))
        admin = lay.dsn("postgres")
    server = Server(admin)
    figures: dict[str, Any] = {"server": "", "runs": 0, "client_kills": 0, "client_kills_mid_ingest": 0,
                               "server_kills": 0, "keys_only_observations_after_kill": 0, "rows_checked": 0,
                               "reader_rows_checked": 0, "retries_observed": 0, "typed_duplicate_errors": 0,
                               "failures": []}
    try:
        with psycopg.connect(admin) as conn:
            figures["server"] = str(conn.execute("SHOW server_version").fetchone()[0])  # type: ignore[index]
        sample = write_sample(tmp / "sample")
        real = [SHARED_TESS / name for name in FIRST_SET] if SHARED_TESS.is_dir() else []
        files = real + sample
        figures["input_files"] = {"synthetic": len(sample), "real": len(real)}
        clean = server.new_db()
        t0 = time.monotonic()
        assert not ingest_paths(clean, sample).failed
        seconds = time.monotonic() - t0
        reference = _harness.fingerprint(clean)
        clean_all = server.new_db()
        assert not ingest_paths(clean_all, files).failed
        reference_all = _harness.fingerprint(clean_all)
        figures["reference_rows"] = reference_all[0]
        for r in range(args.rounds):
            for mode in ("skip", "replace", "insert"):
                figures["failures"] += bulk_round(server, mode, args.writers, tmp, figures)
            figures["failures"] += ingest_round(server, files, reference_all, args.writers, tmp, figures)
            print(f"concurrency round {r + 1}/{args.rounds}: {len(figures['failures'])} failure(s)", flush=True)
        for i in range(args.kills):
            use = files if i % 5 == 4 else sample
            jobs = 2 if i % 3 == 2 else 1
            window = seconds * (len(use) / len(sample)) * (2.5 if jobs > 1 else 1.2)
            run = _harness.kill_client_run(server.new_db(), use, reference_all if use is files else reference,
                                           delay=rng.uniform(0, window), jobs=jobs)
            figures["runs"] += 1
            figures["client_kills"] += 1
            figures["client_kills_mid_ingest"] += run["killed"]
            figures["keys_only_observations_after_kill"] += run["keys_only_observations"]
            figures["rows_checked"] += run["rows_checked"]
            figures["failures"] += [f"client kill {i}: {f}" for f in run["failures"]]
            if (i + 1) % 10 == 0:
                print(f"client kills {i + 1}/{args.kills}: {len(figures['failures'])} failure(s)", flush=True)
        if lay is not None:
            for i in range(args.server_kills):
                dsn = server.new_db()
                run = _harness.kill_server_run(lay, dsn, sample, reference, delay=rng.uniform(0.1, seconds),
                                               jobs=1 + i % 2)
                figures["runs"] += 1
                figures["server_kills"] += 1
                figures["keys_only_observations_after_kill"] += run["keys_only_observations"]
                figures["rows_checked"] += run["rows_checked"]
                figures["failures"] += [f"server kill {i}: {f}" for f in run["failures"]]
            print(f"server kills {args.server_kills}: {len(figures['failures'])} failure(s)", flush=True)
    finally:
        server.drop_all()
        if lay is not None:
            embedded.stop(lay)
        shutil.rmtree(tmp, ignore_errors=True)
    figures["seconds"] = round(time.monotonic() - started, 1)
    figures["failures_found"] = len(figures["failures"])
    print(json.dumps(figures, indent=2))
    return 1 if figures["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
