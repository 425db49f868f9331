"""A TIC target's lightcurves in TESS terms: export column names, the default flux group, `lcdb show` rows.

Built on the one assembler, `lightcurvedb.lightcurve.load_lightcurves`: this module only names and arranges.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import psycopg
from astropy import units as u
from astropy.timeseries import TimeSeries
from numpy.typing import NDArray

from lightcurvedb.errors import NotFound
from lightcurvedb.lightcurve import ObservationSpan, load_lightcurves
from lightcurvedb.queries import observations, releases, targets
from lightcurvedb.tess import mapping, quality
from lightcurvedb.tess.products import READ_PREFERENCE, canonical
from lightcurvedb.timesystem import MissionTimeSystem, mission_time

_UNIT_SPELLINGS = {"e-/s": "electron / s", "pixels": "pix", "pixel": "pix", "unitless": "", "degcelcius": "deg_C",
                   "adu": "adu", "bjd - 2457000, days": "d", "days": "d", "day": "d"}
"""How the products spell units that astropy does not parse (SPOC's e-/s, CDIPS's unitless, …)."""


def astropy_unit(text: str) -> u.UnitBase:
    """A unit as a file wrote it → an astropy unit (unparseable spellings kept as an UnrecognizedUnit)."""
    spelled = _UNIT_SPELLINGS.get(text.strip().lower(), text.strip())
    return u.Unit(spelled, parse_strict="silent")


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
    product: str | None = None  # the product of its release (None: data written without a release)
    release: int | None = None  # the release number (None: data written without a release)
    release_id: int | None = None


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
    units: dict[str, str | None] = field(default_factory=dict)  # column -> the unit its file wrote
    file_columns: list[str] = field(default_factory=list)  # the files' columns (lower-cased), in file order
    quality_bitmask: quality.QualityBitmask = "none"  # what `masked` removed ("none": every cadence is here)

    @property
    def time_format(self) -> str:
        """The mission's astropy time format name (TESS: "btjd")."""
        return self.time_system.time_format_name

    def masked(self, quality_bitmask: quality.QualityBitmask) -> TicLightcurves:
        """These lightcurves without the cadences `quality_bitmask` masks: a preset ("none", "default", "hard",
        "hardest") or an integer, applied per observation with its product's bits (`quality.bitmask_for`, as
        lightkurve's readers do). Cadences with an unknown time stay (lightkurve drops those too: `to_lightkurve`)."""
        keep = np.ones(len(self.columns["time"]), dtype=bool)
        observations, start = [], 0
        for o in self.observations:
            stop = start + o.cadences
            bits = quality.bitmask_for(quality_bitmask, product=o.product, sector=o.sector)
            keep[start:stop] = quality.good_cadences(self.columns["quality"][start:stop], bits)
            observations.append(dataclasses.replace(o, cadences=int(np.count_nonzero(keep[start:stop]))))
            start = stop
        return dataclasses.replace(self, observations=observations, quality_bitmask=quality_bitmask,
                                   columns={name: values[keep] for name, values in self.columns.items()})

    def timeseries(self, flux_group: str | None = None, *, time_format: str | None = None,
                   normalize: bool = False) -> TimeSeries:
        """An astropy TimeSeries with lightkurve's conventions: time (TDB), flux, flux_err, quality, … ;
        `normalize`: flux and flux_err divided by each observation's median flux (lightkurve's `normalize()`)."""
        flux, flux_err, groups = self.flux(flux_group, normalize=normalize)
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
        data.update({k: self.columns[k] for k in self.file_columns if k != "time"})
        data.update({k: v for k, v in self.columns.items() if k not in data and k != "time"})
        ts = TimeSeries(time=time, data=data)
        flux_unit = {self.units.get(self.groups[g][0]) for g in groups}
        units = {**self.units, "flux": "" if normalize else flux_unit.pop() if len(flux_unit) == 1 else None}
        units["flux_err"] = units["flux"]
        for name, unit in units.items():  # integer columns stay integers (a Quantity would be float)
            if name in ts.colnames and name != "time" and unit is not None and ts[name].dtype.kind == "f":
                ts[name].unit = astropy_unit(unit)
        products = sorted({o.product for o in self.observations if o.product})
        releases = sorted({f"{o.sector}:{o.product}:{o.release}" for o in self.observations if o.release})
        ts.meta.update({"TICID": self.tic_id, "OBJECT": f"TIC {self.tic_id}", "TELESCOP": "TESS",
                        "FLUX_ORIGIN": ", ".join(self.groups[g][0] for g in groups),
                        "FLUX_GROUP": ", ".join(groups), "PRODUCTS": ", ".join(products),
                        "RELEASES": ", ".join(releases), "QUALITY_BITMASK": self.quality_bitmask,
                        "NORMALIZED": normalize})
        return ts

    def flux(self, requested: str | None = None, *, normalize: bool = False) -> tuple[
            NDArray[np.floating[Any]], NDArray[np.floating[Any]], list[str]]:
        """(flux, flux_err, the groups used): the requested group's columns, else per observation its product's
        default flux (`mapping.DEFAULT_FLUX`: PDCSAP for spoc/tess-spoc, KSPSAP/DET for qlp, cal_aper_flux for
        tglc), at the files' precision (float32 unless a source is float64). `normalize`: each observation's
        flux and flux_err divided by the NaN-ignoring median of its flux over the cadences with a time, at the
        flux's precision (lightkurve's `normalize()` of each observation's lightcurve)."""
        n = len(self.columns["time"])
        chosen = [self.flux_group(requested, observation=o) for o in self.observations]
        sources = [self.groups[g] for g in dict.fromkeys(chosen)]
        dtype = np.result_type(np.float32, *(self.columns[v].dtype for v, _ in sources))
        err_dtype = np.result_type(np.float32, *(self.columns[e].dtype for _, e in sources if e))
        flux, flux_err = np.full(n, np.nan, dtype=dtype), np.full(n, np.nan, dtype=err_dtype)
        start = 0
        for o, group in zip(self.observations, chosen, strict=True):
            stop = start + o.cadences
            value_col, err_col = self.groups[group]
            flux[start:stop] = self.columns[value_col][start:stop]
            if err_col:
                flux_err[start:stop] = self.columns[err_col][start:stop]
            if normalize:
                timed = flux[start:stop][np.isfinite(self.columns["time"][start:stop])]
                if bool(np.isfinite(timed).any()):
                    median = np.nanmedian(timed)
                    flux[start:stop] /= median
                    flux_err[start:stop] /= median.astype(flux_err.dtype)
            start = stop
        return flux, flux_err, list(dict.fromkeys(chosen))

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


def target_id_of(conn: psycopg.Connection[Any], tic_id: int) -> int:
    """The target id of TIC `tic_id`; NotFound saying how to add it when it is unknown."""
    try:
        return int(targets.get_target_by_name(conn, catalog_name=mapping.CATALOG, name=tic_id).id)
    except NotFound:
        raise NotFound(f"TIC {tic_id} is not in the database (ingest its files with `lcdb ingest`)") from None


def tic_releases(conn: psycopg.Connection[Any], tic_id: int) -> list[Any]:
    """Every release of TIC `tic_id` (by sector, product, number) with the file it came from; NotFound when the
    target is unknown."""
    return list(releases.list_releases_of_target(conn, target_id=target_id_of(conn, tic_id)))


def _release_of(span: ObservationSpan, releases: dict[int, Any]) -> Any:
    return releases.get(span.release_id) if span.release_id is not None else None


def _choose(spans: list[tuple[int, str | None, int | None, ObservationSpan]], *, product: str | None,
            release: int | None, every: bool, each_product: bool = False) -> list[ObservationSpan]:
    """Per sector: one product (asked for, else the first held in READ_PREFERENCE; `each_product`: every product
    held) and one release of it (asked for, else the newest); `every`: everything."""
    if every:
        return [sp for *_, sp in spans]
    chosen: list[ObservationSpan] = []
    for sector in sorted({s for s, *_ in spans}):
        here = [(p, r, sp) for s, p, r, sp in spans if s == sector]
        held = {p for p, _, _ in here}
        if product is not None:
            picks: list[str] = [product] if product in held else []
        else:
            ranked = sorted((p for p in held if p in READ_PREFERENCE), key=READ_PREFERENCE.index)
            if each_product:
                ranked += sorted(p for p in held if p is not None and p not in READ_PREFERENCE)
            picks = ranked if each_product else ranked[:1]
            if (each_product or not picks) and None in held:
                chosen += [sp for p, _, sp in here if p is None]  # data written without a release: as it is
        for pick in picks:
            numbers = {r for p, r, _ in here if p == pick}
            number = release if release is not None else max((r for r in numbers if r is not None), default=None)
            chosen += [sp for p, r, sp in here if p == pick and r == number]
    return chosen


def load_tic(conn: psycopg.Connection[Any], tic_id: int, *, product: str | None = None,
             sectors: Iterable[int] | None = None, release: int | None = None,
             every_product: bool = False, each_product: bool = False) -> TicLightcurves:
    """Read what is stored for TIC `tic_id`: one product and one release per sector, never two interleaved.

    `product` (a canonical name, any case) picks it; by default each sector takes the first product it holds in
    `products.READ_PREFERENCE` (spoc, then tess-spoc, qlp, tglc, …; spoc-fast only when asked). `release` picks
    the release number (`lcdb releases TIC` lists them); by default the newest. `sectors` limits the sectors.
    `each_product` takes every product of each sector (each at `release`, else its newest: `to_lightkurve`);
    `every_product` takes every product and release of each sector instead (`lcdb show`: a summary, whose rows
    then interleave). Columns are the files' own (lower-cased names, file precision, units) plus time, flux,
    flux_err, quality, cadenceno, sector, camera, ccd. NotFound when the target is unknown or holds nothing that
    matches.
    """
    wanted = canonical(product) if product is not None else None
    only = sorted(set(sectors)) if sectors is not None else None
    target_id = target_id_of(conn, tic_id)
    lcs = load_lightcurves(conn, target_id)
    tess = {o.id: o for o in observations.list_tess_observations_of_target(conn, target_id=target_id)}
    rels = {r.id: r for r in releases.list_releases_of_target(conn, target_id=target_id)}
    spans = []
    for span in lcs.observations:
        rel = _release_of(span, rels)
        spans.append((tess[span.observation_id].sector, rel.product_name if rel else None,
                      rel.number if rel else None, span))
    chosen = _choose([s for s in spans if only is None or s[0] in only], product=wanted, release=release,
                     every=every_product, each_product=each_product)
    if not chosen:
        held: dict[int, set[str]] = {}
        for sector, prod, number, _ in spans:
            held.setdefault(sector, set()).add(f"{prod or 'no product'}" + (f" release {number}" if number else ""))
        holds = "; ".join(f"sector {s}: {', '.join(sorted(held[s]))}" for s in sorted(held)) or "nothing there"
        what = " ".join(x for x in (wanted, f"release {release}" if release is not None else None) if x)
        raise NotFound(f"TIC {tic_id} has no {what + ' ' if what else ''}lightcurve"
                       + (f" in sector(s) {', '.join(map(str, only))}" if only else "") + f" (it holds {holds})")
    chosen.sort(key=lambda sp: sp.start)
    return _assemble(conn, tic_id, target_id, lcs, chosen, tess, rels)


def _assemble(conn: psycopg.Connection[Any], tic_id: int, target_id: int, lcs: Any, chosen: list[ObservationSpan],
              tess: dict[int, Any], rels: dict[int, Any]) -> TicLightcurves:
    """The chosen spans' rows as TESS columns: the standard ones, then each file's own (by its release's layout;
    data without a layout under the processing groups' export names)."""
    rows = np.concatenate([np.arange(sp.start, sp.stop) for sp in chosen])
    starts = np.cumsum([0] + [sp.stop - sp.start for sp in chosen])
    n = int(rows.shape[0])
    cols: dict[str, NDArray[Any]] = {
        "time": lcs.time[rows], "cadenceno": lcs.cadence[rows], "quality": lcs.quality[rows],
        "observation_id": lcs.observation_id[rows],
        "sector": np.zeros(n, np.int32), "camera": np.zeros(n, np.int16), "ccd": np.zeros(n, np.int16),
    }
    result = TicLightcurves(tic_id=tic_id, target_id=target_id,
                            time_system=lcs.time_system or mapping.TIME_SYSTEM, observations=[], columns=cols)
    ids = sorted({sp.release_id for sp in chosen if sp.release_id is not None})
    layouts: dict[int, list[Any]] = {}
    for c in releases.list_release_columns(conn, release_ids=np.array(ids, dtype=np.int64)):
        layouts.setdefault(c.release_id, []).append(c)
    parts: dict[str, list[tuple[int, int, NDArray[Any]]]] = {}
    dtypes: dict[str, list[np.dtype[Any]]] = {}

    def put(name: str, lo: int, hi: int, arr: NDArray[Any], dtype: Any) -> None:
        parts.setdefault(name, []).append((lo, hi, arr))
        dtypes.setdefault(name, []).append(np.dtype(dtype))

    for sp, lo in zip(chosen, starts, strict=False):
        o = tess[sp.observation_id]
        hi = lo + sp.stop - sp.start
        cols["sector"][lo:hi] = o.sector
        cols["camera"][lo:hi] = o.camera or 0
        cols["ccd"][lo:hi] = o.ccd or 0
        window = slice(sp.start, sp.stop)
        layout = layouts.get(sp.release_id or -1)
        if layout:
            for c in layout:
                name = c.name.lower()
                if c.role == "text":  # kept with the layout: the file's rows exactly
                    put(name, lo, hi, np.array([v.encode("latin-1") for v in c.text_values], c.dtype), c.dtype)
                    result.units.setdefault(name, c.unit)
                    if name not in result.file_columns:
                        result.file_columns.append(name)
                    continue
                source = {"time": lcs.time, "cadence": lcs.cadence,
                          "values": lcs.values.get(c.processing_group_name or ""),
                          "errors": lcs.errors.get(c.processing_group_name or ""),
                          "flags": lcs.flags.get(c.flag_type or "")}[c.role]
                if source is None:
                    continue
                piece = source[window] + c.value_offset if c.value_offset else source[window]  # exact: checked
                put(name, lo, hi, piece, c.dtype)
                result.units.setdefault(name, c.unit)
                if name not in result.file_columns:
                    result.file_columns.append(name)
                if c.role == "values":
                    errs = next((e.name.lower() for e in layout
                                 if e.role == "errors" and e.processing_group_name == c.processing_group_name), None)
                    result.groups.setdefault(c.processing_group_name or "", (name, errs))
            continue
        for group in sp.groups:  # data without a layout: export names of the processing groups, float64
            col = mapping.export_name(group)
            errors = lcs.errors[group][window]
            has_err = any(c.group == group and c.has_errors for c in mapping.ALL_COLUMNS) or not bool(
                np.isnan(errors).all())
            put(col, lo, hi, lcs.values[group][window], np.float64)
            if has_err:
                put(f"{col}_err", lo, hi, errors, np.float64)
            result.groups.setdefault(group, (col, f"{col}_err" if has_err else None))
        for flag_type in sp.flag_types:
            if flag_type != mapping.QUALITY_FLAG:
                put(_flag_column(flag_type), lo, hi, lcs.flags[flag_type][window], np.int32)
    for name, pieces in parts.items():
        dtype = np.result_type(*dtypes[name])
        covered = sum(hi - lo for lo, hi, _ in pieces)
        if covered < n and dtype.kind in "iuS":  # a column some files lack: masked there (no made-up value)
            out: NDArray[Any] = np.ma.masked_all(n, dtype=dtype)  # type: ignore[no-untyped-call]
        else:
            out = np.full(n, np.nan if dtype.kind == "f" else b"" if dtype.kind == "S" else 0, dtype=dtype)
        for lo, hi, arr in pieces:
            out[lo:hi] = arr.astype(dtype, copy=False)
        cols[name] = out
    for sp in chosen:
        o = tess[sp.observation_id]
        rel = _release_of(sp, rels)
        t = lcs.time[sp.start:sp.stop]
        finite = t[np.isfinite(t)]
        grid = lcs.cadence[sp.start:sp.stop]
        result.observations.append(ObservationSummary(
            observation_id=o.id, sector=o.sector, camera=o.camera, ccd=o.ccd, cadences=sp.stop - sp.start,
            first_cadence=int(grid[0]), last_cadence=int(grid[-1]), groups=sp.groups,
            flag_types=sp.flag_types, flagged=int(np.count_nonzero(lcs.quality[sp.start:sp.stop])),
            time_start=float(finite.min()) if finite.size else float("nan"),
            time_stop=float(finite.max()) if finite.size else float("nan"),
            derived_cadence_seconds=o.derived_cadence_seconds, product=rel.product_name if rel else None,
            release=rel.number if rel else None, release_id=sp.release_id))
    return result
