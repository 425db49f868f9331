"""Generate every file in memory, then write them or compare them with the tree (`--check`)."""

from __future__ import annotations

import difflib
from pathlib import Path

import psycopg

from codegen import docs, packages, queryfiles, render, schema
from codegen.model import Resolver

ROOT = Path(__file__).resolve().parent.parent
OUTPUT_DIRS = {"lightcurvedb/records": "*.py", "lightcurvedb/queries": "*.py", docs.DIR: "*.md",
               packages.API_DIR: "*.md"}
"""Folders holding only generated files (of this pattern; a package's __init__.py is not generated)."""
OUTPUT_FILES = (schema.PATH, packages.PATH)  # generated files outside the generated folders


def generate(migrated_dsn: str, queries_dir: Path | None = None, root: Path = ROOT) -> dict[str, str]:
    """{relative path: content} of every generated file, from a migrated database and the query files."""
    files = queryfiles.load(queries_dir or root / "sql" / "queries", root)
    with psycopg.connect(migrated_dsn, autocommit=True) as conn:
        resolver = Resolver(conn, files)
        groups = resolver.resolve()
        facts = schema.read(conn, resolver.catalog)
        out: dict[str, str] = {schema.PATH: schema.render(facts), packages.PATH: packages.render(root),
                               **packages.render_api(root), **docs.render(conn, root)}
    for group in groups:
        out[f"lightcurvedb/records/{group.file.group}.py"] = render.records_module(group)
        out[f"lightcurvedb/queries/{group.file.group}.py"] = render.queries_module(group)
    return dict(sorted(out.items()))


def existing(root: Path = ROOT) -> dict[str, str]:
    """The generated files now in the tree: every file of the output directories' pattern except the package
    markers (`__init__.py`), which hold no generated code. Hand-written files live outside these directories."""
    out: dict[str, str] = {}
    for d, pattern in OUTPUT_DIRS.items():
        for path in sorted((root / d).glob(pattern)):
            if path.name != "__init__.py":
                out[f"{d}/{path.name}"] = path.read_text(encoding="utf-8")
    for rel in OUTPUT_FILES:
        if (root / rel).exists():
            out[rel] = (root / rel).read_text(encoding="utf-8")
    return out


def differences(generated: dict[str, str], current: dict[str, str]) -> list[str]:
    """Unified diffs (one string per stale, missing or extra file); empty when the tree is up to date."""
    diffs = []
    for rel in sorted(set(generated) | set(current)):
        new, old = generated.get(rel), current.get(rel)
        if new == old:
            continue
        if old is None:
            diffs.append(f"missing: {rel} (not generated yet)")
        elif new is None:
            diffs.append(f"extra: {rel} (no sql/queries file generates it)")
        else:
            diff = difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True),
                                        f"a/{rel}", f"b/{rel}", n=2)
            diffs.append(f"stale: {rel}\n" + "".join(diff))
    return diffs


def write(generated: dict[str, str], root: Path = ROOT) -> list[str]:
    """Write changed files, delete extra ones; return the relative paths touched."""
    touched = []
    current = existing(root)
    for rel, content in generated.items():
        if current.get(rel) != content:
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content, encoding="utf-8")
            touched.append(rel)
    for rel in sorted(set(current) - set(generated)):
        (root / rel).unlink()
        touched.append(rel)
    return touched
