"""Write a target's assembled lightcurve as ECSV, CSV or a lightkurve-readable FITS file."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
from astropy.io import fits
from astropy.table import Column, Table
from astropy.time import Time
from astropy.timeseries import TimeSeries

import lightcurvedb
from lightcurvedb.errors import ConfigurationError, OutputFileError
from lightcurvedb.tess import mapping
from lightcurvedb.tess.quality import QualityBitmask
from lightcurvedb.tess.tic import TicLightcurves

FORMATS = {".ecsv": "ecsv", ".csv": "csv", ".fits": "fits", ".fit": "fits", ".fits.gz": "fits"}
_FLUX_UNIT = "e-/s"
_UNITS = {  # data stored before units were (legacy SPOC groups)
    "flux": _FLUX_UNIT, "flux_err": _FLUX_UNIT, "sap_flux": _FLUX_UNIT, "sap_flux_err": _FLUX_UNIT,
          "pdcsap_flux": _FLUX_UNIT, "pdcsap_flux_err": _FLUX_UNIT, "sap_bkg": _FLUX_UNIT, "sap_bkg_err": _FLUX_UNIT,
          "mom_centr1": "pixel", "mom_centr2": "pixel", "psf_centr1": "pixel", "psf_centr2": "pixel",
          "pos_corr1": "pixel", "pos_corr2": "pixel", "timecorr": "d"}


def export_format(path: Path) -> str:
    """The output format chosen by the file name's suffix."""
    name = path.name.lower()
    for suffix, fmt in FORMATS.items():
        if name.endswith(suffix):
            return fmt
    raise ConfigurationError(f"{path}: unknown export format; use one of {', '.join(sorted(FORMATS))}")


def check_output(path: Path, *, overwrite: bool, hint: str = "overwrite=True") -> None:
    """Refuse, before any work, an output file that exists (unless `overwrite`) or whose directory is missing or
    not writable (astropy's and lightkurve's convention: never replace a file silently)."""
    if path.is_dir():
        raise OutputFileError(f"{path} is a directory; give a file name")
    if path.exists() and not overwrite:
        raise OutputFileError(f"{path} exists; pass {hint} to replace it")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise OutputFileError(f"cannot write {path}: directory {parent} does not exist")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputFileError(f"cannot write {path}: directory {parent} is not writable")


@contextmanager
def output_file(path: Path, *, overwrite: bool) -> Iterator[Path]:
    """Yield a temporary name beside `path` to write to; on success it replaces `path` in one rename, on any
    failure it is removed, so a full disk or a killed writer never leaves a partial or clobbered file.

    `check_output` runs first; an OSError while writing (no space left, permission…) becomes OutputFileError.
    """
    check_output(path, overwrite=overwrite)
    partial = path.with_name(f".lcdb-partial-{secrets.token_hex(4)}-{path.name}")  # same suffixes: same format
    try:
        yield partial
        os.replace(partial, path)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        if isinstance(exc, OutputFileError):
            raise
        raise OutputFileError(f"cannot write {path}: {exc.strerror or exc}") from exc
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def _fits_column(name: str, column: Any, stored_unit: str | None) -> fits.Column:
    """A FITS column at the values' own precision (E for float32, I/J/K by width), with the stored unit (else
    the SPOC unit of data stored without one)."""
    arr = np.asarray(column)
    ints = {1: "I", 2: "I", 4: "J", 8: "K"}
    code = {"f": "E" if arr.dtype.itemsize == 4 else "D", "i": ints.get(arr.dtype.itemsize, "K"), "u": "K",
            "b": "L", "S": f"{arr.dtype.itemsize}A"}[arr.dtype.kind]
    unit = getattr(column, "unit", None)
    text = unit.to_string() if unit is not None else stored_unit
    return fits.Column(name=name.upper(), format=code, array=arr, unit=text if text is not None else _UNITS.get(name))


def write_fits(ts: TimeSeries, path: Path, lcs: TicLightcurves) -> None:
    """FITS the way lightkurve reads TESS lightcurves (`fits_hdus`), written to `path`."""
    fits_hdus(ts, lcs).writeto(path)


def fits_hdus(ts: TimeSeries, lcs: TicLightcurves) -> fits.HDUList:
    """FITS the way lightkurve reads TESS lightcurves, in memory: TIME (BTJD, NaN where unknown), FLUX, FLUX_ERR,
    QUALITY, … in a LIGHTCURVE extension with TIMEREF/TIMESYS/BJDREFI/BJDREFF headers."""
    epoch = float(mapping.TIME_SYSTEM.time_epoch)
    btjd = np.asarray(lcs.columns["time"], dtype=np.float64)  # the stored BTJD values, NaN where unknown
    cols = [fits.Column(name="TIME", format="D", array=btjd, unit="BJD - 2457000, days")]
    cols += [_fits_column(name, ts[name], lcs.units.get(name)) for name in ts.colnames if name != "time"]
    table = fits.BinTableHDU.from_columns(cols, name="LIGHTCURVE")
    finite = btjd[np.isfinite(btjd)]
    h = table.header
    h["TIMEREF"] = ("SOLARSYSTEM", "barycentric correction applied to times")
    h["TASSIGN"] = ("SPACECRAFT", "where time is assigned")
    h["TIMESYS"] = ("TDB", "Barycentric Dynamical Time")
    h["BJDREFI"] = (int(epoch), "integer part of BTJD reference date")
    h["BJDREFF"] = (epoch - int(epoch), "fraction of the day in BTJD reference date")
    h["TIMEUNIT"] = ("d", "time unit for TIME, TSTART and TSTOP")
    if finite.size:
        h["TSTART"] = (float(finite.min()), "observation start time in BTJD")
        h["TSTOP"] = (float(finite.max()), "observation stop time in BTJD")
    h["FLUX_GRP"] = (str(ts.meta.get("FLUX_GROUP", "")), "processing group in FLUX")
    if "BEST_RULE" in ts.meta:
        h["BESTRULE"] = (str(ts.meta["BEST_RULE"]), "rule that chose FLUX_GRP (flux best)")
    primary = fits.PrimaryHDU()
    p = primary.header
    p["TELESCOP"] = "TESS"
    p["INSTRUME"] = "TESS Photometer"
    p["OBJECT"] = f"TIC {lcs.tic_id}"
    p["TICID"] = lcs.tic_id
    p["ORIGIN"] = "lightcurvedb"
    p["CREATOR"] = f"lightcurvedb {getattr(lightcurvedb, '__version__', '')}".strip()
    sectors = sorted({o.sector for o in lcs.observations})
    if len(sectors) == 1:
        p["SECTOR"] = sectors[0]
        cams = {(o.camera, o.ccd) for o in lcs.observations}
        if len(cams) == 1:
            cam, ccd = next(iter(cams))
            if cam is not None and ccd is not None:
                p["CAMERA"], p["CCD"] = cam, ccd
    p["SECTORS"] = (",".join(map(str, sectors)), "sectors (column SECTOR per row)")
    p["PRODUCTS"] = (str(ts.meta.get("PRODUCTS", "")), "products read (one per sector)")
    p["RELEASES"] = (str(ts.meta.get("RELEASES", "")), "sector:product:release read")
    p["QUALMASK"] = (str(ts.meta.get("QUALITY_BITMASK", "none")), "quality bitmask applied (none: every cadence)")
    p["NORMFLUX"] = (bool(ts.meta.get("NORMALIZED", False)), "FLUX divided by each observation's median")
    return fits.HDUList([primary, table])


def write_lightcurves(lcs: TicLightcurves, path: str | Path, *, flux_group: str | None = None,
                      time_format: str | None = None, quality_bitmask: QualityBitmask = "none",
                      normalize: bool = False, overwrite: bool = False,
                      columns: list[str] | None = None) -> TimeSeries:
    """Write the target's TimeSeries to `path` (format from the suffix); returns the TimeSeries written.

    `quality_bitmask` drops the cadences it masks (a preset or an integer, per product as lightkurve does;
    "none" keeps every cadence, with the quality column); `normalize` divides each observation's flux and
    flux_err by its median flux; `columns` writes only those besides `time` (default: every column read). An
    existing file is refused unless `overwrite`; every file-system failure is an OutputFileError.
    """
    out = Path(path)
    check_output(out, overwrite=overwrite)  # first: a directory is refused as such, not for its suffix
    fmt = export_format(out)
    lcs = lcs.masked(quality_bitmask)
    ts = lcs.timeseries(flux_group, time_format=time_format, normalize=normalize)
    if columns is not None:
        ts.remove_columns([c for c in ts.colnames if c != "time" and c not in columns])
    with output_file(out, overwrite=overwrite) as partial:
        if fmt == "fits":
            write_fits(ts, partial, lcs)
        else:
            plain_table(ts, lcs).write(partial, format=f"ascii.{fmt}")
    return ts


def plain_table(ts: TimeSeries, lcs: TicLightcurves) -> Table:
    """`ts` with `time` as a plain float column in days (NaN where unknown) and its convention in the metadata
    (TIME_FORMAT, TIME_SCALE, TIME_UNIT, TIME_REFERENCE): astropy alone reads it, with or without lightcurvedb or
    lightkurve imported (it knows no 'btjd' format), and `read_export` turns it back into the same Time. In the
    mission's format the values are the stored BTJD floats themselves (exact)."""
    fmt = ts.time.format
    if fmt == lcs.time_format:
        values = np.asarray(lcs.columns["time"], dtype=np.float64)
        reference = f"JD {lcs.time_system.time_epoch} ({lcs.time_system.time_epoch_scale.upper()})"
    else:
        values = np.ma.filled(np.ma.masked_array(ts.time.to_value(fmt)).astype(np.float64), np.nan)
        reference = fmt
    table = Table(ts)
    table.remove_indices("time")  # the TimeSeries' index on its Time column
    table.replace_column("time", Column(values, unit="d", description=f"time, days since {reference}"))
    table.meta.update({"TIME_FORMAT": fmt, "TIME_SCALE": ts.time.scale, "TIME_UNIT": "d",
                       "TIME_REFERENCE": reference})
    return table


def read_export(path: str | Path, *, time_format: str = "btjd") -> TimeSeries:
    """Read a file written by `write_lightcurves` back as a TimeSeries (time in TDB, in the format written; CSV
    needs its time format)."""
    p = Path(path)
    fmt = export_format(p)
    if fmt in ("ecsv", "csv"):  # CSV keeps no metadata: its time format is the caller's `time_format`
        table = Table.read(p, format=f"ascii.{fmt}")
        if isinstance(table["time"], Time):  # an ECSV written before time was a plain column
            return TimeSeries(table)
        raw = np.asarray(np.ma.filled(np.ma.masked_array(table["time"], dtype=np.float64), np.nan))
        time = Time(np.ma.masked_invalid(raw), format=str(table.meta.get("TIME_FORMAT", time_format)),
                    scale=str(table.meta.get("TIME_SCALE", "tdb")))
        table.remove_column("time")
        return TimeSeries(time=time, data=table)
    with fits.open(p) as hdul:
        hdu = hdul["LIGHTCURVE"]
        h = hdu.header
        data = {name.lower(): np.asarray(hdu.data[name]) for name in hdu.columns.names if name != "TIME"}
        raw = np.asarray(hdu.data["TIME"], dtype=np.float64)
        time = Time(np.full(raw.shape, float(h["BJDREFI"])), np.ma.masked_invalid(raw) + float(h["BJDREFF"]),
                    format="jd", scale=str(h["TIMESYS"]).lower())
        return TimeSeries(time=time, data=data)
