"""Resolve query files + catalog + describe results into the models and functions to render."""

from __future__ import annotations

import keyword
from dataclasses import dataclass, field
from typing import Any

import psycopg
from pydantic import BaseModel

from codegen import database as db
from codegen.nullability import aggregate_without_group_by, outer_join_tables
from codegen.pytypes import Imports, UnsupportedType, annotation, camel, is_json
from codegen.queryfiles import Query, QueryFile, unpacked

RECORDS_PKG = "lightcurvedb.records"


class ModelError(Exception):
    """The queries and the schema do not fit together (unknown table, ambiguous shape, bad directive)."""


@dataclass
class PyField:
    """A model field."""

    name: str
    annotation: str
    description: str | None
    default_none: bool = False


@dataclass
class Model:
    """A frozen pydantic model to render."""

    name: str
    doc: str
    fields: list[PyField]
    base: str | None = None


@dataclass
class Subtype:
    """One branch of a polymorphic dispatch."""

    discriminator: str
    class_name: str
    key_alias: str  # the extension table's first key column, aliased: NULL when the row has no extension
    fields: list[tuple[str, str]]  # (field name, result column alias)


@dataclass
class Dispatch:
    """`<base>_from_row(**row)`: builds the subtype record chosen by the `type` column."""

    name: str
    base_class: str
    base_fields: list[str]
    subtypes: list[Subtype]


@dataclass
class Param:
    """A keyword parameter of a generated function."""

    name: str
    annotation: str
    optional: bool
    json: bool


@dataclass
class Function:
    """A generated query function."""

    query: Query
    params: list[Param]
    sql: str
    row_class: str | None = None  # model name (or dispatch function) the rows become
    row_factory: str | None = None  # "kwargs_row(X)"
    returns: str = "None"
    always_one_row: bool = False  # :scalar of an aggregate without GROUP BY: never NotFound
    packed: bool = False  # selects lcdb_packed arrays: the runtime loads its bytea results as ndarrays


@dataclass
class Group:
    """Everything generated from one query file."""

    file: QueryFile
    models: list[Model] = field(default_factory=list)
    dispatches: list[Dispatch] = field(default_factory=list)
    functions: list[Function] = field(default_factory=list)
    record_imports: Imports = field(default_factory=set)
    query_imports: Imports = field(default_factory=set)


def _field_name(name: str, where: str) -> str:
    if not name.isidentifier() or keyword.iskeyword(name) or hasattr(BaseModel, name) or name.startswith("_"):
        raise ModelError(f"{where}: column {name!r} is not usable as a field name; alias it in SQL")
    return name


class Resolver:
    """Turns parsed query files into renderable groups, asking the database for every type."""

    def __init__(self, conn: psycopg.Connection[Any], files: list[QueryFile]) -> None:
        self.conn = conn
        self.files = files
        self.catalog = db.read_catalog(conn)
        self.owner: dict[str, str] = {}
        self._aggregates: set[str] | None = None
        for f in files:
            for t in f.tables:
                if t not in self.catalog.tables:
                    raise ModelError(f"{f.path}: '-- tables:' names unknown table {t!r}")
                if t in self.owner:
                    raise ModelError(f"table {t} is listed by both {self.owner[t]} and {f.group}")
                self.owner[t] = f.group
        unowned = [t.name for t in self.catalog.tables.values() if t.kind != "v" and t.name not in self.owner]
        if unowned:
            raise ModelError(f"tables not listed in any query file's '-- tables:' header: {', '.join(unowned)}")

    # --- table records ---------------------------------------------------------------------------------------

    def parent_of(self, table: db.Table) -> tuple[db.Table, db.ForeignKey] | None:
        """The polymorphic base of an extension table: an FK on (…, type) to a table with a `type` column."""
        for fk in table.foreign_keys:
            ref = self.catalog.tables[fk.ref_table]
            if "type" in fk.columns and "type" in fk.ref_columns and ref.discriminator:
                return ref, fk
        return None

    def subtypes_of(self, table: db.Table) -> list[tuple[db.Table, db.ForeignKey]]:
        out = []
        for t in sorted(self.catalog.tables.values(), key=lambda t: t.name):
            parent = self.parent_of(t) if t.kind != "v" else None
            if parent and parent[0].name == table.name:
                out.append((t, parent[1]))
        return out

    def record_name(self, table: str) -> str:
        return camel(table) + "Record"

    def _ann(self, oid: int, imports: Imports, nullable: bool, where: str) -> str:
        db.load_types(self.conn, self.catalog, {oid})
        try:
            return annotation(self.catalog.types[oid], imports, nullable=nullable)
        except UnsupportedType as e:
            raise ModelError(f"{where}: {e}") from e

    def table_fields(self, table: db.Table, imports: Imports, skip: tuple[str, ...] = ()) -> list[PyField]:
        return [
            PyField(_field_name(c.name, table.name),
                    self._ann(c.type_oid, imports, not c.not_null, f"table {table.name}"), c.comment)
            for c in table.columns if c.name not in skip
        ]

    def insert_fields(self, table: db.Table, imports: Imports) -> list[PyField]:
        fields = []
        for c in table.columns:
            if c.generated or c.identity == "a":
                continue
            optional = not c.not_null or c.has_default or c.identity == "d"
            ann = self._ann(c.type_oid, imports, optional, f"table {table.name}")
            fields.append(PyField(_field_name(c.name, table.name), ann, c.comment, default_none=optional))
        fields.sort(key=lambda f: f.default_none)  # required first (stable)
        return fields

    def table_models(self, group: Group) -> None:
        imports = group.record_imports
        order = sorted(group.file.tables, key=lambda n: self.parent_of(self.catalog.tables[n]) is not None)
        for name in order:
            table = self.catalog.tables[name]
            parent = self.parent_of(table)
            doc = table.comment or f"A row of {name}."
            if parent:
                base, fk = parent
                self._import_record(group, base.name)
                group.models.append(Model(self.record_name(name), f"{doc}\n\nA {base.name} row joined with its "
                                          f"{name} extension row.", self.table_fields(table, imports, fk.columns),
                                          base=self.record_name(base.name)))
            else:
                group.models.append(Model(self.record_name(name), doc, self.table_fields(table, imports)))
            group.models.append(Model(camel(name) + "Insert", f"What a writer supplies for a new {name} row "
                                      "(columns with server defaults may be left out).",
                                      self.insert_fields(table, imports)))

    def _import_record(self, group: Group, table: str, into: str = "records") -> str:
        name = self.record_name(table)
        owner = self.owner.get(table)
        if owner is None:
            raise ModelError(f"no query file lists table {table}")
        target = group.record_imports if into == "records" else group.query_imports
        if owner != group.file.group or into != "records":
            target.add((f"{RECORDS_PKG}.{owner}", name))
        return name

    # --- queries ---------------------------------------------------------------------------------------------

    def resolve(self) -> list[Group]:
        groups = []
        for f in self.files:
            group = Group(f)
            self.table_models(group)
            for q in f.queries:
                group.functions.append(self.function(group, q))
            groups.append(group)
        return groups

    def function(self, group: Group, q: Query) -> Function:
        sql = q.runtime_sql
        describe_sql = q.describe_sql
        dispatch: Dispatch | None = None
        if q.polymorphic:
            dispatch, sql, describe_sql = self.polymorphic(group, q)
        described = db.describe(self.conn, q.name, describe_sql, q.source)
        params = []
        for name, oid in zip(q.params, described.param_types, strict=True):
            db.load_types(self.conn, self.catalog, {oid})
            t = self.catalog.types[oid]
            if t.name in ("unknown", "void"):
                raise ModelError(f"{q.source}: the type of :{name} is unknown; add a cast (:{name}::type)")
            ann = self._ann(oid, group.query_imports, name in q.optional, q.source)
            params.append(Param(_field_name(name, q.source), ann, name in q.optional, is_json(t)))
        fn = Function(q, params, sql)
        if q.kind in ("exec", "execrows"):
            fn.returns = "None" if q.kind == "exec" else "int"
            return fn
        fields = self.unpack(q, described.fields) if q.packed else described.fields
        fn.packed = q.packed
        if not fields:
            raise ModelError(f"{q.source}: :{q.kind} query {q.name} returns no columns")
        if dispatch is not None:
            group.query_imports.add((f"{RECORDS_PKG}.{group.file.group}", dispatch.name))
            group.query_imports.add((f"{RECORDS_PKG}.{group.file.group}", dispatch.base_class))
            return self._rows(fn, dispatch.base_class, dispatch.name)
        if q.kind == "scalar":
            columns = self.result_columns(q, fields, group.query_imports)
            if len(columns) != 1:
                raise ModelError(f"{q.source}: a :scalar query returns one column, {q.name} returns {len(columns)}")
            fn.returns = columns[0].annotation
            fn.always_one_row = aggregate_without_group_by(q.describe_sql, self.aggregates())
            return fn
        if q.record:
            cls = self.record_by_name(group, q)
        else:
            cls = self.matching_table_record(group, q, fields) or self.row_model(group, q, fields)
        return self._rows(fn, cls, cls)

    def unpack(self, q: Query, fields: tuple[db.Field, ...]) -> tuple[db.Field, ...]:
        """The result columns with each ``lcdb_packed(array)`` typed as its array (and its table column), checked:
        the runtime loads every bytea of a packed query as an array, so it may return no other bytea."""
        if q.kind not in ("one", "opt", "many", "iter"):
            raise ModelError(f"{q.source}: lcdb_packed arrays need a row query (:one, :opt, :many, :iter)")
        plain = db.describe(self.conn, q.name + "_unpacked", unpacked(q.describe_sql), q.source).fields
        db.load_types(self.conn, self.catalog, {f.type_oid for f in plain})
        out = []
        for packed, inner in zip(fields, plain, strict=True):
            if packed.type_oid == inner.type_oid:
                if self.catalog.types[inner.type_oid].name == "bytea":
                    raise ModelError(f"{q.source}: {q.name} selects lcdb_packed arrays and the bytea {inner.name}")
                out.append(packed)
            elif not self.catalog.types[inner.type_oid].name.endswith("[]"):
                raise ModelError(f"{q.source}: lcdb_packed in {q.name} wraps {inner.name}, which is not an array")
            else:
                out.append(db.Field(packed.name, inner.type_oid, inner.table_oid, inner.table_col))
        return tuple(out)

    def aggregates(self) -> set[str]:
        """Names of the aggregate functions the server knows (built-in and user-defined)."""
        if self._aggregates is None:
            rows = self.conn.execute("SELECT DISTINCT proname::text FROM pg_proc WHERE prokind = 'a'").fetchall()
            self._aggregates = {r[0] for r in rows}
        return self._aggregates

    def _rows(self, fn: Function, cls: str, factory: str) -> Function:
        fn.row_class = cls
        fn.row_factory = f"kwargs_row({factory})"
        kind = fn.query.kind
        fn.returns = {"one": cls, "opt": f"{cls} | None", "many": f"list[{cls}]", "iter": f"Iterator[{cls}]"}[kind]
        return fn

    def result_columns(self, q: Query, fields: tuple[db.Field, ...], imports: Imports) -> list[PyField]:
        names = [f.name for f in fields]
        if len(set(names)) != len(names):
            raise ModelError(f"{q.source}: duplicate result column names in {q.name}: {names}")
        for directive in sorted((q.nullable | q.not_null) - set(names)):
            raise ModelError(f"{q.source}: nullability directive names no result column: {directive}")
        outer = outer_join_tables(q.describe_sql)
        out = []
        for f in fields:
            table = self.catalog.table_by_oid(f.table_oid) if f.table_oid else None
            column = next((c for c in table.columns if c.attnum == f.table_col), None) if table else None
            if f.name in q.nullable:
                nullable = True
            elif f.name in q.not_null:
                nullable = False
            elif column is not None and table is not None:
                nullable = not column.not_null or table.name in outer
            else:
                nullable = True
            ann = self._ann(f.type_oid, imports, nullable, q.source)
            out.append(PyField(_field_name(f.name, q.source), ann, column.comment if column else None))
        return out

    def record_by_name(self, group: Group, q: Query) -> str:
        for name, table in self.catalog.tables.items():
            if self.record_name(name) == q.record and table.kind != "v":
                parent = self.parent_of(table)
                expected = [c.name for c in parent[0].columns] if parent else []
                expected += [c.name for c in table.columns if not parent or c.name not in parent[1].columns]
                described = db.describe(self.conn, q.name, q.describe_sql, q.source)
                got = [f.name for f in described.fields]
                if got != expected:
                    raise ModelError(f"{q.source}: '-- record: {q.record}' expects columns {expected}, got {got}")
                self._import_record(group, name, into="queries")
                return q.record
        raise ModelError(f"{q.source}: '-- record: {q.record}' is not the record of any table")

    def matching_table_record(self, group: Group, q: Query, fields: tuple[db.Field, ...]) -> str | None:
        table = self.catalog.table_by_oid(fields[0].table_oid) if fields[0].table_oid else None
        if table is None or table.kind == "v" or q.nullable or table.name in outer_join_tables(q.describe_sql):
            return None
        if [(f.table_oid, f.table_col, f.name) for f in fields] != [(table.oid, c.attnum, c.name)
                                                                    for c in table.columns]:
            return None
        return self._import_record(group, table.name, into="queries")

    def row_model(self, group: Group, q: Query, fields: tuple[db.Field, ...]) -> str:
        name = camel(q.name) + "Row"
        columns = self.result_columns(q, fields, group.record_imports)
        group.models.append(Model(name, f"A row of {q.name}: {q.description}", columns))
        group.query_imports.add((f"{RECORDS_PKG}.{group.file.group}", name))
        return name

    def polymorphic(self, group: Group, q: Query) -> tuple[Dispatch, str, str]:
        """Dispatch of a `-- polymorphic: <base>` query, which reads the view `<base>_with_subtypes`.

        The view (a migration) joins the base table with every extension table once; its columns are the base
        columns, then per extension table (by name) `<ext>__<key>` and `<ext>__<column>`. The query must select
        exactly the view's columns from the view; the SQL is used as written.
        """
        base = self.catalog.tables.get(q.polymorphic or "")
        if base is None or not base.discriminator or base.kind == "v":
            raise ModelError(f"{q.source}: '-- polymorphic: {q.polymorphic}' needs a table with a 'type' column")
        expected = [c.name for c in base.columns]
        subtypes = []
        for ext, fk in self.subtypes_of(base):
            key = f"{ext.name}__{fk.columns[0]}"
            expected.append(key)
            extra = []
            for c in ext.columns:
                if c.name not in fk.columns:
                    expected.append(f"{ext.name}__{c.name}")
                    extra.append((c.name, f"{ext.name}__{c.name}"))
            disc = ext.discriminator or ext.name
            subtypes.append(Subtype(disc, self._import_record(group, ext.name), key, extra))
        view_name = polymorphic_view(base.name)
        view = self.catalog.tables.get(view_name)
        if view is None or view.kind != "v":
            raise ModelError(f"{q.source}: '-- polymorphic: {base.name}' reads the view public.{view_name} (the base "
                             f"table LEFT JOINed with each extension table), which does not exist")
        if [c.name for c in view.columns] != expected:
            raise ModelError(f"view {view_name} has columns {[c.name for c in view.columns]}, expected {expected}: "
                             f"recreate it in the migration that changes {base.name} or its extension tables")
        described = db.describe(self.conn, q.name + "_poly", q.describe_sql, q.source)
        if [(f.name, f.table_oid) for f in described.fields] != [(n, view.oid) for n in expected]:
            raise ModelError(f"{q.source}: a polymorphic query selects exactly the columns of the view "
                             f"{view_name}, in order, from that view")
        base_class = self._import_record(group, base.name)
        dispatch = Dispatch(f"{base.name}_from_row", base_class, [c.name for c in base.columns], subtypes)
        if all(d.name != dispatch.name for d in group.dispatches):
            group.dispatches.append(dispatch)
        return dispatch, q.runtime_sql, q.describe_sql


def polymorphic_view(base: str) -> str:
    """The view a `-- polymorphic: <base>` query reads: the base table joined with its extension tables."""
    return f"{base}_with_subtypes"
