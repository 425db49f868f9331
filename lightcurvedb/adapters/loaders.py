"""psycopg Loaders reading binary 1-D PostgreSQL arrays as typed ndarrays (results and binary COPY)."""

from __future__ import annotations

from typing import Any, ClassVar

from numpy.typing import NDArray
from psycopg import pq
from psycopg.abc import Buffer
from psycopg.adapt import Loader

from lightcurvedb.adapters._codec import decode, decode_packed, packed_view
from lightcurvedb.adapters._types import (
    BOOL_ARRAY,
    FLOAT4_ARRAY,
    FLOAT8_ARRAY,
    INT2_ARRAY,
    INT4_ARRAY,
    INT8_ARRAY,
    ArrayType,
)


class NdarrayLoader(Loader):
    """Load one binary PostgreSQL array type as a new, writeable, native-order ndarray.

    NULL elements raise NullElementError, more than one dimension ArrayDimensionError; '{}' loads
    as an empty array. The lower bound of the array is ignored (as psycopg's list loader does).
    """

    format = pq.Format.BINARY
    pg_array: ClassVar[ArrayType]

    def load(self, data: Buffer) -> NDArray[Any]:
        return decode(data, self.pg_array)


class Float4NdarrayLoader(NdarrayLoader):
    """float4[] → float32 ndarray."""

    pg_array = FLOAT4_ARRAY


class Float8NdarrayLoader(NdarrayLoader):
    """float8[] → float64 ndarray."""

    pg_array = FLOAT8_ARRAY


class Int2NdarrayLoader(NdarrayLoader):
    """int2[] → int16 ndarray."""

    pg_array = INT2_ARRAY


class Int4NdarrayLoader(NdarrayLoader):
    """int4[] → int32 ndarray."""

    pg_array = INT4_ARRAY


class Int8NdarrayLoader(NdarrayLoader):
    """int8[] → int64 ndarray."""

    pg_array = INT8_ARRAY


class BoolNdarrayLoader(NdarrayLoader):
    """bool[] → bool ndarray."""

    pg_array = BOOL_ARRAY


ARRAY_LOADERS: tuple[type[NdarrayLoader], ...] = (
    Float4NdarrayLoader,
    Float8NdarrayLoader,
    Int2NdarrayLoader,
    Int4NdarrayLoader,
    Int8NdarrayLoader,
    BoolNdarrayLoader,
)


class PackedArrayLoader(Loader):
    """Load ``lcdb_packed(array)`` (a bytea: the stored array or its binary wire form) as a typed ndarray.

    Registered for bytea on the cursors of queries that select packed arrays (and no other bytea).
    """

    format = pq.Format.BINARY

    def load(self, data: Buffer) -> NDArray[Any]:
        return decode_packed(data)


class BorrowedPackedArrayLoader(Loader):
    """Load ``lcdb_packed(array)`` as a read-only view of the result's own memory, checked but not copied: valid
    only while the cursor holds that result (`query_runtime.borrowed`), so that a reader copies each array once,
    straight into the array it returns."""

    format = pq.Format.BINARY

    def load(self, data: Buffer) -> NDArray[Any]:
        return packed_view(data)
