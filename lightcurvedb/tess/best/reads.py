"""Distributed reads with flux "best": each release's part read with its best group, the rule in each record."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import psycopg

from lightcurvedb.scale.partitions import Partition, first_time, read_partition
from lightcurvedb.tess.best.choices import DEFAULT, best_choices


def read_best_partition(conn: psycopg.Connection[Any], partition: Partition, *,
                        columns: Iterable[str] | None = None) -> list[dict[str, Any]]:
    """The records of one partition (`read_partition`'s, by TIC) each with its release's best group as flux
    (`lcdb best`; the product's default where none is stored) and the rule in `best_rule`: the releases are read in
    one sub-partition per chosen group."""
    wanted = None if columns is None else list(columns)
    choices = best_choices(conn, partition.release_ids)
    by_group: dict[str | None, list[int]] = {}
    for rid in partition.release_ids:
        by_group.setdefault(choices.get(rid, DEFAULT).group, []).append(rid)
    records = []
    for group, rids in by_group.items():
        sub = Partition(partition.observation_id, partition.sector, tuple(rids))
        for record in read_partition(conn, sub, processing_group=group, columns=wanted):
            record["best_rule"] = choices.get(record["release_id"], DEFAULT).rule
            records.append(record)
    records.sort(key=lambda rec: (rec["tic"], rec["product"], rec["release"]))
    return records


def read_best(conn: psycopg.Connection[Any], part: Partition | tuple[Partition, ...], *,
              columns: Iterable[str] | None = None) -> list[dict[str, Any]]:
    """`read_best_partition` of a partition, or of each partition of a target part (`plan_target_parts`), then by
    TIC and time (then sector) as `read_target_part` orders them."""
    if isinstance(part, Partition):
        return read_best_partition(conn, part, columns=columns)
    wanted = None if columns is None else list(columns)
    records = [rec for p in part for rec in read_best_partition(conn, p, columns=wanted)]
    records.sort(key=lambda rec: (rec["tic"], first_time(rec.get("time")), rec["sector"], rec["product"]))
    return records

