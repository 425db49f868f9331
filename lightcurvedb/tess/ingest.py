"""Ingest TESS lightcurve files: one transaction per file, natural keys skipped on re-ingest, parallel workers."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import psycopg
from psycopg import errors as pg_errors

from lightcurvedb import bulk
from lightcurvedb._retry import backoff
from lightcurvedb.errors import DuplicateKey, FitsFormatError, LightcurveDBError, NotFound, PermissionDenied
from lightcurvedb.queries import instruments, missions, observations, processing, targets
from lightcurvedb.records.datasets import DatasetInsert
from lightcurvedb.records.times_flags import QualityFlagArrayInsert, TargetSpecificTimeInsert
from lightcurvedb.tess import mapping
from lightcurvedb.tess.cadences import DERIVED_CADENCE_RULE
from lightcurvedb.tess.fits_reader import LightcurveFile, read_lightcurve

Status = Literal["added", "skipped", "failed"]
_LOCK_NAMESPACE = 4242020  # pg_advisory_xact_lock(namespace, 0): serialises key registration
_FITS_SUFFIXES = (".fits", ".fits.gz", ".fit", ".fts")


@dataclass(frozen=True)
class Reference:
    """Ids of the rows every TESS file refers to: the mission, the TIC catalog and the root instrument."""

    mission_id: Any
    catalog_id: Any
    instrument_id: int


@dataclass
class IngestResult:
    """What ingesting one file did: 'added' (something new written), 'skipped' (all present) or 'failed'."""

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
    rows_skipped: int = 0
    error: str | None = None
    error_type: str | None = None
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


def _get_or_create(get: Callable[[], Any], create: Callable[[], Any], conn: psycopg.Connection[Any]) -> Any:
    """Look a row up, else create it in a savepoint; a concurrent creator's row is looked up again."""
    try:
        return get()
    except NotFound:
        pass
    try:
        with conn.transaction():
            return create()
    except DuplicateKey:
        return get()


def ensure_reference(conn: psycopg.Connection[Any]) -> Reference:
    """Get or create the TESS mission (time system BTJD), the TIC catalog and the 'TESS' root instrument."""
    ts = mapping.TIME_SYSTEM
    mission = _get_or_create(
        lambda: missions.get_mission_by_name(conn, name=mapping.MISSION),
        lambda: missions.create_mission(
            conn, name=mapping.MISSION, description=mapping.MISSION_DESCRIPTION, time_unit=ts.time_unit,
            time_epoch=float(ts.time_epoch), time_epoch_scale=ts.time_epoch_scale,
            time_epoch_format=ts.time_epoch_format, time_format_name=ts.time_format_name),
        conn)
    catalog = _get_or_create(
        lambda: missions.get_catalog_by_name(conn, name=mapping.CATALOG),
        lambda: missions.create_catalog(conn, host_mission_id=mission.id, name=mapping.CATALOG,
                                        description=mapping.CATALOG_DESCRIPTION),
        conn)
    root = _get_or_create(
        lambda: instruments.get_root_instrument(conn, name=mapping.INSTRUMENT),
        lambda: instruments.create_instrument(conn, name=mapping.INSTRUMENT, properties={"mission": "TESS"}),
        conn)
    return Reference(mission.id, catalog.id, int(root.id))


def ensure_ccd(conn: psycopg.Connection[Any], ref: Reference, camera: int, ccd: int) -> int:
    """Get or create TESS → Camera n → CCD m; returns the CCD's instrument id."""
    cam = _get_or_create(
        lambda: instruments.get_child_instrument(conn, parent_id=ref.instrument_id, name=mapping.camera_name(camera)),
        lambda: instruments.create_instrument(conn, name=mapping.camera_name(camera), properties={"camera": camera},
                                              parent_id=ref.instrument_id),
        conn)
    chip = _get_or_create(
        lambda: instruments.get_child_instrument(conn, parent_id=cam.id, name=mapping.ccd_name(ccd)),
        lambda: instruments.create_instrument(conn, name=mapping.ccd_name(ccd), parent_id=cam.id,
                                              properties={"camera": camera, "ccd": ccd}),
        conn)
    return int(chip.id)


def ensure_groups(conn: psycopg.Connection[Any], lc: LightcurveFile) -> dict[str, int]:
    """Processing group name → id for every dataset of the file (created if missing)."""
    out: dict[str, int] = {}
    for data in lc.columns:
        c = data.column
        group = processing.get_or_create_processing_group(conn, source_name=c.source, method_name=c.method,
                                                          name=c.group)
        out[c.group] = int(group.id)
    return out


def _observation(conn: psycopg.Connection[Any], lc: LightcurveFile, ccd_id: int) -> tuple[int, bool]:
    """The observation of (sector, CCD, cadence grid), created if missing (the caller holds the ingest lock)."""
    found = observations.find_tess_observation(conn, sector=lc.sector, instrument_id=ccd_id,
                                               cadence_reference=lc.cadences)
    if found is not None:
        obs_id, new = int(found.id), False
    else:
        created = observations.create_tess_observation(conn, instrument_id=ccd_id, cadence_reference=lc.cadences,
                                                       sector=lc.sector)
        obs_id, new = int(created.id), True
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

    Creating an observation creates partitions, which locks the data tables and the tables their foreign keys
    reference (target, processing_group, observation); doing it apart from the bulk data, one writer at a time,
    keeps parallel ingests from deadlocking.
    """
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s, 0)", [_LOCK_NAMESPACE])
        target_id = int(targets.get_or_create_target(conn, catalog_id=ref.catalog_id, name=lc.tic_id).id)
        ccd_id = ensure_ccd(conn, ref, lc.camera, lc.ccd)
        groups = ensure_groups(conn, lc)
        obs_id, new_obs = _observation(conn, lc, ccd_id)
    return _Keys(target_id, obs_id, new_obs, groups)


def write_file(conn: psycopg.Connection[Any], lc: LightcurveFile, ref: Reference) -> IngestResult:
    """Write one validated file: its keys (short transaction), then ALL its arrays in ONE transaction.

    Existing natural keys are skipped. The file was read and checked completely before: a damaged or unknown
    file never gets here, so nothing of it is written.
    """
    keys = _register(conn, lc, ref)
    target_id, obs_id = keys.target_id, keys.observation_id
    # model_construct: the file was validated when read, and the COPY encoder checks every array again
    with conn.transaction():
        datasets = bulk.write(conn, "dataset", [DatasetInsert.model_construct(
            processing_group_id=keys.groups[d.column.group], target_id=target_id, observation_id=obs_id,
            values=d.values, errors=d.errors) for d in lc.columns], mode="skip")
        times = bulk.write(conn, "target_specific_time", [TargetSpecificTimeInsert.model_construct(
            target_id=target_id, observation_id=obs_id, barycentric_julian_dates=lc.times)], mode="skip")
        flags = bulk.write(conn, "quality_flag_array", [QualityFlagArrayInsert.model_construct(
            type=kind, observation_id=obs_id, target_id=target_id, quality_flags=arr)
            for kind, arr in sorted(lc.flags.items())], mode="skip")
    inserted = times.inserted + flags.inserted + datasets.inserted
    skipped = times.skipped + flags.skipped + datasets.skipped
    return IngestResult(path=lc.path, status="added" if inserted or keys.new_observation else "skipped",
                        tic_id=lc.tic_id, sector=lc.sector, camera=lc.camera, ccd=lc.ccd, product=lc.product,
                        observation_id=obs_id, new_observation=keys.new_observation, rows_inserted=inserted,
                        rows_skipped=skipped, retries=times.retries + flags.retries + datasets.retries)


def ingest_file(conn: psycopg.Connection[Any], path: str | Path, ref: Reference | None = None, *,
                retries: int = 3) -> IngestResult:
    """Read, validate and write one file (committing it); errors come back as a 'failed' result, typed.

    The connection must have no transaction open. A damaged or unknown file writes nothing. PermissionDenied is
    raised, not reported: a role that may not write fails every file alike.
    """
    p = Path(path)
    try:
        lc = read_lightcurve(p)
        if ref is None:
            with conn.transaction():
                ref = ensure_reference(conn)
        for attempt in range(retries + 1):
            try:
                result = write_file(conn, lc, ref)
                result.retries += attempt
                return result
            except (pg_errors.DeadlockDetected, pg_errors.SerializationFailure):
                if attempt == retries:
                    raise
                backoff(attempt, base=0.05)
        raise AssertionError("unreachable")
    except PermissionDenied:
        raise
    except (LightcurveDBError, psycopg.Error) as exc:
        problem = exc.problem if isinstance(exc, FitsFormatError) else str(exc)  # the summary names the path
        return IngestResult(path=p, status="failed", error=problem, error_type=type(exc).__name__)


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


def _worker_ingest(dsn: str, path: str) -> IngestResult:
    """Process-pool task: one connection per worker process, reused across files."""
    conn = _WORKER.get("conn")
    if conn is None or conn.closed:
        import lightcurvedb

        conn = lightcurvedb.connect(dsn, check_schema=False)
        _WORKER["conn"] = conn
    return ingest_file(conn, path)


def iter_ingest(dsn: str, paths: Iterable[str | Path], *, jobs: int = 1) -> Iterator[IngestResult]:
    """Ingest files (one transaction each) with `jobs` processes; yields results as files finish."""
    import lightcurvedb

    files = expand_paths(paths)
    with lightcurvedb.connect(dsn) as conn:
        with conn.transaction():
            ref = ensure_reference(conn)  # once, up front: workers then only read these rows
        if jobs <= 1 or len(files) <= 1:
            for f in files:
                yield ingest_file(conn, f, ref)
            return
    ctx = multiprocessing.get_context("spawn")  # no inherited sockets: each worker opens its own connection
    with ProcessPoolExecutor(max_workers=min(jobs, len(files)), mp_context=ctx) as pool:
        futures = {pool.submit(_worker_ingest, dsn, str(f)): f for f in files}
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


def ingest_paths(dsn: str, paths: Iterable[str | Path], *, jobs: int = 1) -> IngestSummary:
    """Ingest files and directories; returns every file's result (see `iter_ingest`)."""
    return IngestSummary(list(iter_ingest(dsn, paths, jobs=jobs)))
