"""lcdb_reader writes nothing, lcdb_writer runs no DDL, SECURITY DEFINER is not exploitable, the embedded server is
private, and passwords never show (complements tests/sql/test_roles.py and tests/test_embedded.py)."""

from __future__ import annotations

import logging
import secrets
import shutil
import stat
import subprocess
import sys
import tempfile
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import psycopg
import pytest
from psycopg import conninfo, sql
from psycopg import errors as pg_errors

import lightcurvedb
from lightcurvedb import bulk
from lightcurvedb.queries import observations

from ._corpus import CADENCES, flush_tally, make_world, tally

Conn = psycopg.Connection[Any]
PASSWORD = "S3cr3t-" + secrets.token_hex(6)


@pytest.fixture(scope="module", autouse=True)
def _figures() -> Iterator[None]:
    yield
    flush_tally(__name__)


@pytest.fixture
def logins(login_as: Callable[[str, str], str], fresh_dsn: str) -> dict[str, str]:
    """DSNs to the fresh database as two LOGIN roles, members of lcdb_reader / lcdb_writer, over a world of
    reference rows and one observation made by the superuser."""
    with lightcurvedb.connect(fresh_dsn) as c:
        make_world(c)
    return {kind: login_as(fresh_dsn, f"lcdb_{kind}") for kind in ("reader", "writer")}


def _refuse(conn: Conn, statement: Any, category: str) -> None:
    tally(category)
    with pytest.raises(pg_errors.InsufficientPrivilege):
        conn.execute(statement)


def _relations(conn: Conn, kinds: str) -> list[str]:
    return [r[0] for r in conn.execute(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'public' AND c.relkind = ANY(%s) ORDER BY 1", [list(kinds)]).fetchall()]


def test_reader_cannot_write_or_change_anything(logins: dict[str, str]) -> None:
    with psycopg.connect(logins["reader"], autocommit=True) as c:
        tables = _relations(c, "rp")
        assert any(t.startswith("dataset_o") for t in tables)  # the observation's auto-created partitions
        for t in tables:
            ident = sql.Identifier(t)
            c.execute(sql.SQL("SELECT * FROM {} LIMIT 1").format(ident))
            _refuse(c, sql.SQL("INSERT INTO {} DEFAULT VALUES").format(ident), "reader: INSERT")
            _refuse(c, sql.SQL("UPDATE {} SET created_on = created_on").format(ident)
                    if t in ("mission", "target") else sql.SQL("DELETE FROM {} WHERE false").format(ident),
                    "reader: UPDATE/DELETE")
            _refuse(c, sql.SQL("DELETE FROM {}").format(ident), "reader: DELETE")
            _refuse(c, sql.SQL("TRUNCATE {}").format(ident), "reader: TRUNCATE")
            _refuse(c, sql.SQL("ALTER TABLE {} ADD COLUMN x int").format(ident), "reader: ALTER TABLE")
            _refuse(c, sql.SQL("DROP TABLE {}").format(ident), "reader: DROP TABLE")
        for v in _relations(c, "v"):
            for stmt in ("INSERT INTO {} DEFAULT VALUES", "DELETE FROM {}"):
                tally("reader: write a view")
                with pytest.raises((pg_errors.InsufficientPrivilege, pg_errors.ObjectNotInPrerequisiteState)):
                    c.execute(sql.SQL(stmt).format(sql.Identifier(v)))  # type: ignore[arg-type]
        _refuse(c, "SELECT lcdb_create_observation_partitions(424242)", "reader: partition function")
        _refuse(c, "CREATE TABLE public.reader_made (x int)", "reader: DDL")
        _refuse(c, "CREATE FUNCTION public.f() RETURNS int LANGUAGE sql AS 'SELECT 1'", "reader: DDL")
        with pytest.raises((lightcurvedb.errors.LightcurveDBError, pg_errors.InsufficientPrivilege)), \
                lightcurvedb.connect(logins["reader"]) as lc, lc.transaction():
            observations.create_tess_observation(lc, instrument_id=1, cadence_reference=CADENCES, sector=9)
        tally("reader: generated create_tess_observation")


def test_writer_writes_data_and_auto_creates_partitions_but_runs_no_ddl(logins: dict[str, str]) -> None:
    with lightcurvedb.connect(logins["writer"]) as c:
        ins = c.execute("SELECT id FROM instrument LIMIT 1").fetchone()
        grp = c.execute("SELECT id FROM processing_group LIMIT 1").fetchone()
        tgt = c.execute("SELECT id FROM target LIMIT 1").fetchone()
        assert ins and grp and tgt
        obs = observations.create_tess_observation(c, instrument_id=ins[0], cadence_reference=CADENCES, sector=7)
        bulk.write(c, "dataset", [(grp[0], tgt[0], obs.id, np.ones(CADENCES.size), np.ones(CADENCES.size))])
        c.commit()
        assert c.execute(sql.SQL("SELECT count(*) FROM {}").format(
            sql.Identifier(f"dataset_o{obs.id}"))).fetchone() == (1,)
        c.execute("DELETE FROM dataset WHERE observation_id = %s", [obs.id])
        c.commit()
        tally("writer: allowed writes (observation + partitions, dataset, delete)", 3)
    with psycopg.connect(logins["writer"], autocommit=True) as c:
        part = sql.Identifier(f"dataset_o{obs.id}")
        for stmt in [
            "CREATE TABLE public.writer_made (x int)",
            "DROP TABLE dataset_lineage",
            sql.SQL("DROP TABLE {}").format(part),
            "TRUNCATE dataset",
            sql.SQL("TRUNCATE {}").format(part),
            "ALTER TABLE target DROP CONSTRAINT ck_target_name_positive",
            sql.SQL("ALTER TABLE {} RENAME TO x").format(part),
            "ALTER ROLE lcdb_writer SUPERUSER",
            "ALTER ROLE lcdb_reader CREATEROLE",
            "GRANT lcdb_writer TO lcdb_reader",
            "CREATE FUNCTION public.f() RETURNS int LANGUAGE sql AS 'SELECT 1'",
            "CREATE OR REPLACE FUNCTION public.lcdb_create_observation_partitions(p_observation_id bigint) "
            "RETURNS void LANGUAGE sql AS 'SELECT 1'",
            "ALTER FUNCTION public.lcdb_create_observation_partitions(bigint) SECURITY INVOKER",
            "SELECT lcdb_create_observation_partitions(424242)",
            "CREATE SCHEMA evil",
            "INSERT INTO _yoyo_migration (migration_hash) VALUES ('x')",
            "DELETE FROM _yoyo_migration",
        ]:
            with pytest.raises(pg_errors.InsufficientPrivilege):
                c.execute(stmt)
            tally("writer: DDL/role/function refused")


CALLABLE_BY_WRITERS = {"lcdb_delete_observation(bigint)", "lcdb_delete_release(bigint)",
                       "lcdb_delete_unused_observation(bigint)", "lcdb_discard_observation_partitions(bigint)",
                       "lcdb_prepare_observation_partitions(bigint)", "lcdb_unpacked(bytea,anyarray)",
                       "lcdb_record_target_observation(bigint,bigint)", "lcdb_reserve_data_ids(text,integer)"}
"""SECURITY DEFINER functions writers call: the three deletes drop partitions owned by the schema owner (each refuses
a session user without DELETE on its table; the ingest of a refused file calls the third); an ingest builds a new
observation's tables with lcdb_prepare_observation_partitions (owned by the schema owner, granted to no one until
the observation's insert attaches them) and drops them with lcdb_discard_observation_partitions when another ingest
created the observation first (never a partition); lcdb_unpacked calls the
owner-only lcdb_raw_array after checking its input (tests/adapters/test_packed.py); an ingest into an observation
on a shard takes the rows' ids from the coordinator's sequences (lcdb_reserve_data_ids, data tables only) and records
the target's observation (lcdb_record_target_observation), which the data tables' trigger does for local rows."""


def test_security_definer_functions_pin_search_path_and_are_not_public(raw_conn: Conn) -> None:
    rows = raw_conn.execute(
        "SELECT p.oid::regprocedure::text, p.proconfig, has_function_privilege('public', p.oid, 'EXECUTE'), "
        "       has_function_privilege('lcdb_writer', p.oid, 'EXECUTE') "
        "FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
        "WHERE n.nspname = 'public' AND p.prosecdef").fetchall()
    assert len(rows) >= 2
    for name, config, public_exec, writer_exec in rows:
        tally("SECURITY DEFINER functions checked")
        paths = [c for c in (config or []) if c.startswith("search_path=")]
        assert paths, f"{name} has no pinned search_path"
        assert paths[0].split("=", 1)[1].replace(" ", "").split(",")[0] == "pg_catalog", (name, paths)
        assert "pg_temp" not in paths[0].split(",")[0], (name, paths)
        assert not public_exec, f"{name} is executable by PUBLIC"
        if name in CALLABLE_BY_WRITERS:
            assert writer_exec, f"{name} is meant for writers"
        else:
            assert not writer_exec, f"{name} is executable by lcdb_writer directly"


def test_writer_cannot_redirect_partition_creation(logins: dict[str, str]) -> None:
    """Temp tables and functions named like the ones the definer uses do not capture its DDL; partition names
    come from the bigint observation id only."""
    with lightcurvedb.connect(logins["writer"]) as c:
        c.execute("CREATE TEMP TABLE dataset (x int)")
        c.execute("CREATE TEMP TABLE observation (x int)")
        for args in ("text, text, text", "text, text, bigint", "text, text", "text, text, text, text"):
            c.execute(f"CREATE FUNCTION pg_temp.format({args}) RETURNS text LANGUAGE sql AS $$ SELECT 'evil' $$")
        ins = c.execute("SELECT id FROM public.instrument LIMIT 1").fetchone()
        assert ins
        obs = c.execute("INSERT INTO public.observation (id, instrument_id, cadence_reference) "
                        "VALUES (9223372036854775806, %s, %s) RETURNING id", [ins[0], CADENCES]).fetchone()
        assert obs == (9223372036854775806,)
        parts = c.execute(
            "SELECT c.relname, p.relname, n.nspname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "JOIN pg_class p ON p.oid = i.inhparent JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relname LIKE %s AND c.relkind = 'r' ORDER BY 1", ["%_o9223372036854775806"]).fetchall()
        assert parts == [("dataset_o9223372036854775806", "dataset", "public"),
                         ("quality_flag_array_o9223372036854775806", "quality_flag_array", "public"),
                         ("target_specific_time_o9223372036854775806", "target_specific_time", "public")]
        assert c.execute("SELECT count(*) FROM pg_temp.dataset").fetchone() == (0,)
        c.rollback()
        tally("SECURITY DEFINER hijack attempts (temp table/function shadowing, extreme id)", 3)


# --- the embedded server is private -------------------------------------------------------------------------

@pytest.mark.slow
def test_embedded_server_socket_and_no_tcp(tmp_path: Path) -> None:
    import psutil

    from lightcurvedb import embedded
    from lightcurvedb.config import EmbeddedSettings

    base = Path(tempfile.mkdtemp(prefix="lcdb-sec-"))
    base.chmod(0o755)
    lay = embedded.layout(EmbeddedSettings(), home=base / "home")
    try:
        try:
            embedded.start(lay)
        except lightcurvedb.errors.EmbeddedServerError as exc:
            pytest.skip(f"no embedded PostgreSQL here: {exc}")
        for private in (lay.data, lay.socket_dir):
            assert stat.S_IMODE(private.stat().st_mode) == 0o700, private
        sockets = list(lay.socket_dir.glob(".s.PGSQL.*"))
        assert any(stat.S_ISSOCK(s.stat().st_mode) for s in sockets), sockets
        pid = int((lay.data / "postmaster.pid").read_text().split()[0])
        procs = [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]
        inet = []
        for p in procs:
            try:
                inet += p.net_connections(kind="inet")
            except psutil.NoSuchProcess:
                continue  # a short-lived backend ended meanwhile
        assert inet == [], f"the embedded server has TCP/UDP sockets: {inet}"
        unix = [c for c in psutil.Process(pid).net_connections(kind="unix") if c.laddr]
        assert unix and all(str(lay.socket_dir) in c.laddr for c in unix), unix
        with psycopg.connect(lay.dsn(), autocommit=True) as c:
            assert c.execute("SHOW listen_addresses").fetchone() == ("",)
            assert c.execute("SHOW unix_socket_permissions").fetchone()[0] in ("0700", "0770", "0777")  # type: ignore[index]
        tally("embedded server: socket/dir permissions, TCP listeners", 2)
    finally:
        if (lay.data / "PG_VERSION").exists():
            embedded.stop(lay)
        shutil.rmtree(base, ignore_errors=True)


# --- passwords never show -----------------------------------------------------------------------------------

def _dsns(server_dsn: str) -> dict[str, str]:
    params = conninfo.conninfo_to_dict(server_dsn)
    return {
        "unreachable port": f"postgresql://lcdb:{PASSWORD}@127.0.0.1:1/lcdb?connect_timeout=2",
        "unresolvable host": f"postgresql://lcdb:{PASSWORD}@no-such-host.invalid:5432/lcdb?connect_timeout=2",
        "keyword form": f"host=127.0.0.1 port=1 user=lcdb password={PASSWORD} dbname=x connect_timeout=2",
        "wrong password / unknown role": conninfo.make_conninfo(
            **{**params, "user": f"nobody_{secrets.token_hex(3)}", "password": PASSWORD}),
    }


def test_connect_errors_do_not_show_the_password(server_dsn: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    for label, dsn in _dsns(server_dsn).items():
        with pytest.raises(Exception) as info:  # noqa: PT011 - which error is not the point here
            lightcurvedb.connect(dsn)
        text = "".join(traceback.format_exception(info.value)) + repr(info.value) + str(info.value)
        cause = info.value.__cause__ or info.value.__context__
        text += repr(cause) + str(cause)
        assert PASSWORD not in text, label
        tally("password leak checks: connect")
    assert PASSWORD not in caplog.text


@pytest.mark.parametrize("argv", [["db", "url"], ["db", "status"], ["migrate"], ["show", "25155310"],
                                  ["export", "25155310", "-o", "{tmp}/x.ecsv"], ["ingest", "{tmp}"],
                                  ["plot", "25155310", "-o", "{tmp}/x.png"]])
def test_lcdb_commands_do_not_show_the_password(server_dsn: str, tmp_path: Path, argv: list[str],
                                                capsys: pytest.CaptureFixture[str],
                                                caplog: pytest.LogCaptureFixture) -> None:
    from lightcurvedb import cli

    caplog.set_level(logging.DEBUG)
    for label, dsn in _dsns(server_dsn).items():
        if label == "unresolvable host" and argv[0] != "db":
            continue  # DNS timeouts: the other three cover these commands
        args = [a.replace("{tmp}", str(tmp_path)) for a in argv]
        shown = ""
        try:
            code = cli.main(["--dsn", dsn, *args])
        except BaseException as exc:
            code = None
            shown = "".join(traceback.format_exception(exc))
        out = capsys.readouterr()
        assert PASSWORD not in out.out + out.err + shown + caplog.text, (label, args)
        if args[:2] == ["db", "url"]:
            assert code == 0 and out.out.startswith("postgresql://"), out
        tally("password leak checks: lcdb commands")


def test_lcdb_db_url_in_a_subprocess(server_dsn: str) -> None:
    dsn = _dsns(server_dsn)["keyword form"]
    proc = subprocess.run([sys.executable, "-m", "lightcurvedb", "--dsn", dsn, "db", "url"], capture_output=True,
                          text=True, timeout=60, check=False)
    assert proc.returncode == 0 and PASSWORD not in proc.stdout + proc.stderr
    assert proc.stdout.strip() == "postgresql://lcdb@127.0.0.1:1/x?connect_timeout=2", proc.stdout
    tally("password leak checks: lcdb commands")
