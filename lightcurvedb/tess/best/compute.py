"""Measure the flux lightcurves of some releases, store their metrics once per key, and store the rule's choices."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import metadata
from typing import Any

import numpy as np
import psycopg
from numpy.typing import NDArray

import lightcurvedb
from lightcurvedb import shard_routes
from lightcurvedb.bulk.readers import iter_datasets, iter_release_flags, iter_release_times
from lightcurvedb.lightcurve import QUALITY_FLAG
from lightcurvedb.queries import best, partitions, processing, shards
from lightcurvedb.queries import releases as releases_q
from lightcurvedb.tess.best import rule
from lightcurvedb.tess.best.metrics import MetricParameters, Metrics, measure


def code_version() -> str:
    """The versions that decide a metric: lightcurvedb and NumPy (the filters are lightcurvedb's own)."""
    return f"lightcurvedb {metadata.version('tess-lightcurvedb')}; numpy {np.__version__}"


@dataclass(frozen=True)
class Summary:
    """What one run (or part) did: lightcurves measured, metric rows stored (new), lightcurves skipped (already
    measured under the same parameters and code version), releases whose rule choice was stored or changed."""

    measured: int = 0
    stored: int = 0
    skipped: int = 0
    chosen: int = 0
    releases: int = 0

    def __add__(self, other: Summary) -> Summary:
        return Summary(self.measured + other.measured, self.stored + other.stored, self.skipped + other.skipped,
                       self.chosen + other.chosen, self.releases + other.releases)


def measure_releases(conn: psycopg.Connection[Any], *, observation_id: int, release_ids: Sequence[int],
                     params: MetricParameters, metric: str = rule.DEFAULT_METRIC,
                     version: str | None = None) -> Summary:
    """Measure every candidate flux (`rule.candidates` of its product) of the given releases of one observation
    that has no metrics under `params` and `version` yet, store them, then store each release's rule choice by
    `metric` from the stored metrics. The caller owns the transaction (one per part: all of it or nothing)."""
    metric = rule.check_metric(metric)
    version = version or code_version()
    ids = np.array(sorted({int(r) for r in release_ids}), dtype=np.int64)
    releases = {r.id: r for r in partitions.list_partition_releases(conn, release_ids=ids)}
    names = {g.id: g.name for g in processing.list_processing_groups(conn)}
    held: dict[int, dict[str, int]] = {}
    for g in best.list_release_groups(conn, observation_id=observation_id, release_ids=ids):
        held.setdefault(int(g.release_id or 0), {})[names[g.processing_group_id]] = g.processing_group_id
    wanted = {(rid, held[rid][name]) for rid, r in releases.items() for name in rule.candidates(r.product_name)
              if name in held.get(rid, {})}
    key: dict[str, Any] = {"parameters": params.as_json(), "code_version": version}
    todo = sorted((int(d.release_id or 0), d.processing_group_id) for d in best.list_unmeasured_datasets(
        conn, observation_id=observation_id, release_ids=ids,
        group_ids=np.array(sorted({g for _, g in wanted}), dtype=np.int64), **key)
        if (int(d.release_id or 0), d.processing_group_id) in wanted)
    found = _measure(conn, observation_id, todo, releases, names, params) if todo else []
    stored = _store(conn, found, key) if found else 0
    chosen = _choose(conn, releases, held, names, metric, key)
    return Summary(measured=len(found), stored=stored, skipped=len(wanted) - len(todo), chosen=chosen,
                   releases=len(releases))


def _measure(conn: psycopg.Connection[Any], observation_id: int, todo: list[tuple[int, int]],
             releases: dict[int, Any], names: dict[int, str],
             params: MetricParameters) -> list[tuple[int, int, Metrics]]:
    """The metrics of each (release, group) of `todo`: times, QUALITY flags and the groups' fluxes streamed (from
    the shard holding the observation, if one does: `shard_routes.direct`)."""
    rids = sorted({rid for rid, _ in todo})
    held = shards.observation_shard(conn, observation_id=observation_id).shard
    data = conn if held is None else shard_routes.direct(conn, held)
    times = dict(iter_release_times(data, observation_id=observation_id, release_ids=rids))
    shared: NDArray[np.int32] | None = None
    flags: dict[int, NDArray[np.int32]] = {}
    for rid, bits in iter_release_flags(data, observation_id=observation_id, release_ids=rids,
                                        flag_type=QUALITY_FLAG):
        if rid is None:
            shared = bits if shared is None else shared | bits
        else:
            flags[rid] = bits
    letters = _quality_letters(conn, [rid for rid in rids if releases[rid].product_name == "cdips"])
    by_group: dict[int, list[int]] = {}
    for rid, gid in todo:
        by_group.setdefault(gid, []).append(rid)
    out = []
    for gid, group_rids in sorted(by_group.items()):
        for d in iter_datasets(data, observation_id=observation_id, processing_group_id=gid,
                               release_ids=group_rids, ordered=False, arrays=frozenset({"values"})):
            rid = int(d.release_id or 0)
            flux = d.values if d.values is not None else d.values_f4
            if flux is None:
                continue
            n = flux.shape[0]
            quality = flags.get(rid, np.zeros(n, dtype=np.int32))
            if shared is not None:
                quality = quality | shared
            r = releases[rid]
            aperture = letters.get((rid, f"irq{names[gid][-1]}")) if r.product_name == "cdips" else None
            out.append((rid, gid, measure(times.get(rid, np.full(n, np.nan)), flux, quality,
                                          product=r.product_name, sector=int(r.sector), params=params,
                                          good=aperture if aperture is not None and aperture.shape[0] == n
                                          else None)))
    return out


def _quality_letters(conn: psycopg.Connection[Any], release_ids: list[int]) -> dict[tuple[int, str], Any]:
    """CDIPS's per-aperture quality letters (text columns IRQ1-3) as masks, by (release, lower-cased column):
    True where the letter is G or 0, the cadences lightkurve's CDIPS reader keeps."""
    if not release_ids:
        return {}
    out = {}
    for c in releases_q.list_release_columns(conn, release_ids=np.array(sorted(release_ids), dtype=np.int64)):
        if c.role == "text" and c.text_values is not None:
            letters = np.char.rstrip(np.array(c.text_values, dtype=str))
            out[(c.release_id, c.name.lower())] = np.isin(letters, ["G", "0"])
    return out


def _store(conn: psycopg.Connection[Any], found: list[tuple[int, int, Metrics]], key: dict[str, Any]) -> int:
    def floats(name: str) -> NDArray[np.float64]:
        return np.array([getattr(m, name) for _, _, m in found], dtype=np.float64)

    def ints(name: str) -> NDArray[np.int32]:
        return np.array([getattr(m, name) for _, _, m in found], dtype=np.int32)

    return best.store_lightcurve_metrics(
        conn, **key, release_ids=np.array([r for r, _, _ in found], dtype=np.int64),
        group_ids=np.array([g for _, g, _ in found], dtype=np.int64), cdpp_1h_ppm=floats("cdpp_1h_ppm"),
        p2p_scatter_ppm=floats("p2p_scatter_ppm"), good_fractions=floats("good_fraction"), n_good=ints("n_good"),
        n_cadences=ints("n_cadences"), cdpp_windows=ints("cdpp_window"))


def _choose(conn: psycopg.Connection[Any], releases: dict[int, Any], held: dict[int, dict[str, int]],
            names: dict[int, str], metric: str, key: dict[str, Any]) -> int:
    """Store each release's rule choice from its stored metrics; returns how many were new or changed."""
    column = rule.METRICS[metric]
    values: dict[int, dict[str, float | None]] = {}
    for m in best.list_release_metrics(conn, release_ids=np.array(sorted(releases), dtype=np.int64), **key):
        values.setdefault(m.release_id, {})[names[m.processing_group_id]] = getattr(m, column)
    chosen = []
    for rid, r in sorted(releases.items()):
        if rid not in values:  # nothing measured (no candidate held): no choice, reads take the default
            continue
        choice = rule.choose(r.product_name, held.get(rid, {}), values[rid])
        if choice is not None:
            chosen.append((rid, held[rid][choice.group], choice.value))
    if not chosen:
        return 0
    return best.store_rule_choices(
        conn, rule=rule.rule_text(metric), metric=metric, **key,
        release_ids=np.array([c[0] for c in chosen], dtype=np.int64),
        group_ids=np.array([c[1] for c in chosen], dtype=np.int64),
        metric_values=np.array([c[2] for c in chosen], dtype=np.float64))


_WORKER = threading.local()  # each worker thread's connection to the primary, reused by its tasks


def _connection(dsn: str) -> psycopg.Connection[Any]:
    cache: dict[str, psycopg.Connection[Any]] = _WORKER.__dict__.setdefault("connections", {})
    conn = cache.get(dsn)
    if conn is None or conn.closed or conn.broken:
        conn = lightcurvedb.connect(dsn, autocommit=True)
        cache[dsn] = conn
    return conn


def measure_part(part: Any, *, dsn: str, params: MetricParameters, metric: str, version: str) -> Summary:
    """The task run per part (`scale.partitions.Partition`): `measure_releases` in one transaction of `dsn`."""
    conn = _connection(dsn)
    with conn.transaction():
        return measure_releases(conn, observation_id=part.observation_id, release_ids=part.release_ids,
                                params=params, metric=metric, version=version)
