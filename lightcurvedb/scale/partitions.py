"""Lightcurve partitions, the unit of distributed work: planned from ids alone, each read whole over binary COPY."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import psycopg
from numpy.typing import NDArray

from lightcurvedb import shard_routes
from lightcurvedb.adapters import register
from lightcurvedb.bulk.readers import iter_datasets, iter_release_flags, iter_release_times
from lightcurvedb.errors import InvalidInput, NotFound
from lightcurvedb.lightcurve import QUALITY_FLAG
from lightcurvedb.queries import observations, partitions, processing, shards
from lightcurvedb.tess import mapping
from lightcurvedb.tess.products import canonical

DEFAULT_PART_SIZE = 2000
"""Lightcurves per partition: an observation (a sector's camera and CCD) holding more is split."""

ARRAY_FIELDS = ("time", "flux", "flux_err", "quality", "cadenceno")
"""The arrays a record can carry (`columns` chooses; all by default): BTJD time, the flux group's values and
errors at their stored precision, QUALITY bits, cadence numbers."""
RECORD_FIELDS = ("tic", "ra", "dec", "tmag", "sector", "camera", "ccd", "product", "release", *ARRAY_FIELDS,
                 "cadences", "flux_group", "target_id", "observation_id", "release_id", "dataset_id")
"""The keys of a lightcurve record: the target and its stored position (None when none is stored), where and what
it is, its arrays (`ARRAY_FIELDS`, those chosen), its number of cadences and the ids results are stored under."""


def array_columns(columns: Iterable[str] | None) -> frozenset[str]:
    """The arrays a read takes (`ARRAY_FIELDS`; None: all); InvalidInput naming any other name."""
    if columns is None:
        return frozenset(ARRAY_FIELDS)
    chosen = frozenset(str(c).lower() for c in columns)
    unknown = sorted(chosen - set(ARRAY_FIELDS))
    if unknown:
        raise InvalidInput(f"no column {', '.join(map(repr, unknown))} in a distributed read; its columns are "
                           f"{', '.join(ARRAY_FIELDS)}")
    return chosen


@dataclass(frozen=True)
class Partition:
    """Some releases of one observation, read together by one worker."""

    observation_id: int
    sector: int
    release_ids: tuple[int, ...]


def _plan(conn: psycopg.Connection[Any], *, sectors: Iterable[int] | None, product: str | None,
          release: int | None, part_size: int, by_target: bool) -> list[Any]:
    if part_size < 1:
        raise InvalidInput(f"a part holds at least 1 lightcurve, got {part_size}")
    wanted = sorted(set(sectors)) if sectors is not None else None
    name = canonical(product) if product is not None else None
    rows = partitions.plan_lightcurve_partitions(
        conn, sectors=np.array(wanted, dtype=np.int32) if wanted is not None else None, product=name,
        release_number=release, part_size=part_size, by_target=by_target)
    if not rows:
        what = " ".join(x for x in (name, f"release {release}" if release else None) if x)
        raise NotFound(f"no {what + ' ' if what else ''}lightcurves"
                       + (f" in sector(s) {', '.join(map(str, wanted))}" if wanted else " in the database"))
    return rows


def plan_partitions(conn: psycopg.Connection[Any], *, sectors: Iterable[int] | None = None,
                    product: str | None = None, release: int | None = None,
                    part_size: int = DEFAULT_PART_SIZE) -> list[Partition]:
    """The partitions of the selected lightcurves: per observation, parts of at most `part_size` releases.
    `sectors` and `product` (any case) select; `release` is a release number (default: the newest of each
    product, target and observation). NotFound when nothing matches."""
    rows = _plan(conn, sectors=sectors, product=product, release=release, part_size=part_size, by_target=False)
    return [Partition(r.observation_id, r.sector, tuple(int(i) for i in r.release_ids)) for r in rows]


def plan_target_parts(conn: psycopg.Connection[Any], *, sectors: Iterable[int] | None = None,
                      product: str | None = None, release: int | None = None,
                      part_size: int = DEFAULT_PART_SIZE) -> list[tuple[Partition, ...]]:
    """The selected lightcurves in parts of at most `part_size` targets, each part every lightcurve of its
    targets (one Partition per observation): the unit of per-target work such as a HATS publication."""
    rows = _plan(conn, sectors=sectors, product=product, release=release, part_size=part_size, by_target=True)
    parts: dict[int, list[Partition]] = {}
    for r in rows:
        parts.setdefault(r.part, []).append(Partition(r.observation_id, r.sector,
                                                      tuple(int(i) for i in r.release_ids)))
    return [tuple(parts[k]) for k in sorted(parts)]


def check_processing_group(conn: psycopg.Connection[Any], requested: str | None) -> None:
    """Refuse, before any work, a processing group asked for as flux (`--flux`) that nothing stored has."""
    if requested is None:
        return
    from lightcurvedb.tess.tic import UnknownFluxGroup

    held = sorted(g.name for g in processing.list_processing_groups(conn))
    if mapping.resolve_group(requested) not in held:
        raise UnknownFluxGroup(f"no stored lightcurve has the processing group {requested!r}; held: "
                               f"{', '.join(held) or 'none'}")


def _preference(product: str, requested: str | None) -> tuple[str, ...]:
    """The flux groups a lightcurve of `product` takes, first held first (as `TicLightcurves.flux_group`)."""
    if requested is not None:
        return (mapping.resolve_group(requested),)
    return mapping.DEFAULT_FLUX.get(product, ()) + mapping.DEFAULT_FLUX_GROUPS


def read_partition(conn: psycopg.Connection[Any], partition: Partition, *,
                   processing_group: str | None = None, columns: Iterable[str] | None = None) -> list[dict[str, Any]]:
    """The lightcurve records (`RECORD_FIELDS`) of one partition, by TIC: binary COPY streams of what `columns`
    asks for (`ARRAY_FIELDS`; None: all) — times, QUALITY flags, the candidate flux groups' datasets (their arrays
    only for flux/flux_err) — and the observation's cadence grid. Each release's flux is `processing_group` (a
    group or short name), else its product's default, the same choice as `lcdb export`; a release without that
    group is left out. The arrays of an observation on a shard are read straight from the shard
    (`shard_routes.direct`), not through the coordinator."""
    wanted = array_columns(columns)
    register(conn)
    ids = list(partition.release_ids)
    releases = {r.id: r for r in partitions.list_partition_releases(conn, release_ids=np.array(ids, np.int64))}
    (grid,) = observations.list_observation_grids(conn, ids=np.array([partition.observation_id], np.int64))
    cadences = np.asarray(grid.cadence_reference, dtype=np.int64)
    group_ids = {g.name: g.id for g in processing.list_processing_groups(conn)}
    held = shards.observation_shard(conn, observation_id=partition.observation_id).shard
    data = conn if held is None else shard_routes.direct(conn, held)
    times = dict(iter_release_times(data, observation_id=partition.observation_id, release_ids=ids)) \
        if "time" in wanted else {}
    shared = np.zeros(cadences.shape[0], dtype=np.int32)
    flags: dict[int, NDArray[np.int32]] = {}
    if "quality" in wanted:
        for release_id, bits in iter_release_flags(data, observation_id=partition.observation_id, release_ids=ids,
                                                   flag_type=QUALITY_FLAG):
            if release_id is None:
                shared |= bits
            else:
                flags[release_id] = bits
    arrays = frozenset(a for a, c in (("values", "flux"), ("errors", "flux_err")) if c in wanted)
    candidates = dict.fromkeys(g for r in releases.values() for g in _preference(r.product_name, processing_group)
                               if g in group_ids)
    found: dict[tuple[int, str], Any] = {}
    for candidate in candidates:
        for d in iter_datasets(data, observation_id=partition.observation_id,
                               processing_group_id=group_ids[candidate], release_ids=ids, ordered=False,
                               arrays=arrays):
            found[(int(d.release_id or 0), candidate)] = d
    records = []
    for release_id in ids:
        r = releases.get(release_id)
        if r is None:  # deleted since the plan
            continue
        group = next((g for g in _preference(r.product_name, processing_group) if (release_id, g) in found), None)
        if group is None:
            continue
        d = found[(release_id, group)]
        flux = d.values if d.values is not None else d.values_f4
        flux_err = d.errors if d.errors is not None else d.errors_f4
        time = times.get(release_id)
        record = {
            "tic": int(r.tic), "ra": r.ra, "dec": r.dec, "tmag": r.tessmag, "sector": r.sector, "camera": r.camera,
            "ccd": r.ccd, "product": r.product_name,
            "release": r.number, "flux_group": group, "cadences": int(cadences.shape[0]),
            "time": time if time is not None else np.full(cadences.shape[0], np.nan),
            "flux": flux, "flux_err": flux_err, "quality": flags.get(release_id, np.zeros_like(shared)) | shared,
            "cadenceno": cadences, "target_id": r.target_id, "observation_id": partition.observation_id,
            "release_id": release_id,
            "dataset_id": int(d.id),
        }
        records.append({k: v for k, v in record.items() if k in wanted or k not in ARRAY_FIELDS})
    records.sort(key=lambda rec: (rec["tic"], rec["product"], rec["release"]))
    return records


def read_target_part(conn: psycopg.Connection[Any], part: Iterable[Partition], *,
                     processing_group: str | None = None, columns: Iterable[str] | None = None) -> list[dict[str, Any]]:
    """Every lightcurve record of a target part (`plan_target_parts`), by TIC, then time (then sector, without
    times)."""
    records = [rec for p in part for rec in read_partition(conn, p, processing_group=processing_group,
                                                           columns=columns)]
    records.sort(key=lambda rec: (rec["tic"], first_time(rec.get("time")), rec["sector"], rec["product"]))
    return records


def first_time(time: NDArray[np.float64] | None) -> float:
    """The first finite time of a record's times (inf without one): how target parts order their records."""
    if time is None:
        return float("inf")
    finite = time[np.isfinite(time)]
    return float(finite[0]) if finite.size else float("inf")
