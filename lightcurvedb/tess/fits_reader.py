"""Read TESS lightcurve FITS files (SPOC `*_s_lc.fits`, data-alerts HLSP, TGLC `*_llc.fits`) into NumPy arrays."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
from astropy.io import fits
from numpy.typing import NDArray

from lightcurvedb.errors import FitsFormatError
from lightcurvedb.tess.cadences import CadenceDerivationError, derive_cadences
from lightcurvedb.tess.mapping import QUALITY_FLAG, SPOC_COLUMNS, TGLC_COLUMNS, TGLC_FLAG, TIME_SYSTEM, ColumnMap
from lightcurvedb.tess.products import STORED, identify

Product = Literal["spoc", "tglc"]
_SPOC_REQUIRED = ("TIME", "CADENCENO", "QUALITY")
_TGLC_REQUIRED = ("time", "cadence_num", "TESS_flags", "TGLC_flags")


@dataclass(frozen=True)
class ColumnData:
    """One dataset read from a file: the mapping and its values/errors as float64 (errors NaN when absent)."""

    column: ColumnMap
    values: NDArray[np.float64]
    errors: NDArray[np.float64]


@dataclass(frozen=True)
class LightcurveFile:
    """Everything lightcurvedb stores from one lightcurve file, validated, as native-endian NumPy arrays."""

    path: Path
    product: Product
    tic_id: int
    sector: int
    camera: int
    ccd: int
    cadences: NDArray[np.int64]
    times: NDArray[np.float64]
    columns: tuple[ColumnData, ...]
    flags: Mapping[str, NDArray[np.int32]]
    time_epoch: float
    time_scale: str
    time_unit: str
    derived_cadence_seconds: float | None = None
    """Set when the file had no cadence numbers and `cadences` were derived from `times` (tess.cadences)."""

    @property
    def cadence_count(self) -> int:
        """Number of cadences (rows) of the file."""
        return int(self.cadences.shape[0])


def _fail(path: Path, problem: str) -> FitsFormatError:
    return FitsFormatError(path, problem)


def _header_value(path: Path, headers: list[fits.Header], *keys: str, required: bool = True) -> Any:
    for key in keys:
        for header in headers:
            if key in header and header[key] is not None and not isinstance(header[key], fits.card.Undefined):
                return header[key]
    if required:
        raise _fail(path, f"header keyword {' or '.join(keys)} is missing")
    return None


def _int_header(path: Path, headers: list[fits.Header], key: str, low: int, high: int) -> int:
    raw = _header_value(path, headers, key)
    if isinstance(raw, bool):  # FITS logical T/F: int(True) would be 1
        raise _fail(path, f"header keyword {key} = {raw!r} is not an integer")
    try:
        value = int(str(raw).strip()) if isinstance(raw, str) else int(raw)
    except (TypeError, ValueError, OverflowError):
        raise _fail(path, f"header keyword {key} = {raw!r} is not an integer") from None
    if isinstance(raw, float) and raw != value:
        raise _fail(path, f"header keyword {key} = {raw!r} is not an integer")
    if not low <= value <= high:
        raise _fail(path, f"header keyword {key} = {value} is outside {low}..{high}")
    return value


def _float_column(path: Path, data: Any, name: str) -> NDArray[np.float64]:
    raw = np.asarray(data[name])
    if raw.ndim != 1 or raw.dtype.kind != "f":
        raise _fail(path, f"column {name} is not a 1-D floating-point column (dtype {raw.dtype}, shape {raw.shape})")
    return raw.astype(np.float64)  # float32 → float64 is exact: the stored value casts back bit-identically


def _int_column(path: Path, data: Any, name: str) -> NDArray[np.int64]:
    raw = np.asarray(data[name])
    if raw.ndim != 1 or raw.dtype.kind not in "iu":
        raise _fail(path, f"column {name} is not a 1-D integer column (dtype {raw.dtype}, shape {raw.shape})")
    return raw.astype(np.int64)


def _flags(path: Path, data: Any, name: str) -> NDArray[np.int32]:
    raw = _int_column(path, data, name)
    if raw.size and (raw.min() < -(2**31) or raw.max() >= 2**31):
        raise _fail(path, f"column {name} does not fit a 32-bit quality bitmask")
    return raw.astype(np.int32)


def _columns(path: Path, data: Any, names: set[str], header: fits.Header,
             maps: tuple[ColumnMap, ...], n: int) -> tuple[ColumnData, ...]:
    out = []
    for column in maps:
        if column.values not in names:
            continue  # a product without this column simply has no such dataset
        values = _float_column(path, data, column.values)
        if column.errors is not None and column.errors in names:
            errors = _float_column(path, data, column.errors)
        elif column.error_keyword is not None:
            scalar = _header_value(path, [header], column.error_keyword)
            if not isinstance(scalar, int | float):
                raise _fail(path, f"header keyword {column.error_keyword} = {scalar!r} is not a number")
            errors = np.full(n, float(scalar), dtype=np.float64)
        else:
            errors = np.full(n, np.nan, dtype=np.float64)
        out.append(ColumnData(column, values, errors))
    if not out:
        raise _fail(path, "the LIGHTCURVE table has none of the known flux columns")
    return tuple(out)


def _product(path: Path, hdul: fits.HDUList, table: fits.Header) -> Product:
    """The file's product (lightcurvedb.tess.products.identify); a file that is no product this version stores
    is refused with a reason naming what it is."""
    found = identify(path.name, hdul[0].header, table, [h.name for h in hdul])
    if found.product is None:
        raise _fail(path, f"not a TESS lightcurve product: {found.evidence}")
    if found.product == "spoc":
        return "spoc"
    if found.product == "tglc":
        return "tglc"
    raise _fail(path, f"a {found.product} file ({found.evidence}): this lightcurvedb version stores "
                      f"{' and '.join(STORED)} lightcurves only (others would mix with them); not ingested")


def _check_layout(path: Path, product: Product, names: set[str]) -> None:
    required = _SPOC_REQUIRED if product == "spoc" else _TGLC_REQUIRED
    missing = [c for c in required if c not in names]
    if missing:
        raise _fail(path, f"a {product} file without the columns {missing} of its layout (it has {sorted(names)})")


def _time_system(path: Path, headers: list[fits.Header]) -> tuple[float, str, str]:
    scale = str(_header_value(path, headers, "TIMESYS")).strip().lower()
    unit = str(_header_value(path, headers, "TIMEUNIT", required=False) or "d").strip()
    refi = _header_value(path, headers, "BJDREFI")
    reff = _header_value(path, headers, "BJDREFF", "BJDREFR", required=False) or 0.0
    if not isinstance(refi, int | float) or not isinstance(reff, int | float):
        raise _fail(path, f"BJDREFI/BJDREFF ({refi!r}, {reff!r}) are not numbers")
    return float(refi) + float(reff), scale, unit


def _read(path: Path, hdul: fits.HDUList) -> LightcurveFile:
    hdu = next((h for h in hdul if h.name == "LIGHTCURVE"), None)
    if hdu is None:
        found = identify(path.name, hdul[0].header, None, [h.name for h in hdul])
        if found.product is None and found.known:  # e.g. the comet HLSP: say what it is
            raise _fail(path, f"not a TESS lightcurve product: {found.evidence}")
        raise _fail(path, f"no LIGHTCURVE extension (HDUs: {[h.name for h in hdul]})")
    if not isinstance(hdu, fits.BinTableHDU):
        raise _fail(path, f"the LIGHTCURVE extension is a {type(hdu).__name__}, not a binary table")
    telescope = str(_header_value(path, [hdu.header, hdul[0].header], "TELESCOP")).strip()
    if telescope != "TESS":
        raise _fail(path, f"TELESCOP is {telescope!r}, not 'TESS'")
    product = _product(path, hdul, hdu.header)
    headers = [hdu.header, hdul[0].header]
    data = hdu.data
    if data is None or len(data) == 0:
        raise _fail(path, "the LIGHTCURVE table has no rows")
    names = set(data.columns.names)
    _check_layout(path, product, names)
    time_col, cad_col = ("TIME", "CADENCENO") if product == "spoc" else ("time", "cadence_num")
    cadences = _int_column(path, data, cad_col)
    n = int(cadences.shape[0])
    times = _float_column(path, data, time_col)
    if not bool(np.any(np.isfinite(times))):
        raise _fail(path, f"column {time_col} has no finite time (all {n} values are NaN or infinite)")
    derived: float | None = None
    if n > 1 and not bool(np.any(cadences)):  # files written by the tglc package: no cadence numbers
        try:
            cadences, derived = derive_cadences(times)
        except CadenceDerivationError as exc:
            raise _fail(path, f"column {cad_col} is 0 on every row and cadence numbers cannot be derived from "
                              f"{time_col}: {exc}") from None
    if n > 1 and not bool(np.all(np.diff(cadences) > 0)):
        raise _fail(path, f"column {cad_col} is not strictly increasing")
    maps = SPOC_COLUMNS if product == "spoc" else TGLC_COLUMNS
    columns = _columns(path, data, names, hdu.header, maps, n)
    if product == "spoc":
        flags = {QUALITY_FLAG: _flags(path, data, "QUALITY")}
    else:
        flags = {QUALITY_FLAG: _flags(path, data, "TESS_flags"), TGLC_FLAG: _flags(path, data, "TGLC_flags")}
    epoch, scale, unit = _time_system(path, headers)
    ts = TIME_SYSTEM  # refused here, before ingestion touches the database (not even its reference rows)
    if epoch != float(ts.time_epoch) or scale != ts.time_epoch_scale or unit != ts.time_unit:
        raise _fail(path, f"time system (epoch {epoch}, TIMESYS {scale!r}, unit {unit!r}) differs from the TESS "
                          f"mission's BTJD ({ts.time_epoch}, {ts.time_epoch_scale!r}, {ts.time_unit!r})")
    return LightcurveFile(
        path=path, product=product, tic_id=_int_header(path, headers, "TICID", 1, 2**62),
        sector=_int_header(path, headers, "SECTOR", 1, 100_000), camera=_int_header(path, headers, "CAMERA", 1, 4),
        ccd=_int_header(path, headers, "CCD", 1, 4), cadences=cadences, times=times, columns=columns, flags=flags,
        time_epoch=epoch, time_scale=scale, time_unit=unit, derived_cadence_seconds=derived,
    )


def read_lightcurve(path: str | Path) -> LightcurveFile:
    """Read and validate one lightcurve file; anything unreadable or unexpected raises FitsFormatError."""
    p = Path(path)
    if not p.is_file():
        raise _fail(p, "no such file")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # astropy reports truncated/damaged files as warnings: refuse them
            with p.open("rb") as fh, fits.open(fh, memmap=False, lazy_load_hdus=False) as hdul:
                return _read(p, hdul)  # our own handle: closed even when astropy fails half-way
    except FitsFormatError:
        raise
    except Exception as exc:  # astropy raises OSError, ValueError, TypeError, IndexError … for damaged files
        raise _fail(p, f"not a readable FITS file ({type(exc).__name__}: {exc})") from exc
