"""Explicit best choices (`lcdb best set` / `clear`): a pipeline's own, kept over the rule's until cleared."""

from __future__ import annotations

from typing import Any

import numpy as np
import psycopg

from lightcurvedb.errors import InvalidInput, NotFound
from lightcurvedb.queries import best, processing
from lightcurvedb.tess import mapping
from lightcurvedb.tess.best import rule
from lightcurvedb.tess.products import canonical
from lightcurvedb.tess.tic import UnknownFluxGroup, tic_releases


def find_release(conn: psycopg.Connection[Any], tic: int, *, sector: int, product: str | None = None,
                 release: int | None = None) -> Any:
    """The release of TIC `tic` in `sector` (of `product`, number `release`; default its only product, the newest
    number): a `list_releases_of_target` row. NotFound when there is none; InvalidInput when the sector holds
    several products and none is named."""
    rows = [r for r in tic_releases(conn, tic) if r.sector == sector]
    if product is not None:
        name = canonical(product)
        rows = [r for r in rows if r.product_name == name]
    if release is not None:
        rows = [r for r in rows if r.number == release]
    if not rows:
        what = " ".join(x for x in (canonical(product) if product else None,
                                    f"release {release}" if release is not None else None) if x)
        raise NotFound(f"TIC {tic} has no {what + ' ' if what else ''}lightcurve in sector {sector}")
    products = sorted({r.product_name for r in rows})
    if len(products) > 1:
        raise InvalidInput(f"TIC {tic} sector {sector} holds several products ({', '.join(products)}): name one "
                           "(--product)")
    return max(rows, key=lambda r: r.number)


def set_best(conn: psycopg.Connection[Any], tic: int, *, sector: int, flux: str, product: str | None = None,
             release: int | None = None, reason: str | None = None) -> Any:
    """Set the best group of TIC `tic`'s release in `sector` explicitly (`lcdb best set`): it wins over the rule's
    until `clear_best`. `flux` is a group (or short name) the release holds, else UnknownFluxGroup naming them;
    `reason` is stored as the rule (default "explicit"). Returns the stored `BestLightcurveRecord`."""
    r = find_release(conn, tic, sector=sector, product=product, release=release)
    if rule.is_best(flux):
        raise InvalidInput("--flux names a processing group to choose, not 'best'")
    group = mapping.resolve_group(flux)
    names = {g.id: g.name for g in processing.list_processing_groups(conn)}
    held = {names[g.processing_group_id]: g.processing_group_id for g in best.list_release_groups(
        conn, observation_id=r.observation_id, release_ids=np.array([r.id], dtype=np.int64))}
    if group not in held:
        raise UnknownFluxGroup(f"TIC {tic} sector {sector} {r.product_name} release {r.number} has no processing "
                               f"group {flux!r}; it has {', '.join(sorted(held)) or 'none'}")
    text = (reason or "").strip() or "explicit"
    return best.set_explicit_choice(conn, processing_group_id=held[group], rule=text, release_id=r.id)


def clear_best(conn: psycopg.Connection[Any], tic: int, *, sector: int, product: str | None = None,
               release: int | None = None) -> int:
    """Clear the explicit best group of TIC `tic`'s release in `sector` (its rule choice applies again); returns 1,
    or 0 when it had none."""
    r = find_release(conn, tic, sector=sector, product=product, release=release)
    return best.clear_explicit_choice(conn, release_id=r.id)
