"""lightcurvedb: a PostgreSQL database for TESS lightcurves (importing it opens no connection).

`connect` and `pool` are loaded on first use (psycopg takes a quarter of a second to import), so that
`import lightcurvedb.cli` and `lcdb --help` stay fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lightcurvedb.errors import LightcurveDBError

if TYPE_CHECKING:
    from lightcurvedb.connection import connect, pool

__all__ = ["LightcurveDBError", "__version__", "connect", "pool"]
__version__ = "0.1.0"

_LAZY = {"connect": "lightcurvedb.connection", "pool": "lightcurvedb.connection"}

if not TYPE_CHECKING:  # mypy sees the imports above; at run time the names are imported on first access

    def __getattr__(name: str) -> Any:
        if name in _LAZY:
            import importlib

            value = getattr(importlib.import_module(_LAZY[name]), name)
            globals()[name] = value
            return value
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        return sorted(set(globals()) | set(_LAZY))
