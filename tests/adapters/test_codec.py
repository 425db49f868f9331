"""Server-free tests of the binary codec, cross-checked against psycopg's own list adapters."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray
from psycopg import pq
from psycopg.adapt import PyFormat, Transformer

from lightcurvedb.adapters import array_dumper_for, array_type, array_type_for_dtype, dump_array, load_array
from lightcurvedb.errors import ArrayAdaptError, ArrayDtypeError, LossyConversionError, NullElementError

from ._strategies import DTYPES, LAYOUTS, arrays, extremes, relayout, same


@pytest.mark.parametrize("code", list(DTYPES))
@settings(max_examples=60, deadline=None)
@given(data=st.data(), layout=st.sampled_from(LAYOUTS))
def test_encode_decode_roundtrip(code: str, data: st.DataObject, layout: str) -> None:
    arr = data.draw(arrays(code))
    pg_type, loaded = DTYPES[code]
    out = load_array(dump_array(relayout(arr, layout), pg_type), pg_type)
    assert out.dtype == np.dtype(loaded) and out.dtype.isnative
    assert out.flags.writeable and out.flags.c_contiguous
    assert same(out, arr)


@pytest.mark.parametrize("code", list(DTYPES))
def test_extremes_roundtrip(code: str) -> None:
    arr = extremes(code)
    pg_type = DTYPES[code][0]
    assert same(load_array(dump_array(arr, pg_type), pg_type), arr)


@settings(max_examples=60, deadline=None)
@given(arr=arrays("f8"))
def test_float8_bytes_match_psycopg(arr: NDArray[Any]) -> None:
    """Our encoding is byte for byte psycopg's; psycopg's loader reads ours back as the same values."""
    tx = Transformer()
    values = arr.tolist()
    theirs = bytes(tx.get_dumper(values, PyFormat.BINARY).dump(values) or b"")
    ours = dump_array(arr, "float8[]")
    if arr.size:  # psycopg's empty list has element oid text; ours says float8 (both valid '{}')
        assert ours == theirs
    loader = tx.get_loader(array_type("float8[]").oid, pq.Format.BINARY)
    assert same(np.array(loader.load(ours), dtype="f8"), arr)


def test_widening_and_narrowing() -> None:
    assert load_array(dump_array(np.array([1, 2], dtype=np.int16), "int8[]"), "int8[]").dtype == np.int64
    assert load_array(dump_array(np.array([2**31 - 1], dtype="u4"), "float8[]"), "float8[]")[0] == 2**31 - 1
    f = np.array([0.1, 1e38], dtype=np.float32)
    assert np.array_equal(load_array(dump_array(f, "double precision[]"), "float8[]"), f.astype("f8"))
    for arr, target in [
        (np.arange(3.0), "float4[]"),
        (np.arange(3, dtype=np.int64), "int4[]"),
        (np.arange(3, dtype=np.int32), "int2[]"),
        (np.arange(3, dtype=np.int64), "float8[]"),
        (np.arange(3, dtype=np.int32), "float4[]"),
        (np.arange(3, dtype=np.int8), "bool[]"),
    ]:
        with pytest.raises(LossyConversionError, match=target.replace("[", r"\[").replace("]", r"\]")):
            dump_array(arr, target)


def test_unknown_target_and_dtype() -> None:
    with pytest.raises(ArrayDtypeError, match="text"):
        array_dumper_for("text[]")
    with pytest.raises(ArrayDtypeError, match="complex"):
        dump_array(np.array([1j]), "float8[]")
    with pytest.raises(ArrayDtypeError, match="uint64"):
        array_type_for_dtype(np.dtype(np.uint64))
    with pytest.raises(LossyConversionError, match="uint64"):
        dump_array(np.array([1], dtype=np.uint64), "int8[]")


def test_decode_refusals() -> None:
    good = dump_array(np.arange(4.0), "float8[]")
    with pytest.raises(ArrayAdaptError, match="element OID"):
        load_array(good, "int8[]")
    with pytest.raises(ArrayAdaptError, match="malformed"):
        load_array(good[:-3], "float8[]")
    # Element 2 replaced by a NULL (length -1, no value bytes) and the has-null flag set.
    nulled = bytearray(good[: 20 + 2 * 12]) + (-1).to_bytes(4, "big", signed=True) + good[20 + 3 * 12 :]
    nulled[4:8] = (1).to_bytes(4, "big")
    with pytest.raises(NullElementError, match="index 2") as info:
        load_array(bytes(nulled), "float8[]")
    assert info.value.index == 2
