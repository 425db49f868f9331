"""Runtime of the generated query functions (lightcurvedb.queries): execution kinds, binary results, typed errors."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, LiteralString, TypeVar

import numpy as np
import psycopg
from psycopg.rows import BaseRowFactory, tuple_row

from lightcurvedb import _validate, errors

T = TypeVar("T")

_TRANSLATED = (psycopg.errors.IntegrityError, psycopg.errors.RaiseException, psycopg.errors.DataError,
               psycopg.errors.ProgramLimitExceeded, psycopg.errors.InsufficientPrivilege)


@contextmanager
def translated() -> Iterator[None]:
    """Re-raise constraint violations with a known constraint name, and refused values (out of range, too large,
    NOT NULL, bad text/JSON), as typed lightcurvedb errors (chained)."""
    try:
        yield
    except _TRANSLATED as e:
        typed = errors.translate(e)
        if typed is not None:
            raise typed from e
        raise


def int_array(name: str, value: Any) -> Any:
    """An integer-array parameter as given, refusing non-integer dtypes (the server would round floats)."""
    if value is None:
        return None
    array = np.asarray(value)
    dtype = array.dtype
    if not (np.issubdtype(dtype, np.integer) or (array.size == 0 and dtype == np.float64)):
        raise errors.ArrayDtypeError(f"{name} must be an integer array, got dtype {dtype}")
    return value


def one(conn: psycopg.Connection[Any], query: LiteralString, params: Mapping[str, Any],
        row: BaseRowFactory[T], what: str) -> T:
    """Exactly one row (binary results), else NotFound."""
    found = opt(conn, query, params, row)
    if found is None:
        raise errors.NotFound(f"{what}: no row matches {_describe(params)}")
    return found


def opt(conn: psycopg.Connection[Any], query: LiteralString, params: Mapping[str, Any],
        row: BaseRowFactory[T]) -> T | None:
    """The first row, or None."""
    _validate.check_params(params)
    with translated(), conn.cursor(row_factory=row, binary=True) as cur:
        cur.execute(query, params)
        return cur.fetchone()


def many(conn: psycopg.Connection[Any], query: LiteralString, params: Mapping[str, Any],
         row: BaseRowFactory[T]) -> list[T]:
    """Every row, as a list."""
    _validate.check_params(params)
    with translated(), conn.cursor(row_factory=row, binary=True) as cur:
        cur.execute(query, params)
        return cur.fetchall()


def stream(conn: psycopg.Connection[Any], query: LiteralString, params: Mapping[str, Any],
           row: BaseRowFactory[T], size: int = 256) -> Iterator[T]:
    """The rows one at a time as the server sends them (`Cursor.stream`: no full result in memory)."""
    _validate.check_params(params)
    with translated(), conn.cursor(row_factory=row, binary=True) as cur:
        yield from cur.stream(query, params, size=size)


def scalar(conn: psycopg.Connection[Any], query: LiteralString, params: Mapping[str, Any], what: str) -> Any:
    """The first column of exactly one row, else NotFound."""
    return one(conn, query, params, tuple_row, what)[0]


def execute(conn: psycopg.Connection[Any], query: LiteralString, params: Mapping[str, Any]) -> int:
    """Run a statement; return its rowcount."""
    _validate.check_params(params)
    with translated(), conn.cursor() as cur:
        cur.execute(query, params)
        return cur.rowcount


def _describe(params: Mapping[str, Any]) -> str:
    shown = ", ".join(f"{k}={v!r}" for k, v in params.items())
    return f"({shown[:200]})" if shown else "(no parameters)"
