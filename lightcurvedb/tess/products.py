"""TESS lightcurve products: which pipeline wrote a file, told from its headers and name (not its columns alone)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from lightcurvedb.errors import InvalidInput

PRODUCTS: tuple[str, ...] = ("spoc", "spoc-fast", "tess-spoc", "qlp", "tglc", "gsfc-eleanor-lite", "cdips", "pathos")
"""Canonical product names (matched case-insensitively): SPOC 2-min (with the early tess-data-alerts HLSP), SPOC
20-s, TESS-SPOC full-frame-image photometry, MIT's QLP, TGLC, GSFC-ELEANOR-LITE, CDIPS and PATHOS."""

READ_PREFERENCE: tuple[str, ...] = ("spoc", "tess-spoc", "qlp", "tglc", "gsfc-eleanor-lite", "cdips", "pathos")
"""Which product a read takes for a sector when none is asked for: the first the sector holds (spoc-fast only when
asked: its 20-s cadence is a different series)."""

_SECOND = 1 / 86400
_SPOC_NAME = re.compile(r"^tess\d{13}-s\d{4}-\d{16}-\d{4}-(s_lc|a_fast-lc)\.fits(\.gz)?$")
_CADENCE_TOLERANCE = 0.02  # relative: TIMEDEL is written with float rounding


@dataclass(frozen=True)
class Identity:
    """What a file is: a product, or (`product` None) a known non-product or an unknown file, with the reason."""

    product: str | None
    evidence: str  # what told it apart, in words (shown in messages)
    known: bool = True  # False: nothing identified the file (`product` is None)


def canonical(name: str) -> str:
    """A product name as the user wrote it (any case, spaces or underscores) → the canonical name."""
    key = name.strip().lower().replace("_", "-").replace(" ", "-")
    if key not in PRODUCTS:
        raise InvalidInput(f"unknown product {name!r}; one of {', '.join(PRODUCTS)}")
    return key


def _close(value: float, target: float) -> bool:
    return abs(value - target) <= _CADENCE_TOLERANCE * target


def identify(file_name: str, primary: Any, table: Any | None, extensions: Iterable[str]) -> Identity:
    """Tell the product of a lightcurve file from its primary header, its LIGHTCURVE table header (None when the
    file has no LIGHTCURVE extension), its extension names and its file name.

    Headers are anything with ``get`` (astropy Headers, dicts). The order of the checks matters: files that are
    not a TIC target's archive product first, then HLSP and MAST SPOC file names, then ORIGIN, and for a
    renamed SPOC-pipeline file its cadence (TIMEDEL: 20 s, 2 min, else full-frame images).
    """
    name = file_name.lower()
    origin = str(primary.get("ORIGIN") or "").strip()
    creator = str(primary.get("CREATOR") or "").strip()
    hdus = [h.upper() for h in extensions]
    if name.startswith("hlsp_tess-3i") or (table is None and any(h.startswith("LIGHTCURVE_") for h in hdus)):
        return Identity(None, f"the TSSC HLSP of a solar-system object ({primary.get('OBJECT')!r}: no TICID, "
                              f"extensions {', '.join(h for h in hdus if h != 'PRIMARY')}), not a TIC target")
    if "lightkurve" in creator.lower() or origin == "Unofficial data product":
        return Identity(None, f"a file written by lightkurve ({creator or origin}), not an archive product; "
                              "ingest the archive's own file")
    by_name = [("hlsp_qlp", "qlp"), ("hlsp_tglc", "tglc"), ("hlsp_tess-spoc", "tess-spoc"),
               ("hlsp_gsfc-eleanor-lite", "gsfc-eleanor-lite"), ("hlsp_cdips", "cdips"), ("hlsp_pathos", "pathos"),
               ("hlsp_tess-data-alerts", "spoc")]
    for prefix, product in by_name:
        if name.startswith(prefix):
            return Identity(product, f"the file name {prefix}_…")
    spoc_name = _SPOC_NAME.match(name)
    if spoc_name:  # MAST's name of a SPOC file: tess<time>-s<sector>-<tic>-<config>-{s_lc,a_fast-lc}.fits
        product = "spoc-fast" if spoc_name.group(1) == "a_fast-lc" else "spoc"
        return Identity(product, f"the SPOC file name …-{spoc_name.group(1)}.fits")
    by_origin = {"MIT/QLP": "qlp", "UCSB/TGLC": "tglc"}
    if origin in by_origin:
        return Identity(by_origin[origin], f"ORIGIN {origin!r}")
    if origin == "NASA/Ames":
        timedel = table.get("TIMEDEL") if table is not None else None
        if not isinstance(timedel, int | float):
            return Identity(None, "ORIGIN 'NASA/Ames' without a numeric TIMEDEL: the cadence tells SPOC products "
                                  "apart")
        if _close(float(timedel), 20 * _SECOND):
            return Identity("spoc-fast", f"ORIGIN 'NASA/Ames', TIMEDEL {timedel * 86400:.0f} s")
        if _close(float(timedel), 120 * _SECOND):
            return Identity("spoc", f"ORIGIN 'NASA/Ames', TIMEDEL {timedel * 86400:.0f} s")
        return Identity("tess-spoc", f"ORIGIN 'NASA/Ames', TIMEDEL {timedel * 86400:.0f} s (full-frame images)")
    return Identity(None, f"no known product: ORIGIN {origin!r}, file name {file_name!r}", known=False)
