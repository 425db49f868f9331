"""Ingest TESS lightcurve files: each a release (same bytes skipped, a different file kept beside), parallel workers."""

from __future__ import annotations

import contextlib
import multiprocessing
import threading
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import psycopg
from psycopg import errors as pg_errors

from lightcurvedb import bulk, shard_routes
from lightcurvedb._retry import backoff
from lightcurvedb.errors import FitsFormatError, LightcurveDBError, PermissionDenied
from lightcurvedb.queries import ingest_log, observations, processing, releases, targets
from lightcurvedb.queries import shards as shard_queries
from lightcurvedb.query_runtime import translated
from lightcurvedb.sky.positions import record_header_position
from lightcurvedb.tess.cadences import DERIVED_CADENCE_RULE
from lightcurvedb.tess.fits_reader import MAX_FILE_BYTES, LightcurveFile, read_lightcurve, sha256_of
from lightcurvedb.tess.reference import Reference, ensure_ccd, ensure_reference, find_ccd

Status = Literal["added", "skipped", "failed"]
LOCK_NAMESPACE = 4242020  # pg_advisory_xact_lock(namespace, 0): serialises key registration
_PARTITIONS_KEY = 1
"""pg_advisory_xact_lock(namespace, 1): held exclusively while an observation's partitions are created, shared by
the last step of every data transaction (its release row and file record). Attaching a partition clones the
release foreign keys, which locks `release` against inserts: under this lock the DDL waits only for the release
rows in flight, and they wait for it, never each in turn for the other. The arrays before them are written under
deferred release keys into their own partitions, which attaching another partition does not conflict with
(migration 0021): a new observation's partitions are created while the other workers write."""
DROP_KEY = 2
"""pg_advisory_xact_lock(namespace, 2): held exclusively (with the partitions key) while an unused observation and
its partitions are dropped, shared by every data transaction from its start. Dropping a partition locks the
partitioned table against everything, including the writers of other partitions, who may meanwhile wait for the
partitions key: dropping waits for them all to finish instead, and new ones wait for it."""
_RELEASE_LOCK = 4242021  # pg_advisory_xact_lock(namespace, hashint8(target)): serialises a target's releases
_FITS_SUFFIXES = (".fits", ".fits.gz", ".fit", ".fts")


@dataclass
class IngestResult:
    """What ingesting one file did: 'added' (a new release), 'skipped' (the same bytes were ingested before) or
    'failed'. `release` is the release number the file is (or, skipped, was); `replaced` how many releases of the
    same product, target and sector `replace=True` deleted."""

    path: Path
    status: Status
    tic_id: int | None = None
    sector: int | None = None
    camera: int | None = None
    ccd: int | None = None
    product: str | None = None
    observation_id: int | None = None
    new_observation: bool = False
    rows_inserted: int = 0
    release: int | None = None
    replaced: int = 0
    note: str | None = None
    error: str | None = None
    error_type: str | None = None
    same_as: str | None = None
    """Skipped: the path the same bytes were ingested from."""
    release_id: int | None = None
    size_bytes: int | None = None
    sha256: str | None = None
    retries: int = 0
    """Deadlocks, serialization failures or unique races with concurrent writers retried (never an error)."""


@dataclass
class IngestSummary:
    """The per-file results of one ingest run, with counts."""

    results: list[IngestResult] = field(default_factory=list)

    def count(self, status: Status) -> int:
        """How many files ended with `status`."""
        return sum(1 for r in self.results if r.status == status)

    @property
    def failed(self) -> list[IngestResult]:
        """The files that failed."""
        return [r for r in self.results if r.status == "failed"]


def ensure_groups(conn: psycopg.Connection[Any], lc: LightcurveFile) -> dict[str, int]:
    """Processing group name → id for every dataset of the file (created if missing)."""
    out: dict[str, int] = {}
    for data in lc.columns:
        c = data.column
        group = processing.get_or_create_processing_group(conn, source_name=c.source, method_name=c.method,
                                                          name=c.group)
        out[c.group] = int(group.id)
    return out


def _prepare_observation(conn: psycopg.Connection[Any], lc: LightcurveFile, ref: Reference) -> int | None:
    """Where no observation of the file's sector, CCD and cadence grid exists yet: a reserved observation id with
    its partitions built (not attached), before any exclusive lock is taken — the bulk of creating an
    observation, done while the other workers write. None when the observation exists."""
    chip = find_ccd(conn, ref, lc.camera, lc.ccd)
    if chip is not None and observations.find_tess_observation(
            conn, sector=lc.sector, instrument_id=chip, cadence_reference=lc.cadences) is not None:
        return None
    reserved = int(observations.reserve_observation_id(conn))
    observations.prepare_observation_partitions(conn, id=reserved)
    return reserved


def _observation(conn: psycopg.Connection[Any], lc: LightcurveFile, ccd_id: int, *,
                 prepared: int | None = None) -> tuple[int, bool]:
    """The observation of (sector, CCD, cadence grid), created if missing under the id whose partitions were
    `prepared` (the caller holds the registration lock; creating takes the partitions lock too, only to attach)."""
    found = observations.find_tess_observation(conn, sector=lc.sector, instrument_id=ccd_id,
                                               cadence_reference=lc.cadences)
    if found is not None:
        obs_id, new = int(found.id), False
    else:
        conn.execute("SELECT pg_advisory_xact_lock(%s, %s)", [LOCK_NAMESPACE, _PARTITIONS_KEY])
        created = observations.create_tess_observation(conn, id=prepared, instrument_id=ccd_id,
                                                       cadence_reference=lc.cadences, sector=lc.sector)
        obs_id, new = int(created.id), True
    if prepared is not None and obs_id != prepared:  # another ingest created it meanwhile
        observations.discard_observation_partitions(conn, id=prepared)
    if lc.derived_cadence_seconds is not None:
        observations.mark_grid_derived(conn, observation_id=obs_id, cadence_seconds=lc.derived_cadence_seconds,
                                       rule=DERIVED_CADENCE_RULE)
    return obs_id, new


@dataclass(frozen=True)
class _Keys:
    target_id: int
    observation_id: int
    new_observation: bool
    groups: dict[str, int]


def _register(conn: psycopg.Connection[Any], lc: LightcurveFile, ref: Reference) -> _Keys:
    """Transaction 1 (short, serialised by an advisory lock): target, CCD, groups, observation + partitions.

    A new observation's partitions are built first, holding no exclusive lock (`_prepare_observation`); under the
    registration lock only the rows are written and, under the partitions lock, the partitions attached.
    """
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock_shared(%s, %s)", [LOCK_NAMESPACE, DROP_KEY])
        prepared = _prepare_observation(conn, lc, ref)
        conn.execute("SELECT pg_advisory_xact_lock(%s, 0)", [LOCK_NAMESPACE])
        target_id = int(targets.get_or_create_target(conn, catalog_id=ref.catalog_id, name=lc.tic_id).id)
        ccd_id = ensure_ccd(conn, ref, lc.camera, lc.ccd)
        groups = ensure_groups(conn, lc)
        obs_id, new_obs = _observation(conn, lc, ccd_id, prepared=prepared)
    return _Keys(target_id, obs_id, new_obs, groups)


def _skipped(lc: LightcurveFile, known: Any) -> IngestResult:
    return IngestResult(path=lc.path, status="skipped", tic_id=lc.tic_id, sector=lc.sector, camera=lc.camera,
                        ccd=lc.ccd, product=lc.product, release=known.number, release_id=known.release_id,
                        same_as=known.path, size_bytes=lc.size_bytes, sha256=lc.sha256,
                        note=f"the same bytes were ingested from {known.path} (release {known.number})")


def _layout_rows(lc: LightcurveFile, groups: dict[str, int]) -> dict[str, Any]:
    cols = [c for c in lc.layout if c.role != "text"]  # text columns: create_release_text_column
    return {"names": [c.name for c in cols], "positions": np.array([c.position or 0 for c in cols], np.int32),
            "roles": [c.role for c in cols],
            "processing_group_ids": np.array([groups[c.group] if c.group else 0 for c in cols], np.int64),
            "flag_types": [c.flag_type for c in cols], "dtypes": [c.dtype for c in cols],
            "units": [c.unit for c in cols], "header_keywords": [c.header_keyword for c in cols],
            "value_offsets": np.array([c.value_offset for c in cols], np.float64)}


def _keyword(lc: LightcurveFile, key: str, kind: type) -> Any:
    value = lc.keyword(key)
    if value is None or isinstance(value, bool):
        return None
    try:
        return kind(value.strip() if isinstance(value, str) else value)
    except (TypeError, ValueError):
        return None


def write_file(conn: psycopg.Connection[Any], lc: LightcurveFile, ref: Reference, *,
               replace: bool = False, created: set[int] | None = None) -> IngestResult:
    """Write one validated file as a new release: its keys (short transaction), then the release, the file
    record, its layout and ALL its arrays in ONE transaction.

    The same bytes (sha256) again are skipped. A different file of the same product, target and sector becomes
    the next release beside the old ones, or, with `replace`, deletes them. The file was read and checked
    completely before: a damaged or unknown file never gets here, so nothing of it is written. An observation
    this call creates is added to `created` (the caller removes it again if the file fails after all).
    """
    with conn.transaction():
        known = releases.find_ingested_file(conn, sha256=lc.sha256)
    if known is not None:
        return _skipped(lc, known)
    keys = _register(conn, lc, ref)
    target_id, obs_id = keys.target_id, keys.observation_id
    if keys.new_observation and created is not None:
        created.add(obs_id)
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock_shared(%s, %s), pg_advisory_xact_lock(%s, hashint8(%s))",
                     [LOCK_NAMESPACE, DROP_KEY, _RELEASE_LOCK, target_id])
        known = releases.find_ingested_file(conn, sha256=lc.sha256)  # a concurrent ingest of the same bytes
        if known is not None:
            return _skipped(lc, known)
        # the arrays first, under the deferred release keys (checked at commit): see _PARTITIONS_KEY
        conn.execute("SET CONSTRAINTS ALL DEFERRED")
        release_id = releases.reserve_release_id(conn)
        rows = _array_rows(lc, keys, release_id)
        shard = shard_queries.observation_shard(conn, observation_id=obs_id).shard
        if shard is None:
            # the writer stores each array at its precision (real[] or float8[]) and checks every array again
            written = {table: bulk.write(conn, table, table_rows) for table, table_rows in rows.items()}
            inserted = sum(w.inserted for w in written.values())
            retried = sum(w.retries for w in written.values())
        else:  # straight to the shard (not row by row through postgres_fdw), committed there first: see _to_shard
            inserted, retried = _write_on_shard(conn, shard, rows, target_id=target_id, observation_id=obs_id), 0
        conn.execute("SELECT pg_advisory_xact_lock_shared(%s, %s)", [LOCK_NAMESPACE, _PARTITIONS_KEY])
        product = releases.get_product_by_name(conn, name=lc.product)
        before = releases.list_tess_releases(conn, product_id=product.id, target_id=target_id, sector=lc.sector)
        number = max((r.number for r in before), default=0) + 1  # never reused, even after a replace
        release = releases.create_release(conn, id=release_id, product_id=product.id, target_id=target_id,
                                          observation_id=obs_id, number=number)
        file = releases.create_ingested_file(
            conn, release_id=release.id, path=str(lc.path.resolve()), size_bytes=lc.size_bytes, sha256=lc.sha256,
            origin=_keyword(lc, "ORIGIN", str), procver=_keyword(lc, "PROCVER", str),
            data_rel=_keyword(lc, "DATA_REL", int), file_date=_keyword(lc, "DATE", str),
            primary_header=lc.primary_header, table_header=lc.table_header)
        releases.create_release_columns(conn, release_id=release.id, **_layout_rows(lc, keys.groups))
        for text in lc.layout:
            if text.text_values is not None and text.position is not None:
                releases.create_release_text_column(conn, release_id=release.id, name=text.name,
                                                    position=text.position, dtype=text.dtype, unit=text.unit,
                                                    text_values=list(text.text_values))
        record_header_position(conn, target_id=target_id, header=lc.primary_header, ingested_file_id=file.id,
                               source=file.path)
        if replace:  # after the new data: an old release's observation is dropped only if left with nothing
            for old in before:
                releases.delete_release(conn, id=old.id)
    return IngestResult(path=lc.path, status="added", tic_id=lc.tic_id, sector=lc.sector, camera=lc.camera,
                        ccd=lc.ccd, product=lc.product, observation_id=obs_id,
                        new_observation=keys.new_observation, rows_inserted=inserted, release=number,
                        release_id=release.id, size_bytes=lc.size_bytes, sha256=lc.sha256,
                        replaced=len(before) if replace else 0,
                        note=f"columns not stored: {', '.join(lc.unstored)}" if lc.unstored else None,
                        retries=retried)


def _array_rows(lc: LightcurveFile, keys: _Keys, release_id: int) -> dict[str, list[dict[str, Any]]]:
    """A file's rows of the three data tables (the file was validated when read)."""
    target_id, obs_id = keys.target_id, keys.observation_id
    return {
        "dataset": [{"processing_group_id": keys.groups[d.column.group], "target_id": target_id,
                     "observation_id": obs_id, "values": d.values, "errors": d.errors, "release_id": release_id}
                    for d in lc.columns],
        "target_specific_time": [{"target_id": target_id, "observation_id": obs_id,
                                  "barycentric_julian_dates": lc.times, "release_id": release_id}],
        "quality_flag_array": [{"type": kind, "observation_id": obs_id, "target_id": target_id,
                                "quality_flags": arr, "release_id": release_id}
                               for kind, arr in sorted(lc.flags.items())],
    }


def _write_on_shard(conn: psycopg.Connection[Any], shard: str, rows: dict[str, list[dict[str, Any]]], *,
                    target_id: int, observation_id: int) -> int:
    """Write a file's arrays straight into the partitions its shard holds, with ids from the coordinator's
    sequences, and commit them there, before the coordinator's transaction writes the release row that makes them
    visible (if that one fails, the shard keeps rows of a release id that never exists: no read sees them)."""
    on = shard_routes.direct(conn, shard)
    ids = {table: [int(i) for i in shard_queries.reserve_data_ids(conn, table_name=table, count=len(table_rows)).ids]
           for table, table_rows in rows.items()}
    written = 0
    with translated(), on.transaction():
        for table, table_rows in rows.items():
            written += bulk.write_with_ids(on, table, table_rows, ids=ids[table])
    shard_queries.record_target_observation(conn, target_id=target_id, observation_id=observation_id)
    return written


def ingest_file(conn: psycopg.Connection[Any], path: str | Path, ref: Reference | None = None, *,
                replace: bool = False, retries: int = 3) -> IngestResult:
    """Read, validate and write one file (committing it); errors come back as a 'failed' result, typed. Every
    file tried leaves one `ingest_log` row (added, skipped or refused).

    The connection must have no transaction open. A damaged or unknown file writes nothing but its log row (an
    observation created for it is removed again). PermissionDenied is raised, not reported: a role that may not
    write fails every file alike.
    """
    p = Path(path)
    created: set[int] = set()
    lc: LightcurveFile | None = None
    try:
        lc = read_lightcurve(p)
        if ref is None:
            with conn.transaction():
                ref = ensure_reference(conn)
        for attempt in range(retries + 1):
            try:
                result = write_file(conn, lc, ref, replace=replace, created=created)
                result.retries += attempt
                break
            except (pg_errors.DeadlockDetected, pg_errors.SerializationFailure):
                if attempt == retries:
                    raise
                backoff(attempt, base=0.05)
    except PermissionDenied:
        raise
    except (LightcurveDBError, psycopg.Error) as exc:
        _forget_observations(conn, created)
        problem = exc.problem if isinstance(exc, FitsFormatError) else str(exc)  # the summary names the path
        size, digest = (lc.size_bytes, lc.sha256) if lc is not None else _identity(p)  # read: hashed already
        result = IngestResult(path=p, status="failed", error=problem, error_type=type(exc).__name__,
                              size_bytes=size, sha256=digest)
    _log(conn, result)
    return result


def _identity(path: Path) -> tuple[int | None, str | None]:
    """Size and SHA-256 of a refused file: (None, None) when it is no regular file or cannot be read (a FIFO is
    never opened), no hash when it is larger than the reader reads."""
    try:
        if not path.is_file():
            return None, None
        size = path.stat().st_size
        return (size, None) if size > MAX_FILE_BYTES else (size, sha256_of(path))
    except OSError:
        return None, None


def _forget_observations(conn: psycopg.Connection[Any], created: set[int]) -> None:
    """Remove the observations a failed file created, with their empty partitions, unless another ingest has
    used them meanwhile (lcdb_delete_unused_observation)."""
    for observation_id in sorted(created):
        with contextlib.suppress(psycopg.Error), conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s, %s), pg_advisory_xact_lock(%s, %s)",
                         [LOCK_NAMESPACE, DROP_KEY, LOCK_NAMESPACE, _PARTITIONS_KEY])
            observations.delete_unused_observation(conn, id=observation_id)


def _text(value: str) -> str:
    """A file name or message as PostgreSQL text: undecodable bytes (surrogates) and NULs as backslash escapes."""
    return value.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")


def _log(conn: psycopg.Connection[Any], result: IngestResult) -> None:
    """The file's `ingest_log` row, in its own transaction."""
    outcome = {"added": "added", "skipped": "skipped", "failed": "refused"}[result.status]
    reason = _text(" ".join(str(result.error).split())) if result.status == "failed" else None
    same_as = _text(result.same_as) if result.status == "skipped" and result.same_as else None
    try:
        with conn.transaction():
            ingest_log.record_ingest(
                conn, path=_text(str(result.path.absolute())), size_bytes=result.size_bytes, sha256=result.sha256,
                outcome=outcome, same_as_path=same_as, reason=reason, tic_id=result.tic_id, sector=result.sector,
                product=result.product, release_id=result.release_id)
    except psycopg.Error as exc:  # the file's outcome stands; the result says the log missed it
        result.note = "; ".join(filter(None, [result.note, f"not recorded in ingest_log: {exc}"]))


def expand_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Files as given, directories expanded to their FITS files (recursively, sorted)."""
    out: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            out.extend(sorted(f for f in p.rglob("*") if f.is_file() and f.name.lower().endswith(_FITS_SUFFIXES)))
        else:
            out.append(p)
    return out


_WORKER: dict[str, Any] = {}


def _worker_ingest(dsn: str, path: str, replace: bool) -> IngestResult:
    """Process-pool task: one connection per worker process, reused across files."""
    conn = _WORKER.get("conn")
    if conn is None or conn.closed:
        import lightcurvedb

        conn = lightcurvedb.connect(dsn, check_schema=False)
        _WORKER["conn"] = conn
    return ingest_file(conn, path, replace=replace)


def _start_method() -> str:
    """How worker processes start: forked where that is safe (this process runs one thread, and no connection is
    open here: `iter_ingest` closes its own first), so that they start at once with everything imported; else
    spawned (a fresh interpreter each: ~1 s of imports, which on a run of a few seconds is most of what two
    workers could gain). Each worker opens its own connection either way."""
    return "fork" if threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods() else "spawn"


def iter_ingest(dsn: str, paths: Iterable[str | Path], *, jobs: int = 1,
                replace: bool = False) -> Iterator[IngestResult]:
    """Ingest files (one release each, see `write_file`) with `jobs` processes; yields results as files finish.
    `replace`: a file replaces the releases of its product, target and sector instead of adding one."""
    import lightcurvedb

    files = expand_paths(paths)
    with lightcurvedb.connect(dsn) as conn:
        with conn.transaction():
            ref = ensure_reference(conn)  # once, up front: workers then only read these rows
        if jobs <= 1 or len(files) <= 1:
            for f in files:
                yield ingest_file(conn, f, ref, replace=replace)
            return
    ctx = multiprocessing.get_context(_start_method())
    with ProcessPoolExecutor(max_workers=min(jobs, len(files)), mp_context=ctx) as pool:
        futures = {pool.submit(_worker_ingest, dsn, str(f), replace): f for f in files}
        for future in as_completed(futures):
            try:
                yield future.result()
            except PermissionDenied:
                for other in futures:
                    other.cancel()
                raise
            except Exception as exc:  # a worker crash still reports the file
                yield IngestResult(path=futures[future], status="failed", error=str(exc),
                                   error_type=type(exc).__name__)


def ingest_paths(dsn: str, paths: Iterable[str | Path], *, jobs: int = 1, replace: bool = False) -> IngestSummary:
    """Ingest files and directories; returns every file's result (see `iter_ingest`)."""
    return IngestSummary(list(iter_ingest(dsn, paths, jobs=jobs, replace=replace)))
