"""Partitioning by observation: automatic partitions, storage, names, detach/drop, lineage across partitions."""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg import errors as e

from ._schema import make_dataset, make_flags, make_observation, make_times, make_world, one, refuse

Conn = psycopg.Connection[Any]
PARENTS = ("dataset", "target_specific_time", "quality_flag_array")
LINK = (
    "INSERT INTO dataset_lineage (child_dataset_id, child_observation_id, parent_dataset_id, parent_observation_id) "
    "VALUES (%s, %s, %s, %s)"
)


def partitions_of(conn: Conn, observation: int) -> dict[str, str]:
    rows = conn.execute(
        "SELECT c.relname, p.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "JOIN pg_class p ON p.oid = i.inhparent WHERE c.relkind = 'r' AND c.relname LIKE %s",
        (f"%\\_o{observation}",),
    ).fetchall()
    return {r[0]: r[1] for r in rows}


def test_inserting_an_observation_creates_its_partitions(raw_conn: Conn) -> None:
    w = make_world(raw_conn)
    obs = w.observation_id
    assert partitions_of(raw_conn, obs) == {f"{p}_o{obs}": p for p in PARENTS}
    make_dataset(raw_conn, w.group_id, w.target_id, obs, w.cadences)
    make_times(raw_conn, w.target_id, obs, w.cadences)
    make_flags(raw_conn, None, obs, w.cadences)
    assert one(raw_conn, f"SELECT count(*) FROM dataset_o{obs}") == 1
    keys = {
        r[0]
        for r in raw_conn.execute(
            "SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass AND contype IN ('p', 'u')",
            (f"dataset_o{obs}",),
        )
    }
    assert keys == {f"pk_dataset_o{obs}", f"uq_dataset_group_target_observation_o{obs}"}
    assert "observation" in one(raw_conn, "SELECT obj_description(%s::regclass, 'pg_class')", (f"dataset_o{obs}",))


def test_direct_insert_into_a_partition_gets_an_id(raw_conn: Conn) -> None:
    w = make_world(raw_conn)
    ds = one(
        raw_conn,
        f'INSERT INTO dataset_o{w.observation_id} (processing_group_id, target_id, observation_id, "values", errors) '
        "VALUES (%s, %s, %s, %s, %s) RETURNING id",
        (w.group_id, w.target_id, w.observation_id, [1.0] * w.cadences, [0.5] * w.cadences),
    )
    assert ds is not None
    refuse(
        raw_conn,
        e.CheckViolation,
        "ck_dataset_length_matches_observation",
        f'UPDATE dataset_o{w.observation_id} SET "values" = %s, errors = %s',
        ([1.0], [1.0]),
    )


def test_row_of_a_detached_partition_is_refused_clearly(raw_conn: Conn) -> None:
    w = make_world(raw_conn)
    obs = w.observation_id
    make_dataset(raw_conn, w.group_id, w.target_id, obs, w.cadences)
    raw_conn.execute(f"ALTER TABLE dataset DETACH PARTITION dataset_o{obs}")
    assert one(raw_conn, "SELECT count(*) FROM dataset WHERE observation_id = %s", (obs,)) == 0
    assert one(raw_conn, f"SELECT count(*) FROM dataset_o{obs}") == 1  # the sector's data, kept aside
    exc = refuse(
        raw_conn,
        e.CheckViolation,
        "ck_dataset_partition_exists",
        'INSERT INTO dataset (processing_group_id, target_id, observation_id, "values", errors) '
        "VALUES (%s, %s, %s, %s, %s)",
        (w.group_id, w.target_id, obs, [1.0] * w.cadences, [1.0] * w.cadences),
    )
    assert "lcdb_create_observation_partitions" in (exc.diag.message_hint or "")
    raw_conn.execute(f"DROP TABLE dataset_o{obs}")
    raw_conn.execute("SELECT lcdb_create_observation_partitions(%s)", (obs,))
    make_dataset(raw_conn, w.group_id, w.target_id, obs, w.cadences)


def test_dropping_a_sector_partition(raw_conn: Conn) -> None:
    w = make_world(raw_conn)
    obs = w.observation_id
    make_flags(raw_conn, None, obs, w.cadences)
    raw_conn.execute(f"DROP TABLE quality_flag_array_o{obs}")
    assert one(raw_conn, "SELECT count(*) FROM quality_flag_array WHERE observation_id = %s", (obs,)) == 0
    assert one(raw_conn, "SELECT count(*) FROM observation WHERE id = %s", (obs,)) == 1


def test_deleting_an_observation_keeps_its_empty_partitions(raw_conn: Conn) -> None:
    w = make_world(raw_conn)
    obs = w.observation_id
    make_dataset(raw_conn, w.group_id, w.target_id, obs, w.cadences)
    raw_conn.execute("DELETE FROM observation WHERE id = %s", (obs,))
    assert len(partitions_of(raw_conn, obs)) == 3  # documented: a DBA drops them (sql/README.md)
    assert one(raw_conn, f"SELECT count(*) FROM dataset_o{obs}") == 0


def test_writer_without_ddl_rights_creates_partitions(raw_conn: Conn) -> None:
    w = make_world(raw_conn)
    owner = one(raw_conn, "SELECT relowner::regrole::text FROM pg_class WHERE relname = 'dataset'")
    raw_conn.execute("SET LOCAL ROLE lcdb_writer")
    obs = make_observation(raw_conn, w.ccd, sector=4)
    make_dataset(raw_conn, w.group_id, w.target_id, obs, w.cadences)
    raw_conn.execute(
        f"INSERT INTO quality_flag_array_o{obs} (observation_id, quality_flags) VALUES (%s, %s)",
        (obs, [0] * w.cadences),
    )
    raw_conn.execute("RESET ROLE")
    assert one(raw_conn, "SELECT relowner::regrole::text FROM pg_class WHERE relname = %s", (f"dataset_o{obs}",)) == (
        owner
    )


def test_lineage_across_partitions(raw_conn: Conn) -> None:
    w = make_world(raw_conn)
    o1, o2 = w.observation_id, make_observation(raw_conn, w.ccd, sector=2)
    a = make_dataset(raw_conn, w.group_id, w.target_id, o1, w.cadences)
    b = make_dataset(raw_conn, w.group_id, w.target_id, o2, w.cadences)
    other = make_world(raw_conn)
    c = make_dataset(raw_conn, other.group_id, w.target_id, o1, w.cadences)
    d = make_dataset(raw_conn, other.group_id, w.target_id, o2, w.cadences)
    # diamond: b <- a, c <- a, d <- b, d <- c
    for child, parent in (((b, o2), (a, o1)), ((c, o1), (a, o1)), ((d, o2), (b, o2)), ((d, o2), (c, o1))):
        raw_conn.execute(LINK, (*child, *parent))
    refuse(raw_conn, e.UniqueViolation, "pk_dataset_lineage", LINK, (d, o2, c, o1))
    refuse(raw_conn, e.CheckViolation, "ck_dataset_lineage_not_self", LINK, (a, o1, a, o1))
    exc = refuse(raw_conn, e.CheckViolation, "ck_dataset_lineage_acyclic", LINK, (a, o1, d, o2))
    assert "cycle" in (exc.diag.message_primary or "")
    refuse(raw_conn, e.CheckViolation, "ck_dataset_lineage_acyclic", LINK, (b, o2, d, o2))
    refuse(raw_conn, e.ForeignKeyViolation, "fk_dataset_lineage_child", LINK, (a, o2, b, o2))  # wrong observation
    refuse(raw_conn, e.ForeignKeyViolation, "fk_dataset_lineage_parent", LINK, (a, o1, -1, o2))
    raw_conn.execute("DELETE FROM dataset WHERE id = %s AND observation_id = %s", (c, o1))
    assert (
        one(raw_conn, "SELECT count(*) FROM dataset_lineage WHERE %s IN (child_dataset_id, parent_dataset_id)", (c,))
        == 0
    )
