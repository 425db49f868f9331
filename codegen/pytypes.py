"""PostgreSQL type names → Python annotations (and the imports they need)."""

from __future__ import annotations

from codegen.database import PgType

Imports = set[tuple[str, str | None]]  # (module, name): ("uuid", None) is `import uuid`

_SCALARS: dict[str, tuple[str, tuple[str, str | None] | None]] = {
    "bool": ("bool", None),
    "int2": ("int", None),
    "int4": ("int", None),
    "int8": ("int", None),
    "oid": ("int", None),
    "float4": ("float", None),
    "float8": ("float", None),
    "numeric": ("decimal.Decimal", ("decimal", None)),
    "text": ("str", None),
    "varchar": ("str", None),
    "bpchar": ("str", None),
    "name": ("str", None),
    "uuid": ("uuid.UUID", ("uuid", None)),
    "timestamptz": ("datetime.datetime", ("datetime", None)),
    "timestamp": ("datetime.datetime", ("datetime", None)),
    "date": ("datetime.date", ("datetime", None)),
    "interval": ("datetime.timedelta", ("datetime", None)),
    "jsonb": ("dict[str, Any]", ("typing", "Any")),
    "json": ("dict[str, Any]", ("typing", "Any")),
    "bytea": ("bytes", None),
}
_ARRAYS = {
    "float4[]": "Float32Array",
    "float8[]": "Float64Array",
    "int2[]": "Int16Array",
    "int4[]": "Int32Array",
    "int8[]": "Int64Array",
    "bool[]": "BoolArray",
}
TYPES_MODULE = "lightcurvedb.record"


class UnsupportedType(Exception):
    """A column or parameter type codegen has no Python mapping for."""


def annotation(t: PgType, imports: Imports, *, nullable: bool = False) -> str:
    """The Python annotation of a value of type `t` (`| None` when nullable); records needed imports."""
    if t.schema != "pg_catalog":
        raise UnsupportedType(f"type {t.schema}.{t.name} is user-defined; codegen maps built-in types only")
    if t.name in _ARRAYS:
        base = _ARRAYS[t.name]
        imports.add((TYPES_MODULE, base))
    elif t.name.endswith("[]") and t.name[:-2] in _SCALARS:
        inner, imp = _SCALARS[t.name[:-2]]
        if imp:
            imports.add(imp)
        base = f"list[{inner}]"
    elif t.name in _SCALARS:
        base, imp = _SCALARS[t.name]
        if imp:
            imports.add(imp)
    else:
        raise UnsupportedType(f"type {t.name} has no Python mapping in codegen")
    return f"{base} | None" if nullable else base


def is_json(t: PgType) -> bool:
    """True for json/jsonb: parameters are wrapped in psycopg's Jsonb."""
    return t.name in ("json", "jsonb")


def camel(snake: str) -> str:
    """snake_case → CamelCase."""
    return "".join(part[:1].upper() + part[1:] for part in snake.split("_") if part)
