"""Round trips of every dtype through a real server: parameters, binary results, binary COPY both ways."""

from __future__ import annotations

from typing import Any

import numpy as np
import psycopg
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray
from psycopg import sql

from ._strategies import DTYPES, LAYOUTS, arrays, extremes, relayout, same

CODES = list(DTYPES)
SERVER = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _check(out: Any, arr: NDArray[Any], code: str) -> None:
    assert isinstance(out, np.ndarray)
    assert out.dtype == np.dtype(DTYPES[code][1]) and out.dtype.isnative
    assert out.flags.writeable
    assert same(out, arr)


@pytest.mark.parametrize("placeholder", ["%s", "%b"])
@pytest.mark.parametrize("code", CODES)
@SERVER
@given(data=st.data(), layout=st.sampled_from(LAYOUTS))
def test_parameter_to_binary_result(
    np_conn: psycopg.Connection[Any], code: str, placeholder: str, data: st.DataObject, layout: str
) -> None:
    arr = data.draw(arrays(code))
    pg_type = DTYPES[code][0]
    with np_conn.cursor(binary=True) as cur:
        cur.execute(f"SELECT {placeholder}, pg_typeof({placeholder})::text", [relayout(arr, layout)] * 2)
        out, typ = cur.fetchone() or (None, None)
    assert (
        typ
        == {
            "float4[]": "real[]",
            "float8[]": "double precision[]",
            "int2[]": "smallint[]",
            "int4[]": "integer[]",
            "int8[]": "bigint[]",
            "bool[]": "boolean[]",
        }[pg_type]
    )
    _check(out, arr, code)


@pytest.mark.parametrize("code", CODES)
def test_extremes_and_empty_via_execute_binary(np_conn: psycopg.Connection[Any], code: str) -> None:
    for arr in (extremes(code), extremes(code)[:0]):
        row = np_conn.execute("SELECT %s", [arr], binary=True).fetchone()
        assert row is not None
        _check(row[0], arr, code)


@pytest.mark.parametrize(
    ("literal", "code", "expected"),
    [
        ("'{NaN,Infinity,-Infinity,-0,1.5}'::float8[]", "f8", [np.nan, np.inf, -np.inf, -0.0, 1.5]),
        ("'{NaN,Infinity,-Infinity}'::float4[]", "f4", [np.nan, np.inf, -np.inf]),
        ("'{-32768,32767}'::int2[]", "i2", [-32768, 32767]),
        ("'{-2147483648,2147483647}'::int4[]", "i4", [-(2**31), 2**31 - 1]),
        ("'{-9223372036854775808,9223372036854775807}'::int8[]", "i8", [-(2**63), 2**63 - 1]),
        ("'{t,f}'::bool[]", "?", [True, False]),
        ("'{}'::float8[]", "f8", []),
        ("'[0:1]={1,2}'::int4[]", "i4", [1, 2]),
    ],
)
def test_server_literals(np_conn: psycopg.Connection[Any], literal: str, code: str, expected: list[Any]) -> None:
    with np_conn.cursor(binary=True) as cur:
        row = cur.execute(f"SELECT {literal}").fetchone()
    assert row is not None
    _check(row[0], np.array(expected, dtype=code), code)


def _copy_table(conn: psycopg.Connection[Any]) -> None:
    cols = ", ".join(f"c_{i} {DTYPES[c][0]}" for i, c in enumerate(CODES))
    conn.execute(f"CREATE TEMP TABLE IF NOT EXISTS np_copy (id int, {cols}) ON COMMIT DROP")
    conn.execute("TRUNCATE np_copy")


@SERVER
@given(
    columns=st.tuples(*(arrays(c, max_len=30) for c in CODES)),
    layout=st.sampled_from(LAYOUTS),
)
@example(columns=tuple(extremes(c) for c in CODES), layout="swapped-strided")
@example(columns=tuple(extremes(c)[:0] for c in CODES), layout="plain")
def test_copy_in_and_out(np_conn: psycopg.Connection[Any], columns: tuple[NDArray[Any], ...], layout: str) -> None:
    _copy_table(np_conn)
    types = ["int4"] + [DTYPES[c][0] for c in CODES]
    names = sql.SQL(", ").join(sql.Identifier(f"c_{i}") for i in range(len(CODES)))
    with np_conn.cursor() as cur:
        with cur.copy(sql.SQL("COPY np_copy (id, {}) FROM STDIN (FORMAT BINARY)").format(names)) as copy:
            copy.set_types(types)
            copy.write_row([1, *(relayout(a, layout) for a in columns)])
            copy.write_row([2, *(None for _ in columns)])
        with cur.copy(
            sql.SQL("COPY (SELECT id, {} FROM np_copy ORDER BY id) TO STDOUT (FORMAT BINARY)").format(names)
        ) as copy:
            copy.set_types(types)
            rows = list(copy.rows())
        assert rows[1] == (2, *(None for _ in columns))
        for code, arr, out in zip(CODES, columns, rows[0][1:], strict=True):
            _check(out, arr, code)
        # the same rows through a binary SELECT
        row = cur.execute(sql.SQL("SELECT {} FROM np_copy WHERE id = 1").format(names), binary=True).fetchone()
        assert row is not None
        for code, arr, out in zip(CODES, columns, row, strict=True):
            _check(out, arr, code)


@pytest.mark.parametrize(
    ("source", "target", "loaded"),
    [
        ("f4", "float8[]", "f8"),
        ("f2", "float4[]", "f4"),
        ("i2", "int4[]", "i4"),
        ("i4", "int8[]", "i8"),
        ("i2", "int8[]", "i8"),
        ("u1", "int2[]", "i2"),
        ("u2", "int4[]", "i4"),
        ("u4", "int8[]", "i8"),
        ("i4", "float8[]", "f8"),
    ],
)
def test_safe_widening(np_conn: psycopg.Connection[Any], source: str, target: str, loaded: str) -> None:
    arr = extremes(source) if np.dtype(source).kind != "u" else np.array([0, np.iinfo(source).max], source)
    if source == "f2":
        arr = np.array([np.nan, np.inf, -np.inf, 65504.0, -0.0, 6e-08], dtype=source)
    expected = arr.astype(loaded)
    np_conn.execute(f"CREATE TEMP TABLE widen (a {target})")
    with np_conn.cursor() as cur:
        # INSERT: the server casts the parameter's own type (e.g. float4[]) to the column's on assignment.
        cur.execute("INSERT INTO widen VALUES (%s)", [arr])
        # COPY: no cast happens on the server: the dumper registered by OID writes the column's type.
        with cur.copy("COPY widen (a) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types([target])
            copy.write_row([arr])
        rows = cur.execute("SELECT a FROM widen", binary=True).fetchall()
    assert len(rows) == 2
    for (out,) in rows:
        assert out.dtype == np.dtype(loaded)
        assert same(out, expected)


def test_copy_still_takes_lists(np_conn: psycopg.Connection[Any]) -> None:
    """Registering by OID for COPY does not break lists: they go to psycopg's default dumper."""
    np_conn.execute("CREATE TEMP TABLE lists (a float8[], b int8[])")
    with np_conn.cursor() as cur:
        with cur.copy("COPY lists FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(["float8[]", "int8[]"])
            copy.write_row([[1.0, None, 2.5], [1, 2]])
        assert cur.execute("SELECT a::text, b::text FROM lists").fetchone() == ("{1,NULL,2.5}", "{1,2}")


def test_copy_without_set_types_follows_the_dtype(np_conn: psycopg.Connection[Any]) -> None:
    """Without set_types the dtype decides the element type; COPY casts nothing, so a mismatch fails."""
    np_conn.execute("CREATE TEMP TABLE untyped (a float8[])")
    with np_conn.cursor() as cur:
        with cur.copy("COPY untyped FROM STDIN (FORMAT BINARY)") as copy:
            copy.write_row([np.array([1.5, np.nan])])
        row = cur.execute("SELECT a FROM untyped", binary=True).fetchone()
        assert row is not None and same(row[0], np.array([1.5, np.nan]))
        query = "COPY untyped FROM STDIN (FORMAT BINARY)"
        with pytest.raises(psycopg.errors.DatatypeMismatch), cur.copy(query) as copy:
            copy.write_row([np.array([1.5], dtype=np.float32)])
