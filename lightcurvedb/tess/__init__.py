"""TESS lightcurve files: FITS readers, the mapping onto the schema, ingest, export, plots and a synthetic sample.

The public names below are imported on first use (the FITS reader pulls in astropy.io.fits, ingest the sky
indexing), so that importing a light submodule such as `lightcurvedb.tess.commands` stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lightcurvedb import _lazy

if TYPE_CHECKING:
    from lightcurvedb.tess.fits_reader import ColumnData, LightcurveFile, read_lightcurve
    from lightcurvedb.tess.ingest import IngestResult, IngestSummary, ingest_file, ingest_paths, iter_ingest
    from lightcurvedb.tess.lightkurve_collection import to_lightkurve

__all__ = [
    "ColumnData",
    "IngestResult",
    "IngestSummary",
    "LightcurveFile",
    "ingest_file",
    "ingest_paths",
    "iter_ingest",
    "read_lightcurve",
    "to_lightkurve",
]

_LAZY = {
    "ColumnData": "lightcurvedb.tess.fits_reader",
    "LightcurveFile": "lightcurvedb.tess.fits_reader",
    "read_lightcurve": "lightcurvedb.tess.fits_reader",
    "IngestResult": "lightcurvedb.tess.ingest",
    "IngestSummary": "lightcurvedb.tess.ingest",
    "ingest_file": "lightcurvedb.tess.ingest",
    "ingest_paths": "lightcurvedb.tess.ingest",
    "iter_ingest": "lightcurvedb.tess.ingest",
    "to_lightkurve": "lightcurvedb.tess.lightkurve_collection",
}

if not TYPE_CHECKING:  # mypy sees the imports above; at run time the names are imported on first access
    __getattr__, __dir__ = _lazy.attributes(__name__, _LAZY, globals())
