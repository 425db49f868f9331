"""Cone searches and neighbours of the stored target positions, nearest first, and the stored position of a TIC."""

from __future__ import annotations

import math
from typing import Any

import psycopg

from lightcurvedb.errors import InvalidSkyInput, NotFound
from lightcurvedb.queries import sky as queries
from lightcurvedb.records.sky import ConeSearchRow
from lightcurvedb.sky.angles import position, radius_degrees
from lightcurvedb.sky.healpix import cone_ranges

TIC = "TIC"


def cone_search(conn: psycopg.Connection[Any], *, ra: Any, dec: Any, radius: Any, tmag_max: float | None = None,
                limit: int | None = None) -> list[ConeSearchRow]:
    """Targets within `radius` (an astropy angle, or arcseconds) of (ra, dec) in degrees, nearest first: TIC,
    position, separation in arcsec, Tmag, and the sectors and products the database holds for each."""
    ra_f, dec_f = position(ra, dec)
    return search(conn, ra_f, dec_f, radius_degrees(radius), tmag_max, limit, None)


def neighbours(conn: psycopg.Connection[Any], *, tic: int, radius: Any, tmag_max: float | None = None,
               limit: int | None = None) -> list[ConeSearchRow]:
    """The other targets within `radius` of TIC `tic`'s stored position, nearest first (as `cone_search`)."""
    target_id, ra, dec = position_of(conn, tic=tic)
    return search(conn, ra, dec, radius_degrees(radius), tmag_max, limit, target_id)


def search(conn: psycopg.Connection[Any], ra: float, dec: float, radius_deg: float, tmag_max: float | None,
           limit: int | None, exclude: int | None) -> list[ConeSearchRow]:
    """The targets within `radius_deg` of a checked (ra, dec), nearest first, without target `exclude`."""
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

