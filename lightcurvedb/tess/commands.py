"""The TESS commands of `lcdb`: ingest, show, releases, export, plot (their parsers and bodies).

Building the parsers imports nothing heavy; each command imports what it runs (rich, psycopg, NumPy, astropy, the
FITS readers) in its body.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import lightcurvedb
from lightcurvedb import cli_numbers as numbers
from lightcurvedb.cli_console import console_for_stdout
from lightcurvedb.errors import InvalidInput, NotFound
from lightcurvedb.printable import printable

if TYPE_CHECKING:
    from rich.console import Console

    from lightcurvedb.tess.ingest import IngestResult, IngestSummary
    from lightcurvedb.tess.quality import QualityBitmask


def register(sub: Any) -> None:
    """Register the TESS subcommands (ingest, show, releases, export, plot) on `lcdb`'s subparsers."""
    p = sub.add_parser("ingest", help="ingest TESS lightcurve FITS files or directories (SPOC, TESS-SPOC, QLP, "
                                      "TGLC, …)")
    p.add_argument("paths", nargs="+", type=Path, help="files or directories (searched recursively for *.fits)")
    p.add_argument("--jobs", "-j", type=numbers.workers, default=1,
                   help="parallel worker processes (default 1; at most 4 per CPU)")
    p.add_argument("--replace", action="store_true",
                   help="a file replaces the releases of its product, target and sector (default: a different file "
                        "becomes a new release beside them; the same bytes are skipped)")
    p.set_defaults(func=lambda a: ingest(a.dsn, a.paths, jobs=a.jobs, replace=a.replace), writes="write lightcurves")
    p = sub.add_parser("show", help="summarise what the database holds for a TIC target")
    p.add_argument("tic", type=numbers.tic, help="TIC id")
    p.set_defaults(func=lambda a: show(a.dsn, a.tic))
    p = sub.add_parser("releases", help="list the releases of a TIC target's lightcurves and the files they came from")
    p.add_argument("tic", type=numbers.tic, help="TIC id")
    p.set_defaults(func=lambda a: list_releases(a.dsn, a.tic))
    p = sub.add_parser("export", help="export a TIC target's lightcurve (.ecsv, .csv, .fits)")
    p.add_argument("tic", type=numbers.tic, help="TIC id")
    p.add_argument("-o", "--output", type=Path, required=True, help="output file; the suffix picks the format")
    p.add_argument("--flux", default=None, help="processing group exported as `flux` (default: PDCSAP if "
                   "present; best: each sector's best, lcdb best)")
    p.add_argument("--time-format", choices=["btjd", "jd"], default="btjd", help="time format of `time`")
    p.add_argument("--overwrite", action="store_true", help="replace OUTPUT if it exists (default: refuse)")
    _add_selection(p)
    _add_masking(p, "export")
    p.add_argument("--columns", type=numbers.column_list, default=None, metavar="NAME[,NAME…]",
                   help="only these columns besides time (the files' lower-cased column names and time, flux, "
                        "flux_err, quality, cadenceno, sector, camera, ccd, observation_id); only they are read")
    p.set_defaults(func=lambda a: export(a.dsn, a.tic, a.output, flux=a.flux, time_format=a.time_format,
                                         overwrite=a.overwrite, product=a.product, sectors=a.sector,
                                         release=a.release, quality_bitmask=a.quality_bitmask,
                                         normalize=a.normalize, columns=a.columns))
    p = sub.add_parser("plot", help="plot a TIC target's lightcurve, one panel per sector (PNG/PDF/SVG)")
    p.add_argument("tic", type=numbers.tic, help="TIC id")
    p.add_argument("-o", "--output", type=Path, required=True, help="output image file")
    p.add_argument("--flux", default=None, help="processing group to plot (default: PDCSAP if present; "
                   "best: each sector's best)")
    p.add_argument("--overwrite", action="store_true", help="replace OUTPUT if it exists (default: refuse)")
    _add_selection(p)
    _add_masking(p, "plot")
    p.set_defaults(func=lambda a: plot(a.dsn, a.tic, a.output, flux=a.flux, overwrite=a.overwrite,
                                       product=a.product, sectors=a.sector, release=a.release,
                                       quality_bitmask=a.quality_bitmask, normalize=a.normalize))


def _add_selection(p: argparse.ArgumentParser) -> None:
    p.add_argument("--product", default=None,
                   help="one product (spoc, tglc, …); default: per sector the first held of spoc, tess-spoc, qlp, "
                        "tglc, gsfc-eleanor-lite, cdips, pathos")
    p.add_argument("--sector", type=numbers.sector_list, default=None, metavar="N[,M…]", help="only these sectors")
    p.add_argument("--release", type=numbers.release, default=None, metavar="N",
                   help="the release number (`lcdb releases TIC`); default: the newest")


def _add_masking(p: argparse.ArgumentParser, verb: str) -> None:
    p.add_argument("--quality-bitmask", type=_bitmask, default="none", metavar="none|default|hard|hardest|INT",
                   help=f"{verb} without the cadences whose QUALITY has these bits: lightkurve's presets (per "
                        "product, e.g. QLP's low-precision bit in hard) or an integer; default none: every cadence")
    p.add_argument("--normalize", action="store_true",
                   help="divide each sector's flux and flux_err by its median flux (lightkurve's normalize())")


def _bitmask(text: str) -> QualityBitmask:
    from lightcurvedb.tess.quality import parse_bitmask

    try:
        return parse_bitmask(text)
    except InvalidInput as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def print_summary(console: Console, summary: IngestSummary) -> None:
    """Counts, then one line per failed file with its typed error."""
    replaced = sum(r.replaced for r in summary.results)
    console.print(f"ingest: {summary.count('added')} added, {summary.count('skipped')} skipped, "
                  f"{summary.count('failed')} failed ({len(summary.results)} file(s))"
                  + (f"; {replaced} older release(s) replaced" if replaced else ""))
    for r in summary.failed:
        console.print(f"  failed: {printable(r.path)}: [{r.error_type}] {printable(r.error)}", markup=False)


def ingest(dsn: str | None, paths: list[Path], *, jobs: int = 1, replace: bool = False,
           console: Console | None = None) -> int:
    """`lcdb ingest`: exit 0 when no file failed, 1 otherwise."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from lightcurvedb.connection import resolve
    from lightcurvedb.tess.ingest import IngestSummary, expand_paths, iter_ingest

    console = console or console_for_stdout()
    target = resolve(dsn).dsn
    summary = IngestSummary()
    total = len(expand_paths(paths))
    if not total:
        raise NotFound(f"no lightcurve files to ingest in {', '.join(printable(p) for p in paths)} "
                       "(directories are searched for *.fits, *.fits.gz, *.fit and *.fts)")
    columns = (TextColumn("ingest"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
               TextColumn("{task.description}"))
    # refreshed by hand, not by rich's refresh thread: with one thread the ingest can fork its workers
    with Progress(*columns, console=console, transient=not console.is_terminal, auto_refresh=False) as progress:
        task = progress.add_task("", total=total)
        for result in iter_ingest(target, paths, jobs=jobs, replace=replace):
            summary.results.append(result)
            progress.update(task, advance=1, description=_describe(result), refresh=True)
    print_summary(console, summary)
    return 1 if summary.failed else 0


def _describe(r: IngestResult) -> str:
    if r.status == "failed":
        return f"{r.path.name}: failed"
    return f"{r.path.name}: {r.status} (TIC {r.tic_id}, sector {r.sector}, {r.product} release {r.release})"


SHOWN = ("time", "quality", "cadenceno")
"""What `lcdb show` reads of each observation: its span of times, its flagged cadences and its cadence numbers."""


def show(dsn: str | None, tic: int, console: Console | None = None) -> int:
    """`lcdb show TIC`: one table row per observation."""
    from rich.table import Table

    from lightcurvedb.connection import resolve
    from lightcurvedb.tess.tic import load_tic

    console = console or console_for_stdout()
    with lightcurvedb.connect(resolve(dsn).dsn) as conn:
        lcs = load_tic(conn, tic, every_product=True, columns=SHOWN)
    table = Table(title=f"TIC {tic}: {len(lcs.observations)} observation(s)")
    for col in ("sector", "product", "release", "obs", "cam/ccd", "cadences", "cadenceno", "BTJD",
                "processing groups", "flag types", "flagged"):
        table.add_column(col, justify="right" if col in {"obs", "sector", "release", "cadences", "flagged"}
                         else "left")
    for o in sorted(lcs.observations, key=lambda o: (o.sector, o.product or "", o.release or 0)):
        span = ("-" if math.isnan(o.time_start) else f"{o.time_start:.3f}–{o.time_stop:.3f}")
        cadenceno = f"{o.first_cadence}–{o.last_cadence}"
        if o.derived_cadence_seconds is not None:
            cadenceno += f" (derived from times, {o.derived_cadence_seconds:.0f} s)"
        table.add_row(str(o.sector), o.product or "-", str(o.release or "-"), str(o.observation_id),
                      f"{o.camera}/{o.ccd}", str(o.cadences), cadenceno, span, ", ".join(o.groups),
                      ", ".join(o.flag_types), str(o.flagged))
    console.print(table)
    return 0


def list_releases(dsn: str | None, tic: int, console: Console | None = None) -> int:
    """`lcdb releases TIC`: one table row per release, with the file it came from; the newest of each sector and
    product (what reads take by default) is marked."""
    from rich.table import Table
    from rich.text import Text

    from lightcurvedb.connection import resolve
    from lightcurvedb.tess.tic import tic_releases

    console = console or console_for_stdout()
    with lightcurvedb.connect(resolve(dsn).dsn) as conn:
        rows = tic_releases(conn, tic)
    table = Table(title=f"TIC {tic}: {len(rows)} release(s)")
    for col in ("sector", "product", "release", "default", "cam/ccd", "cadences", "DATA_REL", "PROCVER", "ingested",
                "sha256", "file"):
        table.add_column(col, justify="right" if col in {"sector", "release", "cadences", "DATA_REL"} else "left")
    newest: dict[tuple[int, str], int] = {}
    for r in rows:
        newest[(r.sector, r.product_name)] = max(r.number, newest.get((r.sector, r.product_name), 0))
    for r in rows:
        table.add_row(str(r.sector), r.product_name, str(r.number),
                      "yes" if newest[(r.sector, r.product_name)] == r.number else "",
                      f"{r.camera}/{r.ccd}", str(r.cadence_count), "-" if r.data_rel is None else str(r.data_rel),
                      Text(printable(r.procver or "-")),
                      f"{r.ingested_on:%Y-%m-%d %H:%M}" if r.ingested_on else "before files were recorded",
                      (r.sha256 or "-")[:12], Text(printable(r.path or "-")))
    console.print(table)
    return 0


def export(dsn: str | None, tic: int, output: Path, *, flux: str | None = None, time_format: str = "btjd",
           overwrite: bool = False, product: str | None = None, sectors: list[int] | None = None,
           release: int | None = None, quality_bitmask: QualityBitmask = "none", normalize: bool = False,
           columns: list[str] | None = None, console: Console | None = None) -> int:
    """`lcdb export TIC -o FILE`: refuses an existing FILE unless `overwrite`. With `columns`, only time and
    those are read and written (quality is read too when a bitmask masks cadences)."""
    from lightcurvedb.connection import resolve
    from lightcurvedb.tess.export import check_output, export_format, write_lightcurves
    from lightcurvedb.tess.tic import load_tic

    console = console or console_for_stdout()
    # refused before touching the database: an unwritable path (a directory too), then an unknown suffix
    check_output(output, overwrite=overwrite, hint="--overwrite")
    export_format(output)
    with lightcurvedb.connect(resolve(dsn).dsn) as conn:
        read = None if columns is None else list(dict.fromkeys(
            ["time", *columns, *(["quality"] if quality_bitmask != "none" else [])]))
        lcs = load_tic(conn, tic, product=product, sectors=sectors, release=release, columns=read, flux=flux)
    ts = write_lightcurves(lcs, output, flux_group=flux, time_format=time_format, overwrite=overwrite,
                           quality_bitmask=quality_bitmask, normalize=normalize, columns=columns)
    masked = f", quality bitmask {quality_bitmask}" if quality_bitmask != "none" else ""
    console.print(f"wrote {printable(output)} ({len(ts)} cadences, {len(ts.colnames)} columns, flux = "
                  f"{ts.meta['FLUX_GROUP']}{' normalised' if normalize else ''}{masked})", markup=False)
    return 0


def plot(dsn: str | None, tic: int, output: Path, *, flux: str | None = None, overwrite: bool = False,
         product: str | None = None, sectors: list[int] | None = None, release: int | None = None,
         quality_bitmask: QualityBitmask = "none", normalize: bool = False, console: Console | None = None) -> int:
    """`lcdb plot TIC -o FILE.png`: refuses an existing FILE unless `overwrite`."""
    from lightcurvedb.connection import resolve
    from lightcurvedb.tess.export import check_output
    from lightcurvedb.tess.plot import check_image_name, plot_lightcurves
    from lightcurvedb.tess.tic import load_tic

    console = console or console_for_stdout()
    check_image_name(output)
    check_output(output, overwrite=overwrite, hint="--overwrite")
    with lightcurvedb.connect(resolve(dsn).dsn) as conn:
        lcs = load_tic(conn, tic, product=product, sectors=sectors, release=release, flux=flux)
    plot_lightcurves(lcs, output, flux_group=flux, overwrite=overwrite, quality_bitmask=quality_bitmask,
                     normalize=normalize)
    console.print(f"wrote {output}", markup=False)
    return 0
