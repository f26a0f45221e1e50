"""`make bench`: run every benchmark and print its figures as JSON lines.

The figures recorded in docs/benchmarks.md come from this command.
"""

from __future__ import annotations

import argparse
import json
import sys

from bench.harness import benchmark_database, setup_django

BENCHMARKS = ("storage", "fetching", "web", "api", "insights", "digests", "telegram")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"any of {', '.join(BENCHMARKS)}")
    names = parser.parse_args(argv).names or list(BENCHMARKS)
    unknown = sorted(set(names) - set(BENCHMARKS))
    if unknown:
        parser.error(f"unknown benchmarks: {', '.join(unknown)}")
    setup_django()
    import importlib

    for name in names:
        module = importlib.import_module(f"bench.{name}")
        # A database each: several benchmarks load data sets of the same companies.
        with benchmark_database():
            figures = module.run()
            print(json.dumps({"benchmark": name, **{k: round(v, 4) for k, v in figures.items()}}))
            sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
