"""The best group in force per release, as reads take it: explicit, else the rule's, else the product's default."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import psycopg

from lightcurvedb.queries import best
from lightcurvedb.tess.best import rule


@dataclass(frozen=True)
class BestFlux:
    """The best group of one release as a read takes it: the group (None: the product's default, which the read
    resolves), the rule that chose it and its kind ("rule", "explicit" or "default": no choice stored)."""

    group: str | None
    rule: str
    kind: str


DEFAULT = BestFlux(None, rule.default_rule(), "default")


def best_choices(conn: psycopg.Connection[Any], release_ids: Iterable[int | None]) -> dict[int, BestFlux]:
    """The choice in force of each of the given releases that has one stored (the others take `DEFAULT`)."""
    ids = sorted({int(r) for r in release_ids if r is not None})
    if not ids:
        return {}
    return {c.release_id: BestFlux(c.group_name, c.rule, c.kind)
            for c in best.list_best_choices(conn, release_ids=np.array(ids, dtype=np.int64))}
