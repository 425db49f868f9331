"""`lcdb best compute` on a Dask cluster: the selected releases planned in parts, each measured and chosen by a task."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import lightcurvedb
from lightcurvedb.tess.best import rule
from lightcurvedb.tess.best.compute import Summary, code_version, measure_part
from lightcurvedb.tess.best.metrics import MetricParameters

if TYPE_CHECKING:
    from rich.progress import Progress

PART_SIZE = 250
"""Releases per task: a part of a 2-min sector is ~10 MB of flux per candidate group, a few seconds of work, so
every worker stays busy while the scheduler's per-task cost stays negligible (and a retried task is cheap)."""


def compute_best(dsn: str, *, client: Any, params: MetricParameters | None = None,
                 metric: str = rule.DEFAULT_METRIC, sectors: Iterable[int] | None = None, product: str | None = None,
                 release: int | None = None, part_size: int = PART_SIZE,
                 progress: Progress | None = None) -> Summary:
    """Measure every candidate flux of the selected releases on `client`'s cluster (skipping what is measured under
    the same parameters and code version), store the metrics and each release's rule choice by `metric` in `dsn`;
    returns the totals. `sectors`, `product` and `release` (a release number; default the newest) select as
    `lightcurves` does; NotFound when nothing matches, InvalidInput for an unknown metric."""
    from lightcurvedb.scale.dask import require_distributed
    from lightcurvedb.scale.partitions import plan_partitions

    metric = rule.check_metric(metric)
    params = params or MetricParameters()
    with lightcurvedb.connect(dsn) as conn:
        parts = plan_partitions(conn, sectors=sectors, product=product, release=release, part_size=part_size)
    version = code_version()
    run = uuid.uuid4().hex[:12]  # task keys unique to this run (a cluster may run several)
    futures = [client.submit(measure_part, part, dsn=dsn, params=params, metric=metric, version=version,
                             pure=False, key=f"lcdb-best-{run}-{part.observation_id}-{i}")
               for i, part in enumerate(parts)]
    task = progress.add_task("measuring", total=len(futures)) if progress is not None else None
    total = Summary()
    for future in require_distributed().as_completed(futures):
        total = total + future.result()
        if progress is not None and task is not None:
            progress.advance(task)
    return total
