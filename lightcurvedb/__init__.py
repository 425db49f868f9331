"""lightcurvedb: a PostgreSQL database for TESS lightcurves (importing it opens no connection)."""

from lightcurvedb.connection import connect, pool
from lightcurvedb.errors import LightcurveDBError

__all__ = ["LightcurveDBError", "__version__", "connect", "pool"]
__version__ = "0.1.0"
