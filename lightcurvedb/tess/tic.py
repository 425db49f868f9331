"""A TIC target's lightcurves in TESS terms: export column names, the default flux group, `lcdb show` rows.

The server chooses what a read takes (`plan_target_read`); the one assembler, `lightcurvedb.lightcurve.read_spans`,
reads exactly that; this module only names and arranges.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import psycopg
from numpy.typing import NDArray

from lightcurvedb.errors import InvalidInput, NotFound
from lightcurvedb.lightcurve import ObservationSpan, TargetLightcurves, Wanted, read_spans
from lightcurvedb.queries import reads
from lightcurvedb.tess import mapping, quality
from lightcurvedb.tess.best.choices import DEFAULT as NO_BEST_CHOICE
from lightcurvedb.tess.best.choices import BestFlux, best_choices
from lightcurvedb.tess.best.rule import is_best
from lightcurvedb.tess.products import READ_PREFERENCE, canonical
from lightcurvedb.timesystem import MissionTimeSystem, mission_time

if TYPE_CHECKING:  # astropy is imported where its objects are made: `lcdb show` makes none
    from astropy import units as u
    from astropy.timeseries import TimeSeries

_UNIT_SPELLINGS = {"e-/s": "electron / s", "pixels": "pix", "pixel": "pix", "unitless": "", "degcelcius": "deg_C",
                   "adu": "adu", "bjd - 2457000, days": "d", "days": "d", "day": "d"}
"""How the products spell units that astropy does not parse (SPOC's e-/s, CDIPS's unitless, …)."""


@functools.lru_cache(maxsize=256)
def astropy_unit(text: str) -> u.UnitBase:
    """A unit as a file wrote it → an astropy unit (unparseable spellings kept as an UnrecognizedUnit); parsed once
    per spelling."""
    from astropy import units as u

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
    flagged: int | None  # cadences with QUALITY bits set (None: quality was not read)
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
    flux_requested: str | None = None  # the group asked for as flux/flux_err (None: each product's default)
    flux_groups: list[str] = field(default_factory=list)  # the groups of `flux_arrays`, by observation
    flux_arrays: tuple[NDArray[Any], NDArray[Any]] | None = None  # the read's flux and flux_err (default groups)
    best: dict[int, BestFlux] | None = None  # read with flux "best": the stored choices, by release id

    def best_of(self, observation: ObservationSummary) -> BestFlux:
        """The best choice in force for an observation's release (flux "best"): stored, else the product's
        default (`NO_BEST_CHOICE`). InvalidInput when these lightcurves were not read with flux "best"."""
        if self.best is None:
            raise InvalidInput('the best flux needs the stored choices: read with flux="best" (load_tic)')
        return self.best.get(observation.release_id or -1, NO_BEST_CHOICE)

    def best_rule(self) -> str:
        """The rule behind each sector's best flux, "sector N: rule; …" (empty when not read with flux "best")."""
        if self.best is None:
            return ""
        return "; ".join(dict.fromkeys(f"sector {o.sector} {o.product or ''}".rstrip() + f": {self.best_of(o).rule}"
                                       for o in self.observations))

    def __len__(self) -> int:
        """Cadences (rows) of the read."""
        return sum(o.cadences for o in self.observations)

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
                                   columns={name: values[keep] for name, values in self.columns.items()},
                                   flux_arrays=None if self.flux_arrays is None else
                                   (self.flux_arrays[0][keep], self.flux_arrays[1][keep]))

    def timeseries(self, flux_group: str | None = None, *, time_format: str | None = None,
                   normalize: bool = False) -> TimeSeries:
        """An astropy TimeSeries with lightkurve's conventions: time (TDB), flux, flux_err, quality, … ;
        `normalize`: flux and flux_err divided by each observation's median flux (lightkurve's `normalize()`)."""
        from astropy.timeseries import TimeSeries

        has_flux = self.flux_arrays is not None or any(v in self.columns for v, _ in self.groups.values())
        flux, flux_err, groups = self.flux(flux_group, normalize=normalize) if has_flux else (None, None, [])
        fmt = time_format or self.time_format
        time = mission_time(self.columns["time"], self.time_system)
        if fmt != self.time_format:
            time.format = fmt
        data: dict[str, Any] = {} if flux is None else {"flux": flux, "flux_err": flux_err}
        data.update({k: self.columns[k] for k in ("quality", "cadenceno", "sector", "camera", "ccd")
                     if k in self.columns})
        data.update({k: self.columns[k] for k in self.file_columns if k != "time"})
        data.update({k: v for k, v in self.columns.items() if k not in data and k != "time"})
        ts = TimeSeries(time=time, data=data, copy=False)
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
        if is_best(flux_group if flux_group is not None else self.flux_requested) and self.best is not None:
            ts.meta["BEST_RULE"] = self.best_rule()
        return ts

    def flux(self, requested: str | None = None, *, normalize: bool = False) -> tuple[
            NDArray[np.floating[Any]], NDArray[np.floating[Any]], list[str]]:
        """(flux, flux_err, the groups used): the requested group's columns, else per observation its product's
        default flux (`mapping.DEFAULT_FLUX`: PDCSAP for spoc/tess-spoc, KSPSAP/DET for qlp, cal_aper_flux for
        tglc), at the files' precision (float32 unless a source is float64): the read's `flux` and `flux_err`
        columns when it took them for this group. `normalize`: each observation's flux and flux_err divided by the
        NaN-ignoring median of its flux over the cadences with a time, at the flux's precision (lightkurve's
        `normalize()` of each observation's lightcurve)."""
        same = requested is None or (self.flux_requested is not None and (
            (is_best(requested) and is_best(self.flux_requested))
            or mapping.resolve_group(requested) == mapping.resolve_group(self.flux_requested)))
        if same and self.flux_arrays is not None:
            flux, flux_err = self.flux_arrays
            chosen = self.flux_groups
        else:
            chosen = [self.flux_group(requested, observation=o) for o in self.observations]
            flux, flux_err = self._joined_flux(chosen)
        if normalize:
            flux, flux_err = flux.copy(), flux_err.copy()
            start = 0
            for o in self.observations:
                stop = start + o.cadences
                timed = flux[start:stop][np.isfinite(self.columns["time"][start:stop])]
                if bool(np.isfinite(timed).any()):
                    median = np.nanmedian(timed)
                    flux[start:stop] /= median
                    flux_err[start:stop] /= median.astype(flux_err.dtype)
                start = stop
        return flux, flux_err, list(dict.fromkeys(chosen))

    def _joined_flux(self, chosen: list[str]) -> tuple[NDArray[np.floating[Any]], NDArray[np.floating[Any]]]:
        """The value and error columns of each observation's group in `chosen`, in one pair of arrays."""
        sources = [self.groups[g] for g in dict.fromkeys(chosen)]
        missing = [name for v, e in sources for name in (v, e) if name and name not in self.columns]
        if missing:
            raise InvalidInput(f"column(s) {', '.join(missing)} were not read: read them (columns=…) or flux/flux_err")
        return self._pair([(self.columns[self.groups[g][0]], self.columns.get(self.groups[g][1] or ""))
                           for g in chosen])

    def _pair(self, pieces: list[tuple[NDArray[Any] | None, NDArray[Any] | None]]) -> tuple[
            NDArray[np.floating[Any]], NDArray[np.floating[Any]]]:
        """(flux, flux_err) of full-length (value, error) arrays, one pair per observation, each giving its rows: the
        arrays themselves when one pair gives every row at the joined precision (float32 unless a source is
        float64), else one new pair (NaN where an observation has none)."""
        dtype = np.result_type(np.float32, *(v.dtype for v, _ in pieces if v is not None))
        err_dtype = np.result_type(np.float32, *(e.dtype for _, e in pieces if e is not None))
        first_v, first_e = pieces[0]
        if (all(v is first_v and e is first_e for v, e in pieces) and first_v is not None and first_e is not None
                and first_v.dtype == dtype and first_e.dtype == err_dtype):
            return first_v, first_e
        n = len(self)
        flux, flux_err = np.full(n, np.nan, dtype=dtype), np.full(n, np.nan, dtype=err_dtype)
        start = 0
        for o, (v, e) in zip(self.observations, pieces, strict=True):
            stop = start + o.cadences
            if v is not None:
                flux[start:stop] = v[start:stop]
            if e is not None:
                flux_err[start:stop] = e[start:stop]
            start = stop
        return flux, flux_err

    def flux_from_groups(self, requested: str | None, lcs: TargetLightcurves) -> tuple[
            NDArray[np.floating[Any]], NDArray[np.floating[Any]], list[str]]:
        """(flux, flux_err, groups by observation) straight from the assembled groups (the read's `flux` columns)."""
        chosen = []
        for o in self.observations:
            group = _default_group(o.product, o.groups, self._requested(requested, o))
            if group is None:
                raise UnknownFluxGroup(f"TIC {self.tic_id} has no processing group {requested!r} in sector "
                                       f"{o.sector}; it has {sorted(o.groups)}")
            chosen.append(group)
        return (*self._pair([(lcs.values.get(g), lcs.errors.get(g)) for g in chosen]), chosen)

    def _requested(self, requested: str | None, o: ObservationSummary) -> str | None:
        """The group asked for an observation: `requested`, or for "best" its release's choice (None: default)."""
        return self.best_of(o).group if is_best(requested) else requested

    def flux_group(self, requested: str | None = None, *, observation: ObservationSummary | None = None) -> str:
        """The processing group exported as `flux` (for one observation, or the first): the requested one ("best":
        its release's best choice), else the first of its product's defaults it has."""
        if is_best(requested) and (observation is not None or self.observations):
            requested = self._requested(requested, observation or self.observations[0])
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
    from lightcurvedb.queries import targets
    try:
        return int(targets.get_target_by_name(conn, catalog_name=mapping.CATALOG, name=tic_id).id)
    except NotFound:
        raise NotFound(f"TIC {tic_id} is not in the database (ingest its files with `lcdb ingest`)") from None


def tic_releases(conn: psycopg.Connection[Any], tic_id: int) -> list[Any]:
    """Every release of TIC `tic_id` (by sector, product, number) with the file it came from; NotFound when the
    target is unknown."""
    from lightcurvedb.queries import releases
    return list(releases.list_releases_of_target(conn, target_id=target_id_of(conn, tic_id)))


STANDARD_COLUMNS: tuple[str, ...] = ("time", "flux", "flux_err", "quality", "cadenceno", "sector", "camera", "ccd",
                                     "observation_id")
"""The columns every read can take besides the files' own: BTJD time, the chosen flux group's values and errors, the
spacecraft's QUALITY bits, the cadence grid, where each row was observed and its observation id."""


class _Column(NamedTuple):
    """One column of a release's file layout (`release_column`), as `plan_target_read` sends it."""

    name: str
    role: str
    group: str | None
    group_id: int | None
    flag_type: str | None
    dtype: str
    unit: str | None
    offset: float | None


def _layout(plan_row: Any) -> list[_Column]:
    if plan_row.layout is None:
        return []
    return [_Column(c["name"].lower(), c["role"], c["group"], c["group_id"], c["flag_type"], c["dtype"], c["unit"],
                    c["offset"]) for c in plan_row.layout["columns"]]


def _default_group(product: str | None, groups: Iterable[str], requested: str | None) -> str | None:
    """The group a span gives as `flux`: the requested one, else the first of its product's defaults it holds."""
    held = set(groups)
    if requested is not None:
        group = mapping.resolve_group(requested)
        return group if group in held else None
    defaults = mapping.DEFAULT_FLUX.get(product or "", ()) + mapping.DEFAULT_FLUX_GROUPS
    return next((g for g in defaults if g in held), min(held, default=None))


def _not_found(conn: psycopg.Connection[Any], tic_id: int, *, product: str | None, sectors: list[int] | None,
               release: int | None) -> NotFound:
    """NotFound for a read that matched nothing, saying what the target holds."""
    from lightcurvedb.queries import releases
    rows = list(releases.list_releases_of_target(conn, target_id=target_id_of(conn, tic_id)))
    held: dict[int, set[str]] = {}
    for r in rows:
        held.setdefault(r.sector, set()).add(f"{r.product_name} release {r.number}")
    holds = "; ".join(f"sector {s}: {', '.join(sorted(held[s]))}" for s in sorted(held)) or "nothing there"
    what = " ".join(x for x in (product, f"release {release}" if release is not None else None) if x)
    return NotFound(f"TIC {tic_id} has no {what + ' ' if what else ''}lightcurve"
                    + (f" in sector(s) {', '.join(map(str, sectors))}" if sectors else "") + f" (it holds {holds})")


def _wanted(plan: list[Any], layouts: list[list[_Column]], names: list[str] | None,
            flux: str | None, best: dict[int, BestFlux] | None = None) -> Wanted:
    """The arrays a read of `names` (None: every column) needs from the database."""
    if names is None:
        return Wanted()
    by_name = {c.name: c for layout in layouts for c in layout}
    unknown = [n for n in names if n not in by_name and n not in STANDARD_COLUMNS]
    if unknown:
        raise InvalidInput(f"no column {', '.join(map(repr, unknown))} in this read; it has "
                           f"{', '.join([*STANDARD_COLUMNS, *dict.fromkeys(by_name)])}")
    chosen = [c for layout in layouts for c in layout if c.name in names]
    values = {c.group_id for c in chosen if c.role == "values" and c.group_id is not None}
    errors = {c.group_id for c in chosen if c.role == "errors" and c.group_id is not None}
    bare = any(p.layout is None for p in plan)
    if "flux" in names or "flux_err" in names:
        for layout, p in zip(layouts, plan, strict=True):
            ids = {c.group: c.group_id for c in layout if c.role == "values" and c.group and c.group_id is not None}
            requested = (best or {}).get(p.release_id, NO_BEST_CHOICE).group if is_best(flux) else flux
            group = _default_group(p.product_name, ids, requested)
            if group is not None:  # both arrays: flux() gives the pair, whichever of the two is a column
                values.add(ids[group])
                errors.add(ids[group])
    flags = {c.flag_type for c in chosen if c.role == "flags" and c.flag_type}
    if "quality" in names:
        flags.add(mapping.QUALITY_FLAG)
    return Wanted(value_groups=None if bare else frozenset(values), error_groups=None if bare else frozenset(errors),
                  flag_types=frozenset(flags), time="time" in names or any(c.role == "time" for c in chosen),
                  datasets=bare or bool(values or errors))


def load_tic(conn: psycopg.Connection[Any], tic_id: int, *, product: str | None = None,
             sectors: Iterable[int] | None = None, release: int | None = None,
             columns: Iterable[str] | None = None, flux: str | None = None,
             every_product: bool = False, each_product: bool = False) -> TicLightcurves:
    """Read what is stored for TIC `tic_id`: one product and one release per sector, never two interleaved.

    The choice is made by the server (`plan_target_read`) and only what it chose is read, in one more statement
    (`lightcurvedb.lightcurve.read_spans`). `product` (a canonical name, any case) picks it; by default each
    sector takes the first product it holds in `products.READ_PREFERENCE` (spoc, then tess-spoc, qlp, tglc, …;
    spoc-fast only when asked). `release` picks the release number (`lcdb releases TIC` lists them); by default the
    newest. `sectors` limits the sectors. `columns` limits the columns (None: all): the files' lower-cased column
    names and `STANDARD_COLUMNS` (time, flux, flux_err, quality, cadenceno, sector, camera, ccd,
    observation_id); `flux` is the processing group (or short name) given as flux and flux_err (default: each
    product's, `mapping.DEFAULT_FLUX`; "best": each release's stored best choice, `lcdb best`, else its product's
    default, with the rule in the TimeSeries' BEST_RULE). `each_product` takes every product of each sector (each at
    `release`, else its newest: `to_lightkurve`); `every_product` takes every product and release of each sector
    instead (`lcdb show`: a summary, whose rows then interleave). Rows are in sector order. NotFound when the target
    is unknown or holds nothing that matches; InvalidInput for a column no chosen file has.
    """
    wanted_product = canonical(product) if product is not None else None
    only = sorted(set(sectors)) if sectors is not None else None
    names = None if columns is None else list(dict.fromkeys(str(c).lower() for c in columns))
    plan = reads.plan_target_read(
        conn, catalog_name=mapping.CATALOG, name=tic_id, preference=list(READ_PREFERENCE),
        sectors=None if only is None else np.array(only, dtype=np.int32), product=wanted_product,
        release_number=release, every=every_product, each=each_product)
    if not plan:
        raise _not_found(conn, tic_id, product=wanted_product, sectors=only, release=release)
    layouts = [_layout(p) for p in plan]
    best = best_choices(conn, [p.release_id for p in plan]) if is_best(flux) else None
    first = plan[0]
    system = MissionTimeSystem(first.time_format_name, first.time_unit, first.time_epoch, first.time_epoch_scale,
                               first.time_epoch_format)
    lcs = read_spans(conn, target_id=first.target_id, versions={p.observation_id: p.observation_version for p in plan},
                     system=system, group_names=first.group_names,
                     spans=[(p.observation_id, p.release_id) for p in plan],
                     shards={p.observation_id: p.shard for p in plan},
                     wanted=_wanted(plan, layouts, names, flux, best))
    if not lcs.observations:
        raise _not_found(conn, tic_id, product=wanted_product, sectors=only, release=release)
    rows = {(p.observation_id, p.release_id): (p, layout) for p, layout in zip(plan, layouts, strict=True)}
    return _assemble(conn, tic_id, lcs, rows, names, flux, best)


def _summary(span: ObservationSpan, p: Any, layout: list[_Column], lcs: TargetLightcurves,
             names: list[str] | None) -> ObservationSummary:
    grid = lcs.cadence[span.start:span.stop]
    t = lcs.time[span.start:span.stop]
    finite = t[np.isfinite(t)]
    read_quality = names is None or "quality" in names
    return ObservationSummary(
        observation_id=span.observation_id, sector=p.sector, camera=p.camera, ccd=p.ccd,
        cadences=span.stop - span.start, first_cadence=int(grid[0]), last_cadence=int(grid[-1]),
        groups=span.groups or tuple(sorted({c.group for c in layout if c.role == "values" and c.group})),
        flag_types=tuple(dict.fromkeys([*span.flag_types, *(c.flag_type for c in layout  # stored, if not read
                                                            if c.role == "flags" and c.flag_type)])),
        flagged=int(np.count_nonzero(lcs.quality[span.start:span.stop])) if read_quality else None,
        time_start=float(finite.min()) if finite.size else float("nan"),
        time_stop=float(finite.max()) if finite.size else float("nan"),
        derived_cadence_seconds=p.derived_cadence_seconds, product=p.product_name, release=p.release_number,
        release_id=span.release_id)


def _source(lcs: TargetLightcurves, c: _Column) -> NDArray[Any] | None:
    """The assembled array a layout column reads from (None when it was not read)."""
    if c.role == "time":
        return lcs.time
    if c.role == "cadence":
        return lcs.cadence
    if c.role == "values":
        return lcs.values.get(c.group or "")
    if c.role == "errors":
        return lcs.errors.get(c.group or "")
    if c.role == "flags":
        return lcs.flags.get(c.flag_type or "")
    return None


def _assemble(conn: psycopg.Connection[Any], tic_id: int, lcs: TargetLightcurves,
              plan: dict[tuple[int, int | None], tuple[Any, list[_Column]]], names: list[str] | None,
              flux: str | None, best: dict[int, BestFlux] | None = None) -> TicLightcurves:
    """The spans' rows as TESS columns: the standard ones, then each file's own (by its release's layout; data
    without a layout under the processing groups' export names). A column every span gives from the same array at
    its own dtype is that array, not a copy."""
    spans = lcs.observations
    n = len(lcs)

    def keep(name: str) -> bool:
        return names is None or name in names

    cols: dict[str, NDArray[Any]] = {}
    result = TicLightcurves(tic_id=tic_id, target_id=lcs.target_id, time_system=lcs.time_system or mapping.TIME_SYSTEM,
                            observations=[_summary(sp, *plan[(sp.observation_id, sp.release_id)], lcs, names)
                                          for sp in spans], columns=cols, flux_requested=flux, best=best)
    for name, arr in (("time", lcs.time), ("cadenceno", lcs.cadence), ("quality", lcs.quality),
                      ("observation_id", lcs.observation_id)):
        if keep(name):
            cols[name] = arr
    lengths = [sp.stop - sp.start for sp in spans]
    for name, dtype, attr in (("sector", np.int32, "sector"), ("camera", np.int16, "camera"), ("ccd", np.int16, "ccd")):
        if keep(name):
            cols[name] = np.repeat(np.array([getattr(o, attr) or 0 for o in result.observations], dtype=dtype), lengths)
    texts = _text_columns(conn, plan, names)
    pieces: dict[str, list[tuple[int, int, _Column | None, NDArray[Any]]]] = {}
    for sp in spans:
        _, layout = plan[(sp.observation_id, sp.release_id)]
        window = slice(sp.start, sp.stop)
        if layout:
            for c in layout:
                if c.role == "text":
                    found = texts.get((sp.release_id or -1, c.name))
                    if found is not None:
                        pieces.setdefault(c.name, []).append((sp.start, sp.stop, c, found))
                elif (source := _source(lcs, c)) is not None and keep(c.name):
                    pieces.setdefault(c.name, []).append((sp.start, sp.stop, c, source))
                result.units.setdefault(c.name, c.unit)
                if c.name in pieces and c.name not in result.file_columns:
                    result.file_columns.append(c.name)
                if c.role == "values" and c.group:
                    errs = next((e.name for e in layout if e.role == "errors" and e.group == c.group), None)
                    result.groups.setdefault(c.group, (c.name, errs))
            continue
        for group in sp.groups:  # data without a layout: export names of the processing groups, float64
            col = mapping.export_name(group)
            errors = lcs.errors.get(group)
            has_err = errors is not None and (any(c.group == group and c.has_errors for c in mapping.ALL_COLUMNS)
                                              or not bool(np.isnan(errors[window]).all()))
            if group in lcs.values and keep(col):
                pieces.setdefault(col, []).append((sp.start, sp.stop, None, lcs.values[group].astype(np.float64)))
            if has_err and errors is not None and keep(f"{col}_err"):
                pieces.setdefault(f"{col}_err", []).append((sp.start, sp.stop, None, errors.astype(np.float64)))
            result.groups.setdefault(group, (col, f"{col}_err" if has_err else None))
        for flag_type in sp.flag_types:
            if flag_type != mapping.QUALITY_FLAG and keep(_flag_column(flag_type)):
                pieces.setdefault(_flag_column(flag_type), []).append((sp.start, sp.stop, None, lcs.flags[flag_type]))
    for name, parts in pieces.items():
        cols[name] = _column(parts, n)
    if keep("flux") or keep("flux_err"):
        value, error, used = result.flux_from_groups(flux, lcs)
        result.flux_groups, result.flux_arrays = used, (value, error)
        for name, flux_column in (("flux", value), ("flux_err", error)):
            if keep(name) and name not in cols:  # a file's own column of that name (eleanor's FLUX_ERR) wins
                cols[name] = flux_column
    return result


def _column(parts: list[tuple[int, int, _Column | None, NDArray[Any]]], n: int) -> NDArray[Any]:
    """One named column from its spans' pieces (each the assembled source, windowed here): the source itself when
    one array covers every row at the column's dtype, else the pieces joined (masked where a file lacks an integer
    or text column: no made-up value)."""
    dtypes = [np.dtype(c.dtype) if c is not None else p.dtype for _, _, c, p in parts]
    dtype = np.result_type(*dtypes)
    sources = {id(p) for _, _, _, p in parts}
    covered = sum(hi - lo for lo, hi, _, _ in parts)
    text = any(c is not None and c.role == "text" for _, _, c, _ in parts)
    if (not text and len(sources) == 1 and covered == n and parts[0][3].shape[0] == n and parts[0][3].dtype == dtype
            and all(c is None or not c.offset for _, _, c, _ in parts)):
        return parts[0][3]
    if covered < n and dtype.kind in "iuS":
        out: NDArray[Any] = np.ma.masked_all(n, dtype=dtype)  # type: ignore[no-untyped-call]
    else:
        out = np.full(n, np.nan if dtype.kind == "f" else b"" if dtype.kind == "S" else 0, dtype=dtype)
    for lo, hi, c, source in parts:
        piece = source if c is not None and c.role == "text" else source[lo:hi]
        if c is not None and c.offset:
            piece = piece + c.offset  # exact: checked at ingest
        out[lo:hi] = piece.astype(dtype, copy=False)
    return out


def _text_columns(conn: psycopg.Connection[Any], plan: dict[tuple[int, int | None], tuple[Any, list[_Column]]],
                  names: list[str] | None) -> dict[tuple[int, str], NDArray[Any]]:
    """The text columns (CDIPS's IRQ letters) of the chosen releases that are asked for, by (release, name): the
    one read beyond the arrays, made only where a layout has one."""
    from lightcurvedb.queries import releases
    ids = [r for (_, r), (_, layout) in plan.items() if r is not None
           and any(c.role == "text" and (names is None or c.name in names) for c in layout)]
    if not ids:
        return {}
    out = {}
    for c in releases.list_release_columns(conn, release_ids=np.array(sorted(ids), dtype=np.int64)):
        if c.role == "text" and (names is None or c.name.lower() in names):
            out[(c.release_id, c.name.lower())] = np.array([v.encode("latin-1") for v in c.text_values or ()], c.dtype)
    return out
