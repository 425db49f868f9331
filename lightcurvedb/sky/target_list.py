"""Target lists (any table astropy reads) of TIC, ra, dec and optionally Tmag and TICVER, read and checked."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from lightcurvedb.errors import InvalidSkyInput
from lightcurvedb.sky.angles import TINY_DEG

_COLUMN_NAMES = {
    "tic": ("tic", "ticid", "tic_id", "id", "target"),
    "ra": ("ra", "ra_obj", "raj2000", "ra_deg"),
    "dec": ("dec", "dec_obj", "dej2000", "decj2000", "dec_deg"),
    "tessmag": ("tmag", "tessmag", "tess_mag"),
    "ticver": ("ticver", "tic_version"),
}



@dataclass(frozen=True)
class TargetList:
    """A checked target list: distinct positive TICs, positions in degrees, Tmag (NaN when not listed), TICVER."""

    file: Path
    tics: NDArray[np.int64]
    ras: NDArray[np.float64]
    decs: NDArray[np.float64]
    tmags: NDArray[np.float64]
    ticvers: list[str]


def read_target_list(path: str | Path) -> TargetList:
    """Read a table (CSV, ECSV, FITS, VOTable…) with columns TIC, ra, dec in degrees and optionally Tmag and
    TICVER (names matched case-insensitively, e.g. ID/RA_OBJ/DEC_OBJ/TESSMAG). A table with a bad row (missing or
    non-numeric value, dec outside ±90, a repeated TIC) is refused whole with InvalidSkyInput naming the row."""
    from astropy.table import Table

    file = Path(path)
    if not file.is_file():
        raise InvalidSkyInput(f"{file}: cannot read a target list: " + (
            "no such file" if not file.exists() else "a directory" if file.is_dir() else "not a regular file"))
    try:
        csv = file.suffix.lower() in (".csv", ".txt")
        table = Table.read(file, format="ascii.csv") if csv else Table.read(file)
    except Exception as exc:  # astropy's registry, parsers and readers raise many kinds for a non-table file
        raise InvalidSkyInput(f"{file}: cannot read a target list: {type(exc).__name__}: {exc}") from exc
    if not len(table):
        raise InvalidSkyInput(f"{file}: the target list has no rows")
    lower = {name.lower(): name for name in table.colnames}
    found: dict[str, str] = {}
    for key, names in _COLUMN_NAMES.items():
        name = next((lower[n] for n in names if n in lower), None)
        if name is not None:
            found[key] = name
    missing = [k for k in ("tic", "ra", "dec") if k not in found]
    if missing:
        raise InvalidSkyInput(f"{file}: no column for {', '.join(missing)} (columns: {', '.join(table.colnames)})")
    try:
        tics = np.asarray(np.ma.filled(table[found["tic"]], -1), dtype=np.int64)
        ras = np.asarray(np.ma.filled(table[found["ra"]].astype(float), np.nan), dtype=np.float64)
        decs = np.asarray(np.ma.filled(table[found["dec"]].astype(float), np.nan), dtype=np.float64)
        tmags = (np.asarray(np.ma.filled(table[found["tessmag"]].astype(float), np.nan), dtype=np.float64)
                 if "tessmag" in found else np.full(len(table), np.nan))
    except (TypeError, ValueError, OverflowError) as exc:
        raise InvalidSkyInput(f"{file}: a TIC, ra, dec or Tmag value is not a number that fits: {exc}") from exc
    ticvers = [str(v).strip() if "ticver" in found and not np.ma.is_masked(v) else ""
               for v in (table[found["ticver"]] if "ticver" in found else [None] * len(table))]
    bad = np.flatnonzero((tics <= 0) | ~np.isfinite(ras) | ~np.isfinite(decs) | (np.abs(decs) > 90)
                         | (ras < 0) | (ras >= 360))
    if bad.size:
        i = int(bad[0])
        raise InvalidSkyInput(f"{file}: row {i + 1}: TIC {tics[i]}, ra {ras[i]}, dec {decs[i]}: a positive TIC and a "
                              "finite position with ra within [0, 360) and dec within ±90 are needed")
    unique, counts = np.unique(tics, return_counts=True)
    if (counts > 1).any():
        raise InvalidSkyInput(f"{file}: TIC {int(unique[counts > 1][0])} is listed more than once")
    ras[np.abs(ras) < TINY_DEG] = 0.0
    decs[np.abs(decs) < TINY_DEG] = 0.0
    return TargetList(file, tics, ras, decs, tmags, ticvers)
