"""Every product reads back losslessly: each numeric column of each file, as astropy reads it, equals the same
column of the export (lower-cased name, the file's precision, bit-identical, NaN positions included), in memory
and through the .fits and .ecsv exports; units are the file's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import psycopg
import pytest
from astropy.io import fits

import lightcurvedb
from lightcurvedb.errors import InvalidData
from lightcurvedb.queries import releases
from lightcurvedb.tess.export import read_export, write_lightcurves
from lightcurvedb.tess.fits_reader import read_lightcurve
from lightcurvedb.tess.tic import TicLightcurves, load_tic, tic_releases

from .product_fixtures import KINDS


def _table(path: Path) -> tuple[fits.FITS_rec, fits.Header, fits.Header]:
    with fits.open(path) as hdul:
        hdu = next((h for h in hdul if h.name == "LIGHTCURVE"), hdul[1])
        return hdu.data.copy(), hdu.header.copy(), hdul[0].header.copy()


def _same(file_column: np.ndarray[Any, Any], ours: np.ndarray[Any, Any], what: str) -> None:
    native = file_column.astype(file_column.dtype.newbyteorder("="))
    back = np.asarray(ours)
    back = back.astype(back.dtype.newbyteorder("="))  # FITS exports read back big-endian
    assert back.dtype == native.dtype, f"{what}: dtype {back.dtype}, the file's is {native.dtype}"
    assert back.shape == native.shape, what
    if native.dtype.kind == "f":
        assert np.array_equal(np.isnan(back), np.isnan(native)), f"{what}: NaN positions differ"
        finite = ~np.isnan(native)
        assert back[finite].tobytes() == native[finite].tobytes(), f"{what}: not bit-identical"
    else:
        assert back.tobytes() == native.tobytes(), f"{what}: not identical"


def _numeric(data: fits.FITS_rec) -> list[str]:
    return [n for n in data.columns.names if np.asarray(data[n]).dtype.kind in "fiu"]


def _read_back(dsn: str, path: Path) -> TicLightcurves:
    lc = read_lightcurve(path)
    with lightcurvedb.connect(dsn) as conn:
        return load_tic(conn, lc.tic_id, product=lc.product, sectors=[lc.sector])


def test_every_column_of_every_product_reads_back_bit_identical(products: tuple[str, list[Path]]) -> None:
    dsn, files = products
    assert len(files) == 11 + len(KINDS)
    for path in files:
        data, header, _ = _table(path)
        lcs = _read_back(dsn, path)
        for i, name in enumerate(data.columns.names, start=1):
            assert name.lower() in lcs.columns, f"{path.name}: {name} not exported"
            if name not in _numeric(data):  # text (CDIPS's IRQ letters): kept with the layout, as bytes
                text = [v.encode("latin-1") for v in np.asarray(data[name]).tolist()]
                assert lcs.columns[name.lower()].tolist() == text, f"{path.name}:{name}"
                continue
            _same(np.asarray(data[name]), lcs.columns[name.lower()], f"{path.name}:{name}")
            unit = header.get(f"TUNIT{i}")
            if unit is not None:
                assert lcs.units[name.lower()] == unit.strip(), f"{path.name}:{name} unit"


@pytest.mark.parametrize("suffix", [".fits", ".ecsv"])
def test_exports_keep_every_column(products: tuple[str, list[Path]], tmp_path: Path, suffix: str) -> None:
    dsn, files = products
    for path in files:
        data, _, _ = _table(path)
        out = tmp_path / f"{path.stem}{suffix}"
        write_lightcurves(_read_back(dsn, path), out)
        back = read_export(out)
        for name in _numeric(data):
            if name.lower() == "time":
                continue  # the export's time column is an astropy Time (BTJD); the stored times are checked above
            _same(np.asarray(data[name]), np.asarray(back[name.lower()]), f"{out.name}:{name}")


def test_units_and_flux_per_product(products: tuple[str, list[Path]]) -> None:
    dsn, files = products
    by_kind: dict[str, Path] = {}
    for p in files:  # the first file of each product (QLP: the primary-mission layout)
        by_kind.setdefault(p.name.split("_")[1] if p.name.startswith("hlsp_") else "spoc", p)
    expected = {"qlp": ("kspsap_flux", ""), "tglc": ("cal_aper_flux", None), "tess-spoc": ("pdcsap_flux", "e-/s"),
                "gsfc-eleanor-lite": ("corr_flux", "e-/s"), "pathos": ("psf_flux_cor", "e-/s"),
                "cdips": ("irm1", "mag")}
    for kind, (column, unit) in expected.items():
        lcs = _read_back(dsn, by_kind[kind])
        ts = lcs.timeseries()
        assert ts.meta["FLUX_ORIGIN"] == column, kind
        assert np.array_equal(np.asarray(ts["flux"]), np.asarray(lcs.columns[column]), equal_nan=True), kind
        assert lcs.units.get(column) == unit, kind


def test_text_columns_are_checked(products: tuple[str, list[Path]]) -> None:
    """A text column carries its values and an S<width> dtype; nothing else carries values (0015.text_columns)."""
    dsn, files = products
    cdips = read_lightcurve(next(p for p in files if p.name.startswith("hlsp_cdips")))
    with lightcurvedb.connect(dsn) as conn:
        (release,) = [r for r in tic_releases(conn, cdips.tic_id) if r.product_name == "cdips"]
        texts = [c for c in releases.list_release_columns(conn, release_ids=np.array([release.id]))
                 if c.role == "text"]
        assert [(c.name, c.dtype) for c in texts] == [("IRQ1", "S1"), ("IRQ2", "S1"), ("IRQ3", "S1"),
                                                      ("RSTFC", texts[3].dtype)]
        assert all(len(c.text_values or []) == cdips.cadence_count for c in texts)
        for dtype in ("float32", "U1", "S0"):
            with pytest.raises(InvalidData, match=r"ck_release_column_(text_values|dtype)"), conn.transaction():
                releases.create_release_text_column(conn, release_id=release.id, name="EXTRA", position=999,
                                                    dtype=dtype, unit=None, text_values=["a"])
        with pytest.raises(psycopg.errors.CheckViolation, match="ck_release_column_text_values"), conn.transaction():
            conn.execute("UPDATE release_column SET text_values = '{a}' WHERE release_id = %s AND role = 'time'",
                         [release.id])
