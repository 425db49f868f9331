"""COMMENT ON everything: every table, column, constraint, index, trigger, view and function explains itself."""

from __future__ import annotations

from typing import Any

import psycopg

Conn = psycopg.Connection[Any]
UNCOMMENTED = """
SELECT 'relation', c.relname FROM pg_class AS c
WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm') AND NOT c.relispartition
  AND c.relname NOT LIKE '%%yoyo%%' AND obj_description(c.oid, 'pg_class') IS NULL
UNION ALL
SELECT 'column', t.relname || '.' || a.attname FROM pg_attribute AS a JOIN pg_class AS t ON t.oid = a.attrelid
WHERE t.relnamespace = 'public'::regnamespace AND t.relkind IN ('r', 'p', 'v', 'm') AND NOT t.relispartition
  AND t.relname NOT LIKE '%%yoyo%%' AND a.attnum > 0 AND NOT a.attisdropped AND col_description(t.oid, a.attnum) IS NULL
UNION ALL
SELECT 'constraint', con.conname FROM pg_constraint AS con JOIN pg_class AS t ON t.oid = con.conrelid
WHERE t.relnamespace = 'public'::regnamespace AND NOT t.relispartition AND t.relname NOT LIKE '%%yoyo%%'
  AND con.conparentid = 0 AND con.contype <> 'n' AND obj_description(con.oid, 'pg_constraint') IS NULL
UNION ALL
SELECT 'index', i.relname FROM pg_index AS x JOIN pg_class AS i ON i.oid = x.indexrelid
JOIN pg_class AS t ON t.oid = x.indrelid
WHERE t.relnamespace = 'public'::regnamespace AND NOT t.relispartition AND t.relname NOT LIKE '%%yoyo%%'
  AND obj_description(i.oid, 'pg_class') IS NULL
  AND NOT EXISTS (SELECT 1 FROM pg_constraint AS con WHERE con.conindid = i.oid AND con.conrelid = t.oid)
UNION ALL
SELECT 'trigger', tg.tgname FROM pg_trigger AS tg JOIN pg_class AS t ON t.oid = tg.tgrelid
WHERE t.relnamespace = 'public'::regnamespace AND NOT tg.tgisinternal AND tg.tgparentid = 0
  AND obj_description(tg.oid, 'pg_trigger') IS NULL
UNION ALL
SELECT 'function', p.oid::regprocedure::text FROM pg_proc AS p
WHERE p.pronamespace = 'public'::regnamespace AND obj_description(p.oid, 'pg_proc') IS NULL
ORDER BY 1, 2
"""


def test_every_object_of_the_schema_carries_a_comment(raw_conn: Conn) -> None:
    assert raw_conn.execute(UNCOMMENTED).fetchall() == []


def test_the_check_sees_a_missing_comment(raw_conn: Conn) -> None:
    raw_conn.execute("COMMENT ON INDEX ix_dataset_target IS NULL")
    raw_conn.execute("CREATE TABLE public.no_comment (id int)")
    missing = raw_conn.execute(UNCOMMENTED).fetchall()
    assert ("index", "ix_dataset_target") in missing and ("relation", "no_comment") in missing
    assert ("column", "no_comment.id") in missing
