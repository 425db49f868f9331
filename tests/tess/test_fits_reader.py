"""The FITS readers: real SPOC, HLSP and TGLC files, and typed errors for unknown or damaged files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits

from lightcurvedb.errors import FitsFormatError, LightcurveDBError
from lightcurvedb.tess import read_lightcurve
from lightcurvedb.tess.synthetic import SAMPLE

TGLC = "hlsp_tglc_tess_ffi_gaiaid-6399196263939178880-s0001-cam2-ccd1_tess_v1_llc.fits"
EXPECTED = {  # file: (product, TIC, sector, camera, ccd, rows)
    "tess2018206045859-s0001-0000000358108509-0120-s_lc.fits": ("spoc", 358108509, 1, 3, 3, 20076),
    "hlsp_tess-data-alerts_tess_phot_00025155310-s01_tess_v1_lc.fits": ("spoc", 25155310, 1, 4, 1, 20076),
    "hlsp_tess-data-alerts_tess_phot_00055652896-s01_tess_v1_lc.fits": ("spoc", 55652896, 1, 4, 1, 20076),
    "hlsp_tess-data-alerts_tess_phot_00160148385-s02_tess_v1_lc.fits": ("spoc", 160148385, 2, 2, 1, 19737),
    "tic55525572_lc.fits": ("spoc", 55525572, 5, 4, 2, 18944),
    TGLC: ("tglc", 389023759, 1, 2, 1, 1282),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_real_file_facts(tess_dir: Path, name: str) -> None:
    lc = read_lightcurve(tess_dir / name)
    assert (lc.product, lc.tic_id, lc.sector, lc.camera, lc.ccd, lc.cadence_count) == EXPECTED[name]
    assert lc.time_epoch == 2457000.0 and lc.time_scale == "tdb" and lc.time_unit == "d"
    assert lc.cadences.dtype == np.int64 and bool(np.all(np.diff(lc.cadences) > 0))
    for data in lc.columns:
        assert data.values.shape == data.errors.shape == lc.cadences.shape


def test_tglc_quirks(tess_dir: Path) -> None:
    lc = read_lightcurve(tess_dir / TGLC)
    assert set(lc.flags) == {"base_quality_flag", "tglc_flag"}
    assert int(np.count_nonzero(lc.flags["base_quality_flag"])) == 15
    header = fits.getheader(tess_dir / TGLC, 1)
    errors = {d.column.values: d.errors for d in lc.columns}
    assert np.all(errors["psf_flux"] == header["PSF_ERR"]) and np.all(errors["cal_aper_flux"] == header["CAPE_ERR"])
    assert np.isnan(errors["background"]).all()


def test_spoc_nan_times(tess_dir: Path) -> None:
    lc = read_lightcurve(tess_dir / "tic55525572_lc.fits")
    assert int(np.isnan(lc.times).sum()) == 973
    assert int(np.count_nonzero(lc.flags["base_quality_flag"])) == 1308


def test_synthetic_sample_reads(synthetic_dir: Path) -> None:
    files = sorted(synthetic_dir.glob("*.fits"))
    assert len(files) == sum(len(t.sectors) for t in SAMPLE)
    for f in files:
        lc = read_lightcurve(f)
        assert lc.product == "spoc" and len(lc.columns) == 10


def _refused(path: Path, fragment: str) -> FitsFormatError:
    with pytest.raises(FitsFormatError) as info:
        read_lightcurve(path)
    assert isinstance(info.value, LightcurveDBError)
    assert info.value.path == str(path) and str(path) in str(info.value)
    assert fragment in str(info.value)
    return info.value


def test_truncated_file_is_refused(tess_dir: Path, tmp_path: Path) -> None:
    data = (tess_dir / "tic55525572_lc.fits").read_bytes()
    for cut in (100, 1_000_000, len(data) - 2880):
        bad = tmp_path / f"cut{cut}.fits"
        bad.write_bytes(data[:cut])
        _refused(bad, "not a readable FITS file")


def test_non_fits_and_missing_files(tmp_path: Path) -> None:
    text = tmp_path / "notes.fits"
    text.write_text("not a FITS file\n")
    _refused(text, "not a readable FITS file")
    _refused(tmp_path / "missing.fits", "no such file")


def test_fits_without_lightcurve_hdu(tmp_path: Path) -> None:
    path = tmp_path / "image.fits"
    fits.HDUList([fits.PrimaryHDU(np.zeros((4, 4), dtype=np.float32))]).writeto(path)
    _refused(path, "no LIGHTCURVE extension")


def test_unknown_table_layout(tmp_path: Path) -> None:
    path = tmp_path / "other.fits"
    table = fits.BinTableHDU.from_columns([fits.Column("T", "D", array=np.arange(3.0))], name="LIGHTCURVE")
    table.header["TELESCOP"] = "TESS"
    fits.HDUList([fits.PrimaryHDU(), table]).writeto(path)
    _refused(path, "not a TESS lightcurve product: no known product")


def test_not_tess(tess_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "kepler.fits"
    with fits.open(tess_dir / TGLC) as hdul:
        hdul[0].header["TELESCOP"] = "Kepler"
        hdul[1].header["TELESCOP"] = "Kepler"
        hdul.writeto(path)
    _refused(path, "not 'TESS'")
