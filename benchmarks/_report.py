"""What a benchmark prints: its figures with their goals, as a table or as one JSON object on stdout."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import sys
import time
from collections.abc import Callable
from typing import Any

Goals = dict[str, tuple[str, float | bool]]
Log = Callable[[str], None]
DEFAULT_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"


def arguments(prog: str, description: str | None, *, quick: str) -> argparse.ArgumentParser:
    """The options every benchmark takes: --quick (what it does, `quick`), --dsn and --json."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("--quick", action="store_true", help=quick)
    parser.add_argument("--dsn", default=os.environ.get("LCDB_BENCH_DSN", DEFAULT_DSN),
                        help="superuser DSN of the server (default: LCDB_BENCH_DSN or %(default)s)")
    parser.add_argument("--json", action="store_true", help="print only one JSON object on stdout (progress: stderr)")
    return parser


def measure(as_json: bool, run: Callable[[Log], dict[str, Any]]) -> int:
    """Run the benchmark (progress lines to `log`; with --json, stdout carries the JSON object only, so progress
    and the migrations' output go to stderr) and print its figures."""
    t0 = time.perf_counter()
    with contextlib.redirect_stdout(sys.stderr) if as_json else contextlib.nullcontext():
        result = run(lambda line: print(line, flush=True))
    emit(result, elapsed_s=time.perf_counter() - t0, as_json=as_json)
    return 0


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
