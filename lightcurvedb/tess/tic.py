"""A TIC target's lightcurves in TESS terms: export column names, the default flux group, `lcdb show` rows.

Built on the one assembler, `lightcurvedb.lightcurve.load_lightcurves`: this module only names and arranges.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import psycopg
from astropy.timeseries import TimeSeries
from numpy.typing import NDArray

from lightcurvedb.errors import NotFound
from lightcurvedb.lightcurve import load_lightcurves
from lightcurvedb.queries import observations, targets
from lightcurvedb.tess import mapping
from lightcurvedb.timesystem import MissionTimeSystem, mission_time


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
    derived_cadence_seconds: float | None = None  # set when the grid was derived from times (no CADENCENO)


@dataclass
class TicLightcurves:
    """A TIC target's data on the concatenated cadence grids of its observations (in time order), one column per
    dataset under its export name (`mapping.export_name`), flags as `quality` and `<type>_flags`."""

    tic_id: int
    target_id: int
    time_system: MissionTimeSystem
    observations: list[ObservationSummary]
    columns: dict[str, NDArray[Any]] = field(default_factory=dict)
    groups: dict[str, tuple[str, str | None]] = field(default_factory=dict)  # group -> (column, error column)

    @property
    def time_format(self) -> str:
        """The mission's astropy time format name (TESS: "btjd")."""
        return self.time_system.time_format_name

    def timeseries(self, flux_group: str | None = None, *, time_format: str | None = None) -> TimeSeries:
        """An astropy TimeSeries with lightkurve's conventions: time (TDB), flux, flux_err, quality, … ."""
        group = self.flux_group(flux_group)
        fmt = time_format or self.time_format
        time = mission_time(self.columns["time"], self.time_system)
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


def load_tic(conn: psycopg.Connection[Any], tic_id: int) -> TicLightcurves:
    """Read everything stored for TIC `tic_id` (NotFound when the target is unknown)."""
    try:
        target = targets.get_target_by_name(conn, catalog_name=mapping.CATALOG, name=tic_id)
    except NotFound:
        raise NotFound(f"TIC {tic_id} is not in the database (ingest its files with `lcdb ingest`)") from None
    lcs = load_lightcurves(conn, target.id)
    tess = {o.id: o for o in observations.list_tess_observations_of_target(conn, target_id=target.id)}
    n = len(lcs)
    cols: dict[str, NDArray[Any]] = {
        "time": lcs.time, "cadenceno": lcs.cadence, "quality": lcs.quality, "observation_id": lcs.observation_id,
        "sector": np.zeros(n, np.int32), "camera": np.zeros(n, np.int16), "ccd": np.zeros(n, np.int16),
    }
    for span in lcs.observations:
        o = tess[span.observation_id]
        cols["sector"][span.start:span.stop] = o.sector
        cols["camera"][span.start:span.stop] = o.camera or 0
        cols["ccd"][span.start:span.stop] = o.ccd or 0
    result = TicLightcurves(tic_id=tic_id, target_id=target.id, time_system=lcs.time_system or mapping.TIME_SYSTEM,
                            observations=[], columns=cols)
    for name, values in lcs.values.items():
        col = mapping.export_name(name)
        errors = lcs.errors[name]
        has_err = any(c.group == name and c.has_errors for c in mapping.ALL_COLUMNS) or not bool(
            np.isnan(errors).all())
        result.groups[name] = (col, f"{col}_err" if has_err else None)
        cols[col] = values
        if has_err:
            cols[f"{col}_err"] = errors
    for flag_type, flags in lcs.flags.items():
        if flag_type != mapping.QUALITY_FLAG:
            cols[_flag_column(flag_type)] = flags
    for span in lcs.observations:
        o = tess[span.observation_id]
        t = lcs.time[span.start:span.stop]
        finite = t[np.isfinite(t)]
        grid = lcs.cadence[span.start:span.stop]
        result.observations.append(ObservationSummary(
            observation_id=o.id, sector=o.sector, camera=o.camera, ccd=o.ccd, cadences=span.stop - span.start,
            first_cadence=int(grid[0]), last_cadence=int(grid[-1]), groups=span.groups,
            flag_types=span.flag_types, flagged=int(np.count_nonzero(lcs.quality[span.start:span.stop])),
            time_start=float(finite.min()) if finite.size else float("nan"),
            time_stop=float(finite.max()) if finite.size else float("nan"),
            derived_cadence_seconds=o.derived_cadence_seconds))
    return result
