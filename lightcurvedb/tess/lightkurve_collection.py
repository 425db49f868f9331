"""A target's lightcurves as lightkurve gives them: each stored file rebuilt and read by lightkurve's own reader.

Every release keeps its file's layout (column names, order, precision, units, text columns) and headers, so the
file can be rebuilt column for column and handed to `lightkurve.read`, which then applies exactly its own rules
for that product (default flux column, quality presets, units, meta keys). Two things lightkurve takes from the
file name or gets wrong are set from the file's truth instead: FILENAME is the path the file was ingested from;
for CDIPS, whose reader (lightkurve 2.4-2.6) reads TMID_BJD — full BJD — as if it were BTJD, 2457000 days late,
`time` is the file's true BTJD; and where lightkurve's reader cannot apply a bitmask (its TGLC reader overflows
on the int16 TESS_flags with "hardest", 65535, under NumPy 2), the file is read unmasked and the same bits are
masked here (`quality.bitmask_for`), with lightkurve's QUALITY_BITMASK and QUALITY_MASK meta.
"""

from __future__ import annotations

import dataclasses
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import psycopg
from astropy.io import fits
from astropy.time import Time

from lightcurvedb.errors import InvalidInput, MissingDependency
from lightcurvedb.queries import releases
from lightcurvedb.tess.export import write_fits
from lightcurvedb.tess.quality import QualityBitmask, bitmask_for, good_cadences, parse_bitmask
from lightcurvedb.tess.tic import TicLightcurves, load_tic

_TABLE_STRUCTURE = {"XTENSION", "BITPIX", "NAXIS", "NAXIS1", "NAXIS2", "PCOUNT", "GCOUNT", "TFIELDS", "THEAP"}
_COLUMN_KEYWORD = re.compile(r"^(TTYPE|TFORM|TUNIT|TNULL|TSCAL|TZERO|TDISP|TDIM|TBCOL)(\d+)$")
_PRIMARY_STRUCTURE = re.compile(r"^(SIMPLE|BITPIX|NAXIS\d*|EXTEND|PCOUNT|GCOUNT)$")
_FORMATS = {"float32": "E", "float64": "D", "int8": "I", "uint8": "B", "int16": "I", "int32": "J", "int64": "K"}


def _lightkurve() -> Any:
    try:
        import lightkurve
    except ImportError as exc:
        raise MissingDependency("to_lightkurve needs lightkurve: pip install 'tess-lightcurvedb[lightkurve]'") from exc
    return lightkurve


def to_lightkurve(conn: psycopg.Connection[Any], tic: int, *, product: str | None = None,
                  sectors: Iterable[int] | None = None, release: int | None = None,
                  quality_bitmask: QualityBitmask = "default", flux_column: str | None = None) -> Any:
    """TIC `tic`'s lightcurves as a `lightkurve.LightCurveCollection`: one `TessLightCurve` per (sector, product),
    in time order, each equal to `lightkurve.read(<the file it came from>, quality_bitmask=…, flux_column=…)`.

    `product` (any case) limits the products (default: every product of each sector), `sectors` the sectors,
    `release` picks a release number (default: the newest of each). `quality_bitmask` is a lightkurve preset
    ("none", "default", "hard", "hardest") or an integer; `flux_column` a column name of the product (default:
    lightkurve's reader's). Needs lightkurve (the `[lightkurve]` extra), else MissingDependency; an unknown target
    or selection raises NotFound, a bad bitmask InvalidInput.
    """
    lk = _lightkurve()
    bitmask = parse_bitmask(quality_bitmask)
    lcs = load_tic(conn, tic, product=product, sectors=sectors, release=release, each_product=product is None)
    pieces = _per_observation(lcs)
    ids = np.array(sorted({o.release_id for p in pieces for o in p.observations if o.release_id is not None}),
                   dtype=np.int64)
    files = {f.release_id: f for f in releases.list_ingested_files_of_releases(conn, release_ids=ids)}
    layouts: dict[int, list[Any]] = {}
    for column in releases.list_release_columns(conn, release_ids=ids):
        layouts.setdefault(column.release_id, []).append(column)
    options: dict[str, Any] = {"quality_bitmask": bitmask}
    if flux_column is not None:
        options["flux_column"] = flux_column
    read = []
    with tempfile.TemporaryDirectory(prefix="lcdb-lightkurve-") as scratch:
        for piece in sorted(pieces, key=_start):
            observation = piece.observations[0]
            file = files.get(observation.release_id or -1)
            layout = layouts.get(observation.release_id or -1)
            if file is not None and layout:
                path = Path(scratch) / Path(file.path).name  # lightkurve reads some facts from the name
                _rebuilt_file(piece, layout, file.primary_header, file.table_header).writeto(path)
                source: str | None = file.path
            else:  # stored before files were recorded: the export's lightkurve-readable FITS
                path = Path(scratch) / f"tic{tic}-s{observation.sector:04d}-{observation.product}.fits"
                write_fits(piece.timeseries(), path, piece)
                source = None
            try:
                try:
                    lc = lk.read(str(path), **options)
                except lk.utils.LightkurveError as exc:
                    if not isinstance(exc.__cause__, OverflowError):
                        raise
                    lc = _masked(lk.read(str(path), **{**options, "quality_bitmask": "none"}), bitmask,
                                 product=observation.product, sector=observation.sector)
            except Exception as exc:  # lightkurve wraps a bad flux_column and the like in LightkurveError
                cause = exc.__cause__ or exc
                raise InvalidInput(f"lightkurve cannot read TIC {tic} sector {observation.sector} "
                                   f"{observation.product} with {options}: {cause}") from exc
            lc.meta["FILENAME"] = source
            if file is not None:  # the primary's image (e.g. a TGLC cutout) is not stored: its keywords are
                lc.meta.update({k: v for k, v in file.primary_header.items() if _PRIMARY_STRUCTURE.match(k)})
            _true_times(lc, piece)
            read.append(lc)
    return lk.LightCurveCollection(read)


def _masked(lc: Any, bitmask: QualityBitmask, *, product: str | None, sector: int) -> Any:
    """`lc` (read with "none") without the cadences `bitmask` masks, as lightkurve's readers record it."""
    keep = good_cadences(np.asarray(lc["quality"]), bitmask_for(bitmask, product=product, sector=sector))
    out = lc[keep]
    out.meta["QUALITY_BITMASK"] = bitmask
    out.meta["QUALITY_MASK"] = keep
    return out


def _start(piece: TicLightcurves) -> float:
    times = piece.columns["time"]
    finite = times[np.isfinite(times)]
    return float(finite.min()) if finite.size else float("inf")


def _per_observation(lcs: TicLightcurves) -> list[TicLightcurves]:
    """`lcs` cut into one TicLightcurves per observation (its rows, its file's columns)."""
    pieces, start = [], 0
    for o in lcs.observations:
        stop = start + o.cadences
        pieces.append(dataclasses.replace(lcs, observations=[o],
                                          columns={k: v[start:stop] for k, v in lcs.columns.items()}))
        start = stop
    return pieces


def _header(cards: dict[str, Any], skip: Any) -> fits.Header:
    """A FITS header from its stored JSON (lightcurvedb.tess.fits_reader.header_json), without the keywords
    `skip` says astropy writes itself."""
    header = fits.Header()
    for key, value in cards.items():
        if skip(key):
            continue
        if key in ("COMMENT", "HISTORY", ""):
            add = {"COMMENT": header.add_comment, "HISTORY": header.add_history, "": header.add_blank}[key]
            for line in value if isinstance(value, list) else [value]:
                add(line)
        elif isinstance(value, list):  # a keyword the file repeated
            for item in value:
                header.append((key, item), end=True)
        else:
            header.append((key, value), end=True)
    return header


def _rebuilt_file(piece: TicLightcurves, layout: list[Any], primary: dict[str, Any],
                  table: dict[str, Any]) -> fits.HDUList:
    """The file one release came from, rebuilt: its table's columns in their order, names, precision and units
    as written (TUNITn; values bit-identical), with its primary and table headers."""
    columns = []
    for c in sorted((c for c in layout if c.position is not None), key=lambda c: c.position):
        values = np.asarray(piece.columns[c.name.lower()])
        fmt = f"{values.dtype.itemsize}A" if c.dtype.startswith("S") else _FORMATS[c.dtype]
        columns.append(fits.Column(name=c.name, format=fmt, array=values, unit=table.get(f"TUNIT{c.position}"),
                                   null=table.get(f"TNULL{c.position}"), disp=table.get(f"TDISP{c.position}")))
    hdu = fits.BinTableHDU.from_columns(columns)  # EXTNAME, like every other keyword, comes from the file
    hdu.header.extend(_header(table, lambda k: k in _TABLE_STRUCTURE or bool(_COLUMN_KEYWORD.match(k))),
                      update=True)
    primary_hdu = fits.PrimaryHDU(header=_header(primary, lambda k: bool(_PRIMARY_STRUCTURE.match(k))))
    return fits.HDUList([primary_hdu, hdu])


def _true_times(lc: Any, piece: TicLightcurves) -> None:
    """Set `lc.time` to the stored BTJD of the rows lightkurve kept when its reader got them wrong (CDIPS)."""
    stored = np.asarray(piece.columns["time"], dtype=np.float64)
    timed = stored[np.isfinite(stored)]
    mask = lc.meta.get("QUALITY_MASK")
    kept = timed[np.asarray(mask, dtype=bool)] if mask is not None and len(mask) == timed.size else timed
    if kept.size != len(lc) or np.array_equal(np.asarray(lc.time.value, dtype=np.float64), kept):
        return
    lc.time = Time(kept, format="btjd", scale="tdb")
