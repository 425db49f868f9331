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
