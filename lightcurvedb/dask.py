"""The stable alias of `lightcurvedb.scale.dask` (lightcurves as a Dask bag): `from lightcurvedb.dask import …`."""

from __future__ import annotations

from lightcurvedb.scale.dask import (
    EXTRA,
    dsn_list,
    lightcurves,
    map_lightcurves,
    read_part,
    require_dask,
    require_distributed,
    spread,
)

__all__ = [
    "EXTRA",
    "dsn_list",
    "lightcurves",
    "map_lightcurves",
    "read_part",
    "require_dask",
    "require_distributed",
    "spread",
]
