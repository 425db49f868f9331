"""Fixtures of the NumPy adapter tests: `np_conn` is the root `raw_conn` with the adapters registered."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from lightcurvedb.adapters import register


@pytest.fixture
def np_conn(raw_conn: psycopg.Connection[Any]) -> psycopg.Connection[Any]:
    """The rolled-back `raw_conn` with `lightcurvedb.adapters.register()` applied to it."""
    register(raw_conn)
    return raw_conn
