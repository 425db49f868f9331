"""Back-off between retries of transient failures (deadlock, serialization failure, a concurrent unique race)."""

from __future__ import annotations

import random
import time


def backoff(attempt: int, *, base: float) -> None:
    """Sleep before retry `attempt`: exponential from `base` seconds, capped at 2 s, with jitter."""
    time.sleep(min(2.0, base * 2**attempt) * (0.5 + random.random()))  # noqa: S311
