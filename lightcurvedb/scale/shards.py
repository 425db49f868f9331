"""Shards: observations' partitions on other PostgreSQL servers, as postgres_fdw foreign partitions (lcdb shard)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from lightcurvedb import migrate
from lightcurvedb.errors import InvalidInput, ShardError, ShardUnavailable
from lightcurvedb.queries import shards as shard_queries
from lightcurvedb.shard_routes import SERVER_PREFIX, WHERE, first_line, server_options
from lightcurvedb.tess.ingest import DROP_KEY, LOCK_NAMESPACE

DATA_TABLES = ("dataset", "target_specific_time", "quality_flag_array")
_NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")


@dataclass(frozen=True)
class Shard:
    """A shard: its name, where it is, the sectors (observations) it holds, their size and whether it answers."""

    name: str
    server: str
    host: str
    port: str
    dbname: str
    observations: tuple[int, ...]
    sectors: tuple[int, ...]
    bytes: int | None
    reachable: bool
    error: str | None


@dataclass(frozen=True)
class Moved:
    """One observation's partitions moved: where from and to, rows and bytes copied, checksums compared."""

    observation_id: int
    sector: int | None
    source: str
    destination: str
    rows: int
    bytes: int


def server_name(name: str) -> str:
    """The foreign server of shard NAME; InvalidInput for a name that is not a lower-case identifier."""
    if not _NAME.fullmatch(name):
        raise InvalidInput(f"a shard name is a lower-case identifier of at most 40 characters, got {name!r}")
    return SERVER_PREFIX + name


def add_shard(conn: psycopg.Connection[Any], *, name: str, dsn: str) -> Shard:
    """Register the database at `dsn` as shard `name`: migrate it with this package's migrations, then create the
    foreign server and the user mapping (the DSN's user and password) on the coordinator. Needs a superuser (or
    the owner of postgres_fdw) on the coordinator; commits."""
    server = server_name(name)
    options = conninfo_to_dict(dsn)
    try:
        migrate.apply(dsn)
        with psycopg.connect(dsn) as shard:
            _check_holds_nothing_of_its_own(shard, name)
    except psycopg.OperationalError as exc:
        raise ShardUnavailable(f"shard {name} is unreachable at {_where(options)}: {first_line(exc)}") from exc
    with conn.transaction():
        conn.execute("CREATE EXTENSION IF NOT EXISTS postgres_fdw")
        if conn.execute("SELECT 1 FROM pg_foreign_server WHERE srvname = %s", (server,)).fetchone():
            raise InvalidInput(f"shard {name} exists already ({_where(server_options(conn, server))})")
        opts = {k: str(v) for k, v in options.items() if k in WHERE and v is not None}
        opts.update({"async_capable": "true", "batch_size": "1000", "fetch_size": "200"})
        conn.execute(sql.SQL("CREATE SERVER {} FOREIGN DATA WRAPPER postgres_fdw OPTIONS ({})").format(
            sql.Identifier(server), _options(opts)))
        conn.execute(sql.SQL("COMMENT ON SERVER {} IS {}").format(
            sql.Identifier(server), sql.Literal(f"lightcurvedb shard {name}: lcdb shard list")))
        conn.execute(sql.SQL("GRANT USAGE ON FOREIGN DATA WRAPPER postgres_fdw TO lcdb_owner"))
        conn.execute(sql.SQL("ALTER SERVER {} OWNER TO lcdb_owner").format(sql.Identifier(server)))
        mapping = {"user": str(options.get("user") or conn.info.user)}
        if options.get("password"):
            mapping["password"] = str(options["password"])
        else:  # trust or peer authentication: postgres_fdw asks for a password from non-superusers unless told
            mapping["password_required"] = "false"  # noqa: S105 (an option, not a password)
        conn.execute(sql.SQL("CREATE USER MAPPING FOR PUBLIC SERVER {} OPTIONS ({})").format(
            sql.Identifier(server), _options(mapping)))
    return _shard(conn, server)


def list_shards(conn: psycopg.Connection[Any]) -> list[Shard]:
    """Every shard, with its observations and sectors (from the coordinator) and its data's size (asked of the
    shard: `reachable` False and the one-line `error` when it does not answer)."""
    return [_shard(conn, s) for s in _servers(conn)]


def shard_dsn(conn: psycopg.Connection[Any], name: str) -> str:
    """A DSN of shard `name` (or of its server lcdb_shard_NAME) as its user mapping's role: the DBA's view (it
    needs to see the mapping's options). Reads and ingests connect as their own role (`shard_routes.direct`)."""
    server = name if name.startswith(SERVER_PREFIX) else server_name(name)
    where = {k: v for k, v in server_options(conn, server).items() if k in WHERE}
    row = conn.execute("SELECT umoptions FROM pg_user_mappings WHERE srvname = %s ORDER BY usename = 'public'",
                       (server,)).fetchone()
    creds = dict(o.split("=", 1) for o in (row[0] or [])) if row else {}
    return make_conninfo("", **where, **{k: v for k, v in creds.items() if k in ("user", "password")})


def move(conn: psycopg.Connection[Any], *, sectors: Iterable[int], to: str) -> list[Moved]:
    """Move the partitions of every observation of `sectors` to shard `to` (or back with ``to="local"``): copy,
    compare counts and checksums, swap the partitions in one transaction, drop the old copy. Re-runnable: an
    interrupted move leaves the coordinator as it was, and a re-run finishes it. Commits."""
    destination = None if to == "local" else server_name(to)
    if destination is not None:
        _shard(conn, destination, sized=False)  # NotFound for an unknown shard
    rows = conn.execute("SELECT t.id, t.sector FROM tess_observation AS t WHERE t.sector = ANY(%s) ORDER BY t.id",
                        (sorted(set(sectors)),)).fetchall()
    conn.commit()
    moved = []
    for obs, sector in rows:
        source = shard_queries.observation_shard(conn, observation_id=obs).shard
        conn.commit()
        if source == destination:
            if destination is None:
                _drop_leftovers(conn, obs)
            continue
        if source is not None:
            moved.append(_to_local(conn, obs, sector, source))
        if destination is not None:
            moved.append(_to_shard(conn, obs, sector, destination))
    return moved


def _check_holds_nothing_of_its_own(shard: psycopg.Connection[Any], name: str) -> None:
    """A shard is a database that holds only a coordinator's partitions: one with observations of its own (a
    lightcurvedb database in use) is refused, since a move empties and drops tables of the moved ids there."""
    row = shard.execute("SELECT count(*) FROM observation").fetchone()
    if row and row[0]:
        raise ShardError(f"shard {name} holds {row[0]} observation(s) of its own: a shard is an empty database "
                         "that only holds a coordinator's partitions")


def _to_shard(conn: psycopg.Connection[Any], obs: int, sector: int | None, server: str) -> Moved:
    with _connect(conn, server) as shard:
        _check_holds_nothing_of_its_own(shard, server.removeprefix(SERVER_PREFIX))
        # the shard's own partitions (its reads and writes work directly: lightcurvedb.dask, ingest); an interrupted
        # move's copy (the coordinator's partition is still local, so nothing reads it) is emptied
        shard.execute("SELECT lcdb_hold_shard_partitions(%s)", (obs,))
        shard.execute(sql.SQL("TRUNCATE {}").format(sql.SQL(", ").join(_tables(obs))))
        with conn.transaction():
            # ingest waits (its data transactions hold the key shared); other writers wait for the table locks
            conn.execute("SELECT pg_advisory_xact_lock(%s, %s)", (LOCK_NAMESPACE, DROP_KEY))
            conn.execute(sql.SQL("LOCK TABLE {} IN SHARE MODE").format(sql.SQL(", ").join(_tables(obs))))
            rows, size = _copy(conn, shard, obs)
            shard.commit()
            for parent, table in zip(DATA_TABLES, _tables(obs), strict=True):
                conn.execute(sql.SQL("ALTER TABLE {} DETACH PARTITION {}").format(sql.Identifier(parent), table))
                conn.execute(sql.SQL("DROP TABLE {}").format(table))
            conn.execute("SELECT lcdb_attach_shard_partitions(%s, %s)", (obs, server))
    return Moved(obs, sector, "local", server.removeprefix(SERVER_PREFIX), rows, size)


def _to_local(conn: psycopg.Connection[Any], obs: int, sector: int | None, server: str) -> Moved:
    with _connect(conn, server) as shard:
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s, %s)", (LOCK_NAMESPACE, DROP_KEY))
            for parent, table in zip(DATA_TABLES, _tables(obs), strict=True):
                conn.execute(sql.SQL("ALTER TABLE {} DETACH PARTITION {}").format(sql.Identifier(parent), table))
                conn.execute(sql.SQL("DROP FOREIGN TABLE {}").format(table))
            conn.execute("SELECT lcdb_prepare_observation_partitions(%s)", (obs,))
            rows, size = _copy(shard, conn, obs)
            conn.execute("SELECT lcdb_create_observation_partitions(%s)", (obs,))
        shard.rollback()
        _drop_copies(shard, obs, server)
    return Moved(obs, sector, server.removeprefix(SERVER_PREFIX), "local", rows, size)


def _copy(source: psycopg.Connection[Any], target: psycopg.Connection[Any], obs: int) -> tuple[int, int]:
    """Copy an observation's three tables (binary COPY, ids kept), then compare counts and checksums."""
    rows = size = 0
    for table in _tables(obs):
        columns = [r[0] for r in source.execute(
            "SELECT attname::text FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0 "
            "AND NOT attisdropped ORDER BY attnum", (table.as_string(source),))]
        names = sql.SQL(", ").join(map(sql.Identifier, columns))
        with source.cursor().copy(sql.SQL("COPY {} ({}) TO STDOUT (FORMAT binary)").format(table, names)) as out, \
                target.cursor().copy(sql.SQL("COPY {} ({}) FROM STDIN (FORMAT binary)").format(table, names)) as into:
            for block in out:
                size += len(block)
                into.write(block)
        # rows and an md5 of every row's text in id order: equal on both sides, or nothing is swapped
        before, after = (on.execute(sql.SQL("SELECT count(*), coalesce(md5(string_agg(md5(t::text), '' ORDER BY "
                                            "t.id)), '') FROM {} AS t").format(table)).fetchone()
                         for on in (source, target))
        if before != after:
            raise ShardError(f"the copy of {table.as_string(source)} differs from its source "
                                   f"({before} != {after}); nothing was moved")
        rows += int(before[0]) if before else 0
    return rows, size


def _drop_copies(shard: psycopg.Connection[Any], obs: int, server: str) -> None:
    """Drop a shard's tables of an observation the coordinator holds locally (the old copy of a move back)."""
    _check_holds_nothing_of_its_own(shard, server.removeprefix(SERVER_PREFIX))
    for table in _tables(obs):
        shard.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(table))
    shard.commit()


def _drop_leftovers(conn: psycopg.Connection[Any], obs: int) -> None:
    """After a move back that stopped before dropping the shard's copy: drop it (the coordinator's is attached)."""
    for server in _servers(conn):
        try:
            remote = _connect(conn, server)
        except ShardUnavailable:
            continue  # a shard that does not answer keeps its copy until a later re-run
        with remote:
            _drop_copies(remote, obs, server)


def _servers(conn: psycopg.Connection[Any]) -> list[str]:
    """The coordinator's shard servers (lcdb_shard_NAME), by name."""
    return [r[0] for r in conn.execute(
        "SELECT srvname::text FROM pg_foreign_server WHERE srvname LIKE %s ORDER BY srvname",
        (SERVER_PREFIX.replace("_", "\\_") + "%",))]


def _tables(obs: int) -> list[sql.Composable]:
    return [sql.Identifier(f"{parent}_o{obs}") for parent in DATA_TABLES]


def _connect(conn: psycopg.Connection[Any], server: str) -> psycopg.Connection[Any]:
    """A connection to a shard as its user mapping's role; ends the coordinator's read of the mapping (commit)."""
    dsn = shard_dsn(conn, server)
    conn.commit()
    try:
        return psycopg.connect(dsn)
    except psycopg.OperationalError as exc:
        raise ShardUnavailable(f"shard {server.removeprefix(SERVER_PREFIX)} is unreachable: "
                               f"{first_line(exc)}") from exc


def _shard(conn: psycopg.Connection[Any], server: str, *, sized: bool = True) -> Shard:
    where = server_options(conn, server)
    observations = tuple(int(r[0]) for r in conn.execute(
        "SELECT DISTINCT substring(f.ftrelid::regclass::text FROM '_o([0-9]+)$')::bigint AS o "
        "FROM pg_foreign_table AS f JOIN pg_foreign_server AS s ON s.oid = f.ftserver WHERE s.srvname = %s "
        "ORDER BY o", (server,)))
    sectors = tuple(int(r[0]) for r in conn.execute(
        "SELECT DISTINCT sector FROM tess_observation WHERE id = ANY(%s) ORDER BY sector", (list(observations),)))
    size, error = None, None
    if sized:
        try:
            with _connect(conn, server) as remote:
                row = remote.execute(
                    "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class AS c "
                    "WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r' "
                    "AND c.relname ~ '^(dataset|target_specific_time|quality_flag_array)_o[0-9]+$'").fetchone()
                size = int(row[0]) if row else 0
        except ShardUnavailable as exc:
            error = str(exc)
    return Shard(name=server.removeprefix(SERVER_PREFIX), server=server, host=where.get("host", ""),
                 port=where.get("port", ""), dbname=where.get("dbname", ""), observations=observations,
                 sectors=sectors, bytes=size, reachable=error is None, error=error)


def _options(values: dict[str, str]) -> sql.Composable:
    return sql.SQL(", ").join(sql.SQL("{} {}").format(sql.Identifier(k), sql.Literal(v)) for k, v in values.items())


def _where(options: dict[str, Any]) -> str:
    return f"{options.get('host') or 'localhost'}:{options.get('port') or 5432}/{options.get('dbname') or ''}"
