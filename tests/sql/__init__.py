"""SQL-level tests of the schema (sql/migrations) against a real PostgreSQL server."""
