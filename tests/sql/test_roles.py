"""Group roles lcdb_reader and lcdb_writer."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from psycopg import errors as e

from ._schema import make_dataset, make_world, one, refuse

Conn = psycopg.Connection[Any]


def as_role(conn: Conn, role: str) -> None:
    conn.execute(f"SET LOCAL ROLE {role}")


def test_roles_exist_as_nologin_groups(raw_conn: Conn) -> None:
    rows = raw_conn.execute(
        "SELECT rolname, rolcanlogin, rolsuper, rolcreaterole, rolcreatedb FROM pg_roles "
        "WHERE rolname IN ('lcdb_reader', 'lcdb_writer') ORDER BY 1"
    ).fetchall()
    assert rows == [("lcdb_reader", False, False, False, False), ("lcdb_writer", False, False, False, False)]
    assert one(raw_conn, "SELECT pg_has_role('lcdb_writer', 'lcdb_reader', 'MEMBER')")


@pytest.mark.parametrize(
    "relation",
    [
        "mission",
        "target",
        "observation",
        "dataset",
        "dataset_lineage",
        "tess_observation_view",
        "hst_observation_view",
        "tess_fits_frame_view",
        "observation_with_subtypes",
        "fits_frame_with_subtypes",
        "quality_flag_array",
    ],
)
def test_reader_selects_everything(raw_conn: Conn, relation: str) -> None:
    as_role(raw_conn, "lcdb_reader")
    raw_conn.execute(f"SELECT * FROM {relation} LIMIT 1")


def test_reader_reads_partitions_directly_but_cannot_write(raw_conn: Conn) -> None:
    w = make_world(raw_conn)
    make_dataset(raw_conn, w.group_id, w.target_id, w.observation_id, w.cadences)
    as_role(raw_conn, "lcdb_reader")
    assert one(raw_conn, f"SELECT count(*) FROM dataset_o{w.observation_id}") == 1
    refuse(raw_conn, e.InsufficientPrivilege, None, "INSERT INTO photometric_source (name) VALUES ('x')")
    refuse(raw_conn, e.InsufficientPrivilege, None, "DELETE FROM dataset")
    refuse(raw_conn, e.InsufficientPrivilege, None, f"DELETE FROM dataset_o{w.observation_id}")
    refuse(raw_conn, e.InsufficientPrivilege, None, "UPDATE mission SET description = 'x'")


def test_writer_writes_data_but_has_no_ddl(raw_conn: Conn) -> None:
    w = make_world(raw_conn)
    as_role(raw_conn, "lcdb_writer")
    ds = make_dataset(raw_conn, w.group_id, w.target_id, w.observation_id, w.cadences)
    raw_conn.execute('UPDATE dataset SET "values" = errors WHERE id = %s', (ds,))
    raw_conn.execute(f"DELETE FROM dataset_o{w.observation_id} WHERE id = %s", (ds,))
    raw_conn.execute("INSERT INTO photometric_source (name) VALUES ('writer-made')")
    refuse(raw_conn, e.InsufficientPrivilege, None, "CREATE TABLE public.scratch (x int)")
    refuse(raw_conn, e.InsufficientPrivilege, None, "DROP TABLE dataset_lineage")
    refuse(raw_conn, e.InsufficientPrivilege, None, "ALTER TABLE mission ADD COLUMN x int")
    refuse(raw_conn, e.InsufficientPrivilege, None, "TRUNCATE dataset")
    refuse(raw_conn, e.InsufficientPrivilege, None, "SELECT lcdb_create_observation_partitions(123456789)")
    refuse(raw_conn, e.InsufficientPrivilege, None, "INSERT INTO _yoyo_migration (migration_hash) VALUES ('x')")
