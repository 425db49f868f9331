"""Typed lightcurvedb exceptions, and the mapping from PostgreSQL constraint names to them."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import psycopg


class LightcurveDBError(Exception):
    """Base class of every error lightcurvedb raises on purpose."""


# --- configuration and runtime -------------------------------------------------------------


class ConfigurationError(LightcurveDBError):
    """The configuration (argument, environment, config file) is invalid."""


class PermissionDenied(LightcurveDBError, PermissionError):
    """The database role may not do this (SQLSTATE 42501): e.g. an lcdb_reader member writing, or migrating."""


class OutputFileError(LightcurveDBError, OSError):
    """An output file cannot be written: it exists (and overwriting was not asked for), its directory is missing
    or not writable, or the disk is full."""


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


# --- NumPy array adapters (lightcurvedb.adapters) -------------------------------------------


class ArrayAdaptError(LightcurveDBError):
    """An ndarray cannot be dumped as, or a value loaded from, a PostgreSQL binary array."""


class NullElementError(ArrayAdaptError, ValueError):
    """A PostgreSQL array holds NULL elements: an ndarray cannot represent them (never silent NaN)."""

    def __init__(self, pg_type: str, index: int) -> None:
        self.pg_type = pg_type
        self.index = index
        super().__init__(
            f"cannot load a {pg_type} value holding NULL elements as an ndarray "
            f"(first NULL at 0-based index {index}); filter or coalesce them in SQL"
        )


class ArrayDimensionError(ArrayAdaptError, ValueError):
    """An array is not one-dimensional (0-d ndarrays, 2-D and deeper arrays either side)."""


class ArrayDtypeError(ArrayAdaptError, TypeError):
    """An ndarray dtype (object, str, complex…) or a PostgreSQL array type has no NumPy adapter."""


class LossyConversionError(ArrayAdaptError, ValueError):
    """Dumping would narrow an ndarray (float64 → float4, int64 → int4…): convert explicitly instead."""


# --- constraint violations (schema: sql/migrations) ----------------------------------------------
# --- constraint violations: mapped from the schema's explicit constraint names ----------------


class ConstraintViolation(LightcurveDBError):
    """The database refused a write because it breaks a named constraint of the schema."""

    def __init__(self, message: str, *, constraint: str | None = None, detail: str | None = None) -> None:
        super().__init__(message)
        self.constraint = constraint
        self.detail = detail


class DuplicateKey(ConstraintViolation):
    """A row with the same natural key already exists."""


class DuplicateMission(DuplicateKey):
    """A mission with this name already exists."""


class DuplicateTimeFormat(DuplicateKey):
    """Another mission already registers this astropy time format name."""


class DuplicateCatalog(DuplicateKey):
    """A mission catalog with this name already exists."""


class DuplicateTarget(DuplicateKey):
    """The catalog already has a target with this number."""


class DuplicateTargetAlias(DuplicateKey):
    """These two targets are already linked as aliases (in either order)."""


class DuplicateInstrument(DuplicateKey):
    """The parent instrument already has a child with this name."""


class DuplicatePhotometricSource(DuplicateKey):
    """A photometric source with this name already exists."""


class DuplicateDetrendingMethod(DuplicateKey):
    """A detrending method with this name already exists."""


class DuplicateProcessingGroup(DuplicateKey):
    """A processing group for this (photometric source, detrending method) pair already exists."""


class DuplicateObservation(DuplicateKey):
    """An observation (or its subtype row) with this id already exists."""


class DuplicateFrame(DuplicateKey):
    """The observation already has a FITS frame of this type at this cadence."""


class DuplicateDataset(DuplicateKey):
    """A dataset for this (processing group, target, observation) already exists."""


class DuplicateTargetTime(DuplicateKey):
    """Times for this (target, observation) already exist."""


class DuplicateQualityFlags(DuplicateKey):
    """Quality flags of this type for this (observation, target) already exist."""


class DuplicateLineage(DuplicateKey):
    """This lineage link is already recorded."""


class UnknownReference(ConstraintViolation):
    """A row refers to a row that does not exist."""


class UnknownMission(UnknownReference):
    """The referenced mission does not exist."""


class UnknownCatalog(UnknownReference):
    """The referenced mission catalog does not exist."""


class UnknownTarget(UnknownReference):
    """The referenced target does not exist."""


class UnknownInstrument(UnknownReference):
    """The referenced instrument does not exist."""


class UnknownPhotometricSource(UnknownReference):
    """The referenced photometric source does not exist."""


class UnknownDetrendingMethod(UnknownReference):
    """The referenced detrending method does not exist."""


class UnknownProcessingGroup(UnknownReference):
    """The referenced processing group does not exist."""


class UnknownObservation(UnknownReference):
    """The referenced observation does not exist."""


class UnknownDataset(UnknownReference):
    """The referenced dataset does not exist."""


class WrongSubtype(ConstraintViolation):
    """A subtype row does not match its base row's `type` (or the base row does not exist)."""


class ReferenceInUse(ConstraintViolation):
    """A delete or update was refused because other rows still refer to the row."""


class InstrumentInUse(ReferenceInUse):
    """The instrument, or an instrument of its subtree, still has observations."""


class PhotometricSourceInUse(ReferenceInUse):
    """The photometric source is still used by a processing group."""


class DetrendingMethodInUse(ReferenceInUse):
    """The detrending method is still used by a processing group."""


class InvalidData(ConstraintViolation):
    """A value breaks a CHECK rule of the schema."""


class InvalidValue(InvalidData):
    """A scalar value is out of its allowed range."""


class InvalidArray(InvalidData):
    """An array is not 1-D, does not start at index 1, or has NULL elements."""


class ArrayLengthMismatch(InvalidData):
    """An array's length differs from the length it must have (its observation's cadences, or `values`)."""


class CadencesNotIncreasing(InvalidData):
    """An observation's cadence_reference is not strictly increasing."""


class CadenceCountFrozen(InvalidData):
    """The cadence count of an observation with data cannot change."""


class InvalidTargetAlias(InvalidData):
    """A target alias links a target to itself or to a target of the same catalog."""


class InvalidInstrumentTree(InvalidData):
    """An instrument would be its own parent."""


class LineageCycle(InvalidData):
    """A lineage link would make a dataset derived from itself."""


class MissingPartition(ConstraintViolation):
    """The observation exists but its partition was detached or dropped (see lcdb_create_observation_partitions)."""


CONSTRAINT_ERRORS: dict[str, type[ConstraintViolation]] = {
    # 0001.core
    "pk_mission": DuplicateMission,
    "uq_mission_name": DuplicateMission,
    "uq_mission_time_format_name": DuplicateTimeFormat,
    "pk_mission_catalog": DuplicateCatalog,
    "uq_mission_catalog_name": DuplicateCatalog,
    "fk_mission_catalog_mission": UnknownMission,
    "pk_target": DuplicateTarget,
    "uq_target_catalog_name": DuplicateTarget,
    "fk_target_catalog": UnknownCatalog,
    "pk_target_alias": DuplicateTargetAlias,
    "uq_target_alias_pair": DuplicateTargetAlias,
    "fk_target_alias_target": UnknownTarget,
    "fk_target_alias_alias_target": UnknownTarget,
    "ck_target_alias_not_self": InvalidTargetAlias,
    "ck_target_alias_different_catalogs": InvalidTargetAlias,
    "pk_instrument": DuplicateInstrument,
    "uq_instrument_parent_name": DuplicateInstrument,
    "fk_instrument_parent": UnknownInstrument,
    "ck_instrument_not_own_parent": InvalidInstrumentTree,
    "pk_photometric_source": DuplicatePhotometricSource,
    "uq_photometric_source_name": DuplicatePhotometricSource,
    "pk_detrending_method": DuplicateDetrendingMethod,
    "uq_detrending_method_name": DuplicateDetrendingMethod,
    "pk_processing_group": DuplicateProcessingGroup,
    "uq_processing_group_source_method": DuplicateProcessingGroup,
    "fk_processing_group_photometric_source": UnknownPhotometricSource,
    "fk_processing_group_detrending_method": UnknownDetrendingMethod,
    # 0002.observation
    "pk_observation": DuplicateObservation,
    "uq_observation_id_type": DuplicateObservation,
    "fk_observation_instrument": UnknownInstrument,
    "ck_observation_cadence_reference_shape": InvalidArray,
    "ck_observation_cadence_reference_increasing": CadencesNotIncreasing,
    "ck_observation_cadence_count_frozen": CadenceCountFrozen,
    "pk_tess_observation": DuplicateObservation,
    "ck_tess_observation_type": WrongSubtype,
    "ck_tess_observation_sector_positive": InvalidValue,
    "fk_tess_observation_observation": WrongSubtype,
    "pk_hst_observation": DuplicateObservation,
    "ck_hst_observation_type": WrongSubtype,
    "fk_hst_observation_observation": WrongSubtype,
    "pk_fits_frame": DuplicateFrame,
    "uq_fits_frame_id_type": DuplicateFrame,
    "uq_fits_frame_type_observation_cadence": DuplicateFrame,
    "fk_fits_frame_observation": UnknownObservation,
    "ck_fits_frame_bitpix": InvalidValue,
    "ck_fits_frame_naxis_values_shape": InvalidArray,
    "ck_fits_frame_naxis_values_length": ArrayLengthMismatch,
    "pk_tess_fits_frame": DuplicateFrame,
    "ck_tess_fits_frame_type": WrongSubtype,
    "ck_tess_fits_frame_camera": InvalidValue,
    "ck_tess_fits_frame_ccd": InvalidValue,
    "fk_tess_fits_frame_fits_frame": WrongSubtype,
    # 0003.data (partitions name their keys <name>_o<observation id>; translate() strips the suffix)
    "pk_dataset": DuplicateDataset,
    "uq_dataset_group_target_observation": DuplicateDataset,
    "fk_dataset_processing_group": UnknownProcessingGroup,
    "fk_dataset_target": UnknownTarget,
    "fk_dataset_observation": UnknownObservation,
    "ck_dataset_values_shape": InvalidArray,
    "ck_dataset_errors_shape": InvalidArray,
    "ck_dataset_errors_length": ArrayLengthMismatch,
    "ck_dataset_length_matches_observation": ArrayLengthMismatch,
    "pk_target_specific_time": DuplicateTargetTime,
    "uq_target_specific_time_target_observation": DuplicateTargetTime,
    "fk_target_specific_time_target": UnknownTarget,
    "fk_target_specific_time_observation": UnknownObservation,
    "ck_target_specific_time_bjd_shape": InvalidArray,
    "ck_target_specific_time_length_matches_observation": ArrayLengthMismatch,
    "pk_quality_flag_array": DuplicateQualityFlags,
    "uq_quality_flag_array_id_type": DuplicateQualityFlags,
    "uq_quality_flag_array_type_observation_target": DuplicateQualityFlags,
    "fk_quality_flag_array_observation": UnknownObservation,
    "fk_quality_flag_array_target": UnknownTarget,
    "ck_quality_flag_array_flags_shape": InvalidArray,
    "ck_quality_flag_array_length_matches_observation": ArrayLengthMismatch,
    "ck_dataset_partition_exists": MissingPartition,
    "ck_target_specific_time_partition_exists": MissingPartition,
    "ck_quality_flag_array_partition_exists": MissingPartition,
    "pk_dataset_lineage": DuplicateLineage,
    "fk_dataset_lineage_child": UnknownDataset,
    "fk_dataset_lineage_parent": UnknownDataset,
    "ck_dataset_lineage_not_self": LineageCycle,
    "ck_dataset_lineage_acyclic": LineageCycle,
}
"""Every explicit constraint (and trigger-raised constraint) name of the schema -> its typed exception."""

# ON DELETE RESTRICT foreign keys: a refused DELETE/UPDATE of the referenced row (SQLSTATE 23001
# restrict_violation) means "still in use"; an insert with a missing reference (23503) means "unknown".
IN_USE_ERRORS: dict[str, type[ConstraintViolation]] = {
    "fk_observation_instrument": InstrumentInUse,
    "fk_processing_group_photometric_source": PhotometricSourceInUse,
    "fk_processing_group_detrending_method": DetrendingMethodInUse,
}


def _base_constraint_name(name: str) -> str:
    """Map a partition's key name `<constraint>_o<observation id>` to the parent's constraint name."""
    if name in CONSTRAINT_ERRORS:
        return name
    head, sep, tail = name.rpartition("_o")
    if sep and tail.isdigit() and head in CONSTRAINT_ERRORS:
        return head
    return name


def translate(exc: psycopg.Error) -> LightcurveDBError | None:
    """Return the typed lightcurvedb error for a constraint violation, or None if the constraint is unknown.

    The caller chains it: ``raise typed from exc``.
    """
    diag = exc.diag
    if exc.sqlstate == "42501":  # insufficient_privilege
        return PermissionDenied(diag.message_primary or str(exc))
    name = diag.constraint_name
    if not name:
        return translate_data_error(exc)
    name = _base_constraint_name(name)
    message = diag.message_primary or str(exc)
    in_use = IN_USE_ERRORS.get(name)
    if in_use is not None and exc.sqlstate == "23001":
        return in_use(message, constraint=name, detail=diag.message_detail)
    cls = CONSTRAINT_ERRORS.get(name)
    if cls is None:
        return translate_data_error(exc)
    return cls(message, constraint=name, detail=diag.message_detail)


class NotFound(LightcurveDBError, LookupError):
    """A query that must return exactly one row (a generated `:one` function) found none."""


# --- bulk ingest, lightcurve assembly, time systems (lightcurvedb.bulk, .lightcurve, .timesystem) --------


class BulkWriteError(LightcurveDBError):
    """A bulk write was called wrongly (bad mode, bad record, a committing loader inside a transaction)."""


class CadenceAlignmentError(LightcurveDBError, ValueError):
    """A partial series cannot be placed on a cadence grid without guessing."""


class CadenceNotInGrid(CadenceAlignmentError):
    """Some cadences of the series are not in the grid (never dropped silently)."""

    def __init__(self, message: str, *, cadences: list[int] | None = None) -> None:
        super().__init__(message)
        self.cadences = list(cadences or [])


class DuplicateCadence(CadenceAlignmentError):
    """A cadence appears more than once in the series or in the grid."""

    def __init__(self, message: str, *, cadences: list[int] | None = None) -> None:
        super().__init__(message)
        self.cadences = list(cadences or [])


class TimeSystemError(LightcurveDBError, ValueError):
    """A mission's time system (unit, epoch, scale, format) cannot be turned into an astropy time format."""


class TimeFormatConflict(TimeSystemError):
    """The time format name is astropy's own or already registered with a different definition."""


# --- TESS FITS files (lightcurvedb.tess) ------------------------------------------------------------


class FitsFormatError(LightcurveDBError, ValueError):
    """A file is not a lightcurve FITS file lightcurvedb can read (unknown layout, damaged, inconsistent)."""

    def __init__(self, path: object, problem: str) -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


# --- values PostgreSQL cannot store as given (checked before sending, or mapped from SQLSTATE 22xxx/23502/54000) ---


class InvalidInput(LightcurveDBError, ValueError):
    """A value handed to a write cannot be stored as given (refused before or by the server; nothing written)."""


class InvalidText(InvalidInput):
    """A text value holds a NUL character (PostgreSQL text cannot) or a lone surrogate (not valid UTF-8)."""


class InvalidJson(InvalidInput):
    """A JSON value cannot be stored as jsonb (NaN/Infinity, a NUL character, a lone surrogate, not serialisable)."""


class ValueOutOfRange(InvalidInput):
    """A number does not fit its column type (e.g. an integer beyond bigint, NaN cast to bigint)."""


class ValueTooLarge(InvalidInput):
    """A value is too large for PostgreSQL (e.g. a key too long for its unique index)."""


class MissingValue(InvalidInput):
    """A required (NOT NULL) value is missing."""


class InvalidRecord(InvalidInput):
    """A generated record (lightcurvedb.records) refused its field values (the pydantic error is chained)."""


CONSTRAINT_ERRORS.update({
    # 0005.input_checks
    "ck_target_name_positive": InvalidValue,
    "ck_mission_name_not_blank": InvalidValue,
    "ck_mission_catalog_name_not_blank": InvalidValue,
    "ck_instrument_name_not_blank": InvalidValue,
    "ck_photometric_source_name_not_blank": InvalidValue,
    "ck_detrending_method_name_not_blank": InvalidValue,
    "ck_processing_group_name_not_blank": InvalidValue,
    # 0006.quality_flag_created_on
    "ck_quality_flag_array_type_not_blank": InvalidValue,
})

_DATA_ERRORS: dict[str, type[InvalidInput]] = {
    "22003": ValueOutOfRange,  # numeric_value_out_of_range
    "22P05": InvalidText,  # untranslatable_character (jsonb \u0000)
    "22021": InvalidText,  # character_not_in_repertoire (NUL in COPY text)
    "22P02": InvalidInput,  # invalid_text_representation (jsonb NaN, lone surrogate escapes…)
    "22001": ValueTooLarge,  # string_data_right_truncation
    "54000": ValueTooLarge,  # program_limit_exceeded (index row size)
    "23502": MissingValue,  # not_null_violation
}


def translate_data_error(exc: psycopg.Error) -> LightcurveDBError | None:
    """The typed error of a refused value (SQLSTATE 22xxx, 23502, 54000) with no named constraint, else None."""
    cls = _DATA_ERRORS.get(exc.sqlstate or "")
    if cls is None:
        return None
    diag = exc.diag
    message = diag.message_primary or str(exc)
    if cls is InvalidInput and "json" in (str(exc) or "").lower():
        cls = InvalidJson
    if cls is MissingValue and diag.column_name:
        message = f"{diag.table_name}.{diag.column_name} is required: {message}"
    return cls(message)


class MissingDependency(LightcurveDBError, ImportError):
    """An optional dependency is not installed (the message names the extra that brings it)."""
