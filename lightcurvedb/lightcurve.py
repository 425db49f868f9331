"""Lightcurve assembly: a target's values, errors, times and quality flags on its observations' cadence grids."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import numpy as np
import psycopg
from astropy.time import Time
from astropy.timeseries import TimeSeries
from numpy.typing import ArrayLike, NDArray

from lightcurvedb.adapters import register
from lightcurvedb.errors import CadenceNotInGrid, DuplicateCadence
from lightcurvedb.timesystem import MissionTimeSystem, mission_time

_QUERY = """
SELECT d.processing_group_id, d.observation_id, (o.xmin::text || ':' || o.ctid::text), d."values", d.errors,
       t.barycentric_julian_dates, q.quality_flags, qo.id, (qo.xmin::text || ':' || qo.ctid::text),
       m.time_format_name, m.time_unit, m.time_epoch, m.time_epoch_scale, m.time_epoch_format
FROM dataset AS d
JOIN observation AS o ON o.id = d.observation_id
JOIN target AS tg ON tg.id = d.target_id
JOIN mission_catalog AS mc ON mc.id = tg.catalog_id
JOIN mission AS m ON m.id = mc.host_mission_id
LEFT JOIN target_specific_time AS t ON t.target_id = d.target_id AND t.observation_id = d.observation_id
LEFT JOIN quality_flag_array AS q
       ON q.type = 'base_quality_flag' AND q.observation_id = d.observation_id AND q.target_id = d.target_id
LEFT JOIN quality_flag_array AS qo
       ON qo.type = 'base_quality_flag' AND qo.observation_id = d.observation_id AND qo.target_id IS NULL
WHERE d.target_id = %(target)s AND (%(group)s::int8 IS NULL OR d.processing_group_id = %(group)s::int8)
ORDER BY d.processing_group_id, d.observation_id
"""
_GRIDS = "SELECT id, xmin::text || ':' || ctid::text, cadence_reference FROM observation WHERE id = ANY(%s)"
_OBS_FLAGS = "SELECT id, xmin::text || ':' || ctid::text, quality_flags FROM quality_flag_array WHERE id = ANY(%s)"
_CACHE_SIZE = 512
# Observation grids and observation-wide flags are shared by every target of an observation: cached per
# process, keyed by (server, database, table, row id, row version: xmin and ctid) so that an updated row is
# fetched again (an update in the same transaction keeps xmin but moves the row to a new ctid).
_SHARED: OrderedDict[tuple[Any, ...], NDArray[Any]] = OrderedDict()


def _shared(conn: psycopg.Connection[Any], table: str, query: str,
            wanted: dict[int, str]) -> dict[int, NDArray[Any]]:
    """Row id -> array of the shared rows `wanted` (id -> row version), fetching only the ones not cached."""
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
        for rid, version, arr in conn.execute(query, [missing], binary=True).fetchall():
            arr.setflags(write=False)
            _SHARED[(*prefix, rid, version)] = out[rid] = arr
        while len(_SHARED) > _CACHE_SIZE:
            _SHARED.popitem(last=False)
    return out


@dataclass(frozen=True)
class Lightcurve:
    """One target's assembled lightcurve as plain NumPy arrays, one element per cadence.

    Rows are the concatenated cadence grids of its observations, per processing group (sorted by group, then
    by first cadence). `time` is in the mission's time system (TESS: BTJD), NaN where the time is unknown
    (NaN in the stored array, or no target_specific_time row); `quality` ORs the target's flags with the
    observation-wide flags (0 where none are stored).
    """

    target_id: int
    cadence: NDArray[np.int64]
    time: NDArray[np.float64]
    values: NDArray[np.float64]
    errors: NDArray[np.float64]
    quality: NDArray[np.int32]
    observation_id: NDArray[np.int64]
    processing_group_id: NDArray[np.int64]
    time_system: MissionTimeSystem | None

    def __len__(self) -> int:
        return int(self.cadence.shape[0])

    def as_numpy(self) -> dict[str, NDArray[Any]]:
        """The columns as a dict of ndarrays."""
        return {"cadence": self.cadence, "time": self.time, "values": self.values, "errors": self.errors,
                "quality": self.quality, "observation_id": self.observation_id,
                "processing_group_id": self.processing_group_id}

    def astropy_time(self) -> Time:
        """`time` as an astropy Time in the mission's own format (e.g. "btjd"); NaN times are masked."""
        if self.time_system is not None:
            return mission_time(self.time, self.time_system)
        if np.isnan(self.time).any():
            return Time(np.ma.masked_invalid(self.time), format="jd")
        return Time(self.time, format="jd", copy=False)

    def to_timeseries(self) -> TimeSeries:
        """An astropy TimeSeries: time (masked where unknown) and the other columns."""
        data = self.as_numpy()
        data.pop("time")
        return TimeSeries(time=self.astropy_time(), data=data, copy=False)


def load_lightcurve_arrays(conn: psycopg.Connection[Any], target_id: int, *,
                           processing_group_id: int | None = None) -> Lightcurve:
    """Assemble every observation of `target_id` (optionally one processing group) with one binary query."""
    register(conn)
    rows = conn.execute(_QUERY, {"target": target_id, "group": processing_group_id}, binary=True,
                        prepare=True).fetchall()
    system = MissionTimeSystem(*rows[0][9:14]) if rows else None
    grids = _shared(conn, "observation", _GRIDS, {r[1]: r[2] for r in rows})
    obs_flags = _shared(conn, "quality_flag_array", _OBS_FLAGS, {r[7]: r[8] for r in rows if r[7] is not None})
    parts: dict[str, list[NDArray[Any]]] = {k: [] for k in (
        "cadence", "time", "values", "errors", "quality", "observation_id", "processing_group_id")}
    rows.sort(key=lambda r: (r[0], int(grids[r[1]][0]) if grids[r[1]].size else 0, r[1]))
    for group, obs, _, values, errors, times, flags, qo_id, *_ in rows:
        grid = grids[obs]
        n = grid.shape[0]
        parts["cadence"].append(grid)
        parts["values"].append(values)
        parts["errors"].append(errors)
        parts["time"].append(times if times is not None else np.full(n, np.nan))
        quality = np.zeros(n, dtype=np.int32)
        if flags is not None:
            quality |= flags.astype(np.int32, copy=False)
        if qo_id is not None:
            quality |= obs_flags[qo_id].astype(np.int32, copy=False)
        parts["quality"].append(quality)
        parts["observation_id"].append(np.full(n, obs, dtype=np.int64))
        parts["processing_group_id"].append(np.full(n, group, dtype=np.int64))
    dtypes = {"cadence": np.int64, "time": np.float64, "values": np.float64, "errors": np.float64,
              "quality": np.int32, "observation_id": np.int64, "processing_group_id": np.int64}
    cols = {k: (np.concatenate(v).astype(dtypes[k], copy=False) if v else np.empty(0, dtype=dtypes[k]))
            for k, v in parts.items()}
    return Lightcurve(target_id=target_id, time_system=system, **cols)


def load_lightcurve(conn: psycopg.Connection[Any], target_id: int, *,
                    processing_group_id: int | None = None) -> TimeSeries:
    """A target's assembled lightcurve as an astropy TimeSeries (times in the mission's format, e.g. btjd)."""
    return load_lightcurve_arrays(conn, target_id, processing_group_id=processing_group_id).to_timeseries()


def align(cadences: ArrayLike, values: ArrayLike, grid: ArrayLike, *, fill: Any = np.nan) -> NDArray[Any]:
    """Place a partial series (`values` at `cadences`) on `grid`; grid cadences without a value get `fill`.

    A cadence that is not in the grid raises CadenceNotInGrid; a cadence given twice (or a grid with a
    repeated cadence) raises DuplicateCadence — never a silent drop or misplacement.
    """
    cad = np.asarray(cadences, dtype=np.int64)
    val = np.asarray(values)
    grd = np.asarray(grid, dtype=np.int64)
    if cad.ndim != 1 or grd.ndim != 1 or val.shape[:1] != cad.shape:
        raise ValueError(f"cadences {cad.shape} and values {val.shape} must be 1-D of equal length, grid 1-D")
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
