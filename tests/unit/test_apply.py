"""apply on FakeRedmine: breaker, stale skip, workflow, dropped changes, people win, cap, stop."""

from __future__ import annotations

import threading
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path

import pytest

from redmine_sync.apply import BreakerTripped
from redmine_sync.config import Config
from redmine_sync.config import Limits
from redmine_sync.daemon import parse_interval
from redmine_sync.daemon import run_daemon
from redmine_sync.errors import RedmineUnavailable
from redmine_sync.errors import UserError
from redmine_sync.model import User
from redmine_sync.redmine.fake import FakeRedmine
from redmine_sync.store import StateStore
from redmine_sync.sync import apply_run
from redmine_sync.sync import plan_run

RULES = """\
kind: triage
match: all
when: {is_closed: false}
rules:
  - name: mark
    when: {subject: {regex: '^todo'}}
    then: [{add_labels: [ui]}, {set: {priority: High}}]
  - name: close-it
    when: {subject: {regex: 'close me'}}
    then: [{set: {status: Closed}}]
"""
NOW = datetime(2026, 1, 6, 9, 0, tzinfo=UTC)


@pytest.fixture
def env(tmp_path: Path) -> tuple[FakeRedmine, Config, StateStore]:
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "r.yaml").write_text(RULES)
    config = Config(rules_dir=tmp_path / "rules", projects=("demo",),
                    limits=Limits(max_issues=5, max_percent=100, write_cap=100))
    fake = FakeRedmine(users=[User(9, "pm.li", "Li Na")])
    return fake, config, StateStore(tmp_path / "state.db")


def clock() -> datetime:
    return NOW


def test_apply_writes_once_then_nothing(env: tuple[FakeRedmine, Config, StateStore]) -> None:
    fake, config, store = env
    first = fake.add_issue("todo one")
    fake.add_issue("nothing to do")
    result = apply_run(fake, config, store, clock)
    assert result.applied is not None and result.applied.count("written") == 1
    issue = fake.issues[first.id]
    assert issue.priority == "High" and issue.cf("Labels") == ("ui",)
    note = (issue.journals or ())[-1]
    assert config.text_formatting == "textile"  # a list, never a strike-through
    assert note.private and note.notes == (
        "redmine-sync:\n\n* Added label ui: subject matches 'todo' (mark)\n"
        "* Set priority to High: subject matches 'todo' (mark)")
    stamp = issue.updated_on
    again = apply_run(fake, config, store, clock)
    assert again.applied is not None and again.applied.outcomes == ()
    assert fake.issues[first.id].updated_on == stamp
    assert [a.outcome for a in store.audit(result.applied.run_id)] == ["written", "written"]


def test_breaker_refuses_and_writes_nothing(env: tuple[FakeRedmine, Config, StateStore]) -> None:
    fake, config, store = env
    for n in range(6):
        fake.add_issue(f"todo {n}")
    before = dict(fake.issues)
    with pytest.raises(BreakerTripped, match="6 issues would change \\(limit 5\\)"):
        apply_run(fake, config, store, clock)
    assert fake.issues == before
    assert store.runs()[0].status == "breaker"
    assert apply_run(fake, config, store, clock, max_changes=6).applied.count("written") == 6


def test_breaker_percentage(env: tuple[FakeRedmine, Config, StateStore]) -> None:
    fake, config, store = env
    config = Config(rules_dir=config.rules_dir, projects=("demo",),
                    limits=Limits(max_issues=50, max_percent=10))
    for n in range(10):
        fake.add_issue(f"todo {n}" if n < 3 else f"quiet {n}")
    with pytest.raises(BreakerTripped, match=r"3 of 10 issues in scope would change \(30 %"):
        apply_run(fake, config, store, clock)
    assert apply_run(fake, config, store, clock, yes=True).applied.count("written") == 3


def test_status_the_workflow_forbids_is_reported_not_sent(
        env: tuple[FakeRedmine, Config, StateStore]) -> None:
    fake, config, store = env
    fake.forbidden_statuses = {"Closed"}
    issue = fake.add_issue("please close me")
    result = apply_run(fake, config, store, clock).applied
    assert result is not None and result.failed == 1
    [outcome] = result.outcomes
    assert outcome.status == "failed" and "'New' -> 'Closed'" in outcome.reason
    [row] = store.audit(result.run_id)
    assert row.outcome == "failed" and "workflow does not allow 'New' -> 'Closed'" in row.detail
    assert fake.issues[issue.id].status == "New"


def test_stale_issue_is_skipped_and_planned_again(
        env: tuple[FakeRedmine, Config, StateStore], monkeypatch: pytest.MonkeyPatch) -> None:
    fake, config, store = env
    issue = fake.add_issue("todo stale")
    real_get = fake.get_issue

    def racing_get(issue_id: int, *, journals: bool = True):  # type: ignore[no-untyped-def]
        fake.human_edit(issue_id, fake.users[9], notes="edited meanwhile")
        monkeypatch.setattr(fake, "get_issue", real_get)
        return real_get(issue_id, journals=journals)

    monkeypatch.setattr(fake, "get_issue", racing_get)
    result = apply_run(fake, config, store, clock).applied
    assert result is not None and result.outcomes[0].status == "skipped"
    assert "stale" in result.outcomes[0].reason
    assert store.cursor("demo") is None  # not advanced: re-planned next run
    assert apply_run(fake, config, store, clock).applied.count("written") == 1
    assert fake.issues[issue.id].priority == "High"


def test_people_win_unless_the_rule_enforces(env: tuple[FakeRedmine, Config, StateStore]
                                             ) -> None:
    fake, config, store = env
    issue = fake.add_issue("todo mine")
    apply_run(fake, config, store, clock)
    fake.human_edit(issue.id, fake.users[9], priority="Low")
    plan = plan_run(fake, config, NOW, store=store, full=True)
    [item] = plan.issues
    assert item.changes == () and item.held[0].field == "priority"
    assert "a person changed it after the tool set High" in item.held[0].reason
    apply_run(fake, config, store, clock, full=True)
    assert fake.issues[issue.id].priority == "Low"
    (config.rules_dir / "r.yaml").write_text(RULES.replace(
        "    then: [{add_labels: [ui]}, {set: {priority: High}}]",
        "    enforce: true\n    then: [{add_labels: [ui]}, {set: {priority: High}}]"))
    apply_run(fake, config, store, clock, full=True)
    assert fake.issues[issue.id].priority == "High"


def test_write_cap_and_stop_defer_the_rest(env: tuple[FakeRedmine, Config, StateStore]) -> None:
    fake, config, store = env
    config = Config(rules_dir=config.rules_dir, projects=("demo",),
                    limits=Limits(max_issues=50, max_percent=100, write_cap=2))
    for n in range(4):
        fake.add_issue(f"todo {n}")
    result = apply_run(fake, config, store, clock).applied
    assert result is not None and (result.count("written"), result.count("deferred")) == (2, 2)
    assert apply_run(fake, config, store, clock).applied.count("written") == 2
    fake.add_issue("todo late")
    stopped = apply_run(fake, config, store, clock, stop=lambda: True).applied
    assert stopped is not None and stopped.count("deferred") == 1


def test_daemon_loops_backs_off_and_stops(env: tuple[FakeRedmine, Config, StateStore]) -> None:
    fake, config, store = env
    fake.add_issue("todo daemon")
    calls: list[int] = []

    def factory() -> FakeRedmine:
        calls.append(1)
        if len(calls) == 2:
            raise RedmineUnavailable("Redmine at x did not answer")
        return fake

    stop = threading.Event()
    waits: list[float] = []
    stop.wait = lambda timeout=None: waits.append(timeout) or False  # type: ignore[assignment]
    runs = run_daemon(factory, config, store, clock, 60.0, stop, max_runs=3)
    assert runs == 3 and waits == [60.0, 120.0]
    assert fake.issues[1].priority == "High"
    stop.set()
    assert run_daemon(factory, config, store, clock, 60.0, stop) == 0


@pytest.mark.parametrize(("text", "seconds"), [("90", 90), ("90s", 90), ("5m", 300),
                                               ("1.5h", 5400)])
def test_intervals(text: str, seconds: float) -> None:
    assert parse_interval(text) == seconds


def test_bad_interval() -> None:
    with pytest.raises(UserError, match="invalid interval"):
        parse_interval("soon")


def test_own_writes_are_not_activity(env: tuple[FakeRedmine, Config, StateStore]) -> None:
    fake, config, store = env
    issue = fake.add_issue("todo idle")
    apply_run(fake, config, store, clock)
    [cached] = [i for i in store.cached_issues() if i.id == issue.id]
    assert cached.activity_on is not None
    assert cached.activity_on < fake.issues[issue.id].updated_on - timedelta(seconds=0)


def test_full_run_notices_deleted_issues(env: tuple[FakeRedmine, Config, StateStore]) -> None:
    fake, config, store = env
    gone = fake.add_issue("quiet one")
    fake.add_issue("quiet two")
    apply_run(fake, config, store, clock)
    del fake.issues[gone.id]
    assert apply_run(fake, config, store, clock).deleted == ()     # incremental: cannot see it
    assert apply_run(fake, config, store, clock, full=True).deleted == (gone.id,)
    assert gone.id not in {i.id for i in store.cached_issues()}


def test_round_robin_takes_turns_across_runs(tmp_path: Path) -> None:
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "r.yaml").write_text(
        "kind: routing\nrules:\n  - {name: rr, then: [{assign: {round_robin: T}}]}\n")
    config = Config(rules_dir=tmp_path / "rules", projects=("demo",),
                    limits=Limits(max_issues=50, max_percent=100))
    fake = FakeRedmine(users=[User(5, "ann", "Ann"), User(6, "bob", "Bob")], groups={9: "T"},
                       group_members={"T": ("Ann", "Bob")})
    store = StateStore(tmp_path / "s.db")
    first, second = fake.add_issue("one"), fake.add_issue("two")
    apply_run(fake, config, store, clock)
    third = fake.add_issue("three")
    apply_run(fake, config, store, clock)
    names = [fake.issues[i.id].assigned_to.name for i in (first, second, third)]  # type: ignore
    assert names == ["Ann", "Bob", "Ann"]
    assert store.pointer("T") == 3


def test_a_label_a_person_removed_stays_removed_when_the_tool_writes_others(
        env: tuple[FakeRedmine, Config, StateStore]) -> None:
    fake, config, store = env
    (config.rules_dir / "r.yaml").write_text(RULES.replace(
        "    then: [{add_labels: [ui]}, {set: {priority: High}}]",
        "    then: [{add_labels: [ui]}]\n  - name: later\n"
        "    when: {subject: {regex: 'later'}}\n    then: [{add_labels: [feature]}]"))
    issue = fake.add_issue("todo one")
    apply_run(fake, config, store, clock)
    assert fake.issues[issue.id].cf("Labels") == ("ui",)
    person = fake.users[9]
    current = fake.issues[issue.id]
    fake.human_edit(issue.id, person, custom_fields={**current.custom_fields, "Labels": ()})
    fake.human_edit(issue.id, person, subject="todo later")
    apply_run(fake, config, store, clock, full=True)   # writes feature, holds ui
    assert fake.issues[issue.id].cf("Labels") == ("feature",)
    fake.human_edit(issue.id, person, subject="todo later, still")
    plan = plan_run(fake, config, NOW, store=store, full=True)
    assert [i.changes for i in plan.issues] == [()]     # ui is still the person's choice
    apply_run(fake, config, store, clock, full=True)
    assert fake.issues[issue.id].cf("Labels") == ("feature",)


def test_an_assignee_named_by_login_is_not_taken_for_a_persons_change(
        env: tuple[FakeRedmine, Config, StateStore]) -> None:
    fake, config, store = env
    fake.users[10] = User(10, "dev.wang", "Wang Lei")
    (config.rules_dir / "r.yaml").write_text(RULES.replace(
        "    then: [{add_labels: [ui]}, {set: {priority: High}}]",
        "    then: [{assign: {to: pm.li}}]\n  - name: escalate\n"
        "    when: {subject: {regex: 'escalate'}}\n"
        "    then: [{assign: {to: dev.wang, keep_existing: false}}]"))
    issue = fake.add_issue("todo one")
    apply_run(fake, config, store, clock)
    assert fake.issues[issue.id].assigned_to.name == "Li Na"
    fake.human_edit(issue.id, fake.users[9], subject="todo one: escalate")
    plan = plan_run(fake, config, NOW, store=store, full=True)
    assert [(c.field, c.new) for i in plan.issues for c in i.changes] == [
        ("assigned_to", "dev.wang")]
    assert [c for i in plan.issues for c in i.held] == []


def test_apply_refuses_a_markup_the_instance_does_not_render(
        env: tuple[FakeRedmine, Config, StateStore]) -> None:
    from dataclasses import replace

    from redmine_sync.markup import MarkupMismatch

    fake, config, store = env
    issue = fake.add_issue("todo one")
    fake.markup = "common_mark"
    with pytest.raises(MarkupMismatch) as caught:
        apply_run(fake, replace(config, text_formatting="textile"), store, clock)
    assert "redmine.text_formatting: common_mark" in caught.value.hint
    assert fake.issues[issue.id].journals in (None, ())  # nothing written
