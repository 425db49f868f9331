"""lightcurvedb.connect: sessions run without JIT (a cone search's estimate made PostgreSQL compile it for 840 ms)."""

from __future__ import annotations

from psycopg import conninfo

import lightcurvedb
from lightcurvedb.connection import session_dsn


def test_session_dsn_adds_jit_off_and_keeps_the_users_options() -> None:
    assert conninfo.conninfo_to_dict(session_dsn("postgresql://u@h/db"))["options"] == "-c jit=off"
    both = conninfo.conninfo_to_dict(session_dsn("host=h dbname=db options='-c statement_timeout=5000'"))
    assert both["options"] == "-c statement_timeout=5000 -c jit=off"
    mine = "host=h dbname=db options='-c jit=on'"
    assert session_dsn(mine) == mine


def test_connections_run_without_jit(migrated_dsn: str) -> None:
    with lightcurvedb.connect(migrated_dsn) as conn:
        assert conn.execute("SHOW jit").fetchone() == ("off",)
    with lightcurvedb.pool(migrated_dsn, min_size=1, max_size=1) as pool, pool.connection() as conn:
        assert conn.execute("SHOW jit").fetchone() == ("off",)
