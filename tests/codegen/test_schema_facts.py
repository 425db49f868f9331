"""lightcurvedb.schema (generated): every constraint name of the database, and the table facts bulk writers need."""

from __future__ import annotations

import re
from typing import Any

import psycopg
import pytest

from codegen import schema as schema_gen
from codegen.database import read_catalog
from codegen.model import ModelError
from lightcurvedb import schema
from lightcurvedb.bulk import _tables

Conn = psycopg.Connection[Any]


def _catalog_names(conn: Conn) -> dict[str, set[tuple[str, bool]]]:
    """{name: {(table, is a partition)}} of every constraint and unique index of schema public, partitions and
    PostgreSQL's internal clones included."""
    rows = conn.execute(
        "SELECT con.conname, c.relname, c.relispartition OR con.conparentid <> 0 FROM pg_constraint AS con "
        "JOIN pg_class AS c ON c.oid = con.conrelid "
        "WHERE con.connamespace = 'public'::regnamespace AND con.contype <> 'n' AND c.relname NOT LIKE '%yoyo%' "
        "UNION SELECT i.relname, c.relname, c.relispartition FROM pg_index AS ix "
        "JOIN pg_class AS i ON i.oid = ix.indexrelid JOIN pg_class AS c ON c.oid = ix.indrelid "
        "WHERE ix.indisunique AND c.relnamespace = 'public'::regnamespace AND c.relname NOT LIKE '%yoyo%'"
    ).fetchall()
    out: dict[str, set[tuple[str, bool]]] = {}
    for name, table, partition in rows:
        out.setdefault(name, set()).add((table, partition))
    return out


def _with_partitions(conn: Conn) -> int:
    instrument = conn.execute("INSERT INTO instrument (name) VALUES ('facts-ccd') RETURNING id").fetchone()
    assert instrument is not None
    row = conn.execute("INSERT INTO observation (instrument_id, cadence_reference) VALUES (%s, '{1,2,3}') "
                       "RETURNING id", (instrument[0],)).fetchone()
    assert row is not None
    return int(row[0])


def test_every_catalog_constraint_is_listed_and_partition_copies_are_not(raw_conn: Conn) -> None:
    obs = _with_partitions(raw_conn)  # rolled back after the test
    names = _catalog_names(raw_conn)
    suffix = f"_o{obs}"
    copies = {n for n in names if n.endswith(suffix)}
    assert "uq_dataset_group_target_observation" + suffix in copies
    assert not copies & schema.CONSTRAINTS.keys()
    for copy in copies:  # a partition's key is its parent's constraint, renamed
        assert copy.removesuffix(suffix) in schema.CONSTRAINTS
    # a partitioned table's keys and foreign keys are its default partition's (each partition has its copy)
    default = {f"{p}_default": p for p in ("dataset", "target_specific_time", "quality_flag_array")}
    parents = {n: {default.get(t, t) for t, partition in tables if not partition or t in default}
               for n, tables in names.items() if not n.endswith(suffix)}
    parents = {n: tables for n, tables in parents.items() if tables}
    assert ("dataset_default", True) in names["fk_dataset_release"]
    assert names["pk_dataset"] == {("dataset_default", True)}  # no key on the partitioned table itself
    listed = {n for n, f in schema.CONSTRAINTS.items() if f.kind != "trigger"}
    assert listed == set(parents)
    for name, tables in parents.items():
        assert tables == {schema.CONSTRAINTS[name].table}


def test_every_name_a_trigger_function_raises_is_listed(raw_conn: Conn) -> None:
    triggers = raw_conn.execute(
        "SELECT p.prosrc, t.tgnargs, t.tgargs FROM pg_trigger AS t JOIN pg_proc AS p ON p.oid = t.tgfoid "
        "WHERE p.pronamespace = 'public'::regnamespace AND NOT t.tgisinternal"
    ).fetchall()
    raised: set[str] = set()
    for source, nargs, tgargs in triggers:
        args = [a.decode() for a in bytes(tgargs).split(b"\x00")[:nargs]]
        raised |= set(re.findall(r"CONSTRAINT\s*=\s*'([a-z0-9_]+)'", source))
        if re.search(r"CONSTRAINT\s*=\s*TG_ARGV", source):
            raised |= {a for a in args if re.fullmatch(r"(ck|fk|uq|pk)_[a-z0-9_]+", a)}
        for pattern in re.findall(r"CONSTRAINT\s*=\s*format\('([a-z0-9_%]+)'", source):
            raised.add(pattern.replace("%s", args[0]))
    assert {"ck_dataset_length_matches_observation", "ck_dataset_lineage_acyclic", "ck_dataset_partition_exists",
            "ck_target_alias_different_catalogs", "fk_observation_instrument"} <= raised
    assert sorted(raised - schema.CONSTRAINTS.keys()) == []
    trigger_kind = {n for n, f in schema.CONSTRAINTS.items() if f.kind == "trigger"}
    assert trigger_kind <= raised
    assert all(schema.CONSTRAINTS[n].raised_by for n in raised)


def test_trigger_facts() -> None:
    length = schema.CONSTRAINTS["ck_dataset_length_matches_observation"]
    assert (length.kind, length.table, length.sqlstate) == ("trigger", "dataset", "23514")
    assert [r.function for r in length.raised_by] == ["dataset_check_length"]
    partition = schema.CONSTRAINTS["ck_quality_flag_array_partition_exists"]
    assert (partition.table, partition.raised_by[0].on_table) == ("quality_flag_array", "quality_flag_array_default")
    in_use = schema.CONSTRAINTS["fk_processing_group_photometric_source"]
    assert (in_use.kind, in_use.sqlstate, in_use.on_delete) == ("foreign_key", "23503", "restrict")
    assert [(r.on_table, r.sqlstate) for r in in_use.raised_by] == [("photometric_source", "23001")]
    unknown = schema.CONSTRAINTS["fk_dataset_observation"]  # the default partition reports it as an FK violation
    assert unknown.on_delete == "cascade" and [r.sqlstate for r in unknown.raised_by] == ["23503"]


def test_constraint_kinds() -> None:
    c = schema.CONSTRAINTS
    assert (c["pk_dataset"].kind, c["pk_dataset"].columns) == ("primary_key", ("id", "observation_id"))
    assert (c["uq_instrument_parent_name"].kind, c["uq_instrument_parent_name"].nulls_not_distinct) == ("unique", True)
    assert c["uq_target_alias_pair"].kind == "unique"  # a unique expression index
    fk = c["fk_dataset_release"]  # a partitioned table's foreign keys are each partition's, named as the schema's
    assert (fk.table, fk.references, fk.columns, fk.on_delete) == ("dataset", "release", ("release_id",), "cascade")
    lineage = c["fk_dataset_lineage_child"]  # nothing references a partitioned table: a trigger checks it
    assert (lineage.kind, lineage.sqlstate, lineage.raised_by[0].function) == (
        "trigger", "23503", "lcdb_check_dataset_reference")
    assert c["ck_dataset_errors_length"].kind == "check"
    assert list(c) == sorted(c)


@pytest.mark.parametrize("tbl", list(_tables.BULK_TABLES.values()), ids=lambda s: s.name)
def test_tables_carry_what_the_bulk_writers_use(tbl: _tables.BulkTable) -> None:
    table = schema.TABLES[tbl.name]
    assert [table.column(c).type for c in tbl.columns] == list(tbl.types)
    assert table.natural_key is not None and table.natural_key.columns == tbl.key
    assert set(table.natural_key.nullable) == set(tbl.nullable_key)
    writable = [c.name for c in table.columns if not (c.generated or c.identity)]
    assert set(tbl.columns) <= set(writable)


def test_dataset_table() -> None:
    dataset = schema.TABLES["dataset"]
    assert [(c.name, c.type, c.not_null) for c in dataset.columns] == [
        ("id", "int8", True), ("processing_group_id", "int8", True), ("target_id", "int8", True),
        ("observation_id", "int8", True), ("values", "float8[]", False), ("errors", "float8[]", False),
        ("release_id", "int8", False), ("values_f4", "float4[]", False), ("errors_f4", "float4[]", False)]
    assert dataset.column("id").has_default and dataset.column("id").identity
    assert dataset.primary_key == ("id", "observation_id") and dataset.partitioned_by == ("observation_id",)
    key = dataset.natural_key
    assert key is not None
    assert (key.constraint, key.columns, key.nullable) == (
        "uq_dataset_group_target_observation", ("processing_group_id", "target_id", "observation_id", "release_id"),
        ("release_id",))
    flags = schema.TABLES["quality_flag_array"].natural_key
    assert flags is not None and (flags.nullable, flags.nulls_not_distinct) == (("target_id", "release_id"), True)
    assert schema.TABLES["observation"].natural_key is None  # uq_observation_id_type is pk + type: not natural
    assert schema.TABLES["observation"].column("cadence_count").generated
    assert set(schema.TABLES) == {t for t in schema.TABLES if not t.endswith("_view")}


def _add_trigger(conn: Conn, body: str, args: str = "") -> None:
    conn.execute(f"CREATE FUNCTION public.facts_fn() RETURNS trigger LANGUAGE plpgsql AS $$ {body} $$")
    conn.execute(f"CREATE TRIGGER facts_tg BEFORE INSERT ON public.mission FOR EACH ROW "
                 f"EXECUTE FUNCTION public.facts_fn({args})")


def test_raise_expressions_are_evaluated(raw_conn: Conn) -> None:
    _add_trigger(raw_conn, "DECLARE k text := TG_ARGV[0]; BEGIN "
                 "RAISE unique_violation USING CONSTRAINT = 'uq_' || k || '_x'; "
                 "RAISE EXCEPTION 'no; really' USING ERRCODE = '23P01', CONSTRAINT = format('ex_%s_%s', k, 'y'), "
                 "TABLE = TG_TABLE_NAME; RETURN NEW; END;", "'z'")
    found = {(name, table, r.sqlstate) for name, table, r in schema_gen.trigger_raises(raw_conn)
             if r.function == "facts_fn"}
    assert found == {("uq_z_x", "mission", "23505"), ("ex_z_y", "mission", "23P01")}


def test_an_unreadable_raise_is_refused(raw_conn: Conn) -> None:
    _add_trigger(raw_conn, "BEGIN RAISE EXCEPTION 'x' USING CONSTRAINT = lower(NEW.name); RETURN NEW; END;")
    with pytest.raises(ModelError, match=r"facts_tg.*lower"):
        schema_gen.read(raw_conn, read_catalog(raw_conn))
