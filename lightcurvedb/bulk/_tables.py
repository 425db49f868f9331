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
    precision_pairs: tuple[tuple[str, str], ...] = ()  # (float8 column, real column): one of each pair is set,
    # by the array's dtype (float32/float16 arrays go to the real column: stored at 4 bytes a value, never widened)
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
                      ("processing_group_id", "target_id", "observation_id", "values", "errors", "release_id",
                       "values_f4", "errors_f4"),
                      defaults={"values": None, "errors": None, "release_id": None, "values_f4": None,
                                "errors_f4": None},
                      arrays={"values": None, "errors": None, "values_f4": None, "errors_f4": None},
                      precision_pairs=(("values", "values_f4"), ("errors", "errors_f4")))
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
                if column in paired:
                    return None  # its precision partner holds the array (checked in `route`)
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

    # a positional row may leave out the trailing columns that have defaults
    shortest = max((i + 1 for i, c in enumerate(tbl.columns) if c not in defaults), default=0)
    paired = frozenset(c for pair in tbl.precision_pairs for c in pair)
    slots = [(columns.index(f8), columns.index(f4), f8) for f8, f4 in tbl.precision_pairs]

    def route(row: list[Any]) -> tuple[Any, ...]:
        """Each float array into the column of its precision: float32 (and float16) → real[], others → float8[]."""
        for i, j, name in slots:
            wide, narrow = row[i], row[j]
            kind = getattr(wide, "dtype", None)
            if wide is not None and narrow is None and kind is not None and kind.kind == "f" and kind.itemsize <= 4:
                row[i], row[j] = None, wide
            elif (wide is None) == (narrow is None):
                raise MissingValue(f"{tbl.name}.{name}: give the array once (as {name} or {name}_f4), got "
                                   f"{'none' if wide is None else 'both'}")
        return tuple(row)

    def extract(record: Any) -> tuple[Any, ...]:
        if isinstance(record, tuple | list) and not hasattr(record, columns[0]):
            if not shortest <= len(record) <= len(columns):
                raise BulkWriteError(
                    f"a positional {tbl.name} row needs {len(tbl.columns)} values {tbl.columns}; got {len(record)}"
                )
            values = list(record) + [defaults.get(c) for c in columns[len(record):]]
            return route([convert(c, v) for c, v in zip(columns, values, strict=True)])
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
        return route(out)

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
