"""TESS sector coverage of a TIC or position (tess-point), with the products and releases held in each sector."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import psycopg

from lightcurvedb.errors import InvalidSkyInput, MissingDependency
from lightcurvedb.queries import sky as queries
from lightcurvedb.sky.angles import position
from lightcurvedb.sky.search import position_of, search


@dataclass(frozen=True)
class SectorCoverage:
    """One sector, camera and CCD on which a position falls, and the products (with release numbers) held there."""

    sector: int
    camera: int
    ccd: int
    held: dict[str, list[int]] = field(default_factory=dict)  # product -> release numbers (0: no release)


@dataclass(frozen=True)
class Coverage:
    """Where TESS looked (or will look) at a position, per tess-point, and what the database holds there."""

    ra: float
    dec: float
    tic: int | None
    sectors: list[SectorCoverage]
    held_elsewhere: dict[int, dict[str, list[int]]]  # held sectors tess-point does not place the position on

    @property
    def observed(self) -> list[int]:
        """The sectors that observed (or will observe) the position."""
        return sorted({s.sector for s in self.sectors})

    @property
    def held_sectors(self) -> list[int]:
        """The sectors with data held for the target."""
        return sorted({s.sector for s in self.sectors if s.held} | set(self.held_elsewhere))


def _pointing(ra: float, dec: float) -> list[tuple[int, int, int]]:
    try:
        from tess_stars2px import tess_stars2px_function_entry
    except ImportError as exc:
        raise MissingDependency("sector coverage needs tess-point: pip install 'lightcurvedb[sky]'") from exc
    found = tess_stars2px_function_entry(np.array([0]), np.array([ra]), np.array([dec]))
    sectors, cameras, ccds = found[3], found[4], found[5]
    return sorted({(int(s), int(c), int(d)) for s, c, d in zip(sectors, cameras, ccds, strict=True) if s > 0})


def coverage(conn: psycopg.Connection[Any], *, tic: int | None = None, ra: Any = None,
             dec: Any = None) -> Coverage:
    """The TESS sectors, cameras and CCDs whose fields hold TIC `tic`'s stored position (or (ra, dec)), from
    tess-point, and for each the products and releases the database holds (for the TIC; for a bare position,
    for the target stored nearest it within 2 arcsec, if any)."""
    target_id: int | None
    if tic is not None:
        if ra is not None or dec is not None:
            raise InvalidSkyInput("give a TIC or a position (ra, dec), not both")
        target_id, ra_f, dec_f = position_of(conn, tic=tic)
    else:
        if ra is None or dec is None:
            raise InvalidSkyInput("give a TIC or both ra and dec")
        ra_f, dec_f = position(ra, dec)
        near = search(conn, ra_f, dec_f, 2.0 / 3600.0, None, 1, None)
        target_id, tic = (near[0].target_id, near[0].tic) if near else (None, None)
    held: dict[int, dict[str, list[int]]] = {}
    if target_id is not None:
        for row in queries.held_in_sectors(conn, target_id=target_id):
            held.setdefault(row.sector, {}).setdefault(row.product or "(no release)", []).append(
                row.release_number or 0)
    sectors = [SectorCoverage(s, c, d, held.get(s, {})) for s, c, d in _pointing(ra_f, dec_f)]
    seen = {s.sector for s in sectors}
    return Coverage(ra_f, dec_f, tic, sectors, {s: h for s, h in held.items() if s not in seen})

