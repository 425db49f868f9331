"""The packed INSERT: arrays sent as lcdb_packed bytes and unpacked by the server without per-element work."""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

import numpy as np
import psycopg
from psycopg import sql

from lightcurvedb._validate import check_text
from lightcurvedb.adapters._codec import encode_packed
from lightcurvedb.adapters._types import array_type
from lightcurvedb.errors import BulkWriteError, LightcurveDBError

STATEMENT_BYTES = 32 << 20
"""Packed array bytes per INSERT: bounds the client's parameter buffer (a COPY streams, an INSERT does not)."""

def _integer(bits: int) -> Callable[[Any], int]:
    def convert(value: Any) -> int:
        number = operator.index(value)  # an int or NumPy integer: never a float or a str rounded or parsed
        if not -(1 << (bits - 1)) <= number < 1 << (bits - 1):
            raise ValueError(f"{number} is out of range for int{bits // 8}")
        return number
    return convert


def _real(value: Any) -> float:
    if isinstance(value, str | bytes):
        raise TypeError(f"{type(value).__name__} is not a number")
    return float(value)


_SCALARS: dict[str, Callable[[Any], Any]] = {
    "int8": _integer(64), "int4": _integer(32), "int2": _integer(16), "float8": _real, "float4": _real,
    "bool": bool, "text": lambda v: check_text(str(v), "an INSERT text value"),
}
"""Scalar parameters, as strict as the COPY path's struct packing (no float or str taken as an integer)."""


def _converter(type_name: str) -> Callable[[Any], Any]:
    if type_name.endswith("[]"):
        pg_array = array_type(type_name)
        return lambda v: encode_packed(v if isinstance(v, np.ndarray) else np.asarray(v), pg_array)
    if type_name in _SCALARS:
        return _SCALARS[type_name]
    raise BulkWriteError(f"no packed INSERT parameter for type {type_name!r}")


def insert_packed(cur: psycopg.Cursor[Any], table: sql.Composable, columns: tuple[str, ...],
                  types: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
    """INSERT `rows` into `table`: one ``INSERT … SELECT … FROM unnest(…)`` per ~32 MB of arrays, each array
    column as ``bytea[]`` turned back into its type by ``lcdb_unpacked`` (which checks every header).

    The arrays are checked and encoded like the COPY path's (lossy narrowing, masked elements, ndim ≠ 1 raise).
    """
    convert = [_converter(t) for t in types]
    names = [sql.Identifier(f"c{i}") for i in range(len(columns))]
    select = [sql.SQL("lcdb_unpacked({}, NULL::{})").format(n, sql.SQL(t)) if t.endswith("[]") else n
              for n, t in zip(names, types, strict=True)]
    params = [sql.SQL("%b::bytea[]") if t.endswith("[]") else sql.SQL("%b::{}[]").format(sql.SQL(t)) for t in types]
    query = sql.SQL("INSERT INTO {} ({}) SELECT {} FROM unnest({}) AS u({})").format(
        table, sql.SQL(", ").join(map(sql.Identifier, columns)), sql.SQL(", ").join(select),
        sql.SQL(", ").join(params), sql.SQL(", ").join(names))
    batch: list[list[Any]] = [[] for _ in columns]
    size = 0
    for row in rows:
        if len(row) != len(convert):
            raise BulkWriteError(f"row has {len(row)} values, the INSERT expects {len(convert)}")
        for values, conv, value in zip(batch, convert, row, strict=True):
            if value is None:
                values.append(None)
                continue
            try:
                out = conv(value)
            except LightcurveDBError:
                raise  # the typed refusal of the value (its dtype, a NUL in a text, a lossy cast…)
            except (TypeError, ValueError) as exc:
                raise BulkWriteError(f"cannot encode {value!r} as an INSERT value: {exc}") from exc
            values.append(out)
            size += len(out) if isinstance(out, bytearray) else 0
        if size >= STATEMENT_BYTES:
            cur.execute(query, batch)
            batch, size = [[] for _ in columns], 0
    if batch[0]:
        cur.execute(query, batch)
