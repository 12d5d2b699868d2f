#!/usr/bin/env python3
"""Memory of the duplicate index per open issue (tracemalloc), on the engine benchmark's issues.

Builds the world of the shipped pack over N synthetic issues (bench/engine.py), or with
--varied over the less repetitive corpus of tests/unit/rules/test_engine_golden.py, then
measures what building the duplicate index allocates and keeps: the token sets of every
open issue and the index over them. Prints bytes per open issue; records nothing.

    .venv/bin/python bench/index_memory.py [--issues 10000] [--varied]
"""

from __future__ import annotations

import argparse
import gc
import sys
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from engine import NOW
from engine import synthetic_issues

from redmine_sync.rules import build_world
from redmine_sync.rules import load_rules


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issues", type=int, default=10_000)
    parser.add_argument("--varied", action="store_true",
                        help="the golden test's corpus (demo and screening requests, random "
                        "statuses and labels) instead of the engine benchmark's")
    args = parser.parse_args()
    ruleset = load_rules([ROOT / "rules"])
    if args.varied:
        sys.path.insert(0, str(ROOT / "tests" / "unit" / "rules"))
        from test_engine_golden import corpus
        issues = corpus(args.issues)[0]
    else:
        issues = synthetic_issues(args.issues)
    world = build_world(ruleset, issues, NOW)
    source = world.duplicates
    assert source is not None
    open_issues = len(source._issues)  # type: ignore[attr-defined]
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    index = source.index  # type: ignore[attr-defined]  # built here, kept by the world
    gc.collect()
    after = tracemalloc.take_snapshot()
    kept = sum(s.size_diff for s in after.compare_to(before, "filename"))
    tracemalloc.stop()
    print(f"{open_issues} open issues of {args.issues}: duplicate index keeps {kept / 1e6:.1f} MB, "
          f"{kept / open_issues:,.0f} bytes per open issue ({len(index)} indexed)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
