#!/usr/bin/env python3
"""State store: time to cache N issues, one commit per issue against one transaction.

Before the store ran each unit of work in a transaction, every statement committed on
its own (SQLite autocommit: one fsync of the WAL per issue). ``cache_issues`` now writes
the whole batch in one transaction; caching them one call at a time reproduces the old
behaviour. Wall time (the cost is the disk's, not the CPU's), median of several runs,
each into a fresh state file; adds dated rows to the store's table in bench/RESULTS.md.
With BENCH_CODE=DIR (as bench/compare.py sets it for the old tree), that tree's store is
measured; ``--json --only transaction`` prints the figures of one way only.

    .venv/bin/python bench/store.py [--issues 5000] [--repeat 3] [--only commit|transaction]
        [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]
sys.path.insert(0, os.environ.get("BENCH_CODE") or str(HERE))  # the store measured
sys.path.insert(1, str(HERE))

from bench.results import add_rows
from bench.results import row_start
from redmine_sync.model import Issue
from redmine_sync.model import Ref
from redmine_sync.store import StateStore

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
HEADER = "| date | commit | machine | what | data | time |"
SECTION = "## State store (`bench/store.py`)"


def issues(n: int) -> list[Issue]:
    base = Issue(id=1, project=Ref(1, "demo"), tracker="Bug", status="New", priority="Normal",
                 subject="登录页面报错 the login page crashes", author=Ref(2, "Li Na"),
                 created_on=T0, updated_on=T0, description="Error 500 when logging in. " * 8,
                 custom_fields={"Labels": ("ui", "urgent-bug"), "Customer": "Tailspin Travel",
                                "Tier": "stable"}, assigned_to=Ref(3, "Zhao Min"))
    return [replace(base, id=i, updated_on=T0 + timedelta(minutes=i)) for i in range(1, n + 1)]


def timed(batch: list[Issue], write: Callable[[StateStore, list[Issue]], None]
          ) -> tuple[float, float]:
    """Wall and CPU seconds of one write of the batch into a fresh state file."""
    with tempfile.TemporaryDirectory() as folder:
        store = StateStore(Path(folder) / "state.db")
        start, cpu = time.perf_counter(), time.process_time()
        write(store, batch)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        assert len(store.issue_stamps()) == len(batch)
        store.close()
    return seconds, cpu


def one_commit_each(store: StateStore, batch: list[Issue]) -> None:
    for issue in batch:
        store.cache_issues([issue])


def one_transaction(store: StateStore, batch: list[Issue]) -> None:
    store.cache_issues(batch)


WAYS = {"commit": ("cache_issues, one commit per issue (before)", one_commit_each),
        "transaction": ("cache_issues, one transaction (now)", one_transaction)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issues", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-record", action="store_true", help="do not append to RESULTS.md")
    parser.add_argument("--only", choices=tuple(WAYS), help="measure one way only")
    parser.add_argument("--json", action="store_true",
                        help="print the figures as JSON only (implies --no-record)")
    args = parser.parse_args()
    batch = issues(args.issues)
    ways = {k: v for k, v in WAYS.items() if args.only in (None, k)}
    measured = {key: [timed(batch, write) for _ in range(args.repeat)]
                for key, (_, write) in ways.items()}
    if args.json:
        print(json.dumps({key: {"wall": statistics.median(w for w, _ in runs),
                                "cpu": statistics.median(c for _, c in runs)}
                          for key, runs in measured.items()}))
        return 0
    stamp = row_start()
    lines = []
    for key, (what, _) in ways.items():
        seconds = statistics.median(w for w, _ in measured[key])
        lines.append(f"{stamp} {what} | {args.issues} issues | "
                     f"{seconds:.2f} s wall (median of {args.repeat}) |")
    print("\n".join(lines))
    if not args.no_record:
        record(HERE / "bench" / "RESULTS.md", lines)
    return 0


def record(results: Path, lines: list[str]) -> None:
    """Add the rows at the end of the store's table (created with its section if new)."""
    intro = ("Caching issues in the state file, one commit per issue (the store before "
             "every unit of work ran in a transaction) against one transaction.")
    add_rows(results, HEADER, lines,
             ["", SECTION, "", intro, "", HEADER, "|---|---|---|---|---|---|"])


if __name__ == "__main__":
    sys.exit(main())
