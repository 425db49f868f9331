"""A target's lightcurves as lightkurve gives them, built in memory from the stored arrays and headers.

Every release keeps its file's layout (column names, order, precision, units, text columns) and headers, so the
`TessLightCurve` lightkurve's reader would make of the file can be built directly: the same columns (file order,
lower-cased, the file's big-endian dtypes, NaN and TNULL masked, units as astropy reads TUNITn with lightkurve's
spelling fixes), the same standard columns in the same places, the same meta (table header, then primary header,
then the reader's keys) and each product's own rules (`_READERS`, one per lightkurve reader). No file is written
and nothing is parsed again; the rows are chosen once (times known, then the quality mask) instead of slicing a
finished lightcurve, which is what costs in lightkurve. Two things are the file's truth instead of lightkurve's:
FILENAME is the path the file was ingested from; for CDIPS, whose reader (lightkurve 2.4-2.6) reads TMID_BJD —
full BJD — as if it were BTJD, 2457000 days late, `time` is the file's true BTJD; and the quality mask is computed
on 64-bit flags (lightkurve's TGLC reader overflows on its int16 TESS_flags with "hardest", 65535, under NumPy 2).
`tests/tess/test_to_lightkurve.py` holds every product and preset to `lightkurve.read` of the original file.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import psycopg
from numpy.typing import NDArray

from lightcurvedb.errors import InvalidInput, MissingDependency
from lightcurvedb.queries import releases
from lightcurvedb.tess.best.rule import is_best
from lightcurvedb.tess.quality import QualityBitmask, bitmask_for, good_cadences, parse_bitmask
from lightcurvedb.tess.tic import TicLightcurves, load_tic

_SKIPPED = {"XTENSION", "BITPIX", "NAXIS", "NAXIS1", "NAXIS2", "PCOUNT", "GCOUNT", "TFIELDS", "THEAP"}
_COLUMN_KEYWORD = re.compile(r"^(TTYPE|TFORM|TUNIT|TNULL|TSCAL|TZERO|TDISP|TBCOL|TDIM|TCTYP|TCUNI|TCRPX|TCRVL|TCDLT"
                             r"|TRPOS)[0-9]+")
_UNIT_FIXES = {"e-/s": "electron/s", "pixels": "pixel", "ADU": "adu"}  # lightkurve's spellings, by str(unit)


def _lightkurve() -> Any:
    try:
        import lightkurve
    except ImportError as exc:
        raise MissingDependency("to_lightkurve needs lightkurve: pip install 'tess-lightcurvedb[lightkurve]'") from exc
    return lightkurve


@dataclass(frozen=True)
class _File:
    """One stored file as lightkurve would open it: its columns (lower-cased names, in file order, the stored rows),
    their TUNIT/TNULL, its headers and path."""

    product: str
    sector: int
    path: str | None
    columns: dict[str, NDArray[Any]]
    units: dict[str, str | None]
    nulls: dict[str, int]
    time: NDArray[np.float64]  # BTJD (the file's truth: CDIPS's full BJD less 2457000)
    primary: dict[str, Any]
    table: dict[str, Any]


@dataclass(frozen=True)
class _Reader:
    """How one lightkurve reader reads its product: the columns it takes (`read_generic_lightcurve`'s arguments)
    and what it does after (`finish`)."""

    flux_column: str
    lower_flux: bool = True
    flux_err_column: str | None = "flux_err"
    quality_column: str = "quality"
    cadenceno_column: str = "cadenceno"
    centroid_col_column: str = "mom_centr1"
    centroid_row_column: str = "mom_centr2"
    time_column: str = "time"
    finish: Callable[[Any, _File, Any], Any] | None = None


def to_lightkurve(conn: psycopg.Connection[Any], tic: int, *, product: str | None = None,
                  sectors: Iterable[int] | None = None, release: int | None = None,
                  quality_bitmask: QualityBitmask = "default", flux_column: str | None = None) -> Any:
    """TIC `tic`'s lightcurves as a `lightkurve.LightCurveCollection`: one `TessLightCurve` per (sector, product),
    in time order, each equal to `lightkurve.read(<the file it came from>, quality_bitmask=…, flux_column=…)`.

    `product` (any case) limits the products (default: every product of each sector), `sectors` the sectors,
    `release` picks a release number (default: the newest of each). `quality_bitmask` is a lightkurve preset
    ("none", "default", "hard", "hardest") or an integer; `flux_column` a column name of the product (default:
    lightkurve's reader's), or "best": each file's column of its release's best group (`lcdb best`; the product's
    default flux where none is stored), named in each lightcurve's meta FLUX_GROUP and BEST_RULE. Needs
    lightkurve (the `[lightkurve]` extra), else MissingDependency; an unknown target or selection raises NotFound,
    a bad bitmask or flux column InvalidInput. Built in memory: no file is written.
    """
    lk = _lightkurve()
    bitmask = parse_bitmask(quality_bitmask)
    best = is_best(flux_column)
    lcs = load_tic(conn, tic, product=product, sectors=sectors, release=release, each_product=product is None,
                   flux="best" if best else None)
    files = _files(conn, lcs)
    if not best:
        return lk.LightCurveCollection([_build(lk, f, bitmask, flux_column) for f in sorted(files, key=_start)])
    built = []
    for o, f in sorted(zip(lcs.observations, files, strict=True), key=lambda pair: _start(pair[1])):
        group = lcs.flux_group("best", observation=o)
        lc = _build(lk, f, bitmask, lcs.groups[group][0])
        lc.meta.update({"FLUX_GROUP": group, "BEST_RULE": lcs.best_of(o).rule})
        built.append(lc)
    return lk.LightCurveCollection(built)


def _start(f: _File) -> float:
    finite = f.time[np.isfinite(f.time)]
    return float(finite.min()) if finite.size else float("inf")


def _files(conn: psycopg.Connection[Any], lcs: TicLightcurves) -> list[_File]:
    """`lcs` cut into its stored files (one per observation): each file's columns and headers."""
    ids = np.array(sorted({o.release_id for o in lcs.observations if o.release_id is not None}), dtype=np.int64)
    stored = {f.release_id: f for f in releases.list_ingested_files_of_releases(conn, release_ids=ids)}
    out, start = [], 0
    for o in lcs.observations:
        stop = start + o.cadences
        rows = slice(start, stop)
        start = stop
        record = stored.get(o.release_id or -1)
        if record is None:  # stored before files were recorded: the export's lightkurve-readable FITS, in memory
            out.append(_exported(dataclasses.replace(lcs, observations=[o], flux_arrays=None,
                                                     columns={k: v[rows] for k, v in lcs.columns.items()}), o))
            continue
        table = record.table_header
        positions = {str(v).strip().lower(): int(k[5:]) for k, v in table.items()
                     if k.startswith("TTYPE") and k[5:].isdigit()}
        names = [n for n in lcs.file_columns if n in positions]
        names.sort(key=positions.__getitem__)
        nulls = {n: int(table[f"TNULL{positions[n]}"]) for n in names
                 if isinstance(table.get(f"TNULL{positions[n]}"), int)}
        units = {n: table.get(f"TUNIT{positions[n]}") for n in names}
        out.append(_File(o.product or "spoc", o.sector, record.path, {n: lcs.columns[n][rows] for n in names}, units,
                         nulls, np.asarray(lcs.columns["time"][rows], dtype=np.float64), record.primary_header, table))
    return out


def _exported(piece: TicLightcurves, o: Any) -> _File:
    """A file stored before files were recorded, as the export writes it (`export.fits_hdus`), never on disk."""
    from lightcurvedb.tess.export import fits_hdus
    from lightcurvedb.tess.fits_reader import header_json

    hdus = fits_hdus(piece.timeseries(), piece)
    data = hdus[1].data
    names = [n.lower() for n in data.columns.names]
    columns = {n.lower(): np.asarray(data[n]) for n in data.columns.names}
    units = {c.name.lower(): c.unit for c in data.columns}
    return _File(o.product or "spoc", o.sector, None, {n: columns[n] for n in names}, units, {},
                 np.asarray(columns["time"], dtype=np.float64), header_json(hdus[0].header),
                 header_json(hdus[1].header))


@functools.lru_cache(maxsize=256)
def _unit(text: str) -> Any:
    """TUNITn as astropy's FITS reader parses it, with lightkurve's spelling fixes."""
    from astropy import units as u

    unit = u.Unit(text, format="fits", parse_strict="silent")
    spelled = str(unit)
    if spelled in _UNIT_FIXES:
        return u.Unit(_UNIT_FIXES[spelled])
    if spelled == "ppm" and isinstance(unit, u.UnrecognizedUnit):
        from lightkurve.units import ppm

        return ppm
    if spelled.lower() == "unitless":
        return u.dimensionless_unscaled
    if spelled.lower() == "degcelcius":
        return u.deg_C
    return unit


def _header_meta(table: dict[str, Any], primary: dict[str, Any]) -> dict[str, Any]:
    """The meta lightkurve's generic reader makes: the table header as astropy's table reader keeps it (COMMENT as
    `comments`, repeated keywords as lists, no structure or column keywords), then the primary header as a
    `Header` mapping gives it (commentary keywords as their cards, a repeated keyword's first value, None where a
    keyword has no value: astropy's table reader keeps `Undefined` there)."""
    from astropy.io import fits

    undefined = fits.card.UNDEFINED
    meta: dict[str, Any] = {}
    for key, value in table.items():
        if key in ("COMMENT", "HISTORY"):
            meta["comments" if key == "COMMENT" else key] = list(value)
        elif key == "":
            meta[key] = value[0] if len(value) == 1 else list(value)
        elif key in _SKIPPED or _COLUMN_KEYWORD.match(key):
            continue
        else:
            meta[key] = [undefined if v is None else v for v in value] if isinstance(value, list) \
                else undefined if value is None else value
    commentary = fits.Header()
    for key, value in primary.items():
        if key in ("COMMENT", "HISTORY", ""):
            for line in value:
                commentary.append((key, line), end=True)
            meta[key] = commentary[key]
        else:
            meta[key] = value[0] if isinstance(value, list) else value  # a Header gives None for no value
    return meta


def _column(f: _File, name: str, rows: NDArray[np.intp]) -> Any:
    """One column as astropy's FITS table reader gives it: big-endian as in the file, masked where NaN (floats) or
    TNULL (integers, always a masked column then), text as str, with its unit."""
    from astropy.table import Column, MaskedColumn

    values = f.columns[name][rows]
    if values.dtype.kind in "fiu" and values.dtype.itemsize > 1:
        values = values.astype(values.dtype.newbyteorder(">"))
    if name in f.nulls:
        col: Any = MaskedColumn(values, name=name, mask=values == f.nulls[name], fill_value=f.nulls[name], copy=False)
    elif values.dtype.kind == "f" and bool(np.isnan(values).any()):
        col = MaskedColumn(values, name=name, mask=np.isnan(values), fill_value=np.nan, copy=False)
    elif values.dtype.kind == "S":  # FITS text: str, without its trailing blanks
        col = Column(np.char.rstrip(np.char.decode(values, "ascii")), name=name, copy=False)
    else:
        col = Column(values, name=name, copy=False)
    unit = f.units.get(name)
    if unit is not None:
        col.unit = _unit(unit)
    return col


def _build(lk: Any, f: _File, bitmask: QualityBitmask, flux_column: str | None) -> Any:
    """The TessLightCurve lightkurve's reader of `f`'s product makes of it (`read_generic_lightcurve`, then the
    reader's rules), its rows chosen before it is built."""
    from astropy.time import Time

    reader = _READERS.get(f.product, _READERS["spoc"])
    flux = flux_column if flux_column is not None else reader.flux_column
    if reader.lower_flux:
        flux = flux.lower()
    if f.product == "cdips":
        reader = dataclasses.replace(reader, quality_column=f"irq{flux[-1]}")
    names = [n for n in f.columns if n != reader.time_column]
    if flux not in names:
        raise InvalidInput(f"lightkurve cannot read TIC {f.primary.get('TICID')} sector {f.sector} {f.product} with "
                           f"flux_column={flux!r}: the file has no such column (it has {', '.join(names)})")
    timed = ~np.isnan(f.time)  # the file's time column has its NaN where the stored BTJD has
    quality_name = "dquality" if f.product == "pathos" else reader.quality_column
    flags = f.columns[quality_name][timed] if quality_name in f.columns else None
    if f.product == "cdips":
        keep = np.isin(np.char.rstrip(np.asarray(flags)), [b"G", b"0"]) if flags is not None \
            else np.ones(int(timed.sum()), bool)
    elif flags is None:
        keep = np.ones(int(timed.sum()), dtype=bool)
    else:
        keep = good_cadences(flags, bitmask_for(bitmask, product=f.product, sector=f.sector))
    rows = np.flatnonzero(timed)[keep]
    columns = {n: _column(f, n, rows) for n in names}
    order = list(names)
    err = reader.flux_err_column if reader.flux_err_column in columns else f"{flux}_err"
    for index, (standard, source) in enumerate((("flux", flux), ("flux_err", err),
                                                ("quality", reader.quality_column),
                                                ("cadenceno", reader.cadenceno_column),
                                                ("centroid_col", reader.centroid_col_column),
                                                ("centroid_row", reader.centroid_row_column))):
        if standard not in columns and source in columns:
            columns[standard] = columns[source].copy()
            columns[standard].name = standard
            order.insert(index, standard)
    meta = _header_meta(f.table, f.primary)
    scale = str(f.table.get("TIMESYS", "tdb")).lower()
    meta.update({"LABEL": f.primary.get("OBJECT"), "MISSION": f.primary.get("MISSION", f.primary.get("TELESCOP")),
                 "RA": f.primary.get("RA_OBJ"), "DEC": f.primary.get("DEC_OBJ"), "FILENAME": f.path,
                 "FLUX_ORIGIN": flux})
    time = Time(f.time[rows], scale=scale, format="btjd")
    lc = lk.TessLightCurve(time=time, data=[columns[n] for n in order], names=order, meta=meta, copy=False)
    if reader.finish is not None:
        lc = reader.finish(lc, f, {"bitmask": bitmask, "mask": keep, "flux": flux})
    return lk.TessLightCurve(data=lc, copy=False)  # as every reader ends: its columns made a lightcurve's again


def _quality_meta(lc: Any, context: dict[str, Any]) -> None:
    lc.meta["QUALITY_BITMASK"] = context["bitmask"]
    lc.meta["QUALITY_MASK"] = context["mask"]


def _tess(lc: Any, f: _File, context: dict[str, Any]) -> Any:
    lc.meta["AUTHOR"] = "TESS-SPOC" if "tess-spoc" in (f.path or "") else "SPOC"
    lc.meta["TARGETID"] = lc.meta.get("TICID")
    _quality_meta(lc, context)
    return lc


def _qlp(lc: Any, f: _File, context: dict[str, Any]) -> Any:
    lc["flux_err"] = lc["det_flux_err"] if lc.meta.get("SECTOR", 0) >= 56 else lc["kspsap_flux_err"]
    lc.meta["AUTHOR"] = "QLP"
    lc.meta["TARGETID"] = lc.meta.get("TICID")
    _quality_meta(lc, context)
    lc.meta["NORMALIZED"] = True
    return lc


def _tglc(lc: Any, f: _File, context: dict[str, Any]) -> Any:
    from astropy import units as u

    for name, unit in (("psf_flux", "electron/s"), ("aperture_flux", "electron/s"), ("background", "electron/s"),
                       ("cal_psf_flux", ""), ("cal_aper_flux", "")):
        if name in lc.colnames:
            if lc[name].unit is not None:
                lc[name] = u.Quantity(lc[name].value, unit, dtype=np.float32)
            else:
                lc[name].unit = unit
    lc.meta["AUTHOR"] = "TGLC"
    lc.meta["TARGETID"] = lc.meta.get("OBJECT")
    _quality_meta(lc, context)
    lc.meta["NORMALIZED"] = True
    tic = lc.meta.get("TICID")
    if tic is not None:
        tic = int(tic)
        lc.meta.update({"TARGETID": tic, "TICID": tic, "OBJECT": f"TIC {tic}", "LABEL": f"TIC {tic}"})
    return lc


def _eleanor(lc: Any, f: _File, context: dict[str, Any]) -> Any:
    from astropy import units as u

    for name in ("flux", "flux_err", "raw_flux", "corr_flux", "pca_flux", "psf_flux"):
        if name in lc.colnames:
            if lc[name].unit is not None:
                lc[name] = u.Quantity(lc[name].value, "electron/s")
            else:
                lc[name].unit = "electron/s"
    for names, unit in ((("flux_bkg",), u.percent),
                        (("centroid_col", "centroid_row", "x_centroid", "y_centroid", "x_com", "y_com"), u.pix),
                        (("barycorr",), u.day)):
        for name in names:
            if name in lc.colnames:
                lc[name].unit = unit
    lc["raw_flux_err"] = lc["flux_err"]
    if context["flux"] != "raw_flux":
        lc["flux_err"] = lc[context["flux"]] * lc["raw_flux_err"] / lc["raw_flux"]
    for name in ("ffiindex", "cadenceno"):
        if name in lc.colnames and not np.issubdtype(lc[name].dtype, np.int_):
            lc[name] = np.asarray(lc[name].value, dtype=int)
    eleanor_lite = lc.meta.get("TVERSION") is not None and lc.meta.get("GITHUB") == \
        "https://github.com/afeinstein20/eleanor"
    lc.meta["AUTHOR"] = "GSFC-ELEANOR-LITE" if eleanor_lite else "ELEANOR"
    lc.meta["NORMALIZED"] = False
    tic = lc.meta.get("TIC_ID")
    if tic is not None:
        lc.meta.update({"TARGETID": tic, "TICID": tic, "OBJECT": f"TIC {tic}", "LABEL": f"TIC {tic}"})
    return lc


def _cdips(lc: Any, f: _File, context: dict[str, Any]) -> Any:
    lc.meta["AUTHOR"] = "CDIPS"
    lc.meta["TARGETID"] = lc.meta.get("TICID")
    lc.meta["QUALITY_BITMASK"] = 36
    lc.meta["QUALITY_MASK"] = context["mask"]
    return lc


def _pathos(lc: Any, f: _File, context: dict[str, Any]) -> Any:
    lc.meta["AUTHOR"] = "PATHOS"
    lc.meta["TARGETID"] = lc.meta.get("TICID")
    _quality_meta(lc, context)
    lc.meta["NORMALIZED"] = True
    return lc


_TESS = _Reader("pdcsap_flux", lower_flux=False, finish=_tess)
_READERS: dict[str, _Reader] = {
    "spoc": _TESS, "spoc-fast": _TESS, "tess-spoc": _TESS,
    "qlp": _Reader("sap_flux", lower_flux=False, flux_err_column=None, finish=_qlp),
    "tglc": _Reader("cal_psf_flux", quality_column="tess_flags", cadenceno_column="cadence_num", finish=_tglc),
    "gsfc-eleanor-lite": _Reader("corr_flux", centroid_col_column="x_centroid", centroid_row_column="y_centroid",
                                 cadenceno_column="ffiindex", finish=_eleanor),
    "cdips": _Reader("irm1", flux_err_column="", time_column="tmid_bjd", finish=_cdips),
    "pathos": _Reader("psf_flux_cor", quality_column="DQUALITY", finish=_pathos),
}
"""Each product's lightkurve reader (lightkurve.io: tess, qlp, tglc, eleanor, cdips, pathos), as rules."""
