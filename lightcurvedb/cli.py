"""The `lcdb` command line: embedded server control, migrations, status, the TESS, sky and cluster commands.

Building the parser imports nothing heavy (no psycopg, NumPy, astropy, Dask, …): each command imports what it
runs in its body, so `lcdb --help` answers at once and a command pays only for its own imports.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from lightcurvedb import scale_commands, sky_commands
from lightcurvedb.errors import LightcurveDBError, PermissionDenied
from lightcurvedb.printable import printable
from lightcurvedb.tess import commands as tess_commands
from lightcurvedb.tess import demo

ENV_DEBUG = "LCDB_DEBUG"
_WRITES = {"migrate": "change the schema", "ingest": "write lightcurves", "demo": "write lightcurves",
           "positions": "write target positions",
           "bls": "store period search results"}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lcdb", description="lightcurvedb: TESS lightcurves in PostgreSQL")
    parser.add_argument("--dsn", help="PostgreSQL connection string (default: $LCDB_DSN, config file, embedded)")
    parser.add_argument("--debug", action="store_true",
                        help=f"show the Python traceback of an error (also ${ENV_DEBUG}=1)")
    sub = parser.add_subparsers(dest="command", required=True)
    db = sub.add_parser("db", help="control the embedded PostgreSQL server")
    db.add_argument("action", choices=["start", "stop", "status", "url"])
    db.set_defaults(func=_db)
    sub.add_parser("migrate", help="apply the schema migrations to the database").set_defaults(func=_migrate)
    tess_commands.add_parsers(sub)
    sky_commands.add_parsers(sub)
    scale_commands.add_parsers(sub)
    demo.add_parser(sub)
    return parser


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


def _configured_dsn(dsn: str | None) -> str | None:
    """The DSN the command used (argument > LCDB_DSN > config file), to scrub its password from messages."""
    from lightcurvedb.config import resolve_dsn

    try:
        resolved = resolve_dsn(dsn)
    except LightcurveDBError:
        return dsn
    return resolved.dsn if resolved is not None else None


def _role(dsn: str | None) -> str:
    """The role a DSN logs in as (libpq's default: the operating-system user)."""
    import getpass

    from psycopg import conninfo

    try:
        return str(conninfo.conninfo_to_dict(dsn or "").get("user") or getpass.getuser())
    except Exception:
        return getpass.getuser()


def _message(exc: BaseException, args: argparse.Namespace) -> str:
    """One line for an error the user can act on."""
    import psycopg

    from lightcurvedb.config import scrub

    dsn = _configured_dsn(args.dsn)
    if isinstance(exc, PermissionDenied):
        text = str(exc)
        if not text.startswith("role "):
            what = _WRITES.get(args.command, "read lightcurves")
            text = f'role "{_role(dsn)}" may not {what}: {text}'
    elif isinstance(exc, psycopg.OperationalError):
        text = f"cannot reach the database: {exc}"
    elif isinstance(exc, psycopg.Error):
        diag = exc.diag
        text = f"the database refused: {diag.message_primary or exc} (SQLSTATE {exc.sqlstate})"
    elif isinstance(exc, OSError) and not isinstance(exc, LightcurveDBError):
        text = f"{exc.strerror or exc}: {exc.filename}" if exc.filename else str(exc)
    else:
        text = str(exc)
    return printable(" ".join(scrub(text, dsn).split()))


def _reported(exc: Exception) -> bool:
    """True for the errors `main` reports in one line: lightcurvedb's, psycopg's and the operating system's.

    psycopg is looked up in `sys.modules` rather than imported: a command that never imported it cannot have
    raised one of its errors, and `lcdb --help` must not pay for importing it."""
    if isinstance(exc, (LightcurveDBError, OSError)):
        return True
    psycopg = sys.modules.get("psycopg")
    return psycopg is not None and isinstance(exc, psycopg.Error)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `lcdb`; returns the process exit code (2 on an error, with one line on stderr)."""
    args = _parser().parse_args(argv)
    debug = args.debug or os.environ.get(ENV_DEBUG, "") not in ("", "0")
    try:
        code: int = args.func(args)
    except KeyboardInterrupt:
        if debug:
            raise
        print("lcdb: interrupted", file=sys.stderr)
        return 130
    except Exception as e:
        if debug or not _reported(e):
            raise
        print(f"lcdb {args.command}: error: {_message(e, args)}", file=sys.stderr)
        return 2
    return code
