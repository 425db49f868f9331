"""Typed lightcurvedb errors: a small tree of categories users catch, each database one declared with its SQLSTATE."""

from __future__ import annotations

from typing import Any, ClassVar

SQLSTATE_ERRORS: dict[str, type[LightcurveDBError]] = {}
"""SQLSTATE -> the lightcurvedb category a refusal with that code becomes (filled by the class declarations)."""


class LightcurveDBError(Exception):
    """Base class of every error lightcurvedb raises on purpose.

    A subclass declared with ``sqlstate=…`` (one code or a tuple) is what the query runtime turns a server error
    with that SQLSTATE into, the way psycopg declares its own error classes.
    """

    sqlstates: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(cls, *, sqlstate: str | tuple[str, ...] = (), **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.sqlstates = (sqlstate,) if isinstance(sqlstate, str) else tuple(sqlstate)
        for code in cls.sqlstates:
            if code in SQLSTATE_ERRORS:
                raise TypeError(f"SQLSTATE {code} is already declared by {SQLSTATE_ERRORS[code].__name__}")
            SQLSTATE_ERRORS[code] = cls


# --- where the database is, and whether it fits this package ---------------------------------------------------


class ConfigurationError(LightcurveDBError):
    """The configuration (argument, environment, config file) is invalid."""


class EmbeddedServerError(LightcurveDBError):
    """The embedded PostgreSQL server could not be initialised, started or stopped."""


class SchemaError(LightcurveDBError):
    """The database schema does not match what this version of the package expects."""


class SchemaBehind(SchemaError):
    """The database lacks migrations this package ships: run `lcdb migrate`."""

    def __init__(self, missing: list[str]) -> None:
        self.missing = list(missing)
        shown = ", ".join(self.missing[:5]) + (" …" if len(self.missing) > 5 else "")
        super().__init__(
            f"the database schema is behind this lightcurvedb version: {len(self.missing)} "
            f"migration(s) not applied ({shown}); run `lcdb migrate`"
        )


class SchemaAhead(SchemaError):
    """The database has migrations this package does not know: upgrade lightcurvedb."""

    def __init__(self, unknown: list[str]) -> None:
        self.unknown = list(unknown)
        super().__init__(
            "the database schema has migrations this lightcurvedb version does not know "
            f"({', '.join(self.unknown[:5])}); upgrade the lightcurvedb package"
        )


class SchemaDamaged(SchemaError):
    """The schema's migrations are applied but some of its objects are missing (e.g. after `pg_restore` by a role
    that could not create them): run `lcdb migrate`, which repairs what it can and says what it cannot."""

    def __init__(self, missing: list[str]) -> None:
        self.missing = list(missing)
        super().__init__(f"the database is missing {', '.join(self.missing)}; run `lcdb migrate` to repair it")


class MissingDependency(LightcurveDBError, ImportError):
    """An optional dependency is not installed (the message names the extra that brings it)."""


class NoServerAvailable(LightcurveDBError, ConnectionError):
    """None of the servers given for reads (a primary and its standbys) is reachable and caught up."""


class ShardError(LightcurveDBError):
    """A shard (lcdb shard) cannot do what was asked: e.g. a moved copy differs from its source."""


class ShardUnavailable(ShardError, ConnectionError, sqlstate="08001"):
    """A shard holding what a read or write needs does not answer (postgres_fdw could not connect): the message
    names the shard; what other servers hold stays readable."""


class PermissionDenied(LightcurveDBError, PermissionError, sqlstate="42501"):
    """The database role may not do this (insufficient_privilege): e.g. an lcdb_reader member writing, or migrating."""


class OutputFileError(LightcurveDBError, OSError):
    """An output file cannot be written: it exists (and overwriting was not asked for), its directory is missing
    or not writable, or the disk is full."""


class NotFound(LightcurveDBError, LookupError):
    """What was asked for does not exist (a generated `:one` query found no row, an unknown TIC, a flux column)."""


class BulkWriteError(LightcurveDBError):
    """A bulk write was called wrongly (bad mode, bad record, a committing write inside a transaction)."""


# --- values that cannot be stored as given: refused before sending, or by the server; nothing written -----------


class InvalidInput(LightcurveDBError, ValueError):
    """A value handed to lightcurvedb cannot be stored or read as given; nothing was written."""


class InvalidText(InvalidInput, sqlstate=("22P05", "22021")):
    """A text value holds a NUL character (PostgreSQL text cannot) or a lone surrogate (not valid UTF-8)."""


class InvalidJson(InvalidInput):
    """A JSON value cannot be stored as jsonb (NaN/Infinity, a NUL character, a lone surrogate, not serialisable)."""


class InvalidRepresentation(InvalidInput, sqlstate="22P02"):
    """The server could not parse a value (invalid_text_representation; jsonb values become InvalidJson)."""


class ValueOutOfRange(InvalidInput, sqlstate="22003"):
    """A number does not fit its column type (e.g. an integer beyond bigint, NaN cast to bigint)."""


class ValueTooLarge(InvalidInput, sqlstate=("22001", "54000")):
    """A value is too large for PostgreSQL (e.g. a key too long for its unique index)."""


class MissingValue(InvalidInput, sqlstate="23502"):
    """A required (NOT NULL) value is missing."""


class InvalidRecord(InvalidInput):
    """A generated record (lightcurvedb.records) refused its field values (the pydantic error is chained)."""


class ArrayAdaptError(InvalidInput):
    """An ndarray cannot be dumped as, or a value loaded from, a PostgreSQL binary array."""


class NullElementError(ArrayAdaptError):
    """A PostgreSQL array holds NULL elements: an ndarray cannot represent them (never silent NaN)."""

    def __init__(self, pg_type: str, index: int) -> None:
        self.pg_type = pg_type
        self.index = index
        super().__init__(
            f"cannot load a {pg_type} value holding NULL elements as an ndarray "
            f"(first NULL at 0-based index {index}); filter or coalesce them in SQL"
        )


class ArrayDimensionError(ArrayAdaptError):
    """An array is not one-dimensional (0-d ndarrays, 2-D and deeper arrays either side)."""


class ArrayDtypeError(ArrayAdaptError, TypeError):
    """An ndarray dtype (object, str, complex…) or a PostgreSQL array type has no NumPy adapter."""


class LossyConversionError(ArrayAdaptError):
    """Dumping would narrow an ndarray (float64 → float4, int64 → int4…): convert explicitly instead."""


class InvalidSkyInput(InvalidInput):
    """A position, search radius, limit or target list the sky functions cannot use (lightcurvedb.sky)."""


class CadenceAlignmentError(InvalidInput):
    """A partial series cannot be placed on a cadence grid without guessing."""

    def __init__(self, message: str, *, cadences: list[int] | None = None) -> None:
        super().__init__(message)
        self.cadences = list(cadences or [])


class CadenceNotInGrid(CadenceAlignmentError):
    """Some cadences of the series are not in the grid (never dropped silently)."""


class DuplicateCadence(CadenceAlignmentError):
    """A cadence appears more than once in the series or in the grid."""


class TimeSystemError(InvalidInput):
    """A mission's time system (unit, epoch, scale, format) cannot be turned into an astropy time format."""


class TimeFormatConflict(TimeSystemError):
    """The time format name is astropy's own or already registered with a different definition."""


class FitsFormatError(InvalidInput):
    """A file is not a lightcurve FITS file lightcurvedb can read (unknown layout, damaged, inconsistent)."""

    def __init__(self, path: object, problem: str) -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


# --- refusals by a named constraint of the schema (the names and their tables: lightcurvedb.schema) -------------


class ConstraintViolation(LightcurveDBError):
    """The database refused a write because it breaks a named constraint of the schema.

    ``constraint`` is the schema's name (a partition's copy is reported under its parent's name), ``table`` the
    table it belongs to (`lightcurvedb.schema.CONSTRAINTS[constraint]` has the rest).
    """

    def __init__(self, message: str, *, constraint: str | None = None, table: str | None = None,
                 detail: str | None = None) -> None:
        super().__init__(message)
        self.constraint = constraint
        self.table = table
        self.detail = detail

    def __reduce__(self) -> tuple[Any, ...]:  # keeps the keywords across processes (parallel ingest)
        return (_rebuild, (type(self), str(self), self.constraint, self.table, self.detail))


def _rebuild(cls: type[ConstraintViolation], message: str, constraint: str | None, table: str | None,
             detail: str | None) -> ConstraintViolation:
    return cls(message, constraint=constraint, table=table, detail=detail)


class DuplicateKey(ConstraintViolation, sqlstate="23505"):
    """A row with the same key already exists (unique_violation: a natural key, or a primary key)."""


class UnknownReference(ConstraintViolation, sqlstate="23503"):
    """A row refers to a row that does not exist (foreign_key_violation; also a detached observation partition)."""


class ReferenceInUse(ConstraintViolation, sqlstate="23001"):
    """A delete was refused because other rows still refer to the row (restrict_violation)."""


class InvalidData(ConstraintViolation, InvalidInput, sqlstate="23514"):
    """A value breaks a CHECK rule of the schema (check_violation: ranges, non-blank names, array shapes and
    lengths, increasing cadences, lineage cycles)."""
