"""Every decision of the shipped pack on a fixed corpus, against a recorded golden copy.

The corpus: 2,000 generated issues (seeded) built from the demo requests and the labeled
screening corpus, Chinese and English, open and closed, some already assigned, tiered or
labelled, every one with an SLA clock. The engine decides a cold pass (every issue new)
and a steady pass (the issues as the cold plan would leave them). The JSON of both plans
and each open issue's duplicate candidates and vagueness are compared with the copy
recorded in golden/engine-decisions.txt, issue by issue, so a speed-up of the engine that
changes one decision fails here and names the issue.

To record the copy again (only for a change meant to alter decisions, and say so in the
commit): ``python tests/unit/rules/test_engine_golden.py --record``.
"""

from __future__ import annotations

import hashlib
import json
import random
import sys
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from bench.engine import applied
from redmine_sync.model import Issue
from redmine_sync.model import Journal
from redmine_sync.model import Ref
from redmine_sync.plan import Plan
from redmine_sync.rules import build_world
from redmine_sync.rules import evaluate
from redmine_sync.rules import evaluate_issue
from redmine_sync.rules import load_rules
from redmine_sync.rules.ruleset import RuleSet
from redmine_sync.rules.state import World

ROOT = Path(__file__).resolve().parents[3]
GOLDEN = Path(__file__).resolve().parent / "golden" / "engine-decisions.txt"
NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
COUNT = 2_000
STAFF = Ref(50, "Ann")
TEAM = ("Ann", "Bob", "Chen")


def _texts() -> list[dict[str, Any]]:
    """The requests the corpus is made of: demo requests, then the screening corpus."""
    demo = yaml.safe_load((ROOT / "scripts" / "demo-data.yaml").read_text(encoding="utf-8"))
    out = [{"subject": t["subject"], "description": t.get("description", ""),
            "tracker": t.get("tracker", "Feature"), "priority": t.get("priority", "Normal"),
            "fields": dict(t.get("custom_fields") or {})} for t in demo["issues"]]
    for split in ("tune", "held-out"):
        data = yaml.safe_load((ROOT / "bench" / "screening" / f"{split}.yaml")
                              .read_text(encoding="utf-8"))
        out += [{"subject": str(r["subject"]), "description": str(r.get("description", "")),
                 "tracker": "Feature", "priority": "Normal",
                 "fields": {"Customer": str(r["customer"])}} for r in data["requests"]]
    return out


def corpus(count: int = COUNT, seed: int = 16) -> tuple[list[Issue], dict[int, tuple[Journal, ...]]]:
    """Issues and their journals: repeats of a request (same or another customer, with or
    without a number of its own), statuses, assignees, tiers and labels drawn at random."""
    texts = _texts()
    demo = yaml.safe_load((ROOT / "scripts" / "demo-data.yaml").read_text(encoding="utf-8"))
    customers = [c["name"] for c in demo["customers"]] + ["", "Unknown Ltd"]
    rng = random.Random(seed)
    issues: list[Issue] = []
    journals: dict[int, tuple[Journal, ...]] = {}
    for n in range(1, count + 1):
        text = rng.choice(texts)
        fields: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v
                                  for k, v in text["fields"].items()}
        if rng.random() < 0.5:
            fields["Customer"] = rng.choice(customers)
        if rng.random() < 0.1:
            fields["Labels"] = tuple(sorted(rng.sample(["ui", "feature", "needs-info",
                                                        "sla-warning", "duplicate"], 2)))
        if rng.random() < 0.1:
            fields["Tier"] = rng.choice(["strategic partner", "potential partner",
                                         "stable customer", "ordinary customer"])
        suffix = rng.choice(["", "", f" {n}", f" #{rng.randint(1, 99)}"])
        created = NOW - timedelta(hours=rng.randint(1, 2000), minutes=rng.randint(0, 59))
        status = rng.choice(["New", "New", "New", "In Progress", "Feedback", "Closed",
                             "Rejected"])
        issues.append(Issue(
            id=n, project=Ref(1, "demo"), tracker=text["tracker"], status=status,
            priority=rng.choice([text["priority"]] * 3 + ["Low", "High", "Urgent"]),
            subject=text["subject"] + suffix, description=text["description"],
            author=Ref(2, "customer"), created_on=created,
            updated_on=created + timedelta(hours=rng.randint(0, 30)),
            is_closed=status in ("Closed", "Rejected"),
            assigned_to=Ref(9, rng.choice(TEAM)) if rng.random() < 0.3 else None,
            custom_fields=fields))
        if rng.random() < 0.4:
            answered = created + timedelta(minutes=rng.randint(5, 6000))
            if answered < NOW:
                journals[n] = (Journal(n * 10, STAFF, answered, "We are looking into it.",
                                       False),)
    return issues, journals


def _world(ruleset: RuleSet, issues: list[Issue],
           journals: dict[int, tuple[Journal, ...]]) -> World:
    world = build_world(ruleset, issues, NOW, teams=dict.fromkeys(ruleset.teams, TEAM))
    return replace(world, journals={i.id: journals.get(i.id, ()) for i in issues},
                   staff_ids=frozenset({STAFF.id}), bot_id=99)


@cache
def decisions() -> tuple[tuple[str, str], ...]:
    """(key, canonical JSON) of every decision: plan items, pointers, analyses."""
    return tuple(_decisions())


def _decisions() -> Iterator[tuple[str, str]]:
    ruleset = load_rules([ROOT / "rules"])
    issues, journals = corpus()
    world = _world(ruleset, issues, journals)
    cold = evaluate(ruleset, issues, world)
    yield from _plan_decisions("cold", cold)
    for issue in issues:
        if not issue.is_closed:
            state, _ = evaluate_issue(ruleset, issue, world)
            found, vague = state.analysis.duplicates, state.analysis.vague
            yield f"analysis #{issue.id}", json.dumps(
                [found.duplicate_of, found.duplicate_score, found.duplicate_candidates,
                 found.matched, vague.score, vague.vague, vague.missing, vague.gaps],
                ensure_ascii=False)
    after = applied(issues, cold)   # the steady state, as the engine benchmark makes it
    yield from _plan_decisions("steady", evaluate(ruleset, after,
                                                  _world(ruleset, after, journals)))


def _plan_decisions(name: str, plan: Plan) -> Iterator[tuple[str, str]]:
    data = _as_recorded(plan.to_json())
    for item, issue_plan in zip(data.pop("issues"), plan.issues, strict=True):
        item["sla_marks"] = [f"{m.policy}:{m.key}" for m in issue_plan.sla_marks]
        yield f"{name} #{item['id']}", json.dumps(item, sort_keys=True, ensure_ascii=False)
    yield f"{name} plan", json.dumps({**data, "pointers": plan.pointers,
                                      "next_wake": str(plan.next_wake)}, sort_keys=True)


def _as_recorded(data: dict[str, Any]) -> dict[str, Any]:
    """The plan in the form the golden copy was recorded in (plan format 1: a relation as
    "duplicates #12", no ``why``), so that the digests compare decisions, not formats."""
    def change(entry: dict[str, Any]) -> dict[str, Any]:
        entry = {k: v for k, v in entry.items() if k != "why"}
        for key in ("old", "new", "current", "wanted"):
            value = entry.get(key)
            if isinstance(value, dict) and set(value) == {"relation", "issue"}:
                entry[key] = f"{value['relation']} #{value['issue']}"
        return entry

    issues = [{**item, "changes": [change(c) for c in item["changes"]],
               "kept_for_people": [change(c) for c in item["kept_for_people"]]}
              for item in data["issues"]]
    return {**data, "format": 1, "issues": issues}


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _golden() -> dict[str, str]:
    lines = GOLDEN.read_text(encoding="utf-8").splitlines()
    return dict(line.rsplit(" ", 1) for line in lines if line and not line.startswith("#"))


def test_every_decision_matches_the_golden_copy() -> None:
    golden = _golden()
    seen = {key: _digest(text) for key, text in decisions()}
    assert len(seen) > 2_500 and sum(k.startswith("cold #") for k in seen) > 1_000
    differ = sorted(k for k in golden.keys() | seen.keys() if golden.get(k) != seen.get(k))
    assert not differ, f"{len(differ)} decisions differ from the golden copy: {differ[:10]}"


def test_the_corpus_exercises_every_kind_of_decision() -> None:
    """The golden copy is worth something only if the corpus makes the pack decide much."""
    fields: set[str] = set()
    notes = marks = 0
    for key, text in decisions():
        if key.startswith("cold #"):
            item = json.loads(text)
            fields |= {c["field"] for c in item.get("changes", ())}
            notes += len(item.get("notes", ()))
            marks += len(item.get("sla_marks", ()))
    assert {"labels", "tier", "priority", "assigned_to", "relation", "status"} <= fields
    assert notes > 100 and marks > 100


def _record() -> None:
    GOLDEN.parent.mkdir(exist_ok=True)
    rows = [f"{key} {_digest(text)}" for key, text in decisions()]
    GOLDEN.write_text("# every decision of the shipped pack on the golden corpus: key digest\n"
                      + "\n".join(rows) + "\n", encoding="utf-8")
    print(f"{len(rows)} decisions recorded in {GOLDEN.name}")


if __name__ == "__main__":
    if sys.argv[1:] != ["--record"]:
        sys.exit(__doc__)
    _record()
