"""`python -m codegen [--check] [--dsn SUPERUSER_DSN | --migrated-dsn DSN]`: regenerate or verify generated code."""

from __future__ import annotations

import argparse
import sys

from codegen import database, output


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m codegen", description=__doc__)
    parser.add_argument("--check", action="store_true",
                        help="regenerate in memory; exit 1 and print a diff if the tree differs")
    parser.add_argument("--dsn", help=f"superuser DSN of a server to create a throwaway database on "
                        f"(default ${database.ENV_DSN}; else a private embedded PostgreSQL)")
    parser.add_argument("--migrated-dsn", help="describe against this already migrated database instead")
    parser.add_argument("--max-diff-lines", type=int, default=200, help="diff lines shown per file (--check)")
    args = parser.parse_args(argv)
    try:
        if args.migrated_dsn:
            generated = output.generate(args.migrated_dsn)
        else:
            with database.throwaway_database(args.dsn) as dsn:
                generated = output.generate(dsn)
    except Exception as e:  # report generator errors as one line, not a traceback
        from codegen.model import ModelError
        from codegen.queryfiles import QueryFileError

        if isinstance(e, QueryFileError | ModelError | database.DescribeError):
            print(f"codegen: {e}", file=sys.stderr)
            return 2
        raise
    if args.check:
        diffs = output.differences(generated, output.existing())
        if not diffs:
            print(f"codegen: {len(generated)} generated files are up to date")
            return 0
        for d in diffs:
            lines = d.splitlines()
            print("\n".join(lines[: args.max_diff_lines]))
            if len(lines) > args.max_diff_lines:
                print(f"... ({len(lines) - args.max_diff_lines} more diff lines)")
        print(f"codegen: {len(diffs)} file(s) differ; run `python -m codegen`", file=sys.stderr)
        return 1
    touched = output.write(generated)
    print(f"codegen: {len(generated)} files generated, {len(touched)} changed" +
          (f": {', '.join(touched)}" if touched else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
