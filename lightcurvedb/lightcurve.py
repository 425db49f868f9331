"""The lightcurve assembler: a target's datasets, times and flags on its observations' cadence grids."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import psycopg
from astropy.time import Time
from astropy.timeseries import TimeSeries
from numpy.typing import ArrayLike, NDArray

from lightcurvedb import schema
from lightcurvedb.adapters import register
from lightcurvedb.errors import CadenceNotInGrid, DuplicateCadence, InvalidInput
from lightcurvedb.queries import datasets, observations, times_flags
from lightcurvedb.timesystem import MissionTimeSystem, mission_time

QUALITY_FLAG = str(schema.TABLES["quality_flag_array"].discriminator)
"""The flag type of the spacecraft's quality bits (`TargetLightcurves.quality`): the schema's default of
quality_flag_array.type."""
_CACHE_SIZE = 512
# Observation grids and observation-wide flags are shared by every target of an observation: cached per
# process, keyed by (server, database, table, row id, row version: xmin and ctid) so that an updated row is
# fetched again (an update in the same transaction keeps xmin but moves the row to a new ctid).
_SHARED: OrderedDict[tuple[Any, ...], NDArray[Any]] = OrderedDict()


def _shared(conn: psycopg.Connection[Any], table: str, wanted: dict[int, str],
            fetch: Callable[[list[int]], Iterable[tuple[int, str, NDArray[Any]]]]) -> dict[int, NDArray[Any]]:
    """Row id -> array of the shared rows `wanted` (id -> row version); `fetch` reads the ones not cached."""
    info = conn.info
    prefix = (info.host, info.port, info.dbname, table)
    out: dict[int, NDArray[Any]] = {}
    missing = []
    for rid, version in wanted.items():
        arr = _SHARED.get((*prefix, rid, version))
        if arr is None:
            missing.append(rid)
        else:
            _SHARED.move_to_end((*prefix, rid, version))
            out[rid] = arr
    if missing:
        for rid, version, arr in fetch(missing):
            _SHARED[(*prefix, rid, version)] = out[rid] = arr
        while len(_SHARED) > _CACHE_SIZE:
            _SHARED.popitem(last=False)
    return out


def _grids(conn: psycopg.Connection[Any], wanted: dict[int, str]) -> dict[int, NDArray[Any]]:
    def fetch(ids: list[int]) -> Iterable[tuple[int, str, NDArray[Any]]]:
        rows = observations.list_observation_grids(conn, ids=np.array(ids, dtype=np.int64))
        return ((r.id, r.version, r.cadence_reference) for r in rows)

    return _shared(conn, "observation", wanted, fetch)


def _observation_flags(conn: psycopg.Connection[Any], wanted: dict[int, str],
                       observation_ids: NDArray[np.int64]) -> dict[int, NDArray[Any]]:
    def fetch(ids: list[int]) -> Iterable[tuple[int, str, NDArray[Any]]]:
        rows = times_flags.get_quality_flag_arrays(conn, ids=np.array(ids, dtype=np.int64),
                                                   observation_ids=observation_ids)
        return ((r.id, r.version, r.quality_flags) for r in rows)

    return _shared(conn, "quality_flag_array", wanted, fetch)


_SpanKey = tuple[int, int | None]  # (observation, release): one span of rows each


@dataclass(frozen=True)
class ObservationSpan:
    """One observation's rows (of one release) in a `TargetLightcurves`: ``[start, stop)``, its groups and flag
    types; `release_id` None for data written without a release."""

    observation_id: int
    start: int
    stop: int
    groups: tuple[str, ...]
    flag_types: tuple[str, ...]
    release_id: int | None = None


@dataclass(frozen=True)
class TargetLightcurves:
    """One target's lightcurves as NumPy arrays on the concatenated cadence grids of its observations.

    Observations (those holding a dataset of the target) are ordered by their first known time, then first
    cadence; an observation holding several releases of the target's data has one span per release. `time` is
    in the mission's time system (TESS: BTJD), NaN where unknown (NaN stored, or no
    target_specific_time row). `values` / `errors` hold one array per processing group (by name), NaN in the
    observations without that group. `flags` holds one array per flag type, the target's flags OR'ed with the
    observation-wide ones (0 where none are stored); `quality` is the ``base_quality_flag`` one.
    """

    target_id: int
    time_system: MissionTimeSystem | None
    cadence: NDArray[np.int64]
    time: NDArray[np.float64]
    observation_id: NDArray[np.int64]
    values: dict[str, NDArray[np.floating[Any]]]
    errors: dict[str, NDArray[np.floating[Any]]]
    flags: dict[str, NDArray[np.int32]]
    group_ids: dict[str, int]
    observations: tuple[ObservationSpan, ...] = field(default=())

    def __len__(self) -> int:
        return int(self.cadence.shape[0])

    @property
    def quality(self) -> NDArray[np.int32]:
        """The ``base_quality_flag`` bits per cadence (zeros when none are stored)."""
        found = self.flags.get(QUALITY_FLAG)
        return found if found is not None else np.zeros(len(self), dtype=np.int32)

    def as_numpy(self) -> dict[str, NDArray[Any]]:
        """The columns as a dict of ndarrays: cadence, time, observation_id, quality, then per group
        ``<group>`` and ``<group>_err``, then the other flag types."""
        out: dict[str, NDArray[Any]] = {"cadence": self.cadence, "time": self.time,
                                        "observation_id": self.observation_id, "quality": self.quality}
        for name, arr in self.values.items():
            out[name] = arr
            out[f"{name}_err"] = self.errors[name]
        out.update({k: v for k, v in self.flags.items() if k != QUALITY_FLAG})
        return out

    def astropy_time(self, system: MissionTimeSystem | None = None) -> Time:
        """`time` as an astropy Time in the mission's own format (e.g. "btjd"); NaN times are masked."""
        system = system or self.time_system
        if system is not None:
            return mission_time(self.time, system)
        if np.isnan(self.time).any():
            return Time(np.ma.masked_invalid(self.time), format="jd")
        return Time(self.time, format="jd", copy=False)

    def to_timeseries(self) -> TimeSeries:
        """An astropy TimeSeries of `as_numpy`: time (masked where unknown) and the other columns."""
        data = self.as_numpy()
        data.pop("time")
        return TimeSeries(time=self.astropy_time(), data=data, copy=False)


def _stored(wide: NDArray[Any] | None, narrow: NDArray[Any] | None) -> NDArray[np.floating[Any]]:
    """The array of a dataset column pair, at its stored precision (float64 `values`, or float32 `values_f4`)."""
    found = wide if wide is not None else narrow
    if found is None:
        raise AssertionError("ck_dataset_values_one_precision: one of each pair is set")
    return found


def load_lightcurves(conn: psycopg.Connection[Any], target_id: int, *,
                     processing_group_id: int | None = None) -> TargetLightcurves:
    """Assemble every observation of `target_id` (optionally one processing group's datasets only).

    Reads with generated queries: the target's observations and mission time system (the target_observation
    lookup), then, restricted to them so that only their partitions are planned and locked, the datasets (each
    array at its stored precision), the times (once per observation and release), the flag arrays, and the
    cadence grids not yet cached in this process.
    """
    register(conn)
    lookup = observations.list_target_observations(conn, target_id=target_id)
    held = np.array([r.observation_id for r in lookup], dtype=np.int64)  # only these partitions are planned
    rows = sorted(datasets.list_lightcurve_datasets(conn, target_id=target_id, observation_ids=held,
                                                    processing_group_id=processing_group_id) if held.size else [],
                  key=lambda r: (r.observation_id, -1 if r.release_id is None else r.release_id,
                                 r.processing_group_name))
    if not rows:
        empty_f, empty_i = np.empty(0, np.float64), np.empty(0, np.int64)
        return TargetLightcurves(target_id, None, empty_i, empty_f, empty_i, {}, {}, {}, {})
    first = lookup[0]
    system = MissionTimeSystem(first.time_format_name, first.time_unit, first.time_epoch, first.time_epoch_scale,
                               first.time_epoch_format)
    versions = {r.observation_id: r.observation_version for r in lookup}
    grids: dict[int, NDArray[np.int64]] = _grids(conn, {r.observation_id: versions[r.observation_id] for r in rows})
    groups_of: dict[_SpanKey, list[str]] = {}
    for r in rows:
        groups_of.setdefault((r.observation_id, r.release_id), []).append(r.processing_group_name)
    times: dict[_SpanKey, NDArray[np.float64] | None] = dict.fromkeys(groups_of)
    for stored in times_flags.list_times_of_target(conn, target_id=target_id, observation_ids=held):
        if (stored.observation_id, stored.release_id) in times:  # each time array once, not once per dataset
            times[(stored.observation_id, stored.release_id)] = stored.barycentric_julian_dates

    def start(key: _SpanKey) -> tuple[float, int, int, int]:
        t = times[key]
        finite = t[np.isfinite(t)] if t is not None else np.empty(0)
        grid = grids[key[0]]
        return (float(finite[0]) if finite.size else np.inf, int(grid[0]) if grid.size else 0, key[0],
                -1 if key[1] is None else key[1])

    order = sorted(groups_of, key=start)
    offsets: dict[_SpanKey, tuple[int, int]] = {}
    n = 0
    for key in order:
        offsets[key] = (n, n + grids[key[0]].shape[0])
        n += grids[key[0]].shape[0]
    if len(order) == 1:  # the common fetch: the arrays as read, no copies
        key = order[0]
        cadence, observation_id = grids[key[0]], np.full(n, key[0], dtype=np.int64)
        t = times[key]
        time = t if t is not None else np.full(n, np.nan)
    else:
        cadence = np.concatenate([grids[k[0]] for k in order])
        observation_id = np.concatenate([np.full(grids[k[0]].shape[0], k[0], dtype=np.int64) for k in order])
        time = np.concatenate([t if (t := times[k]) is not None else np.full(grids[k[0]].shape[0], np.nan)
                               for k in order])
    values: dict[str, NDArray[np.floating[Any]]] = {}
    errors: dict[str, NDArray[np.floating[Any]]] = {}
    group_ids: dict[str, int] = {}
    arrays = sorted(((r, _stored(r.values, r.values_f4), _stored(r.errors, r.errors_f4)) for r in rows),
                    key=lambda x: x[0].processing_group_name)
    dtypes: dict[str, tuple[np.dtype[Any], np.dtype[Any]]] = {}
    for r, v, e in arrays:  # a group's column is float32 when every observation stored it so, else float64
        old_v, old_e = dtypes.get(r.processing_group_name, (v.dtype, e.dtype))
        dtypes[r.processing_group_name] = (np.result_type(old_v, v.dtype), np.result_type(old_e, e.dtype))
    for r, v, e in arrays:
        name = r.processing_group_name
        lo, hi = offsets[(r.observation_id, r.release_id)]
        if len(order) == 1:
            values[name], errors[name] = v, e
        else:
            if name not in values:
                values[name] = np.full(n, np.nan, dtype=dtypes[name][0])
                errors[name] = np.full(n, np.nan, dtype=dtypes[name][1])
            values[name][lo:hi] = v
            errors[name][lo:hi] = e
        group_ids[name] = r.processing_group_id
    flags: dict[str, NDArray[np.int32]] = {}
    types_of: dict[_SpanKey, list[str]] = {key: [] for key in order}
    obs_ids = np.array(sorted({key[0] for key in order}), dtype=np.int64)
    flag_rows = sorted(times_flags.list_quality_flags_of_observations(conn, target_id=target_id,
                                                                      observation_ids=obs_ids),
                       key=lambda f: (f.observation_id, f.type, -1 if f.target_id is None else f.target_id))
    shared = _observation_flags(conn, {f.id: f.version for f in flag_rows if f.quality_flags is None}, obs_ids)
    for f in flag_rows:
        # a release's flags go to its span; flags without a release to every span of the observation
        for key in ([(f.observation_id, f.release_id)] if f.release_id is not None
                    else [k for k in order if k[0] == f.observation_id]):
            if key not in offsets:
                continue
            lo, hi = offsets[key]
            if f.type not in flags:
                flags[f.type] = np.zeros(n, dtype=np.int32)
            flags[f.type][lo:hi] |= f.quality_flags if f.quality_flags is not None else shared[f.id]
            if f.type not in types_of[key]:
                types_of[key].append(f.type)
    spans = tuple(ObservationSpan(key[0], *offsets[key], tuple(sorted(groups_of[key])), tuple(types_of[key]),
                                  key[1]) for key in order)
    return TargetLightcurves(target_id, system, cadence, time, observation_id, values, errors, flags, group_ids,
                             spans)


def align(cadences: ArrayLike, values: ArrayLike, grid: ArrayLike, *, fill: Any = np.nan) -> NDArray[Any]:
    """Place a partial series (`values` at `cadences`) on `grid`; grid cadences without a value get `fill`.

    A cadence that is not in the grid raises CadenceNotInGrid; a cadence given twice (or a grid with a
    repeated cadence) raises DuplicateCadence — never a silent drop or misplacement.
    """
    cad = np.asarray(cadences, dtype=np.int64)
    val = np.asarray(values)
    grd = np.asarray(grid, dtype=np.int64)
    if cad.ndim != 1 or grd.ndim != 1 or val.shape[:1] != cad.shape:
        raise InvalidInput(f"cadences {cad.shape} and values {val.shape} must be 1-D of equal length, grid 1-D")
    order = np.argsort(grd, kind="stable")
    sorted_grid = grd[order]
    dup_grid = sorted_grid[1:][sorted_grid[1:] == sorted_grid[:-1]]
    if dup_grid.size:
        raise DuplicateCadence(f"the grid repeats cadences {np.unique(dup_grid)[:10].tolist()}",
                               cadences=np.unique(dup_grid).tolist())
    sorted_cad = np.sort(cad)
    dup = sorted_cad[1:][sorted_cad[1:] == sorted_cad[:-1]]
    if dup.size:
        raise DuplicateCadence(f"cadences given more than once: {np.unique(dup)[:10].tolist()}",
                               cadences=np.unique(dup).tolist())
    pos = np.searchsorted(sorted_grid, cad)
    found = pos < sorted_grid.shape[0]
    found[found] = sorted_grid[pos[found]] == cad[found]
    if not found.all():
        missing = cad[~found]
        raise CadenceNotInGrid(f"{missing.size} cadence(s) not in the grid, e.g. {missing[:10].tolist()}",
                               cadences=missing.tolist())
    out = np.full(grd.shape[0], fill, dtype=np.result_type(val.dtype, fill))
    out[order[pos]] = val
    return out
