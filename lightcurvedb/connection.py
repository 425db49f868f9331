"""Open connections and pools: DSN resolution, NumPy adapters, and the schema-version check."""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg import conninfo
from psycopg_pool import ConnectionPool

from lightcurvedb import migrate
from lightcurvedb.config import ResolvedDsn, load_config, resolve_dsn


def resolve(dsn: str | None = None, *, auto_migrate: bool = True) -> ResolvedDsn:
    """Resolve a DSN, starting (and on first use migrating) the embedded server when it is the default."""
    config = load_config()
    resolved = resolve_dsn(dsn, config=config)
    if resolved is not None:
        return resolved
    from lightcurvedb import embedded

    lay = embedded.start(embedded.layout(config.embedded))
    target = lay.dsn()
    if auto_migrate and config.embedded.auto_migrate:
        with psycopg.connect(target, autocommit=True) as conn:
            pending = migrate.pending_ids(conn)
        if pending:
            migrate.apply(target)
    return ResolvedDsn(target, "embedded")


def _configure(conn: psycopg.Connection[Any]) -> None:
    from lightcurvedb.adapters import register

    register(conn)


SESSION_OPTIONS = "-c jit=off"
"""Every lightcurvedb session runs without JIT: PostgreSQL compiles a query whose estimated cost passes
jit_above_cost, and the estimate of a cone search (a join on HEALPix ranges the planner cannot size) passed it:
compiling took 840 ms for a query that then ran in 0.1 ms. lightcurvedb's queries touch few rows."""


def session_dsn(dsn: str) -> str:
    """`dsn` with SESSION_OPTIONS added to its libpq `options` (a setting the DSN makes itself wins)."""
    params = conninfo.conninfo_to_dict(dsn)
    options = str(params.get("options") or "")
    if "jit" in options:
        return dsn
    return conninfo.make_conninfo(dsn, options=f"{options} {SESSION_OPTIONS}".strip())


def connect(dsn: str | None = None, *, check_schema: bool = True, **kwargs: Any) -> psycopg.Connection[Any]:
    """Connect with the NumPy adapters registered.

    `dsn` > `LCDB_DSN` > config file > embedded default. With `check_schema` (the default) a database
    whose schema lags behind this package raises `SchemaBehind` ("run `lcdb migrate`"). Extra keyword
    arguments go to `psycopg.connect` (e.g. `autocommit=True`). The caller owns the transaction.
    """
    target = session_dsn(resolve(dsn).dsn)
    conn = psycopg.connect(target, **kwargs)
    try:
        _configure(conn)
        if check_schema:
            migrate.check_schema(conn)
            if not conn.autocommit:
                conn.rollback()
    except BaseException:
        conn.close()
        raise
    return conn


def pool(dsn: str | None = None, *, min_size: int = 1, max_size: int = 8, check_schema: bool = True,
         **kwargs: Any) -> ConnectionPool[psycopg.Connection[Any]]:
    """A psycopg_pool ConnectionPool whose connections carry the NumPy adapters (opened on return)."""
    target = session_dsn(resolve(dsn).dsn)
    if check_schema:
        with psycopg.connect(target, autocommit=True) as conn:
            migrate.check_schema(conn)
    return ConnectionPool(target, min_size=min_size, max_size=max_size, configure=_configure,
                          kwargs=kwargs or None, open=True)
