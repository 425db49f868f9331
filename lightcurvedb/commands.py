"""The database runtime's `lcdb` commands: db (embedded server control and status) and migrate.

Building the parsers imports nothing heavy; each command imports psycopg, the embedded server or the migrations
in its body.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any


def register(sub: Any) -> None:
    """Register `lcdb db` and `lcdb migrate` on `lcdb`'s subparsers."""
    db = sub.add_parser("db", help="control the embedded PostgreSQL server")
    db.add_argument("action", choices=["start", "stop", "status", "url"])
    db.set_defaults(func=_db)
    sub.add_parser("migrate", help="apply the schema migrations to the database").set_defaults(
        func=_migrate, writes="change the schema")


def _db(args: argparse.Namespace) -> int:
    from lightcurvedb import embedded
    from lightcurvedb.config import load_config, redact, resolve_dsn

    config = load_config()
    lay = embedded.layout(config.embedded)
    if args.action == "start":
        embedded.start(lay)
        print(f"embedded PostgreSQL running; data in {lay.data}")
        print(f"url: {redact(lay.dsn())}")
        return 0
    if args.action == "stop":
        print("stopped" if embedded.stop(lay) else "not running")
        return 0
    resolved = resolve_dsn(args.dsn, config=config)
    if args.action == "url":
        print(redact(lay.dsn() if resolved is None else resolved.dsn))
        return 0
    if resolved is None:
        running = embedded.is_running(lay)
        print("source: embedded default")
        print(f"data directory: {lay.data}")
        print(f"server: {'running' if running else 'stopped'}")
        if not running:
            print("start it with `lcdb db start`")
            return 1
        target = lay.dsn()
    else:
        print(f"source: {resolved.source}")
        target = resolved.dsn
    return _status(target)


def _status(target: str) -> int:
    import psycopg

    from lightcurvedb import migrate
    from lightcurvedb.config import redact, scrub

    print(f"url: {redact(target)}")
    try:
        with psycopg.connect(target, autocommit=True, connect_timeout=10) as conn:
            row = conn.execute("SHOW server_version").fetchone()
            print(f"PostgreSQL {row[0] if row else '?'}")
            pending = migrate.pending_ids(conn)
            applied = migrate.applied_ids(conn)
    except psycopg.OperationalError as e:
        print(f"cannot connect to {redact(target)}: {scrub(str(e), target).strip()}", file=sys.stderr)
        return 1
    print(f"schema: {len(applied)} migration(s) applied, {len(pending)} pending")
    if pending:
        print("run `lcdb migrate` to bring the schema up to date")
        return 1
    return 0


def _migrate(args: argparse.Namespace) -> int:
    from lightcurvedb import migrate
    from lightcurvedb.connection import resolve

    dsn = resolve(args.dsn, auto_migrate=False).dsn
    done = migrate.apply(dsn)
    found = migrate.repair(dsn)
    print(f"applied {len(done)} migration(s)" + (f": {', '.join(done)}" if done else "; schema up to date"))
    for line in found:
        print(line)
    return 1 if any(line.startswith("damaged") for line in found) else 0
