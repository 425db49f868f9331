"""The `lcdb best` commands: compute (metrics and rule choices on a Dask cluster), show, set and clear.

Building the parsers imports nothing heavy; each command imports NumPy, Dask or the queries in its body.
"""

from __future__ import annotations

import json
import math
from contextlib import ExitStack
from typing import TYPE_CHECKING, Any

import lightcurvedb
from lightcurvedb import cli_numbers as numbers
from lightcurvedb.cli_console import console_for_stdout
from lightcurvedb.printable import printable

if TYPE_CHECKING:
    from rich.console import Console

    from lightcurvedb.tess.best.metrics import MetricParameters

METRIC_NAMES = ("cdpp-1h", "p2p-scatter")
"""`--metric`'s choices: `lightcurvedb.tess.best.rule.METRICS`' keys (a test keeps them equal), spelled here so that
building the parser does not import NumPy."""
sector = numbers.number("a TESS sector number", int, 1, numbers.MAX_SECTOR)


def register(sub: Any) -> None:
    """Register `lcdb best compute|show|set|clear` on `lcdb`'s subparsers."""
    best = sub.add_parser("best", help="the best lightcurve of each star and sector: quality metrics per flux and "
                                       "the choice of a stored rule (reads take it with --flux best)")
    cmds = best.add_subparsers(dest="best_command", required=True)
    p = cmds.add_parser("compute", help="measure every candidate flux (CDPP-1h, point-to-point scatter, good "
                                        "cadences) on a Dask cluster and store each release's rule choice")
    p.add_argument("--sectors", type=numbers.sector_list, default=None, metavar="N[,M…]", help="only these sectors")
    p.add_argument("--product", default=None, help="only this product (spoc, qlp, …)")
    p.add_argument("--release", type=numbers.release, default=None, metavar="N",
                   help="this release number (default: newest)")
    p.add_argument("--metric", choices=METRIC_NAMES, default="cdpp-1h",
                   help="what the rule compares, lowest wins (default cdpp-1h)")
    p.add_argument("--quality-bitmask", default="default", metavar="none|default|hard|hardest|INT",
                   help="cadences left out of the metrics (default: lightkurve's default)")
    how = p.add_mutually_exclusive_group()  # `lcdb bls`'s, without --replica: a task reads and writes the primary
    how.add_argument("--workers", type=numbers.workers, default=2, metavar="N",
                     help="worker processes of a local Dask cluster (default 2)")
    how.add_argument("--scheduler", default=None, metavar="ADDRESS",
                     help="a running dask.distributed scheduler, e.g. tcp://10.0.0.5:8786")
    p.set_defaults(func=_compute_command, writes="store lightcurve metrics and best choices")
    p = cmds.add_parser("show", help="the best group of each sector of a TIC, its rule, and every group's metrics")
    p.add_argument("tic", type=numbers.tic, help="TIC id")
    p.add_argument("--json", action="store_true", help="a JSON array")
    p.set_defaults(func=lambda a: show(a.dsn, a.tic, as_json=a.json))
    for name, text in (("set", "set the best group of a TIC's sector explicitly (wins over the rule until cleared)"),
                       ("clear", "clear an explicit best group (the rule's choice applies again)")):
        p = cmds.add_parser(name, help=text)
        p.add_argument("tic", type=numbers.tic, help="TIC id")
        p.add_argument("--sector", type=sector, required=True, metavar="N", help="the sector")
        p.add_argument("--product", default=None, help="the product (needed when the sector holds several)")
        p.add_argument("--release", type=numbers.release, default=None, metavar="N",
                       help="the release number (default: newest)")
        if name == "set":
            p.add_argument("--flux", required=True, metavar="GROUP",
                           help="the processing group (or short name, e.g. sap, pdcsap) that is best")
            p.add_argument("--reason", default=None, help="why, stored as the rule (default: explicit)")
            p.set_defaults(func=_set_command, writes="set a best lightcurve")
        else:
            p.set_defaults(func=_clear_command, writes="clear a best lightcurve")


def _compute_command(a: Any) -> int:
    from lightcurvedb.tess.best.metrics import MetricParameters
    from lightcurvedb.tess.quality import parse_bitmask

    params = MetricParameters(quality_bitmask=parse_bitmask(a.quality_bitmask))
    return compute(a.dsn, params=params, metric=a.metric, workers=a.workers, scheduler=a.scheduler,
                   sectors=a.sectors, product=a.product, release=a.release)


def compute(dsn: str | None, *, params: MetricParameters, metric: str = "cdpp-1h", workers: int = 2,
            scheduler: str | None = None, sectors: list[int] | None = None, product: str | None = None,
            release: int | None = None, console: Console | None = None) -> int:
    """`lcdb best compute`: measure, store, choose, and say how many were measured, stored, skipped and chosen."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from lightcurvedb.connection import resolve
    from lightcurvedb.scale import replicas
    from lightcurvedb.scale.commands import _client
    from lightcurvedb.tess.best.run import compute_best

    primary = resolve(dsn).dsn
    console = console or console_for_stdout()
    replicas.usable([primary])  # the primary answers before a cluster is started
    with ExitStack() as stack:
        client = _client(workers, scheduler, stack)
        progress = stack.enter_context(Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                                TimeElapsedColumn(), console=console, transient=True))
        total = compute_best(primary, client=client, params=params, metric=metric, sectors=sectors,
                             product=product, release=release, progress=progress)
    console.print(f"best: {total.measured} lightcurve(s) measured, {total.stored} stored, {total.skipped} already "
                  f"measured; {total.chosen} choice(s) new or changed over {total.releases} release(s) "
                  f"(rule: lowest {metric})", markup=False)
    return 0


def _set_command(a: Any) -> int:
    from lightcurvedb.connection import resolve
    from lightcurvedb.tess.best.explicit import set_best

    with lightcurvedb.connect(resolve(a.dsn).dsn) as conn:
        set_best(conn, a.tic, sector=a.sector, flux=a.flux, product=a.product, release=a.release, reason=a.reason)
    console_for_stdout().print(f"TIC {a.tic} sector {a.sector}: best flux set to {printable(a.flux)} (explicit; "
                               "`lcdb best clear` gives it back to the rule)", markup=False)
    return 0


def _clear_command(a: Any) -> int:
    from lightcurvedb.connection import resolve
    from lightcurvedb.tess.best.explicit import clear_best

    with lightcurvedb.connect(resolve(a.dsn).dsn) as conn:
        n = clear_best(conn, a.tic, sector=a.sector, product=a.product, release=a.release)
    console_for_stdout().print(f"TIC {a.tic} sector {a.sector}: " + (
        "explicit best flux cleared" if n else "no explicit best flux was set"), markup=False)
    return 0


def _number(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else value


def show(dsn: str | None, tic: int, *, as_json: bool = False, console: Console | None = None) -> int:
    """`lcdb best show TIC`: one row per release (sector, product, number) with its best group and rule, and each
    measured group's metrics."""
    from rich.table import Table

    from lightcurvedb.connection import resolve
    from lightcurvedb.queries import best
    from lightcurvedb.tess.best import rule
    from lightcurvedb.tess.tic import target_id_of

    with lightcurvedb.connect(resolve(dsn).dsn) as conn:
        rows = best.list_best_of_target(conn, target_id=target_id_of(conn, tic))
    console = console or console_for_stdout()
    out: list[dict[str, Any]] = [
        {"sector": r.sector, "camera": r.camera, "ccd": r.ccd, "product": r.product, "release": r.release,
         "best": r.best_group, "kind": r.kind or "default", "rule": r.rule or rule.default_rule(),
         "metric": r.metric, "metric_value": _number(r.metric_value),
         "chosen_on": r.chosen_on.isoformat() if r.chosen_on else None, "metrics": r.metrics or {}}
        for r in rows]
    if as_json:
        console.print_json(json.dumps(out))
        return 0
    table = Table(title=f"TIC {tic}: best lightcurve of {len(rows)} release(s)")
    for col in ("sector", "product", "release", "best", "kind", "group", "CDPP-1h (ppm)", "p2p (ppm)", "good"):
        table.add_column(col, justify="right")

    def fmt(value: Any, spec: str) -> str:
        return "-" if value is None else format(value, spec)

    for r in out:
        metrics = r["metrics"] or {"-": {}}
        for i, (group, m) in enumerate(sorted(metrics.items())):
            first = i == 0
            table.add_row(str(r["sector"]) if first else "", printable(r["product"]) if first else "",
                          str(r["release"]) if first else "",
                          printable(r["best"] or "(product default)") if first else "", r["kind"] if first else "",
                          printable(group) + (" *" if group == r["best"] else ""),
                          fmt(m.get("cdpp_1h_ppm"), ".1f"), fmt(m.get("p2p_scatter_ppm"), ".1f"),
                          fmt(m.get("good_fraction"), ".3f"))
    console.print(table)
    return 0
