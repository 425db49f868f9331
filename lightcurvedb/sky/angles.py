"""Sky positions and search radii as users give them, checked: degrees in range and finite, or InvalidSkyInput."""

from __future__ import annotations

import math
from typing import Any

import astropy.units as u

from lightcurvedb.errors import InvalidSkyInput

TINY_DEG = 1e-12
"""Angles smaller than this (4 nano-arcsec) are stored as zero (`tidy`)."""


def position(ra: Any, dec: Any) -> tuple[float, float]:
    """(ra in [0, 360), dec) in degrees, or InvalidSkyInput naming the bad coordinate."""
    try:
        ra_f, dec_f = float(ra), float(dec)
    except (TypeError, ValueError):
        raise InvalidSkyInput(f"ra and dec must be numbers of degrees, got ra={ra!r}, dec={dec!r}") from None
    if not (math.isfinite(ra_f) and math.isfinite(dec_f)):
        raise InvalidSkyInput(f"ra and dec must be finite, got ra={ra_f}, dec={dec_f}")
    if not -90.0 <= dec_f <= 90.0:
        raise InvalidSkyInput(f"dec must be within [-90, 90] degrees, got {dec_f}")
    if not 0.0 <= ra_f < 360.0:
        raise InvalidSkyInput(f"ra must be within [0, 360) degrees, got {ra_f}")
    return tidy(ra_f), tidy(dec_f)


def tidy(degrees: float) -> float:
    """Zero for `abs(degrees) < 1e-12` deg (4 nano-arcsec): PostgreSQL refuses a float8 result that underflows to
    zero, which radians() and sin() of a subnormal angle would be."""
    return 0.0 if abs(degrees) < TINY_DEG else degrees


def radius_degrees(radius: Any) -> float:
    """A search radius in degrees: an astropy angle Quantity, or a number of arcseconds; InvalidSkyInput if it is
    negative, not finite, or over 180 degrees."""
    if isinstance(radius, u.Quantity):
        try:
            value = float(radius.to_value(u.deg))
        except (u.UnitsError, TypeError, ValueError):
            raise InvalidSkyInput(f"radius must be an angle, got {radius!r}") from None
    else:
        try:
            value = float(radius) / 3600.0
        except (TypeError, ValueError):
            raise InvalidSkyInput(f"radius must be an angle or a number of arcseconds, got {radius!r}") from None
    if not math.isfinite(value) or value < 0:
        raise InvalidSkyInput(f"radius must be finite and not negative, got {radius!r}")
    if value > 180.0:
        raise InvalidSkyInput(f"radius must be at most 180 degrees, got {value} deg")
    return value

