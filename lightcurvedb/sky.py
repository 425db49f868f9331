"""The sky: target positions (HEALPix-indexed, no extension), cone searches, neighbours and TESS sector coverage."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import astropy.units as u
import cdshealpix.nested as healpix
import numpy as np
import psycopg
from astropy.coordinates import Latitude, Longitude, angular_separation
from numpy.typing import NDArray

from lightcurvedb.errors import InvalidSkyInput, MissingDependency, NotFound
from lightcurvedb.queries import sky as queries
from lightcurvedb.records.sky import ConeSearchRow

HEALPIX_ORDER = 29
"""Order (depth) of target_position.healpix: nested cells of ~0.4 milliarcsec, the finest a bigint holds."""
TIC = "TIC"
_CELLS = 12 << (2 * HEALPIX_ORDER)
_BASE_CELL_DEG = 58.6  # the side of an order-0 HEALPix cell, roughly
_DEPTH_DELTA = 2  # cdshealpix's cone coverage is computed this much deeper than the cells it returns
_HEADER_FLOATS = ("PMRA", "PMDEC", "EQUINOX", "TESSMAG", "TEFF", "LOGG", "RADIUS")
_TINY_DEG = 1e-12
_DISAGREE_ARCSEC = 1e-3  # positions closer than a milliarcsecond, and parameters equal to 1e-6, agree


# --- input ------------------------------------------------------------------------------------------------------

def _position(ra: Any, dec: Any) -> tuple[float, float]:
    """(ra in [0, 360), dec) in degrees, or InvalidSkyInput naming the bad coordinate."""
    try:
        ra_f, dec_f = float(ra), float(dec)
    except (TypeError, ValueError):
        raise InvalidSkyInput(f"ra and dec must be numbers of degrees, got ra={ra!r}, dec={dec!r}") from None
    if not (math.isfinite(ra_f) and math.isfinite(dec_f)):
        raise InvalidSkyInput(f"ra and dec must be finite, got ra={ra_f}, dec={dec_f}")
    if not -90.0 <= dec_f <= 90.0:
        raise InvalidSkyInput(f"dec must be within [-90, 90] degrees, got {dec_f}")
    if not 0.0 <= ra_f < 360.0:
        raise InvalidSkyInput(f"ra must be within [0, 360) degrees, got {ra_f}")
    return _tidy(ra_f), _tidy(dec_f)


def _tidy(degrees: float) -> float:
    """Zero for |x| < 1e-12 deg (4 nano-arcsec): PostgreSQL refuses a float8 result that underflows to zero,
    which radians() and sin() of a subnormal angle would be."""
    return 0.0 if abs(degrees) < _TINY_DEG else degrees


def radius_degrees(radius: Any) -> float:
    """A search radius in degrees: an astropy angle Quantity, or a number of arcseconds; InvalidSkyInput if it is
    negative, not finite, or over 180 degrees."""
    if isinstance(radius, u.Quantity):
        try:
            value = float(radius.to_value(u.deg))
        except (u.UnitsError, TypeError, ValueError):
            raise InvalidSkyInput(f"radius must be an angle, got {radius!r}") from None
    else:
        try:
            value = float(radius) / 3600.0
        except (TypeError, ValueError):
            raise InvalidSkyInput(f"radius must be an angle or a number of arcseconds, got {radius!r}") from None
    if not math.isfinite(value) or value < 0:
        raise InvalidSkyInput(f"radius must be finite and not negative, got {radius!r}")
    if value > 180.0:
        raise InvalidSkyInput(f"radius must be at most 180 degrees, got {value} deg")
    return value


# --- HEALPix ----------------------------------------------------------------------------------------------------

def healpix_cells(ra: Any, dec: Any) -> NDArray[np.int64]:
    """The order-29 nested HEALPix cells of positions in degrees (cdshealpix)."""
    cells = healpix.lonlat_to_healpix(Longitude(np.atleast_1d(np.asarray(ra, dtype=np.float64)) * u.deg),
                                      Latitude(np.atleast_1d(np.asarray(dec, dtype=np.float64)) * u.deg),
                                      HEALPIX_ORDER)
    return np.asarray(cells, dtype=np.int64)


def cone_ranges(ra: float, dec: float, radius_deg: float) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Order-29 cell ranges [lo, hi) covering the cone, merged: cdshealpix's coverage at the depth whose cells
    are about the radius (a few dozen cells), each cell widened to its order-29 descendants."""
    if radius_deg >= 90.0:  # a hemisphere or more: every cell (the separation test does the work)
        return np.zeros(1, np.int64), np.full(1, _CELLS, np.int64)
    finest = HEALPIX_ORDER - _DEPTH_DELTA  # cdshealpix computes at depth + delta, at most 29
    depth = int(min(finest, max(0, math.floor(math.log2(_BASE_CELL_DEG / max(radius_deg, 1e-9))))))
    ipix, depths, _ = healpix.cone_search(Longitude(ra * u.deg), Latitude(dec * u.deg),
                                          max(radius_deg, 1e-9) * u.deg, depth=depth,
                                          depth_delta=_DEPTH_DELTA)
    shift = 2 * (HEALPIX_ORDER - depths.astype(np.int64))
    lo = ipix.astype(np.int64) << shift
    hi = (ipix.astype(np.int64) + 1) << shift
    order = np.argsort(lo)
    lo, hi = lo[order], hi[order]
    start = np.ones(lo.size, dtype=bool)
    start[1:] = lo[1:] > np.maximum.accumulate(hi)[:-1]  # a range touching or overlapping the previous one joins it
    groups = np.cumsum(start) - 1
    merged_hi = np.zeros(int(groups[-1]) + 1, np.int64)
    np.maximum.at(merged_hi, groups, hi)
    return lo[start], merged_hi


# --- searches ---------------------------------------------------------------------------------------------------

def cone_search(conn: psycopg.Connection[Any], *, ra: Any, dec: Any, radius: Any, tmag_max: float | None = None,
                limit: int | None = None) -> list[ConeSearchRow]:
    """Targets within `radius` (an astropy angle, or arcseconds) of (ra, dec) in degrees, nearest first: TIC,
    position, separation in arcsec, Tmag, and the sectors and products the database holds for each."""
    ra_f, dec_f = _position(ra, dec)
    return _search(conn, ra_f, dec_f, radius_degrees(radius), tmag_max, limit, None)


def neighbours(conn: psycopg.Connection[Any], *, tic: int, radius: Any, tmag_max: float | None = None,
               limit: int | None = None) -> list[ConeSearchRow]:
    """The other targets within `radius` of TIC `tic`'s stored position, nearest first (as `cone_search`)."""
    target_id, ra, dec = position_of(conn, tic=tic)
    return _search(conn, ra, dec, radius_degrees(radius), tmag_max, limit, target_id)


def _search(conn: psycopg.Connection[Any], ra: float, dec: float, radius_deg: float, tmag_max: float | None,
            limit: int | None, exclude: int | None) -> list[ConeSearchRow]:
    if limit is not None and limit < 1:
        raise InvalidSkyInput(f"limit must be at least 1, got {limit}")
    if tmag_max is not None and not math.isfinite(float(tmag_max)):
        raise InvalidSkyInput(f"tmag_max must be finite, got {tmag_max}")
    lo, hi = cone_ranges(ra, dec, radius_deg)
    return queries.cone_search(conn, lo=lo, hi=hi, ra=ra, dec=dec, radius=radius_deg, tmag_max=tmag_max,
                               exclude_target_id=exclude, limit=limit)


def position_of(conn: psycopg.Connection[Any], *, tic: int) -> tuple[int, float, float]:
    """(target id, ra, dec) of TIC `tic`; NotFound when the TIC is unknown or has no stored position."""
    found = queries.find_position_by_name(conn, catalog_name=TIC, name=int(tic))
    if found is None:
        raise NotFound(f"TIC {tic} is not in the database")
    if found.ra is None or found.dec is None:
        raise NotFound(f"TIC {tic} has no stored position (ingest one of its files, or load a target list with "
                       "`lcdb positions FILE`)")
    return found.target_id, found.ra, found.dec


# --- coverage -----------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SectorCoverage:
    """One sector, camera and CCD on which a position falls, and the products (with release numbers) held there."""

    sector: int
    camera: int
    ccd: int
    held: dict[str, list[int]] = field(default_factory=dict)  # product -> release numbers (0: no release)


@dataclass(frozen=True)
class Coverage:
    """Where TESS looked (or will look) at a position, per tess-point, and what the database holds there."""

    ra: float
    dec: float
    tic: int | None
    sectors: list[SectorCoverage]
    held_elsewhere: dict[int, dict[str, list[int]]]  # held sectors tess-point does not place the position on

    @property
    def observed(self) -> list[int]:
        """The sectors that observed (or will observe) the position."""
        return sorted({s.sector for s in self.sectors})

    @property
    def held_sectors(self) -> list[int]:
        """The sectors with data held for the target."""
        return sorted({s.sector for s in self.sectors if s.held} | set(self.held_elsewhere))


def _pointing(ra: float, dec: float) -> list[tuple[int, int, int]]:
    try:
        from tess_stars2px import tess_stars2px_function_entry
    except ImportError as exc:
        raise MissingDependency("sector coverage needs tess-point: pip install 'lightcurvedb[sky]'") from exc
    found = tess_stars2px_function_entry(np.array([0]), np.array([ra]), np.array([dec]))
    sectors, cameras, ccds = found[3], found[4], found[5]
    return sorted({(int(s), int(c), int(d)) for s, c, d in zip(sectors, cameras, ccds, strict=True) if s > 0})


def coverage(conn: psycopg.Connection[Any], *, tic: int | None = None, ra: Any = None,
             dec: Any = None) -> Coverage:
    """The TESS sectors, cameras and CCDs whose fields hold TIC `tic`'s stored position (or (ra, dec)), from
    tess-point, and for each the products and releases the database holds (for the TIC; for a bare position,
    for the target stored nearest it within 2 arcsec, if any)."""
    target_id: int | None
    if tic is not None:
        if ra is not None or dec is not None:
            raise InvalidSkyInput("give a TIC or a position (ra, dec), not both")
        target_id, ra_f, dec_f = position_of(conn, tic=tic)
    else:
        if ra is None or dec is None:
            raise InvalidSkyInput("give a TIC or both ra and dec")
        ra_f, dec_f = _position(ra, dec)
        near = _search(conn, ra_f, dec_f, 2.0 / 3600.0, None, 1, None)
        target_id, tic = (near[0].target_id, near[0].tic) if near else (None, None)
    held: dict[int, dict[str, list[int]]] = {}
    if target_id is not None:
        for row in queries.held_in_sectors(conn, target_id=target_id):
            held.setdefault(row.sector, {}).setdefault(row.product or "(no release)", []).append(
                row.release_number or 0)
    sectors = [SectorCoverage(s, c, d, held.get(s, {})) for s, c, d in _pointing(ra_f, dec_f)]
    seen = {s.sector for s in sectors}
    return Coverage(ra_f, dec_f, tic, sectors, {s: h for s, h in held.items() if s not in seen})


# --- positions in -------------------------------------------------------------------------------------------------

def _header_float(header: Mapping[str, Any], key: str) -> float | None:
    value = header.get(key)
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _version(ticver: str | None) -> tuple[int, ...]:
    """A TIC version for ordering: '8.2' → (8, 2); none or unreadable sorts first."""
    if ticver is None:
        return ()
    try:
        return tuple(int(p) for p in str(ticver).strip().split("."))
    except ValueError:
        return ()


def _separation_arcsec(ra1: float, dec1: float, ra2: float, dec2: float) -> float:
    return float(angular_separation(ra1 * u.deg, dec1 * u.deg, ra2 * u.deg, dec2 * u.deg).to_value(u.arcsec))


def record_header_position(conn: psycopg.Connection[Any], *, target_id: int, header: Mapping[str, Any],
                           ingested_file_id: int | None, source: str) -> str:
    """Keep a file's RA_OBJ/DEC_OBJ (and PMRA, PMDEC, EQUINOX, TESSMAG, TEFF, LOGG, RADIUS, TICVER) for the target.

    Where the target already has values that differ, the newest TIC version's are kept (the newer file's on a
    tie) and the other set is recorded in target_position_disagreement. Returns what happened: "none" (the header
    has no position), "set", "same", "kept" or "replaced". The caller owns the transaction (the ingest holds the
    target's advisory lock).
    """
    ra, dec = _header_float(header, "RA_OBJ"), _header_float(header, "DEC_OBJ")
    if ra is None or dec is None or not -90.0 <= dec <= 90.0:
        return "none"
    ra, dec = _tidy(ra % 360.0), _tidy(dec)
    values = {k.lower(): _header_float(header, k) for k in _HEADER_FLOATS}
    ticver = None if header.get("TICVER") is None else str(header["TICVER"]).strip()
    old = queries.get_position_of_target(conn, target_id=target_id)
    if old is not None:
        sep = _separation_arcsec(old.ra, old.dec, ra, dec)
        same = sep <= _DISAGREE_ARCSEC and all(
            (getattr(old, k) is None) == (v is None) and (v is None or math.isclose(getattr(old, k), v,
                                                                                      rel_tol=1e-6, abs_tol=1e-9))
            for k, v in values.items()) and old.ticver == ticver
        if same:
            return "same"
        newer = _version(ticver) >= _version(old.ticver)
        loser_ra, loser_dec, loser_tmag, loser_ver = (old.ra, old.dec, old.tessmag, old.ticver) if newer else (
            ra, dec, values["tessmag"], ticver)
        queries.create_position_disagreement(
            conn, target_id=target_id, ingested_file_id=old.ingested_file_id if newer else ingested_file_id,
            source=old.source if newer else source, ticver=loser_ver, ra=loser_ra, dec=loser_dec,
            tessmag=loser_tmag, kept_source=source if newer else old.source,
            kept_ticver=ticver if newer else old.ticver, separation_arcsec=sep)
        if not newer:
            return "kept"
    queries.upsert_target_position(conn, target_id=target_id, ra=ra, dec=dec, healpix=int(healpix_cells(ra, dec)[0]),
                                   ticver=ticver, ingested_file_id=ingested_file_id, source=source, **values)
    return "set" if old is None else "replaced"


_COLUMN_NAMES = {
    "tic": ("tic", "ticid", "tic_id", "id", "target"),
    "ra": ("ra", "ra_obj", "raj2000", "ra_deg"),
    "dec": ("dec", "dec_obj", "dej2000", "decj2000", "dec_deg"),
    "tessmag": ("tmag", "tessmag", "tess_mag"),
    "ticver": ("ticver", "tic_version"),
}


@dataclass(frozen=True)
class LoadedPositions:
    """What `load_positions` did: rows read, targets created, positions set, and positions kept from files."""

    rows: int
    targets_created: int
    positions_set: int
    kept_from_files: int


def load_positions(conn: psycopg.Connection[Any], *, path: str | Path) -> LoadedPositions:
    """Load a target list (any table astropy reads: CSV, ECSV, FITS, VOTable…) with columns TIC, ra, dec in
    degrees and optionally Tmag and TICVER (names matched case-insensitively, e.g. ID/RA_OBJ/DEC_OBJ/TESSMAG).

    Unknown TICs become targets; each gets the listed position unless it has one from an ingested file (kept,
    and counted). A table with a bad row (missing or non-numeric value, dec outside ±90, a repeated TIC) is
    refused whole with InvalidSkyInput naming the row; nothing is written. The caller owns the transaction.
    """
    from astropy.table import Table

    from lightcurvedb.queries import targets
    from lightcurvedb.tess.ingest import ensure_reference  # the TESS mission and TIC catalog, created if missing

    file = Path(path)
    if not file.is_file():
        raise InvalidSkyInput(f"{file}: cannot read a target list: " + (
            "no such file" if not file.exists() else "a directory" if file.is_dir() else "not a regular file"))
    try:
        csv = file.suffix.lower() in (".csv", ".txt")
        table = Table.read(file, format="ascii.csv") if csv else Table.read(file)
    except Exception as exc:  # astropy's registry, parsers and readers raise many kinds for a non-table file
        raise InvalidSkyInput(f"{file}: cannot read a target list: {type(exc).__name__}: {exc}") from exc
    if not len(table):
        raise InvalidSkyInput(f"{file}: the target list has no rows")
    lower = {name.lower(): name for name in table.colnames}
    found: dict[str, str] = {}
    for key, names in _COLUMN_NAMES.items():
        name = next((lower[n] for n in names if n in lower), None)
        if name is not None:
            found[key] = name
    missing = [k for k in ("tic", "ra", "dec") if k not in found]
    if missing:
        raise InvalidSkyInput(f"{file}: no column for {', '.join(missing)} (columns: {', '.join(table.colnames)})")
    try:
        tics = np.asarray(np.ma.filled(table[found["tic"]], -1), dtype=np.int64)
        ras = np.asarray(np.ma.filled(table[found["ra"]].astype(float), np.nan), dtype=np.float64)
        decs = np.asarray(np.ma.filled(table[found["dec"]].astype(float), np.nan), dtype=np.float64)
        tmags = (np.asarray(np.ma.filled(table[found["tessmag"]].astype(float), np.nan), dtype=np.float64)
                 if "tessmag" in found else np.full(len(table), np.nan))
    except (TypeError, ValueError, OverflowError) as exc:
        raise InvalidSkyInput(f"{file}: a TIC, ra, dec or Tmag value is not a number that fits: {exc}") from exc
    ticvers = [str(v).strip() if "ticver" in found and not np.ma.is_masked(v) else ""
               for v in (table[found["ticver"]] if "ticver" in found else [None] * len(table))]
    bad = np.flatnonzero((tics <= 0) | ~np.isfinite(ras) | ~np.isfinite(decs) | (np.abs(decs) > 90)
                         | (ras < 0) | (ras >= 360))
    if bad.size:
        i = int(bad[0])
        raise InvalidSkyInput(f"{file}: row {i + 1}: TIC {tics[i]}, ra {ras[i]}, dec {decs[i]}: a positive TIC and a "
                              "finite position with ra within [0, 360) and dec within ±90 are needed")
    unique, counts = np.unique(tics, return_counts=True)
    if (counts > 1).any():
        raise InvalidSkyInput(f"{file}: TIC {int(unique[counts > 1][0])} is listed more than once")
    catalog_id = ensure_reference(conn).catalog_id
    rows = targets.get_or_create_targets(conn, catalog_id=catalog_id, names=tics)
    raced = np.setdiff1d(tics, np.array([r.name for r in rows], dtype=np.int64))
    if raced.size:  # numbers a concurrent writer inserted meanwhile
        rows += targets.get_or_create_targets(conn, catalog_id=catalog_id, names=raced)
    id_of = {r.name: r.id for r in rows}
    ras[np.abs(ras) < _TINY_DEG] = 0.0
    decs[np.abs(decs) < _TINY_DEG] = 0.0
    set_count = queries.upsert_listed_positions(
        conn, source=str(file.resolve()), target_ids=np.array([id_of[int(t)] for t in tics], dtype=np.int64),
        ras=ras, decs=decs, healpixes=healpix_cells(ras, decs), tessmags=tmags, ticvers=ticvers)
    return LoadedPositions(len(tics), sum(r.created for r in rows), set_count, len(tics) - set_count)
