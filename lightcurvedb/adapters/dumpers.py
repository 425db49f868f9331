"""psycopg Dumpers writing 1-D ndarrays as binary PostgreSQL arrays (parameters and binary COPY)."""

from __future__ import annotations

from types import NoneType
from typing import Any, ClassVar

import numpy as np
import psycopg
from psycopg import abc, pq
from psycopg.abc import AdaptContext, Buffer, DumperKey
from psycopg.adapt import Dumper, PyFormat

from lightcurvedb.adapters._codec import encode
from lightcurvedb.adapters._types import (
    BOOL_ARRAY,
    FLOAT4_ARRAY,
    FLOAT8_ARRAY,
    INT2_ARRAY,
    INT4_ARRAY,
    INT8_ARRAY,
    ArrayType,
    array_type,
    array_type_for_dtype,
)
from lightcurvedb.errors import ArrayAdaptError


class NdarrayDispatchDumper(Dumper):
    """Dumper registered for ``numpy.ndarray``: picks the PostgreSQL array type from the dtype.

    float16/float32 → float4[], float64 → float8[], int8/int16/uint8 → int2[], int32/uint16 → int4[],
    int64/uint32 → int8[], bool → bool[]; anything else raises ArrayDtypeError. Each value is then
    dumped by the matching `NdarrayDumper` subclass (psycopg's get_key/upgrade protocol).
    """

    format = pq.Format.BINARY

    def __init__(self, cls: type, context: AdaptContext | None = None) -> None:
        super().__init__(cls, context)
        self._context = context

    def get_key(self, obj: Any, format: PyFormat) -> DumperKey:
        return (_DUMPER_BY_OID[array_type_for_dtype(obj.dtype).oid],)

    def upgrade(self, obj: Any, format: PyFormat) -> Dumper:
        pg_array = array_type_for_dtype(obj.dtype)
        return _DUMPER_BY_OID[pg_array.oid](self.cls, self._context)

    def dump(self, obj: Any) -> Buffer | None:
        return encode(obj, array_type_for_dtype(obj.dtype))


class NdarrayDumper(Dumper):
    """Dump an ndarray as one fixed PostgreSQL array type, widening safely, refusing lossy narrowing.

    Subclasses are registered by OID, so binary COPY after ``copy.set_types(["float8[]", ...])``
    uses them. Values that are not ndarrays (lists…) go to psycopg's default dumper for the OID.
    """

    format = pq.Format.BINARY
    pg_array: ClassVar[ArrayType]

    def __init__(self, cls: type, context: AdaptContext | None = None) -> None:
        super().__init__(cls, context)
        self._context = context
        self._fallback: abc.Dumper | None = None

    def dump(self, obj: Any) -> Buffer | None:
        if isinstance(obj, np.ndarray):
            return encode(obj, self.pg_array)
        fallback = self._fallback
        if fallback is None:
            dcls = psycopg.adapters.get_dumper_by_oid(self.oid, self.format)
            fallback = self._fallback = dcls(NoneType, self._context)
        return fallback.dump(obj)


class Float4NdarrayDumper(NdarrayDumper):
    """ndarray → float4[] (float16, float32; smaller integers are refused as lossy)."""

    pg_array = FLOAT4_ARRAY
    oid = FLOAT4_ARRAY.oid


class Float8NdarrayDumper(NdarrayDumper):
    """ndarray → float8[] (any float up to 64 bits, integers up to 32 bits)."""

    pg_array = FLOAT8_ARRAY
    oid = FLOAT8_ARRAY.oid


class Int2NdarrayDumper(NdarrayDumper):
    """ndarray → int2[] (bool, int8, int16, uint8)."""

    pg_array = INT2_ARRAY
    oid = INT2_ARRAY.oid


class Int4NdarrayDumper(NdarrayDumper):
    """ndarray → int4[] (bool and integers up to int32/uint16)."""

    pg_array = INT4_ARRAY
    oid = INT4_ARRAY.oid


class Int8NdarrayDumper(NdarrayDumper):
    """ndarray → int8[] (bool and integers up to int64/uint32)."""

    pg_array = INT8_ARRAY
    oid = INT8_ARRAY.oid


class BoolNdarrayDumper(NdarrayDumper):
    """ndarray → bool[] (bool only)."""

    pg_array = BOOL_ARRAY
    oid = BOOL_ARRAY.oid


class NdarrayTextDumper(Dumper):
    """Refuses text-format dumping (``%t``, ClientCursor, ``sql.Literal``) with a typed error.

    ndarrays go to PostgreSQL in binary only; ``%s`` picks the binary dumper automatically.
    """

    format = pq.Format.TEXT

    def dump(self, obj: Any) -> Buffer | None:
        raise ArrayAdaptError(
            "ndarrays are sent to PostgreSQL in binary format only: use a %s or %b placeholder "
            "with a regular (server-side binding) cursor, not %t, a ClientCursor or sql.Literal"
        )


_DUMPER_BY_OID: dict[int, type[NdarrayDumper]] = {
    d.oid: d
    for d in (
        Float4NdarrayDumper,
        Float8NdarrayDumper,
        Int2NdarrayDumper,
        Int4NdarrayDumper,
        Int8NdarrayDumper,
        BoolNdarrayDumper,
    )
}
ARRAY_DUMPERS: tuple[type[NdarrayDumper], ...] = tuple(_DUMPER_BY_OID.values())


def array_dumper_for(target: int | str) -> type[NdarrayDumper]:
    """Return the Dumper class writing ndarrays as PostgreSQL array type `target` (OID or name).

    E.g. ``cur.adapters.register_dumper(None, array_dumper_for("float8[]"))`` is what `register()`
    does for each type so that binary COPY with ``set_types`` finds it by OID.
    """
    return _DUMPER_BY_OID[array_type(target).oid]
