"""lightcurvedb: a PostgreSQL database for TESS lightcurves (importing it opens no connection).

`connect` and `pool` are loaded on first use (psycopg takes a quarter of a second to import), so that
`import lightcurvedb.cli` and `lcdb --help` stay fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lightcurvedb import _lazy
from lightcurvedb.errors import LightcurveDBError

if TYPE_CHECKING:
    from lightcurvedb.connection import connect, pool

__all__ = ["LightcurveDBError", "__version__", "connect", "pool"]
__version__ = "0.1.0"

_LAZY = {"connect": "lightcurvedb.connection", "pool": "lightcurvedb.connection"}

if not TYPE_CHECKING:  # mypy sees the imports above; at run time the names are imported on first access
    __getattr__, __dir__ = _lazy.attributes(__name__, _LAZY, globals())
