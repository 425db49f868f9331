"""lcdb_packed (migration 0013): arrays sent as bytea without per-element work, decoded bit-identically."""

from __future__ import annotations

from typing import Any

import numpy as np
import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lightcurvedb.adapters._codec import decode_packed, encode_packed
from lightcurvedb.adapters._types import array_type
from lightcurvedb.adapters.loaders import PackedArrayLoader
from lightcurvedb.errors import ArrayAdaptError, NullElementError

from ._strategies import DTYPES, arrays, extremes, same

CODES = list(DTYPES)
SERVER = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
FORMS = {"stored": "lcdb_packed(%s)", "wire": "array_send(%s)"}
"""The two forms lcdb_packed returns: the stored array (superuser, little-endian server) and array_send's."""


def _packed(conn: psycopg.Connection[Any], form: str, arr: Any, code: str) -> bytes:
    row = conn.execute(f"SELECT {FORMS[form] % ('%s::' + DTYPES[code][0])}", [arr], binary=True).fetchone()
    assert row is not None
    return bytes(row[0])


def test_the_fast_form_is_installed_for_a_superuser_on_a_little_endian_server(
        np_conn: psycopg.Connection[Any]) -> None:
    lang, superuser = np_conn.execute(
        "SELECT l.lanname, (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) FROM pg_proc AS p "
        "JOIN pg_language AS l ON l.oid = p.prolang WHERE p.oid = 'lcdb_packed(anyarray)'::regprocedure").fetchone()
    if not superuser:
        pytest.skip("the tests' migrations ran as a non-superuser: lcdb_packed is array_send")
    assert lang == "internal"
    head = _packed(np_conn, "stored", np.array([1.5], np.float32), "f4")
    assert head[:12] == bytes.fromhex("01000000 00000000 bc020000")  # ndim 1, no NULL bitmap, float4


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("code", CODES)
@SERVER
@given(data=st.data())
def test_both_forms_decode_bit_identical(np_conn: psycopg.Connection[Any], form: str, code: str,
                                         data: st.DataObject) -> None:
    arr = data.draw(arrays(code))
    out = decode_packed(_packed(np_conn, form, arr, code))
    assert out.dtype == np.dtype(DTYPES[code][1]) and out.dtype.isnative and out.flags.writeable
    assert same(out, arr)


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("code", CODES)
def test_extremes_and_empty(np_conn: psycopg.Connection[Any], form: str, code: str) -> None:
    for arr in (extremes(code), extremes(code)[:0]):
        out = decode_packed(_packed(np_conn, form, arr, code))
        assert out.dtype == np.dtype(DTYPES[code][1]) and same(out, arr)


@pytest.mark.parametrize("form", FORMS)
def test_null_elements_are_refused_with_their_index(np_conn: psycopg.Connection[Any], form: str) -> None:
    expr = FORMS[form] % "ARRAY[1, 2, NULL, 4, NULL]::real[]"
    row = np_conn.execute(f"SELECT {expr}", binary=True).fetchone()
    assert row is not None
    with pytest.raises(NullElementError) as info:
        decode_packed(bytes(row[0]))
    assert info.value.index == 2


@pytest.mark.parametrize("form", FORMS)
def test_two_dimensions_and_truncation_are_refused(np_conn: psycopg.Connection[Any], form: str) -> None:
    row = np_conn.execute(f"SELECT {FORMS[form] % 'ARRAY[[1, 2], [3, 4]]::real[]'}", binary=True).fetchone()
    assert row is not None
    with pytest.raises(ArrayAdaptError):
        decode_packed(bytes(row[0]))
    whole = _packed(np_conn, form, np.arange(5, dtype=np.float64), "f8")
    for cut in (whole[:-1], whole[:7], b"", b"\x00" * 12):
        with pytest.raises(ArrayAdaptError):
            decode_packed(cut)


def test_the_loader_on_a_cursor_loads_every_bytea_as_an_array(np_conn: psycopg.Connection[Any]) -> None:
    times = np.linspace(1325.0, 1352.0, 1000)
    with np_conn.cursor(binary=True) as cur:
        cur.adapters.register_loader("bytea", PackedArrayLoader)
        cur.execute("SELECT lcdb_packed(%s::float8[]), lcdb_packed(NULL::real[])", [times])
        got, missing = cur.fetchone() or (None, None)
    assert missing is None and got is not None and same(got, times)



# --- the way in: lcdb_unpacked ------------------------------------------------------------------------------------

WITNESS = {"f4": "real[]", "f8": "float8[]", "i2": "int2[]", "i4": "int4[]", "i8": "int8[]"}


def _fast_form_or_skip(conn: psycopg.Connection[Any]) -> None:
    if conn.execute("SELECT to_regprocedure('lcdb_unpacked(bytea, anyarray)')").fetchone() == (None,):
        pytest.skip("lcdb_packed has its portable form here: the writers COPY")


@pytest.mark.parametrize("code", list(WITNESS))
@SERVER
@given(data=st.data())
def test_unpacked_is_the_array_bit_for_bit(np_conn: psycopg.Connection[Any], code: str,
                                           data: st.DataObject) -> None:
    _fast_form_or_skip(np_conn)
    arr = data.draw(arrays(code))
    row = np_conn.execute(f"SELECT lcdb_unpacked(%s, NULL::{WITNESS[code]}) = %s::{WITNESS[code]}, "
                          f"lcdb_unpacked(%s, NULL::{WITNESS[code]})",
                          [encode_packed(arr, array_type(WITNESS[code])), arr,
                           encode_packed(arr, array_type(WITNESS[code]))], binary=True).fetchone()
    assert row is not None
    equal, back = row
    assert same(back, arr)
    assert equal or (arr.dtype.kind == "f" and np.isnan(arr).any())  # NaN = NaN is true for arrays; -0.0 too


@SERVER
@given(data=st.data())
def test_unpacked_refuses_every_malformed_header(np_conn: psycopg.Connection[Any], data: st.DataObject) -> None:
    """Any change to the header, the length or the type is refused before the bytes can become an array."""
    _fast_form_or_skip(np_conn)
    code = data.draw(st.sampled_from(list(WITNESS)))
    arr = data.draw(arrays(code).filter(lambda a: a.size > 0))
    good = encode_packed(arr, array_type(WITNESS[code]))
    how = data.draw(st.sampled_from(["flip header byte", "truncate", "extend", "other type", "random"]))
    if how == "flip header byte":
        bad = bytearray(good)
        at = data.draw(st.integers(0, 19))
        bad[at] ^= data.draw(st.integers(1, 255))
        witness = WITNESS[code]
    elif how == "truncate":
        bad, witness = good[:data.draw(st.integers(0, len(good) - 1))], WITNESS[code]
    elif how == "extend":
        bad, witness = good + bytes(data.draw(st.integers(1, 9))), WITNESS[code]
    elif how == "other type":
        bad, witness = good, data.draw(st.sampled_from([w for c, w in WITNESS.items() if c != code]))
    else:
        bad, witness = bytearray(data.draw(st.binary(max_size=64))), WITNESS[code]
        if bytes(bad) in (bytes(encode_packed(np.empty(0, DTYPES[code][1]), array_type(witness))),):
            return
    with pytest.raises(psycopg.Error), np_conn.transaction():
        np_conn.execute(f"SELECT lcdb_unpacked(%s, NULL::{witness})", [bytes(bad)])


def test_writers_unpack_but_cannot_reinterpret_bytes_themselves(fresh_dsn: str,
                                                                 login_as: Any) -> None:
    with psycopg.connect(fresh_dsn) as admin:
        _fast_form_or_skip(admin)
    writer = login_as(fresh_dsn, "lcdb_writer")
    with psycopg.connect(writer) as c:
        packed = bytes(encode_packed(np.arange(3, dtype=np.float32), array_type("real[]")))
        assert c.execute("SELECT lcdb_unpacked(%s, NULL::real[])::text", [packed]).fetchone() == ("{0,1,2}",)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            c.execute("SELECT lcdb_raw_array(%s, NULL::real[])", [packed])
