"""The `lcdb` command line: embedded server control, migrations, status, and the TESS commands."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import psycopg

from lightcurvedb import embedded, migrate
from lightcurvedb.config import Config, ResolvedDsn, load_config, redact, resolve_dsn, scrub
from lightcurvedb.connection import resolve
from lightcurvedb.errors import LightcurveDBError
from lightcurvedb.tess import commands as tess_commands


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lcdb", description="lightcurvedb: TESS lightcurves in PostgreSQL")
    parser.add_argument("--dsn", help="PostgreSQL connection string (default: $LCDB_DSN, config file, embedded)")
    sub = parser.add_subparsers(dest="command", required=True)
    db = sub.add_parser("db", help="control the embedded PostgreSQL server")
    db.add_argument("action", choices=["start", "stop", "status", "url"])
    sub.add_parser("migrate", help="apply the schema migrations to the database")
    tess_commands.add_parsers(sub)
    return parser


def _db(action: str, dsn: str | None) -> int:
    config = load_config()
    if action == "start":
        lay = embedded.start(embedded.layout(config.embedded))
        print(f"embedded PostgreSQL running; data in {lay.data}")
        print(f"url: {redact(lay.dsn())}")
        return 0
    if action == "stop":
        lay = embedded.layout(config.embedded)
        print("stopped" if embedded.stop(lay) else "not running")
        return 0
    resolved = resolve_dsn(dsn, config=config)
    if action == "url":
        if resolved.dsn is None:
            print(redact(embedded.layout(config.embedded).dsn()))
        else:
            print(redact(resolved.dsn))
        return 0
    return _status(resolved, config)


def _status(resolved: ResolvedDsn, config: Config) -> int:
    if resolved.dsn is None:
        lay = embedded.layout(config.embedded)
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


def _migrate(dsn: str | None) -> int:
    target = resolve(dsn, auto_migrate=False).dsn
    assert target is not None
    done = migrate.apply(target)
    print(f"applied {len(done)} migration(s)" + (f": {', '.join(done)}" if done else "; schema up to date"))
    return 0


def _configured_dsn(dsn: str | None) -> str | None:
    """The DSN the command used (argument > LCDB_DSN > config file), to scrub its password from messages."""
    try:
        return resolve_dsn(dsn).dsn
    except LightcurveDBError:
        return dsn


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `lcdb`; returns the process exit code."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "db":
            return _db(args.action, args.dsn)
        if args.command == "migrate":
            return _migrate(args.dsn)
        code = tess_commands.run(args)
        if code is not None:
            return code
    except LightcurveDBError as e:
        print(f"lcdb: error: {e}", file=sys.stderr)
        return 2
    except psycopg.OperationalError as e:
        shown = scrub(str(e), _configured_dsn(args.dsn))
        print(f"lcdb: cannot reach the database: {shown.strip()}", file=sys.stderr)
        return 2
    return 2
