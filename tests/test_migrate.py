"""Migrations on demand and the schema-version check of `connect()`."""

from __future__ import annotations

import psycopg
import pytest

import lightcurvedb
from lightcurvedb import migrate
from lightcurvedb.errors import SchemaAhead, SchemaBehind, SchemaDamaged


def test_connect_to_an_unmigrated_database_says_run_lcdb_migrate(empty_dsn: str) -> None:
    with pytest.raises(SchemaBehind) as info:
        lightcurvedb.connect(empty_dsn)
    assert "lcdb migrate" in str(info.value)
    assert info.value.missing == migrate.package_migration_ids()


def test_apply_then_connect_works_and_nothing_is_pending(empty_dsn: str) -> None:
    applied = migrate.apply(empty_dsn)
    assert applied == migrate.package_migration_ids()
    assert migrate.apply(empty_dsn) == []
    with lightcurvedb.connect(empty_dsn) as conn:
        # connect() leaves no transaction open behind the caller's back
        assert conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
        assert migrate.pending_ids(conn) == []


def test_a_database_missing_the_newest_migration_is_behind(fresh_dsn: str) -> None:
    newest = migrate.package_migration_ids()[-1]
    with psycopg.connect(fresh_dsn, autocommit=True) as admin:
        admin.execute("DELETE FROM _yoyo_migration WHERE migration_id = %s", (newest,))
    with pytest.raises(SchemaBehind) as info:
        lightcurvedb.connect(fresh_dsn)
    assert info.value.missing == [newest]


def test_a_database_with_an_unknown_migration_is_ahead(fresh_dsn: str) -> None:
    with psycopg.connect(fresh_dsn, autocommit=True) as admin:
        admin.execute(
            "INSERT INTO _yoyo_migration (migration_hash, migration_id, applied_at_utc) "
            "VALUES ('x', '9999.from-the-future', now())"
        )
    with pytest.raises(SchemaAhead, match=r"9999\.from-the-future"):
        lightcurvedb.connect(fresh_dsn)


def test_check_can_be_skipped(empty_dsn: str) -> None:
    with lightcurvedb.connect(empty_dsn, check_schema=False) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)


def test_rollback_all_then_apply_again(empty_dsn: str) -> None:
    migrate.apply(empty_dsn)
    rolled = migrate.rollback_all(empty_dsn)
    assert sorted(rolled) == migrate.package_migration_ids()
    with psycopg.connect(empty_dsn) as conn:
        assert migrate.pending_ids(conn) == migrate.package_migration_ids()
    assert migrate.apply(empty_dsn) == migrate.package_migration_ids()


def test_pool_connections_carry_the_numpy_adapters(fresh_dsn: str) -> None:
    import numpy as np

    with lightcurvedb.pool(fresh_dsn, min_size=1, max_size=2) as p, p.connection() as conn:
        value = conn.execute("SELECT '{1.5,2.5}'::float8[]", binary=True).fetchone()
        assert value is not None
        assert isinstance(value[0], np.ndarray)
        assert value[0].dtype == np.float64


def test_a_database_that_lost_its_array_functions_says_run_lcdb_migrate(fresh_dsn: str) -> None:
    """What a `pg_restore --no-owner` by an ordinary role leaves (it cannot create the internal functions)."""
    with psycopg.connect(fresh_dsn, autocommit=True) as admin:
        admin.execute("DROP FUNCTION lcdb_unpacked(bytea, anyarray), lcdb_raw_array(bytea, anyarray), "
                      "lcdb_packed(anyarray)")
    with pytest.raises(SchemaDamaged, match=r"lcdb_packed\(anyarray\); run `lcdb migrate`"):
        lightcurvedb.connect(fresh_dsn)
    assert any(line.startswith("repaired: the array functions were missing") for line in migrate.repair(fresh_dsn))
    lightcurvedb.connect(fresh_dsn).close()
