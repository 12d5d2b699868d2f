"""sync.plan_run end to end on FakeRedmine: reads, evaluates, never writes."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path

import pytest

from redmine_sync.config import Config
from redmine_sync.model import User
from redmine_sync.plan import Plan
from redmine_sync.redmine.fake import FakeRedmine
from redmine_sync.store import StateStore
from redmine_sync.sync import _members
from redmine_sync.sync import apply_run
from redmine_sync.sync import plan_run
from tests.unit.test_apply import RULES

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 1, 6, 9, 0, tzinfo=UTC)


def test_plan_run_on_the_fake_writes_nothing() -> None:
    fake = FakeRedmine(users=[User(7, "support.zhao", "Zhao Min")],
                       groups={50: "Support", 51: "Product & R&D", 52: "Sales", 53: "Delivery"},
                       group_members={"Support": ("Zhao Min",), "Product & R&D": ("Li Na",),
                                      "Sales": ("Zhou Yan",), "Delivery": ("Wu Fang",)})
    fake.add_issue("Please optimise the system", custom_fields={"Customer": "Tailspin Travel"})
    before = {i.id: i for i in fake.issues.values()}
    plan = plan_run(fake, Config(rules_dir=ROOT / "rules", projects=("demo",)), NOW)
    assert fake.issues == before
    [item] = plan.issues
    assert {c.field: c.new for c in item.changes}["status"] == "Feedback"
    assert item.notes[0].public


def test_round_robin_over_a_role_uses_project_members() -> None:
    fake = FakeRedmine(users=[User(7, "a", "Ann"), User(8, "b", "Bob")])
    assert _members(fake, "role:Developer", ("demo",)) == ("Ann", "Bob", "redmine-sync bot")
    assert _members(fake, "role:Manager", ("demo",)) == ()


def rebuilt(start: datetime) -> FakeRedmine:
    """Another Redmine behind the same URL, its issues numbered from 1 again."""
    fake = FakeRedmine(clock=lambda: start)
    fake.url = "fake://redmine"
    return fake


def planned(plan: Plan) -> set[tuple[int, str]]:
    return {(i.issue_id, c.field) for i in plan.issues for c in i.changes}


def test_a_rebuilt_redmine_that_reuses_ids_gets_its_whole_plan(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """The old #1's marks (the tool set its priority and labels) would make the new #1's
    Normal priority look like a person's choice: nothing planned for it, silently."""
    (tmp_path / "r.yaml").write_text(RULES)
    config = Config(rules_dir=tmp_path, projects=("demo",))
    store = StateStore(tmp_path / "state.db")
    old = rebuilt(NOW - timedelta(days=30))
    old.add_issue("todo one")
    apply_run(old, config, store, lambda: NOW - timedelta(days=29), yes=True)
    assert store.owned()
    new = rebuilt(NOW - timedelta(days=3))
    new.add_issue("todo again")
    with caplog.at_level(logging.WARNING):
        plan = plan_run(new, config, NOW, store=store, full=True)
    assert planned(plan) == {(1, "labels"), (1, "priority")}
    assert planned(plan) == planned(plan_run(new, config, NOW))   # as with no state file
    assert "1 issue(s) at fake://redmine are not the issues the state file" in caplog.text
    assert "dropped: #1" in caplog.text and store.owned() == {}


def test_reused_ids_in_an_incremental_run_read_every_issue_again(tmp_path: Path) -> None:
    """The cursor is the old Redmine's: a rebuilt one's issues may all be older than it,
    so an incremental run that meets a reused id lists the whole scope again."""
    (tmp_path / "r.yaml").write_text(RULES)
    config = Config(rules_dir=tmp_path, projects=("demo",))
    store = StateStore(tmp_path / "state.db")
    old = rebuilt(NOW - timedelta(days=30))
    old.add_issue("todo one")
    old.add_issue("todo two")
    apply_run(old, config, store, lambda: NOW - timedelta(days=29), yes=True)
    new = rebuilt(NOW - timedelta(days=40))     # its history back-dated, before the cursor
    new.add_issue("todo back-dated")
    new._now = lambda: NOW - timedelta(hours=1)
    new.add_issue("todo today")
    assert store.cursor("demo") is not None
    plan = plan_run(new, config, NOW, store=store, full=False)
    assert planned(plan) == {(1, "labels"), (1, "priority"), (2, "labels"), (2, "priority")}


def test_a_redmine_rebuilt_with_its_history_older_than_the_cursor_is_read_whole(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """No listed id says so (the new history is older than the cursor): the bot's account,
    created anew, does. The state's cursor, cache, marks and lookups of the old one go."""
    (tmp_path / "r.yaml").write_text(RULES)
    config = Config(rules_dir=tmp_path, projects=("demo",))
    store = StateStore(tmp_path / "state.db")
    old = rebuilt(NOW - timedelta(days=30))
    old.me = replace(old.me, created_on=NOW - timedelta(days=90))
    old.add_issue("todo one")
    apply_run(old, config, store, lambda: NOW - timedelta(days=29), yes=True)
    store.save_lookup("bot", 2, NOW)
    new = rebuilt(NOW - timedelta(days=40))
    new.me = replace(new.me, created_on=NOW - timedelta(days=1))
    new.add_issue("todo back-dated")
    with caplog.at_level(logging.WARNING):
        plan = plan_run(new, config, NOW, store=store, full=False)
    assert planned(plan) == {(1, "labels"), (1, "priority")}
    assert "the bot's account redmine-sync was created at 2025-10-08T09:00:00+00:00, now " \
           "at 2026-01-05T09:00:00+00:00 (the Redmine was rebuilt)" in caplog.text
    assert store.lookup("bot", NOW, 60) is None and store.runs()      # the runs stay
    caplog.clear()
    plan_run(new, config, NOW, store=store, full=False)
    assert "rebuilt" not in caplog.text


def test_another_bot_account_is_not_another_redmine(tmp_path: Path) -> None:
    store = StateStore(tmp_path / "state.db")
    me = User(2, "redmine-sync", "bot", created_on=NOW)
    assert store.rebuilt(me) is None and store.rebuilt(me) is None
    assert store.rebuilt(User(3, "triage-bot", "bot", created_on=NOW)) is None
    assert store.rebuilt(User(4, "triage-bot", "bot", created_on=NOW - timedelta(days=1))) \
        == f"triage-bot {NOW.isoformat()}"
    assert store.rebuilt(User(4, "triage-bot", "bot")) is None    # not shown: not checked
