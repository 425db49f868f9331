"""Which of a primary and its hot standbys can serve reads now: reachable, and replayed up to the primary."""

from __future__ import annotations

import time
import warnings
from collections.abc import Sequence
from typing import Any

import psycopg

from lightcurvedb.config import redact, scrub
from lightcurvedb.connection import session_dsn
from lightcurvedb.errors import NoServerAvailable

DEFAULT_MAX_LAG_SECONDS = 10.0
"""How long a standby may take to replay up to the primary's WAL position before it is skipped."""


class ReplicaSkipped(UserWarning):
    """A server given for reads was skipped (unreachable, or lagging behind the primary); others read instead."""


def _open(dsn: str) -> psycopg.Connection[Any]:
    return psycopg.connect(session_dsn(dsn), connect_timeout=5, autocommit=True)


def usable(dsns: Sequence[str], *, max_lag_seconds: float = DEFAULT_MAX_LAG_SECONDS) -> list[str]:
    """The servers of `dsns` (a primary and its standbys, in any order) that can serve reads, in the given order.

    An unreachable server is skipped with a ReplicaSkipped warning. When a primary is among them, each standby
    must replay up to the primary's current WAL position within `max_lag_seconds` (so it holds everything
    committed before the call), else it too is skipped with a warning. NoServerAvailable when none is left.
    """
    if not dsns:
        raise NoServerAvailable("no database given to read from")
    states: dict[str, bool] = {}  # dsn -> in recovery (a standby)
    for dsn in dsns:
        try:
            with _open(dsn) as conn:
                states[dsn] = bool(conn.execute("SELECT pg_is_in_recovery()").fetchone()[0])  # type: ignore[index]
        except psycopg.OperationalError as exc:
            warnings.warn(f"{redact(dsn)} skipped: {scrub(str(exc).strip(), dsn)}", ReplicaSkipped, stacklevel=2)
    primary = next((d for d, standby in states.items() if not standby), None)
    if primary is not None and any(states.values()):
        with _open(primary) as conn:
            position = conn.execute("SELECT pg_current_wal_lsn()::text").fetchone()[0]  # type: ignore[index]
        for dsn in [d for d, standby in states.items() if standby]:
            if not _replayed(dsn, position, max_lag_seconds):
                warnings.warn(f"{redact(dsn)} skipped: it has not replayed the primary's WAL up to {position} "
                              f"within {max_lag_seconds:g} s", ReplicaSkipped, stacklevel=2)
                del states[dsn]
    if not states:
        raise NoServerAvailable(f"none of {len(dsns)} database(s) can serve reads: {', '.join(map(redact, dsns))}")
    return [d for d in dsns if d in states]


def _replayed(dsn: str, position: str, max_lag_seconds: float) -> bool:
    deadline = time.monotonic() + max_lag_seconds
    try:
        with _open(dsn) as conn:
            while True:
                row = conn.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [position]).fetchone()
                if row is not None and row[0]:
                    return True
                if time.monotonic() >= deadline:
                    return False
                time.sleep(0.05)
    except psycopg.OperationalError:
        return False
