"""Parse annotated query files (sql/queries/<group>.sql): names, kinds, directives, :param placeholders."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

KINDS = ("one", "opt", "many", "iter", "scalar", "exec", "execrows")
_NAME = re.compile(r"^--\s*name:\s*([a-z_][a-z0-9_]*)\s+:(\w+)\s*$")
_DIRECTIVE = re.compile(r"^--\s*(nullable|not-null|record|polymorphic|optional|prepared|tables):\s*(.*?)\s*$")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


_PACKED = re.compile(r"\blcdb_packed\(([^()]*)\)")


def unpacked(statement: str) -> str:
    """`statement` with every ``lcdb_packed(expr)`` replaced by ``expr``: what codegen describes for their types."""
    return _PACKED.sub(r"\1", statement)


class QueryFileError(Exception):
    """An annotated query file is malformed."""


@dataclass
class Query:
    """One annotated query as written."""

    name: str
    kind: str
    description: str
    sql: str  # the body as written (":param" placeholders), without directives or a final ';'
    source: str  # "sql/queries/x.sql:12"
    nullable: frozenset[str] = frozenset()
    not_null: frozenset[str] = frozenset()
    optional: frozenset[str] = frozenset()
    record: str | None = None
    polymorphic: str | None = None
    prepared: bool = False  # server-prepared (its plan kept): only for queries that read no partitioned table
    params: list[str] = field(default_factory=list)  # in order of first use
    runtime_sql: str = ""  # psycopg placeholders %(name)s, literal % doubled
    describe_sql: str = ""  # libpq placeholders $n

    @property
    def packed(self) -> bool:
        """Does it select arrays through lcdb_packed (bytea on the wire, ndarrays for the caller)?"""
        return _PACKED.search(self.sql) is not None


@dataclass
class QueryFile:
    """One sql/queries/<group>.sql file."""

    group: str
    path: str  # relative, e.g. sql/queries/missions.sql
    doc: str
    tables: list[str]
    queries: list[Query]


def _names(value: str) -> frozenset[str]:
    return frozenset(v.strip().strip('"') for v in value.split(",") if v.strip())


def parse_file(path: Path, rel: str) -> QueryFile:
    """Parse one query file; raise QueryFileError naming the line on any malformed annotation."""
    lines = path.read_text(encoding="utf-8").splitlines()
    header: list[str] = []
    tables: list[str] = []
    blocks: list[tuple[int, list[str]]] = []
    for number, line in enumerate(lines, 1):
        if line.lstrip().startswith("-- name:"):
            blocks.append((number, [line.strip()]))
        elif blocks:
            blocks[-1][1].append(line)
        else:
            m = _DIRECTIVE.match(line.strip())
            if m and m.group(1) == "tables":
                tables.extend(v.strip() for v in m.group(2).split(",") if v.strip())
            elif line.startswith("--"):
                header.append(line[2:].strip())
    group = path.stem
    queries = [_parse_query(number, block, f"{rel}:{number}") for number, block in blocks]
    seen: set[str] = set()
    for q in queries:
        if q.name in seen:
            raise QueryFileError(f"{q.source}: duplicate query name {q.name!r}")
        seen.add(q.name)
    doc = next((h for h in header if h), f"Queries of the {group} group.")
    return QueryFile(group, rel, doc, tables, queries)


def _parse_query(number: int, block: list[str], source: str) -> Query:
    m = _NAME.match(block[0])
    if not m:
        raise QueryFileError(f"{source}: expected '-- name: <snake_name> :<kind>', got {block[0]!r}")
    name, kind = m.groups()
    if kind not in KINDS:
        raise QueryFileError(f"{source}: unknown kind :{kind} (one of {', '.join(':' + k for k in KINDS)})")
    q = Query(name=name, kind=kind, description="", sql="", source=source)
    body: list[str] = []
    for line in block[1:]:
        stripped = line.strip()
        d = _DIRECTIVE.match(stripped)
        if not body and d:
            key, value = d.groups()
            if key == "nullable":
                q.nullable |= _names(value)
            elif key == "not-null":
                q.not_null |= _names(value)
            elif key == "optional":
                q.optional |= _names(value)
            elif key == "record":
                q.record = value
            elif key == "polymorphic":
                q.polymorphic = value
            elif key == "prepared":
                if value not in ("true", "false"):
                    raise QueryFileError(f"{source}: '-- prepared:' takes true or false, got {value!r}")
                q.prepared = value == "true"
                if q.prepared and kind not in ("one", "opt", "many"):
                    raise QueryFileError(f"{source}: only :one, :opt and :many queries can be prepared")
            else:
                raise QueryFileError(f"{source}: '-- tables:' belongs in the file header")
        elif not body and stripped.startswith("--"):
            if not q.description and stripped[2:].strip():
                q.description = stripped[2:].strip()
        elif stripped.startswith("--") or (not body and not stripped):
            continue
        else:
            body.append(line.rstrip())
    while body and not body[-1].strip():
        body.pop()
    if not body:
        raise QueryFileError(f"{source}: query {name} has no SQL")
    if not q.description:
        raise QueryFileError(f"{source}: query {name} needs a one-line description comment after its name")
    text = "\n".join(body).rstrip()
    if text.endswith(";"):
        text = text[:-1].rstrip()
    if ";" in _strip_literals(text):
        raise QueryFileError(f"{source}: query {name} holds more than one statement")
    q.sql = text
    q.params, q.runtime_sql, q.describe_sql = convert_placeholders(text)
    for opt in sorted(q.optional - set(q.params)):
        raise QueryFileError(f"{source}: '-- optional: {opt}' names no parameter of {name}")
    return q


def _strip_literals(sql: str) -> str:
    return "".join(piece for kind, piece in _scan(sql) if kind == "code")


def _scan(sql: str) -> list[tuple[str, str]]:
    """Split SQL into ('code' | 'literal', text) pieces: quotes, dollar quotes and comments are literal."""
    out: list[tuple[str, str]] = []
    i, n, start = 0, len(sql), 0
    while i < n:
        ch = sql[i]
        end = -1
        if ch in "'\"":
            end = i + 1
            while end < n:
                if sql[end] == ch:
                    if end + 1 < n and sql[end + 1] == ch:
                        end += 2
                        continue
                    break
                end += 1
            end += 1
        elif sql.startswith("--", i):
            nl = sql.find("\n", i)
            end = n if nl < 0 else nl
        elif sql.startswith("/*", i):
            close = sql.find("*/", i + 2)
            end = n if close < 0 else close + 2
        elif ch == "$":
            m = re.match(r"\$([A-Za-z_]\w*)?\$", sql[i:])
            if m:
                close = sql.find(m.group(0), i + len(m.group(0)))
                end = n if close < 0 else close + len(m.group(0))
        if end > i:
            if start < i:
                out.append(("code", sql[start:i]))
            out.append(("literal", sql[i:end]))
            i = start = end
        else:
            i += 1
    if start < n:
        out.append(("code", sql[start:]))
    return out


def convert_placeholders(sql: str) -> tuple[list[str], str, str]:
    """`:name` → (names in order of first use, SQL with %(name)s, SQL with $n). `::type` casts are kept.

    A colon directly after an identifier character, a digit, `]`, `)` or another colon is not a placeholder
    (casts, array slices such as `a[1:n]`).
    """
    params: list[str] = []
    runtime: list[str] = []
    describe: list[str] = []
    for kind, piece in _scan(sql):
        if kind == "literal":
            runtime.append(piece.replace("%", "%%"))
            describe.append(piece)
            continue
        i = 0
        while i < len(piece):
            ch = piece[i]
            m = _IDENT.match(piece, i + 1) if ch == ":" else None
            prev = piece[i - 1] if i else (runtime[-1][-1:] if runtime else "")
            if m and not (prev.isalnum() or prev in "_]):") and not piece.startswith("::", i):
                name = m.group(0)
                if name not in params:
                    params.append(name)
                runtime.append(f"%({name})s")
                describe.append(f"${params.index(name) + 1}")
                i = m.end()
                continue
            if piece.startswith("::", i):
                runtime.append("::")
                describe.append("::")
                i += 2
                continue
            runtime.append("%%" if ch == "%" else ch)
            describe.append(ch)
            i += 1
    return params, "".join(runtime), "".join(describe)


def load(queries_dir: Path, root: Path) -> list[QueryFile]:
    """Every query file of `queries_dir`, sorted by group name."""
    files = []
    for path in sorted(queries_dir.glob("*.sql")):
        try:
            rel = path.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            rel = f"sql/queries/{path.name}"
        files.append(parse_file(path, rel))
    return files
