"""The sky subcommands of `lcdb`: search (cone or around a TIC), coverage (TESS sectors of a position), positions.

Building the parsers imports nothing heavy; each command imports `lightcurvedb.sky` (astropy, cdshealpix,
tess-point for coverage) and rich in its body.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import lightcurvedb
from lightcurvedb import cli_numbers as numbers
from lightcurvedb.cli_console import console_for_stdout
from lightcurvedb.errors import InvalidSkyInput
from lightcurvedb.printable import printable

if TYPE_CHECKING:
    from rich.console import Console


def register(sub: Any) -> None:
    """Register `lcdb search`, `lcdb coverage` and `lcdb positions` on `lcdb`'s subparsers."""
    p = sub.add_parser("search", help="targets near a position (--ra/--dec) or a TIC, nearest first")
    p.add_argument("--ra", type=numbers.right_ascension, help="right ascension, degrees")
    p.add_argument("--dec", type=numbers.declination, help="declination, degrees")
    p.add_argument("--tic", type=numbers.tic, help="search around this TIC's stored position (it is not listed itself)")
    p.add_argument("--radius", type=numbers.arcseconds, required=True, metavar="ARCSEC",
                   help="search radius, arcseconds")
    p.add_argument("--tmag-max", type=numbers.magnitude, default=None, metavar="M", help="only targets with Tmag <= M")
    p.add_argument("--limit", type=numbers.limit, default=None, metavar="N", help="at most N targets")
    p.add_argument("--json", action="store_true", help="print a JSON array instead of a table")
    p.set_defaults(func=lambda a: search(a.dsn, ra=a.ra, dec=a.dec, tic=a.tic, radius=a.radius,
                                         tmag_max=a.tmag_max, limit=a.limit, as_json=a.json))
    p = sub.add_parser("coverage", help="which TESS sectors, cameras and CCDs observe a TIC or position "
                                        "(tess-point), and what the database holds for each")
    p.add_argument("tic", type=numbers.tic, nargs="?", help="TIC id (its stored position)")
    p.add_argument("--ra", type=numbers.right_ascension, help="right ascension, degrees")
    p.add_argument("--dec", type=numbers.declination, help="declination, degrees")
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    p.set_defaults(func=lambda a: coverage(a.dsn, tic=a.tic, ra=a.ra, dec=a.dec, as_json=a.json))
    p = sub.add_parser("positions", help="load a target list (CSV, ECSV, FITS…: TIC, ra, dec[, Tmag, TICVER])")
    p.add_argument("path", type=Path, help="the table file")
    p.set_defaults(func=lambda a: load_positions(a.dsn, a.path), writes="write target positions")


def search(dsn: str | None, *, ra: float | None, dec: float | None, tic: int | None, radius: float,
           tmag_max: float | None = None, limit: int | None = None, as_json: bool = False,
           console: Console | None = None) -> int:
    """`lcdb search --ra --dec --radius` or `--tic --radius`: a table (or JSON array) of the targets found."""
    from rich.table import Table

    from lightcurvedb import sky
    from lightcurvedb.connection import resolve

    if tic is not None and (ra is not None or dec is not None):
        raise InvalidSkyInput("give --tic or --ra and --dec, not both")
    if tic is None and (ra is None or dec is None):
        raise InvalidSkyInput("give --ra and --dec, or --tic")
    with lightcurvedb.connect(resolve(dsn).dsn) as conn:
        if tic is not None:
            rows = sky.neighbours(conn, tic=tic, radius=radius, tmag_max=tmag_max, limit=limit)
        else:
            rows = sky.cone_search(conn, ra=ra, dec=dec, radius=radius, tmag_max=tmag_max, limit=limit)
    console = console or console_for_stdout()
    if as_json:
        console.print_json(json.dumps([
            {"tic": r.tic, "ra": r.ra, "dec": r.dec, "separation_arcsec": r.separation_arcsec, "tmag": r.tessmag,
             "sectors": [int(s) for s in r.sectors], "products": list(r.products)} for r in rows]))
        return 0
    centre = f"TIC {tic}" if tic is not None else f"ra {ra}, dec {dec}"
    table = Table(title=f"{len(rows)} target(s) within {radius:g} arcsec of {centre}")
    for col in ("TIC", "ra", "dec", "separation (arcsec)", "Tmag", "sectors held", "products"):
        table.add_column(col, justify="left" if col in ("sectors held", "products") else "right")
    for r in rows:
        table.add_row(str(r.tic), f"{r.ra:.6f}", f"{r.dec:.6f}", f"{r.separation_arcsec:.3f}",
                      "-" if r.tessmag is None else f"{r.tessmag:.3f}", ", ".join(str(s) for s in r.sectors) or "-",
                      ", ".join(r.products) or "-")
    console.print(table)
    return 0


def _held(held: dict[str, list[int]]) -> str:
    return ", ".join(p if numbers == [0] else f"{p} r{','.join(str(n) for n in sorted(numbers))}"
                     for p, numbers in sorted(held.items()))


def coverage(dsn: str | None, *, tic: int | None, ra: float | None, dec: float | None, as_json: bool = False,
             console: Console | None = None) -> int:
    """`lcdb coverage TIC` or `--ra --dec`: "observed in 24, 51; held: 24 (spoc, tess-spoc, qlp)" and a line per
    sector, camera and CCD."""
    from lightcurvedb import sky
    from lightcurvedb.connection import resolve

    with lightcurvedb.connect(resolve(dsn).dsn) as conn:
        cov = sky.coverage(conn, tic=tic, ra=ra, dec=dec)
    console = console or console_for_stdout()
    if as_json:
        console.print_json(json.dumps({
            "tic": cov.tic, "ra": cov.ra, "dec": cov.dec, "observed": cov.observed, "held": cov.held_sectors,
            "sectors": [{"sector": s.sector, "camera": s.camera, "ccd": s.ccd, "held": s.held} for s in cov.sectors],
            "held_elsewhere": {str(k): v for k, v in cov.held_elsewhere.items()}}))
        return 0
    name = f"TIC {cov.tic}" if cov.tic is not None else "no stored target"
    held = {s.sector: s.held for s in cov.sectors if s.held} | cov.held_elsewhere
    held_text = "; ".join(f"{sector} ({', '.join(sorted(h))})" for sector, h in sorted(held.items())) or "nothing"
    observed = ", ".join(str(s) for s in cov.observed) or "no sector (tess-point places it on no CCD)"
    console.print(f"{name} at ra {cov.ra:.6f}, dec {cov.dec:.6f}: observed in {observed}; held: {held_text}",
                  soft_wrap=True)
    for s in cov.sectors:
        console.print(f"  sector {s.sector}: camera {s.camera}, CCD {s.ccd}"
                      + (f": {_held(s.held)}" if s.held else ""), soft_wrap=True)
    for sector, h in sorted(cov.held_elsewhere.items()):
        console.print(f"  sector {sector}: held ({_held(h)}) though tess-point places the position on no CCD",
                      soft_wrap=True)
    return 0


def load_positions(dsn: str | None, path: Path, console: Console | None = None) -> int:
    """`lcdb positions FILE`: load a target list in one transaction."""
    from lightcurvedb import sky
    from lightcurvedb.connection import resolve
    from lightcurvedb.tess.reference import ensure_reference

    with lightcurvedb.connect(resolve(dsn).dsn) as conn, conn.transaction():
        done = sky.load_positions(conn, path=path, catalog_id=ensure_reference(conn).catalog_id)
    console = console or console_for_stdout()
    console.print(f"{done.rows} target(s) read from {printable(path)}: {done.targets_created} new, "
                  f"{done.positions_set} position(s) set, {done.kept_from_files} kept from ingested files",
                  markup=False)
    return 0
