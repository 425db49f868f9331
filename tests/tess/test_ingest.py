"""Ingest of the six real TESS files and the synthetic sample: lossless, idempotent, observations shared."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import psycopg
import pytest
from astropy.io import fits

import lightcurvedb
from lightcurvedb.queries import datasets, observations, processing, targets, times_flags
from lightcurvedb.tess import ingest_paths, mapping, read_lightcurve
from lightcurvedb.tess.ingest import ingest_file

FILE_2 = "hlsp_tess-data-alerts_tess_phot_00025155310-s01_tess_v1_lc.fits"
FILE_3 = "hlsp_tess-data-alerts_tess_phot_00055652896-s01_tess_v1_lc.fits"
TABLES = ("mission", "mission_catalog", "target", "instrument", "observation", "tess_observation",
          "processing_group", "dataset", "target_specific_time", "quality_flag_array")


def counts(dsn: str) -> dict[str, int]:
    """Row counts of every table ingest writes."""
    with psycopg.connect(dsn) as conn:
        return {t: int(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]) for t in TABLES}  # type: ignore[index]


@pytest.fixture(scope="module")
def loaded(module_dsn: str, tess_files: list[Path], synthetic_dir: Path) -> str:
    """The module database with the six real files (2 processes) and the synthetic sample ingested."""
    summary = ingest_paths(module_dsn, [*tess_files, synthetic_dir], jobs=2)
    assert summary.failed == [], [(r.path, r.error) for r in summary.failed]
    assert summary.count("added") == len(summary.results) == 6 + 6
    return module_dsn


@pytest.fixture
def db(loaded: str) -> Any:
    with lightcurvedb.connect(loaded) as conn:
        yield conn


def _precise(wide: Any, narrow: Any) -> np.ndarray[Any, Any]:
    """The stored array of a dataset column pair: exactly one is set (float8 `values` or real `values_f4`)."""
    assert (wide is None) != (narrow is None)
    return wide if wide is not None else narrow  # type: ignore[no-any-return]


def _same(stored: np.ndarray[Any, Any], original: np.ndarray[Any, Any], what: str) -> None:
    native = original.astype(original.dtype.newbyteorder("="))
    if native.dtype == np.float32:  # float32 columns are stored as real[] and come back float32
        assert stored.dtype == np.float32, f"{what}: stored as {stored.dtype}"
    back = stored.astype(native.dtype)  # integer columns are stored as float64, exactly
    assert back.shape == native.shape, what
    if native.dtype.kind == "f":
        assert np.array_equal(np.isnan(back), np.isnan(native)), f"{what}: NaN positions differ"
        assert np.array_equal(back, native, equal_nan=True), what
        finite = ~np.isnan(native)
        assert back[finite].tobytes() == native[finite].tobytes(), f"{what}: not bit-identical"
    else:
        assert np.array_equal(back, native), what


def _check_file(conn: psycopg.Connection[Any], path: Path) -> None:
    """Every ingested column of `path` reads back bit-identical to astropy's own reading of the file."""
    lc = read_lightcurve(path)
    target = targets.get_target_by_name(conn, catalog_name="TIC", name=lc.tic_id)
    with fits.open(path) as hdul:
        table = hdul["LIGHTCURVE"].data
        header = hdul["LIGHTCURVE"].header
        obs_rows = observations.list_tess_observations_of_target(conn, target_id=target.id)
        (obs,) = [o for o in obs_rows if o.sector == lc.sector and np.array_equal(o.cadence_reference, lc.cadences)]
        assert (obs.camera, obs.ccd) == (lc.camera, lc.ccd)
        cad_col, time_col = ("CADENCENO", "TIME") if lc.product == "spoc" else ("cadence_num", "time")
        _same(obs.cadence_reference, np.asarray(table[cad_col]), f"{path.name}:{cad_col}")
        times = times_flags.get_target_times(conn, target_id=target.id, observation_id=obs.id)
        assert times is not None
        _same(times.barycentric_julian_dates, np.asarray(table[time_col]), f"{path.name}:{time_col}")
        flags = {f.type: f.quality_flags for f in times_flags.list_quality_flags_of_observations(
                 conn, target_id=target.id, observation_ids=np.array([obs.id]))}
        flag_cols = {"base_quality_flag": "QUALITY"} if lc.product == "spoc" else {
            "base_quality_flag": "TESS_flags", "tglc_flag": "TGLC_flags"}
        assert set(flags) == set(flag_cols)
        for kind, col in flag_cols.items():
            _same(flags[kind], np.asarray(table[col]), f"{path.name}:{col}")
        columns = mapping.SPOC_COLUMNS if lc.product == "spoc" else mapping.TGLC_COLUMNS
        for c in columns:
            group = processing.get_processing_group_by_names(conn, source_name=c.source, method_name=c.method)
            assert group is not None and group.name == c.group
            ds = datasets.get_dataset(conn, processing_group_id=group.id, target_id=target.id,
                                      observation_id=obs.id)
            values, errors = _precise(ds.values, ds.values_f4), _precise(ds.errors, ds.errors_f4)
            _same(values, np.asarray(table[c.values]), f"{path.name}:{c.values}")
            if c.errors:
                _same(errors, np.asarray(table[c.errors]), f"{path.name}:{c.errors}")
            elif c.error_keyword:
                assert errors.dtype == np.float64 and np.all(errors == float(header[c.error_keyword]))
            else:
                assert np.isnan(errors).all() and errors.dtype == values.dtype


def test_every_real_column_reads_back_bit_identical(db: psycopg.Connection[Any], tess_files: list[Path]) -> None:
    assert len(tess_files) == 6
    for path in tess_files:
        _check_file(db, path)


def test_every_synthetic_column_reads_back(db: psycopg.Connection[Any], synthetic_dir: Path) -> None:
    for path in sorted(synthetic_dir.glob("*.fits")):
        _check_file(db, path)


def test_files_2_and_3_share_one_observation(db: psycopg.Connection[Any], tess_dir: Path) -> None:
    ids = []
    for name in (FILE_2, FILE_3):
        lc = read_lightcurve(tess_dir / name)
        target = targets.get_target_by_name(db, catalog_name="TIC", name=lc.tic_id)
        (obs,) = observations.list_tess_observations_of_target(db, target_id=target.id)
        ids.append(obs.id)
    assert ids[0] == ids[1]
    record = observations.get_observation(db, id=ids[0])
    assert record.type == "tess_observation"


def test_observation_identity(db: psycopg.Connection[Any]) -> None:
    rows = db.execute(
        "SELECT t.sector, i.properties, o.cadence_count FROM observation o "
        "JOIN tess_observation t USING (id) JOIN instrument i ON i.id = o.instrument_id ORDER BY o.id").fetchall()
    # real: (1,4,1) shared by 2 files, (1,3,3), (2,2,1), (5,4,2), TGLC FFI grid (1,2,1); synthetic: 4 grids
    assert len(rows) == 5 + 4
    tree = db.execute("SELECT count(*) FROM instrument WHERE parent_id IS NULL").fetchone()
    assert tree == (1,)
    mission = db.execute("SELECT time_unit, time_epoch, time_epoch_scale, time_epoch_format, time_format_name "
                         "FROM mission WHERE name = 'TESS'").fetchone()
    assert mission == ("d", 2457000.0, "tdb", "jd", "btjd")


def test_reingest_changes_nothing(loaded: str, tess_files: list[Path], synthetic_dir: Path) -> None:
    before = counts(loaded)
    summary = ingest_paths(loaded, [*tess_files, synthetic_dir], jobs=1)
    assert summary.count("skipped") == 12 and summary.count("added") == 0 and not summary.failed
    assert all(r.rows_inserted == 0 and r.release == 1 and "same bytes" in (r.note or "") for r in summary.results)
    assert counts(loaded) == before


def test_bad_files_write_nothing(fresh_dsn: str, tess_dir: Path, tmp_path: Path) -> None:
    truncated = tmp_path / "truncated_lc.fits"
    truncated.write_bytes((tess_dir / FILE_2).read_bytes()[:1_000_000])
    text = tmp_path / "readme_lc.fits"
    text.write_text("hello")
    no_lc = tmp_path / "image.fits"
    fits.HDUList([fits.PrimaryHDU(np.zeros((2, 2)))]).writeto(no_lc)
    before = counts(fresh_dsn)
    with lightcurvedb.connect(fresh_dsn) as conn:
        for path in (truncated, text, no_lc):
            result = ingest_file(conn, path)
            assert result.status == "failed" and result.error_type == "FitsFormatError"
            assert result.path == path and result.error and str(path) not in result.error  # path printed once
    assert counts(fresh_dsn) == before
