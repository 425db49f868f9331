"""The PostgreSQL array types the NumPy adapters handle, and how dtypes map onto them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from lightcurvedb.errors import ArrayDtypeError, LossyConversionError


@dataclass(frozen=True)
class ArrayType:
    """One 1-D PostgreSQL array type: its OIDs, its NumPy dtype and its binary wire layout."""

    name: str  # e.g. "float8[]"
    oid: int  # the array type OID
    element_oid: int  # the element type OID written in the binary header
    dtype: np.dtype[Any]  # native-order dtype of loaded arrays
    wire: np.dtype[Any]  # per element: big-endian int32 length + big-endian value

    @property
    def itemsize(self) -> int:
        """Byte length of one element value on the wire."""
        return self.dtype.itemsize


def _spec(name: str, oid: int, element_oid: int, code: str) -> ArrayType:
    dtype = np.dtype(code)
    wire = np.dtype([("len", ">i4"), ("val", dtype.newbyteorder(">"))])
    return ArrayType(name, oid, element_oid, dtype, wire)


FLOAT4_ARRAY = _spec("float4[]", 1021, 700, "f4")
FLOAT8_ARRAY = _spec("float8[]", 1022, 701, "f8")
INT2_ARRAY = _spec("int2[]", 1005, 21, "i2")
INT4_ARRAY = _spec("int4[]", 1007, 23, "i4")
INT8_ARRAY = _spec("int8[]", 1016, 20, "i8")
BOOL_ARRAY = _spec("bool[]", 1000, 16, "?")

ARRAY_TYPES: tuple[ArrayType, ...] = (
    FLOAT4_ARRAY,
    FLOAT8_ARRAY,
    INT2_ARRAY,
    INT4_ARRAY,
    INT8_ARRAY,
    BOOL_ARRAY,
)

_BY_OID = {t.oid: t for t in ARRAY_TYPES}
_ALIASES = {
    "real[]": "float4[]",
    "double precision[]": "float8[]",
    "smallint[]": "int2[]",
    "integer[]": "int4[]",
    "int[]": "int4[]",
    "bigint[]": "int8[]",
    "boolean[]": "bool[]",
    "_float4": "float4[]",
    "_float8": "float8[]",
    "_int2": "int2[]",
    "_int4": "int4[]",
    "_int8": "int8[]",
    "_bool": "bool[]",
}
_BY_NAME = {t.name: t for t in ARRAY_TYPES}

# For each dtype kind, the candidates in order of preference: the smallest type that holds it safely.
_CANDIDATES: dict[str, tuple[ArrayType, ...]] = {
    "f": (FLOAT4_ARRAY, FLOAT8_ARRAY),
    "i": (INT2_ARRAY, INT4_ARRAY, INT8_ARRAY),
    "u": (INT2_ARRAY, INT4_ARRAY, INT8_ARRAY),
    "b": (BOOL_ARRAY,),
}


def array_type(target: int | str) -> ArrayType:
    """Return the ArrayType for an array OID or a type name such as ``"float8[]"`` or ``"bigint[]"``."""
    if isinstance(target, int):
        found = _BY_OID.get(target)
    else:
        key = " ".join(target.lower().split())
        found = _BY_NAME.get(_ALIASES.get(key, key))
    if found is None:
        known = ", ".join(t.name for t in ARRAY_TYPES)
        raise ArrayDtypeError(f"no NumPy array adapter for PostgreSQL type {target!r} (handled: {known})")
    return found


_FOR_DTYPE: dict[np.dtype[Any], ArrayType] = {}


def array_type_for_dtype(dtype: np.dtype[Any]) -> ArrayType:
    """Return the smallest PostgreSQL array type holding every value of `dtype` exactly."""
    try:
        return _FOR_DTYPE[dtype]
    except KeyError:
        pass
    for candidate in _CANDIDATES.get(dtype.kind, ()):
        if np.can_cast(dtype, candidate.dtype, casting="safe"):
            _FOR_DTYPE[dtype] = candidate
            return candidate
    raise ArrayDtypeError(
        f"cannot dump an ndarray of dtype {dtype.str} ({dtype.name}) as a PostgreSQL array: "
        "only bool, integer (up to int64 or uint32) and float (up to float64) dtypes are handled"
    )


def _exact(dtype: np.dtype[Any], to: np.dtype[Any]) -> bool:
    """True if every value of `dtype` is exactly representable in `to`.

    Stricter than numpy's "safe" casting, which lets int64 → float64 through (not exact past 2**53).
    """
    if not np.can_cast(dtype, to, casting="safe"):
        return False
    if dtype.kind in "iu" and to.kind == "f":
        value_bits = dtype.itemsize * 8 - (dtype.kind == "i")
        return value_bits <= np.finfo(to).nmant + 1
    return True


def check_safe_cast(dtype: np.dtype[Any], target: ArrayType) -> None:
    """Raise LossyConversionError (or ArrayDtypeError) unless `dtype` converts to `target` exactly."""
    if dtype.kind not in _CANDIDATES:
        array_type_for_dtype(dtype)  # raises the ArrayDtypeError naming the dtype
    if not _exact(dtype, target.dtype):
        raise LossyConversionError(
            f"refusing to dump an ndarray of dtype {dtype.name} as PostgreSQL {target.name}: "
            f"the conversion may lose information; convert explicitly (arr.astype({target.dtype.name!r}))"
        )
