"""Every action and every settable field of the rule vocabulary, generated from the action
registry and ``changes.SETTABLE``: plan -> apply -> re-read -> undo -> apply, on the fake.

A new action or settable field without a case here fails ``test_every_action_and_field_has
_a_case``; the real-Redmine twin is tests/integration/test_vocabulary_live.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from redmine_sync.changes import SETTABLE
from redmine_sync.changes import Link
from redmine_sync.changes import target
from redmine_sync.config import Config
from redmine_sync.config import Limits
from redmine_sync.model import CustomFieldDef
from redmine_sync.model import Issue
from redmine_sync.model import User
from redmine_sync.plan import IssuePlan
from redmine_sync.redmine.fake import FakeRedmine
from redmine_sync.redmine.fake import default_custom_fields
from redmine_sync.rules.actions import actions
from redmine_sync.store import StateStore
from redmine_sync.sync import apply_run
from redmine_sync.undo import plan_undo
from redmine_sync.undo import write_undo

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
CUSTOMERS = """\
kind: customers
identify: field
tiers:
  - {name: strategic, value: {ge: 60}, fit: {ge: 60}}
  - {name: ordinary, value: {lt: 60}}
customers:
  - {name: ACME, value: 90, fit: 90, account_manager: pm.li}
"""


@dataclass(frozen=True)
class Case:
    """One rule vocabulary item: the action (its YAML), the issue it acts on, and the
    change it must make (``key`` -> ``wanted``, as read back)."""

    action: str
    then: str
    key: str
    wanted: Any
    issue: dict[str, Any]
    public_note: bool = False


CLOSED_REPLY = "closed, then replied"   # a case setup key, not a field
DUE_BEFORE = "due date before"          # a case setup key: the issue's due date
PLANNED = "two weekdays after today"
DUPLICATE_TEXT = "login page crashes with a stack trace when the form is submitted twice"
SET_VALUES: dict[str, tuple[str, Any]] = {   # key -> (value in the rule, value read back)
    "status": ("Feedback", "Feedback"),
    "priority": ("High", "High"),
    "tracker": ("Feature", "Feature"),
    "category": ("UI", "UI"),
    "tier": ("strategic", "strategic"),
    "assigned_to": ("pm.li", "Li Na"),
    "cf.Urgency": ("urgent", "urgent"),
}
CASES = [
    Case("add_labels", "{add_labels: [ui]}", "labels", ("ui",), {}),
    Case("remove_labels", "{remove_labels: [feature]}", "labels", (),
         {"Labels": ("feature",)}),
    *(Case("set", f"{{set: {{{key}: {value}}}}}", key, read, {})
      for key, (value, read) in SET_VALUES.items()),
    Case("raise", "{raise: {priority: Urgent}}", "priority", "Urgent", {}),
    Case("set_tier", "{set_tier: from_customer}", "tier", "strategic", {"Customer": "ACME"}),
    Case("prioritize", "{prioritize: {quadrants: {high/low: do-first, high/high: long-term, "
         "low/low: quick-win, low/high: defer}, scores: {do-first: 3, long-term: 2, "
         "quick-win: 1, defer: 0}, urgency: {urgent: 2, normal: 1, deferrable: 0}, "
         "priorities: [{min: 4, priority: Immediate}, {min: 0, priority: Low}]}}",
         "priority", "Immediate", {"Value": "high", "Cost": "low", "Urgency": "urgent"}),
    Case("assign", "{assign: {account_manager: true}}", "assigned_to", "Li Na",
         {"Customer": "ACME"}),
    Case("link_duplicate", "{link_duplicate: duplicates}", "relation", "duplicate",
         {"text": DUPLICATE_TEXT}),
    Case("watch", "{watch: [account_manager]}", "watchers", ("Li Na",), {"Customer": "ACME"}),
    Case("note", "{add_labels: [needs-info]}, {note: {text: 'Please tell us more', "
         "public: true}}", "labels", ("needs-info",), {}, public_note=True),
    # closed, then the author's public note "8" (CLOSED_REPLY): the survey's answer
    Case("record_satisfaction", "{record_satisfaction: true}", "cf.Satisfaction", "8",
         {CLOSED_REPLY: "8"}),
    # a due date already set (DUE_BEFORE; after the start date: Redmine refuses earlier), so
    # that undo has a date to put back
    Case("plan_due", "{plan_due: {working_days: 2}}", "due_date", PLANNED,
         {DUE_BEFORE: "2027-06-30"}),
]


def weekdays_after(day: date, count: int) -> date:
    """The date ``count`` weekdays (Monday to Friday) after ``day``."""
    while count:
        day += timedelta(days=1)
        count -= day.weekday() < 5
    return day


def wanted(case: Case, today: date) -> Any:
    """What the case must show: PLANNED is two weekdays after ``today``."""
    return weekdays_after(today, 2).isoformat() if case.wanted == PLANNED else case.wanted


def test_every_action_and_field_has_a_case() -> None:
    assert {c.action for c in CASES} == set(actions())
    assert set(SETTABLE) <= set(SET_VALUES)
    assert any(key.startswith("cf.") for key in SET_VALUES)


def rules_text() -> str:
    rules = "\n".join(f"  - name: case-{n}\n    when: {{subject: {{regex: '^case-{n} '}}}}\n"
                      f"    then: [{case.then}]" for n, case in enumerate(CASES))
    return f"kind: triage\nmatch: all\nrules:\n{rules}\n"


def config_with(folder: Path, rules: str) -> Config:
    """A config whose rules directory holds ``rules`` and the customers file."""
    (folder / "rules").mkdir()
    (folder / "rules" / "10-cases.yaml").write_text(rules)
    (folder / "rules" / "customers.yaml").write_text(CUSTOMERS)
    return Config(rules_dir=folder / "rules", projects=("demo",),
                  limits=Limits(max_issues=100, max_percent=100, write_cap=100))


def fake_redmine() -> FakeRedmine:
    fields = (*default_custom_fields(),
              CustomFieldDef(5, "Value", "list", False, ("high", "low")),
              CustomFieldDef(6, "Cost", "list", False, ("high", "low")),
              CustomFieldDef(7, "Satisfaction", "int"))
    fake = FakeRedmine(users=[User(9, "pm.li", "Li Na")], custom_fields=fields,
                       clock=lambda: NOW)
    fake.categories["demo"] = ("UI", "Backend")
    return fake


def add_cases(fake: FakeRedmine) -> dict[int, Issue]:
    """One issue per case (and the older issue the duplicate case links to)."""
    issues = {}
    for n, case in enumerate(CASES):
        setup = dict(case.issue)
        text = setup.pop("text", f"case {n}: {case.action}")
        if case.action == "link_duplicate":
            fake.add_issue(f"older {DUPLICATE_TEXT}", description=DUPLICATE_TEXT)
        reply = setup.pop(CLOSED_REPLY, None)
        author = fake.users[9] if reply else None
        due = setup.pop(DUE_BEFORE, None)
        issue = fake.add_issue(f"case-{n} {text}", description=text, author=author,
                               due_date=date.fromisoformat(due) if due else None,
                               custom_fields={"Labels": (), **setup})
        if reply:
            fake.human_edit(issue.id, fake.users[9], status="Closed", is_closed=True)
            issue = fake.human_edit(issue.id, fake.users[9], notes=reply)
        issues[n] = issue
    return issues


def holds(fake: FakeRedmine, issue_id: int, case: Case, value: Any, config: Config) -> bool:
    issue = fake.get_issue(issue_id, journals=False)
    if case.key == "relation":
        links = {Link(r.type, r.issue_to_id if r.issue_id == issue_id else r.issue_id)
                 for r in issue.relations}
        return bool(links) == (value == "duplicate")
    return target(case.key).holds(issue, value, config.fields) is True


def public_notes(fake: FakeRedmine, issue_id: int) -> int:
    journals = fake.get_issue(issue_id).journals or ()
    return sum(1 for j in journals if j.notes and not j.private)


@pytest.fixture(scope="module")
def roundtrip(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("vocabulary")
    config = config_with(tmp, rules_text())
    fake = fake_redmine()
    store = StateStore(Path(tmp) / "state.db")
    issues = add_cases(fake)
    before = {n: fake.get_issue(i.id, journals=False) for n, i in issues.items()}
    planned: list[IssuePlan] = []
    applied = apply_run(fake, config, store, lambda: NOW, yes=True,
                        on_plan=lambda plan, items: planned.extend(items))
    assert applied.applied is not None
    after = {n: fake.get_issue(i.id, journals=False) for n, i in issues.items()}
    watching = {n: tuple(fake.watchers.get(i.id, ())) for n, i in issues.items()}
    notes_after = {n: public_notes(fake, i.id) for n, i in issues.items()}
    shown = plan_undo(fake, store, applied.applied.run_id, config.fields, NOW)
    written = write_undo(shown, fake, store, fields=config.fields, limits=config.limits,
                         clock=lambda: NOW, yes=True)
    undone = {n: fake.get_issue(i.id, journals=False) for n, i in issues.items()}
    unwatched = {n: tuple(fake.watchers.get(i.id, ())) for n, i in issues.items()}
    again = apply_run(fake, config, store, lambda: NOW, yes=True)
    return {"config": config, "fake": fake, "issues": issues, "before": before,
            "plan": planned, "applied": applied.applied, "after": after,
            "notes_after": notes_after, "undo": shown, "undo_result": written,
            "undone": undone, "again": again, "watching": watching, "unwatched": unwatched}


@pytest.mark.parametrize("n", range(len(CASES)), ids=[
    f"{c.action}-{c.key}" if c.action == "set" else c.action for c in CASES])
def test_plan_apply_reread_undo(roundtrip: dict[str, Any], n: int) -> None:
    case, fake, config = CASES[n], roundtrip["fake"], roundtrip["config"]
    issue_id = roundtrip["issues"][n].id
    [item] = [i for i in roundtrip["plan"] if i.issue_id == issue_id]
    assert case.key in {c.field for c in item.changes}, item.changes           # planned
    assert {o.issue_id: o.status for o in roundtrip["applied"].outcomes}[issue_id] == "written"
    after = roundtrip["after"][n]
    if case.key == "relation":
        assert after.relations                                                 # re-read
    elif case.key == "watchers":   # issues as read carry no watchers: the fake's list
        assert roundtrip["watching"][n] == case.wanted
    else:
        assert target(case.key).holds(after, wanted(case, NOW.date()), config.fields)
    if case.public_note:
        assert roundtrip["notes_after"][n] == 1
    undo_item = next(i for i in roundtrip["undo"].plan.issues if i.issue_id == issue_id)
    assert case.key in {c.field for c in undo_item.changes}                    # undo shown
    undone, before = roundtrip["undone"][n], roundtrip["before"][n]
    if case.key == "relation":
        assert not undone.relations                                            # removed
    elif case.key == "watchers":
        assert roundtrip["unwatched"][n] == ()
    else:
        key = target(case.key)
        assert key.holds(undone, key.read(before, config.fields), config.fields)
    again = roundtrip["again"].applied
    assert issue_id not in {o.issue_id for o in again.outcomes}                # stays undone
    assert public_notes(fake, issue_id) == roundtrip["notes_after"][n]         # not re-sent


def test_undo_without_writing_changes_nothing(tmp_path: Path) -> None:
    config = config_with(tmp_path, rules_text())
    fake = fake_redmine()
    store = StateStore(tmp_path / "state.db")
    add_cases(fake)
    planned: list[IssuePlan] = []
    applied = apply_run(fake, config, store, lambda: NOW, yes=True,
                        on_plan=lambda plan, items: planned.extend(items))
    assert applied.applied is not None
    state = dict(fake.issues)
    shown = plan_undo(fake, store, applied.applied.run_id, config.fields, NOW)
    assert len(shown.plan.changed) == len(CASES) and not shown.skipped
    assert fake.issues == state


def one_rule(tmp_path: Path, then: str) -> Config:
    return config_with(tmp_path, "kind: triage\nrules:\n  - name: one\n    when: "
                       f"{{is_closed: false}}\n    then: [{then}]\n")


def test_a_tracker_change_without_add_issues_is_refused_before_sending(tmp_path: Path
                                                                        ) -> None:
    config = one_rule(tmp_path, "{set: {tracker: Feature}}")
    fake = fake_redmine()
    fake.granted.discard("add_issues")   # Redmine would answer 204 and keep the tracker
    issue = fake.add_issue("move me")
    result = apply_run(fake, config, StateStore(tmp_path / "state.db"), lambda: NOW)
    assert result.applied is not None
    [outcome] = result.applied.outcomes
    assert outcome.status == "failed" and "(add_issues)" in outcome.reason
    assert fake.issues[issue.id].tracker == "Bug" and fake.issues[issue.id].journals == ()


def test_a_category_the_project_lacks_is_named_with_those_it_has(tmp_path: Path) -> None:
    config = one_rule(tmp_path, "{set: {category: Mobile}}")
    fake = fake_redmine()
    issue = fake.add_issue("categorise me")
    result = apply_run(fake, config, StateStore(tmp_path / "state.db"), lambda: NOW)
    assert result.applied is not None
    [outcome] = result.applied.outcomes
    assert outcome.status == "failed"
    assert "no issue category 'Mobile' (it has: UI, Backend)" in outcome.reason
    assert fake.issues[issue.id].category is None
