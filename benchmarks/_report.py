"""What a benchmark prints: its figures with their goals, as a table or as one JSON object on stdout."""

from __future__ import annotations

import json
import os
import platform
from typing import Any

Goals = dict[str, tuple[str, float | bool]]


def _met(value: Any, how: str, goal: float | bool) -> bool:
    if how == "==":
        return bool(value == goal)
    if not isinstance(value, int | float) or isinstance(value, bool):
        return False
    return value <= goal if how == "<=" else value >= goal


def add_goals(out: dict[str, Any], goals: Goals) -> None:
    """Record each goal ("<= 5.0") and whether the figure of that name meets it."""
    out["goals"] = {k: f"{how} {goal}" for k, (how, goal) in goals.items()}
    out["goals_met"] = {k: _met(out.get(k), how, goal) for k, (how, goal) in goals.items()}


def emit(result: dict[str, Any], *, elapsed_s: float, as_json: bool) -> None:
    """Add the run's duration and machine, then print one JSON object (`as_json`) or one line per figure."""
    result["elapsed_s"] = round(elapsed_s, 1)
    result["machine"] = f"{platform.machine()} {os.cpu_count()} cpu, Python {platform.python_version()}"
    if as_json:
        print(json.dumps(result, sort_keys=True))
        return
    width = max(map(len, result))
    for key, value in result.items():
        print(f"{key:<{width}}  {value}")
