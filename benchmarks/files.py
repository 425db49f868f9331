"""`python -m benchmarks.files [--quick] [--json]`: reads against what a user would do instead, a folder of FITS files.

One star with 17 SPOC 2-min sectors: 17 copies of a real archive file (`../shared/data/tess`, the SPOC file with the
most rows; a synthetic SPOC-layout file of 20,076 cadences when `../shared` is absent), each shifted by a sector in
time and cadence number, written as its own `tess…-s00NN-…-s_lc.fits` and ingested with `lcdb ingest`. In one
process, warm caches on both sides, each figure is the ratio of two medians, both reported:

- one sector's time, PDCSAP flux, error and quality: astropy (`fits.open` and the four columns) ÷ `load_tic(…,
  sectors=[N], columns=…)` as NumPy; the same for all 17 sectors; every column of all 17 sectors;
- the same sector as an astropy `TimeSeries` (`.timeseries()`) against the same astropy read, and against its
  floor: our NumPy read plus what astropy itself takes to build a `TimeSeries` of those arrays in memory;
- `lightkurve.read` of the 17 files into a `LightCurveCollection` ÷ `to_lightkurve(conn, tic)`;
- the wall time of `lcdb --help` and of `lcdb show TIC`, each a fresh process;
- the data tables' size on disk (heap, TOAST and indexes of every partition: `lcdb_partitions`) ÷ the FITS files'
  bytes (`db_bytes_ratio_to_fits`), and the arrays' own stored bytes (`lcdb_storage_by_sector`) ÷ the same.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from astropy.io import fits

import lightcurvedb
from benchmarks._report import Goals, Log, add_goals, arguments, measure
from lightcurvedb.scratch import throwaway_database
from lightcurvedb.tess.ingest import ingest_paths
from lightcurvedb.tess.tic import load_tic

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "tess"
SECTORS = 17
SECTOR_DAYS = 27.4
FOUR = ("TIME", "PDCSAP_FLUX", "PDCSAP_FLUX_ERR", "QUALITY")
COLUMNS = [c.lower() for c in FOUR]
GOALS: Goals = {
    "one_sector_ratio_to_astropy_files": (">=", 2.0),
    "all_sectors_ratio_to_astropy_files": (">=", 4.0),
    "all_columns_ratio_to_astropy_files": (">=", 1.5),
    "to_lightkurve_ratio_to_lightkurve_read": (">=", 2.0),
    "timeseries_ratio_to_astropy_files": (">=", 1.0),
    "timeseries_ratio_to_floor": (">=", 0.9),
    "db_bytes_ratio_to_fits": ("<=", 0.8),
    "cli_help_s": ("<=", 0.3),
    "cli_show_s": ("<=", 0.8),
}


def _source() -> Path | None:
    """The real SPOC 2-min file with the most rows, or None without ../shared."""
    if not SHARED.is_dir():
        return None
    spoc = sorted(SHARED.glob("tess*-s_lc.fits"))
    return max(spoc, key=lambda p: fits.getheader(p, 1)["NAXIS2"], default=None)


def _synthetic(out: Path) -> Path:
    """A SPOC-layout file of 20,076 cadences (the real file's size) when no real file is at hand."""
    from lightcurvedb.tess import synthetic

    rng = np.random.default_rng(22)
    star = synthetic.SyntheticTarget(tic_id=261136679, camera=1, ccd=2, flux=8000.0, sectors=(1,), ra=70.0,
                                     dec=-60.0)
    path = synthetic.write_file(star, 1, out, rng)
    with fits.open(path) as hdus:
        n, table = 20076, hdus[1]
        cols = []
        for c in table.columns:
            base = np.asarray(table.data[c.name])
            cols.append(fits.Column(name=c.name, format=c.format, unit=c.unit, array=np.resize(base, n)))
        new = fits.BinTableHDU.from_columns(cols, header=table.header)
        new.data["CADENCENO"] = np.arange(n, dtype=np.int32) + 1000
        new.data["TIME"] = 1325.3 + np.arange(n) * (2 / 1440)
        fits.HDUList([hdus[0].copy(), new]).writeto(path, overwrite=True)
    return path


def write_sectors(out: Path, source: Path) -> tuple[int, list[Path]]:
    """17 files of one star: `source` shifted by k sectors (time + k × 27.4 d, CADENCENO + k × its span)."""
    paths = []
    with fits.open(source) as hdus:
        primary, table = hdus[0].header, hdus[1]
        tic = int(primary["TICID"])
        time0 = np.asarray(table.data["TIME"], dtype=np.float64)
        cad0 = np.asarray(table.data["CADENCENO"], dtype=np.int64)
        span = int(cad0.max() - cad0.min()) + 1000
        for k in range(SECTORS):
            sector = k + 1
            head = primary.copy()
            head["SECTOR"] = sector
            data = table.data.copy()
            data["TIME"] = time0 + k * SECTOR_DAYS
            data["CADENCENO"] = cad0 + k * span
            hdu = fits.BinTableHDU(data=data, header=table.header.copy())
            for key in ("TSTART", "TSTOP"):
                if key in hdu.header:
                    hdu.header[key] = float(hdu.header[key]) + k * SECTOR_DAYS
            path = out / f"tess2020000000000-s{sector:04d}-{tic:016d}-0000-s_lc.fits"
            fits.HDUList([fits.PrimaryHDU(header=head), hdu, *[h.copy() for h in hdus[2:]]]).writeto(path)
            paths.append(path)
    return tic, paths


WARM = 6
"""Untimed calls before each timing: PostgreSQL plans a prepared statement (the read's plan query) with its
parameters for its first five executions, then keeps the generic plan; a warm connection has it."""


def _median_ms(fn: Callable[[], Any], runs: int) -> float:
    for _ in range(WARM):
        fn()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return round(1000 * statistics.median(times), 3)


def _astropy(paths: list[Path], columns: tuple[str, ...] | None) -> list[dict[str, np.ndarray]]:
    """What a user with a folder does: open each file, take the columns as native NumPy arrays."""
    out = []
    for path in paths:
        with fits.open(path) as hdus:
            data = hdus[1].data
            names = columns or data.columns.names
            out.append({name: np.array(data[name]) for name in names})
    return out


def _astropy_timeseries(arrays: dict[str, np.ndarray]) -> Any:
    """What astropy itself charges for a TimeSeries of arrays already in memory: the masked TDB time (NaN times
    masked, as ours) and the three columns; the floor of any read that returns a TimeSeries."""
    from astropy.time import Time
    from astropy.timeseries import TimeSeries

    time = Time(2457000.0, np.ma.masked_invalid(arrays["TIME"]), format="jd", scale="tdb")
    return TimeSeries(time=time, data={name.lower(): arrays[name] for name in FOUR[1:]}, copy=False)


def _cli_s(args: list[str], runs: int) -> float:
    """Median wall time of a fresh `lcdb ARGS` process."""
    lcdb = shutil.which("lcdb") or str(Path(sys.executable).with_name("lcdb"))
    times = []
    for _ in range(runs + 1):
        t0 = time.perf_counter()
        subprocess.run([lcdb, *args], check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - t0)
    return round(statistics.median(times[1:]), 3)


def _ratio(out: dict[str, Any], key: str, baseline: str, ours: str) -> None:
    out[key] = round(out[baseline] / out[ours], 3)


def run(quick: bool, server_dsn: str, log: Log) -> dict[str, Any]:
    """Write, ingest and read the 17 sectors; return the figures."""
    import lightkurve as lk

    from lightcurvedb.tess import to_lightkurve

    runs = 7 if quick else 21
    out: dict[str, Any] = {"quick": quick, "runs": runs}
    with tempfile.TemporaryDirectory(prefix="lcdb-bench-files-") as scratch, \
            throwaway_database(server_dsn, prefix="lcdb_bench_files") as dsn:
        folder = Path(scratch)
        source = _source() or _synthetic(folder / "synthetic")
        (folder / "sectors").mkdir()
        tic, paths = write_sectors(folder / "sectors", source)
        out.update({"source_file": source.name, "sectors": SECTORS, "cadences_per_sector":
                    int(fits.getheader(paths[0], 1)["NAXIS2"]), "file_mb": round(paths[0].stat().st_size / 2**20, 2)})
        summary = ingest_paths(dsn, paths)
        assert summary.count("added") == SECTORS, [r.error for r in summary.failed]
        log(f"[files] {SECTORS} sectors of TIC {tic} from {source.name} written and ingested")
        with contextlib.closing(lightcurvedb.connect(dsn)) as conn:
            stored = conn.execute("SELECT (SELECT sum(bytes)::bigint FROM lcdb_partitions), "
                                  "(SELECT sum(bytes)::bigint FROM lcdb_storage_by_sector)").fetchone()
        assert stored is not None
        out["fits_bytes"] = sum(p.stat().st_size for p in paths)
        out["db_bytes"], out["db_array_bytes"] = int(stored[0]), int(stored[1])
        _ratio(out, "db_bytes_ratio_to_fits", "db_bytes", "fits_bytes")
        _ratio(out, "db_array_bytes_ratio_to_fits", "db_array_bytes", "fits_bytes")
        # what each observation's partitions cost beside their arrays (indexes, TOAST index and free-space map,
        # page headers): fixed, so shared by every lightcurve of an observation; here each holds one
        out["db_fixed_bytes_per_observation"] = (out["db_bytes"] - out["db_array_bytes"]) // SECTORS
        log(f"[files] data tables {out['db_bytes']:,} bytes ({out['db_array_bytes']:,} of arrays) for "
            f"{out['fits_bytes']:,} bytes of FITS files")
        one = [paths[4]]
        with contextlib.closing(lightcurvedb.connect(dsn)) as conn:
            mine = load_tic(conn, tic, sectors=[5], columns=COLUMNS)
            theirs = _astropy(one, FOUR)[0]
            for name in FOUR:
                assert np.array_equal(mine.columns[name.lower()], theirs[name], equal_nan=True), name
            out["one_sector_astropy_ms"] = _median_ms(lambda: _astropy(one, FOUR), runs)
            out["one_sector_lcdb_ms"] = _median_ms(lambda: load_tic(conn, tic, sectors=[5], columns=COLUMNS), runs)
            _ratio(out, "one_sector_ratio_to_astropy_files", "one_sector_astropy_ms", "one_sector_lcdb_ms")
            out["timeseries_lcdb_ms"] = _median_ms(
                lambda: load_tic(conn, tic, sectors=[5], columns=COLUMNS).timeseries(), runs)
            _ratio(out, "timeseries_ratio_to_astropy_files", "one_sector_astropy_ms", "timeseries_lcdb_ms")
            out["timeseries_over_numpy_ms"] = round(out["timeseries_lcdb_ms"] - out["one_sector_lcdb_ms"], 3)
            out["timeseries_astropy_build_ms"] = _median_ms(lambda: _astropy_timeseries(theirs), runs)
            out["timeseries_floor_ms"] = round(out["one_sector_lcdb_ms"] + out["timeseries_astropy_build_ms"], 3)
            _ratio(out, "timeseries_ratio_to_floor", "timeseries_floor_ms", "timeseries_lcdb_ms")
            out["all_sectors_astropy_ms"] = _median_ms(lambda: _astropy(paths, FOUR), runs)
            out["all_sectors_lcdb_ms"] = _median_ms(lambda: load_tic(conn, tic, columns=COLUMNS), runs)
            _ratio(out, "all_sectors_ratio_to_astropy_files", "all_sectors_astropy_ms", "all_sectors_lcdb_ms")
            out["all_columns_astropy_ms"] = _median_ms(lambda: _astropy(paths, None), runs)
            out["all_columns_lcdb_ms"] = _median_ms(lambda: load_tic(conn, tic), runs)
            _ratio(out, "all_columns_ratio_to_astropy_files", "all_columns_astropy_ms", "all_columns_lcdb_ms")
            log(f"[files] astropy/lcdb: one sector {out['one_sector_astropy_ms']}/{out['one_sector_lcdb_ms']} ms, "
                f"TimeSeries {out['timeseries_lcdb_ms']} ms, all sectors {out['all_sectors_astropy_ms']}/"
                f"{out['all_sectors_lcdb_ms']} ms, all columns {out['all_columns_astropy_ms']}/"
                f"{out['all_columns_lcdb_ms']} ms")
            lk_runs = max(3, runs // 3)
            out["lightkurve_read_ms"] = _median_ms(
                lambda: lk.LightCurveCollection([lk.read(str(p)) for p in paths]), lk_runs)
            out["to_lightkurve_ms"] = _median_ms(lambda: to_lightkurve(conn, tic), lk_runs)
            _ratio(out, "to_lightkurve_ratio_to_lightkurve_read", "lightkurve_read_ms", "to_lightkurve_ms")
            log(f"[files] lightkurve.read {out['lightkurve_read_ms']} ms, to_lightkurve {out['to_lightkurve_ms']} ms")
        env_dsn = {**os.environ, "LCDB_DSN": dsn}
        os.environ.update(env_dsn)
        cli_runs = 3 if quick else 7
        out["cli_help_s"] = _cli_s(["--help"], cli_runs)
        out["cli_show_s"] = _cli_s(["show", str(tic)], cli_runs)
        log(f"[files] lcdb --help {out['cli_help_s']} s, lcdb show {out['cli_show_s']} s")
    add_goals(out, GOALS)
    return out


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments, run the benchmark, print the figures (with --json: one JSON object on stdout)."""
    parser = arguments("python -m benchmarks.files", __doc__, quick="7 runs of each read instead of 21 (a minute)")
    args = parser.parse_args(argv)
    return measure(args.json, lambda log: run(bool(args.quick), args.dsn, log))


if __name__ == "__main__":
    sys.exit(main())
