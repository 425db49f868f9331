"""Each refusal is a typed lightcurvedb error naming the problem; unregistered connections keep lists."""

from __future__ import annotations

from typing import Any

import numpy as np
import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from psycopg import sql

from lightcurvedb.adapters import NdarrayLoader, register
from lightcurvedb.errors import (
    ArrayAdaptError,
    ArrayDimensionError,
    ArrayDtypeError,
    LightcurveDBError,
    LossyConversionError,
    NullElementError,
)

SERVER = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.mark.parametrize(
    ("literal", "index"),
    [
        ("'{1,NULL}'::float8[]", 1),
        ("'{NULL}'::float8[]", 0),
        ("'{1,2,NULL,NULL}'::int8[]", 2),
        ("'{t,NULL}'::bool[]", 1),
        ("ARRAY[1::real, NULL]", 1),
    ],
)
def test_null_elements_refused(np_conn: psycopg.Connection[Any], literal: str, index: int) -> None:
    with np_conn.cursor(binary=True) as cur:
        cur.execute(f"SELECT {literal}")
        with pytest.raises(NullElementError, match=f"index {index}") as info:
            cur.fetchone()
    assert info.value.index == index
    assert isinstance(info.value, LightcurveDBError)


@SERVER
@given(values=st.lists(st.one_of(st.none(), st.floats()), min_size=1, max_size=30).filter(lambda v: None in v))
def test_any_null_position_is_reported(np_conn: psycopg.Connection[Any], values: list[float | None]) -> None:
    with np_conn.cursor(binary=True) as cur:
        cur.execute("SELECT %s::float8[]", [values], binary=True)  # a list: psycopg's own dumper
        with pytest.raises(NullElementError) as info:
            cur.fetchone()
    assert info.value.index == values.index(None)


@pytest.mark.parametrize("literal", ["'{{1,2},{3,4}}'::float8[]", "'{{{1}}}'::int4[]", "'{{t},{f}}'::bool[]"])
def test_more_than_one_dimension_refused(np_conn: psycopg.Connection[Any], literal: str) -> None:
    with np_conn.cursor(binary=True) as cur:
        cur.execute(f"SELECT {literal}")
        with pytest.raises(ArrayDimensionError, match="dimensional"):
            cur.fetchone()


def _copy_out(cur: psycopg.Cursor[Any], query: str, types: list[str]) -> list[tuple[Any, ...]]:
    with cur.copy(query) as copy:
        copy.set_types(types)
        return list(copy.rows())


def _copy_in(cur: psycopg.Cursor[Any], query: str, types: list[str], row: list[Any]) -> None:
    with cur.copy(query) as copy:
        copy.set_types(types)
        copy.write_row(row)


def test_null_in_copy_out_refused(np_conn: psycopg.Connection[Any]) -> None:
    query = "COPY (SELECT '{1,NULL}'::float8[]) TO STDOUT (FORMAT BINARY)"
    with np_conn.cursor() as cur, pytest.raises(NullElementError, match=r"float8\[\]"):
        _copy_out(cur, query, ["float8[]"])


@pytest.mark.parametrize(
    ("value", "error", "match"),
    [
        (np.array([object(), 1.0], dtype=object), ArrayDtypeError, "object"),
        (np.array([1 + 2j]), ArrayDtypeError, "complex128"),
        (np.array(["a", "b"]), ArrayDtypeError, "str"),
        (np.array([1, 2], dtype=np.uint64), ArrayDtypeError, "uint64"),
        (np.array(["2024-01-01"], dtype="datetime64[D]"), ArrayDtypeError, "datetime64"),
        (np.array(1.5), ArrayDimensionError, "ndim=0"),
        (np.zeros((2, 2)), ArrayDimensionError, "ndim=2"),
        (np.ma.masked_array([1.0, 2.0], mask=[False, True]), ArrayAdaptError, "masked"),
    ],
)
@pytest.mark.parametrize("placeholder", ["%s", "%b"])
def test_dump_refusals(
    np_conn: psycopg.Connection[Any], value: Any, error: type[Exception], match: str, placeholder: str
) -> None:
    with pytest.raises(error, match=match):
        np_conn.execute(f"SELECT {placeholder}", [value])


def test_text_placeholder_refused(np_conn: psycopg.Connection[Any]) -> None:
    arr = np.arange(3.0)
    with pytest.raises(ArrayAdaptError, match="binary format only"):
        np_conn.execute("SELECT %t", [arr])
    with pytest.raises(ArrayAdaptError, match="binary format only"):
        psycopg.ClientCursor(np_conn).execute("SELECT %s", [arr])


@pytest.mark.parametrize(
    ("arr", "target"),
    [
        (np.arange(3.0), "float4[]"),
        (np.arange(3, dtype=np.int64), "int4[]"),
        (np.arange(3, dtype=np.int32), "int2[]"),
        (np.arange(3, dtype=np.int64), "float8[]"),
        (np.arange(3, dtype=np.int8), "bool[]"),
        (np.array([1.5]), "int8[]"),
    ],
)
def test_lossy_narrowing_in_copy_refused(np_conn: psycopg.Connection[Any], arr: Any, target: str) -> None:
    np_conn.execute(sql.SQL("CREATE TEMP TABLE narrow (a {})").format(sql.SQL(target)))
    match = f"dtype {arr.dtype.name} as PostgreSQL"
    with np_conn.cursor() as cur, pytest.raises(LossyConversionError, match=match):
        _copy_in(cur, "COPY narrow (a) FROM STDIN (FORMAT BINARY)", [target], [arr])


def test_unregistered_connection_keeps_lists(raw_conn: psycopg.Connection[Any]) -> None:
    with raw_conn.cursor(binary=True) as cur:
        assert cur.execute("SELECT '{1.5,2}'::float8[]").fetchone() == ([1.5, 2.0],)
    assert raw_conn.execute("SELECT '{1,2}'::int8[]").fetchone() == ([1, 2],)
    with pytest.raises(psycopg.ProgrammingError, match="ndarray"):
        raw_conn.execute("SELECT %s", [np.arange(3.0)])


def test_registration_is_per_context(raw_conn: psycopg.Connection[Any]) -> None:
    """Registering on a cursor leaves its connection alone; psycopg's global map is never touched."""
    cur = raw_conn.cursor(binary=True)
    register(cur)
    (arr,) = cur.execute("SELECT '{1,2}'::float8[]").fetchone() or (None,)
    assert isinstance(arr, np.ndarray)
    with raw_conn.cursor(binary=True) as other:
        assert other.execute("SELECT '{1,2}'::float8[]").fetchone() == ([1.0, 2.0],)
    with psycopg.connect(raw_conn.info.dsn) as fresh:
        assert fresh.cursor(binary=True).execute("SELECT '{3}'::int4[]").fetchone() == ([3],)
    default = psycopg.adapters.get_loader(1022, psycopg.pq.Format.BINARY)
    assert default is not None and not issubclass(default, NdarrayLoader)


def test_text_results_stay_lists_when_registered(np_conn: psycopg.Connection[Any]) -> None:
    assert np_conn.execute("SELECT '{1,2}'::float8[], '{t}'::bool[]").fetchone() == ([1.0, 2.0], [True])
