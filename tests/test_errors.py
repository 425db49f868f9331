"""Every constraint of the schema has its error category, and real violations are translated to it."""

from __future__ import annotations

import pickle
import re
from typing import Any

import psycopg
import pytest

from lightcurvedb import errors, schema
from lightcurvedb.query_runtime import translate

Conn = psycopg.Connection[Any]


def _schema_constraint_names(conn: Conn) -> set[str]:
    names = {
        r[0]
        for r in conn.execute(
            "SELECT conname FROM pg_constraint WHERE connamespace = 'public'::regnamespace AND contype <> 'n' "
            "AND conparentid = 0 AND conrelid::regclass::text NOT LIKE '%yoyo%' AND conname NOT LIKE 'pk\\_%'"
        )
    }
    names |= {  # unique indexes that are not constraints (expression indexes)
        r[0]
        for r in conn.execute(
            "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE i.indisunique AND c.relnamespace = 'public'::regnamespace "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conindid = i.indexrelid)"
        )
    }
    names = {n for n in names if not re.search(r"_o[0-9]+$", n)}  # a partition's copy of a key
    for (tgargs,) in conn.execute("SELECT t.tgargs FROM pg_trigger AS t JOIN pg_proc AS p ON p.oid = t.tgfoid "
                                  "WHERE p.prosrc ~ 'CONSTRAINT = TG_ARGV' AND NOT t.tgisinternal"):
        names |= {a.decode() for a in bytes(tgargs).split(b"\x00") if re.fullmatch(rb"(ck|fk|uq)_[a-z0-9_]+", a)}
    for (source,) in conn.execute("SELECT prosrc FROM pg_proc WHERE pronamespace = 'public'::regnamespace"):
        names |= set(re.findall(r"CONSTRAINT\s*=\s*'([a-z0-9_]+)'", source))
        for pattern in re.findall(r"CONSTRAINT\s*=\s*format\('([a-z0-9_%]+)'", source):
            names |= {pattern.replace("%s", t) for t in ("dataset", "target_specific_time", "quality_flag_array")}
    return names


def test_the_generated_constraint_names_are_the_schema_s(raw_conn: Conn) -> None:
    names = _schema_constraint_names(raw_conn)
    assert "ck_dataset_length_matches_observation" in names
    assert "uq_target_alias_pair" in names
    pks = {n for n, f in schema.CONSTRAINTS.items() if f.kind == "primary_key"}
    assert sorted(names ^ (schema.CONSTRAINTS.keys() - pks)) == []


CATEGORY = {"primary_key": errors.DuplicateKey, "unique": errors.DuplicateKey,
            "foreign_key": errors.UnknownReference, "check": errors.InvalidData}


@pytest.mark.parametrize("name", sorted(schema.CONSTRAINTS))
def test_every_constraint_has_its_category(name: str) -> None:
    fact = schema.CONSTRAINTS[name]
    category = errors.SQLSTATE_ERRORS[fact.sqlstate]
    assert issubclass(category, errors.ConstraintViolation)
    if fact.kind in CATEGORY:
        assert category is CATEGORY[fact.kind]
    for raised in fact.raised_by:  # e.g. the "in use" refusal of an ON DELETE RESTRICT foreign key
        assert issubclass(errors.SQLSTATE_ERRORS[raised.sqlstate], errors.ConstraintViolation)


def test_each_sqlstate_is_declared_once_and_categories_are_few() -> None:
    assert {c.__name__ for c in errors.SQLSTATE_ERRORS.values() if issubclass(c, errors.ConstraintViolation)} == {
        "DuplicateKey", "UnknownReference", "ReferenceInUse", "InvalidData"}
    for code, cls in errors.SQLSTATE_ERRORS.items():
        assert code in cls.sqlstates


def _violation(conn: Conn, query: str, params: Any = None) -> psycopg.Error:
    with pytest.raises(psycopg.Error) as info, conn.transaction():
        conn.execute(query, params)
    return info.value


def test_translate_real_violations(raw_conn: Conn) -> None:
    raw_conn.execute(
        "INSERT INTO mission (name, time_epoch, time_epoch_scale, time_epoch_format, time_format_name) "
        "VALUES ('TESS-errors', 2457000, 'tdb', 'jd', 'btjd_errors')"
    )
    exc = _violation(
        raw_conn,
        "INSERT INTO mission (name, time_epoch, time_epoch_scale, time_epoch_format, time_format_name) "
        "VALUES ('TESS-errors', 2457000, 'tdb', 'jd', 'other')",
    )
    typed = translate(exc)
    assert isinstance(typed, errors.DuplicateKey)
    assert (typed.constraint, typed.table) == ("uq_mission_name", "mission")

    root = raw_conn.execute("INSERT INTO instrument (name) VALUES ('errors-root') RETURNING id").fetchone()
    assert root is not None
    obs = raw_conn.execute(
        "INSERT INTO observation (instrument_id, cadence_reference) VALUES (%s, '{1,2}') RETURNING id", root
    ).fetchone()
    assert obs is not None
    typed = translate(_violation(raw_conn, "DELETE FROM instrument WHERE id = %s", root))
    assert isinstance(typed, errors.ReferenceInUse)
    assert (typed.constraint, typed.table) == ("fk_observation_instrument", "observation")
    typed = translate(_violation(raw_conn, "INSERT INTO observation (instrument_id, cadence_reference) "
                                           "VALUES (-1, '{1}')"))
    assert isinstance(typed, errors.UnknownReference)
    assert typed.constraint == "fk_observation_instrument"
    raw_conn.execute("INSERT INTO quality_flag_array (observation_id, quality_flags) VALUES (%s, '{0,0}')", obs)
    exc = _violation(
        raw_conn, "INSERT INTO quality_flag_array (observation_id, quality_flags) VALUES (%s, '{0,0}')", obs
    )
    assert exc.diag.constraint_name == f"uq_quality_flag_array_type_observation_target_o{obs[0]}"
    typed = translate(exc)
    assert isinstance(typed, errors.DuplicateKey)
    assert (typed.constraint, typed.table) == ("uq_quality_flag_array_type_observation_target", "quality_flag_array")
    typed = translate(
        _violation(
            raw_conn,
            "INSERT INTO quality_flag_array (observation_id, target_id, quality_flags) VALUES (%s, -1, '{0}')",
            obs,
        )
    )
    assert isinstance(typed, errors.InvalidData) and isinstance(typed, ValueError)
    assert typed.constraint == "ck_quality_flag_array_length_matches_observation"
    assert translate(_violation(raw_conn, "SELECT 1/0")) is None
    other = _violation(raw_conn, "CREATE TEMP TABLE t (x int CONSTRAINT not_ours CHECK (x > 0)); "
                                 "INSERT INTO t VALUES (0)")
    assert other.diag.constraint_name == "not_ours" and translate(other) is None  # not a constraint of the schema


def test_typed_constraint_errors_cross_process_boundaries() -> None:
    err = errors.DuplicateKey("dup", constraint="uq_mission_name", table="mission", detail="Key (name)=(x)")
    back = pickle.loads(pickle.dumps(err))  # noqa: S301 (our own bytes)
    assert (type(back), str(back), back.constraint, back.table, back.detail) == (
        errors.DuplicateKey, "dup", "uq_mission_name", "mission", "Key (name)=(x)")
