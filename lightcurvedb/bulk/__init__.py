"""Bulk ingest (binary COPY, merged on natural keys) and streaming reads of the big per-observation tables."""

from lightcurvedb.bulk._engine import MODES, Mode, WriteResult, backoff
from lightcurvedb.bulk.parallel import ingest_datasets_parallel_committing, ingest_parallel_committing
from lightcurvedb.bulk.readers import (
    iter_datasets,
    iter_datasets_of_group,
    iter_datasets_of_observation,
    iter_datasets_of_targets,
    iter_table,
)
from lightcurvedb.bulk.rows import Dataset, DatasetRow, FitsFrame, QualityFlags, TargetTime
from lightcurvedb.bulk.writers import (
    DEFAULT_BATCH_SIZE,
    ingest_datasets_committing,
    ingest_fits_frames_committing,
    ingest_quality_flags_committing,
    ingest_rows_committing,
    ingest_target_times_committing,
    write_datasets,
    write_fits_frames,
    write_quality_flags,
    write_rows,
    write_target_times,
)

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "MODES",
    "Dataset",
    "DatasetRow",
    "FitsFrame",
    "Mode",
    "QualityFlags",
    "TargetTime",
    "WriteResult",
    "backoff",
    "ingest_datasets_committing",
    "ingest_datasets_parallel_committing",
    "ingest_fits_frames_committing",
    "ingest_parallel_committing",
    "ingest_quality_flags_committing",
    "ingest_rows_committing",
    "ingest_target_times_committing",
    "iter_datasets",
    "iter_datasets_of_group",
    "iter_datasets_of_observation",
    "iter_datasets_of_targets",
    "iter_table",
    "write_datasets",
    "write_fits_frames",
    "write_quality_flags",
    "write_rows",
    "write_target_times",
]
