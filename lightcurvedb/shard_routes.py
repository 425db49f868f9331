"""Straight to a shard: connections, as the caller's own role, to the servers holding observations' partitions."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import psycopg
from psycopg.conninfo import make_conninfo

from lightcurvedb.adapters import register
from lightcurvedb.errors import NotFound, ShardUnavailable

SERVER_PREFIX = "lcdb_shard_"
"""Shard NAME is the coordinator's foreign server lcdb_shard_NAME (lightcurvedb.scale.shards)."""
WHERE = ("host", "hostaddr", "port", "dbname", "connect_timeout", "sslmode", "sslrootcert", "sslcert", "sslkey",
         "application_name", "target_session_attrs")
"""The options of a shard's foreign server that say where it is (the libpq keywords postgres_fdw takes)."""
_OPEN: dict[str, psycopg.Connection[Any]] = {}


def server_options(conn: psycopg.Connection[Any], server: str) -> dict[str, str]:
    """The options of the coordinator's foreign server `server` (NotFound when there is none)."""
    row = conn.execute("SELECT srvoptions FROM pg_foreign_server WHERE srvname = %s", (server,)).fetchone()
    if row is None:
        raise NotFound(f"no shard {server.removeprefix(SERVER_PREFIX)} (lcdb shard list shows them)")
    return dict(o.split("=", 1) for o in (row[0] or []))


def by_server(shards: Mapping[int, str | None], observation_ids: Iterable[int]) -> dict[str | None, list[int]]:
    """`observation_ids` grouped by the server holding them (None: the coordinator), coordinator first."""
    out: dict[str | None, list[int]] = {None: []}
    for obs in observation_ids:
        out.setdefault(shards.get(obs), []).append(obs)
    return out


def direct(conn: psycopg.Connection[Any], server: str) -> psycopg.Connection[Any]:
    """An autocommit connection to shard `server` as `conn`'s role (its user and password), with the NumPy
    adapters; kept open in this process for the next read. ShardUnavailable (naming the shard) when it does not
    answer."""
    caller = {k: v for k, v in conn.info.get_parameters().items() if k not in WHERE}
    if conn.info.password:
        caller["password"] = conn.info.password
    dsn = make_conninfo("", **caller, **{k: v for k, v in server_options(conn, server).items() if k in WHERE})
    held = _OPEN.get(dsn)
    if held is not None and not held.closed and not held.broken:
        return held
    try:
        opened = psycopg.connect(dsn, autocommit=True)
    except psycopg.OperationalError as exc:
        raise ShardUnavailable(f"shard {server.removeprefix(SERVER_PREFIX)} is unreachable: {first_line(exc)}") \
            from exc
    register(opened)
    _OPEN[dsn] = opened
    return opened


def first_line(exc: BaseException) -> str:
    """The first line of an error's message (libpq's are several): what a one-line ShardUnavailable quotes."""
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
