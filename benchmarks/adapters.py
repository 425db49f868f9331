"""Benchmark: NumPy binary array adapters vs psycopg's default list paths (encode, decode, SELECT).

Run ``python -m benchmarks.adapters [--rows N] [--elements N] [--json]``; connects to
``LCDB_BENCH_DSN`` (default ``postgresql://postgres@127.0.0.1:5432/postgres``) and uses temp tables only.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
import timeit
from collections.abc import Callable
from typing import Any

import numpy as np
import psycopg
from psycopg import pq
from psycopg.adapt import PyFormat, Transformer

from lightcurvedb.adapters import register
from lightcurvedb.adapters.dumpers import Float8NdarrayDumper
from lightcurvedb.adapters.loaders import Float8NdarrayLoader

DEFAULT_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"
FLOAT8_ARRAY_OID = 1022


def _per_call(fn: Callable[[], object], repeat: int = 7, min_time: float = 0.2) -> float:
    """Median seconds per call over `repeat` runs, each long enough to time reliably."""
    timer = timeit.Timer(fn)
    number, _ = timer.autorange()
    number = max(1, int(number * min_time / 0.2))
    return statistics.median(t / number for t in timer.repeat(repeat=repeat, number=number))


def codec(elements: int) -> dict[str, float]:
    """Encode/decode of one `elements`-long float8 array, in microseconds per array."""
    rng = np.random.default_rng(0)
    arr = rng.standard_normal(elements)
    values = arr.tolist()
    tx = Transformer()
    ours_dump = Float8NdarrayDumper(np.ndarray, tx)
    list_dump = tx.get_dumper(values, PyFormat.BINARY)
    list_text_dump = tx.get_dumper(values, PyFormat.TEXT)
    data = bytes(ours_dump.dump(arr) or b"")
    text = bytes(list_text_dump.dump(values) or b"")
    assert bytes(list_dump.dump(values) or b"") == data
    ours_load = Float8NdarrayLoader(FLOAT8_ARRAY_OID, tx)
    list_load = tx.get_loader(FLOAT8_ARRAY_OID, pq.Format.BINARY)
    text_load = tx.get_loader(FLOAT8_ARRAY_OID, pq.Format.TEXT)
    assert np.array_equal(ours_load.load(data), np.array(list_load.load(data)))
    us = 1e6
    return {
        "encode_ndarray_us": _per_call(lambda: ours_dump.dump(arr)) * us,
        "encode_list_binary_us": _per_call(lambda: list_dump.dump(values)) * us,
        "encode_ndarray_tolist_binary_us": _per_call(lambda: list_dump.dump(arr.tolist())) * us,
        "decode_ndarray_us": _per_call(lambda: ours_load.load(data)) * us,
        "decode_list_binary_us": _per_call(lambda: list_load.load(data)) * us,
        "decode_list_text_us": _per_call(lambda: text_load.load(text)) * us,
        "decode_list_binary_to_ndarray_us": _per_call(lambda: np.array(list_load.load(data))) * us,
    }


def _fill(conn: psycopg.Connection[Any], rows: int, elements: int) -> float:
    """Create and fill the temp table once (server-generated random arrays); return seconds taken."""
    t0 = time.perf_counter()
    conn.execute("CREATE TEMP TABLE bench_arrays (id int PRIMARY KEY, a float8[] NOT NULL)")
    conn.execute("ALTER TABLE bench_arrays ALTER a SET STORAGE EXTERNAL")  # no futile pglz attempts
    # 100 distinct arrays, repeated: the data volume is real, the fill stays quick.
    conn.execute(
        "INSERT INTO bench_arrays SELECT g, s.a FROM generate_series(1, %(rows)s) g "
        "JOIN (SELECT k, array_agg(random() * 1e4 - 5e3) a FROM generate_series(0, 99) k, "
        "generate_series(1, %(elements)s) e GROUP BY k) s ON s.k = g %% 100",
        {"rows": rows, "elements": elements},
    )
    conn.execute("VACUUM ANALYZE bench_arrays")
    return time.perf_counter() - t0


def _select(cur: psycopg.Cursor[Any], binary: bool) -> tuple[float, int, str]:
    """SELECT every array, fetching in batches (results are dropped); return seconds, rows, value type."""
    t0 = time.perf_counter()
    count = 0
    kind = ""
    cur.execute("SELECT a FROM bench_arrays ORDER BY id", binary=binary)
    while batch := cur.fetchmany(200):
        count += len(batch)
        kind = type(batch[-1][0]).__name__
    return time.perf_counter() - t0, count, kind


def select(dsn: str, rows: int, elements: int, repeat: int) -> dict[str, float]:
    """SELECT of `rows` float8[`elements`] arrays: ours (binary ndarray) vs psycopg text/binary lists."""
    out: dict[str, float] = {}
    with psycopg.connect(dsn, autocommit=True) as conn:
        out["fill_s"] = _fill(conn, rows, elements)
        size = conn.execute("SELECT pg_total_relation_size('bench_arrays')").fetchone()
        out["table_mb"] = (size[0] if size else 0) / 1e6
        paths = {  # name: (register our adapters on the cursor, binary results)
            "select_ndarray_binary_s": (True, True),
            "select_list_text_s": (False, False),
            "select_list_binary_s": (False, True),
        }
        for name, (ours, binary) in paths.items():
            times = []
            for _ in range(repeat):
                with conn.cursor() as cur:
                    if ours:
                        register(cur)  # this cursor only: the others keep psycopg's defaults
                    seconds, count, kind = _select(cur, binary)
                assert count == rows, (count, rows)
                assert kind == ("ndarray" if ours else "list"), kind
                times.append(seconds)
            out[name] = min(times)
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.adapters", description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000, help="arrays SELECTed (default 10000)")
    parser.add_argument("--elements", type=int, default=13_000, help="float8 elements per array (13000)")
    parser.add_argument("--repeat", type=int, default=1, help="SELECT repetitions, best kept (default 1)")
    parser.add_argument("--json", action="store_true", help="print one JSON object on the last line")
    args = parser.parse_args(argv)
    dsn = os.environ.get("LCDB_BENCH_DSN", DEFAULT_DSN)
    results: dict[str, Any] = {
        "rows": args.rows,
        "elements": args.elements,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "psycopg": psycopg.__version__,
        "psycopg_impl": pq.__impl__,
    }
    results.update(codec(args.elements))
    results.update(select(dsn, args.rows, args.elements, args.repeat))
    ratios = {
        "encode_list_binary_vs_ndarray": results["encode_list_binary_us"] / results["encode_ndarray_us"],
        "decode_list_binary_vs_ndarray": results["decode_list_binary_us"] / results["decode_ndarray_us"],
        "decode_list_text_vs_ndarray": results["decode_list_text_us"] / results["decode_ndarray_us"],
        "select_list_text_vs_ndarray": results["select_list_text_s"] / results["select_ndarray_binary_s"],
        "select_list_binary_vs_ndarray": results["select_list_binary_s"] / results["select_ndarray_binary_s"],
    }
    results["ratios"] = ratios
    _print_table(results)
    if args.json:
        print(json.dumps(results, sort_keys=True))


def _print_table(r: dict[str, Any]) -> None:
    n, rows = r["elements"], r["rows"]
    print(f"NumPy array adapters vs psycopg {r['psycopg']} ({r['psycopg_impl']}) defaults, numpy {r['numpy']}")
    print(f"\nOne float8[{n}] array                    µs per array   × ours")
    lines = [
        ("encode  ndarray → binary (ours)", "encode_ndarray_us", "encode_ndarray_us"),
        ("encode  list → binary (psycopg)", "encode_list_binary_us", "encode_ndarray_us"),
        ("encode  ndarray.tolist() → binary", "encode_ndarray_tolist_binary_us", "encode_ndarray_us"),
        ("decode  binary → ndarray (ours)", "decode_ndarray_us", "decode_ndarray_us"),
        ("decode  binary → list (psycopg)", "decode_list_binary_us", "decode_ndarray_us"),
        ("decode  text → list (psycopg)", "decode_list_text_us", "decode_ndarray_us"),
        ("decode  binary → list → np.array", "decode_list_binary_to_ndarray_us", "decode_ndarray_us"),
    ]
    for label, key, base in lines:
        print(f"  {label:<38} {r[key]:>12.1f}   {r[key] / r[base]:>6.1f}")
    print(f"\nSELECT {rows} float8[{n}] arrays ({r['table_mb']:.0f} MB table)   seconds   × ours")
    for label, key in [
        ("binary → ndarray (ours)", "select_ndarray_binary_s"),
        ("text → list (psycopg default)", "select_list_text_s"),
        ("binary → list (psycopg)", "select_list_binary_s"),
    ]:
        print(f"  {label:<38} {r[key]:>9.3f}   {r[key] / r['select_ndarray_binary_s']:>6.1f}")
    print(f"  (table filled once in {r['fill_s']:.1f} s)")


if __name__ == "__main__":
    main()
