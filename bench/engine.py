#!/usr/bin/env python3
"""Rule engine throughput on the shipped pack: issues evaluated per second on one core.

Builds N synthetic issues from the demo requests (Chinese and English, all customers and
requirement types), then times build_world + evaluate (median of several runs) and
appends a dated line to bench/RESULTS.md. A measurement, not a test: no pass/fail.

    .venv/bin/python bench/engine.py [--issues 20000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import platform
import random
import statistics
import subprocess
import sys
import time
from dataclasses import replace
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from redmine_sync.model import Issue
from redmine_sync.model import Ref
from redmine_sync.rules import build_world
from redmine_sync.rules import evaluate
from redmine_sync.rules import load_rules

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
TARGET = 20_000


def synthetic_issues(count: int, seed: int = 7) -> list[Issue]:
    data = yaml.safe_load((ROOT / "scripts" / "demo-data.yaml").read_text(encoding="utf-8"))
    templates = data["issues"]
    customers = [c["name"] for c in data["customers"]]
    rng = random.Random(seed)
    out = []
    for n in range(1, count + 1):
        t = templates[n % len(templates)]
        fields = {k: tuple(v) if isinstance(v, list) else v
                  for k, v in (t.get("custom_fields") or {}).items()}
        fields["Customer"] = rng.choice(customers)
        created = NOW - timedelta(hours=rng.randint(1, 2000))
        out.append(Issue(
            id=n, project=Ref(1, "demo"), tracker=t.get("tracker", "Feature"),
            status=rng.choice(["New", "New", "New", "In Progress", "Closed"]),
            priority=t.get("priority", "Normal"), subject=f"{t['subject']} {n}",
            description=t.get("description", ""), author=Ref(2, "customer"),
            created_on=created, updated_on=created + timedelta(hours=1),
            custom_fields=fields))
    return [replace(i, is_closed=i.status == "Closed") for i in out]


def measure(count: int, repeat: int) -> tuple[float, float, int]:
    ruleset = load_rules([ROOT / "rules"])
    issues = synthetic_issues(count)
    teams = dict.fromkeys(ruleset.teams, ("Ann", "Bob", "Chen"))
    times, changed = [], 0
    for _ in range(repeat):
        start = time.process_time()
        world = build_world(ruleset, issues, NOW, teams=teams)
        plan = evaluate(ruleset, issues, world)
        times.append(time.process_time() - start)
        changed = len(plan.issues)
    median = statistics.median(times)
    return count / median, median, changed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issues", type=int, default=TARGET)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-record", action="store_true", help="do not append to RESULTS.md")
    args = parser.parse_args()
    rate, seconds, changed = measure(args.issues, args.repeat)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                            capture_output=True, text=True, check=False).stdout.strip()
    verdict = "met" if rate >= TARGET else "NOT met"
    line = (f"| {datetime.now(UTC):%Y-%m-%d} | {commit or '?'} | {platform.machine()} "
            f"{platform.python_version()} | engine, shipped pack | {args.issues} issues "
            f"({changed} with changes) | {seconds:.2f} s CPU (median of {args.repeat}) | "
            f"{rate:,.0f} issues/s | target {TARGET:,}/s per core: {verdict} |")
    print(line)
    if not args.no_record:
        results = ROOT / "bench" / "RESULTS.md"
        if not results.exists():
            results.write_text("# Benchmark results\n\n| date | commit | machine | what | data "
                               "| time | rate | target |\n|---|---|---|---|---|---|---|---|\n",
                               encoding="utf-8")
        with results.open("a", encoding="utf-8") as handle:
            handle.write(line + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
