"""get-or-create queries return the concurrent inserter's row instead of failing (READ COMMITTED race)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import psycopg

import lightcurvedb
from lightcurvedb.queries import missions, processing, targets


def _race(dsn: str, call: Callable[[psycopg.Connection[Any]], Any]) -> tuple[Any, Any]:
    """`call` on connection A (left uncommitted), then on B (must wait for A), then A commits."""
    with lightcurvedb.connect(dsn) as a, lightcurvedb.connect(dsn) as b:
        first = call(a)
        result: dict[str, Any] = {}

        def second() -> None:
            try:
                result["row"] = call(b)
                b.commit()
            except Exception as e:  # reported below
                result["error"] = e

        thread = threading.Thread(target=second)
        thread.start()
        time.sleep(0.3)
        assert thread.is_alive(), "B should wait for A's uncommitted insert of the same key"
        a.commit()
        thread.join(timeout=30)
        assert "error" not in result, result.get("error")
        return first, result["row"]


def test_get_or_create_target_race(fresh_dsn: str) -> None:
    with lightcurvedb.connect(fresh_dsn) as conn:
        mission = missions.create_mission(conn, name="TESS", time_unit="d", time_epoch=2457000.0,
                                          time_epoch_scale="tdb", time_epoch_format="jd", time_format_name="btjd")
        catalog = missions.create_catalog(conn, host_mission_id=mission.id, name="TIC")
        conn.commit()
    first, second = _race(fresh_dsn, lambda c: targets.get_or_create_target(c, catalog_id=catalog.id, name=42))
    assert second.id == first.id


def test_get_or_create_source_and_method_race(fresh_dsn: str) -> None:
    a, b = _race(fresh_dsn, lambda c: processing.get_or_create_photometric_source(c, name="SPOC SAP"))
    assert a.id == b.id
    a, b = _race(fresh_dsn, lambda c: processing.get_or_create_detrending_method(c, name="PDC"))
    assert a.id == b.id
