"""Schema facts for lightcurvedb/schema.py: constraints, unique indexes, trigger-raised names, tables, keys.

Everything comes from the migrated database's catalog (pg_constraint, pg_index, pg_attribute, pg_trigger,
pg_proc). The names that trigger functions raise themselves are found by parsing the PL/pgSQL source of each
trigger's function (``pg_proc.prosrc``): every ``RAISE … USING … CONSTRAINT = <expr>`` whose ``<expr>`` is a
string literal, ``TG_ARGV[n]``, ``TG_TABLE_NAME``, a variable initialised in DECLARE from one of those,
``format(…)`` or ``||`` of them, evaluated with the trigger's own arguments (``pg_trigger.tgargs``). Anything
else is refused (ModelError), so a new trigger cannot silently raise a name the facts do not know.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, fields
from typing import Any

import psycopg
import psycopg.errors

from codegen import database as db
from codegen.model import ModelError
from codegen.queryfiles import _scan
from codegen.render import header
from lightcurvedb.schema_types import ColumnFact, ConstraintFact, KeyFact, TableFact, TriggerRaise

SOURCE = "sql/migrations"
PATH = "lightcurvedb/schema.py"
_KINDS = {"p": "primary_key", "u": "unique", "f": "foreign_key", "c": "check", "x": "exclusion"}
_SQLSTATES = {"p": "23505", "u": "23505", "f": "23503", "c": "23514", "x": "23P01"}
_ON_DELETE = {"a": "no_action", "r": "restrict", "c": "cascade", "n": "set_null", "d": "set_default"}

_CONSTRAINTS = """
SELECT con.conname, coalesce(parent.relname, c.relname), con.contype::text,
       ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY AS k(n, i)
             JOIN pg_attribute AS a ON a.attrelid = con.conrelid AND a.attnum = k.n
             ORDER BY CASE WHEN con.contype = 'c' THEN k.n ELSE k.i END),
       r.relname,
       ARRAY(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY AS k(n, i)
             JOIN pg_attribute AS a ON a.attrelid = con.confrelid AND a.attnum = k.n ORDER BY k.i),
       con.confdeltype::text, coalesce(ix.indnullsnotdistinct, false)
FROM pg_constraint AS con
JOIN pg_class AS c ON c.oid = con.conrelid
JOIN pg_namespace AS n ON n.oid = c.relnamespace
LEFT JOIN pg_class AS r ON r.oid = con.confrelid
LEFT JOIN pg_index AS ix ON ix.indexrelid = con.conindid AND con.contype IN ('p', 'u')
LEFT JOIN pg_inherits AS h ON h.inhrelid = c.oid
LEFT JOIN pg_class AS parent ON parent.oid = h.inhparent
WHERE n.nspname = 'public'
  -- a partitioned table's keys and foreign keys are its default partition's (0023: every partition has its copy)
  AND (NOT c.relispartition OR (c.relname = parent.relname || '_default' AND con.contype IN ('p', 'u', 'f')))
  AND c.relname NOT LIKE '\\_yoyo%' AND c.relname NOT LIKE 'yoyo\\_%' AND con.contype IN ('p', 'u', 'f', 'c', 'x')
  AND con.conparentid = 0  -- not the clones PostgreSQL makes for partitions
ORDER BY con.conname
"""
# unique indexes that back no constraint (e.g. an expression index such as uq_target_alias_pair)
_UNIQUE_INDEXES = """
SELECT i.relname, c.relname, ix.indnullsnotdistinct, pg_get_expr(ix.indpred, ix.indrelid, true),
       ARRAY(SELECT CASE WHEN k.n = 0 THEN pg_get_indexdef(ix.indexrelid, k.i::int, true) ELSE a.attname::text END
             FROM unnest(ix.indkey::int2[]) WITH ORDINALITY AS k(n, i)
             LEFT JOIN pg_attribute AS a ON a.attrelid = ix.indrelid AND a.attnum = k.n
             WHERE k.i <= ix.indnkeyatts ORDER BY k.i)
FROM pg_index AS ix
JOIN pg_class AS i ON i.oid = ix.indexrelid
JOIN pg_class AS c ON c.oid = ix.indrelid
JOIN pg_namespace AS n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND NOT c.relispartition
  AND c.relname NOT LIKE '\\_yoyo%' AND c.relname NOT LIKE 'yoyo\\_%' AND ix.indisunique
  AND NOT EXISTS (SELECT 1 FROM pg_constraint AS con
                  WHERE con.conindid = ix.indexrelid AND con.contype IN ('p', 'u', 'x'))
ORDER BY i.relname
"""
_TRIGGERS = """
SELECT t.tgname, c.relname, p.proname, p.prosrc, t.tgnargs, t.tgargs
FROM pg_trigger AS t
JOIN pg_class AS c ON c.oid = t.tgrelid
JOIN pg_namespace AS n ON n.oid = c.relnamespace
JOIN pg_proc AS p ON p.oid = t.tgfoid
JOIN pg_namespace AS pn ON pn.oid = p.pronamespace
WHERE n.nspname = 'public' AND pn.nspname = 'public' AND NOT t.tgisinternal AND t.tgparentid = 0
ORDER BY c.relname, t.tgname
"""
_PARTITION_KEYS = """
SELECT c.relname,
       ARRAY(SELECT a.attname::text FROM unnest(pt.partattrs::int2[]) WITH ORDINALITY AS k(n, i)
             JOIN pg_attribute AS a ON a.attrelid = pt.partrelid AND a.attnum = k.n ORDER BY k.i)
FROM pg_partitioned_table AS pt
JOIN pg_class AS c ON c.oid = pt.partrelid
JOIN pg_namespace AS n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND NOT c.relispartition
  AND c.relname NOT LIKE '\\_yoyo%' AND c.relname NOT LIKE 'yoyo\\_%'
"""


@dataclass
class Facts:
    """What lightcurvedb/schema.py holds."""

    constraints: dict[str, ConstraintFact] = field(default_factory=dict)
    tables: dict[str, TableFact] = field(default_factory=dict)
    views: list[str] = field(default_factory=list)
    routines: list[str] = field(default_factory=list)


_VIEWS_AND_ROUTINES = """
SELECT 'view', c.relname::text FROM pg_class AS c
WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('v', 'm')
UNION ALL
SELECT 'routine', p.oid::regprocedure::text FROM pg_proc AS p
WHERE p.pronamespace = 'public'::regnamespace
ORDER BY 1, 2
"""


def read(conn: psycopg.Connection[Any], catalog: db.Catalog) -> Facts:
    """Every constraint, trigger-raised constraint name and table of schema public."""
    facts = Facts()
    for name, table, kind, cols, ref, ref_cols, on_delete, nnd in conn.execute(_CONSTRAINTS).fetchall():
        facts.constraints[name] = ConstraintFact(
            name=name, table=table, kind=_KINDS[kind], sqlstate=_SQLSTATES[kind], columns=tuple(cols),  # type: ignore[arg-type]
            references=ref if kind == "f" else None, ref_columns=tuple(ref_cols) if kind == "f" else (),
            on_delete=_ON_DELETE[on_delete] if kind == "f" else None,  # type: ignore[arg-type]
            nulls_not_distinct=bool(nnd) and kind in ("p", "u"))
    for name, table, nnd, predicate, cols in conn.execute(_UNIQUE_INDEXES).fetchall():
        if name in facts.constraints:
            raise ModelError(f"unique index {name} has the name of a constraint")
        facts.constraints[name] = ConstraintFact(name=name, table=table, kind="unique", sqlstate="23505",
                                                 columns=tuple(cols), nulls_not_distinct=bool(nnd),
                                                 predicate=predicate)
    for raised_name, raise_table, raised in trigger_raises(conn):
        known = facts.constraints.get(raised_name)
        if known is None:
            facts.constraints[raised_name] = ConstraintFact(name=raised_name, table=raise_table, kind="trigger",
                                                            sqlstate=raised.sqlstate, raised_by=(raised,))
        elif raised not in known.raised_by:
            sqlstate = known.sqlstate
            if known.kind == "trigger" and sqlstate != raised.sqlstate:
                raise ModelError(f"constraint name {raised_name} is raised with SQLSTATEs {sqlstate} and "
                                 f"{raised.sqlstate}")
            facts.constraints[raised_name] = _replace(known, raised_by=tuple(sorted(
                (*known.raised_by, raised), key=lambda r: (r.on_table, r.trigger))))
    facts.constraints = dict(sorted(facts.constraints.items()))
    partition_keys = {t: tuple(cols) for t, cols in conn.execute(_PARTITION_KEYS).fetchall()}
    for table in sorted(catalog.tables.values(), key=lambda t: t.name):
        if table.kind == "v":
            continue
        facts.tables[table.name] = _table(table, catalog, facts.constraints, partition_keys.get(table.name, ()))
    for kind, name in conn.execute(_VIEWS_AND_ROUTINES).fetchall():
        (facts.views if kind == "view" else facts.routines).append(name)
    return facts


def _replace(fact: ConstraintFact, **changes: Any) -> ConstraintFact:
    values = {f.name: getattr(fact, f.name) for f in fields(fact)}
    values.update(changes)
    return ConstraintFact(**values)


def _table(table: db.Table, catalog: db.Catalog, constraints: dict[str, ConstraintFact],
           partitioned_by: tuple[str, ...]) -> TableFact:
    columns = tuple(
        ColumnFact(name=c.name, type=catalog.types[c.type_oid].name, not_null=c.not_null,
                   has_default=c.has_default or bool(c.identity) or bool(c.generated),
                   identity=bool(c.identity), generated=bool(c.generated))
        for c in table.columns
    )
    mine = [c for c in constraints.values() if c.table == table.name]
    pk = next((c.columns for c in mine if c.kind == "primary_key"), ())
    # the natural key: the one unique constraint/index that is not the primary key plus more columns (those,
    # like uq_observation_id_type, exist only as targets of the subtype tables' composite foreign keys)
    candidates = [c for c in mine if c.kind == "unique" and not (pk and set(pk) <= set(c.columns))]
    natural = None
    if len(candidates) == 1:
        key = candidates[0]
        by_name = {c.name: c for c in columns}
        natural = KeyFact(constraint=key.name, columns=key.columns,
                          nullable=tuple(c for c in key.columns if c in by_name and not by_name[c].not_null),
                          nulls_not_distinct=key.nulls_not_distinct)
    return TableFact(name=table.name, columns=columns, primary_key=pk, natural_key=natural,
                     partitioned_by=partitioned_by, discriminator=table.discriminator)


# --- trigger functions ---------------------------------------------------------------------------------------

_RAISE = re.compile(r"\bRAISE\b", re.IGNORECASE)
_LEVELS = ("EXCEPTION", "WARNING", "NOTICE", "INFO", "LOG", "DEBUG")


def trigger_raises(conn: psycopg.Connection[Any]) -> list[tuple[str, str, TriggerRaise]]:
    """(constraint name, reported table, raise) for every RAISE … CONSTRAINT = … of every trigger's function."""
    out = []
    for trigger, table, function, source, nargs, tgargs in conn.execute(_TRIGGERS).fetchall():
        args = [a.decode() for a in bytes(tgargs).split(b"\x00")[:nargs]]
        env = _Env(function, trigger, table, args, _declarations(source))
        for options, condition in _raise_statements(source):
            if "CONSTRAINT" not in options:
                continue
            name = env.eval(options["CONSTRAINT"])
            reported = env.eval(options["TABLE"]) if "TABLE" in options else table
            errcode = env.eval(options["ERRCODE"]) if "ERRCODE" in options else condition or "P0001"
            out.append((name, reported, TriggerRaise(trigger=trigger, on_table=table, function=function,
                                                     sqlstate=_sqlstate(errcode, function))))
    return out


def _sqlstate(code: str, function: str) -> str:
    if re.fullmatch(r"[0-9A-Z]{5}", code):
        return code
    try:
        return str(psycopg.errors.lookup(code.upper()).sqlstate)
    except KeyError:
        raise ModelError(f"trigger function {function}: unknown ERRCODE {code!r}") from None


def _code(source: str) -> str:
    """The source with string literals and comments blanked out (same length, so offsets stay valid)."""
    return "".join(piece if kind == "code" else " " * len(piece) for kind, piece in _scan(source))


def _declarations(source: str) -> dict[str, str]:
    """Variables initialised in the DECLARE section: {name: initial expression}."""
    code = _code(source)
    m = re.search(r"\bDECLARE\b(.*?)\bBEGIN\b", code, re.IGNORECASE | re.DOTALL)
    out: dict[str, str] = {}
    if m:
        start = m.start(1)
        for decl in re.finditer(r"(\w+)[^;]*?(?::=|\bDEFAULT\b)([^;]*);", m.group(1), re.IGNORECASE):
            out[decl.group(1).lower()] = source[start + decl.start(2):start + decl.end(2)].strip()
    return out


def _raise_statements(source: str) -> list[tuple[dict[str, str], str | None]]:
    """({OPTION: expression} of the USING clause, condition named after RAISE) of every RAISE statement."""
    code = _code(source)
    out = []
    for m in _RAISE.finditer(code):
        end = code.find(";", m.end())
        end = len(code) if end < 0 else end
        statement_code, statement = code[m.end():end], source[m.end():end]
        words = statement_code.split()
        condition = None
        if words and words[0].upper() not in _LEVELS and words[0].upper() != "USING" and words[0].isidentifier():
            condition = words[0].lower()  # RAISE unique_violation USING …
        elif len(words) > 1 and words[0].upper() == "EXCEPTION" and words[1].isidentifier() \
                and words[1].upper() != "USING":
            condition = words[1].lower()
        using = re.search(r"\bUSING\b", statement_code, re.IGNORECASE)
        options: dict[str, str] = {}
        if using:
            for item in _split_top(statement[using.end():], statement_code[using.end():], ","):
                key, sep, value = item.partition("=")
                if sep:
                    options[key.strip().upper()] = value.strip()
        out.append((options, condition))
    return out


def _split_top(text: str, code: str, sep: str) -> list[str]:
    """Split `text` at `sep` outside parentheses and literals (`code` is `text` with literals blanked)."""
    parts, depth, start, i = [], 0, 0, 0
    while i < len(code):
        ch = code[i]
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif depth == 0 and code.startswith(sep, i):
            parts.append(text[start:i])
            start = i + len(sep)
            i = start
            continue
        i += 1
    parts.append(text[start:])
    return parts


@dataclass
class _Env:
    function: str
    trigger: str
    table: str
    args: list[str]
    variables: dict[str, str]

    def fail(self, expr: str) -> ModelError:
        return ModelError(f"trigger {self.trigger} (function {self.function}): cannot evaluate {expr!r}; a "
                          "raised CONSTRAINT/TABLE/ERRCODE must be a literal, TG_ARGV[n], TG_TABLE_NAME, a "
                          "variable initialised from those, format(...) or ||")

    def eval(self, expr: str, depth: int = 0) -> str:
        expr = expr.strip()
        if depth > 10:
            raise self.fail(expr)
        code = _code(expr)
        parts = _split_top(expr, code, "||")
        if len(parts) > 1:
            return "".join(self.eval(p, depth + 1) for p in parts)
        if expr.startswith("'") and expr.endswith("'") and code.strip() == "":
            return expr[1:-1].replace("''", "'")
        m = re.fullmatch(r"TG_ARGV\s*\[\s*(\d+)\s*\]", expr, re.IGNORECASE)
        if m:
            index = int(m.group(1))
            if index >= len(self.args):
                raise self.fail(expr)
            return self.args[index]
        if expr.upper() == "TG_TABLE_NAME":
            return self.table
        m = re.fullmatch(r"format\s*\((.*)\)", expr, re.IGNORECASE | re.DOTALL)
        if m:
            inner = m.group(1)
            values = [self.eval(a, depth + 1) for a in _split_top(inner, _code(inner), ",")]
            return _format(values[0], values[1:], lambda: self.fail(expr))
        if expr.isidentifier() and expr.lower() in self.variables:
            return self.eval(self.variables[expr.lower()], depth + 1)
        raise self.fail(expr)


def _format(fmt: str, values: list[str], fail: Any) -> str:
    out, i, pos = [], 0, 0
    while i < len(fmt):
        if fmt[i] == "%" and i + 1 < len(fmt):
            spec = fmt[i + 1]
            if spec == "%":
                out.append("%")
            elif spec in "sIL" and pos < len(values):
                out.append(values[pos])
                pos += 1
            else:
                raise fail()
            i += 2
        else:
            out.append(fmt[i])
            i += 1
    return "".join(out)


# --- rendering -----------------------------------------------------------------------------------------------


def _value(v: Any, indent: int) -> str:
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, bool) or v is None:
        return repr(v)
    if isinstance(v, tuple):
        items = [_value(x, indent + 4) for x in v]
        one = "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
        if len(one) + indent <= 100:
            return one
        pad = " " * (indent + 4)
        return "(\n" + "".join(f"{pad}{x},\n" for x in items) + " " * indent + ")"
    if hasattr(v, "__dataclass_fields__"):
        args = [(f.name, getattr(v, f.name)) for f in fields(v) if getattr(v, f.name) != f.default]
        rendered = [f"{k}={_value(x, indent + 4)}" for k, x in args]
        one = f"{type(v).__name__}(" + ", ".join(rendered) + ")"
        if len(one) + indent <= 100 and "\n" not in one:
            return one
        pad = " " * (indent + 4)
        return f"{type(v).__name__}(\n" + "".join(f"{pad}{r},\n" for r in rendered) + " " * indent + ")"
    raise TypeError(f"cannot render {v!r}")


def render(facts: Facts) -> str:
    """The source of lightcurvedb/schema.py."""
    lines = [header(SOURCE).rstrip("\n"),
             '"""Schema facts of the migrated database (schema public), read from its catalog by codegen.',
             "",
             "CONSTRAINTS: every named constraint (primary key, unique, foreign key with its ON DELETE action, check,",
             "exclusion), every unique index used as one, and every name a trigger function raises itself (kind",
             '"trigger"); partitions\' copies (<name>_o<observation id>) are not listed. TABLES: every table with its',
             "columns (types as binary COPY names them), primary key, natural key, partition key and subtype",
             "discriminator (the default of its type column). VIEWS and ROUTINES: every view and every function",
             "(with its argument types) of a migrated database (codegen's server is a superuser: the optional fast",
             "array functions are among them).",
             '"""',
             "",
             "from lightcurvedb.schema_types import ColumnFact, ConstraintFact, KeyFact, TableFact, TriggerRaise",
             "",
             '__all__ = ["CONSTRAINTS", "ROUTINES", "TABLES", "VIEWS"]',
             "",
             "CONSTRAINTS: dict[str, ConstraintFact] = {"]
    for name, fact in facts.constraints.items():
        lines.append(f"    {json.dumps(name)}: {_value(fact, 4)},")
    lines.append("}")
    lines.append("")
    lines.append("TABLES: dict[str, TableFact] = {")
    for name, table in facts.tables.items():
        lines.append(f"    {json.dumps(name)}: {_value(table, 4)},")
    lines.append("}")
    for title, names in (("VIEWS", facts.views), ("ROUTINES", facts.routines)):
        lines.append("")
        lines.append(f"{title}: tuple[str, ...] = (")
        lines.extend(f"    {json.dumps(n)}," for n in names)
        lines.append(")")
    text = "\n".join(lines) + "\n"
    used = {n for n in ("ColumnFact", "ConstraintFact", "KeyFact", "TableFact", "TriggerRaise") if f"{n}(" in text}
    return text.replace("ColumnFact, ConstraintFact, KeyFact, TableFact, TriggerRaise", ", ".join(sorted(used)))
