"""Reads per product: one product per sector by default (never interleaved), `--product` and `--sector`."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits

import lightcurvedb
from lightcurvedb.cli import main
from lightcurvedb.errors import InvalidInput, NotFound
from lightcurvedb.tess.export import read_export
from lightcurvedb.tess.ingest import ingest_paths
from lightcurvedb.tess.tic import load_tic

SPOC_S1 = "tess2018206045859-s0001-0000000358108509-0120-s_lc.fits"
TGLC_S1 = "hlsp_tglc_tess_ffi_gaiaid-6399196263939178880-s0001-cam2-ccd1_tess_v1_llc.fits"
STAR = 389023759  # TGLC's star in sector 1; a SPOC 2-min file of it is made from a real one (TICID changed)


@pytest.fixture(scope="module")
def two_products(module_dsn: str, tess_dir: Path, synthetic_dir: Path,
                 tmp_path_factory: pytest.TempPathFactory) -> str:
    """The module database with the star in SPOC 2-min and TGLC 30-min in sector 1, and the synthetic sample."""
    out = tmp_path_factory.mktemp("two-products")
    spoc = out / SPOC_S1.replace("0000000358108509", f"{STAR:016d}")
    with fits.open(tess_dir / SPOC_S1) as hdul:
        for hdu in hdul:  # SPOC repeats TICID and OBJECT in every header
            if "TICID" in hdu.header:
                hdu.header["TICID"] = STAR
                hdu.header["OBJECT"] = f"TIC {STAR}"
        hdul.writeto(spoc)
    summary = ingest_paths(module_dsn, [spoc, tess_dir / TGLC_S1, synthetic_dir])
    assert not summary.failed, [(r.path, r.error) for r in summary.failed]
    return module_dsn


def _increasing(t: np.ndarray) -> bool:
    finite = t[np.isfinite(t)]
    return bool(np.all(np.diff(finite) > 0))


def test_default_takes_one_product_per_sector(two_products: str) -> None:
    with lightcurvedb.connect(two_products) as conn:
        lcs = load_tic(conn, STAR)
        tglc = load_tic(conn, STAR, product="TGLC")
    assert [o.product for o in lcs.observations] == ["spoc"] and len(lcs.columns["time"]) == 20076
    ts = lcs.timeseries()
    assert ts.meta["PRODUCTS"] == "spoc" and ts.meta["FLUX_GROUP"] == "SPOC PDCSAP"
    assert _increasing(np.asarray(lcs.columns["time"]))
    assert "cal_aper_flux" not in ts.colnames  # nothing of the other product
    assert [o.product for o in tglc.observations] == ["tglc"] and len(tglc.columns["time"]) == 1282
    assert tglc.timeseries().meta["FLUX_GROUP"] == "TGLC cal aperture"
    assert "pdcsap_flux" not in tglc.timeseries().colnames


def test_sectors_and_refusals(two_products: str) -> None:
    with lightcurvedb.connect(two_products) as conn:
        lcs = load_tic(conn, 900000001, sectors=[11, 12])
        assert sorted({o.sector for o in lcs.observations}) == [11, 12]
        assert set(np.unique(lcs.columns["sector"]).tolist()) == {11, 12}
        with pytest.raises(NotFound, match=r"no lightcurve in sector\(s\) 5 \(it holds sector 10: spoc"):
            load_tic(conn, 900000001, sectors=[5])
        with pytest.raises(NotFound, match="no qlp lightcurve"):
            load_tic(conn, STAR, product="qlp")
        with pytest.raises(InvalidInput, match="unknown product 'kepler'"):
            load_tic(conn, STAR, product="kepler")


def test_cli_product_and_sector(two_products: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "tglc.ecsv"
    assert main(["--dsn", two_products, "export", str(STAR), "-o", str(out), "--product", "tglc", "--sector", "1"]) == 0
    assert len(read_export(out)) == 1282
    assert main(["--dsn", two_products, "plot", str(STAR), "-o", str(tmp_path / "p.png"), "--sector", "1"]) == 0
    capsys.readouterr()
    assert main(["--dsn", two_products, "export", str(STAR), "-o", str(tmp_path / "x.csv"), "--product", "kepler"]) == 2
    err = capsys.readouterr().err
    assert "unknown product 'kepler'" in err and len(err.strip().splitlines()) == 1
    with pytest.raises(SystemExit):
        main(["--dsn", two_products, "export", str(STAR), "-o", str(tmp_path / "y.csv"), "--sector", "one"])
    assert "sectors are whole numbers" in capsys.readouterr().err


def test_show_lists_every_product(two_products: str, capsys: pytest.CaptureFixture[str]) -> None:
    with lightcurvedb.connect(two_products) as conn:
        every = load_tic(conn, STAR, every_product=True)
    assert sorted(o.product or "" for o in every.observations) == ["spoc", "tglc"]
    assert main(["--dsn", two_products, "show", str(STAR)]) == 0
    out = capsys.readouterr().out
    assert "2 observation(s)" in out and "spoc" in out and "tglc" in out
