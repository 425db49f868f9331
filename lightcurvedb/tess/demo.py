"""`lcdb demo`: embedded database, migrate, ingest the synthetic sample, then show, export and plot it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from lightcurvedb.errors import MissingDependency
from lightcurvedb.tess import commands

if TYPE_CHECKING:
    from rich.console import Console


def add_parser(sub: Any) -> None:
    """Register `lcdb demo` on `lcdb`'s subparsers."""
    p = sub.add_parser("demo", help="embedded database + a synthetic TESS sample: ingest, show, export, plot")
    p.add_argument("--out", type=Path, default=Path("lcdb-demo"), help="output directory (default ./lcdb-demo)")
    p.set_defaults(func=lambda a: run_demo(a.dsn, a.out, commands.console_for_stdout()))


def run_demo(dsn: str | None, out: Path, console: Console) -> int:
    """Run the whole user journey on a synthetic sample; prints where every file went.

    The demo owns `out`: it (re)writes the sample and replaces its own exports there on every run.
    """
    from lightcurvedb import migrate
    from lightcurvedb.connection import resolve
    from lightcurvedb.tess.synthetic import SAMPLE, write_sample

    resolved = resolve(dsn)  # no DSN configured: starts the embedded PostgreSQL
    target = resolved.dsn
    console.print(f"database: {resolved.source}", markup=False)
    done = migrate.apply(target)
    console.print(f"migrate: {len(done)} migration(s) applied" if done else "migrate: schema up to date")
    out = out.resolve()
    files = write_sample(out / "fits")
    console.print(f"synthetic sample: {len(files)} SPOC-layout FITS files in {out / 'fits'}", markup=False)
    code = commands.ingest(target, [out / "fits"], console=console)
    if code:
        return code
    star = SAMPLE[0].tic_id
    for t in SAMPLE:
        commands.show(target, t.tic_id, console=console)
    written = []
    for suffix in (".ecsv", ".fits", ".csv"):
        path = out / f"tic{star}{suffix}"
        commands.export(target, star, path, overwrite=True, console=console)
        written.append(path)
    png = out / f"tic{star}.png"
    try:
        commands.plot(target, star, png, overwrite=True, console=console)
        written.append(png)
    except MissingDependency as e:
        console.print(f"plot skipped: {e}", markup=False)
    console.print(f"\ndemo done. Files in {out}:", markup=False)
    for path in written:
        console.print(f"  {path}", markup=False)
    console.print(f"next: lcdb ingest /path/to/*_lc.fits; lcdb show {star}; "
                  f"lcdb export {star} -o tic{star}.fits; lcdb plot {star} -o tic{star}.png", markup=False)
    return 0
