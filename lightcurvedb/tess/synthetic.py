"""A small synthetic TESS-like sample written as SPOC-layout lightcurve FITS files (for `lcdb demo` and tests)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from astropy.io import fits
from numpy.typing import NDArray

CADENCE_DAYS = 10.0 / 1440.0
"""10-minute cadence (real SPOC target files use 2 min; 10 min keeps the sample small: ~3,900 rows per sector)."""
SECTOR_DAYS = 27.0
_FIRST_BTJD = 1325.3


@dataclass(frozen=True)
class SyntheticTarget:
    """One synthetic star: TIC id, where it falls, magnitude and an optional transiting planet."""

    tic_id: int
    sectors: tuple[int, ...]
    camera: int
    ccd: int
    flux: float
    period: float | None = None
    depth: float = 0.0
    duration: float = 0.1
    epoch: float = 0.0
    ra: float = 0.0
    dec: float = 0.0


SAMPLE: tuple[SyntheticTarget, ...] = (
    SyntheticTarget(900000001, (10, 11, 12), 1, 2, 12000.0, period=3.1415, depth=0.01, duration=0.15,
                    epoch=1461.0, ra=150.1, dec=-40.2),
    SyntheticTarget(900000002, (10, 11), 1, 2, 5000.0, ra=150.3, dec=-40.5),
    SyntheticTarget(900000003, (11,), 3, 4, 800.0, period=1.234, depth=0.03, duration=0.06, epoch=1489.0,
                    ra=120.0, dec=-60.0),
)
"""Three targets: a transiting star in three sectors, a quiet neighbour on the same CCD (so the two share
observations), and a fainter star with a deeper, shorter transit elsewhere."""


def sector_grid(sector: int) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """CADENCENO and nominal BTJD mid-times of a sector's grid (shared by every target on that grid)."""
    per_sector = round(SECTOR_DAYS / CADENCE_DAYS)
    cadences = np.arange(per_sector, dtype=np.int64) + 1000 + (sector - 1) * (per_sector + 200)
    start = _FIRST_BTJD + (sector - 1) * (SECTOR_DAYS + 0.4)
    return cadences, (start + np.arange(per_sector) * CADENCE_DAYS).astype(np.float64)


def _transit(t: NDArray[np.float64], target: SyntheticTarget) -> NDArray[np.float64]:
    if target.period is None:
        return np.ones_like(t)
    phase = (t - target.epoch + 0.5 * target.period) % target.period - 0.5 * target.period
    x = np.abs(phase) / (0.5 * target.duration)
    shape = np.clip(1.0 - x, 0.0, 0.25) / 0.25  # trapezoid: flat bottom, linear ingress/egress
    return 1.0 - target.depth * shape


def _columns(target: SyntheticTarget, sector: int, rng: np.random.Generator) -> list[fits.Column]:
    cadences, nominal = sector_grid(sector)
    n = cadences.size
    timecorr = (0.002 * np.sin(np.radians(target.ra)) + 1e-5 * np.arange(n) / n).astype(np.float32)
    time = nominal + timecorr.astype(np.float64)
    quality = np.zeros(n, dtype=np.int32)
    gap = (nominal > nominal[0] + 13.0) & (nominal < nominal[0] + 14.0)  # mid-sector downlink
    time[gap] = np.nan
    quality[gap] = 1024 | 2048
    quality[rng.choice(n, size=max(1, n // 150), replace=False)] |= 128  # manual excludes
    quality[rng.choice(n, size=max(1, n // 300), replace=False)] |= 32  # reaction wheel desaturation
    model = _transit(nominal, target)
    trend = 1.0 + 0.004 * np.sin(2 * np.pi * (nominal - nominal[0]) / 9.0)
    noise = rng.normal(0.0, 0.2 / np.sqrt(target.flux), n)
    sap = (target.flux * model * trend * (1 + noise)).astype(np.float32)
    sap_err = np.full(n, np.sqrt(target.flux), dtype=np.float32)
    pdc = (target.flux * model * (1 + noise)).astype(np.float32)
    pdc_err = (sap_err * 1.05).astype(np.float32)
    bkg = (50 + 5 * rng.standard_normal(n)).astype(np.float32)
    bkg_err = np.full(n, 2.0, dtype=np.float32)
    for arr in (sap, sap_err, pdc, pdc_err, bkg, bkg_err):
        arr[gap] = np.nan
    pdc[(quality & 128) != 0] = np.nan
    col0, row0 = 500.0 + target.ra, 800.0 + target.dec
    jitter = 0.01 * rng.standard_normal((6, n))
    c = fits.Column
    return [
        c("TIME", "D", "BJD - 2457000, days", array=time), c("TIMECORR", "E", "d", array=timecorr),
        c("CADENCENO", "J", array=cadences.astype(np.int32)),
        c("SAP_FLUX", "E", "e-/s", array=sap), c("SAP_FLUX_ERR", "E", "e-/s", array=sap_err),
        c("SAP_BKG", "E", "e-/s", array=bkg), c("SAP_BKG_ERR", "E", "e-/s", array=bkg_err),
        c("PDCSAP_FLUX", "E", "e-/s", array=pdc), c("PDCSAP_FLUX_ERR", "E", "e-/s", array=pdc_err),
        c("QUALITY", "J", array=quality),
        c("PSF_CENTR1", "D", "pixel", array=np.full(n, np.nan)),
        c("PSF_CENTR1_ERR", "E", "pixel", array=np.full(n, np.nan, dtype=np.float32)),
        c("PSF_CENTR2", "D", "pixel", array=np.full(n, np.nan)),
        c("PSF_CENTR2_ERR", "E", "pixel", array=np.full(n, np.nan, dtype=np.float32)),
        c("MOM_CENTR1", "D", "pixel", array=col0 + jitter[0]),
        c("MOM_CENTR1_ERR", "E", "pixel", array=np.abs(jitter[1]).astype(np.float32)),
        c("MOM_CENTR2", "D", "pixel", array=row0 + jitter[2]),
        c("MOM_CENTR2_ERR", "E", "pixel", array=np.abs(jitter[3]).astype(np.float32)),
        c("POS_CORR1", "E", "pixels", array=jitter[4].astype(np.float32)),
        c("POS_CORR2", "E", "pixels", array=jitter[5].astype(np.float32)),
    ]


def write_file(target: SyntheticTarget, sector: int, out_dir: Path, rng: np.random.Generator) -> Path:
    """Write one SPOC-layout `*_s_lc.fits` file for `target` in `sector`."""
    primary = fits.PrimaryHDU()
    p = primary.header
    for key, value in (("ORIGIN", "lightcurvedb synthetic"), ("TELESCOP", "TESS"), ("INSTRUME", "TESS Photometer"),
                       ("OBJECT", f"TIC {target.tic_id}"), ("TICID", target.tic_id), ("SECTOR", sector),
                       ("CAMERA", target.camera), ("CCD", target.ccd), ("RA_OBJ", target.ra),
                       ("DEC_OBJ", target.dec), ("TESSMAG", round(20.0 - 2.5 * np.log10(target.flux), 3)),
                       ("PROCVER", "synthetic"), ("DATA_REL", 0)):
        p[key] = value
    table = fits.BinTableHDU.from_columns(_columns(target, sector, rng), name="LIGHTCURVE")
    h = table.header
    time = np.asarray(table.data["TIME"])
    for key, value in (("TIMEREF", "SOLARSYSTEM"), ("TASSIGN", "SPACECRAFT"), ("TIMESYS", "TDB"),
                       ("BJDREFI", 2457000), ("BJDREFF", 0.0), ("TIMEUNIT", "d"), ("TIMEDEL", CADENCE_DAYS),
                       ("TSTART", float(np.nanmin(time))), ("TSTOP", float(np.nanmax(time))),
                       ("PDCMETHD", "synthetic")):
        h[key] = value
    aperture = fits.ImageHDU(np.ones((11, 11), dtype=np.int32), name="APERTURE")
    path = out_dir / file_name(target, sector)
    fits.HDUList([primary, table, aperture]).writeto(path, overwrite=True)
    return path


def file_name(target: SyntheticTarget, sector: int) -> str:
    """The SPOC-style file name of a synthetic target's sector."""
    return f"tess2020000000000-s{sector:04d}-{target.tic_id:016d}-0000-s_lc.fits"


def sample_paths(out_dir: str | Path, sample: tuple[SyntheticTarget, ...] = SAMPLE) -> list[Path]:
    """The files `write_sample` writes into `out_dir`."""
    return [Path(out_dir) / file_name(t, s) for t in sample for s in t.sectors]


def write_sample(out_dir: str | Path, *, seed: int = 20180725,
                 sample: tuple[SyntheticTarget, ...] = SAMPLE) -> list[Path]:
    """Write the synthetic sample into `out_dir` (created); returns the files, deterministic for a seed."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    return [write_file(t, s, out, rng) for t in sample for s in t.sectors]
