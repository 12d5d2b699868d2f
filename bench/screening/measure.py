#!/usr/bin/env python3
"""Screening quality of the shipped pack on the labeled corpus: precision, recall, F1 per class.

Each split (tune.yaml, held-out.yaml) is screened on its own, as one Redmine would be: every
request is an open issue, older requests have lower ids, and the shipped rules in rules/
decide. The screening label an issue gets is its predicted class:

    rejected -> conflict, deferred -> out-of-scope,
    duplicate or duplicate-candidate -> duplicate, needs-info -> vague.

A duplicate counts as found only if the request it is linked to (the best older candidate)
belongs to the same cluster; flagging it against an unrelated request is a false positive
and a miss. Prints the table and, unless --no-record, adds a dated section to
bench/RESULTS.md. A measurement, not a test: no pass/fail exit code.

    .venv/bin/python bench/screening/measure.py [--no-record] [--errors tune]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from redmine_sync.model import Issue
from redmine_sync.model import Ref
from redmine_sync.rules import build_world
from redmine_sync.rules import evaluate_issue
from redmine_sync.rules import load_rules
from redmine_sync.rules.ruleset import RuleSet

HERE = Path(__file__).resolve().parent
SPLITS = ("tune", "held-out")
CLASSES = ("duplicate", "vague", "out-of-scope", "conflict")
LABEL_CLASS = {"rejected": "conflict", "deferred": "out-of-scope", "duplicate": "duplicate",
               "duplicate-candidate": "duplicate", "needs-info": "vague"}
NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
TARGETS = {"duplicate": (0.90, 0.80), "vague": (0.90, 0.90), "out-of-scope": (0.90, 0.90),
           "conflict": (0.90, 0.90)}


@dataclass(frozen=True)
class Outcome:
    request: dict[str, Any]
    predicted: str          # a class, or "" for none
    linked: int | None      # the duplicate candidate it was linked to
    ok: bool                # the prediction is right (for a duplicate: the right cluster)


def load(split: str) -> list[dict[str, Any]]:
    data = yaml.safe_load((HERE / f"{split}.yaml").read_text(encoding="utf-8"))
    return sorted(data["requests"], key=lambda r: r["id"])


def issues_of(requests: list[dict[str, Any]]) -> list[Issue]:
    projects = {area: Ref(n, area) for n, area in enumerate(sorted({r["area"] for r in requests}),
                                                           start=1)}
    out = []
    for n, r in enumerate(requests):
        created = NOW - timedelta(hours=len(requests) - n)
        out.append(Issue(id=r["id"], project=projects[r["area"]], tracker="Feature",
                         status="New", priority="Normal", subject=r["subject"],
                         description=r.get("description", ""), author=Ref(2, "customer"),
                         created_on=created, updated_on=created,
                         custom_fields={"Customer": r["customer"]}))
    return out


def screen(ruleset: RuleSet, requests: list[dict[str, Any]]) -> list[Outcome]:
    issues = issues_of(requests)
    world = build_world(ruleset, issues, NOW)
    cluster = {r["id"]: r.get("of", r["id"]) for r in requests}
    out = []
    for request, issue in zip(requests, issues, strict=True):
        state, _ = evaluate_issue(ruleset, issue, world)
        found = [LABEL_CLASS[label] for label in sorted(state.labels()) if label in LABEL_CLASS]
        predicted = found[0] if found else ""
        linked = state.analysis.duplicate_of if predicted == "duplicate" else None
        gold = request["label"] if request["label"] in CLASSES else ""
        ok = predicted == gold
        if ok and gold == "duplicate":
            ok = linked is not None and cluster.get(linked) == request["of"]
        out.append(Outcome(request, predicted, linked, ok))
    return out


def scores(outcomes: list[Outcome]) -> dict[str, tuple[float, float, float, int, int, int]]:
    """Per class: precision, recall, F1, true positives, predicted, gold."""
    tp: Counter[str] = Counter()
    pred: Counter[str] = Counter()
    gold: Counter[str] = Counter()
    for o in outcomes:
        if o.predicted:
            pred[o.predicted] += 1
        if o.request["label"] in CLASSES:
            gold[o.request["label"]] += 1
        if o.ok and o.predicted:
            tp[o.predicted] += 1
    out = {}
    for c in CLASSES:
        p = tp[c] / pred[c] if pred[c] else 0.0
        r = tp[c] / gold[c] if gold[c] else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        out[c] = (p, r, f, tp[c], pred[c], gold[c])
    return out


def table(results: dict[str, dict[str, tuple[float, float, float, int, int, int]]],
          sizes: dict[str, int]) -> list[str]:
    lines = ["| split | class | precision | recall | F1 | found / flagged / labeled | target (P, R) |",
             "|---|---|---|---|---|---|---|"]
    for split, per_class in results.items():
        for c, (p, r, f, tp, pred, gold) in per_class.items():
            tp_, tr = TARGETS[c]
            verdict = "met" if p >= tp_ and r >= tr else "NOT met"
            lines.append(f"| {split} ({sizes[split]}) | {c} | {p:.2f} | {r:.2f} | {f:.2f} "
                         f"| {tp} / {pred} / {gold} | {tp_:.2f}, {tr:.2f}: {verdict} |")
    return lines


def errors(outcomes: list[Outcome]) -> list[str]:
    out = []
    for o in outcomes:
        r = o.request
        gold = r["label"] if r["label"] in CLASSES else "clear"
        if o.ok or (gold == "clear" and not o.predicted):
            continue
        got = o.predicted or "clear"
        extra = f" -> #{o.linked}" if o.linked else ""
        want = f" of #{r['of']}" if gold == "duplicate" else ""
        out.append(f"  #{r['id']} {r['subject'][:50]!r}: labeled {gold}{want}, got {got}{extra}")
    return out


def record(results_md: Path, lines: list[str], commit: str) -> None:
    text = results_md.read_text(encoding="utf-8") if results_md.exists() else \
        "# Benchmark results\n"
    section = [(f"## Screening quality ({datetime.now(UTC):%Y-%m-%d}, commit {commit or '?'}, "
               "`make bench-screening`)"), "",
               "The shipped pack on the labeled corpus of bench/screening/ (see its README).",
               "", *lines, ""]
    results_md.write_text(text.rstrip("\n") + "\n\n" + "\n".join(section), encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-record", action="store_true", help="do not add to RESULTS.md")
    parser.add_argument("--errors", choices=SPLITS, action="append", default=[],
                        help="list the wrong decisions of a split (tune while tuning)")
    args = parser.parse_args()
    ruleset = load_rules([ROOT / "rules"])
    results, sizes = {}, {}
    for split in SPLITS:
        requests = load(split)
        outcomes = screen(ruleset, requests)
        results[split] = scores(outcomes)
        sizes[split] = len(requests)
        if split in args.errors:
            print(f"wrong decisions, {split}:")
            print("\n".join(errors(outcomes)) or "  none")
    lines = table(results, sizes)
    print("\n".join(lines))
    if not args.no_record:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                                capture_output=True, text=True, check=False).stdout.strip()
        record(ROOT / "bench" / "RESULTS.md", lines, commit)
    return 0


if __name__ == "__main__":
    sys.exit(main())
