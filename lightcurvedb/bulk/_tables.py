"""The bulk tables: COPY columns and types, natural keys (from lightcurvedb.schema), record extraction."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from lightcurvedb import schema
from lightcurvedb.errors import BulkWriteError, MissingValue

_MISSING = object()


@dataclass(frozen=True)
class BulkTable:
    """How one table is written in bulk: columns (COPY order), their types, the natural key."""

    name: str
    columns: tuple[str, ...]
    types: tuple[str, ...]
    key: tuple[str, ...]
    defaults: dict[str, Any] = field(default_factory=dict)
    arrays: dict[str, Any] = field(default_factory=dict)  # column -> numpy dtype to coerce to (None: as given)
    nullable_key: frozenset[str] = frozenset()
    batch_size: int = 200  # rows per batch: 200 datasets of 13,000 cadences are ~42 MB of arrays in the client

    @property
    def payload(self) -> tuple[str, ...]:
        """The non-key columns (what "replace" overwrites)."""
        return tuple(c for c in self.columns if c not in self.key)

    def key_index(self) -> tuple[int, ...]:
        """Positions of the key columns in `columns`."""
        return tuple(self.columns.index(c) for c in self.key)


def copy_types(table: str, columns: tuple[str, ...]) -> tuple[str, ...]:
    """The binary COPY type names of `columns` of `table`, from the generated schema facts."""
    fact = schema.TABLES[table]
    return tuple(fact.column(c).type for c in columns)


def _bulk_table(table: str, columns: tuple[str, ...], **how: Any) -> BulkTable:
    """A bulk table: the columns the writers supply (in COPY order) with types, natural key and its
    nullable columns taken from `lightcurvedb.schema` (generated from the migrations)."""
    key = schema.TABLES[table].natural_key
    if key is None:
        raise BulkWriteError(f"table {table} has no natural key to merge on")
    return BulkTable(name=table, columns=columns, types=copy_types(table, columns), key=key.columns,
                     nullable_key=frozenset(key.nullable), **how)


DATASET = _bulk_table("dataset",
                      ("processing_group_id", "target_id", "observation_id", "values", "errors", "release_id"),
                      defaults={"release_id": None}, arrays={"values": None, "errors": None})
TARGET_TIME = _bulk_table("target_specific_time",
                          ("target_id", "observation_id", "barycentric_julian_dates", "release_id"),
                          defaults={"release_id": None}, arrays={"barycentric_julian_dates": None})
QUALITY_FLAGS = _bulk_table("quality_flag_array",
                            ("type", "observation_id", "target_id", "quality_flags", "release_id"),
                            defaults={"type": schema.TABLES["quality_flag_array"].discriminator, "target_id": None,
                                      "release_id": None},
                            arrays={"quality_flags": None})
FITS_FRAME = _bulk_table(
    "fits_frame",
    ("type", "observation_id", "cadence", "simple", "bitpix", "naxis", "naxis_values", "extended", "bscale", "bzero",
     "file_path"),
    defaults={"type": schema.TABLES["fits_frame"].discriminator, "simple": True, "naxis_values": None,
              "extended": False, "bscale": 1.0, "bzero": 0.0, "file_path": None},
    arrays={"naxis_values": np.int32},
    batch_size=5000,
)
TESS_FRAME_COLUMNS = ("camera", "ccd", "start_tjd", "mid_tjd", "end_tjd", "exposure_time", "quality_bit")
TESS_FRAME_TYPES = copy_types("tess_fits_frame", TESS_FRAME_COLUMNS)

BULK_TABLES: dict[str, BulkTable] = {s.name: s for s in (DATASET, TARGET_TIME, QUALITY_FLAGS, FITS_FRAME)}


def extractor(tbl: BulkTable, extra: tuple[str, ...] = ()) -> Callable[[Any], tuple[Any, ...]]:
    """Return a function turning one record (attributes, mapping or positional tuple) into a COPY row."""
    columns = tbl.columns + extra
    defaults = tbl.defaults

    required = frozenset(c for c in tbl.key if c not in tbl.nullable_key and defaults.get(c) is None)

    def convert(column: str, value: Any) -> Any:
        if value is None and defaults.get(column) is not None:
            return defaults[column]  # None means "the default" (COPY would store NULL, not the server default)
        if value is None and column in required:
            raise MissingValue(f"{tbl.name}.{column} is required (got None)")
        if column in tbl.arrays:
            if value is None:
                if column == "naxis_values":
                    return np.empty(0, dtype=np.int32)
                raise BulkWriteError(f"{tbl.name}.{column} is required (got None)")
            dtype = tbl.arrays[column]
            if column == "naxis_values":
                return np.asanyarray(value, dtype=dtype)
            # asanyarray: a masked array stays masked, so the encoder refuses masked elements (never stored
            # as whatever value happens to lie under the mask)
            arr = np.asanyarray(value) if dtype is None else np.asanyarray(value, dtype=dtype)
            if column == "quality_flags" and arr.dtype.kind in "iu" and arr.dtype.itemsize > 4:
                if arr.size and (arr.min() < -(2**31) or arr.max() >= 2**31):
                    raise BulkWriteError("quality_flags do not fit int32")
                arr = arr.astype(np.int32)
            return arr
        if column == "file_path" and value is not None:
            return str(value)  # pathlib.Path binds as text
        return value

    def extract(record: Any) -> tuple[Any, ...]:
        if isinstance(record, tuple | list) and not hasattr(record, columns[0]):
            optional_tail = len(tbl.columns) - next(i for i in range(len(tbl.columns), -1, -1)
                                                    if i == 0 or tbl.columns[i - 1] not in defaults)
            if not len(tbl.columns) - optional_tail <= len(record) <= len(columns):
                raise BulkWriteError(
                    f"a positional {tbl.name} row needs {len(tbl.columns)} values {tbl.columns}; got {len(record)}"
                )
            values = list(record) + [defaults.get(c) for c in columns[len(record):]]
            return tuple(convert(c, v) for c, v in zip(columns, values, strict=True))
        getter: Callable[[str], Any]
        if isinstance(record, dict):
            getter = lambda c: record.get(c, defaults.get(c, _MISSING))  # noqa: E731
        else:
            getter = lambda c: getattr(record, c, defaults.get(c, _MISSING))  # noqa: E731
        out = []
        for c in columns:
            value = getter(c)
            if value is _MISSING:
                if c in extra:
                    value = None
                else:
                    raise BulkWriteError(f"{tbl.name} record {type(record).__name__} has no attribute {c!r}")
            out.append(convert(c, value))
        return tuple(out)

    return extract


def lock_order(tbl: BulkTable) -> tuple[str, ...]:
    """Columns of the one order every writer inserts (and so locks keys) in: observation, then natural key."""
    return ("observation_id", *(c for c in tbl.key if c != "observation_id"))


def sort_key(tbl: BulkTable) -> Callable[[tuple[Any, ...]], tuple[Any, ...]]:
    """Sort rows in `lock_order` (NULL first): concurrent writers then cannot wait on each other in a cycle."""
    idx = tuple(tbl.columns.index(c) for c in lock_order(tbl))

    def key(row: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple((row[i] is not None, row[i] if row[i] is not None else 0) for i in idx)

    return key


def row_key(tbl: BulkTable) -> Callable[[tuple[Any, ...]], tuple[Any, ...]]:
    """The natural key of a COPY row (hashable)."""
    idx = tbl.key_index()
    return lambda row: tuple(row[i] for i in idx)
