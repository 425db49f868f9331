"""Nullability from the query text: the tables on the nullable side of outer joins (via pglast)."""

from __future__ import annotations

import json
from typing import Any


def outer_join_tables(statement: str) -> set[str]:
    """Names of the tables on the nullable side of an outer join (pglast); empty if pglast is missing."""
    try:
        from pglast.parser import parse_sql_json
    except ImportError:  # pragma: no cover - pglast is a dev dependency
        return set()
    tree = json.loads(parse_sql_json(statement))
    found: set[str] = set()

    def relnames(node: Any) -> set[str]:
        out: set[str] = set()
        if isinstance(node, dict):
            if "RangeVar" in node:
                out.add(node["RangeVar"]["relname"])
            for v in node.values():
                out |= relnames(v)
        elif isinstance(node, list):
            for v in node:
                out |= relnames(v)
        return out

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            join = node.get("JoinExpr")
            if isinstance(join, dict):
                kind = join.get("jointype")
                if kind in ("JOIN_LEFT", "JOIN_FULL"):
                    found.update(relnames(join.get("rarg")))
                if kind in ("JOIN_RIGHT", "JOIN_FULL"):
                    found.update(relnames(join.get("larg")))
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(tree)
    return found


def aggregate_without_group_by(statement: str, aggregates: set[str]) -> bool:
    """True when `statement` always returns exactly one row: a plain SELECT (no set operation) without GROUP BY,
    HAVING, LIMIT or OFFSET whose select list calls an aggregate (a name in `aggregates`, not as a window function,
    not inside a subquery). PostgreSQL then returns one row even when no row matches (count(*) is 0).
    """
    try:
        from pglast.parser import parse_sql_json
    except ImportError:  # pragma: no cover - pglast is a dev dependency
        return False
    stmts = json.loads(parse_sql_json(statement)).get("stmts", [])
    if len(stmts) != 1 or "SelectStmt" not in stmts[0].get("stmt", {}):
        return False
    select = stmts[0]["stmt"]["SelectStmt"]
    if select.get("op", "SETOP_NONE") != "SETOP_NONE" or select.get("valuesLists"):
        return False
    if any(select.get(k) for k in ("groupClause", "havingClause", "limitCount", "limitOffset")):
        return False

    def calls_aggregate(node: Any) -> bool:
        if isinstance(node, dict):
            if "SelectStmt" in node or "SubLink" in node:
                return False  # an aggregate of a subquery does not make the outer query aggregate
            call = node.get("FuncCall")
            if isinstance(call, dict) and "over" not in call:
                name = call["funcname"][-1]["String"]["sval"]
                if name in aggregates:
                    return True
            return any(calls_aggregate(v) for v in node.values())
        if isinstance(node, list):
            return any(calls_aggregate(v) for v in node)
        return False

    return any(calls_aggregate(t.get("ResTarget", {}).get("val")) for t in select.get("targetList", []))
