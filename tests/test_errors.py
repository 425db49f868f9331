"""lightcurvedb.errors knows every constraint name of the schema, and translates real violations."""

from __future__ import annotations

import re
from typing import Any

import psycopg
import pytest

from lightcurvedb import errors

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
    for (source,) in conn.execute("SELECT prosrc FROM pg_proc WHERE pronamespace = 'public'::regnamespace"):
        names |= set(re.findall(r"CONSTRAINT\s*=\s*'([a-z0-9_]+)'", source))
        for pattern in re.findall(r"CONSTRAINT\s*=\s*format\('([a-z0-9_%]+)'", source):
            names |= {pattern.replace("%s", t) for t in ("dataset", "target_specific_time", "quality_flag_array")}
    return names


def test_every_schema_constraint_is_mapped(raw_conn: Conn) -> None:
    names = _schema_constraint_names(raw_conn)
    assert "ck_dataset_length_matches_observation" in names
    assert "uq_target_alias_pair" in names
    assert sorted(names - errors.CONSTRAINT_ERRORS.keys()) == []


def test_mapped_names_exist_in_the_schema(raw_conn: Conn) -> None:
    pks = {
        r[0]
        for r in raw_conn.execute(
            "SELECT conname FROM pg_constraint WHERE connamespace = 'public'::regnamespace AND contype = 'p'"
        )
    }
    assert sorted(errors.CONSTRAINT_ERRORS.keys() - _schema_constraint_names(raw_conn) - pks) == []


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
    typed = errors.translate(exc)
    assert isinstance(typed, errors.DuplicateMission)
    assert typed.constraint == "uq_mission_name"

    root = raw_conn.execute("INSERT INTO instrument (name) VALUES ('errors-root') RETURNING id").fetchone()
    assert root is not None
    obs = raw_conn.execute(
        "INSERT INTO observation (instrument_id, cadence_reference) VALUES (%s, '{1,2}') RETURNING id", root
    ).fetchone()
    assert obs is not None
    assert isinstance(
        errors.translate(_violation(raw_conn, "DELETE FROM instrument WHERE id = %s", root)), errors.InstrumentInUse
    )
    assert isinstance(
        errors.translate(
            _violation(raw_conn, "INSERT INTO observation (instrument_id, cadence_reference) VALUES (-1, '{1}')")
        ),
        errors.UnknownInstrument,
    )
    raw_conn.execute("INSERT INTO quality_flag_array (observation_id, quality_flags) VALUES (%s, '{0,0}')", obs)
    exc = _violation(
        raw_conn, "INSERT INTO quality_flag_array (observation_id, quality_flags) VALUES (%s, '{0,0}')", obs
    )
    assert exc.diag.constraint_name == f"uq_quality_flag_array_type_observation_target_o{obs[0]}"
    typed = errors.translate(exc)
    assert isinstance(typed, errors.DuplicateQualityFlags)
    assert typed.constraint == "uq_quality_flag_array_type_observation_target"
    typed = errors.translate(
        _violation(
            raw_conn,
            "INSERT INTO quality_flag_array (observation_id, target_id, quality_flags) VALUES (%s, -1, '{0}')",
            obs,
        )
    )
    assert isinstance(typed, errors.ArrayLengthMismatch)
    assert isinstance(typed, errors.ConstraintViolation)
    assert errors.translate(_violation(raw_conn, "SELECT 1/0")) is None
