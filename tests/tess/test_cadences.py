"""Cadence numbers derived from times for files that carry none (TGLC files written by the tglc package)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import psycopg
import pytest
from astropy.io import fits
from hypothesis import given, settings
from hypothesis import strategies as st

from lightcurvedb.cli import main
from lightcurvedb.errors import FitsFormatError
from lightcurvedb.tess import read_lightcurve
from lightcurvedb.tess.cadences import CadenceDerivationError, derive_cadences

TGLC_V2 = "hlsp_tglc_tess_ffi_gaiaid-5707485527450614656-s0034-cam2-ccd3_tess_v2_llc.fits"
DAY = 86400.0


def test_the_tglc_package_file_gets_a_grid(tess_dir: Path) -> None:
    lc = read_lightcurve(tess_dir / TGLC_V2)
    assert (lc.product, lc.tic_id, lc.sector, lc.derived_cadence_seconds) == ("tglc", 218795833, 34, 600.0)
    steps = np.diff(lc.cadences)
    assert steps.min() == 1 and int(np.count_nonzero(steps != 1)) == 1  # consecutive, but for the orbit gap
    with fits.open(tess_dir / TGLC_V2) as hdul:
        assert not np.asarray(hdul[1].data["cadence_num"]).any()
        np.testing.assert_array_equal(lc.times, np.asarray(hdul[1].data["time"], dtype=np.float64))


def _with_rows(source: Path, target: Path, rows: slice) -> Path:
    with fits.open(source) as hdul:
        table = fits.BinTableHDU(hdul[1].data[rows], header=hdul[1].header, name="LIGHTCURVE")
        fits.HDUList([hdul[0].copy(), table]).writeto(target)
    return target


def test_files_of_the_same_star_and_sector_share_the_grid(tess_dir: Path, tmp_path: Path) -> None:
    full = read_lightcurve(tess_dir / TGLC_V2)
    later = read_lightcurve(_with_rows(tess_dir / TGLC_V2, tmp_path / "later_llc.fits", slice(37, None)))
    np.testing.assert_array_equal(later.cadences, full.cadences[37:])


def test_ingest_marks_the_grid_derived(fresh_dsn: str, tess_dir: Path, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    copy = tmp_path / "copy" / TGLC_V2
    copy.parent.mkdir()
    shutil.copy(tess_dir / TGLC_V2, copy)
    assert main(["--dsn", fresh_dsn, "ingest", str(tess_dir / TGLC_V2), str(copy)]) == 0
    assert "1 added, 1 skipped, 0 failed" in capsys.readouterr().out
    with psycopg.connect(fresh_dsn) as conn:
        rows = conn.execute("SELECT o.id, g.cadence_seconds, g.rule FROM observation AS o "
                            "JOIN derived_cadence_grid AS g ON g.observation_id = o.id").fetchall()
    assert len(rows) == 1 and rows[0][1] == 600.0 and "round(t0 / D)" in rows[0][2]
    assert main(["--dsn", fresh_dsn, "show", "218795833"]) == 0
    assert "(derived from times, 600 s)" in capsys.readouterr().out


@settings(max_examples=60, deadline=None)
@given(cadence=st.sampled_from([200.0, 600.0, 1800.0]), start=st.integers(1000, 10**6), n=st.integers(20, 300),
       drift=st.floats(-1e-4, 1e-4), gaps=st.lists(st.integers(0, 299), max_size=5), nans=st.lists(
           st.integers(0, 299), max_size=5))
def test_derived_numbers_follow_the_rows(cadence: float, start: int, n: int, drift: float, gaps: list[int],
                                         nans: list[int]) -> None:
    """Consecutive rows get consecutive numbers, a gap of k cadences skips k, a row without a time (not at a gap:
    the rule counts it as the next cadence) fits in."""
    true = start + np.arange(n) + np.cumsum(np.isin(np.arange(n), gaps)) * 50
    times = true * cadence * (1 + drift) / DAY
    holes = [i for i in nans if 0 < i < n - 1 and i not in gaps and i + 1 not in gaps]
    times[holes] = np.nan
    got, used = derive_cadences(times)
    assert used == cadence
    np.testing.assert_array_equal(np.diff(got), np.diff(true))


def test_underivable_times_are_refused(tess_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(CadenceDerivationError, match="no TESS full-frame-image cadence"):
        derive_cadences(np.arange(10) * 120.0 / DAY)  # a 2-min grid
    with pytest.raises(CadenceDerivationError, match="fewer than two"):
        derive_cadences(np.array([1.0, np.nan]))
    bad = tmp_path / "bad_llc.fits"
    with fits.open(tess_dir / TGLC_V2) as hdul:
        hdul[1].data["time"][5] = hdul[1].data["time"][4]  # two rows at one time
        hdul.writeto(bad)
    with pytest.raises(FitsFormatError, match="column time does not increase: row 6 "):
        read_lightcurve(bad)
