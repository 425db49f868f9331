"""Synthetic TESS light-curve FITS fixtures built from each product's documentation, not from real files."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from astropy.io import fits

KINDS: tuple[str, ...] = ("qlp", "qlp-s56", "spoc-fast", "gsfc-eleanor-lite", "cdips", "pathos")

F64 = npt.NDArray[np.float64]
I32 = npt.NDArray[np.int32]

BTJD_REF = 2457000  # BJDREFI of every TESS product that counts time in BTJD
_DEFAULT_SECTOR = {"qlp": 24, "qlp-s56": 56, "spoc-fast": 29, "gsfc-eleanor-lite": 24, "cdips": 24, "pathos": 24}
# (file time stamp, spacecraft configuration id) of SPOC sectors whose archive names are known: the SPOC 2-min and 20-s
# files of one sector share both, e.g. tess2020238165205-s0029-0000000025155310-0193-a_fast-lc.fits.
_SPOC_NAMES = {1: ("2018206045859", 120), 5: ("2018319095959", 125), 8: ("2019032160000", 136),
               24: ("2020106103520", 180), 29: ("2020238165205", 193), 41: ("2021204101404", 212)}
_PI_MEN = 261136679  # TIC 261136679 = pi Men: RA, Dec, Tmag and Gaia DR2 id as its TIC entry gives them


# ----------------------------------------------------------------------------------------------- shared helpers


def _sector_start(sector: int) -> float:
    """Approximate BTJD start of `sector` (sector 1 began at 1325.3, sector 41 at 2420.0: ~27.37 d a sector)."""
    return 1325.3 + (sector - 1) * (2420.0 - 1325.3) / 40


def _ffi_cadence(sector: int) -> float:
    """FFI cadence in days: 30 min in sectors 1-26, 10 min in 27-55, 200 s from 56."""
    if sector <= 26:
        return 1 / 48
    if sector <= 55:
        return 10 / 1440
    return 200 / 86400


def _target(tic: int) -> tuple[float, float, float, int]:
    """(RA, Dec, Tmag, Gaia DR2 id): pi Men's for its TIC id, else deterministic made-up values."""
    if tic == _PI_MEN:
        return 84.2911879979852, -80.46911979699409, 5.1054, 4623036865373793408
    rng = np.random.default_rng(tic)
    return (float(rng.uniform(0, 360)), float(rng.uniform(-89, 89)), float(rng.uniform(7, 13)),
            4_000_000_000_000_000_000 + tic)


def _utc(btjd: float) -> dt.datetime:
    """UTC calendar time of a BTJD, good to a minute (it ignores TDB-UTC and the barycentric correction)."""
    return dt.datetime(2000, 1, 1, 12, tzinfo=dt.UTC) + dt.timedelta(days=btjd + BTJD_REF - 2451545.0)


def _stamp(btjd: float) -> str:
    """A TESS file time stamp, yyyydddhhmmss."""
    return _utc(btjd).strftime("%Y%j%H%M%S")


def _spoc_name_parts(sector: int) -> tuple[str, int]:
    """(time stamp, spacecraft configuration id) of a sector: archive values where known, else interpolated."""
    if sector in _SPOC_NAMES:
        return _SPOC_NAMES[sector]
    known = sorted(_SPOC_NAMES)
    scid = round(float(np.interp(sector, known, [_SPOC_NAMES[s][1] for s in known],
                                 right=_SPOC_NAMES[41][1] + 1.6 * (sector - 41))))
    return _stamp(_sector_start(sector) - 1.0), scid


def _pick(rng: np.random.Generator, n: int, k: int) -> npt.NDArray[np.intp]:
    """k distinct row indices out of n (at least one, at most n), sorted."""
    return np.sort(rng.choice(n, size=max(1, min(k, n)), replace=False))


def _noisy(rng: np.random.Generator, level: float, rel: float, n: int) -> F64:
    return level * (1 + rel * rng.standard_normal(n))


def _with_nans(values: F64, rows: npt.NDArray[np.intp]) -> F64:
    out = values.copy()
    out[rows] = np.nan
    return out


def _col(name: str, fmt: str, array: Any, unit: str | None = None, disp: str | None = None) -> Any:
    return fits.Column(name=name, format=fmt, unit=unit, disp=disp, array=array)


def _header(hdu: Any, cards: list[tuple[str, Any, str]]) -> None:
    """Append cards in order (duplicates kept, as eleanor writes them), cutting comments to fit 80 columns."""
    for key, value, comment in cards:
        room = 81 - len(fits.Card(key, value, "x").image.rstrip())  # what is left after "value / "
        hdu.header.append((key, value, comment[: max(room, 0)]), end=True)


def _target_cards(tic: int, sector: int, camera: int, ccd: int) -> list[tuple[str, Any, str]]:
    """The identity keywords every fixture carries: TELESCOP, TICID (int), SECTOR, CAMERA, CCD, RA/Dec, Tmag."""
    ra, dec, tmag, _ = _target(tic)
    return [("TELESCOP", "TESS", "telescope"), ("TICID", tic, "unique tess target identifier"),
            ("SECTOR", sector, "Observing sector"), ("CAMERA", camera, "Camera number"),
            ("CCD", ccd, "CCD chip number"), ("RA_OBJ", ra, "[deg] right ascension"),
            ("DEC_OBJ", dec, "[deg] declination"), ("TESSMAG", tmag, "[mag] TESS magnitude")]


# ------------------------------------------------------------------------------------------------------- QLP


def _write_qlp(directory: Path, tic: int, sector: int, rows: int, seed: int, *, s56: bool) -> Path:
    """QLP (MIT Quick-Look Pipeline) HLSP light curve, hlsp_qlp_tess_ffi_s{sector:04d}-{tic:016d}_tess_v01_llc.fits.

    Follows MAST's QLP HLSP page and data product description (archive.stsci.edu/hlsp/qlp), lightkurve's reader
    io/qlp.py, and the QLP entry of ../shared/data/tess/README.md ("Documented layouts of products with no file
    here"): ORIGIN 'MIT/QLP'; a LIGHTCURVE table TIME, CADENCENO, SAP_FLUX, KSPSAP_FLUX, KSPSAP_FLUX_ERR, QUALITY,
    ORBITID, SAP_X, SAP_Y, SAP_BKG, SAP_BKG_ERR, KSPSAP_FLUX_SML, KSPSAP_FLUX_LAG with normalised fluxes; BJDREFI and
    no BJDREFF; QUALITY with the QLP low-precision bit (4096 in sectors 1-55, 2**30 from 56). From sector 56 the
    detrended columns are DET_FLUX, DET_FLUX_ERR, DET_FLUX_SML, DET_FLUX_LAG and SYS_RM_FLUX is added (appended last
    here: its position is not documented).
    """
    if s56 != (sector >= 56):
        raise ValueError(f"sector {sector} needs kind {'qlp-s56' if sector >= 56 else 'qlp'}: QLP renamed its "
                         "detrended columns from sector 56")
    rng = np.random.default_rng(seed)
    cadence = _ffi_cadence(sector)
    t0 = _sector_start(sector)
    time = t0 + 0.3 + cadence * np.arange(rows)
    cadenceno = (round((t0 - 1325.3) / cadence) + 1000 + np.arange(rows)).astype(np.int32)
    bad = _pick(rng, rows, rows // 100 + 2)
    sap = _with_nans(_noisy(rng, 1.0, 2e-3, rows), bad[:1])
    det = _with_nans(_noisy(rng, 1.0, 1e-3, rows), bad[:1])
    err = np.full(rows, 1e-3) * (1 + 0.05 * rng.standard_normal(rows))
    quality = np.zeros(rows, np.int32)
    low_precision = 2**30 if s56 else 4096
    quality[bad] = low_precision
    quality[bad[-1]] = 32  # a momentum dump (SPOC bit 6)
    orbitid = np.where(time - t0 < 13.7, 2 * sector + 7, 2 * sector + 8).astype(np.int32)
    prefix = "DET" if s56 else "KSPSAP"
    f32 = np.float32
    cols = [_col("TIME", "D", time, "BJD - 2457000, days"),
            _col("CADENCENO", "J", cadenceno),
            _col("SAP_FLUX", "E", sap.astype(f32)),
            _col(f"{prefix}_FLUX", "E", det.astype(f32)),
            _col(f"{prefix}_FLUX_ERR", "E", err.astype(f32)),
            _col("QUALITY", "J", quality),
            _col("ORBITID", "J", orbitid),
            _col("SAP_X", "E", (1024.5 + 0.02 * rng.standard_normal(rows)).astype(f32), "pixel"),
            _col("SAP_Y", "E", (88.25 + 0.02 * rng.standard_normal(rows)).astype(f32), "pixel"),
            _col("SAP_BKG", "E", _noisy(rng, 0.05, 0.1, rows).astype(f32)),
            _col("SAP_BKG_ERR", "E", _noisy(rng, 0.002, 0.1, rows).astype(f32)),
            _col(f"{prefix}_FLUX_SML", "E", _noisy(rng, 1.0, 1.2e-3, rows).astype(f32)),
            _col(f"{prefix}_FLUX_LAG", "E", _noisy(rng, 1.0, 0.9e-3, rows).astype(f32))]
    if s56:
        cols.append(_col("SYS_RM_FLUX", "E", _noisy(rng, 1.0, 1.5e-3, rows).astype(f32)))
    table = fits.BinTableHDU.from_columns(cols, name="LIGHTCURVE")
    _header(table, [("TIMESYS", "TDB", "time system is Barycentric Dynamical Time (TDB)"),
                    ("TIMEUNIT", "d", "time unit for TIME"),
                    ("BJDREFI", BTJD_REF, "integer part of BTJD reference date"),  # QLP writes no BJDREFF
                    ("TIMEDEL", cadence, "[d] time resolution of data")])
    primary = fits.PrimaryHDU()
    _header(primary, [("ORIGIN", "MIT/QLP", "institution responsible for creating this file"),
                      *_target_cards(tic, sector, 2, 4)])
    path = directory / f"hlsp_qlp_tess_ffi_s{sector:04d}-{tic:016d}_tess_v01_llc.fits"
    fits.HDUList([primary, table]).writeto(path, overwrite=True)
    return path


# ------------------------------------------------------------------------------------------------- SPOC 20 s


def _write_spoc_fast(directory: Path, tic: int, sector: int, rows: int, seed: int) -> Path:
    """SPOC 20-second light curve, tess{yyyydddhhmmss}-s{sector:04d}-{tic:016d}-{scid:04d}-a_fast-lc.fits.

    Follows the SPOC light-curve layout of ../shared/data/tess/README.md (the 20 LIGHTCURVE columns, formats, units
    and time keywords of the real 2-min files there, ORIGIN 'NASA/Ames', CREATOR ...LightCurveExporterPipelineModule,
    an APERTURE image) with TIMEDEL = 20 s, NUM_FRM = 10, and lightkurve's reader io/tess.py. MAST's TESS pages date
    20-s data from sector 27; the name's time stamp and configuration id are the archive's for sectors 29 and 41 and
    interpolated for other sectors.
    """
    if sector < 27:
        raise ValueError(f"sector {sector}: TESS took 20-second cadence data from sector 27 on")
    rng = np.random.default_rng(seed)
    cadence = 20 / 86400
    t0 = _sector_start(sector) + 0.2
    time = t0 + cadence * np.arange(rows)
    cadenceno = (round((t0 - 1325.3) / cadence) + np.arange(rows)).astype(np.int32)
    gap = _pick(rng, rows, rows // 60 + 2)  # NaN times: SPOC leaves the time of some flagged cadences undefined
    time[gap] = np.nan
    _, _, tmag, _ = _target(tic)
    level = 15000.0 * 10 ** (-0.4 * (tmag - 10))
    sap = _with_nans(_noisy(rng, level * 0.97, 6e-4, rows), gap)
    pdc = _with_nans(_noisy(rng, level, 5e-4, rows), gap)
    flux_err = np.sqrt(level * 20) / 20 * np.ones(rows)
    quality = np.zeros(rows, np.int32)
    quality[gap] = 32 | 128  # momentum dump + manual exclude
    quality[_pick(rng, rows, 3)] |= 1024  # collateral cosmic ray
    f32 = np.float32
    pix = "pixel"
    cols = [_col("TIME", "D", time, "BJD - 2457000, days", "D14.7"),
            _col("TIMECORR", "E", np.full(rows, 4.28e-3, f32), "d", "E14.7"),
            _col("CADENCENO", "J", cadenceno, None, "I10"),
            _col("SAP_FLUX", "E", sap.astype(f32), "e-/s", "E14.7"),
            _col("SAP_FLUX_ERR", "E", _with_nans(flux_err, gap).astype(f32), "e-/s", "E14.7"),
            _col("SAP_BKG", "E", _with_nans(_noisy(rng, 120.0, 0.05, rows), gap).astype(f32), "e-/s", "E14.7"),
            _col("SAP_BKG_ERR", "E", _with_nans(np.full(rows, 4.0), gap).astype(f32), "e-/s", "E14.7"),
            _col("PDCSAP_FLUX", "E", pdc.astype(f32), "e-/s", "E14.7"),
            _col("PDCSAP_FLUX_ERR", "E", _with_nans(flux_err * 1.02, gap).astype(f32), "e-/s", "E14.7"),
            _col("QUALITY", "J", quality, None, "B16.16"),
            _col("PSF_CENTR1", "D", np.full(rows, np.nan), pix, "F10.5"),
            _col("PSF_CENTR1_ERR", "E", np.full(rows, np.nan, f32), pix, "E14.7"),
            _col("PSF_CENTR2", "D", np.full(rows, np.nan), pix, "F10.5"),
            _col("PSF_CENTR2_ERR", "E", np.full(rows, np.nan, f32), pix, "E14.7"),
            _col("MOM_CENTR1", "D", _with_nans(1616.3 + 0.01 * rng.standard_normal(rows), gap), pix, "F10.5"),
            _col("MOM_CENTR1_ERR", "E", _with_nans(np.full(rows, 2e-4), gap).astype(f32), pix, "E14.7"),
            _col("MOM_CENTR2", "D", _with_nans(244.7 + 0.01 * rng.standard_normal(rows), gap), pix, "F10.5"),
            _col("MOM_CENTR2_ERR", "E", _with_nans(np.full(rows, 2e-4), gap).astype(f32), pix, "E14.7"),
            _col("POS_CORR1", "E", _with_nans(0.005 * rng.standard_normal(rows), gap).astype(f32), "pixels", "E14.7"),
            _col("POS_CORR2", "E", _with_nans(0.005 * rng.standard_normal(rows), gap).astype(f32), "pixels", "E14.7")]
    table = fits.BinTableHDU.from_columns(cols, name="LIGHTCURVE")
    tstart, tstop = float(np.nanmin(time)), float(np.nanmax(time))
    _header(table, [("INHERIT", True, "inherit the primary header"),
                    ("TIMEREF", "SOLARSYSTEM", "barycentric correction applied to times"),
                    ("TASSIGN", "SPACECRAFT", "where time is assigned"),
                    ("TIMESYS", "TDB", "time system is Barycentric Dynamical Time (TDB)"),
                    ("BJDREFI", BTJD_REF, "integer part of BTJD reference date"),
                    ("BJDREFF", 0.0, "fraction of the day in BTJD reference date"),
                    ("TIMEUNIT", "d", "time unit for TIME, TSTART and TSTOP"),
                    ("TELAPSE", tstop - tstart, "[d] TSTOP - TSTART"),
                    ("TSTART", tstart, "observation start time in BTJD"),
                    ("TSTOP", tstop, "observation stop time in BTJD"),
                    ("TIMEPIXR", 0.5, "bin time beginning=0 middle=0.5 end=1"),
                    ("INT_TIME", 1.98, "[s] photon accumulation time per frame"),
                    ("FRAMETIM", 2.0, "[s] frame time (INT_TIME + READTIME)"),
                    ("NUM_FRM", 10, "number of frames per time stamp"),
                    ("TIMEDEL", cadence, "[d] time resolution of data"),
                    ("PDCMETHD", "MAP", "PDC algorithm used for target")])
    aperture = fits.ImageHDU(np.full((11, 11), 129, np.int32), name="APERTURE")
    aperture.data[2:9, 2:9] = 133
    aperture.data[4:7, 4:7] = 139
    stamp, scid = _spoc_name_parts(sector)
    primary = fits.PrimaryHDU()
    _header(primary, [("ORIGIN", "NASA/Ames", "institution responsible for creating this file"),
                      ("CREATOR", "44456 LightCurveExporterPipelineModule", "pipeline job and program used"),
                      ("PROCVER", "spoc-5.0.20-20200914", "SW version"),
                      ("INSTRUME", "TESS Photometer", "detector type"),
                      ("DATA_REL", 40, "data release version number"),
                      ("OBJECT", f"TIC {tic}", "string version of target id"),
                      *_target_cards(tic, sector, 4, 2)])
    path = directory / f"tess{stamp}-s{sector:04d}-{tic:016d}-{scid:04d}-a_fast-lc.fits"
    fits.HDUList([primary, table, aperture]).writeto(path, overwrite=True)
    return path


# --------------------------------------------------------------------------------------------- GSFC-ELEANOR-LITE


def _write_eleanor(directory: Path, tic: int, sector: int, rows: int, seed: int) -> Path:
    """GSFC-ELEANOR-LITE HLSP light curve, hlsp_gsfc-eleanor-lite_tess_ffi_s{sector:04d}-{tic:016d}_tess_v1.0_lc.fits.

    Follows MAST's GSFC-ELEANOR-LITE page (archive.stsci.edu/hlsp/gsfc-eleanor-lite: the file name, and "see the
    eleanor package" for the layout), eleanor's TargetData.save(lite=True) and set_header() and make_postcards.py
    (afeinstein20/eleanor), and lightkurve's reader io/eleanor.py: a primary header copied from the eleanor postcard
    (time keywords, AUTHOR, GITHUB) plus eleanor's cards (LITE, TIC_ID, TMAG, GAIA_ID, a second SECTOR/CAMERA/CCD,
    CEN_RA/CEN_DEC, PCORIGIN, APERTURE) and TVERSION, which lightkurve uses to tell GSFC files from vanilla eleanor;
    HDU 1 an unnamed table TIME, BARYCORR, RAW_FLUX, CORR_FLUX, FLUX_ERR (the error of RAW_FLUX), QUALITY, X_CENTROID,
    Y_CENTROID, X_COM, Y_COM, FLUX_BKG, FFIINDEX, PCA_FLUX with no units and no time keywords; HDU 2 an unnamed table
    with the chosen aperture and the median TPF. QUALITY adds eleanor's bits 17 and 18 to SPOC's.
    """
    rng = np.random.default_rng(seed)
    cadence = _ffi_cadence(sector)
    t0 = _sector_start(sector)
    time = t0 + 0.3 + cadence * np.arange(rows)
    ffiindex = (round((t0 - 1325.3) / cadence) + 4697 + np.arange(rows)).astype(np.int32)
    ra, dec, tmag, gaia = _target(tic)
    level = 15000.0 * 10 ** (-0.4 * (tmag - 10))
    bad = _pick(rng, rows, rows // 100 + 3)
    raw = _with_nans(_noisy(rng, level, 8e-4, rows), bad[:1])
    corr = _with_nans(_noisy(rng, level, 4e-4, rows), bad[:1])
    quality = np.zeros(rows, np.int32)
    quality[bad[0]] = 128
    quality[bad[1]] = 2**17
    quality[bad[2:]] = 2**18
    cols = [_col("TIME", "D", time),
            _col("BARYCORR", "D", np.full(rows, 3.1e-3) + 1e-6 * np.arange(rows)),
            _col("RAW_FLUX", "D", raw),
            _col("CORR_FLUX", "D", corr),
            _col("FLUX_ERR", "D", _with_nans(np.sqrt(level * 1800) / 1800 * np.ones(rows), bad[:1])),
            _col("QUALITY", "J", quality),
            _col("X_CENTROID", "D", 52.0 + 0.02 * rng.standard_normal(rows)),
            _col("Y_CENTROID", "D", 74.0 + 0.02 * rng.standard_normal(rows)),
            _col("X_COM", "D", 6.0 + 0.01 * rng.standard_normal(rows)),
            _col("Y_COM", "D", 6.0 + 0.01 * rng.standard_normal(rows)),
            _col("FLUX_BKG", "D", _noisy(rng, 40.0, 0.1, rows)),
            _col("FFIINDEX", "J", ffiindex),
            _col("PCA_FLUX", "D", _with_nans(_noisy(rng, level, 4e-4, rows), bad[:1]))]
    table = fits.BinTableHDU.from_columns(cols)
    best = "normal_circle_09"
    disk = (np.hypot(*np.mgrid[-6:7, -6:7]) <= 2.5).astype(np.float64)
    tpf = level / 9 * np.exp(-np.hypot(*np.mgrid[-6:7, -6:7]) ** 2 / 2)
    apertures = fits.BinTableHDU.from_columns([_col(best, "13D", disk), _col("TPF", "13D", tpf),
                                               _col("TPF_ERR", "13D", np.sqrt(np.abs(tpf) * 1800) / 1800)])
    camera, ccd = 2, 4
    primary = fits.PrimaryHDU()
    _header(primary, [  # the postcard header: an FFI image header plus make_postcards' eleanor cards
        ("TELESCOP", "TESS", "telescope"), ("INSTRUME", "TESS Photometer", "detector type"),
        ("CAMERA", camera, "Camera number"), ("CCD", ccd, "CCD chip number"),
        ("TIMEREF", "SOLARSYSTEM", "barycentric correction applied to times"),
        ("TASSIGN", "SPACECRAFT", "where time is assigned"),
        ("TIMESYS", "TDB", "time system is Barycentric Dynamical Time (TDB)"),
        ("BJDREFI", BTJD_REF, "integer part of BTJD reference date"),
        ("BJDREFF", 0.0, "fraction of the day in BTJD reference date"),
        ("TIMEUNIT", "d", "time unit for TIME, TSTART and TSTOP"),
        ("TIMEDEL", cadence, "[d] time resolution of data"),
        ("AUTHOR", "Adina D. Feinstein", ""), ("VERSION", "2.0.5", ""),
        ("GITHUB", "https://github.com/afeinstein20/eleanor", ""),
        ("TVERSION", "1.0", "GSFC-ELEANOR-LITE production version"),
        ("POSTPIX1", 44, "origin of postcard axis 1"), ("POSTPIX2", 1530, "origin of postcard axis 2"),
        ("SECTOR", sector, "TESS sector"),
        # eleanor's set_header(lite=True)
        ("CREATED", "2022-06-01", ""), ("FILTER", "TESS", "Filter keyword"),
        ("VERSION", "2.0.5", "eleanor version used for light curve production"),
        ("LITE", True, "eleanor-lite keyword for saving light curves"),
        ("TIC_ID", tic, "TESS Input Catalog ID"), ("TMAG", tmag, "TESS mag"),
        ("TIC_V", 20190415, "TIC Version"), ("GAIA_ID", gaia, "Associated Gaia ID"),
        ("SECTOR", sector, "Sector"), ("CAMERA", camera, "Camera"), ("CCD", ccd, "CCD"),
        ("CHIPPOS1", 1616, "central x pixel of TPF in FFI chip"), ("CHIPPOS2", 244, "central y pixel of TPF in FFI"),
        ("POSTCARD", f"hlsp_eleanor_tess_ffi_postcard-s{sector:04d}-{camera}-{ccd}-cal-1598-0290_tess_v2_pc.fits", ""),
        ("POSTPOS1", 52, "predicted x pixel of source on postcard"),
        ("POSTPOS2", 74, "predicted y pixel of source on postcard"),
        ("CEN_RA", ra, "RA of TPF source"), ("CEN_DEC", dec, "DEC of TPF source"),
        ("TPF_H", 13, "Height of the TPF in pixels"), ("TPF_W", 13, "Width of the TPF in pixels"),
        ("TESSCUT", False, "If TessCut was used to make this TPF"),
        ("BKG_SIZE", 31, "Size of region used for background subtraction"),
        ("BKG_LVL", "PC_LEVEL", "Stage at which background is subtracted"),
        ("PCORIGIN", "Local_Postcard", "Provenance of eleanor Postcard"),
        ("APERTURE", best, "Best aperture used for lightcurves in extension 1"),
        # not eleanor's: the identity keywords every fixture of this module carries
        ("TICID", tic, "unique tess target identifier"), ("RA_OBJ", ra, "[deg] right ascension"),
        ("DEC_OBJ", dec, "[deg] declination"), ("TESSMAG", tmag, "[mag] TESS magnitude")])
    path = directory / f"hlsp_gsfc-eleanor-lite_tess_ffi_s{sector:04d}-{tic:016d}_tess_v1.0_lc.fits"
    fits.HDUList([primary, table, apertures]).writeto(path, overwrite=True)
    return path


# ------------------------------------------------------------------------------------------------------ CDIPS


def _write_cdips(directory: Path, tic: int, sector: int, rows: int, seed: int) -> Path:
    """CDIPS HLSP light curve, hlsp_cdips_tess_ffi_gaiatwo{gaia:022d}-{sector:04d}-cam{c}-ccd{d}_tess_v01_llc.fits.

    Follows MAST's CDIPS page and readme (archive.stsci.edu/hlsp/cdips), the pipeline that writes the files
    (lgbouma/cdips cdips/lcproc/reformat_lcs_for_mast.py; waqasbhatti/cdips-pipeline lcutils.py) and lightkurve's
    reader io/cdips.py: ORIGIN 'Bouma&Hartman|CDIPS|Princeton'; TICID written as a string (str of the TIC match);
    OBJECT the Gaia DR2 id; time keywords in the primary header only, with BJDREFI = BJDREFF = 0 because TMID_BJD is
    a full BJD_TDB, not BTJD; an unnamed table whose columns are the pipeline's sorted photometry keys (BGE ... YIC),
    then CCDTEMP, NTEMPS, TMID_BJD, BJDCORR, TFA1-3, PCA1-3, units as the pipeline maps them. IRQ1-3 are one-character
    flags, 'G' or '0' good and 'X' bad; fluxes IFL are ADU, IRM/TFA/PCA magnitudes. No cadence-number column.
    """
    rng = np.random.default_rng(seed)
    cadence = _ffi_cadence(sector)
    t0 = _sector_start(sector)
    btjd = t0 + 0.3 + cadence * np.arange(rows)
    bjdcorr = np.full(rows, 4.1e-3) - 2e-7 * np.arange(rows)
    tmid_bjd = btjd + BTJD_REF
    tmid_utc = tmid_bjd - bjdcorr - 69.184 / 86400
    ra, dec, tmag, gaia = _target(tic)
    camera, ccd = 2, 4
    _, scid = _spoc_name_parts(sector)
    frames = np.array([f"tess{_stamp(t)}-s{sector:04d}-{camera}-{ccd}-{scid:04d}_cal_img_bkgdsub" for t in btjd])
    bad = _pick(rng, rows, rows // 100 + 2)
    cols = [_col("BGE", "D", _noisy(rng, 3.0, 0.1, rows), "ADU"),
            _col("BGV", "D", 2.0 * rng.standard_normal(rows), "ADU"),
            _col("FDV", "D", 0.01 * rng.standard_normal(rows), "unitless"),
            _col("FKV", "D", 0.01 * rng.standard_normal(rows), "unitless"),
            _col("FSV", "D", _noisy(rng, 0.45, 0.01, rows), "unitless")]
    base = 20000.0 * 10 ** (-0.4 * (tmag - 10))
    fluxes = {ap: _with_nans(_noisy(rng, base * (0.8 + 0.1 * ap), 1e-3, rows), bad[:1]) for ap in (1, 2, 3)}
    cols += [_col(f"IFE{ap}", "D", np.sqrt(np.abs(fluxes[ap])) * 0.5, "ADU") for ap in (1, 2, 3)]
    cols += [_col(f"IFL{ap}", "D", fluxes[ap], "ADU") for ap in (1, 2, 3)]
    mags = {ap: 17.0 - 2.5 * np.log10(fluxes[ap] / 1e3) for ap in (1, 2, 3)}
    cols += [_col(f"IRE{ap}", "D", 1.0857 * 0.5 / np.sqrt(np.abs(fluxes[ap])), "mag") for ap in (1, 2, 3)]
    cols += [_col(f"IRM{ap}", "D", mags[ap], "mag") for ap in (1, 2, 3)]
    flags = np.full(rows, "G")
    flags[bad] = "X"
    flags[bad[-1]] = "0"
    cols += [_col(f"IRQ{ap}", "1A", flags, "unitless") for ap in (1, 2, 3)]
    cols += [_col("RSTFC", "48A", frames, "unitless"),
             _col("TMID_UTC", "D", tmid_utc, "day"),
             _col("XIC", "D", 1598.3 + 0.02 * rng.standard_normal(rows), "pixels"),
             _col("YIC", "D", 290.7 + 0.02 * rng.standard_normal(rows), "pixels"),
             _col("CCDTEMP", "D", -80.2 + 0.05 * rng.standard_normal(rows), "degcelcius"),
             _col("NTEMPS", "J", np.full(rows, 20, np.int32), "unitless"),
             _col("TMID_BJD", "D", tmid_bjd, "day"),
             _col("BJDCORR", "D", bjdcorr, "day")]
    # trend-filtered magnitudes: NaN wherever the raw magnitude is NaN, as the CDIPS pipeline checks
    cols += [_col(f"TFA{ap}", "D", mags[ap] + 4e-4 * rng.standard_normal(rows), "mag") for ap in (1, 2, 3)]
    cols += [_col(f"PCA{ap}", "D", mags[ap] + 3e-4 * rng.standard_normal(rows), "mag") for ap in (1, 2, 3)]
    table = fits.BinTableHDU.from_columns(cols)
    _header(table, [("MJD_BEG", float(np.nanmin(tmid_utc)) - 2400000.5, "min(TMID_UTC) - 2400000.5"),
                    ("MJD_END", float(np.nanmax(tmid_utc)) - 2400000.5, "max(TMID_UTC) - 2400000.5"),
                    ("XPOSURE", round(cadence * 86400), "[sec] exposure time per cadence")])
    primary = fits.PrimaryHDU()
    _header(primary, [("TELESCOP", "TESS", "telescope"), ("INSTRUME", "TESS Photometer", "detector type"),
                      ("CAMERA", camera, "Camera number"), ("CCD", ccd, "CCD chip number"),
                      ("TIMEREF", "SOLARSYSTEM", "barycentric correction applied to times"),
                      ("TASSIGN", "SPACECRAFT", "where time is assigned"),
                      ("TIMESYS", "TDB", "time system is Barycentric Dynamical Time (TDB)"),
                      ("TIMEUNIT", "d", "Time unit for TMID_BJD"),
                      ("TIMEDEL", cadence, "[d] time resolution of data"),
                      ("BJDREFF", 0, "fraction of the day in BTJD reference date"),
                      ("BJDREFI", 0, "integer part of BTJD reference date"),
                      ("XCC", 1598.3, "Original X coordinate on CCD on photref frame"),
                      ("YCC", 290.7, "Original Y coordinate on CCD on photref frame"),
                      ("PROJID", 1500 + sector, "PIPE-TREX identifier for software version"),
                      ("DTR_ISUB", True, "Img subtraction photometry performed"),
                      ("DTR_EPD", False, "EPD detrending performed"),
                      ("DTR_TFA", True, "TFA detrending performed"),
                      ("DTR_PCA", True, "PCA detrending performed"),
                      ("CDCLSTER", "NGC_2516", "Cluster name(s) in CDIPSREF [,sep]"),
                      ("FILTER", "TESS", "MAST HLSP required keyword"),
                      ("OBJECT", str(gaia), "Gaia DR2 source_id"),
                      ("SECTOR", sector, "Observing sector"),
                      ("RADESYS", "ICRS", "reference frame of celestial coordinates"),
                      ("EQUINOX", 2015.5, "equinox of celestial coordinate system"),
                      ("RA_OBJ", ra, "[deg] right ascension"), ("DEC_OBJ", dec, "[deg] declination"),
                      ("GAIA-ID", str(gaia), "GaiaDR2 source_id. ->lum_val from same"),
                      ("TICVER", "20190415", "TIC version"),
                      ("TICID", str(tic), "TIC identifier of xmatch"),
                      ("TESSMAG", tmag, "[mag] TIC catalog magnitude of xmatch"),
                      ("ORIGIN", "Bouma&Hartman|CDIPS|Princeton", "Author|Project|Institution")])
    path = directory / f"hlsp_cdips_tess_ffi_gaiatwo{gaia:022d}-{sector:04d}-cam{camera}-ccd{ccd}_tess_v01_llc.fits"
    fits.HDUList([primary, table]).writeto(path, overwrite=True)
    return path


# ----------------------------------------------------------------------------------------------------- PATHOS


def _write_pathos(directory: Path, tic: int, sector: int, rows: int, seed: int) -> Path:
    """PATHOS HLSP light curve, hlsp_pathos_tess_lightcurve_tic-{tic:010d}-s{sector:04d}_tess_v1_llc.fits.

    Follows MAST's PATHOS page (archive.stsci.edu/hlsp/pathos: the file name with a 10-digit TIC id and a 4-digit
    sector, the PSF_FLUX_RAW/COR and AP1-4_FLUX_RAW/COR columns, TIME in BTJD), the column list and units of its
    companion _llc.txt files (TIME[d] TIMECORR PSF_FLUX_RAW ... AP4_FLUX_COR[e-/s] SKY_LOCAL[e-/s] X_POSITION
    Y_POSITION DQUALITY) and lightkurve's reader io/pathos.py and detect.py (PATHOS is recognised by its columns,
    quality is DQUALITY with SPOC bits). No identifying ORIGIN and no extension name are documented, so neither is
    written; the FITS formats (D for reals, J for DQUALITY) are this module's choice. TIMESYS/TIMEUNIT follow a
    third-party reader (chronos) that notes 'TIMEUNIT is bjd'. No cadence-number column.
    """
    rng = np.random.default_rng(seed)
    cadence = _ffi_cadence(sector)
    t0 = _sector_start(sector)
    time = t0 + 0.3 + cadence * np.arange(rows)
    _, _, tmag, _ = _target(tic)
    level = 15000.0 * 10 ** (-0.4 * (tmag - 10))
    bad = _pick(rng, rows, rows // 100 + 2)
    cols = [_col("TIME", "D", time, "d"), _col("TIMECORR", "D", np.full(rows, 3.9e-3), "d")]
    for name, frac in (("PSF", 1.0), ("AP1", 0.55), ("AP2", 0.8), ("AP3", 0.92), ("AP4", 0.97)):
        cols.append(_col(f"{name}_FLUX_RAW", "D", _with_nans(_noisy(rng, level * frac, 1.2e-3, rows), bad[:1]),
                         "e-/s"))
        cols.append(_col(f"{name}_FLUX_COR", "D", _with_nans(_noisy(rng, level * frac, 6e-4, rows), bad[:1]),
                         "e-/s"))
    quality = np.zeros(rows, np.int32)
    quality[bad] = 32
    quality[bad[-1]] = 4 | 32
    cols += [_col("SKY_LOCAL", "D", _noisy(rng, 90.0, 0.05, rows), "e-/s"),
             _col("X_POSITION", "D", 1102.4 + 0.02 * rng.standard_normal(rows), "pixel"),
             _col("Y_POSITION", "D", 733.9 + 0.02 * rng.standard_normal(rows), "pixel"),
             _col("DQUALITY", "J", quality)]
    table = fits.BinTableHDU.from_columns(cols)
    _header(table, [("TIMESYS", "TDB", "time system"), ("TIMEUNIT", "bjd", "BJD - 2457000"),
                    ("TIMEDEL", cadence, "[d] time resolution of data")])
    primary = fits.PrimaryHDU()
    _header(primary, _target_cards(tic, sector, 2, 4))
    path = directory / f"hlsp_pathos_tess_lightcurve_tic-{tic:010d}-s{sector:04d}_tess_v1_llc.fits"
    fits.HDUList([primary, table]).writeto(path, overwrite=True)
    return path


# ------------------------------------------------------------------------------------------------------ public


_BUILDERS: dict[str, Callable[[Path, int, int, int, int], Path]] = {
    "qlp": lambda d, tic, s, n, seed: _write_qlp(d, tic, s, n, seed, s56=False),
    "qlp-s56": lambda d, tic, s, n, seed: _write_qlp(d, tic, s, n, seed, s56=True),
    "spoc-fast": _write_spoc_fast,
    "gsfc-eleanor-lite": _write_eleanor,
    "cdips": _write_cdips,
    "pathos": _write_pathos,
}


def write_fixture(kind: str, directory: Path, *, tic: int = 261136679, sector: int | None = None,
                  rows: int = 300, seed: int = 0) -> Path:
    """Write one fixture file of `kind` into `directory` under the product's archive file name; return its path."""
    if kind not in _BUILDERS:
        raise ValueError(f"unknown kind {kind!r}; one of {', '.join(KINDS)}")
    if rows < 10:
        raise ValueError("rows must be at least 10")
    directory.mkdir(parents=True, exist_ok=True)
    return _BUILDERS[kind](directory, tic, _DEFAULT_SECTOR[kind] if sector is None else sector, rows, seed)


# Where each kind keeps what a consumer needs. "flux"/"flux_err" are lightkurve's defaults for the product (None: it
# gives no flux_err); "extension" None means the table is HDU 1 with no EXTNAME.
LAYOUT: dict[str, dict[str, str | None]] = {
    "qlp": {"time": "TIME", "cadence": "CADENCENO", "quality": "QUALITY", "flux": "SAP_FLUX",
            "flux_err": "KSPSAP_FLUX_ERR", "extension": "LIGHTCURVE"},
    "qlp-s56": {"time": "TIME", "cadence": "CADENCENO", "quality": "QUALITY", "flux": "SAP_FLUX",
                "flux_err": "DET_FLUX_ERR", "extension": "LIGHTCURVE"},
    "spoc-fast": {"time": "TIME", "cadence": "CADENCENO", "quality": "QUALITY", "flux": "PDCSAP_FLUX",
                  "flux_err": "PDCSAP_FLUX_ERR", "extension": "LIGHTCURVE"},
    "gsfc-eleanor-lite": {"time": "TIME", "cadence": "FFIINDEX", "quality": "QUALITY", "flux": "CORR_FLUX",
                          "flux_err": "FLUX_ERR", "extension": None},
    "cdips": {"time": "TMID_BJD", "cadence": None, "quality": "IRQ1", "flux": "IRM1", "flux_err": None,
              "extension": None},
    "pathos": {"time": "TIME", "cadence": None, "quality": "DQUALITY", "flux": "PSF_FLUX_COR", "flux_err": None,
               "extension": None},
}
