"""register(): install the NumPy array adapters on one psycopg connection or cursor."""

from __future__ import annotations

import numpy as np
from psycopg.abc import AdaptContext

from lightcurvedb.adapters.dumpers import ARRAY_DUMPERS, NdarrayDispatchDumper, NdarrayTextDumper
from lightcurvedb.adapters.loaders import ARRAY_LOADERS


def register(context: AdaptContext) -> None:
    """Register the ndarray Dumpers and binary array Loaders on `context` (connection or cursor).

    Only `context.adapters` changes, never psycopg's global ``psycopg.adapters``: other connections
    keep returning lists. After this call, on `context`:

    - an ndarray parameter is sent in binary with ``%s`` or ``%b`` (the type comes from its dtype);
      ``%t``, ClientCursor and ``sql.Literal`` raise ArrayAdaptError (there is no text dumper);
    - binary results (``cursor(binary=True)``, ``execute(..., binary=True)``, binary COPY with
      ``set_types``) of float4[], float8[], int2[], int4[], int8[] and bool[] load as ndarrays;
      text results keep psycopg's default loaders (lists);
    - binary ``COPY ... FROM STDIN`` after ``copy.set_types([...])`` dumps ndarrays as the declared
      array types, widening safely and raising LossyConversionError on narrowing. Always call
      ``set_types`` for binary COPY: without it the element type comes from the dtype and the server,
      which casts nothing in COPY, rejects e.g. a float32 array for a float8[] column.

    Calling it again is harmless.
    """
    adapters = context.adapters
    # Text first, then binary: the last registered dumper serves the %s (AUTO) placeholder.
    adapters.register_dumper(np.ndarray, NdarrayTextDumper)
    adapters.register_dumper(np.ndarray, NdarrayDispatchDumper)
    for dumper in ARRAY_DUMPERS:
        adapters.register_dumper(None, dumper)  # by OID only: binary COPY with set_types
    for loader in ARRAY_LOADERS:
        adapters.register_loader(loader.pg_array.oid, loader)
