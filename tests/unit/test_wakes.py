"""The index of due instants: an unchanged open issue is evaluated again only when one of
its clock's thresholds comes, and the decisions are those of evaluating every open issue."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from datetime import timedelta
from pathlib import Path

import pytest

from redmine_sync import wakes
from redmine_sync.plan import IssuePlan
from redmine_sync.rules import load_rules
from redmine_sync.sync import apply_run
from redmine_sync.sync import plan_run
from tests.unit.rules.test_sla_stage import START
from tests.unit.rules.test_sla_stage import setup as sla_setup

SLA = """\
kind: sla
calendars: {always: {always: true}}
staff: {roles: [Developer]}
write: {state: SLA state}
policies:
  - name: p
    when: {is_closed: false}
    calendar: always
    pause_when: [{status: Feedback}]
    targets: {first_response: {default: {any: 2h}}, resolution: {default: {any: 5h}}}
    thresholds:
      - {at: 75%, then: [{add_labels: [sla-warning]}]}
      - {at: 100%, then: [{add_labels: [sla-breached]}, {note: "breached: {reason}"}]}
"""


def test_a_quiet_run_with_nothing_due_evaluates_nothing_and_reads_no_cache(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake, config, store = sla_setup(tmp_path, SLA)
    for n in range(3):
        fake.add_issue(f"help {n}", author=fake.users[5])
    apply_run(fake, config, store, lambda: START + timedelta(minutes=5))  # "running"
    after_write = plan_run(fake, config, START + timedelta(minutes=10), store=store,
                           full=False)
    assert after_write.evaluated == 3 and not after_write.changed  # what the writes left
    monkeypatch.setattr(store, "cached_issues", lambda: pytest.fail("read the cache"))
    plan = plan_run(fake, config, START + timedelta(minutes=20), store=store, full=False)
    assert plan.evaluated == 0 and not plan.changed
    # the first instant a decision changes: the state written turns "warning" at 50 % of
    # 2 h (for the daemon's sleep too)
    assert plan.next_wake is not None
    assert abs(plan.next_wake - (START + timedelta(minutes=60))) < timedelta(seconds=5)


def test_an_issue_is_evaluated_again_when_its_threshold_comes(tmp_path: Path) -> None:
    fake, config, store = sla_setup(tmp_path, SLA)
    issue = fake.add_issue("help", author=fake.users[5])
    apply_run(fake, config, store, lambda: START + timedelta(minutes=5))
    plan_run(fake, config, START + timedelta(minutes=10), store=store, full=False)
    quiet = plan_run(fake, config, START + timedelta(minutes=55), store=store, full=False)
    assert quiet.evaluated == 0
    due = plan_run(fake, config, START + timedelta(minutes=65), store=store, full=False)
    assert due.evaluated == 1
    [item] = due.changed
    assert item.issue_id == issue.id
    assert [(c.field, c.new) for c in item.changes] == [("cf.SLA state", "warning")]
    again = plan_run(fake, config, START + timedelta(minutes=70), store=store, full=False)
    assert again.evaluated == 1        # not written (a plan): still due
    apply_run(fake, config, store, lambda: START + timedelta(minutes=71))
    plan_run(fake, config, START + timedelta(minutes=72), store=store, full=False)
    assert plan_run(fake, config, START + timedelta(minutes=85), store=store,
                    full=False).evaluated == 0
    labels = plan_run(fake, config, START + timedelta(minutes=91), store=store, full=False)
    [item] = labels.changed                                         # 75 %: the label
    assert [(c.field, c.new) for c in item.changes] == [("labels", ("sla-warning",))]


def test_changed_rules_make_every_open_issue_due(tmp_path: Path) -> None:
    fake, config, store = sla_setup(tmp_path, SLA)
    for n in range(2):
        fake.add_issue(f"help {n}", author=fake.users[5])
    apply_run(fake, config, store, lambda: START + timedelta(minutes=5))
    plan_run(fake, config, START + timedelta(minutes=9), store=store, full=False)
    assert plan_run(fake, config, START + timedelta(minutes=10), store=store,
                    full=False).evaluated == 0
    (tmp_path / "rules" / "sla.yaml").write_text(SLA.replace("any: 2h", "any: 10m"))
    plan = plan_run(fake, config, START + timedelta(minutes=11), store=store, full=False)
    assert plan.evaluated == 2 and len(plan.changed) == 2   # both past 75 % of 10 min


def test_rules_that_read_the_clock_evaluate_every_open_issue(tmp_path: Path) -> None:
    fake, config, store = sla_setup(tmp_path, SLA)
    (tmp_path / "rules" / "old.yaml").write_text(
        "kind: triage\nrules:\n  - name: old\n    when: {age_days: {gt: 3}}\n"
        "    then: [{add_labels: [old]}]\n")
    for n in range(2):
        fake.add_issue(f"help {n}", author=fake.users[5])
    apply_run(fake, config, store, lambda: START + timedelta(minutes=5))
    plan = plan_run(fake, config, START + timedelta(minutes=10), store=store, full=False)
    assert plan.evaluated == 2
    assert store.wake_basis() is None


def story(tmp_path: Path, index: bool, monkeypatch: pytest.MonkeyPatch
          ) -> list[tuple[int, list[tuple[int, tuple[str, ...]]]]]:
    """Two days of runs every 9 minutes while people write: every run's decisions."""
    fake, config, store = sla_setup(tmp_path, SLA)
    if not index:
        monkeypatch.setattr(wakes, "due", lambda store, now, key: None)
    now = {"t": START}
    clock: Callable[[], datetime] = lambda: now["t"]
    # the fake stamps its writes a second apart from here: never after the run's now
    fake._now = lambda: now["t"] - timedelta(minutes=5)
    seen = []
    for step in range(2 * 24 * 60 // 9):
        now["t"] = START + timedelta(minutes=9 * step)
        fake._tick = 0
        if step % 30 == 0:
            fake.add_issue(f"request {step}", author=fake.users[5])
        if step % 41 == 20:
            fake.human_edit(1 + step % len(fake.issues), fake.users[6], notes="looking into it")
        if step % 73 == 50:
            fake.human_edit(1 + step % len(fake.issues), fake.users[6], status="Feedback")
        if step % 73 == 60:
            fake.human_edit(1 + (step - 10) % len(fake.issues), fake.users[5], status="New")
        planned: list[IssuePlan] = []
        apply_run(fake, config, store, clock, on_plan=lambda plan, issues, into=planned:
                  into.extend(issues))
        decided = sorted((i.issue_id, tuple(sorted(f"{c.field}={c.new}" for c in i.changes)
                                             + [n.text for n in i.notes]))
                         for i in planned)
        seen.append((step, decided))
    monkeypatch.undo()
    return seen


def test_the_index_changes_no_decision_over_two_simulated_days(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with_index = story(tmp_path / "a", True, monkeypatch)
    every_run = story(tmp_path / "b", False, monkeypatch)
    assert sum(bool(d) for _, d in with_index) > 10   # the story decides things
    assert with_index == every_run


def test_only_the_hours_and_days_since_who_spoke_last_make_every_issue_due(
        tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[2]
    assert not wakes.reads_clock(load_rules([root / "rules"]))   # resume-on-reply: by update
    (tmp_path / "c.yaml").write_text("kind: customers\ncustomers: []\n")
    (tmp_path / "r.yaml").write_text("kind: triage\nrules:\n  - name: stale\n    when: "
                                     "{status_days: {ge: 7}}\n    then: [{add_labels: [x]}]\n")
    assert wakes.reads_clock(load_rules([tmp_path]))
