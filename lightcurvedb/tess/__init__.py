"""TESS lightcurve files: FITS readers, the mapping onto the schema, ingest, export, plots and a synthetic sample."""

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
