"""HEALPix cells of target positions (order 29, nested, cdshealpix) and the cell ranges covering a cone."""

from __future__ import annotations

import math
from typing import Any

import astropy.units as u
import cdshealpix.nested as healpix
import numpy as np
from astropy.coordinates import Latitude, Longitude
from numpy.typing import NDArray

HEALPIX_ORDER = 29
"""Order (depth) of target_position.healpix: nested cells of ~0.4 milliarcsec, the finest a bigint holds."""
_CELLS = 12 << (2 * HEALPIX_ORDER)
_BASE_CELL_DEG = 58.6  # the side of an order-0 HEALPix cell, roughly
_DEPTH_DELTA = 2  # cdshealpix's cone coverage is computed this much deeper than the cells it returns


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

