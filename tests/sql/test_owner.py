"""The owner role lcdb_owner (migration 0017), migrating as an ordinary database owner, and `lcdb migrate`'s repair."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import conninfo, sql

import lightcurvedb
from lightcurvedb import migrate
from lightcurvedb.tess import synthetic
from lightcurvedb.tess.ingest import ingest_file, ingest_paths
from lightcurvedb.tess.tic import load_tic

from ._schema import make_world

REPO = Path(__file__).resolve().parents[2]
MIGRATIONS = REPO / "sql" / "migrations"

SUPERUSER_OWNED = """
SELECT kind, name FROM (
    SELECT 'relation' AS kind, c.relname::text AS name, c.relowner AS owner FROM pg_class AS c
    WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'i', 'I')
    UNION ALL
    SELECT 'routine', p.oid::regprocedure::text, p.proowner FROM pg_proc AS p
    WHERE p.pronamespace = 'public'::regnamespace
    UNION ALL
    SELECT 'type', t.typname::text, t.typowner FROM pg_type AS t
    WHERE t.typnamespace = 'public'::regnamespace AND t.typtype IN ('e', 'd')
) AS o JOIN pg_roles AS r ON r.oid = o.owner
WHERE r.rolsuper ORDER BY 1, 2
"""


def test_every_migration_after_the_owner_role_runs_as_it() -> None:
    """Later migrations (and rollbacks) run as lcdb_owner whoever applies them: their first statement says so."""
    later = [p for p in sorted(MIGRATIONS.glob("*.sql")) if p.name.split(".")[0] > migrate.OWNER_MIGRATION[:4]]
    for path in later:
        statements = [line for line in path.read_text().splitlines()
                      if line.strip() and not line.startswith("--")]
        assert statements and statements[0] == "SET LOCAL ROLE lcdb_owner;", path.name


def test_every_object_belongs_to_the_owner_role(conn: psycopg.Connection[Any]) -> None:
    others = conn.execute(
        "SELECT c.relname FROM pg_class AS c WHERE c.relnamespace = 'public'::regnamespace "
        "AND c.relkind IN ('r', 'p', 'v', 'S') AND c.relowner <> 'lcdb_owner'::regrole "
        "UNION ALL SELECT p.proname FROM pg_proc AS p WHERE p.pronamespace = 'public'::regnamespace "
        "AND p.proowner <> 'lcdb_owner'::regrole").fetchall()
    assert others == []
    definers = conn.execute(
        "SELECT p.proname, pg_get_userbyid(p.proowner) FROM pg_proc AS p "
        "WHERE p.pronamespace = 'public'::regnamespace AND p.prosecdef").fetchall()
    assert definers and {owner for _, owner in definers} == {"lcdb_owner"}
    assert conn.execute("SELECT rolcanlogin, rolsuper FROM pg_roles WHERE rolname = 'lcdb_owner'").fetchone() \
        == (False, False)


def test_partition_indexes_follow_one_pattern_and_comments_say_what_they_hold(
        tmp_path: Path, fresh_dsn: str) -> None:
    paths = synthetic.write_sample(tmp_path, sample=synthetic.SAMPLE[:1])
    with lightcurvedb.connect(fresh_dsn) as own:
        result = ingest_file(own, paths[0])
        assert result.status == "added" and result.observation_id is not None, result.error
        observation = result.observation_id
        indexes = own.execute(
            "SELECT i.relname, pi.relname FROM pg_inherits AS h JOIN pg_class AS i ON i.oid = h.inhrelid "
            "JOIN pg_class AS pi ON pi.oid = h.inhparent JOIN pg_index AS x ON x.indexrelid = i.oid "
            "WHERE x.indrelid IN (%s::regclass, %s::regclass, %s::regclass)",
            [f"dataset_o{observation}", f"target_specific_time_o{observation}",
             f"quality_flag_array_o{observation}"]).fetchall()
        assert indexes and all(name == f"{parent}_o{observation}" for name, parent in indexes)
        comment = own.execute("SELECT obj_description(%s::regclass, 'pg_class')",
                              [f"dataset_o{observation}"]).fetchone()
        assert comment and comment[0].startswith(f"Partition of dataset for observation {observation}: TESS sector ")
        assert "camera " in comment[0] and "CCD " in comment[0]


@pytest.fixture
def owner_login(server_dsn: str) -> Iterator[tuple[str, str]]:
    """(dsn, role): a new database owned by a new LOGIN role that is not a superuser, made as sql/roles.sql says:
    the group roles first, then a login with CREATEROLE and ADMIN OPTION on them (the migrations comment them)."""
    role = f"lcdb_t_login_{secrets.token_hex(3)}"
    database = f"lcdb_t_owned_{secrets.token_hex(3)}"
    with psycopg.connect(server_dsn, autocommit=True) as admin:
        admin.execute((REPO / "sql" / "roles.sql").read_text())
        admin.execute(sql.SQL("CREATE ROLE {} LOGIN CREATEROLE").format(sql.Identifier(role)))
        admin.execute(sql.SQL("GRANT lcdb_owner, lcdb_reader, lcdb_writer TO {} WITH ADMIN OPTION")
                      .format(sql.Identifier(role)))
        admin.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(database), sql.Identifier(role)))
    try:
        yield conninfo.make_conninfo(server_dsn, dbname=database, user=role), role
    finally:
        with psycopg.connect(server_dsn, autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database)))
            admin.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))


def test_an_ordinary_database_owner_migrates_and_no_superuser_owns_anything(
        owner_login: tuple[str, str], tmp_path: Path) -> None:
    dsn, _ = owner_login
    assert migrate.apply(dsn) == migrate.package_migration_ids()
    assert migrate.repair(dsn) == []
    with psycopg.connect(dsn) as conn:
        assert conn.execute(SUPERUSER_OWNED).fetchall() == []
        assert conn.execute("SELECT prosrc FROM pg_proc WHERE proname = 'lcdb_packed'").fetchone() \
            == ("SELECT pg_catalog.array_send($1)",)
    # the portable array path ingests and reads
    paths = synthetic.write_sample(tmp_path / "in", sample=synthetic.SAMPLE[:1])
    summary = ingest_paths(dsn, paths)
    assert summary.failed == [] and summary.count("added") == len(paths)
    with lightcurvedb.connect(dsn) as conn:
        assert len(load_tic(conn, synthetic.SAMPLE[0].tic_id).observations) == len(paths)


def test_migrate_reinstalls_the_array_functions_and_recreates_a_dropped_partition(
        clone_db: Callable[[str], AbstractContextManager[str]]) -> None:
    with clone_db("lcdb_repair") as dsn:
        with psycopg.connect(dsn, autocommit=True) as admin:
            observation = make_world(admin).observation_id
            admin.execute(f"DROP TABLE quality_flag_array_o{observation}")
            admin.execute("DROP FUNCTION lcdb_unpacked(bytea, anyarray), lcdb_raw_array(bytea, anyarray), "
                          "lcdb_packed(anyarray)")
        found = migrate.repair(dsn)
        assert any(line.startswith("repaired: the array functions were missing") for line in found), found
        assert any(line.startswith("repaired: recreated the missing (empty) partitions of 1 observation")
                   for line in found), found
        assert migrate.repair(dsn) == []
        with psycopg.connect(dsn) as conn:
            assert conn.execute("SELECT lcdb_packed(ARRAY[1.0]::float8[]) IS NOT NULL").fetchone() == (True,)
            assert conn.execute("SELECT to_regclass(%s) IS NOT NULL",
                                [f"quality_flag_array_o{observation}"]).fetchone() == (True,)


def test_migrate_says_what_it_cannot_repair(clone_db: Callable[[str], AbstractContextManager[str]],
                                           capsys: pytest.CaptureFixture[str]) -> None:
    from lightcurvedb.cli import main

    with clone_db("lcdb_damaged") as dsn:
        with psycopg.connect(dsn, autocommit=True) as admin:
            admin.execute("DROP VIEW tess_observation_view CASCADE")
        assert main(["--dsn", dsn, "migrate"]) == 1
        out = capsys.readouterr().out
        assert "schema up to date" in out
        assert "damaged: view tess_observation_view is missing (restore it from a backup)" in out
