"""The generated documentation: schema pages from the catalog, the ER diagram, the package map and API pages."""

from __future__ import annotations

import re
from pathlib import Path

import psycopg
import pytest

from codegen import docs, output, packages
from codegen.model import ModelError

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def pages(migrated_dsn: str) -> dict[str, str]:
    with psycopg.connect(migrated_dsn, autocommit=True) as conn:
        return docs.render(conn, ROOT)


def test_every_table_view_and_function_is_on_the_page_of_its_migration(migrated_dsn: str,
                                                                       pages: dict[str, str]) -> None:
    with psycopg.connect(migrated_dsn, autocommit=True) as conn:
        relations = conn.execute(
            "SELECT relname, coalesce(obj_description(oid, 'pg_class'), '') FROM pg_class "
            "WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'p', 'v', 'm') "
            "AND NOT relispartition AND relname NOT LIKE '%yoyo%'").fetchall()
        functions = conn.execute("SELECT oid::regprocedure::text FROM pg_proc "
                                 "WHERE pronamespace = 'public'::regnamespace").fetchall()
    body = "\n".join(pages.values())
    assert relations and functions
    for name, comment in relations:
        assert re.search(rf"^### \w[\w ]* `{name}`$", body, re.MULTILINE), name
        assert comment and docs._md(comment) in body, name  # every relation carries a COMMENT ON
    for (signature,) in functions:
        assert f"### Function `{signature}`" in body, signature
    assert "## Tables" in pages[f"{docs.DIR}/0003.data.md"] and "`dataset`" in pages[f"{docs.DIR}/0003.data.md"]
    assert "Partitioned by `LIST (observation_id)`" in pages[f"{docs.DIR}/0003.data.md"]


def test_the_diagram_draws_every_foreign_key_between_tables(migrated_dsn: str, pages: dict[str, str]) -> None:
    with psycopg.connect(migrated_dsn, autocommit=True) as conn:
        keys = conn.execute("SELECT conname FROM pg_constraint WHERE contype = 'f' AND conparentid = 0 "
                            "AND connamespace = 'public'::regnamespace").fetchall()
    index = pages[f"{docs.DIR}/index.md"]
    diagram = index.split("```{mermaid}", 1)[1].split("```", 1)[0]
    assert diagram.lstrip().startswith("erDiagram")
    for (name,) in keys:
        assert f': "{name}"' in diagram, name


def test_an_object_no_migration_creates_is_refused(fresh_dsn: str) -> None:
    with psycopg.connect(fresh_dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE public.made_by_hand (id int)")
        with pytest.raises(ModelError, match="made_by_hand"):
            docs.render(conn, ROOT)


def test_markdown_escaping_keeps_the_text() -> None:
    text = "a <id> | b * c_d [x](y) `z` #1"
    escaped = docs._md(text)
    assert "<id>" not in escaped and re.sub(r"\\(.)", r"\1", escaped) == text


def test_the_package_map_and_api_pages_cover_every_part() -> None:
    generated = output.existing()
    picture = generated[packages.PATH]
    subpackages = sorted(p.name for p in (ROOT / "lightcurvedb").iterdir()
                         if p.is_dir() and (p / "__init__.py").exists())
    for name in [*subpackages, packages.CORE]:
        assert f"    {name}[{name}]" in picture, name
        if name != packages.CLI:
            assert f"{packages.API_DIR}/{name}.md" in generated, name


def test_the_changelog_lists_every_migration_once() -> None:
    text = (ROOT / "docs" / "changelog.md").read_text(encoding="utf-8")
    names = sorted(p.name.removesuffix(".sql") for p in (ROOT / "sql" / "migrations").glob("*.sql")
                   if not p.name.endswith(".rollback.sql"))
    listed = re.findall(r"^- `(\d{4}\.\w+)`", text, re.MULTILINE)
    assert sorted(listed) == names
