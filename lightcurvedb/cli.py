"""The `lcdb` command line: one parser with the commands of the runtime, TESS, the sky and the cluster.

Building the parser imports nothing heavy (no psycopg, NumPy, astropy, Dask, …): each command imports what it
runs in its body, so `lcdb --help` answers at once and a command pays only for its own imports.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from lightcurvedb import commands
from lightcurvedb.errors import LightcurveDBError, PermissionDenied
from lightcurvedb.printable import printable
from lightcurvedb.scale import commands as scale_commands
from lightcurvedb.sky import commands as sky_commands
from lightcurvedb.tess import commands as tess_commands
from lightcurvedb.tess import demo
from lightcurvedb.tess.best import commands as best_commands

ENV_DEBUG = "LCDB_DEBUG"
_READS = "read lightcurves"
"""What a command that sets no `writes` default does, as a permission error says it: `role "x" may not …`."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lcdb", description="lightcurvedb: TESS lightcurves in PostgreSQL")
    parser.add_argument("--dsn", help="PostgreSQL connection string (default: $LCDB_DSN, config file, embedded)")
    parser.add_argument("--debug", action="store_true",
                        help=f"show the Python traceback of an error (also ${ENV_DEBUG}=1)")
    sub = parser.add_subparsers(dest="command", required=True)
    for register in (commands.register, tess_commands.register, sky_commands.register, scale_commands.register,
                     best_commands.register, demo.register):
        register(sub)
    return parser


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
            what = getattr(args, "writes", _READS)
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
