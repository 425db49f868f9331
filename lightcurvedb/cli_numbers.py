"""Command-line numbers and lists, each checked where it is parsed: one helper for every `lcdb` option."""

from __future__ import annotations

import argparse
import math
import os
from collections.abc import Callable

BIGINT_MAX = 2**63 - 1
MAX_SECTOR = 100_000  # the FITS reader's own bound on SECTOR
WORKERS_PER_CPU = 4


def _parse(text: str, kind: type[int] | type[float]) -> int | float | None:
    try:
        value = kind(text.strip())
    except (ValueError, OverflowError):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def number(what: str, kind: type[int] | type[float], low: float | None = None, high: float | None = None, *,
           high_open: bool = False) -> Callable[[str], int | float]:
    """An argparse `type=` for a `kind` number in [low, high] (or [low, high) with `high_open`), refused in one
    line naming what it is and its range: `--ra: a right ascension in degrees, 0 <= RA < 360, got '400'`."""
    def shown(bound: float) -> str:
        return f"{int(bound):,}" if kind is int else f"{bound:g}"

    bounds = " ".join(filter(None, [f"{shown(low)} <=" if low is not None else "", "x",
                                    f"{'<' if high_open else '<='} {shown(high)}" if high is not None else ""]))

    def parse(text: str) -> int | float:
        value = _parse(text, kind)
        ok = value is not None and (low is None or value >= low) and (
            high is None or (value < high if high_open else value <= high))
        if not ok or value is None:
            raise argparse.ArgumentTypeError(f"{what}, {bounds}, got {text!r}")
        return value

    return parse


def workers_bound() -> int:
    """The most worker processes a command starts on this machine: WORKERS_PER_CPU per CPU it has."""
    return WORKERS_PER_CPU * (os.cpu_count() or 1)


def workers(text: str) -> int:
    """`--jobs`/`--workers N`: 1 to `workers_bound()`."""
    return int(number(f"a number of worker processes ({WORKERS_PER_CPU} per CPU here)", int, 1,
                      workers_bound())(text))


def tic(text: str) -> int:
    """A TIC id: a positive catalog number that fits the database's bigint."""
    return int(number("a TIC id (a positive whole number)", int, 1, BIGINT_MAX)(text))


def sector_list(text: str) -> list[int]:
    """`N[,M…]`: TESS sector numbers separated by commas, no empty item."""
    items = text.split(",")
    sector = number("sectors are whole numbers separated by commas", int, 1, MAX_SECTOR)
    if any(not item.strip() for item in items):
        raise argparse.ArgumentTypeError(f"sectors are whole numbers separated by commas (no empty item), got {text!r}")
    return [int(sector(item)) for item in items]


def sector_ranges(text: str) -> list[int]:
    """`A-B[,N…]`: TESS sectors as ranges (inclusive) and numbers separated by commas."""
    sector = number("sectors are whole numbers, ranges A-B, separated by commas", int, 1, MAX_SECTOR)
    out: set[int] = set()
    for item in text.split(","):
        low, dash, high = item.strip().partition("-")
        if not low or (dash and not high):
            raise argparse.ArgumentTypeError(f"sectors are whole numbers and ranges A-B separated by commas, "
                                             f"got {text!r}")
        first, last = int(sector(low)), int(sector(high)) if dash else int(sector(low))
        if last < first:
            raise argparse.ArgumentTypeError(f"a sector range runs upwards (A-B with A <= B), got {item.strip()!r}")
        out.update(range(first, last + 1))
    return sorted(out)


def column_list(text: str) -> list[str]:
    """`--columns a,b,c` as names (lower-cased; checked against what the read holds when it runs)."""
    names = [c.strip().lower() for c in text.split(",") if c.strip()]
    if not names:
        raise argparse.ArgumentTypeError(f"columns are names separated by commas, got {text!r}")
    return names


release = number("a release number", int, 1, 2**31 - 1)
right_ascension = number("a right ascension in degrees", float, 0, 360, high_open=True)
declination = number("a declination in degrees", float, -90, 90)
arcseconds = number("a radius in arcseconds", float, 0, 180 * 3600)
magnitude = number("a magnitude", float, -30, 100)
limit = number("a number of targets", int, 1, 10_000_000)
days = number("a period in days", float, 1e-6, 1e6)
