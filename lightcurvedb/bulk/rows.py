"""Small frozen record types the bulk writers accept and the streaming readers yield (NumPy array fields)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True, slots=True)
class Dataset:
    """A lightcurve to write: one (processing group, target, observation) and its value/error arrays."""

    processing_group_id: int
    target_id: int
    observation_id: int
    values: NDArray[np.floating]
    errors: NDArray[np.floating]


@dataclass(frozen=True, slots=True)
class DatasetRow:
    """A stored lightcurve as read back: its id, natural key and float64 arrays."""

    id: int
    processing_group_id: int
    target_id: int
    observation_id: int
    values: NDArray[np.float64]
    errors: NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class TargetTime:
    """Barycentric times (mission time system, e.g. BTJD) of one target in one observation."""

    target_id: int
    observation_id: int
    barycentric_julian_dates: NDArray[np.floating]


@dataclass(frozen=True, slots=True)
class QualityFlags:
    """A quality bitmask per cadence; `target_id` None means observation-wide flags."""

    observation_id: int
    quality_flags: NDArray[np.integer]
    target_id: int | None = None
    type: str = "base_quality_flag"


@dataclass(frozen=True, slots=True)
class FitsFrame:
    """FITS header facts of one frame; TESS frames (type 'tess_fits_frame') carry camera/ccd/timing too."""

    observation_id: int
    cadence: int
    bitpix: int
    naxis: int
    naxis_values: tuple[int, ...] = ()
    type: str = "base_fits_frame"
    simple: bool = True
    extended: bool = False
    bscale: float = 1.0
    bzero: float = 0.0
    file_path: str | None = None
    camera: int | None = None
    ccd: int | None = None
    start_tjd: float | None = None
    mid_tjd: float | None = None
    end_tjd: float | None = None
    exposure_time: float | None = None
    quality_bit: int | None = None
