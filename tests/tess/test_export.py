"""Assembly and export of a target's lightcurve: ECSV, CSV and lightkurve-style FITS read back with astropy."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits

import lightcurvedb
from lightcurvedb.errors import NotFound
from lightcurvedb.tess import ingest_paths, read_lightcurve
from lightcurvedb.tess.export import read_export, write_lightcurves
from lightcurvedb.tess.synthetic import SAMPLE
from lightcurvedb.tess.tic import UnknownFluxGroup, load_tic

SPOC = "tic55525572_lc.fits"
TGLC = "hlsp_tglc_tess_ffi_gaiaid-6399196263939178880-s0001-cam2-ccd1_tess_v1_llc.fits"


@pytest.fixture(scope="module")
def dsn(module_dsn: str, tess_dir: Path, synthetic_dir: Path) -> str:
    summary = ingest_paths(module_dsn, [tess_dir / SPOC, tess_dir / TGLC, synthetic_dir])
    assert not summary.failed
    return module_dsn


def test_single_sector_product_matches_file(dsn: str, tess_dir: Path) -> None:
    lc = read_lightcurve(tess_dir / SPOC)
    with lightcurvedb.connect(dsn) as conn:
        lcs = load_tic(conn, lc.tic_id)
    ts = lcs.timeseries()
    assert ts.meta["FLUX_GROUP"] == "SPOC PDCSAP"
    with fits.open(tess_dir / SPOC) as hdul:
        d = hdul[1].data
        assert np.array_equal(np.asarray(ts["flux"]), d["PDCSAP_FLUX"].astype(np.float64), equal_nan=True)
        assert np.array_equal(np.asarray(ts["sap_flux_err"]), d["SAP_FLUX_ERR"].astype(np.float64), equal_nan=True)
        assert np.array_equal(np.asarray(ts["quality"]), d["QUALITY"])
        assert np.array_equal(np.asarray(ts["cadenceno"]), d["CADENCENO"])
        assert ts["time"].scale == "tdb" and ts["time"].format == "btjd"
        assert int(ts["time"].mask.sum()) == int(np.isnan(d["TIME"]).sum())
        ok = ~np.isnan(d["TIME"])
        assert np.array_equal(ts["time"].btjd[ok].astype(np.float64), d["TIME"][ok])
    assert set(ts["sector"]) == {5}
    sap = lcs.timeseries("sap")
    assert sap.meta["FLUX_GROUP"] == "SPOC SAP"
    with pytest.raises(UnknownFluxGroup):
        lcs.timeseries("TGLC PSF")


def test_tglc_default_flux_and_flag_columns(dsn: str) -> None:
    with lightcurvedb.connect(dsn) as conn:
        ts = load_tic(conn, 389023759).timeseries()
    assert ts.meta["FLUX_GROUP"] == "TGLC cal aperture"
    assert "tglc_flags" in ts.colnames and int(np.count_nonzero(ts["quality"])) == 15


def test_multi_sector_synthetic(dsn: str) -> None:
    star = SAMPLE[0]
    with lightcurvedb.connect(dsn) as conn:
        lcs = load_tic(conn, star.tic_id)
    assert [o.sector for o in lcs.observations] == list(star.sectors)
    ts = lcs.timeseries()
    assert sorted(set(ts["sector"])) == list(star.sectors)
    assert np.all(np.diff(np.asarray(ts["cadenceno"])) > 0)


@pytest.mark.parametrize("suffix", [".ecsv", ".csv", ".fits"])
def test_export_round_trip(dsn: str, tmp_path: Path, suffix: str) -> None:
    star = SAMPLE[0].tic_id
    with lightcurvedb.connect(dsn) as conn:
        lcs = load_tic(conn, star)
    out = tmp_path / f"tic{star}{suffix}"
    written = write_lightcurves(lcs, out)
    back = read_export(out)
    assert len(back) == len(written)
    for col in ("flux", "flux_err", "quality", "cadenceno", "sector", "sap_flux", "sap_flux_err", "pdcsap_flux",
                "pdcsap_flux_err"):
        assert np.array_equal(np.asarray(back[col], dtype=np.float64), np.asarray(written[col], dtype=np.float64),
                              equal_nan=True), col
    assert back["time"].scale == "tdb"
    mask = np.asarray(written["time"].mask)
    assert np.array_equal(np.asarray(back["time"].mask), mask)
    diff = np.abs((back["time"][~mask] - written["time"][~mask]).to_value("s"))
    assert diff.max() < 1e-3  # CSV is decimal text; ECSV and FITS are exact to float64


def test_fits_follows_lightkurve_layout(dsn: str, tmp_path: Path) -> None:
    out = tmp_path / "lc.fits"
    with lightcurvedb.connect(dsn) as conn:
        write_lightcurves(load_tic(conn, 55525572), out)
    with fits.open(out) as hdul:
        assert hdul[0].header["TELESCOP"] == "TESS" and hdul[0].header["TICID"] == 55525572
        h = hdul["LIGHTCURVE"].header
        assert (h["TIMEREF"], h["TIMESYS"], h["BJDREFI"], h["BJDREFF"], h["TIMEUNIT"]) == (
            "SOLARSYSTEM", "TDB", 2457000, 0.0, "d")
        names = hdul["LIGHTCURVE"].columns.names
        assert names[:4] == ["TIME", "FLUX", "FLUX_ERR", "QUALITY"]
        assert {"SAP_FLUX", "PDCSAP_FLUX", "CADENCENO", "SECTOR"} <= set(names)


def test_unknown_target(dsn: str) -> None:
    with lightcurvedb.connect(dsn) as conn, pytest.raises(NotFound, match="TIC 1 "):
        load_tic(conn, 1)




_PLAIN_READ = """
import sys
from astropy.table import Table
table = Table.read(sys.argv[1])
assert "lightcurvedb" not in sys.modules and "lightkurve" not in sys.modules, sorted(sys.modules)
print(len(table), table["time"].dtype, table.meta.get("TIME_FORMAT"), table.meta.get("TIME_REFERENCE"))
"""
"""A fresh interpreter that imports only astropy (no 'btjd' time format registered) reads an export."""


@pytest.mark.parametrize("time_format", ["btjd", "jd"])
@pytest.mark.parametrize("suffix", [".ecsv", ".csv"])
def test_text_exports_open_with_plain_astropy(dsn: str, tmp_path: Path, suffix: str, time_format: str) -> None:
    with lightcurvedb.connect(dsn) as conn:
        lcs = load_tic(conn, 55525572)
    out = tmp_path / f"lc{suffix}"
    written = write_lightcurves(lcs, out, time_format=time_format)
    proc = subprocess.run([sys.executable, "-c", _PLAIN_READ, str(out)], capture_output=True, text=True,
                          check=False, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    rows, dtype, fmt, reference = proc.stdout.split(maxsplit=3)
    assert int(rows) == len(written) and dtype == "float64"
    if suffix == ".ecsv":
        assert fmt == time_format and reference.strip() == ("JD 2457000.0 (TDB)" if time_format == "btjd" else "jd")
        back = read_export(out)
        assert back["time"].format == time_format and back["time"].scale == "tdb"
        mask = np.asarray(written["time"].mask)
        assert np.array_equal(np.asarray(back["time"].mask), mask)
        if time_format == "btjd":  # the stored floats themselves: exact
            assert np.array_equal(back["time"].btjd[~mask], written["time"].btjd[~mask])
