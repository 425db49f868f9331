"""NumPy adapters: binary psycopg Dumpers and Loaders between 1-D ndarrays and PostgreSQL arrays."""

from __future__ import annotations

from lightcurvedb.adapters._codec import dump_array, load_array
from lightcurvedb.adapters._types import ARRAY_TYPES, ArrayType, array_type, array_type_for_dtype
from lightcurvedb.adapters.dumpers import (
    NdarrayDispatchDumper,
    NdarrayDumper,
    NdarrayTextDumper,
    array_dumper_for,
)
from lightcurvedb.adapters.loaders import NdarrayLoader
from lightcurvedb.adapters.registration import register

__all__ = [
    "ARRAY_TYPES",
    "ArrayType",
    "NdarrayDispatchDumper",
    "NdarrayDumper",
    "NdarrayLoader",
    "NdarrayTextDumper",
    "array_dumper_for",
    "array_type",
    "array_type_for_dtype",
    "dump_array",
    "load_array",
    "register",
]
