"""Small FITS files built from the documented layouts of products we have no real file for.

Built from ../shared/data/tess/README.md ("Documented layouts of products with no file here"), not from a real
file: QLP (ORIGIN 'MIT/QLP', KSPSAP/SAP columns, BJDREFI without BJDREFF, normalised fluxes) and SPOC 20-s
(the SPOC 2-min layout with TIMEDEL = 20 s, named *-a_fast-lc.fits).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from astropy.io import fits

ROWS = 50


def _primary(origin: str, tic: int, sector: int) -> fits.PrimaryHDU:
    primary = fits.PrimaryHDU()
    for key, value in (("ORIGIN", origin), ("TELESCOP", "TESS"), ("TICID", tic), ("OBJECT", f"TIC {tic}"),
                       ("SECTOR", sector), ("CAMERA", 1), ("CCD", 2), ("RA_OBJ", 10.0), ("DEC_OBJ", -20.0),
                       ("TESSMAG", 9.5)):
        primary.header[key] = value
    return primary


def write_qlp(out: Path, *, tic: int = 123456789, sector: int = 24) -> Path:
    """A QLP `hlsp_qlp_…_llc.fits` in its documented primary-mission layout (30-min cadence)."""
    rng = np.random.default_rng(sector)
    n = ROWS
    time = 1955.0 + np.arange(n) / 48.0
    e = np.float32
    cols = [fits.Column("TIME", "D", "BJD - 2457000, days", array=time),
            fits.Column("CADENCENO", "J", array=np.arange(n, dtype=np.int32) + 40000),
            fits.Column("SAP_FLUX", "E", array=(1 + 0.001 * rng.standard_normal(n)).astype(e)),
            fits.Column("KSPSAP_FLUX", "E", array=(1 + 0.001 * rng.standard_normal(n)).astype(e)),
            fits.Column("KSPSAP_FLUX_ERR", "E", array=np.full(n, 0.001, e)),
            fits.Column("QUALITY", "J", array=np.where(np.arange(n) % 17 == 0, 4096, 0).astype(np.int32)),
            fits.Column("ORBITID", "J", array=np.full(n, 55, np.int32)),
            fits.Column("SAP_X", "E", "pixel", array=np.full(n, 1024.5, e)),
            fits.Column("SAP_Y", "E", "pixel", array=np.full(n, 88.25, e)),
            fits.Column("SAP_BKG", "E", array=np.full(n, 0.01, e)),
            fits.Column("SAP_BKG_ERR", "E", array=np.full(n, 0.001, e)),
            fits.Column("KSPSAP_FLUX_SML", "E", array=np.ones(n, e)),
            fits.Column("KSPSAP_FLUX_LAG", "E", array=np.ones(n, e))]
    table = fits.BinTableHDU.from_columns(cols, name="LIGHTCURVE")
    for key, value in (("BJDREFI", 2457000), ("TIMESYS", "TDB"), ("TIMEUNIT", "d"), ("TIMEDEL", 1 / 48)):
        table.header[key] = value  # QLP writes no BJDREFF
    path = out / f"hlsp_qlp_tess_ffi_s{sector:04d}-{tic:016d}_tess_v01_llc.fits"
    fits.HDUList([_primary("MIT/QLP", tic, sector), table]).writeto(path)
    return path


def write_spoc_fast(spoc_file: Path, out: Path, *, name: str | None = None) -> Path:
    """A SPOC 20-s file: a real SPOC 2-min file's layout and values with TIMEDEL = 20 s, named *-a_fast-lc.fits
    (or `name`)."""
    with fits.open(spoc_file) as hdul:
        hdul["LIGHTCURVE"].header["TIMEDEL"] = 20 / 86400
        path = out / (name or spoc_file.name.replace("-s_lc.fits", "-a_fast-lc.fits"))
        hdul.writeto(path)
    return path
