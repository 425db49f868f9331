"""The sky: target positions (HEALPix-indexed, no extension), cone searches, neighbours and TESS sector coverage.

The public names below are imported on first use (astropy, cdshealpix, tess-point), so that registering the
`lcdb` sky commands (`lightcurvedb.sky.commands`) stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lightcurvedb import _lazy

if TYPE_CHECKING:
    from lightcurvedb.sky.angles import radius_degrees
    from lightcurvedb.sky.healpix import HEALPIX_ORDER, cone_ranges, healpix_cells
    from lightcurvedb.sky.positions import LoadedPositions, load_positions, record_header_position
    from lightcurvedb.sky.search import TIC, cone_search, neighbours, position_of
    from lightcurvedb.sky.sectors import Coverage, SectorCoverage, coverage

__all__ = [
    "HEALPIX_ORDER",
    "TIC",
    "Coverage",
    "LoadedPositions",
    "SectorCoverage",
    "cone_ranges",
    "cone_search",
    "coverage",
    "healpix_cells",
    "load_positions",
    "neighbours",
    "position_of",
    "radius_degrees",
    "record_header_position",
]

_LAZY = {
    "radius_degrees": "lightcurvedb.sky.angles",
    "Coverage": "lightcurvedb.sky.sectors",
    "SectorCoverage": "lightcurvedb.sky.sectors",
    "coverage": "lightcurvedb.sky.sectors",
    "HEALPIX_ORDER": "lightcurvedb.sky.healpix",
    "cone_ranges": "lightcurvedb.sky.healpix",
    "healpix_cells": "lightcurvedb.sky.healpix",
    "LoadedPositions": "lightcurvedb.sky.positions",
    "load_positions": "lightcurvedb.sky.positions",
    "record_header_position": "lightcurvedb.sky.positions",
    "TIC": "lightcurvedb.sky.search",
    "cone_search": "lightcurvedb.sky.search",
    "neighbours": "lightcurvedb.sky.search",
    "position_of": "lightcurvedb.sky.search",
}

if not TYPE_CHECKING:  # mypy sees the imports above; at run time the names are imported on first access
    __getattr__, __dir__ = _lazy.attributes(__name__, _LAZY, globals())
