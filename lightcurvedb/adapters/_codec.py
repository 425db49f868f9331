"""Vectorised encoding and decoding of 1-D PostgreSQL binary arrays to and from ndarrays."""

from __future__ import annotations

import struct
from typing import Any

import numpy as np
from numpy.typing import NDArray

from lightcurvedb.adapters._types import ARRAY_TYPES, ArrayType, array_type, check_safe_cast
from lightcurvedb.errors import ArrayAdaptError, ArrayDimensionError, NullElementError

# Binary array header: ndim, has-null flag, element OID; then per dimension: length, lower bound.
_HEAD = struct.Struct(">iiI")
_HEAD_1D = struct.Struct(">iiIii")
_HEAD_1D_SIZE = _HEAD_1D.size  # 20 bytes
_ELEMENT_LEN = struct.Struct(">i")


def _as_1d(arr: NDArray[Any]) -> NDArray[Any]:
    """Return `arr` as a plain 1-D ndarray or raise the typed error naming the problem."""
    if isinstance(arr, np.ma.MaskedArray):
        if np.any(np.ma.getmaskarray(arr)):
            raise ArrayAdaptError(
                "cannot dump a masked array with masked elements: PostgreSQL arrays of these types "
                "are loaded back without NULLs; fill the masked values first (arr.filled(...))"
            )
        arr = np.ma.getdata(arr)
    if arr.ndim != 1:
        raise ArrayDimensionError(
            f"only 1-D ndarrays are dumped as PostgreSQL arrays; got ndim={arr.ndim} (shape {arr.shape})"
        )
    return arr


def encode(arr: NDArray[Any], target: ArrayType) -> bytearray:
    """Encode a 1-D ndarray (any byte order, any strides) as a binary `target` array.

    The dtype must convert to the target's element type without loss (float32→float8,
    int16→int8… are fine; float64→float4 raises LossyConversionError).
    """
    arr = _as_1d(arr)
    check_safe_cast(arr.dtype, target)
    n = arr.shape[0]
    if n == 0:
        # PostgreSQL writes '{}' with zero dimensions.
        return bytearray(_HEAD.pack(0, 0, target.element_oid))
    out = bytearray(_HEAD_1D_SIZE + n * target.wire.itemsize)
    _HEAD_1D.pack_into(out, 0, 1, 0, target.element_oid, n, 1)
    body = np.frombuffer(out, dtype=target.wire, count=n, offset=_HEAD_1D_SIZE)
    body["len"] = target.itemsize
    body["val"] = arr  # one strided pass: casts, byte-swaps and gathers non-contiguous input
    return out


def dump_array(arr: NDArray[Any], target: int | str) -> bytes:
    """Encode `arr` as the binary form of PostgreSQL array type `target` (OID or name: ``"float8[]"``)."""
    return bytes(encode(arr, array_type(target)))


def decode(data: bytes | bytearray | memoryview, pg_array: ArrayType) -> NDArray[Any]:
    """Decode a binary 1-D `pg_array` array into a new, writeable, native-order ndarray of `pg_array.dtype`."""
    return _wire_view(data, pg_array).astype(pg_array.dtype)


def _wire_view(data: bytes | bytearray | memoryview, pg_array: ArrayType) -> NDArray[Any]:
    """A binary 1-D `pg_array` array, checked, as a strided big-endian view of `data` (no copy)."""
    size = len(data)
    if size < _HEAD.size:
        raise ArrayAdaptError(f"malformed binary {pg_array.name} value: {size} bytes, shorter than its header")
    ndim, hasnull, element_oid = _HEAD.unpack_from(data, 0)
    if element_oid != pg_array.element_oid:
        raise ArrayAdaptError(
            f"binary {pg_array.name} value has element OID {element_oid}, expected {pg_array.element_oid}")
    if ndim == 0:
        return np.empty(0, dtype=pg_array.dtype)
    if ndim != 1:
        raise ArrayDimensionError(
            f"cannot load a {ndim}-dimensional {pg_array.name} value as an ndarray: only 1-D arrays are handled"
        )
    if size < _HEAD_1D_SIZE:
        raise ArrayAdaptError(f"malformed binary {pg_array.name} value: truncated dimension header")
    n = _HEAD_1D.unpack_from(data, 0)[3]
    expected = _HEAD_1D_SIZE + n * pg_array.wire.itemsize
    if size != expected:
        if hasnull:
            raise NullElementError(pg_array.name, _first_null(data, n, pg_array))
        raise ArrayAdaptError(f"malformed binary {pg_array.name} value: {size} bytes, expected {expected}")
    # Every element is present (a NULL would have shortened the value): the values between their length words.
    body: NDArray[Any] = np.frombuffer(data, dtype=pg_array.wire, count=n, offset=_HEAD_1D_SIZE)["val"]
    return body


def _first_null(data: bytes | bytearray | memoryview, n: int, pg_array: ArrayType) -> int:
    """Return the index of the first NULL element (error path only: walks the length words)."""
    pos = _HEAD_1D_SIZE
    for i in range(n):
        try:
            (length,) = _ELEMENT_LEN.unpack_from(data, pos)
        except struct.error:
            break
        if length < 0:
            return i
        pos += 4 + length
    raise ArrayAdaptError(f"malformed binary {pg_array.name} value: has-null flag set, length mismatch, no NULL")


# lcdb_packed's fast form: the stored array, little-endian. ndim, data offset (0: no NULL bitmap), element OID; then per
# dimension: length, lower bound; the values start at MAXALIGN(16 + 8 * ndim) - 4 bytes (bytea drops the 4-byte
# varlena header), i.e. 20 for one dimension.
_STORED_HEAD = struct.Struct("<iiI")
_STORED_HEAD_1D = struct.Struct("<iiIii")
_BY_ELEMENT = {t.element_oid: t for t in ARRAY_TYPES}


def encode_packed(arr: NDArray[Any], target: ArrayType) -> bytearray:
    """Encode a 1-D ndarray in lcdb_packed's fast form (what lcdb_unpacked takes): the stored header, then the
    values little-endian. The same checks as `encode`: lossy narrowing, masked elements, ndim ≠ 1 raise."""
    arr = _as_1d(arr)
    check_safe_cast(arr.dtype, target)
    n = arr.shape[0]
    if n == 0:
        return bytearray(_STORED_HEAD.pack(0, 0, target.element_oid))
    out = bytearray(_STORED_HEAD_1D.size + n * target.itemsize)
    _STORED_HEAD_1D.pack_into(out, 0, 1, 0, target.element_oid, n, 1)
    np.frombuffer(out, dtype=target.dtype.newbyteorder("<"), count=n, offset=_STORED_HEAD_1D.size)[:] = arr
    return out


def decode_packed(data: bytes | bytearray | memoryview) -> NDArray[Any]:
    """Decode what ``lcdb_packed(array)`` returns (either of its forms) into a new, writeable ndarray.

    The element type comes from the value's own header; the dtype is that of the array type (float4 → float32…).
    """
    view = packed_view(data)
    return view.astype(view.dtype.newbyteorder("="))


def packed_view(data: bytes | bytearray | memoryview) -> NDArray[Any]:
    """What ``lcdb_packed(array)`` returns (either of its forms), checked, as a read-only view of `data` (no copy:
    valid only as long as `data`'s memory is): the values in the stored form's little-endian order, or the wire
    form's big-endian values between their length words."""
    size = len(data)
    if size >= _STORED_HEAD.size:
        ndim, offset, element_oid = _STORED_HEAD.unpack_from(data, 0)
        stored = _BY_ELEMENT.get(element_oid)
        if stored is not None and ndim in (0, 1):
            return _stored_view(data, ndim, offset, stored)
        if size >= _HEAD.size:
            wire = _BY_ELEMENT.get(_HEAD.unpack_from(data, 0)[2])
            if wire is not None:
                return _wire_view(data, wire)
    raise ArrayAdaptError(f"malformed packed array: {size} bytes with neither a stored nor a binary array header")


def _stored_view(data: bytes | bytearray | memoryview, ndim: int, offset: int, pg_array: ArrayType) -> NDArray[Any]:
    little = pg_array.dtype.newbyteorder("<")
    if ndim == 0:
        return np.empty(0, dtype=little)
    if len(data) < _STORED_HEAD_1D.size:
        raise ArrayAdaptError(f"malformed packed {pg_array.name} value: truncated dimension header")
    n = _STORED_HEAD_1D.unpack_from(data, 0)[3]
    if offset:  # a NULL bitmap follows the dimensions: bit i clear = element i is NULL
        bits = np.unpackbits(np.frombuffer(data, np.uint8, (n + 7) // 8, _STORED_HEAD_1D.size), bitorder="little")
        raise NullElementError(pg_array.name, int(np.flatnonzero(bits[:n] == 0)[0]))
    expected = _STORED_HEAD_1D.size + n * pg_array.itemsize
    if len(data) != expected:
        raise ArrayAdaptError(f"malformed packed {pg_array.name} value: {len(data)} bytes, expected {expected}")
    return np.frombuffer(data, dtype=little, count=n, offset=_STORED_HEAD_1D.size)


def load_array(data: bytes | bytearray | memoryview, source: int | str) -> NDArray[Any]:
    """Decode the binary form of PostgreSQL array type `source` (OID or name) into an ndarray."""
    return decode(data, array_type(source))
