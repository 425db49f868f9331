"""The lightcurve assembler: a target's datasets, times and flags on its observations' cadence grids."""

from __future__ import annotations

import dataclasses
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import psycopg
from numpy.typing import ArrayLike, NDArray

from lightcurvedb import query_runtime, schema, shard_routes
from lightcurvedb.adapters import register
from lightcurvedb.errors import CadenceNotInGrid, DuplicateCadence, InvalidInput
from lightcurvedb.queries import reads
from lightcurvedb.timesystem import MissionTimeSystem, mission_time

if TYPE_CHECKING:  # astropy is imported where its objects are made
    from astropy.time import Time
    from astropy.timeseries import TimeSeries

QUALITY_FLAG = str(schema.TABLES["quality_flag_array"].discriminator)
"""The flag type of the spacecraft's quality bits (`TargetLightcurves.quality`): the schema's default of
quality_flag_array.type."""
_CACHE_SIZE = 512
# Observation grids are shared by every target of an observation: cached per process, keyed by (server, database,
# observation id, row version: xmin and ctid) so that an updated row is fetched again (an update in the same
# transaction keeps xmin but moves the row to a new ctid).
_GRIDS: OrderedDict[tuple[Any, ...], NDArray[np.int64]] = OrderedDict()


def _grids(conn: psycopg.Connection[Any], versions: dict[int, str]) -> tuple[dict[int, NDArray[np.int64]], list[int]]:
    """The cached cadence grids of the observations `versions` (id -> row version), and the ids still to read."""
    info = conn.info
    prefix = (info.host, info.port, info.dbname)
    out: dict[int, NDArray[np.int64]] = {}
    missing = []
    for oid, version in versions.items():
        key = (*prefix, oid, version)
        arr = _GRIDS.get(key)
        if arr is None:
            missing.append(oid)
        else:
            _GRIDS.move_to_end(key)
            out[oid] = arr
    return out, missing


def _cache_grid(conn: psycopg.Connection[Any], oid: int, version: str, grid: NDArray[np.int64]) -> None:
    info = conn.info
    grid.setflags(write=False)  # shared by every read of the observation: nobody may change it in place
    _GRIDS[(info.host, info.port, info.dbname, oid, version)] = grid
    while len(_GRIDS) > _CACHE_SIZE:
        _GRIDS.popitem(last=False)


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
        from astropy.time import Time

        system = system or self.time_system
        if system is not None:
            return mission_time(self.time, system)
        if np.isnan(self.time).any():
            return Time(np.ma.masked_invalid(self.time), format="jd")
        return Time(self.time, format="jd", copy=False)

    def to_timeseries(self) -> TimeSeries:
        """An astropy TimeSeries of `as_numpy`: time (masked where unknown) and the other columns."""
        from astropy.timeseries import TimeSeries

        data = self.as_numpy()
        data.pop("time")
        return TimeSeries(time=self.astropy_time(), data=data, copy=False)


@dataclass(frozen=True)
class Wanted:
    """What a read takes of each span's data (None: everything): the processing groups whose values and whose
    errors, the flag types, and whether the times. Datasets not asked for still say which groups a span holds."""

    value_groups: frozenset[int] | None = None
    error_groups: frozenset[int] | None = None
    flag_types: frozenset[str] | None = None
    time: bool = True
    datasets: bool = True  # False: no dataset row at all (the caller knows the groups from the files' layouts)


def _ids(values: Iterable[int] | None) -> NDArray[np.int64] | None:
    return None if values is None else np.array(sorted(values), dtype=np.int64)


_ALIGN = 64


class _Arena:
    """The columns of one read in one allocation: a large fresh allocation is backed by huge pages where the kernel
    offers them (NumPy asks for them from 4 MiB), so filling it costs a few page faults instead of one per 4 KiB —
    on this kind of machine most of what copying off the wire costs. Each column is a view of its own aligned
    slice; the memory goes when the last of them does."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.wanted: list[tuple[np.dtype[Any], list[NDArray[Any] | None], Any]] = []

    def add(self, pieces: list[NDArray[Any] | None], fill: Any, dtype: Any = None) -> int:
        """Plan a column of `pieces` (one per span, None: `fill`), at `dtype` or the widest of the pieces."""
        kinds = [p.dtype.newbyteorder("=") for p in pieces if p is not None]
        self.wanted.append((np.dtype(dtype) if dtype is not None else np.result_type(*kinds), pieces, fill))
        return len(self.wanted) - 1

    def fill(self, lengths: list[int]) -> list[NDArray[Any]]:
        """Allocate once, then copy every piece into its place (cast to its column's dtype)."""
        sizes = [-(-self.n * dt.itemsize // _ALIGN) * _ALIGN for dt, _, _ in self.wanted]
        buffer = np.empty(sum(sizes), dtype=np.uint8)
        out, start = [], 0
        for (dtype, pieces, fill), size in zip(self.wanted, sizes, strict=True):
            column = buffer[start:start + self.n * dtype.itemsize].view(dtype)
            start += size
            lo = 0
            for piece, n in zip(pieces, lengths, strict=True):
                column[lo:lo + n] = fill if piece is None else piece
                lo += n
            out.append(column)
        return out


_ROLE, _OBSERVATION, _RELEASE, _GROUP, _NAME, _WIDE, _VALUES, _VALUES_F4, _ERRORS, _ERRORS_F4, _FLAGS, _TIMES, \
    _GRID = range(13)
"""The columns of `fetch_target_arrays`, read as tuples."""


def read_spans(conn: psycopg.Connection[Any], *, target_id: int, versions: dict[int, str],
               system: MissionTimeSystem | None, group_names: dict[str, str], spans: Sequence[_SpanKey] | None = None,
               wanted: Wanted = Wanted(), shards: Mapping[int, str | None] | None = None) -> TargetLightcurves:
    """Assemble a target's `spans` ((observation, release id or None for data without a release), in this order;
    None: every span holding a dataset in the observations of `versions`, ordered by first time) with one
    statement (`fetch_target_arrays`): only `wanted`'s arrays, only the spans' partitions. `versions` maps each
    observation to read to its row version (the grid cache); `group_names` names the processing groups by id (as
    the lookup query sent them). Each array is copied once, from the result's memory straight into the column it
    belongs to (`query_runtime.borrowed`). `shards` names the shard holding an observation's partitions: those are
    read straight from it (`shard_routes.direct`), with the same statement, not through the coordinator."""
    register(conn)
    held = np.array(sorted(versions), dtype=np.int64)
    grids, missing = _grids(conn, versions)
    releases = None if spans is None else {r for _, r in spans if r is not None}
    bare = [o for o, r in spans if r is None] if spans is not None else []
    params = {"target_id": target_id, "observation_ids": held, "release_ids": _ids(releases),
              "bare_observation_ids": np.array(sorted(bare), dtype=np.int64),
              "value_group_ids": _ids(wanted.value_groups), "error_group_ids": _ids(wanted.error_groups),
              "flag_types": None if wanted.flag_types is None else sorted(wanted.flag_types), "time": wanted.time,
              "datasets": wanted.datasets,
              "grid_ids": np.array(missing, dtype=np.int64)}

    def assemble(rows: list[tuple[Any, ...]]) -> TargetLightcurves:
        for r in rows:
            if r[_ROLE] == "grid" and r[_GRID] is not None:
                grids[r[_OBSERVATION]] = grid = r[_GRID].astype(np.int64)
                _cache_grid(conn, r[_OBSERVATION], versions[r[_OBSERVATION]], grid)
        return _assemble(target_id, system, rows, grids, spans, group_names)

    if not held.size:
        return _assemble(target_id, system, [], grids, spans, group_names)
    routes = shard_routes.by_server(shards or {}, held.tolist())
    if len(routes) == 1:
        return query_runtime.borrowed(conn, reads._FETCH_TARGET_ARRAYS, params, assemble)
    # the coordinator's partitions and the grids here, each shard's partitions on the shard (no grids there), all at
    # the same time
    steps = [(conn if server is None else shard_routes.direct(conn, server),
              {**params, "observation_ids": np.array(ids, dtype=np.int64),
               **({} if server is None else {"grid_ids": np.empty(0, dtype=np.int64)})})
             for server, ids in routes.items()]
    return query_runtime.borrowed_from_each(steps, reads._FETCH_TARGET_ARRAYS, assemble)


def _assemble(target_id: int, system: MissionTimeSystem | None, rows: list[tuple[Any, ...]],
              grids: dict[int, NDArray[np.int64]], spans: Sequence[_SpanKey] | None,
              group_names: dict[str, str]) -> TargetLightcurves:
    """The rows of `fetch_target_arrays` (arrays borrowed from the result) on the spans' concatenated grids."""
    datasets: dict[_SpanKey, dict[str, tuple[Any, ...]]] = {}
    times: dict[_SpanKey, NDArray[Any]] = {}
    flag_rows: list[tuple[Any, ...]] = []
    for r in rows:
        key = (r[_OBSERVATION], r[_RELEASE])
        if r[_ROLE] == "dataset":
            datasets.setdefault(key, {})[group_names[str(r[_GROUP])]] = r
        elif r[_ROLE] == "time" and r[_TIMES] is not None:
            times[key] = r[_TIMES]
        elif r[_ROLE] == "flags" and r[_FLAGS] is not None:
            flag_rows.append(r)
    if spans is None:
        def start(key: _SpanKey) -> tuple[float, int, int, int]:
            t = times.get(key)
            finite = t[np.isfinite(t)] if t is not None else np.empty(0)
            grid = grids[key[0]]
            return (float(finite[0]) if finite.size else np.inf, int(grid[0]) if grid.size else 0, key[0],
                    -1 if key[1] is None else key[1])
        order = sorted(datasets, key=start)
    else:
        order = [k for k in spans if k[1] is not None or k in datasets]
    if not order:
        empty_f, empty_i = np.empty(0, np.float64), np.empty(0, np.int64)
        return TargetLightcurves(target_id, system, empty_i, empty_f, empty_i, {}, {}, {}, {})
    lengths = [grids[k[0]].shape[0] for k in order]
    offsets = dict(zip(order, np.cumsum([0, *lengths[:-1]]).tolist(), strict=True))
    n = int(sum(lengths))
    arena = _Arena(n)
    cadence_at = arena.add([grids[k[0]] for k in order], 0) if len(order) > 1 else None
    time_at = arena.add([times.get(k) for k in order], np.nan, np.float64)
    names = sorted({name for k in order for name in datasets.get(k, {})})
    group_ids = {name: int(r[_GROUP]) for k in order for name, r in datasets.get(k, {}).items()}
    value_at: dict[str, int] = {}
    error_at: dict[str, int] = {}
    for name in names:
        found = [datasets.get(k, {}).get(name) for k in order]
        v = [None if r is None else r[_VALUES] if r[_VALUES] is not None else r[_VALUES_F4] for r in found]
        e = [None if r is None else r[_ERRORS] if r[_ERRORS] is not None else r[_ERRORS_F4] for r in found]
        if any(x is not None for x in v):
            value_at[name] = arena.add(v, np.nan)
        if any(x is not None for x in e):
            error_at[name] = arena.add(e, np.nan)
    flag_names = sorted({r[_NAME] for r in flag_rows})
    flag_at = {name: arena.add([None] * len(order), 0, np.int32) for name in flag_names}
    columns = arena.fill(lengths)
    cadence = grids[order[0][0]] if cadence_at is None else columns[cadence_at]
    time = columns[time_at]
    observation_id = np.repeat(np.array([k[0] for k in order], dtype=np.int64), lengths)
    values: dict[str, NDArray[np.floating[Any]]] = {name: columns[i] for name, i in value_at.items()}
    errors: dict[str, NDArray[np.floating[Any]]] = {name: columns[i] for name, i in error_at.items()}
    flags: dict[str, NDArray[np.int32]] = {name: columns[i] for name, i in flag_at.items()}  # zeros so far
    types_of: dict[_SpanKey, list[str]] = {key: [] for key in order}
    for r in sorted(flag_rows, key=lambda f: (f[_OBSERVATION], f[_NAME], f[_WIDE], f[_RELEASE] or -1)):
        # a release's flags go to its span; flags without a release to every span of the observation
        obs, release, name = r[_OBSERVATION], r[_RELEASE], r[_NAME]
        keys = [(obs, release)] if release is not None else [k for k in order if k[0] == obs]
        for key in keys:
            if key not in offsets:
                continue
            lo = offsets[key]
            hi = lo + grids[key[0]].shape[0]
            flags[name][lo:hi] |= r[_FLAGS]
            if name not in types_of[key]:
                types_of[key].append(name)
    spans_out = tuple(ObservationSpan(k[0], offsets[k], offsets[k] + grids[k[0]].shape[0],
                                      tuple(sorted(datasets.get(k, {}))), tuple(types_of[k]), k[1]) for k in order)
    return TargetLightcurves(target_id, system, cadence, time, observation_id, values, errors, flags, group_ids,
                             spans_out)


def load_lightcurves(conn: psycopg.Connection[Any], target_id: int, *,
                     processing_group_id: int | None = None) -> TargetLightcurves:
    """Assemble every observation of `target_id` (optionally one processing group's datasets only).

    Two round trips: the target's observations, their row versions and the mission's time system (the
    target_observation lookup), then, restricted to them so that only their partitions are planned and locked, the
    datasets (each array at its stored precision), times, flags and the cadence grids not yet cached in this
    process, in one statement (`read_spans`).
    """
    from lightcurvedb.queries import observations  # not needed by load_tic's reads (`lcdb show` starts faster)

    lookup = observations.list_target_observations(conn, target_id=target_id)
    if not lookup:
        return read_spans(conn, target_id=target_id, versions={}, system=None, group_names={})
    first = lookup[0]
    system = MissionTimeSystem(first.time_format_name, first.time_unit, first.time_epoch, first.time_epoch_scale,
                               first.time_epoch_format)
    groups = None if processing_group_id is None else frozenset({processing_group_id})
    lcs = read_spans(conn, target_id=target_id, versions={r.observation_id: r.observation_version for r in lookup},
                     system=system, group_names=first.group_names,
                     wanted=Wanted(value_groups=groups, error_groups=groups),
                     shards={r.observation_id: r.shard for r in lookup})
    if processing_group_id is None:
        return lcs
    return _only_group(lcs, processing_group_id)


def _only_group(lcs: TargetLightcurves, group_id: int) -> TargetLightcurves:
    """`lcs` restricted to the spans holding one processing group."""
    name = next((k for k, v in lcs.group_ids.items() if v == group_id), None)
    keep = [sp for sp in lcs.observations if name in sp.groups]
    if name is None or not keep:
        empty_f, empty_i = np.empty(0, np.float64), np.empty(0, np.int64)
        return TargetLightcurves(lcs.target_id, lcs.time_system, empty_i, empty_f, empty_i, {}, {}, {}, {})
    if len(keep) == len(lcs.observations):
        return TargetLightcurves(lcs.target_id, lcs.time_system, lcs.cadence, lcs.time, lcs.observation_id,
                                 {name: lcs.values[name]}, {name: lcs.errors[name]}, lcs.flags, {name: group_id},
                                 tuple(dataclasses.replace(sp, groups=(name,)) for sp in keep))
    rows = np.concatenate([np.arange(sp.start, sp.stop) for sp in keep])
    spans, lo = [], 0
    for sp in keep:
        spans.append(dataclasses.replace(sp, start=lo, stop=lo + sp.stop - sp.start, groups=(name,)))
        lo += sp.stop - sp.start
    return TargetLightcurves(lcs.target_id, lcs.time_system, lcs.cadence[rows], lcs.time[rows],
                             lcs.observation_id[rows], {name: lcs.values[name][rows]}, {name: lcs.errors[name][rows]},
                             {k: v[rows] for k, v in lcs.flags.items()}, {name: group_id}, tuple(spans))


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
