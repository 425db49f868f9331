"""Runtime of the generated query functions (lightcurvedb.queries): execution kinds, binary results, typed errors."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from typing import Any, LiteralString, TypeVar

import numpy as np
import psycopg
from psycopg.rows import BaseRowFactory, tuple_row

from lightcurvedb import _validate, errors, schema
from lightcurvedb.adapters.loaders import BorrowedPackedArrayLoader, PackedArrayLoader

T = TypeVar("T")
R = TypeVar("R")

def schema_constraint(reported: str | None) -> str | None:
    """The schema's name of a constraint a server error reports, or None when the schema has no such name.

    A partition's copy of a key is named `<constraint>_o<observation id>`: it is reported as the parent's name.
    """
    if not reported:
        return None
    if reported in schema.CONSTRAINTS:
        return reported
    head, sep, tail = reported.rpartition("_o")
    return head if sep and tail.isdigit() and head in schema.CONSTRAINTS else None


def translate(exc: psycopg.Error) -> errors.LightcurveDBError | None:
    """The typed lightcurvedb error of a server refusal, or None when lightcurvedb has no category for it.

    The category comes from the SQLSTATE (`errors.SQLSTATE_ERRORS`); a constraint violation counts only when it
    names a constraint of this schema (`lightcurvedb.schema.CONSTRAINTS`), and carries that name and its table.
    The caller chains it: ``raise typed from exc``.
    """
    cls = errors.SQLSTATE_ERRORS.get(exc.sqlstate or "")
    if cls is None:
        return None
    diag = exc.diag
    message = diag.message_primary or str(exc)
    if issubclass(cls, errors.ConstraintViolation):
        # a shard's refusal relayed by postgres_fdw names the constraint only in its message
        quoted = re.search(r'constraint "([a-z0-9_]+)"', message)
        name = schema_constraint(diag.constraint_name or (quoted.group(1) if quoted else None))
        if name is None:
            return None
        return cls(message, constraint=name, table=schema.CONSTRAINTS[name].table, detail=diag.message_detail)
    if cls is errors.ShardUnavailable:  # postgres_fdw: could not connect to server "lcdb_shard_NAME"
        server = re.search(r'server "(?:lcdb_shard_)?([^"]+)"', message)
        reason = (diag.message_detail or "").strip().splitlines()
        return cls(f"shard {server.group(1) if server else '?'} is unreachable"
                   + (f": {reason[0]}" if reason else ""))
    if cls is errors.InvalidRepresentation and "json" in message.lower():
        return errors.InvalidJson(message)
    if cls is errors.MissingValue and diag.column_name:
        message = f"{diag.table_name}.{diag.column_name} is required: {message}"
    return cls(message)


@contextmanager
def translated() -> Iterator[None]:
    """Re-raise a server refusal lightcurvedb has a category for (a named constraint, a refused value, a missing
    privilege) as the typed error (chained); anything else as it is."""
    try:
        yield
    except psycopg.DatabaseError as e:
        typed = translate(e)
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


def _cursor(conn: psycopg.Connection[Any], row: BaseRowFactory[T], packed: bool) -> psycopg.Cursor[T]:
    """A binary cursor; with `packed`, its bytea results are ``lcdb_packed(array)`` values and load as ndarrays."""
    cur = conn.cursor(row_factory=row, binary=True)
    if packed:
        cur.adapters.register_loader("bytea", PackedArrayLoader)
    return cur


def one(conn: psycopg.Connection[Any], query: LiteralString, params: Mapping[str, Any],
        row: BaseRowFactory[T], what: str, *, packed: bool = False, prepare: bool = False) -> T:
    """Exactly one row (binary results), else NotFound."""
    found = opt(conn, query, params, row, packed=packed, prepare=prepare)
    if found is None:
        raise errors.NotFound(f"{what}: no row matches {_describe(params)}")
    return found


# Generated queries are never server-prepared (prepare=False): a prepared statement's generic plan cannot prune
# partitions at planning, and PostgreSQL plans it (locking every partition of the data tables) to compare costs.
# Unnamed statements are planned with their parameters, so `observation_id = ANY($ids)` prunes. Queries that read no
# partitioned table may say `-- prepared: true`: their plan is then kept by the server (`prepare=True`).


def opt(conn: psycopg.Connection[Any], query: LiteralString, params: Mapping[str, Any],
        row: BaseRowFactory[T], *, packed: bool = False, prepare: bool = False) -> T | None:
    """The first row, or None."""
    _validate.check_params(params)
    with translated(), _cursor(conn, row, packed) as cur:
        cur.execute(query, params, prepare=prepare)
        return cur.fetchone()


def many(conn: psycopg.Connection[Any], query: LiteralString, params: Mapping[str, Any],
         row: BaseRowFactory[T], *, packed: bool = False, prepare: bool = False) -> list[T]:
    """Every row, as a list."""
    _validate.check_params(params)
    with translated(), _cursor(conn, row, packed) as cur:
        cur.execute(query, params, prepare=prepare)
        return cur.fetchall()


def stream(conn: psycopg.Connection[Any], query: LiteralString, params: Mapping[str, Any],
           row: BaseRowFactory[T], size: int = 256, *, packed: bool = False) -> Iterator[T]:
    """The rows one at a time as the server sends them (`Cursor.stream`: no full result in memory)."""
    _validate.check_params(params)
    with translated(), _cursor(conn, row, packed) as cur:
        yield from cur.stream(query, params, size=size)


def borrowed(conn: psycopg.Connection[Any], query: LiteralString, params: Mapping[str, Any],
             use: Callable[[list[tuple[Any, ...]]], R]) -> R:
    """`use(rows)` of a packed query's rows (tuples) whose arrays are views of the result's memory, not copies:
    `use` must copy what it keeps (its return value may not hold a view), before the cursor lets the result go."""
    _validate.check_params(params)
    with translated(), conn.cursor(binary=True, row_factory=tuple_row) as cur:
        cur.adapters.register_loader("bytea", BorrowedPackedArrayLoader)
        cur.execute(query, params, prepare=False)
        return use(cur.fetchall())


def borrowed_from_each(steps: Sequence[tuple[psycopg.Connection[Any], Mapping[str, Any]]], query: LiteralString,
                       use: Callable[[list[tuple[Any, ...]]], R]) -> R:
    """`borrowed` of one query on several connections (each with its parameters), run at the same time (one
    thread per connection after the first, which runs here), then `use(rows)` of all their rows in `steps`' order:
    the same statement on the coordinator and on each shard it needs."""
    for _, params in steps:
        _validate.check_params(params)
    with ExitStack() as stack:
        def run(conn: psycopg.Connection[Any], params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
            cur = stack.enter_context(conn.cursor(binary=True, row_factory=tuple_row))
            cur.adapters.register_loader("bytea", BorrowedPackedArrayLoader)
            cur.execute(query, params, prepare=False)
            return cur.fetchall()

        with translated(), ThreadPoolExecutor(max_workers=max(1, len(steps) - 1)) as pool:
            others = [pool.submit(run, conn, params) for conn, params in steps[1:]]
            rows = run(*steps[0]) if steps else []
            for done in others:
                rows += done.result()
        return use(rows)


def scalar(conn: psycopg.Connection[Any], query: LiteralString, params: Mapping[str, Any], what: str) -> Any:
    """The first column of exactly one row, else NotFound."""
    return one(conn, query, params, tuple_row, what)[0]


def execute(conn: psycopg.Connection[Any], query: LiteralString, params: Mapping[str, Any]) -> int:
    """Run a statement; return its rowcount."""
    _validate.check_params(params)
    with translated(), conn.cursor() as cur:
        cur.execute(query, params, prepare=False)
        return cur.rowcount


def _describe(params: Mapping[str, Any]) -> str:
    shown = ", ".join(f"{k}={v!r}" for k, v in params.items())
    return f"({shown[:200]})" if shown else "(no parameters)"
