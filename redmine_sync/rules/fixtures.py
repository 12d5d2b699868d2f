"""``redmine-sync test-rules``: users' own fixtures (issues + expected outcome) for their rules.

A fixture file (YAML, in rules/tests/ by default)::

    now: 2026-11-20T09:00:00Z
    teams: {Support: [Zhao Min, Sun Hao]}
    cases:
      - name: vague requests ask for details
        issue: {subject: Please optimise the system, custom_fields: {Customer: Tailspin Travel}}
        others: []                       # other issues in scope (duplicates, load)
        expect:
          labels: [needs-info]           # these labels are present afterwards
          status: Feedback
          notes: 1                       # number of notes added
          unchanged: [priority]          # fields no rule may change

Expectations: ``labels`` (must include), ``no_labels`` (must not include), ``notes``,
``unchanged``, and any field of a change: status, priority, tracker, tier, assigned_to,
relation, cf.<Custom field>.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import replace
from datetime import UTC
from datetime import datetime
from pathlib import Path
from typing import Any

from redmine_sync.config import FieldMap
from redmine_sync.errors import UserError
from redmine_sync.model import Issue
from redmine_sync.model import Ref
from redmine_sync.rules.engine import build_world
from redmine_sync.rules.engine import evaluate_issue
from redmine_sync.rules.ruleset import RuleSet
from redmine_sync.yamlsrc import load_file

ISSUE_KEYS = ("id", "subject", "description", "tracker", "status", "priority", "project",
              "author", "assigned_to", "custom_fields", "created_on", "updated_on",
              "attachments", "is_closed")


@dataclass(frozen=True)
class CaseResult:
    file: str
    name: str
    failures: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.failures


def run_fixtures(ruleset: RuleSet, paths: list[Path], fields: FieldMap) -> list[CaseResult]:
    files = [p for path in paths for p in (sorted(path.glob("*.y*ml")) if path.is_dir()
                                          else [path])]
    if not files:
        raise UserError("no fixture files found", hint="put *.yaml fixtures in rules/tests/")
    return [r for f in files for r in _run_file(ruleset, f, fields)]


def _run_file(ruleset: RuleSet, path: Path, fields: FieldMap) -> list[CaseResult]:
    doc = load_file(path)
    data = doc.data if isinstance(doc.data, dict) else {}
    now = _time(data.get("now"), datetime(2026, 1, 5, 9, 0, tzinfo=UTC))
    teams = {str(k): tuple(map(str, v)) for k, v in (data.get("teams") or {}).items()}
    results = []
    for index, case in enumerate(data.get("cases") or []):
        name = str(case.get("name", f"case {index + 1}")) if isinstance(case, dict) else ""
        try:
            failures = _run_case(ruleset, case, now, teams, fields)
        except (KeyError, TypeError, ValueError) as exc:
            failures = [f"broken fixture: {exc}"]
        results.append(CaseResult(str(path), name, tuple(failures)))
    return results


def _run_case(ruleset: RuleSet, case: dict[str, Any], now: datetime,
              teams: dict[str, tuple[str, ...]], fields: FieldMap) -> list[str]:
    others = [make_issue(o, 100 + i, now) for i, o in enumerate(case.get("others") or [])]
    issue = make_issue(case["issue"], 1000, now)
    world = build_world(ruleset, [*others, issue], now, fields=fields, teams=teams)
    state, _ = evaluate_issue(ruleset, issue, world)
    return list(_compare(case.get("expect") or {}, state))


def _compare(expect: dict[str, Any], state: Any) -> Any:
    changed = {c.field for c in state.changes}
    for key, wanted in expect.items():
        if key == "labels":
            missing = set(wanted) - state.labels()
            if missing:
                yield f"labels: expected {sorted(missing)} among {sorted(state.labels())}"
        elif key == "no_labels":
            extra = set(wanted) & state.labels()
            if extra:
                yield f"labels: did not expect {sorted(extra)}"
        elif key == "notes":
            if len(state.notes) != int(wanted):
                yield f"notes: expected {wanted}, got {len(state.notes)}"
        elif key == "unchanged":
            for field in wanted:
                if field in changed:
                    yield f"{field}: expected no change, got {state.get(field)!r}"
        elif str(state.get(key)) != str(wanted):
            yield f"{key}: expected {wanted!r}, got {state.get(key)!r}"


def make_issue(data: dict[str, Any], default_id: int, now: datetime) -> Issue:
    """An issue from fixture data; unknown keys are an error."""
    unknown = set(data) - set(ISSUE_KEYS)
    if unknown:
        raise ValueError(f"unknown issue key(s) {sorted(unknown)}; allowed: {ISSUE_KEYS}")
    created = _time(data.get("created_on"), now)
    issue = Issue(
        id=int(data.get("id", default_id)), project=Ref(1, str(data.get("project", "demo"))),
        tracker=str(data.get("tracker", "Feature")), status=str(data.get("status", "New")),
        priority=str(data.get("priority", "Normal")), subject=str(data.get("subject", "")),
        author=Ref(2, str(data.get("author", "Customer"))), created_on=created,
        updated_on=_time(data.get("updated_on"), created),
        description=str(data.get("description") or ""),
    )
    custom = {str(k): tuple(v) if isinstance(v, list) else v
              for k, v in (data.get("custom_fields") or {}).items()}
    assignee = data.get("assigned_to")
    return replace(issue, custom_fields=custom, attachments=int(data.get("attachments", 0)),
                   is_closed=bool(data.get("is_closed", False)),
                   assigned_to=Ref(3, str(assignee)) if assignee else None)


def _time(value: Any, default: datetime) -> datetime:
    if value is None:
        return default
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    parsed = datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
