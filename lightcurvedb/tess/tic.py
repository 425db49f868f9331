"""A TIC target's lightcurves in TESS terms: export column names, the default flux group, `lcdb show` rows.

Built on the one assembler, `lightcurvedb.lightcurve.load_lightcurves`: this module only names and arranges.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import psycopg
from astropy.timeseries import TimeSeries
from numpy.typing import NDArray

from lightcurvedb.errors import NotFound
from lightcurvedb.lightcurve import ObservationSpan, load_lightcurves
from lightcurvedb.queries import observations, targets
from lightcurvedb.tess import mapping
from lightcurvedb.tess.products import READ_PREFERENCE, canonical
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
    product: str | None = None  # the product its datasets came from (None: groups of no known product)


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
        flux, flux_err, groups = self.flux(flux_group)
        fmt = time_format or self.time_format
        time = mission_time(self.columns["time"], self.time_system)
        if fmt != self.time_format:
            time.format = fmt
        data: dict[str, Any] = {
            "flux": flux,
            "flux_err": flux_err,
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
        products = sorted({o.product for o in self.observations if o.product})
        ts.meta.update({"TICID": self.tic_id, "OBJECT": f"TIC {self.tic_id}", "TELESCOP": "TESS",
                        "FLUX_ORIGIN": ", ".join(self.groups[g][0] for g in groups),
                        "FLUX_GROUP": ", ".join(groups), "PRODUCTS": ", ".join(products)})
        return ts

    def flux(self, requested: str | None = None) -> tuple[NDArray[np.float64], NDArray[np.float64], list[str]]:
        """(flux, flux_err, the groups used): the requested group's columns, else per observation its product's
        default flux (`mapping.DEFAULT_FLUX`: PDCSAP for spoc, cal_aper_flux for tglc)."""
        n = len(self.columns["time"])
        flux, flux_err = np.full(n, np.nan), np.full(n, np.nan)
        used: list[str] = []
        start = 0
        for o in self.observations:
            stop = start + o.cadences
            group = self.flux_group(requested, observation=o)
            value_col, err_col = self.groups[group]
            flux[start:stop] = self.columns[value_col][start:stop]
            if err_col:
                flux_err[start:stop] = self.columns[err_col][start:stop]
            if group not in used:
                used.append(group)
            start = stop
        return flux, flux_err, used

    def flux_group(self, requested: str | None = None, *, observation: ObservationSummary | None = None) -> str:
        """The processing group exported as `flux` (for one observation, or the first): the requested one, else
        the first of its product's defaults it has."""
        if requested is not None:
            group = mapping.resolve_group(requested)
            if group not in self.groups:
                raise UnknownFluxGroup(f"TIC {self.tic_id} has no processing group {requested!r}; "
                                       f"it has {sorted(self.groups)}")
            return group
        if not self.groups:
            raise UnknownFluxGroup(f"TIC {self.tic_id} has no datasets")
        if observation is None and not self.observations:
            return sorted(self.groups)[0]
        o = observation or self.observations[0]
        defaults = mapping.DEFAULT_FLUX.get(o.product or "", ()) + mapping.DEFAULT_FLUX_GROUPS
        return next((g for g in defaults if g in o.groups), sorted(o.groups)[0])


def _flag_column(flag_type: str) -> str:
    return "quality" if flag_type == mapping.QUALITY_FLAG else flag_type.removesuffix("_flag") + "_flags"


def _product_of(groups: tuple[str, ...]) -> str | None:
    found = {mapping.PRODUCT_OF_GROUP.get(g) for g in groups}
    return found.pop() if len(found) == 1 else None


def load_tic(conn: psycopg.Connection[Any], tic_id: int, *, product: str | None = None,
             sectors: Iterable[int] | None = None, every_product: bool = False) -> TicLightcurves:
    """Read what is stored for TIC `tic_id`: one product per sector, never two interleaved.

    `product` (a canonical name, any case) picks it; by default each sector takes the first product it holds in
    `products.READ_PREFERENCE` (spoc, then tess-spoc, qlp, tglc, …; spoc-fast only when asked). `sectors` limits
    the sectors. `every_product` takes every product of each sector instead (`lcdb show`: a summary, whose rows
    then interleave). NotFound when the target is unknown or holds nothing that matches.
    """
    wanted = canonical(product) if product is not None else None
    only = sorted(set(sectors)) if sectors is not None else None
    try:
        target = targets.get_target_by_name(conn, catalog_name=mapping.CATALOG, name=tic_id)
    except NotFound:
        raise NotFound(f"TIC {tic_id} is not in the database (ingest its files with `lcdb ingest`)") from None
    lcs = load_lightcurves(conn, target.id)
    tess = {o.id: o for o in observations.list_tess_observations_of_target(conn, target_id=target.id)}
    held: dict[int, dict[str | None, list[ObservationSpan]]] = {}
    for span in lcs.observations:
        held.setdefault(tess[span.observation_id].sector, {}).setdefault(_product_of(span.groups), []).append(span)
    chosen: list[ObservationSpan] = []
    for sector, by_product in held.items():
        if only is not None and sector not in only:
            continue
        if wanted is not None:
            chosen += by_product.get(wanted, [])
            continue
        if every_product:
            chosen += [sp for spans in by_product.values() for sp in spans]
            continue
        ranked = sorted(by_product, key=lambda p: READ_PREFERENCE.index(p) if p in READ_PREFERENCE
                        else len(READ_PREFERENCE))
        if ranked and ranked[0] != "spoc-fast":
            chosen += by_product[ranked[0]]
    if not chosen:
        holds = "; ".join(f"sector {s}: {', '.join(sorted(str(p) for p in held[s]))}" for s in sorted(held))
        raise NotFound(f"TIC {tic_id} has no {wanted or ''} lightcurve".replace("  ", " ")
                       + (f" in sector(s) {', '.join(map(str, only))}" if only else "") + f" (it holds {holds})")
    chosen.sort(key=lambda sp: sp.start)
    rows = np.concatenate([np.arange(sp.start, sp.stop) for sp in chosen])
    starts = np.cumsum([0] + [sp.stop - sp.start for sp in chosen])
    n = int(rows.shape[0])
    cols: dict[str, NDArray[Any]] = {
        "time": lcs.time[rows], "cadenceno": lcs.cadence[rows], "quality": lcs.quality[rows],
        "observation_id": lcs.observation_id[rows],
        "sector": np.zeros(n, np.int32), "camera": np.zeros(n, np.int16), "ccd": np.zeros(n, np.int16),
    }
    for sp, lo in zip(chosen, starts, strict=False):
        o = tess[sp.observation_id]
        hi = lo + sp.stop - sp.start
        cols["sector"][lo:hi] = o.sector
        cols["camera"][lo:hi] = o.camera or 0
        cols["ccd"][lo:hi] = o.ccd or 0
    result = TicLightcurves(tic_id=tic_id, target_id=target.id, time_system=lcs.time_system or mapping.TIME_SYSTEM,
                            observations=[], columns=cols)
    present = {g for sp in chosen for g in sp.groups}
    for name, values in lcs.values.items():
        if name not in present:
            continue
        col = mapping.export_name(name)
        errors = lcs.errors[name][rows]
        has_err = any(c.group == name and c.has_errors for c in mapping.ALL_COLUMNS) or not bool(
            np.isnan(errors).all())
        result.groups[name] = (col, f"{col}_err" if has_err else None)
        cols[col] = values[rows]
        if has_err:
            cols[f"{col}_err"] = errors
    for flag_type, flags in lcs.flags.items():
        if flag_type != mapping.QUALITY_FLAG and any(flag_type in sp.flag_types for sp in chosen):
            cols[_flag_column(flag_type)] = flags[rows]
    for sp in chosen:
        o = tess[sp.observation_id]
        t = lcs.time[sp.start:sp.stop]
        finite = t[np.isfinite(t)]
        grid = lcs.cadence[sp.start:sp.stop]
        result.observations.append(ObservationSummary(
            observation_id=o.id, sector=o.sector, camera=o.camera, ccd=o.ccd, cadences=sp.stop - sp.start,
            first_cadence=int(grid[0]), last_cadence=int(grid[-1]), groups=sp.groups,
            flag_types=sp.flag_types, flagged=int(np.count_nonzero(lcs.quality[sp.start:sp.stop])),
            time_start=float(finite.min()) if finite.size else float("nan"),
            time_stop=float(finite.max()) if finite.size else float("nan"),
            derived_cadence_seconds=o.derived_cadence_seconds, product=_product_of(sp.groups)))
    return result
