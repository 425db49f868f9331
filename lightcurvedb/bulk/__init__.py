"""Bulk ingest (binary COPY, merged on natural keys) and streaming reads of the big per-observation tables."""

from lightcurvedb.bulk._engine import Mode, WriteResult
from lightcurvedb.bulk.readers import DatasetStream, iter_datasets
from lightcurvedb.bulk.writers import write, write_with_ids

__all__ = ["DatasetStream", "Mode", "WriteResult", "iter_datasets", "write", "write_with_ids"]
