"""Target positions in: a file header's RA_OBJ/DEC_OBJ (newest TIC version kept) and target lists (CSV, FITS…)."""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import astropy.units as u
import numpy as np
import psycopg
from astropy.coordinates import angular_separation

from lightcurvedb.queries import sky as queries
from lightcurvedb.queries import targets
from lightcurvedb.sky.angles import tidy
from lightcurvedb.sky.healpix import healpix_cells
from lightcurvedb.sky.target_list import read_target_list

_HEADER_FLOATS = ("PMRA", "PMDEC", "EQUINOX", "TESSMAG", "TEFF", "LOGG", "RADIUS")
_DISAGREE_ARCSEC = 1e-3  # positions closer than a milliarcsecond, and parameters equal to 1e-6, agree


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
    ra, dec = tidy(ra % 360.0), tidy(dec)
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


@dataclass(frozen=True)
class LoadedPositions:
    """What `load_positions` did: rows read, targets created, positions set, and positions kept from files."""

    rows: int
    targets_created: int
    positions_set: int
    kept_from_files: int


def load_positions(conn: psycopg.Connection[Any], *, path: str | Path, catalog_id: uuid.UUID) -> LoadedPositions:
    """Load a target list (`read_target_list`: TIC, ra, dec[, Tmag, TICVER]) whose TICs are names in the catalog
    `catalog_id` (the TIC's: `lightcurvedb.tess.reference.ensure_reference(conn).catalog_id`).

    Unknown TICs become targets; each gets the listed position unless it has one from an ingested file (kept,
    and counted). A table with a bad row is refused whole with InvalidSkyInput naming the row; nothing is written.
    The caller owns the transaction.
    """
    listed = read_target_list(path)
    tics, ras, decs = listed.tics, listed.ras, listed.decs
    rows = targets.get_or_create_targets(conn, catalog_id=catalog_id, names=tics)
    raced = np.setdiff1d(tics, np.array([r.name for r in rows], dtype=np.int64))
    if raced.size:  # numbers a concurrent writer inserted meanwhile
        rows += targets.get_or_create_targets(conn, catalog_id=catalog_id, names=raced)
    id_of = {r.name: r.id for r in rows}
    set_count = queries.upsert_listed_positions(
        conn, source=str(listed.file.resolve()), target_ids=np.array([id_of[int(t)] for t in tics], dtype=np.int64),
        ras=ras, decs=decs, healpixes=healpix_cells(ras, decs), tessmags=listed.tmags, ticvers=listed.ticvers)
    return LoadedPositions(len(tics), sum(r.created for r in rows), set_count, len(tics) - set_count)
