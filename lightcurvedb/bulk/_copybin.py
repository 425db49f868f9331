"""Binary COPY stream writer: encodes rows straight into PostgreSQL's COPY BINARY format, ndarrays in one pass."""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import psycopg

from lightcurvedb._validate import check_text
from lightcurvedb.adapters import array_type
from lightcurvedb.adapters._codec import encode
from lightcurvedb.errors import BulkWriteError

SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
TRAILER = b"\xff\xff"
NULL = struct.pack(">i", -1)
_FLUSH = 1 << 16  # small fields are gathered up to 64 kB; arrays above it are written as they are

_SCALARS: dict[str, Callable[[Any], bytes]] = {
    "int8": struct.Struct(">q").pack,
    "int4": struct.Struct(">i").pack,
    "int2": struct.Struct(">h").pack,
    "float8": struct.Struct(">d").pack,
    "float4": struct.Struct(">f").pack,
    "bool": lambda v: b"\x01" if v else b"\x00",
    "text": lambda v: check_text(str(v), "a COPY text value").encode("utf-8"),
}


def encoder(type_name: str) -> Callable[[Any], bytes | bytearray]:
    """The binary encoder of one column type (scalars above, or a 1-D array type such as ``float8[]``)."""
    if type_name in _SCALARS:
        return _SCALARS[type_name]
    if type_name.endswith("[]"):
        pg_array = array_type(type_name)
        return lambda v: encode(v if isinstance(v, np.ndarray) else np.asarray(v), pg_array)
    raise BulkWriteError(f"no binary COPY encoder for type {type_name!r}")


def write_rows(copy: psycopg.Copy, types: Iterable[str], rows: Iterable[tuple[Any, ...]]) -> None:
    """Write `rows` as a complete binary COPY stream (signature, tuples, trailer).

    Compared with ``copy.write_row`` after ``set_types`` this skips psycopg's per-value dispatch and one copy
    of every array into its row buffer: about a third of the client CPU per 13,000-element lightcurve, which
    on a small machine is CPU the server's COPY can use instead. Arrays go through the same checked encoder
    as the adapters (lossy narrowing, masked elements, ndim ≠ 1 raise the typed errors).
    """
    encoders = [encoder(t) for t in types]
    count = struct.pack(">h", len(encoders))
    length = struct.Struct(">i").pack
    pending = bytearray(SIGNATURE)
    for row in rows:
        if len(row) != len(encoders):
            raise BulkWriteError(f"row has {len(row)} values, the COPY expects {len(encoders)}")
        pending += count
        for enc, value in zip(encoders, row, strict=True):
            if value is None:
                pending += NULL
                continue
            try:
                data = enc(value)
            except struct.error as exc:
                raise BulkWriteError(f"cannot encode {value!r} as a COPY value: {exc}") from exc
            pending += length(len(data))
            if len(data) >= _FLUSH:
                copy.write(pending)
                copy.write(data)
                pending = bytearray()
            else:
                pending += data
        if len(pending) >= _FLUSH:
            copy.write(pending)
            pending = bytearray()
    pending += TRAILER
    copy.write(pending)
