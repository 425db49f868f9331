"""Parsing annotated query files: placeholders, directives, refusals; describe errors name the query."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from codegen import output
from codegen.model import ModelError
from codegen.nullability import aggregate_without_group_by, outer_join_tables
from codegen.queryfiles import QueryFileError, convert_placeholders, parse_file


def test_placeholders_skip_casts_literals_comments_and_slices() -> None:
    params, runtime, described = convert_placeholders(
        "SELECT :a::int, a[1:n], ':x', \"c:d\", :b, :a -- :c\nFROM t WHERE s LIKE 'x%'")
    assert params == ["a", "b"]
    assert runtime == "SELECT %(a)s::int, a[1:n], ':x', \"c:d\", %(b)s, %(a)s -- :c\nFROM t WHERE s LIKE 'x%%'"
    assert described.startswith("SELECT $1::int, a[1:n], ':x', \"c:d\", $2, $1")


def test_directives(tmp_path: Path) -> None:
    path = tmp_path / "g.sql"
    path.write_text("-- The g group.\n-- tables: a, b\n\n-- name: get_x :opt\n-- Get x.\n-- nullable: p\n"
                    "-- not-null: q, r\n-- optional: id\nSELECT p, q, r FROM x WHERE id = :id;\n")
    f = parse_file(path, "sql/queries/g.sql")
    assert (f.group, f.doc, f.tables) == ("g", "The g group.", ["a", "b"])
    [q] = f.queries
    assert (q.kind, q.description, q.nullable, q.not_null, q.optional, q.params) == (
        "opt", "Get x.", {"p"}, {"q", "r"}, {"id"}, ["id"])


@pytest.mark.parametrize("text", [
    "-- name: x :bogus\n-- d\nSELECT 1;",
    "-- name: x :one\nSELECT 1;",
    "-- name: x :one\n-- d\nSELECT 1; SELECT 2;",
    "-- name: x :copy\n-- d\nINSERT INTO t VALUES (1);",
])
def test_malformed_queries_are_refused(tmp_path: Path, text: str) -> None:
    path = tmp_path / "bad.sql"
    path.write_text(text)
    with pytest.raises(QueryFileError, match=r"bad\.sql:1"):
        parse_file(path, "sql/queries/bad.sql")


def test_outer_join_sides() -> None:
    assert outer_join_tables("SELECT 1 FROM a LEFT JOIN b ON true JOIN c ON true RIGHT JOIN d ON true") == {
        "b", "a", "c"}
    assert outer_join_tables("SELECT 1 FROM a FULL JOIN b ON true") == {"a", "b"}


def test_describe_error_names_the_query(migrated_dsn: str, tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[2]
    queries = tmp_path / "q"
    queries.mkdir()
    for p in (root / "sql" / "queries").glob("*.sql"):
        (queries / p.name).write_text(p.read_text())
    (queries / "missions.sql").write_text((queries / "missions.sql").read_text()
                                          + "\n-- name: broken :many\n-- Broken.\nSELECT nope FROM mission;\n")
    with pytest.raises(Exception, match=r"missions.sql:\d+: PostgreSQL refuses query broken"):
        output.generate(migrated_dsn, queries)
    with psycopg.connect(migrated_dsn) as conn:  # nothing prepared is left behind
        assert conn.execute("SELECT count(*) FROM pg_prepared_statements").fetchone() == (0,)


def _copy_queries(tmp_path: Path) -> Path:
    root = Path(__file__).resolve().parents[2]
    queries = tmp_path / "q"
    queries.mkdir()
    for p in (root / "sql" / "queries").glob("*.sql"):
        (queries / p.name).write_text(p.read_text())
    return queries


def test_polymorphic_query_reads_the_view(migrated_dsn: str, tmp_path: Path) -> None:
    queries = _copy_queries(tmp_path)
    path = queries / "observations.sql"
    path.write_text(path.read_text().replace("SELECT * FROM observation_with_subtypes WHERE id = :id;",
                                             "SELECT * FROM observation WHERE id = :id;"))
    with pytest.raises(ModelError, match="selects exactly the columns of the view observation_with_subtypes"):
        output.generate(migrated_dsn, queries)
    generated = output.generate(migrated_dsn)["lightcurvedb/queries/observations.py"]
    polymorphic = [q for q in generated.split('LiteralString = """')[1:] if "observation_with_subtypes" in q]
    assert len(polymorphic) >= 4  # get_observation, list_… of instrument/sector, find_tess_observation
    for statement in polymorphic:  # the view is the join: no per-query LEFT JOIN to the extension tables
        assert "LEFT JOIN" not in statement.split('"""')[0]


def test_a_view_not_matching_the_extension_tables_is_refused(fresh_dsn: str) -> None:
    with psycopg.connect(fresh_dsn, autocommit=True) as conn:
        conn.execute("ALTER VIEW observation_with_subtypes RENAME COLUMN tess_observation__sector TO sector")
    with pytest.raises(ModelError, match=r"view observation_with_subtypes has columns.*tess_observation__sector.*"
                                         r"recreate it"):
        output.generate(fresh_dsn)


@pytest.mark.parametrize(("statement", "one_row"), [
    ("SELECT count(*) AS n FROM t WHERE a = $1", True),
    ("SELECT coalesce(max(x), 0) FROM t", True),
    ("WITH c AS (SELECT 1 AS x) SELECT sum(x) FROM c", True),
    ("SELECT count(*) FROM t GROUP BY a", False),
    ("SELECT count(*) FROM t HAVING count(*) > 1", False),
    ("SELECT count(*) FROM t LIMIT $1", False),
    ("SELECT count(*) OVER () FROM t", False),
    ("SELECT (SELECT count(*) FROM u) FROM t", False),
    ("SELECT id FROM t WHERE a = $1", False),
    ("SELECT count(*) FROM t UNION ALL SELECT count(*) FROM u", False),
])
def test_aggregate_without_group_by(statement: str, one_row: bool) -> None:
    assert aggregate_without_group_by(statement, {"count", "max", "sum"}) is one_row


def test_scalar_docstrings(migrated_dsn: str) -> None:
    from lightcurvedb.queries import frames, targets

    generated = output.generate(migrated_dsn)
    assert generated["lightcurvedb/queries/targets.py"].count("Always returns a value") == 1
    assert "NotFound" not in (frames.count_frames_of_observation.__doc__ or "")
    assert "NotFound" not in (targets.count_targets_of_catalog.__doc__ or "")
    assert "NotFound" in (targets.find_target_id.__doc__ or "")


def test_an_aggregate_scalar_returns_zero_when_nothing_matches(conn: psycopg.Connection[object]) -> None:
    from lightcurvedb.queries import frames

    assert frames.count_frames_of_observation(conn, observation_id=-1) == 0
