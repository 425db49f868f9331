"""Types of the generated schema facts (lightcurvedb.schema): constraints, tables, columns and keys."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ConstraintKind = Literal["primary_key", "unique", "foreign_key", "check", "exclusion", "trigger"]
OnDelete = Literal["no_action", "restrict", "cascade", "set_null", "set_default"]

__all__ = ["ColumnFact", "ConstraintFact", "ConstraintKind", "KeyFact", "OnDelete", "TableFact", "TriggerRaise"]


@dataclass(frozen=True, slots=True)
class TriggerRaise:
    """A trigger whose function raises a constraint name itself (``RAISE … USING CONSTRAINT = …``)."""

    trigger: str  # the trigger's name
    on_table: str  # the table (or partition) the trigger is attached to
    function: str  # the trigger function
    sqlstate: str  # the SQLSTATE it raises (its ERRCODE; P0001 when none is given)


@dataclass(frozen=True, slots=True)
class ConstraintFact:
    """A named constraint of schema public, a unique index used as one, or a name only a trigger raises.

    ``kind`` "trigger" marks a name no catalog constraint carries (e.g. ck_dataset_length_matches_observation);
    a real constraint that a trigger raises too (the "in use" refusals of the ON DELETE RESTRICT foreign keys)
    keeps its kind and lists the trigger in ``raised_by``.
    """

    name: str
    table: str  # the constrained table (trigger kind: the TABLE the trigger reports, else the trigger's table)
    kind: ConstraintKind
    sqlstate: str  # what a violation reports: 23505 unique/primary_key, 23503 foreign_key, 23514 check, ...
    columns: tuple[str, ...] = ()  # key / checked columns in order; an expression of a unique index as its SQL
    references: str | None = None  # foreign_key: the referenced table
    ref_columns: tuple[str, ...] = ()  # foreign_key: the referenced columns
    on_delete: OnDelete | None = None  # foreign_key: the ON DELETE action
    nulls_not_distinct: bool = False  # unique: NULLs compare equal (UNIQUE NULLS NOT DISTINCT)
    predicate: str | None = None  # unique index: the WHERE clause of a partial index
    raised_by: tuple[TriggerRaise, ...] = ()


@dataclass(frozen=True, slots=True)
class ColumnFact:
    """A table column: its type as binary COPY names it (``int8``, ``float8[]``, ``text``, ``bool``, …)."""

    name: str
    type: str
    not_null: bool
    has_default: bool  # the server supplies a value when the column is left out (default, identity, generated)
    identity: bool = False  # GENERATED … AS IDENTITY
    generated: bool = False  # GENERATED ALWAYS AS (…) STORED: never written


@dataclass(frozen=True, slots=True)
class KeyFact:
    """A natural key: the columns of a table's one unique constraint (or unique index) besides its primary key."""

    constraint: str
    columns: tuple[str, ...]
    nullable: tuple[str, ...] = ()  # key columns that may be NULL
    nulls_not_distinct: bool = False  # True: NULL equals NULL in the key (one row per NULL); False: NULLs never clash


@dataclass(frozen=True, slots=True)
class TableFact:
    """A table of schema public: columns in order, primary key, natural key, partition key."""

    name: str
    columns: tuple[ColumnFact, ...]
    primary_key: tuple[str, ...]
    natural_key: KeyFact | None = None
    partitioned_by: tuple[str, ...] = ()  # LIST/RANGE/HASH partition key columns of a partitioned table
    discriminator: str | None = None  # polymorphic tables: the literal default of the "type" column

    def column(self, name: str) -> ColumnFact:
        """The column called `name` (KeyError if the table has none)."""
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"table {self.name} has no column {name!r}")

    @property
    def column_names(self) -> tuple[str, ...]:
        """The column names in table order."""
        return tuple(c.name for c in self.columns)
