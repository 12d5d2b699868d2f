#!/usr/bin/env python3
"""Rule engine throughput on the shipped pack: issues evaluated per second on one core.

Builds N synthetic issues from the demo requests (Chinese and English, all customers and
requirement types), then times build_world + evaluate (median of several runs) and
adds dated rows to the engine's table in bench/RESULTS.md. A measurement, not a test: no pass/fail.
With BENCH_CODE=DIR (a checkout of other code, as bench/compare.py sets it for the old
tree), that tree's code and rule pack are measured on the same issues.

    .venv/bin/python bench/engine.py [--issues 20000] [--repeat 3] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from dataclasses import replace
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parents[1]
ROOT = Path(os.environ.get("BENCH_CODE") or HERE)  # the code and the rule pack measured
sys.path.insert(0, str(ROOT))

from bench.results import add_rows
from bench.results import row_start
from redmine_sync.model import Issue
from redmine_sync.model import Ref
from redmine_sync.plan import Plan
from redmine_sync.rules import build_world
from redmine_sync.rules import evaluate
from redmine_sync.rules import load_rules
from redmine_sync.rules.ruleset import RuleSet

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
TARGET = 20_000


def synthetic_issues(count: int, seed: int = 7) -> list[Issue]:
    data = yaml.safe_load((HERE / "scripts" / "demo-data.yaml").read_text(encoding="utf-8"))
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


def applied(issues: list[Issue], plan: Plan) -> list[Issue]:
    """The issues as they would be after ``apply``: the steady state of a daemon."""
    by_id = {p.issue_id: p for p in plan.issues}
    out = []
    for issue in issues:
        item = by_id.get(issue.id)
        if item is None:
            out.append(issue)
            continue
        custom = dict(issue.custom_fields)
        fields: dict[str, object] = {}
        for change in item.changes:
            if change.field == "labels":
                custom["Labels"] = tuple(change.new)  # type: ignore[arg-type]
            elif change.field == "tier":
                custom["Tier"] = change.new  # type: ignore[assignment]
            elif change.field.startswith("cf."):
                custom[change.field[3:]] = change.new  # type: ignore[assignment]
            elif change.field == "assigned_to":
                fields["assigned_to"] = Ref(9, str(change.new))
            elif change.field in ("status", "priority", "tracker"):
                fields[change.field] = change.new
        closed = fields.get("status", issue.status) in ("Closed", "Rejected")
        out.append(replace(issue, custom_fields=custom, is_closed=closed,
                           **fields))  # type: ignore[arg-type]
    return out


WARM_UP = 500


def timed(ruleset: RuleSet, issues: list[Issue], teams: dict[str, tuple[str, ...]],
          repeat: int) -> tuple[float, Plan]:
    times, plan = [], None
    for _ in range(repeat):
        start = time.process_time()
        plan = evaluate(ruleset, issues, build_world(ruleset, issues, NOW, teams=teams))
        times.append(time.process_time() - start)
    assert plan is not None
    return statistics.median(times), plan


def measure(count: int, repeat: int) -> dict[str, tuple[float, int]]:
    """Seconds (median) and issues changed, for a cold run and for the steady state."""
    ruleset = load_rules([ROOT / "rules"])
    issues = synthetic_issues(count)
    teams = dict.fromkeys(ruleset.teams, ("Ann", "Bob", "Chen"))
    # What a process does once (the word segmenter's dictionary, compiled patterns) is
    # not the engine's rate: a first evaluation of a few issues takes it, untimed (the
    # first of 3 timed ones took 13 % longer than the next two at 5,000 issues).
    evaluate(ruleset, issues[:WARM_UP], build_world(ruleset, issues[:WARM_UP], NOW, teams=teams))
    cold, plan = timed(ruleset, issues, teams, repeat)
    steady, again = timed(ruleset, applied(issues, plan), teams, repeat)
    return {"cold (every issue new)": (cold, len(plan.issues)),
            "steady (after apply)": (steady, len(again.issues))}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issues", type=int, default=TARGET)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-record", action="store_true", help="do not append to RESULTS.md")
    parser.add_argument("--json", action="store_true",
                        help="print the figures as JSON only (implies --no-record)")
    args = parser.parse_args()
    measured = measure(args.issues, args.repeat)
    if args.json:
        print(json.dumps({what: {"cpu_seconds": seconds, "changed": changed}
                          for what, (seconds, changed) in measured.items()}))
        return 0
    stamp = row_start()
    lines = []
    for what, (seconds, changed) in measured.items():
        rate = args.issues / seconds
        verdict = "met" if rate >= TARGET else "NOT met"
        lines.append(
            f"{stamp} engine, shipped pack, {what} | {args.issues} "
            f"issues ({changed} with changes) | {seconds:.2f} s CPU (median of {args.repeat}) "
            f"| {rate:,.0f} issues/s | {TARGET:,}/s per core: {verdict} |")
    print("\n".join(lines))
    if not args.no_record:
        record(HERE / "bench" / "RESULTS.md", lines)
    return 0


HEADER = "| date | commit | machine | what | data | time | rate | target |"


def record(results: Path, lines: list[str]) -> None:
    """Add the rows at the end of the engine's table (the one under HEADER)."""
    add_rows(results, HEADER, lines, ["", HEADER, "|---|---|---|---|---|---|---|---|"])


if __name__ == "__main__":
    sys.exit(main())
