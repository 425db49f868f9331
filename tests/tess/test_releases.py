"""Files and releases: every ingested file is recorded; the same bytes are skipped; a different file of the same
product, target and sector is a new release kept beside the old one (reads take the newest unless asked); --replace
replaces; deleting a release deletes exactly its data. End to end through `lcdb` as a user runs it."""

from __future__ import annotations

import hashlib
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import psycopg
import pytest
from astropy.io import fits

import lightcurvedb
from lightcurvedb.cli import main
from lightcurvedb.queries import releases
from lightcurvedb.tess.export import read_export
from lightcurvedb.tess.tic import load_tic, tic_releases

SPOC_S24 = "tess2020106103520-s0024-0000000039903405-0180-s_lc.fits"
TESS_SPOC_S24 = "hlsp_tess-spoc_tess_phot_0000000039903405-s0024_tess_v1_lc.fits"
STAR = 55525572
ORIGINAL = "tic55525572_lc.fits"
ROW = 1000  # the cadence whose PDCSAP flux the reprocessed copies change


def _reprocessed(original: Path, out: Path, *, data_rel: int, flux: float) -> Path:
    """A copy of a real file as a reprocessing would write it: another DATA_REL, one PDCSAP value changed, and
    valid CHECKSUM/DATASUM cards."""
    with fits.open(original) as hdul:
        hdul[0].header["DATA_REL"] = data_rel
        hdul["LIGHTCURVE"].data["PDCSAP_FLUX"][ROW] = flux
        hdul.writeto(out, checksum=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # astropy warns when a checksum does not verify
        with fits.open(out, checksum=True) as check:
            assert all("CHECKSUM" in h.header and "DATASUM" in h.header for h in check)
            check.verify("exception")
    return out


def _rows(dsn: str, sql: str, *params: Any) -> int:
    with psycopg.connect(dsn) as conn:
        row = conn.execute(sql, params).fetchone()
        assert row is not None
        return int(row[0])


def _pdcsap(dsn: str, **kw: Any) -> float:
    with lightcurvedb.connect(dsn) as conn:
        return float(load_tic(conn, STAR, **kw).columns["pdcsap_flux"][ROW])


def test_releases_side_by_side_replace_and_delete(fresh_dsn: str, tess_dir: Path, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    original = tess_dir / ORIGINAL
    old = float(fits.getdata(original, "LIGHTCURVE")["PDCSAP_FLUX"][ROW])
    (tmp_path / "rel8").mkdir()
    second = _reprocessed(original, tmp_path / "rel8" / ORIGINAL, data_rel=8, flux=12345.5)

    assert main(["--dsn", fresh_dsn, "ingest", str(original)]) == 0
    assert "1 added, 0 skipped" in capsys.readouterr().out
    assert main(["--dsn", fresh_dsn, "ingest", str(second)]) == 0
    assert "1 added, 0 skipped" in capsys.readouterr().out  # a different file: never skipped
    assert main(["--dsn", fresh_dsn, "ingest", str(second), str(original)]) == 0
    assert "0 added, 2 skipped, 0 failed" in capsys.readouterr().out

    # both releases are kept; reads take the newest unless asked
    assert _pdcsap(fresh_dsn) == 12345.5
    assert _pdcsap(fresh_dsn, release=1) == old
    with lightcurvedb.connect(fresh_dsn) as conn:
        listed = tic_releases(conn, STAR)
    assert [(r.sector, r.product_name, r.number, r.data_rel) for r in listed] == [(5, "spoc", 1, 7), (5, "spoc", 2, 8)]
    assert listed[1].sha256 == hashlib.sha256(second.read_bytes()).hexdigest()
    assert listed[1].size_bytes == second.stat().st_size and listed[1].path == str(second.resolve())
    with psycopg.connect(fresh_dsn) as conn:
        header = conn.execute("SELECT primary_header ->> 'DATA_REL', table_header ->> 'EXTNAME' FROM ingested_file "
                              "WHERE sha256 = %s", [listed[1].sha256]).fetchone()
    assert header == ("8", "LIGHTCURVE")

    assert main(["--dsn", fresh_dsn, "releases", str(STAR)]) == 0
    out = capsys.readouterr().out
    assert "2 release(s)" in out and out.count(" spoc ") == 2 and "spoc-3.3.55" in out
    for release, value in (("1", old), (None, 12345.5)):
        out_file = tmp_path / f"export{release}.ecsv"
        args = ["--dsn", fresh_dsn, "export", str(STAR), "-o", str(out_file)] + (["--release", release] if release
                                                                               else [])
        assert main(args) == 0
        assert float(read_export(out_file)["pdcsap_flux"][ROW].value) == value
    assert main(["--dsn", fresh_dsn, "plot", str(STAR), "-o", str(tmp_path / "p.png"), "--release", "1"]) == 0
    capsys.readouterr()
    assert main(["--dsn", fresh_dsn, "export", str(STAR), "-o", str(tmp_path / "x.ecsv"), "--release", "9"]) == 2
    err = capsys.readouterr().err
    assert "no release 9 lightcurve" in err and "spoc release 1" in err and len(err.strip().splitlines()) == 1

    per_release = _rows(fresh_dsn, "SELECT count(*) FROM dataset WHERE release_id = %s", listed[0].id)
    total = _rows(fresh_dsn, "SELECT count(*) FROM dataset")
    with lightcurvedb.connect(fresh_dsn) as conn:  # deleting a release deletes exactly its data
        assert releases.delete_release(conn, id=listed[0].id) == 1
        conn.commit()
    assert _rows(fresh_dsn, "SELECT count(*) FROM dataset") == total - per_release
    for table in ("dataset", "target_specific_time", "quality_flag_array", "ingested_file", "release_column"):
        assert _rows(fresh_dsn, f"SELECT count(*) FROM {table} WHERE release_id = %s", listed[0].id) == 0
    assert _pdcsap(fresh_dsn) == 12345.5

    # --replace: a third file replaces the releases of its product, target and sector; one is left
    (tmp_path / "rel9").mkdir()
    third = _reprocessed(original, tmp_path / "rel9" / ORIGINAL, data_rel=9, flux=-1.25)
    assert main(["--dsn", fresh_dsn, "ingest", "--replace", str(third)]) == 0
    assert "1 older release(s) replaced" in capsys.readouterr().out
    with lightcurvedb.connect(fresh_dsn) as conn:
        assert [(r.number, r.data_rel) for r in tic_releases(conn, STAR)] == [(3, 9)]
    assert _pdcsap(fresh_dsn) == -1.25
    assert _rows(fresh_dsn, "SELECT count(DISTINCT release_id) FROM dataset") == 1


def test_two_products_of_one_sector_never_interleave(fresh_dsn: str, tess_dir: Path, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    star = 39903405
    assert main(["--dsn", fresh_dsn, "ingest", str(tess_dir / SPOC_S24), str(tess_dir / TESS_SPOC_S24)]) == 0
    capsys.readouterr()
    rows = {"": 19074, "spoc": 19074, "tess-spoc": 1271, "TESS-SPOC": 1271}
    for product, expected in rows.items():
        out = tmp_path / f"x{product}.fits"
        assert main(["--dsn", fresh_dsn, "export", str(star), "-o", str(out)]
                    + (["--product", product] if product else [])) == 0
        ts = read_export(out)
        assert len(ts) == expected
        t = np.asarray(ts.time.value.filled(np.nan) if hasattr(ts.time.value, "filled") else ts.time.value)
        finite = t[np.isfinite(t)]
        assert finite.size and bool(np.all(np.diff(finite) > 0)), product  # strictly increasing finite times
    capsys.readouterr()
    assert main(["--dsn", fresh_dsn, "show", str(star)]) == 0
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if "│     24 │" in line]
    assert [line.split("│")[2].strip() for line in lines] == ["spoc", "tess-spoc"]  # grouped by sector, product
    assert all(line.split("│")[3].strip() == "1" for line in lines)  # and release
