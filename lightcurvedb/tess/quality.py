"""Quality masks the way lightkurve's TESS readers apply them: the QUALITY bits, the presets, per product."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from lightcurvedb.errors import InvalidInput

TESS_QUALITY_BITS: dict[int, str] = {
    1: "Attitude tweak", 2: "Safe mode", 4: "Coarse point", 8: "Earth point", 16: "Argabrightening",
    32: "Desaturation event", 64: "Cosmic ray in optimal aperture", 128: "Manual exclude",
    256: "Discontinuity corrected", 512: "Impulsive outlier", 1024: "Cosmic ray in collateral data",
    2048: "Straylight", 4096: "Straylight2", 8192: "Planet search exclude", 16384: "Bad calibration exclude",
    32768: "Insufficient targets for error correction exclude",
}
"""The TESS QUALITY bits (TESS Science Data Products Description Document, table 28; sector 20 release notes)."""

DEFAULT_BITMASK = 1 | 2 | 4 | 8 | 16 | 32 | 128 | 512 | 16384
"""Cadences that are certainly unusable: attitude tweak, safe mode, coarse and Earth point, Argabrightening,
desaturation, manual exclude, impulsive outlier, bad calibration."""
HARD_BITMASK = DEFAULT_BITMASK | 64 | 1024 | 2048 | 4096
"""Default plus cosmic rays (aperture, collateral) and both stray-light bits: conservative, removes good data too."""
HARDEST_BITMASK = 65535
"""Any of the sixteen TESS bits."""

PRESETS: dict[str, int] = {"none": 0, "default": DEFAULT_BITMASK, "hard": HARD_BITMASK, "hardest": HARDEST_BITMASK}
"""lightkurve's preset names (`quality_bitmask="default"` …) and their bits, as `TessQualityFlags.OPTIONS`."""

QLP_LOW_PRECISION_BEFORE_56 = 2**12
QLP_LOW_PRECISION_FROM_56 = 2**30
"""QLP's "low precision" bit (its data product description: bit 13 in sectors 1-55; from sector 56 the bit
lightkurve codes as 2**30), masked by the hard and hardest presets of QLP lightcurves."""
ELEANOR_HARDEST_EXTRA = 2**17 | 2**18
"""GSFC-ELEANOR-LITE's own bits 17 and 18, masked by its hardest preset."""

QualityBitmask = str | int
"""A preset name ("none", "default", "hard", "hardest") or an integer bitmask."""


def parse_bitmask(text: str | int) -> QualityBitmask:
    """A bitmask as a user gives it (`--quality-bitmask`): a preset name (any case) or a non-negative integer."""
    if isinstance(text, bool):
        raise InvalidInput(f"quality bitmask {text!r} is neither a preset ({', '.join(PRESETS)}) nor an integer")
    if isinstance(text, int):
        value = text
    else:
        word = text.strip().lower()
        if word in PRESETS:
            return word
        try:
            value = int(word, 0)
        except ValueError:
            raise InvalidInput(f"quality bitmask {text!r} is neither a preset ({', '.join(PRESETS)}) "
                               "nor an integer") from None
    if not 0 <= value < 2**63:
        raise InvalidInput(f"quality bitmask {value} is not a non-negative 64-bit integer")
    return value


def bitmask_for(quality_bitmask: QualityBitmask, *, product: str | None, sector: int) -> int:
    """The bits `quality_bitmask` masks in one observation of `product` (lightkurve's readers): QLP adds its
    low-precision bit to hard and hardest; GSFC-ELEANOR-LITE adds its bits 17 and 18 to hardest. An integer is
    used as it is."""
    chosen = parse_bitmask(quality_bitmask)
    if isinstance(chosen, int):
        return chosen
    bits = PRESETS[chosen]
    if product == "qlp" and chosen in ("hard", "hardest"):
        bits |= QLP_LOW_PRECISION_FROM_56 if sector >= 56 else QLP_LOW_PRECISION_BEFORE_56
    if product == "gsfc-eleanor-lite" and chosen == "hardest":
        bits |= ELEANOR_HARDEST_EXTRA
    return bits


def good_cadences(quality: NDArray[Any], bits: int) -> NDArray[np.bool_]:
    """True where a cadence has none of `bits` set (`quality & bits == 0`)."""
    return np.asarray((np.asarray(quality).astype(np.int64) & np.int64(bits)) == 0, dtype=bool)
