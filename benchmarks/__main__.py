"""`python -m benchmarks [--quick] [--json]`: ingest/read ratios to PostgreSQL's own binary COPY."""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time

from benchmarks.ingest_read import DEFAULT_DSN, run


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark on a throwaway database of LCDB_BENCH_DSN's server and print the figures."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a few hundred targets (under a minute)")
    parser.add_argument("--json", action="store_true", help="end with one JSON object on the last line")
    args = parser.parse_args(argv)
    dsn = os.environ.get("LCDB_BENCH_DSN", DEFAULT_DSN)
    t0 = time.perf_counter()
    result = run(args.quick, dsn, lambda line: print(line, flush=True))
    result["quick"] = bool(args.quick)
    result["elapsed_s"] = round(time.perf_counter() - t0, 1)
    result["machine"] = f"{platform.machine()} {os.cpu_count()} cpu, Python {platform.python_version()}"
    width = max(map(len, result))
    for key, value in result.items():
        print(f"{key:<{width}}  {value}")
    if args.json:
        print(json.dumps(result, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
