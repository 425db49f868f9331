"""Read TESS lightcurve FITS files of every product with a layout (mapping.LAYOUTS) into NumPy arrays, losslessly."""

from __future__ import annotations

import dataclasses
import hashlib
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
from astropy.io import fits
from numpy.typing import NDArray

from lightcurvedb.errors import FitsFormatError
from lightcurvedb.tess import mapping
from lightcurvedb.tess.cadences import CadenceDerivationError, derive_cadences
from lightcurvedb.tess.mapping import TIME_SYSTEM, ColumnMap
from lightcurvedb.tess.products import identify

_FLOAT_TYPES = ("float32", "float64")
_INT_TYPES = ("int8", "uint8", "int16", "int32", "int64")
_EXACT_INT = 2**53  # integers beyond this do not survive float64 storage


@dataclass(frozen=True)
class ColumnData:
    """One dataset read from a file: the mapping and its values/errors at the file's precision (float32 or
    float64; integer columns as float64, exactly), errors NaN when absent."""

    column: ColumnMap
    values: NDArray[np.floating[Any]]
    errors: NDArray[np.floating[Any]]


@dataclass(frozen=True)
class FileColumn:
    """One column of the file's table (or a header scalar broadcast as a column) and where it is stored."""

    name: str
    position: int | None  # 1-based in the table; None for a header keyword's column
    role: Literal["time", "cadence", "values", "errors", "flags", "text"]
    dtype: str  # the file's precision, a NumPy type name: exports cast back to it
    unit: str | None
    group: str | None = None  # roles values/errors
    flag_type: str | None = None  # role flags
    header_keyword: str | None = None
    value_offset: float = 0.0  # the file's value = stored + value_offset (a time column in full BJD: 2457000)
    text_values: tuple[str, ...] | None = None  # role text: the values (stored with the layout)


@dataclass(frozen=True)
class LightcurveFile:
    """Everything lightcurvedb stores from one lightcurve file, validated, as native-endian NumPy arrays."""

    path: Path
    product: str
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
    layout: tuple[FileColumn, ...] = ()
    size_bytes: int = 0
    sha256: str = ""
    primary_header: dict[str, Any] = field(default_factory=dict)
    table_header: dict[str, Any] = field(default_factory=dict)
    unstored: tuple[str, ...] = ()  # columns neither numeric nor text (e.g. logical or multi-dimensional)

    @property
    def cadence_count(self) -> int:
        """Number of cadences (rows) of the file."""
        return int(self.cadences.shape[0])

    def keyword(self, key: str) -> Any:
        """A primary-header value (None when absent)."""
        return self.primary_header.get(key)


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


def _float_column(path: Path, data: Any, name: str) -> NDArray[np.floating[Any]]:
    """A float column at its own precision, native byte order (float32 stays float32: stored as real[])."""
    raw = np.asarray(data[name])
    if raw.ndim != 1 or raw.dtype.kind != "f":
        raise _fail(path, f"column {name} is not a 1-D floating-point column (dtype {raw.dtype}, shape {raw.shape})")
    return raw.astype(raw.dtype.newbyteorder("="))


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


def _numeric(path: Path, data: Any, name: str) -> NDArray[np.floating[Any]]:
    """A float or integer column as float64, exactly (integers beyond 2**53 are refused: they would round)."""
    raw = np.asarray(data[name])
    if raw.dtype.kind in "iu":
        ints = raw.astype(np.int64)
        if ints.size and int(np.abs(ints).max()) > _EXACT_INT:
            raise _fail(path, f"column {name} holds integers beyond 2**53, which float64 storage would round")
        return ints.astype(np.float64)
    return _float_column(path, data, name)


def _dtype(path: Path, data: Any, name: str) -> str:
    raw = np.asarray(data[name])
    kind = raw.dtype.newbyteorder("=").name
    if raw.ndim != 1 or kind not in _FLOAT_TYPES + _INT_TYPES:
        raise _fail(path, f"column {name} is not a 1-D numeric column (dtype {raw.dtype}, shape {raw.shape})")
    return kind


def _error_partner(name: str, names: list[str]) -> str | None:
    for suffix in ("_ERR", "_err", "ERR", "_Err"):
        if name + suffix in names:
            return name + suffix
    return None


def _units(header: fits.Header, names: list[str], layout: mapping.Layout) -> dict[str, str | None]:
    written = {name: header.get(f"TUNIT{i}") for i, name in enumerate(names, start=1)}
    documented = dict(layout.units)
    return {name: (str(unit).strip() if unit is not None else documented.get(name)) for name, unit in written.items()}


def _columns(path: Path, data: Any, header: fits.Header, layout: mapping.Layout, n: int, derived: bool,
             time_offset: float) -> tuple[tuple[ColumnData, ...], tuple[FileColumn, ...]]:
    """Every numeric column of the table as a dataset (values + errors), except the time, cadence and flag
    columns, with the file's layout: the known mappings first, then each other column under its own group."""
    names = list(data.columns.names)
    position = {name: i for i, name in enumerate(names, start=1)}
    units = _units(header, names, layout)
    flag_columns = dict(layout.flags)
    taken = {layout.time, *flag_columns} | ({layout.cadence} if layout.cadence and not derived else set())
    maps: list[ColumnMap] = [c for c in layout.known if c.values in position]
    for c in maps:
        taken |= {c.values} | ({c.errors} if c.errors and c.errors in position else set())
    for name in names:
        if name in taken or np.asarray(data[name]).dtype.kind not in "fiu":
            continue
        partner = _error_partner(name, names)
        partner = partner if partner is not None and partner not in taken else None
        maps.append(mapping.generic_column(layout.label, name, partner))
        taken |= {name} | ({partner} if partner else set())
    out: list[ColumnData] = []
    files: list[FileColumn] = []
    known = set(layout.known)
    for column in maps:
        read = _float_column if column in known else _numeric  # the layout's own columns are floating point
        values = read(path, data, column.values)
        files.append(FileColumn(column.values, position[column.values], "values", _dtype(path, data, column.values),
                                units[column.values], group=column.group))
        if column.errors is not None and column.errors in position:
            errors = read(path, data, column.errors)
            files.append(FileColumn(column.errors, position[column.errors], "errors",
                                    _dtype(path, data, column.errors), units[column.errors], group=column.group))
        elif column.error_keyword is not None:
            scalar = _header_value(path, [header], column.error_keyword)
            if not isinstance(scalar, int | float) or isinstance(scalar, bool):
                raise _fail(path, f"header keyword {column.error_keyword} = {scalar!r} is not a number")
            errors = np.full(n, float(scalar), dtype=np.float64)
            files.append(FileColumn(f"{column.values}_err", None, "errors", "float64", units[column.values],
                                    group=column.group, header_keyword=column.error_keyword))
        else:
            errors = np.full(n, np.nan, dtype=values.dtype)  # no errors: NaN at the values' precision
        out.append(ColumnData(column, values, errors))
    if not out:
        raise _fail(path, "the lightcurve table has no flux: no numeric column besides time, cadence and flags")
    for name, kind in flag_columns.items():
        files.append(FileColumn(name, position[name], "flags", _dtype(path, data, name), units[name],
                                flag_type=kind))
    files.append(FileColumn(layout.time, position[layout.time], "time", _dtype(path, data, layout.time),
                            units[layout.time], value_offset=time_offset))
    if layout.cadence is not None and not derived:
        files.append(FileColumn(layout.cadence, position[layout.cadence], "cadence",
                                _dtype(path, data, layout.cadence), units[layout.cadence]))
    return tuple(out), tuple(sorted(files, key=lambda f: (f.position is None, f.position or 0, f.name)))


def _text_columns(data: Any, header: fits.Header, layout: mapping.Layout) -> tuple[FileColumn, ...]:
    """The table's one-dimensional text columns (e.g. CDIPS's IRQ quality letters), values as the file wrote them
    (bytes read as Latin-1, so any byte comes back; trailing blanks removed, as FITS readers do)."""
    names = list(data.columns.names)
    units = _units(header, names, layout)
    out = []
    for position, name in enumerate(names, start=1):
        arr = np.asarray(data[name])
        if arr.dtype.kind not in "SU" or arr.ndim != 1:
            continue
        width = arr.dtype.itemsize // (4 if arr.dtype.kind == "U" else 1)
        values = tuple((v.decode("latin-1") if isinstance(v, bytes) else v).rstrip(" ") for v in arr.tolist())
        out.append(FileColumn(name, position, "text", f"S{max(width, 1)}", units[name], text_values=values))
    return tuple(out)


def _layout(path: Path, hdul: fits.HDUList, table: fits.Header) -> tuple[str, mapping.Layout]:
    """The file's product (lightcurvedb.tess.products.identify) and its layout; a file that is no product, or a
    product this version has no layout for, is refused with a reason naming what it is."""
    found = identify(path.name, hdul[0].header, table, [h.name for h in hdul])
    if found.product is None:
        raise _fail(path, f"not a TESS lightcurve product: {found.evidence}")
    layout = mapping.LAYOUTS.get(found.product)
    if layout is None:
        raise _fail(path, f"a {found.product} file ({found.evidence}): this lightcurvedb version reads "
                          f"{', '.join(mapping.LAYOUTS)} lightcurves; not ingested")
    return found.product, layout


def _check_layout(path: Path, product: str, layout: mapping.Layout, names: set[str]) -> None:
    required = [layout.time, *([layout.cadence] if layout.cadence else []), *(c for c, _ in layout.flags)]
    missing = [c for c in required if c not in names]
    if missing:
        raise _fail(path, f"a {product} file without the columns {missing} of its layout (it has {sorted(names)})")


def header_json(header: fits.Header) -> dict[str, Any]:
    """A FITS header as a JSON object: keyword -> value (bool, int, float or str; undefined values None;
    non-finite floats as strings), COMMENT and HISTORY (and repeated keywords) as arrays."""
    out: dict[str, Any] = {}
    for card in header.cards:
        key = card.keyword
        value: Any = card.value
        if isinstance(value, fits.card.Undefined):
            value = None
        elif isinstance(value, float) and not np.isfinite(value):
            value = repr(value)
        elif not isinstance(value, bool | int | float | str):
            value = str(value)
        if key in ("COMMENT", "HISTORY", "") or key in out:
            previous = out.get(key)
            if key in out and not isinstance(previous, list):
                out[key] = [previous]
            out.setdefault(key, []).append(value)
        else:
            out[key] = value
    return out


_DAY_UNITS = ("d", "day", "days", "bjd", "btjd")  # TIMEUNIT spellings of days (PATHOS writes 'bjd')


def _time_system(path: Path, headers: list[fits.Header], layout: mapping.Layout) -> tuple[float, str, str]:
    scale = str(_header_value(path, headers, "TIMESYS")).strip().lower()
    unit = str(_header_value(path, headers, "TIMEUNIT", required=False) or "d").strip()
    unit = "d" if unit.lower() in _DAY_UNITS else unit
    refi = _header_value(path, headers, "BJDREFI", required=layout.documented_epoch is None)
    if refi is None:
        refi = layout.documented_epoch
    reff = _header_value(path, headers, "BJDREFF", "BJDREFR", required=False) or 0.0
    if not isinstance(refi, int | float) or not isinstance(reff, int | float):
        raise _fail(path, f"BJDREFI/BJDREFF ({refi!r}, {reff!r}) are not numbers")
    return float(refi) + float(reff), scale, unit


def _table_hdu(path: Path, hdul: fits.HDUList) -> fits.BinTableHDU:
    """The lightcurve table: the LIGHTCURVE extension, or, for a product whose layout has an unnamed table
    (eleanor, CDIPS, PATHOS), the first extension; else the file is refused saying what it is."""
    hdu = next((h for h in hdul if h.name == "LIGHTCURVE"), None)
    names = [h.name for h in hdul]
    if hdu is None:
        found = identify(path.name, hdul[0].header, None, names)
        layout = mapping.LAYOUTS.get(found.product) if found.product else None
        if layout is not None and layout.extension is None and len(hdul) > 1:
            hdu = hdul[1]
        elif found.product is None and found.known:  # e.g. the comet HLSP: say what it is
            raise _fail(path, f"not a TESS lightcurve product: {found.evidence}")
        else:
            raise _fail(path, f"no LIGHTCURVE extension (HDUs: {names})")
    if not isinstance(hdu, fits.BinTableHDU):
        raise _fail(path, f"the {hdu.name or 'first'} extension is a {type(hdu).__name__}, not a binary table")
    return hdu


def _read(path: Path, hdul: fits.HDUList) -> LightcurveFile:
    hdu = _table_hdu(path, hdul)
    telescope = str(_header_value(path, [hdu.header, hdul[0].header], "TELESCOP")).strip()
    if telescope != "TESS":
        raise _fail(path, f"TELESCOP is {telescope!r}, not 'TESS'")
    product, layout = _layout(path, hdul, hdu.header)
    headers = [hdu.header, hdul[0].header]
    data = hdu.data
    if data is None or len(data) == 0:
        raise _fail(path, "the LIGHTCURVE table has no rows")
    _check_layout(path, product, layout, set(data.columns.names))
    times = _float_column(path, data, layout.time).astype(np.float64)  # times are float64 (D) in every product
    n = int(times.shape[0])
    if not bool(np.any(np.isfinite(times))):
        raise _fail(path, f"column {layout.time} has no finite time (all {n} values are NaN or infinite)")
    _check_time_order(path, times, layout.time)
    epoch, scale, unit = _time_system(path, headers, layout)
    ts = TIME_SYSTEM  # refused here, before ingestion touches the database (not even its reference rows)
    if scale != ts.time_epoch_scale or unit != ts.time_unit:
        raise _fail(path, f"time system (TIMESYS {scale!r}, unit {unit!r}) differs from the TESS mission's BTJD "
                          f"({ts.time_epoch_scale!r}, {ts.time_unit!r})")
    offset = float(ts.time_epoch) - epoch  # 0 for BTJD files; 2457000 for full BJD (CDIPS)
    if offset:
        raw = times
        times = raw - offset
        if not np.array_equal(times + offset, raw, equal_nan=True):
            raise _fail(path, f"times with BJD reference {epoch} do not convert to BTJD exactly")
    derived: float | None = None
    cadences = _int_column(path, data, layout.cadence) if layout.cadence else np.zeros(n, np.int64)
    if n > 1 and not bool(np.any(cadences)):  # e.g. files written by the tglc package: no cadence numbers
        try:
            cadences, derived = derive_cadences(times)
        except CadenceDerivationError as exc:
            what = f"column {layout.cadence} is 0 on every row" if layout.cadence else "the table has no cadences"
            raise _fail(path, f"{what} and cadence numbers cannot be derived from {layout.time}: {exc}") from None
    if n > 1 and not bool(np.all(np.diff(cadences) > 0)):
        raise _fail(path, f"column {layout.cadence} is not strictly increasing")
    columns, files = _columns(path, data, hdu.header, layout, n, derived is not None, offset)
    texts = _text_columns(data, hdu.header, layout)
    flags = {kind: _flags(path, data, name) for name, kind in layout.flags}
    stored = {f.name for f in texts} | {c for c in data.columns.names if np.asarray(data[c]).dtype.kind in "fiu"}
    unstored = tuple(c for c in data.columns.names if c not in stored)
    files = tuple(sorted(files + texts, key=lambda f: (f.position is None, f.position or 0, f.name)))
    return LightcurveFile(
        path=path, product=product, tic_id=_tic(path, hdul[0].header, hdu.header, layout),
        sector=_int_header(path, headers, "SECTOR", 1, 100_000), camera=_int_header(path, headers, "CAMERA", 1, 4),
        ccd=_int_header(path, headers, "CCD", 1, 4), cadences=cadences, times=times, columns=columns, flags=flags,
        time_epoch=epoch, time_scale=scale, time_unit=unit, derived_cadence_seconds=derived, layout=files,
        primary_header=header_json(hdul[0].header), table_header=header_json(hdu.header), unstored=unstored,
    )


def _tic(path: Path, primary: fits.Header, table: fits.Header, layout: mapping.Layout) -> int:
    """The TIC id; refused when the primary and the table header both give it and disagree (which one the file
    is of cannot be told)."""
    key = next((k for k in layout.tic_keywords if k in primary or k in table), layout.tic_keywords[0])
    tic = _int_header(path, [table, primary], key, 1, 2**62)
    for name in layout.tic_keywords:
        if name in primary and name in table:
            first, second = (_int_header(path, [h], name, 1, 2**62) for h in (primary, table))
            if first != second:
                raise _fail(path, f"the primary header's {name} = {first} and the table header's {name} = {second} "
                                  "disagree: which TIC the file is of cannot be told")
    return tic


def _check_time_order(path: Path, times: NDArray[np.float64], column: str) -> None:
    """Refuse times that do not increase: every archive product writes its cadences in time order (NaN where a
    time is unknown), so disorder is damage, and a stored lightcurve would come out of order."""
    finite = np.flatnonzero(np.isfinite(times))
    steps = np.diff(times[finite])
    if steps.size and not bool(np.all(steps > 0)):
        bad = int(np.flatnonzero(steps <= 0)[0])
        row, before = int(finite[bad + 1]), int(finite[bad])
        raise _fail(path, f"column {column} does not increase: row {row + 1} ({times[row]!r}) is not after row "
                          f"{before + 1} ({times[before]!r}); {int(np.sum(steps <= 0))} such step(s)")


MAX_FILE_BYTES = 2**30
"""The largest file read (1 GiB): every TESS lightcurve product is far smaller (a SPOC 20-s sector, the largest,
is ~10 MB); anything bigger is refused before a byte is read."""


def sha256_of(path: Path) -> str:
    """SHA-256 of a file's bytes, read in 1 MiB chunks (memory independent of its size)."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def read_lightcurve(path: str | Path) -> LightcurveFile:
    """Read and validate one lightcurve file; anything unreadable or unexpected raises FitsFormatError.

    The size is checked first; the bytes are hashed in a stream and parsed from the file (memory-mapped), and a
    file that changes meanwhile (size, modification time or inode) is refused: the hash is of the bytes read."""
    p = Path(path)
    if not p.is_file():
        raise _fail(p, "no such file" if not p.exists() else
                    "a directory, not a file" if p.is_dir() else "not a regular file (a FIFO, socket or device)")
    try:
        before = p.stat()
        if before.st_size > MAX_FILE_BYTES:
            raise _fail(p, f"{before.st_size:,} bytes: larger than any TESS lightcurve file "
                           f"(at most {MAX_FILE_BYTES:,} bytes are read)")
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # astropy reports truncated/damaged files as warnings: refuse them
            digest = sha256_of(p)
            with fits.open(p, memmap=True, lazy_load_hdus=False) as hdul:
                lc = _read(p, hdul)
        after = p.stat()
        if (after.st_size, after.st_mtime_ns, after.st_ino) != (before.st_size, before.st_mtime_ns, before.st_ino):
            raise _fail(p, "the file changed while it was read; ingest it again once it is complete")
        return dataclasses.replace(lc, size_bytes=before.st_size, sha256=digest)
    except FitsFormatError:
        raise
    except Exception as exc:  # astropy raises OSError, ValueError, TypeError, IndexError … for damaged files
        raise _fail(p, f"not a readable FITS file ({type(exc).__name__}: {exc})") from exc
