"""Lightcurves as a Dask bag, each part read over binary COPY by a worker from a primary or its hot standbys.

The client plans the partitions from ids alone. Needs the `[scale]` extra (Dask).
"""

from __future__ import annotations

import atexit
import threading
import warnings
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import psycopg

import lightcurvedb
from lightcurvedb.config import redact, scrub
from lightcurvedb.errors import MissingDependency, NoServerAvailable
from lightcurvedb.scale.partitions import (
    DEFAULT_PART_SIZE,
    Partition,
    array_columns,
    check_processing_group,
    plan_partitions,
    read_partition,
    read_target_part,
)
from lightcurvedb.scale.replicas import DEFAULT_MAX_LAG_SECONDS, ReplicaSkipped, usable
from lightcurvedb.tess.best.reads import read_best
from lightcurvedb.tess.best.rule import is_best

EXTRA = "pip install 'tess-lightcurvedb[scale]'"


def require_dask() -> Any:
    """The `dask` package with its bag and delayed modules; MissingDependency naming the extra without it."""
    try:
        import dask
        import dask.bag
        import dask.delayed
    except ImportError as exc:
        raise MissingDependency(f"distributed work needs Dask: {EXTRA}") from exc
    return dask


def require_distributed() -> Any:
    """The `distributed` package (Dask's cluster scheduler); MissingDependency naming the extra without it."""
    try:
        import distributed
    except ImportError as exc:
        raise MissingDependency(f"this needs dask.distributed: {EXTRA}") from exc
    return distributed


def dsn_list(dsn_or_dsns: str | Sequence[str]) -> list[str]:
    """One DSN or several (a primary and its standbys) as a list."""
    return [dsn_or_dsns] if isinstance(dsn_or_dsns, str) else list(dsn_or_dsns)


def read_part(dsns: Sequence[str], part: Partition | tuple[Partition, ...],
              processing_group: str | None, columns: Iterable[str] | None = None) -> list[dict[str, Any]]:
    """One part's records (what a Dask task runs): an observation's partition, or a target part
    (`plan_target_parts`). From the first of `dsns` that answers; a server that fails is skipped with a
    ReplicaSkipped warning and the next one reads the part."""
    what = (f"observation {part.observation_id}" if isinstance(part, Partition)
            else f"the part of observation(s) {', '.join(str(p.observation_id) for p in part)}")
    for dsn in dsns:
        try:
            conn = _connection(dsn)
            with conn.transaction():  # one snapshot per part (REPEATABLE READ): no record torn by an ingest
                if is_best(processing_group):  # each release's best group (lcdb best), the rule in best_rule
                    return read_best(conn, part, columns=columns)
                if isinstance(part, Partition):
                    return read_partition(conn, part, processing_group=processing_group, columns=columns)
                return read_target_part(conn, part, processing_group=processing_group, columns=columns)
        except psycopg.OperationalError as exc:
            _forget(dsn)
            warnings.warn(f"{redact(dsn)} failed reading {what}: {scrub(str(exc).strip(), dsn)}; reading it "
                          "elsewhere", ReplicaSkipped, stacklevel=2)
    raise NoServerAvailable(f"no server could read {what} ({', '.join(map(redact, dsns))})")


_WORKER = threading.local()  # each worker thread's open connections, by DSN: tasks reuse them
_OPENED: list[psycopg.Connection[Any]] = []  # all of this process's, closed when it exits


def _connection(dsn: str) -> psycopg.Connection[Any]:
    cache: dict[str, psycopg.Connection[Any]] = _WORKER.__dict__.setdefault("connections", {})
    conn = cache.get(dsn)
    if conn is None or conn.closed or conn.broken:
        conn = lightcurvedb.connect(dsn, autocommit=True)
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        cache[dsn] = conn
        _OPENED.append(conn)
    return conn


@atexit.register
def _close_all() -> None:
    for conn in _OPENED:
        conn.close()


def _forget(dsn: str) -> None:
    conn = _WORKER.__dict__.get("connections", {}).pop(dsn, None)
    if conn is not None:
        conn.close()


def spread(servers: Sequence[str], i: int) -> list[str]:
    """The servers part `i` tries, in order: round robin over `servers`, then the others."""
    k = i % len(servers)
    return [*servers[k:], *servers[:k]]


def lightcurves(dsn_or_dsns: str | Sequence[str], *, sectors: Iterable[int] | None = None,
                product: str | None = None, release: int | None = None, processing_group: str | None = None,
                columns: Iterable[str] | None = None, part_size: int = DEFAULT_PART_SIZE,
                max_lag_seconds: float = DEFAULT_MAX_LAG_SECONDS) -> Any:
    """The selected lightcurves as a `dask.bag.Bag` of records (`lightcurvedb.scale.partitions.RECORD_FIELDS`:
    tic, sector, camera, ccd, product, release, time, flux, flux_err, quality, cadenceno, …).

    One Dask partition per observation, split into parts of at most `part_size` lightcurves; the client only plans
    (ids), each task reads its part over binary COPY. Given several DSNs (a primary and its standbys), the parts are
    spread over those that answer and have replayed the primary's WAL within `max_lag_seconds`; a server that is
    skipped, or fails while reading, is warned about (ReplicaSkipped) and its parts are read by the others.
    `sectors`, `product`, `release` (a release number; default the newest) and `processing_group` (default each
    product's flux; "best": each release's best group, `lcdb best`, the rule in each record's `best_rule`) select
    as `lcdb export` does; `columns` (`ARRAY_FIELDS`: time, flux, flux_err, quality,
    cadenceno; None: all) says which arrays the workers read and the records carry. Needs the `[scale]` extra.
    """
    wanted = sorted(array_columns(columns))
    dask = require_dask()
    servers = usable(dsn_list(dsn_or_dsns), max_lag_seconds=max_lag_seconds)
    with lightcurvedb.connect(servers[0]) as conn:
        if not is_best(processing_group):
            check_processing_group(conn, processing_group)
        parts = plan_partitions(conn, sectors=sectors, product=product, release=release, part_size=part_size)
    tasks = []
    for i, part in enumerate(parts):
        tasks.append(dask.delayed(read_part, pure=True)(spread(servers, i), part, processing_group, wanted,
                                                        dask_key_name=f"lcdb-read-{part.observation_id}-"
                                                                      f"{part.release_ids[0]}"))
    return dask.bag.from_delayed(tasks)


def map_lightcurves(fn: Callable[..., Any], dsn_or_dsns: str | Sequence[str], *, per_partition: bool = False,
                    sectors: Iterable[int] | None = None, product: str | None = None, release: int | None = None,
                    processing_group: str | None = None, columns: Iterable[str] | None = None,
                    part_size: int = DEFAULT_PART_SIZE, max_lag_seconds: float = DEFAULT_MAX_LAG_SECONDS) -> Any:
    """`fn` applied on the workers to every selected lightcurve record (`per_partition`: to each partition's list
    of records, e.g. to store results in one statement), as a lazy `dask.bag.Bag`; the selection is
    `lightcurves`'s. Compute it with any Dask scheduler (a `distributed.Client` for a cluster)."""
    bag = lightcurves(dsn_or_dsns, sectors=sectors, product=product, release=release,
                      processing_group=processing_group, columns=columns, part_size=part_size,
                      max_lag_seconds=max_lag_seconds)
    return bag.map_partitions(fn) if per_partition else bag.map(fn)
