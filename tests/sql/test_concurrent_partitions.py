"""0021.concurrent_partitions: partitions built apart and attached, while writers of other partitions go on."""

from __future__ import annotations

import time
from typing import Any

import psycopg
import pytest
from psycopg import errors as e

from ._schema import make_observation, make_world, one

Conn = psycopg.Connection[Any]
PARENTS = ("dataset", "target_specific_time", "quality_flag_array")
SHAPE = """
SELECT 'column', a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull::text, a.attstorage::text,
       a.attcompression::text
FROM pg_attribute AS a WHERE a.attrelid = %(rel)s::regclass AND a.attnum > 0 AND NOT a.attisdropped
UNION ALL
SELECT 'constraint', c.conname, pg_get_constraintdef(c.oid), c.condeferrable::text, c.contype::text, ''
FROM pg_constraint AS c WHERE c.conrelid = %(rel)s::regclass
UNION ALL
SELECT 'index', i.relname,
       regexp_replace(pg_get_indexdef(x.indexrelid), 'INDEX \\S+ ON (ONLY )?\\S+ ', 'INDEX ON t '), '', '', ''
FROM pg_index AS x JOIN pg_class AS i ON i.oid = x.indexrelid WHERE x.indrelid = %(rel)s::regclass
UNION ALL
SELECT 'trigger', t.tgname, (pg_get_triggerdef(t.oid) ~ ' FOR EACH ROW ')::text, '', '', ''
FROM pg_trigger AS t WHERE t.tgrelid = %(rel)s::regclass AND NOT t.tgisinternal
UNION ALL
SELECT 'grant', a.grantee::regrole::text, a.privilege_type, '', '', ''
FROM pg_class AS c, aclexplode(c.relacl) AS a WHERE c.oid = %(rel)s::regclass AND a.grantee <> c.relowner
"""


def shape(conn: Conn, rel: str, suffix: str = "") -> set[tuple[str, ...]]:
    """A table's columns, constraints, indexes, row triggers and grants, names with `suffix` removed."""
    rows = conn.execute(SHAPE, {"rel": rel}).fetchall()
    return {(kind, name.removesuffix(suffix), *rest) for kind, name, *rest in rows}


def test_a_partition_has_its_parents_columns_keys_indexes_triggers_and_grants(raw_conn: Conn) -> None:
    obs = make_world(raw_conn).observation_id
    for parent in PARENTS:
        part = f"{parent}_o{obs}"
        assert one(raw_conn, "SELECT relispartition FROM pg_class WHERE oid = %s::regclass", (part,))
        # the parent's columns, checks, indexes, triggers and grants, and the default partition's keys and foreign
        # keys (0023: a partitioned table has none itself, so that a partition may be foreign)
        default = shape(raw_conn, f"{parent}_default")
        keys = {row for row in default if row[0] == "constraint" and row[4] in ("p", "u", "f")}
        key_names = {row[1] for row in keys}
        keys |= {row for row in default if row[0] == "index" and row[1] in key_names}
        assert keys and shape(raw_conn, part, f"_o{obs}") == shape(raw_conn, parent) | keys, parent
        owner = one(raw_conn, "SELECT relowner::regrole::text FROM pg_class WHERE oid = %s::regclass", (part,))
        assert owner == "lcdb_owner"


def test_the_release_keys_are_deferrable_and_checked_at_commit(fresh_dsn: str) -> None:
    with psycopg.connect(fresh_dsn) as conn:
        w = make_world(conn)
        conn.commit()
        conn.execute("SET CONSTRAINTS ALL DEFERRED")
        conn.execute(
            'INSERT INTO dataset (processing_group_id, target_id, observation_id, "values", errors, release_id) '
            "VALUES (%s, %s, %s, array_fill(1.0::float8, ARRAY[%s]), array_fill(0.1::float8, ARRAY[%s]), %s)",
            (w.group_id, w.target_id, w.observation_id, w.cadences, w.cadences, 987_654_321))
        with pytest.raises(e.ForeignKeyViolation) as refused:
            conn.commit()
        assert refused.value.diag.constraint_name == "fk_dataset_release"
        assert one(conn, "SELECT count(*) FROM dataset") == 0


def test_creating_an_observation_does_not_wait_for_a_writer_of_another_partition(fresh_dsn: str) -> None:
    with psycopg.connect(fresh_dsn) as writer, psycopg.connect(fresh_dsn, autocommit=True) as creator:
        w = make_world(writer)
        writer.commit()
        # an ingest's data transaction: its arrays first, into its partition, under deferred release keys
        writer.execute("SET CONSTRAINTS ALL DEFERRED")
        release = one(writer, "SELECT nextval(pg_get_serial_sequence('public.release', 'id'))")
        writer.execute(
            'INSERT INTO dataset (processing_group_id, target_id, observation_id, "values", errors, release_id) '
            "VALUES (%s, %s, %s, array_fill(1.0::float8, ARRAY[%s]), array_fill(0.1::float8, ARRAY[%s]), %s)",
            (w.group_id, w.target_id, w.observation_id, w.cadences, w.cadences, release))
        creator.execute("SET lock_timeout = '5s'")
        started = time.perf_counter()
        new = make_observation(creator, w.ccd, 3, sector=2)
        assert time.perf_counter() - started < 5
        assert one(creator, "SELECT count(*) FROM pg_inherits WHERE inhrelid = %s::regclass",
                   (f"dataset_o{new}",)) == 1
        product = one(writer, "SELECT id FROM product ORDER BY id LIMIT 1")
        writer.execute("INSERT INTO release (id, product_id, target_id, observation_id, number) "
                       "VALUES (%s, %s, %s, %s, 1)", (release, product, w.target_id, w.observation_id))
        writer.commit()
        assert one(writer, "SELECT count(*) FROM dataset WHERE release_id = %s", (release,)) == 1


def test_prepared_tables_are_nobodys_until_attached_and_discarding_spares_partitions(raw_conn: Conn) -> None:
    w = make_world(raw_conn)
    reserved = one(raw_conn, "SELECT nextval(pg_get_serial_sequence('public.observation', 'id'))")
    assert one(raw_conn, "SELECT lcdb_prepare_observation_partitions(%s)", (reserved,)) == 3
    assert one(raw_conn, "SELECT lcdb_prepare_observation_partitions(%s)", (reserved,)) == 0
    for parent in PARENTS:
        rel = f"{parent}_o{reserved}"
        assert one(raw_conn, "SELECT relispartition FROM pg_class WHERE oid = %s::regclass", (rel,)) is False
        assert not one(raw_conn, "SELECT has_table_privilege('lcdb_writer', %s, 'INSERT')", (rel,))
    assert one(raw_conn, "SELECT lcdb_discard_observation_partitions(%s)", (reserved,)) == 3
    assert one(raw_conn, "SELECT to_regclass(%s)", (f"dataset_o{reserved}",)) is None
    assert one(raw_conn, "SELECT lcdb_discard_observation_partitions(%s)", (w.observation_id,)) == 0
    assert one(raw_conn, "SELECT count(*) FROM pg_inherits WHERE inhrelid = %s::regclass",
               (f"dataset_o{w.observation_id}",)) == 1
    with pytest.raises(e.InvalidParameterValue):
        raw_conn.execute("SELECT lcdb_prepare_observation_partitions(0)")
