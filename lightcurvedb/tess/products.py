"""Assemble a TESS target's stored lightcurves into one table: all observations, every dataset as a column."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import psycopg
from astropy.time import Time
from astropy.timeseries import TimeSeries
from numpy.typing import NDArray

from lightcurvedb.errors import NotFound
from lightcurvedb.queries import datasets, observations, targets, times_flags
from lightcurvedb.tess import mapping
from lightcurvedb.timesystem import load_mission_time_format


class UnknownFluxGroup(NotFound):
    """The processing group asked for as `flux` has no data for this target."""


@dataclass(frozen=True)
class ObservationSummary:
    """One observation of a target as `lcdb show` lists it."""

    observation_id: int
    sector: int
    camera: int | None
    ccd: int | None
    cadences: int
    first_cadence: int
    last_cadence: int
    groups: tuple[str, ...]
    flag_types: tuple[str, ...]
    flagged: int
    time_start: float
    time_stop: float


@dataclass
class TargetProduct:
    """A target's data on the concatenated cadence grids of its observations (sector, then first cadence)."""

    tic_id: int
    target_id: int
    time_format: str
    observations: list[ObservationSummary]
    columns: dict[str, NDArray[Any]] = field(default_factory=dict)
    groups: dict[str, tuple[str, str | None]] = field(default_factory=dict)  # group -> (column, error column)

    def timeseries(self, flux_group: str | None = None, *, time_format: str | None = None) -> TimeSeries:
        """An astropy TimeSeries with lightkurve's conventions: time (TDB), flux, flux_err, quality, … ."""
        group = self.flux_group(flux_group)
        fmt = time_format or self.time_format
        time = Time(np.ma.masked_invalid(self.columns["time"]), format=self.time_format, scale="tdb")
        if fmt != self.time_format:
            time.format = fmt
        value_col, err_col = self.groups[group]
        data: dict[str, Any] = {
            "flux": self.columns[value_col],
            "flux_err": self.columns[err_col] if err_col else np.full(len(time), np.nan),
            "quality": self.columns["quality"],
            "cadenceno": self.columns["cadenceno"],
            "sector": self.columns["sector"],
            "camera": self.columns["camera"],
            "ccd": self.columns["ccd"],
        }
        order = [c.export for c in mapping.ALL_COLUMNS]
        rest = sorted((k for k in self.columns if k not in data and k != "time"),
                      key=lambda k: (order.index(k.removesuffix("_err")) if k.removesuffix("_err") in order
                                     else len(order), k))
        data.update({k: self.columns[k] for k in rest})
        ts = TimeSeries(time=time, data=data)
        ts.meta.update({"TICID": self.tic_id, "OBJECT": f"TIC {self.tic_id}", "TELESCOP": "TESS",
                        "FLUX_ORIGIN": value_col, "FLUX_GROUP": group})
        return ts

    def flux_group(self, requested: str | None = None) -> str:
        """The processing group exported as `flux`: the requested one, else the first default the target has."""
        if requested is not None:
            group = mapping.resolve_group(requested)
            if group not in self.groups:
                raise UnknownFluxGroup(f"TIC {self.tic_id} has no processing group {requested!r}; "
                                       f"it has {sorted(self.groups)}")
            return group
        for group in mapping.DEFAULT_FLUX_GROUPS:
            if group in self.groups:
                return group
        if not self.groups:
            raise UnknownFluxGroup(f"TIC {self.tic_id} has no datasets")
        return sorted(self.groups)[0]


def _flag_column(flag_type: str) -> str:
    return "quality" if flag_type == mapping.QUALITY_FLAG else flag_type.removesuffix("_flag") + "_flags"


def load_target(conn: psycopg.Connection[Any], tic_id: int) -> TargetProduct:
    """Read everything stored for TIC `tic_id` (NotFound when the target is unknown)."""
    try:
        target = targets.get_target_by_name(conn, catalog_name=mapping.CATALOG, name=tic_id)
    except NotFound:
        raise NotFound(f"TIC {tic_id} is not in the database (ingest its files with `lcdb ingest`)") from None
    fmt = load_mission_time_format(conn, name=mapping.MISSION).name
    obs_rows = observations.list_tess_observations_of_target(conn, target_id=target.id)
    ds_rows = datasets.list_datasets_of_target(conn, target_id=target.id)
    flag_rows = times_flags.list_quality_flags_of_target(conn, target_id=target.id)
    offsets: dict[int, tuple[int, int]] = {}
    start = 0
    for o in obs_rows:
        offsets[o.id] = (start, start + o.cadence_count)
        start += o.cadence_count
    n = start

    def place(obs_id: int, arr: NDArray[Any], out: NDArray[Any]) -> None:
        lo, hi = offsets[obs_id]
        out[lo:hi] = arr

    cols: dict[str, NDArray[Any]] = {
        "time": np.full(n, np.nan),
        "cadenceno": np.concatenate([o.cadence_reference for o in obs_rows]) if obs_rows else np.empty(0, np.int64),
        "sector": np.concatenate([np.full(o.cadence_count, o.sector, np.int32) for o in obs_rows])
        if obs_rows else np.empty(0, np.int32),
        "camera": np.concatenate([np.full(o.cadence_count, o.camera or 0, np.int16) for o in obs_rows])
        if obs_rows else np.empty(0, np.int16),
        "ccd": np.concatenate([np.full(o.cadence_count, o.ccd or 0, np.int16) for o in obs_rows])
        if obs_rows else np.empty(0, np.int16),
        "observation_id": np.concatenate([np.full(o.cadence_count, o.id, np.int64) for o in obs_rows])
        if obs_rows else np.empty(0, np.int64),
        "quality": np.zeros(n, np.int32),
    }
    groups_of: dict[int, list[str]] = {o.id: [] for o in obs_rows}
    product = TargetProduct(tic_id=tic_id, target_id=target.id, time_format=fmt, observations=[], columns=cols)
    for d in ds_rows:
        name = d.processing_group_name
        groups_of[d.observation_id].append(name)
        col = mapping.export_name(name)
        if name not in product.groups:
            has_err = any(c.group == name and c.has_errors for c in mapping.ALL_COLUMNS) or not all(
                bool(np.isnan(r.errors).all()) for r in ds_rows if r.processing_group_name == name)
            product.groups[name] = (col, f"{col}_err" if has_err else None)
            cols[col] = np.full(n, np.nan)
            if has_err:
                cols[f"{col}_err"] = np.full(n, np.nan)
        place(d.observation_id, d.values, cols[col])
        err_col = product.groups[name][1]
        if err_col:
            place(d.observation_id, d.errors, cols[err_col])
        if d.barycentric_julian_dates is not None:
            place(d.observation_id, d.barycentric_julian_dates, cols["time"])
    types_of: dict[int, list[str]] = {o.id: [] for o in obs_rows}
    for f in flag_rows:
        name = _flag_column(f.type)
        if name not in cols:
            cols[name] = np.zeros(n, np.int32)
        lo, hi = offsets[f.observation_id]
        cols[name][lo:hi] |= f.quality_flags.astype(np.int32)
        if f.type not in types_of[f.observation_id]:
            types_of[f.observation_id].append(f.type)
    for o in obs_rows:
        lo, hi = offsets[o.id]
        t = cols["time"][lo:hi]
        finite = t[np.isfinite(t)]
        product.observations.append(ObservationSummary(
            observation_id=o.id, sector=o.sector, camera=o.camera, ccd=o.ccd, cadences=o.cadence_count,
            first_cadence=int(o.cadence_reference[0]), last_cadence=int(o.cadence_reference[-1]),
            groups=tuple(sorted(groups_of[o.id])), flag_types=tuple(types_of[o.id]),
            flagged=int(np.count_nonzero(cols["quality"][lo:hi])),
            time_start=float(finite.min()) if finite.size else float("nan"),
            time_stop=float(finite.max()) if finite.size else float("nan")))
    return product
