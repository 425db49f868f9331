"""psycopg Loaders reading binary 1-D PostgreSQL arrays as typed ndarrays (results and binary COPY)."""

from __future__ import annotations

from typing import Any, ClassVar

from numpy.typing import NDArray
from psycopg import pq
from psycopg.abc import Buffer
from psycopg.adapt import Loader

from lightcurvedb.adapters._codec import decode
from lightcurvedb.adapters._types import (
    BOOL_ARRAY,
    FLOAT4_ARRAY,
    FLOAT8_ARRAY,
    INT2_ARRAY,
    INT4_ARRAY,
    INT8_ARRAY,
    ArrayType,
)


class ArrayBinaryLoader(Loader):
    """Load one binary PostgreSQL array type as a new, writeable, native-order ndarray.

    NULL elements raise NullElementError, more than one dimension ArrayDimensionError; '{}' loads
    as an empty array. The lower bound of the array is ignored (as psycopg's list loader does).
    """

    format = pq.Format.BINARY
    spec: ClassVar[ArrayType]

    def load(self, data: Buffer) -> NDArray[Any]:
        return decode(data, self.spec)


class Float4ArrayBinaryLoader(ArrayBinaryLoader):
    """float4[] → float32 ndarray."""

    spec = FLOAT4_ARRAY


class Float8ArrayBinaryLoader(ArrayBinaryLoader):
    """float8[] → float64 ndarray."""

    spec = FLOAT8_ARRAY


class Int2ArrayBinaryLoader(ArrayBinaryLoader):
    """int2[] → int16 ndarray."""

    spec = INT2_ARRAY


class Int4ArrayBinaryLoader(ArrayBinaryLoader):
    """int4[] → int32 ndarray."""

    spec = INT4_ARRAY


class Int8ArrayBinaryLoader(ArrayBinaryLoader):
    """int8[] → int64 ndarray."""

    spec = INT8_ARRAY


class BoolArrayBinaryLoader(ArrayBinaryLoader):
    """bool[] → bool ndarray."""

    spec = BOOL_ARRAY


ARRAY_LOADERS: tuple[type[ArrayBinaryLoader], ...] = (
    Float4ArrayBinaryLoader,
    Float8ArrayBinaryLoader,
    Int2ArrayBinaryLoader,
    Int4ArrayBinaryLoader,
    Int8ArrayBinaryLoader,
    BoolArrayBinaryLoader,
)
