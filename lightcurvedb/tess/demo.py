"""`lcdb demo`: embedded database, migrate, ingest the synthetic sample, then show, export and plot it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from lightcurvedb.cli_console import console_for_stdout
from lightcurvedb.errors import MissingDependency
from lightcurvedb.tess import commands

if TYPE_CHECKING:
    from rich.console import Console


def register(sub: Any) -> None:
    """Register `lcdb demo` on `lcdb`'s subparsers."""
    p = sub.add_parser("demo", help="embedded database + a synthetic TESS sample: ingest, show, export, plot")
    p.add_argument("--out", type=Path, default=Path("lcdb-demo"), help="output directory (default ./lcdb-demo)")
    p.add_argument("--overwrite", action="store_true",
                   help="replace the demo's own files in OUT if they exist (default: refuse)")
    p.set_defaults(func=lambda a: run_demo(a.dsn, a.out, console_for_stdout(), overwrite=a.overwrite),
                   writes="write lightcurves")


def demo_files(out: Path) -> list[Path]:
    """Every file the demo writes in `out`: the synthetic sample and the exports and plot of its first star."""
    from lightcurvedb.tess.synthetic import SAMPLE, sample_paths

    star = SAMPLE[0].tic_id
    return [*sample_paths(out / "fits"), *(out / f"tic{star}{suffix}" for suffix in (".ecsv", ".fits", ".csv", ".png"))]


def run_demo(dsn: str | None, out: Path, console: Console, *, overwrite: bool = False) -> int:
    """Run the whole user journey on a synthetic sample; prints where every file went.

    Like `lcdb export`, an existing file is refused before any work unless `overwrite`; the demo writes (and
    with `overwrite` replaces) only its own files in `out` (`demo_files`), nothing else.
    """
    from lightcurvedb import migrate
    from lightcurvedb.connection import resolve
    from lightcurvedb.errors import OutputFileError
    from lightcurvedb.tess.synthetic import SAMPLE, write_sample

    out = out.resolve()
    if out.exists() and not out.is_dir():
        raise OutputFileError(f"{out} is not a directory; give the demo a directory")
    existing = [p for p in demo_files(out) if p.exists() or p.is_symlink()]
    if existing and not overwrite:
        raise OutputFileError(f"{existing[0]} exists ({len(existing)} of the demo's files do); pass --overwrite "
                              "to replace them")
    if any(p.is_dir() or p.is_symlink() for p in existing):
        raise OutputFileError(f"{next(p for p in existing if p.is_dir() or p.is_symlink())} is not a file the demo "
                              "wrote; move it away")
    resolved = resolve(dsn)  # no DSN configured: starts the embedded PostgreSQL
    target = resolved.dsn
    console.print(f"database: {resolved.source}", markup=False)
    done = migrate.apply(target)
    console.print(f"migrate: {len(done)} migration(s) applied" if done else "migrate: schema up to date")
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
