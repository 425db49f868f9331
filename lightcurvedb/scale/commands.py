"""The `lcdb` commands that run on a Dask cluster: bls (transit searches) and publish hats (a HATS catalog).

bls searches every selected lightcurve and stores the results; publish hats writes a HATS catalog of them.
Building the parsers imports nothing heavy; each command imports Dask, the BLS search or the HATS writer in its
body.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any

import lightcurvedb
from lightcurvedb import cli_numbers as numbers
from lightcurvedb.cli_console import console_for_stdout
from lightcurvedb.errors import InvalidInput
from lightcurvedb.printable import printable

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress

    from lightcurvedb.scale.bls import BlsParameters

MIN_PERIOD = 0.5
MAX_PERIOD = 13.0
"""The defaults of `lcdb bls --min-period/--max-period`: `BlsParameters`' own (a test keeps them equal), spelled
here so that building the parser does not import the search (NumPy, astropy.timeseries)."""


def _cluster_options(p: Any) -> None:
    how = p.add_mutually_exclusive_group()
    how.add_argument("--workers", type=numbers.workers, default=2, metavar="N",
                     help="worker processes of a local Dask cluster (default 2)")
    how.add_argument("--scheduler", default=None, metavar="ADDRESS",
                     help="a running dask.distributed scheduler, e.g. tcp://10.0.0.5:8786")
    p.add_argument("--replica", action="append", default=[], metavar="DSN",
                   help="a hot standby of --dsn to spread the reads over (repeatable)")


def register(sub: Any) -> None:
    """Register `lcdb bls`, `lcdb publish hats` and `lcdb shard` on `lcdb`'s subparsers."""
    _register_shard(sub)
    publish = sub.add_parser("publish", help="publish lightcurves in a format others read").add_subparsers(
        dest="format", required=True)
    p = publish.add_parser("hats", help="a HATS catalog (HEALPix-partitioned Parquet, read by lsdb): one row per "
                                        "target with ra, dec, TIC, Tmag and its lightcurves nested")
    p.add_argument("outdir", type=Path, help="the catalog directory to write")
    p.add_argument("--sectors", type=numbers.sector_list, default=None, metavar="N[,M…]", help="only these sectors")
    p.add_argument("--product", default=None, help="only this product (default: every product held)")
    p.add_argument("--release", type=numbers.release, default=None, metavar="N",
                   help="this release number (default: newest)")
    p.add_argument("--flux", default=None, help="processing group published as flux (default: each product's; "
                                                "best: each release's best, lcdb best)")
    p.add_argument("--columns", type=numbers.column_list, default=None, metavar="NAME[,NAME…]",
                   help="the nested arrays, of time, flux, flux_err, quality, cadenceno (default: time, flux, "
                        "flux_err, quality); only they are read. sector and product are always nested")
    p.add_argument("--overwrite", action="store_true", help="replace OUTDIR if it exists (default: refuse)")
    _cluster_options(p)
    p.set_defaults(func=lambda a: publish_hats_command(
        a.dsn, a.outdir, replicas_=a.replica, sectors=a.sectors, product=a.product, release=a.release, flux=a.flux,
        columns=a.columns, workers=a.workers, scheduler=a.scheduler, overwrite=a.overwrite))
    p = sub.add_parser("bls", help="Box Least Squares transit search of every selected lightcurve on a Dask "
                                   "cluster, results stored per dataset (--show TIC prints them)")
    p.add_argument("--sectors", type=numbers.sector_list, default=None, metavar="N[,M…]", help="only these sectors")
    p.add_argument("--product", default=None, help="only this product (spoc, qlp, …)")
    p.add_argument("--release", type=numbers.release, default=None, metavar="N",
                   help="this release number (default: newest)")
    p.add_argument("--flux", default=None, help="processing group searched (default: each product's flux; "
                                                "best: each release's best, lcdb best)")
    _cluster_options(p)
    p.add_argument("--min-period", type=numbers.days, default=MIN_PERIOD, metavar="D",
                   help=f"shortest period searched, days (default {MIN_PERIOD})")
    p.add_argument("--max-period", type=numbers.days, default=MAX_PERIOD, metavar="D",
                   help=f"longest period searched, days (default {MAX_PERIOD}; at most half the "
                        "span of each lightcurve)")
    p.add_argument("--quality-bitmask", default="default", metavar="none|default|hard|hardest|INT",
                   help="cadences left out of the search (default: lightkurve's default)")
    p.add_argument("--show", type=numbers.tic, default=None, metavar="TIC", help="print the stored results of TIC")
    p.add_argument("--json", action="store_true", help="with --show: a JSON array")
    p.set_defaults(func=lambda a: show(a.dsn, a.show, as_json=a.json) if a.show is not None else _bls_command(a),
                   writes="store period search results")


def _bls_command(a: Any) -> int:
    """`lcdb bls` without --show: the search's parameters from the flags, then `bls`."""
    from lightcurvedb.scale.bls import BlsParameters

    params = BlsParameters(min_period=a.min_period, max_period=a.max_period, quality_bitmask=a.quality_bitmask)
    return bls(a.dsn, replicas_=a.replica, sectors=a.sectors, product=a.product, release=a.release, flux=a.flux,
               workers=a.workers, scheduler=a.scheduler, params=params)


_SCHEDULER = re.compile(r"(?:(?:tcp|tls|ws|wss|ucx)://)?(?:[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])"
                        r":(?:6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3})")
"""A dask.distributed scheduler address: an optional protocol, a host name or [IPv6] address, a port."""


def _client(workers: int, scheduler: str | None, stack: ExitStack) -> Any:
    """A client of the scheduler at `scheduler`, else of a new local cluster of `workers` processes."""
    from lightcurvedb.scale.dask import require_distributed

    if scheduler is not None and not _SCHEDULER.fullmatch(scheduler):
        raise InvalidInput(f"--scheduler {scheduler!r} is not a scheduler address: give "
                           "[tcp|tls|ws|wss|ucx://]HOST:PORT, e.g. tcp://10.0.0.5:8786")
    distributed = require_distributed()
    if scheduler is not None:
        return stack.enter_context(distributed.Client(scheduler))
    # the workers' own logs stay quiet: a task's error reaches the command, which reports it in one line
    cluster = stack.enter_context(distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                                           dashboard_address=None, silence_logs=logging.CRITICAL))
    return stack.enter_context(distributed.Client(cluster))


BLS_PART_SIZE = 32
"""Lightcurves per BLS task: a search costs about a second per lightcurve, so small parts keep every worker busy
(and a retried task cheap) while the scheduler's per-task cost stays negligible."""


def run_bls(primary: str, *, params: BlsParameters, standbys: Sequence[str] = (), client: Any,
            sectors: Iterable[int] | None = None, product: str | None = None, release: int | None = None,
            processing_group: str | None = None, progress: Progress | None = None,
            part_size: int = BLS_PART_SIZE) -> dict[str, int]:
    """Search every selected lightcurve on `client`'s cluster in parts of `part_size` (reads spread over
    `primary` and `standbys`, results stored in `primary`); returns the totals searched, stored (new) and skipped
    (already stored)."""
    from lightcurvedb.scale.bls import searcher
    from lightcurvedb.scale.dask import map_lightcurves, require_distributed

    as_completed = require_distributed().as_completed
    bag = map_lightcurves(searcher(dsn=primary, params=params), [primary, *standbys], per_partition=True,
                          sectors=sectors, product=product, release=release, processing_group=processing_group,
                          part_size=part_size)
    futures = client.compute(bag.to_delayed())
    totals = {"searched": 0, "stored": 0, "skipped": 0}
    task = progress.add_task("searching", total=len(futures)) if progress is not None else None
    for future in as_completed(futures):
        for summary in future.result():
            for key in totals:
                totals[key] += summary[key]
        if progress is not None and task is not None:
            progress.advance(task)
    return totals


def bls(dsn: str | None, *, replicas_: Sequence[str], params: BlsParameters, workers: int = 2,
        scheduler: str | None = None, sectors: list[int] | None = None, product: str | None = None,
        release: int | None = None, flux: str | None = None, console: Console | None = None) -> int:
    """`lcdb bls`: search, store, and say how many were searched, stored and skipped."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from lightcurvedb.connection import resolve
    from lightcurvedb.scale import replicas

    primary = resolve(dsn).dsn
    console = console or console_for_stdout()
    replicas.usable([primary])  # the primary answers before a cluster is started
    with ExitStack() as stack:
        client = _client(workers, scheduler, stack)
        progress = stack.enter_context(Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                                TimeElapsedColumn(), console=console, transient=True))
        totals = run_bls(primary, params=params, standbys=replicas_, client=client, sectors=sectors,
                         product=product, release=release, processing_group=flux, progress=progress)
    console.print(f"bls: {totals['searched']} lightcurve(s) searched, {totals['stored']} result(s) stored, "
                  f"{totals['skipped']} already stored (periods {params.min_period:g}-{params.max_period:g} d)",
                  markup=False)
    return 0


def publish_hats_command(dsn: str | None, outdir: Path, *, replicas_: Sequence[str], workers: int = 2,
                         scheduler: str | None = None, sectors: list[int] | None = None, product: str | None = None,
                         release: int | None = None, flux: str | None = None, columns: list[str] | None = None,
                         overwrite: bool = False, console: Console | None = None) -> int:
    """`lcdb publish hats OUTDIR`: write the catalog, with a progress bar, and say what it holds."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from lightcurvedb.connection import resolve
    from lightcurvedb.scale import replicas
    from lightcurvedb.scale.partitions import array_columns
    from lightcurvedb.scale.publish import check_catalog_output, publish_hats

    primary = resolve(dsn).dsn
    console = console or console_for_stdout()
    if columns is not None:
        array_columns(columns)  # a column a publication cannot nest is refused before anything starts
    check_catalog_output(outdir, overwrite=overwrite, hint="--overwrite")
    replicas.usable([primary])
    with ExitStack() as stack:
        client = _client(workers, scheduler, stack)
        progress = stack.enter_context(Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                                TimeElapsedColumn(), console=console))
        totals = publish_hats(primary if not replicas_ else [primary, *replicas_], outdir, client=client,
                              sectors=sectors, product=product, release=release, processing_group=flux,
                              columns=columns, overwrite=overwrite, progress=progress)
    console.print(f"wrote HATS catalog {printable(outdir)}: {totals['targets']} target(s), {totals['lightcurves']} "
                  f"lightcurve(s), {totals['cadences']} cadences"
                  + (f"; {totals['unplaced']} target(s) without a stored position left out (lcdb positions FILE)"
                     if totals["unplaced"] else ""), markup=False)
    return 0


def show(dsn: str | None, tic: int, *, as_json: bool = False, console: Console | None = None) -> int:
    """`lcdb bls --show TIC`: the stored results of a target, one row per dataset and parameters."""
    from rich.table import Table

    from lightcurvedb.connection import resolve
    from lightcurvedb.queries import periodograms
    from lightcurvedb.tess.tic import target_id_of

    with lightcurvedb.connect(resolve(dsn).dsn) as conn:
        rows = periodograms.list_periodogram_results_of_target(conn, target_id=target_id_of(conn, tic))
    console = console or console_for_stdout()
    if as_json:
        console.print_json(json.dumps([
            {"sector": r.sector, "camera": r.camera, "ccd": r.ccd, "product": r.product_name,
             "release": r.release_number, "flux": r.processing_group_name, "method": r.method,
             "parameters": r.parameters, "code_version": r.code_version, "period": r.period, "epoch": r.epoch,
             "duration": r.duration, "depth": r.depth, "depth_snr": r.depth_snr, "power": r.power,
             "n_points": r.n_points} for r in rows]))
        return 0
    table = Table(title=f"TIC {tic}: {len(rows)} stored period search result(s)")
    for col in ("sector", "product", "release", "flux", "method", "period (d)", "epoch (BTJD)", "duration (d)",
                "depth", "depth SNR", "points"):
        table.add_column(col, justify="right")

    def number(value: float | None, fmt: str) -> str:
        return "-" if value is None else format(value, fmt)

    for r in rows:
        table.add_row(str(r.sector), r.product_name or "-", str(r.release_number or "-"), r.processing_group_name,
                      r.method, number(r.period, ".5f"), number(r.epoch, ".4f"), number(r.duration, ".3f"),
                      number(r.depth, ".2e"), number(r.depth_snr, ".1f"), str(r.n_points))
    console.print(table)
    return 0


def _register_shard(sub: Any) -> None:
    shard = sub.add_parser("shard", help="spread observations' partitions over other PostgreSQL servers "
                                         "(postgres_fdw): add a shard, list them, move sectors").add_subparsers(
        dest="shard_command", required=True)
    p = shard.add_parser("add", help="register a database as shard NAME: migrate it, create the foreign server "
                                     "and user mapping (needs a superuser on the coordinator)")
    p.add_argument("name", help="the shard's name (lower-case identifier)")
    p.add_argument("shard_dsn", metavar="DSN", help="the shard database (libpq DSN or URI; its user and password "
                                                    "become the user mapping)")
    p.set_defaults(func=lambda a: _shard_add(a.dsn, a.name, a.shard_dsn), writes="register a shard")
    p = shard.add_parser("list", help="each shard: where it is, its sectors, bytes, reachable or not")
    p.add_argument("--json", action="store_true", help="a JSON array")
    p.set_defaults(func=lambda a: _shard_list(a.dsn, as_json=a.json))
    p = shard.add_parser("move", help="move the partitions of sectors to a shard or back (copy, verify counts and "
                                      "checksums, swap in one transaction, drop the old copy; re-runnable)")
    p.add_argument("--sectors", type=numbers.sector_ranges, required=True, metavar="A-B[,N…]",
                   help="the sectors moved")
    p.add_argument("--to", required=True, metavar="NAME|local", help="the shard, or local (the coordinator)")
    p.set_defaults(func=lambda a: _shard_move(a.dsn, a.sectors, a.to), writes="move partitions")


def _shard_add(dsn: str | None, name: str, shard_dsn: str) -> int:
    from lightcurvedb.connection import resolve
    from lightcurvedb.scale import shards

    with lightcurvedb.connect(resolve(dsn).dsn) as conn:
        added = shards.add_shard(conn, name=name, dsn=shard_dsn)
    console_for_stdout().print(f"shard {printable(added.name)}: {printable(added.host)}:{printable(added.port)}/"
                               f"{printable(added.dbname)} migrated and registered", markup=False)
    return 0


def _shard_list(dsn: str | None, *, as_json: bool) -> int:
    from rich.table import Table

    from lightcurvedb.connection import resolve
    from lightcurvedb.scale import shards

    with lightcurvedb.connect(resolve(dsn).dsn) as conn:
        found = shards.list_shards(conn)
    console = console_for_stdout()
    if as_json:
        console.print_json(json.dumps([
            {"name": s.name, "host": s.host, "port": s.port, "dbname": s.dbname, "sectors": list(s.sectors),
             "observations": list(s.observations), "bytes": s.bytes, "reachable": s.reachable, "error": s.error}
            for s in found]))
        return 0
    table = Table(title=f"{len(found)} shard(s)")
    for col in ("shard", "where", "sectors", "observations", "bytes", "reachable"):
        table.add_column(col)
    for s in found:
        table.add_row(printable(s.name), printable(f"{s.host}:{s.port}/{s.dbname}"),
                      ",".join(map(str, s.sectors)) or "-", str(len(s.observations)),
                      "-" if s.bytes is None else f"{s.bytes:,}",
                      "yes" if s.reachable else f"no: {printable(s.error or '')}")
    console.print(table)
    return 0


def _shard_move(dsn: str | None, sectors: list[int], to: str) -> int:
    from lightcurvedb.connection import resolve
    from lightcurvedb.scale import shards

    with lightcurvedb.connect(resolve(dsn).dsn) as conn:
        moved = shards.move(conn, sectors=sectors, to=to)
    console = console_for_stdout()
    for m in moved:
        console.print(f"observation {m.observation_id} (sector {m.sector}): {printable(m.source)} -> "
                      f"{printable(m.destination)}, {m.rows} rows, {m.bytes:,} bytes, checksums equal", markup=False)
    console.print(f"moved {len(moved)} observation partition set(s)", markup=False)
    return 0
